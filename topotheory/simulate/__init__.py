"""Layer 6 — Monte Carlo simulation of the same dynamics: D-SGD and the random walk, and rate fits.
"""

from .montecarlo import (  # noqa: F401
    default_burn_in,
    default_window,
    DSGDSimulation,
    RandomWalkSimulation,
    RateEstimate,
    simulate_dsgd,
    simulate_random_walk,
    estimate_rate,
)

__all__ = [
    "default_burn_in",
    "default_window",
    "DSGDSimulation",
    "RandomWalkSimulation",
    "RateEstimate",
    "simulate_dsgd",
    "simulate_random_walk",
    "estimate_rate",
]
