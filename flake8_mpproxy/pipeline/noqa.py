"""``# noqa`` exactly as flake8 7 applies it, so the command and the flake8 plugin agree on every file.

Copied semantics (flake8 ``defaults.py``, ``processor.py``, ``violation.py``): the same inline regex, a
blanket ``# noqa``, codes matched by prefix, a comment anywhere in a multi-line logical line covering all its
lines, and a file-level ``# flake8: noqa`` at the start of a line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..model.findings import Finding
from ..model.source import SourceError

NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)
COMMA_SEPARATED = re.compile(r"[,\s]")


def filter_findings(text: str, findings: Tuple[Finding, ...]) -> Tuple[Finding, ...]:
    """Drop the findings that a ``# noqa`` comment of ``text`` suppresses."""
    if not findings or "noqa" not in text.lower():
        return findings
    lines = io.StringIO(text, newline=None).readlines()
    if any(NOQA_FILE.match(line) for line in lines):
        return ()
    mapping = logical_line_mapping(lines)
    return tuple(f for f in findings if not is_suppressed(f.code, noqa_line(lines, mapping, f.line)))


def is_suppressed(code: str, line: str) -> bool:
    match = NOQA_INLINE.search(line)
    if match is None:
        return False
    codes_text = match.group("codes")
    if codes_text is None:
        return True
    codes = {part.strip() for part in COMMA_SEPARATED.split(codes_text) if part.strip()}
    return code in codes or code.startswith(tuple(codes))


def noqa_line(lines: Sequence[str], mapping: Dict[int, str], line: int) -> str:
    if line in mapping:
        return mapping[line]
    return lines[line - 1] if 0 < line <= len(lines) else ""


def logical_line_mapping(lines: List[str]) -> Dict[int, str]:
    """Each line number -> the text of every physical line of its logical line (flake8's noqa mapping)."""
    mapping: Dict[int, str] = {}
    for number, (first, last) in line_layout(lines).ranges.items():
        if number == first:
            joined = "".join(lines[first - 1:last])
            for covered in range(first, last + 1):
                mapping[covered] = joined
    return mapping


@dataclass(frozen=True)
class LineLayout:
    """What the tokenizer says about the lines of a file, for noqa: where each line's noqa range (flake8's
    "logical line" for noqa: the lines between two NL/NEWLINE tokens) starts and ends, and where comments are
    (a ``# noqa`` inside a string also counts for flake8, but only a comment can be edited)."""

    #: line -> (first, last) line of the range its noqa comment is looked for in (lines not in it: themselves)
    ranges: Dict[int, Tuple[int, int]]
    #: line -> column of the comment on it
    comments: Dict[int, int]
    #: the tokenizer failed: no ranges and no comments are known
    failed: bool = False


def line_layout(lines: List[str]) -> LineLayout:
    """Tokenize once: the noqa range of every line and the column of every comment."""
    ranges: Dict[int, Tuple[int, int]] = {}
    comments: Dict[int, int] = {}
    try:
        tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    except (tokenize.TokenError, SyntaxError):
        return LineLayout({}, {}, failed=True)
    first: Optional[int] = None
    last = -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.start[1]
        first = token.start[0] if first is None else min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            for number in range(first, last + 1):
                ranges[number] = (first, last)
            first, last = None, -1
    return LineLayout(ranges, comments)


# --- --add-noqa: a directive on every line with a finding, where filter_findings will honour it ---------------

#: One physical line with its line ending (``\n``, ``\r\n`` or ``\r``: the lines ``ast`` and noqa count).
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class Added:
    """What :func:`add_directives` did to a text: the new text, how many lines got or extended a directive
    (ruff counts these), and ``(line, why)`` for each line that could not take one (the caller words the
    warning: a notebook names the cell)."""

    text: str
    count: int
    skipped: Tuple[Tuple[int, str], ...] = ()


def add_directives(text: str, findings: Sequence[Finding]) -> Added:
    """Add ``# noqa: CODE`` for each finding, as ``ruff --add-noqa`` does, so that :func:`filter_findings`
    (and flake8, whose matching it copies) suppresses exactly these findings afterwards.

    The directive goes on the last line of the finding's noqa range: for a statement continued by a
    multi-line string or a backslash that is the only line that can hold a comment, and flake8 reads the whole
    range. A line without a directive gets ``  # noqa: CODES`` at its end (after a comment already there, as
    ruff does); a line whose comment has ``# noqa: CODES`` gets the new codes merged in (sorted, as ruff), the
    rest of the comment kept. Idempotent: a finding already suppressed is not in ``findings``.

    Refused (reported in ``skipped``, text unchanged there): a range whose first ``# noqa`` is inside a string
    (flake8 would read that one, whatever we add). Raises :class:`SourceError` if the result would not parse to
    the same tree: only comments may change.
    """
    if not findings:
        return Added(text, 0)
    original = _LINE_WITH_END.findall(text)
    universal = io.StringIO(text, newline=None).readlines()
    layout = line_layout(universal)
    wanted: Dict[int, Set[str]] = {}
    for finding in findings:
        target = layout.ranges.get(finding.line, (finding.line, finding.line))[1]
        if 0 < target <= len(original):
            wanted.setdefault(target, set()).add(finding.code)
    edited = list(original)
    skipped: List[Tuple[int, str]] = []
    for target, codes in sorted(wanted.items()):
        first = layout.ranges.get(target, (target, target))[0]
        line, why = _with_directive(original[target - 1], codes, "".join(universal[first - 1:target]),
                                    target - first, layout.comments.get(target), layout.failed)
        if why is not None:
            skipped.append((target, why))
        else:
            edited[target - 1] = line
    new_text = "".join(edited)
    _check_only_comments_changed(text, new_text)
    count = sum(1 for old, new in zip(original, edited) if old != new)
    return Added(new_text, count, tuple(skipped))


def _with_directive(line: str, codes: Set[str], joined: str, offset_rows: int, comment: Optional[int],
                    unknown: bool) -> Tuple[str, Optional[str]]:
    """``line`` (with its ending) carrying a directive for ``codes``, or why it cannot. ``joined`` is the
    text of the whole noqa range up to this line (its last), ``offset_rows`` the number of lines before this
    one in it, ``comment`` the column of this line's comment (None: none)."""
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    match = NOQA_INLINE.search(joined)
    if match is None:
        return f"{body.rstrip()}  # noqa: {', '.join(sorted(codes))}{ending}", None
    row = joined.count("\n", 0, match.start())
    column = match.start() - (joined.rfind("\n", 0, match.start()) + 1)
    if unknown or row != offset_rows or comment is None or column < comment:
        return line, "the first '# noqa' of its statement is inside a string, and flake8 reads that one"
    found = NOQA_INLINE.match(body, column)
    if found is None or found.group("codes") is None:  # pragma: no cover - a blanket noqa suppresses everything
        return line, None
    return _merged(body, found, codes) + ending, None


def _merged(body: str, found: "re.Match[str]", codes: Set[str]) -> str:
    """``body`` with the codes of its directive ``found`` and ``codes`` (ruff: sorted, ``, ``-separated, the
    directive two spaces after the code), keeping what follows the codes (a reason, another comment)."""
    codes_text = found.group("codes")
    existing = [part for part in COMMA_SEPARATED.split(codes_text) if part]
    merged = sorted(set(existing) | codes)
    prefix = body[:found.start()].rstrip()
    rest = body[found.end():]
    separator = (codes_text[len(codes_text.rstrip()):] or " ") if rest else ""
    return f"{prefix}{'  ' if prefix else ''}# noqa: {', '.join(merged)}{separator}{rest}"


def _check_only_comments_changed(old: str, new: str) -> None:
    """The edit must leave the program as it was: the same tree (comments are not in it). A comment written
    into a string by mistake would change a constant; never write that."""
    if old == new:
        return
    try:
        same = ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if not same:
        raise SourceError("adding noqa comments would change the code; file left as is")
