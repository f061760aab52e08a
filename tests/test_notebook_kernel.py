"""What really happens when a notebook starts children, measured in a real Jupyter kernel (nbclient + ipykernel,
test dependencies only), and what the command reports for the same notebook.

The measurements behind the notebook rules (docs/notebooks.md): a kernel's ``__main__`` is ``<module
'__main__'>`` with no ``__file__`` and no ``__spec__``, so a spawn or forkserver child re-imports nothing (a
module-level ``Manager()`` is harmless: no MPP201) but cannot unpickle a function defined in the notebook
(``AttributeError: Can't get attribute 'work' on <module '__main__' (built-in)>``), whether the proxy is read
from a global or passed in ``args`` (MPP202 stays, without its fix). Under fork both work.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

HELPER = "def put(proxy):\n    proxy['module'] = 1\n"
CELLS = [
    "import json, multiprocessing, sys\nimport __main__\nctx = multiprocessing.get_context(METHOD)\n"
    "print(json.dumps({'case': 'main', 'name': __name__, 'file': getattr(__main__, '__file__', None), "
    "'spec': repr(getattr(__main__, '__spec__', None))}))",
    "manager = ctx.Manager()\nshared = manager.dict()",
    "def work():\n    shared['global'] = 1",
    "def work_arg(proxy):\n    proxy['arg'] = 1",
    "import time\n"
    "def run(case, target, args=()):\n    p = ctx.Process(target=target, args=args)\n    p.start()\n    p.join(30)\n"
    "    time.sleep(1)  # the kernel forwards the child's stderr (its fd) from a thread: let it reach this cell\n"
    "    print(json.dumps({'case': case, 'exitcode': p.exitcode, 'stored': sorted(shared.keys())}))",
    "run('global proxy, notebook target', work)",
    "run('proxy in args, notebook target', work_arg, (shared,))",
    "import helper\nrun('proxy in args, module target', helper.put, (shared,))",
    "if __name__ == '__main__':\n    print(json.dumps({'case': 'guard', 'ran': True}))",
]


def execute(tmp_path: Path, method: str) -> Dict[str, Dict]:
    """Run the notebook in a fresh kernel; each case's JSON line, plus the stderr of its cell."""
    (tmp_path / "helper.py").write_text(HELPER, encoding="utf-8")
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.replace("METHOD", repr(method))) for c in CELLS])
    client = nbclient.NotebookClient(book, timeout=60, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    # ipykernel forwards what children write to its fds (their tracebacks) except when it sees pytest's variable
    client.execute(env={key: value for key, value in os.environ.items() if key != "PYTEST_CURRENT_TEST"})
    results: Dict[str, Dict] = {}
    for cell in book.cells:
        stderr = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        for output in cell.outputs:
            if output.get("name") == "stdout":
                for line in output["text"].splitlines():
                    record = json.loads(line)
                    record["stderr"] = stderr
                    results[record.pop("case")] = record
    return results


ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: The child cannot find the notebook's function in its own __main__; the wording changed in 3.14.
UNPICKLE_ERROR = re.compile(r"AttributeError: (Can't get attribute|module '__main__' has no attribute) '\w+'")


def unpickle_failed(record: Dict) -> bool:
    """The child could not unpickle its target (Python 3.13+ colours tracebacks: the escapes are dropped)."""
    return record["exitcode"] == 1 and bool(UNPICKLE_ERROR.search(ANSI.sub("", record["stderr"])))


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_children_of_a_kernel(tmp_path, method):
    results = execute(tmp_path, method)
    main = results["main"]
    assert (main["name"], main["file"], main["spec"]) == ("__main__", None, "None")
    assert results["guard"]["ran"] is True  # the main guard is always true in a kernel: it guards nothing
    module = results["proxy in args, module target"]
    assert module["exitcode"] == 0 and "module" in module["stored"]  # module-level manager: fine (no MPP201)
    global_case, arg_case = results["global proxy, notebook target"], results["proxy in args, notebook target"]
    if method == "fork":
        assert (global_case["exitcode"], arg_case["exitcode"]) == (0, 0)
        assert arg_case["stored"] == ["arg", "global"]
    else:
        assert unpickle_failed(global_case), global_case
        # the wording differs by version: "(built-in)" through 3.12, "(<class '...BuiltinImporter'>)" on 3.13,
        # "module '__main__' has no attribute 'work'" from 3.14
        assert re.search(r"Can't get attribute 'work' on <module '__main__' \((built-in|<class .*BuiltinImporter'>)\)>"
                         r"|module '__main__' has no attribute 'work'", ANSI.sub("", global_case["stderr"]))
        assert unpickle_failed(arg_case), arg_case  # passing the proxy (MPP202's fix) does not help
        assert module["stored"] == ["module"]


def test_the_command_on_the_measured_notebook(tmp_path):
    """MPP202 on the global read, without a fix; no MPP201 for the module-level manager."""
    source = [c.replace("METHOD", "'spawn'") for c in CELLS]
    book = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                       "source": s.splitlines(True)} for s in source],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "measured.ipynb").write_text(json.dumps(book, indent=1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--show-fixes", "--select", "MPP2",
                             "measured.ipynb"], cwd=str(tmp_path), capture_output=True, text=True)
    lines: List[str] = [line for line in result.stdout.splitlines() if ": MPP" in line]
    assert [line.split(" ")[2] for line in lines] == ["MPP202"]
    assert lines[0].startswith("measured.ipynb:cell 3:2:5: MPP202 'shared' is read from a module global in work()")
