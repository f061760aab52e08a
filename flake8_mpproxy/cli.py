"""The ``flake8-mpproxy`` command: options and configuration -> files -> outcomes -> report -> exit status.

Exit status: 0 nothing found (or everything fixed), 1 findings remain (or ``--diff`` has changes, or
``--exit-non-zero-on-fix`` and a file changed), 2 usage or configuration error, or a file could not be checked.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import List, Optional, Sequence, Tuple

from . import __version__
from .catalogue import BY_CODE
from .config import ConfigError, Settings, load_config, resolve_target_version
from .discovery import DEFAULT_EXCLUDES, iter_files, split_list
from .explain import explain, rule_list
from .report import FORMATS, Located, render, statistics, summary
from .runner import MODE_CHECK, MODE_DIFF, MODE_FIX, Job, Outcome, flatten, process, read_bytes, run_all

FIX_STYLES = ("reassign", "nested", "auto")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flake8-mpproxy",
        description="Find (and fix) multiprocessing manager proxy traps that silently lose data.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories ('-' for stdin); default: .")
    parser.add_argument("--select", help="comma-separated codes or prefixes to report (default: all on-by-default)")
    parser.add_argument("--ignore", help="comma-separated codes or prefixes not to report")
    parser.add_argument("--extend-select", help="codes to add to the selection (e.g. MPP301)")
    parser.add_argument("--manager-factories", help="comma-separated dotted names of functions that return a manager")
    parser.add_argument("--exclude", help=f"comma-separated globs to skip (default: {','.join(DEFAULT_EXCLUDES)})")
    parser.add_argument("--extend-exclude", help="globs to skip in addition to the default excludes")
    parser.add_argument("--output-format", choices=FORMATS, help="text (default), concise, json, github or sarif")
    parser.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    parser.add_argument("--show-fixes", action="store_true", help="mark fixable findings and their fix safety")
    parser.add_argument("--fix", action="store_true", help="apply fixes in place")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    parser.add_argument("--unsafe-fixes", action="store_true", default=None,
                        help="also apply unsafe fixes (main guard, pass proxies as arguments)")
    parser.add_argument("--fix-style", choices=FIX_STYLES, help="reassign (default), nested, or auto")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when --fix changed a file")
    parser.add_argument("--explain", nargs="?", const="", metavar="CODE", help="print a rule's documentation")
    parser.add_argument("-j", "--jobs", type=int, help="worker processes (default: one per CPU for a tree)")
    parser.add_argument("--target-version", metavar="pyXY", help="oldest Python the code runs on, py39..py315 "
                        "(default: from requires-python in pyproject.toml, else this interpreter)")
    parser.add_argument("--stdin-filename", help="the name to show for '-'")
    parser.add_argument("--config", help="pyproject.toml to read instead of the nearest one")
    parser.add_argument("--isolated", action="store_true", help="read no configuration file")
    parser.add_argument("--version", action="version",
                        version=f"flake8-mpproxy {__version__} (Python {platform.python_version()})")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command; a closed pipe (``| head``) or Ctrl-C ends it quietly, as other command-line tools do."""
    try:
        return _main(argv)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at interpreter exit
        return 1
    except KeyboardInterrupt:
        print("flake8-mpproxy: interrupted", file=sys.stderr)
        return 130


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.explain is not None:
        return print_explanation(args.explain)
    if args.fix and args.diff:
        parser.error("--fix and --diff cannot be used together")
    paths = args.paths or ["."]
    try:
        config = {} if args.isolated else load_config(paths, args.config)
        settings, options = settings_from(args, config)
    except ConfigError as err:
        print(f"flake8-mpproxy: error: {err}", file=sys.stderr)
        return 2
    return run(paths, args, settings, options)


def print_explanation(code: str) -> int:
    if not code:
        print(rule_list())
        return 0
    if code.upper() not in BY_CODE:
        print(f"flake8-mpproxy: error: unknown rule code {code!r}; known: {', '.join(BY_CODE)}", file=sys.stderr)
        return 2
    print(explain(code))
    return 0


def settings_from(args: argparse.Namespace, config: dict) -> Tuple[Settings, dict]:
    """Command line over configuration over defaults."""
    def pick(name: str, default=None):
        value = getattr(args, name.replace("-", "_"))
        return value if value is not None else config.get(name, default)

    def codes(name: str) -> Tuple[str, ...]:
        value = pick(name)
        items = split_list(value) if isinstance(value, str) else list(value or [])
        unknown = [c for c in items if not any(code.startswith(c.upper()) for code in BY_CODE)]
        if unknown:
            raise ConfigError(f"--{name}: unknown code {unknown[0]!r}")
        return tuple(c.upper() for c in items)

    factories = pick("manager-factories")
    settings = Settings(select=codes("select"), ignore=codes("ignore"), extend_select=codes("extend-select"),
                        manager_factories=tuple(split_list(factories) if isinstance(factories, str)
                                                else factories or ()),
                        target_version=resolve_target_version(pick("target-version"), args.paths, args.config,
                                                              isolated=args.isolated))
    exclude = pick("exclude")
    exclude_list = (split_list(exclude) if isinstance(exclude, str) else list(exclude)) if exclude else list(
        DEFAULT_EXCLUDES)
    extra = pick("extend-exclude")
    exclude_list += split_list(extra) if isinstance(extra, str) else list(extra or [])
    style = pick("fix-style", "reassign")
    if style not in FIX_STYLES:
        raise ConfigError(f"fix-style: expected one of {', '.join(FIX_STYLES)}, got {style!r}")
    options = {"exclude": exclude_list, "style": style, "unsafe": bool(pick("unsafe-fixes", False)),
               "format": pick("output-format", "text")}
    if options["format"] not in FORMATS:
        raise ConfigError(f"output-format: expected one of {', '.join(FORMATS)}, got {options['format']!r}")
    return settings, options


def run(paths: List[str], args: argparse.Namespace, settings: Settings, options: dict) -> int:
    mode = MODE_FIX if args.fix else MODE_DIFF if args.diff else MODE_CHECK
    job = Job(settings, mode, unsafe=options["unsafe"], style=options["style"])
    files, errors = [], []
    for path, cause in iter_files(paths, options["exclude"]):
        (errors.append((path, cause)) if cause else files.append(path))
    stdin = [p for p in files if p == "-"]
    files = [p for p in files if p != "-"]
    outcomes = list(run_all(files, job, args.jobs))
    for _ in stdin:
        outcomes.append(process("-", job, display=args.stdin_filename or "stdin", raw=read_bytes("-")))
    outcomes = flatten(outcomes)
    return report(outcomes, errors, args, options, mode)


def report(outcomes: List[Outcome], errors: List[Tuple[str, str]], args: argparse.Namespace, options: dict,
           mode: str) -> int:
    for path, cause in errors:
        print(f"{path}: error: {cause}", file=sys.stderr)
    errors_found = bool(errors)
    located: List[Located] = []
    for outcome in outcomes:
        if outcome.error is not None:
            errors_found = True
            print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
        located.extend((outcome.path, finding) for finding in outcome.findings)
        if outcome.output is not None:
            sys.stdout.buffer.write(outcome.output)
            sys.stdout.flush()
    diffs = [o.diff for o in outcomes if o.diff]
    fixed = sum(len(o.fixed) for o in outcomes)
    files_fixed = sum(1 for o in outcomes if o.fixed)
    to_stderr = any(o.output is not None for o in outcomes)  # stdout carries the fixed code
    out = sys.stderr if to_stderr else sys.stdout
    if mode == MODE_DIFF:
        for diff in diffs:
            out.write(diff)
    elif located or options["format"] in ("json", "sarif"):
        print(render(options["format"], located, args.show_fixes), file=out)
    if args.statistics and located:
        print(statistics(located), file=out)
    if options["format"] in ("text", "concise") and not args.quiet and (located or fixed or mode != MODE_CHECK):
        print(summary(located, fixed, files_fixed, mode), file=sys.stderr if mode == MODE_DIFF else out)
    if errors_found:
        return 2
    if mode == MODE_DIFF:
        return 1 if diffs else 0
    if mode == MODE_FIX and args.exit_non_zero_on_fix and files_fixed:
        return 1
    return 1 if located else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
