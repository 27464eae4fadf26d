"""Orderings of topologies by a metric: ranks, and the Kendall rank correlation between two metrics.

The metric study (:func:`topotheory.figures.metric_study.metric_study`), Fig. 6 and anything else
that ranks topologies by the metrics of :mod:`topotheory.compare.registry` use these functions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..common.validation import check_int

__all__ = ["ranks", "kendall_tau", "round_significant"]


def ranks(values: ArrayLike) -> list[int]:
    """Rank 1 for the largest value; ties share the smaller rank (competition ranking, "1224").

    Parameters
    ----------
    values : array_like
        One-dimensional values.

    Returns
    -------
    list of int
        The rank of each value.

    Examples
    --------
    >>> ranks([0.5, 2.0, 0.5, 1.0])
    [3, 1, 3, 2]
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {arr.shape}")
    return [int(np.sum(arr > v)) + 1 for v in arr]


def round_significant(values: ArrayLike, digits: int = 10) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (infinities and NaN unchanged).

    Parameters
    ----------
    values : array_like
        The values (flattened).
    digits : int, optional
        Significant digits, 1 to 17.

    Returns
    -------
    ndarray
        The rounded values, one-dimensional.

    Examples
    --------
    >>> round_significant([2.0, 2.0 * (1 + 1e-15)]).tolist()
    [2.0, 2.0]
    """
    digits = check_int("digits", digits, minimum=1, maximum=17)
    return np.array([float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()])


def kendall_tau(x: ArrayLike, y: ArrayLike, *, digits: int = 10) -> tuple[float, float]:
    r"""Kendall's :math:`\tau_b` between ``x`` and ``y`` and its p-value; NaN when undefined.

    :math:`\tau_b = (P - Q)/\sqrt{(P + Q + T_x)(P + Q + T_y)}` over pairs (``P`` concordant, ``Q``
    discordant, ``T_x``/``T_y`` tied only in ``x``/``y``), as ``scipy.stats.kendalltau``
    computes it. Values equal up to rounding (e.g. a 4×4 torus and the 4-D hypercube, or two
    computation routes differing in the last bit) are ties: both inputs are compared at ``digits``
    significant digits, so last-bit differences cannot flip an ordering. ``+inf``/``-inf`` are kept
    as the largest/smallest values. Constant input gives NaN.

    Parameters
    ----------
    x, y : array_like
        One-dimensional, of one length.
    digits : int, optional
        Significant digits at which values are compared.

    Returns
    -------
    (float, float)
        :math:`\tau_b` and its two-sided p-value.

    Examples
    --------
    >>> kendall_tau([1, 2, 3, 4], [10, 20, 30, 40])[0]
    1.0
    >>> kendall_tau([1.0, 2.0, 2.0 * (1 + 1e-15), 3.0], [1, 2, 3, 4])[0] == kendall_tau([1, 2, 2, 3], [1, 2, 3, 4])[0]
    True
    """
    from scipy.stats import kendalltau

    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(f"x and y must be one-dimensional of one length, got shapes {xa.shape} and {ya.shape}")
    xa = np.where(np.isfinite(xa), xa, np.where(xa > 0, 1e300, -1e300))
    xa, ya = round_significant(xa, digits), round_significant(ya, digits)
    res = kendalltau(xa, ya)
    return float(res.statistic), float(res.pvalue)
