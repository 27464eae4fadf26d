r"""The toy problem's rate and optimal learning rate on large sparse static symmetric W, with error bars.

No dense eigendecomposition: the matrix-free route of :mod:`topotheory.engine.krylov`. With
:math:`a = (1-\eta)^2`, :math:`\beta = (\zeta-1)\eta^2` and :math:`\rho = 1 - r`, the exact rate
(THEORY §3.3 route 4) solves :math:`\rho = \beta\lambda_{\max}(K(a/\rho))`,
:math:`K(\gamma) = \sum_{k\ge1}\gamma^{k-1}W^k\circ W^k`, whose row sums are the walk's variances
:math:`\Sigma_{ii}(\gamma)`; the Perron root of this non-negative symmetric matrix lies between the
mean and the largest row sum, so

.. math::

    r_{\text{worst}}(\eta) \le r(\eta) \le r_{\text{mean}}(\eta),

the roots of :math:`\rho = \beta\,\sigma(a/\rho)` with :math:`\sigma` the certified upper bound of
:math:`\max_i\Sigma_{ii}` and the lower end of the mean variance (the secular equation). The
bracket is tight on walk-regular graphs (equal variances) and as wide as the spread of the
variances otherwise; the estimate is its midpoint. For the optimum
:math:`r^* = \max_\eta r(\eta)`: :math:`r_{\text{worst}}(\hat\eta) \le r^* \le \max_\eta r_{\text{mean}}(\eta)`.

On expanders (random regular graphs) the largest variance is a few per cent above the mean while
the Perron root is within about 1e-5 of it; the Kato–Temple bound
(:mod:`~topotheory.engine.temple`) then replaces the worst-worker root:
:math:`\lambda_{\max} \le \theta + V/(\theta-\alpha)`, with :math:`\theta` the mean variance,
``V`` the population variance of the variances and :math:`\alpha` a bound of the second
eigenvalue of ``K`` (a random 6-regular graph of :math:`10^5` workers: the optimum 7e-5 wide
instead of 4 %).

On irregular graphs (non-negative ``W``) both ends are narrowed by the local bracket of
:math:`\lambda_{\max}K` (:class:`~topotheory.engine.krylov.LocalPerron`: interlacing on the worst
workers' neighbourhood below, Collatz–Wielandt above), the estimate is then the midpoint of the
narrowed bracket, and the optimum's lower end is :math:`\max_\eta r_{\text{lower}}(\eta)`. The
bracket is built at the decay of a rough optimum and rebuilt (up to ``REFINE`` times) at the decay
of its own optimum when that is much closer to 1.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, cast

import numpy as np

from ..common.results import Result
from ..common.validation import check_real
from ..engine import resolve
from ..engine.krylov import KrylovEstimate, KrylovRepresentation, RateBracket
from ..graphs.scheme import Scheme

__all__ = ["quadratic_rate_interval", "optimal_learning_rate_interval", "OptimumInterval"]

#: Largest number of times the bracket is rebuilt at the decay of its own optimum (the Lanczos steps
#: and the local walks resolve decays up to the one they were built for).
REFINE = 2


#: The trace estimator's options, documented once for both functions (inserted in their docstrings).
_OPTIONS = """seed : int, Generator or None, default 0
        Seed of the Rademacher probes.
    rtol : float, default 1e-5
        Relative half width the trace estimator aims at.
    max_probes : int, default 512
        Largest number of probes per stage; for ``n <= max_probes`` every diagonal is summed
        (certified).
    deflate : int or None, default None
        Eigenpairs deflated exactly (None: escalated when needed).
    time_budget : float or None, default None
        Seconds for each stage of a bracket (the mean's probes, the worst workers' Lanczos runs;
        None: no limit). When it ends the worst-worker stage first, the bracket reached is
        returned (wider, still valid) with ``converged=False``.
    progress : bool or None, default None
        Show progress (None: the package's default)."""


def _document_options(f: Any) -> Any:
    f.__doc__ = f.__doc__.replace("%(options)s", _OPTIONS)
    return f


def _coefficients(lr: float, zeta: float) -> tuple[float, float]:
    return (1.0 - lr) ** 2, (zeta - 1.0) * lr**2


@_document_options
def quadratic_rate_interval(scheme: Scheme, *, lr: float, zeta: float, level: float = 0.95, seed: Any = 0,
                            rtol: float = 1e-5, max_probes: int = 512, deflate: int | None = None,
                            time_budget: float | None = None, progress: bool | None = None) -> KrylovEstimate:
    r"""Bracket of the toy problem's exact rate :math:`r(\eta)` on a static symmetric sparse ``W``.

    See the module docstring: ``lower`` is certified when it is the worst-worker root and holds with
    probability ``level`` when it is the Kato–Temple root (sampled workers and probes); ``upper``
    holds with probability ``level`` over the seeded probes. Both are certified for
    ``n <= max_probes``.

    Parameters
    ----------
    scheme : Scheme
        A static symmetric gossip scheme (gossip is row-wise, :math:`X \leftarrow W X`).
    lr : float
        Learning rate :math:`\eta > 0`.
    zeta : float
        Noise level :math:`\zeta \ge 1`.
    level : float, default 0.95
        Probability of each sampled end of the bracket (the probes of the mean; for the
        Kato–Temple end also the sampled workers).
    %(options)s

    Returns
    -------
    KrylovEstimate
        ``quantity="toy rate"``, ``at`` the learning rate; a negative ``upper`` means divergence.

    Examples
    --------
    >>> from topotheory import random_regular, quadratic_rate
    >>> s = random_regular(100, 4, seed=0)
    >>> est = quadratic_rate_interval(s, lr=0.2, zeta=11.0)
    >>> exact = quadratic_rate(s, lr=0.2, zeta=11.0)
    >>> bool(est.lower[0] <= exact <= est.upper[0]), bool(est.upper[0] - est.lower[0] < 3e-3 * exact)
    (True, True)
    """
    t0 = time.perf_counter()
    lr = float(check_real("lr", lr, low=0.0, low_open=True))
    zeta = float(check_real("zeta", zeta, low=1.0))
    rep = cast(KrylovRepresentation, resolve(scheme, "krylov"))
    a, beta = _coefficients(lr, zeta)
    if time_budget is not None:
        time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
    (u_lo, u_mid, u_hi), converged = rep.rate_bracket_checked(a, beta, level=level, seed=seed, rtol=rtol,
                                                              max_probes=max_probes, deflate=deflate,
                                                              time_budget=time_budget, progress=progress)

    def rate(u: float) -> np.ndarray:
        return np.array([1.0 - a - u])

    return KrylovEstimate(
        quantity="toy rate", at=np.array([lr]), estimate=rate(u_mid), stderr=np.array([math.nan]), lower=rate(u_hi),
        upper=rate(u_lo), level=level, certified=rep.n <= max_probes, route=rep.route, probes=0, steps=0,
        deflated=0, seconds=time.perf_counter() - t0, converged=converged,
    )


@dataclasses.dataclass(frozen=True, repr=False)
class OptimumInterval(Result):
    r"""The optimal learning rate of the toy problem with a bracket of the optimal rate.

    Attributes
    ----------
    lr : float
        Maximizer of the estimate (the bracket's midpoint) of :math:`r(\eta)`.
    rate : float
        The estimate at ``lr``.
    rate_lower, rate_upper : float
        :math:`r_{\text{lower}}(\hat\eta) \le r^* \le \max_\eta r_{\text{mean}}(\eta)`
        (:math:`r_{\text{lower}}`: the root with the worst worker's or the Kato–Temple bound; with the
        local bracket: :math:`\max_\eta r_{\text{lower}}(\eta) \le r^* \le \max_\eta r_{\text{upper}}(\eta)`).
    lr_mean : float
        Maximizer of :math:`r_{\text{mean}}` (the secular optimum).
    level : float
        Probability of each end over the probes (and, for a Kato–Temple ``rate_lower``, the sampled
        workers); 1: certified.
    route : str
        The representation that computed it (``"krylov"``).
    seconds : float
        Wall-clock time of the call.
    converged : bool
        False when ``time_budget`` ended the worst-worker stage of the final bracket (wider, still valid).
    """

    lr: float
    rate: float
    rate_lower: float
    rate_upper: float
    lr_mean: float
    level: float
    route: str
    seconds: float
    converged: bool = True


@_document_options
def optimal_learning_rate_interval(scheme: Scheme, *, zeta: float, level: float = 0.95, seed: Any = 0,
                                   rtol: float = 1e-5, max_probes: int = 512, deflate: int | None = None,
                                   time_budget: float | None = None, progress: bool | None = None) -> OptimumInterval:
    r"""Optimal learning rate of the toy problem on a large sparse static symmetric ``W``, bracketed.

    One set of Lanczos runs (:class:`~topotheory.engine.krylov.RateBracket`) at the decay of a rough
    optimum serves every learning rate; each bound is maximized by a bounded scalar search on
    :math:`(0, 2/\zeta']`, the stability edge of the mean bound.

    Parameters
    ----------
    scheme : Scheme
        A static symmetric gossip scheme (gossip is row-wise, :math:`X \leftarrow W X`).
    zeta : float
        Noise level :math:`\zeta > 1`.
    level : float, default 0.95
        Probability of each end of the optimal rate's bracket over the probes (and sampled workers).
    %(options)s

    Returns
    -------
    OptimumInterval
        The maximizer, the rate there and the bracket of the optimal rate.

    Examples
    --------
    >>> from topotheory import random_regular, optimal_learning_rate
    >>> s = random_regular(60, 4, seed=0)
    >>> opt = optimal_learning_rate_interval(s, zeta=11.0)
    >>> ref = optimal_learning_rate(s, zeta=11.0)
    >>> bool(opt.rate_lower <= ref.rate <= opt.rate_upper), bool(abs(opt.lr - ref.lr) < 0.02)
    (True, True)
    """
    t0 = time.perf_counter()
    zeta = float(check_real("zeta", zeta, low=1.0, low_open=True))
    rep = cast(KrylovRepresentation, resolve(scheme, "krylov"))
    n = rep.n
    if time_budget is not None:
        time_budget = check_real("time_budget", time_budget, low=0.0, low_open=True)
    options: dict[str, Any] = dict(level=level, seed=seed, max_probes=max_probes, deflate=deflate,
                                   progress=progress, time_budget=time_budget)
    hi = 2.0 / (1.0 + (zeta - 1.0) / n)  # the fully connected stability edge bounds every edge

    import scipy.optimize as so  # on first use: ``import topotheory`` stays light

    def best(bracketer: RateBracket, which: int) -> tuple[float, float]:
        def neg(lr: float) -> float:
            a, beta = _coefficients(lr, zeta)
            u = bracketer.bracket(a, beta)[1] if which == 1 else bracketer.end(a, beta, "lo" if which == 0 else "hi")
            return -(1.0 - a - u)
        xatol = 1e-10 if bracketer.local is None else 1e-7  # the local bracket's ends cost more; r is flat there
        res = so.minimize_scalar(neg, bounds=(1e-9, hi), method="bounded", options={"xatol": xatol})
        return float(res.x), -float(res.fun)

    # a rough optimum (secular, few probes) fixes the decay the Lanczos steps must resolve
    if n <= max_probes:
        rough = rep.rate_bracketer(0.9, worst=False, **options)
    else:
        rough = rep.rate_bracketer(0.9, rtol=1e-2, worst=False, **dict(options, max_probes=16))
    lr0, _ = best(rough, 1)
    a0, b0 = _coefficients(lr0, zeta)
    g0 = a0 / (a0 + rough.bracket(a0, b0)[1])
    R = rep.rate_bracketer(g0, rtol=rtol, **options)
    lr, rate = best(R, 1)
    for _ in range(REFINE):  # the bracket's optimum may sit at a larger decay than the rough one (irregular graphs)
        a, beta = _coefficients(lr, zeta)
        g1 = a / (a + R.bracket(a, beta)[1])
        if 1.0 - g1 >= 0.8 * (1.0 - g0):
            break
        g0 = g1
        R = rep.rate_bracketer(g0, rtol=rtol, **options)
        lr, rate = best(R, 1)
    lr_mean, upper = best(R, 0)
    a, beta = _coefficients(lr, zeta)
    lower = 1.0 - a - R.bracket(a, beta)[2]
    if R.local is not None:  # r* >= max_lr r_lower(lr): the certified lower end maximized
        lower = max(lower, best(R, 2)[1])
    return OptimumInterval(lr=lr, rate=rate, rate_lower=lower, rate_upper=upper, lr_mean=lr_mean,
                           level=1.0 if n <= max_probes else float(level), route=rep.route,
                           seconds=time.perf_counter() - t0, converged=R.converged)
