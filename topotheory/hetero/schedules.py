r"""Communication schedules: which gossip matrix is used at every step (THEORY §9.1).

A :class:`GossipSchedule` is a finite, not necessarily periodic, sequence of ``(n, n)`` gossip
matrices, one per step, where most steps may have no communication at all (``W = I``). It is what
:func:`topotheory.merging.propagate` and :func:`topotheory.merging.simulate_merging` consume.

Builders:

* :func:`placement_schedule` -- a fixed budget of gossip steps with a scheme's matrices, placed
  ``"early"``, ``"uniform"``, ``"late"``; or ``"final"`` (one exact average at the very last step),
  ``"none"`` (never communicate), ``"every"`` (gossip at every step);
* :func:`gossip_every` -- local steps between gossip rounds (gossip every ``period`` steps);
* :func:`degree_schedule` -- the degree knob of the merging paper's code as a function of progress
  :math:`s = t/T`: fixed, linear, cosine, slow decrease, single switch ("truncate"), dense window;
* :func:`random_pull_schedule` -- each node pulls from :math:`r_t` random peers with equal weights
  (row-stochastic: the average is *not* conserved), or a symmetrized doubly stochastic variant;
* :func:`consensus_controlled_schedule` -- extra gossip rounds whenever the expected consensus
  distance exceeds a target (Kong et al. 2021), decided on the exact expected dynamics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.rng import as_generator
from ..common.validation import (as_float_array, check_array, check_bool, check_choice, check_int, check_real,
                                 check_size, check_str, plain)
from ..graphs.scheme import check_scheme
from ..graphs.weights import metropolis_weights
from .exact import check_common, check_quadratic, check_x0, exact_state
from ..common.rng import SeedLike

__all__ = [
    "GossipSchedule",
    "PLACEMENTS",
    "DEGREE_SCHEDULES",
    "placement_schedule",
    "gossip_every",
    "degree_schedule",
    "random_pull_schedule",
    "consensus_controlled_schedule",
]

#: Placements of a communication budget.
PLACEMENTS = ("early", "uniform", "late", "final", "none", "every")
#: Degree schedules of :func:`degree_schedule`.
DEGREE_SCHEDULES = ("fixed", "linear", "cosine", "slow_decrease", "switch", "window")


class GossipSchedule:
    r"""A finite sequence of gossip matrices, one per step (``None``/identity: no communication).

    Matrices must be non-negative and row stochastic; :attr:`is_doubly_stochastic` says whether
    the columns sum to one too (only then is the average of the models conserved by gossip).

    Parameters
    ----------
    matrices : sequence of (n, n) array_like
        The distinct matrices used.
    index : array_like of int, shape (steps,)
        ``index[t]`` is the position in ``matrices`` of the matrix used at step ``t``, or ``-1``
        for no communication.
    name : str
        A label for tables and plots.
    rounds : array_like of int, shape (steps,), optional
        Gossip rounds per step (default 1 where ``index >= 0``): a step may apply a power
        :math:`W^k` (consensus control), which costs ``k`` rounds of communication.
    degrees : array_like, optional
        The degree knob per step, when the schedule was built from one (recorded, for plots).
    n : int, optional
        Number of workers; needed only when ``matrices`` is empty (a schedule that never
        communicates).

    Examples
    --------
    >>> import numpy as np
    >>> s = GossipSchedule([np.full((2, 2), 0.5)], [-1, 0, -1])
    >>> s
    GossipSchedule('custom', n=2, steps=3, gossip_steps=1, doubly stochastic)
    >>> s.step_matrix(0) is None, float(s.matrix(1)[0, 1])
    (True, 0.5)
    """

    def __init__(self, matrices: Any, index: Any, *, name: str = "custom", rounds: Any = None, degrees: Any = None,
                 n: int | None = None) -> None:
        if isinstance(matrices, (str, bytes, np.ndarray)) or matrices is None or not hasattr(matrices, "__iter__"):
            raise TypeError(f"matrices must be a sequence of (n, n) arrays (possibly empty), got {plain(matrices)}")
        mats: list[np.ndarray] = []
        for k, W in enumerate(matrices):
            W = as_float_array(f"matrices[{k}]", W)
            if W.ndim != 2 or W.shape[0] != W.shape[1] or (mats and W.shape != mats[0].shape):
                raise ValueError(f"matrices[{k}] must be a square (n, n) matrix like matrices[0], got {W.shape}")
            if np.any(W < 0):
                raise ValueError(f"matrices[{k}] has negative weights; gossip weights must be non-negative")
            if not np.allclose(W.sum(axis=1), 1.0, atol=1e-9):
                raise ValueError(f"matrices[{k}] is not row stochastic (rows must sum to 1)")
            W.setflags(write=False)
            mats.append(W)
        idx = np.asarray(index)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise TypeError("index must be a 1-D array of integers")
        if not mats and idx.size and idx.max() >= 0:
            raise ValueError("index refers to matrices but none were given (matrices is empty)")
        if idx.size and (idx.min() < -1 or idx.max() >= len(mats)):
            raise ValueError(f"index entries must lie in [-1, {len(mats) - 1}] (positions in matrices, -1: none)")
        self._mats, self._index = tuple(mats), idx.astype(np.int64)
        self._index.setflags(write=False)
        if mats:
            if n is not None and check_int("n", n) != mats[0].shape[0]:
                raise ValueError(f"n = {n} does not match the matrices' size {mats[0].shape[0]}")
            self._n = mats[0].shape[0]
        elif n is None:
            raise ValueError("n is required when no matrices are given")
        else:
            self._n = check_int("n", n, minimum=1)
        self.name = check_str("name", name)
        if rounds is None:
            r = (self._index >= 0).astype(np.int64)
        else:
            rf = check_array("rounds", rounds, shape=self._index.shape, low=0.0)
            if np.any(rf != np.floor(rf)):
                raise ValueError(f"rounds must be non-negative integers, one per step, got {float(rf[rf != np.floor(rf)][0])!r}")
            r = rf.astype(np.int64)
        self.rounds = r
        self.degrees = None if degrees is None else check_array("degrees", degrees, shape=self._index.shape, low=0.0)
        self.is_doubly_stochastic = all(np.allclose(W.sum(axis=0), 1.0, atol=1e-9) for W in mats)
        self._eye: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of workers."""
        return self._n

    @property
    def steps(self) -> int:
        """Number of steps covered."""
        return int(self._index.size)

    @property
    def index(self) -> np.ndarray:
        """The per-step matrix index (``-1``: no communication)."""
        return self._index

    @property
    def gossip_steps(self) -> int:
        """Number of steps that communicate."""
        return int(np.count_nonzero(self._index >= 0))

    @property
    def total_rounds(self) -> int:
        """Total gossip rounds (steps with a power ``W^k`` count ``k``)."""
        return int(self.rounds.sum())

    def step_matrix(self, t: int) -> Any:
        """The matrix of step ``t``, or ``None`` when step ``t`` does not communicate."""
        k = self._index[t]
        return None if k < 0 else self._mats[k]

    def matrix(self, t: int) -> Any:
        """The matrix of step ``t`` (the identity when it does not communicate)."""
        W = self.step_matrix(t)
        if W is None:
            if self._eye is None:
                self._eye = np.eye(self._n)
                self._eye.setflags(write=False)
            return self._eye
        return W

    def __len__(self) -> int:
        return self.steps

    def __repr__(self) -> str:
        ds = "doubly stochastic" if self.is_doubly_stochastic else "row stochastic"
        return f"GossipSchedule({self.name!r}, n={self._n}, steps={self.steps}, gossip_steps={self.gossip_steps}, {ds})"


def _positions(placement: str, steps: int, budget: int) -> np.ndarray:
    if placement == "early":
        return np.arange(budget)
    if placement == "late":
        return np.arange(steps - budget, steps)
    # uniform: budget steps evenly spread, the last one at the final step
    return (np.arange(1, budget + 1) * steps) // budget - 1


#: Most extra gossip rounds per step of :func:`consensus_controlled_schedule` (a bound on its time).
MAX_EXTRA = 10**6


def check_steps(steps: Any, name: str = "steps") -> int:
    """A number of steps >= 1 whose per-step arrays (index, rounds) fit in memory."""
    return check_size(name, steps, bytes_per_unit=32, reason="the per-step index and rounds")


def placement_schedule(scheme: Any, steps: int, placement: str, *, budget: int | None = None) -> GossipSchedule:
    r"""Spend a budget of gossip steps early, uniformly or late (or merge once at the end).

    Steps without communication use :math:`W = I`. The ``k``-th gossip step uses the scheme's
    :math:`W_{k \bmod p}` (so a one-peer exponential graph cycles through its matrices).

    * ``"early"``: steps ``0 .. budget-1``; ``"late"``: the last ``budget`` steps;
      ``"uniform"``: steps :math:`\lfloor (k+1) T / B \rfloor - 1`, ``k = 0..B-1`` (ends with a gossip);
    * ``"final"``: one exact average :math:`J` at the very last step (``budget`` ignored);
    * ``"none"``: never; ``"every"``: every step (``budget`` ignored).

    Parameters
    ----------
    scheme : Scheme
        Its matrices are the gossip steps, in turn.
    steps : int
        Number of steps.
    placement : str
        One of :data:`PLACEMENTS`.
    budget : int
        Number of gossip steps, ``0 <= budget <= steps`` (needed for early/uniform/late).

    Returns
    -------
    GossipSchedule
        One matrix (or none) per step.

    Examples
    --------
    >>> from topotheory import ring
    >>> s = placement_schedule(ring(4), 10, "uniform", budget=3)
    >>> [t for t in range(10) if s.step_matrix(t) is not None]
    [2, 5, 9]
    """
    scheme = check_scheme(scheme)
    steps = check_steps(steps)
    check_choice("placement", placement, PLACEMENTS)
    n = scheme.n
    index = np.full(steps, -1, dtype=np.int64)
    if placement in ("early", "uniform", "late"):
        if budget is None:
            raise ValueError(f"placement {placement!r} needs a budget (number of gossip steps)")
        budget = check_int("budget", budget, minimum=0)
        if budget > steps:
            raise ValueError(f"budget must be <= steps = {steps} (one gossip per step at most), got {budget}")
        mats = list(scheme.matrices)
        if budget:
            index[_positions(placement, steps, budget)] = np.arange(budget) % scheme.period
    elif placement == "final":
        mats = [np.full((n, n), 1.0 / n)]
        index[-1] = 0
    elif placement == "every":
        mats = list(scheme.matrices)
        index[:] = np.arange(steps) % scheme.period
    else:
        mats = []
    name = f"{placement}" + (f" ({budget} of {steps})" if placement in ("early", "uniform", "late") else "")
    return GossipSchedule(mats, index, n=n, name=f"{scheme.name}: {name}")


def gossip_every(scheme: Any, steps: int, period: int, *, offset: int | None = None) -> GossipSchedule:
    """Local steps between gossip rounds: gossip at steps ``t`` with ``(t + 1) % period == offset``.

    ``offset`` defaults to 0 so that the last step of every block of ``period`` steps communicates
    (like :func:`topotheory.topologies.local_steps`, but with any scheme's matrices).

    Parameters
    ----------
    scheme : Scheme
        Its matrices are the gossip steps, in turn.
    steps : int
        Number of steps.
    period : int
        Gossip once every ``period`` steps (>= 1).
    offset : int, optional
        Which step of each block gossips (default 0: the last).

    Returns
    -------
    GossipSchedule
        One matrix (or none) per step.

    Examples
    --------
    >>> from topotheory import ring
    >>> s = gossip_every(ring(4), 9, 3)
    >>> [t for t in range(9) if s.step_matrix(t) is not None]
    [2, 5, 8]
    """
    scheme = check_scheme(scheme)
    steps = check_steps(steps)
    period = check_int("period", period, minimum=1)
    offset = 0 if offset is None else check_int("offset", offset, minimum=0, maximum=period - 1)
    index = np.full(steps, -1, dtype=np.int64)
    # t + 1 <= steps < steps + 1: a period above steps + 1 acts as steps + 1 (exact, no int64 overflow)
    where = np.flatnonzero((np.arange(steps) + 1) % min(period, steps + 1) == offset)
    index[where] = np.arange(where.size) % scheme.period
    return GossipSchedule(list(scheme.matrices), index, n=scheme.n,
                                  name=f"{scheme.name}: gossip every {period}")


def degree_schedule(kind: str, steps: int, *, start: float = 4.0, end: float = 1.0, switch: float = 0.5,
                    width: float = 0.1) -> np.ndarray:
    r"""The degree knob :math:`r(t)` (expected extra neighbours) of the merging paper's schedules.

    With progress :math:`s = t/T` (``t = 0..T-1``):

    * ``"fixed"``: :math:`r = r_{start}`;
    * ``"linear"``: :math:`r_{start} + (r_{end} - r_{start}) s`;
    * ``"cosine"``: :math:`r_{end} + \tfrac12 (r_{start} - r_{end})(1 + \cos \pi s)`;
    * ``"slow_decrease"``: :math:`r_{end} + (r_{start} - r_{end}) e^{-10 s}`;
    * ``"switch"`` (the code's "truncate", a single switch): :math:`r_{start}` for :math:`s < s_1`,
      then :math:`r_{end}`;
    * ``"window"`` (dense window): :math:`r_{start}` for :math:`s_1 \le s < s_1 + w`, else
      :math:`r_{end}`.

    Degrees must be non-negative; ``switch`` = :math:`s_1` and ``width`` = :math:`w` in [0, 1].

    Parameters
    ----------
    kind : str
        ``"fixed"``, ``"linear"``, ``"cosine"``, ``"slow_decrease"``, ``"switch"`` or ``"window"``.
    steps : int
        Number of steps ``T``.
    start, end : float
        Degrees :math:`r_{start}, r_{end} \ge 0`.
    switch : float
        The switch point :math:`s_1` in [0, 1].
    width : float
        The window width :math:`w` in [0, 1].

    Returns
    -------
    ndarray, shape (steps,)
        The degree :math:`r(t)` per step.

    Examples
    --------
    >>> degree_schedule("cosine", 4, start=4, end=0).round(3)
    array([4.   , 3.414, 2.   , 0.586])
    """
    check_choice("kind", kind, DEGREE_SCHEDULES)
    steps = check_steps(steps)
    r0 = check_real("start", start, low=0.0)
    r1 = check_real("end", end, low=0.0)
    s1 = check_real("switch", switch, low=0.0, high=1.0)
    w = check_real("width", width, low=0.0, high=1.0)
    s = np.arange(steps) / steps
    if kind == "fixed":
        return np.full(steps, r0)
    if kind == "linear":
        return r0 + (r1 - r0) * s
    if kind == "cosine":
        return r1 + 0.5 * (r0 - r1) * (1 + np.cos(np.pi * s))
    if kind == "slow_decrease":
        return r1 + (r0 - r1) * np.exp(-10 * s)
    if kind == "switch":
        return np.where(s < s1, r0, r1)
    return np.where((s >= s1) & (s < s1 + w), r0, r1)


def random_pull_schedule(n: int, degrees: Any, *, symmetrize: bool = False, seed: SeedLike = None) -> GossipSchedule:
    r"""Random communication: at step ``t`` every node pulls from :math:`k_t` random peers.

    :math:`k_t` is :math:`r_t` (``degrees[t]``) rounded stochastically (expected value
    :math:`r_t`, capped at ``n - 1``), the peers are distinct and drawn independently per node and
    step; node ``i`` averages its own and the pulled models with equal weights
    :math:`1/(k_t + 1)` -- row stochastic, as in the merging paper's code, so the average of the
    models is *not* conserved. With ``symmetrize=True`` the pull graph is made undirected and
    weighted by the Metropolis rule: symmetric and doubly stochastic. Steps with
    :math:`k_t = 0` do not communicate.

    Parameters
    ----------
    n : int
        Number of workers.
    degrees : array_like, shape (steps,)
        Non-negative expected numbers of extra neighbours (see :func:`degree_schedule`).
    symmetrize : bool
        Make the pull graph undirected, with Metropolis weights.
    seed : None, int or numpy.random.Generator
        Seed of the draws (normalised in :mod:`topotheory.common.rng`).

    Returns
    -------
    GossipSchedule
        One matrix (or none) per step.

    Examples
    --------
    >>> s = random_pull_schedule(6, [2, 2, 0], seed=0)
    >>> s.is_doubly_stochastic, s.gossip_steps, float(s.matrix(0).sum(axis=1)[0])
    (False, 2, 1.0)
    >>> random_pull_schedule(6, [2, 2, 0], symmetrize=True, seed=0).is_doubly_stochastic
    True
    """
    n = check_int("n", n, minimum=1)
    symmetrize = check_bool("symmetrize", symmetrize)
    r = as_float_array("degrees", degrees)
    if r.ndim != 1 or r.size == 0:
        raise ValueError(f"degrees must be a non-empty 1-D array (one degree per step), got shape {r.shape}")
    check_size("n", n, bytes_per_unit=8 * 4 * r.size, power=2, reason=f"{r.size} gossip matrices")
    if np.any(r < 0):
        raise ValueError(f"degrees must be non-negative, got {float(r[r < 0][0])!r}")
    rng = as_generator(seed)
    base = np.floor(r)
    k = np.minimum(base + (rng.uniform(size=r.size) < r - base), n - 1).astype(int)
    mats: list[np.ndarray] = []
    index = np.full(r.size, -1, dtype=np.int64)
    rows = np.arange(n)[:, None]
    for t in np.flatnonzero(k > 0):  # one matrix per step; vectorized over nodes
        keys = rng.uniform(size=(n, n))
        keys[np.arange(n), np.arange(n)] = np.inf
        peers = np.argpartition(keys, k[t] - 1, axis=1)[:, : k[t]]
        A = np.zeros((n, n))
        A[rows, peers] = 1.0
        if symmetrize:
            W = metropolis_weights(A).toarray()
        else:
            W = (A + np.eye(n)) / (k[t] + 1.0)
        index[t] = len(mats)
        mats.append(W)
    kind = "symmetrized random pull" if symmetrize else "random pull"
    return GossipSchedule(mats, index, n=n, name=kind, degrees=r)


def consensus_controlled_schedule(problem: Any, scheme: Any, *, lr: float, steps: int, target: Any,
                                  max_extra: int = 8, x0: Any = None) -> GossipSchedule:
    r"""Consensus control (Kong et al. 2021): extra gossip rounds while consensus is too poor.

    Runs the exact expected dynamics of :func:`topotheory.merging.propagate` with the scheme's
    matrices; after each step's gossip, while the expected consensus distance
    :math:`\Xi_t^2 = E\frac1n\sum_i\|x_i - \bar x\|^2` exceeds ``target[t]`` and fewer than
    ``max_extra`` extra rounds were spent, another gossip round is applied. The result is a
    deterministic schedule whose step ``t`` uses :math:`W^{1 + e_t}` (``rounds[t] = 1 + e_t``),
    which replays the same dynamics in :func:`~topotheory.merging.propagate` and in Monte Carlo.
    A decreasing target spends communication late, an increasing one early (Kong et al. argue for
    the latter -- about the local models; the merging paper for the former -- about the merged
    model). Gradient-then-gossip order only (there, extra rounds after the gossip equal a power
    of W).

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        Static scheme (its single matrix is repeated).
    lr : float
        Learning rate :math:`\eta > 0`.
    steps : int
        Number of steps.
    target : float or array_like of shape (steps,)
        Consensus-distance threshold(s), >= 0.
    max_extra : int
        Extra rounds allowed per step, 0 to :data:`MAX_EXTRA` (10**6).
    x0 : array_like, shape (d,) or (n, d), optional
        Start (default 0).

    Returns
    -------
    GossipSchedule
        Step ``t`` uses :math:`W^{1 + e_t}` (``rounds[t] = 1 + e_t``).

    Examples
    --------
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(8, 3, optima_spread=2.0, seed=0)
    >>> s = consensus_controlled_schedule(p, ring(8), lr=0.2, steps=50, target=0.05)
    >>> s.total_rounds > s.steps
    True
    """

    check_quadratic(problem)
    scheme = check_scheme(scheme)
    if not scheme.is_static:
        raise ValueError(f"consensus control needs a static scheme (period 1), got period {scheme.period}")
    if scheme.n != problem.n:
        raise ValueError(f"scheme has n = {scheme.n} workers but the problem has n = {problem.n}")
    lr, steps = check_common(lr, steps, "gradient_then_gossip")
    tgt = as_float_array("target", target, low=0.0)
    tgt = np.broadcast_to(tgt, (steps,)) if tgt.ndim == 0 else tgt
    if tgt.shape != (steps,):
        raise ValueError(f"target must be a scalar or have shape (steps,) = ({steps},), got {tgt.shape}")
    max_extra = check_int("max_extra", max_extra, minimum=0, maximum=MAX_EXTRA)
    W = np.asarray(scheme.matrix(0))
    eng = exact_state(problem, lr, "gradient_then_gossip", check_x0(x0, problem.n, problem.d))
    rounds = np.ones(steps, dtype=np.int64)
    for t in range(steps):
        eng.step(W)
        while rounds[t] <= max_extra and eng.summary()[2] > tgt[t]:
            eng.gossip(W)
            rounds[t] += 1
    powers = {k: np.linalg.matrix_power(W, int(k)) for k in np.unique(rounds)}
    keys = sorted(powers)
    index = np.searchsorted(keys, rounds)
    return GossipSchedule([powers[k] for k in keys], index, n=problem.n, rounds=rounds,
                                  name=f"{scheme.name}: consensus control")
