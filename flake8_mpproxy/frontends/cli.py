"""The ``flake8-mpproxy`` command: options -> per-file configuration -> files -> outcomes -> report -> exit status.

Exit status (ruff's): 0 nothing found (or everything fixed); 1 findings remain, or ``--diff`` has changes, or
``--exit-non-zero-on-fix`` and a file changed; 2 usage or configuration error, or a file could not be checked.
``--exit-zero`` turns 1 into 0 (never 2).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import sys
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .. import __version__
from ..project.cache import ENV_CACHE_DIR, ENV_NO_CACHE, environment_settings
from ..model.catalogue import BY_CODE
from ..model.config import ConfigError, parse_override, validate
from ..project.discovery import PATH_CAUSES, STDIN, force_excluded, iter_files
from ..project.paths import split_list
from .explain import explain, rule_list
from ..project.gitignore import GitIgnore
from .report import ALWAYS_PRINTED, INVALID_CONFIGURATION, STATISTICS_FORMATS, FileError, Located, render, \
    statistics, summary
from ..model.jobs import FORMATS
from ..model.findings import FIX_STYLES
from ..project.resolve import Resolver, parse_per_file_ignores
from ..model.source import IO_ERROR, Problem
from .runner import flatten, process, read_bytes, run_all
from ..model.jobs import MODE_CHECK, MODE_DIFF, MODE_FIX, MODE_NOQA, Job, Outcome

COLORS = ("auto", "always", "never")


EXAMPLES = """\
examples:
  flake8-mpproxy                             check the current directory
  flake8-mpproxy --diff src/                 show what --fix would change
  flake8-mpproxy --fix --unsafe-fixes a.py   fix, moving module-level managers under the main guard
  flake8-mpproxy --output-format github .    annotations for GitHub Actions
  flake8-mpproxy --add-noqa .                mark every finding with '# noqa: CODE', to fix later
  flake8-mpproxy --explain MPP101            a rule's documentation
"""


def build_parser() -> argparse.ArgumentParser:
    """The options in groups, as ruff's ``--help`` shows them, ending with examples."""
    parser = argparse.ArgumentParser(
        prog="flake8-mpproxy", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Find (and fix) multiprocessing manager proxy traps that silently lose data.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories ('-' for stdin); default: .")
    rules_group(parser.add_argument_group("rule selection"))
    files_group(parser.add_argument_group("file selection"))
    fix_group(parser.add_argument_group("fixing"))
    output_group(parser.add_argument_group("output"))
    config_group(parser.add_argument_group("configuration and cache"))
    other = parser.add_argument_group("miscellaneous")
    other.add_argument("--explain", nargs="?", const="", metavar="CODE", help="print a rule's documentation")
    other.add_argument("-j", "--jobs", type=int, help="worker processes (default: in process for under 2 MB of "
                       "files to analyse, else one per MB, at most one per CPU)")
    other.add_argument("--version", action="version",
                       version=f"flake8-mpproxy {__version__} (Python {platform.python_version()})")
    return parser


def rules_group(group: "argparse._ArgumentGroup") -> None:
    add = group.add_argument
    add("--select", help="comma-separated codes or prefixes to report (default: all on-by-default)")
    add("--ignore", help="comma-separated codes or prefixes not to report")
    add("--extend-select", help="codes to add to the selection (e.g. MPP301)")
    add("--per-file-ignores", help="flake8's form: 'tests/*:MPP101,MPP2 gen.py:MPP3'")
    add("--manager-factories", help="comma-separated dotted names of functions that return a manager")
    add("--target-version", metavar="pyXY", help="oldest Python the code runs on, py39..py315 "
        "(default: from requires-python in the nearest pyproject.toml, else this interpreter)")


def files_group(group: "argparse._ArgumentGroup") -> None:
    add = group.add_argument
    add("--exclude", help="comma-separated globs to skip, replacing the default list")
    add("--extend-exclude", help="globs to skip in addition to the default excludes")
    add("--force-exclude", action="store_true", default=None,
        help="apply the excludes to files named on the command line too (for pre-commit)")
    add("--no-force-exclude", dest="force_exclude", action="store_false",
        help="check every file named on the command line (the default)")
    add("--respect-gitignore", action="store_true", default=None, help="skip what .gitignore ignores (default)")
    add("--no-respect-gitignore", dest="respect_gitignore", action="store_false",
        help="walk into files and folders that .gitignore ignores")
    add("--stdin-filename", metavar="NAME", help="read stdin (no PATH needed) and show it as NAME")
    add("--show-files", action="store_true", help="print the files that would be checked, then stop")


def fix_group(group: "argparse._ArgumentGroup") -> None:
    add = group.add_argument
    add("--fix", action="store_true", help="apply fixes in place")
    add("--diff", action="store_true", help="print the fixes as a unified diff; change nothing (with --fix too)")
    add("--unsafe-fixes", action="store_true", default=None,
        help="also apply unsafe fixes (main guard, pass proxies as arguments)")
    add("--fix-style", choices=FIX_STYLES, help="reassign (default), nested, or auto")
    add("--show-fixes", action="store_true", help="mark fixable findings and their fix safety")
    add("--exit-non-zero-on-fix", action="store_true", help="exit 1 when --fix changed a file")
    add("--add-noqa", action="store_true",
        help="add '# noqa: CODE' to every line with a finding (selected codes; existing noqa codes and comments "
             "kept), in place, then stop; not with --fix or --diff")


def output_group(group: "argparse._ArgumentGroup") -> None:
    add = group.add_argument
    add("--output-format", choices=FORMATS, help="text (default), " + ", ".join(FORMATS[1:]))
    add("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    add("--color", choices=COLORS, default="auto",
        help="colour the text output: auto (a terminal, unless NO_COLOR is set or FORCE_COLOR is), always, never")
    add("--statistics", action="store_true", help="print the number of findings per code instead of the findings")
    add("-q", "--quiet", action="store_true", help="print findings only, no summary")
    add("--exit-zero", action="store_true", help="exit 0 even when findings remain (2 still means an error)")


def config_group(group: "argparse._ArgumentGroup") -> None:
    add = group.add_argument
    add("--config", action="append", default=[], metavar="PATH|KEY=VALUE",
        help="a pyproject.toml to use for every file, or a TOML 'key = value' that overrides every file's")
    add("--isolated", action="store_true", help="read no configuration file")
    add("--show-settings", action="store_true", help="print the settings for the first file, then stop")
    add("--cache-dir", metavar="DIR", help="where to keep the result cache (default: .flake8-mpproxy_cache at "
        f"the project root; none outside a project; env {ENV_CACHE_DIR})")
    add("--no-cache", action="store_true", default=None,
        help=f"neither read nor write the result cache (env {ENV_NO_CACHE}=1)")
    add("--no-project", action="store_true", default=None,
        help="check each file alone, without the calls other modules of the project make into it")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command; a closed pipe (``| head``) or Ctrl-C ends it quietly, as other command-line tools do.
    ``server`` as the first argument runs the language server instead (``ruff server``'s form; a file named
    ``server`` is checked as ``./server``)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["server"]:
        from .server import main as serve

        return serve(arguments[1:])
    try:
        return _main(arguments)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at interpreter exit
        return 1
    except KeyboardInterrupt:
        print("flake8-mpproxy: interrupted", file=sys.stderr)
        return 130


#: What the package needs installed (pyproject's dependencies): one missing is one line, not a traceback.
DEPENDENCIES = frozenset({"flake8", "libcst", "pathspec", "tomli"})


def console() -> int:
    """The installed command and ``python -m flake8_mpproxy``: :func:`main` in a process of its own. Run from a
    checkout by a Python without the package's dependencies, it says which one is missing and exits 2."""
    tune_gc()
    try:
        return main()
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] not in DEPENDENCIES:
            raise
        print(f"flake8-mpproxy: error: the dependency {err.name!r} is not installed for {sys.executable} "
              f"(pip install flake8-mpproxy, or pip install -e . in a checkout)", file=sys.stderr)
        return 2


def tune_gc() -> None:
    """The command's own process only (not :func:`main` called by a library or a test, nor the flake8
    plugin's host: their collector is theirs). The analysis allocates many short-lived objects, and at the
    default thresholds the cyclic collector runs every 700 of them, scanning again what start-up imported.
    Freezing that, and collecting about 7 times less often, takes 8 % off a manager-heavy run; memory stays
    bounded (collections still run; a file's objects are garbage once it is analysed). Forked workers
    inherit both."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


#: Allocations between two young-generation collections in the command (Python's default: 700).
GC_THRESHOLD = 5000


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.explain is not None:
        return print_explanation(args.explain)
    refuse_add_noqa_conflicts(parser, args)
    # --diff wins over --fix: it never writes (ruff)
    mode = MODE_NOQA if args.add_noqa else MODE_DIFF if args.diff else MODE_FIX if args.fix else MODE_CHECK
    try:
        values, explicit = command_line_values(args)
        resolver = Resolver(values, mode, explicit, args.isolated)
        fmt = resolver.for_path(".").output_format
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    if args.statistics and fmt not in STATISTICS_FORMATS:
        print(f"flake8-mpproxy: error: --statistics works with --output-format {', '.join(STATISTICS_FORMATS)}, "
              f"not {fmt}", file=sys.stderr)
        return 2
    paths = args.paths or ([STDIN] if args.stdin_filename else ["."])
    if args.show_settings:
        return show_settings(paths, resolver)
    items, errors = collect(paths, resolver, args.stdin_filename)
    if args.show_files:
        for path, _ in items:
            print(os.path.abspath(path) if path != STDIN else args.stdin_filename or STDIN)
        return print_errors(errors)
    outcomes = run(items, args, resolver)
    with output(args.output_file) as out:
        here = resolver.for_path(".").job
        status = report(outcomes, errors, args, fmt, mode, out, here.unsafe, here.style)
    return status


def refuse_add_noqa_conflicts(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--add-noqa`` rewrites files to suppress what ``--fix`` would change and what ``--diff`` would show:
    together they contradict each other (ruff only warns, and the noqa wins). It needs files to write to, so
    stdin is refused too. A usage error, exit status 2."""
    if not args.add_noqa:
        return
    if args.fix or args.diff:
        parser.error(f"--add-noqa cannot be used with {'--fix' if args.fix else '--diff'}")
    if STDIN in args.paths or args.stdin_filename:
        parser.error("--add-noqa writes files in place; it cannot read stdin")


def command_line_values(args: argparse.Namespace) -> Tuple[Dict[str, Any], Optional[Path]]:
    """The options given, as ``[tool.flake8-mpproxy]`` keys (validated as such), plus ``--config PATH``."""
    values: Dict[str, Any] = {}
    for key in ("select", "ignore", "extend-select", "manager-factories", "exclude", "extend-exclude"):
        value = getattr(args, key.replace("-", "_"))
        if value is not None:
            values[key] = split_list(value)
    env_dir, env_enabled = environment_settings()  # ruff's RUFF_CACHE_DIR / RUFF_NO_CACHE: below the options
    if env_dir is not None:
        values["cache-dir"] = env_dir
    if env_enabled is not None:
        values["no-cache"] = not env_enabled
    for key in ("fix-style", "output-format", "unsafe-fixes", "force-exclude", "respect-gitignore", "target-version",
                "cache-dir", "no-cache", "no-project"):
        value = getattr(args, key.replace("-", "_"))
        if value is not None:
            values[key] = value
    if args.per_file_ignores is not None:
        values["per-file-ignores"] = parse_per_file_ignores(args.per_file_ignores)
    for key, value in values.items():
        validate({key: value}, f"--{key}")
    explicit: Optional[Path] = None
    for item in args.config:
        if "=" not in item or os.path.isfile(item):
            if explicit is not None:
                raise ConfigError("--config", "give at most one configuration file")
            if not os.path.isfile(item):
                raise ConfigError(item, "No such file or directory")
            explicit = Path(item).resolve()
        else:
            values.update(parse_override(item))
    return values, explicit


def collect(paths: List[str], resolver: Resolver,
            stdin_name: Optional[str] = None) -> Tuple[List[Tuple[str, Job]], List[Tuple[str, str]]]:
    """The files to check with their jobs, and the paths (or configuration files) that cannot be used."""
    items: List[Tuple[str, Job]] = []
    errors: Dict[str, str] = {}
    gitignore = GitIgnore()
    for path, job, cause in iter_files(paths, resolver, gitignore, stdin_name):
        if cause is not None:
            errors.setdefault(path, cause)
        elif job is not None:
            items.append((path, job))
    return items, list(errors.items())


def run(items: List[Tuple[str, Job]], args: argparse.Namespace, resolver: Resolver) -> List[Outcome]:
    files = [(path, job) for path, job in items if path != STDIN]
    outcomes = list(run_all(files, args.jobs))
    for _, job in (item for item in items if item[0] == STDIN):
        outcomes.append(process_stdin(job, args, resolver))
    return flatten(outcomes)


def process_stdin(job: Job, args: argparse.Namespace, resolver: Resolver) -> Outcome:
    """stdin, configured as if it were ``--stdin-filename``; an excluded name under ``--force-exclude`` is
    passed through untouched (ruff does the same, so editors can pipe every buffer)."""
    name = args.stdin_filename or "stdin"
    raw = read_bytes(STDIN)
    if args.stdin_filename:
        resolved = resolver.for_path(name)
        if resolved.force_exclude and force_excluded(name, resolved.exclude, resolved.root):
            return Outcome(name, output=raw if job.mode == MODE_FIX else None)
    return process(STDIN, job, display=name, raw=raw)


@contextlib.contextmanager
def output(path: Optional[str]) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def use_color(choice: str, stream: IO[str]) -> bool:
    """``--color always|never`` wins; ``auto`` honours NO_COLOR (https://no-color.org), then FORCE_COLOR,
    then colours only a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def print_errors(errors: List[Tuple[str, str]]) -> int:
    for path, cause in errors:
        print(f"{path}: error: {cause}", file=sys.stderr)
    return 2 if errors else 0


def print_explanation(code: str) -> int:
    if not code:
        print(rule_list())
        return 0
    if code.upper() not in BY_CODE:
        print(f"flake8-mpproxy: error: unknown rule code {code!r}; known: {', '.join(BY_CODE)}", file=sys.stderr)
        return 2
    print(explain(code))
    return 0


def show_settings(paths: List[str], resolver: Resolver) -> int:
    """ruff's ``--show-settings``: what applies to the first file the paths give."""
    items, errors = collect(paths, resolver)
    if not items:
        return print_errors(errors) or 2
    path, job = items[0]
    resolved = resolver.for_path(path)
    print(f"Resolved settings for: {os.path.abspath(path) if path != STDIN else STDIN}")
    print(f"Settings path: {resolved.config or 'none (defaults and command line)'}")
    print(f"enabled = {sorted(job.settings.enabled_codes())}")
    print(f"manager-factories = {list(job.settings.manager_factories)}")
    print(f"target-version = 'py{job.settings.target_version[0]}{job.settings.target_version[1]}'")
    print(f"fix-style = {job.style!r}\nunsafe-fixes = {str(job.unsafe).lower()}")
    print(f"exclude = {list(resolved.exclude)}")
    print(f"per-file-ignores = {dict((glob, list(codes)) for glob, codes in resolved.per_file_ignores)}")
    print(f"force-exclude = {str(resolved.force_exclude).lower()}")
    print(f"respect-gitignore = {str(resolved.respect_gitignore).lower()}")
    print(f"output-format = {resolved.output_format!r}")
    return 0


def report(outcomes: List[Outcome], errors: List[Tuple[str, str]], args: argparse.Namespace, fmt: str,
           mode: str, out: IO[str], unsafe: bool = False, style: str = "reassign") -> int:
    """Print everything in order (errors, findings or statistics, summary) and return the exit status;
    ``unsafe``: unsafe fixes count as fixable (``--unsafe-fixes``), for the statistics' ``[*]`` and the
    summary's hints, which count only what ``--fix`` with these settings would try."""
    errors_found = bool(print_errors(errors))
    if mode == MODE_NOQA:
        return report_added_noqa(outcomes, args.quiet) or (2 if errors_found else 0)
    located: List[Located] = []
    file_errors = [FileError(path, cause, Problem(path_error_kind(cause))) for path, cause in errors]
    for outcome in outcomes:
        if outcome.error is not None:
            errors_found = True
            print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
            if outcome.problem is not None:
                file_errors.append(FileError(outcome.path, outcome.error, outcome.problem))
        for note in outcome.notes:
            print(f"{outcome.path}: warning: {note}", file=sys.stderr)
        located.extend((outcome.path, finding) for finding in outcome.findings)
        if outcome.output is not None:
            sys.stdout.buffer.write(outcome.output)
            sys.stdout.flush()
    diffs = [o.diff for o in outcomes if o.diff]
    fixed = sum(len(o.fixed) for o in outcomes)
    files_fixed = sum(1 for o in outcomes if o.fixed)
    if out is sys.stdout and any(o.output is not None for o in outcomes):
        out = sys.stderr  # stdout carries the fixed code
    if mode == MODE_DIFF:
        for diff in diffs:
            out.write(diff)
    elif args.statistics:
        if located or fmt == "json":
            print(statistics(located, fmt, unsafe), file=out)
    elif located or file_errors or fmt in ALWAYS_PRINTED:
        print(render(fmt, located, args.show_fixes, use_color(args.color, out), file_errors), file=out)
    if fmt in ("text", "concise") and not args.quiet and (located or fixed or mode != MODE_CHECK):
        print(summary(located, fixed, files_fixed, mode, unsafe, style), file=sys.stderr if mode == MODE_DIFF else out)
    return exit_status(args, mode, errors_found, bool(diffs), files_fixed, bool(located))


def path_error_kind(cause: str) -> str:
    """The kind of a path :func:`collect` could not use: a missing file or broken link cannot be read; any
    other cause is its configuration file's."""
    return IO_ERROR if cause in PATH_CAUSES else INVALID_CONFIGURATION


def report_added_noqa(outcomes: List[Outcome], quiet: bool) -> int:
    """``--add-noqa``: errors and warnings on stderr, then ruff's summary there (``Added N noqa directives.``,
    only when it added some, and not under ``--quiet``); no findings are printed. Returns 2 when a file could
    not be done, else 0 (ruff's status after adding)."""
    failed = False
    for outcome in outcomes:
        if outcome.error is not None:
            failed = True
            print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
        for note in outcome.notes:
            print(f"{outcome.path}: warning: {note}", file=sys.stderr)
    added = sum(outcome.noqa_added for outcome in outcomes)
    if added and not quiet:
        print(f"Added {added} noqa directive{'s' * (added != 1)}.", file=sys.stderr)
    return 2 if failed else 0


def exit_status(args: argparse.Namespace, mode: str, errors: bool, diffs: bool, files_fixed: int,
                remaining: bool) -> int:
    if errors:
        return 2
    if args.exit_zero:
        return 0
    if mode == MODE_DIFF:
        return 1 if diffs else 0
    if mode == MODE_FIX and args.exit_non_zero_on_fix and files_fixed:
        return 1
    return 1 if remaining else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
