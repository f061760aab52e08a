"""The benchmark's corpora are what they claim (realistic programs that parse, use managers and hold the traps
they are labelled with; call chains whose finding sits on the line the benchmark looks at), and the benchmark
script runs end to end and prints its rows."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.source import may_have_findings, prefilter_tokens

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import chains  # noqa: E402
import realistic  # noqa: E402


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
         "--corpus1-files", "20", "--corpus2-files", "6", "--corpus3-files", "12", "--chain-depths", "3,9",
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
                "realistic corpus: "):
        assert row in text, row
    assert "CPU median (s)" in text and "load average" in text


def test_project_tree_has_managers_workers_without_multiprocessing_and_cross_module_findings(tmp_path):
    import project_tree

    files, managers = project_tree.generate(tmp_path, 100)
    assert (files, managers) == (105, 10)  # 5 packages of 20 modules plus their __init__.py
    workers = sorted(tmp_path.rglob("workers.py"))
    assert len(workers) == 5 and not any("multiprocessing" in w.read_text() for w in workers)
    found = findings_by_file(tmp_path)
    assert all(any(code == "MPP101" for code, _ in found.get(w.resolve(), ())) for w in workers), found
