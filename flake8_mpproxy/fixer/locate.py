"""Find the libcst nodes that the analysis's ``ast`` ranges point at."""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

Range = Tuple[int, int, int, int]


def parent_map(root: cst.CSTNode) -> Dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent, from the nodes' own fields: what libcst's ParentNodeProvider gives, without its
    second visit of the tree through ``node.children`` (7 times the cost on a large module)."""
    parents: Dict[cst.CSTNode, cst.CSTNode] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                parents[value] = node
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        parents[item] = node
                        stack.append(item)
    return parents


_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(kind: type) -> Tuple[str, ...]:
    """The dataclass fields of a node type (once per type)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


class NodeIndex:
    """Nodes by (start line, start col, end line, end col) in libcst's character columns, plus parents.

    ``ast`` counts columns in UTF-8 bytes; :meth:`to_chars` converts with the source's lines.
    """

    def __init__(self, wrapper: MetadataWrapper, lines: Sequence[str]) -> None:
        self.lines = lines
        self.parents: Dict[cst.CSTNode, cst.CSTNode] = parent_map(wrapper.module)
        self._children: Optional[Dict[cst.CSTNode, List[cst.CSTNode]]] = None
        self._places: Dict[int, Dict[int, int]] = {}
        self.by_range: Dict[Range, List[cst.CSTNode]] = {}
        self.by_start: Dict[Tuple[int, int], List[cst.CSTNode]] = {}
        positions: Dict[cst.CSTNode, CodeRange] = dict(wrapper.resolve(PositionProvider))
        for node, where in positions.items():
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            self.by_range.setdefault(key, []).append(node)
            self.by_start.setdefault((where.start.line, where.start.column), []).append(node)

    def places(self, block: cst.CSTNode) -> Dict[int, int]:
        """The place of each statement in ``block``'s body, by node id (once per block: a long function's
        fixes do not each scan it)."""
        found = self._places.get(id(block))
        if found is None:
            found = self._places[id(block)] = {id(node): i for i, node in enumerate(getattr(block, "body", []))}
        return found

    def descendants(self, node: cst.CSTNode) -> List[cst.CSTNode]:
        """``node`` and every node below it (from the parents map, inverted once)."""
        if self._children is None:
            self._children = {}
            for child, parent in self.parents.items():
                self._children.setdefault(parent, []).append(child)
        found, stack = [], [node]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self._children.get(current, ()))
        return found

    def to_chars(self, rng: Range) -> Range:
        line, col, end_line, end_col = rng
        return (line, self._char(line, col), end_line, self._char(end_line, end_col))

    def _char(self, line: int, byte_col: int) -> int:
        if not 0 < line <= len(self.lines) or self.lines[line - 1].isascii():
            return byte_col
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def node(self, rng: Range, kinds: Tuple[Type[cst.CSTNode], ...]) -> Optional[cst.CSTNode]:
        """The node of one of ``kinds`` spanning exactly ``rng`` (an ``ast`` range)."""
        for node in self.by_range.get(self.to_chars(rng), []):
            if isinstance(node, kinds):
                return node
        return None

    def statement_at(self, rng: Range) -> Optional[cst.CSTNode]:
        """The statement (simple line or compound) that starts where the ``ast`` statement ``rng`` starts."""
        line, col, _, _ = self.to_chars(rng)
        for node in self.by_start.get((line, col), []):
            if isinstance(node, cst.BaseCompoundStatement):
                return node
        for node in self.by_start.get((line, col), []):
            found = self.enclosing(node, (cst.SimpleStatementLine,))
            if found is not None:
                return found
        return None

    def enclosing(self, node: cst.CSTNode, kinds: Tuple[Type[cst.CSTNode], ...],
                  barriers: Tuple[Type[cst.CSTNode], ...] = ()) -> Optional[cst.CSTNode]:
        """The nearest ancestor-or-self of one of ``kinds``; None when a ``barriers`` node comes first."""
        current: Optional[cst.CSTNode] = node
        while current is not None:
            if isinstance(current, kinds):
                return current
            if isinstance(current, barriers):
                return None
            current = self.parents.get(current)
        return None


#: Nodes a statement cannot be inserted around: a finding below them is not fixable.
BARRIERS: Tuple[Type[cst.CSTNode], ...] = (
    cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Decorator, cst.Param,
    cst.While, cst.If, cst.For, cst.With, cst.Try, cst.ClassDef, cst.FunctionDef,
)
