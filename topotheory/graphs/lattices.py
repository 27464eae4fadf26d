r"""Infinite translation-invariant gossip lattices, described by their Fourier symbol.

:func:`infinite_ring`, :func:`infinite_uni_ring` and :func:`infinite_grid` are the limits of rings,
one-directional rings and tori as ``n -> inf``. Every quantity that is an average over the spectrum
of a finite circulant becomes an integral over the Brillouin zone (the spectral measure of
THEORY §2.4).
"""

from __future__ import annotations

import numbers

from typing import Any
from collections.abc import Callable

import numpy as np

from ..common.validation import check_real, gamma_pair, plain
from ..common.annotations import ArrayLike

__all__ = ["InfiniteGraph", "infinite_ring", "infinite_uni_ring", "infinite_grid"]


# ------------------------------------------------------------------------------ infinite graphs
class InfiniteGraph:
    r"""An infinite translation-invariant gossip lattice, described by its Fourier symbol.

    The eigenvalue attached to the frequency :math:`\theta \in [0, 2\pi)^d` is
    :math:`\mu(\theta) = \sum_m c_m e^{i m\cdot\theta}` for the kernel ``c``. Averages over the
    spectrum of a finite circulant, :math:`\frac1n\sum_k f(\mu_k)`, become
    :math:`\int f(\mu(\theta))\, d\theta/(2\pi)^d` — the spectral measure of THEORY §2.4.

    Parameters
    ----------
    name : str
        A short name (reprs, tables).
    kernel : dict
        ``{offset: weight}``: the weight :math:`c_m` of each lattice offset ``m`` (tuples of one or
        two ints: the lattice :math:`\mathbb{Z}` or :math:`\mathbb{Z}^2`); non-negative, summing to 1.
    resolvent : callable, optional
        A closed form of :meth:`resolvent_mean`, called as ``resolvent(gamma, 1 - gamma)`` per decay;
        default: quadrature.

    Attributes
    ----------
    n : float
        ``inf``.
    name : str
    dim : int
        Lattice dimension.
    is_symmetric : bool
        Whether the symbol is real.

    Notes
    -----
    Use :meth:`resolvent_mean` for :math:`\int m/(1 - \gamma m)` with :math:`m = |\mu|^2` (closed
    forms or one-dimensional reductions, accurate as :math:`\gamma \to 1`), and
    :meth:`spectral_mean` for any other function of :math:`\mu` (adaptive quadrature).

    Examples
    --------
    >>> lazy = InfiniteGraph("lazy ring", {(0,): 0.5, (1,): 0.25, (-1,): 0.25})
    >>> lazy, float(lazy.symbol(0.0)), lazy.is_symmetric
    (InfiniteGraph('lazy ring', dim=1), 1.0, True)
    """

    n = float("inf")
    period = 1
    is_static = True
    is_circulant = True

    def __init__(self, name: str, kernel: Any, resolvent: Callable[[float, float], float] | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {plain(name)}")
        self.name = name
        self._kernel = _check_kernel(kernel)
        if not self._kernel:
            raise ValueError("kernel must map at least one lattice offset to a weight")
        dims = {len(off) for off in self._kernel}
        if len(dims) != 1 or dims.pop() not in (1, 2):
            raise ValueError("kernel offsets must all be 1-D or all 2-D tuples (lattices Z or Z^2)")
        weights = np.array(list(self._kernel.values()))
        if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-12):
            raise ValueError("kernel weights must be non-negative and sum to 1 (a doubly stochastic lattice)")
        self.dim = len(next(iter(self._kernel)))
        self.is_symmetric = all(
            np.isclose(w, self._kernel.get(tuple(-o for o in off), 0.0)) for off, w in self._kernel.items()
        )
        self._resolvent = resolvent
        self.params: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"InfiniteGraph({self.name!r}, dim={self.dim})"

    def symbol(self, *theta: Any) -> Any:
        r"""The eigenvalue :math:`\mu(\theta)` (real for symmetric lattices)."""
        theta = np.broadcast_arrays(*[np.asarray(t, dtype=float) for t in theta])
        out = np.zeros(theta[0].shape, dtype=complex)
        for off, w in self._kernel.items():
            out += w * np.exp(1j * sum(o * t for o, t in zip(off, theta)))
        return out.real if self.is_symmetric else out

    def spectral_mean(self, func: Callable[[Any], Any], *, epsabs: float = 1e-13, epsrel: float = 1e-11) -> float:
        r"""Integrate ``func(mu)`` over the spectral measure: :math:`\int f(\mu(\theta)) d\theta/(2\pi)^d`.

        ``func`` receives the (real, for symmetric lattices) eigenvalue; adaptive quadrature with a
        break point at :math:`\theta = 0`, where :math:`\mu = 1` and integrands of the theory peak.

        Examples
        --------
        >>> g = infinite_ring()
        >>> round(g.spectral_mean(lambda lam: lam**2), 12)  # E[((1 + 2 cos t)/3)^2] = 1/3
        0.333333333333
        """
        import scipy.integrate as si  # lazy: scipy.integrate costs ~0.5 s at import time

        if self.dim == 1:
            f = lambda t: np.real(func(self.symbol(t)))  # noqa: E731
            val, _ = si.quad(f, 0.0, np.pi, epsabs=epsabs, epsrel=epsrel, limit=500)
            g = lambda t: np.real(func(self.symbol(-t)))  # noqa: E731
            val2, _ = si.quad(g, 0.0, np.pi, epsabs=epsabs, epsrel=epsrel, limit=500)
            return float((val + val2) / (2 * np.pi))
        if self.dim == 2:
            def inner(t1: float) -> float:
                h = lambda t2: np.real(func(self.symbol(t1, t2)))  # noqa: E731
                a, _ = si.quad(h, -np.pi, 0.0, epsabs=epsabs, epsrel=epsrel, limit=200)
                b, _ = si.quad(h, 0.0, np.pi, epsabs=epsabs, epsrel=epsrel, limit=200)
                return a + b
            a, _ = si.quad(inner, -np.pi, 0.0, epsabs=epsabs, epsrel=epsrel, limit=200)
            b, _ = si.quad(inner, 0.0, np.pi, epsabs=epsabs, epsrel=epsrel, limit=200)
            return float((a + b) / (2 * np.pi) ** 2)
        raise AssertionError("unreachable: the constructor admits dimensions 1 and 2 only")

    def resolvent_mean(self, gamma: ArrayLike, *, one_minus_gamma: ArrayLike | None = None) -> np.ndarray:
        r"""The spectral average :math:`R(\gamma) = \int \frac{m}{1 - \gamma m}\, d\sigma`, :math:`m = |\mu|^2`.

        This is all the random-walk covariance and the toy problem's secular equation need:
        :math:`n_W(\gamma)^{-1} = (1-\gamma) R(\gamma)` and the secular equation reads
        :math:`1 = (b/\rho) R(a/\rho)`. Vectorised over ``gamma``. Pass ``one_minus_gamma`` for
        full precision as :math:`\gamma \to 1`.
        """
        gamma, c = gamma_pair(gamma, one_minus_gamma)
        flat_g, flat_c = gamma.ravel(), c.ravel()
        resolvent = self._resolvent or self._quadrature_resolvent
        out = np.array([resolvent(g, cc) for g, cc in zip(flat_g, flat_c)], dtype=float)
        return out.reshape(gamma.shape)


    def _quadrature_resolvent(self, g: float, c: float) -> float:
        # Generic lattices (no closed form known): 1-D ones by the split quadrature of
        # :func:`_split_resolvent_1d` (exact as 1 - gamma -> 0), 2-D ones by adaptive quadrature
        # of the definition.
        if self.dim == 1:
            return _split_resolvent_1d(self._kernel, g, c)
        return self.spectral_mean(lambda mu: np.abs(mu) ** 2 / (c + g * (1.0 - np.abs(mu) ** 2)))


def _split_resolvent_1d(kernel: Any, g: float, c: float, *, epsrel: float = 1e-12) -> float:
    r""":math:`\int_0^{2\pi} \frac{m}{c + g (1 - m)} \frac{d\theta}{2\pi}` for a kernel on :math:`\mathbb{Z}`.

    Accurate to a relative error of about ``1e-10`` for every ``c = 1 - gamma`` in (0, 1], down to
    ``c = 1e-300``, where plain quadrature of :math:`m/(1 - \gamma m)` fails (at ``c = 1e-12`` it
    returns a negative n_W). Two things make it so:

    * the deficit :math:`1 - m = 1 - |\mu|^2 = \sum_{k<l} 4 w_k w_l \sin^2((k - l)\theta/2)` is
      summed from positive terms, never formed as ``1 - m`` (which loses every digit once
      :math:`1 - m` is near machine precision while ``c`` is smaller still);
    * :math:`1 - m` vanishes exactly at :math:`\theta_j = 2\pi j/G`, ``G`` the gcd of the offset
      differences, where the integrand peaks with width about :math:`\sqrt{c}`: each interval
      between two such points is cut into segments growing geometrically (factor 4) from
      :math:`\sqrt{c}/\max|k - l|` at both ends, and each segment is integrated by adaptive
      quadrature (few points, since the integrand is smooth on the scale of its segment).

    A kernel on a single offset (a shift) has :math:`m \equiv 1`: the resolvent is ``1/c``.
    """
    offsets = np.array([off[0] for off, w in kernel.items() if w > 0], dtype=np.int64)
    weights = np.array([w for w in kernel.values() if w > 0], dtype=float)
    weights = weights / weights.sum()
    i, j = np.triu_indices(offsets.size, k=1)
    diffs = np.abs(offsets[i] - offsets[j])
    coefs = 4.0 * weights[i] * weights[j]
    if diffs.size == 0:
        return 1.0 / c
    G = int(np.gcd.reduce(diffs))
    diffs = diffs // G  # substitute phi = G theta: the singular points become multiples of 2 pi

    def integrand(phi: float) -> np.ndarray:
        deficit = coefs @ np.sin(np.multiply.outer(diffs, np.atleast_1d(phi)) / 2.0) ** 2
        return (1.0 - deficit) / (c + g * deficit)

    # One period of phi in [0, 2 pi) covers theta in [0, 2 pi / G), and the integrand in theta has
    # period 2 pi / G: the mean over theta equals the mean over phi. The deficit is even about
    # phi = pi (sin^2(d (2 pi - phi)/2) = sin^2(d phi/2) for integer d), so the mean is that over
    # [0, pi], cut geometrically from the singular point phi = 0 (never evaluated as 2 pi - phi,
    # which rounds to 2 pi when phi is below the resolution of 2 pi).
    start = min(np.sqrt(c) / float(diffs.max()), np.pi / 2)
    edges = [0.0]
    w = start
    while w < np.pi:
        edges.append(w)
        w *= 4.0
    edges.append(np.pi)
    import scipy.integrate as si

    quad = lambda f, lo, hi: si.quad(f, lo, hi, epsabs=0.0, epsrel=epsrel, limit=200)[0]  # noqa: E731
    scalar = lambda phi: float(integrand(phi)[0])  # noqa: E731
    total = sum(quad(scalar, lo, hi) for lo, hi in zip(edges, edges[1:]))
    return float(total / np.pi)


def _check_kernel(kernel: Any) -> dict[tuple[int, ...], float]:
    """``{offset tuple: weight}`` with integer offsets and finite real weights, or a clear error."""
    if not isinstance(kernel, dict):
        raise TypeError(f"kernel must be a dict mapping lattice offsets (tuples of ints) to weights, got {plain(kernel)}")
    out = {}
    for off, w in kernel.items():
        if not isinstance(off, tuple) or not all(isinstance(o, numbers.Integral) and not isinstance(o, bool)
                                                 for o in off):
            raise TypeError(f"kernel offsets must be tuples of ints such as (1,) or (0, -1), got {plain(off)}")
        out[tuple(int(o) for o in off)] = check_real(f"kernel[{off}]", w)  # sign checked below
    return out


_SMALL_GAMMA = 0.05


def _periodic_trapezoid(func: Callable[..., Any], dim: int, points: int = 256) -> float:
    """Trapezoid rule on [0, 2pi)^dim: spectrally accurate for smooth periodic integrands."""
    t = 2 * np.pi * np.arange(points) / points
    grids = np.meshgrid(*([t] * dim), indexing="ij")
    return float(np.mean(func(*grids)))


def _ring_resolvent(g: float, c: float) -> float:
    # E[lam^2/(1 - g lam^2)] for lam = (1 + 2 cos t)/3; closed form via E[1/(A - B cos t)] =
    # 1/sqrt(A^2 - B^2) after a partial fraction in s = sqrt(g) (THEORY §2.4).
    if g < _SMALL_GAMMA:
        lam = lambda t: (1 + 2 * np.cos(t)) / 3  # noqa: E731
        return _periodic_trapezoid(lambda t: lam(t) ** 2 / (1 - g * lam(t) ** 2), 1)
    s = np.sqrt(g)
    one_minus_s = c / (1 + s)
    minus = 3 * one_minus_s * (3 + s)  # (3 - s)^2 - 4 s^2
    plus = 3 * (1 + s) * (3 - s)  # (3 + s)^2 - 4 s^2
    return float((1.5 * (1 / np.sqrt(minus) + 1 / np.sqrt(plus)) - 1) / g)


def _uni_ring_resolvent(g: float, c: float) -> float:
    # m = |(1 + e^{it})/2|^2 = (1 + cos t)/2, E[m/(1 - g m)] = 1/(sqrt(c)(1 + sqrt(c))).
    rc = np.sqrt(c)
    return float(1.0 / (rc * (1.0 + rc)))


def _grid_resolvent(g: float, c: float) -> float:
    # lam = (1 + 2 cos t1 + 2 cos t2)/5. Integrate t2 in closed form, t1 by adaptive quadrature.
    if g < _SMALL_GAMMA:
        lam = lambda t1, t2: (1 + 2 * np.cos(t1) + 2 * np.cos(t2)) / 5  # noqa: E731
        return _periodic_trapezoid(lambda a, b: lam(a, b) ** 2 / (1 - g * lam(a, b) ** 2), 2, points=128)
    import scipy.integrate as si

    s = np.sqrt(g)

    def inner(t1: float) -> float:
        alpha = 1 + 2 * np.cos(t1)
        # (5 - s alpha)^2 - 4 s^2 = (5 - s alpha - 2 s)(5 - s alpha + 2 s); the first factor
        # vanishes at t1 = 0 as s -> 1: write it as 5(1 - s) + s(3 - alpha) without cancellation.
        f1 = 5 * (c / (1 + s)) + s * 4 * np.sin(t1 / 2) ** 2  # 3 - alpha = 2(1 - cos t1)
        minus = f1 * (5 - s * alpha + 2 * s)
        plus = (5 + s * alpha - 2 * s) * (5 + s * alpha + 2 * s)
        return 2.5 * (1 / np.sqrt(minus) + 1 / np.sqrt(plus))

    # The integrand peaks at t1 = 0 with width ~ sqrt(1 - gamma): integrate over geometrically
    # growing segments starting at that width, each of which quad resolves easily.
    edges = [0.0]
    w = np.sqrt(c)
    while w < np.pi:
        edges.append(w)
        w *= 8.0
    edges.append(np.pi)
    total = sum(si.quad(inner, lo, hi, epsabs=0, epsrel=1e-11, limit=200)[0] for lo, hi in zip(edges, edges[1:]))
    mean_res = total / np.pi  # E[ (1/(1 - s lam) + 1/(1 + s lam)) / 2 ] = E[1/(1 - g lam^2)]
    return float((mean_res - 1.0) / g)


def infinite_ring() -> InfiniteGraph:
    r"""The infinite ring :math:`\mathbb{Z}` with weights 1/3: :math:`\lambda(\theta) = (1 + 2\cos\theta)/3`.

    Spectral gap 0, yet D-SGD converges on it with a learning rate bounded away from zero; its
    effective number of neighbours grows like :math:`\sqrt{8/3}\,(1-\gamma)^{-1/2}`.

    Returns
    -------
    InfiniteGraph
        The lattice :math:`\mathbb{Z}`.

    Examples
    --------
    >>> from topotheory import effective_neighbors
    >>> round(float(effective_neighbors(infinite_ring(), 0.0)), 10)
    3.0
    """
    return InfiniteGraph("infinite_ring", {(0,): 1 / 3, (1,): 1 / 3, (-1,): 1 / 3}, _ring_resolvent)


def infinite_uni_ring() -> InfiniteGraph:
    r"""The infinite one-directional ring, :math:`\mu(\theta) = (1 + e^{i\theta})/2`.

    Its effective number of neighbours is exactly :math:`1 + 1/\sqrt{1-\gamma}`.

    Returns
    -------
    InfiniteGraph
        The one-directional lattice :math:`\mathbb{Z}`.

    Examples
    --------
    >>> from topotheory import effective_neighbors
    >>> float(effective_neighbors(infinite_uni_ring(), 0.75))
    3.0
    """
    return InfiniteGraph("infinite_uni_ring", {(0,): 0.5, (1,): 0.5}, _uni_ring_resolvent)


def infinite_grid() -> InfiniteGraph:
    r"""The infinite 2-D grid :math:`\mathbb{Z}^2` with weights 1/5.

    :math:`\lambda(\theta_1, \theta_2) = (1 + 2\cos\theta_1 + 2\cos\theta_2)/5`; as
    :math:`\gamma \to 1`, :math:`n_W \approx 8\pi / (5 (1-\gamma)\ln(1/(1-\gamma)))`.

    Returns
    -------
    InfiniteGraph
        The lattice :math:`\mathbb{Z}^2`.

    Examples
    --------
    >>> from topotheory import effective_neighbors
    >>> round(float(effective_neighbors(infinite_grid(), 0.0)), 10)
    5.0
    """
    kernel = {(0, 0): 0.2, (1, 0): 0.2, (-1, 0): 0.2, (0, 1): 0.2, (0, -1): 0.2}
    return InfiniteGraph("infinite_grid", kernel, _grid_resolvent)
