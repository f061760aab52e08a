"""Which configuration applies to a file, merged with the command line into the file's :class:`Job`.

Like ruff's hierarchical configuration: each file gets the nearest ``pyproject.toml`` at or above its folder
that has a ``[tool.flake8-mpproxy]`` table (a pyproject without the table is skipped); ``--config PATH``
uses one file for everything and ``--isolated`` none. Command-line values override the file's values;
selection is layered (see :mod:`selection`). Relative globs with a ``/`` in ``exclude`` and
``per-file-ignores`` are anchored at the folder of the pyproject that holds them (the cwd for command-line
values, which ruff anchors the same way).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from ..model.catalogue import BY_CODE
from ..model.findings import FIX_STYLES
from ..model.config import ConfigError, Settings, find_config, load_config, resolve_target_version
from .paths import DEFAULT_EXCLUDES, excluded, split_list
from ..model.jobs import FORMATS, Job, Mode
from ..model.selection import Layer, enabled_codes

CODE = re.compile(r"[A-Z]+[0-9]*$")
PerFileIgnores = Tuple[Tuple[str, Tuple[str, ...]], ...]


def as_list(value: Any) -> List[str]:
    """A config or option value (a list, or flake8's comma-separated string) as a list of strings."""
    return split_list(value) if isinstance(value, str) else list(value or [])


def expand(prefixes: List[str]) -> FrozenSet[str]:
    """Every rule code that one of ``prefixes`` names."""
    return frozenset(code for code in BY_CODE for p in prefixes if code.startswith(p.upper()))


def anchor(pattern: str, root: Path) -> str:
    """``src/gen`` -> ``<root>/src/gen``; a bare name (``build``), a glob starting with ``*`` or an absolute
    path stays as it is (bare names match a base name anywhere, as flake8 and ruff do)."""
    pattern = pattern.rstrip("/") or pattern
    if "/" not in pattern or pattern.startswith(("*", "/")):
        return pattern
    return os.path.join(str(root), pattern)


def parse_per_file_ignores(text: str) -> Dict[str, List[str]]:
    """flake8's ``--per-file-ignores`` form: ``"a.py,b.py:MPP101,MPP2 tests/*:MPP3"``.

    As in flake8, after a colon an upper-case word with digits is a code and anything else starts the next
    group of file names."""
    mapping: Dict[str, List[str]] = {}
    files: List[str] = []
    codes: List[str] = []
    after_colon = False
    for token in re.findall(r":|[^\s:,]+", text):
        if token == ":":
            after_colon = True
        elif after_colon and CODE.match(token):
            codes.append(token)
        elif after_colon:
            _add(mapping, files, codes)
            files, codes, after_colon = [token], [], False
        else:
            files.append(token)
    _add(mapping, files, codes)
    return mapping


def _add(mapping: Dict[str, List[str]], files: List[str], codes: List[str]) -> None:
    for name in files:
        mapping.setdefault(name, []).extend(codes)


@dataclass(frozen=True)
class Resolved:
    """The configuration one folder's files get."""

    config: Optional[Path]
    root: Path
    job: Job
    exclude: Tuple[str, ...]
    per_file_ignores: PerFileIgnores
    force_exclude: bool
    respect_gitignore: bool
    output_format: str

    def job_for(self, path: str) -> Job:
        """The job for ``path``: the folder's job minus the codes per-file-ignores drops for it."""
        dropped = [codes for pattern, codes in self.per_file_ignores if excluded(path, (pattern,))]
        if not dropped:
            return self.job
        ignored = expand([code for codes in dropped for code in codes])
        settings = self.job.settings
        narrowed = Settings.only(settings.enabled_codes() - ignored)
        # replace(): every other field of the folder's settings (factories, and any added later) is kept
        return replace(self.job, settings=replace(settings, select=narrowed.select, ignore=narrowed.ignore))


class Resolver:
    """Finds and merges configuration per folder, caching both the search and the result."""

    def __init__(self, cli: Dict[str, Any], mode: Mode, explicit: Optional[Path] = None, isolated: bool = False,
                 cwd: Optional[Path] = None) -> None:
        self.cli = cli
        self.mode = mode
        self.explicit = explicit
        self.isolated = isolated
        self.cwd = (cwd or Path.cwd()).resolve()
        self._configs: Dict[Path, Optional[Path]] = {}
        self._has_table: Dict[Path, bool] = {}
        self._resolved: Dict[Tuple[Optional[Path], Optional[Path]], Resolved] = {}
        self._projects: Dict[Path, Optional[Path]] = {}
        #: resolved folder -> its nearest pyproject.toml
        self._nearest: Dict[Path, Optional[Path]] = {}

    def config_for(self, directory: Path) -> Optional[Path]:
        if self.isolated:
            return None
        if self.explicit is not None:
            return self.explicit
        if directory not in self._configs:
            # find_config's answer, through the parent's: a tree's folders cost one check each, not a walk up
            candidate = directory / "pyproject.toml"
            if candidate not in self._has_table:
                find_config(directory, self._has_table, first_only=True)
            if self._has_table[candidate]:
                self._configs[directory] = candidate
            else:
                parent = directory.parent
                self._configs[directory] = None if parent == directory else self.config_for(parent)
        return self._configs[directory]

    def for_path(self, path: str) -> Resolved:
        """The configuration for a file or folder (``-`` and missing paths: their folder, else the cwd)."""
        full = Path(os.path.abspath(path)) if path != "-" else self.cwd
        directory = full if full.is_dir() else full.parent
        config = self.config_for(directory)
        # requires-python comes from the nearest pyproject.toml, with or without a [tool.flake8-mpproxy] table
        project = None if self.isolated or self.explicit else self._nearest_pyproject(directory)
        if (config, project) not in self._resolved:
            self._resolved[(config, project)] = self._merge(config, project)
        return self._resolved[(config, project)]

    def _cache_dir(self, table: Dict[str, Any], root: Path) -> Optional[str]:
        """``--cache-dir`` (relative to the cwd), else ``cache-dir`` of the file (relative to its folder);
        None: the project root's default (:func:`cache.default_directory`)."""
        if "cache-dir" in self.cli:
            return str(self.cwd / str(self.cli["cache-dir"]))
        if "cache-dir" in table:
            return str(root / str(table["cache-dir"]))
        return None

    def _nearest_pyproject(self, directory: Path) -> Optional[Path]:
        if directory not in self._projects:
            start = directory.resolve()  # (nearest_pyproject's answer, through the parent's, once per folder)
            self._projects[directory] = self._nearest_resolved(start if start.is_dir() else start.parent)
        return self._projects[directory]

    def _nearest_resolved(self, directory: Path) -> Optional[Path]:
        if directory not in self._nearest:
            candidate = directory / "pyproject.toml"
            parent = directory.parent
            self._nearest[directory] = candidate if candidate.is_file() else \
                None if parent == directory else self._nearest_resolved(parent)
        return self._nearest[directory]

    def _merge(self, config: Optional[Path], project: Optional[Path] = None) -> Resolved:
        table = load_config(config, required=config == self.explicit) if config is not None else {}
        root = config.parent.resolve() if config is not None else self.cwd
        values = {**table, **self.cli}
        layers = [_layer(table), _layer(self.cli)]
        factories = tuple(as_list(values.get("manager-factories")))
        target_source = "--target-version" if "target-version" in self.cli else str(config or "--target-version")
        explicit = self.explicit or project
        target = resolve_target_version(values.get("target-version"), [str(root)],
                                        str(explicit) if explicit else None, self.isolated, target_source)
        style = values.get("fix-style", "reassign")
        source = str(config) if "fix-style" not in self.cli and config is not None else "--fix-style"
        if style not in FIX_STYLES:
            raise ConfigError(source, f"fix-style: expected one of {', '.join(FIX_STYLES)}, got {style!r}")
        fmt = values.get("output-format", "text")
        if fmt not in FORMATS:
            raise ConfigError(str(config) if "output-format" not in self.cli and config else "--output-format",
                              f"output-format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
        exclude = [anchor(p, root) for p in as_list(table.get("exclude"))] if "exclude" in table else list(
            DEFAULT_EXCLUDES)
        if "exclude" in self.cli:
            exclude = [anchor(p, self.cwd) for p in as_list(self.cli["exclude"])]
        exclude += [anchor(p, root) for p in as_list(table.get("extend-exclude"))]
        exclude += [anchor(p, self.cwd) for p in as_list(self.cli.get("extend-exclude"))]
        respect_gitignore = bool(values.get("respect-gitignore", True))
        settings = replace(Settings.only(enabled_codes(layers), factories, target),
                           project=not values.get("no-project", False), project_exclude=tuple(exclude),
                           project_gitignore=respect_gitignore)
        pfi_source, pfi_root = (self.cli, self.cwd) if "per-file-ignores" in self.cli else (table, root)
        per_file = tuple((anchor(glob, pfi_root), tuple(as_list(codes)))
                         for glob, codes in (pfi_source.get("per-file-ignores") or {}).items())
        job = Job(settings, self.mode, unsafe=bool(values.get("unsafe-fixes", False)), style=style,
                  cache_dir=self._cache_dir(table, root), cache=not values.get("no-cache", False))
        return Resolved(config, root, job, tuple(exclude), per_file, bool(values.get("force-exclude", False)),
                        respect_gitignore, fmt)


def _layer(values: Dict[str, Any]) -> Layer:
    def codes(name: str) -> Tuple[str, ...]:
        return tuple(code.upper() for code in as_list(values.get(name)))

    return Layer(select=codes("select") if values.get("select") is not None else None,
                 extend_select=codes("extend-select"), ignore=codes("ignore"))
