"""What the front ends ask of each file (:class:`Job`) and what they get back (:class:`Outcome`).

Both are small frozen values that cross process boundaries (the command's workers) and layers (the project
resolves a file's :class:`Job` from its configuration; the warm store keeps :class:`Outcome` records), so they
live here, below everything that makes or reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Tuple

from .config import Settings
from .findings import FixStyle, Finding
from .source import Problem

#: The output formats of the command (``--output-format``; ``output-format`` in the configuration).
FORMATS = ("text", "concise", "json", "json-lines", "github", "gitlab", "junit", "pylint", "sarif")

#: A notebook's suffix (:mod:`notebook` is imported only when one is checked).
NOTEBOOK_SUFFIX = ".ipynb"

Mode = Literal["check", "fix", "diff", "add-noqa"]

MODE_CHECK: Mode = "check"
MODE_FIX: Mode = "fix"
MODE_DIFF: Mode = "diff"
#: ``--add-noqa``: a ``# noqa: CODE`` on each line with a finding, written in place; nothing is fixed.
MODE_NOQA: Mode = "add-noqa"


@dataclass(frozen=True)
class Job:
    """What to do with every file: the same for all files of a run."""

    settings: Settings
    mode: Mode = MODE_CHECK
    unsafe: bool = False
    style: FixStyle = "reassign"
    #: The result cache: ``--cache-dir`` (None: the project root's ``.flake8-mpproxy_cache``), ``--no-cache``.
    cache_dir: Optional[str] = None
    cache: bool = True


@dataclass(frozen=True)
class Outcome:
    """The result for one file, as the parent prints it."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None
    #: With an ``error`` that kept the file from being checked (not one of writing a fix): its kind and
    #: position, so that the machine formats report it as a result.
    problem: Optional[Problem] = None
    fixed: Tuple[Finding, ...] = ()
    diff: str = ""
    #: For stdin under --fix: the text to write to stdout.
    output: Optional[bytes] = None
    #: Warnings printed as ``path: warning: ...`` on stderr (the analysis stopped early).
    notes: Tuple[str, ...] = field(default=())
    #: :func:`cache.content_hash` of the bytes this outcome came from ("" when none were read).
    digest: str = ""
    #: ``--add-noqa``: the lines that got (or had extended) a noqa directive, as ruff counts them.
    noqa_added: int = 0
