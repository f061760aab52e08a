"""Output formats for the command (text, concise, json, json-lines, github, gitlab, junit, pylint, sarif),
plus --statistics and summaries. The machine formats copy ruff's shapes, so tools built for ruff read them."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .. import __version__
from ..model.catalogue import FIX_NONE, FIX_SAFE, FIX_UNSAFE, RULES, Rule, rule
from ..model.findings import Finding, fix_wanted
from ..model.source import INTERNAL_ERROR, INVALID_SYNTAX, IO_ERROR, Problem

#: Formats that print something (an empty list, a passing test) even when nothing was found.
ALWAYS_PRINTED = ("json", "sarif", "gitlab", "junit")
#: Formats --statistics can print in (ruff: the text formats, and json as a list of counts).
STATISTICS_FORMATS = ("text", "concise", "json")
HOMEPAGE = "https://github.com/flake8-mpproxy/flake8-mpproxy"
Located = Tuple[str, Finding]

#: A configuration file that could not be used: the files under it were not checked.
INVALID_CONFIGURATION = "invalid-configuration"
#: What each kind of :class:`FileError` means, for SARIF's rule metadata (they are not rules of the catalogue).
ERROR_KINDS = {
    INVALID_SYNTAX: "The file does not parse (or is nested too deep to parse or analyse); it was not checked.",
    IO_ERROR: "The file could not be read, decoded or loaded as a notebook; it was not checked.",
    INVALID_CONFIGURATION: "A configuration file could not be used; the files it governs were not checked.",
    INTERNAL_ERROR: "flake8-mpproxy failed on the file (a bug: please report it); it was not checked.",
}


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked, as the machine formats show it. stderr's ``path: error: cause`` alone
    left them with zero results for a run that checked nothing; ruff reports a syntax error as a diagnostic
    without a rule code, named ``invalid-syntax`` (an unreadable file: ``io-error``), and so do these formats:
    ``code`` null in JSON, the kind where a format needs a name. Not a rule of the catalogue: nothing to
    select, ignore or ``# noqa`` (a file that does not parse can hold no finding)."""

    path: str
    message: str
    problem: Problem

    @property
    def kind(self) -> str:
        return self.problem.kind

    @property
    def line(self) -> int:
        """The line to report where a format needs one (1 when unknown, as ruff reports an I/O error)."""
        return self.problem.line or 1

    @property
    def column(self) -> int:
        return self.problem.column or 1

    @property
    def end(self) -> Tuple[int, int]:
        """(end line, end column): the start when the end is not known."""
        if self.problem.end_line is None or self.problem.end_column is None:
            return self.line, self.column
        return self.problem.end_line, self.problem.end_column

    @property
    def where(self) -> str:
        """``line:col`` (``cell N:line:col`` in a notebook), "" when the position is not known."""
        cell = "" if self.problem.cell is None else f"cell {self.problem.cell}:"
        if self.problem.line is None:
            return cell.rstrip(":")
        return f"{cell}{self.problem.line}:{self.column}"

    @property
    def in_file(self) -> bool:
        """Is the position a line of the file itself (not unknown, not a notebook cell's)?"""
        return self.problem.line is not None and self.problem.cell is None


Entry = Union[Located, FileError]


def in_order(located: Sequence[Located], errors: Sequence[FileError]) -> List[Entry]:
    """Findings and file errors together, by path (a file's error before its findings, which only a fix that
    could not be written leaves beside one), each path's findings in their order."""
    entries: List[Tuple[str, int, Entry]] = [(e.path, 0, e) for e in errors]
    entries += [(path, 1, (path, f)) for path, f in located]
    return [entry for _, _, entry in sorted(entries, key=lambda item: (item[0], item[1]))]


def rule_url(entry: Rule) -> str:
    """The rule's section in docs/rules.md on GitHub (its heading is ``## MPP101 mutation-of-proxy-copy``)."""
    return f"{HOMEPAGE}/blob/main/docs/rules.md#{entry.code.lower()}-{entry.name}"


def render(fmt: str, located: Sequence[Located], show_fixes: bool = False, color: bool = False,
           errors: Sequence[FileError] = ()) -> str:
    """The report in ``fmt``. ``errors`` go into the machine formats; the text formats leave them to the
    ``path: error: cause`` lines on stderr."""
    if fmt in ("text", "concise"):
        return (text if fmt == "text" else concise)(located, show_fixes, color)
    formats: Dict[str, Callable[[Sequence[Entry]], str]] = {
        "json": as_json, "json-lines": json_lines, "github": github, "gitlab": gitlab, "junit": junit,
        "pylint": pylint, "sarif": sarif}
    return formats[fmt](in_order(located, errors))


def _paint(value: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{value}\x1b[0m" if color else value


def _where(path: str, f: Finding, color: bool) -> str:
    return f"{_paint(path, '1', color)}:{f.where}: {_paint(f.code, '1;31', color)}"


def text(located: Sequence[Located], show_fixes: bool = False, color: bool = False) -> str:
    """flake8's format: ``path:line:col: CODE message`` (1-based column); path bold, code red on a terminal."""
    lines = []
    for path, f in located:
        mark = f" [{f.applicability} fix]" if show_fixes and f.fixable else ""
        lines.append(f"{_where(path, f, color)}{mark} {f.message}")
    return "\n".join(lines)


def concise(located: Sequence[Located], show_fixes: bool = False, color: bool = False) -> str:
    """One short line per finding: the message up to its first sentence."""
    return "\n".join(f"{_where(path, f, color)} {f.message.split('; ')[0]}" for path, f in located)


def json_record(path: str, f: Finding) -> Dict[str, Any]:
    entry = rule(f.code)
    return {
        "code": f.code,
        "name": entry.name,
        "message": f.message,
        "filename": path,
        "cell": f.cell,  # as ruff: the notebook cell (1-based), rows counted in the cell; null outside notebooks
        "location": {"row": f.line, "column": f.col + 1},
        "end_location": {"row": f.end_line, "column": f.end_col + 1},
        "noqa_row": f.line,
        "fix": None if f.applicability == FIX_NONE else {
            "applicability": f.applicability, "form": f.form, "message": entry.fix_title},
        "fix_applicability": f.applicability,
        "url": rule_url(entry),
    }


def error_record(e: FileError) -> Dict[str, Any]:
    """A file error in the json record's shape, as ruff writes a syntax error: no code, no fix, no url, no
    noqa row; ``name`` says what kind of error it is."""
    end_line, end_column = e.end
    return {
        "code": None,
        "name": e.kind,
        "message": e.message,
        "filename": e.path,
        "cell": e.problem.cell,
        "location": {"row": e.line, "column": e.column},
        "end_location": {"row": end_line, "column": end_column},
        "noqa_row": None,
        "fix": None,
        "fix_applicability": FIX_NONE,
        "url": None,
    }


def record(entry: Entry) -> Dict[str, Any]:
    return error_record(entry) if isinstance(entry, FileError) else json_record(*entry)


def as_json(entries: Sequence[Entry]) -> str:
    return json.dumps([record(entry) for entry in entries], indent=2)


def json_lines(entries: Sequence[Entry]) -> str:
    """ruff's json-lines: one compact JSON record (the json format's) per line."""
    return "\n".join(json.dumps(record(entry), separators=(",", ":")) for entry in entries)


def pylint(entries: Sequence[Entry]) -> str:
    """ruff's (and pylint's parseable) format: ``path:line: [CODE] message`` (a file error: ``[kind]``)."""
    return "\n".join(f"{e.path}:{e.line}: [{e.kind}] {e.message}" if isinstance(e, FileError) else
                     f"{e[0]}:{e[1].line}: [{e[1].code}] {e[1].message}" for e in entries)


def gitlab(entries: Sequence[Entry]) -> str:
    """GitLab Code Quality report (ruff's shape): a JSON list with a stable, unique fingerprint per finding
    (a file error's ``check_name`` is its kind, as ruff names a syntax error ``invalid-syntax``)."""
    seen: Counter[str] = Counter()
    records = []
    for entry in entries:
        path, name, message, begin, end = gitlab_fields(entry)
        shown = path.replace("\\", "/")
        shown = shown[2:] if shown.startswith("./") else shown
        basis = f"{name}\0{shown}\0{message}"
        seen[basis] += 1  # the same finding twice in one file still needs two fingerprints
        records.append({
            "check_name": name,
            "description": f"{name}: {message}",
            "severity": "major",
            "fingerprint": hashlib.sha256(f"{basis}\0{seen[basis]}".encode()).hexdigest()[:16],
            "location": {"path": shown, "positions": {
                "begin": {"line": begin[0], "column": begin[1]},
                "end": {"line": end[0], "column": end[1]}}},
        })
    return json.dumps(records, indent=2)


def gitlab_fields(entry: Entry) -> Tuple[str, str, str, Tuple[int, int], Tuple[int, int]]:
    """(path, check name, message, begin, end) of a finding or a file error."""
    if isinstance(entry, FileError):
        return entry.path, entry.kind, entry.message, (entry.line, entry.column), entry.end
    path, f = entry
    return path, f.code, f.message, (f.line, f.col + 1), (f.end_line, f.end_col + 1)


def junit(entries: Sequence[Entry]) -> str:
    """JUnit XML as ruff writes it: one test suite per file, one failing test case per finding (and per file
    error, named by its kind)."""
    from xml.sax.saxutils import escape, quoteattr  # imports urllib.request: only when JUnit is asked for

    by_path: Dict[str, List[Tuple[str, int, int, str]]] = {}
    for entry in entries:
        if isinstance(entry, FileError):
            by_path.setdefault(entry.path, []).append((entry.kind, entry.line, entry.column, entry.message))
        else:
            path, f = entry
            by_path.setdefault(path, []).append((f.code, f.line, f.col + 1, f.message))
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="flake8-mpproxy" tests="{max(len(entries), 1)}" skipped="0" '
           f'failures="{len(entries)}" errors="0">']
    if not entries:
        out += ['    <testsuite name="flake8-mpproxy" tests="1" skipped="0" errors="0" failures="0">',
                '        <testcase name="No errors found" classname="flake8-mpproxy"/>', '    </testsuite>']
    for path, cases in by_path.items():
        classname = path[:-3] if path.endswith(".py") else path
        out.append(f'    <testsuite name={quoteattr(path)} tests="{len(cases)}" skipped="0" errors="0" '
                   f'failures="{len(cases)}" package="org.flake8_mpproxy">')
        for name, line, column, message in cases:
            body = f"line {line}, col {column}, {message}"
            out += [f'        <testcase name="org.flake8_mpproxy.{name}" classname={quoteattr(classname)} '
                    f'line="{line}" column="{column}">',
                    f'            <failure message={quoteattr(message)}>{escape(body)}</failure>',
                    '        </testcase>']
        out.append("    </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out)


def escape_data(value: str) -> str:
    """A workflow command's message, escaped as GitHub's runner unescapes it (``%``, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value (``file=``, ``title=``): the data escapes plus ``:`` and ``,``,
    which would otherwise end the value (a path such as ``C:\\src\\a,b.py``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(entries: Sequence[Entry]) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per finding or file error. A position that
    is no line of the file (a notebook cell's, or none known) makes a file-level annotation, the position put
    before the message."""
    return "\n".join(github_annotation(*github_fields(entry)) for entry in entries)


def github_fields(entry: Entry) -> Tuple[str, str, str, str, Optional[Tuple[int, int, int, int]]]:
    """(path, name for the title, message, ``where`` text, the span when it is one of the file's lines)."""
    if isinstance(entry, FileError):
        span = (entry.line, entry.column, *entry.end) if entry.in_file else None
        return entry.path, entry.kind, entry.message, entry.where, span
    path, f = entry
    span = (f.line, f.col + 1, f.end_line, f.end_col + 1) if f.cell is None else None
    return path, f.code, f"{f.code} {f.message}", f.where, span


def github_annotation(path: str, name: str, message: str, where: str,
                      span: Optional[Tuple[int, int, int, int]]) -> str:
    head = f"::error title={escape_property(f'flake8-mpproxy ({name})')},file={escape_property(path)}"
    if span is None:
        prefix = f"{where}: " if where else ""
        return f"{head}::{escape_data(prefix + message)}"
    line, col, end_line, end_col = span
    return f"{head},line={line},col={col},endLine={end_line},endColumn={end_col}::{escape_data(message)}"


def sarif(entries: Sequence[Entry]) -> str:
    """SARIF 2.1.0 for GitHub code scanning, with the rule metadata of the catalogue, followed by a descriptor
    for each kind of file error in the run (a result needs a ``ruleId`` for code scanning; ruff writes null,
    which the schema refuses)."""
    rules = [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.why},
        "help": {"text": f"{r.why}\n\nExample:\n{r.bad}\nUse instead:\n{r.good}",
                 "markdown": f"{r.why}\n\nExample:\n```python\n{r.bad}```\nUse instead:\n```python\n{r.good}```"},
        "helpUri": rule_url(r),
        "defaultConfiguration": {"level": "error" if r.default_on else "warning"},
        "properties": {"fix": r.fix},
    } for r in RULES]
    kinds = [kind for kind in ERROR_KINDS if any(isinstance(e, FileError) and e.kind == kind for e in entries)]
    rules += [{"id": kind, "name": kind, "shortDescription": {"text": ERROR_KINDS[kind]},
               "defaultConfiguration": {"level": "error"}} for kind in kinds]
    index = {r.code: i for i, r in enumerate(RULES)}
    index.update({kind: len(RULES) + i for i, kind in enumerate(kinds)})
    results = [sarif_error(e, index[e.kind]) if isinstance(e, FileError) else sarif_result(*e, index[e[1].code])
               for e in entries]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "flake8-mpproxy", "version": __version__,
                                      "informationUri": HOMEPAGE,
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(log, indent=2)


def sarif_result(path: str, f: Finding, rule_index: int) -> Dict[str, Any]:
    """One result. A notebook finding has no region (cell lines are not lines of the .ipynb file): its cell
    and position go into the message, a logical location ``cell N`` and the result's properties."""
    location: Dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": path.replace("\\", "/")}}}
    result: Dict[str, Any] = {"ruleId": f.code, "ruleIndex": rule_index, "level": "error",
                              "message": {"text": f.message}, "locations": [location]}
    if f.cell is None:
        location["physicalLocation"]["region"] = {"startLine": f.line, "startColumn": f.col + 1,
                                                  "endLine": f.end_line, "endColumn": f.end_col + 1}
        return result
    result["message"] = {"text": f"{f.where}: {f.message}"}
    location["logicalLocations"] = [{"name": f"cell {f.cell}", "kind": "module"}]
    result["properties"] = {"cell": f.cell, "line": f.line, "column": f.col + 1,
                            "endLine": f.end_line, "endColumn": f.end_col + 1}
    return result


def sarif_error(e: FileError, rule_index: int) -> Dict[str, Any]:
    """A file error as a result: a region where its position is a line of the file; in a notebook cell the
    message carries the position, as a finding's does."""
    location: Dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": e.path.replace("\\", "/")}}}
    result: Dict[str, Any] = {"ruleId": e.kind, "ruleIndex": rule_index, "level": "error",
                              "message": {"text": e.message}, "locations": [location]}
    if e.in_file:
        end_line, end_column = e.end
        location["physicalLocation"]["region"] = {"startLine": e.line, "startColumn": e.column,
                                                  "endLine": end_line, "endColumn": end_column}
    elif e.problem.cell is not None:
        result["message"] = {"text": f"{e.where}: {e.message}"}
        location["logicalLocations"] = [{"name": f"cell {e.problem.cell}", "kind": "module"}]
    return result


def applies(f: Finding, unsafe: bool) -> bool:
    """Would ``--fix`` apply this finding's fix? (ruff's ``[*]``: safe fixes, unsafe ones only with
    ``--unsafe-fixes``.)"""
    return f.applicability == FIX_SAFE or (unsafe and f.applicability == FIX_UNSAFE)


def statistics_counts(located: Sequence[Located], unsafe: bool = False) -> List[Dict[str, Any]]:
    """One record per code, most frequent first: ``code``, ``name``, ``count``, ``fixable``, ``fixable_count``."""
    counts = Counter(f.code for _, f in located)
    fixable = Counter(f.code for _, f in located if applies(f, unsafe))
    return [{"code": code, "name": rule(code).name, "count": count, "fixable": fixable[code] > 0,
             "fixable_count": fixable[code]}
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def statistics(located: Sequence[Located], fmt: str = "text", unsafe: bool = False) -> str:
    """ruff's layouts: ``count<TAB>code<TAB>[*] name`` rows (``[*]``: ``--fix`` would fix some of them), or
    for json a JSON list of :func:`statistics_counts` records (valid JSON, nothing else on stdout)."""
    counts = statistics_counts(located, unsafe)
    if fmt == "json":
        return json.dumps(counts, indent=2)
    return "\n".join(f"{c['count']}\t{c['code']}\t{'[*]' if c['fixable'] else '[ ]'} {c['name']}" for c in counts)


def summary(located: Sequence[Located], fixed: int, files_fixed: int, mode: str, unsafe_on: bool = False,
            style: str = "reassign") -> str:
    """``Found N findings (M fixable with --fix, K more with --fix --unsafe-fixes).`` The hints count only
    fixes that would be tried with these settings: none for unsafe fixes once ``--unsafe-fixes`` is on, and
    none after ``--fix`` (what is left, ``--fix`` could not fix)."""
    safe = sum(1 for _, f in located if fix_wanted(f, unsafe_on, style))
    unsafe = 0 if unsafe_on else sum(1 for _, f in located if f.applicability == "unsafe")
    parts: List[str] = []
    if mode == "fix":
        parts.append(f"Fixed {fixed} finding{'s' * (fixed != 1)} in {files_fixed} file{'s' * (files_fixed != 1)}; "
                     f"{len(located)} remain{'s' * (len(located) == 1)}")
    elif mode == "diff":
        parts.append(f"Would fix {fixed} finding{'s' * (fixed != 1)} in {files_fixed} file"
                     f"{'s' * (files_fixed != 1)}")
    else:
        parts.append(f"Found {len(located)} finding{'s' * (len(located) != 1)}")
    hints = []
    if safe and mode == "check":
        hints.append(f"{safe} fixable with --fix")
    if unsafe and mode != "fix":
        hints.append(f"{unsafe} more with --fix --unsafe-fixes")
    elif unsafe and mode == "fix":
        hints.append(f"{unsafe} with --unsafe-fixes")
    return parts[0] + (f" ({', '.join(hints)})" if hints else "") + "."
