"""``python -m flake8_mpproxy``: the same command as ``flake8-mpproxy``."""

from __future__ import annotations

import sys

from .frontends.cli import console

if __name__ == "__main__":
    sys.exit(console())
