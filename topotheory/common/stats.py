"""Small statistical helpers shared by the estimators (Student-t quantiles)."""

from __future__ import annotations

import numpy as np

__all__ = ["student_quantile"]


def student_quantile(level: float, dof: np.ndarray) -> np.ndarray:
    """Student-t quantile ``(1 + level) / 2`` per (possibly fractional) number of degrees of freedom.

    The two-sided interval's quantile at ``level``, which is also the one-sided quantile at
    confidence ``(1 + level) / 2``; infinite where ``dof <= 0``. ``scipy.special.stdtrit``: the same
    numbers as ``scipy.stats.t.isf`` (bit for bit on the tested panel), without the distribution
    object's overhead (~40x faster per call).

    Parameters
    ----------
    level : float
        Two-sided confidence level in (0, 1).
    dof : array_like
        Degrees of freedom.

    Returns
    -------
    numpy.ndarray
        The quantiles, shaped like ``dof``.

    Examples
    --------
    >>> import numpy as np
    >>> q = student_quantile(0.95, np.array([1.0, 1e9, 0.0]))
    >>> bool(abs(q[0] - 12.7062047) < 1e-6), bool(abs(q[1] - 1.959964) < 1e-6), bool(np.isinf(q[2]))
    (True, True, True)
    """
    from scipy.special import stdtrit

    dof = np.asarray(dof, dtype=float)
    out = np.full(dof.shape, np.inf)
    ok = dof > 0
    out[ok] = stdtrit(dof[ok], (1.0 + level) / 2.0)
    return out
