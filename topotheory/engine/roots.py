"""Vectorised scalar root finders shared by the exact rate routes (one root per learning rate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["EPS", "illinois", "root_in_log", "chunks", "BATCH_ENTRIES"]

EPS = np.finfo(float).eps
#: Memory budget (float64 entries) of one batch of a batched solver.
BATCH_ENTRIES = 4_000_000


def illinois(func: Callable[[np.ndarray, np.ndarray], Any], lo: np.ndarray, hi: np.ndarray, flo: np.ndarray,
             fhi: np.ndarray, *, rtol: float = 4 * EPS,
             maxiter: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised Illinois (modified regula falsi) for increasing ``func`` with flo <= 0 <= fhi.

    Returns (x, iterations, |f(x)|). ``func(x, idx)`` maps the points ``x`` of the active entries
    ``idx`` to their values.

    Parameters
    ----------
    func : callable
        ``func(x, idx) -> values``, increasing in ``x``.
    lo, hi : ndarray
        The brackets.
    flo, fhi : ndarray
        ``func`` at ``lo`` (``<= 0``) and at ``hi`` (``>= 0``).
    rtol : float, optional
        Relative bracket width at which an entry stops.
    maxiter : int, optional
        Largest number of iterations.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``(x, iterations, |func(x)|)``.

    Examples
    --------
    >>> x, its, res = illinois(lambda x, i: x**2 - 2.0, np.array([0.0]), np.array([2.0]),
    ...                        np.array([-2.0]), np.array([2.0]))
    >>> round(float(x[0]), 12)
    1.414213562373
    """
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    flo, fhi = flo.astype(float).copy(), fhi.astype(float).copy()
    x = np.where(fhi == 0, hi, np.where(flo == 0, lo, 0.5 * (lo + hi)))
    fx = np.where(fhi == 0, 0.0, np.where(flo == 0, 0.0, np.nan))
    its = np.zeros(lo.shape, dtype=int)
    side = np.zeros(lo.shape, dtype=int)
    active = (flo < 0) & (fhi > 0) & (hi - lo > rtol * np.abs(hi))
    for _ in range(maxiter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        l, h, fl, fh = lo[idx], hi[idx], flo[idx], fhi[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            xn = (l * fh - h * fl) / (fh - fl)
        bad = ~((xn > l) & (xn < h))
        xn[bad] = 0.5 * (l + h)[bad]
        fn = np.asarray(func(xn, idx), dtype=float)
        its[idx] += 1
        x[idx], fx[idx] = xn, fn
        up = fn >= 0
        # the root is below xn: move hi
        iu = idx[up]
        hi[iu], fhi[iu] = xn[up], fn[up]
        flo[iu] = np.where(side[iu] == 1, 0.5 * flo[iu], flo[iu])
        side[iu] = 1
        idn = idx[~up]
        lo[idn], flo[idn] = xn[~up], fn[~up]
        fhi[idn] = np.where(side[idn] == -1, 0.5 * fhi[idn], fhi[idn])
        side[idn] = -1
        active[idx] = (fn != 0) & (hi[idx] - lo[idx] > rtol * np.abs(hi[idx]))
    return x, its, np.abs(fx)


def root_in_log(h: Callable[[np.ndarray, np.ndarray], Any], u_lo: np.ndarray, u_hi: np.ndarray, *,
                floor_value: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Root of ``h`` (increasing in u, h(u_hi) >= 0) on [u_lo, u_hi] by Illinois in log u.

    Rates of infinite graphs put the root anywhere between 1e-300 and 1 (the 2-D grid's is
    exponentially small): a logarithmic variable keeps the iteration count small. Where
    ``h(u_lo) >= 0`` the root lies below ``u_lo``; it is then reported as ``floor_value``
    (default ``u_lo``).

    Parameters
    ----------
    h : callable
        ``h(u, idx) -> values``, increasing in ``u``.
    u_lo, u_hi : ndarray
        The brackets (positive), ``h(u_hi) >= 0``.
    floor_value : float or ndarray, optional
        Reported where ``h(u_lo) >= 0``.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``(u, iterations, residual)``; where the root lies below ``u_lo`` the residual is
        ``u_lo / u_hi``.

    Examples
    --------
    >>> u, its, res = root_in_log(lambda u, i: u - 1e-20, np.array([1e-30]), np.array([1.0]))
    >>> float(u[0])
    1e-20
    """
    k = np.arange(u_lo.size)
    flo, fhi = h(u_lo, k), h(u_hi, k)
    below = flo >= 0
    t, its, res = illinois(lambda t, i: h(np.exp(t), i), np.log(u_lo), np.log(u_hi),
                           np.where(below, -1.0, flo), fhi)
    x = np.exp(t)
    x = np.where(below, u_lo if floor_value is None else floor_value, x)
    return x, its + 2, np.where(below, u_lo / u_hi, res)  # below: |u - root| <= u_lo


def chunks(total: int, per_item: float) -> list[slice]:
    """Slices of ``range(total)`` whose batches hold about :data:`BATCH_ENTRIES` entries.

    Parameters
    ----------
    total : int
        Number of items.
    per_item : float
        Entries one item needs.

    Returns
    -------
    list of slice
        Consecutive slices covering ``range(total)``.

    Examples
    --------
    >>> chunks(10, 1_000_000)
    [slice(0, 4, None), slice(4, 8, None), slice(8, 10, None)]
    """
    size = max(1, int(BATCH_ENTRIES // max(per_item, 1)))
    return [slice(i, min(i + size, total)) for i in range(0, total, size)]
