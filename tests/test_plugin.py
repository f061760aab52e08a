"""flake8 itself, in a subprocess: the plugin is registered, select/noqa work, and it agrees with the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed" / "seed.py"
NOQA_SAMPLE = '''from multiprocessing.managers import DictProxy


def f(d: DictProxy, n):
    d["a"].append(1)
    d["b"].append(1)  # noqa
    d["c"].append(1)  # noqa: MPP101
    d["e"].append(1)  # noqa: MPP1
    d["g"].append(1)  # noqa: E501
    d["h"].append(
        1,  # noqa
    )
    x = """
    # noqa: MPP101
    """; d["i"].append(1)


def child(d):
    d["n"] += 1
'''


def flake8(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", "--no-show-source", *args],
                          capture_output=True, text=True)


def command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], capture_output=True, text=True)


def codes_by_line(output: str):
    return sorted((int(line.split(":")[1]), line.split()[1]) for line in output.splitlines() if ": MPP" in line)


def test_plugin_is_registered():
    assert "flake8-mpproxy" in flake8("--version").stdout


def test_select_mpp_reports_the_seed_findings():
    result = flake8("--select", "MPP", str(SEED))
    assert result.returncode == 1
    assert codes_by_line(result.stdout) == [(7, "MPP201"), (11, "MPP101"), (11, "MPP202")]
    assert "Write it back (d[1] += [4])" in result.stdout


def test_noqa_agrees_with_the_command(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(NOQA_SAMPLE)
    via_flake8 = codes_by_line(flake8("--select", "MPP", str(sample)).stdout)
    assert via_flake8 == [(5, "MPP101"), (9, "MPP101"), (10, "MPP101")]
    assert codes_by_line(command(str(sample)).stdout) == via_flake8


def test_opt_in_rule_only_when_selected(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from multiprocessing import Manager, Process\n\n\ndef child(d):\n    d['n'] += 1\n\n\n"
                      "if __name__ == '__main__':\n    with Manager() as m:\n"
                      "        d = m.dict(n=0)\n        for _ in range(2):\n"
                      "            Process(target=child, args=(d,)).start()\n")
    assert flake8("--select", "MPP", str(sample)).stdout == ""
    assert codes_by_line(flake8("--select", "MPP", "--extend-select", "MPP301", str(sample)).stdout) == [
        (5, "MPP301")]
    assert codes_by_line(command("--extend-select", "MPP301", str(sample)).stdout) == [(5, "MPP301")]


def test_manager_factories_option_from_config(tmp_path):
    (tmp_path / "setup.cfg").write_text("[flake8]\nmpproxy-manager-factories = tools.make_manager\n")
    sample = tmp_path / "sample.py"
    sample.write_text("from tools import make_manager\n\nm = make_manager()\n")
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "MPP", "sample.py"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert codes_by_line(result.stdout) == [(3, "MPP201")]


def test_the_plugin_and_the_command_report_the_same_findings_with_the_same_messages():
    """Both front ends call the one per-file pipeline, so on the cross-module projects (where a message also
    says why the main-guard move is refused: other modules import the file) every finding is the same, word
    for word. Before they shared it, the plugin lost those notes."""
    import json

    projects = SEED.parent.parent / "projects"
    fmt = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"
    plugin = flake8("--mpproxy-no-cache", "--select", "MPP", "--extend-select", "MPP3", f"--format={fmt}", str(projects))
    assert plugin.stderr == ""
    ours = command("--no-cache", "--output-format", "json", "--extend-select", "MPP3", str(projects))
    found = {(Path(line.split("\t")[0]).resolve(), *map(int, line.split("\t")[1:3]), *line.split("\t")[3:])
             for line in plugin.stdout.splitlines()}
    expected = {(Path(item["filename"]).resolve(), item["location"]["row"], item["location"]["column"],
                 item["code"], item["message"]) for item in json.loads(ours.stdout)}
    assert len(expected) > 50 and any("(--unsafe-fixes leaves it: other modules import" in e[4] for e in expected)
    assert found == expected


def test_the_entry_points_keep_their_installed_paths():
    """Installed metadata names flake8_mpproxy.plugin:Plugin and flake8_mpproxy.cli:console: an installation
    made before the front ends moved into frontends/ must keep loading (flake8 refuses a plugin it cannot
    import, with a traceback)."""
    import importlib.metadata

    from flake8_mpproxy.cli import console
    from flake8_mpproxy.frontends import cli, plugin
    from flake8_mpproxy.plugin import Plugin

    assert Plugin is plugin.Plugin and console is cli.console
    points = {(point.group, point.name): point.value
              for point in importlib.metadata.distribution("flake8-mpproxy").entry_points}
    assert points[("flake8.extension", "MPP")] == "flake8_mpproxy.plugin:Plugin"
    assert points[("console_scripts", "flake8-mpproxy")] == "flake8_mpproxy.cli:console"
