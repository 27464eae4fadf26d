"""Layer 4 — the toy problem's theory (paper §3): exact rates, optimal learning rates, loss curves.

The sympy oracles live in :mod:`topotheory.toy.symbolic` (imported on first use).

The other algorithms of the registry (momentum, gradient tracking, compression, delays) are in
:mod:`topotheory.toy.algorithms`, reached through the same functions with ``algorithm=``.
"""

from . import algorithms, quadratic, sparse  # noqa: F401

__all__ = quadratic.__all__ + sparse.__all__ + ["AlgorithmRate", "OptimalHyperparameters", "optimal_hyperparameters"]

from .algorithms import AlgorithmRate, OptimalHyperparameters, optimal_hyperparameters  # noqa: F401
from .quadratic import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
