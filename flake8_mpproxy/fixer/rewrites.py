"""Pure libcst node builders, one per fix form: reassign, write-back, replace, nested, guard, pass-arg."""

from __future__ import annotations

import functools
from typing import Any, List, Optional, Sequence

import libcst as cst

SIMPLE_KEYS = (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)


class _Swap(cst.CSTTransformer):
    """Replace one node (by identity) inside a subtree."""

    def __init__(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        super().__init__()
        self.old, self.new = old, new

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        return self.new if original is self.old else updated


def swap(tree: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    return tree.visit(_Swap(old, new))  # type: ignore[return-value]


def assign_line(target: cst.BaseAssignTargetExpression, value: cst.BaseExpression,
                leading: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)], leading_lines=list(leading))


def is_simple_key(node: cst.CSTNode) -> bool:
    if isinstance(node, SIMPLE_KEYS):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)):
        return True
    return False  # an attribute may be a property, a call has effects: evaluate them once


def augmented_append(stmt: cst.SimpleStatementLine, target: cst.BaseExpression, call: cst.Call,
                     method: str) -> cst.SimpleStatementLine:
    """``d[k].append(v)`` -> ``d[k] += [v]``; ``d[k].extend(xs)`` -> ``d[k] += xs`` (same line, same comment)."""
    value = call.args[0].value
    if method == "append":
        value = cst.List(elements=[cst.Element(value=value)])
    target = target.with_changes(lpar=[], rpar=[]) if hasattr(target, "lpar") else target
    new = cst.AugAssign(target=target, operator=cst.AddAssign(), value=value)  # type: ignore[arg-type]
    return stmt.with_changes(body=[new])


def reassign(stmt: cst.SimpleStatementLine, root: cst.BaseExpression, read: cst.BaseExpression,
             write_target: cst.BaseAssignTargetExpression, temp: str,
             hoisted: Optional[cst.SimpleStatementLine] = None) -> List[cst.SimpleStatementLine]:
    """``<stmt using root>`` -> ``temp = read; <stmt using temp>; write_target = temp``."""
    changed = swap(stmt, root, cst.Name(temp)).with_changes(leading_lines=[])
    first = assign_line(cst.Name(temp), read)
    out = [hoisted] if hoisted is not None else []
    out += [first, changed, assign_line(write_target, cst.Name(temp))]  # type: ignore[list-item]
    out[0] = out[0].with_changes(leading_lines=stmt.leading_lines)
    return out


@functools.lru_cache(maxsize=256)
def write_back_line(code: str) -> cst.SimpleStatementLine:
    """``code`` as a statement (libcst's nodes are immutable: one node may stand at every place it is written)."""
    statement = cst.parse_statement(code + "\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


def supported_spelling(small: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
    """``l.clear()`` -> ``del l[:]``; ``d |= x`` -> ``d.update(x)`` (the operands keep their spelling)."""
    if isinstance(small, cst.AugAssign):
        call = cst.Call(func=cst.Attribute(value=small.target, attr=cst.Name("update")),
                        args=[cst.Arg(value=small.value)])
        return cst.Expr(value=call)
    receiver = small.value.func.value  # type: ignore[attr-defined]
    whole = cst.Subscript(value=receiver, slice=[cst.SubscriptElement(slice=cst.Slice(lower=None, upper=None))])
    return cst.Del(target=whole)


def nested_value(value: cst.BaseExpression, manager: str, kind: str) -> cst.BaseExpression:
    """``[]`` -> ``manager.list()``; ``[1, 2]`` -> ``manager.list([1, 2])``; ``{}`` -> ``manager.dict()``."""
    func = cst.Attribute(value=cst.Name(manager), attr=cst.Name(kind))
    empty = isinstance(value, (cst.List, cst.Dict)) and not value.elements
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == kind and not value.args:
        empty = True
    return cst.Call(func=func, args=[] if empty else [cst.Arg(value=value)])


def add_parameter(func: cst.FunctionDef, name: str) -> cst.FunctionDef:
    params = list(func.params.params)
    if params and params[-1].comma is cst.MaybeSentinel.DEFAULT:
        params[-1] = params[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    params.append(cst.Param(name=cst.Name(name)))
    return func.with_changes(params=func.params.with_changes(params=params))


def pass_argument(call: cst.Call, name: str) -> cst.Call:
    """``Process(target=f)`` -> ``Process(target=f, args=(d,))``; ``args=(a,)`` -> ``args=(a, d)``. A tuple
    written over several lines gets the new element on a line of its own; comments stay where they were."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "args" and isinstance(arg.value, cst.Tuple):
            args[index] = arg.with_changes(value=append_element(arg.value, cst.Name(name)))
            return call.with_changes(args=args)
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    tuple_value = cst.Tuple(elements=[cst.Element(value=cst.Name(name), comma=cst.Comma())])
    args.append(cst.Arg(keyword=cst.Name("args"), value=tuple_value,
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)


def append_element(value: cst.Tuple, new: cst.BaseExpression) -> cst.Tuple:
    """``value`` with ``new`` as its last element, keeping every comma, comment and line break it had."""
    elements = list(value.elements)
    if not elements:
        return value.with_changes(elements=[cst.Element(value=new, comma=cst.Comma())])
    last = elements[-1]
    comma = last.comma
    opening = value.lpar[0].whitespace_after if value.lpar else None
    closing = value.rpar[0].whitespace_before if value.rpar else None
    if isinstance(comma, cst.Comma) and isinstance(opening, cst.ParenthesizedWhitespace) \
            and isinstance(closing, cst.ParenthesizedWhitespace):
        # one element per line, trailing comma: the new element gets a line of its own; the comment after the
        # old last element stays on its line
        line_break = closing.with_changes(empty_lines=[], indent=True, last_line=opening.last_line)
        elements[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=line_break))
        elements.append(cst.Element(value=new, comma=cst.Comma()))
        rpar = value.rpar[0].with_changes(whitespace_before=closing.with_changes(first_line=cst.TrailingWhitespace()))
        return value.with_changes(elements=elements, rpar=[rpar] + list(value.rpar[1:]))
    before = comma.whitespace_before if isinstance(comma, cst.Comma) else cst.SimpleWhitespace("")
    elements[-1] = last.with_changes(comma=cst.Comma(whitespace_before=before,
                                                     whitespace_after=cst.SimpleWhitespace(" ")))
    elements.append(cst.Element(value=new))
    return value.with_changes(elements=elements)


def main_guard(body: Sequence[cst.BaseStatement]) -> cst.If:
    test = cst.parse_expression('__name__ == "__main__"')
    return cst.If(test=test, body=cst.IndentedBlock(body=list(body)),
                  leading_lines=[cst.EmptyLine(), cst.EmptyLine()])


def with_lock(lock: str, body: Sequence[cst.BaseStatement],
              leading: Sequence[cst.EmptyLine] = ()) -> cst.With:
    """``with lock:`` around ``body``: the read-modify-write holds the manager lock other writers hold."""
    inner = [stmt.with_changes(leading_lines=[]) if i == 0 else stmt for i, stmt in enumerate(body)]
    return cst.With(items=[cst.WithItem(item=cst.Name(lock))], body=cst.IndentedBlock(body=inner),
                    leading_lines=list(leading))


def try_finally(body: Sequence[cst.BaseStatement], final: cst.BaseStatement) -> cst.Try:
    """``try: <body> finally: <final>``: ``final`` runs on every way out of ``body``."""
    inner = [stmt.with_changes(leading_lines=[]) if i == 0 else stmt for i, stmt in enumerate(body)]
    leading = list(getattr(body[0], "leading_lines", [])) if body else []
    return cst.Try(body=cst.IndentedBlock(body=inner), finalbody=cst.Finally(body=cst.IndentedBlock(body=[final])),
                   leading_lines=leading)
