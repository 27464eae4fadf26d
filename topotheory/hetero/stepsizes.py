r"""Per-agent step sizes with exact averaging vs centralized gradient descent (THEORY §9.2).

Chen, Wang & Wang (2026) observe that distributing the data over agents can *accelerate*: each
agent steps :math:`\alpha_i = 1/L_i` on its own objective and the results are averaged exactly,

.. math:: x_{t+1} = \frac1n \sum_i \big(x_t - \alpha_i \nabla f_i(x_t)\big),

whereas centralized gradient descent on :math:`f = \frac1n\sum_i f_i` uses one step for all. Since
:math:`\mathrm{mean}(1/L_i) \ge 1/\mathrm{mean}(L_i)`, flat agents take larger steps. But the
heterogeneous-step fixed point solves :math:`\sum_i \alpha_i \nabla f_i(x) = 0`, not
:math:`\nabla f(x) = 0`, so the method switches to a common step at some iteration.

Methods compared (:data:`METHODS`):

* ``"per_agent"`` -- steps :math:`1/L_i`, optionally switching to ``switch_step`` (default
  :math:`1/\mathrm{mean}(L_i)`) at iteration ``switch_at`` (an int, ``None`` = never, ``"best"`` =
  the switch iteration minimising the total, found by search);
* ``"centralized_mean"`` -- one step :math:`1/\mathrm{mean}(L_i)` (the paper's baseline);
* ``"centralized_lmax"`` -- one step :math:`1/\lambda_{\max}(\bar A)` (global smoothness; at least
  as fast on quadratics as the mean-L baseline, since :math:`\lambda_{\max}(\bar A) \le
  \mathrm{mean}(L_i)`).

On quadratics everything is exact: each phase is an affine map with a symmetric contraction
:math:`T = I - \frac1n\sum_i \alpha_i A_i`, so :math:`x_t = x_T + Q\,\mathrm{diag}(\mu^t) Q^\top
(x_0 - x_T)` in closed form (contraction factors :math:`\rho(I - \bar A/\bar L)` and
:math:`\rho(I - \frac1n\sum_i A_i/L_i)`, bias point :math:`x_H = (\sum_i A_i/L_i)^{-1}\sum_i
A_i b_i/L_i`). On logistic regression the iteration is run (full local gradients).
"""

from __future__ import annotations

import dataclasses

from typing import Any

import numpy as np

from ..common.rng import as_generator, spawn_seeds
from ..common.results import Result
from ..common.validation import as_float_array, check_choice, check_int, check_real, renamed_keyword
from ..simulate.engine import start_point
from .problems import HeterogeneousQuadratic, LogisticProblem, random_quadratic
from ..common.rng import SeedLike

__all__ = [
    "METHODS",
    "StepsizeResult",
    "per_agent_fixed_point",
    "contraction_factors",
    "iterations_to_eps",
    "compare_stepsizes",
    "stepsize_phase_data",
]

#: Methods of :func:`iterations_to_eps`.
METHODS = ("per_agent", "centralized_mean", "centralized_lmax")


def _check_problem(problem: Any) -> Any:
    if not isinstance(problem, (HeterogeneousQuadratic, LogisticProblem)):
        raise TypeError(
            f"problem must be a HeterogeneousQuadratic or a LogisticProblem, got {type(problem).__name__}"
        )
    L = problem.local_smoothness
    if np.any(L <= 0):
        i = int(np.argmin(L))
        raise ValueError(
            f"per-agent step sizes 1/L_i need positive local smoothness; worker {i} has L_i = {L[i]:.3g} "
            "(its Hessian is zero)"
        )
    return problem


def _global_smoothness(problem: Any) -> float:
    return float(problem.smoothness)


def _method_steps(problem: Any, method: str) -> np.ndarray:
    """Per-agent step vector alpha (n,) of a method before any switch."""
    L = problem.local_smoothness
    if method == "per_agent":
        return 1.0 / L
    if method == "centralized_mean":
        return np.full(problem.n, 1.0 / L.mean())
    return np.full(problem.n, 1.0 / _global_smoothness(problem))


def _affine(problem: Any, alpha: Any) -> Any:
    """(T, x_fix): the exact-averaging map x -> T x + c has fixed point x_fix (quadratics)."""
    A = problem.hessians
    K = np.einsum("i,iab->ab", alpha, A) / problem.n
    T = np.eye(problem.d) - K
    rhs = np.einsum("i,iab,ib->a", alpha, A, problem.optima) / problem.n
    return 0.5 * (T + T.T), np.linalg.solve(K, rhs)


def per_agent_fixed_point(problem: Any) -> np.ndarray:
    r"""The bias point :math:`x_H = (\sum_i A_i/L_i)^{-1} \sum_i A_i b_i / L_i` of per-agent steps.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.

    Returns
    -------
    ndarray, shape (d,)
        The bias point :math:`x_H`.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import HeterogeneousQuadratic
    >>> p = HeterogeneousQuadratic([[1.0], [4.0]], [[0.0], [1.0]])
    >>> per_agent_fixed_point(p), p.x_star      # x_H = (0 + 1) / 2, x* = 4 / 5
    (array([0.5]), array([0.8]))
    """
    if not isinstance(problem, HeterogeneousQuadratic):
        raise TypeError(f"problem must be a HeterogeneousQuadratic, got {type(problem).__name__}")
    _check_problem(problem)
    return _affine(problem, 1.0 / problem.local_smoothness)[1]


def contraction_factors(problem: Any) -> dict[str, float]:
    r"""Spectral radii :math:`\rho(I - \frac1n\sum_i \alpha_i A_i)` of the three methods (quadratics).

    Returns ``{"per_agent": ..., "centralized_mean": ..., "centralized_lmax": ...}``.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
        The heterogeneous quadratic problem.

    Returns
    -------
    dict
        ``{rule: spectral radius}`` for the three rules.

    Examples
    --------
    >>> from topotheory import HeterogeneousQuadratic
    >>> p = HeterogeneousQuadratic([[1.0], [4.0]], [[0.0], [1.0]])
    >>> {k: round(v, 6) for k, v in contraction_factors(p).items()}
    {'per_agent': 0.0, 'centralized_mean': 0.0, 'centralized_lmax': 0.0}
    """
    if not isinstance(problem, HeterogeneousQuadratic):
        raise TypeError(f"problem must be a HeterogeneousQuadratic, got {type(problem).__name__}")
    _check_problem(problem)
    out = {}
    for m in METHODS:
        T, _ = _affine(problem, _method_steps(problem, m))
        out[m] = float(np.max(np.abs(np.linalg.eigvalsh(T))))
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class StepsizeResult(Result):
    """Iterations to reach an excess loss ``<= eps`` (``inf`` if not within ``max_iter``).

    Attributes
    ----------
    rule : str
        The step-size rule (``method`` is its old name, kept as a read-only alias).
    iterations : float
        An integer value, or ``inf``.
    switch_at : int or None
        The iteration at which per-agent steps switched to the common step (per_agent only).
    final_loss : float
        Excess loss at ``iterations``; when ``eps`` is not reached, the loss at ``max_iter``
        (NaN for a per-agent run with a switch that never reaches ``eps``).
    floor : float
        Excess loss of the fixed point of the first phase (0 for the centralized methods;
        :math:`f(x_H) - f^\\star` for per-agent steps).
    """

    rule: str
    iterations: float
    switch_at: int | None
    final_loss: float
    floor: float

    @property
    def method(self) -> str:
        """Old name of :attr:`rule`."""
        return self.rule


class _QuadPhase:
    """Closed-form trajectory of one affine phase on a quadratic."""

    def __init__(self, problem: Any, alpha: Any) -> None:
        self.p = problem
        T, self.xf = _affine(problem, alpha)
        self.mu, self.Q = np.linalg.eigh(T)
        self.mu = np.clip(self.mu, -1.0, 1.0) if np.all(np.abs(self.mu) <= 1 + 1e-12) else self.mu

    def states(self, x0: Any, ts: Any) -> np.ndarray:
        y = self.Q.T @ (x0 - self.xf)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.xf + (np.power.outer(self.mu, ts).T * y) @ self.Q.T

    def first_below(self, x0: Any, eps: float, max_iter: int) -> Any:
        """(first t <= max_iter with excess loss <= eps, or inf; loss there)."""
        start, block = 0, 64
        while start <= max_iter:
            ts = np.arange(start, min(start + block, max_iter + 1))
            loss = self.p.excess_loss(self.states(x0, ts))
            hit = np.flatnonzero(loss <= eps)
            if hit.size:
                return float(ts[hit[0]]), float(loss[hit[0]])
            start += block
            block = min(2 * block, 8192)
        return float("inf"), float(loss[-1])


def _check_eps_x0(problem: Any, eps: float, x0: Any, max_iter: int) -> tuple[float, np.ndarray, int]:
    eps = check_real("eps", eps, low=0.0, low_open=True)
    max_iter = check_int("max_steps", max_iter, minimum=1)
    x0 = start_point(x0, problem.n, problem.d, default="zero", per_worker=False)
    return eps, x0, max_iter


def _quad_iterations(problem: Any, method: str, eps: float, x0: Any, switch_at: Any, switch_step: float | None,
                     max_iter: int) -> StepsizeResult:
    first = _QuadPhase(problem, _method_steps(problem, method))
    floor = float(problem.excess_loss(first.xf))
    if method != "per_agent" or switch_at is None:
        it, loss = first.first_below(x0, eps, max_iter)
        return StepsizeResult(method, it, None, loss, floor)
    second = _QuadPhase(problem, np.full(problem.n, switch_step))
    if switch_at == "best":
        alone, _ = first.first_below(x0, eps, max_iter)
        base, _ = second.first_below(x0, eps, max_iter)
        horizon = int(min(max_iter, base if np.isfinite(base) else max_iter,
                          alone if np.isfinite(alone) else max_iter))
        cands = np.unique(np.concatenate([np.arange(min(horizon, 16) + 1),
                                          np.geomspace(1, max(horizon, 1), 48).astype(int)]))
    else:
        cands = np.array([switch_at])
    it0, l0 = first.first_below(x0, eps, int(cands.max()))
    xs = first.states(x0, cands)
    best: tuple[float, int | None, float] = (float("inf"), None, float("nan"))
    for s, xs_s in zip(cands, xs):
        if it0 <= s:  # the per-agent phase reaches eps before the switch
            total, loss = it0, l0
        else:
            it2, loss = second.first_below(xs_s, eps, max_iter - int(s))
            total = s + it2
        if total < best[0]:
            best = (float(total), int(s), float(loss))
    if not np.isfinite(best[0]):
        return StepsizeResult(method, float("inf"), int(cands[-1]), float("nan"), floor)
    return StepsizeResult(method, best[0], best[1], best[2], floor)


def _logistic_iterations(problem: Any, method: str, eps: float, x0: Any, switch_at: Any, switch_step: float | None,
                         max_iter: int) -> StepsizeResult:
    if method == "per_agent" and switch_at == "best":
        # search: switch times on a geometric grid up to the common-step iteration count
        base = _logistic_iterations(problem, method, eps, x0, 0, switch_step, max_iter).iterations
        horizon = int(base) if np.isfinite(base) else max_iter
        cands = np.unique(np.concatenate([[0], np.geomspace(1, max(horizon, 1), 12).astype(int)]))
        runs = [_logistic_iterations(problem, method, eps, x0, int(s), switch_step, max_iter) for s in cands]
        return min(runs, key=lambda r: r.iterations)
    alpha = _method_steps(problem, method)
    common = np.full(problem.n, switch_step)
    x = x0.copy()
    loss = float(problem.excess_loss(x))
    for t in range(max_iter + 1):
        if loss <= eps:
            return StepsizeResult(method, float(t), switch_at if method == "per_agent" else None, loss, float("nan"))
        if t == max_iter:
            break
        a = common if (method == "per_agent" and switch_at is not None and t >= switch_at) else alpha
        G = problem.gradients(np.broadcast_to(x, (problem.n, problem.d)))
        x = x - (a[:, None] * G).mean(axis=0)
        loss = float(problem.excess_loss(x))
        if not np.isfinite(loss):
            break
    return StepsizeResult(method, float("inf"), switch_at if method == "per_agent" else None, loss, float("nan"))


def iterations_to_eps(problem: Any, *, rule: str | None = None, eps: float = 1e-6, x0: Any = None,
                      switch_at: Any = None, switch_step: float | None = None, max_steps: int | None = None,
                      method: str | None = None, max_iter: int | None = None) -> StepsizeResult:
    r"""Iterations until the excess loss :math:`f(x_t) - f^\star \le \epsilon`.

    Exact (closed form per phase) on :class:`~topotheory.heterogeneous.HeterogeneousQuadratic`,
    simulated (the iteration is run) on :class:`~topotheory.heterogeneous.LogisticProblem`.

    Parameters
    ----------
    problem : HeterogeneousQuadratic or LogisticProblem
        Every :math:`L_i > 0` (strong convexity of the global objective is checked by the
        problem).
    rule : {"per_agent", "centralized_mean", "centralized_lmax"}
        The step-size rule (default ``"per_agent"``).
    eps : float
        Target excess loss (> 0).
    x0 : array_like, shape (d,), optional
        Start (default 0).
    switch_at : int, "best" or None
        Per-agent steps only: iteration at which all agents switch to ``switch_step``. ``"best"``
        searches the switch iteration minimising the total (exhaustively over a grid of candidates
        on quadratics, over 13 simulated runs on logistic regression).
    switch_step : float, optional
        The common step after the switch (default :math:`1/\mathrm{mean}(L_i)`).
    max_steps : int
        Cap on the iterations (default 100000).
    method, max_iter
        Old names of ``rule`` and ``max_steps`` (accepted with a DeprecationWarning).

    Returns
    -------
    StepsizeResult

    Examples
    --------
    A stiff agent and a flat one (:math:`L = 1` and :math:`0.01`), same optimum 0:

    >>> from topotheory import HeterogeneousQuadratic
    >>> p = HeterogeneousQuadratic([[1.0, 0.01], [0.01, 0.01]], [[0.0, 0.0], [0.0, 0.0]])
    >>> x0 = [10.0, 10.0]
    >>> iterations_to_eps(p, rule="centralized_mean", eps=1e-6, x0=x0).iterations  # step 1/0.505
    329.0
    >>> iterations_to_eps(p, rule="per_agent", eps=1e-6, x0=x0).iterations         # steps 1 and 100
    10.0
    """
    _check_problem(problem)
    method = renamed_keyword("rule", rule, "method", method, "per_agent")
    max_iter = renamed_keyword("max_steps", max_steps, "max_iter", max_iter, 100_000)
    check_choice("rule", method, METHODS)
    eps, x0, max_iter = _check_eps_x0(problem, eps, x0, max_iter)
    if switch_at is not None and switch_at != "best":
        switch_at = check_int("switch_at", switch_at, minimum=0, maximum=max_iter)
    if switch_step is None:
        switch_step = 1.0 / problem.local_smoothness.mean()
    switch_step = check_real("switch_step", switch_step, low=0.0, low_open=True)
    if isinstance(problem, HeterogeneousQuadratic):
        return _quad_iterations(problem, method, eps, x0, switch_at, switch_step, max_iter)
    return _logistic_iterations(problem, method, eps, x0, switch_at, switch_step, max_iter)


def compare_stepsizes(problem: Any, *, eps: float = 1e-6, x0: Any = None, switch_at: Any = "best",
                      max_steps: int | None = None, max_iter: int | None = None) -> dict[str, StepsizeResult]:
    """Iterations to ``eps`` of the three step-size rules, as ``{rule: StepsizeResult}``.

    ``max_steps`` caps the iterations (default 100000; ``max_iter`` is its old name).

    Parameters
    ----------
    problem : HeterogeneousQuadratic or LogisticProblem
        The heterogeneous problem.
    eps : float
        Target excess loss (> 0).
    x0 : array_like, shape (d,), optional
        Start (default 0).
    switch_at : int, "best" or None
        As in :func:`iterations_to_eps` (per-agent steps only).
    max_steps : int, optional
        Cap on the iterations (default 100000).
    max_iter : int, optional
        Old name of ``max_steps`` (accepted with a DeprecationWarning).

    Returns
    -------
    dict
        ``{rule: StepsizeResult}`` for ``per_agent``, ``centralized_mean`` and ``centralized_lmax``.

    Examples
    --------
    >>> from topotheory import random_quadratic
    >>> p = random_quadratic(8, 5, hessian_spread=0.5, smoothness_spread=8.0, seed=0)
    >>> r = compare_stepsizes(p, eps=1e-6, x0=p.x_star + 100)
    >>> [r[m].iterations for m in METHODS]
    [37.0, 41.0, 38.0]
    """
    max_steps = renamed_keyword("max_steps", max_steps, "max_iter", max_iter, 100_000)
    return {m: iterations_to_eps(problem, rule=m, eps=eps, x0=x0, switch_at=switch_at if m == "per_agent" else None,
                                 max_steps=max_steps) for m in METHODS}


def stepsize_phase_data(smoothness_spreads: Any, distances: Any, *, n: int = 8, d: int = 10,
                        optima_spread: float = 1.0, hessian_spread: float = 0.5, eps: float = 1e-4,
                        switch_at: Any = "best", max_steps: int | None = None, seed: SeedLike = 0,
                        max_iter: int | None = None) -> dict[str, Any]:
    r"""Iteration ratios of per-agent steps vs both centralized baselines on a grid.

    Hessian shapes differ between agents (``hessian_spread``; with proportional Hessians
    :math:`A_i = c_i C` per-agent and mean-L steps coincide). For each smoothness spread
    :math:`\tau` (see
    :func:`~topotheory.heterogeneous.random_quadratic`) one seeded problem is drawn (the same seed
    for every :math:`\tau`, so only the spread of :math:`L_i` changes); for each distance
    :math:`R` the start is :math:`x_0 = x^\star + R u` with a fixed random unit vector ``u``.

    Returns
    -------
    dict
        ``"ratio_mean"``, ``"ratio_lmax"``: arrays of shape (len(spreads), len(distances)) with
        iterations(per-agent) / iterations(baseline) (< 1: per-agent steps win); also the raw
        iteration counts, the :math:`L_i` spread (max/min) per row and the switch iterations.

    Examples
    --------
    >>> out = stepsize_phase_data([0.0, 4.0], [1.0, 100.0], n=4, d=3, eps=1e-3)
    >>> out["ratio_mean"].shape
    (2, 2)
    """
    max_steps = renamed_keyword("max_steps", max_steps, "max_iter", max_iter, 50_000)
    taus = np.atleast_1d(as_float_array("smoothness_spreads", smoothness_spreads, low=0.0))
    dists = np.atleast_1d(as_float_array("distances", distances, low=0.0))
    u = as_generator(spawn_seeds(seed, 1)[0]).standard_normal(d)
    u /= np.linalg.norm(u)
    shape = (taus.size, dists.size)
    its = {m: np.zeros(shape) for m in METHODS}
    switches = np.full(shape, -1)
    lspread = np.zeros(taus.size)
    for a, tau in enumerate(taus):
        p = random_quadratic(n, d, optima_spread=optima_spread, hessian_spread=hessian_spread,
                             smoothness_spread=float(tau), seed=seed)
        L = p.local_smoothness
        lspread[a] = L.max() / L.min()
        for b, R in enumerate(dists):
            res = compare_stepsizes(p, eps=eps, x0=p.x_star + R * u, switch_at=switch_at, max_steps=max_steps)
            for m in METHODS:
                its[m][a, b] = res[m].iterations
            switches[a, b] = -1 if res["per_agent"].switch_at is None else res["per_agent"].switch_at
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"smoothness_spreads": taus, "distances": dists, "L_ratio": lspread,
                "iterations": its, "switch_at": switches,
                "ratio_mean": its["per_agent"] / its["centralized_mean"],
                "ratio_lmax": its["per_agent"] / its["centralized_lmax"]}
