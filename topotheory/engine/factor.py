r"""Exact traces of resolvents of a large sparse symmetric ``W`` by sparse LU factorization.

For a symmetric ``W`` with spectrum in :math:`[-1, 1]` and :math:`|a| < 1`, the matrix
:math:`I - aW` is symmetric positive definite and

.. math::

    s(a) = \operatorname{tr} W (I - aW)^{-1} = \sum_i \frac{\lambda_i}{1 - a\lambda_i}
    = -\frac{d}{da}\log\det(I - aW).

The log-determinant of a sparse matrix is the sum of the logarithms of the pivots of its LU
factorization, and its derivative is taken by the **complex step** (Squire & Trapp 1998): factor
:math:`I - (a + ih)W` with a tiny real ``h`` (here :math:`10^{-40}`); each pivot is
:math:`u_{ii}(a) + ih\,u_{ii}'(a) + O(h^2)`, so

.. math::

    \frac{d}{da}\log\det(I - aW) = \sum_i \frac{u_{ii}'(a)}{u_{ii}(a)}
    = \frac1h \sum_i \frac{\operatorname{Im} u_{ii}}{\operatorname{Re} u_{ii}}

with no subtractive cancellation: the value is exact to rounding. The rounding follows the
conditioning of :math:`I - aW`, about :math:`2/(1-|a|)`: measured against closed forms and dense
eigenvalues, the relative error of the decay sums below is at most about :math:`3\cdot10^{-15}/(1-\gamma)`
(1e-13 at :math:`\gamma = 0.99`, 3e-12 at 0.999, 3e-9 at :math:`1 - 10^{-6}`).
The factorization is SuperLU's (:func:`scipy.sparse.linalg.splu`) in symmetric mode without
pivoting (stable for a positive definite matrix; every pivot's real part is checked positive) and
with a minimum-degree ordering of :math:`W + W^T`.

For the decays of :math:`n_W` (paper eq. 6), partial fractions in :math:`a = \sqrt\gamma` give

.. math::

    \sum_i \frac{\lambda_i^2}{1 - \gamma\lambda_i^2} = \frac{s(a) - s(-a)}{2a}:

two factorizations per decay, for every eigenvalue at once (no sampling, no quadrature). At
:math:`\gamma = 0` the sum is :math:`\|W\|_F^2`; below :math:`\gamma = 10^{-6}` (where the division
by ``a`` would cost digits) it is :math:`\operatorname{tr}W^2 + \gamma\operatorname{tr}W^4`, whose
relative truncation error is at most :math:`\gamma^2/(1-\gamma) < 10^{-12}` (as
:math:`\lambda^6 \le \lambda^2`).

When does it pay? The cost is the fill of the factors. On graphs that embed in low dimension (a
random geometric graph of :math:`10^5` workers in the unit square: 9.1e6 non-zeros in ``L + U``, 2.1 s
per factorization) it is fast and exact where Hutchinson's estimator needs thousands of probes; on
expanders (random regular graphs, Barabási–Albert graphs) the fill grows like :math:`n^2` and the
sampled route (:mod:`topotheory.engine.krylov`) is the one to use. :func:`envelope` gives the cheap
test: the profile and bandwidth of ``W`` in reverse Cuthill–McKee order, an upper bound on the fill
of a symmetric factorization in that order (the minimum-degree order used is, on such graphs, far
below it: 9.1e6 against a profile of 4.8e7 on that geometric graph), and a proxy for the width of
its separators.
"""

from __future__ import annotations

import math
import time
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..common.progress import Progress

__all__ = ["FACTOR_MAX_PROFILE", "FACTOR_MAX_BANDWIDTH", "envelope", "factor_fits", "ResolventTraces",
           "SelectedInverse"]

#: Largest profile (non-zeros of the lower envelope in reverse Cuthill–McKee order) the automatic
#: exact route factors: 10^8 entries bound the factors' memory at ~2 GB in that order.
FACTOR_MAX_PROFILE = 10**8
#: Largest bandwidth in reverse Cuthill–McKee order the automatic exact route factors: wider
#: bands mean wide separators, whose dense fronts make the factorization slow (a random 6-regular
#: graph of 4096 workers has 2215 and takes 0.9 s per factorization, against 0.02 s for a random
#: geometric graph of the same size with 176).
FACTOR_MAX_BANDWIDTH = 1024

#: The complex step (see the module docstring): small enough that O(h^2) is far below rounding.
_STEP = 1e-40
#: Below this decay the series tr W^2 + gamma tr W^4 replaces the partial fractions.
_SERIES_BELOW = 1e-6
#: Below this decay the series (W^2)_ii + gamma (W^4)_ii + gamma^2 (W^6)_ii gives the per-worker sums.
_WORKER_SERIES_BELOW = 1e-4


def _symmetric_lu(A: Any) -> Any:
    """SuperLU's factorization of a sparse positive definite ``A`` (symmetric mode, no pivoting, minimum degree).

    ``Pr A Pc = L U`` with ``perm_r == perm_c``; raises ``ValueError`` when a pivot's real part is
    not positive (``A`` is not positive definite).
    """
    lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))
    pivots = lu.U.diagonal()
    if pivots.size and not np.all(pivots.real > 0):
        raise ValueError(f"the matrix is not positive definite (a pivot of {np.min(pivots.real):.3g})")
    return lu


def envelope(W: Any) -> tuple[int, int]:
    r"""The profile and the bandwidth of a sparse symmetric matrix in its given order.

    With :math:`f_i = \min\{j : W_{ij} \ne 0\}` (at most ``i``), the profile is
    :math:`\sum_i (i - f_i)` and the bandwidth :math:`\max_i (i - f_i)`. A symmetric factorization
    without pivoting in this order has its fill inside the envelope (George & Liu, *Computer
    Solution of Large Sparse Positive Definite Systems*, §4.2), so the profile bounds the
    non-zeros of its lower factor beyond the diagonal.

    Parameters
    ----------
    W : sparse matrix or array
        Square, symmetric pattern (only the lower triangle's first entries are read).

    Returns
    -------
    tuple of int
        ``(profile, bandwidth)``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> envelope(sp.diags([1.0, 2.0, 1.0], [-1, 0, 1], shape=(5, 5)))  # a path: one entry per row
    (4, 1)
    >>> envelope(sp.csr_array(np.ones((4, 4))))  # dense: the whole lower triangle
    (6, 3)
    """
    W = sp.csr_array(W)
    n = W.shape[0]
    if W.shape != (n, n):
        raise ValueError(f"W must be square, got shape {W.shape}")
    if n == 0:
        return 0, 0
    rows = np.arange(n)
    counts = np.diff(W.indptr)
    first = rows.copy()
    has = counts > 0
    first[has] = np.minimum(np.minimum.reduceat(W.indices, W.indptr[:-1][has]), rows[has])
    span = rows - first
    return int(span.sum()), int(span.max())


def factor_fits(W: Any, *, max_profile: int | None = None, max_bandwidth: int | None = None) -> bool:
    """True when :class:`ResolventTraces` should factor ``W`` (given in reverse Cuthill–McKee order).

    The test of the module docstring: profile at most ``max_profile`` (default
    ``FACTOR_MAX_PROFILE``) and bandwidth at most ``max_bandwidth`` (default
    ``FACTOR_MAX_BANDWIDTH``), both read at call time.

    Parameters
    ----------
    W : sparse matrix or tuple of int
        Symmetric, already in reverse Cuthill–McKee order (as
        :attr:`~topotheory.engine.krylov.KrylovRepresentation.ordered` holds it), or its
        ``(profile, bandwidth)`` from :func:`envelope`.
    max_profile, max_bandwidth : int, optional
        The limits (defaults: the module constants).

    Returns
    -------
    bool

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> path = sp.diags([0.5, 0.5], [-1, 1], shape=(100, 100))
    >>> factor_fits(path), factor_fits(path, max_bandwidth=0)
    (True, False)
    """
    profile, bandwidth = W if isinstance(W, tuple) else envelope(W)
    return (profile <= (FACTOR_MAX_PROFILE if max_profile is None else max_profile)
            and bandwidth <= (FACTOR_MAX_BANDWIDTH if max_bandwidth is None else max_bandwidth))


class ResolventTraces:
    r"""Exact :math:`\operatorname{tr} W(I - aW)^{-1}` and the decay sums of :math:`n_W`, by sparse LU.

    See the module docstring for the method (complex-step derivative of the log-determinant).
    ``W`` must be symmetric with its spectrum in :math:`[-1, 1]` (a symmetric doubly stochastic
    gossip matrix, gossip row-wise :math:`X \leftarrow WX`).

    Parameters
    ----------
    W : sparse matrix or array
        Symmetric ``n x n``.

    Attributes
    ----------
    factorizations : int
        Sparse LU factorizations done so far.
    seconds : float
        Wall-clock time spent in them.

    Examples
    --------
    >>> import networkx as nx
    >>> from topotheory import Scheme
    >>> W = Scheme.from_networkx(nx.path_graph(30)).sparse_matrix(0)
    >>> lam = np.linalg.eigvalsh(W.toarray())
    >>> R = ResolventTraces(W)
    >>> bool(abs(R.trace(0.9) - np.sum(lam / (1 - 0.9 * lam))) < 1e-10)
    True
    >>> exact = np.sum(lam**2 / (1 - 0.99 * lam**2))
    >>> bool(abs(R.decay_sums([0.99])[0] / exact - 1) < 1e-12)
    True
    """

    def __init__(self, W: Any) -> None:
        W = sp.csc_matrix(W, dtype=float)
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"W must be square, got shape {W.shape}")
        self.W = W
        self.n = W.shape[0]
        self.factorizations = 0
        self.seconds = 0.0

    def trace(self, a: float) -> float:
        r""":math:`s(a) = \operatorname{tr} W(I - aW)^{-1} = \sum_i \lambda_i/(1 - a\lambda_i)`, exact to rounding.

        Parameters
        ----------
        a : float
            In :math:`(-1, 1)`.

        Returns
        -------
        float

        Raises
        ------
        ValueError
            When :math:`I - aW` is not positive definite (a pivot's real part is not positive):
            the spectrum of ``W`` is not inside :math:`(-1/|a|, 1/|a|)`.
        """
        a = float(a)
        if not -1.0 < a < 1.0:
            raise ValueError(f"a must lie in (-1, 1), got {a!r}")
        t0 = time.perf_counter()
        A = (sp.identity(self.n, format="csc", dtype=complex) - (a + 1j * _STEP) * self.W).tocsc()
        try:
            pivots = _symmetric_lu(A).U.diagonal()
        except ValueError as err:
            raise ValueError(f"I - a W at a = {a:g}: {err}; the spectrum of W is not inside (-1/|a|, 1/|a|); the exact "
                             "trace needs a symmetric W with eigenvalues in [-1, 1]") from None
        self.factorizations += 1
        self.seconds += time.perf_counter() - t0
        return float(-np.sum(pivots.imag / pivots.real) / _STEP)

    def frobenius2(self, power: int = 1) -> float:
        r""":math:`\operatorname{tr} W^{2p} = \|W^p\|_F^2` for ``power`` p in {1, 2}, from sparse products.

        Parameters
        ----------
        power : {1, 2}
            ``p``.

        Returns
        -------
        float
        """
        if power not in (1, 2):
            raise ValueError(f"power must be 1 or 2, got {power!r}")
        M = self.W if power == 1 else self.W @ self.W
        return float(np.sum(M.data**2))

    def worker_sums(self, gamma: float) -> np.ndarray:
        r""":math:`\Sigma_{ii} = [W^2(I - \gamma W^2)^{-1}]_{ii} = \sum_k \lambda_k^2v_k(i)^2/(1-\gamma\lambda_k^2)` for every ``i``.

        With :math:`a = \sqrt\gamma` and :math:`Z_\pm = (I \pm aW)^{-1}` (entries on the pattern
        of ``W`` by :class:`SelectedInverse`),
        :math:`W(Z_- - Z_+) = 2aW^2(I - \gamma W^2)^{-1}`, so

        .. math::

            \Sigma_{ii} = \frac1{2a}\sum_k W_{ik}\,\bigl[(Z_-)_{ki} - (Z_+)_{ki}\bigr]:

        two factorizations and selected inversions per decay, a sum over the neighbours of each
        worker. This form subtracts only entries of two resolvents (a relative rounding error
        growing like :math:`1/a` from the diagonal terms: measured 1.4e-12 at :math:`\gamma = 10^{-6}`
        on a Barabási–Albert graph), where :math:`((I - \gamma W^2)^{-1}_{ii} - 1)/\gamma` would
        lose :math:`O(1/\gamma)`. Below :math:`\gamma = 10^{-4}` the series
        :math:`(W^2)_{ii} + \gamma(W^4)_{ii} + \gamma^2(W^6)_{ii}` is used instead
        (:math:`(W^{2k})_{ii} = \|W^ke_i\|^2` from sparse products; relative truncation at most
        :math:`\gamma^3/(1-\gamma) \approx 10^{-12}`, as :math:`(W^{2k})_{ii} \le (W^2)_{ii}`).

        Parameters
        ----------
        gamma : float
            In ``[0, 1)``.

        Returns
        -------
        ndarray
            Shape ``(n,)``, in ``W``'s numbering.

        Raises
        ------
        ValueError
            When :math:`I \pm \sqrt\gamma W` is not positive definite (the spectrum of ``W`` is
            not inside :math:`[-1, 1]`).

        Examples
        --------
        >>> import networkx as nx
        >>> from topotheory import Scheme
        >>> W = Scheme.from_networkx(nx.star_graph(12)).sparse_matrix(0)
        >>> lam, V = np.linalg.eigh(W.toarray())
        >>> exact = (V**2 * lam**2 / (1 - 0.9 * lam**2)).sum(axis=1)
        >>> bool(np.allclose(ResolventTraces(W).worker_sums(0.9), exact, rtol=1e-12))
        True
        """
        g = float(gamma)
        if not 0.0 <= g < 1.0:
            raise ValueError(f"gamma must lie in [0, 1), got {gamma!r}")
        W = self.W
        if g < _WORKER_SERIES_BELOW:
            out, P = np.zeros(self.n), W
            for k in range(3):  # gamma^k ||W^(k+1) e_i||^2
                out += g**k * np.asarray(P.multiply(P).sum(axis=0)).ravel()
                if k < 2 and g > 0:
                    P = sp.csc_matrix(P @ W)
                elif g == 0:
                    break
            return out
        a = math.sqrt(g)
        C = W.tocoo()
        C.eliminate_zeros()
        i, k = C.row.astype(np.int64), C.col.astype(np.int64)
        diff = np.zeros(i.size)
        for sign in (-1.0, 1.0):
            t0 = time.perf_counter()
            try:
                Z = SelectedInverse(sp.identity(self.n, format="csc") + sign * a * W)
            except ValueError as err:
                raise ValueError(f"I {'+' if sign > 0 else '-'} a W at a = {a:g}: {err}; the exact per-worker values need "
                                 "a symmetric W with eigenvalues in [-1, 1]") from None
            diff -= sign * Z.entries(k, i)
            self.factorizations += 1
            self.seconds += time.perf_counter() - t0
        return np.bincount(i, weights=C.data * diff, minlength=self.n) / (2.0 * a)

    def decay_sums(self, gamma: Any, *, deadline: float | None = None, bar: Progress | None = None) -> np.ndarray:
        r""":math:`\sum_i \lambda_i^2/(1 - \gamma\lambda_i^2)` at each decay (every eigenvalue, exact to rounding).

        ``(s(a) - s(-a)) / (2a)`` with :math:`a = \sqrt\gamma` (module docstring); the series
        :math:`\operatorname{tr}W^2 + \gamma\operatorname{tr}W^4` below :math:`\gamma = 10^{-6}`.

        Parameters
        ----------
        gamma : array_like
            Decays in ``[0, 1)``.
        deadline : float, optional
            A ``time.perf_counter()`` value: no decay is started after it (one is always done);
            those left are NaN.
        bar : Progress, optional
            Advanced by one per decay done.

        Returns
        -------
        ndarray
            One sum per decay (NaN where the deadline stopped it).
        """
        g = np.asarray(gamma, dtype=float).ravel()
        if np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
            raise ValueError(f"gamma must lie in [0, 1), got {gamma!r}")
        out = np.full(g.size, np.nan)
        small = g < _SERIES_BELOW
        if np.any(small):
            out[small] = self.frobenius2(1) + g[small] * (self.frobenius2(2) if np.any(g[small] > 0) else 0.0)
        for k in np.flatnonzero(~small):
            if deadline is not None and time.perf_counter() > deadline and np.any(np.isfinite(out)):
                break
            a = float(np.sqrt(g[k]))
            out[k] = (self.trace(a) - self.trace(-a)) / (2.0 * a)
            if bar is not None:
                bar.update(1)
        return out


class SelectedInverse:
    r"""The entries of :math:`A^{-1}` on the pattern of the factor of a sparse positive definite ``A``: selected inversion.

    With SuperLU's symmetric factorization :math:`PAP^T = LU` (no pivoting, minimum-degree order
    ``P``; :math:`U = DL^T` for a symmetric ``A``, checked to rounding), :math:`A = P^TLDL^TP` and
    :math:`Z = (PAP^T)^{-1}` is computed only on the pattern of :math:`L` by the Takahashi
    recurrences (Takahashi, Fagan & Chin 1973; Erisman & Tinney 1975): from the last column back,
    with :math:`S` the pattern of column ``j`` of ``L`` below the diagonal,

    .. math::

        Z_{Sj} = -Z_{SS}L_{Sj}, \qquad Z_{jj} = \frac1{d_j} - L_{Sj}^TZ_{Sj}
        = \frac1{d_j} + L_{Sj}^TZ_{SS}L_{Sj}.

    :math:`Z_{SS}` lies on the pattern of ``L`` (the pattern of a column below the diagonal is a
    clique of the filled graph), computed before column ``j``. Columns are taken in supernodes
    (runs ``K`` of consecutive columns whose patterns are nested, ``R`` the rows below them), as
    dense blocks (Lin, Yang, Meza, Lu, Ying & E, "SelInv", ACM TOMS 37, 2011):
    :math:`\hat L = L_{RK}L_{KK}^{-1}`, :math:`Z_{RK} = -Z_{RR}\hat L`,
    :math:`Z_{KK} = L_{KK}^{-T}D_K^{-1}L_{KK}^{-1} + \hat L^TZ_{RR}\hat L`. The cost is that of
    the factorization (a random geometric graph of :math:`10^5` workers, ``I - 0.99 W``: 4.6e6
    non-zeros in ``L``, 48 251 supernodes: 6 s CPU with the factorization's 2.6 s, 0.6 GB peak).

    Parameters
    ----------
    A : sparse matrix or array
        Symmetric positive definite ``n x n`` (real).

    Attributes
    ----------
    n : int
    supernodes : int
        Number of supernodes of the factor.
    nnz : int
        Non-zeros of ``L`` (the entries of the inverse computed).

    Raises
    ------
    ValueError
        When ``A`` is not square, not positive definite (a non-positive pivot), or its factors are
        not symmetric (``U`` differs from ``D L^T`` beyond rounding: ``A`` is not symmetric).

    Examples
    --------
    >>> import networkx as nx
    >>> from topotheory import Scheme
    >>> W = Scheme.from_networkx(nx.star_graph(20)).sparse_matrix(0)
    >>> A = sp.identity(21) - 0.9 * W
    >>> Z = SelectedInverse(A)
    >>> dense = np.linalg.inv(A.toarray())
    >>> bool(np.allclose(Z.diagonal(), dense.diagonal(), rtol=1e-13))
    True
    >>> bool(np.isclose(Z.entries([0], [5])[0], dense[0, 5], rtol=1e-13))  # an edge: on the pattern
    True
    """

    #: Pairs of rows gathered at once (the positions of that many entries of Z_RR are looked up together).
    CHUNK_PAIRS = 1 << 21

    def __init__(self, A: Any) -> None:
        A = sp.csc_matrix(A, dtype=float)
        n = A.shape[0]
        if A.shape != (n, n):
            raise ValueError(f"A must be square, got shape {A.shape}")
        self.n = n
        if n == 0:
            self.perm = np.zeros(0, dtype=np.int64)
            self.supernodes, self.nnz = 0, 0
            self._diag = np.zeros(0)
            return
        lu = _symmetric_lu(A)
        if not np.array_equal(lu.perm_r, lu.perm_c):
            raise ValueError("the factorization permuted rows and columns differently: A is not symmetric positive definite")
        L = sp.csc_matrix(lu.L)
        L.sort_indices()
        d = np.asarray(lu.U.diagonal(), dtype=float)
        gap = abs(sp.csc_matrix(lu.U) - sp.diags(d) @ L.T).max()
        if not gap <= 1e-10 * float(np.max(d)):
            raise ValueError(f"the factors of A are not symmetric (|U - D L^T| up to {gap:.3g}): A must be symmetric")
        self.perm = np.asarray(lu.perm_c, dtype=np.int64)  # worker i is row perm[i] of the factors
        del lu
        self._selinv(L, d)

    def diagonal(self) -> np.ndarray:
        r""":math:`(A^{-1})_{ii}` for every ``i`` (in ``A``'s numbering).

        Returns
        -------
        ndarray
            Shape ``(n,)``.
        """
        return self._diag[self.perm] if self.n else np.zeros(0)

    def entries(self, i: Any, j: Any) -> np.ndarray:
        r""":math:`(A^{-1})_{ij}` for pairs on the pattern of the factor (every non-zero of ``A`` is on it).

        Parameters
        ----------
        i, j : array_like of int
            Rows and columns (``A``'s numbering), the same shape.

        Returns
        -------
        ndarray
            The entries, the shape of ``i``.

        Raises
        ------
        ValueError
            When a pair is not on the pattern of the factor (its entry was not computed).
        """
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if i.shape != j.shape or np.any((i < 0) | (i >= self.n) | (j < 0) | (j >= self.n)):
            raise ValueError(f"i and j must be integer arrays of one shape with entries in [0, {self.n})")
        if i.size == 0:
            return np.zeros(i.shape)
        pi, pj = self.perm[i], self.perm[j]
        return cast(np.ndarray, self._Z[self._lookup(np.maximum(pi, pj), np.minimum(pi, pj))])

    def _selinv(self, L: Any, d: np.ndarray) -> None:
        """Supernodes, dense blocks of ``L``, and the recurrences from the last supernode back."""
        from scipy.linalg.blas import dsymm, dsymv
        from scipy.linalg.lapack import dtrtri

        n = self.n
        ind, ptr = L.indices.astype(np.int64), L.indptr.astype(np.int64)
        cnt = np.diff(ptr)
        if not np.array_equal(ind[ptr[:-1]], np.arange(n)):
            raise ValueError("the factor L has a structurally missing diagonal")
        # column j + 1 continues the supernode of j when the pattern of j is {j} + that of j + 1
        second = np.full(n - 1, -1, dtype=np.int64)
        has = cnt[:-1] >= 2
        second[has] = ind[ptr[:-2][has] + 1]
        cont = (second == np.arange(1, n)) & (cnt[:-1] == cnt[1:] + 1)
        first = np.flatnonzero(np.r_[True, ~cont])
        ns = first.size
        w = np.diff(np.r_[first, n])
        m = cnt[first]  # rows of a supernode: the pattern of its first column
        r = m - w
        sn = np.repeat(np.arange(ns), w)
        off = np.r_[0, np.cumsum(m * w)]  # block K: m x w, column-major, at off[K]
        rowoff = np.r_[0, np.cumsum(m)]
        rows = ind[np.repeat(ptr[first], m) + np.arange(rowoff[-1]) - np.repeat(rowoff[:-1], m)]
        keys = np.repeat(np.arange(ns, dtype=np.int64), m) * n + rows  # sorted: (supernode, row)
        col = np.repeat(np.arange(n), cnt)
        K = sn[col]
        c = col - first[K]
        Lflat = np.zeros(int(off[-1]))
        Lflat[off[K] + c * m[K] + c + np.arange(ind.size) - np.repeat(ptr[:-1], cnt)] = L.data
        del col, K, c
        Z = np.zeros(int(off[-1]) + 1)
        diag = np.empty(n)

        def lookup(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
            """Positions in ``Z`` of the entries (hi, lo), hi >= lo, of the pattern (refused when outside it)."""
            J = sn[lo]
            q = J * n + hi
            loc = np.searchsorted(keys, q)
            if loc.size and not np.array_equal(keys[np.minimum(loc, keys.size - 1)], q):
                raise ValueError("an entry asked for is not on the pattern of the factor")
            return cast(np.ndarray, off[J] + (lo - first[J]) * m[J] + loc - rowoff[J])

        top = ns - 1
        dummy = Z.size - 1  # a zero: the upper triangles of the gathered Z_RR (only their lower ones are read)
        while top >= 0:  # chunks of supernodes from the last, their gathers' positions built at once
            pairs = np.cumsum((r[:top + 1] * (r[:top + 1] + 1) // 2)[::-1])
            ks = np.arange(top - max(1, int(np.searchsorted(pairs, self.CHUNK_PAIRS, side="right"))) + 1, top + 1)
            rk = r[ks]
            poff = np.r_[0, np.cumsum(rk * rk)]
            half = rk * (rk + 1) // 2  # the pairs a >= b of each supernode's rows below it
            kid = np.repeat(np.arange(ks.size), half)
            t = np.arange(kid.size) - np.repeat(np.r_[0, np.cumsum(half)][:-1], half)
            a = ((np.sqrt(8.0 * t + 1.0) - 1.0) / 2.0).astype(np.int64)
            a += (a + 1) * (a + 2) // 2 <= t
            a -= a * (a + 1) // 2 > t
            b = t - a * (a + 1) // 2
            base = rowoff[ks][kid] + w[ks][kid]
            gather = np.full(int(poff[-1]), dummy)
            gather[poff[kid] + a * rk[kid] + b] = lookup(rows[base + a], rows[base + b])  # rows sorted: a >= b
            del kid, t, a, b, base
            for j in range(ks.size - 1, -1, -1):
                k = ks[j]
                f, wk, mk, rr = first[k], w[k], m[k], r[k]
                blk = Lflat[off[k]:off[k + 1]].reshape(wk, mk).T
                dk = d[f:f + wk]
                # Z_RR with its lower triangle in C order: the upper one of its transpose, for BLAS
                ZRR = Z[gather[poff[j]:poff[j + 1]]].reshape(rr, rr).T if rr else None
                if wk == 1:
                    z = 1.0 / dk[0]
                    if rr:
                        lh = blk[1:, 0]
                        T = dsymv(1.0, ZRR, lh, lower=0)
                        z += lh @ T
                        Z[off[k] + 1:off[k + 1]] = -T
                    Z[off[k]] = diag[f] = z
                    continue
                Li = dtrtri(blk[:wk], lower=1, unitdiag=1)[0]
                Zkk = Li.T @ (Li / dk[:, None])
                out = np.empty((mk, wk))
                if rr:
                    lh = blk[wk:] @ Li
                    T = dsymm(1.0, ZRR, lh, side=0, lower=0)
                    Zkk += lh.T @ T
                    out[wk:] = -T
                out[:wk] = Zkk
                Z[off[k]:off[k + 1]] = out.T.ravel()
                diag[f:f + wk] = np.diagonal(Zkk)
            top = ks[0] - 1
        self._lookup = lookup
        self._Z = Z
        self._diag = diag
        self.supernodes, self.nnz = int(ns), int(ind.size)
