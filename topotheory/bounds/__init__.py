"""Layer 5 — the paper's general theory (§4): M(γ), Theorem 6 and its corollaries, Koloskova's rate.
"""

from .section4 import (  # noqa: F401
    BETA_KINDS,
    m_matrix,
    beta,
    theorem6_learning_rate,
    Corollary7,
    corollary7,
    Corollary8,
    corollary8,
    RateTerms,
    corollary10_rate,
    koloskova_rate,
)

__all__ = [
    "BETA_KINDS",
    "m_matrix",
    "beta",
    "theorem6_learning_rate",
    "Corollary7",
    "corollary7",
    "Corollary8",
    "corollary8",
    "RateTerms",
    "corollary10_rate",
    "koloskova_rate",
]
