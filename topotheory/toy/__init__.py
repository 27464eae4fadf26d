"""Layer 4 — the toy problem's theory (paper §3): exact rates, optimal learning rates, loss curves.

The sympy oracles live in :mod:`topotheory.toy.symbolic` (imported on first use).
"""

from . import quadratic, sparse

__all__ = quadratic.__all__ + sparse.__all__

from .quadratic import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
