r"""One-peer gossip schedules designed for the effective number of neighbours: a periodic sequence of
matchings of a base graph that maximises the phase-averaged :math:`n_W(\gamma)`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_bool, check_int, check_real
from ..graphs.scheme import check_scheme
from ..graphs import Scheme
from ..metrics import effective_neighbors
from .problem import design_graph

__all__ = ["matching_schedule", "mean_effective_neighbors"]


def mean_effective_neighbors(scheme: Any, gamma: float) -> float:
    r"""The phase average :math:`\frac1p\sum_{t<p} n_W^{(t)}(\gamma)` (mean mode) of a scheme.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (any period).
    gamma : float
        Decay in [0, 1).

    Returns
    -------
    float
        The phase-averaged :math:`n_W(\gamma)`.

    Examples
    --------
    >>> from topotheory import one_peer_exponential
    >>> round(mean_effective_neighbors(one_peer_exponential(8), 0.0), 12)
    2.0
    """
    scheme = check_scheme(scheme)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_open=True)
    return float(np.mean([effective_neighbors(scheme, gamma, phase=t) for t in range(scheme.period)]))


def _partner(n: int, matching: Any) -> np.ndarray:
    pi = np.arange(n)
    for i, j in matching:
        pi[i], pi[j] = j, i
    return pi


def _gossip(Y: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """``W Y W`` for the matching matrix ``W = (I + P)/2`` (``P`` the partner involution)."""
    PY = Y[pi]
    return (Y + PY + Y[:, pi] + PY[:, pi]) / 4.0


def _greedy_matching(dg: Any, Y: np.ndarray) -> list[tuple[int, ...]]:
    """Max-weight matching for the weights ``b_e^T Y b_e = Y_ii + Y_jj - 2 Y_ij``."""
    import networkx as nx

    d = np.diag(Y)
    gain = d[dg.i] + d[dg.j] - 2.0 * Y[dg.i, dg.j]
    H = nx.Graph()
    H.add_weighted_edges_from(zip(dg.i.tolist(), dg.j.tolist(), gain.tolist()))
    return sorted(tuple(sorted(e)) for e in nx.max_weight_matching(H, maxcardinality=False))


def _stationary_entering(pis: list[np.ndarray], t: int, gamma: float, n: int, tol: float = 1e-13) -> np.ndarray:
    """Stationary covariance of the noise process just before step ``t`` of the period."""
    p = len(pis)
    S = np.zeros((n, n))
    periods = int(np.ceil(np.log(tol) / (p * np.log(gamma)))) + 1 if gamma > 0 else 1
    for _ in range(min(periods, 100000)):
        for k in range(p):
            S = _gossip(gamma * S + np.eye(n), pis[(t + k) % p])
    return S


def _scheme(n: int, pis: list[np.ndarray], name: str) -> Scheme:
    mats = []
    for pi in pis:
        W = np.zeros((n, n))
        W[np.arange(n), np.arange(n)] += 0.5
        W[np.arange(n), pi] += 0.5
        mats.append(W)
    return Scheme(mats, name=name, params={"weights": "matching"})


def matching_schedule(graph: Any, *, gamma: float, period: int | None = None, sweeps: int = 10,
                      log: bool = False) -> Scheme | tuple[Scheme, list[float]]:
    r"""A periodic one-peer schedule of matchings on ``graph`` that maximises the mean :math:`n_W(\gamma)`.

    Step ``t`` averages the pairs of a matching :math:`M_t` of the graph:
    :math:`W_t = I - \frac12\sum_{e \in M_t} b_e b_e^T` (each worker talks to at most one peer, with
    weight 1/2; row convention :math:`X \leftarrow W_t X`). Such a :math:`W_t` is an orthogonal
    projection, so for the covariance :math:`Y = \gamma\Sigma^{(t)} + I` entering step ``t`` of the
    noise process (THEORY §2.3) the variance it removes is exactly
    :math:`\operatorname{tr} Y - \operatorname{tr} W_t Y W_t = \frac12\sum_{e\in M_t} (Y_{ii} + Y_{jj} - 2Y_{ij})`:
    a maximum-weight matching is the best single step. The schedule is built greedily (from zero
    covariance, one step after the other) and then improved by sweeps of block-coordinate ascent:
    each position's matching is replaced by the best single step against the stationary
    covariance entering it, kept only when the phase-averaged :math:`n_W(\gamma)`
    (:func:`mean_effective_neighbors`) increases. A heuristic (the exact problem is combinatorial),
    monotone by construction; not guaranteed globally optimal.

    Parameters
    ----------
    graph : networkx.Graph, static Scheme or adjacency
        The links that may be used (connected).
    gamma : float in [0, 1)
        The decay of :math:`n_W`.
    period : int, optional
        Length of the schedule (default :math:`\lceil\log_2 n\rceil`, the one-peer exponential
        graph's period).
    sweeps : int
        Maximum number of improvement sweeps.
    log : bool
        Also return the history of the objective: ``(scheme, values)``.

    Returns
    -------
    Scheme or (Scheme, list of float)
        The periodic schedule of matchings; with ``log=True`` also the objective after the greedy start and each sweep.

    Examples
    --------
    >>> import networkx as nx
    >>> s = matching_schedule(nx.complete_graph(8), gamma=0.9)
    >>> s.period, round(mean_effective_neighbors(s, 0.9), 6)  # as the one-peer exponential graph
    (3, 5.755396)
    """
    dg = design_graph(graph)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, high_open=True)
    n = dg.n
    # each step of each sweep solves an n x n matching problem: bounded so that a call finishes
    period = max(1, int(np.ceil(np.log2(n)))) if period is None else check_int("period", period, minimum=1,
                                                                               maximum=10_000)
    sweeps = check_int("sweeps", sweeps, minimum=0, maximum=10_000)
    log = check_bool("log", log)
    pis, S = [], np.zeros((n, n))
    for _ in range(period):
        Y = gamma * S + np.eye(n)
        pi = _partner(n, _greedy_matching(dg, Y))
        pis.append(pi)
        S = _gossip(Y, pi)
    name = f"{dg.name}:matchings"
    best = mean_effective_neighbors(_scheme(n, pis, name), gamma)
    values = [best]
    for _ in range(sweeps):
        improved = False
        for t in range(period):
            Y = gamma * _stationary_entering(pis, t, gamma, n) + np.eye(n)
            pi = _partner(n, _greedy_matching(dg, Y))
            if np.array_equal(pi, pis[t]):
                continue
            trial = pis[:t] + [pi] + pis[t + 1 :]
            val = mean_effective_neighbors(_scheme(n, trial, name), gamma)
            if val > best * (1 + 1e-12):
                pis, best, improved = trial, val, True
                values.append(best)
        if not improved:
            break
    scheme = _scheme(n, pis, name)
    return (scheme, values) if log else scheme
