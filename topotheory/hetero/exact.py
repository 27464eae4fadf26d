r"""The exact mean/covariance engine and the input checks shared by :mod:`.merging` and :mod:`.schedules`.

Package-internal: one implementation of the state propagation of THEORY §9.1 (commuting Hessians
per common eigen-direction, dense Hessians on the structured ``nd x nd`` covariance) and of the
checks of problems, schedules, start points and learning rates; the public functions of
:mod:`topotheory.hetero.merging` and :mod:`topotheory.hetero.schedules` are written on it.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from ..common.validation import as_float_array, check_choice, check_real, check_size
from ..graphs.scheme import Scheme
from ..simulate.engine import start_point
from .problems import HeterogeneousQuadratic, LogisticProblem

__all__ = [
    "ORDERS",
    "check_quadratic",
    "check_problem",
    "gossip_getter",
    "check_x0",
    "check_common",
    "CommutingState",
    "DenseState",
    "exact_state",
    "commuting_summary",
    "dense_summary",
    "to_stacked",
]

#: Update orders.
ORDERS = ("gradient_then_gossip", "simultaneous")
# ---------------------------------------------------------------------------------- inputs
def check_quadratic(problem: Any) -> Any:
    if not isinstance(problem, HeterogeneousQuadratic):
        raise TypeError(f"problem must be a HeterogeneousQuadratic, got {type(problem).__name__}")
    return problem


def check_problem(problem: Any) -> Any:
    if not isinstance(problem, (HeterogeneousQuadratic, LogisticProblem)):
        raise TypeError(
            f"problem must be a HeterogeneousQuadratic or a LogisticProblem, got {type(problem).__name__}"
        )
    return problem


def gossip_getter(schedule: Any, n: int, steps: int) -> Callable[[int], Any]:
    """A function ``t -> (n, n) array or None`` (None = identity), validated against ``n``."""
    if isinstance(schedule, Scheme):
        if schedule.n != n:
            raise ValueError(f"schedule has n = {schedule.n} workers but the problem has n = {n}")
        ident = [bool(np.array_equal(schedule.matrix(k), np.eye(n))) for k in range(schedule.period)]
        mats = [None if ident[k] else np.asarray(schedule.matrix(k)) for k in range(schedule.period)]
        return lambda t: mats[t % schedule.period]
    if hasattr(schedule, "step_matrix") and hasattr(schedule, "n"):
        if schedule.n != n:
            raise ValueError(f"schedule has n = {schedule.n} workers but the problem has n = {n}")
        length = getattr(schedule, "steps", None)
        if length is not None and length < steps:
            raise ValueError(f"schedule covers {length} steps but steps = {steps} were requested")
        return schedule.step_matrix
    try:
        seq = list(schedule)
    except TypeError:
        raise TypeError(
            "schedule must be a Scheme, a GossipSchedule or a sequence of (n, n) matrices / None"
        ) from None
    if len(seq) < steps:
        raise ValueError(f"schedule has {len(seq)} matrices but steps = {steps} were requested")
    out: list[np.ndarray | None] = []
    for t, W in enumerate(seq[:steps]):
        if W is None:
            out.append(None)
            continue
        W = as_float_array(f"schedule[{t}]", W)
        if W.shape != (n, n):
            raise ValueError(f"schedule[{t}] has shape {W.shape}, expected (n, n) = {(n, n)}")
        out.append(W)
    return out.__getitem__


def check_x0(x0: Any, n: int, d: int) -> np.ndarray:
    """The start of every worker, shape ``(n, d)``; default the origin (see :func:`topotheory.simulate.engine.start_point`)."""
    return start_point(x0, n, d, default="zero")


def check_common(lr: float, steps: int, order: str) -> tuple[float, int]:
    lr = check_real("lr", lr, low=0.0, low_open=True)
    steps = check_size("steps", steps, bytes_per_unit=32, minimum=0, reason="the per-step records")
    check_choice("order", order, ORDERS)
    return lr, steps


# ---------------------------------------------------------------------------- exact engine
class CommutingState:
    """Per eigen-direction state: mean ``m`` (d, n), covariance ``S`` (d, n, n)."""

    def __init__(self, p: Any, lr: float, order: str, x0: Any) -> None:
        self.p, self.lr, self.order = p, lr, order
        U = p.basis
        rot = (lambda X: X) if U is None else (lambda X: X @ U)
        self.lam = p.eigenvalues.T  # (d, n)
        self.beta = rot(p.optima).T  # (d, n)
        self.xs = rot(p.x_star)  # (d,)
        self.abar = self.lam.mean(axis=1)  # (d,)
        self.damp = 1.0 - lr * self.lam  # (d, n)
        self.force = lr * self.lam * self.beta  # (d, n)
        self.noise = (lr * p.noise) ** 2  # (n,)
        self.m = rot(x0).T.copy()
        self.S = np.zeros((p.d, p.n, p.n))

    def step(self, W: Any) -> None:
        m, S = self.m, self.S
        if self.order == "gradient_then_gossip":
            m = self.damp * m + self.force
            S = S * (self.damp[:, :, None] * self.damp[:, None, :])
            S[:, np.arange(self.p.n), np.arange(self.p.n)] += self.noise
            if W is not None:
                m = m @ W.T
                S = W @ S @ W.T
        else:
            if W is None:
                m = self.damp * m + self.force
                S = S * (self.damp[:, :, None] * self.damp[:, None, :])
            else:
                M = W[None] - self.lr * self.lam[:, None, :] * np.eye(self.p.n)  # (d, n, n)
                m = np.einsum("kij,kj->ki", M, m) + self.force
                S = M @ S @ np.swapaxes(M, 1, 2)
            S[:, np.arange(self.p.n), np.arange(self.p.n)] += self.noise
        self.m, self.S = m, S

    def gossip(self, W: Any) -> None:
        """An extra gossip round without a gradient step."""
        self.m, self.S = self.m @ W.T, W @ self.S @ W.T

    def summary(self) -> Any:
        return commuting_summary(self.p, self.m, self.S)

    def mean_states(self) -> np.ndarray:
        return to_stacked(self.p, self.m)


class DenseState:
    """Full state: mean ``m`` (n, d), covariance ``S`` (n*d, n*d) stored as (n, d, n, d)."""

    def __init__(self, p: Any, lr: float, order: str, x0: Any) -> None:
        self.p, self.lr, self.order = p, lr, order
        n, d = p.n, p.d
        self.P = np.eye(d) - lr * p.hessians  # (n, d, d)
        self.force = lr * np.einsum("iab,ib->ia", p.hessians, p.optima)
        self.noise = (lr * p.noise) ** 2
        self.m = x0.copy()
        self.S = np.zeros((n, d, n, d))

    # Covariances are symmetric, so X S X^T = X (X S)^T: every congruence is two left
    # multiplications (contiguous batched BLAS) around one transpose copy.
    def _left_blocks(self, B: Any, S: Any) -> Any:
        """blkdiag(B_i) S for S of shape (n, d, n, d)."""
        n, d = self.p.n, self.p.d
        return np.matmul(B, S.reshape(n, d, n * d)).reshape(n, d, n, d)

    def _left_gossip(self, A: Any, S: Any) -> Any:
        """(A kron I_d) S."""
        n = self.p.n
        return (A @ S.reshape(n, -1)).reshape(S.shape)

    def _sym_transpose(self, T: Any) -> Any:
        n, d = self.p.n, self.p.d
        return np.ascontiguousarray(T.reshape(n * d, n * d).T).reshape(n, d, n, d)

    def _curv(self, S: Any) -> Any:
        return self._left_blocks(self.P, self._sym_transpose(self._left_blocks(self.P, S)))

    def _gossip(self, S: Any, A: Any) -> Any:
        return self._left_gossip(A, self._sym_transpose(self._left_gossip(A, S)))

    def _add_noise(self, S: Any, A: Any = None) -> Any:
        d = self.p.d
        Nz = np.diag(self.noise) if A is None else (A * self.noise) @ A.T
        S += Nz[:, None, :, None] * np.eye(d)[None, :, None, :]
        return S

    def step(self, W: Any) -> None:
        m = self.m
        if self.order == "gradient_then_gossip":
            m = np.einsum("iab,ib->ia", self.P, m) + self.force
            S = self._curv(self.S)
            if W is None:
                S = self._add_noise(S)
            else:
                m = W @ m
                S = self._add_noise(self._gossip(S, W), W)
        else:
            lr = self.lr
            grad = np.einsum("iab,ib->ia", self.p.hessians, m)
            Wm = m if W is None else W @ m
            m = Wm - lr * grad + self.force
            if W is None:
                S = self._curv(self.S)
            else:
                # M = (W kron I) - lr blkdiag(A_i); M S M^T = M (M S)^T
                def M_left(X: Any) -> Any:
                    return self._left_gossip(W, X) - lr * self._left_blocks(self.p.hessians, X)

                S = M_left(self._sym_transpose(M_left(self.S)))
            S = self._add_noise(S)
        self.m, self.S = m, S

    def gossip(self, W: Any) -> None:
        """An extra gossip round without a gradient step."""
        self.m, self.S = W @ self.m, self._gossip(self.S, W)

    def summary(self) -> Any:
        return dense_summary(self.p, self.m, self.S)

    def mean_states(self) -> np.ndarray:
        return self.m


# ---------------------------------------------------------------------- the quantities
def commuting_summary(p: Any, m: np.ndarray, S: np.ndarray) -> tuple[float, ...]:
    """The six quantities of the merging module from the iterate's mean ``(d, n)`` and covariance
    ``(d, n, n)`` per common eigen-direction (the problem's basis)."""
    n = p.n
    xs = p.x_star if p.basis is None else p.x_star @ p.basis
    a = p.eigenvalues.mean(axis=0)  # (d,)
    mbar = m.mean(axis=1)  # (d,)
    var_bar = S.sum(axis=(1, 2)) / n**2  # (d,)
    e_loc = (m - xs[:, None]) ** 2 + np.diagonal(S, axis1=1, axis2=2)  # (d, n)
    e_bar = (mbar - xs) ** 2 + var_bar
    cons = ((m - mbar[:, None]) ** 2).sum(1) + np.trace(S, axis1=1, axis2=2) - n * var_bar  # (d,)
    return (0.5 * a @ e_bar, 0.5 * a @ e_loc.mean(1), max(cons.sum() / n, 0.0), max(a @ cons / n, 0.0),
            e_bar.sum(), e_loc.mean(1).sum())


def dense_summary(p: Any, m: np.ndarray, S: np.ndarray) -> tuple[float, ...]:
    """The six quantities of the merging module from the iterate's mean ``(n, d)`` and covariance
    ``(n, d, n, d)``."""
    n = p.n
    Abar, xs = p.mean_hessian, p.x_star
    mbar = m.mean(0)
    Cbar = S.sum(axis=(0, 2)) / n**2  # Cov(xbar)
    Sii = np.einsum("iaib->iab", S)  # (n, d, d)
    e = m - xs
    loc = 0.5 * (np.einsum("ia,ab,ib->", e, Abar, e) + np.einsum("ab,iba->", Abar, Sii)) / n
    eb = mbar - xs
    merged = 0.5 * (eb @ Abar @ eb + np.sum(Abar * Cbar))
    dev = m - mbar
    Ccons = Sii.sum(0) - n * Cbar  # sum_i Cov(x_i - xbar) = sum_i S_ii - n Cov(xbar)
    cons = (np.sum(dev**2) + np.trace(Ccons)) / n
    wcons = (np.einsum("ia,ab,ib->", dev, Abar, dev) + np.sum(Abar * Ccons)) / n
    return (merged, loc, cons, wcons, eb @ eb + np.trace(Cbar),
            (np.sum(e**2) + np.einsum("iaa->", Sii)) / n)


def to_stacked(p: Any, blocks: np.ndarray) -> np.ndarray:
    """Iterates per eigen-direction ``(d, n)`` (commuting) or ``(n*d,)`` (dense) -> ``(n, d)`` in
    the original coordinates."""
    if p.structure == "dense":
        return blocks.reshape(p.n, p.d)
    X = blocks.T  # (n, d) in the eigenbasis
    return X if p.basis is None else X @ p.basis.T


def state_bytes(problem: Any, components: int = 1) -> float:
    """Bytes of the exact mean and covariance state of ``problem`` (a few copies of each), for an
    algorithm with ``components`` state components per worker."""
    n, d = problem.n, problem.d
    cov = (n * d) ** 2 if problem.structure == "dense" else d * n * n
    return 8 * 4 * (cov * components**2 + n * d * components)


def exact_state(problem: Any, lr: float, order: str, x0: Any) -> Any:
    cls = DenseState if problem.structure == "dense" else CommutingState
    return cls(problem, lr, order, x0)
