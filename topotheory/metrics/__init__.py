"""Layer 3 — numbers of a graph: spectral gaps, the effective number of neighbours n_W, and the
functionals of the literature (S_0/S_1, consensus distances, Koloskova's mixing, mixing time).
"""

from .spectral import (  # noqa: F401
    SPECTRAL_GAP_KINDS,
    spectral_gap,
)
from .randomwalk import (  # noqa: F401
    NW_MODES,
    effective_neighbors,
    random_walk_covariance,
    spectral_gap_bound,
    spectral_dimension_bound,
)
from .functionals import (  # noqa: F401
    s1_functional,
    s0_functional,
    consensus_distance_noise,
    consensus_distance_heterogeneous,
    KoloskovaMixing,
    koloskova_mixing,
    KoloskovaComplexity,
    koloskova_complexity,
    mixing_time,
)

__all__ = [
    "SPECTRAL_GAP_KINDS",
    "spectral_gap",
    "NW_MODES",
    "effective_neighbors",
    "random_walk_covariance",
    "spectral_gap_bound",
    "spectral_dimension_bound",
    "s1_functional",
    "s0_functional",
    "consensus_distance_noise",
    "consensus_distance_heterogeneous",
    "KoloskovaMixing",
    "koloskova_mixing",
    "KoloskovaComplexity",
    "koloskova_complexity",
    "mixing_time",
]
