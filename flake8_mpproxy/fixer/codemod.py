"""The same fixes as a libcst codemod: ``python -m libcst.tool codemod -x flake8_mpproxy.fixer.codemod.FixProxyTraps``.

A thin adapter: the module's code goes through the one analysis and :func:`flake8_mpproxy.fixer.fix_source`;
nothing here analyses or rewrites on its own. Pass ``--no-format``: libcst's tool runs black by default.
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand

from ..analysis import check_source
from ..config import Settings
from ..source import SourceError, SourceFile
from ..findings import FIX_STYLES
from . import fix_source


class FixProxyTraps(VisitorBasedCodemodCommand):
    """Rewrite manager-proxy traps (MPP codes) into forms that keep the data."""

    DESCRIPTION = "Fix multiprocessing manager proxy traps found by flake8-mpproxy (MPP codes)."

    def __init__(self, context: CodemodContext, fix_style: str = "reassign", unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.style = fix_style
        self.unsafe = unsafe_fixes

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--fix-style", dest="fix_style", choices=FIX_STYLES, default="reassign",
                                help="reassign (default), nested, or auto")
        arg_parser.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true",
                                help="also move module-level managers under the main guard")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or "<codemod>"
        source = SourceFile(path, b"", tree.code, tree.encoding)
        try:
            findings = check_source(source, Settings())
        except SourceError as err:
            raise SkipFile(str(err)) from None
        if not findings:
            raise SkipFile("no MPP findings")
        result = fix_source(source, findings, Settings(), unsafe=self.unsafe, style=self.style)
        if result.error:
            raise SkipFile(result.error)
        for finding in result.remaining:
            self.warn(f"{finding.line}:{finding.col + 1}: {finding.code} not fixed")
        if not result.changed:
            raise SkipFile("nothing fixable")
        return cst.parse_module(result.text)
