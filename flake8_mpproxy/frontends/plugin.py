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
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Type

from .. import __version__
from ..pipeline.analysis import check_tree
from ..project.cache import (Cache, activated, cache_for, content_hash, decode_records, encode_records,
                    environment_settings, settings_digest, warn)
from ..model.findings import Finding
from ..engine.links import Links
from ..project.crossmodule import involved, links_for, project_warning, received
from ..model.catalogue import DEFAULT_OFF
from ..model.config import ConfigError, Settings, explicitly_selected, resolve_target_version
from ..project.discovery import loose_root_for
from ..model.mpapi import OLDEST_TARGET
from ..model.source import SourceError, may_have_findings, prefilter_tokens


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
        settings = Settings(extend_select=self.opt_in, manager_factories=self.manager_factories,
                            target_version=self.target_version,
                            loose_root=loose_root_for(self.filename))
        real = os.path.isfile(self.filename)
        cache = cache_for(self.filename, self.cache_dir, self.use_cache) if real and self.lines else None
        with activated(cache):  # the module summaries of the project solve are shared with the other workers
            # the same project model as the command: the calls other modules make into this file
            if self.lines and not may_have_findings("".join(self.lines), prefilter_tokens(self.manager_factories)) \
                    and not (real and involved(self.filename, settings)):
                return
            links = links_for(self.filename, settings) if real else None
            inputs = received(self.filename, settings) if real else ""
            stopped = project_warning(self.filename, settings) if real else None
        warnings: List[str] = []
        try:
            findings = self.remembered(cache, settings, links, inputs, warnings)
        except SourceError:  # nesting too deep for the analysis: flake8 goes on with the other plugins
            return
        if stopped is not None:
            warnings.append(stopped)
        for warning in warnings:
            LOG.warning("%s: warning: %s", self.filename, warning)
            print(f"{self.filename}: warning: {warning}", file=sys.stderr)
        for finding in findings:
            yield finding.line, finding.col, finding.text, type(self)

    def remembered(self, cache: Optional[Cache], settings: Settings, links: Optional[Links], inputs: str,
                   warnings: List[str]) -> Tuple[Finding, ...]:
        """:func:`check_tree` through the result cache (its own kind: flake8 applies noqa, the command does it
        itself), keyed as the command's entries are, on the text flake8 read."""
        if cache is None:
            return check_tree(self.tree, settings, self.lines or None, warnings=warnings, links=links)
        text = "".join(self.lines)
        key = (settings_digest(settings), inputs, content_hash(text.encode("utf-8", "surrogatepass")))
        hit = cache.load(PLUGIN_KIND, self.filename, *key)
        if hit is not None:
            try:
                warnings.extend(str(w) for w in hit["warnings"])
                return tuple(decode_records(Finding, hit["findings"]))
            except (ValueError, KeyError, TypeError) as err:
                del warnings[:]
                warn(str(cache.entry_path(PLUGIN_KIND, self.filename, *key[:2])),
                     f"ignoring unreadable cache entry ({err})")
        findings = check_tree(self.tree, settings, self.lines or None, warnings=warnings, links=links)
        cache.store(PLUGIN_KIND, self.filename, *key, {"findings": encode_records(findings), "warnings": list(warnings)})
        return findings


#: The kind of the plugin's result-cache records.
PLUGIN_KIND = "plugin-findings"
