"""Constructors for the paper's topologies and gossip schemes (THEORY §1).

Every constructor returns a validated :class:`~topotheory.Scheme`. Graph topologies take
``weights=`` (a rule from :data:`topotheory.weights.WEIGHT_RULES`; default ``"metropolis"``, the
paper's variant :math:`W_{ij} = 1/(\\max(\\deg_i, \\deg_j) + 1)`). Translation-invariant topologies
(ring, torus, hypercube, exponential graphs, ...) are declared circulant, so their spectra come from
the FFT and never need a dense matrix: ``ring(10**6)`` is cheap.

Row convention: row ``i`` of ``W`` holds the weights worker ``i`` gives to the models it receives;
one gossip step is ``X <- W @ X``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..common.validation import check_choice, check_real, check_size
from .scheme import Scheme
from .weights import WEIGHT_RULES, weights_from_adjacency

__all__ = [
    "ring",
    "uni_ring",
    "chain",
    "torus",
    "hypercube",
    "star",
    "binary_tree",
    "two_cliques",
    "fully_connected",
    "solo",
    "social_network",
    "one_peer_exponential",
    "exponential_graph",
    "local_steps",
    "mix",
]


# ------------------------------------------------------------------------------------ helpers
#: Bytes per worker of a scheme with a bounded number of neighbours per step (sparse matrices,
#: their transposes and the validation copies): the estimate behind the size limits.
NODE_BYTES = 256
#: Bytes per entry of a dense ``n x n`` matrix with its validation copies.
DENSE_BYTES = 32


def check_n(n: int, minimum: int = 1, *, bytes_per_node: float = NODE_BYTES, power: int = 1, name: str = "n") -> int:
    """Validate a number of workers, refusing at once sizes whose matrices cannot fit in memory.

    ``bytes_per_node * n**power`` bytes are estimated before anything is built
    (:func:`~topotheory.common.validation.check_size`, limit 4 GiB).
    """
    return check_size(name, n, bytes_per_unit=bytes_per_node, minimum=minimum, power=power,
                      reason="the gossip matrices")


def check_steps_memory(name: str, count: int, n: int, *, per_step_bytes: float) -> int:
    """Refuse a number of steps (a period, a number of factors) whose matrices cannot fit."""
    return check_size(name, count, bytes_per_unit=per_step_bytes * n, reason="the gossip matrices")


def is_power_of_two(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


def _check_weights(weights: str) -> str:
    return check_choice("weights", weights, WEIGHT_RULES)


def circulant_from_kernels(shape: Sequence[int], kernels: Any, *, name: str, params: dict[str, Any]) -> Scheme:
    """Scheme whose step-t matrix is ``W[i, j] = kernels[t][(j - i) mod shape]`` (row-major nodes)."""
    return Scheme.from_circulant(shape, kernels, name=name, params=params)


def _cayley_kernel(shape: tuple[int, ...], offsets: Any, weights: str) -> np.ndarray:
    """Kernel of a symmetric Cayley graph with the given neighbour offsets (deduplicated mod shape).

    On a vertex-transitive graph every weight rule reduces to uniform weights 1/(deg + 1)
    (1/deg for ``"one_over_max_degree"``), halved and put half on the diagonal for the lazy rules.
    """
    shape = tuple(int(s) for s in shape)
    _check_weights(weights)
    kernel = np.zeros(shape)
    distinct = set()
    for off in offsets:
        off = tuple(int(o) % s for o, s in zip(off, shape))
        if any(off):
            distinct.add(off)
            distinct.add(tuple((-o) % s for o, s in zip(off, shape)))
    deg = len(distinct)
    for off in distinct:
        kernel[off] = 1.0 / (deg if weights == "one_over_max_degree" else deg + 1)
    kernel[(0,) * len(shape)] = 1.0 - kernel.sum()
    if weights.startswith("lazy"):
        kernel *= 0.5
        kernel[(0,) * len(shape)] += 0.5
    return kernel


def _graph_scheme(n: int, edges: Any, weights: str, *, name: str, params: dict[str, Any]) -> Scheme:
    _check_weights(weights)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    A = sp.csr_array(
        (np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    W = weights_from_adjacency(A, weights)
    return Scheme([W], name=name, params=params)


# ------------------------------------------------------------------------------- topologies
def ring(n: int, *, weights: str = "metropolis") -> Scheme:
    r"""Ring (cycle) of ``n`` workers: ``i ~ i ± 1 (mod n)``.

    Weights 1/3 for ``n >= 3``; ``n = 2`` is one edge (weights 1/2), ``n = 1`` a single worker.
    The eigenvalues are :math:`(1 + 2\cos(2\pi k/n))/3`; circulant (no dense matrix needed).

    Parameters
    ----------
    n : int
        Number of workers (>= 1).
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static circulant scheme.

    Examples
    --------
    >>> s = ring(4)
    >>> s.eigenvalues().round(4)
    array([ 1.    ,  0.3333,  0.3333, -0.3333])
    """
    n = check_n(n)
    return circulant_from_kernels(
        (n,), [_cayley_kernel((n,), [(1,), (-1,)], weights)], name="ring", params={"n": n}
    )


def uni_ring(n: int) -> Scheme:
    r"""One-directional ring :math:`W = (I + P)/2`, ``P`` the cyclic shift (``P[i, i+1] = 1``).

    Non-symmetric but doubly stochastic; eigenvalues :math:`(1 + e^{2\pi i k/n})/2`.

    Parameters
    ----------
    n : int
        Number of workers (>= 1).

    Returns
    -------
    Scheme
        The static circulant scheme.

    Examples
    --------
    >>> uni_ring(3).matrix(0)
    array([[0.5, 0.5, 0. ],
           [0. , 0.5, 0.5],
           [0.5, 0. , 0.5]])
    """
    n = check_n(n)
    kernel = np.zeros(n)
    kernel[0] += 0.5
    kernel[1 % n] += 0.5
    return circulant_from_kernels((n,), [kernel], name="uni_ring", params={"n": n})


def chain(n: int, *, weights: str = "metropolis") -> Scheme:
    """Path graph ``0 - 1 - 2 - ⋯ - (n-1)``.

    Parameters
    ----------
    n : int
        Number of workers (>= 1).
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static scheme.

    Examples
    --------
    >>> chain(3).matrix(0).round(3)
    array([[0.667, 0.333, 0.   ],
           [0.333, 0.333, 0.333],
           [0.   , 0.333, 0.667]])
    """
    n = check_n(n)
    i = np.arange(n - 1)
    return _graph_scheme(n, np.stack([i, i + 1], axis=1), weights, name="chain", params={"n": n})


def torus(rows: int, cols: int, *, weights: str = "metropolis") -> Scheme:
    r"""A true 2-D torus: ``rows × cols`` grid with wrap-around in both directions.

    Node ``(i, j)`` has index ``i * cols + j`` and neighbours ``((i ± 1) mod rows, j)`` and
    ``(i, (j ± 1) mod cols)``; coinciding neighbours (sizes 1 and 2) are merged. Weights 1/5 when
    both sizes are at least 3. Circulant on :math:`\mathbb{Z}_{rows} \times \mathbb{Z}_{cols}`.

    Parameters
    ----------
    rows, cols : int
        Side lengths of the grid (each >= 1).
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static circulant scheme on ``rows * cols`` workers.

    Examples
    --------
    >>> s = torus(4, 8)
    >>> s.n, float(s.matrix(0)[0, 1]), float(s.matrix(0)[0, 8])
    (32, 0.2, 0.2)
    """
    rows = check_n(rows, name="rows")
    cols = check_n(cols, name="cols", bytes_per_node=NODE_BYTES * rows)
    kernel = _cayley_kernel((rows, cols), [(1, 0), (-1, 0), (0, 1), (0, -1)], weights)
    return circulant_from_kernels(
        (rows, cols), [kernel], name=f"torus {rows}x{cols}", params={"rows": rows, "cols": cols}
    )


def hypercube(n: int, *, weights: str = "metropolis") -> Scheme:
    r"""Hypercube on ``n = 2^k`` workers: ``i ~ i XOR 2^j``.

    A Cayley graph of :math:`\mathbb{Z}_2^k` (circulant on shape ``(2,)*k``), weights
    ``1/(k + 1)``.

    Parameters
    ----------
    n : int
        Number of workers, a power of two.
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static circulant scheme.

    Examples
    --------
    >>> hypercube(8).eigenvalues().round(3)
    array([ 1. ,  0.5,  0.5,  0.5,  0. ,  0. ,  0. , -0.5])
    """
    n = check_n(n)
    if not is_power_of_two(n):
        raise ValueError(f"n must be a power of two for a hypercube, got {n}")
    check_n(n, bytes_per_node=NODE_BYTES * n.bit_length())
    k = n.bit_length() - 1
    if k == 0:
        return solo(1)
    shape = (2,) * k
    offsets = [tuple(1 if a == b else 0 for b in range(k)) for a in range(k)]
    return circulant_from_kernels(
        shape, [_cayley_kernel(shape, offsets, weights)], name="hypercube", params={"n": n}
    )


def star(n: int, *, weights: str = "metropolis") -> Scheme:
    """Star: worker 0 is the centre, connected to every other worker.

    Parameters
    ----------
    n : int
        Number of workers (>= 1), worker 0 the centre.
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static scheme.

    Examples
    --------
    >>> star(3).matrix(0).round(3)
    array([[0.333, 0.333, 0.333],
           [0.333, 0.667, 0.   ],
           [0.333, 0.   , 0.667]])
    """
    n = check_n(n)
    leaves = np.arange(1, n)
    return _graph_scheme(n, np.stack([np.zeros_like(leaves), leaves], axis=1), weights, name="star", params={"n": n})


def binary_tree(n: int, *, weights: str = "metropolis") -> Scheme:
    """Binary tree in **the paper's convention**.

    Node 0 is attached to node 1 only; every node ``i >= 2`` has parent ``i // 2``. So nodes
    ``1..n-1`` form a heap rooted at node 1 (children ``2i`` and ``2i + 1``), and node 0 is an extra
    leaf of the root. (This is how the paper's code numbers the tree; for ``n = 32`` the root has
    degree 3.)

    Parameters
    ----------
    n : int
        Number of workers (>= 1).
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static scheme.

    Examples
    --------
    >>> sorted(binary_tree(6).to_networkx().edges())
    [(0, 1), (1, 2), (1, 3), (2, 4), (2, 5)]
    """
    n = check_n(n)
    _check_weights(weights)
    child = np.arange(1, n, dtype=np.int64)
    edges = np.stack([child // 2, child], axis=1)  # child 1 has parent 1 // 2 = 0: the extra leaf
    return _graph_scheme(n, edges, weights, name="binary_tree", params={"n": n})


def two_cliques(n: int, *, weights: str = "metropolis") -> Scheme:
    """Two cliques ``{0..h-1}`` and ``{h..n-1}`` (``h = n // 2``) joined by one bridge ``0 ~ h``.

    Parameters
    ----------
    n : int
        Number of workers (even, >= 2).
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static scheme.

    Examples
    --------
    >>> two_cliques(4).to_networkx().number_of_edges()
    3
    """
    n = check_n(n, minimum=2, bytes_per_node=DENSE_BYTES, power=2)
    h = n // 2
    edges = [(i, j) for i in range(h) for j in range(i + 1, h)]
    edges += [(i, j) for i in range(h, n) for j in range(i + 1, n)]
    edges.append((0, h))
    return _graph_scheme(n, np.array(edges, dtype=np.int64).reshape(-1, 2), weights, name="two_cliques", params={"n": n})


def fully_connected(n: int) -> Scheme:
    """Exact averaging every step: ``W = J = 11^T / n``.

    Parameters
    ----------
    n : int
        Number of workers (>= 1).

    Returns
    -------
    Scheme
        The static scheme ``W = 11^T / n``.

    Examples
    --------
    >>> fully_connected(2).matrix(0)
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    n = check_n(n, bytes_per_node=DENSE_BYTES, power=2)
    return circulant_from_kernels((n,), [np.full(n, 1.0 / n)], name="fully_connected", params={"n": n})


def solo(n: int) -> Scheme:
    """Workers that never communicate: ``W = I`` (the paper's "alone").

    Parameters
    ----------
    n : int
        Number of workers (>= 1).

    Returns
    -------
    Scheme
        The static scheme ``W = I`` (no communication).

    Examples
    --------
    >>> solo(3).eigenvalues()
    array([1., 1., 1.])
    """
    n = check_n(n)
    kernel = np.zeros(n)
    kernel[0] = 1.0
    return circulant_from_kernels((n,), [kernel], name="solo", params={"n": n})


def social_network(*, weights: str = "metropolis") -> Scheme:
    """The Davis Southern Women graph (networkx), 32 nodes relabelled ``0..31`` in networkx order.

    A bipartite graph of 18 women and 14 events, as used in the paper.

    Parameters
    ----------
    weights : str
        Weight rule of :data:`topotheory.WEIGHT_RULES` (default ``"metropolis"``).

    Returns
    -------
    Scheme
        The static scheme on the graph's 32 workers.

    Examples
    --------
    >>> social_network().n
    32
    """
    import networkx as nx

    G = nx.davis_southern_women_graph()
    s = Scheme.from_networkx(G, weights=_check_weights(weights), name="social_network")
    s.params = {"n": 32}
    return s


def one_peer_exponential(n: int) -> Scheme:
    r"""The time-varying one-peer exponential graph (the paper's "time-varying exponential").

    Period :math:`p = \log_2 n`; :math:`W_t = (I + P^{2^t})/2` with ``P`` the cyclic shift. Each
    worker talks to one peer per step, and the product over one period is exactly ``J``
    (finite-time consensus). ``n`` must be a power of two; ``n = 1`` is a single worker.

    Parameters
    ----------
    n : int
        Number of workers, a power of two.

    Returns
    -------
    Scheme
        The time-varying circulant scheme of period ``log2(n)``.

    Examples
    --------
    >>> s = one_peer_exponential(8)
    >>> s.period
    3
    >>> bool(abs(s.period_product() - 1 / 8).max() < 1e-15)
    True
    """
    n = check_n(n)
    if not is_power_of_two(n):
        raise ValueError(f"n must be a power of two for one_peer_exponential, got {n}")
    check_n(n, bytes_per_node=NODE_BYTES * n.bit_length())
    if n == 1:
        return circulant_from_kernels((1,), [np.ones(1)], name="one_peer_exponential", params={"n": 1})
    p = n.bit_length() - 1
    kernels = []
    for t in range(p):
        k = np.zeros(n)
        k[0] += 0.5
        k[(2**t) % n] += 0.5
        kernels.append(k)
    return circulant_from_kernels((n,), kernels, name="one_peer_exponential", params={"n": n})


def exponential_graph(n: int) -> Scheme:
    r"""Static exponential graph: ``i -> i + 2^k (mod n)`` for every ``2^k < n``.

    Uniform weight ``1/(m + 1)`` on the self loop and on each of the ``m = ceil(log2 n)`` offsets
    (Ying et al. 2021). Directed circulant: non-symmetric, doubly stochastic. For ``n`` a power of
    two, :math:`\|W - J\|_2 = 1 - 2/(1 + \log_2 n)`.

    Parameters
    ----------
    n : int
        Number of workers (>= 1).

    Returns
    -------
    Scheme
        The static circulant scheme.

    Examples
    --------
    >>> exponential_graph(4).matrix(0).round(3)
    array([[0.333, 0.333, 0.333, 0.   ],
           [0.   , 0.333, 0.333, 0.333],
           [0.333, 0.   , 0.333, 0.333],
           [0.333, 0.333, 0.   , 0.333]])
    """
    n = check_n(n)
    check_n(n, bytes_per_node=NODE_BYTES * n.bit_length())
    offsets = [2**k for k in range(n.bit_length()) if 2**k < n]
    kernel = np.zeros(n)
    w = 1.0 / (len(offsets) + 1)
    kernel[0] = w
    for o in offsets:
        kernel[o] += w
    return circulant_from_kernels((n,), [kernel], name="exponential_graph", params={"n": n})


def local_steps(n: int, period: int) -> Scheme:
    """Local SGD: ``period - 1`` steps without communication, then one exact average.

    ``W_t = J`` if ``(t + 1) mod period == 0`` else ``I``; so phase 0 is right after the average.

    Parameters
    ----------
    n : int
        Number of workers (>= 1).
    period : int
        Averaging every ``period`` steps (>= 1).

    Returns
    -------
    Scheme
        The time-varying scheme of period ``period``.

    Examples
    --------
    >>> s = local_steps(4, 3)
    >>> [float(W[0, 1]) for W in s.matrices]
    [0.0, 0.0, 0.25]
    """
    n = check_n(n, bytes_per_node=DENSE_BYTES, power=2)  # the averaging step is dense
    period = check_steps_memory("period", period, n, per_step_bytes=NODE_BYTES)
    eye = np.zeros(n)
    eye[0] = 1.0
    avg = np.full(n, 1.0 / n)
    kernels = [avg if (t + 1) % period == 0 else eye for t in range(period)]
    return circulant_from_kernels((n,), kernels, name="local_steps", params={"n": n, "period": period})


def mix(n: int, spectral_gap: float) -> Scheme:
    r"""The extremal scheme :math:`W = \alpha J + (1 - \alpha) I` with :math:`\alpha` = ``spectral_gap``.

    All non-unit eigenvalues equal :math:`1 - \alpha`: the case where the spectral-gap bound on
    :math:`n_W` is tight.

    Parameters
    ----------
    n : int
        Number of workers (>= 2).
    spectral_gap : float
        The spectral gap ``alpha`` in ``[0, 1]``.

    Returns
    -------
    Scheme
        The static scheme.

    Examples
    --------
    >>> mix(4, 0.5).eigenvalues()
    array([1. , 0.5, 0.5, 0.5])
    """
    n = check_n(n, bytes_per_node=DENSE_BYTES, power=2)
    alpha = check_real("spectral_gap", spectral_gap, low=0.0, high=1.0)
    kernel = np.full(n, alpha / n)
    kernel[0] += 1.0 - alpha
    return circulant_from_kernels((n,), [kernel], name="mix", params={"n": n, "spectral_gap": alpha})


# ------------------------------------------------------------------------------- registry
