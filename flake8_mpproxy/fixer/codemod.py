"""The same fixes as a libcst codemod: ``python -m libcst.tool codemod -x flake8_mpproxy.fixer.codemod.FixProxyTraps``.

A thin adapter: the file's configuration (``[tool.flake8-mpproxy]``, per-file ignores), its project (the calls
other modules make into it) and the fix go through the same code as ``flake8-mpproxy --fix``; nothing here
analyses or rewrites on its own. Pass ``--no-format``: libcst's tool runs black by default.
"""

from __future__ import annotations

import argparse
import os
from typing import Optional

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand

from ..pipeline.analysis import check_source
from ..model.config import ConfigError
from ..project.context import ProjectContext
from ..model.findings import FIX_STYLES
from ..model.source import SourceError, SourceFile
from . import fix_source
from .writer import CHANGED


class FixProxyTraps(VisitorBasedCodemodCommand):
    """Rewrite manager-proxy traps (MPP codes) into forms that keep the data."""

    DESCRIPTION = "Fix multiprocessing manager proxy traps found by flake8-mpproxy (MPP codes)."

    #: The projects of this codemod run (libcst makes one command per file; the files of a project share a solve).
    projects = ProjectContext()

    def __init__(self, context: CodemodContext, fix_style: Optional[str] = None,
                 unsafe_fixes: Optional[bool] = None) -> None:
        super().__init__(context)
        self.style = fix_style
        self.unsafe = unsafe_fixes

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--fix-style", dest="fix_style", choices=FIX_STYLES, default=None,
                                help="reassign, nested, or auto (default: the configuration's, else reassign)")
        arg_parser.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=None,
                                help="also move module-level managers under the main guard")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from ..project.resolve import Resolver
        from ..model.jobs import MODE_FIX

        path = self.context.filename or "<codemod>"
        try:  # the configuration the command would use for this file
            job = Resolver({}, MODE_FIX).for_path(path).job_for(path)
        except ConfigError as err:
            raise SkipFile(f"{err.source}: {err.cause}") from None
        settings = job.settings
        source = SourceFile(path, b"", tree.code, tree.encoding)
        try:
            findings = check_source(source, settings, links=self.projects.fix_links(path, settings),
                                    context=self.projects)
        except SourceError as err:
            raise SkipFile(str(err)) from None
        if not findings:
            raise SkipFile("no MPP findings")
        style = self.style or job.style
        unsafe = job.unsafe if self.unsafe is None else self.unsafe
        result = fix_source(source, findings, settings, unsafe=unsafe, style=style, context=self.projects)
        if result.error:
            raise SkipFile(result.error)
        for note in result.notes:
            self.warn(note)
        for finding in result.remaining:  # the message says why a fix was not made, where the analysis knows
            self.warn(f"{finding.line}:{finding.col + 1}: {finding.code} not fixed: {finding.message}")
        if not result.changed:
            raise SkipFile("nothing fixable")
        if os.path.isfile(path) and disk_bytes(path) != tree.bytes:
            # (libcst writes the result right after this returns: the last moment a concurrent edit is seen)
            raise SkipFile(CHANGED)
        return cst.parse_module(result.text)


def disk_bytes(path: str) -> bytes:
    """What ``path`` holds now (an editor may have saved it while the fix was computed)."""
    with open(path, "rb") as handle:
        return handle.read()
