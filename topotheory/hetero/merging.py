r"""Exact theory of D-SGD on heterogeneous quadratics: merged vs local models (THEORY §5, §9.1).

On :math:`f_i(x) = \tfrac12 (x - b_i)^\top A_i (x - b_i)` with additive Gaussian gradient noise the
D-SGD iterates are jointly Gaussian, so their mean and covariance can be propagated exactly for any
deterministic sequence of gossip matrices :math:`W_t` (THEORY §9.1). Two update orders:

* ``"gradient_then_gossip"`` (default; the toy problem of §3 and the merging paper):
  :math:`X_{t+1} = W_t (X_t - \eta G_t)`, i.e. :math:`M_t = (W_t \otimes I_d)(I - \eta\,
  \mathrm{blkdiag}(A_i))`, forcing :math:`\eta (W_t \otimes I) \mathrm{vec}(A_i b_i)`, noise
  covariance :math:`\eta^2 W_t \Sigma_\sigma W_t^\top \otimes I_d`;
* ``"simultaneous"`` (paper §4, eq. 23): :math:`X_{t+1} = W_t X_t - \eta G_t`.

Reported per step (expectations, excess losses of the global objective
:math:`f = \frac1n\sum_i f_i`):

* ``merged_loss`` :math:`E f(\bar x) - f^\star` of the merged model :math:`\bar x = \frac1n\sum_i x_i`;
* ``local_loss`` :math:`\frac1n \sum_i E f(x_i) - f^\star`;
* ``consensus_distance`` :math:`\Xi^2 = E \frac1n \sum_i \|x_i - \bar x\|^2` (Kong et al.);
* ``weighted_consensus_distance`` :math:`E \frac1n\sum_i \|x_i - \bar x\|^2_{\bar A}`; the identity
  ``local_loss - merged_loss = weighted_consensus_distance / 2`` holds exactly (THEORY §9.1);
* ``merged_distance`` :math:`E\|\bar x - x^\star\|^2` and ``local_distance``
  :math:`\frac1n\sum_i E\|x_i - x^\star\|^2`.

Commuting Hessians (diagonal ones included) decouple into ``d`` independent ``n``-dimensional
problems, one per common eigen-direction: cost :math:`O(d n^3)` per gossip step and
:math:`O(d n^2)` per local step. Dense Hessians use the structured ``nd x nd`` covariance (cost
:math:`O(n^2 d^3 + n^3 d^2)` per step; practical up to ``n * d`` of about 2000).

A *schedule* is a :class:`~topotheory.scheme.Scheme` (periodic), any object with ``n`` and
``step_matrix(t)`` returning an ``(n, n)`` array or ``None`` for "no gossip" (the
:class:`~topotheory.schedules.GossipSchedule` of :mod:`topotheory.schedules`), or a sequence of
``(n, n)`` arrays / ``None``. Row-stochastic (not doubly stochastic) matrices are accepted.
"""

from __future__ import annotations

import dataclasses

from typing import Any

import numpy as np
import scipy.linalg as sla

from ..common.jsonable import jsonable
from ..common.results import Result
from ..common.rng import as_generator
from ..crosscheck.stats import Check, CheckReport, Diagnostics, decide, mean_band, replica_diagnostics
from ..simulate.engine import format_seed, root_seed, start_point
from ..common.validation import (check_array, check_bool, check_budget, check_choice, check_int,
                                 check_phase, check_real, renamed_keyword)
from ..graphs.scheme import check_scheme
from .exact import (ORDERS, CommutingState, check_common, check_problem, check_quadratic, check_x0,
                    exact_state, gossip_getter, state_bytes, to_stacked)
from ..simulate.algorithms import algorithm_run
from .algorithms import AlgorithmState, check_heterogeneous_algorithm
from .problems import HeterogeneousQuadratic
from ..common.rng import SeedLike

__all__ = [
    "ORDERS",
    "QUANTITIES",
    "MergingCurves",
    "propagate",
    "fixed_point",
    "stationary",
    "mean_map_rate",
    "heterogeneity",
    "mixing_parameter",
    "MergingSimulation",
    "simulate_merging",
    "simulate_centralized",
    "MergingCrosscheck",
    "crosscheck_merging",
]

#: The per-step quantities reported by :func:`propagate` and :func:`simulate_merging`.
QUANTITIES = (
    "merged_loss",
    "local_loss",
    "consensus_distance",
    "weighted_consensus_distance",
    "merged_distance",
    "local_distance",
)


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class _Curves(Result):
    """The recorded steps and one array per quantity of :data:`QUANTITIES`."""

    steps: np.ndarray
    merged_loss: np.ndarray
    local_loss: np.ndarray
    consensus_distance: np.ndarray
    weighted_consensus_distance: np.ndarray
    merged_distance: np.ndarray
    local_distance: np.ndarray


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class MergingCurves(_Curves):
    """Exact expected curves of :func:`propagate` (one value per recorded step).

    Attributes
    ----------
    steps : ndarray of int
        The recorded steps (0 = the start).
    merged_loss, local_loss, consensus_distance, weighted_consensus_distance, merged_distance, local_distance : ndarray
        See :mod:`topotheory.merging`.
    gossip_rounds : int
        Number of steps that used a gossip matrix other than the identity (up to the divergence).
    mean : ndarray, shape (n, d)
        The expected iterates after the last step (NaN once diverged).
    params : dict
        The parameters of the run (learning rate, steps, order, ...).
    diverged : ndarray of bool
        Per recorded step: the expected state overflowed (a quantity above :data:`DIVERGED_ABOVE`
        or not finite) at or before it; every quantity is NaN there. Divergence is NaN plus this
        flag, never an overflowed number.
    diverged_step : int
        First step at which the state overflowed, -1 if never.
    """

    gossip_rounds: int
    mean: np.ndarray
    params: dict
    diverged: np.ndarray | None = None
    diverged_step: int = -1

    def final(self) -> dict[str, float]:
        """The quantities after the last step, as a dict of floats."""
        return {q: float(getattr(self, q)[-1]) for q in QUANTITIES}


#: A propagated quantity above this (or not finite) counts as diverged (as in the simulators).
DIVERGED_ABOVE = 1e300


def propagate(problem: Any, schedule: Any, *, lr: float, steps: int, x0: Any = None,
              order: str = "gradient_then_gossip", record_every: int = 1, algorithm: str = "dsgd",
              **hyperparameters: Any) -> MergingCurves:
    r"""Exact expected merged/local losses and consensus distance of D-SGD (or another algorithm) on a quadratic.

    Propagates :math:`\mu_{t+1} = M_t \mu_t + c_t` and
    :math:`\Sigma_{t+1} = M_t \Sigma_t M_t^\top + N_t` (THEORY §9.1) from the deterministic start
    ``x0`` through the schedule, and evaluates the quantities of :data:`QUANTITIES` in closed form
    (e.g. :math:`E f(\bar x) - f^\star = \tfrac12 (\bar\mu - x^\star)^\top \bar A (\bar\mu - x^\star)
    + \tfrac12 \mathrm{tr}(\bar A\, \mathrm{Cov}\,\bar x)`).

    ``algorithm="gradient_tracking"`` or ``"exact_diffusion"`` propagates that algorithm's whole
    state (iterate, tracker, ...) instead, with the update rule of
    :mod:`topotheory.algorithms.registry` and the heterogeneous gradient
    :math:`g_i = A_i(x_i - b_i) + \sigma_i\xi_i` (:mod:`topotheory.hetero.algorithms`); the
    quantities are those of the iterate :math:`x`. Gradient tracking, for example, is
    :math:`x' = W_t x - \eta y`, :math:`y \leftarrow W_t y + g(x') - g(x)`, :math:`y(0) = g(x(0))`.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    schedule : Scheme, GossipSchedule or sequence of (n, n) arrays / None
        The gossip matrix of every step (``None``: no communication at that step).
    lr : float
        Learning rate :math:`\eta > 0`.
    steps : int
        Number of steps (>= 0).
    x0 : array_like, shape (d,) or (n, d), optional
        Start (default 0 for every worker).
    order : {"gradient_then_gossip", "simultaneous"}
        D-SGD's update order (``algorithm="dsgd"`` only).
    record_every : int
        Record every ``record_every``-th step (the last step is always recorded; a value above
        ``steps`` records only the start and the end).
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"``: the algorithms of
        :data:`topotheory.ALGORITHMS` made for heterogeneous data (others raise ValueError).
    **hyperparameters
        The algorithm's hyper-parameters by name (``combine="plain"`` for D²).

    Returns
    -------
    MergingCurves
        With ``diverged`` per recorded step: once the expected state overflows (a quantity above
        1e300 or not finite) the propagation stops and every later value is NaN, flagged.
        ``params`` records ``algorithm`` and ``hyperparameters``.

    Examples
    --------
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(8, 4, hessian_spread=0.5, seed=0)
    >>> c = propagate(p, ring(8), lr=0.2, steps=200)
    >>> round(float(c.local_loss[-1] - c.merged_loss[-1] - c.weighted_consensus_distance[-1] / 2), 12)
    0.0
    >>> q = p.with_noise(0.0)                         # no noise: gradient tracking reaches x*
    >>> gt = propagate(q, ring(8), lr=0.2, steps=600, algorithm="gradient_tracking")
    >>> bool(gt.local_distance[-1] < 1e-20), bool(propagate(q, ring(8), lr=0.2, steps=600).local_distance[-1] > 1e-3)
    (True, True)
    """
    check_quadratic(problem)
    lr, steps = check_common(lr, steps, order)
    alg, hp = check_heterogeneous_algorithm(algorithm, hyperparameters, order)
    record_every = check_int("record_every", record_every, minimum=1)
    comps = len(alg.state)
    block = 1 if alg.name == "dsgd" else comps * problem.n * (problem.d if problem.structure == "dense" else 1)
    check_budget({"steps": steps}, memory=state_bytes(problem, comps) + 8 * 8 * (steps // record_every + 2),
                 work=steps * state_bytes(problem, comps) * block // 8,
                 what=f"the exact propagation ({problem.structure} problem, {alg.title})")
    get = gossip_getter(schedule, problem.n, steps)
    start = check_x0(x0, problem.n, problem.d)
    eng = exact_state(problem, lr, order, start) if alg.name == "dsgd" else AlgorithmState(problem, lr, alg.name, hp, start)
    rec_steps, rows = [0], [eng.summary()]
    rounds, diverged_step = 0, -1
    for t in range(steps):
        W = get(t)
        rounds += W is not None
        with np.errstate(all="ignore"):
            eng.step(W)
            row = np.asarray(eng.summary(), dtype=float)
        if (t + 1) % record_every == 0 or t + 1 == steps:
            rec_steps.append(t + 1)
            rows.append(row)
        if not np.all(np.isfinite(row) & (np.abs(row) <= DIVERGED_ABOVE)):
            diverged_step = t + 1
            break
    if diverged_step >= 0:  # the recorded steps after the overflow: NaN
        later = [s for s in range(record_every, steps + 1, record_every) if s > diverged_step]
        if steps > diverged_step and steps % record_every:
            later.append(steps)
        rec_steps += later
        rows += [np.full(len(QUANTITIES), np.nan)] * len(later)
    cols = np.array(rows, dtype=float).T
    rec = np.array(rec_steps)
    flags = rec >= diverged_step if diverged_step >= 0 else np.zeros(len(rec), dtype=bool)
    cols[:, flags] = np.nan  # (a recorded step after diverged_step is flagged; diverged_step is exact)
    params = {"lr": lr, "steps": steps, "order": order, "n": problem.n, "d": problem.d,
              "structure": problem.structure, "schedule": getattr(schedule, "name", "custom"),
              "algorithm": alg.name, "hyperparameters": hp}
    mean = eng.mean_states() if diverged_step < 0 else np.full((problem.n, problem.d), np.nan)
    return MergingCurves(rec, **dict(zip(QUANTITIES, cols)), gossip_rounds=rounds, mean=mean, params=params, diverged=flags,
                         diverged_step=diverged_step)


# ------------------------------------------------------------------- fixed point and spectra
def _static_blocks(problem: Any, scheme: Any, lr: float, order: str, phase: int) -> Any:
    """Affine one-period map per block: list of (M (m, m), c (m,)) in the problem's basis."""
    scheme = check_scheme(scheme)
    phase = check_phase(phase, scheme.period)
    if scheme.n != problem.n:
        raise ValueError(f"scheme has n = {scheme.n} workers but the problem has n = {problem.n}")
    p, n, d = problem, problem.n, problem.d
    if p.structure == "dense":
        H = np.zeros((n * d, n * d))
        for i in range(n):  # block assembly; n blocks, not a hot path
            H[i * d:(i + 1) * d, i * d:(i + 1) * d] = p.hessians[i]
        hb = np.einsum("iab,ib->ia", p.hessians, p.optima).ravel()
        Ms, cs = [], []
        for s in range(scheme.period):
            WI = np.kron(scheme.matrix(s), np.eye(d))
            if order == "gradient_then_gossip":
                Ms.append(WI - lr * WI @ H)
                cs.append(lr * WI @ hb)
            else:
                Ms.append(WI - lr * H)
                cs.append(lr * hb)
        M_all, c_all = np.array(Ms)[:, None], np.array(cs)[:, None]  # one block
    else:
        eng = CommutingState(p, lr, order, np.zeros((n, d)))
        Ms, cs = [], []
        for s in range(scheme.period):
            W = np.asarray(scheme.matrix(s))
            if order == "gradient_then_gossip":
                Ms.append(W[None] * eng.damp[:, None, :])
                cs.append(eng.force @ W.T)
            else:
                Ms.append(W[None] - lr * eng.lam[:, None, :] * np.eye(n))
                cs.append(eng.force)
        M_all, c_all = np.array(Ms), np.array(cs)  # (period, blocks, m, m), (period, blocks, m)
    per = scheme.period
    M = np.broadcast_to(np.eye(M_all.shape[-1]), M_all.shape[1:]).copy()
    c = np.zeros(c_all.shape[1:])
    for s in range(phase - per, phase):
        M = M_all[s % per] @ M
        c = np.einsum("kij,kj->ki", M_all[s % per], c) + c_all[s % per]
    return M, c


def fixed_point(problem: Any, scheme: Any, *, lr: float, order: str = "gradient_then_gossip", phase: int = 0,
                algorithm: str = "dsgd", **hyperparameters: Any) -> np.ndarray:
    r"""The learning-rate dependent fixed point :math:`x^\star_\eta` of D-GD (THEORY §5, eq. 23).

    The noiseless iteration converges to the stacked iterate solving
    :math:`\eta\nabla F(X) + L_W X = 0` for ``order="simultaneous"`` (paper eq. 23), or
    :math:`X = W(X - \eta\nabla F(X))` for gradient-then-gossip. For a periodic scheme it is the
    fixed point of the one-period map at ``phase`` (state right after :math:`W_{\phi-1}`). Not a
    consensus: rows differ unless the data are identical or W averages exactly.

    For ``algorithm="gradient_tracking"`` or ``"exact_diffusion"`` the iterate part of the fixed
    point of that algorithm's mean map (taken on the subspace its invariant keeps the state in,
    :mod:`topotheory.hetero.algorithms`): :math:`x_i = x^\star` for every worker on every
    connected scheme — these algorithms have no topology-dependent bias (without communication,
    each worker's own optimum :math:`b_i`).

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        The gossip scheme (row convention ``X <- W X``).
    lr : float
        Learning rate :math:`\eta > 0`.
    order : {"gradient_then_gossip", "simultaneous"}
        Gradient step then gossip :math:`X \leftarrow W(X - \eta\nabla F)` (default), or both at once (paper eq. 23).
    phase : int
        Position in the period at which the fixed point is taken (state right after :math:`W_{\phi-1}`).
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"`` (see :func:`propagate`).
    **hyperparameters
        The algorithm's hyper-parameters by name.

    Returns
    -------
    ndarray, shape (n, d)

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import fully_connected, random_quadratic, ring
    >>> p = random_quadratic(4, 3, hessian_spread=0.0, seed=1)
    >>> X = fixed_point(p, fully_connected(4), lr=0.3)
    >>> bool(np.allclose(X, p.x_star))      # identical Hessians + exact averaging: x*_eta = x*
    True
    >>> q = random_quadratic(6, 2, hessian_spread=0.8, seed=1)
    >>> bool(np.allclose(fixed_point(q, ring(6), lr=0.3, algorithm="gradient_tracking"), q.x_star))
    True
    """
    check_quadratic(problem)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_choice("order", order, ORDERS)
    alg, hp = check_heterogeneous_algorithm(algorithm, hyperparameters, order)
    if alg.name != "dsgd":
        eng = AlgorithmState(problem, lr, alg.name, hp, np.zeros((problem.n, problem.d)))
        eng.stationary(scheme, phase, covariance=False)
        return eng.mean_states()
    M, c = _static_blocks(problem, scheme, lr, order, phase)
    eye = np.eye(M.shape[-1])
    try:
        x = np.linalg.solve(eye - M, c[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise ValueError(f"lr = {lr!r}: the one-period map has eigenvalue 1 (no unique fixed point at this lr)") from None
    return to_stacked(problem, x)


def mean_map_rate(problem: Any, scheme: Any, *, lr: float, order: str = "gradient_then_gossip",
                  algorithm: str = "dsgd", **hyperparameters: Any) -> tuple[float, float]:
    r"""Spectral radius per step :math:`\rho` of the mean map and the rate :math:`r = 1 - \rho^2`.

    :math:`\rho = \rho(M_{p-1}\cdots M_0)^{1/p}` with :math:`M_t` as in :mod:`topotheory.merging`.
    With additive noise the mean converges like :math:`\rho^t` and the covariance to its stationary
    value like :math:`\rho^{2t}`: squared distances to the stationary law decay at rate
    :math:`r = 1 - \rho^2` (NaN when :math:`\rho \ge 1`, i.e. divergence). For another
    ``algorithm``, :math:`M_t` is the map of its whole state, restricted to the subspace its
    invariant keeps the state in (:mod:`topotheory.hetero.algorithms`).

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        The gossip scheme (row convention ``X <- W X``).
    lr : float
        Learning rate :math:`\eta > 0`.
    order : {"gradient_then_gossip", "simultaneous"}
        Gradient step then gossip :math:`X \leftarrow W(X - \eta\nabla F)` (default), or both at once (paper eq. 23).
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"`` (see :func:`propagate`).
    **hyperparameters
        The algorithm's hyper-parameters by name.

    Returns
    -------
    (rho, rate) : tuple of float

    Examples
    --------
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(4, 2, hessian_spread=0.0, eigenvalue_range=(0.5, 0.5), seed=0)
    >>> [round(v, 12) for v in mean_map_rate(p, ring(4), lr=0.2)]   # identical data: 1 - lr*0.5
    [0.9, 0.19]
    """
    check_quadratic(problem)
    scheme = check_scheme(scheme)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_choice("order", order, ORDERS)
    alg, hp = check_heterogeneous_algorithm(algorithm, hyperparameters, order)
    if alg.name != "dsgd":
        rho = AlgorithmState(problem, lr, alg.name, hp, np.zeros((problem.n, problem.d))).stationary(
            scheme, covariance=False)
        return rho, (1.0 - rho**2 if rho < 1 else float("nan"))
    M, _ = _static_blocks(problem, scheme, lr, order, 0)
    rho = float(np.max(np.abs(np.linalg.eigvals(M)))) ** (1.0 / scheme.period)
    return rho, (1.0 - rho**2 if rho < 1 else float("nan"))


def stationary(problem: Any, scheme: Any, *, lr: float, order: str = "gradient_then_gossip", phase: int = 0,
               algorithm: str = "dsgd", **hyperparameters: Any) -> dict[str, Any]:
    r"""Stationary expectations of :data:`QUANTITIES` (discrete Lyapunov solve, any periodic scheme).

    Mean: the fixed point :math:`x^\star_\eta` of the one-period map at ``phase``
    (:func:`fixed_point`). Covariance: :math:`\Sigma = P\Sigma P^\top + N_P` with :math:`P` the
    one-period product of the :math:`M_t` and :math:`N_P` the noise covariance accumulated over
    one period from zero (for a static scheme :math:`\Sigma = M\Sigma M^\top + N`); solved per
    eigen-direction for commuting Hessians. Returns a dict with the six quantities, plus
    ``"bias_distance"`` :math:`\frac1n\|x^\star_\eta - 1 x^{\star\top}\|_F^2` (squared distance of
    the fixed point to the optimum), ``"noise_distance"`` :math:`\frac1n\sum_i E\|x_i -
    x^\star_{\eta,i}\|^2` (distance to the fixed point; ``local_distance`` = bias + noise),
    ``"rho"``, ``"rate"`` (:func:`mean_map_rate`) and ``"diverges"``; every value is NaN (and
    ``"diverges"`` True) when :math:`\rho \ge 1`. Another ``algorithm``: the same from the fixed
    point and the Lyapunov solve of its whole state on its invariant subspace
    (:mod:`topotheory.hetero.algorithms`); ``bias_distance`` is then zero for gradient tracking
    and exact diffusion on every connected scheme.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        The gossip scheme (row convention ``X <- W X``).
    lr : float
        Learning rate :math:`\eta > 0`.
    order : {"gradient_then_gossip", "simultaneous"}
        Gradient step then gossip :math:`X \leftarrow W(X - \eta\nabla F)` (default), or both at once (paper eq. 23).
    phase : int
        Position in the period at which the fixed point is taken (state right after :math:`W_{\phi-1}`).
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"`` (see :func:`propagate`).
    **hyperparameters
        The algorithm's hyper-parameters by name.

    Returns
    -------
    dict
        The six quantities and ``bias_distance``, ``noise_distance``, ``rho``, ``rate``, ``diverges``.

    Examples
    --------
    >>> from topotheory import fully_connected, random_quadratic
    >>> p = random_quadratic(4, 3, hessian_spread=0.0, optima_spread=1.0, noise=0.0, seed=0)
    >>> round(stationary(p, fully_connected(4), lr=0.2)["merged_loss"], 12)
    0.0
    """
    check_quadratic(problem)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_choice("order", order, ORDERS)
    alg, hp = check_heterogeneous_algorithm(algorithm, hyperparameters, order)
    scheme = check_scheme(scheme)
    phase = check_phase(phase, scheme.period)
    if alg.name != "dsgd":
        state = AlgorithmState(problem, lr, alg.name, hp, np.zeros((problem.n, problem.d)))
        rho = state.stationary(scheme, phase)
    else:
        rho, _ = mean_map_rate(problem, scheme, lr=lr, order=order)
    if not rho < 1:
        out = {q: float("nan") for q in QUANTITIES + ("bias_distance", "noise_distance")}
        out.update(rho=rho, rate=float("nan"), diverges=True)
        return out
    if alg.name != "dsgd":
        return _stationary_dict(problem, state.summary(), state.mean_states(), rho)
    M, c = _static_blocks(problem, scheme, lr, order, phase)
    try:
        mean = np.linalg.solve(np.eye(M.shape[-1]) - M, c[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise ValueError(f"lr = {lr!r}: the one-period map has eigenvalue 1 in floating point (lr too small for "
                         "a unique stationary state); choose a larger lr") from None
    n, d = problem.n, problem.d
    X = to_stacked(problem, mean)
    eng = exact_state(problem, lr, order, X)
    for s in range(phase - scheme.period, phase):  # noise accumulated over one period, from zero
        W = np.asarray(scheme.matrix(s % scheme.period))
        eng.step(None if np.array_equal(W, np.eye(n)) else W)
    if problem.structure == "dense":
        S = sla.solve_discrete_lyapunov(M[0], eng.S.reshape(n * d, n * d)).reshape(n, d, n, d)
        S = 0.5 * (S + S.transpose(2, 3, 0, 1))
    else:
        S = np.array([sla.solve_discrete_lyapunov(Mk, Nk) for Mk, Nk in zip(M, eng.S)])
        S = 0.5 * (S + np.swapaxes(S, 1, 2))
    eng = exact_state(problem, lr, order, X)
    eng.S = S
    return _stationary_dict(problem, eng.summary(), X, rho)


def _stationary_dict(problem: Any, summary: Any, X: np.ndarray, rho: float) -> dict[str, Any]:
    """The dict of :func:`stationary` from the stationary quantities and the fixed point ``X``."""
    out = dict(zip(QUANTITIES, (float(v) for v in summary)))
    bias = float(np.sum((X - problem.x_star) ** 2) / problem.n)
    out.update(bias_distance=bias, noise_distance=out["local_distance"] - bias, rho=rho, rate=1.0 - rho**2,
               diverges=False)
    return out


# ------------------------------------------------------------------------ heterogeneity (§5)
def _laplacian_pinv(scheme: Any, n: int) -> np.ndarray:
    scheme = check_scheme(scheme)
    if scheme.n != n:
        raise ValueError(f"scheme has n = {scheme.n} workers but the problem has n = {n}")
    if not (scheme.is_static and scheme.is_symmetric):
        raise ValueError("heterogeneity measures need a static symmetric scheme (L_W^+ is a norm only then)")
    return np.linalg.pinv(np.eye(scheme.n) - np.asarray(scheme.matrix(0)), hermitian=True)


def _grad_at(problem: Any, X: Any) -> np.ndarray:
    return problem.gradients(X)


def heterogeneity(problem: Any, scheme: Any) -> float:
    r"""Heterogeneity :math:`\Delta_W^2 = \|\nabla F(x^\star)\|^2_{L_W^\dagger}` (THEORY §5).

    :math:`\nabla F(x^\star)` is the ``(n, d)`` matrix of local gradients at the global optimum
    (rows sum to zero) and :math:`\|G\|^2_{L^\dagger} = \mathrm{tr}(G^\top L_W^\dagger G)` with
    :math:`L_W = I - W` (sum over workers, no 1/n). Needs a static symmetric scheme.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        Static and symmetric.

    Returns
    -------
    float
        :math:`\Delta_W^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import HeterogeneousQuadratic, fully_connected
    >>> p = HeterogeneousQuadratic(np.ones((2, 1)), [[-1.0], [1.0]])
    >>> heterogeneity(p, fully_connected(2))    # G = [[1], [-1]], L = I - J has L^+ = L
    2.0
    """
    check_problem(problem)
    Lp = _laplacian_pinv(scheme, problem.n)
    G = _grad_at(problem, np.broadcast_to(problem.x_star, (problem.n, problem.d)))
    return float(np.einsum("ia,ij,ja->", G, Lp, G))


def mixing_parameter(problem: Any, scheme: Any, lrs: Any, *, order: str = "simultaneous") -> tuple[float, np.ndarray]:
    r"""The heterogeneity mixing parameter :math:`p` of THEORY §5.

    :math:`p^{-1} = \max_\eta \|L_W^\dagger \nabla F(x^\star_\eta)\|^2 /
    \|\nabla F(x^\star_\eta)\|^2_{L_W^\dagger}`, the maximum taken over the learning rates ``lrs``
    (fixed point of eq. 23, ``order="simultaneous"``, by default). Always
    :math:`p \ge 1 - \lambda_2`; equality when the gradients at :math:`x^\star_\eta` lie in the slowest
    mode.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    scheme : Scheme
        Static and symmetric.
    lrs : array_like
        Learning rates over which the maximum is taken.
    order : {"simultaneous", "gradient_then_gossip"}
        Which fixed point (default that of eq. 23).

    Returns
    -------
    p : float
    ratios : ndarray
        The ratio for every learning rate (NaN where the gradients vanish).

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(8, 2, hessian_spread=0.5, seed=0)
    >>> val, _ = mixing_parameter(p, ring(8), [0.05, 0.1])
    >>> bool(val >= 1 - ring(8).eigenvalues()[1] - 1e-12)
    True
    """
    check_quadratic(problem)
    Lp = _laplacian_pinv(scheme, problem.n)
    lrs = np.atleast_1d(check_array("lrs", lrs, low=0.0, low_open=True, min_size=1))
    ratios = []
    for lr in lrs:
        G = _grad_at(problem, fixed_point(problem, scheme, lr=float(lr), order=order))
        G = G - G.mean(0)  # L^+ ignores the consensus part; project it out of both norms
        LG = Lp @ G
        den = float(np.sum(G * LG))
        ratios.append(float(np.sum(LG * LG)) / den if den > 1e-300 else float("nan"))
    r = np.array(ratios)
    return (1.0 / float(np.nanmax(r)) if np.any(np.isfinite(r)) else float("nan")), r


# ------------------------------------------------------------------------------ Monte Carlo
@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class MergingSimulation(_Curves):
    """Per-replica Monte Carlo values of :data:`QUANTITIES`, each of shape ``(len(steps), reps)``.

    ``weighted_consensus_distance`` is NaN for problems without a mean Hessian (logistic).
    ``merged_models`` holds the merged model per recorded step, ``(len(steps), reps, d)``, when
    requested. ``diverged`` flags replicas that overflowed (their values are NaN).

    Attributes
    ----------
    steps : ndarray of int
        The recorded steps (0 = the start).
    merged_loss, local_loss, consensus_distance, weighted_consensus_distance, merged_distance, local_distance : ndarray
        Per recorded step and replica, shape ``(len(steps), reps)`` (see :mod:`topotheory.merging`).
    merged_models : ndarray or None
        The merged model per recorded step and replica, ``(len(steps), reps, d)``, when requested.
    diverged : ndarray of bool
        Per replica: its state overflowed (its values are NaN).
    params : dict
        The simulation's parameters (learning rate, steps, replicas, seed, ...).
    """

    merged_models: np.ndarray | None
    diverged: np.ndarray
    params: dict

    def mean(self, quantity: str) -> np.ndarray:
        """Replica mean of ``quantity`` per recorded step."""
        return getattr(self, check_choice("quantity", quantity, QUANTITIES)).mean(axis=1)

    def summary(self, *, confidence: float | None = 0.99, level: float | None = None) -> Any:
        """Final-step MC estimate and Student-t ``confidence`` interval per quantity (any problem class).

        ``level`` is the old name of ``confidence`` (accepted with a DeprecationWarning).

        Returns a list of dicts ``{"quantity", "mc", "ci_low", "ci_high", "reps"}`` -- the MC half
        of a :class:`MergingCrosscheck` row, also for logistic regression where no exact value
        exists.
        """
        level = check_real("confidence", renamed_keyword("confidence", confidence, "level", level, 0.99),
                           low=0.0, high=1.0, low_open=True, high_open=True)
        rows = []
        for q in QUANTITIES:
            mu, _, half = mean_band(getattr(self, q)[-1], level=level)
            rows.append({"quantity": q, "mc": float(mu), "ci_low": float(mu - half),
                         "ci_high": float(mu + half), "reps": int(np.sum(~self.diverged))})
        return rows


def _mc_summary(problem: Any, X: Any, x_star: Any) -> tuple[np.ndarray, ...]:
    xbar = X.mean(axis=1)
    dev = X - xbar[:, None, :]
    merged = problem.excess_loss(xbar)
    local = problem.excess_loss(X).mean(axis=1)
    cons = np.sum(dev * dev, axis=(1, 2)) / problem.n
    if isinstance(problem, HeterogeneousQuadratic):
        wcons = np.sum((dev @ problem.mean_hessian) * dev, axis=(1, 2)) / problem.n
    else:
        wcons = np.full(X.shape[0], np.nan)
    e = X - x_star
    return merged, local, cons, wcons, np.sum((xbar - x_star) ** 2, axis=1), np.sum(e * e, axis=(1, 2)) / problem.n


def simulate_merging(problem: Any, schedule: Any, *, lr: float, steps: int, reps: int, x0: Any = None,
                     seed: SeedLike = None, order: str = "gradient_then_gossip", batch_size: int = 1,
                     record_every: int = 1, keep_merged: bool = False, algorithm: str = "dsgd",
                     **hyperparameters: Any) -> MergingSimulation:
    r"""Monte Carlo of D-SGD (or another algorithm) on a heterogeneous problem, reporting the quantities of :func:`propagate`.

    ``reps`` independent replicas, vectorized as a ``(reps, n, d)`` array; stochastic gradients
    from ``problem.stochastic_gradients`` (fresh noise per worker, replica and step; mini-batches
    of ``batch_size`` samples for logistic regression); then gossip ``X <- W_t X`` (any
    row-stochastic matrix). Same seed, same numbers: :func:`simulate_centralized` consumes the
    identical random stream (common random numbers).

    ``algorithm="gradient_tracking"`` or ``"exact_diffusion"`` runs that algorithm's pseudo-code
    (the simulator of :func:`topotheory.simulate_algorithm`, :func:`topotheory.simulate.algorithms.algorithm_run`)
    with the problem's stochastic gradients: the independent route to :func:`propagate` with the
    same ``algorithm``. It draws the gradients in the order its rule does (gradient tracking draws
    one before the first step), so its stream differs from D-SGD's.

    Parameters
    ----------
    problem : HeterogeneousQuadratic or LogisticProblem
        The heterogeneous problem.
    schedule : Scheme, GossipSchedule or sequence of matrices
        The gossip matrices, step by step (any row-stochastic matrices).
    lr : float
        Learning rate :math:`\eta > 0`.
    steps : int
        Number of steps.
    reps : int
        Independent replicas.
    x0 : array_like, shape (d,) or (n, d), optional
        Start (default 0).
    seed : None, int, SeedSequence or numpy.random.Generator
        Seed of the noise (normalised in :mod:`topotheory.common.rng`).
    order : {"gradient_then_gossip", "simultaneous"}
        Gradient step then gossip :math:`X \leftarrow W(X - \eta\nabla F)` (default), or both at once (paper eq. 23).
    batch_size : int
        Samples per stochastic gradient (logistic regression).
    record_every : int
        Record the quantities every this many steps (and at the last).
    keep_merged : bool
        Keep the merged model of every replica at every recorded step.
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"`` (see :func:`propagate`).
    **hyperparameters
        The algorithm's hyper-parameters by name.

    Returns
    -------
    MergingSimulation

    Examples
    --------
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(4, 2, seed=0)
    >>> sim = simulate_merging(p, ring(4), lr=0.1, steps=50, reps=200, seed=0)
    >>> sim.merged_loss.shape
    (51, 200)
    """
    check_problem(problem)
    lr, steps = check_common(lr, steps, order)
    alg, hp = check_heterogeneous_algorithm(algorithm, hyperparameters, order)
    reps = check_int("reps", reps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    record_every = check_int("record_every", record_every, minimum=1)
    keep_merged = check_bool("keep_merged", keep_merged)
    check_budget({"reps": reps, "steps": steps},
                 memory=8 * reps * ((4 + 2 * len(alg.state)) * problem.n * problem.d
                                    + (steps // record_every + 2) * (len(QUANTITIES) + keep_merged * problem.d)),
                 work=reps * steps * problem.n * problem.d * (problem.d if problem.structure == "dense" else 1),
                 what=f"the Monte Carlo of {problem.n} workers")
    get = gossip_getter(schedule, problem.n, steps)
    seed, record = root_seed(seed)
    rng = as_generator(seed)
    start = check_x0(x0, problem.n, problem.d)
    X = np.broadcast_to(start, (reps, problem.n, problem.d)).copy()
    x_star = problem.x_star
    rec, rows = [0], [_mc_summary(problem, X, x_star)]
    models = [X.mean(1)] if keep_merged else []
    with np.errstate(over="ignore", invalid="ignore"):
        run = None if alg.name == "dsgd" else _algorithm_run(problem, alg.name, hp, get, steps, rng, start, reps, lr,
                                                             batch_size)
        for t in range(steps):
            if run is not None:
                run.step(t)
                X = np.swapaxes(run.x, 0, 1)
            else:
                W = get(t)
                G = problem.stochastic_gradients(X, rng, batch_size=batch_size)
                if order == "gradient_then_gossip":
                    X = X - lr * G
                    if W is not None:
                        X = W @ X
                else:
                    X = (X if W is None else W @ X) - lr * G
            if (t + 1) % record_every == 0 or t + 1 == steps:
                rec.append(t + 1)
                rows.append(_mc_summary(problem, X, x_star))
                if keep_merged:
                    models.append(X.mean(1))
    arr = np.array(rows, dtype=float)  # (T, 6, reps)
    diverged = ~np.all(np.isfinite(arr[:, :3]), axis=(0, 1))  # column 3 is NaN by design for logistic
    arr[:, :, diverged] = np.nan
    params = {"lr": lr, "steps": steps, "reps": reps, "order": order, "batch_size": batch_size,
              "seed": record,
              "schedule": getattr(schedule, "name", "custom"), "algorithm": alg.name, "hyperparameters": hp}
    return MergingSimulation(np.array(rec), **dict(zip(QUANTITIES, arr.transpose(1, 0, 2))),
                             merged_models=np.array(models) if keep_merged else None,
                             diverged=diverged, params=params)


class _StepPlan:
    """The gossip plan of :func:`topotheory.simulate.algorithms.algorithm_run` for any schedule: step ``t``'s matrix."""

    def __init__(self, get: Any, steps: int) -> None:
        self.get, self.steps = get, max(steps, 1)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, t: int) -> tuple[str, Any]:
        W = self.get(t)
        return ("identity", None) if W is None else ("dense", np.ascontiguousarray(W, dtype=float))


def _algorithm_run(problem: Any, name: str, hp: dict[str, Any], get: Any, steps: int, rng: np.random.Generator,
                   start: np.ndarray, reps: int, lr: float, batch_size: int) -> Any:
    """The pseudo-code run of ``name`` on ``reps`` replicas with the problem's stochastic gradients."""

    def gradient(X: np.ndarray, g: np.random.Generator) -> np.ndarray:  # X: (n, reps, d)
        return np.swapaxes(problem.stochastic_gradients(np.swapaxes(X, 0, 1), g, batch_size=batch_size), 0, 1)

    return algorithm_run(name, hp, _StepPlan(get, steps), rng, start, reps, lr, gradient=gradient)


def simulate_centralized(problem: Any, *, lr: float, steps: int, reps: int, x0: Any = None, seed: SeedLike = None,
                         batch_size: int = 1) -> np.ndarray:
    r"""Centralized mini-batch SGD on the same random numbers as :func:`simulate_merging`.

    :math:`x \leftarrow x - \eta \frac1n\sum_i g_i(x)` where :math:`g_i` are the workers' stochastic
    gradients, all evaluated at the common iterate and drawn from the same stream as the
    decentralized simulation with the same seed. Returns the iterates, shape
    ``(steps + 1, reps, d)``. ``x0`` of shape (d,) (default 0).

    Parameters
    ----------
    problem : HeterogeneousQuadratic or LogisticProblem
        The heterogeneous problem.
    lr : float
        Learning rate :math:`\eta > 0`.
    steps : int
        Number of steps.
    reps : int
        Independent replicas.
    x0 : array_like, shape (d,), optional
        Start (default 0).
    seed : None, int, SeedSequence or numpy.random.Generator
        Seed of the noise (normalised in :mod:`topotheory.common.rng`).
    batch_size : int
        Samples per stochastic gradient (logistic regression).

    Returns
    -------
    ndarray, shape (steps + 1, reps, d)
        The iterates.

    Examples
    --------
    >>> from topotheory import random_quadratic
    >>> p = random_quadratic(4, 2, noise=0.0, seed=0)
    >>> xs = simulate_centralized(p, lr=0.5, steps=400, reps=1, seed=0)
    >>> bool(np.allclose(xs[-1, 0], p.x_star))
    True
    """
    check_problem(problem)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    steps = check_int("steps", steps, minimum=0)
    reps = check_int("reps", reps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_budget({"reps": reps, "steps": steps}, memory=8 * reps * (6 * problem.n * problem.d + (steps + 1) * problem.d),
                 work=reps * steps * problem.n * problem.d * (problem.d if problem.structure == "dense" else 1),
                 what=f"the centralized Monte Carlo of {problem.n} workers")
    rng = as_generator(root_seed(seed)[0])
    x = np.broadcast_to(start_point(x0, problem.n, problem.d, default="zero", per_worker=False),
                        (reps, problem.d)).copy()
    out = [x]
    for _ in range(steps):
        X = np.broadcast_to(x[:, None, :], (reps, problem.n, problem.d))
        x = x - lr * problem.stochastic_gradients(X, rng, batch_size=batch_size).mean(axis=1)
        out.append(x)
    return np.array(out)


# ------------------------------------------------------------------------------- crosscheck
@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class MergingCrosscheck(CheckReport):
    """Exact recursion vs Monte Carlo, quantity by quantity, judged by the one agreement rule.

    For every quantity: the exact final value, the MC estimate with its ``level`` interval
    (Student-t over replicas, Bonferroni over the quantities), the fraction of recorded steps at
    which the exact curve lies inside the simultaneous bands (Bonferroni over the recorded steps
    and quantities at family level ``band``), and whether it agrees. ``verdict`` comes from
    :func:`topotheory.crosscheck.stats.decide`; ``agrees`` is True only for ``"agrees"``.

    Attributes
    ----------
    exact : MergingCurves
        The exact expected curves (:func:`propagate`).
    simulation : MergingSimulation
        The Monte Carlo run (:func:`simulate_merging`).
    rows : list of dict
        One row per quantity: exact and MC final values, interval, band coverage, agreement.
    level : float
        Confidence level of the final-value intervals.
    band : float
        Family level of the simultaneous bands.
    reps, steps : int
        Replicas and steps of the simulation.
    seed : object
        The seed, as recorded.
    verdict : str
        The verdict of the one agreement rule (:func:`topotheory.crosscheck.stats.decide`).
    reason : str
        Why, in words.
    diagnostics : Diagnostics
        Replica diagnostics of the worst quantity.
    """

    exact: MergingCurves
    simulation: MergingSimulation
    rows: list
    level: float
    band: float
    reps: int
    steps: int
    seed: object
    verdict: str
    reason: str
    diagnostics: Diagnostics

    def to_dict(self, *, curves: bool = True) -> dict[str, Any]:
        """JSON-ready: the per-quantity rows and (``curves=True``) exact curve, MC mean and bands."""
        out: dict[str, Any] = {"reps": self.reps, "steps": self.steps, "seed": self.seed, "level": self.level,
               "band": self.band,
               "agrees": self.agrees, "verdict": self.verdict, "reason": self.reason, "settle": self.settle,
               "diagnostics": self.diagnostics.to_dict(), "quantities": [dict(r) for r in self.rows]}
        if curves:
            out["curves"] = {"t": self.exact.steps.tolist()}
            T = len(self.exact.steps)
            for q in QUANTITIES:
                mu, _, half = mean_band(getattr(self.simulation, q).T, level=self.band, points=T * len(QUANTITIES))
                out["curves"][q] = {"exact": getattr(self.exact, q).tolist(), "monte_carlo": mu.tolist(),
                                    "band_low": (mu - half).tolist(), "band_high": (mu + half).tolist()}
        return jsonable(out)

    def _body(self) -> list[str]:
        head = (f"merging crosscheck: {self.reps} replicas x {self.steps} steps, seed {format_seed(self.seed)}, "
                f"{self.level:.0%} intervals -> {'AGREE' if self.agrees else self.verdict.upper()}")
        cols = ("quantity", "theory", "mc", "ci_low", "ci_high", "coverage", "agrees")
        lines = [head, "  ".join(f"{c:>14}" for c in cols)]
        for r in self.rows:
            vals = [r["quantity"]] + [f"{r[c]:.6g}" for c in cols[1:6]] + [str(r["agrees"])]
            lines.append("  ".join(f"{v:>14}" for v in vals))
        return lines + self._verdict_lines()


def crosscheck_merging(problem: Any, schedule: Any, *, lr: float, steps: int, reps: int, x0: Any = None,
                       seed: SeedLike = None, order: str = "gradient_then_gossip", confidence: float | None = None,
                       min_coverage: float = 1.0, record_every: int = 1, band: float = 0.999,
                       level: float | None = None, algorithm: str = "dsgd", **hyperparameters: Any) -> MergingCrosscheck:
    r"""Check :func:`propagate` against :func:`simulate_merging` on the same schedule.

    With ``algorithm="gradient_tracking"`` or ``"exact_diffusion"`` both routes run that algorithm:
    the exact mean/covariance propagation of its declared recursion against its pseudo-code
    simulator with the problem's stochastic gradients.

    Statistics of :mod:`topotheory.crosscheck.stats`. For every quantity of :data:`QUANTITIES`:

    * the final value: the exact value must lie in :math:`\hat\mu \pm q\,\hat\sigma/\sqrt R`,
      ``q`` the Student-t quantile at level ``confidence`` Bonferroni-corrected over the 6 quantities
      (evidence);
    * the curve: the exact curve must lie inside the bands at family level ``band``,
      Bonferroni-corrected over the recorded steps and quantities, at a fraction
      ``>= min_coverage`` of the recorded steps (default: all).

    The replica diagnostics (effective sample size, largest share, tail) are those of the worst
    non-negative quantity at the recorded steps; the verdict follows the one agreement rule (a
    failure is robust when the final exact value is further from the MC mean than heavy tails can
    cause, :meth:`topotheory.crosscheck.stats.Diagnostics.tail_can_explain`).

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.
    schedule : Scheme, GossipSchedule or sequence of matrices
        The gossip matrices, step by step (a scheme repeats its period).
    lr, steps
        As in :func:`propagate`.
    reps : int
        Monte Carlo replicas.
    x0
        As in :func:`propagate`.
    seed : None, int, SeedSequence or numpy.random.Generator
        Never advanced (a copy is used); recorded in the report.
    order
        As in :func:`propagate`.
    confidence : float
        Confidence level of the final-value intervals (default 0.99; ``level`` is its old name,
        accepted with a DeprecationWarning).
    min_coverage : float
        Required fraction of recorded steps inside the simultaneous bands (default 1).
    record_every
        As in :func:`propagate`.
    band : float
        Family level of the simultaneous curve bands (default 0.999).
    level : float, optional
        Old name of ``confidence`` (accepted with a DeprecationWarning).
    algorithm : str
        ``"dsgd"`` (default), ``"gradient_tracking"`` or ``"exact_diffusion"`` (see :func:`propagate`).
    **hyperparameters
        The algorithm's hyper-parameters by name.

    Returns
    -------
    MergingCrosscheck

    Examples
    --------
    >>> from topotheory import ring, random_quadratic
    >>> p = random_quadratic(4, 2, hessian_spread=0.5, seed=0)
    >>> rep = crosscheck_merging(p, ring(4), lr=0.1, steps=40, reps=400, seed=1)
    >>> rep.agrees, rep.verdict
    (True, 'agrees')
    >>> crosscheck_merging(p, ring(4), lr=0.1, steps=40, reps=400, seed=1, algorithm="gradient_tracking").verdict
    'agrees'
    """
    check_quadratic(problem)
    level = check_real("confidence", renamed_keyword("confidence", confidence, "level", level, 0.99),
                       low=0.0, high=1.0, low_open=True, high_open=True)
    band = check_real("band", band, low=0.0, high=1.0, low_open=True, high_open=True)
    min_coverage = check_real("min_coverage", min_coverage, low=0.0, high=1.0)
    seed, record = root_seed(seed)
    exact = propagate(problem, schedule, lr=lr, steps=steps, x0=x0, order=order, record_every=record_every,
                      algorithm=algorithm, **hyperparameters)
    sim = simulate_merging(problem, schedule, lr=lr, steps=steps, reps=reps, x0=x0, seed=seed, order=order,
                           record_every=record_every, algorithm=algorithm, **hyperparameters)
    return judge_merging(exact, sim, level=level, band=band, min_coverage=min_coverage, seed=record)


def judge_merging(exact: MergingCurves, sim: MergingSimulation, *, level: float, band: float, min_coverage: float,
                  seed: Any) -> MergingCrosscheck:
    """The verdict of :func:`crosscheck_merging` on exact curves and a simulation of the same run.

    Package-internal: the one comparison of the merging quantities (tests plant faults through it).
    """
    reps, steps = sim.merged_loss.shape[1], int(exact.steps[-1])
    record = seed
    T, Q = len(exact.steps), len(QUANTITIES)
    rows, found, diags = [], [], []
    for q in QUANTITIES:
        vals = getattr(sim, q).T  # (reps, T)
        mu, se, half = mean_band(vals, level=band, points=T * Q)
        _, _, fhalf = mean_band(vals[:, -1], level=level, points=Q)
        th = getattr(exact, q)
        tol = 1e-12 * np.maximum(1.0, np.abs(th))  # deterministic points (e.g. the start) have se = 0
        inside = np.abs(th - mu) <= half + tol
        coverage = float(inside.mean())
        final_in = bool(abs(th[-1] - mu[-1]) <= fhalf + tol[-1])
        ok = bool(final_in and coverage >= min_coverage)
        rows.append({"quantity": q, "theory": float(th[-1]), "mc": float(mu[-1]),
                     "ci_low": float(mu[-1] - fhalf), "ci_high": float(mu[-1] + fhalf),
                     "coverage": coverage, "agrees": ok})
        found.append((q, final_in, coverage, th[-1], mu[-1], fhalf))
        if np.all(vals[np.isfinite(vals)] >= 0):
            diags.append(replica_diagnostics(vals[:, 1:] if T > 1 else vals))
    diag = min(diags, key=lambda d: (d.passed, d.ess)) if diags else replica_diagnostics(np.ones(max(reps, 1)))
    checks = []
    for q, final_in, coverage, th_last, mu_last, fhalf in found:
        beyond = not diag.tail_can_explain(th_last / mu_last) if th_last > 0 and mu_last > 0 else False
        checks.append(Check(f"{q} final value", final_in, robust=beyond,
                            detail=f"exact {th_last:.6g} outside [{mu_last - fhalf:.6g}, {mu_last + fhalf:.6g}]"))
        checks.append(Check(f"{q} curve bands", coverage >= min_coverage, robust=beyond,
                            detail=f"{coverage:.0%} of the steps inside (required {min_coverage:.0%})"))
    verdict, reason = decide(checks, diag)
    return MergingCrosscheck(exact, sim, rows, level, band, reps, steps, record, verdict, reason, diag)
