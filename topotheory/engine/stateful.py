r"""Second moments of an algorithm with per-worker state: the exact rate on each representation.

An algorithm's step is a :class:`~topotheory.algorithms.recursion.Recursion`: sub-steps
:math:`z \leftarrow (A^{\mathrm{loc}}\otimes I + A^{\mathrm{gos}}\otimes W_t)z + e\otimes(R-I)(\ell^Tz)`.
The traces :math:`T_{(p,i),(q,j)} = \mathbb E\langle z_{ip}, z_{jq}\rangle`, stored as an array
``T[p, q, i, j]`` of shape ``(s, s, n, n)``, follow exactly (module docstring of
:mod:`topotheory.algorithms.recursion`)

.. math::

    T \mapsto L T L^T + (\kappa - 1)\, (e e^T) \otimes \mathrm{Diag}(v), \qquad
    v_i = \sum_{p,q} \ell_p \ell_q T_{(p,i),(q,i)}, \qquad L = A^{\mathrm{loc}}\otimes I + A^{\mathrm{gos}}\otimes W_t.

The map preserves the cone of positive semidefinite ``T`` (both terms do, :math:`\kappa \ge 1`),
so by the Krein–Rutman theorem its spectral radius :math:`\rho` is an eigenvalue with a PSD
eigenvector, even though the map is not entrywise non-negative for momentum methods (other
eigenvalues may be complex and as large in modulus; the rate uses the modulus). The asymptotic
rate per step is :math:`r = 1 - \rho^{1/p}` for a period ``p`` (:math:`\rho` of the one-period map).

Routes:

``"stateful-dense"`` / ``"stateful-arnoldi"``
    Any finite scheme, periodic or random (:math:`\mathbb E W` and :math:`\mathbb E[W X W^T]` of the
    law; a random scheme needs at most one gossiping sub-step per step, since two would need fourth
    moments of ``W``): the map applied to a basis and a dense eigensolver when
    :math:`(sn)^2 \le 576`, else ARPACK on the matrix-free map.
``"stateful-fourier"``
    Circulant schemes, any period. The map commutes with the cyclic shift, so a PSD eigenvector
    for :math:`\rho` can be taken shift-invariant: it is block diagonal over Fourier modes,
    :math:`S_k` (``s × s``), the deterministic parts act as :math:`S_k \mapsto G_k S_k G_k^*`
    (:math:`G_k = A^{\mathrm{loc}} + \mu_{t,k}A^{\mathrm{gos}}`) and each noisy product injects
    :math:`(\kappa-1)\,c\,e e^T` into every mode, :math:`c = \frac1n\sum_k \ell^T S_k \ell`. With the
    ``m`` noisy products of one period this reduces to :math:`\lambda_{\max}(M(\rho)) = 1` for a
    non-negative ``m × m`` matrix

    .. math::

        M_{ij}(\rho) = \frac{\kappa_j - 1}{n}\sum_k \Bigl[\sum_{r\ge0}\rho^{-r-1}
        |w_{ik}^T P_k^r y_{jk}|^2 + [j < i]\,|\ell_i^T G_{k,(j,i)} e_j|^2\Bigr]

    (:math:`P_k` the one-period product, :math:`y` the injection carried to the end of the period,
    :math:`w` the read-out carried back to its start), non-increasing in :math:`\rho`. The sums
    over ``r`` are resolvents, :math:`(I - P_k\otimes\bar P_k/\rho)^{-1}`, evaluated as rational
    functions of :math:`1/\rho` (:mod:`topotheory.engine.rational`: coefficients from the power sums
    :math:`|\operatorname{tr}P_k^m|^2` and the first ``s²`` terms of the series; no eigenvectors, so
    near-defective modes of momentum methods keep full precision), by a stable ``s² × s²`` solve only
    within a multiple pole; :math:`\rho` is
    :math:`\max(\rho_0, \text{root})`, :math:`\rho_0 = \max_k \rho(P_k)^2` the noiseless modes.
    This generalises the D-SGD secular equation :math:`1 = \frac\beta n\sum_k \frac{\lambda_k^2}{\rho - a\lambda_k^2}`.
``"stateful-eigen"``
    Static symmetric schemes, one noisy product per step: the same secular equation in the
    eigenbasis, :math:`(\kappa-1)\lambda_{\max}(K(1/\rho)) = 1` with ``K`` ``n × n``
    (:func:`_rho_eigen`), the pair resolvents per pair of distinct eigenvalues, ``K`` reduced to the
    cells of an equitable partition of the graph (the centre and the leaves of a star).

The secular roots start from the model of the pole next to the root (most roots of small learning
rates sit there), so a grid of (learning rate, hyper-parameter) points needs a handful of
evaluations per point; the dense route works on symmetric matrices only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike

from ..algorithms.recursion import Recursion, SubStep
from ..common.threads import single_threaded_blas
from .base import arnoldi_largest
from .rational import kron_rational, kron_solve, power_data, rational_value

__all__ = ["STATEFUL_ROUTES", "initial_state", "propagate", "stateful_rho", "stateful_stable", "StatefulMoments"]

STATEFUL_ROUTES = ("auto", "dense", "fourier", "eigen")

#: ``(rho, route, residual, converged)`` per flat batch element.
RhoResult = tuple[np.ndarray, str, np.ndarray, np.ndarray]
#: ``evaluate(idx, x) -> (F, dF/dx, well_conditioned)`` of a secular equation, for the batch elements
#: ``idx``; ``well_conditioned`` is False where a resolvent needed the fallback solve (within a multiple pole).
Evaluator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

#: Largest operator dimension (s n)^2 solved by a dense eigensolver; above it ARPACK.
DENSE_LIMIT = 576
#: States per chunk of the dense route (batch elements x basis x s^2 n^2 entries).
DENSE_CHUNK_ENTRIES = 2_000_000
#: A resolvent whose denominator has a condition above this (within a multiple pole) is
#: re-evaluated by a stable solve (:func:`~topotheory.engine.rational.rational_value`).
RATIONAL_COND_LIMIT = 1e4


# ----------------------------------------------------------------------------- gossip moments
class _Fixed:
    """W_t of a deterministic scheme: W X, X W^T and W X W^T on the last two axes."""

    def __init__(self, scheme: Any, t: int) -> None:
        self.sparse = scheme.is_sparse(t)
        self.W = scheme.sparse_matrix(t) if self.sparse else scheme.matrix(t)

    def left(self, X: np.ndarray) -> np.ndarray:
        if not self.sparse:
            return np.matmul(self.W, X)
        n = X.shape[-1]
        lead = X.shape[:-2]
        Y = np.moveaxis(X.reshape((-1, n, n)), 1, 0).reshape(n, -1)
        return np.moveaxis(np.asarray(self.W @ Y).reshape(n, -1, n), 0, 1).reshape(lead + (n, n))

    def right(self, X: np.ndarray) -> np.ndarray:
        return np.swapaxes(self.left(np.swapaxes(X, -1, -2)), -1, -2)

    def both(self, X: np.ndarray) -> np.ndarray:
        return self.right(self.left(X))


class _Law:
    """A random scheme's law: E[W] X, X E[W]^T and E[W X W^T]."""

    def __init__(self, law: Any) -> None:
        self.law = law
        self.mean = np.asarray(law.mean())

    def left(self, X: np.ndarray) -> np.ndarray:
        return np.matmul(self.mean, X)

    def right(self, X: np.ndarray) -> np.ndarray:
        return np.matmul(X, self.mean.T)

    def both(self, X: np.ndarray) -> np.ndarray:
        return self.law.second_moment(X)


def _gossips(scheme: Any) -> list[Any]:
    if getattr(scheme, "is_random_scheme", False):
        return [_Law(scheme.law(t)) for t in range(scheme.period)]
    return [_Fixed(scheme, t) for t in range(scheme.period)]


def _mix(A: np.ndarray, X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """sum_{r,s} A[p, r] X[r, s, i, j] C[q, s] (component mixing, batched over leading axes)."""
    return np.einsum("...pr,...rsij,...qs->...pqij", A, X, C, optimize=True)


def _apply(T: np.ndarray, sub: SubStep, gossip: Any) -> np.ndarray:
    """One sub-step on T of shape (..., s, s, n, n); coefficients broadcast over the leading axes."""
    A0, A1 = sub.local, sub.gossip
    out = _mix(A0, T, A0)
    if A1 is not None:
        WT = gossip.left(T)
        out += _mix(A0, gossip.right(T), A1) + _mix(A1, WT, A0) + _mix(A1, gossip.both(T), A1)
    if sub.noise is not None:
        nz = sub.noise
        n = T.shape[-1]
        idx = np.arange(n)
        v = np.einsum("...p,...q,...pqi->...i", nz.source, nz.source, T[..., idx, idx])
        out[..., idx, idx] += np.einsum("...,...p,...q,...i->...pqi", np.asarray(nz.excess), nz.target,
                                        nz.target, v)
    return out


def _take_many(rec: Recursion, idx: np.ndarray) -> Recursion:
    """The recursion's coefficients of the flat batch elements ``idx``, batch shape ``(len(idx), 1)``.

    The extra axis broadcasts against a stack of states (the dense route's basis).
    """
    import dataclasses

    def pick(x: Any) -> np.ndarray:
        tail = np.shape(x)[len(rec.batch):]
        return np.broadcast_to(np.asarray(x), rec.batch + tail).reshape((-1,) + tail)[idx][:, None]

    def sub(s: SubStep) -> SubStep:
        nz = s.noise
        if nz is not None:
            nz = dataclasses.replace(nz, source=pick(nz.source), target=pick(nz.target),
                                     excess=np.broadcast_to(np.asarray(nz.excess, dtype=float), rec.batch).reshape(-1)[idx][:, None])
        return dataclasses.replace(s, local=pick(s.local), gossip=None if s.gossip is None else pick(s.gossip),
                                   noise=nz)

    return dataclasses.replace(rec, step=tuple(sub(s) for s in rec.step), init=tuple(sub(s) for s in rec.init),
                               batch=(len(idx), 1))


def _check_random(scheme: Any, rec: Recursion) -> None:
    if getattr(scheme, "is_random_scheme", False) and rec.gossips > 1:
        raise ValueError("a random scheme needs at most one gossip per step in the recursion (two gossips with the "
                         "same W_t need fourth moments of W); use a deterministic scheme")


def initial_state(rec: Recursion, n: int, initial: ArrayLike | None = None) -> np.ndarray:
    r"""T(0) for Gram matrix ``initial`` of the iterates (default all ones), shape ``batch + (s, s, n, n)``.

    Parameters
    ----------
    rec : Recursion
        The algorithm's recursion (its ``init`` sub-steps are applied once).
    n : int
        Number of workers.
    initial : (n, n) array_like, optional
        :math:`\mathbb E\langle x_i(0), x_j(0)\rangle`; default all ones (a common start).

    Returns
    -------
    ndarray
        The traces ``T[..., p, q, i, j]``; every component other than the iterate starts at zero.

    Examples
    --------
    >>> from topotheory import ALGORITHMS
    >>> T = initial_state(ALGORITHMS["gradient_tracking"].recursion(lr=0.1, zeta=3.0), 2)
    >>> T.shape, float(T[1, 1, 0, 0])  # y(0) = g(0): E|g|^2 = zeta |x|^2
    ((3, 3, 2, 2), 3.0)
    """
    s = rec.size
    T = np.zeros(rec.batch + (s, s, n, n))
    T[..., 0, 0, :, :] = np.ones((n, n)) if initial is None else initial
    for sub in rec.init:
        T = _apply(T, sub, None)
    return T


def propagate(T: np.ndarray, rec: Recursion, gossips: Sequence[Any], t: int) -> np.ndarray:
    """T after step ``t`` (sub-steps in order, every gossip with ``W_t``).

    Parameters
    ----------
    T : ndarray
        Traces of shape ``batch + (s, s, n, n)``.
    rec : Recursion
        The algorithm's recursion.
    gossips : sequence
        The gossip moments per step of the period (``W X``, ``X W^T``, ``W X W^T``; the law's for a
        random scheme).
    t : int
        The step; gossip ``t mod period`` is used.

    Returns
    -------
    ndarray
        The traces after the step, same shape.

    Examples
    --------
    >>> from topotheory import ALGORITHMS, solo
    >>> rec = ALGORITHMS["dsgd"].recursion(lr=0.1, zeta=10.0)
    >>> float(propagate(initial_state(rec, 1), rec, _gossips(solo(1)), 0)[0, 0, 0, 0])  # 1 - 2 lr + zeta lr^2
    0.9
    """
    g = gossips[t % len(gossips)]
    for sub in rec.step:
        T = _apply(T, sub, g)
    return T


class StatefulMoments:
    r"""Exact propagation of :math:`T(t)` for a batched recursion; ``loss()`` is :math:`\frac1{2n}\sum_i T_{(x,i),(x,i)}`.

    Examples
    --------
    >>> from topotheory import ALGORITHMS, solo
    >>> rec = ALGORITHMS["dsgd"].recursion(lr=0.1, zeta=10.0)
    >>> mom = StatefulMoments(solo(2), rec)
    >>> mom.step(0); round(float(mom.loss()), 12)  # 0.5 (1 - 2 lr + zeta lr^2)
    0.45

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme.
    rec : Recursion
        The algorithm's (possibly batched) recursion.
    initial : (n, n) array_like, optional
        Gram matrix of the iterates at ``t = 0`` (default all ones).
    """

    def __init__(self, scheme: Any, rec: Recursion, initial: ArrayLike | None = None) -> None:
        _check_random(scheme, rec)
        self.rec = rec
        self.n = scheme.n
        self.gossips = _gossips(scheme)
        self.T = initial_state(rec, self.n, initial)

    def loss(self) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.einsum("...ii->...", self.T[..., 0, 0, :, :]) / (2.0 * self.n)
        return np.where(np.isnan(out), np.inf, out)

    def step(self, t: int) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            self.T = propagate(self.T, self.rec, self.gossips, t)


# ------------------------------------------------------------------------------ dense route
def _invariant_basis(rec: Recursion, n: int) -> np.ndarray | None:
    """Orthonormal basis U (s n, s n - r) of {z : sum_i c^T z_i = 0 for every invariant c}, or None."""
    if not rec.invariants:
        return None
    C = np.stack([np.kron(np.asarray(c, dtype=float), np.ones(n)) for c in rec.invariants])  # (r, s n)
    _, sv, vt = np.linalg.svd(C)
    r = int(np.sum(sv > 1e-12 * sv[0]))
    return vt[r:].T


def _dense_setup(scheme: Any, rec: Recursion) -> tuple[Any, ...]:
    """The dense route's pieces: gossips, invariant basis ``U``, ``k`` (state dimension) and lift / lower."""
    _check_random(scheme, rec)
    if rec.invariants and getattr(scheme, "stochastic", "doubly") != "doubly":
        raise ValueError("an algorithm with conserved sums (gradient tracking, exact diffusion) needs doubly "
                         "stochastic gossip; this random scheme is only row-stochastic")
    n, s = scheme.n, rec.size
    gossips = _gossips(scheme)
    U = _invariant_basis(rec, n)
    k_dim = s * n if U is None else U.shape[1]

    def lift(S: np.ndarray) -> np.ndarray:  # (..., k, k) -> T (..., s, s, n, n)
        if U is None:
            return S.reshape(S.shape[:-2] + (s, n, s, n)).swapaxes(-3, -2)
        T = U @ S @ U.T
        return T.reshape(T.shape[:-2] + (s, n, s, n)).swapaxes(-3, -2)

    def lower(T: np.ndarray) -> np.ndarray:  # T (..., s, s, n, n) -> (..., k, k)
        X = T.swapaxes(-3, -2).reshape(T.shape[:-4] + (s * n, s * n))
        return X if U is None else U.T @ X @ U

    return gossips, k_dim, lift, lower


def _dense_maps(scheme: Any, rec: Recursion) -> Any:
    r"""Yield ``(idx, M)``: the one-period maps of chunks of flat batch elements, ``M`` (len(idx), d, d).

    The maps act on symmetric ``k × k`` matrices in the orthonormal basis :math:`e_ae_a^T`,
    :math:`(e_ae_b^T + e_be_a^T)/\sqrt2` (``d = k(k+1)/2`` instead of ``k²``): the map also acts on
    complex Hermitian ``T`` and is positive there, so every orbit is bounded by that of the identity
    (:math:`-cI \preceq H \preceq cI`) and the spectral radius is the one on symmetric matrices.
    Column ``c`` of ``M`` is the image of basis element ``c``.
    """
    gossips, k_dim, lift, lower = _dense_setup(scheme, rec)
    n, s, p = scheme.n, rec.size, len(gossips)
    B = int(np.prod(rec.batch)) if rec.batch else 1
    ia, ib = np.triu_indices(k_dim)
    scale = np.where(ia == ib, 1.0, np.sqrt(2.0))
    flat = ia * k_dim + ib
    basis = np.zeros((ia.size, k_dim, k_dim))
    basis[np.arange(ia.size), ia, ib] = 1.0 / scale
    basis[np.arange(ia.size), ib, ia] = 1.0 / scale
    step = max(1, DENSE_CHUNK_ENTRIES // (ia.size * s * s * n * n))
    for c0 in range(0, B, step):
        idx = np.arange(c0, min(B, c0 + step))
        chunk = _take_many(rec, idx) if rec.batch else rec
        T = lift(basis)
        for t in range(p):
            T = propagate(T, chunk, gossips, t)
        X = lower(T)
        M = X.reshape(X.shape[:-2] + (k_dim * k_dim,))[..., flat] * scale  # rows: basis element
        yield idx, np.broadcast_to(np.swapaxes(M, -1, -2), (idx.size,) + M.shape[-2:])


def _rho_dense(scheme: Any, rec: Recursion) -> RhoResult:
    """(rho of the one-period map, route, residual, converged) per flat batch element."""
    gossips, k_dim, lift, lower = _dense_setup(scheme, rec)
    n, p = scheme.n, len(gossips)
    B = int(np.prod(rec.batch)) if rec.batch else 1
    D = k_dim**2
    rho = np.empty(B)
    res = np.zeros(B)
    conv = np.ones(B, dtype=bool)
    route = "stateful-dense" if D <= DENSE_LIMIT else "stateful-arnoldi"
    if D <= DENSE_LIMIT:  # the maps of a chunk of batch elements at once, then batched eigenvalues
        for idx, M in _dense_maps(scheme, rec):
            rho[idx] = np.max(np.abs(np.linalg.eigvals(M)), axis=-1)
        return rho, route, res, conv
    for b in range(B):
        one = _take_many(rec, np.array([b])) if rec.batch else rec  # batch shape (1, 1)

        def period(S: np.ndarray, one: Recursion = one) -> np.ndarray:
            T = lift(S)
            for t in range(p):
                T = propagate(T, one, gossips, t)
            return lower(T)

        def mv(x: np.ndarray, period: Callable[[np.ndarray], np.ndarray] = period) -> np.ndarray:
            return period(np.asarray(x, dtype=float).reshape(k_dim, k_dim)).ravel()

        def residual(lam: Any, vec: np.ndarray, mv: Callable[[np.ndarray], np.ndarray] = mv) -> float:
            Mv = mv(vec.real) + 1j * mv(vec.imag)
            return float(np.linalg.norm(Mv - lam * vec) / max(abs(lam) * np.linalg.norm(vec), 1e-300))

        op = spla.LinearOperator((D, D), matvec=mv, dtype=float)
        v0 = lower(initial_state(one, n)).ravel() + 1e-3
        # the long basis only: with four eigenpairs a short basis was measured not to pay (momentum and
        # gradient tracking on a base graph of 100 workers: 1.5-2.5 s against 1.8 s per rate)
        vals, vecs, conv[b] = arnoldi_largest(op, v0, min(4, D - 2), 1e-13, residual, sizes=(40,))
        if len(vals) == 0:
            rho[b], res[b] = np.nan, np.nan
            continue
        k = int(np.argmax(np.abs(vals)))
        lam, vec = vals[k], vecs[:, k]
        rho[b] = float(abs(lam))
        res[b] = residual(lam, vec)
    return rho, route, res, conv


# ---------------------------------------------------------------------------- Fourier route
def _fourier_data(scheme: Any, rec: Recursion) -> tuple[list[Any], list[Any], int, np.ndarray, np.ndarray]:
    """Per (batch, mode): the sub-step matrices G over one period and the noise positions."""
    mu, weight, fixed = _mode_classes(scheme)  # (p, K): one column per class of equal modes
    p = mu.shape[0]
    B = int(np.prod(rec.batch)) if rec.batch else 1
    s = rec.size

    def flat(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), rec.batch + np.shape(x)[len(rec.batch):]).reshape(
            (B,) + np.shape(x)[len(rec.batch):])

    mats: list[np.ndarray] = []
    noises: list[Any] = []
    for t in range(p):
        for sub in rec.step:
            G = flat(sub.local)[:, None].astype(complex) * np.ones((1, mu.shape[1], 1, 1))
            if sub.gossip is not None:
                G = G + mu[t][None, :, None, None] * flat(sub.gossip)[:, None]
            mats.append(G)  # (B, n, s, s)
            if sub.noise is None:
                noises.append(None)
            else:
                nz = sub.noise
                exc = np.broadcast_to(np.asarray(nz.excess, dtype=float), rec.batch).reshape(B)
                noises.append((flat(nz.source), flat(nz.target), exc))
    return mats, noises, s, weight, fixed


def _mode_classes(scheme: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fourier modes merged into classes that evolve identically: (mu per class, weight = count / n, mu == 1).

    A mode and its complex conjugate (over the whole period) give conjugate blocks with the same
    real contribution; equal modes give equal blocks. Cached on the scheme.
    """

    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu = scheme.fourier_eigenvalues()
        n = mu.shape[1]
        flip = np.zeros(n, dtype=bool)
        for k in range(n):
            im = mu[:, k].imag
            nz = np.flatnonzero(np.abs(im) > 1e-13)
            flip[k] = nz.size > 0 and im[nz[0]] < 0
        canon = np.where(flip[None, :], np.conj(mu), mu)
        key = np.round(np.concatenate([canon.real, canon.imag]), 12).T
        _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
        cols = canon[:, first]
        fixed = np.all(np.abs(cols - 1.0) < 1e-12, axis=0)
        return cols, counts / float(n), fixed

    return scheme.cached("engine:stateful-mode-classes", build)


def _fourier_setup(scheme: Any, rec: Recursion) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, int]:
    r"""The pieces of M(x), x = 1/rho, per (batch, mode): ``(P, w, y, num, den, exc, direct)``, ``x_max``, ``rho_0``, ``m``.

    ``P`` (B, n, s, s) is the one-period product, ``w[:, :, i]`` the read-outs carried back to the
    period's start and ``y[:, :, j]`` the injections carried to its end, so that
    ``M_ij(x) = direct_ij + x exc_j sum_k weight_k f_kij(x)`` with
    :math:`f_{kij}(x) = (w_i\otimes\bar w_i)^T(I - xP_k\otimes\bar P_k)^{-1}(y_j\otimes\bar y_j)
    = \sum_r x^r|w_i^TP_k^ry_j|^2`, the rational function ``num / den``
    (:func:`~topotheory.engine.rational.kron_rational`; ``den`` per mode, shape (B, n, 1, 1, s² + 1)).
    """
    mats, noises, s, weight, fixed = _fourier_data(scheme, rec)
    J = len(mats)
    B, n = mats[0].shape[:2]
    eye = np.broadcast_to(np.eye(s, dtype=complex), (B, n, s, s))
    before = [eye]  # before[j] = G_{j-1} ... G_0
    for G in mats:
        before.append(np.matmul(G, before[-1]))
    P = before[-1]
    # conserved sums live in the modes with mu = 1 at every step (the consensus mode; one per
    # component of a disconnected scheme): write those in an orthonormal basis Q = [c-complement, c]
    # and drop the conserved coordinates
    Q0 = None
    if rec.invariants:
        C = np.stack([np.asarray(c, dtype=float) for c in rec.invariants])
        _, sv, vt = np.linalg.svd(C)
        r = int(np.sum(sv > 1e-12 * sv[0]))
        Q0 = np.concatenate([vt[r:], vt[:r]]).T  # columns: complement first
        keep = np.zeros(s)
        keep[: s - r] = 1.0
        P = P.copy()
        P[:, fixed] = keep[:, None] * (Q0.T @ P[:, fixed] @ Q0) * keep[None, :]
    rho0 = np.max(np.abs(np.linalg.eigvals(P)), axis=-1) ** 2  # (B, n)
    pos = [j for j in range(J) if noises[j] is not None]
    m = len(pos)
    after: list[Any] = [None] * J  # after[j] = G_{J-1} ... G_{j+1}
    acc = eye
    for j in range(J - 1, -1, -1):
        after[j] = acc
        acc = np.matmul(acc, mats[j])
    wr = np.empty((B, n, m, s), dtype=complex)
    yr = np.empty((B, n, m, s), dtype=complex)
    exc = np.empty((B, m))
    direct = np.zeros((B, m, m))
    for a, i in enumerate(pos):
        w = np.einsum("bp,bnpq->bnq", noises[i][0].astype(complex), before[i])
        if Q0 is not None:
            w[:, fixed] = (w[:, fixed] @ Q0) * keep
        wr[:, :, a] = w
        y = np.einsum("bnpq,bq->bnp", after[i], noises[i][1].astype(complex))
        if Q0 is not None:
            y[:, fixed] = (y[:, fixed] @ Q0) * keep
        yr[:, :, a] = y
        exc[:, a] = noises[i][2]
    for a, i in enumerate(pos):
        for c, j in enumerate(pos):
            if j < i:
                G = eye
                for q in range(j + 1, i):
                    G = np.matmul(mats[q], G)
                d = np.einsum("bp,bnpq,bq->bn", noises[i][0].astype(complex), G, noises[j][1].astype(complex))
                direct[:, a, c] = np.sum(weight * np.abs(d) ** 2, axis=-1) * exc[:, c]
    top = np.max(rho0, axis=-1)
    with np.errstate(divide="ignore"):
        x_max = np.where(top > 0, 1.0 / top, np.inf)
    if all(np.max(np.abs(a.imag), initial=0.0) == 0.0 for a in (P, wr, yr)):
        P, wr, yr = P.real.copy(), wr.real.copy(), yr.real.copy()
    # R_i^T (I - x P (x) conj P)^{-1} Y_j = sum_r x^r |w_i^T P^r y_j|^2, a rational function per mode
    tr, seq = power_data(P[:, :, None, None], wr[:, :, :, None], yr[:, :, None, :], s * s)  # seq (B, n, m, m, N)
    num, den = kron_rational(tr, seq, np.conj(tr), np.conj(seq))
    return (P, wr, yr, num.real, den.real, exc, direct), x_max, top, m


def _fourier_M(data: tuple[np.ndarray, ...], x: np.ndarray,
               weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M(x), dM/dx for x of shape (B,) (the modes' rational resolvents; a solve within a multiple pole), and
    whether no mode needed the solve."""
    P, wr, yr, num, den, exc, direct = data
    f, df, cond = rational_value(num, den, x[:, None, None, None])  # (B, n, m, m); cond (B, n, 1, 1)
    bad = ~(cond[:, :, 0, 0] <= RATIONAL_COND_LIMIT)
    if bad.any():  # within a multiple pole: the stable solve for those modes
        m = wr.shape[2]
        e, k = np.nonzero(bad)
        e, k = np.repeat(e, m * m), np.repeat(k, m * m)
        i, j = np.tile(np.repeat(np.arange(m), m), e.size // (m * m)), np.tile(np.arange(m), e.size // m)
        Pk, wi, yj = P[e, k], wr[e, k, i], yr[e, k, j]
        fs, dfs = kron_solve(Pk, wi, yj, np.conj(Pk), np.conj(wi), np.conj(yj), x[e])
        f[e, k, i, j], df[e, k, i, j] = fs.real, dfs.real
    q = np.einsum("k,bkij->bij", weight, f)
    dq = np.einsum("k,bkij->bij", weight, df)
    M = direct + x[:, None, None] * q * exc[:, None, :]
    dM = (q + x[:, None, None] * dq) * exc[:, None, :]
    return M, dM, np.asarray(~bad.any(axis=1))


def _take_data(data: tuple[np.ndarray, ...], idx: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(d[idx] for d in data)


def _perron(M: np.ndarray, dM: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest real eigenvalue of non-negative (B, m, m) matrices and its derivative."""
    if M.shape[-1] == 1:
        return M[:, 0, 0], dM[:, 0, 0]
    ok = np.all(np.isfinite(M), axis=(1, 2))
    lam = np.full(M.shape[0], np.inf)
    dlam = np.full(M.shape[0], np.nan)
    if ok.any():
        vals, right = np.linalg.eig(M[ok])
        k = np.argmax(vals.real, axis=-1)
        lam_ok = np.take_along_axis(vals.real, k[:, None], axis=-1)[:, 0]
        v = np.take_along_axis(right, k[:, None, None], axis=-1)[..., 0]
        lv, left = np.linalg.eig(np.swapaxes(M[ok], 1, 2))
        kl = np.argmax(lv.real, axis=-1)
        u = np.take_along_axis(left, kl[:, None, None], axis=-1)[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.einsum("bi,bij,bj->b", u, dM[ok], v) / np.einsum("bi,bi->b", u, v)
        lam[ok], dlam[ok] = lam_ok, d.real
    return lam, dlam


def _secular_root(evaluate: Evaluator, x_max: np.ndarray, rho0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batched root of :math:`F(x) = 1` with :math:`F` increasing on :math:`(0, x_{\max})`, :math:`F(0) = 0`.

    ``evaluate(idx, x)`` returns :math:`F` and :math:`dF/dx` for the batch elements ``idx`` at ``x``
    (non-finite where the evaluation fails: treated as right of the root). Safeguarded Newton from
    both sides, on :math:`F` right of the root (convex increasing), on :math:`1/F` left of it, inside
    the bracket :math:`[lo, hi]`; :math:`hi` starts at the pole :math:`x_{\max} = 1/\rho_0` (grown by
    doubling where :math:`\rho_0 = 0`), and a root exists iff :math:`F > 1` just below it. Returns
    ``(rho, residual, converged)`` with :math:`\rho = \max(1/x, \rho_0)`, or :math:`\rho_0` without a root.
    """
    B = x_max.shape[0]
    lo = np.zeros(B)
    hi = np.where(np.isfinite(x_max), x_max, 1.0)
    inf_hi = ~np.isfinite(x_max)
    for _ in range(200):  # rho0 = 0 (every mode nilpotent): grow the bracket until F > 1
        if not inf_hi.any():
            break
        idx = np.flatnonzero(inf_hi)
        lam, _, _ = evaluate(idx, hi[idx])
        grow = ~(lam > 1.0)
        hi[idx[grow]] *= 2.0
        inf_hi[idx[~grow]] = False
    top = hi.copy()
    probe = top * (1.0 - 1e-13)  # F there <= 1: no root below the pole
    lam, _, sharp = evaluate(np.arange(B), probe)
    # within a cluster of poles (a near-defective mode) no evaluation there is accurate: search anyway
    # (the search ends at the probe, rho = rho_0, if there is no root)
    # (F >= 0 in exact arithmetic: a negative value is round-off, e.g. a spurious pole of a nilpotent
    # mode, whose rho_0 is only known to sqrt(eps))
    found = ~(lam <= 1.0) | ~sharp | (lam < 0.0)
    hi = np.where(found, probe, hi)
    lo = np.where(found, lo, probe)
    # start from the pole's model F ~ R / (x_max - x), R = F(probe) (x_max - probe): the root is
    # usually close to the pole (small learning rates), where a start far left costs many steps
    with np.errstate(invalid="ignore", over="ignore"):
        guess = top - lam * (top - probe)
    x = np.where(np.isfinite(x_max) & (guess > 0.5 * hi) & (guess < hi), guess, np.minimum(1.0, 0.5 * hi))
    active = found.copy()
    res = np.zeros(B)
    for _ in range(300):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        lam, dlam, _ = evaluate(idx, x[idx])
        xi = x[idx]
        bad_eval = ~np.isfinite(lam) | ~np.isfinite(dlam) | (lam < 0.0)
        right = bad_eval | (lam > 1.0)
        hi[idx[right]] = xi[right]
        lo[idx[~right]] = xi[~right]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn = np.where(right, xi - (lam - 1.0) / dlam, xi + lam * (1.0 - lam) / dlam)
        l_i, h_i = lo[idx], hi[idx]
        ok = (xn > l_i) & (xn < h_i) & ~bad_eval
        # a Newton step below round-off is convergence, even when it leaves the bracket by that much
        done = ~bad_eval & (np.abs(xn - xi) <= 1e-14 * xi)
        xn = np.where((lam == 1.0) | done, xi, np.where(ok, xn, 0.5 * (l_i + h_i)))
        done |= (h_i - l_i <= 2e-16 * h_i) | (lam == 1.0)
        done |= l_i >= top[idx] * (1.0 - 1e-13)  # no root below the pole: rho = rho_0
        x[idx] = xn
        res[idx] = np.abs(lam - 1.0)
        active[idx[done]] = False
    has_root = lo < top * (1.0 - 1e-13)
    rho = np.maximum(np.where(has_root, 1.0 / x, rho0), rho0)
    return rho, res, ~active


def _rho_fourier(scheme: Any, rec: Recursion) -> RhoResult:
    data, x_max, rho0, m = _fourier_setup(scheme, rec)
    weight = _mode_classes(scheme)[1]
    B = x_max.shape[0]
    if m == 0:
        return rho0, "stateful-fourier", np.zeros(B), np.ones(B, dtype=bool)
    def evaluate(idx: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        M, dM, sharp = _fourier_M(_take_data(data, idx), x, weight)
        return _perron(M, dM) + (sharp,)

    rho, res, conv = _secular_root(evaluate, x_max, rho0)
    return rho, "stateful-fourier", res, conv


# ------------------------------------------------------------------------------ eigen route
#: Largest ``n`` for which the eigen route builds ``K`` explicitly (batched); above it Lanczos.
EIGEN_EXPLICIT = 128
#: Batch elements per chunk of the eigen route, so that ``P_k ⊗ P_l`` (``chunk × n² × s⁴``) stays small.
EIGEN_CHUNK_ENTRIES = 4_000_000


def _eigen_pieces(lam: np.ndarray, rec: Recursion,
                  flat: Callable[[Any], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per batch element: ``P`` (B, n, s, s), read-out ``w`` and injection ``y`` (B, n, s), ``kappa - 1`` (B,)."""
    n, s = lam.shape[0], rec.size
    mats = []
    for sub in rec.step:
        G = flat(sub.local)[:, None] * np.ones((1, n, 1, 1))
        if sub.gossip is not None:
            G = G + lam[None, :, None, None] * flat(sub.gossip)[:, None]
        mats.append(G)
    j0 = next(j for j, sub in enumerate(rec.step) if sub.noise is not None)
    nz = rec.step[j0].noise
    eye = np.broadcast_to(np.eye(s), mats[0].shape)
    before, after, P = eye, eye, eye
    for G in mats[:j0]:
        before = G @ before
    for G in mats[j0 + 1:]:
        after = G @ after
    for G in mats:
        P = G @ P
    w = np.einsum("bp,bkpq->bkq", flat(nz.source), before)
    y = np.einsum("bkpq,bq->bkp", after, flat(nz.target))
    B = P.shape[0]
    kappa1 = np.broadcast_to(np.asarray(nz.excess, dtype=float), rec.batch).reshape(B) if rec.batch else \
        np.full(B, float(nz.excess))
    return P, w, y, kappa1


#: Largest ``pairs × n²`` for which the eigen route tabulates the Hadamard products of the spectral
#: projectors (:func:`_eigen_structure`); above it ``K`` is built from the eigenvectors.
EIGEN_TABLE_ENTRIES = 4_194_304
#: Largest ``batch × pairs × (2 s² + 1)`` for which the pairs' rational coefficients are kept.
EIGEN_COEFF_ENTRIES = 16_777_216


def _equitable(V: np.ndarray) -> np.ndarray:
    r"""Orthonormal cell indicators ``E`` (n, q) of a partition equitable for every symmetric ``V[a]``.

    Colour refinement on the weighted matrices: a cell splits until every vertex of a cell has the
    same sums :math:`\sum_{j\in C}V_{a,ij}` into every cell ``C``, so that ``E E^T`` commutes with
    each ``V[a]``. Checked to round-off at the end; the identity (no reduction) if the check fails.
    """
    n, m = V.shape[-1], V.shape[0]
    scale = max(float(np.max(np.abs(V), initial=0.0)), 1e-300)
    # a vertex's signature, its rounded sums into every cell, hashed to one number by fixed weights
    # (a collision only merges cells wrongly, which the final check catches)
    mix = np.sqrt(np.arange(2.0, 2.0 + m))
    colors = np.zeros(n, dtype=int)
    for _ in range(n):
        k = int(colors.max()) + 1
        sums = np.round(np.matmul(V, np.eye(k)[colors]) / scale, 9)  # (m, n, k)
        key = np.einsum("a,aij->ij", mix, sums) @ np.sqrt(np.arange(3.0, 3.0 + k))
        _, new = np.unique(np.stack([colors.astype(float), key]), axis=1, return_inverse=True)
        new = np.ravel(new)
        if int(new.max()) + 1 == k:
            break
        colors = new
    ind = np.eye(int(colors.max()) + 1)[colors]
    E = ind / np.sqrt(ind.sum(axis=0))
    VE = np.matmul(V, E)
    if np.max(np.abs(VE - E @ np.matmul(E.T, VE)), initial=0.0) > 1e-10 * scale:
        return np.eye(n)
    return E


def _eigen_structure(scheme: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Eigenvalue classes of a static symmetric scheme and the reduced Hadamard tables, cached.

    Returns ``(lam_c, cls, pairs, table)``: the distinct eigenvalues :math:`\lambda_a` (``c``), the
    class of each eigenvector, the class pairs :math:`a \le b` (2, ``c(c+1)/2``) and, when small
    enough, ``table[(ab)] = E^T (\Pi_a\circ\Pi_b + [a\ne b]\,\Pi_b\circ\Pi_a) E`` flattened,
    with :math:`\Pi_a` the spectral projector of :math:`\lambda_a` and ``E`` the cells of a
    partition equitable for all of them (:func:`_equitable`). Then
    :math:`K = \sum_{kl}(q_kq_k^T)\circ(q_lq_l^T)\,g_{kl} = \sum_{a\le b} g_{ab}\,(\ldots)` and
    :math:`E^TKE` = ``g @ table``; its largest eigenvalue is :math:`K`'s wherever :math:`K` has a
    non-negative top eigenvector (the Perron vector of the noise, :func:`_rho_eigen`), since ``E E^T``
    commutes with ``K``.
    """

    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        lam, Q = scheme.eigh()
        lam = np.asarray(lam, dtype=float)
        n = lam.shape[0]
        order = np.argsort(lam)
        cuts = np.flatnonzero(np.diff(lam[order]) > 1e-12 * max(1.0, float(np.max(np.abs(lam))))) + 1
        groups = np.split(order, cuts)
        cls = np.empty(n, dtype=int)
        for a, g in enumerate(groups):
            cls[g] = a
        lam_c = np.array([lam[g].mean() for g in groups])
        pairs = np.array(np.triu_indices(len(groups)))
        table = None
        if pairs.shape[1] * n * n <= EIGEN_TABLE_ENTRIES:
            Pi = np.stack([Q[:, g] @ Q[:, g].T for g in groups])
            V = Pi[pairs[0]] * Pi[pairs[1]]
            V[pairs[0] != pairs[1]] *= 2.0
            E = _equitable(V)
            q = E.shape[1]
            table = np.matmul(E.T, np.matmul(V, E)).reshape(-1, q * q)
        return lam_c, cls, pairs, table

    return scheme.cached("engine:stateful-eigen-classes", build)


def _eigen_evaluator(Q: np.ndarray, P: np.ndarray, w: np.ndarray, y: np.ndarray, kappa1: np.ndarray,
                     cls: np.ndarray, pairs: np.ndarray, table: np.ndarray | None) -> Evaluator:
    r"""``evaluate(idx, x)``: :math:`(\kappa-1)\lambda_{\max}(K(x))` and its slope for batch elements ``idx``.

    ``P, w, y`` are given per eigenvalue class (``c``). :math:`g_{ab}(x) = x (w_a\otimes w_b)^T
    (I - x P_a\otimes P_b)^{-1} (y_a\otimes y_b)` for the class pairs ``a <= b``, as rational
    functions (:mod:`topotheory.engine.rational`; the few pairs within a multiple pole by a solve).
    Then :math:`E^TKE` = ``g @ table`` (:func:`_eigen_structure`) and a batched ``eigh``; without a
    table :math:`K = U\,\mathrm{diag}(g)\,U^T` with :math:`U_{i,(kl)} = Q_{ik}Q_{il}`, explicit and
    batched for :math:`n \le` ``EIGEN_EXPLICIT``, else Lanczos on the matrix-free
    :math:`Kv = \mathrm{diag}(Q[g\circ(Q^T\mathrm{Diag}(v)Q)]Q^T)`, warm-started from the last
    Perron vector of the same batch element. The slope is Hellmann–Feynman: :math:`v^T (dK/dx) v / v^T v`.
    """
    n, s = Q.shape[0], P.shape[-1]
    N = s * s
    c = P.shape[1]
    ia, ib = pairs
    explicit = n <= EIGEN_EXPLICIT
    use_table = table is not None and explicit
    U = np.einsum("ik,il->ikl", Q, Q).reshape(n, n * n) if explicit and not use_table else None
    starts: dict[int, np.ndarray] = {}
    tr, seq = power_data(P, w, y, N)  # (B, c, N)
    keep = P.shape[0] * ia.size * (2 * N + 1) <= EIGEN_COEFF_ENTRIES
    whole = kron_rational(tr[:, ia], seq[:, ia], tr[:, ib], seq[:, ib]) if keep else None

    def pair_values(b: np.ndarray, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        num, den = (whole[0][b], whole[1][b]) if whole is not None else \
            kron_rational(tr[b][:, ia], seq[b][:, ia], tr[b][:, ib], seq[b][:, ib])
        f, df, cond = rational_value(num, den, xb[:, None])
        bad = ~(cond <= RATIONAL_COND_LIMIT)
        if bad.any():  # within a multiple pole: the stable solve for those pairs
            e, p = np.nonzero(bad)
            bb, pa, pb = b[e], ia[p], ib[p]
            f[e, p], df[e, p] = kron_solve(P[bb, pa], w[bb, pa], y[bb, pa], P[bb, pb], w[bb, pb], y[bb, pb], xb[e])
        g = xb[:, None] * f
        return g, f + xb[:, None] * df, np.asarray(~bad.any(axis=1))

    def full(gp: np.ndarray) -> np.ndarray:  # pairs a <= b -> (., n, n) over eigenvectors
        G = np.empty((gp.shape[0], c, c))
        G[:, ia, ib] = gp
        G[:, ib, ia] = gp
        return G[:, cls][:, :, cls]

    def evaluate(idx: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        F = np.zeros(len(idx))
        sharp = np.ones(len(idx), dtype=bool)
        dF = np.full(len(idx), np.inf)  # F(0) = 0 (K(0) = 0)
        pos = np.flatnonzero(x > 0.0)
        width = ia.size if use_table else n * n
        step = max(1, EIGEN_CHUNK_ENTRIES // (width * (2 * N + 1) if use_table else n * n * s**4))
        for c0 in range(0, len(pos), step):
            sel = pos[c0:c0 + step]
            b, xb = idx[sel], x[sel]
            gp, dgp, sharp[sel] = pair_values(b, xb)
            if use_table:
                assert table is not None
                q = int(round(np.sqrt(table.shape[1])))
                S = (gp @ table).reshape(len(b), q, q)
                vals, vecs = np.linalg.eigh(0.5 * (S + np.swapaxes(S, 1, 2)))
                u = vecs[:, :, -1]
                F[sel] = kappa1[b] * vals[:, -1]
                dF[sel] = kappa1[b] * np.einsum("bp,bp->b", dgp, np.einsum("bi,bj->bij", u, u).reshape(len(b), q * q)
                                                @ table.T)
                continue
            Gm, dG = full(gp), full(dgp)
            if U is not None:
                K = ((U[None] * Gm.reshape(len(b), 1, n * n)).reshape(len(b) * n, n * n) @ U.T).reshape(len(b), n, n)
                vals, vecs = np.linalg.eigh(0.5 * (K + np.swapaxes(K, 1, 2)))
                top, v = vals[:, -1], vecs[:, :, -1]
            else:
                top, v = np.empty(len(b)), np.empty((len(b), n))
                for a in range(len(b)):
                    g = Gm[a]
                    op = spla.LinearOperator((n, n), dtype=float,
                                             matvec=lambda u, g=g: np.einsum("ik,ik->i", Q @ (g * (Q.T @ (np.ravel(u)[:, None] * Q))), Q))
                    vals, vecs = spla.eigsh(op, k=1, which="LA", v0=starts.get(int(b[a]), np.ones(n)), tol=1e-14)
                    top[a], v[a] = vals[0], vecs[:, 0]
                    starts[int(b[a])] = np.abs(vecs[:, 0]) + 1e-300
            C = np.matmul(np.swapaxes(Q, 0, 1)[None], v[:, :, None] * Q[None])
            F[sel] = kappa1[b] * top
            dF[sel] = kappa1[b] * np.einsum("bkl,bkl->b", dG, C * C) / np.einsum("bi,bi->b", v, v)
        return F, dF, sharp

    return evaluate


def _rho_eigen(scheme: Any, rec: Recursion) -> RhoResult:
    r"""Static symmetric W, one noisy product per step: the ``n``-dimensional reduction, batched.

    In the eigenbasis :math:`W = Q\Lambda Q^T` each pair of eigenvectors ``(k, l)`` carries an
    ``s × s`` block :math:`X_{kl} \mapsto G_k X_{kl} G_l^T`; the noise injects
    :math:`(\kappa-1)\,e e^T (Q^T\mathrm{Diag}(v)Q)_{kl}` and reads
    :math:`v_i = \sum_{kl} Q_{ik}Q_{il}\,\ell^T X_{kl}\ell`. So :math:`v = (\kappa-1)K(x)v` with
    :math:`K_{ij} = \sum_{kl} Q_{ik}Q_{jk}Q_{il}Q_{jl}\,g_{kl}(x)`,
    :math:`g_{kl}(x) = x\,(w_k\otimes w_l)^T(I - xP_k\otimes P_l)^{-1}(y_k\otimes y_l)`
    (increasing in :math:`x = 1/\rho`): :math:`\rho` solves
    :math:`(\kappa-1)\lambda_{\max}(K(1/\rho)) = 1`, for the whole batch of (learning rate,
    hyper-parameter) points at once (:func:`_secular_root`, :func:`_eigen_evaluator`).
    """
    _, Q = scheme.eigh()
    lam_c, cls, pairs, table = _eigen_structure(scheme)
    B = int(np.prod(rec.batch)) if rec.batch else 1

    def flat(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), rec.batch + np.shape(x)[len(rec.batch):]).reshape(
            (B,) + np.shape(x)[len(rec.batch):])

    P, w, y, kappa1 = _eigen_pieces(lam_c, rec, flat)  # per eigenvalue class
    rho0 = np.max(np.abs(np.linalg.eigvals(P)), axis=-1).max(axis=-1) ** 2
    rho, res, conv = rho0.copy(), np.zeros(B), np.ones(B, dtype=bool)
    noisy = np.flatnonzero(kappa1 > 0.0)
    if noisy.size:
        with np.errstate(divide="ignore"):
            x_max = np.where(rho0[noisy] > 0, 1.0 / rho0[noisy], np.inf)
        rho[noisy], res[noisy], conv[noisy] = _secular_root(
            _eigen_evaluator(np.asarray(Q), P[noisy], w[noisy], y[noisy], kappa1[noisy], cls, pairs, table), x_max,
            rho0[noisy])
    return rho, "stateful-eigen", res, conv


# --------------------------------------------------------------------------------- dispatch
def stateful_rho(scheme: Any, rec: Recursion, route: str = "auto") -> RhoResult:
    r"""Spectral radius :math:`\rho` of the one-period second-moment map, per flat batch element.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    rec : Recursion
        The algorithm's (possibly batched) recursion.
    route : {"auto", "dense", "fourier", "eigen"}
        ``"auto"``: Fourier modes for circulant schemes with at most 3 state components; the
        eigenbasis reduction for other static symmetric schemes (one noisy product per step, no
        conserved sums, at most 3 components) above the dense size; else the dense / ARPACK route.

    Returns
    -------
    tuple ``(rho, route, residual, converged)``

    Examples
    --------
    >>> from topotheory import ALGORITHMS, ring
    >>> rec = ALGORITHMS["dsgd"].recursion(lr=0.05, zeta=50.0)
    >>> rho, route, _, _ = stateful_rho(ring(32), rec)
    >>> route, round(1 - float(rho[0]), 6)  # D-SGD on ring(32): r = 0.091202
    ('stateful-fourier', 0.091202)
    """
    with single_threaded_blas():
        chosen = _choose_route(scheme, rec, route)
        if chosen == "fourier":
            return _rho_fourier(scheme, rec)
        if chosen == "eigen":
            return _rho_eigen(scheme, rec)
        return _rho_dense(scheme, rec)


def _choose_route(scheme: Any, rec: Recursion, route: str) -> str:
    """``"fourier"``, ``"eigen"`` or ``"dense"`` for ``route`` (see :func:`stateful_rho`)."""
    random = getattr(scheme, "is_random_scheme", False)
    circulant = getattr(scheme, "is_circulant", False) and not random
    if route == "fourier" and not circulant:
        raise ValueError("route='fourier' needs a circulant scheme")
    if route == "fourier" or (route == "auto" and circulant and rec.size <= 3):
        return "fourier"
    eigen_ok = (not random and scheme.is_static and scheme.is_symmetric and rec.noises == 1 and not rec.invariants
                and rec.size <= 3)
    if route == "eigen" and not eigen_ok:
        raise ValueError("route='eigen' needs a static symmetric scheme and one noisy product per step, no "
                         "conserved sums")
    if route == "eigen" or (route == "auto" and eigen_ok and (rec.size * scheme.n) ** 2 > DENSE_LIMIT):
        return "eigen"
    return "dense"


def stateful_stable(scheme: Any, rec: Recursion) -> np.ndarray:
    r"""Whether :math:`\rho < 1` per flat batch element, without an eigensolver where the map is dense.

    The one-period map :math:`\Phi` is positive (it maps PSD ``T`` to PSD ``T``), so :math:`\rho(\Phi) < 1`
    iff :math:`X - \Phi(X) = I` has a positive definite solution: if :math:`\rho < 1`,
    :math:`X = \sum_t \Phi^t(I) \succ 0`; conversely, with :math:`Y \succeq 0` the Perron eigenvector of
    the adjoint, :math:`(1 - \rho)\langle Y, X\rangle = \operatorname{tr} Y > 0`. On the dense route
    that is one linear solve and one Cholesky factorisation per element (the maps of
    :func:`stateful_rho`'s dense route, on symmetric matrices); other routes compare :math:`\rho` with 1.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    rec : Recursion
        The algorithm's (possibly batched) recursion.

    Returns
    -------
    ndarray of bool
        Per flat batch element.

    Examples
    --------
    >>> from topotheory import ALGORITHMS, star
    >>> rec = ALGORITHMS["gradient_tracking"].recursion(lr=np.array([0.1, 0.3]), zeta=10.0)
    >>> stateful_stable(star(4), rec).tolist()
    [True, False]
    """
    with single_threaded_blas():
        k_dim = _dense_setup(scheme, rec)[1]
        if _choose_route(scheme, rec, "auto") != "dense" or k_dim**2 > DENSE_LIMIT:
            return np.asarray(stateful_rho(scheme, rec)[0] < 1.0)
        B = int(np.prod(rec.batch)) if rec.batch else 1
        out = np.zeros(B, dtype=bool)
        ia, ib = np.triu_indices(k_dim)
        ident = (ia == ib).astype(float)  # I in the orthonormal symmetric basis
        for idx, M in _dense_maps(scheme, rec):
            A = np.eye(M.shape[-1]) - M
            with np.errstate(all="ignore"):
                try:
                    x = np.linalg.solve(A, np.broadcast_to(ident, M.shape[:-1])[..., None])[..., 0]
                except np.linalg.LinAlgError:  # rare: rho = 1 exactly for an element (singular: not stable)
                    x = np.full(M.shape[:-1], np.nan)
                    for j in range(idx.size):
                        try:
                            x[j] = np.linalg.solve(A[j], ident)
                        except np.linalg.LinAlgError:
                            pass
            X = np.zeros((idx.size, k_dim, k_dim))
            X[:, ia, ib] = x / np.where(ia == ib, 1.0, np.sqrt(2.0))
            X[:, ib, ia] = X[:, ia, ib]
            ok = np.all(np.isfinite(X), axis=(1, 2))
            for e in np.flatnonzero(ok):  # positive definite: a Cholesky factor exists
                try:
                    np.linalg.cholesky(X[e])
                except np.linalg.LinAlgError:
                    ok[e] = False
            out[idx] = ok
        return out
