"""Output formats for the command (text, concise, json, json-lines, github, gitlab, junit, pylint, sarif),
plus --statistics and summaries. The machine formats copy ruff's shapes, so tools built for ruff read them."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Callable, Dict, List, Sequence, Tuple

from . import __version__
from .catalogue import FIX_NONE, FIX_SAFE, FIX_UNSAFE, RULES, Rule, rule
from .findings import Finding, fix_wanted

FORMATS = ("text", "concise", "json", "json-lines", "github", "gitlab", "junit", "pylint", "sarif")
#: Formats that print something (an empty list, a passing test) even when nothing was found.
ALWAYS_PRINTED = ("json", "sarif", "gitlab", "junit")
#: Formats --statistics can print in (ruff: the text formats, and json as a list of counts).
STATISTICS_FORMATS = ("text", "concise", "json")
HOMEPAGE = "https://github.com/flake8-mpproxy/flake8-mpproxy"
Located = Tuple[str, Finding]


def rule_url(entry: Rule) -> str:
    """The rule's section in docs/rules.md on GitHub (its heading is ``## MPP101 mutation-of-proxy-copy``)."""
    return f"{HOMEPAGE}/blob/main/docs/rules.md#{entry.code.lower()}-{entry.name}"


def render(fmt: str, located: Sequence[Located], show_fixes: bool = False, color: bool = False) -> str:
    if fmt in ("text", "concise"):
        return (text if fmt == "text" else concise)(located, show_fixes, color)
    formats: Dict[str, Callable[[Sequence[Located]], str]] = {
        "json": as_json, "json-lines": json_lines, "github": github, "gitlab": gitlab, "junit": junit,
        "pylint": pylint, "sarif": sarif}
    return formats[fmt](located)


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


def as_json(located: Sequence[Located]) -> str:
    return json.dumps([json_record(path, f) for path, f in located], indent=2)


def json_lines(located: Sequence[Located]) -> str:
    """ruff's json-lines: one compact JSON record (the json format's) per line."""
    return "\n".join(json.dumps(json_record(path, f), separators=(",", ":")) for path, f in located)


def pylint(located: Sequence[Located]) -> str:
    """ruff's (and pylint's parseable) format: ``path:line: [CODE] message``."""
    return "\n".join(f"{path}:{f.line}: [{f.code}] {f.message}" for path, f in located)


def gitlab(located: Sequence[Located]) -> str:
    """GitLab Code Quality report (ruff's shape): a JSON list with a stable, unique fingerprint per finding."""
    seen: Counter[str] = Counter()
    records = []
    for path, f in located:
        shown = path.replace("\\", "/")
        shown = shown[2:] if shown.startswith("./") else shown
        basis = f"{f.code}\0{shown}\0{f.message}"
        seen[basis] += 1  # the same finding twice in one file still needs two fingerprints
        records.append({
            "check_name": f.code,
            "description": f"{f.code}: {f.message}",
            "severity": "major",
            "fingerprint": hashlib.sha256(f"{basis}\0{seen[basis]}".encode()).hexdigest()[:16],
            "location": {"path": shown, "positions": {
                "begin": {"line": f.line, "column": f.col + 1},
                "end": {"line": f.end_line, "column": f.end_col + 1}}},
        })
    return json.dumps(records, indent=2)


def junit(located: Sequence[Located]) -> str:
    """JUnit XML as ruff writes it: one test suite per file, one failing test case per finding."""
    from xml.sax.saxutils import escape, quoteattr  # imports urllib.request: only when JUnit is asked for

    by_path: Dict[str, List[Finding]] = {}
    for path, f in located:
        by_path.setdefault(path, []).append(f)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="flake8-mpproxy" tests="{max(len(located), 1)}" skipped="0" '
           f'failures="{len(located)}" errors="0">']
    if not located:
        out += ['    <testsuite name="flake8-mpproxy" tests="1" skipped="0" errors="0" failures="0">',
                '        <testcase name="No errors found" classname="flake8-mpproxy"/>', '    </testsuite>']
    for path, findings in by_path.items():
        classname = path[:-3] if path.endswith(".py") else path
        out.append(f'    <testsuite name={quoteattr(path)} tests="{len(findings)}" skipped="0" errors="0" '
                   f'failures="{len(findings)}" package="org.flake8_mpproxy">')
        for f in findings:
            body = f"line {f.line}, col {f.col + 1}, {f.message}"
            out += [f'        <testcase name="org.flake8_mpproxy.{f.code}" classname={quoteattr(classname)} '
                    f'line="{f.line}" column="{f.col + 1}">',
                    f'            <failure message={quoteattr(f.message)}>{escape(body)}</failure>',
                    '        </testcase>']
        out.append("    </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out)


def github(located: Sequence[Located]) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per finding."""
    out = []
    for path, f in located:
        message = f"{f.code} {f.message}".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        if f.cell is not None:  # lines of a cell are not lines of the .ipynb file: a file-level annotation
            out.append(f"::error title=flake8-mpproxy ({f.code}),file={path}::{f.where}: {message}")
            continue
        out.append(f"::error title=flake8-mpproxy ({f.code}),file={path},line={f.line},col={f.col + 1},"
                   f"endLine={f.end_line},endColumn={f.end_col + 1}::{message}")
    return "\n".join(out)


def sarif(located: Sequence[Located]) -> str:
    """SARIF 2.1.0 for GitHub code scanning, with the rule metadata of the catalogue."""
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
    index = {r.code: i for i, r in enumerate(RULES)}
    results = [sarif_result(path, f, index[f.code]) for path, f in located]
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
