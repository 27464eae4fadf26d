"""Single-threaded BLAS for the hot paths that do many small dense products.

On a machine with few, contended cores, BLAS threads make small products up to ten times slower
(their start-up dominates). The routes that do many of them — the matrix-free Perron pair, the
Lanczos quadrature, the threaded Monte Carlo chunks — run inside :func:`single_threaded_blas`,
which restores the caller's setting on exit.
"""

from __future__ import annotations

import sys
from typing import Any

from threadpoolctl import ThreadpoolController

__all__ = ["single_threaded_blas"]

_CACHE: dict[str, Any] = {}


def single_threaded_blas() -> Any:
    """A context manager limiting every loaded BLAS to one thread (restored on exit).

    The library scan (``threadpoolctl.ThreadpoolController``, ~2 ms) is cached and redone only when
    a module was imported since (a newly loaded extension may bring its own BLAS), so entering the
    limit costs ~0.04 ms in a loop.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with single_threaded_blas():
    ...     all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
    True
    """
    loaded = len(sys.modules)
    if _CACHE.get("modules") != loaded:
        _CACHE["controller"] = ThreadpoolController()
        _CACHE["modules"] = loaded
    return _CACHE["controller"].limit(limits=1, user_api="blas")
