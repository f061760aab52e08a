"""flake8-mpproxy: find multiprocessing manager proxy traps, and fix them."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
