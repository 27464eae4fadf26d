r"""Published topologies for decentralized learning (issue 15, item 4).

* :func:`equistatic` -- U- and D-EquiStatic (Song, Li, Jin, Shi, Yan, Yin & Yuan, "Communication-
  efficient topologies for decentralized learning with O(1) consensus rate", NeurIPS 2022): the
  average of ``degree`` random one-peer circulant blocks, with an ``n``-independent consensus rate.
* :func:`k_peer_exponential` -- the time-varying k-peer exponential graph: step ``t`` averages
  over the offsets :math:`j (k+1)^t`, ``j = 0..k``; exact averaging after
  :math:`\log_{k+1} n` steps when ``n`` is a power of ``k + 1``.
* :func:`de_bruijn` -- the de Bruijn graph (Delvenne, Carli & Zampieri, "Optimal strategies in the
  average consensus problem", 2007/2009): a *static* directed graph of degree ``base`` with
  :math:`W^D = J` for :math:`n = \text{base}^D`.

Row convention as everywhere: row ``i`` of ``W`` holds the weights worker ``i`` gives to the models
it receives, and one gossip step is ``X <- W @ X``. Every constructor returns a validated
:class:`~topotheory.Scheme` (doubly stochastic); the circulant ones are declared circulant, so
their spectra come from the FFT.

A one-peer scheme with exact averaging for *any* ``n`` that is a :class:`~topotheory.Scheme` (an
``n x n`` doubly stochastic sequence) is the Base-2 graph, :func:`~topotheory.base_graph` with
``k = 1``. DSGD-CECA (Ding et al., ICML 2023) reaches the optimal :math:`\lceil\log_2 n\rceil`
rounds only with two copies of the model per worker (a ``2n``-dimensional state whose one-step
maps are row- but not column-stochastic), so it is not a Scheme; with one copy, ``n = 3`` already
needs more than two one-peer rounds (the worker not paired with worker 2 in round 2 keeps a
value that never saw worker 2's model, which was unpaired in round 1 or only mixed into one node).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..common.rng import as_generator
from ..common.validation import check_int, check_real, check_size
from .scheme import Scheme
from .topologies import circulant_from_kernels, check_n
from ..common.rng import SeedLike

__all__ = ["EQUISTATIC_KINDS", "equistatic", "k_peer_exponential", "de_bruijn", "equistatic_degree"]

#: ``kind=`` values of :func:`equistatic`.
EQUISTATIC_KINDS = ("U", "D")


def _exact_log(n: int, base: int) -> int | None:
    """``D`` with ``base**D == n``, else None (integers only)."""
    D, q = 0, 1
    while q < n:
        q *= base
        D += 1
    return D if q == n else None


def _ceil_log(n: int, base: int) -> int:
    """Smallest ``D >= 0`` with ``base**D >= n``."""
    D, q = 0, 1
    while q < n:
        q *= base
        D += 1
    return D


def equistatic_degree(n: int, eps: float, p: float) -> int:
    r"""The number of blocks :math:`M` for which EquiStatic has :math:`\|W - J\|_2 \le \varepsilon`
    with probability at least :math:`1 - p`: :math:`M = \lceil 8\ln(2n/p) / (3\varepsilon^2) \rceil`.

    The bound of Song et al. (2022) for D-EquiStatic, from the matrix Bernstein inequality: the
    blocks :math:`B_a - J` have norm at most 1 and variance :math:`(n-2)/n \le 1` on
    :math:`\mathbf 1^\perp`, so :math:`\Pr(\|W - J\|_2 \ge \varepsilon) \le
    2n\exp(-3M\varepsilon^2/8)` for :math:`\varepsilon \le 1`. U-EquiStatic with the same offsets
    satisfies it too (:math:`\|(W + W^T)/2 - J\|_2 \le \|W - J\|_2`).

    Parameters
    ----------
    n : int
        Number of workers, ``>= 2``.
    eps : float
        Target norm in (0, 1].
    p : float
        Failure probability in (0, 1).

    Returns
    -------
    int
        The number of blocks :math:`M`.

    Examples
    --------
    >>> equistatic_degree(16, 0.5, 0.1)
    62
    """
    n = check_n(n, minimum=2)
    eps = check_real("eps", eps, low=0.0, high=1.0, low_open=True)
    p = check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    return int(np.ceil(8.0 * np.log(2.0 * n / p) / (3.0 * eps**2)))


def equistatic(n: int, degree: int, *, kind: str = "U", seed: SeedLike = None) -> Scheme:
    r"""U- or D-EquiStatic (Song et al., NeurIPS 2022): the average of ``degree`` random one-peer blocks.

    Draw offsets :math:`a_1, \dots, a_M` (``M = degree``) independently and uniformly from
    :math:`\{1, \dots, n-1\}` (with replacement, as in the paper). The block of offset ``a`` is the
    circulant :math:`B_a = \tfrac1n I + \tfrac{n-1}{n} P^a`, where :math:`(P^a)_{i, i+a} = 1`:
    worker ``i`` receives from worker ``i + a (mod n)`` with weight :math:`(n-1)/n`. Then

    .. math:: W_D = \frac1M \sum_{m=1}^M B_{a_m}, \qquad
              W_U = \frac1{2M} \sum_{m=1}^M \bigl(B_{a_m} + B_{a_m}^T\bigr).

    Each block is doubly stochastic and :math:`\mathbb E_a[B_a] = J` exactly (the weight
    :math:`(n-1)/n` spreads evenly over the ``n - 1`` offsets), so ``W`` concentrates at ``J``:
    with :math:`M \ge 8\ln(2n/p)/(3\varepsilon^2)` (:func:`equistatic_degree`),
    :math:`\|W - J\|_2 \le \varepsilon` with probability at least :math:`1 - p`, for every ``n``.
    D-EquiStatic is a directed circulant (each worker receives from at most ``M`` peers);
    U-EquiStatic is symmetric (at most ``2M`` peers).

    Parameters
    ----------
    n : int
        Number of workers, ``>= 2``.
    degree : int
        ``M >= 1``, the number of blocks (the paper's communication cost).
    kind : {"U", "D"}
        Undirected (symmetric) or directed; lower case is accepted.
    seed : None, int or numpy.random.Generator
        The offsets are drawn with ``as_generator(seed).integers(1, n, size=degree)``; recorded in
        ``scheme.params["offsets"]``.

    Returns
    -------
    Scheme
        Static, declared circulant.

    Raises
    ------
    ValueError
        ``n < 2``, ``degree < 1`` or an unknown ``kind``.

    Examples
    --------
    >>> import numpy as np
    >>> s = equistatic(16, 5, kind="D", seed=0)
    >>> s.params["offsets"]
    [13, 10, 8, 5, 5]
    >>> round(float(s.matrix(0)[0, 5]), 4)  # offset 5 drawn twice: 2 * (15/16) / 5
    0.375
    >>> round(float(np.linalg.norm(s.matrix(0) - 1 / 16, 2)), 4)
    0.873
    """
    n = check_n(n, minimum=2)
    degree = check_size("degree", degree, bytes_per_unit=24, reason="the random offsets")
    if not isinstance(kind, str) or kind.upper() not in EQUISTATIC_KINDS:
        raise ValueError(f"kind must be 'U' (undirected) or 'D' (directed), got {kind!r}")
    kind = kind.upper()
    offsets = as_generator(seed).integers(1, n, size=degree)
    kernel = np.zeros(n)
    kernel[0] = 1.0 / n
    edge = (n - 1) / n / degree
    if kind == "D":
        np.add.at(kernel, offsets, edge)
    else:
        np.add.at(kernel, offsets, edge / 2)
        np.add.at(kernel, (-offsets) % n, edge / 2)
    params = {
        "n": n,
        "degree": degree,
        "kind": kind,
        "seed": seed if isinstance(seed, int) else None,
        "offsets": [int(a) for a in offsets],
    }
    return circulant_from_kernels((n,), [kernel], name=f"{kind}-equistatic M={degree}", params=params)


def k_peer_exponential(n: int, k: int) -> Scheme:
    r"""The time-varying k-peer exponential graph.

    With ``P`` the cyclic shift (:math:`P_{i, i+1} = 1`) and :math:`\tau = \lceil\log_{k+1} n\rceil`,

    .. math:: W_t = \frac1{k+1} \sum_{j=0}^{k} P^{\,j (k+1)^t}, \qquad t = 0, \dots, \tau - 1:

    at step ``t`` worker ``i`` averages its model with those of workers :math:`i + j(k+1)^t`
    (mod ``n``), ``j = 1..k`` -- ``k`` peers per step, each weight :math:`1/(k+1)`. ``k = 1`` is
    the one-peer exponential graph of Ying et al. (2021). For :math:`n = (k+1)^\tau` the period
    product is exactly ``J``: a Fourier mode :math:`\omega = e^{2\pi i m/n}`, ``m != 0``, whose
    lowest non-zero base-(k+1) digit is at position ``s`` is killed at step
    :math:`t = \tau - 1 - s`, where :math:`\omega^{(k+1)^t}` is a non-trivial (k+1)-th root of
    unity and :math:`\sum_j \omega^{j(k+1)^t} = 0`. For other ``n`` the offsets are taken mod
    ``n`` and the scheme is **not** exact. Directed circulant (symmetric only for ``n <= 2``).

    Parameters
    ----------
    n : int
        Number of workers, ``>= 1``.
    k : int
        Peers per step, ``>= 1``.

    Returns
    -------
    Scheme
        Period :math:`\tau` (one identity step for ``n = 1``), declared circulant.

    Examples
    --------
    >>> from topotheory import finite_time_consensus, max_degree_per_step
    >>> s = k_peer_exponential(27, 2)
    >>> s.period, max_degree_per_step(s), finite_time_consensus(s)
    (3, [2, 2, 2], True)
    >>> finite_time_consensus(k_peer_exponential(10, 2))
    False
    """
    n = check_n(n)
    k = check_size("k", k, bytes_per_unit=16, reason="the peer offsets")
    params = {"n": n, "k": k}
    if n == 1:
        return circulant_from_kernels((1,), [np.ones(1)], name=f"k_peer_exponential k={k}", params=params)
    tau = _ceil_log(n, k + 1)
    kernels = np.zeros((tau, n))
    for t in range(tau):
        np.add.at(kernels[t], (np.arange(k + 1) * (k + 1) ** t) % n, 1.0 / (k + 1))
    return circulant_from_kernels((n,), list(kernels), name=f"k_peer_exponential k={k}", params=params)


def de_bruijn(n: int, *, base: int = 2) -> Scheme:
    r"""The de Bruijn graph: static, directed, degree ``base``, exact averaging in ``D`` steps.

    Workers are the words of length ``D`` over an alphabet of ``base`` letters, read as integers
    :math:`v \in \{0, \dots, n-1\}`, :math:`n = \text{base}^D`. Worker ``v`` receives with weight
    :math:`1/\text{base}` from each of the ``base`` workers :math:`(v \cdot \text{base}) \bmod n + a`,
    ``a = 0..base-1`` (the word shifted left by one letter, a new last letter ``a``):

    .. math:: W_{v,\,(v b \bmod n) + a} = \frac1b, \qquad b = \text{base}.

    ``W`` is doubly stochastic (every worker is the shift of exactly ``b`` words), non-symmetric
    for ``n > 2``, has ``b`` self-loops (the constant words) and satisfies :math:`W^D = J` exactly:
    after ``D`` steps worker ``v`` holds the uniform average over all words of length ``D``. So
    every eigenvalue but the consensus one is 0 and :math:`(W - J)^D = 0`, while
    :math:`\|W - J\|_2 = 1`: a non-normal matrix on which singular-value and eigenvalue gap
    conventions disagree. This is the optimal finite-time consensus topology of degree ``b``
    (Delvenne, Carli & Zampieri 2007/2009). Period 1 (static): :func:`~topotheory.finite_time_consensus`
    checks one period, so use :math:`W^D` for the finite-time property.

    Parameters
    ----------
    n : int
        Number of workers, a power of ``base`` (``n = 1`` is a single worker).
    base : int
        Alphabet size (the degree), ``>= 2``.

    Returns
    -------
    Scheme
        The static, non-symmetric scheme with :math:`W^D = J`.

    Raises
    ------
    ValueError
        If ``n`` is not a power of ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> s = de_bruijn(8)
    >>> s.matrix(0)[3]
    array([0. , 0. , 0. , 0. , 0. , 0. , 0.5, 0.5])
    >>> D = 3
    >>> float(abs(np.linalg.matrix_power(s.matrix(0), D) - 1 / 8).max())
    0.0
    """
    n = check_n(n)
    base = check_int("base", base, minimum=2)
    D = _exact_log(n, base)
    if D is None:
        below = base ** (_ceil_log(n, base) - 1)
        raise ValueError(
            f"n must be a power of base = {base} for de_bruijn (n = base**D), got n = {n}; "
            f"nearest sizes {below} and {below * base}"
        )
    params = {"n": n, "base": base, "D": D}
    if n == 1:
        return Scheme([np.ones((1, 1))], name=f"de_bruijn base={base}", params=params)
    v = np.repeat(np.arange(n, dtype=np.int64), base)
    cols = (v * base) % n + np.tile(np.arange(base, dtype=np.int64), n)
    W = sp.csr_array((np.full(v.size, 1.0 / base), (v, cols)), shape=(n, n))
    return Scheme([W], name=f"de_bruijn base={base}", params=params)
