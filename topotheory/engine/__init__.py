r"""Layer 2½ — the engine: the one representation a gossip scheme resolves to.

A scheme is resolved once (:func:`resolve`, cached on the scheme through
:meth:`Scheme.cached`) to a :class:`Representation` that offers the operations of the theory — the
random walk's stationary variances and covariance, the spectral functional :math:`S_1`, the
one-period product's spectrum and norm, the toy problem's exact Perron root, secular equation and
second-moment propagation, the heterogeneous fixed point. The theory modules (``metrics``, ``toy``,
``bounds``) are written once against this interface; :func:`resolve` is the only place that looks
at a scheme's kind.

========================================  ===========================================================
representation                            schemes
========================================  ===========================================================
:class:`FourierRepresentation`            circulant (any period): per-mode eigenvalues and products
:class:`EigenRepresentation`              static symmetric: eigenbasis, consensus pair exact (the
                                          extreme eigenvalues by sparse Lanczos for sparse
                                          ``n >= 512``: :func:`extremes_route`)
:class:`DensePeriodicRepresentation`      anything else finite: dense one-period maps, Stein equation
:class:`SpectralMeasureRepresentation`    infinite lattices: resolvent of the spectral measure
:class:`KrylovRepresentation`             large sparse static symmetric (``n > 4096``): matrix-free
                                          Lanczos, quadrature bounds, trace estimation
========================================  ===========================================================

Parts that never mix (several components, periodic components) are found from the support of
the matrices (:mod:`topotheory.engine.structure`) and handled exactly, so every route stays exact
up to :math:`\gamma \to 1`.

Adding a representation
-----------------------
1. Create ``topotheory/engine/<name>.py`` with a class deriving from
   :class:`~topotheory.engine.base.Representation`; set ``route``.
2. Implement the random walk: ``scaled_variances(g, c, phase)`` (and ``scaled_mean_variance`` if
   cheaper), ``scaled_covariance(g, c, phase)``, ``disagreement_mean(g, phase)``.
3. Implement the spectra: ``product_spectrum()``, ``product_norm()`` and, for a static normal
   ``W``, ``static_contraction()``.
4. Implement the toy problem: ``perron_excess(a, beta)`` (and ``secular_excess`` where the
   secular equation is exact); override ``second_moments`` / ``heterogeneous_distance`` only if
   the dense defaults of the base class do not fit (e.g. matrix-free).
5. Add a branch (or a size threshold) for it in :func:`topotheory.engine.resolve.resolve`, and a
   route name to :data:`ROUTES`.
6. Add it to the parametrized interface-contract test ``tests/engine/test_engine.py``
   (``REPRESENTATIONS``): the contract compares every operation with a brute-force dense route on
   small schemes.

Nothing in ``metrics``, ``toy`` or ``bounds`` changes.
"""

from .base import GramMoments, Representation, consensus_complement  # noqa: F401
from .dense import DensePeriodicRepresentation  # noqa: F401
from .eigen import EigenRepresentation  # noqa: F401
from .fourier import FourierRepresentation  # noqa: F401
from .krylov import KrylovEstimate, KrylovRepresentation  # noqa: F401
from .resolve import LANCZOS_MIN_N, ROUTES, extremes_route, resolve  # noqa: F401
from .spectral_measure import SpectralMeasureRepresentation  # noqa: F401
from .structure import CyclicClasses, cyclic_classes  # noqa: F401

__all__ = [
    "Representation",
    "GramMoments",
    "consensus_complement",
    "FourierRepresentation",
    "EigenRepresentation",
    "DensePeriodicRepresentation",
    "SpectralMeasureRepresentation",
    "KrylovRepresentation",
    "KrylovEstimate",
    "ROUTES",
    "LANCZOS_MIN_N",
    "resolve",
    "extremes_route",
    "CyclicClasses",
    "cyclic_classes",
]
