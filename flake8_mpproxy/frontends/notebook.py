"""Jupyter notebooks (``.ipynb``, nbformat 4): code cells -> one virtual module -> findings per cell, and back.

ruff's model: the Python code cells are joined into one module, so the analysis sees names defined in one cell
and used in another; each finding is mapped back to its cell (1-based position among *all* cells, as the
notebook shows them) and its line in the cell. IPython magics (``%cmd``, ``!cmd``, ``%%time``, ``obj?``,
``x = !cmd``) are replaced, line for line, by a placeholder statement that keeps every other line and column
where it was. Cells ruff does not lint are skipped: markdown and raw cells, cells with a non-Python cell magic
(``%%bash``) or a leading automagic (``pip install x``), and cells whose VS Code language is not Python.

Each cell is preceded in the virtual module by a marker comment. The fixer (libcst) keeps comments, so after a
fix the text is cut at the markers and each changed cell's ``source`` is spliced into the original JSON text:
outputs, execution counts, metadata, key order, indentation and the final newline stay byte-for-byte. A fix
that moved, dropped or duplicated a marker or a magic line would cross a cell boundary; it is refused.

Rules, as measured with a real kernel (docs/notebooks.md): a kernel's ``__main__`` is never re-imported by a
spawn or forkserver child, so MPP201 (module-level manager) does not apply; a function defined in a notebook
cannot be unpickled by a spawn or forkserver child at all (``AttributeError: Can't get attribute 'f' on
<module '__main__' (built-in)>``), so MPP202 is still reported but its fix (pass the proxy in ``args``) is not
offered: it does not make the child work.
"""

from __future__ import annotations

import ast
import codecs
import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from ..pipeline import noqa
from ..pipeline.analysis import check_tree, physical_lines
from ..model.catalogue import FIX_NONE
from ..model.config import Settings
from ..model.findings import Finding, fix_wanted
from ..model.source import INVALID_SYNTAX, IO_ERROR, Problem, SourceError, SourceFile, may_have_findings, \
    position_in_bytes, prefilter_tokens, syntax_problem

if TYPE_CHECKING:  # runner imports this module
    from ..model.jobs import Job, Outcome

SUFFIX = ".ipynb"
#: Cell magics whose body is Python run in the notebook's namespace (ruff's list, ``cell.rs``).
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "ipytest", "prun", "pypy", "python", "python3", "time",
                                "timeit"})
#: A first word that IPython runs as a magic without ``%`` (automagic); ruff skips such cells (``cell.rs``).
AUTOMAGICS = frozenset((
    "alias alias_magic autoawait autocall automagic bookmark cd code_wrap colors conda config debug dhist dirs "
    "doctest_mode edit env gui history killbgscripts load load_ext loadpy logoff logon logstart logstate logstop "
    "lsmagic macro magic mamba matplotlib micromamba notebook page pastebin pdb pdef pdoc pfile pinfo pinfo2 pip "
    "popd pprint precision prun psearch psource pushd pwd pycat pylab quickref recall rehashx reload_ext rerun "
    "reset reset_selective run save sc set_env sx system tb time timeit unalias unload_ext who who_ls whos xdel "
    "xmode").split())
ASSIGNMENT_OPERATORS = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^="})
#: Rules that do not apply to a notebook (measured: docs/notebooks.md).
NOT_IN_NOTEBOOKS = frozenset({"MPP201"})
#: Rules reported in a notebook whose fix does not help there (measured: docs/notebooks.md).
NO_FIX_IN_NOTEBOOKS = frozenset({"MPP202"})

MARKER = "# <<flake8-mpproxy cell {}>>"
MARKER_RE = re.compile(r"^# <<flake8-mpproxy cell (\d+)>>$")
MAGIC_TAG = "  # <<flake8-mpproxy magic {}>>"
MAGIC_RE = re.compile(r"# <<flake8-mpproxy magic (\d+)>>$")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)[!%]")
_HELP = re.compile(r"^\s*[%A-Za-z_][\w.]*\?{1,2}\s*$")
_STRING_START = re.compile(r"""(?i)[rbfu]{0,2}('''|\"\"\"|'|")""")


class NotebookError(SourceError):
    """A notebook that cannot be read or rewritten; ``str(err)`` is the one-line cause."""


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


@dataclass(frozen=True)
class Cell:
    """One linted code cell: where it is in the notebook, the JSON text, and the virtual module."""

    #: 1-based position among all cells, the number ruff and the notebook UI show.
    number: int
    #: The cell's source as the notebook stores it, joined into one string.
    source: str
    #: ``source`` was a list of lines in the JSON (nbformat's usual form) rather than one string.
    as_list: bool
    #: First line of the cell in the virtual module (the line after its marker), 1-based.
    first_line: int
    #: The original text of each neutralised magic line, by placeholder index.
    magics: Tuple[Tuple[int, str], ...]
    #: A newline was added to end the cell's last line in the virtual module.
    added_newline: bool


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook: the raw text (for splicing), its code cells, and the virtual module they form."""

    path: str
    text: str
    cells: Tuple[Cell, ...]
    virtual: str
    #: Character spans of each cell's ``source`` value in ``text``, by cell number.
    spans: Dict[int, Tuple[int, int]]
    #: The file started with a UTF-8 byte order mark (written back with it).
    bom: bool = False

    @property
    def source(self) -> SourceFile:
        """The virtual module, as the analysis and the fixer take it."""
        return SourceFile(path=self.path, raw=b"", text=self.virtual, encoding="utf-8")

    def cell_of(self, line: int) -> Tuple[Cell, int]:
        """The cell holding virtual ``line``, and the line's number in the cell (1-based)."""
        found = self.cells[0]
        for cell in self.cells:
            if cell.first_line <= line:
                found = cell
            else:
                break
        return found, max(1, line - found.first_line + 1)

    def locate(self, finding: Finding) -> Finding:
        """A finding in virtual coordinates -> the same finding in its cell's coordinates."""
        cell, line = self.cell_of(finding.line)
        end_cell, end_line = self.cell_of(finding.end_line)
        end_col = finding.end_col
        if end_cell.number != cell.number:  # a range never spans cells in practice; keep it on its first line
            end_line, end_col = line, finding.col
        args = tuple((key, self.cell_lines(value)) for key, value in finding.args)
        return replace(finding, line=line, end_line=end_line, end_col=end_col, cell=cell.number, args=args)

    def cell_lines(self, text: str) -> str:
        """A message's ``line N`` (a line of the joined cells) as the notebook shows it: ``line 3 of cell 2``."""
        def shown(match: "re.Match[str]") -> str:
            cell, line = self.cell_of(int(match.group(1)))
            return f"line {line} of cell {cell.number}"
        return LINE_REFERENCE.sub(shown, text) if "line " in text else text


# --- reading ----------------------------------------------------------------------------------------------


#: ``line 11`` in a message (not ``main.py:8``, another file's line, nor ``lines``).
LINE_REFERENCE = re.compile(r"\bline (\d+)\b")


def load(path: str, raw: bytes) -> Notebook:
    """Parse a notebook's bytes; every way it can be unusable becomes a one-line :class:`NotebookError`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise NotebookError(f"not a valid notebook: cannot decode as UTF-8: {err.reason} at byte {err.start}",
                            position_in_bytes(raw, err.start)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(f"not a valid notebook: invalid JSON: {err.msg} (line {err.lineno}, "
                            f"column {err.colno})", Problem(IO_ERROR, err.lineno, err.colno)) from None
    except RecursionError:
        raise NotebookError("not a valid notebook: JSON nested too deep") from None
    cells = _validated_cells(data)
    bom = raw.startswith(codecs.BOM_UTF8)
    if not is_python_notebook(data):
        return Notebook(path, text, (), "", {}, bom)
    code, virtual = _virtual_module(cells)
    if any("<<flake8-mpproxy " in cell.source for cell in code):
        raise NotebookError("cannot check: a cell contains flake8-mpproxy's own marker text")
    return Notebook(path, text, code, virtual, source_spans(text) if code else {}, bom)


def _virtual_module(cells: Sequence[Dict[str, Any]]) -> Tuple[Tuple[Cell, ...], str]:
    """The linted cells and the module they form: each cell after its marker line, ending with a newline."""
    code: List[Cell] = []
    parts: List[str] = []
    line = 1
    for number, cell in enumerate(cells, 1):
        if not is_python_cell(cell):
            continue
        source = _joined(cell.get("source", ""))
        virtual, magics = neutralise(source, sum(len(c.magics) for c in code))
        added = bool(virtual) and not virtual.endswith(("\n", "\r"))
        virtual += "\n" if added else ""
        parts.append(MARKER.format(number) + "\n" + virtual)
        code.append(Cell(number, source, isinstance(cell.get("source"), list), line + 1, tuple(magics), added))
        line += len(physical_lines(virtual))  # the marker and the cell's lines
    return tuple(code), "".join(parts)


def _validated_cells(data: Any) -> List[Dict[str, Any]]:
    if not isinstance(data, dict):
        raise NotebookError("not a valid notebook: the top level is not a JSON object")
    version = data.get("nbformat")
    if version != 4:
        found = "no nbformat field" if version is None else f"nbformat {version!r}"
        raise NotebookError(f"not a valid notebook: {found} (only nbformat 4 is supported)")
    cells = data.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise NotebookError("not a valid notebook: 'cells' is not a list of objects")
    for number, cell in enumerate(cells, 1):
        source = cell.get("source", "")
        if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            raise NotebookError(f"not a valid notebook: cell {number}: 'source' is not a string or list of strings")
    return cells


def _joined(source: Any) -> str:
    return source if isinstance(source, str) else "".join(source)


def is_python_notebook(data: Dict[str, Any]) -> bool:
    """ruff's test: ``language_info.name``, else the kernelspec's language, else assume Python."""
    found = data.get("metadata")
    metadata: Dict[str, Any] = found if isinstance(found, dict) else {}
    info = metadata.get("language_info")
    if isinstance(info, dict) and "name" in info:
        return bool(info["name"] == "python")
    spec = metadata.get("kernelspec")
    if isinstance(spec, dict) and spec.get("language") is not None:
        return spec.get("language") == "python"
    return True


def is_python_cell(cell: Dict[str, Any]) -> bool:
    """A code cell that ruff lints: no non-Python cell magic, no leading automagic, Python in VS Code."""
    if cell.get("cell_type") != "code":
        return False
    vscode = cell.get("metadata", {}).get("vscode") if isinstance(cell.get("metadata"), dict) else None
    if isinstance(vscode, dict) and vscode.get("languageId", "python") != "python":
        return False
    lines = _joined(cell.get("source", "")).splitlines()
    if lines:
        words = lines[0].split()
        if words and words[0] in AUTOMAGICS and not (len(words) > 1 and words[1] in ASSIGNMENT_OPERATORS):
            return False
    for line in lines:
        words = line.split()
        if words and words[0].startswith("%%") and len(words[0]) > 2 and words[0][2:] not in PYTHON_CELL_MAGICS:
            return False
    return True


# --- magics -----------------------------------------------------------------------------------------------


def neutralise(source: str, first: int = 0) -> Tuple[str, List[Tuple[int, str]]]:
    """Replace each magic line that starts a logical line by a placeholder statement at the same indentation.

    ``%cmd``, ``!cmd``, ``%%time``, ``?obj`` and ``obj?`` become ``pass``; ``x = !cmd`` becomes ``x = ...``.
    Only lines at the start of a logical line count (not lines inside brackets or a triple-quoted string), as
    in IPython's own transformer. Returns the new text and ``(index, original line)`` for each placeholder;
    indexes start at ``first`` (they are unique in a notebook, so a magic cannot silently change cells).
    """
    out: List[str] = []
    magics: List[Tuple[int, str]] = []
    state = _ScanState()
    for line in source.splitlines(True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if state.at_logical_start():
            placeholder = _placeholder(body, first + len(magics))
            if placeholder is not None:
                magics.append((first + len(magics), body))
                out.append(placeholder + ending)
                continue
        state.scan(body)
        out.append(line)
    return "".join(out), magics


def _placeholder(body: str, index: int) -> Optional[str]:
    stripped = body.lstrip()
    indent = body[:len(body) - len(stripped)]
    if stripped.startswith(("%", "!", "?")) or _HELP.match(body):
        return f"{indent}pass{MAGIC_TAG.format(index)}"
    assigned = _ASSIGNED_MAGIC.match(body)
    if assigned:
        return f"{assigned.group(1)}...{MAGIC_TAG.format(index)}"
    return None


class _ScanState:
    """Just enough of Python's tokenizer to know where logical lines start: brackets, strings, backslashes."""

    def __init__(self) -> None:
        self.depth = 0
        self.triple: Optional[str] = None  # the closing quotes of an open triple-quoted string
        self.continued = False

    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.triple is None and not self.continued

    def scan(self, body: str) -> None:
        i = 0
        if self.triple is not None:
            i = _string_end(body, 0, self.triple)
            if i < 0:
                return
            self.triple = None
        while i < len(body):
            char = body[i]
            if char == "#":
                break
            match = _STRING_START.match(body, i) if char in "'\"rRbBfFuU" else None
            if match and (i == 0 or not (body[i - 1].isalnum() or body[i - 1] == "_")):
                quote = match.group(1)
                end = _string_end(body, match.end(), quote)
                if end < 0:
                    self.triple = quote if len(quote) == 3 else None
                    break
                i = end
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        self.continued = self.triple is None and body.endswith("\\")


def _string_end(body: str, i: int, quote: str) -> int:
    """The index after the closing ``quote`` from ``i`` on, or -1 when the string goes on past the line."""
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body.startswith(quote, i):
            return i + len(quote)
        i += 1
    return -1


# --- writing ----------------------------------------------------------------------------------------------


def split_cells(notebook: Notebook, new_virtual: str) -> Dict[Cell, str]:
    """The fixed virtual module -> each cell's new source (original magics restored).

    Raises :class:`NotebookError` when the fix moved code across a cell boundary: a marker moved, vanished or
    appeared, code came before the first marker, or a magic line left its cell.
    """
    lines = new_virtual.splitlines(True)
    numbers = [int(m.group(1)) for m in (MARKER_RE.match(line.rstrip("\r\n")) for line in lines) if m]
    if numbers != [cell.number for cell in notebook.cells] or (lines and not MARKER_RE.match(lines[0].rstrip())):
        raise NotebookError("a fix would move code across notebook cells; notebook left as is")
    if moved_across_cells(notebook.virtual.splitlines(True), lines):
        raise NotebookError("a fix would move code across notebook cells; notebook left as is")
    chunks = _cell_texts(new_virtual)
    return {cell: _restored(cell, chunk) for cell, chunk in zip(notebook.cells, chunks)}


def moved_across_cells(old: Sequence[str], new: Sequence[str]) -> bool:
    """Did an edit take a line out of one cell and put it (re-indented or not) into another?

    Both texts are virtual modules with the same markers. Each changed region of a line diff lies in one
    cell; a stripped line removed in one cell and added in another is a move (the main-guard fix does that).
    """
    import difflib

    old_cells, new_cells = _cell_numbers(old), _cell_numbers(new)
    removed: Dict[str, Set[int]] = {}
    added: Dict[str, Set[int]] = {}
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(i1, i2):
            if old[k].strip():
                removed.setdefault(old[k].strip(), set()).add(old_cells[k])
        for k in range(j1, j2):
            if new[k].strip():
                added.setdefault(new[k].strip(), set()).add(new_cells[k])
    return any(added.get(text, cells) - cells for text, cells in removed.items())


def _cell_numbers(lines: Sequence[str]) -> List[int]:
    """The cell number of each line of a virtual module (a marker belongs to the cell it opens)."""
    numbers: List[int] = []
    current = 0
    for line in lines:
        match = MARKER_RE.match(line.rstrip("\r\n"))
        current = int(match.group(1)) if match else current
        numbers.append(current)
    return numbers


def _restored(cell: Cell, virtual: str) -> str:
    originals = dict(cell.magics)
    seen: List[int] = []
    out: List[str] = []
    for line in virtual.splitlines(True):
        body = line.rstrip("\r\n")
        match = MAGIC_RE.search(body)
        if match is None:
            out.append(line)
            continue
        index = int(match.group(1))
        if index not in originals or index in seen:
            raise NotebookError("a fix would move code across notebook cells; notebook left as is")
        seen.append(index)
        out.append(originals[index] + line[len(body):])
    if sorted(seen) != sorted(originals):
        raise NotebookError("a fix would move code across notebook cells; notebook left as is")
    text = "".join(out)
    if cell.added_newline and text.endswith("\n"):
        text = text[:-1]
    return text


def rewrite(notebook: Notebook, new_virtual: str) -> Tuple[str, Dict[int, Tuple[str, str]]]:
    """The notebook's new JSON text, changing only the ``source`` values of changed cells.

    Returns the text and ``{cell number: (old source, new source)}`` for the cells that changed.
    """
    new_sources = split_cells(notebook, new_virtual)
    changed = {cell.number: (cell.source, new_sources[cell]) for cell in notebook.cells
               if new_sources[cell] != cell.source}
    text = notebook.text
    ascii_only = text.isascii() and "\\u" in text
    by_number = {cell.number: cell for cell in notebook.cells}
    for number in sorted(changed, reverse=True):  # from the end: earlier spans keep their offsets
        start, end = notebook.spans[number]
        value = _encode_source(changed[number][1], by_number[number].as_list, text[start:end], ascii_only)
        text = text[:start] + value + text[end:]
    return text, changed


def _encode_source(source: str, as_list: bool, old: str, ascii_only: bool) -> str:
    """JSON for a cell's new source, laid out like the value it replaces (nbformat: one line per item)."""
    if not as_list:
        return json.dumps(source, ensure_ascii=ascii_only)
    items = [json.dumps(line, ensure_ascii=ascii_only) for line in source.splitlines(True)]
    layout = re.match(r"\[(\r?\n)([ \t]*)", old)
    if layout is None or not items:  # a one-line list (or an empty one): stay on one line
        return "[" + ("," if "," in old and ", " not in old else ", ").join(items) + "]"
    newline, indent = layout.group(1), layout.group(2)
    closing = re.search(r"(\r?\n)([ \t]*)\]$", old)
    close_indent = closing.group(2) if closing else indent[:-1]
    return "[" + newline + ("," + newline).join(indent + item for item in items) + newline + close_indent + "]"


def source_spans(text: str) -> Dict[int, Tuple[int, int]]:
    """Character spans of ``cells[i].source`` in the JSON ``text``, by 1-based cell number.

    A small walk over the top object, the ``cells`` array and each cell object; every value is delimited by
    the stdlib decoder's ``raw_decode``, so the spans are exact however the file is laid out.
    """
    members, _ = _members(text, 0)
    cells = [(start, end) for key, start, end in members if key == "cells"]
    if not cells:
        return {}
    spans: Dict[int, Tuple[int, int]] = {}
    for number, (start, _end) in enumerate(_elements(text, cells[-1][0]), 1):
        for key, value_start, value_end in _members(text, start)[0]:
            if key == "source":
                spans[number] = (value_start, value_end)
    return spans


_DECODER = json.JSONDecoder()


def _members(text: str, i: int) -> Tuple[List[Tuple[str, int, int]], int]:
    """(key, value start, value end) for each member of the JSON object at ``i``, and the index after it."""
    i = _expect(text, _skip(text, i), "{")
    out: List[Tuple[str, int, int]] = []
    if text[i] == "}":
        return out, i + 1
    while True:
        key, i = json.decoder.scanstring(text, _expect(text, i, '"'))  # type: ignore[attr-defined]
        start = _expect(text, _skip(text, i), ":")
        end = _DECODER.raw_decode(text, start)[1]
        out.append((key, start, end))
        i = _skip(text, end)
        if text[i] == "}":
            return out, i + 1
        i = _expect(text, i, ",")


def _elements(text: str, i: int) -> List[Tuple[int, int]]:
    """(start, end) of each element of the JSON array at ``i``."""
    i = _expect(text, _skip(text, i), "[")
    out: List[Tuple[int, int]] = []
    if text[i] == "]":
        return out
    while True:
        end = _DECODER.raw_decode(text, i)[1]
        out.append((i, end))
        i = _skip(text, end)
        if text[i] == "]":
            return out
        i = _expect(text, i, ",")


def _expect(text: str, i: int, char: str) -> int:
    """The index after ``char`` at ``i`` and any whitespace (the text was already parsed by json.loads)."""
    if text[i] != char:  # pragma: no cover - json.loads accepted the text
        raise NotebookError(f"not a valid notebook: unexpected {text[i]!r} at offset {i}")
    return _skip(text, i + 1)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


# --- the rules in a notebook ------------------------------------------------------------------------------


def notebook_settings(settings: Settings) -> Optional[Settings]:
    """The same selection without the rules that do not apply to notebooks; None when nothing is left."""
    return _only(settings.enabled_codes() - NOT_IN_NOTEBOOKS, settings)


def fix_settings(settings: Settings) -> Optional[Settings]:
    """What the fixer may touch in a notebook: not the rules whose fix does not help there either (the fixer
    analyses again after each round, with these settings)."""
    return _only(settings.enabled_codes() - NOT_IN_NOTEBOOKS - NO_FIX_IN_NOTEBOOKS, settings)


def _only(codes: FrozenSet[str], settings: Settings) -> Optional[Settings]:
    """Settings that enable exactly ``codes`` (full codes, so opt-in rules stay selected)."""
    if not codes:
        return None
    return Settings(select=tuple(sorted(codes)), manager_factories=settings.manager_factories)


def adapt(findings: Sequence[Finding]) -> Tuple[Finding, ...]:
    """Findings of the virtual module as they stand in a notebook (no fix where the fix does not help)."""
    return tuple(replace(f, applicability=FIX_NONE) if f.code in NO_FIX_IN_NOTEBOOKS else f
                 for f in findings if f.code not in NOT_IN_NOTEBOOKS)


# --- checking and fixing one notebook -----------------------------------------------------------------------


def analyse(notebook: Notebook, settings: Settings) -> Tuple[Finding, ...]:
    """Findings of the virtual module (virtual coordinates, after noqa), as they stand in a notebook.

    Each cell must parse on its own, as the kernel compiles it: a statement cannot run on into the next cell.
    """
    selected = notebook_settings(settings)
    if selected is None or not notebook.cells or not may_have_findings(
            notebook.virtual, prefilter_tokens(settings.manager_factories)):
        return ()
    for cell, text in zip(notebook.cells, _cell_texts(notebook.virtual)):
        _parse(text, f"cell {cell.number}, line ", cell=cell.number)
    tree = _parse(notebook.virtual, "", notebook)
    findings = check_tree(tree, selected, physical_lines(notebook.virtual))
    return adapt(noqa.filter_findings(notebook.virtual, findings)) if findings else ()


def _cell_texts(virtual: str) -> List[str]:
    chunks: List[List[str]] = []
    for line in virtual.splitlines(True):
        if MARKER_RE.match(line.rstrip("\r\n")):
            chunks.append([])
        else:
            chunks[-1].append(line)
    return ["".join(chunk) for chunk in chunks]


def _parse(text: str, where: str, notebook: Optional[Notebook] = None, cell: Optional[int] = None) -> ast.Module:
    """``ast.parse``; a syntax error names the cell and the line in it (``cell``: the cell ``text`` is)."""
    try:
        return ast.parse(text)
    except SyntaxError as err:
        line = err.lineno or 0
        if notebook is not None and line:
            found, line = notebook.cell_of(line)
            where, cell = f"cell {found.number}, line ", found.number
        message = f"syntax error: {err.msg} ({where}{line})" if where else f"syntax error: {err.msg}"
        raise NotebookError(message, syntax_problem(err, line or None, cell)) from None
    except (RecursionError, MemoryError):
        raise NotebookError("syntax error: nesting too deep to parse", Problem(INVALID_SYNTAX, cell=cell)) from None
    except ValueError as err:
        raise NotebookError(f"syntax error: {err}", Problem(INVALID_SYNTAX, cell=cell)) from None


def process(path: str, shown: str, raw: bytes, job: "Job") -> "Outcome":
    """Check one notebook and, in fix or diff mode, fix it: the runner's ``process`` for ``.ipynb`` files."""
    from ..model.jobs import MODE_CHECK, MODE_NOQA, Outcome

    stdin_fix = path == "-" and job.mode != MODE_CHECK
    try:
        notebook = load(shown, raw)
        found = analyse(notebook, job.settings)
    except SourceError as err:
        return Outcome(shown, error=str(err), problem=err.problem)
    if job.mode == MODE_NOQA:
        return add_noqa(path, shown, raw, notebook, found)
    located = tuple(notebook.locate(f) for f in found)
    if job.mode == MODE_CHECK or not any(fix_wanted(f, job.unsafe, job.style) for f in found):
        return Outcome(shown, located, output=raw if stdin_fix else None)
    return _fix(path, shown, raw, notebook, found, located, job)


def _fix(path: str, shown: str, raw: bytes, notebook: Notebook, found: Tuple[Finding, ...],
         located: Tuple[Finding, ...], job: "Job") -> "Outcome":
    from ..fixer import fix_source  # libcst only for a notebook with something to fix
    from ..model.jobs import MODE_DIFF, Outcome
    from ..fixer.writer import WriteError, replace_file

    unchanged = Outcome(shown, located, output=raw if path == "-" else None)
    wanted = [f for f in found if f.code not in NO_FIX_IN_NOTEBOOKS]
    settings = fix_settings(job.settings)
    if settings is None or not wanted:
        return unchanged
    result = fix_source(notebook.source, wanted, settings, unsafe=job.unsafe, style=job.style)
    if result.error is not None:
        return Outcome(shown, located, error=result.error)
    if not result.changed:
        return unchanged
    try:
        text, changed = rewrite(notebook, result.text)
        fixed_notebook = load(shown, (codecs.BOM_UTF8 if notebook.bom else b"") + text.encode("utf-8"))
        remaining = tuple(fixed_notebook.locate(f) for f in analyse(fixed_notebook, job.settings))
    except SourceError as err:
        return Outcome(shown, located, error=str(err))
    new_raw = (codecs.BOM_UTF8 if notebook.bom else b"") + text.encode("utf-8")
    if job.mode == MODE_DIFF:
        return Outcome(shown, remaining, fixed=result.fixed, diff=cell_diff(shown, changed))
    if path == "-":
        return Outcome(shown, remaining, fixed=result.fixed, output=new_raw)
    try:
        replace_file(path, new_raw, before=raw)
    except WriteError as err:
        return Outcome(shown, located, error=str(err))
    return Outcome(shown, remaining, fixed=result.fixed)


def add_noqa(path: str, shown: str, raw: bytes, notebook: Notebook, found: Tuple[Finding, ...]) -> "Outcome":
    """``--add-noqa`` for a notebook: the directives go into the cells' sources, through the virtual module
    (where :func:`analyse` reads noqa), and only the changed cells' ``source`` values are replaced in the JSON
    text. (No finding lies on a magic's placeholder, ``pass`` or ``x = ...``; were one to, :func:`rewrite`
    would refuse the moved placeholder tag and nothing would be written.)"""
    from ..pipeline.noqa import add_directives
    from ..model.jobs import Outcome
    from ..fixer.writer import WriteError, replace_file

    if not found:
        return Outcome(shown)
    notes: Tuple[str, ...] = ()
    try:
        added = add_directives(notebook.virtual, found)
        notes = tuple(f"{_cell_line(notebook, line)}: {why}; left without a noqa comment"
                      for line, why in added.skipped)
        if not added.count:
            return Outcome(shown, notes=notes)
        text, _ = rewrite(notebook, added.text)
        replace_file(path, (codecs.BOM_UTF8 if notebook.bom else b"") + text.encode("utf-8"), before=raw)
    except (SourceError, WriteError) as err:
        return Outcome(shown, error=str(err), notes=notes)
    return Outcome(shown, notes=notes, noqa_added=added.count)


def _cell_line(notebook: Notebook, line: int) -> str:
    """``cell N:L``: a line of the virtual module where a notebook's user sees it."""
    cell, in_cell = notebook.cell_of(line)
    return f"cell {cell.number}:{in_cell}"


def cell_diff(shown: str, changed: Dict[int, Tuple[str, str]]) -> str:
    """One unified diff per changed cell, headed ``a/nb.ipynb:cell 3`` (ruff heads its notebook diffs so)."""
    from .diff import unified_diff

    def ended(text: str) -> str:
        return text if not text or text.endswith("\n") else text + "\n"

    return "".join(unified_diff(f"{shown}:cell {number}", ended(old), ended(new))
                   for number, (old, new) in sorted(changed.items()))
