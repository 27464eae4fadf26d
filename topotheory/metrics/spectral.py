r"""Spectral metrics of gossip schemes, and infinite graphs through their spectral measures.

Spectral-gap conventions differ across the literature; :func:`spectral_gap` exposes three:

* ``"abs"`` (the paper's figures, default): :math:`1 - \max_{i \ge 2} |\lambda_i|` for a static
  symmetric ``W``; :math:`1 - \sigma_{\max}(\Pi - J)` otherwise (``Pi`` the one-period product).
* ``"lambda2"``: :math:`1 - \lambda_2` (the paper's §4, after assuming :math:`\lambda_{\min} \ge 1/2`);
  for a non-symmetric or periodic scheme, one minus the second largest real part of an eigenvalue of
  the one-period product.
* ``"koloskova"``: :math:`p = 1 - \|\Pi - J\|_2^2` (Koloskova et al. 2020; equals
  :math:`1 - \max_{i \ge 2} \lambda_i^2` for symmetric ``W``).

Infinite lattices (:mod:`topotheory.graphs.lattices`) have the gap of their symbol's spectrum.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..common.validation import check_choice, check_gamma
from ..graphs.lattices import InfiniteGraph
from ..graphs.scheme import Scheme, check_scheme

__all__ = ["SPECTRAL_GAP_KINDS", "spectral_gap"]

SPECTRAL_GAP_KINDS = ("abs", "lambda2", "koloskova")


def _mode_products(scheme):
    """Per Fourier mode, the eigenvalue of the one-period product (circulant schemes)."""
    mu = scheme.fourier_eigenvalues()
    return np.prod(mu, axis=0)


def spectral_gap(scheme, kind="abs", *, per_step=False):
    r"""Spectral gap of a gossip scheme, in one of three documented conventions.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
    kind : {"abs", "lambda2", "koloskova"}
        ``"abs"``: :math:`1 - \max_{i\ge2}|\lambda_i(W)|` (symmetric static) or
        :math:`1 - \|\Pi - J\|_2` (the paper's figures). ``"lambda2"``: :math:`1 - \lambda_2`.
        ``"koloskova"``: :math:`1 - \|\Pi - J\|_2^2`.
    per_step : bool
        For a periodic scheme of period ``p``, return the per-step version: the gap ``g`` of the
        one-period product becomes :math:`1 - (1 - g)^{1/p}` (for ``"abs"`` this is
        :math:`1 - \|\Pi - J\|_2^{1/p}`). No effect on static schemes.

    Returns
    -------
    float
        In [0, 1] for ``"abs"`` and ``"koloskova"``; ``"lambda2"`` can reach 2 on bipartite graphs.
        A single worker has gap 1; a disconnected graph has gap 0. Infinite graphs have gap 0.

    Examples
    --------
    >>> from topotheory import ring, one_peer_exponential
    >>> round(spectral_gap(ring(4)), 6), spectral_gap(ring(2)), spectral_gap(ring(1))
    (0.666667, 1.0, 1.0)
    >>> round(spectral_gap(ring(32), "koloskova"), 6)
    0.025456
    >>> spectral_gap(one_peer_exponential(8))
    1.0
    """
    check_choice("kind", kind, SPECTRAL_GAP_KINDS)
    if isinstance(scheme, InfiniteGraph):
        return 0.0
    check_scheme(scheme)
    n, p = scheme.n, scheme.period
    if n == 1:
        return 1.0
    if scheme.is_circulant:
        prod = _mode_products(scheme)[1:]  # mode 0 is the consensus mode (eigenvalue 1)
        if kind == "lambda2":
            second = float(np.max(prod.real))
        else:
            second = float(np.max(np.abs(prod)))
    elif p == 1 and scheme.is_symmetric:
        lam = scheme.eigh()[0]
        second = float(lam[1]) if kind == "lambda2" else float(max(abs(lam[1]), abs(lam[-1])))
    else:
        P = scheme.period_product(0)
        if kind == "lambda2":
            ev = sla.eigvals(P)
            order = np.argsort(-ev.real)
            second = float(ev.real[order[1]])
        else:
            second = float(sla.norm(P - 1.0 / n, 2))
    second = min(second, 1.0)
    if kind == "koloskova":
        gap = 1.0 - second**2 if not per_step else 1.0 - second ** (2.0 / p)
    elif per_step and p > 1:
        gap = 1.0 - np.sign(second) * abs(second) ** (1.0 / p)
    else:
        gap = 1.0 - second
    return float(max(gap, 0.0)) if kind != "lambda2" else float(gap)
