r"""Optimal gossip weights on a given graph: for the spectral gap (FMMC), for fast averaging (FDLA),
for the effective number of neighbours :math:`n_W(\gamma)`, for the steady-state mean-square
deviation (:math:`S_0`) and for the exact optimal toy rate."""

from __future__ import annotations

import dataclasses

from typing import Any, Literal, overload

import numpy as np

from ..common.results import Result
from ..common.validation import check_choice, check_real
from ..graphs import Scheme
from ..metrics import effective_neighbors, s0_functional, spectral_gap
from ..toy import optimal_learning_rate, quadratic_rate
from .problem import SmoothedNormObjective, design_graph, frank_wolfe_gap, lp_lower_bound, spectral_objective
from .rate import rate_gradient
from .solvers import free_projector, nonnegative_projector, solve_conic, spg

__all__ = ["optimal_weights", "WeightDesign", "DESIGN_OBJECTIVES", "DESIGN_METHODS"]

#: the objectives of :func:`optimal_weights`
DESIGN_OBJECTIVES = ("spectral_gap", "fdla", "effective_neighbors", "msd", "rate")
#: the computation routes of :func:`optimal_weights`
DESIGN_METHODS = ("auto", "conic", "first_order")
#: largest graph (nodes) the ``"auto"`` method sends to the conic route
CONIC_AUTO_LIMIT = 20
#: largest graph (nodes) the ``"auto"`` method sends to the conic route for the spectral norms
CONIC_AUTO_LIMIT_NORM = 100


@dataclasses.dataclass(frozen=True, repr=False)
class WeightDesign(Result):
    """What :func:`optimal_weights` found (``log=True``).

    Attributes
    ----------
    scheme : Scheme
        The optimal static scheme.
    objective : str
        The objective optimised (one of :data:`DESIGN_OBJECTIVES`).
    value : float
        The objective at the result, recomputed from the eigenvalues of the returned matrix:
        :math:`\\|W - J\\|_2` (``spectral_gap``, ``fdla``), :math:`1/n_W(\\gamma)`
        (``effective_neighbors``), :math:`S_0` (``msd``), the optimal toy rate ``r*`` (``rate``).
    method : str
        ``"conic"`` or ``"first_order"``.
    solver : str
        The solver (``clarabel``, ``scs``, ``spg``).
    gap : float
        A certificate where the problem is convex: an upper bound on ``value - optimum`` (Frank-Wolfe
        gap for the smooth objectives with non-negative weights, the dual bound's distance for the
        spectral-norm problems with non-negative weights); NaN where none is available (``rate``, which is not convex, and
        signed designs).
    relative_gap : float
        ``gap / |value|``.
    dual_bound : float
        ``value - gap``: a lower bound on the optimum (NaN when ``gap`` is).
    kkt_residual : float
        :math:`\\|P(w - \\nabla F) - w\\|_\\infty` (projected-gradient stationarity; for ``rate`` this
        is the local-optimality measure), NaN for the spectral-norm objectives.
    iterations : int
        Iterations of the solver.
    converged : bool
        Whether the solver met its tolerance.
    gamma, zeta, lr : float or None
        The operating point the objective used.
    weights : ndarray
        The edge weights, in the order of ``edges``.
    edges : ndarray (m, 2)
        Edges as node positions ``0..n-1`` (the graph's node order).
    """

    scheme: Scheme
    objective: str
    value: float
    method: str
    solver: str
    gap: float
    relative_gap: float
    dual_bound: float
    kkt_residual: float
    iterations: int
    converged: bool
    gamma: float | None
    zeta: float | None
    lr: float | None
    weights: np.ndarray
    edges: np.ndarray


def weights_scheme(dg: Any, w: np.ndarray, *, name: str, allow_negative: bool = False) -> Scheme:
    """The static :class:`Scheme` of edge weights ``w`` on ``dg`` (exact zeros below 1e-14)."""
    w = np.where(np.abs(w) < 1e-14, 0.0, w)
    W = dg.matrix(w)
    if not allow_negative:
        W = np.maximum(W, 0.0)
    return Scheme([W], name=name, params={"weights": "optimal"}, allow_negative=allow_negative)


def _spectral_value(objective: str, scheme: Scheme, gamma: float | None) -> float:
    if objective in ("spectral_gap", "fdla"):
        return 1.0 - spectral_gap(scheme, "abs")
    if objective == "effective_neighbors":
        return 1.0 / effective_neighbors(scheme, gamma)
    if objective == "msd":
        return s0_functional(scheme)
    raise ValueError(objective)  # pragma: no cover


def _norm_dual_bound(dg: Any, duals: Any, nonnegative: bool) -> float:
    """Lower bound on min ||W - J||_2 from the LMI multipliers (non-negative weights; NaN for signed)."""
    Z1, Z2 = duals
    Zs = []
    for Z in (Z1, Z2):
        Z = (Z + Z.T) / 2
        lam, Q = np.linalg.eigh(Z)
        Zs.append((Q * np.maximum(lam, 0.0)) @ Q.T)
    tr = np.trace(Zs[0]) + np.trace(Zs[1])
    if tr <= 0:
        return np.nan
    Z = (Zs[0] - Zs[1]) / tr
    n = dg.n
    P = np.eye(n) - 1.0 / n
    Z = P @ Z @ P  # supported on the complement of 1: <Z, W - J> = <Z, W>
    dZ = np.diag(Z)
    coef = -(dZ[dg.i] + dZ[dg.j] - 2.0 * Z[dg.i, dg.j])
    # for every feasible w:  ||W(w) - J||_2 >= <Z, W(w)> = tr Z + coef . w
    if nonnegative:
        return float(np.trace(Z) + lp_lower_bound(dg, coef))
    # signed weights: the bound needs coef = 0 exactly (the weights are unbounded), which numerical
    # multipliers never give, so no rigorous bound is claimed
    return np.nan


def _operating_gamma(gamma: float | None, zeta: float | None, lr: float | None) -> float | None:
    if gamma is not None:
        if lr is not None:
            raise ValueError("give gamma or (zeta and lr), not both")
        return check_real("gamma", gamma, low=0.0, high=1.0, high_open=True)
    if zeta is None or lr is None:
        raise ValueError(
            "objective 'effective_neighbors' needs gamma in [0, 1), or zeta and lr (the operating "
            "decay gamma = (1 - lr)^2 / (1 - r) is then found self-consistently)"
        )
    return None


@overload
def optimal_weights(graph: Any, *, objective: str, gamma: float | None = ..., zeta: float | None = ..., lr: float | None = ...,
                    log: Literal[False] = ..., method: str = ..., allow_negative: bool = ..., tol: float = ...,
                    max_iter: int = ..., start: Any = ...) -> Scheme: ...
@overload
def optimal_weights(graph: Any, *, objective: str, gamma: float | None = ..., zeta: float | None = ..., lr: float | None = ...,
                    log: Literal[True], method: str = ..., allow_negative: bool = ..., tol: float = ...,
                    max_iter: int = ..., start: Any = ...) -> WeightDesign: ...
@overload
def optimal_weights(graph: Any, *, objective: str, gamma: float | None = ..., zeta: float | None = ..., lr: float | None = ...,
                    log: bool, method: str = ..., allow_negative: bool = ..., tol: float = ...,
                    max_iter: int = ..., start: Any = ...) -> Scheme | WeightDesign: ...
def optimal_weights(
    graph: Any,
    *,
    objective: str,
    gamma: float | None = None,
    zeta: float | None = None,
    lr: float | None = None,
    log: bool = False,
    method: str = "auto",
    allow_negative: bool = False,
    tol: float = 1e-9,
    max_iter: int = 3000,
    start: Any = None,
) -> Scheme | WeightDesign:
    r"""Optimal symmetric gossip weights on the edges of ``graph``.

    The weights live on the graph's edges: :math:`W = I - \sum_{e=\{i,j\}} w_e (e_i - e_j)(e_i - e_j)^T`,
    so ``W`` is symmetric with unit row and column sums for every ``w`` (row convention,
    :math:`X \leftarrow W X`); with ``allow_negative=False`` also :math:`w_e \ge 0` and
    :math:`W_{ii} = 1 - \sum_{e \ni i} w_e \ge 0`. Objectives:

    ``"spectral_gap"``
        FMMC (Boyd, Diaconis & Xiao 2004): minimise :math:`\|W - J\|_2 = \max_{i \ge 2}|\lambda_i|`
        (maximise the ``"abs"`` spectral gap) over non-negative weights. Convex (an SDP).
    ``"fdla"``
        Fastest distributed linear averaging (Xiao & Boyd 2004): the same norm over *signed*
        weights. The result may have negative entries; it is returned as a
        ``Scheme(..., allow_negative=True)``, for which the random-walk reading of ``W`` fails.
    ``"effective_neighbors"``
        Maximise :math:`n_W(\gamma)` (mean mode; paper Proposition 2 / eq. 6):
        :math:`n_W(\gamma)^{-1} = \frac{1-\gamma}{n}\sum_j \frac{\lambda_j^2}{1-\gamma\lambda_j^2}`,
        a convex spectral function of ``W`` (``f(λ) = λ²/(1-γλ²)`` is convex and even), so the
        problem is convex. Minimises :math:`1/n_W`. ``gamma=``, or ``zeta=`` and ``lr=``: then
        :math:`\gamma = (1-\eta)^2/(1-r)` is the operating decay of the designed scheme itself,
        found by a fixed-point iteration (design at γ, evaluate the exact rate ``r`` at ``lr``,
        update γ).
    ``"msd"``
        The steady-state mean-square deviation of noise-driven averaging (LMSD, Xiao, Boyd & Kim
        2007), topotheory's :math:`S_0 = \frac1n\sum_{j \ge 2} 1/(1-\lambda_j^2)`
        (:func:`topotheory.s0_functional`). Convex.
    ``"rate"``
        Maximise the exact optimal toy rate :math:`r^\star = \max_\eta r(\eta)` at noise level
        ``zeta=`` (:func:`topotheory.optimal_learning_rate`). **Not convex**: a local method started
        from the :math:`n_W`-optimal weights at the operating decay of their optimal learning rate,
        with the exact gradient (perturbation of the Perron root of the second-moment map at
        :math:`\eta^\star`, envelope theorem). Reports local optimality (``kkt_residual``), no
        certificate. Non-negative weights only.

    Routes (``method``): ``"conic"`` — cvxpy with Clarabel (SCS as fall-back), an SDP with
    :math:`(n-1)^2` -sized matrix variables: exact to ~1e-9 and fast up to a few hundred edges, the
    route for graphs up to ~100 nodes; ``"first_order"`` — spectral projected gradient on the edge
    weights with exact gradients from one dense eigendecomposition per iteration (:math:`O(n^3)`),
    projection onto the non-negative polytope by its dual: the route for large graphs (~1000
    nodes in a couple of minutes) for the smooth objectives (``effective_neighbors``, ``msd``,
    ``rate``); for the spectral norms (``spectral_gap``, ``fdla``) it minimises the smoothing
    :math:`\frac1\beta\log\sum_k(e^{\beta\mu_k} + e^{-\beta\mu_k})` with increasing ``beta``: within
    about 1e-5 relative of the optimum (the smoothing bias), certified by the dual bound where it
    closes to 1e-6 (non-negative weights), slower than the conic route below ~100 nodes.
    ``"auto"``: the spectral norms go conic up to 100 nodes (cvxpy required), first order above;
    the smooth objectives go conic when cvxpy is installed and ``n <= 20``, else first order (the
    first-order route is faster there: karate, 34 nodes, n_W at γ = 0.99 took 89 s through cvxpy).

    Parameters
    ----------
    graph : networkx.Graph, static Scheme or (n, n) adjacency
        Must be connected with at least one edge. Edge directions and self loops are ignored.
    objective : str
        One of :data:`DESIGN_OBJECTIVES`.
    gamma : float in [0, 1), optional
        Decay of the objectives that need one (``effective_neighbors``); or give ``zeta`` and ``lr``.
    zeta, lr : float, optional
        Noise level and learning rate of the toy problem (see the objectives).
    log : bool
        Return a :class:`WeightDesign` instead of the scheme.
    method : {"auto", "conic", "first_order"}
    allow_negative : bool
        Signed weights (``objective="fdla"`` implies it). The random-walk reading of ``W`` fails.
    tol, max_iter : float, int
        Solver tolerance and iteration cap (first-order route).
    start : array_like, optional
        Starting edge weights for the first-order route (default: Metropolis).

    Returns
    -------
    Scheme or WeightDesign

    Raises
    ------
    ValueError
        Unknown objective or method, γ outside [0, 1), missing operating point, a disconnected
        graph or one without edges, a first-order request for a spectral-norm objective.
    ImportError
        The conic route asked for without cvxpy (install ``topotheory[design]``).

    Examples
    --------
    >>> import networkx as nx
    >>> res = optimal_weights(nx.path_graph(5), objective="spectral_gap", log=True)
    >>> round(res.value, 6), round(float(np.cos(np.pi / 5)), 6)
    (0.809017, 0.809017)
    >>> round(float(res.scheme.matrix(0)[0, 1]), 5)
    0.5
    >>> s = optimal_weights(nx.star_graph(4), objective="effective_neighbors", gamma=0.9)
    >>> round(float(effective_neighbors(s, 0.9)), 4)
    3.7081
    >>> s.matrix(0)[0, 1:].round(4)  # the hub splits its weight evenly (1/4 per leaf)
    array([0.25, 0.25, 0.25, 0.25])
    """
    check_choice("objective", objective, DESIGN_OBJECTIVES)
    check_choice("method", method, DESIGN_METHODS)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    dg = design_graph(graph)
    if objective == "fdla":
        allow_negative = True
    if objective == "spectral_gap" and allow_negative:
        objective = "fdla"
    if objective == "effective_neighbors":
        gamma = _operating_gamma(gamma, zeta, lr)
    elif gamma is not None:
        raise ValueError(f"gamma is only used by objective 'effective_neighbors', not {objective!r}")
    if objective == "rate":
        if zeta is None:
            raise ValueError("objective 'rate' needs the noise level zeta (> 1)")
        zeta = check_real("zeta", zeta, low=1.0, low_open=True)
        if allow_negative:
            raise ValueError("objective 'rate' designs non-negative weights only (allow_negative=False)")
        return _rate_design(dg, zeta=zeta, log=log, tol=tol, max_iter=max_iter, start=start)
    if objective == "effective_neighbors" and gamma is None:
        zeta = check_real("zeta", zeta, low=1.0, low_open=True)
        lr = check_real("lr", lr, low=0.0, low_open=True)
        return _self_consistent_design(dg, zeta=zeta, lr=lr, log=log, method=method,
                                       allow_negative=allow_negative, tol=tol, max_iter=max_iter)
    res = _convex_design(dg, objective, gamma=gamma, method=method, allow_negative=allow_negative,
                         tol=tol, max_iter=max_iter, start=start)
    return res if log else res.scheme


def _choose_method(dg: Any, objective: str, method: str) -> str:
    if method == "auto":
        if objective in ("spectral_gap", "fdla"):  # the exact route where it fits, cvxpy required
            return "conic" if dg.n <= CONIC_AUTO_LIMIT_NORM else "first_order"
        try:
            import cvxpy  # noqa: F401
        except ImportError:
            return "first_order"
        return "conic" if dg.n <= CONIC_AUTO_LIMIT else "first_order"
    return method


def _convex_design(dg: Any, objective: str, *, gamma: float | None, method: str, allow_negative: bool, tol: float,
                   max_iter: int, start: Any = None) -> WeightDesign:
    method = _choose_method(dg, objective, method)
    nonneg = not allow_negative
    name = f"{dg.name}:{objective}"
    kkt = np.nan
    if method == "conic":
        w, solver, iterations, status, duals = solve_conic(dg, objective, gamma=gamma, nonnegative=nonneg,
                                                           tol=min(tol, 1e-10))
        converged = status in ("optimal", "optimal_inaccurate")
        if nonneg:
            w = _feasible(dg, w)
    elif objective in ("spectral_gap", "fdla"):
        w0 = dg.nonnegative_start() if start is None else np.asarray(start, dtype=float)
        w, iterations, converged, duals = _norm_first_order(dg, w0, nonneg=nonneg, max_iter=max_iter)
        solver = "spg-smoothed"
    else:
        obj = spectral_objective(dg, objective, gamma)
        project = nonnegative_projector(dg) if nonneg else free_projector
        w0 = dg.nonnegative_start() if start is None else np.asarray(start, dtype=float)
        w, _, _, iterations, converged = spg(obj.value_grad, project, w0, tol=min(tol, 1e-9), max_iter=max_iter)
        solver, duals = "spg", None
    scheme = weights_scheme(dg, w, name=name, allow_negative=allow_negative)
    w = dg.weights_of(scheme.matrix(0))
    value = _spectral_value(objective, scheme, gamma)
    gap = np.nan
    if objective in ("effective_neighbors", "msd"):
        obj = spectral_objective(dg, objective, gamma)
        _, grad = obj.value_grad(w)
        assert grad is not None  # the design lies inside the objective's domain
        if nonneg:
            p, _ = nonnegative_projector(dg)(w - grad, None)
            gap = max(frank_wolfe_gap(dg, w, grad), 0.0)
        else:
            p = w - grad
        kkt = float(np.max(np.abs(p - w)))
    elif duals is not None:
        bound = _norm_dual_bound(dg, duals, nonneg)
        gap = max(value - bound, 0.0) if np.isfinite(bound) else np.nan
    rel = gap / abs(value) if value else gap
    if np.isfinite(rel):  # where a certificate exists, it decides
        converged = bool(rel <= 1e-6)
    return WeightDesign(
        scheme=scheme, objective=objective, value=float(value), method=method, solver=solver,
        gap=float(gap), relative_gap=float(rel), dual_bound=float(value - gap), kkt_residual=float(kkt),
        iterations=int(iterations), converged=bool(converged), gamma=gamma, zeta=None, lr=None,
        weights=w, edges=dg.edges.copy(),
    )


def _norm_first_order(dg: Any, w0: np.ndarray, *, nonneg: bool, max_iter: int, rel_gap: float = 1e-6,
                      betas: tuple[float, ...] = (30.0, 3e2, 3e3, 3e4, 3e5)) -> tuple[np.ndarray, int, bool, Any]:
    """Minimise ``||W(w) - J||_2`` by spectral projected gradient on its smoothing
    :class:`SmoothedNormObjective`, increasing the smoothing parameter ``beta`` (each stage warm
    started) until the dual bound certifies ``rel_gap``. Returns ``(w, iterations, converged, duals)``."""
    project = nonnegative_projector(dg) if nonneg else free_projector
    w, total, duals, converged = np.asarray(w0, dtype=float), 0, None, False
    for beta in betas:
        obj = SmoothedNormObjective(dg, beta * np.log(2 * dg.n))
        w, _, _, it, _ = spg(obj.value_grad, project, w, tol=1e-2 / obj.beta, max_iter=min(max_iter, 500))
        total += it
        if nonneg:
            w = _feasible(dg, w)
        duals = obj.duals(w)
        value = float(np.max(np.abs(np.linalg.eigvalsh(dg.matrix(w) - obj.J))))
        bound = _norm_dual_bound(dg, duals, nonneg)
        if np.isfinite(bound) and value - bound <= rel_gap * value:
            converged = True
            break
    return w, total, converged, duals


def _feasible(dg: Any, w: np.ndarray) -> np.ndarray:
    """Solver output made exactly feasible (non-negative, node loads <= 1)."""
    w = np.maximum(w, 0.0)
    s = np.maximum(dg.load(w), 1.0)
    return w / np.maximum(s[dg.i], s[dg.j])


def _self_consistent_design(dg: Any, *, zeta: float, lr: float, log: bool, method: str, allow_negative: bool, tol: float,
                            max_iter: int) -> Scheme | WeightDesign:
    """n_W-optimal weights at the operating decay gamma = (1-lr)^2/(1-r) of the designed scheme."""
    current = weights_scheme(dg, dg.nonnegative_start(), name="metropolis")
    gamma, res = None, None
    for _ in range(50):
        r = quadratic_rate(current, lr=lr, zeta=zeta)
        if not np.isfinite(r) or r <= 0:
            raise ValueError(f"lr={lr} does not converge at zeta={zeta} on this graph; no operating decay exists")
        new_gamma = (1.0 - lr) ** 2 / (1.0 - r)
        if gamma is not None and abs(new_gamma - gamma) <= 1e-12:
            break
        gamma = min(new_gamma, 1.0 - 1e-12)
        res = _convex_design(dg, "effective_neighbors", gamma=gamma, method=method,
                             allow_negative=allow_negative, tol=tol, max_iter=max_iter)
        current = res.scheme
    assert res is not None  # the first pass always designs (gamma starts as None)
    res = dataclasses.replace(res, zeta=zeta, lr=lr)
    return res if log else res.scheme


def _local_optimal_lr(scheme: Scheme, zeta: float, lr0: float) -> tuple[float, float] | None:
    """Newton steps on :math:`r'(\\eta) = 0` from ``lr0`` (five-point differences of the exact rate).

    Returns ``(lr, rate)``, or ``None`` when the local model is not concave or leaves the bracket
    (the caller then falls back to the global search of :func:`topotheory.optimal_learning_rate`).
    """
    stencil = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    x = float(lr0)
    for _ in range(6):
        h = 1e-3 * x
        fv = quadratic_rate(scheme, lr=x + h * stencil, zeta=zeta)
        if not np.all(np.isfinite(fv)):
            return None
        d1 = (fv[0] - 8 * fv[1] + 8 * fv[3] - fv[4]) / (12 * h)
        d2 = (-fv[0] + 16 * fv[1] - 30 * fv[2] + 16 * fv[3] - fv[4]) / (12 * h * h)
        if not d2 < 0:
            return None
        step = -d1 / d2
        if abs(step) > 0.2 * x:
            return None
        x += step
        if abs(step) <= 1e-10 * x:
            return x, float(quadratic_rate(scheme, lr=x, zeta=zeta))
    return None


def _rate_design(dg: Any, *, zeta: float, log: bool, tol: float, max_iter: int, start: Any = None) -> Scheme | WeightDesign:
    """Local maximisation of the exact optimal toy rate, started from the n_W optimum.

    ``start``: edge weights to start from (default: the n_W-optimal weights at the operating decay
    of their own optimal learning rate, two alternations from Metropolis).
    """
    if start is None:
        w0 = dg.nonnegative_start()
        for _ in range(2):
            opt = optimal_learning_rate(weights_scheme(dg, w0, name="start"), zeta=zeta)
            w0 = _convex_design(dg, "effective_neighbors", gamma=opt.gamma, method="first_order",
                                allow_negative=False, tol=tol, max_iter=max_iter, start=w0).weights
    else:
        w0 = np.asarray(start, dtype=float)
    memo = {"lr": optimal_learning_rate(weights_scheme(dg, w0, name="start"), zeta=zeta).lr}

    def value_grad(w: np.ndarray) -> tuple[float, np.ndarray | None]:
        scheme = weights_scheme(dg, w, name="candidate")
        local = _local_optimal_lr(scheme, zeta, memo["lr"])  # warm start: a few exact rates
        if local is None:
            o = optimal_learning_rate(scheme, zeta=zeta)
            local = (o.lr, o.rate)
        lr, rate = local
        if not np.isfinite(rate):
            return np.inf, None
        _, g = rate_gradient(dg, dg.weights_of(scheme.matrix(0)), lr=lr, zeta=zeta)
        memo["lr"] = lr
        return -rate, -g

    project = nonnegative_projector(dg)
    w, F, g, iterations, converged = spg(value_grad, project, w0, tol=max(tol, 1e-7),
                                         max_iter=min(max_iter, 200))
    scheme = weights_scheme(dg, w, name=f"{dg.name}:rate")
    w = dg.weights_of(scheme.matrix(0))
    o = optimal_learning_rate(scheme, zeta=zeta)
    memo["lr"] = o.lr
    _, g_end = value_grad(w)
    assert g_end is not None  # the result is a finite-rate design
    p, _ = project(w - g_end, None)
    kkt = float(np.max(np.abs(p - w)))
    res = WeightDesign(
        scheme=scheme, objective="rate", value=float(o.rate), method="first_order", solver="spg",
        gap=np.nan, relative_gap=np.nan, dual_bound=np.nan, kkt_residual=kkt, iterations=int(iterations),
        converged=bool(converged), gamma=float(o.gamma), zeta=zeta, lr=float(o.lr), weights=w,
        edges=dg.edges.copy(),
    )
    return res if log else res.scheme
