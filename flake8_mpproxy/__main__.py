"""``python -m flake8_mpproxy``: the same command as ``flake8-mpproxy``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
