"""Layer 3 — numbers of a graph: spectral gaps, the effective number of neighbours n_W, and the
functionals of the literature (S_0/S_1, consensus distances, Koloskova's mixing, mixing time).
"""

from . import spectral, randomwalk, functionals

__all__ = spectral.__all__ + randomwalk.__all__ + functionals.__all__

from .spectral import *  # noqa: F401,F403
from .randomwalk import *  # noqa: F401,F403
from .functionals import *  # noqa: F401,F403
