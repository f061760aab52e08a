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
from typing import Any, Iterator, Optional, Sequence, Tuple, Type

from .. import __version__
from ..model.catalogue import DEFAULT_OFF
from ..model.config import ConfigError, Settings, explicitly_selected, resolve_target_version
from ..model.mpapi import OLDEST_TARGET
from ..model.source import SourceFile
from ..pipeline.analysis import check
from ..project.cache import cache_for, environment_settings
from ..project.context import ProjectContext
from ..project.discovery import loose_root_for


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
    #: The result cache (``--mpproxy-cache-dir``, ``--mpproxy-no-cache``), shared with the command's.
    cache_dir: Optional[str] = None
    use_cache: bool = True
    #: The projects this flake8 process solved (:meth:`projects`).
    context: Optional[ProjectContext] = None

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
        option_manager.add_option(
            "--mpproxy-cache-dir", default="", parse_from_config=True,
            help="Where to keep flake8-mpproxy's result cache, shared with its command. "
                 "(Default: .flake8-mpproxy_cache at the project root)",
        )
        option_manager.add_option(
            "--mpproxy-no-cache", default=False, action="store_true", parse_from_config=True,
            help="Neither read nor write flake8-mpproxy's result cache.",
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
        env_dir, env_enabled = environment_settings()
        cls.cache_dir = getattr(options, "mpproxy_cache_dir", None) or env_dir
        cls.use_cache = not getattr(options, "mpproxy_no_cache", False) and env_enabled is not False
        chosen = list(getattr(options, "select", None) or []) + list(getattr(options, "extend_select", None) or [])
        cls.opt_in = tuple(code for code in DEFAULT_OFF if explicitly_selected(code, chosen))

    def run(self) -> Iterator[Tuple[int, int, str, Type["Plugin"]]]:
        """The command's pipeline on flake8's text and tree (flake8 applies select, ignore and noqa)."""
        settings = Settings(extend_select=self.opt_in, manager_factories=self.manager_factories,
                            target_version=self.target_version,
                            loose_root=loose_root_for(self.filename))
        text = "".join(self.lines) if self.lines else ast.unparse(self.tree)
        raw = text.encode("utf-8", "surrogatepass")
        real = os.path.isfile(self.filename)
        store = cache_for(self.filename, self.cache_dir, self.use_cache) if real and self.lines else None
        result = check(SourceFile(self.filename, raw, text, "utf-8"), raw, settings, self.projects(), store,
                       tree=self.tree, apply_noqa=False)
        for line in result.warnings:
            self.say("warning", line)
        if result.error is not None:  # (nesting too deep for the analysis): flake8 goes on with the other plugins
            self.say("error", result.error)
        for finding in result.findings:
            yield finding.line, finding.col, finding.text, type(self)

    def say(self, kind: str, line: str) -> None:
        """flake8 has no channel for what is not a finding: stderr, as the command prints it, and the log."""
        LOG.warning("%s: %s: %s", self.filename, kind, line)
        print(f"{self.filename}: {kind}: {line}", file=sys.stderr)

    @classmethod
    def projects(cls) -> ProjectContext:
        """This flake8 process's projects: made on its first file, so that flake8's workers (forked after the
        options are parsed) each solve what their files need once."""
        if cls.context is None:
            cls.context = ProjectContext(remember_reads=True)
        return cls.context

