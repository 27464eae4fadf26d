r"""Section-4 theory of the paper (THEORY §4): learning-rate conditions and rates for smooth convex D-SGD.

The analysis runs D-SGD as :math:`x(t+1) = x(t) - [\eta\nabla F_\xi(x(t)) + L_W x(t)]` with
:math:`L_W = I - W` and measures the state in the norm of

.. math:: M(\gamma) = (1-\gamma)\,W^2 (I - \gamma W^2)^{-1} \qquad\text{(eq. 21)},

whose diagonal is :math:`n_W(\gamma)^{-1}` per worker. All functions here need a static symmetric
``W`` (the setting of the paper's §4); the paper further assumes :math:`\lambda_{\min}(W) \ge 1/2`
(use :meth:`Scheme.lazy`). Where the paper's printed statements contain typos or inconsistencies the
docstrings say so; the functions return the printed formulas (with the alternative exposed as an
option), never silently "fixed" numbers.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from collections.abc import Callable
from typing import Any

import numpy as np

from ..common.annotations import ArrayLike, FloatOrArray, SchemeLike
from ..common.jsonable import jsonable
from ..common.results import Result
from ..common.validation import check_bool, check_choice, check_gamma, check_int, check_real, plain, renamed_error
from ..engine import resolve
from ..graphs.scheme import check_scheme

__all__ = [
    "BETA_KINDS",
    "m_matrix",
    "beta",
    "theorem6_learning_rate",
    "Corollary7",
    "corollary7",
    "Corollary8",
    "corollary8",
    "RateTerms",
    "corollary10_rate",
    "koloskova_rate",
]

BETA_KINDS = ("eq34", "eq33")


def _symmetric_eigenvalues(scheme: SchemeLike, what: str) -> np.ndarray:
    """Eigenvalues (descending) of a static symmetric scheme, or a clear error naming ``what``."""
    scheme = check_scheme(scheme)
    return np.asarray(resolve(scheme).static_symmetric_eigenvalues(what), dtype=float)


def _out(x: Any, scalar: bool) -> Any:
    return float(x) if scalar else x


def m_matrix(scheme: SchemeLike, gamma: float) -> np.ndarray:
    r"""The matrix :math:`M(\gamma) = (1-\gamma)W^2(I - \gamma W^2)^{-1}` (paper eq. 21).

    Computed in the eigenbasis of ``W``: :math:`M = Q\,\mathrm{diag}((1-\gamma)\lambda^2/(1-\gamma\lambda^2))Q^T`.
    Its diagonal is :math:`n_W(\gamma)^{-1}` worker by worker (Assumption 5 asks for a constant
    diagonal); figure 3 of the paper shows it as a heat map for the ring.

    Parameters
    ----------
    scheme : Scheme
        Static and symmetric.
    gamma : float
        In [0, 1).

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> from topotheory import ring
    >>> M = m_matrix(ring(32), 0.9)
    >>> round(float(M[0, 0]), 6), round(float(M[0, 1]), 6)  # M_00 = 1/n_W(0.9)
    (0.150781, 0.130947)
    """
    from ..metrics.randomwalk import random_walk_covariance

    _symmetric_eigenvalues(scheme, "m_matrix")
    g = check_gamma(gamma)
    if g.ndim:
        raise ValueError("gamma must be a scalar for m_matrix")
    # For symmetric W, Sigma(gamma) = sum_k gamma^(k-1) W^(2k) = W^2 (I - gamma W^2)^(-1): M = (1-gamma) Sigma.
    return (1.0 - float(g)) * random_walk_covariance(scheme, float(g))


def beta(scheme: SchemeLike, gamma: ArrayLike, *, kind: str | float = "eq34") -> FloatOrArray:
    r"""The constant :math:`\beta(\gamma)` of Theorem 6: the largest with :math:`L_M \preceq \beta^{-1} L_W W`.

    With :math:`L_M = I - M` and both sides diagonal in the eigenbasis of ``W``, per eigenvalue
    :math:`\lambda \ne 1`: :math:`(1-\lambda^2)/(1-\gamma\lambda^2) \le \beta^{-1}(1-\lambda)\lambda`.

    * ``"eq33"``: the exact largest value on the given ``W``,
      :math:`\beta = \min_{\lambda \ne 1} \lambda(1-\gamma\lambda^2)/(1+\lambda)`. It is :math:`\le 0`
      as soon as ``W`` has a non-positive eigenvalue (then no positive :math:`\beta` exists; an
      eigenvalue :math:`-1` gives :math:`-\infty`).
    * ``"eq34"`` (default): the paper's choice :math:`\beta = (1 - \gamma\lambda_2)/4`, valid (a lower
      bound of eq. 33, by :math:`\lambda/(1+\lambda) \ge 1/3` and :math:`\lambda^2 \le \lambda_2`)
      when :math:`\lambda_{\min}(W) \ge 1/2` — e.g. for the lazy :math:`W' = (I+W)/2`. Evaluated on the
      ``W`` given, whatever its smallest eigenvalue.
    * a positive float: used as given.

    A single worker has no constraint (:math:`\beta = \infty`).

    Parameters
    ----------
    scheme : Scheme
        Static and symmetric.
    gamma : float or array_like
        Decay(s) in [0, 1).
    kind : {"eq34", "eq33"} or float

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from topotheory import ring
    >>> w = ring(32).lazy()
    >>> round(beta(w, 0.9), 6), round(beta(w, 0.9, kind="eq33"), 6)
    (0.026441, 0.055567)
    >>> beta(ring(32), 0.9, kind="eq33") < 0  # ring eigenvalues reach -1/3
    True
    """
    scheme = check_scheme(scheme)
    lam = _symmetric_eigenvalues(scheme, "beta")
    g = check_gamma(gamma)
    scalar = g.ndim == 0
    if isinstance(kind, numbers.Real) and not isinstance(kind, (bool, np.bool_)):
        value = check_real("kind", kind, low=0.0, low_open=True)
        return _out(np.full(g.shape, value), scalar)
    check_choice("kind", kind, BETA_KINDS)
    if scheme.n == 1:
        return _out(np.full(g.shape, np.inf), scalar)
    if kind == "eq34":
        return _out((1.0 - g * lam[1]) / 4.0, scalar)
    rest = lam[lam < 1.0 - 1e-12]
    if rest.size == 0:  # disconnected into single components: W = I
        return _out(np.full(g.shape, np.inf), scalar)
    gg = g[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = np.where(rest > -1.0, rest * (1.0 - gg * rest**2) / (1.0 + rest), -np.inf)
    return _out(np.min(vals, axis=-1), scalar)


def _theorem6_inputs(scheme: SchemeLike, gamma: ArrayLike, zeta: float, L: float, mode: str, beta_kind: str | float,
                     what: str) -> tuple[np.ndarray, bool, float, float, np.ndarray, np.ndarray]:
    """Validated (gamma, scalar, zeta, L, n_W(gamma), beta(gamma)) shared by Theorem 6 and Corollary 7."""
    from ..metrics.randomwalk import effective_neighbors

    scheme = check_scheme(scheme)
    _symmetric_eigenvalues(scheme, what)
    g = check_gamma(gamma)
    z = check_real("zeta", zeta, low=0.0, low_open=True)
    L = check_real("L", L, low=0.0, low_open=True)
    check_choice("mode", mode, ("worst", "mean"))
    nw = np.asarray(effective_neighbors(scheme, g, mode=mode), dtype=float)
    try:
        b = np.asarray(beta(scheme, g, kind=beta_kind), dtype=float)
    except (TypeError, ValueError) as exc:
        raise renamed_error(exc, "kind", "beta_kind") from None
    return g, g.ndim == 0, z, L, nw, b


def theorem6_learning_rate(scheme: SchemeLike, gamma: ArrayLike, *, zeta: float, L: float = 1.0, omega: float | None = None,
                           beta_kind: str | float = "eq34", mode: str = "worst", terms: bool = False) -> Any:
    r"""Theorem 6's largest admissible learning rate (paper eq. 25) as a function of :math:`\gamma`.

    .. math::

        \eta \le \min\Bigl\{\frac{\beta(\gamma)\,\omega}{L},\;
        \frac{1}{4\bigl([n_W(\gamma)^{-1} + \omega]\zeta + L\bigr)}\Bigr\},

    the first term limited by consensus, the second by noise. :math:`\omega \in [0, 1]` defaults to
    :math:`n_W(\gamma)^{-1}` (the paper's figures). Without Assumption 5 (constant diagonal of
    :math:`M`) the worst worker is used: ``mode="worst"``, :math:`n_W^{-1} = \max_i M_{ii}`.
    Where :math:`\beta \le 0` no learning rate is admissible: NaN.

    Note (THEORY §4, figure 3): with these extended-paper constants the rate cannot exceed
    :math:`1/(4(2\zeta/n + L))` (≈ 0.00198 for ``n = 32``, :math:`\zeta = 2000`), while the printed
    figure 3 reaches 0.005–0.01 — it likely used the conference version's constants.

    Parameters
    ----------
    scheme : Scheme
        Static and symmetric (the paper assumes :math:`\lambda_{\min} \ge 1/2`).
    gamma : float or array_like
        Decay(s) in [0, 1).
    zeta : float
        Noise constant :math:`\zeta > 0` of Assumption 4.
    L : float
        Smoothness, > 0.
    omega : float, optional
        In [0, 1]; default :math:`n_W(\gamma)^{-1}`.
    beta_kind : {"eq34", "eq33"} or float
        See :func:`beta`.
    mode : {"worst", "mean"}
        How :math:`n_W` is taken on irregular graphs.
    terms : bool
        Return a dict with both terms, ``beta``, ``omega`` and ``effective_neighbors`` as well.

    Returns
    -------
    float or ndarray, or dict with ``terms=True``

    Examples
    --------
    >>> from topotheory import ring
    >>> round(theorem6_learning_rate(ring(32).lazy(), 0.99, zeta=2000), 8)
    0.00033063
    """
    terms = check_bool("terms", terms)
    scheme = check_scheme(scheme)
    g, scalar, z, L, nw, b = _theorem6_inputs(scheme, gamma, zeta, L, mode, beta_kind, "theorem6_learning_rate")
    om = 1.0 / nw if omega is None else np.full(g.shape, check_real("omega", omega, low=0.0, high=1.0))
    consensus = b * om / L
    noise = 1.0 / (4.0 * ((1.0 / nw + om) * z + L))
    lr = np.where(b > 0, np.minimum(consensus, noise), np.nan)
    if terms:
        return {
            "lr": _out(lr, scalar),
            "consensus_term": _out(consensus, scalar),
            "noise_term": _out(noise, scalar),
            "beta": _out(b, scalar),
            "omega": _out(om, scalar),
            "effective_neighbors": _out(nw, scalar),
        }
    return _out(lr, scalar)


@dataclasses.dataclass(frozen=True, repr=False)
class Corollary7(Result):
    r"""Corollary 7 at the given decay(s): the learning rate, whether its condition holds, n_W, beta.

    Attributes
    ----------
    lr : float or ndarray
        :math:`\eta = (8\zeta/n_W(\gamma) + 4L)^{-1}` at every decay.
    holds : bool or ndarray of bool
        Whether the corollary's condition holds there.
    effective_neighbors : float or ndarray
        :math:`n_W(\gamma)`.
    beta : float or ndarray
        :math:`\beta(\gamma)` (:func:`beta`).
    """

    lr: FloatOrArray
    holds: bool | np.ndarray
    effective_neighbors: FloatOrArray
    beta: FloatOrArray


def corollary7(scheme: SchemeLike, gamma: ArrayLike, *, zeta: float, L: float = 1.0, beta_kind: str | float = "eq34",
               mode: str = "worst") -> Corollary7:
    r"""Corollary 7: :math:`\eta = (8\zeta/n_W(\gamma) + 4L)^{-1}` for the decays where it applies.

    It is Theorem 6 with :math:`\omega = n_W^{-1}` when the noise term is the smaller one, i.e. when

    .. math:: 4\,n_W(\gamma)^{-1}\,\beta(\gamma)\,\bigl(2\,n_W(\gamma)^{-1}\zeta + L\bigr) \ge L .

    **Typo**: the paper prints this inequality with :math:`\le`; the derivation from Theorem 6 (and
    the paper's own remark that the corollary holds for large enough :math:`\beta`) requires
    :math:`\ge`. ``holds`` uses :math:`\ge`.

    Parameters
    ----------
    scheme : Scheme
        Static and symmetric (the paper assumes :math:`\lambda_{\min} \ge 1/2`).
    gamma : float or array_like
        Decay(s) in [0, 1).
    zeta : float
        Noise constant :math:`\zeta > 0` of Assumption 4.
    L : float
        Smoothness, > 0.
    beta_kind : {"eq34", "eq33"} or float
        See :func:`beta`.
    mode : {"worst", "mean"}
        Which :math:`n_W`: the worst worker's (default) or the mean.

    Returns
    -------
    Corollary7
        ``lr`` (the formula, for every decay), ``holds`` (bool, the condition), ``effective_neighbors``
        and ``beta``. Where ``holds``, ``lr`` equals :func:`theorem6_learning_rate`.

    Examples
    --------
    >>> from topotheory import ring
    >>> c = corollary7(ring(32).lazy(), [0.9, 0.999], zeta=2000)
    >>> c.lr.round(7), c.holds
    (array([0.0002836, 0.0016256]), array([ True, False]))
    """
    scheme = check_scheme(scheme)
    g, scalar, z, L, nw, b = _theorem6_inputs(scheme, gamma, zeta, L, mode, beta_kind, "corollary7")
    lr = 1.0 / (8.0 * z / nw + 4.0 * L)
    holds = 4.0 / nw * b * (2.0 * z / nw + L) >= L
    return Corollary7(_out(lr, scalar), bool(holds) if scalar else holds, _out(nw, scalar), _out(b, scalar))


@dataclasses.dataclass(frozen=True, repr=False)
class Corollary8(Result):
    r"""Corollary 8 as printed (``lr``, ``effective_neighbors``) and as we re-derive it (``*_derived``).

    Attributes
    ----------
    lr : float
        The learning rate as printed.
    effective_neighbors : float
        The :math:`n_W` at which it is reached, as printed.
    lr_derived : float
        The learning rate of the re-derivation (:math:`2^{1/3}` times ``lr``).
    effective_neighbors_derived : float
        Its :math:`n_W` (:math:`2^{1/3}` times ``effective_neighbors``).
    """

    lr: float
    effective_neighbors: float
    lr_derived: float
    effective_neighbors_derived: float


def corollary8(*, d_s: float, c_s: float, zeta: float, L: float = 1.0) -> Corollary8:
    r"""Corollary 8: the largest learning rate on a graph of spectral dimension :math:`d_s > 2`.

    As printed (:math:`\zeta \gg L`, :math:`\lambda_{\min} \ge 1/2`):

    .. math::

        \eta = \frac18\Bigl(\frac{c_s(d_s-2)}{\zeta^2 L}\Bigr)^{1/3}
        \quad\text{reached at}\quad n_W = \Bigl(\frac{c_s(d_s-2)\zeta}{L}\Bigr)^{1/3}.

    Our re-derivation (Corollary 7 with :math:`\beta = (1-\gamma)/4`, :math:`\lambda_2 \to 1`, and the
    spectral-dimension relation :math:`n_W^{-1} = (1-\gamma)/(\gamma(d_s-2)c_s)` of eq. 14 with
    :math:`n = \infty`, then :math:`\zeta/L \to \infty`) gives the condition
    :math:`2\zeta c_s(d_s-2)/n_W^3 \ge L`, hence both quantities larger by the factor
    :math:`2^{1/3}`: the printed constants drop a factor 2 (harmless in an :math:`O(\cdot)`
    statement). Both are returned; ``lr``/``effective_neighbors`` are the printed ones.

    Parameters
    ----------
    d_s : float
        Spectral dimension, > 2.
    c_s : float
        Spectral constant (Definition 3), > 0.
    zeta : float
        Noise constant :math:`\zeta > 0`.
    L : float
        Smoothness, > 0.

    Returns
    -------
    Corollary8
        The printed and the re-derived learning rate and :math:`n_W`.

    Examples
    --------
    >>> c = corollary8(d_s=3, c_s=1.0, zeta=1000)
    >>> round(c.lr, 8), round(c.effective_neighbors, 6), round(c.lr_derived / c.lr, 6)
    (0.00125, 10.0, 1.259921)
    """
    d_s = check_real("d_s", d_s, low=2.0, low_open=True)
    c_s = check_real("c_s", c_s, low=0.0, low_open=True)
    z = check_real("zeta", zeta, low=0.0, low_open=True)
    L = check_real("L", L, low=0.0, low_open=True)
    third = 1.0 / 3.0
    nw = _monomial(lambda: (c_s * (d_s - 2.0) * z / L) ** third,
                   (c_s, third), (d_s - 2.0, third), (z, third), (L, -third))
    lr = _monomial(lambda: (c_s * (d_s - 2.0) / (z**2 * L)) ** third / 8.0,
                   (c_s, third), (d_s - 2.0, third), (z, -2 * third), (L, -third), (8.0, -1.0))
    f = 2.0 ** (1.0 / 3.0)
    return Corollary8(lr, nw, f * lr, f * nw)


@dataclasses.dataclass(frozen=True, repr=False)
class RateTerms(Result):
    r"""The terms of an :math:`\tilde O(\cdot)` rate bound (constants and logs dropped), kept apart.

    ``noise`` (the stochastic-gradient term), ``heterogeneity`` (data dissimilarity), ``transient``
    (forgetting the start); ``total`` is their sum; ``effective_neighbors`` the values used (or NaN).

    Attributes
    ----------
    noise : float
        The stochastic-gradient term.
    heterogeneity : float
        The data-dissimilarity term.
    transient : float
        The term of forgetting the start.
    details : dict
        The intermediate values (e.g. the :math:`n_W` used), merged into :meth:`as_dict`.
    """

    noise: float
    heterogeneity: float
    transient: float
    details: dict = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.noise + self.heterogeneity + self.transient

    def as_dict(self) -> dict[str, Any]:
        """The terms and their total as a flat plain dict (for tables), details merged in."""
        return {"noise": self.noise, "heterogeneity": self.heterogeneity, "transient": self.transient,
                "total": self.total, **self.details}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the fields (``details`` nested) and ``total``."""
        out = super().to_dict()
        out["total"] = jsonable(self.total)
        return out


def _positive(name: str, value: Any) -> float:
    return check_real(name, value, low=0.0, low_open=True)


def _monomial(direct: Callable[[], float], *pairs: tuple[float, float]) -> float:
    r"""A product :math:`\prod_k x_k^{e_k}` of positive numbers that never raises on extreme inputs.

    ``direct()`` is the formula as written (used whenever it gives a finite, non-zero float, so
    ordinary values keep their exact rounding); when it overflows, divides by an underflowed zero
    or gives 0/inf, the product is recomputed from :math:`\sum_k e_k \log x_k`: the correctly
    scaled value when it is a float, ``inf`` beyond the float range, ``0.0`` below it. A zero
    factor with a positive exponent gives 0.

    Examples
    --------
    >>> _monomial(lambda: 1.0 / (1e300**2), (1e300, -2.0))
    0.0
    >>> _monomial(lambda: (1.0 / (1e-300**2)) ** (1 / 3), (1e-300, -2 / 3))
    1e+200
    """
    try:
        value = float(direct())
        if math.isfinite(value) and value != 0.0:
            return value
    except (OverflowError, ZeroDivisionError):
        pass
    if any(x == 0.0 and e > 0 for x, e in pairs):
        return 0.0
    exponent = math.fsum(e * math.log(x) for x, e in pairs)
    return math.exp(exponent) if exponent < 709.0 else math.inf


def _n_value(n: Any) -> float:
    """A number of workers: an integer >= 1, or inf (an infinite graph)."""
    if isinstance(n, numbers.Real) and not isinstance(n, (bool, np.bool_)) and math.isinf(n) and float(n) > 0:
        return math.inf
    if isinstance(n, numbers.Real) and not isinstance(n, (bool, np.bool_)) and math.isnan(n):
        raise ValueError("n must be an integer >= 1 or inf, got nan")
    try:
        value = check_int("n", n)
    except TypeError:
        raise TypeError(f"n must be an integer >= 1 or inf (an infinite graph), got {plain(n)}") from None
    return check_real("n", value, low=1.0)


def _steps(T: Any) -> float:
    """A number of steps: an integer >= 1 (any size: the bounds are formulas, nothing is allocated)."""
    if isinstance(T, numbers.Real) and not isinstance(T, (bool, np.bool_)) and not math.isfinite(T):
        raise ValueError(f"T must be a finite integer >= 1 (a number of steps), got {plain(T)}")
    return check_real("T", check_int("T", T), low=1.0)


def _rate_inputs(T: Any, sigma2: float, mu: float, L: float, zeta: float,
                 n: Any) -> tuple[float, float, float, float, float, float]:
    return (_steps(T), _positive("sigma2", sigma2), _positive("mu", mu), _positive("L", L),
            _positive("zeta", zeta), _n_value(n))


def corollary10_rate(*, T: float, sigma2: float, mu: float, L: float, zeta: float, n: float, d_s: float, c_s: float,
                     delta2_W: float = 0.0, p: float = 1.0, large_constant: str = "eq47") -> RateTerms:
    r"""Theorem 9 / Corollary 10: the final rate after ``T`` steps, term by term.

    .. math::

        \tilde O\Bigl(\frac{\sigma^2}{\mu^2 T\, n_W(\gamma^*_{\rm small})}
        + \frac{L\,\Delta_W^2}{\mu^3 p\, T^2}
        + \exp\bigl[-n_W(\gamma^*_{\rm large})\,\mu T/\zeta\bigr]\Bigr),

    :math:`n_W(\gamma^*_{\rm small}) = \min(\sqrt{d_s T/(L c_s)}, n)`,
    :math:`n_W(\gamma^*_{\rm large}) = \min((c_s d_s\zeta/L)^{1/3}, n)`.

    **Inconsistency**: eq. (47) prints :math:`c_s d_s` in :math:`n_W(\gamma^*_{\rm large})` where
    eq. (35) / Corollary 8 have :math:`c_s(d_s-2)`. ``large_constant="eq47"`` (default) uses the
    printed eq. (47); ``"eq35"`` uses :math:`c_s(d_s-2)` (then equal to Corollary 8's
    :math:`n_W` up to the cap ``n``).

    Parameters
    ----------
    T : float
        Number of steps, an integer >= 1 (``1e4`` is accepted as 10000; ``1.5`` is refused).
    sigma2 : float
        Gradient-noise variance at the optimum (> 0).
    mu, L, zeta : float
        Strong convexity, smoothness, noise constant (> 0).
    n : int or inf
        Number of workers, an integer >= 1 or ``inf``.
    d_s, c_s : float
        Spectral dimension and constant (Definition 3); ``d_s > 2`` for ``"eq35"``.
    delta2_W : float
        Heterogeneity :math:`\Delta_W^2 \ge 0`.
    p : float
        The heterogeneity-alignment constant :math:`p \ge 1 - \lambda_2` (THEORY §5), in (0, 1].
    large_constant : {"eq47", "eq35"}
        Which constant in :math:`n_W(\gamma^*_{\rm large})` (above).

    Returns
    -------
    RateTerms

    Examples
    --------
    >>> t = corollary10_rate(T=10**4, sigma2=1.0, mu=0.1, L=1.0, zeta=100.0, n=64, d_s=3, c_s=1.0)
    >>> round(t.noise, 6), round(t.details["effective_neighbors_large"], 4)
    (0.000156, 6.6943)
    """
    T, sigma2, mu, L, z, n = _rate_inputs(T, sigma2, mu, L, zeta, n)
    d_s, c_s = _positive("d_s", d_s), _positive("c_s", c_s)
    delta2_W = check_real("delta2_W", delta2_W, low=0.0)
    p = check_real("p", p, low=0.0, high=1.0, low_open=True)
    check_choice("large_constant", large_constant, ("eq47", "eq35"))
    third = 1.0 / 3.0
    small = min(_monomial(lambda: math.sqrt(d_s * T / (L * c_s)), (d_s, 0.5), (T, 0.5), (L, -0.5), (c_s, -0.5)), n)
    if large_constant == "eq47":
        large = min(_monomial(lambda: (c_s * d_s * z / L) ** third, (c_s, third), (d_s, third), (z, third),
                              (L, -third)), n)
    else:
        if d_s <= 2:
            raise ValueError(f"large_constant='eq35' needs d_s > 2, got d_s = {d_s}")
        large = min(_monomial(lambda: (c_s * (d_s - 2.0) * z / L) ** third, (c_s, third), (d_s - 2.0, third),
                              (z, third), (L, -third)), n)
    return RateTerms(
        noise=_monomial(lambda: sigma2 / (mu**2 * T * small), (sigma2, 1), (mu, -2), (T, -1), (small, -1)),
        heterogeneity=_monomial(lambda: L * delta2_W / (mu**3 * p * T**2), (L, 1), (delta2_W, 1), (mu, -3),
                                (p, -1), (T, -2)),
        transient=math.exp(-_monomial(lambda: large * mu * T / z, (large, 1), (mu, 1), (T, 1), (z, -1))),
        details={"effective_neighbors_small": small, "effective_neighbors_large": large},
    )


def koloskova_rate(*, T: float, sigma2: float, mu: float, L: float, zeta: float, n: float, spectral_gap: float,
                   delta2: float = 0.0) -> RateTerms:
    r"""The Koloskova et al. (2020) rate the paper compares with (eq. 48), term by term.

    .. math::

        \tilde O\Bigl(\frac{\sigma^2}{\mu^2 T}\Bigl[\frac1n + \frac{L}{\mu(1-\lambda_2)T}\Bigr]
        + \frac{L\Delta^2}{\mu^3(1-\lambda_2)^2T^2} + \exp\bigl[-\mu(1-\lambda_2)T/\zeta\bigr]\Bigr)

    ``spectral_gap`` is :math:`1 - \lambda_2` (see :func:`topotheory.spectral_gap` with
    ``kind="lambda2"``) in [0, 1]: a gap of 0 (infinite graphs) makes the bound vacuous (infinite
    terms); a gap above 1 (:math:`\lambda_2 < 0`) is refused, since the rate would then claim
    faster mixing than exact averaging (gap 1). ``T`` is an integer >= 1, ``n`` an integer >= 1 or
    ``inf``. Extreme but legal values never raise: terms beyond the float range are ``inf`` or 0.

    Parameters
    ----------
    T : int
        Number of steps (>= 1).
    sigma2 : float
        Gradient-noise variance at the optimum (> 0).
    mu, L, zeta : float
        Strong convexity, smoothness, noise constant (> 0).
    n : int or inf
        Number of workers.
    spectral_gap : float
        :math:`1 - \lambda_2` in [0, 1].
    delta2 : float
        Heterogeneity :math:`\Delta^2 \ge 0`.

    Returns
    -------
    RateTerms
        The noise, heterogeneity and transient terms.

    Examples
    --------
    >>> t = koloskova_rate(T=10**4, sigma2=1.0, mu=0.1, L=1.0, zeta=100.0, n=64, spectral_gap=0.01)
    >>> round(t.noise, 6), round(t.transient, 6)
    (0.001156, 0.904837)
    """
    T, sigma2, mu, L, z, n = _rate_inputs(T, sigma2, mu, L, zeta, n)
    gap = check_real("spectral_gap", spectral_gap, low=0.0, high=1.0)
    delta2 = check_real("delta2", delta2, low=0.0)
    if gap == 0:
        noise = math.inf
        het = math.inf if delta2 > 0 else 0.0
        transient = 1.0
    else:
        try:  # the formula as written; its two parts apart only where it over- or underflows
            noise = sigma2 / (mu**2 * T) * (1.0 / n + L * (1.0 / gap) / (mu * T))
        except (OverflowError, ZeroDivisionError):
            noise = math.nan
        if not (math.isfinite(noise) and noise != 0.0):
            noise = (_monomial(lambda: math.nan, (sigma2, 1), (mu, -2), (T, -1), (n, -1))
                     + _monomial(lambda: math.nan, (sigma2, 1), (mu, -3), (T, -2), (L, 1), (gap, -1)))
        het = _monomial(lambda: L * delta2 / gap**2 / (mu**3 * T**2), (L, 1), (delta2, 1), (gap, -2), (mu, -3),
                        (T, -2))
        transient = math.exp(-_monomial(lambda: mu * gap * T / z, (mu, 1), (gap, 1), (T, 1), (z, -1)))
    return RateTerms(noise=noise, heterogeneity=het, transient=transient, details={"spectral_gap": gap})
