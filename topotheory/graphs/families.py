r"""Topology families from the literature (THEORY §9.4).

* :func:`hyper_hypercube` and :func:`base_graph` -- the finite-time consensus sequences of Takezawa
  et al. 2023 ("Beyond exponential graph"): for any ``n`` and maximum degree ``k`` a finite sequence
  of at most :math:`2\log_{k+1}(n) + 2` symmetric gossip matrices, each with at most ``k``
  neighbours per worker, whose product is exactly :math:`J = 11^T/n`.
* :func:`one_peer_exponential_any` -- the one-peer exponential graph of Ying et al. 2021 for any
  ``n`` (exact averaging only when ``n`` is a power of two).
* :func:`random_regular` and :func:`erdos_renyi` -- seeded connected random graphs with the package's
  weight rules.

Row convention as everywhere: row ``i`` of ``W`` holds the weights worker ``i`` gives to the models it
receives, and one gossip step is ``X <- W @ X``. A finite sequence is returned as a periodic
:class:`~topotheory.Scheme` whose period is the sequence: ``scheme.period_product()`` is the product of
the whole sequence (``J`` for the finite-time consensus families).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from ..common.rng import as_generator
from ..common.validation import check_choice, check_int, check_real
from .scheme import Scheme, check_scheme
from .topologies import DENSE_BYTES, NODE_BYTES, check_n, circulant_from_kernels
from .weights import WEIGHT_RULES, weights_from_adjacency
from ..common.annotations import SchemeLike
from ..common.rng import SeedLike

__all__ = [
    "hyper_hypercube",
    "base_graph",
    "one_peer_exponential_any",
    "random_regular",
    "erdos_renyi",
    "max_degree_per_step",
]


# ------------------------------------------------------------------------------ helpers
def _ilog(n: int, base: int) -> int:
    """floor(log_base(n)) for integers n >= 1, base >= 2, without floating point."""
    p, q = 0, 1
    while q * base <= n:
        q *= base
        p += 1
    return p


def _min_factorization(n: int, largest: int) -> tuple[int, ...] | None:
    """Shortest factorisation of ``n`` into factors in ``[2, largest]`` (None if impossible).

    Dynamic programming over the divisors; factors returned in descending order.
    """
    memo: dict[int, tuple[int, ...] | None] = {1: ()}

    def best(m: int) -> tuple[int, ...] | None:
        if m in memo:
            return memo[m]
        result: tuple[int, ...] | None = None
        for d in range(min(largest, m), 1, -1):
            if m % d == 0:
                rest = best(m // d)
                if rest is not None and (result is None or len(rest) + 1 < len(result)):
                    result = (d,) + rest
        memo[m] = result
        return result

    return best(n)


def _smooth_part(n: int, largest: int) -> int:
    """The largest divisor of ``n`` whose prime factors are all ``<= largest``."""
    s, m = 1, n
    for p in range(2, largest + 1):
        while m % p == 0:
            m //= p
            s *= p
    return s


class _Steps:
    """A growing list of gossip steps, each a COO triplet list on global indices."""

    def __init__(self, length: int) -> None:
        self.rows: list[list[np.ndarray]] = [[] for _ in range(length)]
        self.cols: list[list[np.ndarray]] = [[] for _ in range(length)]
        self.vals: list[list[np.ndarray]] = [[] for _ in range(length)]

    def add(self, t: int, rows: Any, cols: Any, vals: Any) -> None:
        self.rows[t].append(np.asarray(rows, dtype=np.int64).ravel())
        self.cols[t].append(np.asarray(cols, dtype=np.int64).ravel())
        self.vals[t].append(np.broadcast_to(np.asarray(vals, dtype=float), np.shape(rows)).ravel())

    def matrices(self, n: int) -> Any:
        """CSR matrices; workers untouched at a step keep their model (diagonal 1)."""
        out = []
        for rs, cs, vs in zip(self.rows, self.cols, self.vals):
            if rs:
                r, c, v = np.concatenate(rs), np.concatenate(cs), np.concatenate(vs)
            else:
                r = c = np.zeros(0, dtype=np.int64)
                v = np.zeros(0)
            touched = np.zeros(n, dtype=bool)
            touched[r] = True
            idle = np.flatnonzero(~touched)
            r, c = np.concatenate([r, idle]), np.concatenate([c, idle])
            v = np.concatenate([v, np.ones(idle.size)])
            out.append(sp.csr_array((v, (r, c)), shape=(n, n)))
        return out


def _add_cliques(steps: Any, t: int, groups: Any, weights: Any) -> None:
    """Add cliques at step ``t``: ``groups`` is (m, s) global indices, ``weights`` (s, s) or scalar."""
    groups = np.asarray(groups, dtype=np.int64)
    m, s = groups.shape
    rows = np.repeat(groups, s, axis=1)  # (m, s*s): i repeated
    cols = np.tile(groups, (1, s))  # (m, s*s): j cycling
    w = np.broadcast_to(np.asarray(weights, dtype=float), (s, s)).ravel()
    steps.add(t, rows, cols, np.broadcast_to(w, (m, s * s)))


def _hyper_hypercube_steps(steps: Any, slots: Any, offset: int, factors: Any) -> None:
    """In step ``slots[l]``, average the cliques of nodes differing in mixed-radix digit ``l``.

    Node ``offset + i`` with ``i`` in row-major mixed radix over ``factors``.
    """
    if not factors:
        return
    idx = np.arange(int(np.prod(factors)), dtype=np.int64).reshape(tuple(factors)) + offset
    for l, f in enumerate(factors):
        groups = np.moveaxis(idx, l, -1).reshape(-1, f)
        _add_cliques(steps, slots[l], groups, 1.0 / f)


def _simple_base_length(n: int, k: int) -> int:
    """Length of :func:`_simple_base_steps` (2p + 1 with p = floor(log_{k+1} n), fewer if exact)."""
    if n == 1:
        return 0
    p = _ilog(n, k + 1)
    a, r = divmod(n, (k + 1) ** p)
    if r == 0:
        return p + (1 if a > 1 else 0)
    return 2 * p + 1


def _simple_base_steps(steps: Any, n: int, k: int, offset: int, t_slots: Any) -> None:
    r"""Fill the simple Base-(k+1) sequence for nodes ``offset..offset+n-1`` into the given slots.

    ``t_slots`` lists the global step indices available (at least ``_simple_base_length(n, k)``).
    Write :math:`n = aQ + r`, :math:`Q = (k+1)^p` the leading power, :math:`1 \le a \le k`,
    :math:`0 \le r < Q`. Blocks ``B_1..B_a`` of ``Q`` nodes and a remainder ``R`` of ``r`` nodes.

    1. ``p`` steps: each block runs its hyper-hypercube (blocks become uniform).
    2. one merge step, column by column (node ``c`` of every block, plus node ``c`` of ``R`` when
       ``c < r``): for ``c < r`` a clique of ``a + 1`` nodes with weights ``r/n`` (R self),
       ``Q/n`` (R <-> block) and ``(1 - Q/n)/a`` (block <-> block, self included); for ``c >= r`` a
       plain average of the ``a`` block nodes. Afterwards every block holds total ``Q * mean``
       and is identical to the others.
    3. ``p`` steps: the blocks' hyper-hypercube again (every block node reaches the mean).

    ``R`` runs its own (recursive) sequence in the free slots of phases 1 and 3. This is exact
    because the merge acts on ``R`` as :math:`x_R \mapsto (r/n)x_R + \text{const}\cdot 1` (blocks
    are uniform at that point), which commutes with any doubly stochastic gossip on ``R``, and the
    blocks only see ``R``'s total, which gossip on ``R`` preserves. Degrees: ``a <= k``.
    """
    if n == 1:
        return
    p = _ilog(n, k + 1)
    Q = (k + 1) ** p
    a, r = divmod(n, Q)
    hh = [k + 1] * p
    phase1 = t_slots[:p]
    for b in range(a):
        _hyper_hypercube_steps(steps, phase1, offset + b * Q, hh)
    t_merge = t_slots[p]
    cols = np.arange(Q, dtype=np.int64)
    block_nodes = offset + np.arange(a, dtype=np.int64)[None, :] * Q + cols[:, None]  # (Q, a)
    if r == 0:
        if a > 1:
            _add_cliques(steps, t_merge, block_nodes, 1.0 / a)
        return
    # columns c >= r: plain average of the a block nodes
    if a > 1:
        _add_cliques(steps, t_merge, block_nodes[r:], 1.0 / a)
    # columns c < r: clique of R node and the a block nodes
    groups = np.concatenate([offset + a * Q + cols[:r, None], block_nodes[:r]], axis=1)  # (r, a+1)
    W = np.full((a + 1, a + 1), (1.0 - Q / n) / a)
    W[0, :] = W[:, 0] = Q / n
    W[0, 0] = r / n
    _add_cliques(steps, t_merge, groups, W)
    phase3 = t_slots[p + 1 : 2 * p + 1]
    for b in range(a):
        _hyper_hypercube_steps(steps, phase3, offset + b * Q, hh)
    free = list(phase1) + list(phase3)
    _simple_base_steps(steps, r, k, offset + a * Q, free)


def _check_nk(n: int, k: int) -> tuple[int, int]:
    n, k = check_n(n), check_int("k", k, minimum=1)
    return check_n(n, bytes_per_node=NODE_BYTES * n.bit_length()), k


def max_degree_per_step(scheme: SchemeLike, *, atol: float = 0.0) -> list[int]:
    """Largest number of distinct off-diagonal non-zeros in a row, for every matrix of the period.

    Returns a list of ints (one per step): the number of peers a worker receives from.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (any period).
    atol : float
        Entries with absolute value at most ``atol`` count as zero.

    Returns
    -------
    list of int
        One per step: the number of peers a worker receives from.

    Examples
    --------
    >>> max_degree_per_step(base_graph(6, 1))
    [1, 1, 1, 1]
    """
    scheme = check_scheme(scheme)
    atol = check_real("atol", atol, low=0.0)
    out = []
    for t in range(scheme.period):
        M = scheme.sparse_matrix(t).tocoo()
        keep = (M.row != M.col) & (np.abs(M.data) > atol)
        counts = np.bincount(M.row[keep], minlength=scheme.n)
        out.append(int(counts.max()) if counts.size else 0)
    return out


# ----------------------------------------------------------------------------- public API
def hyper_hypercube(n: int, k: int) -> Scheme:
    r"""The k-peer hyper-hypercube graph (Takezawa et al. 2023, §4.1).

    Factor :math:`n = n_1 n_2 \cdots n_L` with every :math:`n_l \le k + 1` (the shortest such
    factorisation). Number the workers in mixed radix :math:`(d_1, \dots, d_L)`, row-major. Step
    ``l`` averages exactly over each group of workers that differ only in digit ``l``:
    :math:`W_l = I \otimes J_{n_l} \otimes I`, weight :math:`1/n_l` on the ``n_l - 1`` peers and on
    itself. The product of the ``L`` matrices is :math:`J` (finite-time consensus), every worker has
    at most ``k`` peers per step, and :math:`L \le 2\log_{k+1} n + 1` (in a shortest
    factorisation any two factors have a product above ``k + 1``).

    Parameters
    ----------
    n : int
        Number of workers, ``>= 1``; every prime factor of ``n`` must be ``<= k + 1``
        (use :func:`base_graph` otherwise).
    k : int
        Maximum number of peers per worker and step, ``>= 1``.

    Returns
    -------
    Scheme
        Period ``L`` (one identity matrix for ``n = 1``), symmetric, declared circulant on
        :math:`\mathbb Z_{n_1} \times \cdots \times \mathbb Z_{n_L}` (Fourier formulas apply).

    Raises
    ------
    ValueError
        If ``n`` has a prime factor larger than ``k + 1``.

    Examples
    --------
    >>> s = hyper_hypercube(12, 3)
    >>> s.period, max_degree_per_step(s)
    (2, [3, 2])
    >>> float(abs(s.period_product() - 1 / 12).max()) < 1e-15
    True
    """
    n, k = _check_nk(n, k)
    factors = _min_factorization(n, k + 1)
    if factors is None:
        smooth = _smooth_part(n, k + 1)
        raise ValueError(
            f"n = {n} has a prime factor larger than k + 1 = {k + 1} (its {k + 1}-smooth part is {smooth}); "
            "a hyper-hypercube needs every factor <= k + 1 -- use base_graph(n, k) for any n"
        )
    params = {"n": n, "k": k, "factors": list(factors)}
    if n == 1:
        return circulant_from_kernels((1,), [np.ones(1)], name=f"hyper_hypercube k={k}", params=params)
    # Step l is a circulant on Z_{n_1} x ... x Z_{n_L}: weight 1/n_l on every offset along axis l,
    # so the Fourier routes of the package apply (no dense matrices needed).
    kernels = []
    for l, f in enumerate(factors):
        kern = np.zeros(factors)
        kern[(0,) * l + (slice(None),) + (0,) * (len(factors) - l - 1)] = 1.0 / f
        kernels.append(kern)
    return circulant_from_kernels(factors, kernels, name=f"hyper_hypercube k={k}", params=params)


def base_graph(n: int, k: int) -> Scheme:
    r"""The Base-(k+1) graph (Takezawa et al. 2023, §4.2): exact averaging for any ``n`` and ``k``.

    A finite sequence of symmetric gossip matrices with at most ``k`` peers per worker and step,
    whose product is exactly :math:`J = 11^T/n`, of length at most :math:`2\log_{k+1}(n) + 2`.

    Construction (derived in the spirit of the paper's Algorithms 1-2; exactness is proved in the
    Notes and tested for every ``n < 100`` and ``k = 1..4``):

    * if every prime factor of ``n`` is ``<= k + 1``: the :func:`hyper_hypercube`;
    * **simple Base-(k+1)**: write :math:`n = aQ + r` with :math:`Q = (k+1)^p` the leading
      power of the base-(k+1) expansion; ``a`` blocks of ``Q`` workers run hyper-hypercubes, one
      merge step injects the remainder (``r`` workers, handled recursively -- the cascade over the
      digits of ``n``) with weights :math:`r/n` and :math:`Q/n`, and the blocks run their
      hyper-hypercube again: length :math:`2p + 1`;
    * **Base-(k+1)**: with :math:`n = s\,q`, ``s`` the largest divisor of ``n`` with prime factors
      ``<= k + 1``, ``s`` groups of ``q`` workers run the simple sequence in parallel, then the
      hyper-hypercube over ``s`` joins the groups. The shorter of the two is returned.

    Parameters
    ----------
    n : int
        Number of workers, ``>= 1``.
    k : int
        Maximum degree (peers per worker and step), ``>= 1``.

    Returns
    -------
    Scheme
        Periodic scheme whose period is the sequence; ``period_product()`` equals ``J``.

    Notes
    -----
    Exactness of the merge: after phase 1 block ``i`` is uniform at :math:`\alpha_i`; with
    :math:`\bar\alpha` their mean, column ``c < r`` maps the remainder value :math:`\beta_c` to
    :math:`(r/n)\beta_c + (Q/n) a\bar\alpha` and every block node to
    :math:`(Q/n)\beta_c + (1 - Q/n)\bar\alpha`; columns ``c >= r`` give :math:`\bar\alpha`. Every
    block then has total :math:`Q\bar\alpha + (Q/n)\sum_c(\beta_c - \bar\alpha) = Q m` with
    :math:`m = ((n - r)\bar\alpha + r\bar\beta)/n` the global mean, and the remainder averages to
    :math:`(r/n)\bar\beta + (aQ/n)\bar\alpha = m`.

    Examples
    --------
    >>> s = base_graph(5, 1)
    >>> s.period, max(max_degree_per_step(s))
    (5, 1)
    >>> float(abs(s.period_product() - 1 / 5).max()) < 1e-12
    True
    """
    n, k = _check_nk(n, k)
    params = {"n": n, "k": k}
    if _min_factorization(n, k + 1) is not None:
        s = hyper_hypercube(n, k)
        s.name, s.params = f"base_graph k={k}", dict(params, construction="hyper_hypercube")
        return s
    smooth = _smooth_part(n, k + 1)
    q = n // smooth
    simple_len = _simple_base_length(n, k)
    hh = (_min_factorization(smooth, k + 1) or ()) if smooth > 1 else ()  # smooth: a factorisation exists
    product_len = _simple_base_length(q, k) + len(hh)
    if smooth > 1 and product_len < simple_len:
        L1 = _simple_base_length(q, k)
        steps = _Steps(product_len)
        for g in range(smooth):  # s groups of q consecutive workers, in parallel
            _simple_base_steps(steps, q, k, g * q, list(range(L1)))
        # hyper-hypercube over the groups: workers g*q + c with the same c
        idx = np.arange(n, dtype=np.int64).reshape(tuple(hh) + (q,))
        for l, f in enumerate(hh):
            groups = np.moveaxis(idx, l, -1).reshape(-1, f)
            _add_cliques(steps, L1 + l, groups, 1.0 / f)
        construction = f"simple({q}) x hyper_hypercube({smooth})"
    else:
        steps = _Steps(simple_len)
        _simple_base_steps(steps, n, k, 0, list(range(simple_len)))
        construction = "simple"
    return Scheme(steps.matrices(n), name=f"base_graph k={k}", params=dict(params, construction=construction))


def one_peer_exponential_any(n: int) -> Scheme:
    r"""One-peer exponential graph for any ``n``: :math:`W_t = (I + P^{2^t})/2`, period :math:`\lceil\log_2 n\rceil`.

    ``P`` is the cyclic shift (``P[i, i+1] = 1``). For ``n`` a power of two this is
    :func:`~topotheory.one_peer_exponential` and the period product is exactly ``J``
    (Ying et al. 2021); for other ``n`` it is **not** exact -- the product
    :math:`\prod_t (1 + \omega^{2^t})/2` of a Fourier mode :math:`\omega = e^{2\pi i m/n}` vanishes
    only when some :math:`\omega^{2^t} = -1`, i.e. for every mode only when ``n`` is a power of two.
    Circulant, non-symmetric (``n > 2``). ``n = 1`` is a single worker.

    Parameters
    ----------
    n : int
        Number of workers (>= 1), any integer.

    Returns
    -------
    Scheme
        The time-varying one-peer scheme.

    Examples
    --------
    >>> from topotheory import finite_time_consensus, consensus_rate
    >>> s = one_peer_exponential_any(6)
    >>> s.period, finite_time_consensus(s)
    (3, False)
    >>> round(consensus_rate(s), 4)  # mode 1: |cos(pi/6) cos(pi/3) cos(2 pi/3)| = sqrt(3)/8
    0.2165
    """
    n = check_n(n)
    n = check_n(n, bytes_per_node=NODE_BYTES * n.bit_length())
    p = max((n - 1).bit_length(), 1)  # ceil(log2 n); one identity-like step for n = 1
    kernels = np.zeros((p, n))
    kernels[:, 0] = 0.5
    np.add.at(kernels, (np.arange(p), (1 << np.arange(p)) % n), 0.5)
    return circulant_from_kernels((n,), list(kernels), name="one_peer_exponential_any", params={"n": n})


def _connected(A: Any) -> bool:
    if A.shape[0] == 1:
        return True
    return csgraph.connected_components(A, directed=False, return_labels=False) == 1


def _graph_to_scheme(A: Any, weights: str, name: str, params: dict[str, Any]) -> Scheme:
    return Scheme([weights_from_adjacency(A, weights)], name=name, params=params)


#: Generators of :func:`random_regular`.
REGULAR_METHODS = ("networkx", "pairing")
#: Largest number of repair rounds of one pairing draw before it is drawn afresh.
PAIRING_ROUNDS = 200


def _simple_violations(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Mask of the pairs that break simplicity: loops, and every copy after the first of a repeated edge."""
    key = np.minimum(u, v).astype(np.int64) * n + np.maximum(u, v)
    bad = u == v
    order = np.argsort(key, kind="stable")
    repeat = np.zeros(key.size, dtype=bool)
    repeat[order[1:]] = key[order[1:]] == key[order[:-1]]
    return bad | repeat


def _pairing_regular_edges(n: int, degree: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    r"""Edges ``(u, v)`` of a simple ``degree``-regular graph by the repaired pairing model, or None if the repair stalls.

    The configuration (pairing) model: the ``n * degree`` half-edges are matched by one uniform
    random permutation. A uniform pairing is simple with probability about
    :math:`e^{-(d^2-1)/4}` (Bollobás 1980), so instead of rejecting the whole pairing its loops and
    repeated edges are repaired: their half-edges and those of ``max(4k, 8)`` other pairs chosen at
    random (``k`` the number of violations) are matched afresh by a uniform permutation, until none
    is left. The expected number of violations of a uniform pairing is
    :math:`(d-1)/2 + (d-1)^2/4`, independent of ``n``, so the result differs from a uniform pairing
    in :math:`O(d^2)` pairs; it is close to, but not exactly, the uniform distribution on simple
    ``degree``-regular graphs (which is the uniform pairing conditioned on being simple). Vectorized:
    one permutation per round, a handful of rounds.

    Parameters
    ----------
    n : int
        Number of vertices.
    degree : int
        The degree, ``n * degree`` even.
    rng : numpy.random.Generator
        The random generator.

    Returns
    -------
    tuple of ndarray or None
        ``(u, v)``, each of length ``n * degree / 2``, or None after ``PAIRING_ROUNDS`` rounds with
        violations left (tiny graphs, where few simple graphs exist).

    Examples
    --------
    >>> u, v = _pairing_regular_edges(1000, 6, np.random.default_rng(0))
    >>> np.bincount(np.concatenate([u, v]), minlength=1000).tolist() == [6] * 1000
    True
    >>> bool(np.any(_simple_violations(u, v, 1000)))
    False
    """
    u, v = rng.permutation(np.repeat(np.arange(n), degree)).reshape(-1, 2).T.copy()
    for _ in range(PAIRING_ROUNDS):
        bad = _simple_violations(u, v, n)
        k = int(np.count_nonzero(bad))
        if k == 0:
            return u, v
        good = np.flatnonzero(~bad)
        idx = np.concatenate([np.flatnonzero(bad), rng.choice(good, size=min(good.size, max(4 * k, 8)), replace=False)])
        ends = rng.permutation(np.concatenate([u[idx], v[idx]]))
        u[idx], v[idx] = ends[:idx.size], ends[idx.size:]
    return None


def random_regular(n: int, degree: int, *, seed: SeedLike = None, weights: str = "metropolis", max_tries: int = 100,
                   method: str = "networkx") -> Scheme:
    r"""A connected random ``degree``-regular graph on ``n`` workers with a weight rule.

    Drawn from the generator ``topotheory.common.rng.as_generator(seed)`` by
    :func:`networkx.random_regular_graph` (``method="networkx"``, the default: uniform on simple
    regular graphs asymptotically) or by the vectorized pairing model with repair
    (``method="pairing"``, the configuration model with its loops and repeated edges re-paired: close to uniform, a few hundred times
    faster on large graphs: about a second for :math:`10^5` workers). Disconnected draws are
    rejected and redrawn (up to ``max_tries`` draws). The two methods give different graphs for
    the same seed. With the default Metropolis rule every edge weight is
    :math:`1/(\text{degree} + 1)`, so :math:`n_W(0) = \text{degree} + 1`.

    Parameters
    ----------
    n : int
        Number of workers, ``>= 1``.
    degree : int
        ``0 <= degree < n`` with ``n * degree`` even; ``degree >= 1`` for ``n >= 2`` and
        ``degree >= 2`` for ``n >= 3`` (otherwise no regular graph is connected).
    seed : None, int or numpy.random.Generator
        Reproducible from an int seed.
    weights : str
        One of :data:`topotheory.weights.WEIGHT_RULES`.
    max_tries : int
        Number of draws before giving up with a ValueError.
    method : {"networkx", "pairing"}
        The generator (see above).

    Returns
    -------
    Scheme
        The static scheme of the connected regular graph drawn.

    Examples
    --------
    >>> s = random_regular(10, 3, seed=0)
    >>> s.n, max_degree_per_step(s), round(float(s.matrix(0)[0].max()), 4)
    (10, [3], 0.25)
    >>> big = random_regular(20000, 6, seed=0, method="pairing")
    >>> big.n, max_degree_per_step(big)
    (20000, [6])
    """
    n = check_n(n)
    degree = check_int("degree", degree, minimum=0)
    check_choice("weights", weights, WEIGHT_RULES)
    max_tries = check_int("max_tries", max_tries, minimum=1)
    if degree >= n:
        raise ValueError(f"degree must be < n = {n} (a simple graph), got degree = {degree}")
    check_choice("method", method, REGULAR_METHODS)
    check_n(n, bytes_per_node=(4 if method == "networkx" else 1) * NODE_BYTES * (degree + 1))  # graph objects
    if (n * degree) % 2:
        raise ValueError(f"n * degree must be even for a regular graph; got n = {n}, degree = {degree}")
    if (n >= 2 and degree == 0) or (n >= 3 and degree == 1):
        raise ValueError(
            f"a {degree}-regular graph on n = {n} workers is never connected; use degree >= {1 if n == 2 else 2}"
        )
    rng = as_generator(seed)
    params = {"n": n, "degree": degree, "seed": seed if isinstance(seed, int) else None, "weights": weights}
    if method == "pairing":
        params["method"] = method
    for _ in range(max_tries):
        if method == "networkx" or degree == 0:
            import networkx as nx

            G = nx.random_regular_graph(degree, n, seed=rng)
            A = nx.to_scipy_sparse_array(G, nodelist=range(n), format="csr", dtype=float)
        else:
            edges = _pairing_regular_edges(n, degree, rng)
            if edges is None:
                continue
            u, v = edges
            A = sp.csr_array((np.ones(2 * u.size), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
        if _connected(A):
            return _graph_to_scheme(A, weights, f"random_regular d={degree}", params)
    raise ValueError(
        f"no connected {degree}-regular graph on n = {n} workers in max_tries = {max_tries} draws; "
        "increase degree or max_tries"
    )


def erdos_renyi(n: int, p: float, *, seed: SeedLike = None, weights: str = "metropolis", max_tries: int = 100) -> Scheme:
    r"""A connected Erdős–Rényi graph :math:`G(n, p)` with a weight rule (Metropolis by default).

    Each of the :math:`n(n-1)/2` edges is present independently with probability ``p`` (one
    vectorised Bernoulli draw per attempt from ``as_generator(seed)``); disconnected draws are
    rejected and redrawn, up to ``max_tries`` draws. The result is therefore :math:`G(n, p)`
    conditioned on being connected. Choose :math:`p \gtrsim \ln(n)/n` to make that likely.

    Parameters
    ----------
    n : int
        Number of workers, ``>= 1``.
    p : float
        Edge probability in (0, 1]; ``p = 1`` gives the complete graph.
    seed : None, int or numpy.random.Generator
        Seed of the draws (normalised by :func:`topotheory.common.rng.as_generator`).
    weights : str
        One of :data:`topotheory.weights.WEIGHT_RULES`.
    max_tries : int
        Number of draws before a ValueError.

    Returns
    -------
    Scheme
        The static scheme of the connected graph drawn.

    Examples
    --------
    >>> s = erdos_renyi(12, 0.4, seed=1)
    >>> s.n, s.is_symmetric
    (12, True)
    >>> bool((erdos_renyi(12, 0.4, seed=1).matrix(0) == s.matrix(0)).all())
    True
    """
    n = check_n(n, bytes_per_node=DENSE_BYTES, power=2)  # all n (n - 1) / 2 candidate edges are drawn
    p = check_real("p", p, low=0.0, high=1.0, low_open=True)
    check_choice("weights", weights, WEIGHT_RULES)
    max_tries = check_int("max_tries", max_tries, minimum=1)
    rng = as_generator(seed)
    iu, ju = np.triu_indices(n, k=1)
    params = {"n": n, "p": p, "seed": seed if isinstance(seed, int) else None, "weights": weights}
    for _ in range(max_tries):
        keep = rng.random(iu.size) < p
        A = sp.csr_array((np.ones(int(keep.sum())), (iu[keep], ju[keep])), shape=(n, n))
        A = sp.csr_array(A + A.T)
        if _connected(A):
            return _graph_to_scheme(A, weights, f"erdos_renyi p={p:g}", params)
    raise ValueError(
        f"no connected G(n = {n}, p = {p}) graph in max_tries = {max_tries} draws; increase p "
        f"(connectivity needs p of order ln(n)/n = {np.log(max(n, 2)) / n:.3g}) or max_tries"
    )
