"""Output formats for the command: text, concise, json, github and sarif, plus --statistics and summaries."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Dict, List, Sequence, Tuple

from . import __version__
from .catalogue import FIX_NONE, RULES, rule
from .findings import Finding

FORMATS = ("text", "concise", "json", "github", "sarif")
Located = Tuple[str, Finding]


def render(fmt: str, located: Sequence[Located], show_fixes: bool = False) -> str:
    return {"text": text, "concise": concise, "json": as_json, "github": github, "sarif": sarif}[fmt](
        located, show_fixes)


def text(located: Sequence[Located], show_fixes: bool = False) -> str:
    """flake8's format: ``path:line:col: CODE message`` (1-based column)."""
    lines = []
    for path, f in located:
        mark = f" [{f.applicability} fix]" if show_fixes and f.fixable else ""
        lines.append(f"{path}:{f.where}: {f.code}{mark} {f.message}")
    return "\n".join(lines)


def concise(located: Sequence[Located], show_fixes: bool = False) -> str:
    """One short line per finding: the message up to its first sentence."""
    return "\n".join(f"{path}:{f.where}: {f.code} {f.message.split('; ')[0]}" for path, f in located)


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
        "url": None,
    }


def as_json(located: Sequence[Located], show_fixes: bool = False) -> str:
    return json.dumps([json_record(path, f) for path, f in located], indent=2)


def github(located: Sequence[Located], show_fixes: bool = False) -> str:
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


def sarif(located: Sequence[Located], show_fixes: bool = False) -> str:
    """SARIF 2.1.0 for GitHub code scanning, with the rule metadata of the catalogue."""
    rules = [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.why},
        "help": {"text": f"{r.why}\n\nExample:\n{r.bad}\nUse instead:\n{r.good}",
                 "markdown": f"{r.why}\n\nExample:\n```python\n{r.bad}```\nUse instead:\n```python\n{r.good}```"},
        "defaultConfiguration": {"level": "error" if r.default_on else "warning"},
        "properties": {"fix": r.fix},
    } for r in RULES]
    index = {r.code: i for i, r in enumerate(RULES)}
    results = [sarif_result(path, f, index[f.code]) for path, f in located]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "flake8-mpproxy", "version": __version__,
                                      "informationUri": "https://pypi.org/project/flake8-mpproxy/",
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


def statistics(located: Sequence[Located]) -> str:
    """ruff's layout: ``count<TAB>code<TAB>[*] or [ ]<TAB>name``, most frequent first."""
    counts = Counter(f.code for _, f in located)
    fixable = {f.code for _, f in located if f.fixable}
    rows = [f"{count}\t{code}\t{'[*]' if code in fixable else '[ ]'}\t{rule(code).name}"
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return "\n".join(rows)


def summary(located: Sequence[Located], fixed: int, files_fixed: int, mode: str) -> str:
    safe = sum(1 for _, f in located if f.applicability == "safe")
    unsafe = sum(1 for _, f in located if f.applicability == "unsafe")
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
    if unsafe:
        hints.append(f"{unsafe} more with --fix --unsafe-fixes")
    return parts[0] + (f" ({', '.join(hints)})" if hints else "") + "."
