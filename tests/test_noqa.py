"""noqa in the command behaves exactly as flake8 7 does."""

from __future__ import annotations

import pytest

from flake8_mpproxy.model.findings import Finding
from flake8_mpproxy.pipeline.noqa import NOQA_INLINE, filter_findings


def finding(line: int, code: str = "MPP101") -> Finding:
    return Finding(code, line, 0, line, 1, ())


@pytest.mark.parametrize("comment, suppressed", [
    ("# noqa", True),
    ("# NOQA", True),
    ("# noqa: MPP101", True),
    ("# noqa:MPP101", True),
    ("# noqa: MPP1", True),  # prefix
    ("# noqa: E501,MPP101", True),
    ("# noqa: E501 MPP101", True),
    ("# noqa: E501", False),
    ("# noqa: MPP102", False),
    ("# noqa: MPP", True),  # no digits: flake8 reads a blanket noqa
    ("# noqa : MPP101", True),  # space before the colon: blanket too
    ("# no qa", False),
])
def test_inline(comment, suppressed):
    text = f"x = 1  {comment}\n"
    assert (filter_findings(text, (finding(1),)) == ()) is suppressed


def test_regex_is_flake8s():
    from flake8.defaults import NOQA_INLINE_REGEXP

    assert NOQA_INLINE.pattern == NOQA_INLINE_REGEXP.pattern and NOQA_INLINE.flags == NOQA_INLINE_REGEXP.flags


def test_noqa_in_a_multiline_token_covers_all_its_lines():
    # flake8 joins the lines of one logical line between NL/NEWLINE tokens: a multi-line string spans them,
    # a bracketed continuation does not (each line inside brackets ends in an NL token).
    text = 'x = """\n# noqa\n"""; y = 1\nz = f(\n    a,  # noqa\n)\n'
    kept = filter_findings(text, (finding(1), finding(3), finding(4), finding(5)))
    assert kept == (finding(4),)


def test_file_level_noqa():
    assert filter_findings("# flake8: noqa\nx = 1\n", (finding(2),)) == ()
    assert filter_findings("x = 1  # flake8: noqa\n", (finding(1),)) == (finding(1),)  # on a code line: ignored


def test_tokenize_error_falls_back_to_the_physical_line():
    text = 'x = """\n  # noqa\n'
    assert filter_findings(text, (finding(1), finding(2))) == (finding(1),)
