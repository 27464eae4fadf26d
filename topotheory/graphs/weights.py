"""Weight rules: from an undirected graph's adjacency to a symmetric doubly stochastic W.

Convention (used throughout topotheory): row ``i`` of ``W`` holds the weights worker ``i`` gives to
the models it receives, and one gossip step is ``X <- W @ X``.

Adjacency conventions (keyword-only options of every rule):

* ``multiedges="collapse"`` (the default of the functions here) reads any non-zero off-diagonal
  entry as one edge; ``multiedges="count"`` reads ``A_ij`` as the number of parallel edges
  ``i -- j`` (networkx's adjacency matrix of a ``MultiGraph``), so an edge of multiplicity ``m``
  gets ``m`` times the rule's edge weight and counts ``m`` times in the degree.
* ``self_loops="ignore"`` (the default here) drops the diagonal. ``self_loops="count"`` reads
  ``A_ii`` as self-loops that count once each in the degree -- the convention of networkx's
  adjacency matrix (``nx.to_scipy_sparse_array`` puts a loop once on the diagonal) and of
  consensus code that takes the degree as the row sum of that matrix. ``self_loops="double"``
  counts a loop twice, as ``G.degree`` does (each loop has two ends); with it the Margulis--Gabber--
  Galil expander is 8-regular, as in the expander literature.

A self-loop is an edge to itself: it enters the degree, and its own weight is part of the diagonal
:math:`W_{ii} = 1 - \\sum_{j \\ne i} W_{ij}` (the rules put the remainder of each row there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..common.validation import check_choice, check_matrix, plain

__all__ = [
    "WEIGHT_RULES",
    "MULTIEDGE_MODES",
    "SELF_LOOP_MODES",
    "metropolis_weights",
    "max_degree_weights",
    "one_over_max_degree_weights",
    "lazy_weights",
    "weights_from_adjacency",
    "check_weight_rule", "off_diagonal"]

#: Names accepted by ``weights=`` arguments.
WEIGHT_RULES = ("metropolis", "max_degree", "one_over_max_degree", "lazy_metropolis", "lazy_max_degree")

#: How parallel edges of an adjacency are read (``multiedges=``).
MULTIEDGE_MODES = ("collapse", "count")

#: How self-loops (the diagonal of an adjacency) are read (``self_loops=``).
SELF_LOOP_MODES = ("ignore", "count", "double")


def check_weight_rule(name: str, weights: str, *, attribute: bool = True) -> str | None:
    """Check a ``weights=`` argument: one of :data:`WEIGHT_RULES` or (``attribute``) ``"weight:ATTR"``.

    Returns the edge attribute ``ATTR`` for ``"weight:ATTR"``, else ``None``.

    Examples
    --------
    >>> check_weight_rule("weights", "metropolis") is None, check_weight_rule("weights", "weight:w")
    (True, 'w')
    >>> check_weight_rule("weights", "nonsense")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: weights must be one of 'metropolis', 'max_degree', 'one_over_max_degree', ...; got 'nonsense'
    """
    if attribute and isinstance(weights, str) and weights.startswith("weight:") and len(weights) > len("weight:"):
        return weights.split(":", 1)[1]
    if isinstance(weights, str) and weights in WEIGHT_RULES:
        return None
    allowed = ", ".join(repr(r) for r in WEIGHT_RULES)
    extra = " or 'weight:ATTR'" if attribute else ""
    raise ValueError(f"{name} must be one of {allowed}{extra}; got {plain(weights)}")


def _graph_from_adjacency(adjacency: Any, multiedges: str, self_loops: str) -> Any:
    """Off-diagonal edge multiplicities (CSR, symmetric) and the degrees, under the conventions.

    Rejects NaN, infinite and negative entries; ``multiedges="count"`` needs a symmetric matrix.
    """
    check_choice("multiedges", multiedges, MULTIEDGE_MODES)
    check_choice("self_loops", self_loops, SELF_LOOP_MODES)
    A = sp.csr_array(check_matrix("adjacency", adjacency))
    if np.any(A.data < 0):
        raise ValueError("adjacency must have non-negative entries (edge multiplicities)")
    loops = A.diagonal().copy()
    off = sp.csr_array(A - sp.diags_array(loops, format="csr"))
    off.eliminate_zeros()
    if multiedges == "collapse":
        off = sp.csr_array(((off + off.T) != 0).astype(float))
        loops = (loops != 0).astype(float)
    elif off.nnz and abs(off - off.T).max() > 0:
        raise ValueError(
            "adjacency must be symmetric to count multi-edges (an undirected graph); "
            "symmetrise it first or use multiedges='collapse'"
        )
    loop_factor = {"ignore": 0.0, "count": 1.0, "double": 2.0}[self_loops]
    deg = np.asarray(off.sum(axis=1)).ravel() + loop_factor * loops
    return off, deg


def metropolis_weights(adjacency: Any, *, multiedges: str = "collapse", self_loops: str = "ignore") -> Any:
    r"""The paper's Metropolis--Hastings variant.

    .. math:: W_{ij} = \frac{A_{ij}}{\max(\deg_i, \deg_j) + 1} \ (i \ne j), \qquad
              W_{ii} = 1 - \sum_{j \ne i} W_{ij}.

    With the defaults ``A_ij`` is 0 or 1 and ``deg`` counts distinct neighbours (self loops and
    repeated edges are ignored); see the module notes for ``multiedges`` and ``self_loops``. The
    result is symmetric and doubly stochastic; a ring of ``n >= 3`` gets weights 1/3. This is the
    rule of Vogels et al. (the weight 1/(max degree + 1)); Xiao & Boyd's "Metropolis--Hastings
    weights" are the same formula.

    Parameters
    ----------
    adjacency : array_like or sparse matrix, shape (n, n)
        Non-negative, finite. Any non-zero off-diagonal entry is an edge; with
        ``multiedges="collapse"`` the pattern is symmetrised.
    multiedges : {"collapse", "count"}
    self_loops : {"ignore", "count", "double"}

    Returns
    -------
    scipy.sparse.csr_array

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    >>> metropolis_weights(A).toarray().round(3)
    array([[0.667, 0.333, 0.   ],
           [0.333, 0.333, 0.333],
           [0.   , 0.333, 0.667]])

    A double edge counts twice (weight 2/3 against 1/(2 + 1) per edge):

    >>> metropolis_weights(np.array([[0, 2], [2, 0]]), multiedges="count").toarray()
    array([[0.33333333, 0.66666667],
           [0.66666667, 0.33333333]])
    """
    off, deg = _graph_from_adjacency(adjacency, multiedges, self_loops)
    coo = off.tocoo()
    vals = coo.data / (np.maximum(deg[coo.row], deg[coo.col]) + 1.0)
    return _with_self_weights(coo.row, coo.col, vals, off.shape[0])


def _uniform_edge_weights(adjacency: Any, multiedges: str, self_loops: str, extra: float) -> Any:
    """``W_ij = A_ij / (deg_max + extra)`` off the diagonal, the rest of each row on it."""
    off, deg = _graph_from_adjacency(adjacency, multiedges, self_loops)
    n = off.shape[0]
    dmax = float(deg.max()) if n else 0.0
    coo = off.tocoo()
    if dmax + extra == 0:  # no edges at all: every worker keeps its model
        return sp.csr_array(sp.eye_array(n, format="csr"))
    return _with_self_weights(coo.row, coo.col, coo.data / (dmax + extra), n)


def max_degree_weights(adjacency: Any, *, multiedges: str = "collapse", self_loops: str = "ignore") -> Any:
    r"""Uniform weights ``1/(deg_max + 1)`` on every edge, the rest on the diagonal.

    .. math:: W_{ij} = \frac{A_{ij}}{d_{\max} + 1} \ (i \ne j), \qquad W_{ii} = 1 - \sum_{j \ne i} W_{ij}.

    This is topotheory's ``"max_degree"`` rule (the weight of the Metropolis rule on a regular
    graph; the "max-degree" baseline of Vogels et al.'s code). It is **not** Xiao & Boyd's
    "maximum-degree weights" :math:`1/d_{\max}` (Xiao & Boyd 2004, Boyd et al. SIAM Review 2004,
    the CVX consensus examples and weight-design packages), which is
    :func:`one_over_max_degree_weights`. The diagonal is at least :math:`1/(d_{\max}+1) > 0`, so
    the eigenvalues stay above :math:`-1` even on bipartite graphs.

    Parameters
    ----------
    adjacency : array_like or sparse matrix, shape (n, n)
        Adjacency matrix of an undirected graph.
    multiedges : {"collapse", "count"}
    self_loops : {"ignore", "count", "double"}

    Returns
    -------
    scipy.sparse.csr_array, shape (n, n)
        The symmetric doubly stochastic gossip matrix.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    >>> max_degree_weights(A).toarray().round(3)
    array([[0.333, 0.333, 0.333],
           [0.333, 0.667, 0.   ],
           [0.333, 0.   , 0.667]])
    """
    return _uniform_edge_weights(adjacency, multiedges, self_loops, 1.0)


def one_over_max_degree_weights(adjacency: Any, *, multiedges: str = "collapse", self_loops: str = "ignore") -> Any:
    r"""Xiao & Boyd's maximum-degree weights: ``1/deg_max`` on every edge, the rest on the diagonal.

    .. math:: W_{ij} = \frac{A_{ij}}{d_{\max}} \ (i \ne j), \qquad W_{ii} = 1 - \sum_{j \ne i} W_{ij}
              = 1 - \frac{\deg_i - A_{ii}}{d_{\max}}.

    Equivalently :math:`W = I - L/d_{\max}` with :math:`L` the graph Laplacian. These are the
    "maximum-degree weights" of Xiao & Boyd, "Fast linear iterations for distributed averaging"
    (Systems & Control Letters 2004, eq. (15)) and Boyd, Diaconis & Xiao, "Fastest mixing Markov
    chain on a graph" (SIAM Review 2004), used by the CVX consensus examples and current weight-
    design packages. topotheory's ``"max_degree"`` rule (:func:`max_degree_weights`) is
    :math:`1/(d_{\max} + 1)` instead. A worker of maximum degree (without loops) keeps no
    self-weight, so on a bipartite regular graph :math:`-1` is an eigenvalue (the iteration
    oscillates): e.g. a ring of even size.

    Parameters
    ----------
    adjacency : array_like or sparse matrix, shape (n, n)
        Adjacency matrix of an undirected graph.
    multiedges : {"collapse", "count"}
    self_loops : {"ignore", "count", "double"}

    Returns
    -------
    scipy.sparse.csr_array, shape (n, n)
        The symmetric doubly stochastic gossip matrix.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    >>> one_over_max_degree_weights(A).toarray()
    array([[0. , 0.5, 0.5],
           [0.5, 0.5, 0. ],
           [0.5, 0. , 0.5]])
    """
    return _uniform_edge_weights(adjacency, multiedges, self_loops, 0.0)


def lazy_weights(W: Any) -> Any:
    r"""The lazy version :math:`W' = (I + W)/2`; its eigenvalues lie in [0, 1] for symmetric W.

    ``W`` must be a gossip matrix: square, real, finite, non-negative, rows and columns summing to
    1 (within 1e-9); anything else is refused with the offending row, column or entry.

    Parameters
    ----------
    W : (n, n) array_like
        A gossip matrix.

    Returns
    -------
    scipy.sparse.csr_array
        The lazy matrix ``(I + W) / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> lazy_weights(np.array([[0.0, 1.0], [1.0, 0.0]])).toarray()
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    W = sp.csr_array(check_matrix("W", W))
    if np.any(W.data < 0):
        raise ValueError(f"W must have non-negative entries (gossip weights), got {plain(float(W.data.min()))}")
    for axis, what in ((1, "row"), (0, "column")):
        sums = np.asarray(W.sum(axis=axis)).ravel()
        bad = np.abs(sums - 1) > 1e-9
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(f"W must be doubly stochastic: {what} {i} sums to {plain(float(sums[i]))}, expected 1")
    return sp.csr_array((sp.eye_array(W.shape[0], format="csr") + W) * 0.5)


def _with_self_weights(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> Any:
    off = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    diag = 1.0 - np.asarray(off.sum(axis=1)).ravel()
    return sp.csr_array(off + sp.diags_array(diag, format="csr"))


def weights_from_adjacency(adjacency: Any, rule: str = "metropolis", *, multiedges: str = "collapse",
                           self_loops: str = "ignore") -> Any:
    """Apply the weight rule named ``rule`` (one of :data:`WEIGHT_RULES`) to an adjacency.

    ``multiedges`` and ``self_loops`` choose how the adjacency is read (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    >>> float(weights_from_adjacency(A, "one_over_max_degree")[[0], [1]][0])
    0.5
    """
    check_choice("weights", rule, WEIGHT_RULES)
    opts = {"multiedges": multiedges, "self_loops": self_loops}
    if rule == "metropolis":
        return metropolis_weights(adjacency, **opts)
    if rule == "max_degree":
        return max_degree_weights(adjacency, **opts)
    if rule == "one_over_max_degree":
        return one_over_max_degree_weights(adjacency, **opts)
    if rule == "lazy_metropolis":
        return lazy_weights(metropolis_weights(adjacency, **opts))
    return lazy_weights(max_degree_weights(adjacency, **opts))


def off_diagonal(A: Any) -> Any:
    """A copy of the sparse matrix ``A`` (CSR) without its diagonal.

    Subtracts the diagonal instead of assigning zeros to it, so no sparsity-structure warning is
    raised by any scipy version, and every off-diagonal entry is kept bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> off_diagonal(sp.csr_array(np.array([[1.0, 2.0], [0.0, 3.0]]))).toarray()
    array([[0., 2.],
           [0., 0.]])
    """
    A = sp.csr_array(A)
    out = sp.csr_array(A - sp.diags_array(A.diagonal()))
    out.eliminate_zeros()
    return out
