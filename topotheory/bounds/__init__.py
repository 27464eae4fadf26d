"""Layer 5 — the paper's general theory (§4): M(γ), Theorem 6 and its corollaries, Koloskova's rate.
"""

from . import section4

__all__ = section4.__all__

from .section4 import *  # noqa: F401,F403
