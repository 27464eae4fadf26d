r"""Infinite vertex-transitive lattices through their spectral measure (:mod:`topotheory.graphs.lattices`).

Everything reduces to the resolvent average :math:`R(\gamma) = \int m/(1-\gamma m)\,d\sigma`,
:math:`m = |\mu|^2`: :math:`n_W(\gamma)^{-1} = (1-\gamma)R(\gamma)` (every worker alike) and the toy
problem's secular equation :math:`1 = (\beta/\rho)R(a/\rho)`, exact on vertex-transitive graphs.
The spectrum reaches 1, so every spectral gap is 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import GramMoments, Representation
from .roots import root_in_log

__all__ = ["SpectralMeasureRepresentation", "INFINITE_U_FLOOR"]

#: Roots u = rho - a below this fraction of beta are reported as 0 (r is then exact to far below
#: rounding; the 2-D grid's root can be ~1e-120).
INFINITE_U_FLOOR = 1e-30


class SpectralMeasureRepresentation(Representation):
    """An infinite lattice: random walk and toy rate from the resolvent of its spectral measure.

    Parameters
    ----------
    graph : InfiniteGraph
        The lattice (:mod:`topotheory.graphs.lattices`).

    Examples
    --------
    >>> from topotheory import infinite_ring
    >>> rep = SpectralMeasureRepresentation(infinite_ring())
    >>> rep.n, rep.product_norm()
    (inf, 1.0)
    """

    route = "spectral-measure"

    def __init__(self, graph: Any) -> None:
        self.scheme = graph
        self.n = math.inf
        self.period = 1
        self.static_symmetric = False

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        return c * self.scheme.resolvent_mean(None, one_minus_gamma=c)

    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        return self.scaled_mean_variance(g, c, phase)[..., None]

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        raise ValueError("an infinite graph has no finite covariance matrix; use effective_neighbors")

    def disagreement_mean(self, g: float, phase: int) -> float:
        raise ValueError("the spectral functionals need a finite scheme")

    def product_spectrum(self) -> np.ndarray:
        return np.ones(1)

    def product_norm(self) -> float:
        return 1.0

    def static_contraction(self) -> float | None:
        return 1.0

    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        r"""Secular equation over the spectral measure: :math:`1 = (\beta/\rho)\,R(a/\rho)`.

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple
            ``(u, iterations, residual, route)`` with :math:`u = \rho - a` (roots below
            ``INFINITE_U_FLOOR * beta`` reported as 0).

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import infinite_ring
        >>> u = SpectralMeasureRepresentation(infinite_ring()).secular_excess(np.array([0.81]), np.array([0.09]))[0]
        >>> round(float(u[0]), 8)
        0.00333062
        """
        graph = self.scheme
        L = a.shape[0]
        u = np.zeros(L)
        idx = np.flatnonzero(beta > 0)
        it = np.zeros(L, dtype=int)
        r = np.zeros(L)
        if idx.size == 0:
            return u, it, r, "secular-spectral-measure"

        def h(x: np.ndarray, i: Any) -> np.ndarray:
            j = idx[i]
            rho = a[j] + x
            R = graph.resolvent_mean(None, one_minus_gamma=np.minimum(x / rho, 1.0))
            return rho / (beta[j] * R) - 1.0

        x, its, res = root_in_log(h, INFINITE_U_FLOOR * beta[idx], beta[idx].copy(), floor_value=0.0)
        u[idx], it[idx], r[idx] = x, its, res
        return u, it, r, "secular-spectral-measure"

    def perron_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        u, its, res, route = self.secular_excess(a, beta)
        return u, its, res, np.ones(a.shape[0], dtype=bool), route

    def second_moments(self, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> GramMoments:
        raise ValueError("exact loss curves need a finite scheme")

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        raise ValueError("heterogeneous optima need a finite scheme")
