r"""Symbolic derivations (sympy) of the toy problem's closed forms, used as test oracles and docs.

Everything here is *derived*, not typed in: the noise level from Isserlis' theorem, the rates from
the second-moment map and the secular equation, optima from :math:`r'(\eta) = 0`, stability edges
from :math:`r(\eta) = 0`. The numerical routines of :mod:`topotheory.quadratic` are checked against
the lambdified results.

Symbols: :data:`ETA` (learning rate :math:`\eta`), :data:`ZETA` (noise level :math:`\zeta`),
:data:`N` (number of workers), :data:`RHO` (per-step Perron root :math:`\rho = 1 - r`).

sympy is imported lazily, so ``import topotheory`` stays fast.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any, Callable, Sequence

import numpy as np

from ..common.validation import check_choice, check_int, plain

__all__ = [
    "symbols",
    "noise_level",
    "second_moment_coefficients",
    "secular_equation",
    "secular_rate",
    "closed_forms",
    "oracle",
]

_KINDS = ("alone", "fully_connected")


@functools.lru_cache(maxsize=None)
def symbols() -> tuple[Any, Any, Any, Any]:
    """The sympy symbols ``(eta, zeta, n, rho)`` used by every expression of this module.

    Returns
    -------
    tuple of sympy.Symbol
        ``(eta, zeta, n, rho)``, all declared positive.

    Examples
    --------
    >>> symbols()
    (eta, zeta, n, rho)
    """
    import sympy as sp

    eta, zeta, n, rho = sp.symbols("eta zeta n rho", positive=True)
    return eta, zeta, n, rho


def _isserlis(indices: Sequence[int]) -> int:
    """E[prod_k a_{indices[k]}] for a ~ N(0, I) by Isserlis' (Wick's) theorem: a sum over pairings."""
    indices = list(indices)
    if not indices:
        return 1
    if len(indices) % 2:
        return 0
    first, rest = indices[0], indices[1:]
    total = 0
    for k, other in enumerate(rest):
        if other == first:
            total += _isserlis(rest[:k] + rest[k + 1 :])
    return total


def noise_level(d: int, batch_size: int = 1) -> Any:
    r"""Derive :math:`\zeta = \mathbb{E}\|g(x)\|^2/\|x\|^2` for the mini-batch gradient, exactly.

    :math:`g(x) = \frac1b\sum_k a_k a_k^T x` with :math:`a_k \sim N(0, I_d)` i.i.d.: the fourth
    moments are expanded with Isserlis' theorem over symbolic coordinates of ``x`` (an independent
    route to the closed form :math:`(1 + b + d)/b` of :func:`topotheory.zeta`).

    Parameters
    ----------
    d : int
        Dimension (small: the expansion has :math:`O(d^4)` terms).
    batch_size : int
        Mini-batch size :math:`b \ge 1`.

    Returns
    -------
    sympy.Rational
        :math:`\zeta`, which equals :math:`(1 + b + d)/b`.

    Examples
    --------
    >>> noise_level(3), noise_level(2, batch_size=3)
    (5, 2)
    """
    import sympy as sp

    d = check_int("d", d, minimum=1, maximum=12)
    b = check_int("batch_size", batch_size, minimum=1)
    x = sp.symbols(f"x0:{d}", real=True)
    # ||g||^2 = (1/b^2) sum_{k,l} (a_k.x)(a_l.x)(a_k.a_l); only k == l and k != l patterns matter.
    same = 0  # E[(a.x)^2 |a|^2]
    for p, q, i in itertools.product(range(d), repeat=3):
        same += x[p] * x[q] * _isserlis([p, q, i, i])
    cross = 0  # E[(a.x) a]. E[(a'.x) a'] for independent a, a' = x.x
    for i, p, q in itertools.product(range(d), repeat=3):
        cross += x[p] * x[q] * _isserlis([p, i]) * _isserlis([q, i])
    total = (b * same + b * (b - 1) * cross) / sp.Integer(b) ** 2
    norm2 = sum(xi**2 for xi in x)
    return sp.nsimplify(sp.simplify(total / norm2))


def second_moment_coefficients() -> tuple[Any, Any]:
    r"""The coefficients :math:`(a, \beta)` of :math:`C \leftarrow W[aC + \beta\,\mathrm{Diag}\,C]W^T`.

    Off the diagonal the two workers' gradient noises are independent with mean :math:`x`, so
    :math:`\mathbb{E}\langle(I-\eta H)x, (I-\eta H')y\rangle = (1-\eta)^2\langle x, y\rangle`; on
    the diagonal :math:`\mathbb{E}\|(I - \eta H)x\|^2 = (1 - 2\eta + \zeta\eta^2)\|x\|^2`. Hence
    :math:`a = (1-\eta)^2` and :math:`\beta = (1 - 2\eta + \zeta\eta^2) - a`.

    Returns
    -------
    tuple of sympy.Expr
        ``(a, beta)`` in the symbols ``eta, zeta``.

    Examples
    --------
    >>> second_moment_coefficients()
    ((1 - eta)**2, eta**2*(zeta - 1))
    """
    import sympy as sp

    eta, zeta, _, _ = symbols()
    a = (1 - eta) ** 2
    diag = 1 - 2 * eta + zeta * eta**2  # E|x - eta H x|^2 / |x|^2 with E H = I, E|Hx|^2 = zeta |x|^2
    beta = sp.factor(sp.expand(diag - a))
    return a, beta


def secular_equation(eigenvalues: Sequence[Any] | None = None) -> Any:
    r"""The secular equation of THEORY §3.3 route 3 as a sympy ``Eq``.

    .. math:: 1 = \frac{\beta}{n}\sum_i \frac{\lambda_i^2}{\rho - a\lambda_i^2}

    Parameters
    ----------
    eigenvalues : sequence, optional
        The spectrum of ``W`` (numbers or sympy expressions, with multiplicity). Default: a generic
        symbolic spectrum :math:`\lambda_0, \dots, \lambda_{n-1}` written as an indexed sum.

    Returns
    -------
    sympy.Eq
        The equation in :math:`\rho, \eta, \zeta` (and :math:`n` for the generic spectrum).

    Examples
    --------
    >>> secular_equation([1, 0, 0])
    Eq(1, eta**2*(zeta - 1)/(3*(rho - (1 - eta)**2)))
    """
    import sympy as sp

    eta, zeta, n, rho = symbols()
    a, beta = second_moment_coefficients()
    if eigenvalues is None:
        i = sp.Idx("i")
        lam = sp.IndexedBase("lambda")
        return sp.Eq(1, beta / n * sp.Sum(lam[i] ** 2 / (rho - a * lam[i] ** 2), (i, 0, n - 1)))
    ev = _check_spectrum(eigenvalues)
    k = len(ev)
    return sp.Eq(1, sp.together(beta / k * sum(e**2 / (rho - a * e**2) for e in ev)))


#: Largest explicit spectrum accepted by :func:`secular_equation` and :func:`secular_rate`.
MAX_SPECTRUM = 64


def _check_spectrum(eigenvalues: Any) -> list[Any]:
    """The spectrum as a list of sympy numbers, or a clear error naming ``eigenvalues``."""
    import sympy as sp

    if isinstance(eigenvalues, (str, bytes, dict)) or not hasattr(eigenvalues, "__len__"):
        raise TypeError(f"eigenvalues must be a sequence of numbers (the spectrum of W), got {plain(eigenvalues)}")
    if not 1 <= len(eigenvalues) <= MAX_SPECTRUM:
        raise ValueError(f"eigenvalues must hold between 1 and {MAX_SPECTRUM} values, got {len(eigenvalues)}")
    out = []
    for e in eigenvalues:
        if isinstance(e, (bool, np.bool_)):
            raise TypeError(f"eigenvalues must be real numbers or sympy expressions, got {plain(e)}")
        try:
            v = sp.nsimplify(e)
        except (sp.SympifyError, TypeError, ValueError):
            raise TypeError(f"eigenvalues must be real numbers or sympy expressions, got {plain(e)}") from None
        if v.is_real is False or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ValueError(f"eigenvalues must be finite real numbers, got {plain(e)}")
        if v.is_number and abs(float(v)) > 1:
            raise ValueError(f"eigenvalues of a gossip matrix lie in [-1, 1], got {plain(e)}")
        out.append(v)
    return out


def secular_rate(eigenvalues: Sequence[Any]) -> Any:
    r"""The rate :math:`r = 1 - \rho` solving the secular equation for a small explicit spectrum.

    Clears denominators and returns the largest root of the resulting polynomial in :math:`\rho`
    (the Perron root lies right of every pole :math:`a\lambda_i^2`), as an expression in
    :math:`\eta, \zeta`. Exact for vertex-transitive graphs (ring, hypercube, ...).

    Parameters
    ----------
    eigenvalues : sequence
        The spectrum of ``W`` with multiplicity (numbers, strings such as ``"1/3"`` or sympy
        expressions), at most ``MAX_SPECTRUM`` values in [-1, 1].

    Returns
    -------
    sympy.Expr
        :math:`r(\eta, \zeta)`.

    Raises
    ------
    ValueError
        When the secular polynomial has no closed-form roots.

    Examples
    --------
    The ring of 4 (eigenvalues 1, 1/3, 1/3, -1/3) at :math:`\eta = 0.1, \zeta = 10`:

    >>> eta, zeta, _, _ = symbols()
    >>> round(float(secular_rate([1, "1/3", "1/3", "-1/3"]).subs({eta: 0.1, zeta: 10})), 12)
    0.167270479836
    """
    import sympy as sp

    eta, zeta, _, rho = symbols()
    eq = secular_equation(_check_spectrum(eigenvalues))
    num, _ = sp.fraction(sp.together(eq.rhs - eq.lhs))
    poly = sp.Poly(sp.expand(num), rho)
    roots = sp.roots(poly, rho)
    if sum(roots.values()) != poly.degree():
        raise ValueError("could not solve the secular polynomial in closed form; use quadratic_rate")
    # the largest root for positive eta < 1, zeta > 1: pick it numerically at a generic point
    probe = {eta: sp.Rational(1, 7), zeta: sp.Rational(13, 3)}
    best = max(roots, key=lambda r: complex(r.subs(probe).evalf()).real)
    return sp.simplify(1 - best)


@functools.lru_cache(maxsize=None)
def closed_forms(kind: str) -> dict[str, Any]:
    r"""Derived closed forms for ``"alone"`` (:math:`W = I`) or ``"fully_connected"`` (:math:`W = J`).

    * ``rate``: alone, :math:`W = I` makes :math:`T(C) = aC + \beta\,\mathrm{Diag}\,C` whose Perron
      vector is diagonal, :math:`\rho = a + \beta`; fully connected, the secular equation with
      spectrum :math:`\{1, 0, \dots, 0\}` reads :math:`1 = \beta/(n(\rho - a))`,
      :math:`\rho = a + \beta/n`.
    * ``optimal_lr`` and ``optimal_rate``: from :math:`r'(\eta) = 0`.
    * ``max_lr``: the positive root of :math:`r(\eta) = 0` (the stability edge).

    Parameters
    ----------
    kind : {"alone", "fully_connected"}
        :math:`W = I` or :math:`W = J`.

    Returns
    -------
    dict
        ``{"rate", "optimal_lr", "optimal_rate", "max_lr"}`` to sympy expressions in
        :math:`\eta, \zeta` (and :math:`n`).

    Examples
    --------
    >>> f = closed_forms("alone")
    >>> f["rate"], f["optimal_lr"], f["optimal_rate"], f["max_lr"]
    (-eta*(eta*zeta - 2), 1/zeta, 1/zeta, 2/zeta)
    >>> g = closed_forms("fully_connected")
    >>> g["optimal_lr"], g["max_lr"]
    (n/(n + zeta - 1), 2*n/(n + zeta - 1))
    """
    import sympy as sp

    check_choice("kind", kind, _KINDS)
    eta, zeta, n, rho = symbols()
    a, beta = second_moment_coefficients()
    if kind == "alone":
        rho_expr = a + beta
    else:
        eq = secular_equation([1] + [0] * 3)  # structure check on a concrete size ...
        sol = sp.solve(sp.Eq(1, beta / (n * (rho - a))), rho)  # ... and the general n
        rho_expr = sol[0]
        assert sp.simplify(sp.solve(eq, rho)[0] - rho_expr.subs(n, 4)) == 0
    rate = sp.factor(sp.expand(1 - rho_expr))
    crit = [s for s in sp.solve(sp.diff(rate, eta), eta) if s != 0]
    opt = sp.simplify(crit[0])
    edges = [s for s in sp.solve(rate, eta) if s != 0]
    return {
        "rate": rate,
        "optimal_lr": opt,
        "optimal_rate": sp.simplify(rate.subs(eta, opt)),
        "max_lr": sp.simplify(edges[0]),
    }


def oracle(kind: str, quantity: str) -> Callable[..., Any]:
    r"""A numpy function compiled (``sympy.lambdify``) from :func:`closed_forms`.

    Arguments are ``(eta, zeta)`` for ``rate`` of ``"alone"``, ``(zeta,)`` for its optima/edge,
    and with ``n`` appended for ``"fully_connected"``.

    Parameters
    ----------
    kind : {"alone", "fully_connected"}
        :math:`W = I` or :math:`W = J`.
    quantity : {"rate", "optimal_lr", "optimal_rate", "max_lr"}
        Which closed form of :func:`closed_forms`.

    Returns
    -------
    callable
        A numpy function of ``(eta, zeta[, n])`` or ``(zeta[, n])``.

    Examples
    --------
    >>> oracle("fully_connected", "optimal_lr")(50, 32)
    0.3950617283950617
    >>> oracle("alone", "rate")(0.01, 50)
    0.015
    """
    import sympy as sp

    check_choice("quantity", quantity, ("rate", "optimal_lr", "optimal_rate", "max_lr"))
    expr = closed_forms(kind)[quantity]
    eta, zeta, n, _ = symbols()
    args = ([eta] if quantity == "rate" else []) + [zeta] + ([n] if kind == "fully_connected" else [])
    return sp.lambdify(args, expr, "numpy")
