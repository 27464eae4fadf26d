"""Gossip schemes: periodic sequences of doubly stochastic gossip matrices.

Convention: row ``i`` of a gossip matrix ``W`` holds the weights worker ``i`` gives to the models it
receives, and one gossip step is ``X <- W @ X`` (``x_i <- sum_j W_ij x_j``). A scheme is a periodic
sequence ``W_0, ..., W_{p-1}``; step ``t`` uses ``W_{t mod p}``. A quantity "at phase t" is evaluated
on the state right after the gossip with ``W_{t-1}`` (indices mod p).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ..common.validation import (
    check_bool, check_int, check_matrix, check_real, check_size, check_str, plain, renamed_error,
)
from .weights import check_weight_rule, lazy_weights, off_diagonal, weights_from_adjacency
from ..common.annotations import SchemeLike

__all__ = ["Scheme", "is_doubly_stochastic", "is_symmetric", "finite_time_consensus", "consensus_rate", "check_scheme",
           "as_scheme", "consensus_complement"]

#: Largest n for which :meth:`Scheme.matrix` builds a dense array.
DENSE_LIMIT = 20_000


def _as_matrix(name: str, W: Any) -> Any:
    """A finite float square matrix as dense ndarray (a copy) or CSR array, or a clear error."""
    M = check_matrix(name, W)
    return M if sp.issparse(M) else np.array(M, dtype=float)


def _check_atol(atol: float) -> float:
    """``atol`` must be a finite real >= 0 (NaN would answer False and inf True for any matrix)."""
    return check_real("atol", atol, low=0.0)


def _row_col_sums(M: Any) -> tuple[np.ndarray, np.ndarray]:
    if sp.issparse(M):
        return np.asarray(M.sum(axis=1)).ravel(), np.asarray(M.sum(axis=0)).ravel()
    return M.sum(axis=1), M.sum(axis=0)


def is_doubly_stochastic(W: Any, *, atol: float = 1e-9) -> bool:
    """True when ``W`` is a real square matrix, non-negative, whose rows and columns sum to 1 within ``atol``.

    A predicate: anything that is not a real, finite, non-empty square matrix (complex entries,
    strings, ragged nestings, ...) is answered ``False``, never cast. ``atol`` must be a finite
    real >= 0 (NaN would answer ``False`` and inf ``True`` for every matrix): a ``TypeError``/
    ``ValueError`` naming it otherwise.

    Parameters
    ----------
    W : (n, n) array_like or sparse matrix
        The matrix.
    atol : float
        Tolerance on the row and column sums.

    Returns
    -------
    bool
        Whether every row and column of ``W`` sums to one within ``atol``.

    Examples
    --------
    >>> import numpy as np
    >>> is_doubly_stochastic(np.full((3, 3), 1 / 3))
    True
    >>> is_doubly_stochastic(np.array([[1.0, 0.0], [1.0, 0.0]]))
    False
    """
    atol = _check_atol(atol)
    try:
        M = _as_matrix("W", W)
    except (TypeError, ValueError):
        return False  # the question is answered: not a real square matrix, so not doubly stochastic
    data = M.data if sp.issparse(M) else M
    if np.any(data < -atol):
        return False
    rows, cols = _row_col_sums(M)
    return bool(np.all(np.abs(rows - 1) <= atol) and np.all(np.abs(cols - 1) <= atol))


def is_symmetric(W: Any, *, atol: float = 1e-12) -> bool:
    """True when ``W`` equals its transpose within ``atol`` (entrywise).

    Parameters
    ----------
    W : (n, n) array_like or sparse matrix
        The matrix.
    atol : float
        Entrywise tolerance on ``W - W^T``.

    Returns
    -------
    bool
        Whether ``W`` equals its transpose within ``atol``.

    Examples
    --------
    >>> import numpy as np
    >>> is_symmetric(np.eye(2)), is_symmetric(np.array([[0.5, 0.5], [0.0, 1.0]]))
    (True, False)
    """
    atol = _check_atol(atol)
    M = _as_matrix("W", W)
    D = M - M.T
    if sp.issparse(D):
        return bool(D.nnz == 0 or np.max(np.abs(D.data)) <= atol)
    return bool(np.max(np.abs(D)) <= atol)


class Scheme:
    r"""A periodic gossip scheme :math:`W_0, \dots, W_{p-1}` on ``n`` workers.

    Step ``t`` applies :math:`X \leftarrow W_{t \bmod p} X` (row convention). Every matrix is
    validated at construction: square, finite, non-negative, rows and columns summing to one
    (doubly stochastic) within ``atol``. Symmetry is recorded, not required. Spectral quantities are
    computed lazily and cached on the object.

    Parameters
    ----------
    matrices : sequence of (n, n) array_like or sparse matrices
        The gossip matrices of one period (at least one).
    name : str, optional
        A short name used in reprs, tables and figure legends.
    params : dict, optional
        The constructor parameters (recorded, for display).
    circulant : tuple (shape, kernels), optional
        Declares that every matrix is a circulant on the group
        :math:`\mathbb{Z}_{s_1} \times \dots \times \mathbb{Z}_{s_k}` with ``shape = (s_1, ..., s_k)``
        (node index in row-major order) and ``W_t[i, j] = kernels[t][(j - i) mod shape]``.
        Enables Fourier formulas that never build dense matrices. Checked against the matrices.
    atol : float
        Tolerance for the doubly-stochastic check.
    allow_negative : bool
        Accept matrices with negative entries (rows and columns must still sum to one), such as
        the signed fastest-averaging weights of :func:`topotheory.optimal_weights` with
        ``objective="fdla"``. Off by default. With negative weights ``W`` is no longer a transition
        matrix: the random-walk reading of ``W`` (a model hopping to neighbour ``j`` with
        probability ``W_ij``) fails, and results that rely on non-negativity (Perron arguments,
        ``|lambda| <= 1``) must be checked case by case.
    labels : sequence, optional
        One label per worker (``labels[i]`` names worker ``i``), e.g. the node names of a graph
        read from a file; stored as the tuple :attr:`labels`. Default ``None``: workers are
        known by their index ``0..n-1``.
    source : object, optional
        What the scheme was read from (:func:`topotheory.load_graph` stores its
        :class:`~topotheory.GraphReport` here); kept as :attr:`source`.

    Examples
    --------
    >>> import numpy as np
    >>> s = Scheme.from_matrix(np.array([[0.75, 0.25], [0.25, 0.75]]), name="pair")
    >>> s
    Scheme('pair', n=2, period=1, symmetric)
    >>> s.eigenvalues().round(12)
    array([1. , 0.5])
    """

    def __init__(self, matrices: Any, *, name: str = "custom", params: dict[str, Any] | None = None,
                 circulant: Any = None, atol: float = 1e-9, allow_negative: bool = False, labels: Any = None,
                 source: Any = None, _built_from_kernels: Any = False) -> None:
        if isinstance(matrices, np.ndarray) and matrices.ndim == 2 or sp.issparse(matrices):
            matrices = [matrices]
        try:
            matrices = list(matrices)
        except TypeError:
            raise TypeError("matrices must be a sequence of square matrices") from None
        if len(matrices) == 0:
            raise ValueError("a scheme needs at least one gossip matrix (period >= 1), got an empty sequence")
        atol = _check_atol(atol)
        allow_negative = check_bool("allow_negative", allow_negative)
        name = check_str("name", name)
        stored: list[Any] = []
        for t, W in enumerate(matrices):
            label = "matrices" if len(matrices) == 1 else f"matrices[{t}]"
            M = _as_matrix(label, W)
            if stored and M.shape != stored[0].shape:
                raise ValueError(f"{label} has shape {M.shape}, expected {stored[0].shape} like matrices[0]")
            data = M.data if sp.issparse(M) else M
            if np.any(data < 0) and not allow_negative:
                raise ValueError(
                    f"{label} has negative weights; gossip weights must be non-negative "
                    "(pass allow_negative=True to accept signed weights)"
                )
            rows, cols = _row_col_sums(M)
            if not np.all(np.abs(rows - 1) <= atol):
                i = int(np.argmax(np.abs(rows - 1)))
                raise ValueError(f"{label} is not row stochastic: row {i} sums to {plain(rows[i])}, expected 1")
            if not np.all(np.abs(cols - 1) <= atol):
                j = int(np.argmax(np.abs(cols - 1)))
                raise ValueError(
                    f"{label} is not doubly stochastic: column {j} sums to {plain(cols[j])}, expected 1"
                )
            if isinstance(M, np.ndarray):
                M.setflags(write=False)
            stored.append(M)
        self._stored = tuple(stored)
        self._n = stored[0].shape[0]
        self.name = str(name)
        self.params = dict(params or {})
        self.labels = _check_labels(labels, self._n)
        self.source = source
        self._dense: dict[int, np.ndarray] = {}
        self._cache: dict[Any, Any] = {}
        self._circulant: tuple[tuple[int, ...], np.ndarray] | None = None
        if circulant is not None:
            self._circulant = self._check_circulant(circulant, verify=not _built_from_kernels)
            # A circulant is symmetric iff its kernel is even: k[m] == k[-m].
            _, kernels = self._circulant
            axes = tuple(range(1, kernels.ndim))
            mirrored = np.roll(np.flip(kernels, axis=axes), 1, axis=axes)
            self._symmetric = bool(np.allclose(kernels, mirrored, rtol=0, atol=1e-12))
        else:
            self._symmetric = all(is_symmetric(M) for M in stored)

    # ----------------------------------------------------------------------------------- builders
    @classmethod
    def from_matrix(cls, W: Any, *, name: str = "custom", atol: float = 1e-9) -> Scheme:
        """A static scheme (period 1) from one gossip matrix."""
        try:
            return cls([W], name=name, atol=atol)
        except (TypeError, ValueError) as exc:
            raise renamed_error(exc, "matrices", "W") from None

    @classmethod
    def from_matrices(cls, matrices: Any, *, name: str = "custom", atol: float = 1e-9) -> Scheme:
        """A periodic scheme from the matrices of one period ``[W_0, ..., W_{p-1}]``."""
        if isinstance(matrices, np.ndarray) and matrices.ndim == 3:
            matrices = list(matrices)
        return cls(matrices, name=name, atol=atol)

    @classmethod
    def from_circulant(cls, shape: Sequence[int], kernels: Any, *, name: str = "circulant",
                       params: dict[str, Any] | None = None) -> Scheme:
        r"""A scheme of circulant matrices on :math:`\mathbb{Z}_{s_1} \times \dots \times \mathbb{Z}_{s_k}`.

        ``W_t[i, j] = kernels[t][(j - i) mod shape]`` with nodes numbered in row-major order of
        ``shape``. The matrices are built from the kernels (sparse unless the kernel is dense), so
        the Fourier routes apply without any dense matrix.

        Examples
        --------
        >>> s = Scheme.from_circulant((4,), [[0.5, 0.5, 0.0, 0.0]], name="shift")
        >>> s.matrix(0)[3]
        array([0.5, 0. , 0. , 0.5])
        """
        shape = tuple(int(x) for x in np.atleast_1d(shape))
        if not shape or min(shape) < 1:
            raise ValueError(f"shape must be a tuple of positive sizes, got {shape}")
        kernels = np.asarray(kernels, dtype=float)
        try:
            kernels = kernels.reshape((-1,) + shape)
        except ValueError:
            raise ValueError(f"kernels must have shape (period,) + {shape}, got {kernels.shape}") from None
        mats = [_circulant_matrix(shape, k) for k in kernels]
        return cls(mats, name=name, params=params, circulant=(shape, kernels), _built_from_kernels=True)

    @classmethod
    def from_networkx(cls, G: Any, weights: str = "metropolis", *, name: str | None = None, multiedges: str = "count",
                      self_loops: str = "count") -> Scheme:
        r"""A static scheme from a networkx graph, read through networkx's adjacency matrix.

        Nodes are numbered ``0..n-1`` in ``G``'s node order. The weight rule is applied to
        ``A = nx.to_scipy_sparse_array(G)``, as published consensus code does: in a ``MultiGraph``
        an edge of multiplicity ``m`` has :math:`A_{ij} = m`, so it counts ``m`` times in the
        degree and gets ``m`` times the rule's edge weight; a self-loop is an edge to itself: it
        counts in the degree and its weight is part of the diagonal (the rules put the remainder
        :math:`1 - \sum_{j \ne i} W_{ij}` there).

        networkx has two conventions for a loop: its adjacency matrix holds a loop once on the
        diagonal (``A_ii = 1``), while ``G.degree`` counts it twice (two ends).
        ``self_loops="count"`` (the default) follows the adjacency matrix -- the degree is the row
        sum :math:`\sum_j A_{ij}`, as in consensus code that builds weights from
        ``nx.adjacency_matrix`` (e.g. Metropolis weights with ``d = A.sum(1)``);
        ``self_loops="double"`` follows ``G.degree`` (with it the Margulis--Gabber--Galil
        expander is 8-regular, as in the expander literature); ``self_loops="ignore"`` drops loops.
        ``multiedges="collapse"`` reads any number of parallel edges as one edge.
        ``multiedges="collapse", self_loops="ignore"`` is the behaviour of topotheory 0.x.

        A directed graph is symmetrised with networkx's ``G.to_undirected()`` (an arc either way
        is an edge; in a ``MultiDiGraph`` the arcs ``u -> v`` and ``v -> u`` with the same key
        become one edge), with a ``UserWarning``: the weight rules build symmetric matrices. Use
        :meth:`from_matrix` for directed weights.

        Parameters
        ----------
        G : networkx.Graph, MultiGraph, DiGraph or MultiDiGraph
        weights : str
            A weight rule from :data:`topotheory.weights.WEIGHT_RULES` (``"metropolis"``, the paper's
            default; ``"max_degree"`` = 1/(d_max + 1); ``"one_over_max_degree"`` = Xiao & Boyd's
            1/d_max; ``"lazy_metropolis"``; ``"lazy_max_degree"``), or ``"weight:ATTR"`` to use the
            edge attribute ``ATTR`` as ``W_ij`` (the remainder of each row goes on the diagonal;
            the result must be doubly stochastic; ``multiedges`` and ``self_loops`` do not apply).
        name : str, optional
            Defaults to ``G.graph["name"]`` or ``"graph"``.
        multiedges : {"count", "collapse"}
        self_loops : {"count", "double", "ignore"}

        Examples
        --------
        >>> import networkx as nx
        >>> s = Scheme.from_networkx(nx.cycle_graph(5))
        >>> float(s.matrix(0)[0, 1])
        0.3333333333333333

        A self-loop raises the degree (``deg = 2`` for both ends of this edge, so 1/(2 + 1)):

        >>> G = nx.Graph([(0, 1), (0, 0), (1, 1)])
        >>> Scheme.from_networkx(G).matrix(0)[0].round(4)
        array([0.6667, 0.3333])
        >>> Scheme.from_networkx(G, self_loops="ignore").matrix(0)[0]
        array([0.5, 0.5])
        """
        import warnings

        import networkx as nx

        from ..common.validation import check_choice
        from .weights import MULTIEDGE_MODES, SELF_LOOP_MODES

        if not isinstance(G, (nx.Graph, nx.DiGraph)):
            raise TypeError(f"G must be a networkx graph, got {type(G).__name__}")
        if G.number_of_nodes() == 0:
            raise ValueError("G must have at least one node; got an empty graph")
        nodes = list(G.nodes())
        params = {"weights": weights}
        attr = check_weight_rule("weights", weights)
        name = check_str("name", name, allow_none=True)
        if attr is not None:
            A = off_diagonal(nx.to_scipy_sparse_array(G, nodelist=nodes, weight=attr, format="csr", dtype=float))
            diag = 1.0 - np.asarray(A.sum(axis=1)).ravel()
            W = sp.csr_array(A + sp.diags_array(diag))
        else:
            check_choice("multiedges", multiedges, MULTIEDGE_MODES)
            check_choice("self_loops", self_loops, SELF_LOOP_MODES)
            if G.is_directed():
                warnings.warn(
                    f"G is directed; symmetrised with G.to_undirected() for the {weights!r} weight rule "
                    "(an edge either way is an edge). Use Scheme.from_matrix for directed weights.",
                    UserWarning,
                    stacklevel=2,
                )
                G = G.to_undirected()
            A = nx.to_scipy_sparse_array(G, nodelist=nodes, weight=None, format="csr", dtype=float)
            W = weights_from_adjacency(A, weights, multiedges=multiedges, self_loops=self_loops)
            params.update(multiedges=multiedges, self_loops=self_loops)
        gname = name if name is not None else (G.graph.get("name") or "graph")
        return cls([W], name=gname, params=params, labels=nodes)

    # --------------------------------------------------------------------------------- accessors
    @property
    def n(self) -> int:
        """Number of workers."""
        return self._n

    @property
    def period(self) -> int:
        """Number of matrices in one period (1 for a static scheme)."""
        return len(self._stored)

    @property
    def is_static(self) -> bool:
        """True when the period is 1."""
        return self.period == 1

    @property
    def is_symmetric(self) -> bool:
        """True when every matrix of the period is symmetric."""
        return self._symmetric

    @property
    def is_circulant(self) -> bool:
        """True when the scheme was declared circulant (Fourier formulas apply)."""
        return self._circulant is not None

    @property
    def matrices(self) -> tuple[np.ndarray, ...]:
        """The dense matrices of one period, as a tuple of read-only arrays."""
        return tuple(self.matrix(t) for t in range(self.period))

    def matrix(self, t: int = 0) -> np.ndarray:
        """The dense gossip matrix used at step ``t`` (``W_{t mod p}``), read-only.

        Raises ValueError for ``n`` above 20000, where :meth:`sparse_matrix` should be used.
        """
        t = check_int("t", t) % self.period
        if t not in self._dense:
            M = self._stored[t]
            if sp.issparse(M):
                if self._n > DENSE_LIMIT:
                    raise ValueError(
                        f"n = {self._n} is too large for a dense matrix (limit {DENSE_LIMIT}); "
                        "use sparse_matrix(t) instead"
                    )
                M = M.toarray()
                M.setflags(write=False)
            self._dense[t] = M
        return self._dense[t]

    def sparse_matrix(self, t: int = 0) -> Any:
        """The gossip matrix used at step ``t`` as a ``scipy.sparse.csr_array``."""
        t = check_int("t", t) % self.period
        M = self._stored[t]
        return M if sp.issparse(M) else sp.csr_array(M)

    def is_sparse(self, t: int = 0) -> bool:
        """True when ``W_t`` is stored sparse (the simulators then multiply sparsely)."""
        return sp.issparse(self._stored[check_int("t", t) % self.period])

    def period_product(self, phase: int = 0) -> np.ndarray:
        r"""The one-period product :math:`W_{\phi-1} W_{\phi-2} \cdots W_{\phi-p}` (dense).

        It maps the state at phase :math:`\phi` (right after the gossip with
        :math:`W_{\phi-1}`) to the state at the same phase one period later. Its size (three
        dense :math:`n \times n` float arrays while it is built) is checked before anything is
        allocated: a product that cannot fit is refused at once with the estimate.
        """
        phase = check_int("phase", phase) % self.period
        check_size("n", self._n, bytes_per_unit=3 * 8.0, power=2,
                   reason="the dense one-period product (circulant schemes avoid it)")

        def build() -> Any:
            P = np.eye(self._n)
            for s in range(phase - self.period, phase):
                P = self.matrix(s % self.period) @ P
            P.setflags(write=False)
            return P

        return self.cached(("product", phase), build)

    # ---------------------------------------------------------------------------------- spectrum
    def eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Cached eigendecomposition ``(lam, Q)`` of a static symmetric scheme.

        Eigenvalues in descending order; ``W = Q @ diag(lam) @ Q.T``.
        """
        if not (self.is_static and self.is_symmetric):
            raise ValueError(
                f"eigh needs a static symmetric scheme; {self!r} is "
                + ("not symmetric" if self.is_static else f"periodic (period {self.period})")
            )

        def build() -> Any:
            lam, Q = _eigh_doubly_stochastic(self.matrix(0))
            lam.setflags(write=False)
            Q.setflags(write=False)
            return lam, Q

        return self.cached("eigh", build)

    def fourier_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of every matrix of a circulant scheme, shape ``(period, n)``, complex.

        Column ``k`` belongs to the same Fourier mode in every row, so products over a period are
        elementwise products of rows.
        """
        if self._circulant is None:
            raise ValueError(f"{self!r} is not declared circulant")
        shape, kernels = self._circulant

        def build() -> Any:
            axes = tuple(range(1, len(shape) + 1))
            mu = np.fft.fftn(kernels, axes=axes).reshape(self.period, self._n)
            mu = np.conj(mu)
            mu.setflags(write=False)
            return mu

        return self.cached("fourier", build)

    def eigenvalues(self, t: int = 0) -> np.ndarray:
        """Eigenvalues of ``W_t``.

        Real and sorted in descending order for symmetric matrices; otherwise complex, sorted by
        decreasing modulus. Circulant schemes use the FFT (no dense matrix).
        """
        t = check_int("t", t) % self.period

        def build() -> Any:
            if self._circulant is not None:
                mu = self.fourier_eigenvalues()[t]
                if self.is_symmetric:
                    vals = np.sort(mu.real)[::-1].copy()
                else:
                    vals = mu[np.argsort(-np.abs(mu), kind="stable")]
            elif self.is_symmetric and self.is_static:
                # LAPACK's eigenvalue-only driver, always (not the decomposition's eigenvalues when it
                # happens to be cached: a value must not depend on what was computed before it)
                vals = _eigvalsh_doubly_stochastic(self.matrix(0))
            elif self.is_symmetric:
                vals = np.sort(sla.eigvalsh(self.matrix(t)))[::-1]
            else:
                mu = sla.eigvals(self.matrix(t))
                vals = mu[np.argsort(-np.abs(mu), kind="stable")]
            vals = np.array(vals)
            vals.setflags(write=False)
            return vals

        return self.cached(("eigvals", t), build)

    # ------------------------------------------------------------------------------- derivations
    def lazy(self) -> Scheme:
        """The lazy scheme with matrices :math:`(I + W_t)/2` (eigenvalues in [0, 1] if symmetric)."""
        circ = None
        if self._circulant is not None:
            shape, kernels = self._circulant
            k = kernels * 0.5
            k.reshape(self.period, -1)[:, 0] += 0.5
            circ = (shape, k)
        mats = [lazy_weights(M) if sp.issparse(M) else 0.5 * (np.eye(self._n) + M) for M in self._stored]
        return Scheme(mats, name=f"lazy {self.name}", params=dict(self.params, lazy=True), circulant=circ,
                      labels=self.labels)

    def to_networkx(self, t: int = 0) -> Any:
        """The communication graph of ``W_t`` (edge attribute ``weight`` = ``W_ij``).

        An undirected ``networkx.Graph`` for symmetric matrices, else a ``DiGraph`` with an edge
        ``j -> i`` when worker ``i`` receives from ``j`` (``W_ij > 0``). Self weights are stored
        as the node attribute ``self_weight``.
        """
        import networkx as nx

        M = self.sparse_matrix(t).tocoo()
        G = nx.Graph() if self.is_symmetric else nx.DiGraph()
        G.add_nodes_from(range(self._n), self_weight=0.0)
        off = M.row != M.col
        if self.is_symmetric:
            keep = off & (M.row < M.col)
            G.add_weighted_edges_from(zip(M.row[keep].tolist(), M.col[keep].tolist(), M.data[keep].tolist()))
        else:
            G.add_weighted_edges_from(zip(M.col[off].tolist(), M.row[off].tolist(), M.data[off].tolist()))
        diag = self.sparse_matrix(t).diagonal()
        nx.set_node_attributes(G, {i: float(w) for i, w in enumerate(diag)}, "self_weight")
        G.graph["name"] = self.name
        return G

    # ------------------------------------------------------------------------------------ caches
    def cached(self, key: Any, factory: Callable[[], Any]) -> Any:
        """The value cached under ``key``, computed once by ``factory()`` on first use.

        Derived quantities (spectra, products, the representation a scheme resolves to) live in
        this cache; other modules read and fill it only through this method. Arrays a factory
        returns should be made read-only by the factory.

        Examples
        --------
        >>> import numpy as np
        >>> s = Scheme.from_matrix(np.eye(2))
        >>> s.cached("answer", lambda: 42), s.cached("answer", lambda: 0)
        (42, 42)
        """
        try:
            return self._cache[key]
        except KeyError:
            value = factory()
            self._cache[key] = value
            return value

    def has_cached(self, key: Any) -> bool:
        """Whether a value is cached under ``key`` (nothing is computed).

        Examples
        --------
        >>> import numpy as np
        >>> s = Scheme.from_matrix(np.eye(2))
        >>> s.has_cached("answer"), s.cached("answer", lambda: 42), s.has_cached("answer")
        (False, 42, True)
        """
        return key in self._cache

    def clear_cache(self) -> None:
        """Drop every cached derived quantity (they are recomputed on demand)."""
        self._cache.clear()
        self._dense.clear()

    def __getstate__(self) -> dict[str, Any]:
        # Caches are derived data (possibly large): a pickled scheme carries only its matrices.
        state = self.__dict__.copy()
        state["_cache"] = {}
        state["_dense"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------------------------ dunder
    def __repr__(self) -> str:
        sym = "symmetric" if self.is_symmetric else "non-symmetric"
        return f"Scheme({self.name!r}, n={self._n}, period={self.period}, {sym})"

    def _check_circulant(self, circulant: Any, verify: bool = True) -> tuple[tuple[int, ...], np.ndarray]:
        shape, kernels = circulant
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape)) != self._n:
            raise ValueError(f"circulant shape {shape} does not match n = {self._n}")
        kernels = np.asarray(kernels, dtype=float).reshape((self.period,) + shape)
        # Every non-zero of W_t must sit at an offset where the kernel has that value, and W_t must
        # have as many non-zeros as the circulant (n per non-zero kernel entry): then W_t is it.
        for t, M in enumerate(self._stored if verify else ()):
            if sp.issparse(M):
                csr = sp.csr_array(M)
                rows = np.repeat(np.arange(self._n, dtype=np.int64), np.diff(csr.indptr))
                cols, vals = csr.indices.astype(np.int64), csr.data
                keep = vals != 0
                rows, cols, vals = rows[keep], cols[keep], vals[keep]
            else:
                rows, cols = np.nonzero(M)
                vals = M[rows, cols]
            offsets = np.ravel_multi_index(
                tuple((c - r) % dim for c, r, dim in zip(np.unravel_index(cols, shape), np.unravel_index(rows, shape), shape)),
                shape,
            )
            expected = kernels[t].ravel()[offsets]
            if len(vals) != self._n * np.count_nonzero(kernels[t]) or not np.allclose(
                vals, expected, rtol=0, atol=1e-12
            ):
                raise ValueError(f"matrices[{t}] does not match its circulant kernel")
        kernels.setflags(write=False)
        return shape, kernels


def _circulant_product_kernel(scheme: SchemeLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Kernel of :math:`\Pi - J` for a circulant scheme, from the per-mode products (no n x n array).

    Circulant matrices share the Fourier basis, so the one-period product has the mode eigenvalues
    :math:`\prod_t \mu_{t,k}`; its kernel is their inverse DFT. The consensus mode (k = 0, product 1)
    is dropped, which subtracts :math:`J = 11^T/n`.
    """
    shape = scheme._circulant[0]
    mu = np.prod(scheme.fourier_eigenvalues(), axis=0)
    mu = mu.copy()
    mu[0] = 0.0
    # fourier_eigenvalues holds conj(fftn(kernel)): undo the conjugate before the inverse transform
    return np.real(np.fft.ifftn(np.conj(mu).reshape(shape))), mu


def finite_time_consensus(scheme: SchemeLike, *, atol: float = 1e-10) -> bool:
    r"""True when the one-period product of ``scheme`` equals ``J = 11^T/n`` within ``atol``.

    Entrywise: :math:`\max_{ij} |(\Pi - J)_{ij}| \le` ``atol`` with
    :math:`\Pi = W_{p-1}\cdots W_0` (row convention, ``X <- W X``). Circulant schemes use the
    Fourier modes (the product's kernel is the inverse DFT of the per-mode products; no
    :math:`n \times n` array); others the dense product, refused at once when it cannot fit.

    Parameters
    ----------
    scheme : Scheme, networkx graph or gossip matrix
        The scheme (a Scheme, a networkx graph or a gossip matrix: :func:`topotheory.as_scheme`).
    atol : float, finite, >= 0
        Entrywise tolerance.

    Returns
    -------
    bool
        Whether the one-period product is ``J``.

    Examples
    --------
    >>> from topotheory import one_peer_exponential, ring
    >>> finite_time_consensus(one_peer_exponential(8)), finite_time_consensus(ring(8))
    (True, False)
    """
    scheme = check_scheme(scheme)
    atol = _check_atol(atol)
    if scheme.is_circulant:
        kernel, _ = _circulant_product_kernel(scheme)
        return bool(np.max(np.abs(kernel)) <= atol)
    P = scheme.period_product(0)
    return bool(np.max(np.abs(P - 1.0 / scheme.n)) <= atol)


def consensus_rate(scheme: SchemeLike, *, per_step: bool = False) -> float:
    r"""Worst-case contraction of the disagreement over one period: :math:`\|\Pi - J\|_2`.

    :math:`\Pi = W_{p-1} \cdots W_0` is the one-period product (row convention, ``X <- W X``).
    With ``per_step=True`` returns :math:`\|\Pi - J\|_2^{1/p}`. Zero for finite-time consensus
    schemes. Circulant schemes (normal matrices) use the Fourier modes,
    :math:`\|\Pi - J\|_2 = \max_{k \ne 0} |\prod_t \mu_{t,k}|`, with no :math:`n \times n`
    array (``ring(10**5)`` in milliseconds); others the dense product, whose size is checked
    before it is allocated.

    Parameters
    ----------
    scheme : Scheme, networkx graph or gossip matrix
        The scheme (a Scheme, a networkx graph or a gossip matrix: :func:`topotheory.as_scheme`).
    per_step : bool
        Return the per-step rate :math:`\|\Pi - J\|_2^{1/p}`.

    Returns
    -------
    float
        :math:`\|\Pi - J\|_2` (or its ``p``-th root).

    Examples
    --------
    >>> from topotheory import ring
    >>> round(consensus_rate(ring(4)), 6)
    0.333333
    """
    scheme = check_scheme(scheme)
    per_step = check_bool("per_step", per_step)
    if scheme.n == 1:
        s = 0.0
    elif scheme.is_circulant:
        _, mu = _circulant_product_kernel(scheme)
        s = float(np.max(np.abs(mu)))
    else:
        P = scheme.period_product(0) - 1.0 / scheme.n
        s = float(sla.norm(P, 2))
    return s ** (1.0 / scheme.period) if per_step else s


def _circulant_matrix(shape: tuple[int, ...], kernel: np.ndarray) -> Any:
    """``W[i, j] = kernel[(j - i) mod shape]`` (row-major nodes): dense for dense kernels, else CSR."""
    n = int(np.prod(shape))
    if np.count_nonzero(kernel) > 0.25 * n and n <= 4096:
        coords = np.stack(np.unravel_index(np.arange(n), shape))
        diff = (coords[:, None, :] - coords[:, :, None]) % np.array(shape)[:, None, None]
        return kernel[tuple(diff)]
    idx = np.arange(n).reshape(shape)
    offs = np.argwhere(kernel != 0)
    axes = tuple(range(len(shape)))
    cols = [np.roll(idx, shift=tuple(-int(o) for o in off), axis=axes).ravel() for off in offs]
    rows = np.tile(np.arange(n), len(offs))
    vals = np.repeat(kernel[tuple(offs.T)], n)
    return sp.csr_array((vals, (rows, np.concatenate(cols))), shape=(n, n))


def consensus_complement(n: int) -> np.ndarray:
    r"""Orthonormal basis ``(n, n - 1)`` of :math:`\mathbf 1^\perp` (a Householder reflection's columns).

    Examples
    --------
    >>> H = consensus_complement(4)
    >>> bool(np.allclose(H.T @ H, np.eye(3))), bool(np.allclose(H.sum(axis=0), 0))
    (True, True)
    """
    v = np.full(n, 1.0 / np.sqrt(n))
    v[0] -= 1.0
    s = v @ v
    H = -(2.0 / s) * np.outer(v, v[1:])
    H[1:, :] += np.eye(n - 1)
    return H


def _eigvalsh_doubly_stochastic(W: Any) -> np.ndarray:
    """Eigenvalues of a symmetric doubly stochastic W, descending, the consensus eigenvalue exact.

    The same reduction as :func:`_eigh_doubly_stochastic` without eigenvectors (LAPACK's
    eigenvalue-only driver: about a third of the time and none of the n x n output).
    """
    n = W.shape[0]
    if n == 1:
        return np.ones(1)
    mu = sla.eigh(_consensus_reduced(W), eigvals_only=True)
    return np.sort(np.concatenate([[1.0], np.clip(mu, -1.0, 1.0)]))[::-1].copy()


def _consensus_reduced(W: Any) -> np.ndarray:
    """``(H W H)[1:, 1:]`` for the Householder reflection ``H`` mapping ``e_1`` to ``1/sqrt(n)``."""
    n = W.shape[0]
    v = np.full(n, 1.0 / np.sqrt(n))
    v[0] -= 1.0  # H = I - 2 v v^T / (v^T v) maps e_1 to u
    s = v @ v
    Wv = W @ v
    vWv = v @ Wv
    HWH = W - (2.0 / s) * (np.outer(v, Wv) + np.outer(Wv, v)) + (4.0 * vWv / s**2) * np.outer(v, v)
    return np.asarray(HWH[1:, 1:])


def _eigh_doubly_stochastic(W: Any) -> tuple[np.ndarray, np.ndarray]:
    """Eigendecomposition of a symmetric doubly stochastic W with the consensus pair exact.

    A Householder reflection ``H`` maps ``e_1`` to ``1/sqrt(n)``; its other columns span the
    complement of the consensus direction. Diagonalising ``(H W H)[1:, 1:]`` there gives the other
    eigenpairs, and the eigenvalue 1 with eigenvector ``1/sqrt(n)`` is exact: quantities such as
    ``(1 - gamma) / (1 - gamma lam^2)`` then stay exact for the consensus mode as ``gamma -> 1``.
    Eigenvalues in descending order, clipped to [-1, 1].
    """
    n = W.shape[0]
    u = np.full(n, 1.0 / np.sqrt(n))
    if n == 1:
        return np.ones(1), np.ones((1, 1))
    mu, U = sla.eigh(_consensus_reduced(W))
    H_rest = consensus_complement(n)
    lam = np.concatenate([[1.0], np.clip(mu, -1.0, 1.0)])
    Q = np.column_stack([u, H_rest @ U])
    order = np.argsort(-lam, kind="stable")
    return lam[order].copy(), Q[:, order].copy()


def _check_labels(labels: Any, n: int) -> tuple[Any, ...] | None:
    """``labels`` as a tuple of ``n`` distinct hashable labels (or None)."""
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)):
        raise TypeError("labels must be a sequence of worker labels, not a string")
    try:
        labels = tuple(labels)
    except TypeError:
        raise TypeError(f"labels must be a sequence of worker labels, got {type(labels).__name__}") from None
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per worker: got {len(labels)} labels for n = {n}")
    try:
        distinct = len(set(labels)) == n
    except TypeError:
        raise TypeError("labels must be hashable (strings, numbers or tuples)") from None
    if not distinct:
        raise ValueError("labels must be distinct")
    return labels


def _is_networkx_graph(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    if not module.startswith("networkx"):
        return False
    import networkx as nx

    return isinstance(obj, (nx.Graph, nx.DiGraph))


def as_scheme(obj: Any, *, name: str | None = None, weights: str = "metropolis", argname: str = "obj") -> Any:
    r"""Convert what users call a graph into a :class:`Scheme` — the one conversion rule.

    * a :class:`Scheme` is returned unchanged;
    * a ``networkx`` graph goes through :meth:`Scheme.from_networkx` (nodes numbered in ``G``'s
      node order, node names kept as :attr:`Scheme.labels`, the weight rule ``weights``; self
      loops and directions are ignored by the weight rules);
    * a 2-D array (``ndarray``, nested lists) or a scipy sparse matrix is the **gossip matrix**
      ``W`` itself (:meth:`Scheme.from_matrix`): square, non-negative, doubly stochastic — never
      an adjacency matrix (read one with :func:`topotheory.load_graph` or convert it with
      ``networkx.from_numpy_array`` first); a 3-D array is one period ``W_0, ..., W_{p-1}``.

    Convention: gossip is row-wise, ``X <- W X``.

    Parameters
    ----------
    obj : Scheme, networkx.Graph, ndarray or scipy sparse matrix
        What to convert (the rules above).
    name : str, optional
        Name of a newly built scheme (default: the graph's name, or ``"custom"``).
    weights : str
        Weight rule for networkx graphs (see :meth:`Scheme.from_networkx`).
    argname : str
        The argument's name in error messages (theory functions pass their own, e.g. ``"scheme"``).

    Returns
    -------
    Scheme

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> as_scheme(nx.path_graph(["a", "b", "c"])).labels
    ('a', 'b', 'c')
    >>> as_scheme(np.full((2, 2), 0.5)).n
    2
    """
    argname = check_str("argname", argname, nonempty=True)
    name = check_str("name", name, allow_none=True)
    check_weight_rule("weights", weights)
    if isinstance(obj, Scheme) or getattr(obj, "is_random_scheme", False) is True:
        return obj  # a Scheme, or a RandomScheme (topotheory.graphs.random), which theory functions resolve
    if _is_networkx_graph(obj):
        return Scheme.from_networkx(obj, weights=weights, name=name)
    if sp.issparse(obj) or isinstance(obj, (np.ndarray, list, tuple)):
        arr = obj
        if not sp.issparse(obj):
            try:
                arr = np.asarray(obj)
            except ValueError:
                raise TypeError(f"{argname} must be a square gossip matrix; got a ragged sequence") from None
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"{argname} must be a gossip matrix of real numbers; got {arr.dtype} entries")
        ndim = 2 if sp.issparse(arr) else arr.ndim
        if ndim not in (2, 3):
            raise ValueError(f"{argname} must be a square 2-D gossip matrix (or 3-D: one period); got {ndim}-D")
        try:
            if ndim == 3:
                return Scheme.from_matrices(arr, name=name or "custom")
            return Scheme.from_matrix(arr, name=name or "custom")
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{argname} as a gossip matrix W: {exc}") from None
    hint = ""
    if hasattr(obj, "optima") and hasattr(obj, "stochastic_gradients"):
        hint = ("; a heterogeneous problem is not a scheme: its theory is topotheory.propagate(problem, scheme, "
                "algorithm=...) and topotheory.stationary, its Monte Carlo topotheory.simulate_merging")
    raise TypeError(
        f"{argname} must be a topotheory Scheme, a networkx graph, a gossip matrix (ndarray or scipy sparse) "
        f"or one period of them; got {type(obj).__name__}{hint}"
    )


def check_scheme(scheme: SchemeLike, name: str = "scheme") -> Any:
    """The shared scheme check of every theory function: :func:`as_scheme` with ``argname=name``.

    Returns the scheme (converted from a networkx graph or a matrix when needed); callers must use
    the returned value.

    Examples
    --------
    >>> import networkx as nx
    >>> check_scheme(nx.cycle_graph(4)).n
    4
    """
    return as_scheme(scheme, argname=name)
