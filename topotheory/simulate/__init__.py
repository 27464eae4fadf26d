"""Layer 6 — Monte Carlo simulation of the same dynamics: D-SGD and the random walk, and rate fits.
"""

from . import montecarlo

__all__ = montecarlo.__all__

from .montecarlo import *  # noqa: F401,F403
