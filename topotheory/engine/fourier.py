r"""Circulant schemes (any period) in the Fourier basis: per-mode eigenvalues, per-mode products.

Every matrix of a circulant scheme is diagonal in the same Fourier basis, with eigenvalues
:math:`\mu_{t,k}` (:meth:`Scheme.fourier_eigenvalues`; mode 0 is the consensus mode). The moduli
:math:`m_{t,k} = |\mu_{t,k}|^2` carry everything the random walk and the toy problem need:

* the stationary variance of mode ``k`` at a phase, from the one-period affine recursion
  :math:`s \leftarrow m_t(\gamma s + 1)`: :math:`s_k = q_k/(1 - \gamma^p\prod_t m_{t,k})`, the
  denominator evaluated without cancellation from :math:`1-\gamma`; then
  :math:`(1-\gamma)\Sigma_{ii} = (1 + (1-\gamma)\sum_{k\ge1}s_k)/n` for every worker;
* the one-period product's eigenvalues :math:`\prod_t\mu_{t,k}`;
* the toy problem's secular equation (:mod:`topotheory.engine.secular`).

Modes that never contract (a disconnected or periodic circulant) have :math:`|\mu_{t,k}| = 1`
exactly; their number is fixed by the structure (:mod:`topotheory.engine.structure`: one per
cyclic class of ``W_t``), and those moduli are set to exactly 1.

Operations that need eigenvectors in real coordinates (the dense covariance, heterogeneous
optima) are delegated to a companion representation (the eigenbasis of a static symmetric
circulant, else the dense route).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .base import GramMoments, Representation, Slopes
from .secular import secular_partials, secular_periodic, secular_static
from .structure import STRUCTURAL_MARGIN, cyclic_classes

__all__ = ["FourierRepresentation", "FourierMoments"]


class FourierRepresentation(Representation):
    """A circulant scheme in the Fourier basis (see the module docstring).

    Parameters
    ----------
    scheme : Scheme
        Declared circulant.
    companion : callable
        Returns the representation used for eigenvector-based operations.
    static_symmetric : bool
        Whether ``W`` is static and symmetric.

    Examples
    --------
    >>> from topotheory import ring
    >>> rep = FourierRepresentation(ring(4), companion=None)
    >>> rep.product_spectrum().real.round(6).tolist()
    [0.333333, -0.333333, 0.333333]
    """

    route = "fourier"

    def __init__(self, scheme: Any, *, companion: Callable[[], Representation], static_symmetric: bool = False) -> None:
        super().__init__(scheme, static_symmetric=static_symmetric)
        self._companion = companion

    @property
    def companion(self) -> Representation:
        """The representation that handles eigenvector-based operations.

        Returns
        -------
        Representation
            The eigenbasis of a static symmetric circulant, else the dense route.

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> resolve(ring(4)).companion.route
        'eigen'
        """
        return self._companion()

    def _moduli(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(|mu|, |mu|^2, 1 - |mu|^2) per (step, mode), structural unit moduli exact; cached."""

        def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            mu = self.scheme.fourier_eigenvalues()
            absmu = np.minimum(np.abs(mu), 1.0)
            for t in range(self.period):
                # rounding moves a modulus by ~1e-15: only moduli this close to 1 can be structural
                if np.sum(absmu[t] > 1.0 - STRUCTURAL_MARGIN) <= 1:
                    absmu[t, 0] = 1.0
                    continue
                count = cyclic_classes(self.scheme.sparse_matrix(t)).count
                top = np.argsort(-absmu[t], kind="stable")[:count]
                absmu[t, top] = 1.0
            m = absmu**2
            onem = (1.0 - absmu) * (1.0 + absmu)
            for x in (absmu, m, onem):
                x.setflags(write=False)
            return absmu, m, onem

        return self.scheme.cached("engine:fourier-moduli", build)

    # ------------------------------------------------------------------------------ random walk
    def mode_variances(self, g: Any, c: Any, phase: int) -> np.ndarray:
        r"""Stationary variance :math:`s_k` of every non-consensus mode at the phase.

        Shape ``g.shape + (n - 1,)``. Valid up to :math:`\gamma = 1` (``c = 0``), where modes that
        never contract get ``inf``.

        Parameters
        ----------
        g : float or ndarray
            The decay :math:`\gamma \in [0, 1]`.
        c : float or ndarray
            :math:`1 - \gamma`, broadcastable with ``g``.
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        ndarray
            :math:`s_k` for modes ``k = 1 .. n - 1``, shape ``g.shape + (n - 1,)``.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> rep = FourierRepresentation(ring(4), companion=None)
        >>> rep.mode_variances(np.array(0.5), np.array(0.5), 0).round(12).tolist()  # (1/9) / (1 - 1/18)
        [0.117647058824, 0.117647058824, 0.117647058824]
        """
        _, m_all, onem_all = self._moduli()
        m = m_all[:, 1:]
        p = self.period
        g = np.asarray(g, dtype=float)[..., None]
        c = np.asarray(c, dtype=float)[..., None]
        if p == 1:  # static: s = m / (1 - gamma m), with 1 - gamma m = (1 - m) + c m (no cancellation)
            with np.errstate(divide="ignore", invalid="ignore"):
                den = (1.0 - m[0]) + c * m[0]
                return np.where(m[0] == 0.0, 0.0, np.where(den > 0, m[0] / den, np.inf))
        q = np.zeros(np.broadcast_shapes(g.shape, m[0].shape))
        log_prod = np.zeros_like(q)
        with np.errstate(divide="ignore", invalid="ignore"):
            for t in [(phase - p + j) % p for j in range(p)]:  # W_{phase-p}, ..., W_{phase-1}
                q = m[t] * (g * q + 1.0)
                log_prod = log_prod + np.log(m[t])
            one_minus_a = -np.expm1(p * np.log1p(-c) + log_prod)
            out = np.where(one_minus_a > 0, q / one_minus_a, np.inf)
        return np.where(q == 0.0, 0.0, out)

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        # Mode 0 (consensus) contributes exactly 1; the others (1 - gamma) s_k.
        s_k = self.mode_variances(g, c, phase)
        return (1.0 + c * np.sum(s_k, axis=-1)) / self.n

    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        return self.scaled_mean_variance(g, c, phase)[..., None]

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        return self.companion.scaled_covariance(g, c, phase)

    def disagreement_mean(self, g: float, phase: int) -> float:
        return float(np.sum(self.mode_variances(g, 1.0 - g, phase)) / self.n)

    # -------------------------------------------------------------------------------- spectra
    def product_spectrum(self) -> np.ndarray:
        return np.prod(self.scheme.fourier_eigenvalues(), axis=0)[1:]

    def product_norm(self) -> float:
        return float(np.max(np.abs(self.product_spectrum()))) if self.n > 1 else 0.0

    def static_contraction(self) -> float | None:
        if self.period > 1:
            return None
        return float(np.max(np.abs(self.scheme.fourier_eigenvalues()[0, 1:])))

    def static_symmetric_eigenvalues(self, what: str) -> np.ndarray:
        if not self.static_symmetric:
            return super().static_symmetric_eigenvalues(what)
        return self.scheme.eigenvalues()

    # ---------------------------------------------------------------------------- toy problem
    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        _, m, onem = self._moduli()
        if self.period == 1:
            u, its, res = secular_static(m[0], onem[0], a, beta)
            return u, its, res, "secular-fourier"
        u, its, res = secular_periodic(m, onem, a, beta)
        return u, its, res, "secular-fourier-periodic"

    def perron_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        u, its, res, route = self.secular_excess(a, beta)
        return u, its, res, np.ones(a.shape[0], dtype=bool), route

    @property
    def has_slopes(self) -> bool:  # type: ignore[override]  # read-only here: it follows the period
        """Analytic slopes from the secular equation (static circulant schemes).

        Returns
        -------
        bool
            True for period 1.

        Examples
        --------
        >>> from topotheory import ring
        >>> FourierRepresentation(ring(4), companion=None).has_slopes
        True
        """
        return self.period == 1

    def excess_lower_bound(self, a: np.ndarray, beta: np.ndarray) -> np.ndarray | None:
        r"""The exact excess (the secular root), also a lower bound of itself.

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        ndarray, shape (L,)
            :math:`u = \rho - a`.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> rep = FourierRepresentation(ring(4), companion=None)
        >>> rep.excess_lower_bound(np.array([0.81]), np.array([0.09])).round(10).tolist()
        [0.0227295202]
        """
        return self.perron_excess(a, beta)[0]

    def perron_slopes(self, a: np.ndarray, beta: np.ndarray) -> Slopes | None:
        r"""``u`` and its partial derivatives in ``a`` and ``beta`` from the secular equation (period 1).

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple or None
            ``(u, du/da, du/dbeta, iterations, residual, converged, route)``; ``None`` for a
            periodic scheme.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> u, du_da, du_db, *_ = FourierRepresentation(ring(4), companion=None).perron_slopes(
        ...     np.array([0.81]), np.array([0.09]))
        >>> round(float(du_db[0]), 6)
        0.255047
        """
        if self.period > 1:
            return None
        _, m, onem = self._moduli()
        u, its, res = secular_static(m[0], onem[0], a, beta)
        S_u, S_a = secular_partials(m[0], onem[0], a, beta, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            du_da, du_db = -S_a / S_u, -1.0 / (beta * S_u)
        return u, du_da, du_db, its, res, np.ones(a.shape[0], dtype=bool), "secular-fourier"

    def second_moments(self, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> GramMoments:
        if initial is not None:
            return GramMoments(self, a, beta, initial)
        return FourierMoments(self, a, beta)

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        return self.companion.heterogeneous_distance(c, h, B, phase)


class FourierMoments(GramMoments):
    r"""The second-moment recursion of a circulant scheme from the all-ones start, per Fourier mode.

    Per mode, :math:`\hat c_k \leftarrow m_{t,k}(a\hat c_k + \beta s)` with
    :math:`s = \operatorname{mean}_k \hat c_k = C_{ii}` — :math:`O(n)` per step.

    Parameters
    ----------
    rep : FourierRepresentation
        The circulant scheme's representation.
    a : ndarray, shape (L,)
        :math:`a = (1-\eta)^2` per learning rate.
    beta : ndarray, shape (L,)
        :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import ring
    >>> m = FourierMoments(FourierRepresentation(ring(4), companion=None), np.array([0.81]), np.array([0.09]))
    >>> m.step(0)
    >>> round(float(m.loss()[0]), 12)  # the dense recursion gives the same
    0.42
    """

    def __init__(self, rep: FourierRepresentation, a: np.ndarray, beta: np.ndarray) -> None:
        self.scheme = rep.scheme
        self.a, self.beta = a, beta
        n = rep.n
        self.m = rep._moduli()[1]
        self.c = np.zeros((a.shape[0], n))
        self.c[:, 0] = n

    def _loss(self) -> np.ndarray:
        return 0.5 * np.mean(self.c, axis=1)

    def _step(self, t: int) -> None:
        s = np.mean(self.c, axis=1, keepdims=True)
        self.c = self.m[t % self.m.shape[0]] * (self.a[:, None] * self.c + self.beta[:, None] * s)

    def _keep_state(self, mask: np.ndarray) -> None:
        self.c = self.c[mask]
