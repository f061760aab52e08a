"""Settings: which codes run and what the inference should know, as one frozen value."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from .catalogue import DEFAULT_OFF, RULES
from .targets import clamp, lowest_admitted, nearest_pyproject, parse_target, running
from .values import OLDEST_TARGET


@dataclass(frozen=True)
class Settings:
    """Everything that changes what the analysis reports.

    Selection follows flake8: the longest matching prefix decides between ``select``/``extend_select`` and
    ``ignore``. A rule that is off by default (MPP301) runs only when a select prefix names it more closely
    than the plugin prefix (``MPP3``, ``MPP301``; not ``MPP``), as bugbear treats its opinionated B9 codes.
    """

    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    manager_factories: Tuple[str, ...] = ()
    #: The oldest Python the checked code must run on; version-dependent rules (MPP107) ask it. The command
    #: and the plugin resolve it (:func:`resolve_target_version`); a bare ``Settings()`` assumes the oldest
    #: supported one, so that library callers get the same findings on every interpreter.
    target_version: Tuple[int, int] = OLDEST_TARGET

    def is_enabled(self, code: str) -> bool:
        chosen = (self.select or ("MPP",)) + self.extend_select
        best_select = _longest_prefix(code, chosen)
        if best_select < 0:
            return False
        if code in DEFAULT_OFF and not explicitly_selected(code, self.select + self.extend_select):
            return False
        return best_select >= _longest_prefix(code, self.ignore) if self.ignore else True

    def enabled_codes(self) -> frozenset:
        return frozenset(rule.code for rule in RULES if self.is_enabled(rule.code))


def explicitly_selected(code: str, prefixes: Sequence[str]) -> bool:
    """Named by a prefix longer than the plugin's own three letters."""
    return any(code.startswith(p) and len(p) > 3 for p in prefixes)


def _longest_prefix(code: str, prefixes: Tuple[str, ...]) -> int:
    """Length of the longest prefix of ``code`` in ``prefixes``; -1 when none matches."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


# --- [tool.flake8-mpproxy] in pyproject.toml ---------------------------------------------------------------

SECTION = "flake8-mpproxy"
CONFIG_KEYS = frozenset({"select", "ignore", "extend-select", "exclude", "extend-exclude", "fix-style",
                         "unsafe-fixes", "manager-factories", "output-format",
                         "target-version"})


class ConfigError(Exception):
    """A configuration problem; ``str(err)`` names the file and the key."""


def find_config(paths: Sequence[str]) -> Optional[Path]:
    """The nearest ``pyproject.toml`` with a ``[tool.flake8-mpproxy]`` table, above the first checked path."""
    start = Path(paths[0] if paths and paths[0] != "-" else ".").resolve()
    directory = start if start.is_dir() else start.parent
    for folder in [directory, *directory.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "flake8-mpproxy" in candidate.read_text(encoding="utf-8", errors="replace"):
            return candidate
    return None


def load_config(paths: Sequence[str], explicit: Optional[str] = None) -> Dict[str, Any]:
    """The ``[tool.flake8-mpproxy]`` table, validated; ``{}`` when there is none."""
    path = Path(explicit) if explicit else find_config(paths)
    if path is None:
        return {}
    try:
        data = _toml_loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    table = data.get("tool", {}).get(SECTION, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{SECTION}] must be a table")
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.{SECTION}] "
                              f"(known: {', '.join(sorted(CONFIG_KEYS))})")
        if key == "unsafe-fixes" and not isinstance(value, bool):
            raise ConfigError(f"{path}: {key} must be true or false")
        if key in ("fix-style", "output-format", "target-version") and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string")
        if key not in ("unsafe-fixes", "fix-style", "output-format", "target-version") and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)) and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a list of strings")
    return table


def resolve_target_version(value: Optional[str], paths: Sequence[str], explicit: Optional[str] = None,
                           isolated: bool = False) -> Tuple[int, int]:
    """``--target-version`` / ``target-version`` when given; else the lowest Python that ``requires-python``
    of the ``--config`` file or the nearest ``pyproject.toml`` admits (as ruff reads it); else (and under
    ``--isolated``, which reads no file) the running one."""
    if value:
        try:
            return parse_target(value)
        except ValueError as err:
            raise ConfigError(f"target-version: {err}") from None
    path = None if isolated else Path(explicit) if explicit else nearest_pyproject(paths)
    if path is None:
        return running()
    try:
        project = _toml_loads(path.read_text(encoding="utf-8")).get("project", {})
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(requires, str):
        return running()
    try:
        return clamp(lowest_admitted(requires))
    except ValueError as err:
        raise ConfigError(f"{path}: {err}") from None


def _toml_loads(text: str) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9 / 3.10
        import tomli as tomllib
    return tomllib.loads(text)
