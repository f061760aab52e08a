"""The benchmark's corpora are what they claim (realistic programs and programs with recursive helpers that
parse, use managers and hold the traps they are labelled with; call chains whose finding sits on the line the
benchmark looks at), the per-file timer times what the command analyses, and the benchmark script runs end to end
and prints its rows."""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

from flake8_mpproxy.model.source import may_have_findings, prefilter_tokens

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import chains  # noqa: E402
import fixable  # noqa: E402
import realistic  # noqa: E402
import recursive  # noqa: E402


def findings_by_file(*paths: Path) -> dict:
    """The real command's findings, as {resolved path: {(code, line), ...}}."""
    out = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "-j1", "--output-format", "json",
                          *map(str, paths)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    found: dict = {}
    for finding in json.loads(out.stdout):
        where = (finding["code"], finding["location"]["row"])
        found.setdefault(Path(finding["filename"]).resolve(), set()).add(where)
    return found


def test_realistic_corpus_is_deterministic_and_uses_managers_everywhere(tmp_path):
    first = realistic.generate(tmp_path / "a", 60, seed=3)
    second = realistic.generate(tmp_path / "b", 60, seed=3)
    assert [p.read_text() for p, _ in first] == [p.read_text() for p, _ in second]
    assert len({p.read_text() for p, _ in first}) == 60
    for path, _ in first:
        text = path.read_text()
        ast.parse(text)
        assert may_have_findings(text, prefilter_tokens()), path  # no file is skipped: all are analysed
        assert 'if __name__ == "__main__":' in text


def test_realistic_corpus_findings_match_the_planted_traps(tmp_path):
    planted = realistic.generate(tmp_path, 80, seed=0)
    found = findings_by_file(tmp_path)
    buggy = [path for path, codes in planted if codes]
    assert 15 <= len(buggy) <= 45  # a mix of correct and buggy programs
    for path, codes in planted:
        assert {code for code, _ in found.get(path.resolve(), ())} == set(codes), path


def pieces_of(text: str) -> List[str]:
    """The pieces a generated program says it holds (its docstring: ``"...: builder, mutual."``)."""
    return [piece.strip(" .") for piece in ast.get_docstring(ast.parse(text)).split(":", 1)[1].split(",")]


def test_recursive_corpus_is_deterministic_uses_managers_and_holds_every_shape(tmp_path):
    first = recursive.generate(tmp_path / "a", 60, seed=3)
    second = recursive.generate(tmp_path / "b", 60, seed=3)
    assert [p.read_text() for p, _ in first] == [p.read_text() for p, _ in second]
    assert len({p.read_text() for p, _ in first}) == 60
    shapes = set()
    for path, _ in first:
        text = path.read_text()
        ast.parse(text)
        assert may_have_findings(text, prefilter_tokens()), path  # no file is skipped: all are analysed
        assert 'if __name__ == "__main__":' in text
        shapes.update(pieces_of(text))
    assert {piece.__name__ for piece in recursive.PIECES} <= shapes


def references(source: str) -> Dict[str, Set[str]]:
    """Per function (and per module-level name bound by an assignment, such as a dict of functions), the names
    it refers to: called, read, or called as a method (``self.insert``)."""
    graph: Dict[str, Set[str]] = {}
    tree = ast.parse(source)
    bound = [(node.name, node) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    bound += [(target.id, stmt.value) for stmt in tree.body if isinstance(stmt, ast.Assign)
              for target in stmt.targets if isinstance(target, ast.Name)]
    for name, node in bound:
        graph.setdefault(name, set()).update(
            sub.id if isinstance(sub, ast.Name) else sub.attr for sub in ast.walk(node)
            if isinstance(sub, ast.Name) or isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
            and sub.value.id == "self")
    return graph


def recursive_functions(source: str) -> Set[str]:
    """The functions of ``source`` that reach themselves through the names they refer to: direct recursion,
    mutual recursion, recursion through a dict of functions or through ``self``."""
    graph = references(source)
    found = set()
    for name in graph:
        seen: Set[str] = set()
        todo = list(graph[name] & graph.keys())
        while todo:
            callee = todo.pop()
            if callee == name:
                found.add(name)
                break
            if callee not in seen:
                seen.add(callee)
                todo.extend(graph[callee] & graph.keys())
    return found


def test_every_recursive_corpus_file_carries_a_recursive_helper_per_piece(tmp_path):
    """Each recursive piece of a file (named in its docstring) brings at least one function that reaches itself
    again, whatever the shape: direct, conditional-expression, mutual, through a dict of functions, on self."""
    names = {piece.__name__ for piece in recursive.PIECES}
    for path, _ in recursive.generate(tmp_path, 40, seed=0):
        text = path.read_text()
        own = [piece for piece in pieces_of(text) if piece in names]
        assert len(recursive_functions(text)) >= len(own) >= 2, path


def test_recursion_through_a_dict_of_functions_is_found_by_the_corpus_check():
    source = ("def walk(value):\n    return HANDLERS[type(value).__name__](value)\n\n\n"
              "def walk_list(value):\n    return [walk(item) for item in value]\n\n\n"
              "def same(value):\n    return value\n\n\nHANDLERS = {'list': walk_list, 'int': same}\n")
    assert recursive_functions(source) == {"walk", "walk_list", "HANDLERS"}


def test_recursive_corpus_findings_match_the_planted_traps(tmp_path):
    planted = recursive.generate(tmp_path, 80, seed=0)
    found = findings_by_file(tmp_path)
    buggy = [path for path, codes in planted if codes]
    assert 15 <= len(buggy) <= 45  # a mix of correct and buggy programs
    for path, codes in planted:
        assert {code for code, _ in found.get(path.resolve(), ())} == set(codes), path


def single_piece_program(make: recursive.Make, buggy: bool, seed: int = 7) -> str:
    """A program holding only the piece ``make`` writes (its buggy or correct variant) and a main guard."""
    rng = random.Random(seed)
    api = realistic.STYLES[0]
    piece = make(rng, realistic.Names(rng), api, buggy)
    return (api["header"] + realistic.COMMON_IMPORTS + piece.code + f"\n\ndef main():\n    with {api['MANAGER']} "
            f"as manager:\n        print({piece.call})\n\n\nif __name__ == \"__main__\":\n    main()\n")


def test_each_recursive_piece_alone_reports_its_trap_once_and_nothing_when_correct(tmp_path):
    """Every shape alone, buggy and correct: the buggy variant gets one MPP101, on a line that appends to a copy
    read from a proxy; the correct variant gets no finding."""
    written = {}
    for make in recursive.PIECES:
        for buggy in (False, True):
            text = single_piece_program(make, buggy)
            path = tmp_path / f"{make.__name__}_{'buggy' if buggy else 'correct'}.py"
            path.write_text(text)
            written[path.resolve()] = (text.splitlines(), buggy)
    found = findings_by_file(tmp_path)
    for path, (lines, buggy) in written.items():
        got = sorted(found.get(path, ()))
        if not buggy:
            assert got == [], path
            continue
        assert [code for code, _ in got] == ["MPP101"], (path, got)
        assert ".append(" in lines[got[0][1] - 1], (path, lines[got[0][1] - 1])


def test_per_file_timer_times_what_the_command_analyses(tmp_path):
    (program, _), = recursive.generate(tmp_path / "corpus", 1, seed=0)
    plain = tmp_path / "plain.py"
    plain.write_text("import os\nprint(os.sep)\n")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "per_file.py"), "--reps", "2"],
                         input=f"{program}\n{plain}\n", capture_output=True, text=True, check=True)
    timed = json.loads(out.stdout)
    assert list(timed["files"]) == [str(program)] and timed["skipped"] == 1  # the prefilter skips plain.py
    entry = timed["files"][str(program)]
    assert entry["lines"] == len(program.read_text().split("\n"))
    assert 0 < entry["cpu"] < 5 and entry["stopped"] is False


@pytest.mark.parametrize("order", chains.ORDERS)
def test_chain_finding_is_on_the_line_the_benchmark_checks(tmp_path, order):
    generated = chains.generate(tmp_path, depths=(2, 4), orders=(order,))
    found = findings_by_file(tmp_path)
    for chain in generated:
        assert ("MPP101", chain.line) in found.get(chain.path.resolve(), ()), chain
        assert chain.path.read_text().splitlines()[chain.line - 1].strip() == "d[k].append(x)"


def test_callers_first_chain_defines_each_function_above_the_one_it_calls(tmp_path):
    (chain,) = chains.generate(tmp_path, depths=(6,), orders=("callers-first",))
    defined = [node.name for node in ast.parse(chain.path.read_text()).body if isinstance(node, ast.FunctionDef)]
    assert defined == [f"f{level}" for level in range(6)]


def test_walk_counter_counts_or_says_why_not(tmp_path):
    (chain,) = chains.generate(tmp_path, depths=(3,), orders=("callees-first",))
    plain = tmp_path / "plain.py"
    plain.write_text("import os\nprint(os.sep)\n")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "walks.py")],
                         input=f"{chain.path}\n{plain}\n", capture_output=True, text=True, check=True)
    counts = json.loads(out.stdout)
    if counts["source"] is None:
        assert "no walk counter" in counts["note"]
        return
    assert counts["files"][str(chain.path)]["modules"] >= 1
    assert counts["files"][str(chain.path)]["unit_count"] == 4  # the module body and f0, f1, f2
    assert counts["files"][str(plain)]["modules"] == 0  # skipped by the prefilter: never walked


@pytest.mark.slow
def test_quick_benchmark_prints_every_row(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_benchmarks.py"), "--quick", "--skip-flake8",
         "--corpus1-files", "20", "--corpus2-files", "6", "--corpus3-files", "12", "--corpus4-files", "12",
         "--chain-depths", "3,9", "--fix-findings", "40",
         "--baseline", str(ROOT)],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    for row in ("| parse3 |", "| check3 -j1 |", "| check3 -j1 (baseline) |", "| check1 |",
                "| 3 | callers-first | yes | yes |", "| 9 | callees-first | yes | yes |", "| 9 | mutual |",
                "| realistic (corpus 3) | this tree |", "| realistic (corpus 3) | before (--baseline) |",
                "| check -j1 / parse-all (corpus 3, realistic, manager-heavy) |",
                "| check / parse-all (corpus 1, standard library, default run) | ",
                "| call chains reported (every depth and order) |",
                "| realistic files reported as planted | 12 of 12 |",
                "realistic corpus: ", "| parse4 |", "| floor4 |", "| check4 -j1 |",
                "| recursive helpers (corpus 4) | this tree |",
                "| recursive-helper corpus at most 1.5x the floor (check -j1 / floor, corpus 4) |",
                "| recursive-helper files reported as planted | 12 of 12 |", "recursive-helper corpus: ",
                "| no file over 20 ms per 1,000 lines (corpora 1 to 4, in process; worst file) |",
                "| files whose analysis stopped at its step budget (corpora 1 to 4) | 0 of ",
                "| recursive helpers (corpus 4) | 12 |",
                "| parse5 |", "| floor5 |", "| check5 -j1 |", "| fix5 |",
                "corpus 5 (one file, 40 fixable findings generated): 40 reported, 40 of them fixable with --fix; "
                "after --fix 0 remain and the file parses",
                "| CPU per fix (fix5 / N, N = 40) |", "| peak RSS of fix5 / check5 (corpus 5, -j1) |",
                "| check of the big file at most 2x the floor (check5 -j1 / floor5) |",
                "| corpus 5 findings reported / fixable / gone after --fix | 40 / 40 / 40 of 40 | all | met |"):
        assert row in text, row
    assert "CPU median (s)" in text and "load average" in text


def findings_of(path: Path) -> List[dict]:
    """The real command's findings on one file as JSON records (no cache, in process)."""
    out = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "-j1", "--no-cache", "--output-format", "json",
                          str(path)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_fixable_corpus_is_deterministic_and_has_one_function_per_finding(tmp_path):
    first = fixable.generate(tmp_path / "a", 30)
    second = fixable.generate(tmp_path / "b", 30)
    assert first.read_text() == second.read_text() == fixable.fixable_source(30)
    tree = ast.parse(first.read_text())
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert len(functions) == 30 and functions[:2] == ["append_00000", "alias_00001"]
    assert 'if __name__ == "__main__":' in first.read_text()


def test_fixable_corpus_has_n_fixable_findings_and_fix_leaves_none(tmp_path):
    """N = 40: the command reports 20 MPP101 and 20 MPP103, one per function, each with a safe fix; ``--fix``
    writes every one back (20 ``d[key] += [v]``, 20 ``d[key] = x``) and a second check finds nothing."""
    path = fixable.generate(tmp_path, 40)
    findings = findings_of(path)
    lines = path.read_text().splitlines()
    assert sorted(f["code"] for f in findings) == ["MPP101"] * 20 + ["MPP103"] * 20
    assert all(f["fix_applicability"] == "safe" for f in findings)
    assert {lines[f["location"]["row"] - 1].strip() for f in findings} == {"d[key].append(v)", "x.append(1)"}
    out = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "-j1", "--no-cache", "--fix", str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    fixed = path.read_text()
    ast.parse(fixed)
    assert fixed.count("    d[key] += [v]\n") == 20 and fixed.count("    d[key] = x\n") == 20
    assert "d[key].append(v)" not in fixed
    assert findings_of(path) == []


def test_project_tree_has_managers_workers_without_multiprocessing_and_cross_module_findings(tmp_path):
    import project_tree

    files, managers = project_tree.generate(tmp_path, 100)
    assert (files, managers) == (105, 10)  # 5 packages of 20 modules plus their __init__.py
    workers = sorted(tmp_path.rglob("workers.py"))
    assert len(workers) == 5 and not any("multiprocessing" in w.read_text() for w in workers)
    found = findings_by_file(tmp_path)
    assert all(any(code == "MPP101" for code, _ in found.get(w.resolve(), ())) for w in workers), found
