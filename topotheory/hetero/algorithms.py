r"""Exact mean and covariance of the registry's algorithms on heterogeneous quadratics (THEORY §9.1).

Package-internal: the engine behind ``algorithm=`` of :func:`topotheory.propagate`,
:func:`topotheory.stationary`, :func:`topotheory.fixed_point` and :func:`topotheory.mean_map_rate`
for the algorithms made for heterogeneous data (``gradient_tracking``, ``exact_diffusion``; and
``dsgd``, which the D-SGD engine of :mod:`topotheory.hetero.exact` also covers).

Each algorithm is declared once, in :mod:`topotheory.algorithms.registry`, as sub-steps of a linear
stochastic recursion on the per-worker state :math:`z_i = (x_i, y_i, \dots)` of the isotropic toy
problem, where the gradient :math:`g = Hx` is written :math:`x + (H - I)x`: its mean enters the
deterministic map with the weights :math:`e \ell^\top` (``e`` the noise's target, :math:`\ell` its
source, the point the gradient is drawn at). On the heterogeneous quadratic
:math:`f_i(x) = \tfrac12 (x - b_i)^\top A_i (x - b_i)` the gradient is instead
:math:`g_i = A_i(u_i - b_i) + \sigma_i\xi_i` at :math:`u_i = \ell^\top z_i`, so the same declaration
gives the affine map

.. math::

    z \leftarrow \bigl(A^{\mathrm{loc}} \otimes I + A^{\mathrm{gos}} \otimes W_t
    + e\ell^\top \otimes (\mathrm{blkdiag}(A_i) - I)\bigr) z
    - e \otimes \mathrm{vec}(A_i b_i) + e \otimes \sigma_i \xi_i ,

(worker index inside, gossip row-wise :math:`X \leftarrow W_t X`). The iterates are jointly
Gaussian: the mean follows :math:`\mu \leftarrow M\mu + c` and the covariance
:math:`\Sigma \leftarrow M \Sigma M^\top + N` with
:math:`N = e e^\top \otimes \mathrm{diag}(\sigma_i^2) \otimes I_d`, exactly. Commuting Hessians
decouple into ``d`` problems of size ``s n`` (one per common eigen-direction; ``s`` state
components), dense ones use one block of size ``s n d``.

Fixed point and stationary law of a periodic scheme: gradient tracking and exact diffusion conserve
a combination of their components (:attr:`~topotheory.algorithms.recursion.Recursion.invariants`,
e.g. :math:`\sum_i (y_i - g_i) = 0`), so the one-period map has the eigenvalue 1 on a direction
the iterates never reach; the fixed point, the Lyapunov solve and the rate are taken on the
invariant subspace: :math:`\sum_i v_i\, c^\top z_i = 0` for every common left fixed vector ``v`` of
the period's :math:`W_t` (the all-ones vector for a connected scheme, one per worker without
communication, where gradient tracking is local gradient descent).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla

from ..algorithms.registry import ALGORITHMS, check_algorithm
from ..graphs.scheme import check_scheme
from ..common.validation import check_phase
from .exact import commuting_summary, dense_summary, to_stacked

__all__ = ["check_heterogeneous_algorithm", "AlgorithmState"]

# a cache of composed step maps (by gossip matrix) holds at most this many entries
_CACHE = 64


def check_heterogeneous_algorithm(algorithm: Any, hyperparameters: dict[str, Any], order: str,
                                  schedule: Any = None) -> tuple[Any, dict[str, Any]]:
    """The algorithm and its hyper-parameters, refused unless it is made for heterogeneous data.

    ``order`` belongs to D-SGD (the D-SGD engine's two update orders); any other algorithm has its
    own order, fixed by its rule, so a non-default ``order`` is refused with it. ``schedule`` (the
    scheme the algorithm runs on) is checked by :func:`topotheory.algorithms.check_algorithm`
    against what the algorithm assumes of the gossip (a warning).
    """
    alg, hp = check_algorithm(algorithm, hyperparameters, heterogeneous=True, scheme=schedule)
    if alg.name != "dsgd" and order != "gradient_then_gossip":
        raise ValueError(f"order applies to algorithm='dsgd' only (its two update orders); algorithm "
                         f"{alg.name!r} has its own update rule, so leave order at 'gradient_then_gossip'; "
                         f"got order={order!r}")
    return alg, hp


def _then(first: tuple[np.ndarray, np.ndarray, np.ndarray],
          second: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The affine-plus-noise map ``first`` followed by ``second``, per block: with ``second = (M, c, N)``,
    :math:`(M M_1,\ M c_1 + c,\ M N_1 M^\top + N)`."""
    (M1, c1, N1), (M, c, N) = first, second
    return M @ M1, np.einsum("kij,kj->ki", M, c1) + c, M @ N1 @ np.swapaxes(M, 1, 2) + N


class AlgorithmState:
    """Mean ``(K, m)`` and covariance ``(K, m, m)`` of an algorithm's stacked state, per block.

    ``K = d`` blocks of size ``m = s n`` for commuting Hessians (the problem's eigenbasis), one
    block of size ``s n d`` for dense ones; index ``p q + j`` = component ``p``, worker
    coordinate ``j`` (``q = n`` or ``n d``). Same interface as the D-SGD engine of
    :mod:`topotheory.hetero.exact`: ``step(W)`` (``W`` an ``(n, n)`` array or None = identity),
    ``summary()``, ``mean_states()``.
    """

    def __init__(self, problem: Any, lr: float, algorithm: str, hyperparameters: dict[str, Any], x0: Any) -> None:
        p = problem
        self.p = p
        self.rec = ALGORITHMS[algorithm].recursion(lr=lr, zeta=1.0, **hyperparameters)
        for sub in self.rec.init + self.rec.step:
            if sub.noise is not None and sub.noise.kind != "gradient":
                raise ValueError(f"algorithm {algorithm!r} has a {sub.noise.kind} noise: its heterogeneous theory "
                                 "is not available")
        n, d = p.n, p.d
        self.s = self.rec.size
        if p.structure == "dense":
            self.q, self.K = n * d, 1
            C = np.zeros((n, d, n, d))
            C[np.arange(n), :, np.arange(n), :] = p.hessians
            self.C = C.reshape(1, n * d, n * d)
            self.h = np.einsum("iab,ib->ia", p.hessians, p.optima).reshape(1, n * d)
            self.nv = np.repeat(p.noise**2, d)
            self.E = np.kron(np.ones((1, n)), np.eye(d))
            start = np.asarray(x0, dtype=float).reshape(1, n * d)
        else:
            U = p.basis

            def rot(X: np.ndarray) -> np.ndarray:
                return X if U is None else X @ U

            self.q, self.K = n, d
            lam = p.eigenvalues.T  # (d, n)
            self.C = lam[:, :, None] * np.eye(n)
            self.h = lam * rot(p.optima).T
            self.nv = p.noise**2
            self.E = np.ones((1, n))
            start = rot(np.asarray(x0, dtype=float)).T
        m = self.s * self.q
        self.m = np.zeros((self.K, m))
        self.m[:, : self.q] = start
        self.S = np.zeros((self.K, m, m))
        self._cache: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for sub in self.rec.init:
            M, c, N = self._sub_map(sub, None)
            self._apply(M, c, N)

    # ------------------------------------------------------------------------------ the maps
    def _lift(self, W: Any) -> np.ndarray:
        """The gossip matrix on one block's worker coordinates."""
        if W is None:
            return np.eye(self.q)
        W = np.asarray(W, dtype=float)
        return W if self.p.structure != "dense" else np.kron(W, np.eye(self.p.d))

    def _sub_map(self, sub: Any, W: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(M (K, m, m), c (K, m), N (m, m)) of one sub-step with the gossip matrix ``W``."""
        K, q, s = self.K, self.q, self.s
        m = s * q
        eye = np.eye(q)
        M0 = np.kron(sub.local, eye)
        if sub.gossip is not None:
            M0 = M0 + np.kron(sub.gossip, self._lift(W))
        M = np.broadcast_to(M0, (K, m, m)).copy()
        c = np.zeros((K, m))
        N = np.zeros((m, m))
        if sub.noise is not None:
            e, ell = sub.noise.target, sub.noise.source
            # the gradient's mean e l^T (x) I, written into the declaration, becomes e l^T (x) A_i
            M += (np.outer(e, ell)[None, :, None, :, None] * (self.C - eye)[:, None, :, None, :]).reshape(K, m, m)
            c = -(e[None, :, None] * self.h[:, None, :]).reshape(K, m)
            N = np.kron(np.outer(e, e), np.diag(self.nv))
        return M, c, N

    def step_map(self, W: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""One step's affine map and noise: :math:`\mu \mapsto M\mu + c`, :math:`\Sigma \mapsto M\Sigma M^\top + N`."""
        key = id(W)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is W:
            return hit[1]
        m = self.s * self.q
        M = np.broadcast_to(np.eye(m), (self.K, m, m)).copy()
        c = np.zeros((self.K, m))
        N = np.zeros((self.K, m, m))
        for sub in self.rec.step:
            M, c, N = _then((M, c, N), self._sub_map(sub, W))
        if len(self._cache) >= _CACHE:
            self._cache.clear()
        self._cache[key] = (W, (M, c, N))  # holding W keeps its id from being reused
        return M, c, N

    def _apply(self, M: np.ndarray, c: np.ndarray, N: np.ndarray) -> None:
        self.m = np.einsum("kij,kj->ki", M, self.m) + c
        self.S = M @ self.S @ np.swapaxes(M, 1, 2) + N

    def step(self, W: Any) -> None:
        """One step of the algorithm with the gossip matrix ``W`` (None: no communication)."""
        self._apply(*self.step_map(W))

    # ---------------------------------------------------------------------- what is reported
    def summary(self) -> tuple[float, ...]:
        """The six quantities of :data:`topotheory.hetero.merging.QUANTITIES` of the iterate ``x``."""
        q, p = self.q, self.p
        xm, xS = self.m[:, :q], self.S[:, :q, :q]
        if p.structure == "dense":
            return dense_summary(p, xm[0].reshape(p.n, p.d), xS[0].reshape(p.n, p.d, p.n, p.d))
        return commuting_summary(p, xm, xS)

    def mean_states(self) -> np.ndarray:
        """The expected iterates, shape ``(n, d)``."""
        xm = self.m[:, : self.q]
        return to_stacked(self.p, xm[0] if self.p.structure == "dense" else xm)

    # ------------------------------------------------------------- fixed point and stationary law
    def period_map(self, scheme: Any, phase: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The one-period map ``(M, c, N)`` of a periodic scheme at ``phase``, and the period's matrices."""
        scheme = check_scheme(scheme)
        if scheme.n != self.p.n:
            raise ValueError(f"scheme has n = {scheme.n} workers but the problem has n = {self.p.n}")
        per = scheme.period
        phase = check_phase(phase, per)
        m = self.s * self.q
        M = np.broadcast_to(np.eye(m), (self.K, m, m)).copy()
        c = np.zeros((self.K, m))
        N = np.zeros((self.K, m, m))
        mats = [np.asarray(scheme.matrix(t % per), dtype=float) for t in range(phase - per, phase)]
        for W in mats:
            M, c, N = _then((M, c, N), self.step_map(W))
        return M, c, N, mats

    def _invariant_basis(self, M: np.ndarray, c: np.ndarray, mats: list[np.ndarray]) -> np.ndarray:
        r"""Orthonormal basis ``(m, m')`` of the subspace the declared invariants keep the state in.

        An invariant :math:`c` conserves :math:`\sum_i v_i\, c^\top z_i` for every vector ``v``
        with :math:`v^\top W_t = v^\top` at every step of the period: the all-ones vector for a
        doubly stochastic scheme, one per connected component for a disconnected one (one per
        worker without communication).
        """
        m = self.s * self.q
        if not self.rec.invariants:
            return np.eye(m)
        n = self.p.n
        V = sla.null_space(np.vstack([W.T - np.eye(n) for W in mats]))  # (n, r): common left fixed vectors
        E = V.T if self.p.structure != "dense" else np.kron(V.T, np.eye(self.p.d))
        rows = np.vstack([np.kron(np.asarray(v, dtype=float)[None, :], E) for v in self.rec.invariants])
        Q = sla.null_space(rows)
        scale = max(1.0, float(np.abs(M).max()), float(np.abs(c).max()))
        off = M @ Q - Q @ (Q.T @ M @ Q)
        if np.abs(off).max() > 1e-9 * scale or np.abs(c - (c @ Q) @ Q.T).max() > 1e-9 * scale:
            raise ValueError("the scheme does not conserve the algorithm's declared invariant: no fixed point "
                             "and stationary law on its subspace")
        return Q

    def stationary(self, scheme: Any, phase: int = 0, *, covariance: bool = True) -> float:
        """Set the state to the fixed point (and stationary covariance) of the one-period map.

        Returns the spectral radius per step of the mean map on the invariant subspace (the mean
        converges like ``rho**t``, the covariance like ``rho**(2 t)``). The covariance is solved
        only when ``rho < 1`` (else left NaN); the fixed point whenever ``I - M`` is invertible
        there (ValueError otherwise).
        """
        M, c, N, mats = self.period_map(scheme, phase)
        per = len(mats)
        Q = self._invariant_basis(M, c, mats)
        Mr = Q.T @ M @ Q
        rho = float(np.max(np.abs(np.linalg.eigvals(Mr)))) ** (1.0 / per)
        eye = np.eye(Mr.shape[-1])
        try:
            zr = np.linalg.solve(eye - Mr, (c @ Q)[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise ValueError("the one-period map has the eigenvalue 1 on the invariant subspace (no unique "
                             "fixed point at this lr)") from None
        self.m = zr @ Q.T
        if covariance and rho < 1:
            Nr = Q.T @ N @ Q
            Sr = np.array([sla.solve_discrete_lyapunov(Mk, Nk) for Mk, Nk in zip(Mr, Nr)])
            S = Q @ Sr @ Q.T
            self.S = 0.5 * (S + np.swapaxes(S, 1, 2))
        else:
            self.S = np.full_like(self.S, np.nan)
        return rho
