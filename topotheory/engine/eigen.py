r"""Static symmetric W: the eigenbasis, with the consensus pair and the parts that never mix exact.

:math:`W = Q\,\mathrm{diag}(\lambda)\,Q^T` (eigenvalues descending) from
:meth:`Scheme.eigh` (the consensus eigenpair exact by a Householder reflection). Eigenvalues that
are exactly :math:`\pm1` for structural reasons — one eigenvalue 1 per connected component, one
eigenvalue :math:`-1` per bipartite component (:mod:`topotheory.engine.structure`) — are set to
exactly :math:`\pm1`: a computed :math:`1 - O(\varepsilon)` would otherwise make
:math:`(1-\gamma)\lambda^2/(1-\gamma\lambda^2)` drift like :math:`\varepsilon/(1-\gamma)`.

Random walk (paper eq. 6): :math:`(1-\gamma)\Sigma = Q\,\mathrm{diag}(w)\,Q^T`,
:math:`w = (1-\gamma)\lambda^2/((1-\lambda^2) + (1-\gamma)\lambda^2)`.

Toy problem (THEORY §3.3 route 4): the ``n``-dimensional reduction
:math:`\rho = \beta\,\lambda_{\max}(K(a/\rho))`,
:math:`K(\gamma)_{ij} = \sum_{lm} H_{lm} Q_{il}Q_{jl}Q_{im}Q_{jm}`,
:math:`H = \beta\lambda_l\lambda_m/(u + a(1 - \lambda_l\lambda_m))` — explicitly and batched over
learning rates for ``n <= 64``, matrix-free above; walk-regular graphs short-cut to the
secular equation. The matrix-free route (:func:`_perron_warm`) is a Davidson-type method on a
basis kept per scheme across learning rates: the Gram matrices
:math:`Y^{(i)} = Q^T\mathrm{Diag}(v_i)Q` of the basis vectors do not depend on
:math:`(a, \beta, u)`, so :math:`V^TK(u)V` is a cheap ``k x k`` projection; each step takes the
excess from the Rayleigh functional of the top Ritz vector (:math:`v^TK(u)v = 1`, a lower bound of
the root with an error quadratic in the vector's), applies :math:`K(u)` once — one symmetric
rank-k update and one triangular product of ``n x n`` matrices,
:math:`(Kx)_i = \sum_{lm} Q_{il}H_{lm}(Q^T\mathrm{Diag}(x)Q)_{lm}Q_{im}` — and appends the
residual to the basis. It hands over to restarted Lanczos (ARPACK) only when a cluster at the top
of :math:`K` defeats it. The matrix-free route runs with single-threaded BLAS (restored on exit).

The optimal learning rate and the stability edge use the factorisation
:math:`K = (\beta/a)F(\gamma)` at the decay :math:`\gamma = a/\rho`: :class:`PerronCurve` gives
:math:`\mu(\gamma) = \lambda_{\max}(F(\gamma))` and its Hellmann-Feynman slope, one eigenproblem of
a fixed matrix per point (warm-started Lanczos), so both searches are one-dimensional in
:math:`\gamma` with no inner root (:func:`topotheory.toy.quadratic.optimal_learning_rate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.sparse.linalg as spla
from scipy.linalg import blas

from ..common.threads import single_threaded_blas
from ..common.validation import check_real
from .base import Representation
from .roots import EPS, chunks
from .secular import secular_partials, secular_static
from .structure import STRUCTURAL_MARGIN, cyclic_classes

__all__ = ["EigenRepresentation", "EXPLICIT_K_MAX_N", "PerronCurve", "top_eigenpair"]

#: Largest n for which the static symmetric route builds the reduced matrix K explicitly
#: (batched over learning rates); above it the reduction is applied matrix-free (Lanczos).
EXPLICIT_K_MAX_N = 64
#: Lanczos subspace size of the matrix-free route.
_NCV = 8
#: Lanczos residual tolerance close to the root: the Ritz value's error is at most
#: ``residual**2 / gap`` (below 1e-16 relative unless the top cluster is narrower than 1e-8).
_TIGHT = 1e-12
#: Relative tolerance of the walk-regularity check (constant diagonal of the covariance).
_WALK_REGULAR_RTOL = 1e-11
#: Largest n for which the robust eigensolver may fall back to the explicit reduced matrix
#: (n^3 / 2 entries of work space).
DENSE_FALLBACK_MAX_N = 400


def top_eigenpair(matvec: Callable[[np.ndarray], np.ndarray], n: int, v0: np.ndarray, *, tol: float,
                  dense: Callable[[], np.ndarray] | None = None) -> tuple[float, np.ndarray, bool]:
    r"""Largest eigenvalue and unit eigenvector of a symmetric operator, never an ARPACK error.

    Implicitly restarted Lanczos (ARPACK ``eigsh``, ``which="LA"``) with ``ncv = 24`` (a cluster
    at the top of the spectrum, as in the deep subtrees of a binary tree, defeats smaller
    subspaces); when it does not converge it restarts with ``ncv = 48`` and the residual tolerance
    relaxed to :math:`10^{-10}`
    (the Ritz value's error is then at most :math:`\|r\|^2/\delta`, far below rounding unless the
    cluster is narrower than :math:`10^{-5}`), then falls back to the dense matrix ``dense()``
    (when given) and ``numpy.linalg.eigh``. Last resort: the best Ritz pair with
    ``converged=False``.

    Parameters
    ----------
    matvec : callable
        ``x -> A x`` for the symmetric ``(n, n)`` operator ``A``.
    n : int
        Dimension of the operator.
    v0 : (n,) ndarray
        Start vector (a warm start speeds up the Lanczos iteration).
    tol : float
        ARPACK's relative residual tolerance for the first attempts.
    dense : callable, optional
        Returns ``A`` as a dense array (for the last fallback).

    Returns
    -------
    (float, ndarray, bool)
        ``(lambda_max, v, converged)`` with ``v`` of unit norm and non-negative sum.

    Examples
    --------
    >>> A = np.diag([1.0, 2.0, 3.0, 3.0 - 1e-9, 0.5] * 8)
    >>> lam, v, ok = top_eigenpair(lambda x: A @ x, 40, np.ones(40), tol=1e-14, dense=lambda: A)
    >>> round(lam, 12), ok
    (3.0, True)
    """
    op = spla.LinearOperator((n, n), matvec=matvec, dtype=float)
    best = None
    long = max(1000, 10 * n)
    attempts = ((24, tol, long), (48, max(tol, 1e-10), long)) if n > 2 * _NCV else ()
    for ncv, t, maxiter in attempts:
        ncv = min(n, ncv)
        try:
            w, V = spla.eigsh(op, k=1, which="LA", v0=v0, tol=t, ncv=ncv, maxiter=maxiter)
            return float(w[0]), _positive(V[:, 0]), True
        except spla.ArpackNoConvergence as exc:
            if len(exc.eigenvalues):
                best = (float(exc.eigenvalues[0]), _positive(exc.eigenvectors[:, 0]))
    if dense is not None or n <= 2 * _NCV:
        A = dense() if dense is not None else np.column_stack([matvec(e) for e in np.eye(n)])
        w, V = np.linalg.eigh(0.5 * (A + A.T))
        return float(w[-1]), _positive(V[:, -1]), True
    if best is None:
        return math.nan, np.full(n, math.nan), False
    return best[0], best[1], False


def _positive(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v * (np.sign(v.sum()) or 1.0) / np.linalg.norm(v)


def _perron_signs(v: np.ndarray, residual: float = 0.0) -> bool:
    """True if ``v`` is positive up to its error: no entry below ``-max(1e-9, 10 residual) max(v)``.

    A Perron vector can be localised (entries of 1e-17 next to 1 on a random geometric graph at a
    small decay), and rounding, or an approximation with relative ``residual``, then leaves some
    entries slightly negative; an eigenvector other than the Perron one is orthogonal to the
    positive Perron vector, so it has entries of both signs at the scale of its largest one.
    """
    return bool(np.min(v) > -max(1e-9, 10.0 * residual) * np.max(v))


def symmetric_weights(lam: np.ndarray, g: np.ndarray, c: np.ndarray) -> np.ndarray:
    r""":math:`(1-\gamma)\lambda^2/(1-\gamma\lambda^2)` for each eigenvalue, shape ``g.shape + (n,)``."""
    lam2 = lam**2
    g = g[..., None]
    c = c[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return c * lam2 / ((1.0 - lam2) + c * lam2)


class EigenRepresentation(Representation):
    r"""A static symmetric scheme in the eigenbasis of ``W`` (see the module docstring).

    Parameters
    ----------
    scheme : Scheme
        A static scheme with a symmetric gossip matrix (row-wise, :math:`X \leftarrow WX`).
    static_symmetric : bool
        Whether ``scheme`` is static and symmetric (:func:`topotheory.engine.resolve` decides).

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import Scheme
    >>> two_triangles = Scheme.from_matrix(np.kron(np.eye(2), np.full((3, 3), 1 / 3)))
    >>> rep = EigenRepresentation(two_triangles, static_symmetric=True)
    >>> rep.eigenvalues.round(12).tolist()
    [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    >>> float(1 / rep.scaled_mean_variance(np.array(1 - 1e-15), np.array(1e-15), 0))
    3.0
    """

    route = "eigen"
    has_slopes = True

    def __init__(self, scheme: Any, *, static_symmetric: bool = False,
                 extremes: Callable[[], Any] | None = None) -> None:
        super().__init__(scheme, static_symmetric=static_symmetric)
        self._extremes_from = extremes

    @property
    def extremes_route(self) -> str:
        r"""How :meth:`extreme_eigenvalues` (the spectral gap, the contraction) is computed.

        ``"eigen"``: from every eigenvalue (LAPACK's eigenvalue-only driver); ``"lanczos"``: sparse
        Lanczos on :math:`W - J` (the representation built for it by
        :func:`~topotheory.engine.resolve`, for large sparse schemes), exact to
        :attr:`extremes_residual`.
        """
        return "eigen" if self._extremes_from is None else "lanczos"

    def _lanczos_extremes(self) -> tuple[float, float, float]:
        """``(lambda_2, lambda_n, residual)`` by Lanczos, the structural eigenvalues +-1 exact."""
        rep = cast(Callable[[], Any], self._extremes_from)()
        lam2, lamn = rep.extreme_eigenvalues()
        return lam2, lamn, float(rep.eigen_residual)

    def extreme_eigenvalues(self) -> tuple[float, float]:
        r"""``(lambda_2, lambda_n)``: the largest and smallest eigenvalue of ``W`` on :math:`\mathbf 1^\perp`.

        By the route :attr:`extremes_route`: from every eigenvalue, or by sparse Lanczos (each
        within :attr:`extremes_residual`; one eigenvalue 1 per further connected component and -1
        per bipartite component set exactly). Either way the value depends only on the scheme and
        the route, not on what was computed before.

        Returns
        -------
        tuple of float
            :math:`(\lambda_2, \lambda_n)`; ``(0.0, 0.0)`` for a single worker.

        Examples
        --------
        >>> from topotheory import star
        >>> lam2, lamn = EigenRepresentation(star(5), static_symmetric=True).extreme_eigenvalues()
        >>> round(lam2, 12), round(abs(lamn), 12)  # the leaves' 0.8 (three times) and the hub's 0
        (0.8, 0.0)
        """
        if self.n == 1:
            return 0.0, 0.0
        if self._extremes_from is not None:
            lam2, lamn, _ = self._lanczos_extremes()
            return lam2, lamn
        lam = self.eigenvalues
        return float(lam[1]), float(lam[-1])

    @property
    def extremes_residual(self) -> float:
        """Bound on the error of :meth:`extreme_eigenvalues`: the Ritz residual (``"lanczos"``), 0 for ``"eigen"``."""
        if self._extremes_from is None or self.n == 1:
            return 0.0
        return self._lanczos_extremes()[2]

    def _structural(self, lam: Any) -> np.ndarray:
        """``lam`` (descending) with the structural eigenvalues +-1 made exact, read-only."""
        lam = np.array(lam)
        # rounding moves an eigenvalue by ~1e-15: only eigenvalues this close to +-1 can be structural
        if lam.size > 1 and (lam[1] > 1.0 - STRUCTURAL_MARGIN or lam[-1] < -1.0 + STRUCTURAL_MARGIN):
            classes = cyclic_classes(self.scheme.sparse_matrix(0))
            lam[: classes.components] = 1.0
            minus = classes.bipartite_components
            if minus:
                lam[lam.size - minus:] = -1.0
        lam.setflags(write=False)
        return lam

    def _values(self) -> np.ndarray:
        """The eigenvalues alone, by LAPACK's eigenvalue-only driver: the spectral gap, n_W (mean) and
        the contraction need only these. Always this route, even when the eigendecomposition is cached
        (its eigenvalues differ in the last bits), so that a value never depends on what was computed
        before it; the quantities that need eigenvectors use the decomposition's own eigenvalues."""
        lam: np.ndarray = self.scheme.cached("engine:eigen:values", lambda: self._structural(self.scheme.eigenvalues(0)))
        return lam

    def _data(self) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            lam0, Q = self.scheme.eigh()
            lam = self._structural(lam0)
            onel = np.maximum(1.0 - lam, 0.0)
            LL = np.outer(lam, lam)
            oneLL = np.maximum(onel[:, None] + lam[:, None] * onel[None, :], 0.0)  # 1 - lam_l lam_m
            lam2 = lam**2
            onel2 = np.maximum(onel * (1.0 + lam), 0.0)  # 1 - lam^2
            QQ = Q * Q
            QQ.setflags(write=False)
            return dict(lam=lam, Q=Q, LL=LL, oneLL=oneLL, lam2=lam2, onel2=onel2, QQ=QQ)

        return self.scheme.cached("engine:eigen", build)

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``W`` in descending order (structural +-1 exact)."""
        return self._values()

    # ------------------------------------------------------------------------------ random walk
    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        E = self._data()
        return symmetric_weights(E["lam"], g, c) @ E["QQ"].T

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        return np.mean(symmetric_weights(self._values(), g, c), axis=-1)

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        E = self._data()
        w = symmetric_weights(E["lam"], np.asarray(g), np.asarray(c))
        return (E["Q"] * w) @ E["Q"].T

    def disagreement_mean(self, g: float, phase: int) -> float:
        r""":math:`S_1(\gamma) = \frac1n\sum_{j\ge2}\lambda_j^2/(1-\gamma\lambda_j^2)` (``inf`` if it diverges)."""
        lam2 = self._values()[1:] ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(lam2 == 0.0, 0.0, lam2 / (1.0 - g * lam2))
        terms = np.where(g * lam2 >= 1.0 - 1e-15, np.inf, terms)
        return float(np.sum(terms) / self.n)

    # -------------------------------------------------------------------------------- spectra
    def product_spectrum(self) -> np.ndarray:
        return np.array(self.eigenvalues[1:])

    def product_norm(self) -> float:
        if self.n == 1:
            return 0.0
        lam2, lamn = self.extreme_eigenvalues()
        return float(max(abs(lam2), abs(lamn)))

    def static_contraction(self) -> float:
        return self.product_norm()

    def static_symmetric_eigenvalues(self, what: str) -> np.ndarray:
        return self.eigenvalues

    # ---------------------------------------------------------------------------- toy problem
    def _secular(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        E = self._data()
        u, its, res = secular_static(E["lam2"], E["onel2"], a, beta)
        regular = _walk_regular(E, a, beta, u) | (beta == 0)
        return u, its, res, regular

    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        u, its, res, regular = self._secular(a, beta)
        if not regular.all():
            raise ValueError(
                f"method='secular' applies to vertex-transitive (walk-regular) graphs, circulant schemes and "
                f"infinite graphs; {self.scheme!r} has unequal worker variances. Use method='exact'"
            )
        return u, its, res, "secular-eigen"

    def perron_excess(self, a: np.ndarray,
                      beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        u, its, res, regular = self._secular(a, beta)
        conv = np.ones(a.shape[0], dtype=bool)
        route = "secular-eigen" if regular.all() else "eigen-reduction"
        irregular = np.flatnonzero(~regular)
        if irregular.size:
            u2, its2, res2, conv2 = _eigen_route(self._data(), a[irregular], beta[irregular], u[irregular])
            u[irregular], its[irregular], res[irregular], conv[irregular] = u2, its[irregular] + its2, res2, conv2
        return u, its, res, conv, route

    def excess_lower_bound(self, a: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """The secular root: a lower bound of ``u`` (the "mean" rate bounds the rate from above)."""
        E = self._data()
        return secular_static(E["lam2"], E["onel2"], a, beta)[0]

    def perron_slopes(self, a: np.ndarray, beta: np.ndarray) -> tuple[Any, ...]:
        r"""The excess ``u`` and its partial derivatives in ``a`` and ``beta`` (implicit function theorem).

        At the root :math:`\mu(u, a, \beta) = 1` with :math:`\mu = \lambda_{\max}(K)` (reduction)
        or the secular sum (walk-regular graphs), :math:`\partial\mu/\partial\beta = 1/\beta` and
        :math:`\partial\mu/\partial u`, :math:`\partial\mu/\partial a` follow from the Perron
        vector ``v`` of the symmetric ``K`` (Hellmann-Feynman: left and right Perron vectors
        coincide): :math:`\partial_x\mu = v^T(\partial_x K)v`. Returns
        ``(u, du_da, du_dbeta, iterations, residual, converged, route)``.
        """
        u, its, res, regular = self._secular(a, beta)
        E = self._data()
        conv = np.ones(a.shape[0], dtype=bool)
        mu_u, mu_a = secular_partials(E["lam2"], E["onel2"], a, beta, u)
        route = "secular-eigen" if regular.all() else "eigen-reduction"
        irregular = np.flatnonzero(~regular)
        if irregular.size:
            out = _eigen_route(E, a[irregular], beta[irregular], u[irregular], slopes=True)
            u[irregular], res[irregular], conv[irregular] = out[0], out[2], out[3]
            its[irregular] += out[1]
            mu_u[irregular], mu_a[irregular] = out[4], out[5]
        with np.errstate(divide="ignore", invalid="ignore"):
            du_da = -mu_a / mu_u
            du_db = -1.0 / (beta * mu_u)
        return u, du_da, du_db, its, res, conv, route

    def perron_curve(self) -> PerronCurve | None:
        r"""The Perron curve :math:`\mu(\gamma)` (:class:`PerronCurve`), kept per scheme; None where not used.

        Used on the matrix-free route (``n > EXPLICIT_K_MAX_N``) of a connected graph whose worker
        variances differ (not walk-regular: there the secular equation is exact and cheaper).

        Returns
        -------
        PerronCurve or None

        Examples
        --------
        >>> from topotheory import binary_tree, ring
        >>> from topotheory.engine import resolve
        >>> type(resolve(binary_tree(80)).perron_curve()).__name__, resolve(binary_tree(15)).perron_curve()
        ('PerronCurve', None)
        """
        E = self._data()
        if self.n <= EXPLICIT_K_MAX_N or not E["lam"][1] < 1.0:
            return None
        if "perron_curve" not in E:
            curve = PerronCurve(E)
            variances = [E["QQ"] @ curve._diagonal_weights(g) for g in (0.5, 0.99)]
            regular = all(np.ptp(d) <= _WALK_REGULAR_RTOL * np.mean(d) for d in variances)
            E["perron_curve"] = None if regular else curve
        curve_or_none: PerronCurve | None = E["perron_curve"]
        return curve_or_none

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        r""":math:`\frac1n\sum_{j\ge2}[\lambda_j h/(1 - \lambda_j c)]^2|u_j^TB|^2` (``h = \eta L``, ``c = 1 - h``)."""
        E = self._data()
        lam, U = E["lam"], E["Q"]
        proj = U[:, 1:].T @ B  # (n-1, d)
        gain = lam[1:] * h / (1.0 - lam[1:] * c)
        return float(np.sum(gain[:, None] ** 2 * proj**2) / self.n)


# ---------------------------------------------------------------- the n-dimensional reduction
def _row_sums(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row sums of the scaled reduced matrix, (beta/rho) diag Sigma(a/rho), shape (L, n)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = beta[:, None] * E["lam2"] / (u[:, None] + a[:, None] * E["onel2"])
    return np.nan_to_num(w, nan=0.0) @ E["QQ"].T


def _explicit_K(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reduced matrices K(u)_ij = sum_lm H_lm Q_il Q_jl Q_im Q_jm, H = beta LL/(u + a(1-LL))."""
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    n = Q.shape[0]
    if "R2" not in E:
        iu, ju = np.triu_indices(n)
        E["R2"] = (Q[iu] * Q[ju], iu, ju)  # rows i <= j only: K is symmetric
    R2, iu, ju = E["R2"]
    L = a.shape[0]
    H = beta[:, None, None] * LL / (u[:, None, None] + a[:, None, None] * oneLL)  # (L, n, n)
    Hs = H.transpose(1, 0, 2).reshape(n, L * n)
    Z = (R2 @ Hs).reshape(R2.shape[0], L, n)
    vals = np.einsum("pjm,pm->jp", Z, R2, optimize=True)
    K = np.empty((L, n, n))
    K[:, iu, ju] = vals
    K[:, ju, iu] = vals
    return K, H


def _dmu_du(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Hellmann-Feynman derivative of lambda_max(K(u)) given unit eigenvectors v, shape (L, n)."""
    return _dmu(E, a, beta, u, v)[0]


def _dmu(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u: np.ndarray, v: np.ndarray,
         Y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Hellmann-Feynman derivatives (d/du, d/da) of lambda_max(K(u, a)) given unit eigenvectors v.

    ``Y`` (optional, one learning rate): the Gram matrix :math:`Q^T\mathrm{Diag}(v)Q` if known.
    """
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    den = u[:, None, None] + a[:, None, None] * oneLL
    dH = -beta[:, None, None] * LL / den**2
    if Y is None:
        Y2 = np.einsum("il,ji,im->jlm", Q, v, Q, optimize=True) ** 2
    else:
        Y2 = (Y * Y)[None]
    return np.sum(dH * Y2, axis=(1, 2)), np.sum(dH * oneLL * Y2, axis=(1, 2))


def _eigen_route(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u_lo: np.ndarray,
                 slopes: bool = False) -> tuple[np.ndarray, ...]:
    r"""Static symmetric W: root of :math:`\lambda_{\max}(K(u)) = 1` (n-dimensional reduction).

    ``u_lo`` is the secular ("mean") root, a proven lower bound. Safeguarded Newton on
    :math:`h(u) = 1/\lambda_{\max} - 1` with Hellmann-Feynman derivatives; upper bracket
    :math:`u \le \beta` (:math:`\rho \le a + \beta`). With ``slopes=True`` also returns
    :math:`\partial\mu/\partial u` and :math:`\partial\mu/\partial a` at the root.
    """
    n = E["Q"].shape[0]
    L = a.shape[0]
    u = u_lo.copy()
    its = np.zeros(L, dtype=int)
    res = np.zeros(L)
    conv = np.ones(L, dtype=bool)
    mu_u = np.full(L, np.nan)
    mu_a = np.full(L, np.nan)
    todo = np.flatnonzero(beta > 0)
    if todo.size:
        if n <= EXPLICIT_K_MAX_N:
            for sl in chunks(todo.size, n**3):
                idx = todo[sl]
                out = _newton_explicit(E, a[idx], beta[idx], u_lo[idx])
                u[idx], its[idx], res[idx], conv[idx] = out
                if slopes:
                    K, _ = _explicit_K(E, a[idx], beta[idx], u[idx])
                    mu_u[idx], mu_a[idx] = _dmu(E, a[idx], beta[idx], u[idx], _perron_pairs(K)[1])
        else:
            with single_threaded_blas():
                _matrix_free_points(E, a, beta, u_lo, todo, slopes, (u, its, res, conv, mu_u, mu_a))
    if slopes:
        return u, its, res, conv, mu_u, mu_a
    return u, its, res, conv


def _matrix_free_points(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u_lo: np.ndarray, todo: np.ndarray,
                        slopes: bool, out_arrays: tuple[np.ndarray, ...]) -> None:
    """The matrix-free route at the learning rates ``todo``, written into ``out_arrays``.

    Single-threaded BLAS (restored on exit, :func:`topotheory.common.threads.single_threaded_blas`): most
    products are small and a shared machine's cores are contended; threads made the route up to
    ten times slower.
    """
    u, its, res, conv, mu_u, mu_a = out_arrays
    for j in todo:
        out = _perron_warm(E, float(a[j]), float(beta[j]), float(u_lo[j]),
                           _WARM_SLOPE_RESIDUAL if slopes else _WARM_RESIDUAL)
        if out is None:  # a tight cluster at the top of K: restarted Lanczos (ARPACK)
            out = _newton_matrix_free(E, float(a[j]), float(beta[j]), float(u_lo[j]))
            Y = None
        else:
            Y = out[5]
        u[j], its[j], res[j], conv[j] = out[:4]
        if slopes:
            d = _dmu(E, a[j:j + 1], beta[j:j + 1], u[j:j + 1], out[4][None, :], Y=Y)
            mu_u[j], mu_a[j] = d[0][0], d[1][0]


def _newton_step(u: np.ndarray, h: np.ndarray, dh: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Safeguarded Newton: bracket update from the sign of h, bisection when Newton leaves it."""
    lo = np.where(h <= 0, np.maximum(lo, u), lo)
    hi = np.where(h >= 0, np.minimum(hi, u), hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        un = u - h / dh
    bad = ~np.isfinite(un) | (un <= lo) | (un >= hi)
    un = np.where(bad, 0.5 * (lo + hi), un)
    return un, lo, hi


def _perron_pairs(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest eigenvalue and unit eigenvector of a batch of symmetric non-negative matrices.

    ``eigvalsh`` for the eigenvalue, then one step of shifted inverse iteration from the positive
    vector for the eigenvector (only needed for derivatives). Much faster than batched ``eigh``
    with eigenvectors for small matrices (no threaded back-transformation).
    """
    K = np.ascontiguousarray(K)
    n = K.shape[-1]
    mu = np.linalg.eigvalsh(K)[:, -1]
    shift = mu * (1.0 + 1e-9) + 1e-300
    A = K - shift[:, None, None] * np.eye(n)
    v: np.ndarray = np.ones(K.shape[:-1])
    for _ in range(2):
        v = np.linalg.solve(A, v[..., None])[..., 0]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    v *= np.sign(np.sum(v, axis=1, keepdims=True) + 1e-300)
    return mu, v


def _newton_explicit(E: dict[str, Any], a: np.ndarray, beta: np.ndarray,
                     u_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    L = a.shape[0]
    u = u_lo.copy()
    lo, hi = u_lo.copy(), beta.copy()
    its = np.zeros(L, dtype=int)
    res = np.full(L, np.inf)
    active = np.ones(L, dtype=bool)
    for _ in range(100):
        if not active.any():
            break
        i = np.flatnonzero(active)
        K, _ = _explicit_K(E, a[i], beta[i], u[i])
        mu, v = _perron_pairs(K)
        h = 1.0 / mu - 1.0
        dh = -_dmu_du(E, a[i], beta[i], u[i], v) / mu**2
        un, lo[i], hi[i] = _newton_step(u[i], h, dh, lo[i], hi[i])
        its[i] += 1
        res[i] = np.abs(mu - 1.0)
        # quadratic convergence: a Newton step below 1e-10 leaves an error far below rounding
        newton = np.isfinite(dh) & (un == u[i] - h / dh)
        done = ((np.abs(un - u[i]) <= 1e-10 * np.abs(un)) & newton) | (h == 0) | (hi[i] - lo[i] <= 4 * EPS * hi[i])
        u[i] = np.where(h == 0, u[i], un)
        active[i] = ~done
    return u, its, res, ~active


def _newton_matrix_free(E: dict[str, Any], a: float, beta: float, u_lo: float) -> tuple[Any, ...]:
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    n = Q.shape[0]
    u, lo, hi = u_lo, u_lo, beta
    v = np.full(n, 1.0 / math.sqrt(n))
    res = np.inf
    tol = 1e-8  # loose while far from the root, tight close to it
    ok = True
    for it in range(1, 101):
        H = beta * LL / (u + a * oneLL)

        def matvec(x: np.ndarray, H: np.ndarray = H) -> np.ndarray:
            x = np.ravel(x)
            Y = (Q.T * x) @ Q
            return np.sum((Q @ (H * Y)) * Q, axis=1)

        def dense(u: float = u) -> np.ndarray:
            return _explicit_K(E, np.array([a]), np.array([beta]), np.array([u]))[0][0]

        mu, v, ok = top_eigenpair(matvec, n, v, tol=tol, dense=dense if n <= DENSE_FALLBACK_MAX_N else None)
        if not np.isfinite(mu):
            return u, it, res, False, v
        h = 1.0 / mu - 1.0
        Y = (Q.T * v) @ Q
        dmu = float(np.sum(-beta * LL / (u + a * oneLL) ** 2 * Y * Y))
        dh = -dmu / mu**2
        res = abs(mu - 1.0)
        prev_tight = tol <= _TIGHT
        tol = _TIGHT if res < 1e-5 else 1e-8
        un, lo, hi = (float(x) for x in _newton_step(np.array(u), np.array(h), np.array(dh), np.array(lo), np.array(hi)))
        if h == 0 or (abs(un - u) <= 1e-10 * abs(un) and prev_tight) or hi - lo <= 4 * EPS * hi:
            return (u if h == 0 else un), it, res, ok, v
        u = un
    return u, it, res, False, v


#: Residual :math:`\|K(u)v - v\|` (unit ``v``, :math:`v^TK(u)v = 1`) at which the warm-started
#: solver stops: the Perron root of ``K(u)`` is then within ``residual**2 / gap`` of 1 (Kato-Temple),
#: below 1e-13 unless the top of the spectrum of ``K`` is a cluster narrower than 0.1.
_WARM_RESIDUAL = 1e-7
#: The same for slopes: a Hellmann-Feynman derivative carries the vector's error to first order, and
#: the optimum (a root of the slope) needs it far below the rate's.
_WARM_SLOPE_RESIDUAL = 1e-11
#: Operator applications (two ``n x n`` products each) after which the warm-started solver hands over
#: to restarted Lanczos (a cluster at the top of ``K``, as in deep binary trees).
_WARM_BUDGET = 100


def _gram(Q: np.ndarray, x: np.ndarray) -> np.ndarray:
    r""":math:`Q^T\mathrm{Diag}(x)Q`, symmetric: two rank-k updates (``syrk``) on the rows of each sign.

    :math:`n^3` flops instead of the :math:`2n^3` of a general product.
    """
    Y = np.zeros((Q.shape[1], Q.shape[1]), order="F")
    for sign, rows in ((1.0, x > 0), (-1.0, x < 0)):
        if rows.any():
            B = Q[rows] * np.sqrt(np.abs(x[rows]))[:, None]  # (k, n): B^T B is this sign's part
            Y = blas.dsyrk(sign, B.T, beta=1.0, c=Y, lower=0, overwrite_c=1)
    iu = np.triu_indices_from(Y, 1)
    Y[iu[1], iu[0]] = Y[iu]
    return Y


def _reduced_apply(QF: np.ndarray, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
    r"""The reduced operator applied through its Gram matrix: :math:`(Kx)_i = \sum_{lm} Q_{il}H_{lm}Y_{lm}Q_{im}`.

    With the symmetric :math:`M = H \circ Y = L + L^T` (``L`` its lower triangle, halved
    diagonal), :math:`\mathrm{diag}(QMQ^T) = 2\,\mathrm{diag}(QLQ^T)`: one triangular product
    (``trmm``, :math:`n^3` flops). ``QF``: the eigenvectors in Fortran order.
    """
    L = np.tril(H * Y)
    L[np.diag_indices_from(L)] *= 0.5
    Z = blas.dtrmm(1.0, np.asfortranarray(L), QF, side=1, lower=1)
    return 2.0 * np.einsum("il,il->i", Z, QF)


def _gram_lower(Q: np.ndarray, x: np.ndarray) -> np.ndarray:
    r"""The lower triangle of :math:`Q^T\mathrm{Diag}(x)Q` (zeros above), Fortran order: :func:`_gram` unmirrored.

    In the precision of ``Q`` (single precision for a ``float32`` ``Q``: half the cost).
    """
    single = Q.dtype == np.float32
    syrk = blas.ssyrk if single else blas.dsyrk
    x = x.astype(Q.dtype)
    Y = np.zeros((Q.shape[1], Q.shape[1]), dtype=Q.dtype, order="F")
    for sign, rows in ((1.0, x > 0), (-1.0, x < 0)):
        if rows.any():
            B = Q[rows] * np.sqrt(np.abs(x[rows]))[:, None]
            Y = syrk(sign, B.T, beta=1.0, c=Y, lower=1, overwrite_c=1)
    return Y


def _apply_lower(QF: np.ndarray, GF: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """:func:`_reduced_apply` from the lower triangle ``Y`` of the Gram matrix and a Fortran-ordered ``GF``."""
    L = GF * Y
    L.flat[:: L.shape[0] + 1] *= 0.5
    Z = blas.dtrmm(1.0, L, QF, side=1, lower=1)
    return 2.0 * np.einsum("il,il->i", Z, QF)


def _rayleigh_functional(P: np.ndarray, oneLL: np.ndarray, a: float, beta: float, lo: float, hi: float,
                         u: float) -> float:
    r"""The root :math:`u` of :math:`q(u) = \sum_{lm} P_{lm}/(u + a(1 - \lambda_l\lambda_m)) = 1`.

    ``P = beta * LL * Y**2`` with ``Y`` the Gram matrix of a unit vector ``v``, so that
    :math:`q(u) = v^TK(u)v`; for ``v >= 0`` it decreases in ``u`` (the reduced matrix decreases entrywise).
    :math:`q(u) \le \lambda_{\max}(K(u))`, hence the root is a lower bound of the Perron excess,
    with an error quadratic in the angle between ``v`` and the Perron vector. Safeguarded Newton
    in ``[lo, hi]``.
    """
    for _ in range(100):
        den = u + a * oneLL
        q = float(np.sum(P / den))
        dq = -float(np.sum(P / (den * den)))
        if q == 1.0:
            return u
        if q > 1.0:
            lo = u
        else:
            hi = u
        un = u - (q - 1.0) / dq if dq < 0 else math.nan
        if not lo < un < hi:
            un = 0.5 * (lo + hi)
        if abs(un - u) <= 4 * EPS * un or hi - lo <= 4 * EPS * hi:
            return un
        u = un
    return u


#: Largest number of basis vectors of the kept subspace (each carries its ``n x n`` Gram matrix).
_SUBSPACE_MAX = 24
#: Entries of the Gram matrices handled per block in the projected matrix.
_PROJECT_BLOCK = 1 << 16
#: Alternations of the projected problem's Ritz vector and excess before the first application.
_FIRST_ALTERNATIONS = 4


def _subspace_size(n: int) -> int:
    """Largest basis of the kept subspace at size ``n``: the projection (``k^2 n^2 / 2`` flops)
    stays below one operator application (``2 n^3``)."""
    return int(min(_SUBSPACE_MAX, max(8, math.sqrt(2 * n))))


def _projected(B: dict[str, Any], H: np.ndarray) -> np.ndarray:
    r"""The reduction projected on the kept basis: :math:`M_{ij} = \sum_{lm} H_{lm}Y^{(i)}_{lm}Y^{(j)}_{lm}`.

    :math:`Y^{(i)} = Q^T\mathrm{Diag}(v_i)Q` are the Gram matrices of the orthonormal basis
    vectors (symmetric: only the upper triangles are kept, off-diagonal entries counted twice);
    :math:`v_i^TK v_j = M_{ij}`.
    """
    iu, ju, weight = B["triangle"]
    h = H[iu, ju] * weight
    Z = B["Z"][: B["k"]]
    M = np.zeros((Z.shape[0], Z.shape[0]))
    for s in range(0, h.size, _PROJECT_BLOCK):
        block = Z[:, s:s + _PROJECT_BLOCK]
        M += (block * h[s:s + _PROJECT_BLOCK]) @ block.T
    return 0.5 * (M + M.T)


def _combined_gram(B: dict[str, Any], s: np.ndarray) -> np.ndarray:
    """The Gram matrix of ``s @ V`` from the kept triangles (linear in the vector)."""
    iu, ju, _ = B["triangle"]
    y = s @ B["Z"][: B["k"]]
    n = B["V"].shape[1]
    Y = np.empty((n, n))
    Y[iu, ju] = y
    Y[ju, iu] = y
    return Y


def _subspace(E: dict[str, Any], Q: np.ndarray, start: np.ndarray) -> dict[str, Any]:
    """The kept basis of the scheme (rows ``V[:k]`` orthonormal, their Gram triangles ``Z[:k]``).

    Started from ``start`` when empty; storage for :func:`_subspace_size` vectors is allocated once.
    """
    if "perron_basis" not in E:
        n = Q.shape[0]
        iu, ju = np.triu_indices(n)
        weight = np.where(iu == ju, 1.0, 2.0)
        size = _subspace_size(n)
        E["perron_basis"] = dict(V=np.empty((size, n)), Z=np.empty((size, iu.size)), k=0,
                                 triangle=(iu, ju, weight))
        _expand(E["perron_basis"], Q, start)
    return E["perron_basis"]


def _expand(B: dict[str, Any], Q: np.ndarray, t: np.ndarray) -> bool:
    """Append the part of ``t`` orthogonal to the kept basis (twice Gram-Schmidt); False if none."""
    V = B["V"][: B["k"]]
    scale = float(np.linalg.norm(t))
    for _ in range(2):
        t = t - V.T @ (V @ t)
    norm = float(np.linalg.norm(t))
    if norm <= 1e-13 * max(scale, 1e-300) and B["k"]:
        return False
    t = t / norm
    iu, ju, _ = B["triangle"]
    B["V"][B["k"]] = t
    B["Z"][B["k"]] = _gram(Q, t)[iu, ju]
    B["k"] += 1
    return True


def _restart(B: dict[str, Any], S: np.ndarray) -> None:
    """Keep only the combinations ``S`` (``k x k'``, orthonormal columns) of the kept basis."""
    k, kept = B["k"], S.shape[1]
    B["V"][:kept] = S.T @ B["V"][:k]
    B["Z"][:kept] = S.T @ B["Z"][:k]
    B["k"] = kept


def _perron_warm(E: dict[str, Any], a: float, beta: float, u_lo: float,
                 tol: float = _WARM_RESIDUAL) -> tuple[Any, ...] | None:
    r"""Static symmetric W, one learning rate: the Perron pair of the reduction on a kept subspace.

    A Davidson-type method whose basis is kept across learning rates and excesses: the Gram
    matrices :math:`Y^{(i)} = Q^T\mathrm{Diag}(v_i)Q` of the basis vectors do not depend on
    :math:`(a, \beta, u)`, so the projection :math:`M(u) = V^TK(u)V` costs
    :math:`k^2n^2` flops (:func:`_projected`) against the :math:`n^3` of one operator application.
    Each step: the excess ``u`` with :math:`\lambda_{\max}(M(u)) = 1` (alternating the Rayleigh
    functional of the top Ritz vector ``v`` and the Ritz vector of :math:`M(u)`; a lower bound of
    the root, Cauchy interlacing), one application :math:`w = K(u)v`, and the residual
    :math:`w - v` appended to the basis. Stops when :math:`\|K(u)v - v\| \le` ``tol`` and ``v > 0``.
    An empty basis starts from the worker variances :math:`d = K\mathbf 1` at the secular root.
    Returns ``(u, applications, residual, True, v, Y)`` or None past :data:`_WARM_BUDGET`
    applications (restarted Lanczos then takes over).
    """
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    if "QF" not in E:
        E["QF"] = np.asfortranarray(Q)
    QF = E["QF"]
    d = _row_sums(E, np.array([a]), np.array([beta]), np.array([u_lo]))[0]
    B = _subspace(E, Q, d)
    u, hi = u_lo, beta
    BLL = beta * LL
    used = 0
    gap = math.inf
    first = True
    while used <= _WARM_BUDGET:
        V = B["V"][: B["k"]]
        # the root of the projected problem: Ritz vector of M(u), then u from its Rayleigh functional
        # (v^T K(u) v = 1, |v| = 1); alternated a few times before the first application
        for _ in range(_FIRST_ALTERNATIONS if first else 1):
            t, S = np.linalg.eigh(_projected(B, BLL / (u + a * oneLL)))
            s = S[:, -1] * (np.sign((S[:, -1] @ V).sum()) or 1.0)
            v = s @ V
            Y = _combined_gram(B, s)
            u_prev, u = u, _rayleigh_functional(BLL * Y * Y, oneLL, a, beta, 0.0, hi, u)
            if abs(u - u_prev) <= 1e-6 * u:
                break
        first = False
        if t.size > 1:
            gap = min(gap, float(t[-1] - t[-2]) / float(t[-1]))
        w = _reduced_apply(QF, BLL / (u + a * oneLL), Y)
        used += 1
        res = float(np.linalg.norm(w - v))
        # Kato-Temple: |lambda_max - 1| <= res^2 / gap; a positive v is the Perron vector (Perron-Frobenius)
        if res <= min(tol, math.sqrt(1e-15 * gap)) and _perron_signs(v):
            return u, used, res, True, _positive(v), Y
        if B["k"] >= B["V"].shape[0]:
            _restart(B, S[:, ::-1][:, :max(4, B["k"] // 3)])
        # nothing new outside the basis: the Ritz vector was stale (projected at the former u)
        _expand(B, Q, w - v)
    return None


def _walk_regular(E: dict[str, Any], a: np.ndarray, beta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """True where the scaled covariance diagonal is constant: the secular root is then exact."""
    d = _row_sums(E, a, beta, u)
    return np.max(np.abs(d - 1.0), axis=1) <= _WALK_REGULAR_RTOL


# ------------------------------------------------------------ the Perron curve in the decay
#: Relative residual :math:`\|F v - \mu v\| / \mu` at which a point of the Perron curve is accepted:
#: the root is then exact to ``residual**2 / gap`` and its Hellmann-Feynman slope to ``residual / gap``.
CURVE_RESIDUAL = 1e-11
#: Lanczos steps per cycle and cycles (each cycle restarted from its Ritz vector) before ARPACK takes over.
_CURVE_STEPS = 40
_CURVE_CYCLES = 4
#: A cycle's Lanczos steps stop when the recurrence's residual estimate is below this share of the
#: residual asked for; the true residual (from the kept images) then decides.
_CURVE_STOP = 0.5
#: Relative error of the Perron root the residual test allows at tight tolerances (Kato-Temple: the
#: error is at most ``residual**2 / gap``; see :func:`_curve_limit`).
_CURVE_ROOT_ERROR = 1e-12
#: A cycle that starts above this residual runs its Lanczos steps in single precision down to
#: ``_CURVE_SINGLE_TO``; the next cycle, in double precision, checks and finishes the pair.
_CURVE_SINGLE_ABOVE = 1e-4
_CURVE_SINGLE_TO = 1e-5
#: Bound of a single-precision application's error relative to the Perron root at n = 1000 (measured:
#: <= 2.3e-7 on random regular and random geometric graphs of 1000 nodes; Gram matrices <= 2e-6 of
#: their largest entry); it grows like the square root of n (sums of n rounded terms):
#: :func:`_single_error`.
_CURVE_SINGLE_ERROR = 1e-5
#: A double run's steps go to single precision once its residual estimate is below
#: ``_CURVE_MIXED * limit * gap / _single_error(n)`` (the later vectors' coefficients sum to a few
#: times residual / gap): their errors then add at most a share of the residual asked.
_CURVE_MIXED = 0.1
#: Memory a Lanczos run may spend on its vectors' Gram matrices (float64-equivalent, a whole cycle):
#: up to n ~ 1800 they are kept (no further application for the slope), above the pair's is computed.
_CURVE_RUN_BYTES = 1 << 29
#: A Ritz vector whose single-precision vectors weigh at most this (``sum |s_i|``) counts as exact for
#: the kept directions (its Gram matrix exact to ~1e-17 relative).
_CURVE_EXACT_WEIGHT = 1e-12
#: ... but only from a start this far (a cold one): the double cycle restarts from the single one's
#: Ritz vector and so builds its Krylov space anew, which costs more than it saves from a near start.
_CURVE_SINGLE_FAR = 1e-2
#: Perron vectors (with their Gram matrices) kept for the warm start, and the memory they may take.
_CURVE_HISTORY = 10
_CURVE_HISTORY_BYTES = 1 << 28
#: A Perron vector adds a kept direction only where its part outside them is longer than this.
_CURVE_NEW_DIRECTION = 1e-12
#: Below this length the new direction's Gram matrix is computed, not combined (see ``PerronCurve._remember``).
_CURVE_COMBINED_GRAM = 1e-4


def _single_error(n: int) -> float:
    """Bound of a single-precision application's error relative to the Perron root at size ``n``."""
    return _CURVE_SINGLE_ERROR * max(1.0, math.sqrt(n / 1000.0))


def _curve_limit(tol: float, gap: float) -> float:
    """The residual a point of the Perron curve must reach: ``tol``, and for tight ``tol`` (<= 1e-6) also
    ``sqrt(_CURVE_ROOT_ERROR * gap)`` (Kato-Temple: the root then exact to 1e-12 however close the
    second eigenvalue). Loose points only steer a search: a cluster at the top does not hold them up."""
    return tol if tol > 1e-6 else min(tol, math.sqrt(_CURVE_ROOT_ERROR * gap))


class PerronCurve:
    r"""The Perron root :math:`\mu(\gamma)` of the reduction as a function of the decay, matrix-free.

    With :math:`\gamma = a/\rho` the reduced matrix of the toy problem factors as
    :math:`K = (\beta/a)F(\gamma)` (THEORY §3.3 route 4),

    .. math::

        F(\gamma)_{ij} = \sum_{lm} G_{lm}Q_{il}Q_{jl}Q_{im}Q_{jm},\qquad
        G_{lm} = \frac{\gamma\lambda_l\lambda_m}{1 - \gamma\lambda_l\lambda_m}
        = \sum_{k\ge1}\gamma^k (W^k\circ W^k)\ \text{in the eigenbasis},

    an entrywise non-negative matrix that depends on :math:`\gamma` alone. So
    :math:`\rho(\eta)` solves :math:`(\beta/a)\,\mu(a/\rho) = 1` (:math:`a = (1-\eta)^2`,
    :math:`\beta = (\zeta-1)\eta^2`), and the stability edge and the optimal learning rate become
    one-dimensional problems in :math:`\gamma` where each point costs one eigenproblem of a fixed
    matrix — no inner root. A point: Lanczos with full reorthogonalisation on :math:`F(\gamma)`
    (each application one symmetric rank-k update and one triangular product,
    :math:`(Fx)_i = \sum_{lm}Q_{il}G_{lm}(Q^T\mathrm{Diag}(x)Q)_{lm}Q_{im}`), started from the
    Rayleigh-Ritz vector of the last Perron vectors at the new :math:`\gamma` (their Gram
    matrices kept, so the start costs no application), stopped when the true residual of the Ritz
    pair is below :data:`CURVE_RESIDUAL` (Kato-Temple) and the vector is positive (Perron-Frobenius:
    then it is the Perron vector). The slope is Hellmann-Feynman,
    :math:`\mu'(\gamma) = \sum_{lm}G'_{lm}Y_{lm}^2`, :math:`G' = \lambda_l\lambda_m/(1-\gamma\lambda_l\lambda_m)^2`,
    :math:`Y = Q^T\mathrm{Diag}(v)Q`. Restarted Lanczos (ARPACK) takes over when the cycles run out.
    Single-threaded BLAS inside (restored on exit).

    Each Lanczos vector keeps its image and Gram matrix, so the residual checked is the true one
    (:math:`Fv = \sum_i s_iFx_i`) and the slope needs no further application; the same point asked
    more tightly resumes its run. Precision follows need: a loose point (``tol >= 1e-4``, one that
    only steers a search) runs in single precision throughout; a tight one takes its later steps in
    single precision once their vectors' coefficients :math:`s_i` in the Ritz vector are small
    (about residual / gap), and its reported residual adds the bound
    ``_single_error(n) * sum |s_i|`` of their images' errors (single precision costs about 0.56 of
    a double application at n = 1000).

    Parameters
    ----------
    data : dict
        The eigenbasis data of :class:`EigenRepresentation` (``lam``, ``Q``, ``LL``, ``oneLL``, ``QQ``).

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import star
    >>> from topotheory.engine import resolve
    >>> rep = resolve(star(70))
    >>> curve = rep.perron_curve()
    >>> mu, dmu, ok = curve(0.9)
    >>> lr = 0.05
    >>> a, beta = (1 - lr) ** 2, 49 * lr**2          # zeta = 50
    >>> rho = float(a + rep.perron_excess(np.array([a]), np.array([beta]))[0][0])
    >>> mu_at, _, _ = curve(a / rho)                  # (beta / a) mu(a / rho) = 1 at the Perron root
    >>> ok, abs(beta / a * mu_at - 1) < 1e-12
    (True, True)
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._E = data
        if "QF" not in data:
            data["QF"] = np.asfortranarray(data["Q"])
        n = data["Q"].shape[0]
        self._keep = int(max(1, min(_CURVE_HISTORY, _CURVE_HISTORY_BYTES // (8 * n * n))))
        #: Kept Perron directions: ``(v, packed lower triangle of Q^T Diag(v) Q)`` (:meth:`_pack`), and
        #: whether that Gram matrix is exact to double rounding (not from a single-precision run).
        self._history: list[tuple[np.ndarray, np.ndarray]] = []
        self._exact: list[bool] = []
        self._memo: dict[float, tuple[float, float, float, bool]] = {}
        #: The Lanczos run of the last point (resumed when the same point is asked more tightly).
        self._last: _LanczosRun | None = None
        # the lower triangle of an n x n Fortran array is the upper triangle of its (C-ordered) transpose
        self._mask = np.triu(np.ones((n, n), dtype=bool)).ravel()
        self._offdiagonal_twice = np.where(np.arange(n)[None, :] == np.arange(n)[:, None], 1.0, 2.0).ravel()[
            self._mask]
        self._packed_LL = self._pack(data["LL"]) * self._offdiagonal_twice  # weighted as _packed_weights
        self._packed_oneLL = self._pack(data["oneLL"])
        #: Operator applications so far (each one symmetric rank-k update and one triangular product).
        self.applications = 0
        #: Of these, the ones in single precision.
        self.single_applications = 0
        #: Points solved so far (the memo answers repeated points without a solve).
        self.points = 0

    def _weights(self, gamma: float) -> np.ndarray:
        """``G`` (Fortran order); ``1 - gamma LL = (1 - gamma) + gamma (1 - LL)`` without cancellation."""
        E = self._E
        # LL and oneLL are symmetric: their transposes are the same matrices in Fortran order
        den = np.multiply(E["oneLL"].T, gamma)
        den += 1.0 - gamma
        G = np.divide(E["LL"].T, den, out=den)
        G *= gamma
        return G

    def _diagonal_weights(self, gamma: float) -> np.ndarray:
        """The diagonal of ``G``: ``F 1 = QQ @ diag(G)`` are the worker variances."""
        E = self._E
        lam2, one = np.diag(E["LL"]), np.diag(E["oneLL"])
        d: np.ndarray = gamma * lam2 / ((1.0 - gamma) + gamma * one)
        return d

    def _pack(self, Y: np.ndarray) -> np.ndarray:
        """The lower triangle of the ``n x n`` array ``Y`` as one vector (column by column)."""
        packed: np.ndarray = Y.T.ravel()[self._mask]
        return packed

    def _packed_curve_weights(self, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_packed_weights` of ``G`` and ``dG/dgamma`` at ``gamma`` from the packed eigenvalue products."""
        den = (1.0 - gamma) + gamma * self._packed_oneLL
        h = self._packed_LL / den
        return gamma * h, h / den

    def _projected(self, h: np.ndarray) -> np.ndarray:
        """``Z diag(h) Z^T`` over the kept directions' packed Gram matrices ``Z``, in cache-sized column blocks."""
        ys = [y for _, y in self._history]
        M = np.zeros((len(ys), len(ys)))
        for s in range(0, h.size, _PROJECT_BLOCK):
            B = np.array([y[s:s + _PROJECT_BLOCK] for y in ys], dtype=float)
            M += (B * h[s:s + _PROJECT_BLOCK]) @ B.T
        return M

    def _packed_weights(self, G: np.ndarray) -> np.ndarray:
        """Packed weights that turn sums over lower triangles of symmetric matrices into sums over all entries."""
        h: np.ndarray = self._pack(G) * self._offdiagonal_twice
        return h

    def _apply(self, x: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(F x, packed lower triangle of the Gram matrix of x)``: one rank-k update, one triangular product."""
        self.applications += 1
        Y = _gram_lower(self._E["Q"], x)
        return _apply_lower(self._E["QF"], G, Y), self._pack(Y)

    def _apply_single(self, G: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``x -> (F x, packed Gram matrix)`` in single precision (relative error ~1e-6): loose points, and
        the first Lanczos steps far from the pair."""
        Q32, G32 = self._q32(), np.asfortranarray(G, dtype=np.float32)

        def apply(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            self.applications += 1
            self.single_applications += 1
            Y = _gram_lower(Q32, x)
            L = G32 * Y
            L.flat[:: L.shape[0] + 1] *= 0.5
            Z = blas.strmm(1.0, L, Q32, side=1, lower=1)
            return 2.0 * np.einsum("il,il->i", Z, Q32, dtype=np.float64), self._pack(Y)

        return apply

    def _q32(self) -> np.ndarray:
        """The eigenvectors in single precision, Fortran order (made once per scheme)."""
        E = self._E
        if "Q32" not in E:
            E["Q32"] = np.asfortranarray(E["Q"], dtype=np.float32)
        Q32: np.ndarray = E["Q32"]
        return Q32

    def _gram_single(self, x: np.ndarray) -> np.ndarray:
        """:meth:`_pack` of the Gram matrix of ``x`` in single precision (half the cost of the double one)."""
        return self._pack(_gram_lower(self._q32(), x))

    def _start(self, G: np.ndarray) -> np.ndarray:
        """Rayleigh-Ritz vector at ``G`` on the kept directions; the row sums of F when none is kept.

        The kept directions are orthonormal with their Gram matrices exact to rounding (combined from
        the Lanczos vectors' Gram matrices, each computed by its application; a direction is kept only
        where it is not nearly parallel to the others, whose differences would lose the digits that matter).
        """
        if not self._history:
            return np.asarray(self._E["QQ"] @ np.diag(G))  # F 1: the worker variances
        M = self._projected(self._packed_weights(G))
        S = np.linalg.eigh(0.5 * (M + M.T))[1]
        return np.asarray(S[:, -1] @ np.array([v for v, _ in self._history]))

    def _remember(self, v: np.ndarray, y: np.ndarray, exact: bool = True) -> None:
        """Keep the part of the Perron vector ``v`` outside the kept directions (``y``: its packed Gram matrix).

        The part's Gram matrix is the same combination of the Gram matrices (linear in the vector) when
        the part is long and every Gram matrix involved exact: its rounding error is then about
        ``eps / |t|`` relative, and a later start resolves the direction to about ``eps / |t|**2``. A
        part shorter than ``_CURVE_COMBINED_GRAM`` (nearby points), or one next to single-precision
        Gram matrices (their errors would be divided by ``|t|`` too), has its Gram matrix computed
        directly; one shorter than ``_CURVE_NEW_DIRECTION`` is dropped (``v`` is in the span to
        rounding). ``exact=False``: ``y`` is from a single-precision run (good to ~1e-7, enough for a
        start); an exact vector replaces such directions.
        """
        if exact and not all(self._exact):
            kept = [i for i, e in enumerate(self._exact) if e]
            self._history = [self._history[i] for i in kept]
            self._exact = [True] * len(kept)
        if not self._history:
            self._history.append((v, y))
            self._exact.append(exact)
            return
        V = np.array([h for h, _ in self._history])
        c = V @ v
        if float(np.linalg.norm(v - V.T @ c)) <= _CURVE_NEW_DIRECTION:
            return
        if len(self._history) >= self._keep:  # drop the direction v needs least; v stays in the span
            drop = int(np.argmin(np.abs(c)))
            self._history.pop(drop)
            self._exact.pop(drop)
            V = np.array([h for h, _ in self._history])
        c = V @ v
        t = v - V.T @ c
        c2 = V @ t
        t = t - V.T @ c2
        norm = float(np.linalg.norm(t))
        if norm <= _CURVE_NEW_DIRECTION:
            return
        t /= norm
        if norm >= _CURVE_COMBINED_GRAM and exact and all(self._exact):
            self._history.append((t, (y - _combine(c + c2, [h for _, h in self._history])) / norm))
        else:  # a short part, or single-precision Gram matrices (their errors / |t|): directly
            self._history.append((t, self._pack(_gram_lower(self._E["Q"], t)) if exact else self._gram_single(t)))
        self._exact.append(exact)

    def __call__(self, gamma: float, tol: float = CURVE_RESIDUAL) -> tuple[float, float, bool]:
        r"""``(mu, dmu/dgamma, converged)`` at ``0 < gamma < 1``.

        Parameters
        ----------
        gamma : float
            The decay :math:`\gamma = a/\rho`.
        tol : float, default CURVE_RESIDUAL
            Relative residual of the Perron pair: :math:`\mu` is then exact to about
            ``tol**2 / gap``, :math:`\mu'` to about ``tol / gap`` (relative); at ``tol <= 1e-6`` the
            residual also meets ``sqrt(1e-12 gap)`` (the root exact to 1e-12 next to a cluster). A
            point solved before to a tolerance at least as tight is answered from memory.

        Returns
        -------
        (float, float, bool)
            :math:`\mu(\gamma)`, :math:`\mu'(\gamma)` and whether the pair met :data:`CURVE_RESIDUAL`.

        Examples
        --------
        >>> from topotheory import binary_tree
        >>> from topotheory.engine import resolve
        >>> curve = resolve(binary_tree(80)).perron_curve()
        >>> mu, dmu, ok = curve(0.5)
        >>> h = 1e-5
        >>> fd = (curve(0.5 + h)[0] - curve(0.5 - h)[0]) / (2 * h)
        >>> ok, abs(dmu - fd) < 1e-8 * dmu
        (True, True)
        """
        gamma = float(gamma)
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
        tol = check_real("tol", tol, low=1e-15, high=1e-2)
        known = self._memo.get(gamma)
        if known is None or known[0] > tol:
            with single_threaded_blas():
                self._memo[gamma] = (tol, *self._solve(gamma, tol))
            self.points += 1
        _, mu, dmu, ok = self._memo[gamma]
        return mu, dmu, ok

    def _solve(self, gamma: float, tol: float) -> tuple[float, float, bool]:
        G = self._weights(gamma)
        n = G.shape[0]
        # a loose point (only steering a search) entirely in single precision
        single = tol >= _CURVE_SINGLE_ABOVE
        run = self._last
        if run is not None and run.gamma == gamma and (single or not run.single):
            v = run.ritz()[1]  # the same point asked more tightly: the run goes on
        else:
            last = run
            self._last = run = None  # its Gram matrices are no longer needed: free them before the new run
            v = last.ritz()[1] if last is not None and last.gamma == gamma else _positive(self._start(G))
            run = _LanczosRun(self, gamma, G, v, apply=self._apply_single(G) if single else None)
        ok = False
        theta, v, res, s = run.ritz()
        for _ in range(_CURVE_CYCLES):
            limit = _curve_limit(tol, run.gap)
            if res <= limit and _perron_signs(v, res):
                ok = True
                break
            # Lanczos from v, full reorthogonalisation; far from the pair in single precision (half the
            # memory traffic), then on in double
            if not single and res > max(_CURVE_SINGLE_ABOVE, _CURVE_SINGLE_FAR) and limit < _CURVE_SINGLE_ABOVE:
                loose = _LanczosRun(self, gamma, G, v, apply=self._apply_single(G))
                loose.extend(_CURVE_SINGLE_TO)
                run = _LanczosRun(self, gamma, G, loose.ritz()[1], gap=loose.gap)
            else:
                if not run.single and _single_error(n) * run.inexact_weight(s) > _CURVE_MIXED * limit:
                    # single-precision steps taken for a looser residual (a point asked more tightly):
                    # their errors would stay above this one, so a new run from the Ritz vector
                    run = _LanczosRun(self, gamma, G, v, gap=run.gap)
                elif run.steps >= min(_CURVE_STEPS, n - 1):  # a cycle spent: restart from the Ritz vector
                    run = run.restarted(s)
                # the vectors of later steps enter v with coefficients ~ residual / gap: single precision
                # from where their errors stay below a share of the residual asked
                error = _single_error(n)
                run.extend(_CURVE_STOP * limit, _CURVE_MIXED * limit * run.gap / error if error > 0 else math.inf)
            theta, v, res, s = run.ritz()
        if ok:
            self._last = run
            if not run.keeps_grams:  # a large n: the pair's Gram matrix directly, in the run's precision
                y = self._gram_single(v) if single else self._pack(_gram_lower(self._E["Q"], v))
            elif not single and run.inexact_weight(s) > _CURVE_EXACT_WEIGHT:
                y = self._pack(_gram_lower(self._E["Q"], v))  # mixed precision: the pair's Gram matrix exact
            else:
                y = _combine(s, run.grams)
            run.drop_grams()  # the run is kept for a resumption only: not its n^2-sized parts
        else:  # cycles spent: restarted Lanczos (ARPACK), then its pair is checked the same way
            Q, QF = self._E["Q"], self._E["QF"]
            self._last = None

            def matvec(x: np.ndarray) -> np.ndarray:
                self.applications += 1
                return _apply_lower(QF, G, _gram_lower(Q, np.ravel(x)))

            theta, v, _ = top_eigenpair(matvec, n, v, tol=1e-13)
            if not np.isfinite(theta):
                return math.nan, math.nan, False
            w, y = self._apply(v, G)
            theta = float(v @ w)
            res = float(np.linalg.norm(w - theta * v)) / theta
            ok = res <= 100 * tol and _perron_signs(v, res)
        self._remember(v, y, exact=not (ok and single))
        return theta, float(np.vdot(self._packed_curve_weights(gamma)[1], y * y)), ok


def _combine(s: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
    """``sum_i s_i arrays[i]`` in double precision, without stacking the arrays (they may be large)."""
    out = np.multiply(arrays[0], s[0], dtype=float)
    for c, x in zip(s[1:], arrays[1:]):
        out += c * x
    return out


class _LanczosRun:
    r"""Lanczos with full reorthogonalisation on :math:`F(\gamma)`, keeping each vector's image and Gram matrix.

    The images make the Ritz pair's residual the true one (:math:`Fv = \sum_i s_iFx_i`, no further
    application) and the Gram matrices give the Ritz vector's (linear in the vector) for the
    Hellmann-Feynman slope; a run is resumed when its point is asked more tightly. With a
    single-precision ``apply`` (:meth:`PerronCurve._apply_single`) every image and Gram matrix is
    good to ~1e-6: enough for loose points and for starting a double run. A double run takes its
    later steps in single precision (:meth:`extend`): those vectors enter the Ritz vector with small
    coefficients :math:`s_i`, so their images' errors add at most
    ``_single_error(n) * sum |s_i|`` to the residual, which :meth:`ritz` adds to the one it reports.
    """

    def __init__(self, curve: PerronCurve, gamma: float, G: np.ndarray, v: np.ndarray, *,
                 apply: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None, gap: float = 1.0,
                 image: tuple[np.ndarray, np.ndarray] | None = None, exact: bool = True) -> None:
        self.gamma, self.gap, self._curve, self._G, self._single = gamma, gap, curve, G, apply
        self._mixed: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
        w, y = image if image is not None else self._apply(v)
        #: Whether the run keeps its vectors' Gram matrices (``n^2 / 2`` entries each; not above
        #: ``_CURVE_RUN_BYTES`` for a whole cycle: the pair's Gram matrix is then computed directly).
        self.keeps_grams = y is not None and (_CURVE_STEPS + 1) * y.nbytes * 8 // y.itemsize <= _CURVE_RUN_BYTES
        self.basis, self.images = [v], [w]
        self.grams: list[np.ndarray] = [y] if self.keeps_grams else []
        #: Whether each vector's image and Gram matrix are exact to double rounding.
        self.exact = [exact and apply is None]
        self.alphas: list[float] = [float(v @ w)]
        self.betas: list[float] = []
        self.r = w - self.alphas[0] * v
        self.estimate = float(np.linalg.norm(self.r)) / abs(self.alphas[0])

    @property
    def single(self) -> bool:
        """Whether the run is in single precision (its images and Gram matrices good to ~1e-6)."""
        return self._single is not None

    def _apply(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._single is not None:
            return self._single(x)
        return self._curve._apply(x, self._G)

    def drop_grams(self) -> None:
        """Free the kept Gram matrices (a resumed run then computes its pair's directly)."""
        self.grams, self.keeps_grams = [], False

    @property
    def steps(self) -> int:
        """Lanczos steps so far (applications after the first)."""
        return len(self.betas)

    def restarted(self, s: np.ndarray) -> _LanczosRun:
        """A new run from the Ritz vector ``s @ basis``, its image and Gram matrix combined (no application)."""
        v, w = _combine(s, self.basis), _combine(s, self.images)
        if self.keeps_grams:
            image = (w, _combine(s, self.grams))
            return _LanczosRun(self._curve, self.gamma, self._G, v, apply=self._single, gap=self.gap, image=image,
                               exact=self.inexact_weight(s) <= _CURVE_EXACT_WEIGHT)
        return _LanczosRun(self._curve, self.gamma, self._G, v, apply=self._single, gap=self.gap)

    def inexact_weight(self, s: np.ndarray) -> float:
        """``sum |s_i|`` over the vectors whose image and Gram matrix are from single precision."""
        return float(np.abs(s[~np.array(self.exact)]).sum())

    def ritz(self) -> tuple[float, np.ndarray, float, np.ndarray]:
        """``(theta, v, relative residual, coefficients)`` of the top Ritz pair (positive-sum ``v``).

        The residual is the true one from the kept images, plus the bound of the single-precision
        images' errors (:func:`_single_error` times their coefficients' sum).
        """
        T = np.diag(self.alphas) + np.diag(self.betas, 1) + np.diag(self.betas, -1)
        t, S = np.linalg.eigh(T)
        if t.size > 1:
            self.gap = float(t[-1] - t[-2]) / float(t[-1])
        s = S[:, -1]
        V = np.array(self.basis)
        if float((s @ V).sum()) < 0:
            s = -s
        v = s @ V
        theta = float(t[-1])
        r = s @ np.array(self.images) - theta * v  # the true residual (to rounding, or to ~1e-6 in single)
        return theta, v, float(np.linalg.norm(r)) / theta + _single_error(v.size) * self.inexact_weight(s), s

    def extend(self, stop: float, single_below: float = 0.0) -> None:
        """Lanczos steps until the residual estimate is below ``stop`` (relative) or a cycle is spent.

        Steps taken once the estimate is below ``single_below`` use single precision.
        """
        n = self.basis[0].size
        theta = self.alphas[0]
        for _step in range(min(_CURVE_STEPS, n - 1) - self.steps):
            b = float(np.linalg.norm(self.r))
            if b <= 1e-14 * abs(theta):
                break
            x = self.r / b
            Vb = np.array(self.basis)
            for _ in range(2):
                x = x - Vb.T @ (Vb @ x)
            x /= np.linalg.norm(x)
            if self._single is None and self.estimate <= single_below:
                if self._mixed is None:
                    self._mixed = self._curve._apply_single(self._G)
                w, y = self._mixed(x)
                self.exact.append(False)
            else:
                w, y = self._apply(x)
                self.exact.append(self._single is None)
            self.basis.append(x)
            self.images.append(w)
            if self.keeps_grams:
                self.grams.append(y)
            self.betas.append(b)
            self.alphas.append(float(x @ w))
            Vb = np.array(self.basis)
            r = w - Vb.T @ (Vb @ w)
            self.r = r - Vb.T @ (Vb @ r)
            T = np.diag(self.alphas) + np.diag(self.betas, 1) + np.diag(self.betas, -1)
            t, S = np.linalg.eigh(T)
            theta = float(t[-1])
            if t.size > 1:
                self.gap = float(t[-1] - t[-2]) / theta
            self.estimate = abs(float(np.linalg.norm(self.r)) * S[-1, -1]) / theta
            if self.estimate <= stop:
                break
