"""``flake8_mpproxy.cli``: the console script's stable path (``flake8-mpproxy = flake8_mpproxy.cli:console``).

The command lives in :mod:`flake8_mpproxy.frontends.cli`; this name stays so that an installation whose
metadata names it (and anyone who imports it) keeps working.
"""

from .frontends.cli import console, main

__all__ = ["console", "main"]
