"""``flake8-mpproxy server``: a language server over stdio, a thin adapter over the command's pipeline.

pygls (the ``server`` extra) is imported only here, and only when the server runs: the command, the flake8
plugin and the library never need it. See docs/editors.md for setting up VS Code, Neovim, Helix and Emacs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

MISSING = ("flake8-mpproxy: error: the language server needs pygls; install it with "
           "pip install 'flake8-mpproxy[server]'")


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="flake8-mpproxy server",
        description="Run the flake8-mpproxy language server over stdio (for editors; see docs/editors.md). "
                    "It reads the same configuration as the command, per file.")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve until the client exits; 2 (one line on stderr) when pygls is missing or an argument is wrong."""
    build_parser().parse_args(argv)
    try:
        import pygls  # noqa: F401
        import lsprotocol  # noqa: F401
    except ImportError:
        print(MISSING, file=sys.stderr)
        return 2
    from .protocol import serve

    serve()
    return 0
