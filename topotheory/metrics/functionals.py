r"""Spectral functionals, stationary consensus distances and literature metrics of a gossip scheme.

THEORY §9.3 (Takezawa, Koloskova & Stich): on quadratics :math:`f_i = (L/2)\|x - b_i\|^2` with
gradient-then-gossip D-SGD

.. math:: x_i(t+1) = \sum_j (W_t)_{ij}\bigl(x_j(t) - \eta(L(x_j(t) - b_j) + \xi_j(t))\bigr),

the topology enters the stationary consensus distance
:math:`\Xi^2 = \frac1n\sum_i \mathbb E\|x_i - \bar x\|^2` through the whole spectrum:

* identical data (:math:`b_i = b`), noise :math:`\mathbb E\|\xi_j\|^2 = \sigma^2`:
  :math:`\Xi^2 = \frac1n\sum_{j\ge2} \eta^2\sigma^2\lambda_j^2/(1 - \lambda_j^2(1-\eta L)^2)
  = \eta^2\sigma^2 S_1(\eta)`;
* heterogeneous :math:`b_i` without noise:
  :math:`\Xi^2 = \frac1n\sum_{j\ge2} [\lambda_j\eta L/(1 - \lambda_j(1-\eta L))]^2 |u_j^T B|^2`.

with the spectral functionals :math:`S_1 = \frac1n\sum_{j\ge2}\lambda_j^2/(1-\lambda_j^2)`,
:math:`S_0 = \frac1n\sum_{j\ge2}1/(1-\lambda_j^2)` and their learning-rate corrected forms
(:math:`\lambda_j^2 \to (1-\eta L)^2\lambda_j^2` in the denominators).

For any scheme (non-symmetric, periodic) the same quantities are defined by the trace sums they equal
for symmetric ``W``: with :math:`\gamma = (1 - \eta L)^2` and :math:`\Pi_k` the product of the ``k``
gossip matrices preceding the phase,

.. math:: S_1(\gamma) = \frac1n\sum_{k\ge1}\gamma^{k-1}\|\Pi_k - J\|_F^2, \qquad
          S_0(\gamma) = \frac1n\sum_{k\ge0}\gamma^{k}\|\Pi_k - J\|_F^2 = \frac{n-1}{n} + \gamma S_1(\gamma),

and :math:`S_1(\gamma) = (1/n_W(\gamma) - 1/n)/(1 - \gamma)` links them to the effective number of
neighbours. Also here: Koloskova et al. 2020's mixing parameter and iteration complexity (THEORY
§9.4) and the mixing time.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterator, cast

import numpy as np
import scipy.linalg as sla

from ..common.annotations import ArrayLike, SchemeLike
from ..common.results import Result
from ..common.validation import as_float_array, check_choice, check_int, check_phase, check_real
from ..engine import Representation, resolve
from ..graphs.scheme import check_scheme
from .spectral import spectral_gap

__all__ = [
    "s1_functional",
    "s0_functional",
    "consensus_distance_noise",
    "consensus_distance_heterogeneous",
    "KoloskovaMixing",
    "koloskova_mixing",
    "KoloskovaComplexity",
    "koloskova_complexity",
    "mixing_time",
]

FUNCTIONAL_METHODS = ("auto", "eigen", "fourier", "lyapunov")


# ---------------------------------------------------------------------------------- helpers
def _gamma_from_lr(lr: float, L: float) -> tuple[float, float, float]:
    """gamma = (1 - lr L)^2 from a learning rate (lr = 0: the uncorrected functional, gamma = 1)."""
    L = check_real("L", L, low=0.0, low_open=True)
    lr = check_real("lr", lr, low=0.0)
    if lr * L > 2.0:
        raise ValueError(f"lr * L must lie in [0, 2] (D-SGD on an L-smooth quadratic diverges beyond); got {lr * L!r}")
    return (1.0 - lr * L) ** 2, lr, L


def _representation(scheme: SchemeLike, method: str) -> Representation:
    check_choice("method", method, FUNCTIONAL_METHODS)
    return resolve(scheme, method)


def _s1(scheme: SchemeLike, gamma: float, phase: int, method: str) -> float:
    rep = _representation(scheme, method)
    if rep.n == 1:
        return 0.0
    return rep.disagreement_mean(gamma, phase)


def _check_phase(scheme: Any, phase: int) -> int:
    return check_phase(phase, scheme.period)


# ------------------------------------------------------------------------------ functionals
def s1_functional(scheme: SchemeLike, *, lr: float = 0.0, L: float = 1.0, phase: int = 0, method: str = "auto") -> float:
    r"""The spectral functional :math:`S_1` (THEORY §9.3), learning-rate corrected when ``lr > 0``.

    .. math:: S_1(\eta) = \frac1n\sum_{j\ge2}\frac{\lambda_j^2}{1 - (1-\eta L)^2\lambda_j^2}
              = \frac1n\sum_{k\ge1}(1-\eta L)^{2(k-1)}\|\Pi_k - J\|_F^2 ,

    the spectral *average* behind the stationary consensus distance with identical data,
    :math:`\Xi^2 = \eta^2\sigma^2 S_1(\eta)` (Takezawa, Koloskova & Stich 2026). ``lr = 0`` gives the
    uncorrected :math:`S_1 = \frac1n\sum_{j\ge2}\lambda_j^2/(1-\lambda_j^2)`, infinite on
    disconnected or bipartite graphs. On a ring of ``n`` it grows like ``n`` (while
    :math:`1/(1-\lambda_2)` grows like :math:`n^2`).

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    lr : float
        Learning rate :math:`\eta \ge 0` with :math:`\eta L \le 2`.
    L : float
        Smoothness (curvature of the quadratic), ``> 0``.
    phase : int
        Phase of a periodic scheme (the state right after the gossip with :math:`W_{\phi-1}`); any
        integer, taken modulo the period (``-1`` is the last phase; static schemes have only 0).
    method : {"auto", "eigen", "fourier", "lyapunov"}
        Eigenvalues (static symmetric), per-Fourier-mode fold over the period (circulant), or a
        dense discrete Lyapunov solve on the disagreement subspace (any scheme). ``"auto"``
        resolves the scheme once (:func:`topotheory.engine.resolve`): circulant schemes use the
        Fourier route even when symmetric (``O(n)`` instead of an ``O(n^3)`` eigendecomposition).

    Returns
    -------
    float
        :math:`S_1(\eta) \ge 0`; ``inf`` when the sum diverges.

    Examples
    --------
    >>> from topotheory import ring, fully_connected
    >>> round(s1_functional(ring(4)), 6)  # eigenvalues 1/3, 1/3, -1/3
    0.09375
    >>> round(s1_functional(fully_connected(8)), 12)
    0.0
    >>> round(s1_functional(ring(32), lr=0.1), 4)
    0.8482
    """
    scheme = check_scheme(scheme)
    gamma, _, _ = _gamma_from_lr(lr, L)
    return _s1(scheme, gamma, _check_phase(scheme, phase), method)


def s0_functional(scheme: SchemeLike, *, lr: float = 0.0, L: float = 1.0, phase: int = 0, method: str = "auto") -> float:
    r"""The spectral functional :math:`S_0` (THEORY §9.3), learning-rate corrected when ``lr > 0``.

    .. math:: S_0(\eta) = \frac1n\sum_{j\ge2}\frac{1}{1 - (1-\eta L)^2\lambda_j^2}
              = \frac{n-1}{n} + (1-\eta L)^2 S_1(\eta) .

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    lr : float
        Learning rate :math:`\eta \ge 0` with :math:`\eta L \le 2`.
    L : float
        Smoothness (curvature of the quadratic), ``> 0``.
    phase : int
        Phase of a periodic scheme, taken modulo the period (as in :func:`s1_functional`).
    method : {"auto", "eigen", "fourier", "lyapunov"}
        The route, as in :func:`s1_functional`.

    Returns
    -------
    float
        :math:`S_0(\eta) \ge (n-1)/n`; ``inf`` when the sum diverges.

    Examples
    --------
    >>> from topotheory import ring
    >>> round(s0_functional(ring(4)), 6)  # (1/4)(9/8 + 9/8 + 9/8)
    0.84375
    """
    scheme = check_scheme(scheme)
    gamma, _, _ = _gamma_from_lr(lr, L)
    n = scheme.n
    s1 = _s1(scheme, gamma, _check_phase(scheme, phase), method)
    return float((n - 1) / n + gamma * s1)


def consensus_distance_noise(scheme: SchemeLike, lr: float, *, sigma2: float = 1.0, L: float = 1.0, phase: int = 0,
                             method: str = "auto") -> float:
    r"""Stationary consensus distance of D-SGD with identical quadratics and gradient noise (THEORY §9.3).

    .. math:: \Xi^2 = \frac1n\sum_i\mathbb E\|x_i - \bar x\|^2
              = \frac1n\sum_{j\ge2}\frac{\eta^2\sigma^2\lambda_j^2}{1 - \lambda_j^2(1-\eta L)^2}
              = \eta^2\sigma^2 S_1(\eta),

    for :math:`f_i(x) = (L/2)\|x - b\|^2`, gradient-then-gossip, i.i.d. noise with
    :math:`\mathbb E\|\xi_i\|^2 = \sigma^2` (summed over coordinates). Evaluated at ``phase`` for
    periodic schemes. Independent of ``b`` and of the dimension.

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    lr : float
        Learning rate :math:`\eta \ge 0` (negative values are refused); outside :math:`(0, 2/L)`
        the stationary distance does not exist (0) or the iterates diverge, and NaN is returned.
    sigma2 : float
        Noise variance per worker and step, ``>= 0``.
    L, phase, method
        As in :func:`s1_functional`.

    Returns
    -------
    float
        :math:`\Xi^2 \ge 0`; NaN outside :math:`0 < \eta L < 2`, ``inf`` where :math:`S_1` diverges.

    Examples
    --------
    >>> from topotheory import ring
    >>> round(consensus_distance_noise(ring(4), 0.5), 6)  # (1/4) 3 (1/4)(1/9)/(1 - 1/36)
    0.021429
    """
    scheme = check_scheme(scheme)
    lr = check_real("lr", lr, low=0.0)
    L = check_real("L", L, low=0.0, low_open=True)
    sigma2 = check_real("sigma2", sigma2, low=0.0)
    if not 0.0 < lr * L < 2.0:
        return math.nan
    gamma = (1.0 - lr * L) ** 2
    return float(lr**2 * sigma2 * _s1(scheme, gamma, _check_phase(scheme, phase), method))


def consensus_distance_heterogeneous(scheme: SchemeLike, lr: float, b: ArrayLike, *, L: float = 1.0, phase: int = 0,
                                     method: str = "auto") -> float:
    r"""Stationary consensus distance with heterogeneous optima and no noise (THEORY §9.3).

    For :math:`f_i(x) = (L/2)\|x - b_i\|^2` the deterministic iteration
    :math:`X \leftarrow W((1-\eta L)X + \eta L B)` has the fixed point
    :math:`X^* = \eta L(I - (1-\eta L)W)^{-1}WB` (static ``W``), and

    .. math:: \Xi^2 = \frac1n\|(I - J)X^*\|_F^2
              = \frac1n\sum_{j\ge2}\Bigl[\frac{\lambda_j\eta L}{1 - \lambda_j(1-\eta L)}\Bigr]^2|u_j^T B|^2

    for symmetric ``W = U diag(lambda) U^T``: dominated by the slowest modes (a gap-like quantity).
    Periodic schemes: the fixed point of the one-period affine map at ``phase``.

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    lr : float
        Learning rate :math:`\eta \ge 0` (negative values are refused); NaN outside :math:`(0, 2/L)`.
    b : array_like, shape (n,) or (n, d)
        The local optima, one row per worker.
    L, phase
        As in :func:`s1_functional`.
    method : {"auto", "eigen", "lyapunov"}
        ``"eigen"``: the spectral sum (static symmetric); ``"lyapunov"``: the dense fixed point
        (here a linear solve; any scheme).

    Returns
    -------
    float
        :math:`\Xi^2 \ge 0`; NaN outside :math:`0 < \eta L < 2`.

    Examples
    --------
    >>> from topotheory import ring
    >>> b = [1.0, -1.0, 1.0, -1.0]  # the eigenvector of lambda = -1/3, |u^T b|^2 = 4
    >>> round(consensus_distance_heterogeneous(ring(4), 0.5, b), 6)  # (1/4) 4 (1/7)^2
    0.020408
    """
    scheme = check_scheme(scheme)
    lr = check_real("lr", lr, low=0.0)
    L = check_real("L", L, low=0.0, low_open=True)
    B = as_float_array("b", b)
    if B.ndim == 1:
        B = B[:, None]
    if B.ndim != 2 or B.shape[0] != scheme.n:
        raise ValueError(f"b must have shape (n,) or (n, d) with n = scheme.n = {scheme.n}, got {np.shape(b)}")
    check_choice("method", method, ("auto", "eigen", "lyapunov"))
    phase = _check_phase(scheme, phase)
    rep = resolve(scheme, method)
    if not 0.0 < lr * L < 2.0:
        return math.nan
    return rep.heterogeneous_distance(1.0 - lr * L, lr * L, B, phase)


# -------------------------------------------------------------------------- Koloskova et al.
class _FieldSequence:
    """Tuple-style access (unpacking, indexing, ``len``, equality with tuples) to a result's fields."""

    def __iter__(self) -> Iterator[Any]:
        return iter(tuple(getattr(self, f.name) for f in dataclasses.fields(cast(Any, self))))

    def __getitem__(self, index: Any) -> Any:
        return tuple(self)[index]

    def __len__(self) -> int:
        return len(dataclasses.fields(cast(Any, self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, type(self))):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class KoloskovaMixing(_FieldSequence, Result):
    r"""Koloskova et al. 2020's mixing parameter ``p`` over windows of ``tau`` steps.

    Unpacks as ``p, tau = koloskova_mixing(scheme)``.

    Attributes
    ----------
    p : float
        The mixing parameter :math:`p = 1 - \|\Pi - J\|_2^2 \in [0, 1]` of the one-period product.
    tau : int
        The window: the period of the scheme.
    """

    p: float
    tau: int


def koloskova_mixing(scheme: SchemeLike) -> KoloskovaMixing:
    r"""Koloskova et al. 2020's mixing assumption for a (periodic) scheme: ``(p, tau)``.

    Their Assumption 4 asks :math:`\|X\Pi - \bar X\|_F^2 \le (1 - p)\|X - \bar X\|_F^2` for the
    product :math:`\Pi` of every window of ``tau`` consecutive gossip matrices. For a periodic
    scheme we take ``tau`` = the period and
    :math:`p = 1 - \|\Pi - J\|_2^2` from the one-period product
    (:func:`~topotheory.spectral.spectral_gap` with ``kind="koloskova"``). Finite-time consensus
    schemes have ``p = 1``.

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).

    Returns
    -------
    KoloskovaMixing
        ``(p, tau)``: the mixing parameter in [0, 1] and the window (the period).

    Examples
    --------
    >>> from topotheory import ring, one_peer_exponential
    >>> koloskova_mixing(one_peer_exponential(16))
    KoloskovaMixing(p=1, tau=4)
    >>> round(koloskova_mixing(ring(4)).p, 6)
    0.888889
    """
    scheme = check_scheme(scheme)
    return KoloskovaMixing(float(spectral_gap(scheme, "koloskova")), int(scheme.period))


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class KoloskovaComplexity(_FieldSequence, Result):
    r"""The terms of Koloskova et al. 2020's iteration complexity (constants and logs dropped).

    Also unpacks and indexes like the tuple ``(noise, consensus, optimization, total, setting)``.

    Attributes
    ----------
    noise : float
        The noise term (the one without the topology), e.g. :math:`\sigma^2/(\mu n\varepsilon)`.
    consensus : float
        The consensus term, growing with :math:`\tau/p` and with the noise and heterogeneity.
    optimization : float
        The optimization term, e.g. :math:`(L\tau/(\mu p))\log(1/\varepsilon)`.
    total : float
        The sum of the three terms.
    setting : str
        ``"strongly_convex"``, ``"convex"`` or ``"nonconvex"``.
    """

    noise: float
    consensus: float
    optimization: float
    total: float
    setting: str


KOLOSKOVA_SETTINGS = ("strongly_convex", "convex", "nonconvex")


def koloskova_complexity(
    scheme: SchemeLike,
    eps: float,
    *,
    L: float = 1.0,
    mu: float = 1.0,
    sigma2: float = 1.0,
    heterogeneity: float = 0.0,
    setting: str = "strongly_convex",
    R0: float = 1.0,
    F0: float = 1.0,
    p: float | None = None,
    tau: int | None = None,
) -> KoloskovaComplexity:
    r"""Koloskova et al. 2020 (Theorem 2): iterations of D-SGD to reach accuracy ``eps``, term by term.

    With :math:`\sigma^2` the noise, :math:`\zeta^2` the heterogeneity (``heterogeneity``; the
    gradient dissimilarity at the optimum) and ``(p, tau)`` from :func:`koloskova_mixing`:

    * strongly convex (:math:`\mu > 0`):
      :math:`\frac{\sigma^2}{\mu n\varepsilon}
      + \frac{\sqrt L(\zeta\tau + \sigma\sqrt{p\tau})}{\mu p\sqrt\varepsilon}
      + \frac{L\tau}{\mu p}\log\frac1\varepsilon`;
    * convex: :math:`R_0^2\bigl[\frac{\sigma^2}{n\varepsilon^2}
      + \frac{\sqrt L(\zeta\tau + \sigma\sqrt{p\tau})}{p\varepsilon^{3/2}}
      + \frac{L\tau}{p\varepsilon}\bigr]`;
    * non-convex: :math:`L F_0\bigl[\frac{\sigma^2}{n\varepsilon^2}
      + \frac{\zeta\tau + \sigma\sqrt{p\tau}}{p\varepsilon^{3/2}} + \frac{\tau}{p\varepsilon}\bigr]`.

    Constants and logarithmic factors are dropped as in the paper's :math:`\tilde O`; the terms are
    returned separately so plots can show which one dominates. Only the last two depend on the
    topology, through :math:`\tau/p`.

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    eps : float
        Target accuracy in (0, 1) (strongly convex: :math:`\log(1/\varepsilon) > 0`), any
        positive value otherwise.
    L, mu : float
        Smoothness and strong convexity (``mu`` used for ``"strongly_convex"`` only), ``> 0``.
    sigma2, heterogeneity : float
        :math:`\sigma^2 \ge 0` and :math:`\zeta^2 \ge 0`.
    setting : {"strongly_convex", "convex", "nonconvex"}
        Which of the three rates of Theorem 2.
    R0, F0 : float
        :math:`\|x_0 - x^*\|` (convex) and :math:`f(x_0) - f^*` (non-convex).
    p, tau : optional
        Override the mixing parameter and window.

    Returns
    -------
    KoloskovaComplexity
        ``(noise, consensus, optimization, total, setting)``; ``inf`` terms when ``p = 0``.

    Examples
    --------
    >>> from topotheory import fully_connected
    >>> c = koloskova_complexity(fully_connected(10), 0.01, sigma2=1.0)
    >>> round(c.noise, 6), round(c.consensus, 6), round(c.optimization, 6)
    (10.0, 10.0, 4.60517)
    """
    scheme = check_scheme(scheme)
    check_choice("setting", setting, KOLOSKOVA_SETTINGS)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    if setting == "strongly_convex" and eps >= 1.0:
        raise ValueError(f"eps must lie in (0, 1) for the strongly convex rate, got {eps!r}")
    L = check_real("L", L, low=0.0, low_open=True)
    mu = check_real("mu", mu, low=0.0, low_open=True)
    sigma2 = check_real("sigma2", sigma2, low=0.0)
    zeta2 = check_real("heterogeneity", heterogeneity, low=0.0)
    R0 = check_real("R0", R0, low=0.0)
    F0 = check_real("F0", F0, low=0.0)
    if p is None or tau is None:
        mix = koloskova_mixing(scheme)
        p = mix.p if p is None else p
        tau = mix.tau if tau is None else tau
    p = check_real("p", p, low=0.0, high=1.0)
    tau = check_int("tau", tau, minimum=1)
    n = scheme.n
    sigma, zeta = math.sqrt(sigma2), math.sqrt(zeta2)
    mixing = zeta * tau + sigma * math.sqrt(p * tau)
    inv_p = math.inf if p == 0.0 else 1.0 / p
    if setting == "strongly_convex":
        terms = (
            sigma2 / (mu * n * eps),
            math.sqrt(L) * mixing * inv_p / (mu * math.sqrt(eps)) if mixing > 0 else 0.0,
            L * tau * inv_p / mu * math.log(1.0 / eps),
        )
    elif setting == "convex":
        terms = (
            R0**2 * sigma2 / (n * eps**2),
            R0**2 * math.sqrt(L) * mixing * inv_p / eps**1.5 if mixing > 0 else 0.0,
            R0**2 * L * tau * inv_p / eps,
        )
    else:
        terms = (
            L * F0 * sigma2 / (n * eps**2),
            L * F0 * mixing * inv_p / eps**1.5 if mixing > 0 else 0.0,
            L * F0 * tau * inv_p / eps,
        )
    noise, consensus, optimization = (float(t) for t in terms)
    return KoloskovaComplexity(noise, consensus, optimization, float(noise + consensus + optimization), setting)


# ------------------------------------------------------------------------------- mixing time
def _disagreement_after(scheme: Any, t: int, pi_minus_j: np.ndarray) -> float:
    """||Pi_t - J||_2 with Pi_t = W_{t-1} ... W_0 (phase 0), via (Pi - J)^m and a partial period."""
    p = scheme.period
    m, s = divmod(t, p)
    M = np.linalg.matrix_power(pi_minus_j, m)
    for u in range(s):
        M = scheme.matrix(u) @ M
    return float(sla.norm(M - (1.0 / scheme.n if m == 0 else 0.0), 2))


def mixing_time(scheme: SchemeLike, eps: float = 1e-2, *, max_steps: int = 10**6) -> float:
    r"""Number of gossip steps until :math:`\|\Pi_t - J\|_2 \le \varepsilon`.

    :math:`\Pi_t = W_{t-1}\cdots W_0` is the product of the first ``t`` steps (from phase 0), so the
    worst-case disagreement :math:`\|X(t) - \bar X\|` has shrunk by ``eps``. The norm is
    non-increasing in ``t`` (every doubly stochastic ``W`` has :math:`\|W\|_2 \le 1` and
    :math:`\Pi_{t+1} - J = W_t(\Pi_t - J)`), so a doubling search followed by bisection finds the
    smallest ``t``; products use powers of :math:`\Pi - J` (``O(n^3 \log^2 t)``). Static normal
    ``W`` (symmetric or circulant) use :math:`\|W^t - J\|_2 = s^t`, ``s`` the largest non-unit
    eigenvalue modulus.

    Parameters
    ----------
    scheme : Scheme, networkx.Graph, ndarray or sparse matrix
        A finite gossip scheme (anything :func:`~topotheory.as_scheme` accepts).
    eps : float
        Target in (0, 1).
    max_steps : int
        Give up beyond this many steps.

    Returns
    -------
    float
        The number of steps (an integer value), ``inf`` if never reached within ``max_steps``
        (disconnected graphs, ``max_steps`` too small).

    Examples
    --------
    >>> from topotheory import ring, one_peer_exponential
    >>> mixing_time(ring(4), 0.01)  # (1/3)^t <= 0.01
    5.0
    >>> mixing_time(one_peer_exponential(8), 1e-9)
    3.0
    """
    scheme = check_scheme(scheme)
    eps = check_real("eps", eps, low=0.0, high=1.0, low_open=True, high_open=True)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    n = scheme.n
    if n == 1:
        return 0.0
    s = resolve(scheme).static_contraction()
    if s is not None:
        if s <= eps:
            return 1.0
        if s >= 1.0 - 1e-15:
            return math.inf
        t = math.ceil(math.log(eps) / math.log(s) - 1e-12)
        while s**t > eps:  # guard the rounding of the logarithms
            t += 1
        while t > 1 and s ** (t - 1) <= eps:
            t -= 1
        return float(t) if t <= max_steps else math.inf
    pi_j = scheme.period_product(0) - 1.0 / n
    f = lambda t: _disagreement_after(scheme, t, pi_j)  # noqa: E731
    lo, hi = 0, 1
    while f(hi) > eps:
        lo, hi = hi, 2 * hi
        if lo >= max_steps:
            return math.inf
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if f(mid) <= eps:
            hi = mid
        else:
            lo = mid
    return float(hi) if hi <= max_steps else math.inf
