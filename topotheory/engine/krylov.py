r"""Large sparse static symmetric W, matrix-free: Lanczos, quadrature bounds and trace estimation.

Nothing here forms a dense ``n x n`` matrix: every operation applies the sparse ``W`` (CSR) to
blocks of vectors (gossip is row-wise, :math:`X \leftarrow W X`). Chosen by
:func:`~topotheory.engine.resolve` for static symmetric, non-circulant schemes with
``n > KRYLOV_MIN_N`` whose matrix has at most ``KRYLOV_MAX_DENSITY * n**2`` non-zeros, or by name
(``route="krylov"``).

Every hot path (Lanczos, probes, sparse powers, deflation) runs on ``W`` with its workers renumbered
in reverse Cuthill–McKee order (:attr:`KrylovRepresentation.ordered`): a symmetric permutation keeps
the spectrum and every trace, and the rows of a product then touch nearby rows of the block of
vectors (on a random geometric graph numbered at random, ~9 times faster per vector). Probes and
start vectors are drawn in the workers' own numbering, and per-worker values are mapped back.

Notation: :math:`B = W - J` (``W`` on :math:`\mathbf 1^\perp`; :math:`WJ = JW = J` for a doubly
stochastic ``W``), eigenvalues :math:`1 = \lambda_1 \ge \dots \ge \lambda_n`, and for a decay
:math:`\gamma` the function :math:`h_\gamma(\mu) = \mu/(1-\gamma\mu)` of :math:`\mu = \lambda^2`.

Spectral gap
    ``eigsh`` (implicitly restarted Lanczos) on :math:`W - J` (largest modulus), :math:`W - 3J`
    (largest algebraic: the consensus eigenvalue moves to :math:`-2`) and :math:`W + J` (smallest
    algebraic). Each Ritz value :math:`\theta` comes with its residual :math:`r = \|Bv - \theta v\|`;
    for a symmetric operator an eigenvalue lies within :math:`r` of :math:`\theta`, so the gap is
    exact to the stated residual (:attr:`KrylovRepresentation.eigen_residual`).

Effective number of neighbours, mean (paper eq. 6), exact
    Where the factors of :math:`I \mp \sqrt\gamma W` stay sparse (:attr:`KrylovRepresentation.factorable`:
    a narrow band in reverse Cuthill–McKee order, as on geometric graphs, grids and meshes),
    :math:`\sum_i\lambda_i^2/(1-\gamma\lambda_i^2)` is computed exactly to rounding from two sparse LU
    factorizations per decay (:mod:`topotheory.engine.factor`; ``route="sparse-lu"``): 17.7 s for
    three decays on a random geometric graph of :math:`10^5` workers, where the estimator below
    would need thousands of probes. This is the automatic choice (:meth:`KrylovRepresentation.auto_nw_mean`).

Effective number of neighbours, mean (paper eq. 6), sampled
    :math:`n_W(\gamma)^{-1} = \frac1n + \frac{1-\gamma}{n}\operatorname{tr} h_\gamma(B^2)`, and

    .. math::

        \operatorname{tr} h_\gamma(B^2) = \sum_{j \in D} h_\gamma(\lambda_j^2)
        + \sum_{k=1}^{K}\gamma^{k-1}\operatorname{tr}_P W^{2k}
        + \operatorname{tr}\bigl(P\, g_\gamma(W^2)\, P\bigr),
        \qquad g_\gamma(\mu) = \frac{\gamma^K\mu^{K+1}}{1-\gamma\mu}:

    the ``D`` eigenpairs of largest :math:`|\lambda|` deflated exactly (``P`` projects them and
    the consensus vector out), the low-order traces :math:`\operatorname{tr} W^{2k}` computed exactly
    from sparse powers (:math:`\|W^k\|_F^2`) as a control variate, and the remainder by Hutchinson's
    estimator with Rademacher probes ``z``. Each probe's quadratic form :math:`(Pz)^T g(W^2)(Pz)`
    is bracketed by Lanczos quadrature: every derivative of :math:`g_\gamma` is positive on
    :math:`[0, 1/\gamma)`, so the ``m``-point Gauss rule is a lower bound and the Gauss–Radau rule
    with a node fixed at :math:`b \ge \max` of the remaining spectrum an upper bound (Golub &
    Meurant, *Matrices, Moments and Quadrature*, Thm. 6.4; exact arithmetic, and up to rounding in
    floating point: Lanczos quadrature is forward stable without reorthogonalization). The
    returned interval is the union of a Student-t interval of the probe means of both bounds
    (:class:`KrylovEstimate`, ``certified=False``: it holds with probability ``level`` over the
    probes). The number of probes is chosen from a pilot and the interval drawn from fresh probes
    only (:meth:`KrylovRepresentation.trace_sampler`): a sample size picked from the values it
    reports on biases their spread down. The Lanczos tridiagonals do not depend on :math:`\gamma`: one run serves every decay.

    Probing (``probing=d``): a sample is one pass over a distance-``d`` colouring of the graph,
    one probe per colour with random signs on its workers (:class:`TraceSampler`,
    :func:`distance_colouring`; Tang & Saad 2012): unbiased, and its variance comes only from pairs
    of workers more than ``d`` hops apart. It pays where the remainder is short-ranged. On a random
    geometric graph (n = 4096, mean degree 14, exact from the dense remainder) a pass has
    0.37 / 0.09 / 0.03 of the variance of as many Rademacher probes at ``gamma = 0.5`` and
    ``d = 2 / 3 / 4``, 0.64 / 0.28 / 0.11 at ``gamma = 0.9``, 1.03 / 0.77 / 0.54 at ``gamma = 0.99``,
    and at ``gamma = 0.999`` none (measured at n = 16384: 2.6 / 1.4 / 1.0; at 10^5 with d = 1, 2:
    1.1-3.2 times that of plain probes at the three decays 0.9, 0.99, 0.999). There the remainder
    is the Green's function of a slowly killed random walk in two dimensions, correlated over ~:math:`\sqrt{1/(1-\gamma)}` hops: its mass
    is neither short-ranged (probing) nor in a few modes (deflation: the 512 slowest pairs carry
    an estimated 92 % of the variance at ``gamma = 0.999`` on the 10^5-worker graph).

Per-worker variances (``mode="all"/"worst"``), exact
    Where :attr:`KrylovRepresentation.factorable`, every worker's
    :math:`(1-\gamma)\Sigma_{ii}` is exact to rounding from the entries of
    :math:`(I \mp \sqrt\gamma W)^{-1}` on the pattern of ``W``, by selected inversion of their sparse
    factors (:class:`~topotheory.engine.factor.SelectedInverse`,
    :meth:`KrylovRepresentation.exact_variances`; ``route="sparse-lu"``), and the worst worker is the
    largest of them: no candidates, no bracket.

Per-worker variances (``mode="all"/"worst"``), bracketed
    :math:`(1-\gamma)\Sigma_{ii} = \frac1n + (1-\gamma)\,e_i^T h_\gamma(B^2) e_i`: Lanczos on
    :math:`Pe_i` with the same Gauss/Gauss–Radau bracket gives a **certified** interval for each
    worker asked for (``certified=True``). The worst worker over all ``n`` is the largest of them,
    taken at adaptive precision: the bracket is certified at any number of steps, so every
    candidate gets a cheap one (two steps on an expander), those whose upper end is at most
    ``1 + rtol`` times the best lower end cannot be the worst by more than ``rtol`` and are kept
    as they are, and only the others are run again with twice the steps until none is left: the
    maximum's bracket is then as narrow as the caller needs (``rtol``; for the toy rate
    ``rtol (1 - gamma)``, :class:`RateBracket`). A random
    6-regular graph of 65536 workers at decay 0.99: 4096 candidates, 37 s CPU instead of 222 s
    with every candidate taken to 1e-10, the same bracket. The route of expanders (their factors
    fill in), and of ``method="lanczos"`` and :func:`~topotheory.effective_neighbors_interval` on
    every graph.

Toy problem (THEORY §3.3)
    The Perron root :math:`\rho = 1 - r` of :math:`C \mapsto W[aC + \beta\,\mathrm{Diag}\,C]W` solves
    :math:`\rho = \beta\lambda_{\max}(K(a/\rho))` with :math:`K(\gamma) = \sum_k\gamma^{k-1}W^k\circ W^k`
    (non-negative, symmetric, row sums :math:`\Sigma_{ii}(\gamma)`), so
    :math:`\operatorname{mean}_i\Sigma_{ii} \le \lambda_{\max}(K) \le \max_i\Sigma_{ii}`
    (Rayleigh quotient of :math:`\mathbf 1`; Collatz–Wielandt): the rate lies between the root of
    the secular equation with the mean variance and the root with the worst worker's, both
    computed from the quadrature above (:func:`toy_rate_interval`). On irregular graphs that
    bracket is as wide as the spread of the variances; :class:`LocalPerron` narrows it with walks
    started at the worst workers and their neighbourhood ``S``: :math:`\lambda_{\max}(K_{SS})`
    below (interlacing) and a Collatz–Wielandt bound above, with the vector
    :math:`(\theta I - K_{SS})^{-1}r` on ``S`` (``r`` the rows' mass outside ``S``) and 1 elsewhere
    (a random geometric graph of 1024 workers at its optimal learning rate: 167 % -> 0.12 % wide).
    The walks are built only where a cheap pre-test (:meth:`RateBracket.local_can_narrow`, from
    bounds at hand) leaves it possible that they narrow the bracket: on walk-regular-like graphs
    (random regular) they cannot, and are skipped. There the upper end comes from the Kato–Temple
    bound of :mod:`~topotheory.engine.temple` instead, :math:`\theta + V/(\theta - \alpha)`
    (:math:`\theta` the mean variance, ``V`` the variances' spread, :math:`\alpha` a bound of the
    second eigenvalue of ``K``): a random 6-regular graph of :math:`10^5` workers at its optimal
    learning rate, 4 % -> 7e-5 wide (the worst-worker stage is then skipped).

Time budgets
    ``time_budget=`` (seconds) bounds the probes of the mean (:meth:`KrylovRepresentation.trace_sampler`)
    and the Lanczos refinement of the worst-worker candidates (:meth:`KrylovRepresentation.worst_variance`,
    :class:`RateBracket`), and the exact routes start no decay after it (one always is; the sparse-LU
    mean samples the decays left, the exact worst worker brackets them by Lanczos): when it ends
    first, what was reached is returned (the worst worker's and the rate's brackets stay certified,
    only wider) with ``converged=False``; the automatic routes default to ``AUTO_BUDGET`` and warn,
    naming ``time_budget=``.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..common.progress import Progress
from ..common.results import Result
from ..common.rng import as_generator
from ..common.stats import student_quantile
from ..common.threads import single_threaded_blas
from ..common.validation import check_choice, check_int, check_real
from .base import Representation
from .factor import ResolventTraces, envelope, factor_fits
from .structure import cyclic_classes
from .temple import TempleBound, hadamard_squares

__all__ = [
    "KrylovRepresentation",
    "KrylovEstimate",
    "KRYLOV_MIN_N",
    "KRYLOV_MAX_DENSITY",
    "AUTO_RTOL",
    "AUTO_BUDGET",
    "Quadrature",
    "quadrature",
    "TraceSampler",
    "WorkerRules",
    "RateBracket",
    "LocalPerron",
    "deflation_can_reach",
    "distance_colouring",
]

#: Smallest ``n`` for which :func:`~topotheory.engine.resolve` picks this route automatically
#: (static symmetric, not circulant, sparse): below it the dense eigendecomposition is fast.
KRYLOV_MIN_N = 4096
#: Largest fraction of non-zero entries for the automatic choice (sparse matrices only).
KRYLOV_MAX_DENSITY = 0.01
#: Largest number of non-zeros of a sparse power ``W^k`` formed for the exact traces.
POWER_NNZ_MAX = 20_000_000
#: Highest order ``K`` of the exact traces ``tr W^{2k}`` (the control variate).
MAX_ORDER = 3
#: Residual tolerance of the extreme eigenvalues (Lanczos) and of ``eigsh`` (deflation).
EIG_TOL = 1e-11
#: Projection period of the Lanczos recurrences with deflated eigenvectors (their components grow by
#: at most a factor ~5 per step between two projections).
PROJECT_EVERY = 4
#: Largest number of Lanczos steps for the extreme eigenvalues.
EIG_MAX_STEPS = 16384
#: Relative allowance for rounding added to every interval (float64 sums and eigensolver residuals).
ROUNDING = 1e-11
#: Largest n whose extreme eigenpairs are computed from the (tiny) explicit matrix instead of ARPACK.
TINY_N = 32
#: Default largest number of Hutchinson probes; for ``n <= max_probes`` the trace is summed exactly
#: over the ``n`` certified diagonals instead (no more work, and certified).
MAX_PROBES = 512
#: Largest number of Lanczos steps per probe or worker.
MAX_STEPS = 1000
#: Relative width of the bracket of :math:`\max_i(1-\gamma)\Sigma_{ii}` the worst-worker refinement
#: aims for by default (:meth:`KrylovRepresentation.worst_variance`; ``n_W worst`` is converged at 1e-6).
WORST_RTOL = 1e-9
#: Digits of the cheap first pass over the worst worker's candidates (the Lanczos steps for a Gauss
#: error of about ``10**-WORST_DIGITS``, at least ``WORST_LEAST``), before only the candidates that may
#: still be the worst are tightened. On a random 6-regular graph at the toy rate's decay: 2 steps,
#: brackets ~1e-2 wide against a 2.5 % spread of the variances, a tenth of the candidates run again
#: (3 steps: 4e-4; 8 steps: 5e-11).
WORST_DIGITS = 1.0
WORST_LEAST = 2
#: Eigenpairs deflated exactly at the trace estimator's first escalation: by default nothing is
#: deflated, and whenever ``max_probes`` could not reach ``rtol`` the trace estimator deflates
#: ``DEFLATE``, then 4 times more each time (up to ``DEFLATE_MAX`` and ``n / 8``).
DEFLATE = 32
DEFLATE_MAX = 512
#: Factor on the second stage's projected sample size (its spread may exceed the pilot's).
MARGIN = 1.3
#: Largest number of stages after the pilot (a stage wider than projected becomes the next one's pilot).
STAGES = 3
#: Relative tolerance of the values the Representation interface returns (``effective_neighbors``).
AUTO_RTOL = 1e-4
#: Seconds the automatic matrix-free n_W (mean) and S_1 may spend on probes (``effective_neighbors(time_budget=)``),
#: the automatic n_W (worst) on its candidates, and the automatic toy rate on each stage of its bracket:
#: when it ends first, the estimate is returned with ``converged=False`` and a warning.
AUTO_BUDGET = 60.0
#: Largest decay at which S_1 is taken from the exact sparse-LU sums: their rounding grows like
#: 3e-15 / (1 - gamma), and S_1 subtracts the consensus term 1 / (1 - gamma) from them.
FACTOR_MAX_DECAY = 1.0 - 1e-4


@dataclasses.dataclass(frozen=True, repr=False)
class KrylovEstimate(Result):
    r"""A value with its error bar and the route that computed it.

    Matrix-free values (``route="krylov"``) carry an interval; the direct routes
    (:func:`~topotheory.effective_neighbors` with ``log=True`` on ``"eigen"``, ``"fourier"``, ...)
    are exact to rounding: ``lower = upper = estimate``, ``certified=True``.

    Attributes
    ----------
    quantity : str
        What was computed (``"n_W mean"``, ``"n_W worker"``, ``"toy rate"``).
    at : ndarray
        Where it was computed: the decays :math:`\gamma` (``n_W``) or the learning rates (toy rate).
    estimate : ndarray
        The value (midpoint of the quadrature bracket averaged over the probes).
    stderr : ndarray
        Standard error over the probes (0 for certified values).
    lower, upper : ndarray
        The interval: certified (``certified=True``) or holding with probability ``level``.
    level : float
        Probability of ``[lower, upper]`` over the probes (1 when certified).
    certified : bool
        True when ``[lower, upper]`` is a deterministic bracket (no probes).
    route : str
        The representation that computed it (``"krylov"``, ``"eigen"``, ``"fourier"``, ...).
    probes : int
        Hutchinson probes (or workers) used.
    steps : int
        Lanczos steps per probe.
    deflated : int
        Eigenpairs deflated exactly.
    seconds : float
        Wall-clock time of the call.
    converged : bool
        False when a budget (``max_probes``, ``time_budget``) stopped it before ``rtol``.
    """

    quantity: str
    at: np.ndarray
    estimate: np.ndarray
    stderr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    certified: bool
    route: str
    probes: int
    steps: int
    deflated: int
    seconds: float
    converged: bool

    @property
    def relative_halfwidth(self) -> np.ndarray:
        """``(upper - lower) / (2 |estimate|)`` per value."""
        return (self.upper - self.lower) / (2.0 * np.abs(self.estimate))


# ---------------------------------------------------------------------------- Lanczos quadrature
def _lanczos(apply: Callable[[np.ndarray], np.ndarray], V: np.ndarray, steps: int,
             project: Callable[[np.ndarray], np.ndarray] | None = None,
             every: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lanczos tridiagonals of ``apply`` from each column of ``V`` at once (no loop over columns).

    Returns ``(alpha, beta, norms2)``: ``alpha`` (N, m), ``beta`` (N, m) (``beta[:, j]`` couples
    steps ``j`` and ``j + 1``), ``norms2`` the squared start norms. A column whose Krylov space
    is exhausted (``beta`` below rounding) continues with zeros: its quadrature is then exact.
    ``project`` removes the rounding drift back into the projected (consensus, deflated)
    directions from the two vectors of the recurrence every ``every`` steps: those directions are
    eigenvectors at the top of the spectrum, and Lanczos amplifies any component along them
    geometrically (a drift of 1e-16 left alone reaches O(1) within tens of steps).
    """
    norms = np.linalg.norm(V, axis=0)
    q = V / np.where(norms > 0, norms, 1.0)
    q_prev = np.zeros_like(q)
    N = V.shape[1]
    alpha = np.zeros((N, steps))
    beta = np.zeros((N, steps))
    b_prev = np.zeros(N)
    scale = 0.0
    for j in range(steps):
        w = apply(q)  # a fresh array: updated in place below (fewer passes over n x N blocks)
        a = np.einsum("ij,ij->j", q, w)
        w -= q * a
        if j:
            w -= q_prev * b_prev
        da = np.einsum("ij,ij->j", q, w)  # local reorthogonalization
        w -= q * da
        a += da
        if project is not None and j % every == every - 1:
            w = project(w)
            if every > 1 or j == 0:  # with every == 1, q is the previous (projected) w, scaled
                q = project(q)
        b = np.sqrt(np.einsum("ij,ij->j", w, w))
        alpha[:, j] = a
        scale = max(scale, float(np.max(np.abs(a), initial=0.0)))
        dead = b <= 1e-13 * max(scale, 1e-300)
        b = np.where(dead, 0.0, b)
        beta[:, j] = b
        q_prev = q
        w *= np.where(dead, 0.0, 1.0 / np.where(dead, 1.0, b))
        q = w
        b_prev = b
    return alpha, beta, norms**2


def _tridiag(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    m = alpha.shape[1]
    T = np.zeros((alpha.shape[0], m, m))
    i = np.arange(m)
    T[:, i, i] = alpha
    T[:, i[:-1], i[1:]] = beta[:, :-1]
    T[:, i[1:], i[:-1]] = beta[:, :-1]
    return T


@dataclasses.dataclass
class Quadrature:
    r"""Gauss and Gauss–Radau rules of the quadratic forms :math:`v_j^T f(A) v_j`, one per column.

    Built by :func:`quadrature` from Lanczos tridiagonals; independent of ``f``, so one Lanczos
    run serves every decay :math:`\gamma`. For ``f`` with all derivatives non-negative on
    :math:`[0, b] \supseteq \operatorname{spec} A`: Gauss :math:`\le v^T f(A) v \le` Radau.
    """

    gauss_nodes: np.ndarray
    gauss_weights: np.ndarray
    radau_nodes: np.ndarray
    radau_weights: np.ndarray

    def bounds(self, f: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` per column for the vectorized function ``f``."""
        lo = np.sum(self.gauss_weights * f(self.gauss_nodes), axis=1)
        hi = np.sum(self.radau_weights * f(self.radau_nodes), axis=1)
        return lo, np.maximum(hi, lo)

    def take(self, columns: np.ndarray) -> Quadrature:
        """The rules of the given columns (indices into this one's)."""
        return Quadrature(self.gauss_nodes[columns], self.gauss_weights[columns], self.radau_nodes[columns],
                          self.radau_weights[columns])


def quadrature(alpha: np.ndarray, beta: np.ndarray, norms2: np.ndarray, b: float) -> Quadrature:
    r"""The :class:`Quadrature` of Lanczos tridiagonals, the Radau node fixed at ``b``.

    Gauss: the eigenvalues :math:`\theta` of :math:`T_m` and weights :math:`\|v\|^2 U_{1k}^2`.
    Gauss–Radau (Golub & Meurant, §6.2): :math:`T_m` extended by one row with
    :math:`\tilde\alpha = b + \delta_m`, :math:`(T_m - bI)\delta = \beta_m^2 e_m`, so that ``b`` is
    an eigenvalue of the extension.

    Examples
    --------
    >>> A = np.diag(np.linspace(0.0, 0.9, 50))
    >>> al, be, nn = _lanczos(lambda x: A @ x, np.ones((50, 1)), 4)
    >>> lo, hi = quadrature(al, be, nn, 0.9).bounds(lambda m: m / (1 - 0.9 * m))
    >>> exact = float(np.sum(np.diag(A) / (1 - 0.9 * np.diag(A))))
    >>> bool(lo[0] < exact < hi[0]), bool(hi[0] - lo[0] < 0.05 * exact)
    (True, True)
    """
    with single_threaded_blas():  # the batched eigh of many small tridiagonals: ~10x faster
        return _quadrature(alpha, beta, norms2, b)


def _quadrature(alpha: np.ndarray, beta: np.ndarray, norms2: np.ndarray, b: float) -> Quadrature:
    T = _tridiag(alpha, beta)
    N, m = alpha.shape
    tg, U = np.linalg.eigh(T)
    wg = norms2[:, None] * U[:, 0, :] ** 2
    rhs = np.zeros((N, m))
    rhs[:, -1] = beta[:, -1] ** 2
    shifted = T - b * (1.0 + 1e-14) * np.eye(m)
    delta = np.linalg.solve(shifted, rhs[..., None])[..., 0]
    Tr = np.zeros((N, m + 1, m + 1))
    Tr[:, :m, :m] = T
    Tr[:, m, m - 1] = Tr[:, m - 1, m] = beta[:, -1]
    Tr[:, m, m] = b + delta[:, -1]
    tr, Ur = np.linalg.eigh(Tr)
    wr = norms2[:, None] * Ur[:, 0, :] ** 2
    return Quadrature(np.clip(tg, 0.0, b), wg, np.clip(tr, 0.0, b), wr)


def _every(V: np.ndarray) -> int:
    """Projection period of the Lanczos recurrence: every step for the consensus vector alone (cheap),
    every ``PROJECT_EVERY`` steps with deflated eigenvectors (``n x D`` work per projection)."""
    return 1 if V.shape[1] == 0 else PROJECT_EVERY


def _check_gammas(gamma: Any) -> np.ndarray:
    g = np.atleast_1d(np.asarray(gamma, dtype=float)).ravel()
    if g.size == 0 or np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
        raise ValueError(f"gamma must be one or more decays in [0, 1), got {gamma!r}")
    return g


def _steps_for(gmax: float, b: float, digits: float, least: int = 8) -> int:
    """Lanczos steps for Gauss error ~ exp(-2m / sqrt(kappa)), kappa = 1/(1 - gamma b) (at least ``least``)."""
    kappa = 1.0 / max(1.0 - gmax * b, 1e-12)
    return int(min(max(least, math.ceil(0.5 * math.sqrt(kappa) * digits * math.log(10.0))), MAX_STEPS))


def _may_be_worst(upper: np.ndarray, best_lower: np.ndarray, floor: float) -> np.ndarray:
    """Workers (columns of ``upper``, ``(G, N)``) whose upper bound exceeds ``floor`` times the best lower
    bound at some decay: those that may still be the worst by more than the tolerance (the others are
    not refined further)."""
    return np.any(upper > best_lower[:, None] * floor, axis=0)


class _OutOfTime(Exception):
    """Raised from inside an eigensolver's products when its deadline has passed."""


class TraceSampler:
    r"""Hutchinson probes of :math:`\operatorname{tr} h_\gamma(B^2)` with exact deflation and control variate.

    Holds the Gauss/Radau rules of every probe so far; :meth:`interval` evaluates any decays.

    With ``probing = d >= 1`` each *sample* is one pass of probing vectors instead of one
    Rademacher vector: the workers coloured so that two workers of one colour are more than ``d``
    hops apart (:func:`distance_colouring`), one vector per colour with independent random signs
    on its workers, :math:`z_c = \sum_{i \in c} s_i e_i`. A pass is unbiased,
    :math:`\mathbb E\sum_c z_c^T A z_c = \sum_c\sum_{i\in c}A_{ii} = \operatorname{tr}A`, and its
    variance :math:`2\sum_c\sum_{i \ne j \in c}A_{ij}^2` comes only from pairs of workers more than
    ``d`` hops apart (Tang & Saad 2012): the short-range off-diagonal mass of plain Hutchinson
    (:math:`2\sum_{i\ne j}A_{ij}^2`) is gone. The colours' quadratic forms are independent (their
    signs live on disjoint workers), so the variance of a pass is the sum of the colours'
    variances, each estimated from the repeated passes; the Student-t quantile takes the
    Welch–Satterthwaite degrees of freedom of that sum (:meth:`interval`).
    """

    def __init__(self, rep: KrylovRepresentation, deflate: int, seed: Any, probing: int = 0) -> None:
        self.rep = rep
        self.lam, self.V, self.K, self.traces, self.colnorms, self.b = rep.space(deflate)
        self.rng = as_generator(seed)
        self.rules: list[Quadrature] = []
        #: The Lanczos tridiagonals ``(alpha, beta, norms2)`` of every block, kept for shorter prefixes.
        self.tridiagonals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.probing = int(probing)
        #: Colour of each worker in the numbering of :attr:`KrylovRepresentation.ordered` (probing only).
        self.colours = rep.colouring(self.probing) if self.probing else np.zeros(rep.n, dtype=np.int64)
        #: Probe vectors per sample: the number of colours (1 for plain Hutchinson).
        self.unit = int(self.colours.max()) + 1
        self.probes = 0
        self.units = 0
        self.steps = 0
        #: The pilot whose spread chose this sample's size (:meth:`KrylovRepresentation.trace_sampler`):
        #: the interval uses the larger of the two spreads (conservative), or None.
        self.pilot: TraceSampler | None = None

    def exact_part(self, g: np.ndarray) -> np.ndarray:
        r""":math:`\sum_{j\in D}h_\gamma(\lambda_j^2) + \sum_{k\le K}\gamma^{k-1}\operatorname{tr}_P W^{2k}` per decay."""
        mu = self.lam**2
        g = g[:, None]
        out = np.sum(mu / (1.0 - g * mu), axis=1)
        for k in range(1, self.K + 1):
            out = out + g[:, 0] ** (k - 1) * (self.traces[k - 1] - 1.0 - np.sum(mu**k))
        return out

    def _draw(self, count: int) -> np.ndarray:
        """``count`` samples' probe vectors, ``(n, count * unit)``, in the numbering of :attr:`ordered`."""
        rep, n = self.rep, self.rep.n
        perm = rep.ordered[1]
        signs = self.rng.choice(np.array([-1.0, 1.0]), size=(n, count))[perm]  # drawn in the workers' numbering
        if not self.probing:
            return signs
        Z = np.zeros((n, count * self.unit))
        cols = self.colours[:, None] + self.unit * np.arange(count)[None, :]
        Z[np.arange(n)[:, None], cols] = signs
        return Z

    def add(self, count: int, steps: int) -> None:
        """Draw ``count`` samples (Rademacher probes, or passes of probing vectors) and run ``steps``
        Lanczos steps on each vector (one block)."""
        rep, n = self.rep, self.rep.n
        project = rep.projector(self.V)
        W = rep.ordered[0]
        Z = project(self._draw(count))
        al, be, nn = _lanczos(lambda X: W @ (W @ X), Z, min(steps, n), project, _every(self.V))
        self.tridiagonals.append((al, be, nn))
        self.rules.append(quadrature(al, be, nn, self.b))
        self.probes += count * self.unit
        self.units += count
        self.steps = max(self.steps, min(steps, n))

    def _forms(self, g: np.ndarray, rules: list[Quadrature]) -> tuple[np.ndarray, np.ndarray]:
        """Per-vector lower and upper values of the remainder's quadratic form, each ``(G, vectors)``."""
        K = self.K
        lows, highs = [], []
        for gj in g:
            f = lambda m, gj=float(gj): gj**K * m ** (K + 1) / (1.0 - gj * m)  # noqa: E731
            lo, hi = zip(*(r.bounds(f) for r in rules))
            lows.append(np.concatenate(lo))
            highs.append(np.concatenate(hi))
        return np.array(lows), np.array(highs)

    def samples(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample lower and upper values of the remainder's quadratic form, each ``(G, N)``
        (with probing, a sample is the sum over one pass's colours)."""
        L, H = self._forms(np.asarray(g, dtype=float), self.rules)
        if self.probing:
            L = L.reshape(L.shape[0], -1, self.unit).sum(axis=2)
            H = H.reshape(H.shape[0], -1, self.unit).sum(axis=2)
        return L, H

    def spread(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(sd, dof)`` per decay of one sample of the per-vector values ``X`` (``(G, vectors)``): the
        standard deviation of a sample (the sum over a pass's colours with probing) and its degrees of freedom.

        Plain probes: the sample standard deviation, ``N - 1`` degrees of freedom. Probing: the colours are
        independent within a pass, so :math:`\\mathrm{Var} = \\sum_c s_c^2` with :math:`s_c^2` the variance of
        colour ``c``'s form over the ``R`` passes, and Welch–Satterthwaite's
        :math:`\\nu = (\\sum_c s_c^2)^2 / \\sum_c s_c^4/(R-1)`.
        """
        G = X.shape[0]
        if not self.probing:
            N = X.shape[1]
            if N < 2:
                return np.full(G, np.inf), np.zeros(G)
            return X.std(axis=1, ddof=1), np.full(G, N - 1.0)
        R = X.shape[1] // self.unit
        if R < 2:
            return np.full(G, np.inf), np.zeros(G)
        s2 = X.reshape(G, R, self.unit).var(axis=1, ddof=1)  # (G, colours)
        total = s2.sum(axis=1)
        dof = total**2 / np.maximum(np.sum(s2**2, axis=1) / (R - 1), 1e-300)
        return np.sqrt(total), np.where(total > 0, dof, R - 1.0)

    def interval(self, g: Any, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(estimate, stderr, lower, upper, quadrature_gap)`` of the trace per decay."""
        g = np.asarray(g, dtype=float)
        E = self.exact_part(g)
        Lv, Hv = self._forms(g, self.rules)
        L, H = self.samples(g)
        N = L.shape[1]
        ref = self.pilot._forms(g, self.pilot.rules) if self.pilot is not None else None

        def sd(X: np.ndarray, R: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
            spread, dof = self.spread(X)
            if R is not None and self.pilot is not None:
                spread = np.maximum(spread, self.pilot.spread(R)[0])
            return spread / math.sqrt(max(N, 1)), dof

        se_L, dof_L = sd(Lv, None if ref is None else ref[0])
        se_H, dof_H = sd(Hv, None if ref is None else ref[1])
        se_M, _ = sd(0.5 * (Lv + Hv), None if ref is None else 0.5 * (ref[0] + ref[1]))
        qL, qH = student_quantile(level, dof_L), student_quantile(level, dof_H)
        M = 0.5 * (L + H)
        slack = ROUNDING * (self.rep.n + np.abs(E))  # rounding of the exact traces (sums of n terms)
        lower = np.maximum(E + L.mean(axis=1) - qL * se_L, E) - slack  # the remainder is non-negative
        upper = E + H.mean(axis=1) + qH * se_H + slack
        return E + M.mean(axis=1), se_M, lower, upper, np.mean(H - L, axis=1)

    def shortest_steps(self, g: np.ndarray, scale: np.ndarray, tol: float) -> int:
        r"""The fewest Lanczos steps (a prefix of the runs so far) whose mean quadrature gap, relative to
        ``scale``, is at most ``tol`` at every decay; the steps run so far if no shorter prefix is.

        Every prefix of a Lanczos run is itself a Lanczos run, and its Gauss / Gauss–Radau rules still
        bracket each quadratic form: the choice changes the width of the next sample's interval, never its
        validity. Prefixes on a grid of ratio 0.8 downward from :attr:`steps`, checked until one fails.
        """
        g = np.asarray(g, dtype=float)
        best, m = self.steps, int(self.steps * 0.8)
        while m >= 8:
            rules = [quadrature(al[:, :m], be[:, :m], nn, self.b) for al, be, nn in self.tridiagonals
                     if al.shape[1] >= m]
            L, H = self._forms(g, rules)
            if np.any(np.sum(H - L, axis=1) / (L.shape[1] / self.unit) > tol * scale):
                break
            best, m = m, int(m * 0.8)
        return best


#: Largest number of non-zeros of the pattern of the ``d``-th power formed for a probing colouring.
COLOURING_NNZ_MAX = 40_000_000


def distance_colouring(A: Any, distance: int, priority: np.ndarray | None = None) -> np.ndarray:
    r"""A colouring of the graph of ``A`` in which two nodes of one colour are more than ``distance`` hops apart.

    The proper colouring of the graph of :math:`(A + I)^d` (``d = distance``; its pattern by sparse
    products), greedy in decreasing ``priority`` — computed in rounds without a loop over nodes
    (Jones & Plassmann 1993): in each round every uncoloured node whose priority exceeds that of
    all its uncoloured neighbours takes the smallest colour none of its coloured neighbours has.
    Two nodes of one round are never neighbours, so the result is the sequential greedy colouring in
    that order, with at most :math:`\Delta_d + 1` colours (:math:`\Delta_d` the largest number of
    nodes within ``d`` hops of one node). The rounds number about the longest chain of decreasing
    priorities, each a pass over the pairs of uncoloured nodes: measured at :math:`10^5` workers
    (one core), d = 2 / 3 take 2.6 / 13 s on a random geometric graph of mean degree 14 (40 / 64
    colours) and 2.6 / 80 s on a random 6-regular graph (19 / 55 colours).

    Parameters
    ----------
    A : sparse matrix
        Square; its non-zero pattern, symmetrized, is the graph (the diagonal is ignored).
    distance : int
        Least number of hops plus one between two nodes of one colour (``>= 1``).
    priority : ndarray, optional
        Distinct priorities per node (default: a permutation seeded with 0).

    Returns
    -------
    ndarray of int
        The colour of each node, ``0 .. C - 1``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> ring = sp.diags_array([np.ones(11), np.ones(11)], offsets=[1, -1], shape=(12, 12)).tolil()
    >>> ring[0, 11] = ring[11, 0] = 1
    >>> c = distance_colouring(ring, 2)
    >>> bool(all(c[i] != c[(i + k) % 12] for i in range(12) for k in (1, 2))), int(c.max()) + 1 >= 3
    (True, True)
    """
    distance = check_int("distance", distance, minimum=1)
    A = sp.csr_array(A)
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError(f"A must be square, got shape {A.shape}")
    step = sp.csr_array((np.ones(A.nnz, dtype=np.float32), A.indices, A.indptr), shape=(n, n))
    step = sp.csr_array(step + step.T + sp.eye_array(n, dtype=np.float32, format="csr"))
    step.data[:] = 1.0
    P = step
    for k in range(distance):
        # the pattern's size, and a bound on the next product's work (8x: products are only counted)
        if P.nnz > COLOURING_NNZ_MAX or (k < distance - 1 and P.nnz * (step.nnz // max(n, 1)) > 8 * COLOURING_NNZ_MAX):
            raise ValueError(f"probing distance {distance} is too large for this graph: the pattern of its "
                             f"{distance}-th power exceeds {COLOURING_NNZ_MAX} non-zeros; use a smaller distance")
        if k < distance - 1:
            P = sp.csr_array(P @ step)
            P.data[:] = 1.0
    rows = np.repeat(np.arange(n), np.diff(P.indptr))
    cols = P.indices.astype(np.int64)
    off = rows != cols
    rows, cols = rows[off], cols[off]
    if priority is None:
        priority = as_generator(0).permutation(n)
    prio = np.asarray(priority)
    colour = np.full(n, -1, dtype=np.int64)
    # forbidden[i, c]: a neighbour of i has colour c (at most max-degree + 1 colours are ever needed)
    forbidden = np.zeros((n, int(np.max(np.diff(P.indptr), initial=0)) + 2), dtype=bool)
    while rows.size or np.any(colour < 0):
        free = colour < 0
        blocked = np.zeros(n, dtype=bool)
        blocked[rows[prio[cols] > prio[rows]]] = True  # an uncoloured neighbour comes first
        ready = np.flatnonzero(free & ~blocked)
        colour[ready] = np.argmin(forbidden[ready], axis=1)  # the smallest colour no coloured neighbour has
        done = colour >= 0
        hit = done[cols] & ~done[rows]
        forbidden[rows[hit], colour[cols[hit]]] = True
        keep = ~(done[rows] | done[cols])  # only pairs of uncoloured workers are needed further
        rows, cols = rows[keep], cols[keep]
    return colour


def deflation_can_reach(S: TraceSampler, g: np.ndarray, width: np.ndarray, rtol: float, probes: float,
                        deflate: int) -> bool:
    r"""Whether deflating up to ``deflate`` eigenpairs can bring the pilot ``S`` to ``rtol`` with ``probes`` probes.

    Hutchinson's variance with Rademacher probes is :math:`2\sum_{i\ne j}G_{ij}^2 \le 2\|G\|_F^2`
    for the remainder :math:`G = P g_\gamma(W^2) P`; deflating ``D'`` more eigenpairs removes at
    most their share :math:`\sum_{k\le D'} g_\gamma(\mu_k)^2 \le D' g_\gamma(b)^2` of it
    (``b`` the current end of the remaining spectrum), so the variance per probe cannot fall below
    :math:`s^2 - 2D'g_\gamma(b)^2` (:math:`s^2` the pilot's). The width scales as the standard
    deviation over the square root of the probes: when even that floor leaves a decay wider than
    ``rtol`` at ``probes`` probes, computing the eigenpairs (the most expensive step on graphs with
    clustered slow modes: 32 pairs of a random geometric graph of :math:`10^5` workers take
    ~50 s of CPU) is skipped. A heuristic bound (the diagonal term is neglected), used only to
    decide whether to escalate.

    Parameters
    ----------
    S : TraceSampler
        The pilot.
    g : ndarray
        The decays.
    width : ndarray
        The pilot's relative half width per decay.
    rtol : float
        The target relative half width.
    probes : float
        The samples a stage may draw (Rademacher probes, or passes of probing vectors).
    deflate : int
        The most eigenpairs that may be deflated.

    Returns
    -------
    bool
        False when no deflation up to ``deflate`` can reach ``rtol`` at some decay.

    Examples
    --------
    >>> from topotheory import torus
    >>> S = TraceSampler(KrylovRepresentation(torus(32, 32)), 0, 0)
    >>> S.add(16, 40)
    >>> g = np.array([0.9])
    >>> est, _, lo, hi, _ = S.interval(g, 0.95)
    >>> width = (hi - lo) / (2 * (1 / (1 - g) + est))
    >>> [deflation_can_reach(S, g, width, 1e-4, 512.0, D) for D in (4, 64)]  # 4 pairs cannot, 64 may
    [False, True]
    """
    L, H = S._forms(g, S.rules)
    var = S.spread(0.5 * (L + H))[0] ** 2
    K, b = S.K, S.b
    share = 2.0 * (deflate - S.lam.size) * (g**K * b ** (K + 1) / (1.0 - g * b)) ** 2
    target = var * (rtol / np.maximum(width, 1e-300)) ** 2 * probes / S.units
    return bool(np.all((width <= rtol) | (var - share <= target)))


class WorkerRules:
    r"""Quadrature rules of :math:`e_i^T h_\gamma(B^2) e_i` for a set of workers (any decay)."""

    def __init__(self, rep: KrylovRepresentation, workers: np.ndarray, lam: np.ndarray, V2: np.ndarray,
                 rules: list[Quadrature], steps: int) -> None:
        self.n, self.workers, self.mu, self.V2, self.rules, self.steps = rep.n, workers, lam**2, V2, rules, steps
        self.deflated = lam.size

    def bounds(self, g: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""Certified ``(lower, upper)`` of :math:`(1-\gamma)\Sigma_{ii}`, each ``(G, len(workers))``."""
        g = _check_gammas(g)
        mu = self.mu
        defl = (mu / (1.0 - g[:, None] * mu)) @ self.V2.T if mu.size else np.zeros((g.size, self.workers.size))
        lo = np.empty_like(defl)
        hi = np.empty_like(defl)
        for j, gj in enumerate(g):
            f = lambda m, gj=float(gj): m / (1.0 - gj * m)  # noqa: E731
            l, h = zip(*(r.bounds(f) for r in self.rules))
            lo[j], hi[j] = np.concatenate(l), np.concatenate(h)
        c = 1.0 - g[:, None]
        lo, hi = 1.0 / self.n + c * (defl + lo), 1.0 / self.n + c * (defl + hi)
        return lo * (1.0 - ROUNDING), hi * (1.0 + ROUNDING)


#: Workers of the local block ``S`` of :class:`LocalPerron` (the ``s x s`` matrices of every walk step are kept).
LOCAL_SIZE = 96
#: Largest number of workers of the neighbourhood ``N`` on which the local walks run (the rest of the
#: graph enters through the walks' escaped mass).
LOCAL_REGION = 32768
#: Relative size of the truncation tail at which the local walks stop.
LOCAL_TOL = 1e-9


class LocalPerron:
    r"""Certified bracket of :math:`\lambda_{\max}K(\gamma)` from walks started at a local set of workers.

    :math:`K(\gamma) = \sum_{k\ge1}\gamma^{k-1}W^k\circ W^k` is entrywise non-negative and symmetric.
    For a set ``S`` of workers (the worst ones and the workers around them, where the Perron vector
    of an irregular graph lives), with :math:`K_{ij} = \sum_k\gamma^{k-1}(W^k)_{ij}^2` read off the
    walks :math:`W^ke_j`, :math:`j \in S` (one block, no loop over workers):

    * **lower bound** (Cauchy interlacing; Perron–Frobenius monotonicity):
      :math:`\lambda_{\max}(\underline K_{SS}) \le \lambda_{\max}(K_{SS}) \le \lambda_{\max}(K)`
      for any :math:`0 \le \underline K_{SS} \le K_{SS}` entrywise — here the walks truncated at
      ``m`` steps and confined to a neighbourhood ``N`` of ``S`` (for a non-negative ``W``, the
      confined walk :math:`W_{NN}^ke_j \le W^ke_j` entrywise);
    * **upper bound** (Collatz–Wielandt, :math:`\lambda_{\max}(K) \le \max_i (Kv)_i/v_i` for any
      :math:`v > 0`): with :math:`\overline K_{SS} \ge K_{SS}` entrywise, :math:`r_i \ge \sum_{j\notin S}K_{ij}`
      (``i`` in ``S``) and, for :math:`\theta > \lambda_{\max}(\overline K_{SS})`,
      :math:`v_S = w = (\theta I - \overline K_{SS})^{-1}r \ge 0` (a Neumann series),
      :math:`v_i = 1` outside ``S``: every row of ``S`` has :math:`(Kv)_i \le \theta v_i`, and a row
      outside ``S`` has :math:`(Kv)_i \le \Sigma_{ii} + \sum_{j\in S}K_{ij}(w_j - 1)_+`. So
      :math:`\lambda_{\max}(K) \le \theta` for the least :math:`\theta` with
      :math:`\max_{i\notin S}\Sigma_{ii} + \sum_{j\in S}L_j(w_j(\theta)-1)_+ \le \theta`,
      :math:`L_j \ge \max_{i\notin S}K_{ij}`.

    The entries are bounded with the mass :math:`\ell_k(j) = 1 - \mathbf 1^TW_{NN}^ke_j` the confined
    walk lost (``W`` doubly stochastic and non-negative: :math:`W^ke_j` is a distribution, and what
    left ``N`` adds at most :math:`\ell_k(j)` to any entry), and the tail :math:`k > m` with
    :math:`(W^k)_{ij} \le \min(M_m(i), M_m(j))`, :math:`M_k(j) = \max_i(W^k)_{ij}` non-increasing in
    ``k``: :math:`\sum_{k>m}\gamma^{k-1}(W^k)_{ij}^2 \le M_m(i)M_m(j)\gamma^m/(1-\gamma)`. The
    walks do not depend on :math:`\gamma`: after construction every decay costs one
    ``s x s`` eigenproblem (:meth:`bounds`).

    Parameters
    ----------
    rep : KrylovRepresentation
        The scheme (a non-negative ``W``).
    workers : array_like of int
        The set ``S`` (workers' numbering).
    gamma_max : float
        The largest decay the walks must resolve: they stop when the tail at ``gamma_max`` is below
        ``tol`` relative to the lower bound, or after ``MAX_STEPS`` steps.
    tol : float, default ``LOCAL_TOL``
        Relative truncation tail at which the walks stop.
    region : int, default ``LOCAL_REGION``
        Largest size of the neighbourhood ``N`` (hops around ``S`` while it fits).

    Examples
    --------
    A random geometric graph (the variances spread: the mean row sum is a quarter of the root here):

    >>> from topotheory import Scheme
    >>> from topotheory.graphs.weights import weights_from_adjacency
    >>> pts = np.random.default_rng(1).random((150, 2))
    >>> A = 1.0 * (np.linalg.norm(pts[:, None] - pts[None], axis=2) < 0.2) - np.eye(150)
    >>> s = Scheme([weights_from_adjacency(A, "metropolis")])
    >>> W, g = s.matrix(0), 0.9
    >>> K = sum(g ** (k - 1) * np.linalg.matrix_power(W, k) ** 2 for k in range(1, 400))  # dense, to compare
    >>> sig = K.sum(axis=1)
    >>> S = np.argsort(-sig)[:40]
    >>> local = LocalPerron(KrylovRepresentation(s), S, g)
    >>> lo, hi = local.bounds(g, sig[S] * (1 + 1e-9), float(np.delete(sig, S).max()) * (1 + 1e-9))
    >>> lam = np.linalg.eigvalsh(K)[-1]
    >>> bool(lo <= lam <= hi), bool(hi - lo < 0.01 * lam), bool(hi < sig.max())
    (True, True, True)
    """

    def __init__(self, rep: KrylovRepresentation, workers: Any, gamma_max: float, *, tol: float = LOCAL_TOL,
                 region: int = LOCAL_REGION) -> None:
        W, _, pos = rep.ordered
        if W.nnz and float(W.data.min()) < 0:
            raise ValueError("LocalPerron needs a non-negative W (its walks are distributions)")
        workers = np.atleast_1d(np.asarray(workers))
        if (workers.ndim != 1 or workers.size == 0 or workers.dtype.kind not in "iu" or np.any(workers < 0)
                or np.any(workers >= rep.n) or np.unique(workers).size != workers.size):
            raise ValueError(f"workers must be distinct integers in [0, n = {rep.n}), got {workers!r}")
        gmax = float(_check_gammas(gamma_max)[0])
        n, s = rep.n, workers.size
        self.workers = workers
        So = pos[workers]
        # the neighbourhood N: hops around S while it stays within `region` workers
        inside = np.zeros(n, dtype=bool)
        inside[So] = True
        A = sp.csr_array((np.ones(W.nnz), W.indices, W.indptr), shape=W.shape)
        while inside.sum() < min(region, n):
            grown = inside | (A @ inside.astype(float) > 0)
            if grown.sum() > region or grown.sum() == inside.sum():
                break
            inside = grown
        rest = np.flatnonzero(inside & ~np.isin(np.arange(n), So))
        N = np.concatenate([So, rest])  # S first
        Wn = sp.csr_array(W[N][:, N])
        self.region = N.size
        X = np.zeros((N.size, s))
        X[np.arange(s), np.arange(s)] = 1.0
        lo, up, mx = [], [], []
        lam_lo = 0.0
        Klo = np.zeros((s, s))
        steps = 0
        with single_threaded_blas():
            while True:
                X = Wn @ X
                steps += 1
                lost = np.maximum(1.0 - X.sum(axis=0), 0.0) + 1e-15 * steps  # escaped mass (and rounding)
                XS = X[:s]
                lo.append(XS * XS)
                bound = np.minimum(XS + np.minimum(lost[:, None], lost[None, :]), 1.0)
                up.append(bound * bound)
                out = X[s:].max(axis=0, initial=0.0) + lost  # any entry outside S
                mx.append(out)
                Mk = np.maximum(XS.max(axis=0) + lost, out)  # the column maxima
                Klo += gmax ** (steps - 1) * lo[-1]
                if steps % 16 == 0 or steps >= MAX_STEPS:
                    lam_lo = float(np.linalg.eigvalsh(Klo)[-1])
                    tail = float(Mk.max() ** 2 * s * gmax**steps / (1.0 - gmax))
                    if tail <= tol * lam_lo or steps >= MAX_STEPS:
                        break
        self.steps = steps
        self.lo, self.up, self.mx, self.M = np.array(lo), np.array(up), np.array(mx), Mk

    def _matrices(self, g: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = g ** np.arange(self.steps)
        tail = g**self.steps / (1.0 - g)
        Klo = np.tensordot(c, self.lo, axes=1)
        Kup = np.tensordot(c, self.up, axes=1) + tail * np.outer(self.M, self.M)
        L = c @ (self.mx**2) + tail * self.M**2
        return Klo, Kup, L

    def bounds(self, g: float, sigma_S: np.ndarray, sigma_out: float) -> tuple[float, float]:
        r"""``(lower, upper)`` of :math:`\lambda_{\max}K(g)` given certified upper bounds of the row sums.

        ``sigma_S``: upper bounds of :math:`\Sigma_{ii}(g)` for the workers of ``S`` (in the order of
        :attr:`workers`); ``sigma_out``: an upper bound of :math:`\max_{i\notin S}\Sigma_{ii}(g)`.
        The upper end is ``inf`` when no :math:`\theta` below ``max(sigma_S, sigma_out)`` passes
        (the row sums bound it then).
        """
        g = float(_check_gammas(g)[0])
        Klo, Kup, L = self._matrices(g)
        s = Klo.shape[0]
        lower = float(np.linalg.eigvalsh(Klo)[-1]) * (1.0 - ROUNDING * s)
        r = np.maximum(np.asarray(sigma_S, dtype=float) - Klo.sum(axis=1), 0.0) * (1.0 + ROUNDING * s)
        mu, V = np.linalg.eigh(Kup)
        top = float(mu[-1]) + ROUNDING * s * float(np.abs(mu).max())
        r = r + 1e-12 * max(float(r.max(initial=0.0)), 1e-300)  # a strictly positive v
        p = V.T @ r

        def excess(theta: float) -> float:
            w = np.maximum(V @ (p / (theta - mu)), 0.0)
            return sigma_out + float(L @ np.maximum(w - 1.0, 0.0)) - theta

        hi = max(float(np.max(sigma_S, initial=0.0)), sigma_out, top)
        lo_t = top * (1.0 + 1e-15)
        if not math.isfinite(hi) or hi <= lo_t or excess(hi) > 0:
            return lower, math.inf
        if excess(lo_t) > 0:  # the least theta with excess <= 0 (excess decreases in theta): Brent, then checked
            import scipy.optimize as so

            theta = float(so.brentq(excess, lo_t, hi, xtol=1e-13 * hi, rtol=1e-12, maxiter=100))
            step = 1e-12 * hi
            while theta < hi and excess(theta) > 0:
                theta, step = min(theta + step, hi), 4.0 * step
            hi = theta
        else:
            hi = lo_t
        return lower, hi * (1.0 + ROUNDING * s)


class RateBracket:
    r"""Brackets of the toy problem's Perron root for any ``(a, beta)`` from one set of Lanczos runs.

    :math:`\rho = \beta\lambda_{\max}(K(a/\rho))` with
    :math:`\operatorname{mean}_i\Sigma_{ii} \le \lambda_{\max}(K) \le \max_i\Sigma_{ii}` (module
    docstring), and :math:`F(\rho) = \rho - \beta\,\sigma(a/\rho)` increasing in :math:`\rho`
    for any :math:`\sigma` increasing in :math:`\gamma` (every :math:`\Sigma_{ii}` is). So:

    * ``rho_lo``: root with the lower end of the mean variance (the trace interval: holds at
      ``level``; certified for ``n <= max_probes``, where every worker's diagonal is summed);
    * ``rho_mid``: root with the estimate of the mean variance (the secular root);
    * ``rho_hi``: root with the smaller of the Kato–Temple bound
      (:class:`~topotheory.engine.temple.TempleBound`, :meth:`temple_envelope`; at ``level``,
      certified for ``n <= max_probes``; when available, built first) and a certified upper bound
      of :math:`\max_i\Sigma_{ii}`. The latter is skipped (:attr:`worst_skipped`) when the
      Kato–Temple bound at ``gamma_ref`` is already below a certified lower bound of the largest
      variance (random regular graphs: it could not narrow the bracket). The worst-worker stage:
      the candidates (the workers whose crude upper bound at ``gamma_ref`` reaches the best crude
      lower bound, at most ``max_candidates``) by Lanczos, the others by their crude bound, taken
      on a grid of decays and used at the next grid point above (valid since it increases in
      :math:`\gamma`).
      Every candidate gets a cheap certified bracket first; only those that may still be the
      worst at ``gamma_ref`` are tightened, until the maximum's bracket is ``worst_rtol`` wide
      (relative; :meth:`KrylovRepresentation.worst_variance`). The others keep their cheap rules,
      which bound them at every decay.

    How wide ``worst_rtol`` may be: if :math:`\sigma` is replaced by :math:`\sigma(1+\epsilon)`, the
    root :math:`\rho'` of :math:`F_\epsilon` has :math:`F_0(\rho') = \rho'\epsilon/(1+\epsilon)`,
    and :math:`F_0' \ge 1`, so :math:`0 \le \rho' - \rho \le \rho\epsilon`. With
    :math:`u = \rho - a = \rho(1-\gamma^*)` (:math:`\gamma^* = a/\rho`, the decay at the root), the
    relative change of :math:`u` is at most :math:`\epsilon/(1-\gamma^*)`, and of the rate
    :math:`r = 1-\rho` at most :math:`\epsilon\rho/r`. The default ``worst_rtol = rtol (1 -
    gamma_ref)`` (``gamma_ref`` is about :math:`\gamma^*`) keeps the worst stage's share of the
    relative width of :math:`u` within ``rtol``, the precision asked of the mean.

    The Lanczos tridiagonals do not depend on the decay: after construction each bracket is a few
    bisections on stored quadrature nodes.

    ``time_budget`` (seconds, None: no limit) bounds each of the two stages: the mean's probes
    (:meth:`KrylovRepresentation.trace_sampler`) and the worst-worker stage (the candidates'
    Lanczos runs, in chunks in decreasing order of their crude bound, and the local block's; the
    Kato–Temple bound is dropped when its workers' runs reach it). When it ends the worst-worker
    stage, the candidates not refined keep their crude bound (the upper end stays certified,
    wider), those not tightened their cheap bracket, the local block is not started if it has not
    been, and :attr:`converged` is False.
    """

    def __init__(self, rep: KrylovRepresentation, gamma_ref: float, *, level: float = 0.95, seed: Any = 0, rtol: float = 1e-5,
                 deflate: int | None = None, max_candidates: int = 4096, max_probes: int = MAX_PROBES, worst: bool = True,
                 progress: bool | None = None, local: bool = True, time_budget: float | None = None,
                 worst_rtol: float | None = None, temple: bool = True, **options: Any) -> None:
        self.rep, self.level = rep, float(level)
        n = rep.n
        gamma_ref = float(_check_gammas(gamma_ref)[0])
        deflate = rep._default_deflate(deflate)
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
        #: Relative width the worst-worker stage aims for in the bracket of the largest variance at ``gamma_ref``.
        self.worst_rtol = float(check_real("worst_rtol", rtol * (1.0 - gamma_ref) if worst_rtol is None else worst_rtol,
                                           low=0.0, low_open=True))
        self.mean: WorkerRules | TraceSampler
        if n <= max_probes:
            self.mean = rep.worker_rules(np.arange(n), gamma_ref, deflate=deflate, progress=progress)
        else:
            self.mean, _ = rep.trace_sampler([gamma_ref], level=level, seed=seed, rtol=rtol, deflate=deflate,
                                             max_probes=max_probes, progress=progress, time_budget=time_budget,
                                             **options)
        self.worst: WorkerRules | None = None
        self.local: LocalPerron | None = None
        self.extra: WorkerRules | None = None
        #: The Kato–Temple bound (:class:`~topotheory.engine.temple.TempleBound`), or None.
        self.temple: TempleBound | None = None
        self._temple_cache: dict[float, float] = {}
        self._temple_grid: tuple[np.ndarray, np.ndarray] | None = None
        self.gamma_ref = gamma_ref
        #: True when :meth:`local_can_narrow` showed the local block could not narrow the bracket (not built).
        self.local_skipped = False
        #: True when the Kato–Temple bound at ``gamma_ref`` was below a certified lower bound of the
        #: largest variance: the worst-worker stage (and the local block) could not narrow it and did not run.
        self.worst_skipped = False
        #: False when ``time_budget`` ended the worst-worker stage before it was complete.
        self.converged = True
        deadline = None if time_budget is None else time.perf_counter() + time_budget
        if worst and temple:
            T = TempleBound(rep, gamma_ref, level=self.level, seed=seed, deflate=deflate, progress=progress,
                            exact=self.mean if isinstance(self.mean, WorkerRules) else None, deadline=deadline)
            self.temple = T if T.available else None
            self.worst_skipped = bool(T.available and self.sigma_temple(gamma_ref) <= T.top_lower(gamma_ref))
        if worst and not self.worst_skipped:
            clo, chi = rep.crude_variance_bounds([gamma_ref], deflate)
            order = np.argsort(-chi[0], kind="stable")
            cand = order[chi[0][order] >= clo[0].max()][:max_candidates]  # a prefix of `order`
            self.worst, refined, _, tight = rep._tighten_worst(cand, np.array([gamma_ref]), self.worst_rtol, deflate,
                                                               256, progress, deadline, clo.max(axis=1))
            if refined < cand.size:  # the budget ended first: the rest keep their crude bound
                self.converged = False
                cand = cand[:refined]
            elif not tight and deadline is not None and time.perf_counter() > deadline:
                self.converged = False  # the budget ended the tightening: the bracket holds, wider
            others = order[cand.size:]
            self.candidates = cand
            # 1 - gamma on a geometric grid from (1 - gamma_ref) / 64 to 1
            c = (1.0 - gamma_ref) * 2.0 ** np.arange(-6, 64)
            c = np.append(c[c < 1.0], 1.0)
            self.grid = np.sort(1.0 - c)
            grid_hi = rep.crude_variance_bounds(self.grid, deflate)[1] if others.size else None
            self.others = (grid_hi[:, others].max(axis=1) / (1.0 - self.grid) if grid_hi is not None
                           else np.zeros(self.grid.size))
            if local and rep.W.nnz and float(rep.W.data.min()) >= 0 and n > 2:
                if deadline is not None and time.perf_counter() > deadline:
                    self.converged = False  # no time left for the local block (optional: the bracket holds without it)
                else:
                    self._localize(gamma_ref, chi[0], order, cand, deflate, max_candidates, progress, grid_hi,
                                   deadline)

    def sigma_mean(self, g: float, which: str) -> float:
        r"""``mean_i Sigma_ii(g)``: the lower end (``which="lo"``) or the estimate (``"mid"``)."""
        n = self.rep.n
        if isinstance(self.mean, WorkerRules):
            lo, hi = self.mean.bounds([g])
            v = lo.mean() if which == "lo" else 0.5 * (lo + hi).mean()
            return float(v) / (1.0 - g)
        est, _, lo, _, _ = self.mean.interval(np.array([g]), self.level)
        T = (lo if which == "lo" else est)[0]
        return 1.0 / ((1.0 - g) * n) + T / n

    def sigma_temple(self, g: float) -> float:
        r"""The Kato–Temple upper bound of :math:`\lambda_{\max}K(g)` (inf without it; :mod:`~topotheory.engine.temple`).

        The mean's interval is taken at confidence ``(1 + level) / 2``, as the sampled workers'
        bound: the sum holds with probability ``level`` (certified for ``n <= max_probes``)."""
        T = self.temple
        if T is None:
            return math.inf
        g = float(g)
        if g not in self._temple_cache:
            if len(self._temple_cache) > 4096:
                self._temple_cache.clear()
            if isinstance(self.mean, WorkerRules):
                lo, hi = self.mean.bounds([g])
                t_lo, t_hi = float(lo.mean()) / (1.0 - g), float(hi.mean()) / (1.0 - g)
            else:
                _, _, lo, hi, _ = self.mean.interval(np.array([g]), 0.5 * (1.0 + self.level))
                base = 1.0 / ((1.0 - g) * self.rep.n)
                t_lo, t_hi = base + float(lo[0]) / self.rep.n, base + float(hi[0]) / self.rep.n
            self._temple_cache[g] = T.upper(g, t_lo, t_hi)
        return self._temple_cache[g]

    def temple_envelope(self, g: float) -> float:
        r"""The Kato–Temple bound made increasing in the decay: the smaller of :meth:`sigma_temple` at
        ``g`` and at every point of a grid above ``g`` (valid: :math:`\lambda_{\max}K` increases in
        :math:`\gamma`).

        Far from ``gamma_ref`` the bound is lost (infinite: the Weyl term of the second eigenvalue's
        bound grows); the grid's points nearer ``gamma_ref`` keep a finite bound there, so the
        bisection of the root (which reads an infinite bound as "the root is above") is not misled.
        The grid: :math:`1-\gamma_j = (1-\gamma_{\text{ref}})2^{j/4}`, ``j >= -16``, below 1."""
        if self.temple is None:
            return math.inf
        if self._temple_grid is None:
            c = (1.0 - self.gamma_ref) * 2.0 ** (np.arange(-16, 256) / 4.0)
            grid = np.sort(1.0 - c[c < 1.0])
            vals = np.array([self.sigma_temple(float(x)) for x in grid])
            self._temple_grid = (grid, np.minimum.accumulate(vals[::-1])[::-1])  # min over grid[j:]
        grid, above = self._temple_grid
        k = int(np.searchsorted(grid, g, side="left"))
        return min(self.sigma_temple(g), float(above[k]) if k < grid.size else math.inf)

    def sigma_upper(self, g: float) -> float:
        r"""The upper bound of :math:`\lambda_{\max}K(g)` without the local block: the smaller of
        :meth:`sigma_worst` (when that stage ran) and :meth:`temple_envelope`."""
        worst = self.sigma_worst(g) if self.worst is not None else math.inf
        return min(worst, self.temple_envelope(g))

    def sigma_worst(self, g: float) -> float:
        r"""A certified upper bound of ``max_i Sigma_ii(g)``."""
        top = float(cast(WorkerRules, self.worst).bounds([g])[1].max()) / (1.0 - g)
        k = int(np.searchsorted(self.grid, g, side="left"))
        other = self.others[k] if k < self.grid.size else math.inf
        return max(top, float(other))

    def _localize(self, gamma_ref: float, chi: np.ndarray, order: np.ndarray, cand: np.ndarray, deflate: int,
                  max_candidates: int, progress: bool | None, grid_hi: np.ndarray | None = None,
                  deadline: float | None = None) -> None:
        r"""The local block ``S`` (:class:`LocalPerron`) around the worst candidates, and more candidates.

        ``S``: the candidates in decreasing order of their certified upper bound at ``gamma_ref`` and
        the workers within a few hops of the first ones, ``LOCAL_SIZE`` in all. Every worker whose
        crude bound may exceed the local lower bound is then refined (up to ``max_candidates``): the
        Collatz–Wielandt bound cannot fall below the largest row sum outside ``S``. ``grid_hi``: the
        crude upper bounds on :attr:`grid` when already computed.

        The walks are skipped (:attr:`local` stays None) when :meth:`local_can_narrow` shows, from
        the bounds at hand, that the block would be dropped after construction anyway. The more
        candidates are refined until ``deadline`` (a ``time.perf_counter()`` value).
        """
        rep, n = self.rep, self.rep.n
        worst = cast(WorkerRules, self.worst)
        up = worst.bounds([gamma_ref])[1][0]
        ranked = worst.workers[np.argsort(-up, kind="stable")]
        W, perm, pos = rep.ordered
        A = sp.csr_array((np.ones(W.nnz), W.indices, W.indptr), shape=W.shape)
        size = min(LOCAL_SIZE, n - 1)
        # the workers whose row sums may compete for the top, then hop layers around all of them
        ups = np.sort(up)[::-1]
        core = ranked[: max(1, min(size // 4, int(np.sum(ups >= 0.5 * ups[0]))))]
        inside = np.zeros(n, dtype=bool)
        inside[pos[core]] = True
        while inside.sum() < size:
            layer = (A @ inside.astype(float) > 0) & ~inside
            new = np.flatnonzero(layer)
            if new.size == 0:
                break
            new = new[np.argsort(-chi[perm[new]], kind="stable")][: size - int(inside.sum())]
            inside[new] = True
        chosen = [int(x) for x in perm[np.flatnonzero(inside)]]
        S = np.array(sorted(chosen), dtype=np.int64)
        inS = np.zeros(n, dtype=bool)
        inS[S] = True
        self.local_skipped = not self.local_can_narrow(gamma_ref, S.size, float(np.max(up[~inS[worst.workers]],
                                                                                     initial=0.0)))
        if self.local_skipped:
            return
        self.local = LocalPerron(rep, S, gamma_ref)
        self.local_rules = rep.worker_rules(S, gamma_ref, deflate=deflate, progress=progress)
        # more candidates: every worker whose crude bound reaches the local lower bound
        lower = self.local.bounds(gamma_ref, self.local_rules.bounds([gamma_ref])[1][0] / (1.0 - gamma_ref),
                                  math.inf)[0]
        refined = np.zeros(n, dtype=bool)
        refined[cand] = True
        more = order[~refined[order] & (chi[order] >= lower * (1.0 - gamma_ref))]
        more = more[: max(max_candidates - cand.size, 0)]
        self.extra = (rep.worker_rules(more, gamma_ref, deflate=deflate, progress=progress, deadline=deadline,
                                       rtol=self.worst_rtol) if more.size else None)
        if self.extra is not None and self.extra.workers.size < more.size:  # the budget ended first
            self.converged = False
            more = self.extra.workers
        refined[more] = True
        rest = np.flatnonzero(~refined)
        if rest.size:
            hi = grid_hi if grid_hi is not None else rep.crude_variance_bounds(self.grid, deflate)[1]
            self.local_others = hi[:, rest].max(axis=1) / (1.0 - self.grid)
        else:
            self.local_others = np.zeros(self.grid.size)
        self._cand_out = ~inS[worst.workers]
        self._extra_out = ~inS[more]
        self._local_cache: dict[float, tuple[float, float]] = {}
        # the mean's lower end matters only where it may exceed the local lower bound
        mean = self.sigma_mean(gamma_ref, "mid")
        self._mean_needed = bool(mean * 1.5 > lower / (1.0 - 1e-3))
        upper = self.sigma_local(gamma_ref)[1]
        if lower <= mean and upper >= (1.0 - 1e-3) * self.sigma_worst(gamma_ref):
            self.local = None  # no narrower than [mean, max] row sums (walk-regular-like graphs): not worth its cost

    def local_can_narrow(self, gamma_ref: float, size: int, out_hi: float) -> bool:
        r"""Whether a local block of ``size`` workers may narrow the bracket at ``gamma_ref`` (a cheap pre-test).

        The walks of :class:`LocalPerron` (seconds at a few thousand workers) are built only if
        this returns True. It returns False only when both ends provably gain nothing, from bounds
        already at hand (``c = 1 - gamma``, :math:`\bar\sigma` = :meth:`sigma_worst`, a certified
        upper bound of :math:`\max_i\Sigma_{ii}`, and :math:`m` the mean's estimate):

        * **lower end**: with :math:`W^k = J + B^k`, :math:`(W^k)_{ij} = \frac1n + (B^k)_{ij}`, so
          for any ``S`` of ``s`` workers (Cauchy–Schwarz twice, :math:`\sum_k\gamma^{k-1} = 1/c`)

          .. math::

              \sum_{j\in S}K_{ij} \le \sum_k\gamma^{k-1}\Bigl[\frac{s}{n^2}
              + \frac{2\sqrt s}{n}\|B^ke_i\| + \|B^ke_i\|^2\Bigr]
              \le \Bigl(\sqrt{V_i} + \frac{\sqrt s}{n\sqrt c}\Bigr)^2,
              \qquad V_i = \Sigma_{ii} - \frac1{nc},

          and :math:`\lambda_{\max}(K_{SS})` is at most its largest row sum: the local lower bound
          (at most :math:`\lambda_{\max}(K_{SS})`) is below
          :math:`\Lambda = (\sqrt{\bar\sigma - 1/(nc)} + \sqrt s/(n\sqrt c))^2`. When
          :math:`\Lambda \le m` it cannot exceed the mean's end. Near :math:`\gamma = 1` the
          consensus part :math:`1/(nc)` of every row sum is spread over all ``n`` columns and
          ``S`` holds only ``s/n`` of it: on a random 6-regular graph of 5000 workers at the rate's
          decay, :math:`\Lambda` is a sixteenth of :math:`m`.
        * **upper end**: the Collatz–Wielandt bound is at least the largest certified upper row
          sum outside ``S`` (``out_hi``, of :math:`(1-\gamma)\Sigma_{ii}`, over the refined
          candidates not in ``S``); when that is within ``1e-3`` of :math:`\bar\sigma`, the upper
          end gains less than that.

        These are the two conditions under which a built block is dropped (walk-regular-like
        graphs), so skipping changes no bound: it only saves the walks.

        Parameters
        ----------
        gamma_ref : float
            The decay the block would be built for.
        size : int
            Workers of the block ``S``.
        out_hi : float
            The largest certified upper bound of :math:`(1-\gamma)\Sigma_{ii}` over the refined
            candidates outside ``S``.

        Returns
        -------
        bool
            False when neither end of the bracket can be narrowed by the block.

        Examples
        --------
        >>> from topotheory import random_regular
        >>> R = RateBracket(KrylovRepresentation(random_regular(600, 6, seed=1)), 0.9999, max_probes=64, rtol=1e-3,
        ...                 temple=False)  # the worst-worker stage run (the Kato-Temple bound would skip it)
        >>> R.local is None, R.local_skipped  # walk-regular-like: the walks are not built
        (True, True)
        """
        n, c = self.rep.n, 1.0 - gamma_ref
        top = self.sigma_worst(gamma_ref)
        reach = (math.sqrt(max(top - 1.0 / (n * c), 0.0)) + math.sqrt(size / c) / n) ** 2
        lower_gains = reach * (1.0 + 1e-9) > self.sigma_mean(gamma_ref, "mid")
        upper_gains = out_hi / c < (1.0 - 1e-3) * top
        return lower_gains or upper_gains

    def sigma_local(self, g: float) -> tuple[float, float]:
        r"""Certified ``(lower, upper)`` of :math:`\lambda_{\max}K(g)` by :class:`LocalPerron` (``(0, inf)`` without it)."""
        if getattr(self, "local", None) is None:
            return 0.0, math.inf
        local = cast(LocalPerron, self.local)
        c = 1.0 - g
        sig_S = self.local_rules.bounds([g])[1][0] / c
        out = [float(np.max(cast(WorkerRules, self.worst).bounds([g])[1][0][self._cand_out], initial=0.0)) / c]
        if self.extra is not None:
            out.append(float(np.max(self.extra.bounds([g])[1][0][self._extra_out], initial=0.0)) / c)
        k = int(np.searchsorted(self.grid, g, side="left"))
        out.append(float(self.local_others[k]) if k < self.grid.size else math.inf)
        return local.bounds(g, sig_S, max(out))

    @staticmethod
    def _root(a: float, beta: float, sigma: Callable[[float], float]) -> float:
        lo, hi = a, a + beta  # F(a) < 0 <= F(a + beta): rho <= a + beta since Sigma_ii <= 1/(1 - gamma)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if mid - beta * sigma(a / mid) > 0:
                hi = mid
            else:
                lo = mid
            if hi - lo <= 1e-15 * hi:
                break
        return 0.5 * (lo + hi)

    def bracket(self, a: float, beta: float) -> tuple[float, float, float]:
        r"""``(u_lo, u_mid, u_hi)`` with ``u = rho - a``.

        With the local bracket (:class:`LocalPerron`): the roots with
        :math:`\max(\text{mean lower end}, \lambda_{\text{local, lower}})` and
        :math:`\min(\max_i\Sigma_{ii}, \lambda_{\text{local, upper}})`, the estimate their midpoint.
        """
        a, beta = float(a), float(beta)
        if beta == 0:
            return 0.0, 0.0, 0.0
        if self.local is not None:
            lo = self.end(a, beta, "lo")
            hi = self.end(a, beta, "hi", lo)
            return lo, 0.5 * (lo + hi), hi
        rho_lo = self._root(a, beta, lambda g: self.sigma_mean(g, "lo"))
        rho_mid = self._root(a, beta, lambda g: self.sigma_mean(g, "mid"))
        if self.worst is None and self.temple is None:
            return rho_lo - a, rho_mid - a, rho_mid - a
        rho_hi = max(self._root(a, beta, self.sigma_upper), rho_mid)
        return rho_lo - a, 0.5 * (rho_mid + rho_hi) - a, rho_hi - a

    def end(self, a: float, beta: float, which: str, u_lo: float = 0.0) -> float:
        """One certified end of the bracket with the local bound: ``u_lo`` (``which="lo"``) or ``u_hi``
        (``"hi"``, searched above ``u_lo``); without the local bound the corresponding entry of :meth:`bracket`."""
        a, beta = float(a), float(beta)
        if self.local is None or beta == 0:
            return self.bracket(a, beta)[0 if which == "lo" else 2]
        cache = self._local_cache
        if len(cache) > 4096:
            cache.clear()

        def local(g: float) -> tuple[float, float]:
            if g not in cache:
                cache[g] = self.sigma_local(g)
            return cache[g]

        if which == "lo":
            if self._mean_needed:
                sigma = lambda g: max(self.sigma_mean(g, "lo"), local(g)[0])  # noqa: E731
            else:  # the local lower bound alone (still a lower bound: the mean's never exceeds it here)
                sigma = lambda g: local(g)[0]  # noqa: E731
            return self._certified_root(a, beta, sigma, a, a + beta, "lo") - a
        return self._certified_root(a, beta, lambda g: min(self.sigma_upper(g), local(g)[1]), a + u_lo, a + beta,
                                    "hi") - a

    @staticmethod
    def _certified_root(a: float, beta: float, sigma: Callable[[float], float], lo: float, hi: float,
                        side: str) -> float:
        r"""A certified end of the root of :math:`F(\rho) = \rho - \beta\sigma(a/\rho)` in ``[lo, hi]``.

        Brent's method on ``F`` (a dozen evaluations), then the end checked: for ``side="hi"``
        (``sigma`` an upper bound) a point with ``F > 0`` lies above the true root; for ``side="lo"``
        (a lower bound) a point with ``F <= 0`` lies below it. Without a check passing, the given end.
        """
        import scipy.optimize as so

        def F(rho: float) -> float:
            return rho - beta * sigma(a / rho)

        lo, hi = max(lo, a * (1.0 + 1e-15)), hi
        if hi <= lo:
            return hi if side == "hi" else lo
        f_lo, f_hi = F(lo), F(hi)
        if side == "hi" and f_lo > 0:
            return lo
        if side == "lo" and f_hi <= 0:
            return hi
        if f_lo > 0 or f_hi <= 0:
            return hi if side == "hi" else lo
        x = float(so.brentq(F, lo, hi, xtol=1e-12 * hi, rtol=1e-12, maxiter=100))
        step = 4e-12 * hi
        for _ in range(8):
            y = min(x + step, hi) if side == "hi" else max(x - step, lo)
            if (F(y) > 0) if side == "hi" else (F(y) <= 0):
                return y
            step *= 4.0
        return hi if side == "hi" else lo


# ---------------------------------------------------------------------------- the representation
class KrylovRepresentation(Representation):
    """A large sparse static symmetric scheme, matrix-free (see the module docstring).

    Examples
    --------
    >>> from topotheory import random_regular, effective_neighbors
    >>> s = random_regular(600, 4, seed=1)
    >>> rep = KrylovRepresentation(s)
    >>> est = rep.nw_mean([0.0, 0.9], seed=0, rtol=1e-4)
    >>> dense = effective_neighbors(s, [0.0, 0.9])
    >>> bool(np.all((est.lower <= dense) & (dense <= est.upper))), est.certified
    (True, False)
    >>> lam = s.eigh()[0]
    >>> bool(abs(rep.product_norm() - max(abs(lam[1]), abs(lam[-1]))) < 1e-9)
    True
    """

    route = "krylov"

    def __init__(self, scheme: Any, *, static_symmetric: bool = True) -> None:
        if not (scheme.is_static and scheme.is_symmetric and static_symmetric):
            raise ValueError(f"route='krylov' needs a static symmetric scheme; got {scheme!r}")
        super().__init__(scheme, static_symmetric=True)

    # ------------------------------------------------------------------------------ operators
    @property
    def W(self) -> Any:
        """The sparse CSR gossip matrix (cached on the scheme)."""
        return self.scheme.cached("engine:krylov:W", lambda: sp.csr_array(self.scheme.sparse_matrix(0)))

    @property
    def ordered(self) -> tuple[Any, np.ndarray, np.ndarray]:
        r"""``(Wo, perm, pos)``: ``W`` with its workers renumbered for memory locality (cached).

        ``Wo = W[perm][:, perm]`` (reverse Cuthill–McKee order, 32-bit indices when they fit) and
        ``pos[i]`` the position of worker ``i`` in it. A symmetric permutation keeps the spectrum
        and every trace; the hot paths (Lanczos, probes, powers, deflation) run on ``Wo``, whose
        rows touch nearby rows of the block of vectors: on a random geometric graph of
        :math:`10^5` workers numbered at random a product with a block of 32 vectors is ~9 times
        faster per vector. Per-worker inputs and outputs are mapped through ``pos``; every probe is
        drawn in the workers' numbering and permuted, so results do not depend on the order.
        """
        def build() -> tuple[Any, np.ndarray, np.ndarray]:
            from scipy.sparse.csgraph import reverse_cuthill_mckee

            W = self.W
            perm = np.asarray(reverse_cuthill_mckee(sp.csr_matrix(W), symmetric_mode=True), dtype=np.int64)
            Wo = sp.csr_array(W[perm][:, perm])
            Wo.sort_indices()
            if Wo.nnz < 2**31 - 1:
                Wo = sp.csr_array((Wo.data, Wo.indices.astype(np.int32), Wo.indptr.astype(np.int32)), shape=W.shape)
            pos = np.empty_like(perm)
            pos[perm] = np.arange(perm.size)
            return Wo, perm, pos

        return self.scheme.cached("engine:krylov:ordered", build)

    def _eig(self, shift: float, which: str, k: int = 1,
             deadline: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``k`` eigenpairs of ``W + shift J`` by ``eigsh``, with their residual norms (vectors in :attr:`ordered`).

        With a ``deadline`` (a ``time.perf_counter()`` value) the solver is abandoned there:
        :class:`_OutOfTime` is raised from inside its products.
        """
        (W, perm, _), n = self.ordered, self.n

        def mv(x: Any) -> np.ndarray:
            if deadline is not None and time.perf_counter() > deadline:
                raise _OutOfTime
            x = np.asarray(x)
            return W @ x + shift * x.mean(axis=0)

        if n <= TINY_N or k >= n - 1:  # ARPACK needs k < n - 1; a tiny matrix is diagonalized directly
            vals, vecs = np.linalg.eigh(mv(np.eye(n)))
            pick = {"LA": np.argsort(-vals), "SA": np.argsort(vals), "LM": np.argsort(-np.abs(vals))}[which][:k]
            vals, vecs = vals[pick], vecs[:, pick]
            R = mv(vecs) - vecs * vals
            return vals, vecs, np.maximum(np.linalg.norm(R, axis=0), 1e-15)
        op = spla.LinearOperator((n, n), matvec=mv, matmat=mv, dtype=float)
        vals, vecs = spla.eigsh(op, k=k, which=which, tol=EIG_TOL, v0=np.cos(perm + 0.5),
                                ncv=min(n, max(2 * k + 1, 24)), maxiter=max(1000, 20 * n))
        R = W @ vecs + shift * vecs.mean(axis=0) - vecs * vals
        return vals, vecs, np.linalg.norm(R, axis=0)

    def _extremes(self) -> dict[str, float]:
        def build() -> dict[str, float]:
            if self.n == 1:
                return dict(lam2=0.0, lamn=0.0, residual=0.0)
            if self.n <= TINY_N:
                lam2, _, r2 = self._eig(-3.0, "LA")  # the consensus eigenvalue moves to -2
                lamn, _, rn = self._eig(1.0, "SA")  # ... and to 2
                return dict(lam2=float(lam2[0]), lamn=float(lamn[0]), residual=float(max(r2[0], rn[0])))
            return self._lanczos_extremes()

        return self.scheme.cached("engine:krylov:extremes", build)

    def _lanczos_extremes(self) -> dict[str, float]:
        r"""Both ends of the spectrum of ``W`` on :math:`\mathbf 1^\perp` from one Lanczos run.

        Lanczos (no restarts, no stored basis) from a fixed start vector projected on
        :math:`\mathbf 1^\perp` (reprojected every step); every 32 steps the extreme Ritz values
        :math:`\theta` of :math:`T_m` (``eigh_tridiagonal``) with their residuals
        :math:`\beta_m|s_m|` (:math:`s` the Ritz vector in the Krylov basis; accurate in floating
        point for converged Ritz values, Paige 1976). It stops when both residuals are below
        ``EIG_TOL``: then an eigenvalue lies within the residual of each Ritz value.
        """
        from scipy.linalg import eigh_tridiagonal

        (W, perm, _), n = self.ordered, self.n
        q = np.cos(perm + 0.5)  # the same start vector in every numbering
        q -= q.mean()
        q /= np.linalg.norm(q)
        q_prev = np.zeros(n)
        alpha, beta = [], []
        b_prev = 0.0
        limit = min(n - 1, EIG_MAX_STEPS)
        while True:
            w = W @ q
            a = float(q @ w)
            w -= a * q + b_prev * q_prev
            da = float(q @ w)
            w -= da * q
            w -= w.mean()
            b = float(np.linalg.norm(w))
            alpha.append(a + da)
            beta.append(b)
            m = len(alpha)
            if m % 32 == 0 or m >= limit or b <= 1e-14:
                d, e = np.array(alpha), np.array(beta[:-1])
                out = []
                for k in (0, m - 1):
                    theta, s = eigh_tridiagonal(d, e, select="i", select_range=(k, k))
                    out.append((float(theta[0]), abs(b * s[-1, 0])))
                r = max(out[0][1], out[1][1])
                if r <= EIG_TOL or m >= limit or b <= 1e-14:
                    return dict(lam2=out[1][0], lamn=out[0][0], residual=max(r, 1e-15))
            q_prev, q, b_prev = q, w / b, b

    @property
    def eigen_residual(self) -> float:
        """Residual norm of the extreme Ritz pairs: each eigenvalue is exact to within it."""
        return self._extremes()["residual"]

    def extreme_eigenvalues(self) -> tuple[float, float]:
        r"""``(lambda_2, lambda_n)`` by Lanczos, each within :attr:`eigen_residual`, in ``[-1, 1]``.

        The structural eigenvalues are exact: :math:`\lambda_2 = 1` when the graph has several
        connected components, :math:`\lambda_n = -1` when a component is bipartite
        (:func:`~topotheory.engine.structure.cyclic_classes`, one pass over the non-zeros), where
        Lanczos alone returns :math:`1 - O(\varepsilon)` (a gap of ~1e-16 instead of 0).
        """
        def build() -> tuple[float, float]:
            E = self._extremes()
            lam2, lamn = min(float(E["lam2"]), 1.0), max(float(E["lamn"]), -1.0)
            if self.n > 1:
                classes = cyclic_classes(self.W)
                if classes.components > 1:
                    lam2 = 1.0
                if classes.bipartite_components:
                    lamn = -1.0
            return lam2, lamn

        out: tuple[float, float] = self.scheme.cached("engine:krylov:structural-extremes", build)
        return out

    # -------------------------------------------------------------------------------- spectra
    def product_norm(self) -> float:
        lam2, lamn = self.extreme_eigenvalues()
        return float(min(max(abs(lam2), abs(lamn)), 1.0))

    def static_contraction(self) -> float:
        return self.product_norm()

    def product_spectrum(self) -> np.ndarray:
        raise ValueError(
            f"the full spectrum of {self.scheme!r} (n = {self.n}) needs a dense eigendecomposition; the route "
            "'krylov' gives the extreme eigenvalues (extreme_eigenvalues()) and the spectral gaps"
        )

    def static_symmetric_eigenvalues(self, what: str) -> np.ndarray:
        raise ValueError(
            f"{what} needs every eigenvalue of {self.scheme!r} (n = {self.n}), which the matrix-free route "
            "'krylov' does not compute; use resolve(scheme, 'eigen') for a dense eigendecomposition"
        )

    # ------------------------------------------------------------------------------ deflation
    def deflation(self, k: int, deadline: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``k`` eigenpairs of ``W - J`` of largest modulus, ``(lam, V, residuals)`` (cached; ``V`` in the
        numbering of :attr:`ordered`); None when they are not cached and cannot be computed before
        ``deadline`` (a ``time.perf_counter()`` value; nothing is cached then)."""
        k = min(int(k), self.n - 3)
        if k <= 0:
            return np.zeros(0), np.zeros((self.n, 0)), np.zeros(0)
        try:
            return cast(tuple[np.ndarray, np.ndarray, np.ndarray], self.scheme.cached(
                ("engine:krylov:deflation", k), lambda: self._eig(-1.0, "LM", k, deadline)))
        except _OutOfTime:
            return None

    def _powers(self) -> np.ndarray:
        r"""Exact :math:`\|W^k e_i\|^2` for ``k = 1..K`` (``(K, n)``) from sparse powers (cached)."""
        def build() -> np.ndarray:
            squares = hadamard_squares(self.ordered[0], MAX_ORDER, POWER_NNZ_MAX)
            return np.array([np.asarray(A.sum(axis=0)).ravel() for A in squares])

        return self.scheme.cached("engine:krylov:powers", build)

    def space(self, deflate: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, float]:
        """``(lam, V, K, traces, colnorms, b)``: deflated pairs, exact orders and the spectrum's end ``b``.

        ``b`` bounds the spectrum of :math:`W^2` on the remaining subspace: the square of the
        smallest deflated modulus plus its residual (of the largest modulus without deflation).
        """
        lam, V, res = cast(tuple[np.ndarray, np.ndarray, np.ndarray], self.deflation(deflate))
        colnorms = self._powers()
        lam2, lamn = self.extreme_eigenvalues()
        top = max(abs(lam2), abs(lamn)) + self.eigen_residual
        b = min(top, float(np.min(np.abs(lam)) + np.max(res))) if lam.size else top
        return lam, V, colnorms.shape[0], colnorms.sum(axis=1), colnorms, min(b * b, 1.0)

    def colouring(self, distance: int) -> np.ndarray:
        """:func:`distance_colouring` of ``W`` at ``distance`` in the numbering of :attr:`ordered` (cached).

        The priorities are a permutation seeded with 0 in the workers' own numbering, so the colours
        follow the workers whatever their order."""
        def build() -> np.ndarray:
            W, perm, _ = self.ordered
            return distance_colouring(W, distance, as_generator(0).permutation(self.n)[perm])

        return self.scheme.cached(("engine:krylov:colouring", int(distance)), build)

    def projector(self, V: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``X -> P X``: the consensus vector and the columns of ``V`` projected out."""
        def project(X: np.ndarray) -> np.ndarray:
            X = X - X.mean(axis=0)
            if V.shape[1]:
                X = X - V @ (V.T @ X)
            return X

        return project

    def _max_deflate(self) -> int:
        return min(DEFLATE_MAX, max(self.n // 8 - 3, 0))

    def _default_deflate(self, deflate: int | None) -> int:
        if deflate is None:
            deflate = 0
        return check_int("deflate", deflate, minimum=0)

    # ------------------------------------------------------------------------------ n_W mean
    def trace_sampler(self, gamma: Any, *, rtol: float = 1e-4, level: float = 0.95, min_probes: int = 32,
                      max_probes: int = MAX_PROBES, block: int = 16, steps: int | None = None, deflate: int | None = None,
                      seed: Any = None, time_budget: float | None = None, probing: int = 0,
                      progress: bool | None = None) -> tuple[TraceSampler, bool]:
        r"""A :class:`TraceSampler` whose interval of :math:`n_W(\gamma)` (mean) meets ``rtol`` at every decay.

        Two stages with a pilot-independent second stage: a pilot of ``min_probes`` Rademacher
        probes (in blocks of ``block``) gives the spread, from which the number of probes ``N``
        reaching a relative half width of ``rtol`` at every ``gamma`` is projected (times
        ``MARGIN``); then ``N`` fresh probes are drawn and the interval is theirs alone: a
        Student-t interval (``N - 1`` degrees of freedom) of a sample whose size does not depend on
        its own values, with the larger of its spread and the pilot's (conservative), so its
        coverage is at least that of a fixed-size sample. (Pooling the pilot, or checking after every block,
        picks the sample size from the values it reports on: the spread is then biased down, and
        the coverage of the nominal 95 % interval measured 92-93 %.) When the pilot alone exhausts
        ``max_probes`` it is the sample. When ``N`` would exceed ``max_probes`` and ``deflate`` is
        None, 4 times more eigenpairs are deflated and the pilot is drawn afresh (up to
        ``DEFLATE_MAX`` and ``n / 8``), unless :func:`deflation_can_reach` shows that no deflation
        within that cap can reach ``rtol``. The Lanczos steps of a stage double while its pilot's
        quadrature gap exceeds a quarter of the tolerance. A stage still wider than ``rtol`` (its
        spread exceeded its pilot's) becomes the pilot of a fresh stage, at most ``STAGES`` times;
        its interval is never narrower than its pilot's spread allows, so stopping on it does not
        select an optimistic spread. A stage after a pilot runs the fewest Lanczos steps for which
        the pilot's mean quadrature gap (a prefix of its runs, :meth:`TraceSampler.shortest_steps`)
        stays below a tenth of ``rtol``; the pilot runs the a-priori number for one digit beyond
        ``rtol`` (Gauss error ~ exp(-2m/sqrt(kappa))). On a random geometric graph of
        :math:`10^5` workers at ``gamma = 0.999`` and ``rtol = 1e-3``: 141 steps for the pilot and
        79-92 for the second stage, where both ran 282 before (the quadrature gap is then ~1e-5 of
        the value). ``max_probes`` caps each stage, ``time_budget`` (seconds) the whole run;
        ``converged`` is False when the last stage is still wider than ``rtol``.

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        rtol : float, default 1e-4
            Target relative half width of :math:`n_W` at every decay.
        level : float, default 0.95
            Probability of the interval over the probes.
        min_probes : int, default 32
            Probes of the pilot (and least size of a stage).
        max_probes : int, default ``MAX_PROBES``
            Largest number of probes of a stage.
        block : int, default 16
            Probes run through Lanczos at once (one sparse-times-dense block product per step).
        steps : int or None, default None
            Lanczos steps per probe (None: from the condition number of :math:`I - \gamma W^2`).
        deflate : int or None, default None
            Eigenpairs deflated exactly; None starts at 0 and escalates when needed.
        seed : int, Generator or None, default None
            Seed of the Rademacher probes.
        time_budget : float or None, default None
            Seconds after which no further block is drawn.
        probing : int, default 0
            With ``d >= 1`` a sample is a pass of probing vectors over a distance-``d`` colouring
            (:class:`TraceSampler`) instead of one Rademacher probe; ``min_probes``, ``max_probes``
            and ``block`` still count probe vectors, rounded to whole passes (at least two passes:
            the interval needs a spread).
        progress : bool or None, default None
            Show progress (None: the package's default).

        Returns
        -------
        sampler : TraceSampler
            The last stage's probes only (its ``pilot`` the stage that chose its size).
        converged : bool
            Whether the interval meets ``rtol`` at every decay.

        Examples
        --------
        >>> from topotheory import random_regular, effective_neighbors
        >>> s = random_regular(300, 4, seed=1)
        >>> S, ok = KrylovRepresentation(s).trace_sampler([0.9], rtol=1e-3, max_probes=256, seed=0)
        >>> est, se, lo, hi, gap = S.interval(np.array([0.9]), 0.95)
        >>> T = (s.n / effective_neighbors(s, 0.9) - 1.0) / (1.0 - 0.9)  # the trace, dense
        >>> ok, S.pilot is not None, bool(lo[0] - 3 * se[0] <= T <= hi[0] + 3 * se[0])
        (True, True, True)
        """
        g = _check_gammas(gamma)
        check_real("rtol", rtol, low=0.0, low_open=True)
        check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
        max_probes = check_int("max_probes", max_probes, minimum=2)
        min_probes = min(check_int("min_probes", min_probes, minimum=2), max_probes)
        block = check_int("block", block, minimum=1)
        if time_budget is not None:
            check_real("time_budget", time_budget, low=0.0, low_open=True)
        probing = check_int("probing", probing, minimum=0)
        adaptive = deflate is None
        D = self._default_deflate(deflate)
        rng = as_generator(seed)
        n = self.n
        fixed_steps = steps is not None
        if fixed_steps:
            steps = check_int("steps", steps, minimum=1)
        start = time.perf_counter()

        def over_budget() -> bool:
            return time_budget is not None and time.perf_counter() - start > time_budget

        def width_of(S: TraceSampler) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            est, _, lo, hi, gap = S.interval(g, level)
            scale = 1.0 / (1.0 - g) + est  # n n_W^{-1} / (1 - gamma)
            return (hi - lo) / (2.0 * scale), gap / scale, scale

        unit = TraceSampler(self, 0, 0, probing).unit if probing else 1  # probe vectors per sample
        min_units = max(math.ceil(min_probes / unit), 2) if probing else min_probes
        max_units = max(min_units, max_probes // unit)
        block_units = max(1, block // unit)

        def draw(S: TraceSampler, count: int, bar: Progress) -> None:
            least = 2 if probing else 1  # one block at least; two passes (a spread) with probing
            while S.units < count and (S.units < least or not over_budget()):
                S.add(min(block_units, count - S.units), cast(int, steps))
                bar.update(S.rules[-1].gauss_nodes.shape[0])

        with Progress(min_probes + max_probes, desc="krylov trace", unit="probe", enabled=progress) as bar:
            while True:  # the pilot (afresh after each escalation of the deflation)
                S = TraceSampler(self, D, rng, probing)
                if not fixed_steps:  # the a-priori rate bound with one digit beyond rtol (doubled when short)
                    steps = _steps_for(float(np.max(g)), S.b, min(max(1.0 - math.log10(rtol), 3.0), 8.0))
                draw(S, min_units, bar)
                width, gap, scale = width_of(S)
                bar.set_postfix(f"deflated {S.lam.size}, pilot rel. half width {np.max(width):.2g}")
                needed = S.units * float(np.max(width) / rtol) ** 2
                more = min(max(4 * D, DEFLATE), self._max_deflate())
                if (adaptive and needed * MARGIN > max_units and D < self._max_deflate() and not over_budget()
                        and deflation_can_reach(S, g, width, rtol, max_units / MARGIN, self._max_deflate())
                        # within a time budget the eigensolver is abandoned when the budget ends (the
                        # pilot stands): the solver of 32 pairs alone may take minutes at 10^5 workers
                        and self.deflation(more, None if time_budget is None else start + time_budget) is not None):
                    D = more  # too few probes can reach rtol
                    bar.done = 0
                    continue
                break
            if min_units >= max_units or over_budget():
                return S, bool(np.all(width <= rtol))  # the pilot is the whole (fixed-size) sample
            for _ in range(STAGES):
                if not fixed_steps:
                    if np.any(gap > 0.25 * rtol):
                        steps = min(2 * S.steps, MAX_STEPS, n)
                    else:  # the fewest steps whose quadrature gap stays below a tenth of the tolerance
                        steps = S.shortest_steps(g, scale, 0.1 * rtol)
                count = int(min(max_units, max(min_units, math.ceil(MARGIN * needed))))
                final = TraceSampler(self, D, rng, probing)
                final.pilot = S
                draw(final, count, bar)
                width, gap, scale = width_of(final)
                bar.set_postfix(f"deflated {final.lam.size}, rel. half width {np.max(width):.2g}")
                if np.all(width <= rtol) or count >= max_units or over_budget():
                    break
                # wider than projected (its spread exceeded the pilot's): it becomes the next stage's pilot
                S, needed = final, final.units * float(np.max(width) / rtol) ** 2
        return final, bool(np.all(width <= rtol))

    def nw_mean(self, gamma: Any, **options: Any) -> KrylovEstimate:
        r""":math:`n_W(\gamma)` (mean) as a :class:`KrylovEstimate` (options of :meth:`trace_sampler`).

        :math:`n_W^{-1} = \frac1n + \frac{1-\gamma}n T(\gamma)` (paper eq. 6) with the interval of
        :math:`T(\gamma) = \operatorname{tr} h_\gamma(B^2)` mapped through this decreasing function.
        For ``n <= max_probes`` the ``n`` certified diagonals are summed instead (``certified=True``).

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        **options
            Options of :meth:`trace_sampler` (``rtol``, ``level``, ``min_probes``, ``max_probes``,
            ``block``, ``steps``, ``deflate``, ``seed``, ``time_budget``, ``probing``, ``progress``).

        Returns
        -------
        KrylovEstimate
            ``quantity="n_W mean"``; ``probes`` counts the last stage's probes (the interval's sample).

        Examples
        --------
        >>> from topotheory import random_regular, effective_neighbors
        >>> s = random_regular(300, 4, seed=2)
        >>> est = KrylovRepresentation(s).nw_mean([0.5, 0.9], rtol=1e-3, max_probes=256, seed=0)
        >>> est.converged, bool(np.all(est.relative_halfwidth <= 1e-3))
        (True, True)
        >>> bool(np.all(np.abs(est.estimate / effective_neighbors(s, [0.5, 0.9]) - 1) < 3e-3))
        True
        """
        t0 = time.perf_counter()
        g = _check_gammas(gamma)
        level = options.get("level", 0.95)
        n = self.n
        if n <= options.get("max_probes", MAX_PROBES):
            # no more work than the probes: the sum of the n certified diagonals is exact
            lo, hi, steps, D = self.variance_bounds(g, np.arange(n), deflate=options.get("deflate"),
                                                    progress=options.get("progress"))
            lo, hi = lo.mean(axis=1), hi.mean(axis=1)
            return KrylovEstimate(
                quantity="n_W mean", at=g, estimate=2.0 / (lo + hi), stderr=np.zeros(g.size), lower=1.0 / hi,
                upper=1.0 / lo, level=1.0, certified=True, route=self.route, probes=n, steps=steps, deflated=D,
                seconds=time.perf_counter() - t0, converged=True,
            )
        S, converged = self.trace_sampler(g, **options)
        est, se, lo, hi, _ = S.interval(g, level)

        def nw(T: np.ndarray) -> np.ndarray:
            return 1.0 / (1.0 / n + (1.0 - g) * T / n)

        value = nw(est)
        return KrylovEstimate(
            quantity="n_W mean", at=g, estimate=value, stderr=(1.0 - g) / n * value**2 * se, lower=nw(hi),
            upper=nw(lo), level=level, certified=False, route=self.route, probes=S.probes, steps=S.steps,
            deflated=S.lam.size, seconds=time.perf_counter() - t0, converged=converged,
        )

    @property
    def factorable(self) -> bool:
        """True when the exact route of :mod:`topotheory.engine.factor` is taken for ``n_W`` (mean).

        :func:`~topotheory.engine.factor.factor_fits` on :attr:`ordered` (profile and bandwidth in
        reverse Cuthill–McKee order against ``FACTOR_MAX_PROFILE`` / ``FACTOR_MAX_BANDWIDTH``, read
        at call time), and a spectrum inside ``[-1, 1]`` (the extreme eigenvalues).
        """
        lam2, lamn = self.extreme_eigenvalues()
        band = self.scheme.cached("engine:krylov:envelope", lambda: envelope(self.ordered[0]))
        return max(abs(lam2), abs(lamn)) <= 1.0 + ROUNDING and factor_fits(band)

    @property
    def resolvent_traces(self) -> ResolventTraces:
        """The exact resolvent traces of ``W`` by sparse LU (:class:`~topotheory.engine.factor.ResolventTraces`, cached)."""
        return self.scheme.cached("engine:krylov:factor", lambda: ResolventTraces(self.ordered[0]))

    def nw_mean_exact(self, gamma: Any, *, time_budget: float | None = None,
                      progress: bool | None = None) -> tuple[KrylovEstimate, np.ndarray]:
        r""":math:`n_W(\gamma)` (mean) exact to rounding, by two sparse LU factorizations per decay.

        :math:`n_W^{-1} = \frac{1-\gamma}{n}\sum_i \lambda_i^2/(1-\gamma\lambda_i^2)` (paper eq. 6),
        the sum from :meth:`~topotheory.engine.factor.ResolventTraces.decay_sums` (complex-step
        derivative of :math:`\log\det(I \mp \sqrt\gamma W)`). No decay is started once
        ``time_budget`` seconds have passed; those left are returned as NaN and flagged.

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        time_budget : float or None, default None
            Seconds (None: no limit).
        progress : bool or None, default None
            Show progress (None: after a few seconds).

        Returns
        -------
        tuple
            ``(estimate, done)``: a :class:`KrylovEstimate` (``route="sparse-lu"``, ``certified``,
            ``lower = upper = estimate``; NaN at decays not done) and the boolean mask of the decays done.

        Examples
        --------
        >>> import networkx as nx
        >>> from topotheory import Scheme, effective_neighbors
        >>> s = Scheme.from_networkx(nx.random_geometric_graph(600, 0.08, seed=3))
        >>> est, done = KrylovRepresentation(s).nw_mean_exact([0.0, 0.9, 0.999])
        >>> est.route, bool(done.all()), bool(np.allclose(est.estimate, effective_neighbors(s, [0.0, 0.9, 0.999]), rtol=1e-11))
        ('sparse-lu', True, True)
        """
        t0 = time.perf_counter()
        g = _check_gammas(gamma)
        sums = self._decay_sums(g, None if time_budget is None else t0 + time_budget, progress)
        done = np.isfinite(sums)
        value = self.n / ((1.0 - g) * sums)
        return KrylovEstimate(
            quantity="n_W mean", at=g, estimate=value, stderr=np.where(done, 0.0, np.nan), lower=value, upper=value,
            level=1.0, certified=bool(done.all()), route="sparse-lu", probes=0, steps=0, deflated=0,
            seconds=time.perf_counter() - t0, converged=bool(done.all()),
        ), done

    def _decay_sums(self, g: np.ndarray, deadline: float | None, progress: bool | None) -> np.ndarray:
        """:meth:`ResolventTraces.decay_sums` with each decay's sum cached on the scheme (NaN: not done by ``deadline``)."""
        keys = [("engine:krylov:lu-sum", float(x)) for x in g]
        todo = np.array([not self.scheme.has_cached(k) for k in keys])
        sums = np.full(g.size, np.nan)
        if todo.any():
            with Progress(int(todo.sum()), desc="exact n_W (sparse LU)", unit="decay", enabled=progress) as bar:
                sums[todo] = self.resolvent_traces.decay_sums(g[todo], deadline=deadline, bar=bar)
        for k, key in enumerate(keys):
            if not todo[k] or np.isfinite(sums[k]):
                sums[k] = self.scheme.cached(key, lambda v=float(sums[k]): v)
        return sums

    def exact_variances(self, gamma: Any, *, progress: bool | None = None,
                        time_budget: float | None = None) -> np.ndarray:
        r""":math:`(1-\gamma)\Sigma_{ii}` of every worker, exact to rounding, by selected inversion (``(G, n)``).

        :math:`\Sigma_{ii} = [W^2(I-\gamma W^2)^{-1}]_{ii}` (THEORY §2.2) from the entries of
        :math:`(I \mp \sqrt\gamma W)^{-1}` on the pattern of ``W``
        (:meth:`~topotheory.engine.factor.ResolventTraces.worker_sums`, two sparse factorizations
        and selected inversions per decay; a random geometric graph of :math:`10^5` workers:
        13-14 s CPU per decay). For graphs where :attr:`factorable`; each decay's values are cached.

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        progress : bool or None, default None
            Show progress (None: after a few seconds).
        time_budget : float or None, default None
            Seconds (None: no limit). No decay is started once it has passed, unless none is done
            yet (cached decays cost nothing and are always returned); the rows of the decays left
            are NaN.

        Returns
        -------
        ndarray
            Shape ``(G, n)``, in the workers' numbering.

        Examples
        --------
        >>> import networkx as nx
        >>> from topotheory import Scheme, effective_neighbors
        >>> s = Scheme.from_networkx(nx.random_geometric_graph(400, 0.1, seed=3))
        >>> v = KrylovRepresentation(s).exact_variances([0.5, 0.99])
        >>> bool(np.allclose(1 / v, effective_neighbors(s, [0.5, 0.99], mode="all"), rtol=1e-11))
        True
        """
        t0 = time.perf_counter()
        g = _check_gammas(gamma)
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
        pos = self.ordered[2]
        R = self.resolvent_traces
        out = np.full((g.size, self.n), np.nan)
        keys = [("engine:krylov:selinv", float(x)) for x in g]
        cached = np.array([self.scheme.has_cached(key) for key in keys], dtype=bool)
        with Progress(g.size, desc="exact n_W per worker (selected inversion)", unit="decay", enabled=progress) as bar:
            for k, x in enumerate(g):
                late = time_budget is not None and time.perf_counter() - t0 > time_budget
                if not cached[k] and late and (cached.any() or k > 0):
                    bar.update(1)
                    continue  # the budget has ended and something is done: this decay is left (NaN)

                def build(x: float = float(x)) -> np.ndarray:
                    v = (1.0 - x) * R.worker_sums(x)[pos]
                    v.setflags(write=False)
                    return v

                out[k] = self.scheme.cached(keys[k], build)
                bar.update(1)
        return out

    def _exact_worst(self, g: np.ndarray, time_budget: float | None,
                     progress: bool | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""``(lower, upper, exact)``: :math:`\max_i(1-\gamma)\Sigma_{ii}` per decay by :meth:`exact_variances`
        within ``time_budget``; the decays it leaves get the certified Lanczos bracket of :meth:`worst_variance`
        within what is left of the budget (``exact`` False there)."""
        t0 = time.perf_counter()
        v = self.exact_variances(g, progress=progress, time_budget=time_budget)
        exact = np.isfinite(v[:, 0])
        lo = np.full(g.size, np.nan)
        lo[exact] = v[exact].max(axis=1)
        hi = lo.copy()
        if not exact.all():
            left = max(cast(float, time_budget) - (time.perf_counter() - t0), 1e-9)
            l2, h2, _, _, _ = self._worst(g[~exact], None, 4096, 256, progress, left)
            lo[~exact], hi[~exact] = l2, h2
        return lo, hi, exact

    def _exact_workers(self, method: str) -> bool:
        """Whether the per-worker values come from :meth:`exact_variances` (``method`` "auto", "factor" or "lanczos")."""
        check_choice("method", method, ("auto", "factor", "lanczos"))
        return method == "factor" or (method == "auto" and self.factorable)

    # ------------------------------------------------------------------------- per worker
    def variance_bounds(self, gamma: Any, workers: Any, *, deflate: int | None = None, chunk: int = 256, rtol: float = 1e-10,
                        progress: bool | None = None, start_steps: int = 0) -> tuple[np.ndarray, np.ndarray, int, int]:
        r"""Certified brackets of :math:`(1-\gamma)\Sigma_{ii}` for the given workers, each ``(G, len)``.

        Lanczos on :math:`Pe_i` (Gauss lower, Gauss–Radau upper bound; module docstring), the steps
        doubled until every bracket is narrower than ``rtol`` (relative) at the largest decay or
        the steps reach their cap (starting from at least ``start_steps``). Returns
        ``(lower, upper, steps, deflated)``.
        """
        g = _check_gammas(gamma)
        rules = self.worker_rules(workers, float(np.max(g)), deflate=deflate, chunk=chunk, rtol=rtol,
                                  progress=progress, start_steps=start_steps)
        lo, hi = rules.bounds(g)
        return lo, hi, rules.steps, rules.deflated

    def worker_rules(self, workers: Any, gamma_max: float, *, deflate: int | None = None, chunk: int = 256, rtol: float = 1e-10,
                     progress: bool | None = None, start_steps: int = 0, deadline: float | None = None) -> WorkerRules:
        """The :class:`WorkerRules` of the given workers, accurate to ``rtol`` up to ``gamma_max``.

        Each chunk starts from the steps the previous one needed (at least ``start_steps``), so the
        doubling runs once. With a ``deadline`` (a ``time.perf_counter()`` value) no chunk is started
        after it (the first one always runs): the rules then cover a prefix of ``workers`` only
        (:attr:`WorkerRules.workers`)."""
        workers = np.atleast_1d(np.asarray(workers))
        if workers.ndim != 1 or workers.dtype.kind not in "iu" or np.any(workers < 0) or np.any(workers >= self.n):
            raise ValueError(f"workers must be integers in [0, n = {self.n}), got {workers!r}")
        gmax = float(_check_gammas(gamma_max)[0])
        n = self.n
        lam, V, _, _, _, b = self.space(self._default_deflate(deflate))
        steps0 = _steps_for(gmax, b, 4)
        project = self.projector(V)
        W, _, pos = self.ordered
        f = lambda m: m / (1.0 - gmax * m)  # noqa: E731
        rules = []
        used = check_int("start_steps", start_steps, minimum=0)
        with Progress(workers.size, desc="krylov workers", unit="worker", enabled=progress) as bar:
            for s in range(0, workers.size, chunk):
                if s and deadline is not None and time.perf_counter() > deadline:
                    workers = workers[:s]
                    break
                idx = workers[s:s + chunk]
                E = np.zeros((n, idx.size))
                E[pos[idx], np.arange(idx.size)] = 1.0
                E = project(E)
                steps = min(max(steps0, used), n)  # the steps the previous chunk needed: no re-doubling
                while True:
                    rule = quadrature(*_lanczos(lambda X: W @ (W @ X), E, steps, project, _every(V)), b)
                    lo, hi = rule.bounds(f)
                    if np.all(hi - lo <= rtol * (1.0 / ((1.0 - gmax) * n) + lo)) or steps >= min(MAX_STEPS, n):
                        break
                    steps = min(2 * steps, MAX_STEPS, n)
                used = max(used, steps)
                rules.append(rule)
                bar.update(idx.size)
        return WorkerRules(self, workers, lam, V[pos[workers]] ** 2, rules, used)

    def crude_variance_bounds(self, gamma: Any, deflate: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        r"""Certified brackets of :math:`(1-\gamma)\Sigma_{ii}` for every worker at once, ``(G, n)`` each.

        With :math:`r_k(i) = \|PW^ke_i\|^2 = \|W^ke_i\|^2 - \frac1n - \sum_{j\in D}\lambda_j^{2k}v_j(i)^2`
        (exact from sparse powers, ``k <= K``) and :math:`\|PW^ke_i\|^2 \le b^{k-K}r_K(i)` for
        ``k > K``:
        :math:`(1-\gamma)\Sigma_{ii} - \frac1n = (1-\gamma)\bigl[\sum_{j\in D}h_\gamma(\lambda_j^2)v_j(i)^2
        + \sum_{k\le K}\gamma^{k-1}r_k(i) + \epsilon_i\bigr]`,
        :math:`0 \le \epsilon_i \le r_K(i)\,\gamma^K b/(1-\gamma b)`. Tight on expanders, loose when
        ``b`` is close to 1; used to pick the candidates of the worst worker.
        """
        g = _check_gammas(gamma)[:, None]
        lam, V, K, _, colnorms, b = self.space(self._default_deflate(deflate))
        mu = lam**2
        V2 = V**2
        base = (mu / (1.0 - g * mu)) @ V2.T if lam.size else np.zeros((g.shape[0], self.n))
        r = np.maximum(colnorms - 1.0 / self.n - (mu[None, :] ** np.arange(1, K + 1)[:, None]) @ V2.T, 0.0)
        for k in range(1, K + 1):
            base = base + g ** (k - 1) * r[k - 1]
        tail = r[K - 1] * g**K * b / (1.0 - g * b)
        lo, hi = 1.0 / self.n + (1.0 - g) * base, 1.0 / self.n + (1.0 - g) * (base + tail)
        pos = self.ordered[2]  # back to the workers' numbering
        return lo[:, pos] * (1.0 - ROUNDING), hi[:, pos] * (1.0 + ROUNDING)

    def worst_variance(self, gamma: Any, *, deflate: int | None = None, max_candidates: int = 4096, chunk: int = 256,
                       progress: bool | None = None, time_budget: float | None = None,
                       rtol: float = WORST_RTOL) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        r"""Certified bracket of :math:`\max_i(1-\gamma)\Sigma_{ii}` per decay, and the worst worker.

        Every worker's crude bracket (:meth:`crude_variance_bounds`); the workers in decreasing order of
        their crude upper bound get cheap Lanczos brackets (Gauss / Gauss–Radau, certified at any
        number of steps) in chunks until the largest crude upper bound left is below the best
        refined lower bound at every decay, ``max_candidates`` were refined, or ``time_budget``
        seconds have passed (no chunk is started after it; the first always runs): in the last two
        cases the upper end is the largest crude bound left (still certified, wider). Then only the
        candidates whose upper bound still exceeds the best lower bound by more than ``rtol``
        (relative) are run again, the steps doubled each time, until the bracket of the maximum is
        ``rtol`` wide (relative; :meth:`_tighten_worst`). Returns ``(lower, upper, worker,
        refined)``; :meth:`nw_worst` says whether the refinement was complete.
        """
        lo, hi, worker, refined, _ = self._worst(gamma, deflate, max_candidates, chunk, progress, time_budget, rtol)
        return lo, hi, worker, refined

    def _worst(self, gamma: Any, deflate: int | None, max_candidates: int, chunk: int, progress: bool | None,
               time_budget: float | None,
               rtol: float = WORST_RTOL) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
        """:meth:`worst_variance` and whether it ended by its own tests (False: ``max_candidates``, the budget
        or the cap on the Lanczos steps)."""
        start = time.perf_counter()
        g = _check_gammas(gamma)
        deflate = self._default_deflate(deflate)
        max_candidates = check_int("max_candidates", max_candidates, minimum=1)
        chunk = check_int("chunk", chunk, minimum=1)
        rtol = check_real("rtol", rtol, low=0.0, low_open=True)
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
        deadline = None if time_budget is None else start + time_budget
        clo, chi = self.crude_variance_bounds(g, deflate)
        order = np.argsort(-chi.max(axis=0), kind="stable")
        rules, refined, tested, tight = self._tighten_worst(order[:max_candidates], g, rtol, deflate, chunk, progress,
                                                            deadline, clo.max(axis=1), chi[:, order])
        lo, hi = rules.bounds(g)
        best_lo = np.maximum(clo.max(axis=1), lo.max(axis=1))
        best_w = rules.workers[np.argmax(lo, axis=1)]
        rest = chi[:, order[refined:]]
        upper = np.maximum(hi.max(axis=1), rest.max(axis=1)) if rest.shape[1] else hi.max(axis=1)
        return best_lo, upper, best_w, refined, tested and tight

    def _tighten_worst(self, order: np.ndarray, g: np.ndarray, rtol: float, deflate: int, chunk: int,
                       progress: bool | None, deadline: float | None, best_lo: np.ndarray,
                       rest_hi: np.ndarray | None = None) -> tuple[WorkerRules, int, bool, bool]:
        r"""Certified rules of the worst worker's candidates, each only as accurate as the maximum needs.

        With :math:`\ell_i \le (1-\gamma)\Sigma_{ii} \le u_i` (Gauss / Gauss–Radau, certified at any
        number of steps) and :math:`L = \max_i \ell_i` (with the crude ``best_lo``), the maximum lies
        in :math:`[L, \max_i u_i]`. A cheap pass (the steps for ``WORST_DIGITS`` digits) over
        ``order`` in chunks, stopped early once every crude upper bound left (``rest_hi``, columns
        aligned with ``order`` and beyond it; None: the whole of ``order``) is at most :math:`L`; then
        only the workers with :math:`u_i > L(1+\text{rtol})` at some decay are run again with twice
        the steps, until none is left: then the refined workers' maximum lies in
        :math:`[L, L(1+\text{rtol})]` (the crude bounds of the workers not refined may still exceed
        it: the caller's upper end takes them). A worker whose :math:`u_i`
        fell below :math:`L` is never run again (it cannot be the worst); it keeps its cheap,
        still certified rules, so the returned rules bound every refined worker at any decay.

        No chunk is started after ``deadline`` (the first always runs). Returns ``(rules, refined,
        tested, tight)``: the rules of the first ``refined`` workers of ``order`` (in another order),
        whether the cheap pass ended by its own test (or ran through ``order`` when ``rest_hi`` is
        None), and whether the tightening reached its target before the deadline and the step cap.
        """
        n = self.n
        lam, V, _, _, _, b = self.space(deflate)
        project, every = self.projector(V), _every(V)
        W, _, pos = self.ordered
        cap = min(MAX_STEPS, n)
        steps = min(_steps_for(float(np.max(g)), b, WORST_DIGITS, least=WORST_LEAST), cap)

        def run(idx: np.ndarray) -> Quadrature:
            E = np.zeros((n, idx.size))
            E[pos[idx], np.arange(idx.size)] = 1.0
            return quadrature(*_lanczos(lambda X: W @ (W @ X), project(E), steps, project, every), b)

        def rules_of(groups: list[tuple[np.ndarray, Quadrature]]) -> WorkerRules:
            workers = np.concatenate([w for w, _ in groups])
            return WorkerRules(self, workers, lam, V[pos[workers]] ** 2, [q for _, q in groups], steps)

        def late() -> bool:
            return deadline is not None and time.perf_counter() > deadline

        best_lo = np.asarray(best_lo, dtype=float).copy()
        groups: list[tuple[np.ndarray, Quadrature]] = []
        refined, tested = 0, rest_hi is None
        with Progress(order.size, desc="krylov worst", unit="worker", enabled=progress) as bar:
            while refined < order.size and not (refined and late()):
                idx = order[refined:refined + chunk]
                groups.append((idx, run(idx)))
                best_lo = np.maximum(best_lo, rules_of(groups[-1:]).bounds(g)[0].max(axis=1))
                refined += idx.size
                bar.update(idx.size)
                if rest_hi is not None and (refined >= rest_hi.shape[1]
                                            or np.all(rest_hi[:, refined:].max(axis=1) <= best_lo)):
                    tested = True
                    break
        tested = tested and refined == order.size if rest_hi is None else tested
        floor = 1.0 + max(rtol, 4.0 * ROUNDING)
        while True:
            lo, hi = rules_of(groups).bounds(g)
            best_lo = np.maximum(best_lo, lo.max(axis=1))
            need = _may_be_worst(hi, best_lo, floor)
            if not need.any():
                return rules_of(groups), refined, tested, True
            if steps >= cap or late():
                return rules_of(groups), refined, tested, False
            steps = min(2 * steps, cap)
            cuts = np.cumsum([0] + [w.size for w, _ in groups])
            kept = [(w[~need[a:z]], q.take(np.flatnonzero(~need[a:z]))) for (w, q), a, z in zip(groups, cuts, cuts[1:])]
            again = [(w[need[a:z]], q.take(np.flatnonzero(need[a:z]))) for (w, q), a, z in zip(groups, cuts, cuts[1:])]
            groups = [(w, q) for w, q in kept if w.size]
            todo = np.concatenate([w for w, _ in again])
            redone = 0
            for s in range(0, todo.size, chunk):
                if s and late():
                    break
                idx = todo[s:s + chunk]
                groups.append((idx, run(idx)))
                redone = s + idx.size
            if redone < todo.size:  # the deadline: the rest keep their previous (certified) rules
                groups += [(w[m], q.take(np.flatnonzero(m))) for w, q in again
                           for m in [~np.isin(w, todo[:redone])] if m.any()]

    def nw_workers(self, gamma: Any, workers: Any, **options: Any) -> KrylovEstimate:
        r"""Certified :math:`n_W` of each worker asked for, :math:`1/((1-\gamma)\Sigma_{ii})`, shape ``(G, len)``.

        Where :attr:`factorable` (``method="auto"``, or ``method="factor"``) exact to rounding by
        selected inversion (:meth:`exact_variances`; ``route="sparse-lu"``, lower = upper);
        otherwise (or ``method="lanczos"``) the Lanczos brackets of :meth:`variance_bounds`
        (its ``options``).
        """
        t0 = time.perf_counter()
        g = _check_gammas(gamma)
        if self._exact_workers(options.pop("method", "auto")):
            idx = np.atleast_1d(np.asarray(workers))
            if idx.ndim != 1 or idx.dtype.kind not in "iu" or np.any(idx < 0) or np.any(idx >= self.n):
                raise ValueError(f"workers must be integers in [0, n = {self.n}), got {workers!r}")
            value = 1.0 / self.exact_variances(g, progress=options.get("progress"))[:, idx]
            return KrylovEstimate(
                quantity="n_W worker", at=g, estimate=value, stderr=np.zeros_like(value), lower=value, upper=value,
                level=1.0, certified=True, route="sparse-lu", probes=int(idx.size), steps=0, deflated=0,
                seconds=time.perf_counter() - t0, converged=True,
            )
        lo, hi, steps, D = self.variance_bounds(g, workers, **options)
        return KrylovEstimate(
            quantity="n_W worker", at=g, estimate=2.0 / (lo + hi), stderr=np.zeros_like(lo), lower=1.0 / hi,
            upper=1.0 / lo, level=1.0, certified=True, route=self.route, probes=int(np.size(workers)), steps=steps,
            deflated=D, seconds=time.perf_counter() - t0, converged=bool(np.all(hi - lo <= 1e-8 * lo)),
        )

    def nw_worst(self, gamma: Any, *, deflate: int | None = None, max_candidates: int = 4096, chunk: int = 256,
                 progress: bool | None = None, time_budget: float | None = None, method: str = "auto") -> KrylovEstimate:
        r"""Certified :math:`n_W(\gamma)` of the worst worker (:meth:`worst_variance`).

        Where :attr:`factorable` (``method="auto"``, or ``method="factor"``): exact to rounding, the
        largest of every worker's :meth:`exact_variances` (``route="sparse-lu"``, lower = upper,
        ``probes = n``; the Lanczos options do not apply). No decay is started after
        ``time_budget`` (one always is); the decays left get the Lanczos bracket below within what
        is left of it (``route="sparse-lu+krylov"``, ``converged=False``). Otherwise (or
        ``method="lanczos"``):
        ``converged`` is False when ``max_candidates`` or ``time_budget`` (seconds) ended the
        refinement before its own test (the bracket is then wider, still certified), or when the
        bracket is wider than ``1e-6`` relative.

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        deflate : int or None, default None
            Eigenpairs deflated exactly (None: none).
        max_candidates : int, default 4096
            Largest number of workers refined by Lanczos.
        chunk : int, default 256
            Workers refined at once.
        progress : bool or None, default None
            Show progress (None: the package's default).
        time_budget : float or None, default None
            Seconds after which no further chunk is refined (None: no limit).
        method : {"auto", "factor", "lanczos"}, default "auto"
            The route (above).

        Returns
        -------
        KrylovEstimate
            ``quantity="n_W worst"``, ``probes`` the number of workers refined.

        Examples
        --------
        >>> from topotheory import random_regular, effective_neighbors
        >>> s = random_regular(600, 4, seed=1)  # the crude bounds cannot tell the workers apart here
        >>> rep, exact = KrylovRepresentation(s), effective_neighbors(s, 0.99, mode="worst")
        >>> full, cut = rep.nw_worst(0.99, method="lanczos"), rep.nw_worst(0.99, chunk=64, time_budget=1e-6, method="lanczos")
        >>> full.converged, full.probes, cut.converged, cut.probes  # one chunk, then the budget stops it
        (True, 600, False, 64)
        >>> bool(cut.lower[0] <= exact <= cut.upper[0]), bool(cut.upper[0] - cut.lower[0] > full.upper[0] - full.lower[0])
        (True, True)
        >>> from topotheory import torus
        >>> grid = KrylovRepresentation(torus(20, 21))  # factorable: exact (vertex transitive: the mean)
        >>> est = grid.nw_worst(0.99)
        >>> est.route, bool(np.isclose(est.estimate[0], effective_neighbors(torus(20, 21), 0.99), rtol=1e-11))
        ('sparse-lu', True)
        """
        t0 = time.perf_counter()
        g = _check_gammas(gamma)
        if self._exact_workers(method):
            if time_budget is not None:
                time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
            lo_v, hi_v, exact = self._exact_worst(g, time_budget, progress)
            return KrylovEstimate(
                quantity="n_W worst", at=g, estimate=2.0 / (lo_v + hi_v), stderr=np.zeros_like(lo_v), lower=1.0 / hi_v,
                upper=1.0 / lo_v, level=1.0, certified=True,
                route="sparse-lu" if exact.all() else "sparse-lu+krylov", probes=self.n, steps=0, deflated=0,
                seconds=time.perf_counter() - t0, converged=bool(exact.all()),
            )
        lo, hi, _, refined, complete = self._worst(g, deflate, max_candidates, chunk, progress, time_budget)
        return KrylovEstimate(
            quantity="n_W worst", at=g, estimate=2.0 / (lo + hi), stderr=np.zeros_like(lo), lower=1.0 / hi,
            upper=1.0 / lo, level=1.0, certified=True, route=self.route, probes=refined, steps=0,
            deflated=self._default_deflate(deflate), seconds=time.perf_counter() - t0,
            converged=complete and bool(np.all(hi - lo <= 1e-6 * lo)),
        )

    # ------------------------------------------------------------------ Representation interface
    def auto_nw_mean(self, gamma: Any, *, rtol: float = AUTO_RTOL, time_budget: float | None = AUTO_BUDGET,
                     progress: bool | None = None, stacklevel: int = 2, method: str = "auto") -> KrylovEstimate:
        r"""The automatic :math:`n_W(\gamma)` (mean): exact by sparse LU where it fits, else sampled to ``rtol``.

        What :func:`~topotheory.effective_neighbors` computes on this route.

        * ``method="factor"`` (the choice of ``"auto"`` when :attr:`factorable`: graphs of low
          dimension such as random geometric graphs and grids): :meth:`nw_mean_exact`, exact to
          rounding (``route="sparse-lu"``). When ``time_budget`` ends before every decay is done,
          the decays left are sampled as below with one block of probes, and the result is flagged
          (``converged=False``, ``route="sparse-lu+krylov"``, a ``RuntimeWarning``).
        * ``method="sample"`` (the choice of ``"auto"`` otherwise: expanders, whose factors fill
          in): :meth:`nw_mean` seeded (0). Probes are drawn until the 95 % interval's relative half
          width is at most ``rtol`` at every decay, or ``time_budget`` seconds have passed (then no
          further block of probes is drawn; progress is shown on long runs); when the budget or the
          probe cap ends it first, the estimate comes with its interval, ``converged=False`` and a
          ``RuntimeWarning`` naming ``rtol=`` and ``time_budget=``. A converged value does not depend
          on the machine's speed; a budget-stopped one does (fewer probes).

        Parameters
        ----------
        gamma : float or array_like
            Decays in ``[0, 1)``.
        rtol : float, default ``AUTO_RTOL`` (1e-4)
            Target relative half width of the sampled route.
        time_budget : float or None, default ``AUTO_BUDGET`` (60 s)
            Seconds (None: no limit).
        progress : bool or None, default None
            Show progress (None: after a few seconds, :mod:`topotheory.common.progress`).
        stacklevel : int, default 2
            Where the warning points, as :func:`warnings.warn`'s (2: the caller of this method).
        method : {"auto", "factor", "sample"}, default "auto"
            The route (above).

        Returns
        -------
        KrylovEstimate
            ``quantity="n_W mean"``.

        Examples
        --------
        >>> from topotheory import torus
        >>> import warnings
        >>> rep = KrylovRepresentation(torus(24, 25))
        >>> exact = rep.auto_nw_mean([0.9, 0.99])
        >>> exact.route, exact.certified
        ('sparse-lu', True)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     est = rep.auto_nw_mean([0.99], rtol=1e-9, time_budget=1e-6, progress=False, method="sample")
        >>> est.converged, est.probes, "time_budget=" in str(caught[0].message)
        (False, 16, True)
        """
        check_choice("method", method, ("auto", "factor", "sample"))
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
        if method == "factor" or (method == "auto" and self.factorable):
            est, done = self.nw_mean_exact(gamma, time_budget=time_budget, progress=progress)
            if done.all():
                return est
            rest = self.nw_mean(est.at[~done], seed=0, rtol=rtol, time_budget=1e-9, progress=progress)
            merged = {name: getattr(est, name).copy() for name in ("estimate", "stderr", "lower", "upper")}
            for name, values in merged.items():
                values[~done] = getattr(rest, name)
            est = dataclasses.replace(
                est, **merged, level=rest.level, certified=False, route="sparse-lu+krylov", probes=rest.probes,
                steps=rest.steps, deflated=rest.deflated, seconds=est.seconds + rest.seconds, converged=False)
            warnings.warn(
                f"n_W (mean) of {self.scheme!r}: the time budget of {time_budget:g} s ended after {int(done.sum())} of "
                f"{done.size} decays by the exact sparse-LU route; the others are sampled with {rest.probes} probes "
                f"(relative half width up to {float(np.max(rest.relative_halfwidth)):.2g}; rtol={rtol:g} not met). "
                "For every decay exact pass a larger time_budget= (seconds, None for no limit)",
                RuntimeWarning, stacklevel=stacklevel)
            return est
        est = self.nw_mean(gamma, seed=0, rtol=rtol, time_budget=time_budget, progress=progress)
        if not est.converged:
            warnings.warn(self._unconverged("n_W (mean)", float(np.max(est.relative_halfwidth)), rtol, est.probes,
                                            time_budget, est.seconds), RuntimeWarning, stacklevel=stacklevel)
        return est

    def _unconverged(self, what: str, width: float, rtol: float, probes: int, budget: float | None,
                     seconds: float) -> str:
        """The warning of an automatic estimate that stopped before ``rtol``."""
        why = f"the time budget of {budget:g} s ended" if budget is not None and seconds >= budget else "the probe cap"
        return (f"{what} of {self.scheme!r} by the matrix-free route: relative half width {width:.2g} > rtol={rtol:g} "
                f"after {probes} probes ({why}); the estimate is returned, effective_neighbors(..., log=True) gives "
                f"its 95 % interval. For more accuracy pass a larger time_budget= (seconds, None for no limit; default "
                f"{AUTO_BUDGET:g}) or a looser rtol=")

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        g = np.asarray(g, dtype=float)
        est = self.auto_nw_mean(g.ravel(), stacklevel=4)
        return (1.0 / est.estimate).reshape(g.shape)

    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        g = np.asarray(g, dtype=float)
        if self.factorable:  # exact by selected inversion
            return self.exact_variances(g.ravel()).reshape(g.shape + (self.n,))
        lo, hi, _, _ = self.variance_bounds(g.ravel(), np.arange(self.n))
        return (0.5 * (lo + hi)).reshape(g.shape + (self.n,))

    def scaled_worst_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        g = np.asarray(g, dtype=float)
        lo, hi = self.auto_worst_variance(g.ravel(), stacklevel=4)  # exact where factorable (lo == hi)
        return (0.5 * (lo + hi)).reshape(g.shape)

    def auto_worst_variance(self, gamma: Any, *, time_budget: float | None = AUTO_BUDGET, progress: bool | None = None,
                            stacklevel: int = 2, method: str = "auto") -> tuple[np.ndarray, np.ndarray]:
        r"""The automatic worst worker: :meth:`worst_variance` within ``time_budget``, warning when it is loose.

        What :func:`~topotheory.effective_neighbors` computes for ``mode="worst"`` on this route.
        Returns the certified bracket ``(lower, upper)`` of :math:`\max_i(1-\gamma)\Sigma_{ii}`. A
        ``RuntimeWarning`` says when its relative half width exceeds ``AUTO_RTOL`` (the midpoint is
        what the automatic route returns), and names ``time_budget=`` when the budget ended the
        refinement first (the bracket is then wider, still certified; a budget-stopped value
        depends on the machine's speed).

        Parameters
        ----------
        gamma, time_budget, progress, stacklevel
            As :meth:`auto_nw_mean`'s; ``time_budget`` (default ``AUTO_BUDGET``, None: no limit)
            bounds the Lanczos refinement of the candidates.
        method : {"auto", "factor", "lanczos"}, default "auto"
            ``"factor"`` (the choice of ``"auto"`` where :attr:`factorable`): exact to rounding
            by selected inversion, the largest of :meth:`exact_variances` (``lower == upper``).
            No decay is started after ``time_budget`` (one always is): the decays left get the
            certified Lanczos bracket above within what is left of it (at least one chunk of
            candidates), with a warning naming ``time_budget=``; ``"lanczos"``: the certified
            bracket above.

        Returns
        -------
        lower, upper : ndarray
            The bracket per decay.

        Examples
        --------
        >>> from topotheory import random_regular
        >>> import warnings
        >>> rep = KrylovRepresentation(random_regular(600, 4, seed=1))
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     lo, hi = rep.auto_worst_variance([0.99], time_budget=1e-6, progress=False, method="lanczos")
        >>> "time_budget=" in str(caught[0].message), bool(lo[0] < hi[0])
        (True, True)
        """
        if time_budget is not None:
            time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
        t0 = time.perf_counter()
        if self._exact_workers(method):  # exact by selected inversion within the budget
            g = _check_gammas(gamma)
            lo, hi, exact = self._exact_worst(g, time_budget, progress)
            if not exact.all():
                width = float(np.max((hi - lo) / (hi + lo)))
                warnings.warn(
                    f"n_W (worst) of {self.scheme!r}: the time budget of {time_budget:g} s ended after "
                    f"{int(exact.sum())} of {exact.size} decays by the exact selected-inversion route; the others "
                    f"are certified Lanczos brackets (relative half width up to {width:.2g}), whose midpoints are "
                    "returned. For every decay exact pass a larger time_budget= (seconds, None for no limit; default "
                    f"{AUTO_BUDGET:g})", RuntimeWarning, stacklevel=stacklevel)
            return lo, hi
        lo, hi, _, refined, complete = self._worst(gamma, None, 4096, 256, progress, time_budget)
        width = float(np.max((hi - lo) / (hi + lo)))
        budget_ended = not complete and time_budget is not None and time.perf_counter() - t0 >= time_budget
        if width > AUTO_RTOL or budget_ended:
            why = (f"; the time budget of {time_budget:g} s ended first: pass a larger time_budget= (seconds, None for "
                   f"no limit; default {AUTO_BUDGET:g})") if budget_ended else ""
            warnings.warn(
                f"n_W (worst) of {self.scheme!r} by the matrix-free route: the certified bracket's relative half width "
                f"is {width:.2g} (AUTO_RTOL = {AUTO_RTOL:g}) after refining {refined} candidate workers{why}; the "
                "midpoint is returned, effective_neighbors(..., mode='worst', log=True) gives the bracket",
                RuntimeWarning, stacklevel=stacklevel)
        return lo, hi

    def disagreement_mean(self, g: float, phase: int) -> float:
        r""":math:`S_1(\gamma) = \frac1n\operatorname{tr} h_\gamma(B^2)`.

        Exact by sparse LU where :attr:`factorable` and :math:`\gamma \le` ``FACTOR_MAX_DECAY``,
        else estimated to ``AUTO_RTOL``.
        """
        lam2, lamn = self.extreme_eigenvalues()
        if g >= 1.0 and max(abs(lam2), abs(lamn)) >= 1.0 - 1e-12:
            return math.inf
        g = min(float(g), float(np.nextafter(1.0, 0.0)))
        n = self.n
        if g <= FACTOR_MAX_DECAY and self.factorable:
            # exact: every eigenvalue's term, less the consensus one (1 / (1 - g))
            return float((self._decay_sums(np.array([g]), None, None)[0] - 1.0 / (1.0 - g)) / n)
        if n <= MAX_PROBES:
            lo, hi, _, _ = self.variance_bounds([g], np.arange(n))
            return float((0.5 * (lo + hi).mean() - 1.0 / n) / (1.0 - g))
        t0 = time.perf_counter()
        S, converged = self.trace_sampler([g], seed=0, rtol=AUTO_RTOL, time_budget=AUTO_BUDGET)
        est, _, lo, hi, _ = S.interval(np.array([g]), 0.95)
        if not converged:
            width = float((hi[0] - lo[0]) / (2.0 * (1.0 / (1.0 - g) + est[0])))  # as n_W's relative half width
            warnings.warn(self._unconverged("S_1", width, AUTO_RTOL, S.probes, AUTO_BUDGET, time.perf_counter() - t0),
                          RuntimeWarning, stacklevel=4)
        return float(est[0] / n)

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        raise ValueError(
            f"the covariance matrix of {self.scheme!r} (n = {self.n}) is dense; the route 'krylov' gives its "
            "diagonal (mode='all'/'worst') and its mean"
        )

    # ------------------------------------------------------------------------- heterogeneous
    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        r""":math:`\frac1n\|(I-J)X^*\|_F^2`, :math:`(I - cW)X^* = hWB`, by conjugate gradients.

        :math:`I - cW` is symmetric positive definite for :math:`|c| < 1` (eigenvalues
        :math:`\ge 1 - |c|`); CG to a relative residual of :math:`10^{-13}` per column of ``B``.
        """
        W, n = self.W, self.n
        B = np.asarray(B, dtype=float).reshape(n, -1)
        op = spla.LinearOperator((n, n), matvec=lambda x: x - c * (W @ x), dtype=float)
        rhs = h * (W @ B)
        X = np.empty_like(rhs)
        for j in range(rhs.shape[1]):  # one solve per model coordinate
            X[:, j], info = spla.cg(op, rhs[:, j], rtol=1e-13, atol=0.0, maxiter=100 * n)
            if info != 0:
                raise RuntimeError(f"conjugate gradients did not converge (info = {info})")
        D = X - X.mean(axis=0)
        return float(np.sum(D**2) / n)

    # ---------------------------------------------------------------------------- toy problem
    def rate_bracketer(self, gamma_ref: float, **options: Any) -> RateBracket:
        """A :class:`RateBracket` whose Lanczos steps suit decays up to about ``gamma_ref``."""
        return RateBracket(self, gamma_ref, **options)

    def rate_bracket(self, a: float, beta: float, **options: Any) -> tuple[float, float, float]:
        r"""Bracket ``(u_lo, u_mid, u_hi)`` of :math:`u = \rho - a` for one ``(a, beta)`` (:class:`RateBracket`)."""
        return self.rate_bracket_checked(a, beta, **options)[0]

    def rate_bracket_checked(self, a: float, beta: float,
                             **options: Any) -> tuple[tuple[float, float, float], bool]:
        r""":meth:`rate_bracket` and whether its worst-worker stage ran to the end (False: ``time_budget`` ended it).

        Parameters
        ----------
        a, beta : float
            The toy problem's coefficients, :math:`a = (1-\eta)^2`, :math:`\beta = (\zeta-1)\eta^2`.
        **options
            Options of :class:`RateBracket` (``time_budget``, ``max_probes``, ``seed``, ...).

        Returns
        -------
        bracket : tuple of float
            ``(u_lo, u_mid, u_hi)``.
        converged : bool
            False when ``time_budget`` ended the worst-worker stage (the bracket is wider, still valid).

        Examples
        --------
        The budget-stopped bracket's (certified) upper end is wider; the lower ends come from
        different samples of the mean (each holds at ``level``), and both brackets hold the dense value:

        >>> from topotheory import random_regular
        >>> from topotheory.engine import resolve
        >>> s = random_regular(600, 4, seed=1)
        >>> rep = KrylovRepresentation(s)
        >>> full, ok = rep.rate_bracket_checked(0.81, 0.1, max_probes=64, progress=False)
        >>> cut, ok_cut = rep.rate_bracket_checked(0.81, 0.1, max_probes=64, progress=False, time_budget=1e-6)
        >>> u = float(resolve(s).perron_excess(np.array([0.81]), np.array([0.1]))[0][0])
        >>> ok, ok_cut, bool(full[2] <= cut[2]), all(lo <= u <= hi for lo, _, hi in (full, cut))
        (True, False, True, True)
        """
        if beta == 0:
            return (0.0, 0.0, 0.0), True
        n = self.n
        if n <= options.get("max_probes", MAX_PROBES):
            R = self.rate_bracketer(a / (a + beta / n), **options)
            return R.bracket(a, beta), R.converged
        # a rough root first, to run the Lanczos steps the decay at the root needs
        rough = self.rate_bracketer(a / (a + beta), rtol=1e-2, max_probes=16, worst=False)
        g1 = a / (a + rough.bracket(a, beta)[1])
        R = self.rate_bracketer(g1, **options)
        out = R.bracket(a, beta)
        g2 = a / (a + out[1])
        if 1.0 - g2 < 0.8 * (1.0 - g1):  # the root sits at a larger decay than the mean's (irregular graphs)
            R = self.rate_bracketer(g2, **options)
            out = R.bracket(a, beta)
        return out, R.converged

    def perron_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        r"""Midpoint of :meth:`rate_bracket` per ``(a, beta)``; ``converged`` where the bracket is narrower
        than ``AUTO_RTOL`` relative to :math:`\rho`, ``residual`` its relative half width.

        Each bracket's stages get ``AUTO_BUDGET`` seconds: when the budget ends the worst-worker
        stage first, the midpoint of the wider bracket reached is returned, ``converged`` is False
        and a ``RuntimeWarning`` names ``time_budget=`` (of
        :func:`~topotheory.quadratic_rate_interval`, which returns the bracket)."""
        L = a.shape[0]
        u = np.zeros(L)
        res = np.zeros(L)
        conv = np.ones(L, dtype=bool)
        for j in range(L):
            (lo, mid, hi), complete = self.rate_bracket_checked(float(a[j]), float(beta[j]), time_budget=AUTO_BUDGET)
            u[j] = mid
            res[j] = 0.5 * (hi - lo) / (a[j] + mid)
            conv[j] = complete and res[j] <= AUTO_RTOL
            if not complete:
                warnings.warn(
                    f"toy rate of {self.scheme!r} by the matrix-free route: the time budget of {AUTO_BUDGET:g} s "
                    f"ended the worst-worker stage of its bracket first; the midpoint of the wider (still certified) "
                    f"bracket is returned, relative half width {res[j]:.2g}. "
                    "quadratic_rate_interval(..., time_budget=) gives the bracket (seconds, None for no limit)",
                    RuntimeWarning, stacklevel=4)
        return u, np.ones(L, dtype=int), res, conv, "krylov-bracket"
