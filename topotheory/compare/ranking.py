"""Orderings of topologies by a metric: ranks, and the Kendall rank correlation between two metrics.

The metric study (:func:`topotheory.figures.metric_study.metric_study`), Fig. 6 and anything else
that ranks topologies by the metrics of :mod:`topotheory.compare.registry` use these functions.
"""

from __future__ import annotations

import numpy as np

from ..common.validation import check_int

__all__ = ["ranks", "kendall_tau", "round_significant"]


def ranks(values):
    """Rank 1 for the largest value; ties share the smaller rank (competition ranking, "1224").

    Examples
    --------
    >>> ranks([0.5, 2.0, 0.5, 1.0])
    [3, 1, 3, 2]
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {values.shape}")
    return [int(np.sum(values > v)) + 1 for v in values]


def round_significant(values, digits=10):
    """``values`` rounded to ``digits`` significant digits (infinities and NaN unchanged).

    Examples
    --------
    >>> round_significant([2.0, 2.0 * (1 + 1e-15)]).tolist()
    [2.0, 2.0]
    """
    digits = check_int("digits", digits, minimum=1, maximum=17)
    return np.array([float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()])


def kendall_tau(x, y, *, digits=10):
    r"""Kendall's :math:`\tau_b` between ``x`` and ``y`` and its p-value; NaN when undefined.

    :math:`\tau_b = (P - Q)/\sqrt{(P + Q + T_x)(P + Q + T_y)}` over pairs (``P`` concordant, ``Q``
    discordant, ``T_x``/``T_y`` tied only in ``x``/``y``), as ``scipy.stats.kendalltau``
    computes it. Values equal up to rounding (e.g. a 4×4 torus and the 4-D hypercube, or two
    computation routes differing in the last bit) are ties: both inputs are compared at ``digits``
    significant digits, so last-bit differences cannot flip an ordering. ``+inf``/``-inf`` are kept
    as the largest/smallest values. Constant input gives NaN.

    Examples
    --------
    >>> kendall_tau([1, 2, 3, 4], [10, 20, 30, 40])[0]
    1.0
    >>> kendall_tau([1.0, 2.0, 2.0 * (1 + 1e-15), 3.0], [1, 2, 3, 4])[0] == kendall_tau([1, 2, 2, 3], [1, 2, 3, 4])[0]
    True
    """
    from scipy.stats import kendalltau

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be one-dimensional of one length, got shapes {x.shape} and {y.shape}")
    x = np.where(np.isfinite(x), x, np.where(x > 0, 1e300, -1e300))
    x, y = round_significant(x, digits), round_significant(y, digits)
    res = kendalltau(x, y)
    return float(res.statistic), float(res.pvalue)
