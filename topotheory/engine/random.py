r"""Random i.i.d. schemes (:class:`~topotheory.graphs.random.RandomScheme`): expectations of the maps.

With a fresh, independent :math:`W_t` per step, every quadratic quantity of the theory follows a
linear recursion driven by the law's second-moment operator
:math:`\mathcal M(X) = \mathbb E[W X W^T]` (:math:`\mathbb E[W\otimes W]` on ``vec X``):

* random walk (THEORY §2 with ``W`` random): the stationary covariance solves
  :math:`\Sigma = \mathbb E[W(\gamma\Sigma + I)W^T] = \gamma\mathcal M(\Sigma) + \mathcal M(I)`.
  For doubly stochastic outcomes :math:`\Sigma = J/(1-\gamma) + S` with ``S`` on
  :math:`\mathbf 1^\perp` solving :math:`S = \gamma\mathcal M(S) + \mathcal M(I) - J` (because
  :math:`W J = J W^T = J`), exact up to :math:`\gamma = 1`; for row-stochastic outcomes (Epidemic
  Learning) :math:`\Sigma` is solved on the whole space (``S`` is undefined there);
* toy problem (THEORY §3.2 with ``W`` random): :math:`C(t+1) = \mathcal M(aC(t) + \beta\,\mathrm{Diag}\,C(t))`
  exactly, since :math:`W_t` is independent of :math:`C(t)` and of the gradients; the rate is the
  Perron root of :math:`C \mapsto \mathcal M(aC + \beta\,\mathrm{Diag}\,C)`;
* spectra in their expected form: :meth:`RandomRepresentation.product_norm` is
  :math:`\sqrt\beta` with :math:`\beta = \lambda_{\max}(\mathbb E[(W-J)^T(W-J)])` on
  :math:`\mathbf 1^\perp` (so ``spectral_gap(kind="koloskova")`` is the papers' expected gap
  :math:`1-\beta`); eigenvalues of a product of a fixed sequence are undefined (ValueError).

Exchangeable laws (the families of :mod:`topotheory.graphs.random`: the law is invariant under
relabelling the workers) reduce to 2 x 2 systems: :math:`\mathcal M` commutes with
:math:`X \mapsto PXP^T` for every permutation ``P``, so it maps :math:`\mathrm{span}\{I - J, J\}`
to itself (:math:`\mathcal M(J) = J` since :math:`W\mathbf 1 = \mathbf 1`). The random walk's
unique solution is permutation invariant, hence in that span; and the toy map is positive, so its
Perron root has a PSD eigenvector (Krein–Rutman) whose average over all relabellings is a
permutation-invariant eigenvector for the same root: the rate is the spectral radius of the 2 x 2
restriction. A periodic sequence of exchangeable laws (e.g. local steps, whose single outcome ``I``
is invariant, then a random matching) reduces the same way: each phase's map, and so the one-period
composition, commutes with every relabelling. Other laws: dense linear algebra on :math:`(n-1)^2` (or :math:`n^2`) unknowns for
``n <= DENSE_MAX_N``, else GMRES and Arnoldi on the matrix-free operator.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse.linalg as spla

from ..common.annotations import ArrayLike
from ..common.validation import check_int, check_real
from ..graphs.random import PushSum, expected_contraction
from .base import GramMoments, Representation, consensus_complement

__all__ = ["RandomRepresentation", "DENSE_MAX_N", "push_sum_step", "push_sum_loss_curve", "push_sum_rate"]

#: Largest ``n`` solved with dense linear algebra on vec-space.
DENSE_MAX_N = 24


class RandomRepresentation(Representation):
    r"""A :class:`~topotheory.graphs.random.RandomScheme` through its second-moment operator (module docstring).

    Parameters
    ----------
    scheme : RandomScheme
        The i.i.d. (or periodic sequence of i.i.d.) random scheme.

    Examples
    --------
    >>> from topotheory.graphs.random import random_matching
    >>> rep = RandomRepresentation(random_matching(4))
    >>> round(float(1 / rep.scaled_mean_variance(np.array(0.0), np.array(1.0), 0)), 12)  # n / E||W||_F^2
    2.0
    """

    route = "random"

    def __init__(self, scheme: Any) -> None:
        super().__init__(scheme, static_symmetric=False)
        self.doubly = scheme.stochastic == "doubly"

    # ------------------------------------------------------------------------------ random walk
    # -------------------------------------------------------------------- exchangeable reduction
    def _basis_map(self) -> np.ndarray | None:
        r"""The 2 x 2 matrix of :math:`\mathcal M` on the basis ``(I - J, J)``, or None (not exchangeable)."""
        if self.period != 1:
            return None
        return _law_basis_map(self.scheme)

    def _phase_maps(self) -> list[np.ndarray] | None:
        """The 2 x 2 basis maps of every phase's law (all exchangeable), or None."""
        maps = [_law_basis_map(L) for L in self.scheme.laws]
        return None if any(A is None for A in maps) else cast(list[np.ndarray], maps)

    def _cycle_map(self, phase: int) -> np.ndarray | None:
        r"""The 2 x 2 map of :math:`\mathcal M_{\phi-1}\circ\dots\circ\mathcal M_{\phi-p}` (one period ending at ``phase``), or None."""
        maps = self._phase_maps()
        if maps is None:
            return None
        A = np.eye(2)
        for k in range(self.period):
            A = maps[(phase - self.period + k) % self.period] @ A
        return A

    def _solve(self, g: float, rhs: np.ndarray, project: bool, phase: int = 0) -> np.ndarray:
        r"""Solve ``Y = g Mcyc(Y) + rhs`` (on 1-perp when ``project``): 2 x 2, dense or GMRES.

        ``Mcyc`` is the one-period map ending at ``phase``: :math:`\mathcal M_{\phi-1}\circ\dots\circ\mathcal M_{\phi-p}`.
        """
        n, p = self.n, self.period
        A = self._basis_map() if p == 1 else self._cycle_map(phase)
        if A is not None and _in_span(rhs):
            r = _coords(rhs)
            if project:  # M(J) = J has no (I - J) part, so the 1-perp component decouples
                return (r[0] / (1.0 - g * A[0, 0])) * _basis(n)[0]
            y = np.linalg.solve(np.eye(2) - g * A, r)
            return np.einsum("k,kij->ij", y, _basis(n))
        order = [self.scheme.law(phase - p + k) for k in range(p)]  # first applied first

        def M(X: np.ndarray) -> np.ndarray:
            for L in order:
                X = L.second_moment(X)
            return X

        H = consensus_complement(n) if project else np.eye(n)
        m = H.shape[1]
        R = H.T @ rhs @ H
        if n <= DENSE_MAX_N:
            K = np.eye(n * n)
            for L in order:
                K = L.kron_moment() @ K
            HH = np.kron(H, H)
            A = np.eye(m * m) - g * (HH.T @ K @ HH)
            Y = np.linalg.solve(A, R.ravel()).reshape(m, m)
        else:
            def mv(y: np.ndarray) -> np.ndarray:
                Y = np.asarray(y).reshape(m, m)
                return (Y - g * (H.T @ M(H @ Y @ H.T) @ H)).ravel()

            op = spla.LinearOperator((m * m, m * m), matvec=mv, dtype=float)
            y, info = spla.gmres(op, R.ravel(), rtol=1e-13, atol=0.0, restart=200, maxiter=200)
            if info != 0:
                raise ValueError(f"GMRES did not converge for {self.scheme!r} at gamma={g!r}")
            Y = y.reshape(m, m)
        Y = 0.5 * (Y + Y.T)
        return H @ Y @ H.T

    def disagreement_covariance(self, g: float, phase: int = 0) -> np.ndarray:
        r"""``S`` with :math:`S = \gamma\mathcal M(S) + \mathcal M(I) - J` on :math:`\mathbf 1^\perp` (doubly stochastic only).

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        ndarray, shape (n, n)
            The disagreement covariance (cached on the scheme per ``(gamma, phase)``).

        Raises
        ------
        ValueError
            For row-stochastic laws (``S`` is undefined).

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> S = RandomRepresentation(random_matching(4)).disagreement_covariance(0.5)
        >>> S[0].round(12).tolist()
        [0.3, -0.1, -0.1, -0.1]
        """
        if not self.doubly:
            raise ValueError(
                f"{self.scheme!r} is only row-stochastic: the network average drifts, so the disagreement "
                "covariance S (and S_1) is undefined; n_W and the toy problem's rate are defined")
        key = ("engine:random-S", float(g), int(phase) % self.period)
        return self.scheme.cached(key, lambda: self._period_solve(float(g), phase, True))

    def _period_solve(self, g: float, phase: int, project: bool) -> np.ndarray:
        r"""The stationary covariance at ``phase`` (``project``: its disagreement part ``S``).

        Unrolling :math:`\Sigma_{t+1} = \mathcal M_t(\gamma\Sigma_t + I)` over one period:
        :math:`\Sigma_\phi = \gamma^p\,\mathcal M_{\rm cyc}(\Sigma_\phi) + R_\phi`, ``R`` from
        :math:`R \leftarrow \mathcal M_k(\gamma R + I)` over the period's phases; ``S`` subtracts
        :math:`J\sum_{k<p}\gamma^k` from ``R``.
        """
        n, p = self.n, self.period
        R = np.zeros((n, n))
        for k in range(p):
            R = self.scheme.law(phase - p + k).second_moment(g * R + np.eye(n))
        if project:
            R = R - sum(g**k for k in range(p)) / n
        return self._solve(g**p, R, project, phase)

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        r""":math:`(1-\gamma)\Sigma` (dense ``(n, n)``).

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        c : float
            :math:`1 - \gamma` (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        ndarray, shape (n, n)
            The scaled stationary covariance of the random walk under the random law.

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> round(float(RandomRepresentation(random_matching(4)).scaled_covariance(0.5, 0.5, 0)[0, 0]), 12)
        0.4
        """
        n = self.n
        if self.doubly:
            return np.full((n, n), 1.0 / n) + c * self.disagreement_covariance(g, phase)
        if not g < 1.0:
            raise ValueError("gamma must be < 1 for a row-stochastic random scheme (Sigma grows like 1/(1-gamma))")
        return c * self._period_solve(float(g), phase, False)

    def disagreement_mean(self, g: float, phase: int) -> float:
        r""":math:`\operatorname{mean}_i S_{ii} = S_1(\gamma)` (doubly stochastic laws only).

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        float
            :math:`S_1(\gamma)`.

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> round(RandomRepresentation(random_matching(4)).disagreement_mean(0.5, 0), 12)
        0.3
        """
        if not self.doubly:
            self.disagreement_covariance(g, phase)  # the error naming why S is undefined
        A = self._basis_map()
        if A is not None:
            return float(self._span_sigma(np.asarray(float(g)), A) * (self.n - 1) / self.n)
        return float(np.trace(self.disagreement_covariance(g, phase)) / self.n)

    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        r"""Exchangeable laws: the diagonal of :math:`(1-\gamma)\Sigma` from its two coordinates, :math:`O(1)` per decay.

        Doubly stochastic: :math:`S = \sigma(I - J)`, :math:`\sigma = A_{00}/(1 - \gamma A_{00})` with ``A`` the
        2 x 2 matrix of :math:`\mathcal M` on ``(I - J, J)`` (:math:`\mathcal M(I) - J = A_{00}(I - J)`), so every
        variance is :math:`1/n + c\,\sigma(1 - 1/n)`. Row-stochastic: :math:`\Sigma = y_0(I - J) + y_1J` with
        :math:`(I - \gamma A)y = A(1, 1)^T`. Other laws: the dense covariance (base class).

        Parameters
        ----------
        g : ndarray
            Decays :math:`\gamma \in [0, 1]`, any shape.
        c : ndarray
            :math:`1 - \gamma`, the same shape.
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        ndarray
            Shape ``g.shape + (1,)`` (every worker alike) for exchangeable laws, else ``g.shape + (n,)``.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory.graphs.random import random_matching
        >>> rep = RandomRepresentation(random_matching(4))
        >>> rep.scaled_variances(np.array([0.0, 0.5]), np.array([1.0, 0.5]), 0).round(12).tolist()
        [[0.5], [0.4]]
        """
        A = self._basis_map()
        if A is None:
            return super().scaled_variances(g, c, phase)
        n = self.n
        g, c = np.asarray(g, dtype=float), np.asarray(c, dtype=float)
        if self.doubly:
            var = 1.0 / n + c * self._span_sigma(g, A) * (1.0 - 1.0 / n)
        else:
            if not np.all(g < 1.0):
                raise ValueError("gamma must be < 1 for a row-stochastic random scheme (Sigma grows like 1/(1-gamma))")
            r = A @ np.ones(2)
            det = (1.0 - g * A[0, 0]) * (1.0 - g * A[1, 1]) - g**2 * A[0, 1] * A[1, 0]
            y0 = ((1.0 - g * A[1, 1]) * r[0] + g * A[0, 1] * r[1]) / det
            y1 = ((1.0 - g * A[0, 0]) * r[1] + g * A[1, 0] * r[0]) / det
            var = c * (y0 * (1.0 - 1.0 / n) + y1 / n)
        return np.asarray(var, dtype=float)[..., None]

    @staticmethod
    def _span_sigma(g: Any, A: np.ndarray) -> Any:
        r""":math:`\sigma(\gamma) = A_{00}/(1 - \gamma A_{00})`: ``S = sigma (I - J)`` for an exchangeable doubly stochastic law."""
        return A[0, 0] / (1.0 - g * A[0, 0])

    # -------------------------------------------------------------------------------- spectra
    def product_spectrum(self) -> np.ndarray:
        raise ValueError(
            f"eigenvalues of a period product are undefined for the random scheme {self.scheme!r}; "
            "use spectral_gap(kind='koloskova') (1 - the expected contraction) or kind='abs'")

    def product_norm(self) -> float:
        r""":math:`\sqrt{\beta}`, :math:`\beta = \lambda_{\max}(\mathbb E[(W-J)^T(W-J)])` on :math:`\mathbf 1^\perp`.

        Returns
        -------
        float
            The expected contraction's square root (``1 - product_norm()**2`` is Koloskova's ``p``).

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> round(RandomRepresentation(random_matching(4)).product_norm() ** 2, 12)
        0.333333333333
        """
        return float(np.sqrt(max(expected_contraction(self.scheme), 0.0)))

    # ---------------------------------------------------------------------------- toy problem
    def apply_second_moment(self, C: np.ndarray, a: float, beta: float, t: int) -> np.ndarray:
        r""":math:`\mathcal M_t(aC + \beta\,\mathrm{Diag}\,C)`: the expected step under the law of phase ``t``.

        Parameters
        ----------
        C : ndarray, shape (n, n)
            The Gram matrix (not modified).
        a : float
            :math:`a = (1-\eta)^2`.
        beta : float
            :math:`\beta = \eta^2(\zeta - 1)`.
        t : int
            The step (its law: taken modulo the period).

        Returns
        -------
        ndarray, shape (n, n)
            The expected Gram matrix after the step.

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> C = RandomRepresentation(random_matching(4)).apply_second_moment(np.eye(4), 1.0, 0.0, 0)
        >>> C[0].round(6).tolist()  # E[W W^T] for a uniform random matching of 4
        [0.5, 0.166667, 0.166667, 0.166667]
        """
        X = a * C
        X[np.diag_indices_from(X)] += beta * np.diagonal(C)
        return self.scheme.law(t).second_moment(X)

    def perron_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        r"""Exchangeable laws: the spectral radius of the 2 x 2 restriction (module docstring); else Arnoldi.

        The residual reported is that of the lifted eigenvector under the full ``(n, n)`` map.

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple
            ``(u, iterations, residual, converged, route)`` with :math:`u = \rho - a`.

        Examples
        --------
        >>> from topotheory.graphs.random import random_matching
        >>> rep = RandomRepresentation(random_matching(4))
        >>> u, its, res, conv, route = rep.perron_excess(np.array([0.81]), np.array([0.09]))
        >>> round(float(u[0]), 8), route, bool(res[0] < 1e-12)
        (0.02343588, 'exchangeable-2x2', True)
        """
        maps = self._phase_maps()
        if maps is None:
            return super().perron_excess(a, beta)
        n, p = self.n, self.period
        a, beta = np.asarray(a, dtype=float), np.asarray(beta, dtype=float)
        # C -> a C + beta Diag C on the basis: Diag(I - J) = (1 - 1/n)(E1 + E2), Diag(J) = (E1 + E2)/n
        P = np.empty(a.shape + (2, 2))
        P[..., 0, 0] = a + beta * (1 - 1 / n)
        P[..., 1, 0] = beta * (1 - 1 / n)
        P[..., 0, 1] = beta / n
        P[..., 1, 1] = a + beta / n
        T = np.broadcast_to(np.eye(2), P.shape).copy()
        for A in maps:  # phase 0 first
            T = A @ P @ T
        vals, vecs = np.linalg.eig(T)
        k = np.argmax(np.abs(vals), axis=-1)
        idx = np.arange(a.shape[0])
        lam, vec = vals[idx, k].real, vecs[idx, :, k].real
        C = np.einsum("lk,kij->lij", vec, _basis(n))
        TC = C.copy()
        for t in range(p):
            TC = np.stack([self.apply_second_moment(TC[j].copy(), a[j], beta[j], t) for j in idx])
        norm = np.maximum(np.abs(lam) * np.linalg.norm(C, axis=(1, 2)), np.finfo(float).tiny)
        res = np.linalg.norm(TC - lam[:, None, None] * C, axis=(1, 2)) / norm
        its = np.ones(a.shape[0], dtype=int)
        return np.abs(lam) ** (1.0 / p) - a, its, res, np.ones(a.shape[0], dtype=bool), "exchangeable-2x2"

    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        raise ValueError(f"method='secular' does not apply to the random scheme {self.scheme!r}; use method='exact'")

    def second_moments(self, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> GramMoments:
        return RandomGramMoments(self, a, beta, initial)

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        raise ValueError(f"the heterogeneous fixed point is not defined for the random scheme {self.scheme!r} "
                         "(the iterates stay random); use a deterministic Scheme")


def _law_basis_map(law: Any) -> np.ndarray | None:
    r"""The 2 x 2 matrix of an exchangeable law's :math:`\mathcal M` on ``(I - J, J)`` (cached on the law), or None."""
    n = law.n
    if not getattr(law, "exchangeable", False) or n < 2 or law.period != 1:
        return None

    def build() -> np.ndarray:
        A = np.column_stack([_coords(Y) for Y in law.second_moment(_basis(n))])
        A.setflags(write=False)
        return A

    return law.cached("engine:random-basis-map", build)


def _basis(n: int) -> np.ndarray:
    """``(I - J, J)`` stacked, shape ``(2, n, n)``."""
    J = np.full((n, n), 1.0 / n)
    return np.stack([np.eye(n) - J, J])


def _coords(X: np.ndarray) -> np.ndarray:
    """Coordinates of ``X`` in ``(I - J, J)`` read from two entries (exact when ``X`` is in the span)."""
    n = X.shape[-1]
    alpha = X[0, 0] - X[0, 1]
    return np.array([alpha, alpha + n * X[0, 1]])


def _in_span(X: np.ndarray, rtol: float = 1e-13) -> bool:
    """Whether ``X`` lies in ``span{I - J, J}`` (to ``rtol`` of its largest entry)."""
    c = _coords(X)
    scale = max(float(np.max(np.abs(X))), 1.0)
    return float(np.max(np.abs(X - np.einsum("k,kij->ij", c, _basis(X.shape[-1]))))) <= rtol * scale


class RandomGramMoments(GramMoments):
    """Exact expected Gram matrices under a random law: ``C <- M(a C + beta Diag C)``, batched."""

    def _step(self, t: int) -> None:
        X = self.a[:, None, None] * self.C
        idx = np.arange(self.scheme.n)
        X[:, idx, idx] += self.beta[:, None] * self.C[:, idx, idx]
        self.C = self.scheme.law(t).second_moment(X)


# ------------------------------------------------------------------------------- push-sum read-out
def push_sum_step(W: np.ndarray, y: np.ndarray, C: np.ndarray, lr: float, zeta: float) -> np.ndarray:
    r"""One step of the read-out's exact Gram recursion, :math:`\tilde W[UCU + (\zeta-1)\mathrm{Diag}(\eta_i^2C_{ii})]\tilde W^T`.

    Stochastic gradient push takes the gradient at the read-out but subtracts it from ``x = y z``,
    so in read-out coordinates worker ``i`` steps with :math:`\eta_i = \eta / y_i(t)`:
    :math:`z(t+1) = \tilde W_t\,(z - D_t^{-1}\eta\,g(z))`, :math:`U = I - \mathrm{Diag}\,\eta_i`. On the
    isotropic quadratic (independent mini-batches per worker) :math:`\mathbb E[z_i^T z_j]` follows
    this map exactly (THEORY §3.2 with per-worker step sizes). ``C`` may be batched ``(..., n, n)``.

    Parameters
    ----------
    W : ndarray, shape (n, n)
        The read-out matrix :math:`\tilde W_t = D_{t+1}^{-1}P_tD_t` of the step.
    y : ndarray, shape (n,)
        The push-sum weights :math:`y(t)`.
    C : ndarray, shape (..., n, n)
        The Gram matrix of the read-outs :math:`\mathbb E\langle z_i, z_j\rangle` (not modified).
    lr : float
        The learning rate :math:`\eta`.
    zeta : float
        The noise level :math:`\zeta`.

    Returns
    -------
    ndarray, shape (..., n, n)
        The Gram matrix after the step.

    Examples
    --------
    >>> W = np.full((2, 2), 0.5)  # y = 1: D-SGD's step, a = 0.81, beta = 0.09
    >>> push_sum_step(W, np.ones(2), np.eye(2), 0.1, 10.0).round(12).tolist()
    [[0.45, 0.45], [0.45, 0.45]]
    """
    eta = lr / y
    u = 1.0 - eta
    X = u[:, None] * C * u[None, :]
    idx = np.arange(C.shape[-1])
    X[..., idx, idx] += (zeta - 1.0) * eta**2 * C[..., idx, idx]
    return W @ X @ W.T


def push_sum_loss_curve(push: PushSum, *, lr: float, zeta: float, steps: int, initial: ArrayLike | None = None) -> np.ndarray:
    r"""The read-out's exact expected loss :math:`\frac1n\sum_i\tfrac12\mathbb E\|z_i(t)\|^2`, ``t = 0..steps``.

    The Gram recursion of :func:`push_sum_step` from ``y(0) = 1`` (the weights' transient included);
    ``initial`` is the Gram matrix of the start (default all ones: every worker at a unit vector).

    Parameters
    ----------
    push : PushSum
        The push-sum scheme (column-stochastic ``P_t``; weights ``y`` and read-out ``z = x / y``).
    lr : float
        The learning rate :math:`\eta` (each worker steps with :math:`\eta / y_i(t)` in read-out terms).
    zeta : float
        The noise level :math:`\zeta` of the toy problem (THEORY §3.1).
    steps : int
        The number of steps.
    initial : array_like, optional
        The ``(n, n)`` Gram matrix :math:`\langle z_i(0), z_j(0)\rangle` of the start.

    Returns
    -------
    numpy.ndarray
        The expected loss at ``t = 0, ..., steps`` (``steps + 1`` values).

    Examples
    --------
    >>> from topotheory.graphs.random import push_sum
    >>> P = np.array([[0.5, 1.0], [0.5, 0.0]])
    >>> curve = push_sum_loss_curve(push_sum(P), lr=0.0, zeta=3.0, steps=3)  # no gradient: z_i -> average
    >>> bool(np.allclose(curve, 0.5))
    True
    """
    lr, zeta = _check_push_sum(push, lr, zeta)
    steps = check_int("steps", steps, minimum=0)
    n = push.n
    y = push.weights(steps)
    Ws = push.read_out_matrices(steps) if steps else np.empty((0, n, n))
    C = np.ones((n, n)) if initial is None else np.array(initial, dtype=float)
    if C.shape != (n, n):
        raise ValueError(f"initial must be the ({n}, {n}) Gram matrix of the start, got shape {C.shape}")
    out = np.empty(steps + 1)
    out[0] = np.trace(C) / (2 * n)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            C = push_sum_step(Ws[t], y[t], C, lr, zeta)
            out[t + 1] = np.trace(C) / (2 * n)
    return out


def push_sum_rate(push: PushSum, *, lr: float, zeta: float) -> float:
    r"""The read-out's exact asymptotic rate ``r`` (:math:`\mathbb E\|z\|^2 \propto (1-r)^t`), NaN if it diverges.

    :math:`1 - \rho^{1/p}` with :math:`\rho` the Perron root of the one-period map of
    :func:`push_sum_step` on the weights' limit orbit :math:`y_{*,t}` (period ``p``): dense on the
    ``n^2`` vec-space for ``n <= DENSE_MAX_N``, else Arnoldi on the matrix-free map. With ``y = 1``
    (doubly stochastic ``P``) it is D-SGD's ``quadratic_rate``.

    Parameters
    ----------
    push : PushSum
        The push-sum scheme.
    lr : float
        The learning rate :math:`\eta`.
    zeta : float
        The noise level :math:`\zeta` of the toy problem.

    Returns
    -------
    float
        The asymptotic rate :math:`r`; NaN when the read-out's expected loss does not decay.

    Examples
    --------
    >>> import topotheory as tt
    >>> from topotheory.graphs.random import push_sum
    >>> bool(abs(push_sum_rate(push_sum(tt.ring(6)), lr=0.1, zeta=10) - tt.quadratic_rate(tt.ring(6), lr=0.1, zeta=10)) < 1e-12)
    True
    """
    lr, zeta = _check_push_sum(push, lr, zeta)
    n, p = push.n, push.period
    y = push.limit_weights
    nxt = np.roll(y, -1, axis=0)
    Ws = nxt[:, :, None] ** -1 * push.matrices * y[:, None, :]

    def apply(C: np.ndarray) -> np.ndarray:
        for t in range(p):
            C = push_sum_step(Ws[t], y[t], C, lr, zeta)
        return C

    if n <= DENSE_MAX_N:
        basis = np.eye(n * n).reshape(n * n, n, n)
        K = apply(basis).reshape(n * n, n * n).T
        rho = float(np.max(np.abs(np.linalg.eigvals(K))))
    else:
        op = spla.LinearOperator((n * n, n * n), matvec=lambda v: apply(np.asarray(v).reshape(n, n)).ravel(),
                                 dtype=float)
        rho = float(np.max(np.abs(spla.eigs(op, k=1, which="LM", tol=1e-13, return_eigenvectors=False))))
    if not np.isfinite(rho) or rho >= 1.0:
        return float("nan")
    return float(1.0 - rho ** (1.0 / p))


def _check_push_sum(push: Any, lr: float, zeta: float) -> tuple[float, float]:
    """``(lr, zeta)`` checked, and ``push`` a :class:`PushSum` (TypeError otherwise)."""
    if not isinstance(push, PushSum):
        raise TypeError(f"push must be a PushSum (from topotheory.push_sum), got {type(push).__name__}")
    return check_real("lr", lr, low=0.0), check_real("zeta", zeta, low=1.0)
