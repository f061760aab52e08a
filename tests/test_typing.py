"""The package ships ``py.typed``: ``mypy --strict`` must be clean on it (skipped where mypy is not installed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]' installs it)")
def test_mypy_strict_is_clean_on_the_package():
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "flake8_mpproxy"],
                            cwd=str(ROOT), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
