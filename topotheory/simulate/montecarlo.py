r"""Monte Carlo simulation of the dynamics the theory describes (THEORY §6).

Two simulators and one estimator:

* :func:`simulate_dsgd` runs D-SGD on the isotropic random quadratic
  :math:`f(x) = \mathbb{E}_a \tfrac12 (a^\top x)^2`, :math:`a \sim N(0, I_d)`: every worker takes a
  stochastic gradient step with fresh Gaussian samples, then the workers gossip with :math:`W_t`
  (row convention ``X <- W X``);
* :func:`simulate_random_walk` runs the noise-accumulation process
  :math:`z \leftarrow W_t(\sqrt{\gamma} z + \xi)` and estimates the effective number of neighbours
  :math:`n_W(\gamma)`;
* :func:`estimate_rate` fits the asymptotic rate :math:`r` (loss :math:`\propto (1-r)^t`) to a
  simulated loss curve, with a bootstrap interval over replicas.

Implementation. The state of a block ("chunk") of ``c`` replicas is one array of shape
``(n, c, d)``: the gossip is then a single matrix product ``W @ X.reshape(n, c*d)`` (dense BLAS,
or a sparse product when ``W_t`` is stored sparse and has few entries; identities are skipped and
exact averages ``J`` are a mean). The chunks are independent: each has its own random stream,
derived from ``seed`` by the simulation engine (:mod:`topotheory.simulate.engine`), so results
depend on ``seed`` and ``chunk_size`` only — never on the number of threads used to run the chunks. Gaussian
sampling (``Generator.standard_normal(out=...)`` into preallocated buffers) is the cost floor;
numpy releases the GIL while sampling, so chunks run in parallel threads. The state may be float32
(``simulate_dsgd(dtype="float32")``): the gossip matrices are then cast once, every product stays
in float32, and only the sums over workers (losses, consensus distances) are float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..common.results import Result
from ..common.rng import as_generator
from ..common.validation import check_bool, check_int, check_phase, check_real
from ..graphs.scheme import check_scheme
from .engine import check_budget, check_threads, root_seed, run_chunks, start_point
from .fit import fit_rate, slope_weights

__all__ = [
    "check_dsgd_size",
    "locality_order",
    "LOCALITY_MIN_N",
    "LOCALITY_GAIN",
    "check_dtype",
    "SIMULATION_DTYPES",
    "default_burn_in",
    "default_window",
    "DSGDSimulation",
    "RandomWalkSimulation",
    "RateEstimate",
    "simulate_dsgd",
    "simulate_random_walk",
    "estimate_rate",
    "PushSumSimulation",
    "simulate_push_sum",
]

#: Losses above this value (or non-finite) mark a replica as diverged; its chunk stops there.
DIVERGENCE_THRESHOLD = 1e300

#: Sparse products are used when ``W_t`` is stored sparse with at most this fraction of non-zeros.
_SPARSE_DENSITY = 0.25

#: Precisions of the simulated state (``dtype=`` of :func:`simulate_dsgd`); the first is the default.
SIMULATION_DTYPES = ("float64", "float32")

# The dynamics are linear in X, so a chunk whose losses all fall below 2**-_RESCALE_BELOW is
# multiplied by 2**_RESCALE_BY (exact in floating point) and the power is tracked: no underflow
# into denormals, however long the run.
_RESCALE_BELOW = 500
_RESCALE_BY = 250

# Per state precision: (rescale up below 2**-e, by 2**k; rescale down above 2**e, by 2**-k — None:
# never, the divergence threshold 1e300 comes first; cancellation tolerance of the consensus
# distance sq/n - ||xbar||^2, about the square root of the precision's epsilon). float32 squares
# underflow below |x| ~ 2**-63 and overflow above 2**64, so its window is kept near 2**0.
_WINDOWS: dict[str, tuple[int, int, int | None, float]] = {
    "float64": (_RESCALE_BELOW, _RESCALE_BY, None, 1e-8),
    "float32": (60, 40, 60, 1e-3),
}


def check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` of a simulator as a numpy dtype: float64 (the default) or float32.

    Parameters
    ----------
    dtype : str, numpy dtype or numpy scalar type
        ``"float64"``, ``"float32"``, ``np.float32``, ``np.dtype("float64")``, ``float``, ...

    Returns
    -------
    numpy.dtype
        ``float64`` or ``float32``.

    Raises
    ------
    TypeError
        Not something numpy reads as a dtype.
    ValueError
        A dtype other than float64 and float32.

    Examples
    --------
    >>> check_dtype("float32"), check_dtype(np.float64)
    (dtype('float32'), dtype('float64'))
    >>> check_dtype("int64")
    Traceback (most recent call last):
    ...
    ValueError: dtype must be one of 'float64', 'float32', got int64
    """
    if isinstance(dtype, bool) or not isinstance(dtype, (str, type, np.dtype)):
        raise TypeError(f"dtype must be a numpy dtype or its name ('float64' or 'float32'), got {dtype!r}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy dtype or its name ('float64' or 'float32'), got {dtype!r}") from None
    if dt.name not in SIMULATION_DTYPES:
        raise ValueError(f"dtype must be one of 'float64', 'float32', got {dt.name}")
    return dt


# ------------------------------------------------------------------------------------ helpers
def gossip_plan(scheme: Any, dtype: Any = np.float64) -> list[tuple[str, Any]]:
    """One ``(kind, matrix)`` per phase: kind is identity, average, sparse, dense or random.

    The plan every simulator gossips through (:func:`apply_gossip`); its matrices are cast once
    to ``dtype`` (the state's precision), so the products stay in it.
    """
    n = scheme.n
    if getattr(scheme, "is_random_scheme", False) is True:
        # a fresh W_t per replica and step from the phase's law (topotheory.graphs.random)
        return [("random", law) for law in scheme.laws]
    plan: list[tuple[str, Any]] = []
    for t in range(scheme.period):
        if scheme.is_sparse(t):
            S = scheme.sparse_matrix(t)
            if S.nnz <= n and np.all(S.diagonal() == 1.0):
                plan.append(("identity", None))
            elif S.nnz == n * n and np.max(np.abs(S.data - 1.0 / n)) <= 1e-15:
                plan.append(("average", None))
            elif S.nnz <= _SPARSE_DENSITY * n * n:
                plan.append(("sparse", sp.csr_array(S.astype(dtype, copy=False))))
            else:
                plan.append(("dense", np.ascontiguousarray(S.toarray(), dtype=dtype)))
            continue
        M = scheme.matrix(t)
        if np.max(np.abs(M - 1.0 / n)) <= 1e-15:
            plan.append(("average", None))
        elif np.array_equal(M, np.eye(n)):
            plan.append(("identity", None))
        elif np.count_nonzero(M) <= _SPARSE_DENSITY * n * n:
            plan.append(("sparse", sp.csr_array(M.astype(dtype, copy=False))))
        else:
            plan.append(("dense", np.ascontiguousarray(M, dtype=dtype)))
    return plan


def apply_gossip(op: tuple[str, Any], X: np.ndarray, out: Any, rng: np.random.Generator | None = None,
                 reps: int | None = None) -> np.ndarray:
    """Apply one gossip step to ``X`` of shape ``(n, m)``; returns the array holding ``W X``.

    The result is ``X`` itself (identity), ``out`` (dense, average) or a new array (sparse,
    random). ``"random"``: ``X`` holds ``reps`` replicas side by side (``(n, reps * k)``, replica
    major), and each replica gossips with its own fresh draw of ``W`` from ``rng`` (one batched
    product, no loop over replicas), cast to ``X``'s precision.
    """
    kind, M = op
    if kind == "random":
        n = X.shape[0]
        Ws = M.sample(rng, reps).astype(X.dtype, copy=False)
        assert reps is not None  # a random scheme's plan always comes with its replica count
        return np.einsum("rik,krj->irj", Ws, X.reshape(n, reps, -1), optimize=True).reshape(n, -1)
    if kind == "identity":
        return X
    if kind == "average":
        np.mean(X, axis=0, out=out[0])
        out[1:] = out[0]
        return out
    if kind == "dense":
        return np.matmul(M, X, out=out)
    return M @ X


_gossip_plan, _gossip = gossip_plan, apply_gossip

#: Below this many workers the plan keeps the workers' own order (a product's rows then touch few
#: cache lines anyway).
LOCALITY_MIN_N = 4096
#: The renumbering is kept when it shortens the mean distance |i - j| between the workers of a
#: non-zero by at least this factor (on a random 6-regular graph of 10^5 workers it does not, and a
#: run was 8 % slower renumbered; on a random geometric graph in random order, by ~100).
LOCALITY_GAIN = 4.0


def locality_order(plan: list[tuple[str, Any]], n: int) -> tuple[list[tuple[str, Any]], np.ndarray | None]:
    r"""The plan with its workers renumbered for memory locality, and the renumbering (None: kept).

    A plan of sparse (and identity / average) phases on ``n >= LOCALITY_MIN_N`` workers is
    renumbered in reverse Cuthill–McKee order of the union of its phases' patterns, where that
    shortens the mean distance between the workers of a non-zero ``LOCALITY_GAIN`` times:
    ``W' = W[perm][:, perm]``, so that the rows of a product :math:`W'X` touch nearby rows of the
    state. On a random geometric graph of :math:`10^5` workers numbered at random the product with
    a state of 4 replicas in 8 dimensions is ~7 times faster (a whole run 2.4 times). A symmetric
    renumbering changes no loss or consensus distance (sums over workers), and the simulator draws
    every worker's normals in the workers' own numbering, so a seed gives the same replicas up to
    rounding either way.

    Parameters
    ----------
    plan : list of (str, matrix)
        From :func:`gossip_plan`.
    n : int
        Workers.

    Returns
    -------
    tuple
        ``(plan, perm)``: the renumbered plan and ``perm`` (position ``k`` holds worker ``perm[k]``),
        or the plan unchanged and None.

    Examples
    --------
    >>> import networkx as nx
    >>> from topotheory import Scheme
    >>> s = Scheme.from_networkx(nx.random_geometric_graph(5000, 0.03, seed=1))
    >>> plan, perm = locality_order(gossip_plan(s), s.n)
    >>> W = s.sparse_matrix(0).tocsr()
    >>> bool(abs(plan[0][1] - W[perm][:, perm]).max() == 0), sorted(perm.tolist()) == list(range(s.n))
    (True, True)
    """
    kinds = {kind for kind, _ in plan}
    if n < LOCALITY_MIN_N or "sparse" not in kinds or not kinds <= {"sparse", "identity", "average"}:
        return plan, None
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    pattern = sum((abs(M) for kind, M in plan if kind == "sparse"), sp.csr_array((n, n)))
    pattern = sp.csr_matrix(pattern + pattern.T)
    perm = np.asarray(reverse_cuthill_mckee(pattern, symmetric_mode=True), dtype=np.intp)
    pos = np.empty_like(perm)
    pos[perm] = np.arange(n)
    coo = pattern.tocoo()
    if LOCALITY_GAIN * np.mean(np.abs(pos[coo.row] - pos[coo.col])) > np.mean(np.abs(coo.row - coo.col)):
        return plan, None  # no shorter reach (an expander, or already local): not worth a gather per step
    renumbered = [(kind, sp.csr_array(M[perm][:, perm]) if kind == "sparse" else M) for kind, M in plan]
    for kind, M in renumbered:
        if kind == "sparse":
            M.sort_indices()
    return renumbered, perm


# --------------------------------------------------------------------------------- D-SGD
@dataclass(frozen=True, repr=False, eq=False)
class DSGDSimulation(Result):
    r"""Result of :func:`simulate_dsgd`.

    Attributes
    ----------
    scheme : str
        Name of the scheme.
    n, d : int
        Workers and model dimension.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size.
    steps, reps : int
        Steps per replica and replicas.
    period : int
        Period of the scheme.
    seed : int, dict, str or None
        Record of the seed (:func:`topotheory.simulate.engine.describe_seed`).
    chunk_size : int
        Replicas simulated together (the results depend on it).
    loss : ndarray, shape (steps + 1,)
        Replica mean of the worker-mean loss :math:`\frac1n\sum_i \frac12\|x_i(t)\|^2`; ``inf`` from
        the step where some replica diverged.
    loss_sem : ndarray, shape (steps + 1,)
        Standard error of ``loss`` over replicas (sample standard deviation / sqrt(reps)).
    consensus : ndarray, shape (steps + 1,)
        Replica mean of the consensus distance :math:`\frac1n\sum_i \|x_i - \bar x\|^2`.
    replica_loss : ndarray, shape (reps, steps + 1), or None
        Per-replica worker-mean loss (``keep_replicas=True``). NaN after the step where the
        replica's chunk stopped because of a divergence, ``inf`` for the replicas that diverged.
    diverged : bool
        True when some replica's loss exceeded ``1e300`` or stopped being finite.
    diverged_step : int
        First step with a diverged replica, ``-1`` if none.
    n_diverged : int
        Number of replicas that diverged.
    elapsed : float
        Wall-clock seconds of the simulation.
    algorithm : str
        The algorithm simulated (``"dsgd"`` here; :func:`topotheory.simulate_algorithm` runs the
        others of :data:`topotheory.ALGORITHMS`).
    hyperparameters : dict
        Its hyper-parameters, defaults filled in (empty for D-SGD).
    dtype : str
        Precision of the simulated state (``"float64"`` or ``"float32"``, see :func:`simulate_dsgd`);
        the losses and consensus distances are float64 either way.
    """

    scheme: str
    n: int
    d: int
    lr: float
    batch_size: int
    steps: int
    reps: int
    period: int
    seed: object
    chunk_size: int
    loss: np.ndarray
    loss_sem: np.ndarray
    consensus: np.ndarray
    replica_loss: np.ndarray | None
    diverged: bool
    diverged_step: int
    n_diverged: int
    elapsed: float = field(default=float("nan"))
    algorithm: str = "dsgd"
    hyperparameters: dict = field(default_factory=dict)
    dtype: str = "float64"

    def __repr__(self) -> str:
        last = self.loss[-1]
        alg = "" if self.algorithm == "dsgd" else f"algorithm={self.algorithm!r}, "
        alg += "" if self.dtype == "float64" else f"dtype={self.dtype!r}, "
        return (
            f"DSGDSimulation({alg}scheme={self.scheme!r}, n={self.n}, d={self.d}, lr={self.lr:g}, "
            f"batch_size={self.batch_size}, steps={self.steps}, reps={self.reps}, "
            f"loss[0]={self.loss[0]:.6g}, loss[-1]={last:.6g}, diverged={self.diverged})"
        )


def mark_divergence(loss: np.ndarray, cons: np.ndarray, t: int) -> int:
    """Flag the replicas of a chunk whose loss at step ``t`` exceeds ``1e300`` or is not finite.

    Their loss becomes ``inf`` from ``t`` on, the chunk's consensus ``inf`` from ``t`` on (the
    chunk stops there); returns how many diverged (0: none, nothing changed).
    """
    row = loss[:, t]
    bad = ~(row <= DIVERGENCE_THRESHOLD)
    if not bad.any():
        return 0
    row[bad] = np.inf
    loss[bad, t + 1 :] = np.inf
    cons[t:] = np.inf
    return int(bad.sum())


def _dsgd_chunk(plan: list[tuple[str, Any]], X0: np.ndarray, lr: float, batch_size: int, steps: int,
                dtype: np.dtype, perm: np.ndarray | None, c: int, seed: Any) -> tuple[Any, ...]:
    """Simulate ``c`` replicas in precision ``dtype`` (the plan's matrices cast to it); returns
    per-replica loss, summed consensus (both float64), divergence info.

    With ``perm`` (:func:`locality_order`) the plan and the state are in that numbering (``X0``
    given in the workers' own): the normals are drawn in the workers' numbering and gathered.
    """
    rng = as_generator(seed)
    n, d = X0.shape
    if perm is not None:
        X0 = X0[perm]
    p = len(plan)
    below, by, above, cancel = _WINDOWS[dtype.name]
    # start near 2**0 (a power of two: exact), so that float32 squares neither under- nor overflow
    peak = float(np.max(np.abs(X0)))
    scale = -math.frexp(peak)[1] if above is not None and 0.0 < peak < math.inf else 0  # X holds 2**scale x
    X = np.empty((n, c, d), dtype=dtype)
    X[...] = np.ldexp(X0, scale)[:, None, :]
    Y = np.empty_like(X)
    A = np.empty_like(X)
    G = np.empty_like(X) if batch_size > 1 else None
    s = np.empty((n, c), dtype=dtype)
    sq = np.empty(c)
    xbar = np.empty((c, d))
    loss = np.full((c, steps + 1), np.nan)
    cons = np.full(steps + 1, np.nan)
    m = c * d
    diverged_step, n_div = -1, 0
    eta = dtype.type(lr)
    order, drawn = (perm, np.empty_like(X)) if perm is not None else (None, None)

    def normals(out: np.ndarray) -> None:
        if order is None or drawn is None:
            rng.standard_normal(dtype=dtype, out=out)
        else:  # each worker's normals as in its own numbering, then renumbered
            rng.standard_normal(dtype=dtype, out=drawn)
            np.take(drawn, order, axis=0, out=out)

    def record(t: int, X: np.ndarray) -> None:
        # per replica: sq = sum_i ||x_i||^2, and the consensus distance
        # (1/n) sum_i ||x_i - xbar||^2 = sq/n - ||xbar||^2, computed directly (one more pass) only
        # when the difference would lose more than half of the digits. Sums over workers in float64
        # whatever the state's precision (only the d terms of one worker are summed in it).
        np.einsum("icd,icd->ic", X, X, out=s)
        np.sum(s, axis=0, dtype=np.float64, out=sq)
        np.mean(X, axis=0, dtype=np.float64, out=xbar)
        between = sq / n - np.einsum("cd,cd->c", xbar, xbar)
        if np.any(between <= cancel * sq / n):
            np.subtract(X, xbar, out=A, casting="same_kind")
            between = np.einsum("icd,icd->c", A, A, dtype=np.float64) / n
        cons[t] = math.ldexp(float(between.sum()), -2 * scale)
        loss[:, t] = np.ldexp(sq / (2 * n), -2 * scale)

    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        record(0, X)
        for t in range(steps):
            if G is None:
                normals(A)
                np.einsum("icd,icd->ic", A, X, out=s)
                s *= eta
                A *= s[:, :, None]
                X -= A
            else:
                G.fill(0.0)
                for _ in range(batch_size):
                    normals(A)
                    np.einsum("icd,icd->ic", A, X, out=s)
                    A *= s[:, :, None]
                    G += A
                G *= dtype.type(lr / batch_size)
                X -= G
            R = _gossip(plan[t % p], X.reshape(n, m), Y.reshape(n, m), rng, c).reshape(n, c, d)
            if R is Y:
                X, Y = Y, X
            else:
                X = R
            record(t + 1, X)
            n_div = mark_divergence(loss, cons, t + 1)
            if n_div:
                diverged_step = t + 1
                break
            if sq.max() < 2.0**-below:
                X *= dtype.type(2.0**by)
                scale += by
            elif above is not None and sq.max() > 2.0**above:
                X *= dtype.type(2.0**-by)
                scale -= by
    return loss, cons, diverged_step, n_div


def check_dsgd_size(n: int, *, d: int, steps: int, reps: int, batch_size: int, reps_name: str = "reps") -> None:
    """Refuse at once a D-SGD simulation whose memory or time cannot fit (validated ints in).

    Memory: the per-replica loss curves, ``8 reps (steps + 1)`` bytes, plus the chunk state;
    time: ``reps steps n d (batch_size + 1)`` elementary updates
    (:func:`~topotheory.simulate.engine.check_budget`). ``reps_name`` names the replica count in
    the message (``budget`` for an adaptive cross-check).

    Examples
    --------
    >>> check_dsgd_size(8, d=10, steps=100, reps=1000, batch_size=1)
    >>> check_dsgd_size(8, d=10, steps=100, reps=2**63, batch_size=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: reps = 9223372036854775808, steps = 100, d = 10, batch_size = 1: D-SGD on 8 workers would need ...
    """
    check_budget({reps_name: reps, "steps": steps, "d": d, "batch_size": batch_size},
                 memory=8 * (reps * (steps + 1) + 8 * n * d), work=reps * steps * n * d * (batch_size + 1),
                 what=f"D-SGD on {n} workers")


def simulate_dsgd(
    scheme: Any,
    *,
    lr: float,
    d: int,
    steps: int,
    reps: int,
    batch_size: int = 1,
    x0: Any = None,
    seed: Any = None,
    keep_replicas: bool = True,
    chunk_size: int | None = None,
    threads: int | None = None,
    dtype: Any = "float64",
) -> DSGDSimulation:
    r"""Monte Carlo of D-SGD on the isotropic random quadratic (THEORY §3.1, §6).

    Each worker ``i`` of each replica holds :math:`x_i \in \mathbb{R}^d`. One step draws, per worker
    and replica, a fresh mini-batch :math:`a_1, \dots, a_b \sim N(0, I_d)` and applies the
    gradient step followed by the gossip with :math:`W_t = W_{t \bmod p}`:

    .. math::

        x_i(t+1) = \sum_j (W_t)_{ij}\Bigl(x_j(t) - \eta\, \tfrac1b \sum_{k=1}^b a_k a_k^\top x_j(t)\Bigr),

    the stochastic gradient of :math:`f(x) = \mathbb{E}\,\tfrac12 (a^\top x)^2 = \tfrac12\|x\|^2`
    with noise level :math:`\zeta = (1 + b + d)/b` (paper §3.1). The expected value of ``loss`` is
    exactly the second-moment recursion of THEORY §3.2.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (row convention ``X <- W X``).
    lr : float
        Learning rate :math:`\eta \ge 0`.
    d : int
        Model dimension (>= 1).
    steps : int
        Number of steps (>= 1); curves have ``steps + 1`` points (``t = 0..steps``).
    reps : int
        Number of independent replicas (>= 1).
    batch_size : int
        Mini-batch size ``b`` (>= 1).
    x0 : array_like, shape (d,) or (n, d), optional
        Start. Default: every worker at ``ones(d) / sqrt(d)``, so :math:`\|x_i(0)\|^2 = 1` and
        ``loss[0] = 0.5`` (the theory's default all-ones Gram matrix).
    seed : None, int, SeedSequence or Generator
        Randomness (normalised by :func:`topotheory._rng.as_generator`).
    keep_replicas : bool
        Keep the per-replica loss trajectories (needed by :func:`estimate_rate`).
    chunk_size : int, optional
        Replicas simulated together, at most ``reps`` (a larger value means one chunk; default: a
        block of about 512 kB). Results depend on it.
    threads : int, optional
        Threads running the chunks, 1 to 256 (default: the number of CPUs). Results do not
        depend on it.
    dtype : {"float64", "float32"} or numpy dtype
        Precision of the state, the Gaussian samples (``Generator.standard_normal(dtype=...)``),
        the gradient step and the gossip (the gossip matrices are cast to it once). The per-replica
        losses and consensus distances are summed over workers in float64 either way. Default
        float64. Speed (``benchmarks/bench_simulate.py``, one thread, median time ratio
        float64 / float32): 1.2x on a dense 256-worker gossip matrix and 1.5x on a sparse
        10^5-worker random geometric graph (d = 8): the gossip product runs 1.6-2x faster and the
        gradient step up to 1.9x, but numpy's float32 normals only ~1.1x, and they are 20-50 %
        of a step. Precision: float32 rounds ~1e-7 relative per step, far below the Monte Carlo
        noise of a loss curve, but not enough for rates below ~1e-6 per step or losses to more
        than ~6 digits: use float64 there. float32 draws other normals than float64, so one seed
        gives other (identically distributed) replicas in each precision.

    Returns
    -------
    DSGDSimulation
        Mean loss, its standard error, consensus distance and (``keep_replicas``) the per-replica
        losses; ``dtype`` records the precision.

    Notes
    -----
    A replica whose loss exceeds ``1e300`` or stops being finite is flagged (``diverged``), its
    chunk stops there without numpy warnings, and the mean loss is ``inf`` from that step on.

    Sizes whose memory (more than 4 GiB) or time (more than :data:`~topotheory.simulate.engine.WORK_LIMIT`
    elementary updates) cannot fit are refused at once, before anything is allocated.

    A large sparse scheme is simulated with its workers renumbered for memory locality where that
    pays (:func:`locality_order`; a random geometric graph of :math:`10^5` workers in random order:
    2.0 times faster per step); every worker's normals are still drawn in its own numbering, so a
    seed gives the same replicas up to rounding.

    The state is kept in range by exact power-of-two rescaling (the dynamics are linear): in
    float64 when it falls below ``2**-500``; in float32 whenever its squared norm leaves
    ``[2**-60, 2**60]``, so a float32 replica is flagged at the same true loss ``1e300``
    (unless one step overflows float32, which also flags it).

    Examples
    --------
    >>> from topotheory import ring
    >>> sim = simulate_dsgd(ring(8), lr=0.05, d=10, steps=20, reps=50, seed=0)
    >>> float(sim.loss[0])
    0.5
    >>> round(float(sim.loss[20]), 3)     # exact expected loss (THEORY §3.2): 0.0705
    0.069
    >>> round(float(sim.loss_sem[20]), 3)
    0.002
    >>> sim32 = simulate_dsgd(ring(8), lr=0.05, d=10, steps=20, reps=50, seed=0, dtype="float32")
    >>> sim32.dtype, round(float(sim32.loss[20]), 2)
    ('float32', 0.07)
    """
    scheme, lr, d, steps, reps, batch_size, keep_replicas, threads = check_simulation(
        scheme, lr, d, steps, reps, batch_size, keep_replicas, threads)
    dt = check_dtype(dtype)
    n = scheme.n
    check_dsgd_size(n, d=d, steps=steps, reps=reps, batch_size=batch_size)
    X0 = start_point(x0, n, d)
    seed, seed_record = root_seed(seed)
    plan, perm = locality_order(_gossip_plan(scheme, dt), n)
    args = (plan, X0, lr, batch_size, steps, dt, perm)
    # the default chunk (replicas per chunk) is the same in both precisions: results stay comparable
    outs, chunk_size, elapsed = run_chunks(_dsgd_chunk, args, reps, n * d, chunk_size, seed, threads)
    return simulation_from_chunks(outs, scheme=scheme, d=d, lr=lr, batch_size=batch_size, steps=steps, reps=reps,
                                  seed=seed_record, chunk_size=chunk_size, keep_replicas=keep_replicas,
                                  elapsed=elapsed, dtype=dt.name)


def check_simulation(scheme: Any, lr: float, d: int, steps: int, reps: int, batch_size: int, keep_replicas: bool,
                     threads: int | None) -> tuple[Any, ...]:
    """The arguments every toy-problem simulator shares, validated (in this order)."""
    return (check_scheme(scheme), check_real("lr", lr, low=0.0), check_int("d", d, minimum=1),
            check_int("steps", steps, minimum=1), check_int("reps", reps, minimum=1),
            check_int("batch_size", batch_size, minimum=1), check_bool("keep_replicas", keep_replicas),
            check_threads(threads))


def simulation_from_chunks(outs: list[Any], *, scheme: Any, d: int, lr: float, batch_size: int, steps: int, reps: int,
                           seed: Any, chunk_size: int, keep_replicas: bool, elapsed: float, algorithm: str = "dsgd",
                           hyperparameters: dict[str, Any] | None = None, dtype: str = "float64") -> DSGDSimulation:
    """The :class:`DSGDSimulation` of chunk outputs ``(loss (c, steps + 1), consensus sum,
    diverged step, diverged count)``: replica mean, standard error, divergence flags.

    One assembly for every simulator that runs through :func:`~topotheory.simulate.engine.run_chunks`.
    """
    L = np.concatenate([o[0] for o in outs], axis=0)
    with np.errstate(all="ignore"):
        any_inf = np.isinf(L).any(axis=0)
        mean = L.mean(axis=0)
        sem = L.std(axis=0, ddof=1) / math.sqrt(reps) if reps > 1 else np.full(steps + 1, np.nan)
        cons = np.sum([o[1] for o in outs], axis=0) / reps
    mean[any_inf] = np.inf
    sem[any_inf] = np.nan
    div_steps = [o[2] for o in outs if o[2] >= 0]
    return DSGDSimulation(
        scheme=scheme.name,
        n=scheme.n,
        d=d,
        lr=lr,
        batch_size=batch_size,
        steps=steps,
        reps=reps,
        period=scheme.period,
        seed=seed,
        chunk_size=chunk_size,
        loss=mean,
        loss_sem=sem,
        consensus=cons,
        replica_loss=L if keep_replicas else None,
        diverged=bool(div_steps),
        diverged_step=min(div_steps) if div_steps else -1,
        n_diverged=int(sum(o[3] for o in outs)),
        elapsed=elapsed,
        algorithm=algorithm,
        hyperparameters=dict(hyperparameters or {}),
        dtype=dtype,
    )


def concat_simulations(sims: Sequence[Any]) -> DSGDSimulation:
    """One :class:`DSGDSimulation` holding the replicas of several runs of the same setting.

    Used by the adaptive cross-check, which adds seeded chunks of replicas. The runs must share
    scheme, ``n``, ``d``, ``lr``, ``batch_size``, ``steps``, algorithm, hyper-parameters and ``dtype``, and keep their replicas; the seed
    record is the first run's, ``elapsed`` the total.
    """
    first = sims[0]
    keys = ("scheme", "n", "d", "lr", "batch_size", "steps", "period", "algorithm", "hyperparameters", "dtype")
    for s in sims:
        if s.replica_loss is None or any(getattr(s, k) != getattr(first, k) for k in keys):
            raise ValueError("concat_simulations needs runs of one setting that kept their replicas")
    L = np.concatenate([s.replica_loss for s in sims], axis=0)
    reps = L.shape[0]
    with np.errstate(all="ignore"):
        mean = L.mean(axis=0)
        sem = L.std(axis=0, ddof=1) / math.sqrt(reps)
        cons = sum(s.consensus * s.reps for s in sims) / reps
    any_inf = np.isinf(L).any(axis=0)
    mean[any_inf] = np.inf
    sem[any_inf] = np.nan
    div = [s.diverged_step for s in sims if s.diverged]
    return DSGDSimulation(
        scheme=first.scheme, n=first.n, d=first.d, lr=first.lr, batch_size=first.batch_size, steps=first.steps,
        reps=reps, period=first.period, seed=first.seed, chunk_size=first.chunk_size, loss=mean, loss_sem=sem,
        consensus=cons, replica_loss=L, diverged=bool(div), diverged_step=min(div) if div else -1,
        n_diverged=sum(s.n_diverged for s in sims), elapsed=sum(s.elapsed for s in sims),
        algorithm=first.algorithm, hyperparameters=dict(first.hyperparameters), dtype=first.dtype,
    )


# ------------------------------------------------------------------------------ random walk
@dataclass(frozen=True, repr=False, eq=False)
class RandomWalkSimulation(Result):
    r"""Result of :func:`simulate_random_walk`.

    Attributes
    ----------
    scheme : str
        Name of the scheme.
    n : int
        Number of workers.
    gamma : float
        Decay of the walk.
    steps, reps : int
        Recorded steps per replica and replicas.
    burn_in : int
        Steps simulated before recording.
    phase : int
        Phase (modulo the period) at which the variances are recorded.
    seed : int, dict, str or None
        Record of the seed.
    chunk_size : int
        Replicas simulated together.
    confidence : float
        Level of ``ci``.
    effective_neighbors : float
        Monte Carlo estimate of :math:`n_W(\gamma)` ("mean" mode):
        :math:`[1/(1-\gamma)] / \operatorname{mean}_i \widehat{\operatorname{Var}} z_i`.
    ci : tuple of float
        Confidence interval (level ``confidence``) for ``effective_neighbors``; NaN when
        ``reps == 1``.
    variances : ndarray, shape (n,)
        Per-worker stationary variance estimates at the phase.
    worker_effective_neighbors : ndarray, shape (n,)
        Per-worker values :math:`[1/(1-\gamma)] / \widehat{\operatorname{Var}} z_i` ("all" mode).
    stderr : float
        Standard error of the mean variance (over replicas).
    samples : int
        Number of recorded steps per replica.
    burn_in_bias : float
        Upper bound :math:`\gamma^{\text{burn\_in}}` of the relative deficit of the recorded
        variances left by starting from ``z = 0`` (the deficit of a covariance started at 0 is at
        most :math:`\gamma^{b}` times the stationary one, as :math:`\|W_t\|_2 \le 1`).
    trusted : bool
        False when the estimate cannot be trusted: ``burn_in_bias`` above
        :data:`TRUST_BIAS` (e.g. the default burn-in capped at :math:`10^6` steps for
        :math:`\gamma \gtrsim 1 - 10^{-5}`, where the estimate exceeds ``n`` on a ring) or the
        ``reps`` too few for an interval.
    warning : str
        Why the estimate is not trusted ("" when it is).
    replica_variance : ndarray, shape (reps,)
        Per replica, the worker-mean of the recorded :math:`z_i^2` (the values the interval and
        the replica diagnostics of :func:`topotheory.crosscheck_random_walk` use).
    elapsed : float
        Wall-clock seconds of the simulation.
    """

    scheme: str
    n: int
    gamma: float
    steps: int
    reps: int
    burn_in: int
    phase: int
    seed: object
    chunk_size: int
    confidence: float
    effective_neighbors: float
    ci: tuple
    variances: np.ndarray
    worker_effective_neighbors: np.ndarray
    stderr: float
    samples: int
    replica_variance: np.ndarray | None = None
    burn_in_bias: float = 0.0
    trusted: bool = True
    warning: str = ""
    elapsed: float = field(default=float("nan"))

    def __repr__(self) -> str:
        lo, hi = self.ci
        flag = "" if self.trusted else f", trusted=False ({self.warning})"
        return (
            f"RandomWalkSimulation(scheme={self.scheme!r}, n={self.n}, gamma={self.gamma:g}, "
            f"steps={self.steps}, reps={self.reps}, burn_in={self.burn_in}, "
            f"effective_neighbors={self.effective_neighbors:.6g}, ci=({lo:.6g}, {hi:.6g}){flag})"
        )


def _random_walk_chunk(plan: list[tuple[str, Any]], n: int, sqrt_gamma: float, burn_in: int, steps: int,
                       phase: int, c: int, seed: Any) -> tuple[Any, ...]:
    rng = as_generator(seed)
    p = len(plan)
    Z = np.zeros((n, c))
    Y = np.empty_like(Z)
    xi = np.empty_like(Z)
    acc = np.zeros((n, c))
    samples = 0
    for t in range(burn_in + steps):
        rng.standard_normal(out=xi)
        Z *= sqrt_gamma
        Z += xi
        R = _gossip(plan[t % p], Z, Y, rng, c)
        if R is Y:
            Z, Y = Y, Z
        else:
            Z = R
        if t >= burn_in and (t + 1) % p == phase:
            np.multiply(Z, Z, out=xi)
            acc += xi
            samples += 1
    return acc, samples


#: Largest relative burn-in deficit bound (``gamma ** burn_in``) of a trusted random-walk estimate.
TRUST_BIAS = 1e-3


def default_burn_in(gamma: float, period: int = 1) -> int:
    r"""Default burn-in of :func:`simulate_random_walk`: :math:`\lceil 10/(1-\gamma) \rceil` steps.

    Started from ``z = 0``, the covariance deficit decays at least like :math:`\gamma^t`, so after
    :math:`10/(1-\gamma)` steps it is below :math:`e^{-10} \approx 4.5\cdot10^{-5}` of the
    stationary value. Capped at :math:`10^6` and rounded up to a whole number of periods.

    Examples
    --------
    >>> default_burn_in(0.9), default_burn_in(0.99, period=3)
    (100, 1002)
    """
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_open=True)
    period = check_int("period", period, minimum=1)
    b = min(math.ceil(10.0 / (1.0 - gamma) - 1e-9), 10**6)
    return -(-b // period) * period


def simulate_random_walk(
    scheme: Any, *, gamma: float, steps: int, reps: int, burn_in: int | None = None, seed: Any = None, phase: int = 0,
    confidence: float = 0.95, chunk_size: int | None = None, threads: int | None = None,
) -> RandomWalkSimulation:
    r"""Monte Carlo estimate of the effective number of neighbours :math:`n_W(\gamma)` (THEORY §2, §6).

    Iterates :math:`z(t+1) = W_t\bigl(\sqrt{\gamma}\, z(t) + \xi(t)\bigr)`,
    :math:`\xi(t) \sim N(0, I_n)`, from :math:`z = 0` in ``reps`` independent replicas; discards
    ``burn_in`` steps, then averages :math:`z_i^2` over the next ``steps`` steps (only the steps at
    the requested phase, for periodic schemes) and over replicas. The mean of ``z`` is exactly
    zero, so :math:`\widehat{\operatorname{Var}} z_i` is that average, and

    .. math::

        \hat n_W(\gamma) = \frac{1/(1-\gamma)}{\operatorname{mean}_i \widehat{\operatorname{Var}} z_i}

    (the paper's Definition 1, "mean" mode). The interval treats replicas as independent batches
    (batch means across replicas): a normal interval for the mean variance, mapped through
    :math:`v \mapsto [1/(1-\gamma)]/v`.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (row convention ``X <- W X``).
    gamma : float
        Decay in [0, 1).
    steps : int
        Steps after the burn-in (>= 1).
    reps : int
        Independent replicas (>= 1; the interval needs >= 2).
    burn_in : int, optional
        Steps discarded first; default :func:`default_burn_in` (``ceil(10/(1-gamma))``).
    seed : None, int, SeedSequence or Generator
        Randomness.
    phase : int
        For periodic schemes, the phase at which variances are recorded (state right after the
        gossip with :math:`W_{\text{phase}-1}`), as in :func:`topotheory.effective_neighbors`; any
        integer, taken modulo the period.
    confidence : float
        Level of the interval (default 0.95).
    chunk_size, threads : int, optional
        As in :func:`simulate_dsgd`.

    Returns
    -------
    RandomWalkSimulation
        The estimate of :math:`n_W`, its interval and the per-worker variances.

    Examples
    --------
    >>> from topotheory import ring
    >>> rw = simulate_random_walk(ring(8), gamma=0.5, steps=200, reps=200, seed=0)
    >>> round(rw.effective_neighbors, 2), [round(x, 2) for x in rw.ci]   # exact: 3.715
    (3.73, [3.69, 3.77])
    """
    scheme = check_scheme(scheme)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_open=True)
    steps = check_int("steps", steps, minimum=1)
    reps = check_int("reps", reps, minimum=1)
    p = scheme.period
    burn_in = default_burn_in(gamma, p) if burn_in is None else check_int("burn_in", burn_in, minimum=0)
    phase = check_phase(phase, p)
    confidence = check_real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    threads = check_threads(threads)
    n = scheme.n
    check_budget({"reps": reps, "steps": steps, "burn_in": burn_in}, memory=8 * 4 * n * reps,
                 work=reps * (burn_in + steps) * n, what=f"the random walk on {n} workers")
    seed, seed_record = root_seed(seed)
    args = (_gossip_plan(scheme), n, math.sqrt(gamma), burn_in, steps, phase)
    outs, chunk_size, elapsed = run_chunks(_random_walk_chunk, args, reps, n, chunk_size, seed, threads)
    samples = outs[0][1]
    if samples == 0:
        raise ValueError(
            f"steps = {steps} records no state at phase {phase} of a period-{p} scheme; use steps >= {p}"
        )
    acc = np.concatenate([o[0] for o in outs], axis=1) / samples  # (n, reps)
    variances = acc.mean(axis=1)
    per_rep = acc.mean(axis=0)
    v = float(per_rep.mean())
    c = 1.0 / (1.0 - gamma)
    if reps > 1:
        se = float(per_rep.std(ddof=1) / math.sqrt(reps))
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + confidence / 2))
        lo_v, hi_v = v - z * se, v + z * se
        ci = (c / hi_v, c / lo_v if lo_v > 0 else np.inf)
    else:
        se, ci = float("nan"), (float("nan"), float("nan"))
    bias = math.exp(burn_in * math.log(gamma)) if gamma > 0 else 0.0
    reasons = []
    if bias > TRUST_BIAS:
        reasons.append(
            f"burn-in of {burn_in} steps leaves up to {bias:.2g} of the stationary variance missing "
            f"(needs about {math.ceil(-math.log(TRUST_BIAS) / -math.log(gamma))} steps)"
        )
    if reps < 2:
        reasons.append("one replica gives no interval")
    return RandomWalkSimulation(
        scheme=scheme.name,
        n=n,
        gamma=gamma,
        steps=steps,
        reps=reps,
        burn_in=burn_in,
        phase=phase,
        seed=seed_record,
        chunk_size=chunk_size,
        confidence=confidence,
        effective_neighbors=c / v,
        ci=(float(ci[0]), float(ci[1])),
        variances=variances,
        worker_effective_neighbors=c / variances,
        stderr=se,
        samples=samples,
        replica_variance=per_rep,
        burn_in_bias=bias,
        trusted=not reasons,
        warning="; ".join(reasons),
        elapsed=elapsed,
    )


# ------------------------------------------------------------------------------- rate estimate
@dataclass(frozen=True, repr=False, eq=False)
class RateEstimate(Result):
    r"""Result of :func:`estimate_rate`.

    Attributes
    ----------
    rate : float
        :math:`\hat r = 1 - e^{\hat s}`, :math:`\hat s` the fitted slope of the log replica-mean loss
        per step. NaN when the run diverged inside the window.
    ci : tuple of float
        Bootstrap percentile interval for ``rate`` (level ``confidence``), resampling replicas.
    stderr : float
        Bootstrap standard deviation of ``rate``.
    slope : float
        Fitted slope :math:`\hat s` of the log replica-mean loss per step.
    window : tuple of int
        First and last step (inclusive) of the fit.
    confidence : float
        Level of ``ci``.
    n_boot : int
        Bootstrap resamples.
    reps : int
        Replicas of the simulation.
    period : int
        Period of the scheme (one intercept per phase in the fit).
    diverged : bool
        The simulation diverged.
    """

    rate: float
    ci: tuple
    stderr: float
    slope: float
    window: tuple
    confidence: float
    n_boot: int
    reps: int
    period: int
    diverged: bool

    def __repr__(self) -> str:
        lo, hi = self.ci
        return (
            f"RateEstimate(rate={self.rate:.6g}, ci=({lo:.6g}, {hi:.6g}), window={self.window}, "
            f"reps={self.reps}, n_boot={self.n_boot}, diverged={self.diverged})"
        )


def default_window(steps: int, period: int = 1) -> tuple[int, int]:
    """The default fit window of :func:`estimate_rate`: the second half of the run.

    From the first multiple of the period at or after ``steps / 2`` to ``steps`` (inclusive).

    Examples
    --------
    >>> default_window(300), default_window(300, period=4)
    ((150, 300), (152, 300))
    """
    steps = check_int("steps", steps, minimum=1)
    period = check_int("period", period, minimum=1)
    start = -(-math.ceil(steps / 2) // period) * period
    return (min(start, max(steps - 1, 0)), steps)


def _check_window(window: tuple[int, int] | None, steps: int, period: int) -> tuple[int, int]:
    if window is None:
        window = default_window(steps, period)
    try:
        start, stop = (check_int("window[0]", window[0]), check_int("window[1]", window[1]))
        if len(window) != 2:
            raise TypeError
    except (TypeError, IndexError):
        raise TypeError(f"window must be a pair (first_step, last_step) of ints, got {window!r}") from None
    if not 0 <= start < stop <= steps:
        raise ValueError(f"window must satisfy 0 <= first < last <= steps = {steps}, got {window!r}")
    if stop - start + 1 < period + 2:
        raise ValueError(
            f"window {window!r} is too short: a period-{period} scheme needs at least {period + 2} steps"
        )
    return start, stop


def estimate_rate(result: Any, *, window: tuple[int, int] | None = None, confidence: float = 0.95,
                  n_boot: int = 1000, seed: Any = 0) -> RateEstimate:
    r"""Asymptotic rate of a simulated loss curve, with a bootstrap interval over replicas.

    Fits :math:`\log \bar L(t) = s\,t + c_{t \bmod p}` by least squares over the window
    (one intercept per phase of a period-``p`` scheme), where :math:`\bar L(t)` is the replica mean
    of the loss, and returns :math:`\hat r = 1 - e^{\hat s}`: the rate of THEORY §3.3,
    :math:`\mathbb{E}\|x\|^2 \propto (1-r)^t`. The interval is a percentile bootstrap: replicas are
    resampled with replacement ``n_boot`` times and the fit repeated.

    Parameters
    ----------
    result : DSGDSimulation
        A simulation run with ``keep_replicas=True``.
    window : (int, int), optional
        First and last step (inclusive) of the fit; default :func:`default_window` (the second half
        of the run, starting at a whole period).
    confidence : float
        Level of the interval (default 0.95).
    n_boot : int
        Bootstrap resamples (default 1000).
    seed : None, int, SeedSequence or Generator
        Randomness of the bootstrap (default 0: the estimate is a deterministic function of the
        simulation).

    Returns
    -------
    RateEstimate
        NaN rate and interval with ``diverged=True`` when the run diverged at or before the end of
        the window.

    Notes
    -----
    Per replica, :math:`\|x(t)\|^2` is a product of ``t`` random factors: its distribution has a
    heavy right tail, and the replica mean converges to the expectation slowly (rare replicas carry
    much of the mean, more so for long horizons and large :math:`\eta^2 d`). The fit uses the log
    of the *mean*, which is what the theory predicts — not the mean of the logs, whose slope (the
    Lyapunov exponent) is smaller in magnitude. Use enough replicas for the horizon; the bootstrap
    interval widens when a few replicas dominate.

    Examples
    --------
    >>> from topotheory import solo
    >>> sim = simulate_dsgd(solo(4), lr=0.02, d=48, steps=100, reps=100, seed=1)
    >>> est = estimate_rate(sim)
    >>> round(est.rate, 3)        # exact: 2*lr - 50*lr**2 = 0.02
    0.02
    """
    if not isinstance(result, DSGDSimulation):
        raise TypeError(f"result must be a DSGDSimulation (from simulate_dsgd), got {type(result).__name__}")
    if result.replica_loss is None:
        raise ValueError("result has no per-replica trajectories; simulate with keep_replicas=True")
    start, stop = _check_window(window, result.steps, result.period)
    confidence = check_real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    n_boot = check_int("n_boot", n_boot, minimum=1)
    check_budget({"n_boot": n_boot}, memory=8 * n_boot, work=n_boot * result.reps * (stop - start + 1),
                 what=f"the bootstrap over {result.reps} replicas")
    nan = float("nan")
    if result.diverged and result.diverged_step <= stop:
        return RateEstimate(nan, (nan, nan), nan, nan, (start, stop), confidence, n_boot, result.reps, result.period, True)
    rate = fit_rate(result.loss, (start, stop), result.period)
    c = slope_weights(start, stop, result.period)
    L = result.replica_loss[:, start : stop + 1]
    R = result.reps
    if R > 1 and np.isfinite(rate):
        rng = as_generator(seed)
        slopes = np.empty(n_boot)
        block = max(1, min(n_boot, 2**22 // R))  # bounds the (block, reps) count matrix to 32 MB
        for k in range(0, n_boot, block):
            counts = rng.multinomial(R, np.full(R, 1.0 / R), size=min(block, n_boot - k)).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                slopes[k : k + len(counts)] = np.log(counts @ L / R) @ c
        rates = -np.expm1(slopes)
        alpha = 1.0 - confidence
        lo, hi = np.nanquantile(rates, [alpha / 2, 1 - alpha / 2])
        ci, se = (float(lo), float(hi)), float(np.nanstd(rates, ddof=1))
    else:
        ci, se = (nan, nan), nan
    slope = float(np.log1p(-rate)) if rate < 1 else nan
    return RateEstimate(rate, ci, se, slope, (start, stop), confidence, n_boot, R, result.period, False)


# ------------------------------------------------------------------------------------ push-sum
@dataclass(frozen=True, repr=False, eq=False)
class PushSumSimulation(Result):
    r"""Result of :func:`simulate_push_sum`.

    Attributes
    ----------
    readout : DSGDSimulation
        The read-out :math:`z = x / y` as a D-SGD run: ``loss`` is the replica mean of
        :math:`\frac1n\sum_i \frac12\|z_i\|^2`, ``consensus`` the replica mean of
        :math:`\frac1n\sum_i \|z_i - \bar x\|^2` with :math:`\bar x = \frac1n\sum_i x_i` the true
        average (so :func:`estimate_rate` applies).
    model_spread : ndarray, shape (steps + 1,)
        Replica mean of :math:`\frac1n\sum_i \|x_i - \bar x\|^2` (the un-debiased models).
    weighted_gap : ndarray, shape (steps + 1,)
        Largest :math:`|\frac1n\sum_i y_i z_i - \bar x|` over replicas and coordinates (0 up to
        rounding: the ``y``-weighted average of the read-outs is the true average).
    weights : ndarray, shape (steps + 1, n)
        The push-sum weights ``y(t)``.
    """

    readout: DSGDSimulation
    model_spread: np.ndarray
    weighted_gap: np.ndarray
    weights: np.ndarray

    def __repr__(self) -> str:
        return f"PushSumSimulation({self.readout!r})"


def simulate_push_sum(push: Any, *, lr: float, d: int, steps: int, reps: int, seed: Any = None,
                      batch_size: int = 1, x0: Any = None, keep_replicas: bool = True) -> PushSumSimulation:
    r"""Monte Carlo of stochastic gradient push on the isotropic random quadratic (THEORY §3.1).

    Per replica, with fresh Gaussian mini-batches at every worker and step (gradients at the
    read-out, :class:`topotheory.graphs.random.PushSum`):

    .. math::

        x(t+1) = P_t\bigl(x(t) - \eta\,\tfrac1b\textstyle\sum_k a_ka_k^\top z(t)\bigr),\quad
        y(t+1) = P_t\,y(t),\quad z = x / y,\quad y(0) = \mathbf 1,

    rows of ``x`` are workers (``X <- P_t X``). All replicas and coordinates move in one matrix
    product per step; ``y`` is deterministic and shared.

    Parameters
    ----------
    push : PushSum
        From :func:`topotheory.push_sum`.
    lr : float
        Learning rate (>= 0; 0 runs pure push-sum averaging).
    d, steps, reps : int
        Model dimension, steps and replicas.
    seed : None, int, SeedSequence or Generator
        Randomness.
    batch_size : int
        Mini-batch size.
    x0 : array_like, shape (d,) or (n, d), optional
        Start (default every worker at ``ones(d) / sqrt(d)``).
    keep_replicas : bool
        Keep per-replica read-out losses (for :func:`estimate_rate`).

    Returns
    -------
    PushSumSimulation
        Read-out losses, consensus distance and (``keep_replicas``) the per-replica losses.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory.graphs.random import push_sum
    >>> ps = push_sum(np.array([[0.5, 1.0], [0.5, 0.0]]))
    >>> sim = simulate_push_sum(ps, lr=0.0, d=1, steps=60, reps=1, x0=[[1.0], [3.0]], seed=0)
    >>> bool(sim.readout.consensus[-1] < 1e-24), round(float(sim.model_spread[-1]), 6)  # z -> 2; x -> y* 2
    (True, 0.444444)
    """
    from ..graphs.random import PushSum

    if not isinstance(push, PushSum):
        raise TypeError(f"push must be a PushSum (from topotheory.push_sum), got {type(push).__name__}")
    lr = check_real("lr", lr, low=0.0)
    d = check_int("d", d, minimum=1)
    steps = check_int("steps", steps, minimum=1)
    reps = check_int("reps", reps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    n, p = push.n, push.period
    X = np.repeat(start_point(x0, n, d)[:, None, :], reps, axis=1)  # (n, reps, d)
    y = push.weights(steps)
    rng = as_generator(seed)
    rloss = np.empty((reps, steps + 1))
    cons = np.empty(steps + 1)
    spread = np.empty(steps + 1)
    gap = np.empty(steps + 1)
    A = np.empty_like(X)
    s = np.empty((n, reps))
    G = np.empty_like(X)

    def record(t: int, X: np.ndarray) -> np.ndarray:
        Z = X / y[t][:, None, None]
        xbar = X.mean(axis=0)
        rloss[:, t] = 0.5 * np.einsum("ird,ird->r", Z, Z) / n
        cons[t] = np.sum((Z - xbar) ** 2) / (n * reps)
        spread[t] = np.sum((X - xbar) ** 2) / (n * reps)
        gap[t] = float(np.max(np.abs(np.einsum("i,ird->rd", y[t], Z) / n - xbar)))
        return Z

    with np.errstate(over="ignore", invalid="ignore"):
        Z = record(0, X)
        for t in range(steps):
            G.fill(0.0)
            for _ in range(batch_size):
                rng.standard_normal(out=A)
                np.einsum("ird,ird->ir", A, Z, out=s)
                G += A * s[:, :, None]
            X = (push.matrices[t % p] @ (X - (lr / batch_size) * G).reshape(n, -1)).reshape(n, reps, d)
            Z = record(t + 1, X)
    bad = ~np.isfinite(rloss) | (rloss > 1e300)
    hit = np.flatnonzero(bad.any(axis=0))
    diverged = hit.size > 0
    loss = rloss.mean(axis=0)
    sem = rloss.std(axis=0, ddof=1) / np.sqrt(reps) if reps > 1 else np.full(steps + 1, np.nan)
    if diverged:
        loss[hit[0]:] = np.inf
    readout = DSGDSimulation(
        scheme=push.name, n=n, d=d, lr=lr, batch_size=batch_size, steps=steps, reps=reps, period=p, seed=seed,
        chunk_size=reps, loss=loss, loss_sem=sem, consensus=cons, replica_loss=rloss if keep_replicas else None,
        diverged=diverged, diverged_step=int(hit[0]) if diverged else -1, n_diverged=int(bad.any(axis=1).sum()))
    return PushSumSimulation(readout, spread, gap, y)
