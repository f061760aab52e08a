"""``# noqa`` exactly as flake8 7 applies it, so the command and the flake8 plugin agree on every file.

Copied semantics (flake8 ``defaults.py``, ``processor.py``, ``violation.py``): the same inline regex, a
blanket ``# noqa``, codes matched by prefix, a comment anywhere in a multi-line logical line covering all its
lines, and a file-level ``# flake8: noqa`` at the start of a line.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, List, Optional, Sequence, Tuple

from .findings import Finding

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
    try:
        tokens = list(tokenize.generate_tokens(iter(lines).__next__))
    except (tokenize.TokenError, SyntaxError):
        return mapping
    first: Optional[int] = None
    last = -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = token.start[0] if first is None else min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[first - 1:last])
            for number in range(first, last + 1):
                mapping[number] = joined
            first, last = None, -1
    return mapping
