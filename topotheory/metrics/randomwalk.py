r"""The random walk of THEORY §2 and the effective number of neighbours :math:`n_W(\gamma)`.

Two noise-accumulation processes with decay :math:`\gamma \in [0, 1)` and
:math:`\xi(t) \sim N(0, I_n)`:

.. math::

    y(t+1) = \sqrt{\gamma}\, y(t) + \xi(t) \qquad\text{(alone)}, \qquad
    z(t+1) = W_t \bigl(\sqrt{\gamma}\, z(t) + \xi(t)\bigr) \qquad\text{(gossip)}.

With :math:`\Sigma` the stationary covariance of ``z`` (at a phase of the scheme),
:math:`n_W(\gamma) = [1/(1-\gamma)] / \operatorname{mean}_i \Sigma_{ii}` (the paper's Definition 1).

Numerics. For doubly stochastic matrices :math:`W_t = J + B_t` with :math:`B_t = W_t - J`, and
:math:`\Sigma = J/(1-\gamma) + S` where ``S`` solves the same recursion with :math:`B_t` in place of
:math:`W_t`. Hence :math:`(1-\gamma)\Sigma_{ii} = 1/n + (1-\gamma) S_{ii}` with ``S`` well conditioned
on connected graphs: no cancellation as :math:`\gamma \to 1`. Parts that never mix (disconnected
graphs, identity steps, periodic components, reducible period products) are found from the support
of the matrices and handled exactly (:mod:`topotheory.engine`), so the routines stay exact to
rounding for :math:`1 - \gamma` down to :math:`10^{-15}` on every scheme. Every routine accepts
``one_minus_gamma`` for full precision close to 1. The route (Fourier modes, eigenbasis, dense
one-period maps, spectral measure) is chosen once per scheme by :func:`topotheory.engine.resolve`.
"""

from __future__ import annotations

import time
from typing import Any, cast

import numpy as np

from ..common.annotations import ArrayLike, FloatOrArray, SchemeLike
from ..common.validation import check_bool, check_choice, check_int, check_phase, check_real, gamma_pair
from ..engine import KrylovEstimate, KrylovRepresentation, resolve
from ..engine.krylov import AUTO_BUDGET, AUTO_RTOL

__all__ = [
    "NW_MODES",
    "effective_neighbors",
    "effective_neighbors_interval",
    "random_walk_covariance",
    "spectral_gap_bound",
    "spectral_dimension_bound",
]

#: Modes of :func:`effective_neighbors`: the mean, the worst worker, or every worker.
NW_MODES = ("mean", "worst", "all")


# ------------------------------------------------------------------------------- public API
def effective_neighbors(scheme: SchemeLike, gamma: ArrayLike | None = None, *, mode: str = "mean", phase: int = 0,
                        one_minus_gamma: ArrayLike | None = None, labelled: bool = False, log: bool = False,
                        rtol: float = AUTO_RTOL, time_budget: float | None = AUTO_BUDGET, progress: bool | None = None) -> Any:
    r"""The effective number of neighbours :math:`n_W(\gamma)` (paper Definition 1, Proposition 2).

    .. math::

        n_W(\gamma) = \frac{1/(1-\gamma)}{\operatorname{mean}_i \Sigma_{ii}}, \qquad
        \Sigma = \sum_{k \ge 1} \gamma^{k-1} W^k (W^T)^k ,

    the ratio of the stationary variance of a lone decaying random walk to that of the gossiping
    one. For symmetric static ``W`` (eq. 6):
    :math:`n_W(\gamma)^{-1} = (1-\gamma)\frac1n\sum_i \lambda_i^2/(1-\gamma\lambda_i^2)`.
    Periodic schemes solve the folded one-period Lyapunov equation at the requested phase (the
    state right after the gossip with :math:`W_{\phi - 1}`); circulant schemes use the DFT;
    infinite graphs integrate over their spectral measure.

    Routes (:func:`topotheory.engine.resolve`; ``log=True`` reports the one taken): circulant →
    ``"fourier"`` (exact); static symmetric → ``"eigen"`` (every eigenvalue, exact; the full
    eigendecomposition for ``mode="worst"/"all"``) up to ``n = 4096`` (``KRYLOV_MIN_N``), and above
    it, for a matrix stored sparse with at most 1 % non-zeros, ``"krylov"`` (matrix-free,
    :mod:`topotheory.engine.krylov`: ``"mean"`` is exact to rounding by two sparse LU factorizations
    per decay, ``route="sparse-lu"``, on graphs whose band in reverse Cuthill–McKee order is narrow
    — geometric graphs, grids, meshes: :mod:`topotheory.engine.factor`; on expanders it is a seeded
    Hutchinson / Lanczos-quadrature estimate aiming at a relative half width ``rtol`` of its 95 %
    interval within ``time_budget`` seconds; ``"worst"`` and ``"all"`` are certified brackets);
    anything else → ``"dense"`` (Lyapunov equations, exact).

    Parameters
    ----------
    scheme : Scheme, InfiniteGraph, networkx.Graph, ndarray or sparse matrix
        The gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    gamma : float or array_like
        Decay in [0, 1). Omit when passing ``one_minus_gamma``.
    mode : {"mean", "worst", "all"}
        ``"mean"``: the paper's definition (average variance over workers). ``"worst"``: with the
        largest variance (what the theory needs on irregular graphs). ``"all"``: one value per
        worker (adds a trailing axis of length ``n``).
    phase : int
        Phase of a periodic scheme: any integer, taken modulo the period (``-1`` is the last
        phase; static schemes have only phase 0).
    one_minus_gamma : float or array_like, optional
        :math:`1 - \gamma` in (0, 1], for full precision as :math:`\gamma \to 1`.
    labelled : bool
        With ``mode="all"``: return a dict ``label -> n_W`` of worker ``i``'s value under
        ``scheme.labels[i]`` (the node names :func:`~topotheory.as_scheme` and the graph readers
        keep, in the graph's node order), or under ``i`` when the scheme has no labels. Each value
        is a float for scalar ``gamma``, else an array of ``gamma``'s shape.
    log : bool
        Return a :class:`~topotheory.KrylovEstimate`: the value (flattened over ``gamma``; a trailing
        worker axis for ``"all"``) with its interval, ``route``, ``converged`` and the work done.
        On the exact routes ``lower = upper = estimate`` and ``certified=True``.
    rtol : float, default 1e-4
        Sampled matrix-free route, ``mode="mean"`` only: the target relative half width of the 95 %
        interval (the other routes are exact and ignore it).
    time_budget : float or None, default 60
        Matrix-free route, ``mode="mean"``: seconds for the probes (None: no limit). When the
        budget ends before ``rtol`` is met, the estimate is returned with ``converged=False`` (its
        interval with ``log=True``) and a ``RuntimeWarning`` naming ``rtol=`` and ``time_budget=``.
        ``mode="worst"``: seconds for the Lanczos refinement of the candidate workers; when it ends
        first, the certified bracket reached is wider (``converged=False`` with ``log=True``) and a
        ``RuntimeWarning`` names ``time_budget=``.
        On the exact sparse-LU routes no decay is started after it (one always is): for ``"mean"``
        the decays left are sampled with one block of probes, for ``"worst"`` they get the certified
        Lanczos bracket within what is left of the budget, flagged the same way. ``mode="all"``
        takes no budget (every worker's value is computed).
    progress : bool or None
        Show progress of the matrix-free route (None: after a few seconds,
        :mod:`topotheory.common.progress`).

    Returns
    -------
    float, ndarray, dict or KrylovEstimate
        ``1 <= n_W <= n``; a float for scalar ``gamma`` (modes "mean"/"worst"); a dict with
        ``labelled=True``; a :class:`~topotheory.KrylovEstimate` with ``log=True``.

    Examples
    --------
    >>> from topotheory import ring, torus, fully_connected, solo
    >>> round(float(effective_neighbors(ring(32), 0.0)), 10)  # deg + 1 on a regular graph
    3.0
    >>> round(float(effective_neighbors(torus(4, 8), 0.0)), 10)
    5.0
    >>> effective_neighbors(fully_connected(8), [0.5, 0.99]).round(10)
    array([8., 8.])
    >>> float(effective_neighbors(solo(8), 0.9))
    1.0
    >>> round(float(effective_neighbors(ring(32), 0.99)), 4)
    17.0755
    >>> import networkx as nx
    >>> nw = effective_neighbors(nx.star_graph(["hub", "a", "b"]), 0.5, mode="all", labelled=True)
    >>> {k: round(v, 4) for k, v in nw.items()}
    {'hub': 3.0, 'a': 2.1, 'b': 2.1}
    >>> res = effective_neighbors(ring(32), [0.0, 0.99], log=True)
    >>> res.route, res.certified, res.estimate.round(4).tolist()
    ('fourier', True, [3.0, 17.0755])
    """
    check_choice("mode", mode, NW_MODES)
    if not isinstance(labelled, (bool, np.bool_)):
        raise TypeError(f"labelled must be True or False, got {labelled!r}")
    log = check_bool("log", log)
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, low_open=True, high_open=True)
    if time_budget is not None:
        time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
    if progress is not None:
        progress = check_bool("progress", progress)
    if labelled:
        if mode != "all":
            raise ValueError(f"labelled=True needs mode='all' (one value per worker), got mode={mode!r}")
        if log:
            raise ValueError("labelled=True returns a dict; log=True a KrylovEstimate: pass one of them")
        return _labelled(scheme, gamma, phase, one_minus_gamma)
    t0 = time.perf_counter()
    g, c = gamma_pair(gamma, one_minus_gamma)
    scalar = g.ndim == 0
    rep = resolve(scheme)
    phase = check_phase(phase, rep.period)
    if mode == "all" and rep.route == "spectral-measure":
        raise ValueError("mode='all' needs a finite scheme; infinite graphs are vertex transitive, use 'mean'")
    if isinstance(rep, KrylovRepresentation) and mode == "mean":
        est = rep.auto_nw_mean(g.ravel(), rtol=rtol, time_budget=time_budget, progress=progress, stacklevel=3)
        if log:
            return est
        out = (1.0 / (1.0 / est.estimate)).reshape(g.shape)  # bit for bit what the Representation interface gives
        return float(out) if scalar else out
    if isinstance(rep, KrylovRepresentation) and log:
        return (rep.nw_worst(g.ravel(), progress=progress, time_budget=time_budget) if mode == "worst"
                else rep.nw_workers(g.ravel(), np.arange(rep.n), progress=progress))
    if isinstance(rep, KrylovRepresentation) and mode == "worst":
        lo, hi = rep.auto_worst_variance(g.ravel(), time_budget=time_budget, progress=progress, stacklevel=3)
        out = (1.0 / (0.5 * (lo + hi))).reshape(g.shape)
        return float(out) if scalar else out
    if mode == "mean":
        out = 1.0 / rep.scaled_mean_variance(g, c, phase)
    elif mode == "worst":
        out = 1.0 / rep.scaled_worst_variance(g, c, phase)
    else:
        out = np.broadcast_to(1.0 / rep.scaled_variances(g, c, phase), g.shape + (rep.n,)).copy()
    if log:
        value = np.asarray(out, dtype=float).reshape((g.size, rep.n) if mode == "all" else (g.size,))
        return KrylovEstimate(
            quantity={"mean": "n_W mean", "worst": "n_W worst", "all": "n_W worker"}[mode], at=g.ravel().copy(),
            estimate=value, stderr=np.zeros_like(value), lower=value, upper=value, level=1.0, certified=True,
            route=rep.route, probes=0, steps=0, deflated=0, seconds=time.perf_counter() - t0, converged=True,
        )
    if mode == "all":
        return out
    return float(out) if scalar else out


def effective_neighbors_interval(scheme: SchemeLike, gamma: ArrayLike, *, mode: str = "mean", workers: ArrayLike | None = None,
                                 rtol: float = 1e-4, level: float = 0.95, max_probes: int = 512,
                                 time_budget: float | None = None, deflate: int | None = None, seed: Any = None,
                                 probing: int = 0, progress: bool | None = None) -> KrylovEstimate:
    r""":math:`n_W(\gamma)` with an error bar, matrix-free (static symmetric ``W``; :mod:`topotheory.engine.krylov`).

    Nothing forms a dense matrix: sparse Lanczos on :math:`W^2` restricted to
    :math:`\mathbf 1^\perp` with the slowest eigenpairs deflated exactly.

    * ``mode="mean"`` (paper eq. 6): :math:`n_W^{-1} = \frac1n + \frac{1-\gamma}{n}
      \operatorname{tr} h_\gamma(B^2)`, :math:`h_\gamma(\mu) = \mu/(1-\gamma\mu)`, by
      Hutchinson's estimator with exact low-order traces as a control variate and Gauss /
      Gauss–Radau bounds on every probe; the interval holds with probability ``level`` over the
      (seeded) probes. Probes are added until its relative half width is at most ``rtol``, or
      ``max_probes`` / ``time_budget`` (seconds) stops it (``converged=False``). For
      ``n <= max_probes`` the ``n`` diagonals are summed instead: certified.
    * ``mode="all"``: certified brackets (Gauss / Gauss–Radau) of every worker in ``workers``
      (default: all), shape ``(len(gamma), len(workers))``.
    * ``mode="worst"``: a certified bracket of the worst worker (crude bounds from sparse powers
      select the candidates, Lanczos refines them).

    These are the Lanczos brackets on every graph; :func:`effective_neighbors` (``log=True`` for
    the record) takes the exact sparse-LU routes where the factors stay sparse (``route="sparse-lu"``:
    the mean from log-determinants, every worker by selected inversion).

    Parameters
    ----------
    scheme : Scheme
        Static and symmetric.
    gamma : float or array_like
        Decays in [0, 1).
    mode : {"mean", "worst", "all"}
    workers : array_like of int, optional
        Workers for ``mode="all"``.
    rtol, level, max_probes, time_budget, deflate, seed
        Budget and randomness of ``mode="mean"`` (``deflate``: eigenpairs deflated; default adaptive).
        ``time_budget`` (seconds, None: no limit) also bounds ``mode="worst"``'s refinement of the
        candidate workers: when it ends first, the certified bracket reached so far (wider) is
        returned with ``converged=False``.
    probing : int, default 0
        ``mode="mean"``: with ``d >= 1`` each sample is a pass of probing vectors over a colouring
        of the graph in which workers of one colour are more than ``d`` hops apart (random signs
        within a colour; :class:`~topotheory.engine.krylov.TraceSampler`): the variance from pairs
        of workers within ``d`` hops is removed. It pays where ``f(W)`` is short-ranged (a random
        geometric graph of 4096 workers, per probe: 3.6-9x less variance at ``gamma = 0.9`` with
        ``d = 3-4``, 1.3-1.9x at 0.99; at 0.999, or at :math:`10^5` workers beyond 0.9, none), and
        costs a colouring (seconds at :math:`10^5` workers for ``d = 2``); 0 (the default) draws
        Rademacher probes.
    progress : bool, optional
        Show progress (:mod:`topotheory.common.progress`).

    Returns
    -------
    KrylovEstimate
        ``estimate``, ``stderr``, ``lower``, ``upper``, ``level``, ``certified``, ``route``,
        ``probes``, ``steps``, ``deflated``, ``seconds``, ``converged``.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import random_regular, effective_neighbors
    >>> s = random_regular(600, 6, seed=0)
    >>> est = effective_neighbors_interval(s, [0.5, 0.99], rtol=1e-3, seed=1)
    >>> est.route, est.certified, bool(np.all(est.relative_halfwidth <= 1e-3))
    ('krylov', False, True)
    >>> exact = effective_neighbors(s, [0.5, 0.99])  # one seeded run: within 4 standard errors
    >>> bool(np.all(np.abs(est.estimate - exact) <= 4 * est.stderr))
    True
    >>> w = effective_neighbors_interval(s, 0.99, mode="all", workers=[0, 1])
    >>> w.certified, bool(np.all(w.upper - w.lower <= 1e-9 * w.estimate))
    (True, True)
    """
    check_choice("mode", mode, NW_MODES)
    rep = cast(KrylovRepresentation, resolve(scheme, "krylov"))
    if mode == "mean":
        return rep.nw_mean(gamma, rtol=rtol, level=level, max_probes=max_probes, time_budget=time_budget,
                           deflate=deflate, seed=seed, probing=probing, progress=progress)
    if mode == "worst":
        return rep.nw_worst(gamma, deflate=deflate, progress=progress, time_budget=time_budget, method="lanczos")
    return rep.nw_workers(gamma, np.arange(rep.n) if workers is None else workers, deflate=deflate,
                          progress=progress, method="lanczos")


def _labelled(scheme: SchemeLike, gamma: ArrayLike | None, phase: int, one_minus_gamma: ArrayLike | None) -> dict[Any, Any]:
    """``effective_neighbors(..., mode="all")`` as a dict keyed by the scheme's worker labels."""
    from ..graphs.scheme import check_scheme

    if not hasattr(scheme, "period"):  # a graph or a matrix: converted once, so its labels are the ones used
        scheme = check_scheme(scheme)
    values = effective_neighbors(scheme, gamma, mode="all", phase=phase, one_minus_gamma=one_minus_gamma)
    labels = getattr(scheme, "labels", None)
    if labels is None:
        labels = range(values.shape[-1])
    values = np.moveaxis(values, -1, 0)
    return {lab: (float(v) if v.ndim == 0 else v) for lab, v in zip(labels, values)}


def random_walk_covariance(scheme: SchemeLike, gamma: float | None = None, *, phase: int = 0,
                           one_minus_gamma: float | None = None) -> np.ndarray:
    r"""Stationary covariance :math:`\Sigma(\gamma)` of the gossiping random walk at a phase.

    Solves :math:`\Sigma^{(t)} = W_{t-1}(\gamma\Sigma^{(t-1)} + I)W_{t-1}^T` over one period (for a
    static scheme the discrete Lyapunov equation :math:`\Sigma = \gamma W\Sigma W^T + WW^T`).

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    gamma : float
        Decay in [0, 1) (a scalar). Omit when passing ``one_minus_gamma``.
    phase : int
        As in :func:`effective_neighbors` (taken modulo the period).
    one_minus_gamma : float, optional
        :math:`1 - \gamma` in (0, 1], for full precision as :math:`\gamma \to 1`.

    Returns
    -------
    ndarray, shape (n, n)
        The symmetric positive definite stationary covariance :math:`\Sigma` at the phase.

    Examples
    --------
    >>> from topotheory import ring
    >>> S = random_walk_covariance(ring(8), 0.5)
    >>> round(float(S[0, 0] * 0.5), 6), bool(abs(S - S.T).max() < 1e-14)
    (0.269179, True)
    """
    g, c = gamma_pair(gamma, one_minus_gamma)
    if g.ndim != 0:
        raise ValueError("gamma must be a scalar for random_walk_covariance")
    rep = resolve(scheme)
    if rep.route == "spectral-measure":
        raise ValueError("random_walk_covariance needs a finite scheme; use effective_neighbors for infinite graphs")
    phase = check_phase(phase, rep.period)
    return rep.scaled_covariance(float(g), float(c), phase) / float(c)


# ---------------------------------------------------------------------------------- bounds
def spectral_gap_bound(n: float, gamma: ArrayLike, spectral_gap: float) -> FloatOrArray:
    r"""Spectral-gap bound on :math:`n_W` (paper eq. 11): a lower bound on :math:`n_W`.

    If every non-unit eigenvalue of ``W`` lies in :math:`[0, 1-\alpha]`,

    .. math:: n_W(\gamma)^{-1} \le \frac1n + \frac{n-1}{n}\,\frac{(1-\gamma)(1-\alpha)^2}{1-\gamma(1-\alpha)^2},

    an upper bound on :math:`n_W^{-1}`, so :math:`n_W` is at least the returned value (each term
    :math:`(1-\gamma)\lambda^2/(1-\gamma\lambda^2)` of eq. 6 grows with :math:`\lambda^2`). Tight
    for :func:`~topotheory.mix` (all non-unit eigenvalues equal :math:`1-\alpha`), very pessimistic
    elsewhere: the contrast between the spectral gap and :math:`n_W`. ``n`` may be ``inf``.

    Parameters
    ----------
    n : int or float
        Number of workers, a positive integer or ``inf``.
    gamma : float or array_like
        Decay in [0, 1).
    spectral_gap : float
        :math:`\alpha \in [0, 1]`: every non-unit eigenvalue of ``W`` lies in :math:`[0, 1-\alpha]`.

    Returns
    -------
    float or ndarray
        The lower bound on :math:`n_W(\gamma)` (a float for scalar ``gamma``, else ``gamma``'s shape).

    Examples
    --------
    >>> round(float(spectral_gap_bound(32, 0.9, 0.1)), 6)
    3.117182
    """
    if isinstance(n, (bool, np.bool_)) or (
        not (isinstance(n, (int, np.integer)) and n >= 1) and not n == float("inf")
    ):
        raise ValueError(f"n must be a positive integer or inf, got {n!r}")
    g, c = gamma_pair(gamma, None)
    alpha = check_real("spectral_gap", spectral_gap, low=0.0, high=1.0)
    q = (1.0 - alpha) ** 2
    frac = 0.0 if n == float("inf") else 1.0 / n
    inv = frac + (1.0 - frac) * c * q / (1.0 - g * q)
    out = 1.0 / inv
    return float(out) if np.ndim(out) == 0 else out


def spectral_dimension_bound(gamma: ArrayLike, *, d_s: float, c_s: float, n: float = float("inf")) -> FloatOrArray:
    r"""Lower bound on :math:`n_W(\gamma)` from the spectral dimension (paper eqs. 14-17).

    For a spectral measure with :math:`\sigma((\lambda, 1)) \le c_s^{-1}(1-\lambda)^{d_s/2}`
    (Definition 3):

    * :math:`d_s > 2`: :math:`n_W \ge (1/n + (1-\gamma)/(\gamma(d_s-2)c_s))^{-1}`
    * :math:`d_s = 2`: :math:`n_W \ge (1/n - (1-\gamma)\ln(1-\gamma)/(2\gamma c_s))^{-1}`
    * :math:`d_s < 2`: :math:`n_W \ge (1/n + 4(1-\gamma)^{d_s/2}/(d_s(2-d_s)c_s))^{-1}`

    Parameters
    ----------
    gamma : float or array_like
        Decay in (0, 1).
    d_s : float
        Spectral dimension :math:`d_s > 0` (Definition 3).
    c_s : float
        Spectral constant :math:`c_s > 0` (Definition 3).
    n : int or float
        Number of workers (a positive integer), default ``inf`` (an infinite graph).

    Returns
    -------
    float or ndarray
        The lower bound on :math:`n_W(\gamma)` (a float for scalar ``gamma``, else ``gamma``'s shape).

    Examples
    --------
    >>> round(float(spectral_dimension_bound(0.99, d_s=1, c_s=1.0)), 4)
    2.5
    """
    g, c = gamma_pair(gamma, None)
    d_s = check_real("d_s", d_s, low=0.0, low_open=True)
    c_s = check_real("c_s", c_s, low=0.0, low_open=True)
    frac = 0.0 if n == float("inf") else 1.0 / check_int("n", n, minimum=1)
    with np.errstate(divide="ignore"):
        if d_s > 2:
            inv = frac + c / (g * (d_s - 2) * c_s)
        elif d_s == 2:
            inv = frac - c * np.log(c) / (2 * g * c_s)
        else:
            inv = frac + 4 * c ** (d_s / 2) / (d_s * (2 - d_s) * c_s)
    out = np.minimum(1.0 / inv, np.inf)
    return float(out) if np.ndim(out) == 0 else out
