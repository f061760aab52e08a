"""The flake8 adapter: a tree plugin over the one analysis; flake8 itself applies select, ignore and noqa.

flake8 has no channel for a warning that is not a finding. When the analysis of a file stops at its step
budget (findings may be missing), the plugin writes the command's line, ``path: warning: analysis stopped
after N steps; findings may be missing``, to stderr once for that file, and logs it on the
``flake8_mpproxy`` logger (shown by ``flake8 -v``).
"""

from __future__ import annotations

import ast
import logging
import os
import sys
from typing import Any, Iterator, List, Sequence, Tuple, Type

from . import __version__
from .analysis import check_tree
from .crossmodule import involved, links_for, project_warning
from .catalogue import DEFAULT_OFF
from .config import ConfigError, Settings, explicitly_selected, resolve_target_version
from .api import OLDEST_TARGET
from .source import SourceError, may_have_findings, prefilter_tokens


LOG = logging.getLogger("flake8_mpproxy")


class Plugin:
    """``MPP`` codes for flake8. Opt-in rules (MPP301) go on flake8's default-ignore list, as bugbear's B9 do."""

    name = "flake8-mpproxy"
    version = __version__
    manager_factories: Tuple[str, ...] = ()
    #: Opt-in codes the user named explicitly (``--extend-select MPP301``); ``--select MPP`` is not enough.
    opt_in: Tuple[str, ...] = ()
    #: The oldest Python the checked code runs on (``--mpproxy-target-version``).
    target_version: Tuple[int, int] = OLDEST_TARGET

    def __init__(self, tree: ast.Module, lines: Sequence[str] = (), filename: str = "stdin") -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--mpproxy-manager-factories", default="", parse_from_config=True, comma_separated_list=True,
            help="Dotted names of functions of your project that return a multiprocessing manager "
                 "(e.g. pkg.util.make_manager). (Default: none)",
        )
        option_manager.add_option(
            "--mpproxy-target-version", default="", parse_from_config=True,
            help="The oldest Python the checked code runs on, py39..py315: MPP107 reports what it lacks. "
                 "(Default: the lowest Python requires-python in ./pyproject.toml admits, else this interpreter)",
        )
        option_manager.extend_default_ignore(list(DEFAULT_OFF))

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.manager_factories = tuple(getattr(options, "mpproxy_manager_factories", None) or ())
        try:
            cls.target_version = resolve_target_version(getattr(options, "mpproxy_target_version", None) or None,
                                                        ["."], source="--mpproxy-target-version")
        except ConfigError as err:  # flake8 has no per-option error line: stop as argparse does, in one line
            raise SystemExit(f"flake8-mpproxy: error: {err}") from None
        chosen = list(getattr(options, "select", None) or []) + list(getattr(options, "extend_select", None) or [])
        cls.opt_in = tuple(code for code in DEFAULT_OFF if explicitly_selected(code, chosen))

    def run(self) -> Iterator[Tuple[int, int, str, Type["Plugin"]]]:
        settings = Settings(extend_select=self.opt_in, manager_factories=self.manager_factories,
                            target_version=self.target_version)
        # the same project model as the command: the calls other modules make into this file
        real = os.path.isfile(self.filename)
        if self.lines and not may_have_findings("".join(self.lines), prefilter_tokens(self.manager_factories)) \
                and not (real and involved(self.filename, settings)):
            return
        warnings: List[str] = []
        try:
            findings = check_tree(self.tree, settings, self.lines or None, warnings=warnings,
                                  links=links_for(self.filename, settings) if real else None)
        except SourceError:  # nesting too deep for the analysis: flake8 goes on with the other plugins
            return
        stopped = project_warning(self.filename, settings) if real else None
        if stopped is not None:
            warnings.append(stopped)
        for warning in warnings:
            LOG.warning("%s: warning: %s", self.filename, warning)
            print(f"{self.filename}: warning: {warning}", file=sys.stderr)
        for finding in findings:
            yield finding.line, finding.col, finding.text, type(self)
