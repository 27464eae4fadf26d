"""The weight-design problem on a fixed graph: edge weights, the matrix they define, the spectral
objectives with their exact gradients, the feasible set and its certificates (package-internal).

Parameterisation. A symmetric gossip matrix supported on the graph's edges with unit row sums is
exactly

.. math:: W(w) = I - \\sum_{e = \\{i, j\\}} w_e (e_i - e_j)(e_i - e_j)^T = I - B\\,\\mathrm{diag}(w)\\,B^T,

``B`` the signed incidence matrix (one column per edge). Rows and columns sum to one for every
``w``; ``W_ij = w_e`` off the diagonal and ``W_ii = 1 - sum_{e ∋ i} w_e``. Non-negative weights are
the polytope :math:`P = \\{w \\ge 0,\\ |B| w \\le 1\\}`; signed weights are all of :math:`\\mathbb{R}^m`.

Spectral objectives are sums :math:`F(w) = c_0 + c \\sum_k f(\\mu_k)` over the eigenvalues
:math:`\\mu_k` of :math:`W - J` (the eigenvalue 1 of ``W`` on the constant vector becomes
:math:`\\mu = 0`, with :math:`f(0) = 0`). With :math:`W - J = Q\\,\\mathrm{diag}(\\mu)\\,Q^T` the
gradient of a spectral function (Lewis 1996) is :math:`Q\\,\\mathrm{diag}(c f'(\\mu))\\,Q^T`, so
:math:`\\partial F/\\partial w_e = -(G_{ii} + G_{jj} - 2 G_{ij})` with that matrix ``G``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "DesignGraph",
    "design_graph",
    "SpectralObjective",
    "spectral_objective",
    "SmoothedNormObjective",
    "project_nonnegative",
    "frank_wolfe_gap",
    "lp_lower_bound",
]


class DesignGraph:
    """Nodes ``0..n-1`` and edges ``(i, j)``, ``i < j``, with the incidence structure."""

    def __init__(self, n: int, edges: Any, labels: Any = None, name: str = "graph") -> None:
        self.n = int(n)
        self.edges = np.asarray(edges, dtype=np.intp).reshape(-1, 2)
        self.m = len(self.edges)
        self.i, self.j = self.edges[:, 0], self.edges[:, 1]
        self.labels = list(range(self.n)) if labels is None else list(labels)
        self.name = name
        cols = np.arange(self.m)
        #: unsigned node-edge incidence (n x m): (|B| w)_i = sum of the weights at node i
        self.A = sp.csr_array(
            (np.ones(2 * self.m), (np.r_[self.i, self.j], np.r_[cols, cols])), shape=(self.n, self.m)
        )
        self.max_degree = int(np.max(np.asarray(self.A.sum(axis=1)).ravel())) if self.m else 0

    def matrix(self, w: np.ndarray) -> np.ndarray:
        """The dense gossip matrix :math:`W(w) = I - B\\,\\mathrm{diag}(w) B^T`."""
        w = np.asarray(w, dtype=float)
        W = np.zeros((self.n, self.n))
        W[self.i, self.j] = w
        W[self.j, self.i] = w
        W[np.diag_indices(self.n)] = 1.0 - self.A @ w
        return W

    def load(self, w: np.ndarray) -> np.ndarray:
        """Sum of the edge weights at each node, :math:`|B| w`."""
        w = np.asarray(w, dtype=float)
        return np.bincount(self.i, w, self.n) + np.bincount(self.j, w, self.n)

    def edge_sum(self, mu: np.ndarray) -> np.ndarray:
        r""":math:`|B|^T \mu`: the sum of the node values at the two ends of each edge."""
        return mu[self.i] + mu[self.j]

    def weights_of(self, W: Any) -> np.ndarray:
        """The edge weights ``W_ij`` of a matrix supported on the graph."""
        return np.asarray(W, dtype=float)[self.i, self.j].copy()

    def nonnegative_start(self) -> np.ndarray:
        """Metropolis weights :math:`1/(\\max(d_i, d_j) + 1)`: a strictly feasible start."""
        deg = np.asarray(self.A.sum(axis=1)).ravel()
        return 1.0 / (np.maximum(deg[self.i], deg[self.j]) + 1.0)


def design_graph(graph: Any) -> DesignGraph:
    """A :class:`DesignGraph` from a networkx graph, a Scheme (its support) or an adjacency matrix.

    Raises ``ValueError`` for a graph with no edges or a disconnected graph, ``TypeError`` for
    anything else.
    """
    import networkx as nx
    from scipy.sparse.csgraph import connected_components

    from ..graphs import Scheme

    labels, name = None, "graph"
    if isinstance(graph, (nx.Graph, nx.DiGraph)):
        if graph.number_of_nodes() == 0:
            raise ValueError("graph must have at least one node; got an empty graph")
        labels = list(graph.nodes())
        A = nx.to_scipy_sparse_array(graph, nodelist=labels, weight=None, format="coo", dtype=float)
        name = graph.graph.get("name") or "graph"
    elif isinstance(graph, Scheme):
        if graph.period != 1:
            raise ValueError(f"graph must be a static scheme (period 1) to design weights on; got period {graph.period}")
        A = sp.coo_array(graph.sparse_matrix(0))
        name = graph.name
    else:
        try:
            A = sp.coo_array(graph if sp.issparse(graph) else np.asarray(graph, dtype=float))
        except (TypeError, ValueError):
            raise TypeError(
                "graph must be a networkx graph, a static Scheme or a square adjacency matrix; "
                f"got {type(graph).__name__}"
            ) from None
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"graph as a matrix must be square, got shape {A.shape}")
    n = A.shape[0]
    mask = (A.row != A.col) & (A.data != 0)
    r, c = A.row[mask], A.col[mask]
    lo, hi = np.minimum(r, c), np.maximum(r, c)
    edges = np.unique(np.c_[lo, hi], axis=0) if len(lo) else np.zeros((0, 2), dtype=np.intp)
    if len(edges) == 0:
        raise ValueError(f"graph has no edges (n={n}); weights can only be designed on a graph with edges")
    adj = sp.coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    k, _ = connected_components(adj, directed=False)
    if k > 1:
        raise ValueError(
            f"graph is disconnected ({k} components); no weights on it reach consensus. "
            "Design weights on each component separately"
        )
    return DesignGraph(n, edges, labels=labels, name=name)


class SpectralObjective:
    r"""``F(w) = offset + scale * sum_k f(mu_k)`` over the eigenvalues of :math:`W(w) - J`.

    ``kind`` is ``"effective_neighbors"`` (:math:`f = \mu^2/(1-\gamma\mu^2)`, ``F = 1/n_W(\gamma)``,
    offset ``1/n``, scale ``(1-\gamma)/n``) or ``"msd"`` (:math:`f = 1/(1-\mu^2) - 1`,
    ``F = S_0 = (1/n) \sum_{j \ge 2} 1/(1-\lambda_j^2)``, offset ``(n-1)/n``, scale ``1/n``).
    Outside the domain (:math:`\gamma\mu^2 \ge 1`, resp. :math:`\mu^2 \ge 1`) ``F = +inf``.
    """

    def __init__(self, dg: DesignGraph, kind: str, gamma: float | None = None) -> None:
        self.dg, self.kind = dg, kind
        n = dg.n
        self.J = np.full((n, n), 1.0 / n)
        if kind == "effective_neighbors":
            if gamma is None:
                raise ValueError("kind 'effective_neighbors' needs gamma in [0, 1)")
            self.gamma = float(gamma)
            self.offset, self.scale = 1.0 / n, (1.0 - self.gamma) / n
        elif kind == "msd":
            self.gamma = 1.0
            self.offset, self.scale = (n - 1.0) / n, 1.0 / n
        else:  # pragma: no cover - guarded by the caller
            raise ValueError(kind)

    def terms(self, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(f(mu), f'(mu)) elementwise; ``None`` when outside the domain."""
        g = self.gamma
        den = 1.0 - g * mu * mu
        if np.any(den <= 0):
            return None
        # both kinds: f = mu^2 / (1 - g mu^2) (for "msd", g = 1 and 1/(1-mu^2) - 1 = mu^2/(1-mu^2))
        return mu * mu / den, 2.0 * mu / (den * den)

    def value(self, w: np.ndarray) -> float:
        mu = np.linalg.eigvalsh(self.dg.matrix(w) - self.J)
        t = self.terms(mu)
        return np.inf if t is None else self.offset + self.scale * float(np.sum(t[0]))

    def value_grad(self, w: np.ndarray) -> tuple[float, np.ndarray | None]:
        """``(F(w), dF/dw)``; ``(inf, None)`` outside the domain."""
        dg = self.dg
        mu, Q = np.linalg.eigh(dg.matrix(w) - self.J)
        t = self.terms(mu)
        if t is None:
            return np.inf, None
        d = self.scale * t[1]
        Qd = Q * d
        diag = np.einsum("ik,ik->i", Qd, Q)
        off = np.einsum("ek,ek->e", Qd[dg.i], Q[dg.j])
        grad = -(diag[dg.i] + diag[dg.j] - 2.0 * off)
        return self.offset + self.scale * float(np.sum(t[0])), grad


class SmoothedNormObjective:
    r"""Smoothed spectral norm :math:`F_\beta(w) = \frac1\beta \log \sum_k (e^{\beta\mu_k} + e^{-\beta\mu_k})`
    over the eigenvalues :math:`\mu_k` of :math:`W(w) - J` (Nesterov 2007 smoothing of
    :math:`\|W - J\|_2 = \max_k |\mu_k|`).

    Convex and smooth, with :math:`\|W - J\|_2 \le F_\beta \le \|W - J\|_2 + \log(2n)/\beta`. Its
    gradient matrix is :math:`Z_+ - Z_-`, :math:`Z_\pm = Q\,\mathrm{diag}(p_\pm)Q^T` with the softmax
    weights :math:`p_\pm \propto e^{\pm\beta\mu_k}` (summing to one together): a feasible point of
    the dual of the norm problem, so :meth:`duals` gives a lower bound on the optimum.
    """

    def __init__(self, dg: DesignGraph, beta: float) -> None:
        self.dg, self.beta = dg, float(beta)
        self.J = np.full((dg.n, dg.n), 1.0 / dg.n)

    def _weights(self, mu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        b = self.beta
        s = float(np.max(np.abs(mu)))
        ep, em = np.exp(b * (mu - s)), np.exp(b * (-mu - s))
        tot = float(np.sum(ep) + np.sum(em))
        return s + np.log(tot) / b, ep / tot, em / tot

    def value(self, w: np.ndarray) -> float:
        return self._weights(np.linalg.eigvalsh(self.dg.matrix(w) - self.J))[0]

    def value_grad(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        dg = self.dg
        mu, Q = np.linalg.eigh(dg.matrix(w) - self.J)
        F, pp, pm = self._weights(mu)
        Qd = Q * (pp - pm)
        diag = np.einsum("ik,ik->i", Qd, Q)
        off = np.einsum("ek,ek->e", Qd[dg.i], Q[dg.j])
        return F, -(diag[dg.i] + diag[dg.j] - 2.0 * off)

    def duals(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Z_+, Z_-)`` at ``w``: positive semidefinite, traces summing to one."""
        mu, Q = np.linalg.eigh(self.dg.matrix(w) - self.J)
        _, pp, pm = self._weights(mu)
        return (Q * pp) @ Q.T, (Q * pm) @ Q.T


def spectral_objective(dg: DesignGraph, kind: str, gamma: float | None = None) -> SpectralObjective:
    """The :class:`SpectralObjective` of ``kind`` on ``dg``."""
    return SpectralObjective(dg, kind, gamma)


def project_nonnegative(dg: DesignGraph, v: np.ndarray, mu: np.ndarray | None = None, *, tol: float = 1e-13,
                        max_iter: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    r"""Euclidean projection of ``v`` onto :math:`P = \{w \ge 0, |B| w \le 1\}`.

    Solved through its dual: with multipliers :math:`\mu \ge 0` of the node constraints,
    :math:`w(\mu) = \max(0, v - |B|^T \mu)`, and the optimality conditions are
    :math:`\mu \ge 0`, :math:`|B| w(\mu) \le 1`, :math:`\mu_i (1 - (|B| w(\mu))_i) = 0`.
    A primal-dual active-set method (semismooth Newton; Hintermüller, Ito & Kunisch 2002) guesses
    the positive edges ``E`` and the saturated nodes ``N`` and solves the sparse linear system
    :math:`\sum_{e \in E,\, e \ni i} (v_e - \sum_{k \in N \cap e} \mu_k) = 1`, :math:`i \in N`
    (a signless-Laplacian-type matrix), until the sets repeat: a handful of sparse solves, warm
    started from the previous call's ``mu``. If the sets cycle, accelerated projected ascent on the
    dual (step :math:`1/(2 d_{\max}) \le 1/\|\,|B|\,\|^2`) finishes from the best point. Returns
    ``(w, mu)`` (``mu`` to warm-start the next call); ``w`` is exactly feasible (node loads above
    one are scaled back, a change of the order of ``tol``).
    """
    v = np.asarray(v, dtype=float)
    w = np.maximum(v, 0.0)
    if np.all(dg.load(w) <= 1.0):
        return w, np.zeros(dg.n)
    mu = np.zeros(dg.n) if mu is None else np.maximum(mu, 0.0)
    mu, done = _active_set_dual(dg, v, mu, tol)
    if not done:
        mu = _accelerated_dual(dg, v, mu, tol, max_iter)
    w = np.maximum(v - dg.edge_sum(mu), 0.0)
    s = np.maximum(dg.load(w), 1.0)
    w = w / np.maximum(s[dg.i], s[dg.j])
    return w, mu


def _dual_residual(dg: DesignGraph, v: np.ndarray, mu: np.ndarray) -> float:
    """KKT residual of the projection's dual at ``mu``: violation and complementary slackness."""
    load = dg.load(np.maximum(v - dg.edge_sum(mu), 0.0))
    viol = max(float(np.max(load - 1.0)), 0.0)
    slack = float(np.max(mu * np.abs(1.0 - load))) if mu.any() else 0.0
    return max(viol, slack)


#: largest active node set solved densely in the active-set projection
_DENSE_ACTIVE = 64


def _active_set_dual(dg: DesignGraph, v: np.ndarray, mu: np.ndarray, tol: float,
                     max_iter: int = 50) -> tuple[np.ndarray, bool]:
    """Primal-dual active-set iterations for the projection's dual; ``(mu, converged)``."""
    import warnings

    from scipy.sparse.linalg import MatrixRankWarning, spsolve

    n = dg.n
    seen = set()
    best, best_res = mu, _dual_residual(dg, v, mu)
    for _ in range(max_iter):
        r = v - dg.edge_sum(mu)
        E = r > 0
        load = dg.load(np.maximum(r, 0.0))
        N = (mu + (load - 1.0)) > 0
        key = (E.tobytes(), N.tobytes())
        if key in seen:
            break
        seen.add(key)
        ei, ej, ve = dg.i[E], dg.j[E], v[E]
        deg = np.bincount(ei, minlength=n) + np.bincount(ej, minlength=n)
        N &= deg > 0
        idx = np.flatnonzero(N)
        new = np.zeros(n)
        if idx.size:
            pos = np.full(n, -1)
            pos[idx] = np.arange(idx.size)
            b = (np.bincount(ei, ve, n) + np.bincount(ej, ve, n))[idx] - 1.0
            both = N[ei] & N[ej]
            pi, pj = pos[ei[both]], pos[ej[both]]
            if idx.size <= _DENSE_ACTIVE:
                M = np.diag(deg[idx].astype(float))
                np.add.at(M, (pi, pj), 1.0)
                np.add.at(M, (pj, pi), 1.0)
                try:
                    new[idx] = np.linalg.solve(M, b)
                except np.linalg.LinAlgError:
                    break
            else:
                k = np.arange(idx.size)
                M = sp.csc_array((np.r_[deg[idx].astype(float), np.ones(2 * pi.size)],
                                  (np.r_[k, pi, pj], np.r_[k, pj, pi])), shape=(idx.size, idx.size))
                with warnings.catch_warnings():
                    warnings.simplefilter("error", MatrixRankWarning)
                    try:
                        new[idx] = spsolve(M, b)
                    except MatrixRankWarning:
                        break
        if not np.all(np.isfinite(new)):
            break
        mu = np.maximum(new, 0.0)
        res = _dual_residual(dg, v, mu)
        if res < best_res:
            best, best_res = mu, res
        if res <= tol:
            return mu, True
    return best, False


def _accelerated_dual(dg: DesignGraph, v: np.ndarray, mu: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Accelerated projected ascent on the projection's dual (the slow, always-convergent route)."""
    step = 1.0 / (2.0 * max(dg.max_degree, 1))
    y, t = mu.copy(), 1.0
    for _ in range(max_iter):
        g = dg.load(np.maximum(v - dg.edge_sum(y), 0.0)) - 1.0
        mu_new = np.maximum(y + step * g, 0.0)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = mu_new + ((t - 1.0) / t_new) * (mu_new - mu)
        mu, t = mu_new, t_new
        load = dg.load(np.maximum(v - dg.edge_sum(mu), 0.0))
        viol = np.max(load - 1.0)
        slack = np.max(mu * np.maximum(1.0 - load, 0.0)) if mu.any() else 0.0
        if viol <= tol and slack <= tol:
            break
    return mu


def lp_lower_bound(dg: DesignGraph, c: np.ndarray) -> float:
    r"""A rigorous lower bound on :math:`\min_{w \in P} c^T w`, :math:`P = \{w \ge 0, |B| w \le 1\}`.

    The linear programme is solved by HiGHS, whose reported optimum is accurate only to its
    tolerances (~1e-7), so the bound is taken from its dual instead: for every :math:`y \ge 0`,
    :math:`c^T w \ge -1^T y + \sum_e \min(0, c_e + (|B|^T y)_e)` on :math:`P` (weak duality, using
    :math:`0 \le w_e \le 1`). Returns NaN if the solver fails.
    """
    from scipy.optimize import linprog

    res = linprog(c, A_ub=dg.A, b_ub=np.ones(dg.n), bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - P is a non-empty polytope
        return np.nan
    y = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0)
    return float(-np.sum(y) + np.sum(np.minimum(0.0, c + dg.edge_sum(y))))


def frank_wolfe_gap(dg: DesignGraph, w: np.ndarray, grad: np.ndarray) -> float:
    r"""A certificate for a convex objective on :math:`P`: :math:`F(w) - F^\star \le
    \langle \nabla F(w), w - v\rangle` for every :math:`v \in P`, bounded above through
    :func:`lp_lower_bound` of :math:`\min_{v \in P} \langle\nabla F(w), v\rangle` (a linear programme,
    HiGHS). Returns the gap (``>= 0`` up to rounding)."""
    return float(grad @ w - lp_lower_bound(dg, grad))
