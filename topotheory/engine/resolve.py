"""The one dispatch point: which representation a scheme resolves to, decided once and cached."""

from __future__ import annotations

from typing import Any

from ..common.annotations import SchemeLike
from ..common.validation import check_choice
from ..graphs.lattices import InfiniteGraph
from ..graphs.random import RandomScheme
from ..graphs.scheme import check_scheme
from .base import Representation
from .dense import DensePeriodicRepresentation
from .eigen import EigenRepresentation
from .fourier import FourierRepresentation
from .krylov import KRYLOV_MAX_DENSITY, KRYLOV_MIN_N, KrylovRepresentation
from .random import RandomRepresentation
from .spectral_measure import SpectralMeasureRepresentation

__all__ = ["ROUTES", "LANCZOS_MIN_N", "LANCZOS_MAX_DENSITY", "resolve", "extremes_route"]

#: Route names accepted by :func:`resolve` (``"lyapunov"`` is the functionals' name of ``"dense"``).
ROUTES = ("auto", "fourier", "eigen", "dense", "lyapunov", "spectral-measure", "random", "krylov")

#: Smallest ``n`` from which the automatic route takes the extreme eigenvalues of a sparse static
#: symmetric scheme (spectral gap, contraction) by sparse Lanczos instead of every eigenvalue.
#: Measured (one BLAS thread, CPU): the two cost the same near n = 256-384 (~0.01 s); at 512 Lanczos
#: takes 0.011 s against 0.03 s, at 1024 0.015 s against 0.13-0.19 s, at 4096 0.034 s against 9.0 s.
LANCZOS_MIN_N = 512
#: Largest fraction of non-zero entries for that choice (the matrix stored sparse).
LANCZOS_MAX_DENSITY = 0.05


def _held_sparse(scheme: Any, density: float) -> bool:
    """True when the (static) scheme's matrix is stored sparse with at most ``density * n**2`` non-zeros."""
    return bool(scheme.is_sparse(0) and scheme.sparse_matrix(0).nnz <= density * scheme.n**2)


def _large_sparse(scheme: Any) -> bool:
    """True for a static scheme with ``n > KRYLOV_MIN_N`` held as a sparse matrix of low density."""
    return scheme.n > KRYLOV_MIN_N and _held_sparse(scheme, KRYLOV_MAX_DENSITY)


def _sparse_extremes(scheme: Any) -> bool:
    """True for a static scheme with ``n >= LANCZOS_MIN_N`` held sparse with few non-zeros."""
    return scheme.n >= LANCZOS_MIN_N and _held_sparse(scheme, LANCZOS_MAX_DENSITY)


def extremes_route(scheme: SchemeLike) -> str:
    r"""The route of the automatic spectral gap and contraction of ``scheme`` (what :func:`resolve` picks).

    ``"spectral-measure"`` (infinite graphs: gap 0), ``"random"`` (the expected contraction of a
    random scheme), ``"fourier"`` (circulant: the Fourier modes), ``"lanczos"`` (static symmetric,
    not circulant, stored sparse with ``n >= LANCZOS_MIN_N`` (512) and at most
    ``LANCZOS_MAX_DENSITY`` (5 %) non-zeros: sparse Lanczos on :math:`W - J`, exact to its Ritz
    residual, below :math:`10^{-11}`), ``"eigen"`` (other static symmetric: every eigenvalue by
    LAPACK's eigenvalue-only driver) or ``"dense"`` (the dense one-period product).

    Parameters
    ----------
    scheme : Scheme, RandomScheme, InfiniteGraph, networkx.Graph, ndarray or sparse matrix
        The gossip scheme.

    Returns
    -------
    str
        The route name.

    Examples
    --------
    >>> from topotheory import Scheme, ring, star, random_regular
    >>> [extremes_route(s) for s in (ring(600), star(600), star(100), random_regular(600, 4, seed=0))]
    ['fourier', 'lanczos', 'eigen', 'lanczos']
    >>> extremes_route(Scheme.from_matrix(star(600).matrix(0)))  # held as a dense array
    'eigen'
    """
    rep = resolve(scheme)
    if rep.route == "krylov":
        return "lanczos"
    if isinstance(rep, EigenRepresentation):
        return rep.extremes_route
    return rep.route


def resolve(scheme: SchemeLike, route: str = "auto") -> Representation:
    """The representation of ``scheme`` (cached on the scheme), automatic or by name.

    The automatic order: infinite graphs → spectral measure; random i.i.d. schemes → random; circulant schemes (any period, even
    when symmetric) → Fourier; static symmetric with ``n > KRYLOV_MIN_N`` (4096) held as a sparse
    matrix with at most ``KRYLOV_MAX_DENSITY`` (1 %) non-zeros → matrix-free Krylov
    (:mod:`topotheory.engine.krylov`: spectral gaps exact to the Lanczos residual, ``n_W`` (mean)
    estimated to a relative ``1e-4`` within a time budget, per-worker values certified); other
    static symmetric → eigenbasis, whose extreme eigenvalues (the spectral gap, the contraction)
    come from sparse Lanczos when the matrix is stored sparse with ``n >= LANCZOS_MIN_N`` (512) and
    at most ``LANCZOS_MAX_DENSITY`` (5 %) non-zeros (:func:`extremes_route`); anything else → dense
    one-period maps. This function is the only place in the package that looks at a scheme's kind.

    Parameters
    ----------
    scheme : Scheme, RandomScheme, InfiniteGraph, networkx.Graph, ndarray or sparse matrix
        The gossip scheme (graphs and matrices are converted by :func:`~topotheory.as_scheme`).
    route : {"auto", "fourier", "eigen", "dense", "lyapunov", "spectral-measure", "random", "krylov"}
        A named route is checked for applicability (ValueError otherwise).

    Returns
    -------
    Representation
        The representation, built once and cached on the scheme per route.

    Examples
    --------
    >>> from topotheory import ring, star, infinite_ring, one_peer_exponential
    >>> [resolve(s).route for s in (ring(8), star(8), one_peer_exponential(8), infinite_ring())]
    ['fourier', 'eigen', 'fourier', 'spectral-measure']
    >>> resolve(ring(8), "lyapunov").route
    'dense'
    >>> resolve(star(8), "krylov").route
    'krylov'
    """
    check_choice("route", route, ROUTES)
    if isinstance(scheme, InfiniteGraph):
        if route not in ("auto", "spectral-measure"):
            raise ValueError(f"route={route!r} needs a finite scheme; an infinite graph has the route 'spectral-measure'")
        return SpectralMeasureRepresentation(scheme)
    if isinstance(scheme, RandomScheme):
        if route not in ("auto", "random"):
            raise ValueError(f"route={route!r} needs a deterministic scheme; a RandomScheme has the route 'random'")
        return scheme.cached(("engine:representation", "random"), lambda: RandomRepresentation(scheme))
    if route == "random":
        raise ValueError("route='random' needs a RandomScheme (topotheory.graphs.random)")
    scheme = check_scheme(scheme)
    static_symmetric = scheme.is_static and scheme.is_symmetric
    if route == "lyapunov":
        route = "dense"
    key = route
    if route == "auto":
        if scheme.is_circulant:
            route = key = "fourier"
        elif static_symmetric:
            route = key = "krylov" if _large_sparse(scheme) else "eigen"
            if route == "eigen" and _sparse_extremes(scheme):
                # the eigenbasis, with the extreme eigenvalues by Lanczos; a representation of its own
                # (the named route 'eigen' keeps every quantity dense), so no value depends on which
                # of the two was asked for first
                key = "eigen+lanczos"
        else:
            route = key = "dense"
    elif route == "spectral-measure":
        raise ValueError("route='spectral-measure' needs an infinite graph (topotheory.graphs.lattices)")
    elif route in ("eigen", "krylov") and not static_symmetric:
        raise ValueError(f"method={route!r} needs a static symmetric scheme")
    elif route == "fourier" and not scheme.is_circulant:
        raise ValueError("method='fourier' needs a circulant scheme")

    def build() -> Representation:
        if key == "eigen+lanczos":
            return EigenRepresentation(scheme, static_symmetric=True, extremes=lambda: resolve(scheme, "krylov"))
        if route == "eigen":
            return EigenRepresentation(scheme, static_symmetric=True)
        if route == "krylov":
            return KrylovRepresentation(scheme, static_symmetric=True)
        if route == "dense":
            return DensePeriodicRepresentation(scheme, static_symmetric=static_symmetric)
        companion = "eigen" if static_symmetric else "dense"
        return FourierRepresentation(scheme, companion=lambda: resolve(scheme, companion),
                                     static_symmetric=static_symmetric)

    return scheme.cached(("engine:representation", key), build)
