r"""Rate fits of loss curves, shared by the rate estimator and the cross-checks.

The model is :math:`\log L(t) = s\,t + c_{t \bmod p}` over a window of steps: one intercept per
phase of a period-``p`` scheme, so the oscillation within a period does not bias the slope; the
rate is :math:`r = 1 - e^{s}` (loss :math:`\propto (1-r)^t`, THEORY §3.3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["slope_weights", "fit_rate"]


def slope_weights(start: int, stop: int, period: int) -> np.ndarray:
    """Row vector ``c`` with ``c @ log(loss[start:stop+1])`` = the least-squares slope ``s``.

    Parameters
    ----------
    start, stop : int
        First and last step of the window (inclusive).
    period : int
        Period ``p`` of the scheme: one intercept per phase ``t mod p``.

    Returns
    -------
    ndarray, shape (stop - start + 1,)
        The first row of the pseudo-inverse of the design matrix ``[t - mean(t), phase indicators]``.

    Examples
    --------
    >>> c = slope_weights(0, 4, 1)
    >>> round(float(c @ np.log(0.5 ** np.arange(5))), 12)      # exact geometric curve: slope log(1/2)
    -0.693147180560
    """
    t = np.arange(start, stop + 1, dtype=float)
    phases = np.arange(start, stop + 1) % period
    D = np.column_stack([t - t.mean()] + [(phases == k).astype(float) for k in range(period)])
    return np.linalg.pinv(D)[0]


def fit_rate(curve: Any, window: tuple[int, int], period: int) -> float:
    """``1 - exp(slope)`` of ``log(curve)`` over ``window`` (inclusive); NaN unless all positive and finite.

    Parameters
    ----------
    curve : array_like
        A loss curve, indexed by step.
    window : tuple of int
        ``(start, stop)``, inclusive.
    period : int
        Period of the scheme (one intercept per phase, :func:`slope_weights`).

    Returns
    -------
    float
        The rate :math:`r = 1 - e^{s}`, NaN when a value in the window is not positive and finite.

    Examples
    --------
    >>> round(fit_rate(0.9 ** np.arange(20), (5, 19), 2), 12)
    0.1
    """
    start, stop = window
    y = np.asarray(curve, dtype=float)[start : stop + 1]
    if not (np.all(np.isfinite(y)) and np.all(y > 0)):
        return float("nan")
    return float(-np.expm1(slope_weights(start, stop, period) @ np.log(y)))
