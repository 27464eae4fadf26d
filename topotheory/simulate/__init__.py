"""Layer 6 — Monte Carlo simulation of the same dynamics: D-SGD and the other algorithms, the random
walk, and rate fits.
"""

from . import algorithms, montecarlo

__all__ = montecarlo.__all__ + algorithms.__all__

from .montecarlo import *  # noqa: F401,F403
from .algorithms import *  # noqa: F401,F403
