"""Layer 7 — theory against simulation: cross-checks of exact rates by Monte Carlo.

``topotheory.crosscheck`` is this module *and* the function :func:`crosscheck.rates.crosscheck`:
the module is callable, so ``tt.crosscheck(W, lr=..., d=..., reps=...)`` runs a cross-check while
``import topotheory.crosscheck as cc`` gives the module (``cc.crosscheck_grid``, ``cc.CrosscheckReport``).
"""

import inspect
import sys
import types
from typing import Any

from .randomwalk import RandomWalkCheck, crosscheck_random_walk
from .rates import CrosscheckGrid, CrosscheckReport, TaskError, crosscheck, crosscheck_grid, report_from_dict
from .stats import CheckReport, Diagnostics

__all__ = [
    "CrosscheckReport",
    "CrosscheckGrid",
    "crosscheck",
    "crosscheck_grid",
    "TaskError",
    "report_from_dict",
    "RandomWalkCheck",
    "crosscheck_random_walk",
    "CheckReport",
    "Diagnostics",
]


class _CallableModule(types.ModuleType):
    """A module that forwards calls to :func:`crosscheck` (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return crosscheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(crosscheck)
