"""Positions and edits in the editor's terms: LSP lines and columns in the negotiated encoding's code units.

Findings count lines from 1 and columns in characters (code points, :func:`analysis.to_character_columns`),
on lines split at ``\\n``, ``\\r\\n`` and ``\\r`` only, which is also how LSP splits them. An editor counts
columns in UTF-16 code units unless it negotiated UTF-8 or UTF-32 (LSP 3.17 ``positionEncoding``): a line with
an emoji before the finding is one column longer in UTF-16 than in characters, and a line with ``é`` one
byte longer in UTF-8. Nothing here imports pygls, so it is tested without a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Sequence, Tuple

UTF8 = "utf-8"
UTF32 = "utf-32"

#: One line with its ending (``\n``, ``\r\n`` or ``\r``), as LSP and ``ast`` count lines; the last may lack one.
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> List[str]:
    """The lines of ``text`` with their endings (``str.splitlines`` would also split at form feeds and
    U+2028, which neither LSP nor ``ast`` counts as line breaks)."""
    return _LINE_WITH_END.findall(text)


def line_bodies(text: str) -> List[str]:
    """The lines of ``text`` without their endings; a text ending with a line break has an empty last line,
    as an editor shows it."""
    return re.split(r"\r\n|\r|\n", text)


def units(text: str, encoding: str) -> int:
    """How many code units ``text`` takes in ``encoding`` (an LSP position encoding)."""
    if text.isascii() or encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def column_in_units(line: str, column: int, encoding: str) -> int:
    """Character column ``column`` of ``line`` as a column in ``encoding``'s code units (clamped to the line)."""
    return units(line[:max(0, column)], encoding)


def column_in_characters(line: str, column: int, encoding: str) -> int:
    """The inverse of :func:`column_in_units`: a client's column on ``line`` as a character column (a column
    inside a character, or past the end, snaps to the character that holds it, or to the end)."""
    if line.isascii() or encoding == UTF32:
        return min(max(0, column), len(line))
    counted = 0
    for index, char in enumerate(line):
        if counted >= column:
            return index
        counted += units(char, encoding)
    return len(line)


@dataclass(frozen=True)
class Span:
    """A range in the editor's terms: 0-based lines, columns in code units, end exclusive."""

    start: Tuple[int, int]
    end: Tuple[int, int]


def span(lines: Sequence[str], line: int, col: int, end_line: int, end_col: int, encoding: str) -> Span:
    """A finding's 1-based lines and character columns on ``lines`` (:func:`line_bodies`) as a :class:`Span`."""
    def point(number: int, column: int) -> Tuple[int, int]:
        index = min(max(number - 1, 0), max(len(lines) - 1, 0))
        text = lines[index] if lines else ""
        return index, column_in_units(text, column, encoding)

    start = point(line, col)
    end = point(end_line, end_col)
    return Span(start, max(start, end))


@dataclass(frozen=True)
class TextEdit:
    """Replace ``span`` of the old text with ``text``."""

    span: Span
    text: str


def minimal_edit(old: str, new: str, encoding: str) -> TextEdit:
    """One edit that turns ``old`` into ``new``, replacing only the lines between the first and the last that
    differ: an editor keeps its cursor, folds and marks on the lines around the fix, and the undo step is as
    small as the fix."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    prefix = 0
    while prefix < min(len(old_lines), len(new_lines)) and old_lines[prefix] == new_lines[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old_lines), len(new_lines)) - prefix and \
            old_lines[-1 - suffix] == new_lines[-1 - suffix]:
        suffix += 1
    replaced = "".join(new_lines[prefix:len(new_lines) - suffix])
    return TextEdit(Span((prefix, 0), end_of(old_lines, len(old_lines) - suffix, encoding)), replaced)


def end_of(lines: Sequence[str], index: int, encoding: str) -> Tuple[int, int]:
    """The position just before line ``index`` of ``lines`` (with endings): the start of that line, or, past a
    last line without a line break, that line's end (a position past the document is not one to send)."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return index, 0
    last = lines[-1]
    return len(lines) - 1, units(last, encoding)


def apply_edit(text: str, edit: TextEdit, encoding: str) -> str:
    """``text`` with ``edit`` applied (what an editor does with it; the tests check edits with it)."""
    lines = split_lines(text)
    return text[:offset(lines, edit.span.start, encoding)] + edit.text + text[offset(lines, edit.span.end, encoding):]


def offset(lines: Sequence[str], position: Tuple[int, int], encoding: str) -> int:
    """The character offset of an editor position in the text of ``lines`` (with endings)."""
    row, column = position
    before = sum(len(line) for line in lines[:row])
    if row >= len(lines):
        return before
    body = lines[row].rstrip("\r\n")
    return before + column_in_characters(body, column, encoding)
