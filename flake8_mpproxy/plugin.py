"""``flake8_mpproxy.plugin``: the flake8 entry point's stable path (``MPP = flake8_mpproxy.plugin:Plugin``).

The plugin lives in :mod:`flake8_mpproxy.frontends.plugin`; this name stays so that an installation whose
metadata names it keeps loading in flake8 (a path that moved made flake8 stop with FailedToLoadPlugin).
"""

from .frontends.plugin import Plugin

__all__ = ["Plugin"]
