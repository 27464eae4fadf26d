r"""The parts of a doubly stochastic matrix that never mix: irreducible components and cyclic classes.

A doubly stochastic ``M`` is completely reducible: after a permutation it is a direct sum of
irreducible doubly stochastic blocks (its weakly connected components are strongly connected). A
block of period ``d`` has the unimodular eigenvalues :math:`e^{2\pi i k/d}`, each simple, with
eigenvectors constant on its ``d`` cyclic classes (the Perron vector is uniform). Hence the
indicators of all cyclic classes span exactly the subspace on which ``M`` acts unitarily (as a
permutation of the classes), and on its orthogonal complement the spectral radius of ``M`` is
strictly below 1.

Everything here is decided from the *support* of ``M`` (which entries are non-zero; products of
non-negative matrices keep exact zeros), never from a computed eigenvalue being "close to 1": this
is what keeps the stationary walk exact as :math:`\gamma \to 1` on graphs that never mix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

__all__ = ["CyclicClasses", "cyclic_classes", "STRUCTURAL_MARGIN"]

#: A computed eigenvalue (or Fourier modulus) farther than this from the unit circle cannot be
#: structurally unimodular (rounding errors are ~1e-15): the support analysis is skipped then.
STRUCTURAL_MARGIN = 1e-9


class CyclicClasses:
    """Cyclic classes of a doubly stochastic matrix (see the module docstring).

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Class of every node, ``0 .. count - 1``.
    count : int
        Number of classes: the number of unimodular eigenvalues (with multiplicity).
    components : int
        Number of irreducible components: the multiplicity of the eigenvalue 1.
    periods : ndarray of int
        Period of each component.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Class of every node.
    components : int
        Number of irreducible components.
    periods : ndarray of int
        Period of each component.

    Examples
    --------
    >>> import numpy as np
    >>> c = CyclicClasses(np.array([0, 1, 0, 1]), 1, np.array([2]))  # one bipartite component
    >>> c.count, c.bipartite_components
    (2, 1)
    """

    labels: np.ndarray
    count: int
    components: int
    periods: np.ndarray

    def __init__(self, labels: np.ndarray, components: int, periods: np.ndarray) -> None:
        self.labels = labels
        self.count = int(labels.max()) + 1 if labels.size else 0
        self.components = int(components)
        self.periods = periods

    @property
    def bipartite_components(self) -> int:
        """Number of components of period 2 (each gives the eigenvalue -1 of a symmetric matrix).

        Returns
        -------
        int
            The count.

        Examples
        --------
        >>> import numpy as np
        >>> cyclic_classes(np.array([[0.0, 1.0], [1.0, 0.0]])).bipartite_components
        1
        """
        return int(np.sum(self.periods == 2))

    def basis(self) -> np.ndarray:
        """Orthonormal class indicators, shape ``(n, count)``: the unitary part of the matrix.

        Returns
        -------
        ndarray, shape (n, count)
            Column ``k`` is the indicator of class ``k`` divided by the square root of its size.

        Examples
        --------
        >>> import numpy as np
        >>> cyclic_classes(np.kron(np.eye(2), np.full((2, 2), 0.5))).basis().round(6).tolist()
        [[0.707107, 0.0], [0.707107, 0.0], [0.0, 0.707107], [0.0, 0.707107]]
        """
        n = self.labels.size
        E = np.zeros((n, self.count))
        E[np.arange(n), self.labels] = 1.0
        return E / np.sqrt(E.sum(axis=0))


def cyclic_classes(M: Any) -> CyclicClasses:
    """The :class:`CyclicClasses` of a (dense or sparse) doubly stochastic matrix.

    A component with a self loop (positive diagonal) is aperiodic. Otherwise levels come from one
    breadth-first search per component (all roots at once); the period of a component is the gcd
    of ``level(i) + 1 - level(j)`` over its edges ``i -> j``.

    Parameters
    ----------
    M : ndarray or scipy sparse matrix, shape (n, n)
        A doubly stochastic matrix; only its support (non-zero pattern) is used.

    Returns
    -------
    CyclicClasses
        The classes, components and periods.

    Examples
    --------
    >>> import numpy as np
    >>> shift = np.roll(np.eye(3), 1, axis=1)  # a directed 3-cycle: period 3
    >>> c = cyclic_classes(np.kron(np.eye(2), shift))
    >>> c.components, c.count, c.periods.tolist()
    (2, 6, [3, 3])
    """
    A = sp.csr_array(M) if not sp.issparse(M) else sp.csr_array(M)
    # 32-bit indices where they fit: the graph routines of scipy < 1.15 refuse 64-bit ones
    index = np.intc if A.nnz < np.iinfo(np.intc).max else A.indices.dtype
    A = sp.csr_array((np.ones_like(A.data), A.indices.astype(index), A.indptr.astype(index)), shape=A.shape)
    A.eliminate_zeros()
    ncomp, comp = csgraph.connected_components(A, directed=True, connection="weak")
    looped = np.zeros(ncomp, dtype=bool)
    looped[comp[A.diagonal() > 0]] = True
    if looped.all():  # a self loop makes a component aperiodic: one class per component
        return CyclicClasses(comp.astype(np.int64), ncomp, np.ones(ncomp, dtype=np.int64))
    roots = np.full(ncomp, -1, dtype=np.int64)
    order = np.argsort(comp, kind="stable")
    first = np.searchsorted(comp[order], np.arange(ncomp))
    roots = order[first]
    level = csgraph.dijkstra(A, directed=True, indices=roots.astype(index), unweighted=True, min_only=True)
    level = np.asarray(level, dtype=np.int64) if np.all(np.isfinite(level)) else np.nan_to_num(level).astype(np.int64)
    coo = A.tocoo()
    diff = np.abs(level[coo.row] + 1 - level[coo.col])
    periods = np.zeros(ncomp, dtype=np.int64)
    np.gcd.at(periods, comp[coo.row], diff)
    periods = np.where(periods == 0, 1, periods)
    cls = level % periods[comp]
    offsets = np.concatenate([[0], np.cumsum(periods)[:-1]])
    labels = offsets[comp] + cls
    return CyclicClasses(labels.astype(np.int64), ncomp, periods)
