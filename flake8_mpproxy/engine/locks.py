"""Which proxies are manager locks that a read-modify-write can be wrapped in (``with lock:``)."""

from __future__ import annotations

import ast

from .values import Proxy

#: Manager typeids whose proxy excludes other holders (a Semaphore may admit several: not one of them).
MUTEX_TYPEIDS = frozenset({"Lock", "RLock", "Condition"})


def is_mutex(proxy: Proxy) -> bool:
    """A proxy made by ``manager.Lock()``, ``manager.RLock()`` or ``manager.Condition()``."""
    site = proxy.site
    return (proxy.kind == "lock" and isinstance(site, ast.Call) and isinstance(site.func, ast.Attribute)
            and site.func.attr in MUTEX_TYPEIDS)
