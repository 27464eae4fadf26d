"""Layer 4 — the toy problem's theory (paper §3): exact rates, optimal learning rates, loss curves.

The sympy oracles live in :mod:`topotheory.toy.symbolic` (imported on first use).
"""

from .quadratic import (  # noqa: F401
    RATE_METHODS,
    RATE_MODES,
    zeta,
    loss_curve,
    time_to_target,
    quadratic_rate,
    RateLog,
    OptimalLearningRate,
    optimal_learning_rate,
    max_learning_rate,
)

__all__ = [
    "RATE_METHODS",
    "RATE_MODES",
    "zeta",
    "loss_curve",
    "time_to_target",
    "quadratic_rate",
    "RateLog",
    "OptimalLearningRate",
    "optimal_learning_rate",
    "max_learning_rate",
]
