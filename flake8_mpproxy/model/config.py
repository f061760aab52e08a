"""Settings: which codes run and what the inference should know, as one frozen value."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Optional, Sequence, Tuple

from .catalogue import BY_CODE, DEFAULT_OFF, RULES
from .targets import clamp, lowest_admitted, nearest_pyproject, parse_target, running
from .mpapi import OLDEST_TARGET


@dataclass(frozen=True)
class Settings:
    """Everything that changes what the analysis reports.

    Selection follows flake8: the longest matching prefix decides between ``select``/``extend_select`` and
    ``ignore``; on a tie ignore wins (flake8's ``find_more_specific``, and ruff). A rule that is off by
    default (MPP301) runs only when a select prefix names it more closely
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
    #: Project mode: a file is analysed with the calls its importers make into it (``--no-project``: alone).
    project: bool = True
    #: The command's exclude globs (``exclude`` + ``extend-exclude``, anchored) and ``respect-gitignore``:
    #: the project scan leaves out what the command's walk would (empty: only VCS, cache and venv folders).
    project_exclude: Tuple[str, ...] = ()
    project_gitignore: bool = False
    #: The project of a file with no project marker above it (:func:`discovery.loose_root_for`; absolute; ""
    #: for none: such a file is checked alone). So ``main.py`` and ``workers.py`` side by side in a folder of
    #: scripts are one project.
    loose_root: str = ""

    def is_enabled(self, code: str) -> bool:
        chosen = (self.select or ("MPP",)) + self.extend_select
        best_select = _longest_prefix(code, chosen)
        if best_select < 0:
            return False
        if code in DEFAULT_OFF and not explicitly_selected(code, self.select + self.extend_select):
            return False
        return best_select > _longest_prefix(code, self.ignore) if self.ignore else True

    @classmethod
    def only(cls, codes: Iterable[str], manager_factories: Tuple[str, ...] = (),
             target_version: Tuple[int, int] = OLDEST_TARGET) -> "Settings":
        """Exactly ``codes`` (full codes outrank the ignored plugin prefix), as the command resolves them."""
        return cls(select=tuple(sorted(codes)), ignore=("MPP",), manager_factories=manager_factories,
                   target_version=target_version)

    def enabled_codes(self) -> FrozenSet[str]:
        return _enabled_codes(self)


@functools.lru_cache(maxsize=256)
def _enabled_codes(settings: Settings) -> FrozenSet[str]:
    """Asked once per checked file with one of a handful of settings: worth 5 % of a manager-heavy run."""
    return frozenset(rule.code for rule in RULES if settings.is_enabled(rule.code))


def explicitly_selected(code: str, prefixes: Sequence[str]) -> bool:
    """Named by a prefix longer than the plugin's own three letters."""
    return any(code.startswith(p) and len(p) > 3 for p in prefixes)


def _longest_prefix(code: str, prefixes: Tuple[str, ...]) -> int:
    """Length of the longest prefix of ``code`` in ``prefixes``; -1 when none matches."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


# --- [tool.flake8-mpproxy] in pyproject.toml ---------------------------------------------------------------

SECTION = "flake8-mpproxy"
CODE_LIST_KEYS = frozenset({"select", "ignore", "extend-select"})
LIST_KEYS = CODE_LIST_KEYS | {"exclude", "extend-exclude", "manager-factories"}
STRING_KEYS = frozenset({"fix-style", "output-format", "target-version", "cache-dir"})
BOOL_KEYS = frozenset({"unsafe-fixes", "force-exclude", "respect-gitignore", "no-cache", "no-project"})
TABLE_KEYS = frozenset({"per-file-ignores"})
CONFIG_KEYS = LIST_KEYS | STRING_KEYS | BOOL_KEYS | TABLE_KEYS


class ConfigError(Exception):
    """A configuration problem in ``source`` (a pyproject.toml path, or the option that carried it)."""

    def __init__(self, source: str, cause: str) -> None:
        super().__init__(f"{source}: error: {cause}")
        self.source = source
        self.cause = cause


def has_table(path: Path) -> bool:
    """Does ``path`` hold a ``[tool.flake8-mpproxy]`` table? (A pyproject without one must not hide one above
    it, as ruff skips a pyproject.toml without ``[tool.ruff]``.) Raises :class:`ConfigError` for bad TOML.
    A table spelled another way (``[tool.flake8_mpproxy]``) is not read, and a warning naming the file says so:
    skipping it silently would check the files with settings their author never chose."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    if "mpproxy" not in text.lower():  # cheap: most pyproject files never mention us
        return False
    tool = _tool_table(_parse(path, text))
    written = misspelled_table(tool)
    if written is not None:
        print(f"{path}: warning: [tool.{written}] is not read: the table is spelled [tool.{SECTION}]",
              file=sys.stderr)
    return SECTION in tool


def misspelled_table(tool: Dict[str, Any]) -> Optional[str]:
    """The name of a ``[tool.*]`` table that is surely meant to be ours but is not spelled ``flake8-mpproxy``:
    the same letters with other separators or case (``flake8_mpproxy``, ``flake8mpproxy``, ``Flake8-MPProxy``),
    or the dotted ``[tool.flake8.mpproxy]``. None when there is none."""
    for name in tool:
        if name != SECTION and _letters(name) == _letters(SECTION):
            return name
    nested = tool.get("flake8")
    return "flake8.mpproxy" if isinstance(nested, dict) and "mpproxy" in nested else None


def _letters(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _tool_table(document: Dict[str, Any]) -> Dict[str, Any]:
    tool = document.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def find_config(directory: Path, seen: Optional[Dict[Path, bool]] = None, first_only: bool = False) -> Optional[Path]:
    """The nearest ``pyproject.toml`` at or above ``directory`` that has a ``[tool.flake8-mpproxy]`` table;
    ``seen`` caches the answer per pyproject for one run (a walk asks about the same files many times);
    ``first_only``: look at ``directory`` alone."""
    seen = {} if seen is None else seen
    for folder in [directory] if first_only else [directory, *directory.parents]:
        candidate = folder / "pyproject.toml"
        if candidate not in seen:
            seen[candidate] = candidate.is_file() and has_table(candidate)
        if seen[candidate]:
            return candidate
    return None


def load_config(path: Path, required: bool = False) -> Dict[str, Any]:
    """The validated ``[tool.flake8-mpproxy]`` table of ``path`` (``{}`` when it has none). ``required``: the
    file was named with ``--config``, so it must have the table: without it the user's settings would be
    ignored without a word (a misspelled table is named in the error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    tool = _tool_table(_parse(path, text))
    if required and SECTION not in tool:
        written = misspelled_table(tool)
        hint = f"; [tool.{written}] is not read: the table is spelled [tool.{SECTION}]" if written else ""
        raise ConfigError(str(path), f"no [tool.{SECTION}] table (a --config file must have one){hint}")
    table = tool.get(SECTION, {})
    if not isinstance(table, dict):
        raise ConfigError(str(path), f"[tool.{SECTION}] must be a table")
    return validate(table, str(path))


def parse_override(text: str) -> Dict[str, Any]:
    """``--config "KEY = VALUE"``: one TOML assignment, validated like a pyproject key (ruff's form)."""
    try:
        table = _toml_loads(text)
    except ValueError as err:
        raise ConfigError("--config", f"{text!r} is neither a file nor a TOML `key = value` ({err})") from None
    return validate(table, "--config")


def validate(table: Dict[str, Any], source: str) -> Dict[str, Any]:
    """Check every key and value type; codes must name MPP rules. Returns ``table`` unchanged."""
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            known = ", ".join(sorted(CONFIG_KEYS))
            raise ConfigError(source, f"unknown key {key!r} in [tool.{SECTION}] (known: {known})")
        if key in BOOL_KEYS and not isinstance(value, bool):
            raise ConfigError(source, f"{key} must be true or false")
        if key in STRING_KEYS and not isinstance(value, str):
            raise ConfigError(source, f"{key} must be a string")
        if key in LIST_KEYS and not _strings(value):
            raise ConfigError(source, f"{key} must be a list of strings")
        if key in CODE_LIST_KEYS:
            check_codes(value, key, source)
        if key in TABLE_KEYS:
            if not isinstance(value, dict) or not all(_strings(codes) for codes in value.values()):
                raise ConfigError(source, f"{key} must be a table of glob = [codes]")
            for codes in value.values():
                check_codes(codes, key, source)
    return table


def check_codes(value: Any, key: str, source: str) -> None:
    items = [value] if isinstance(value, str) else value
    for item in items:
        for code in (c.strip() for c in item.split(",")):
            if code and not any(known.startswith(code.upper()) for known in BY_CODE):
                raise ConfigError(source, f"{key}: unknown code {code!r}")


def _strings(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _parse(path: Path, text: str) -> Dict[str, Any]:
    try:
        return _toml_loads(text)
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(str(path), f"invalid TOML: {err}") from None


def resolve_target_version(value: Optional[str], paths: Sequence[str], explicit: Optional[str] = None,
                           isolated: bool = False, source: str = "--target-version") -> Tuple[int, int]:
    """``--target-version`` / ``target-version`` when given; else the lowest Python that ``requires-python``
    of the ``--config`` file or the nearest ``pyproject.toml`` admits (as ruff reads it); else (and under
    ``--isolated``, which reads no file) the running one."""
    if value:
        try:
            return parse_target(value)
        except ValueError as err:
            raise ConfigError(source, str(err)) from None
    path = None if isolated else Path(explicit) if explicit else nearest_pyproject(paths)
    if path is None:
        return running()
    try:
        project = _toml_loads(path.read_text(encoding="utf-8")).get("project", {})
    except OSError as err:
        raise ConfigError(str(path), f"cannot read: {err.strerror}") from None
    except ValueError as err:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(str(path), f"invalid TOML: {err}") from None
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(requires, str):
        return running()
    try:
        return clamp(lowest_admitted(requires))
    except ValueError as err:
        raise ConfigError(str(path), str(err)) from None


def _toml_loads(text: str) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9 / 3.10
        import tomli as tomllib
    return tomllib.loads(text)
