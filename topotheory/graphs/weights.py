"""Weight rules: from an undirected graph's adjacency to a symmetric doubly stochastic W.

Convention (used throughout topotheory): row ``i`` of ``W`` holds the weights worker ``i`` gives to
the models it receives, and one gossip step is ``X <- W @ X``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..common.validation import check_choice

__all__ = ["WEIGHT_RULES", "metropolis_weights", "max_degree_weights", "lazy_weights", "weights_from_adjacency"]

#: Names accepted by ``weights=`` arguments.
WEIGHT_RULES = ("metropolis", "max_degree", "lazy_metropolis", "lazy_max_degree")


def _clean_adjacency(adjacency):
    """Binary, symmetric, loop-free sparse adjacency (CSR)."""
    A = sp.csr_array(adjacency, dtype=float)
    A = ((A + A.T) != 0).astype(float)
    A.setdiag(0)
    A.eliminate_zeros()
    return sp.csr_array(A)


def metropolis_weights(adjacency):
    r"""The paper's Metropolis--Hastings variant.

    .. math:: W_{ij} = \frac{1}{\max(\deg_i, \deg_j) + 1} \ (i \sim j), \qquad
              W_{ii} = 1 - \sum_{j \ne i} W_{ij}.

    ``deg`` counts distinct neighbours (self loops and repeated edges are ignored). The result is
    symmetric and doubly stochastic; a ring of ``n >= 3`` gets weights 1/3.

    Parameters
    ----------
    adjacency : array_like or sparse matrix, shape (n, n)
        Any non-zero off-diagonal entry is an edge; the pattern is symmetrised.

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
    """
    A = _clean_adjacency(adjacency)
    deg = np.asarray(A.sum(axis=1)).ravel()
    coo = A.tocoo()
    vals = 1.0 / (np.maximum(deg[coo.row], deg[coo.col]) + 1.0)
    return _with_self_weights(coo.row, coo.col, vals, A.shape[0])


def max_degree_weights(adjacency):
    r"""Uniform weights ``1/(deg_max + 1)`` on every edge, the rest on the diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    >>> max_degree_weights(A).toarray().round(3)
    array([[0.333, 0.333, 0.333],
           [0.333, 0.667, 0.   ],
           [0.333, 0.   , 0.667]])
    """
    A = _clean_adjacency(adjacency)
    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1)).ravel()
    dmax = deg.max() if n else 0.0
    coo = A.tocoo()
    vals = np.full(coo.nnz, 1.0 / (dmax + 1.0))
    return _with_self_weights(coo.row, coo.col, vals, n)


def lazy_weights(W):
    r"""The lazy version :math:`W' = (I + W)/2`; its eigenvalues lie in [0, 1] for symmetric W.

    Examples
    --------
    >>> import numpy as np
    >>> lazy_weights(np.array([[0.0, 1.0], [1.0, 0.0]])).toarray()
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    W = sp.csr_array(W, dtype=float)
    return sp.csr_array((sp.eye_array(W.shape[0], format="csr") + W) * 0.5)


def _with_self_weights(rows, cols, vals, n):
    off = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    diag = 1.0 - np.asarray(off.sum(axis=1)).ravel()
    return sp.csr_array(off + sp.diags_array(diag, format="csr"))


def weights_from_adjacency(adjacency, rule="metropolis"):
    """Apply the weight rule named ``rule`` (one of :data:`WEIGHT_RULES`) to an adjacency."""
    check_choice("weights", rule, WEIGHT_RULES)
    if rule == "metropolis":
        return metropolis_weights(adjacency)
    if rule == "max_degree":
        return max_degree_weights(adjacency)
    if rule == "lazy_metropolis":
        return lazy_weights(metropolis_weights(adjacency))
    return lazy_weights(max_degree_weights(adjacency))
