"""Shared plotting style for the figures: one colour and one label per topology, a quiet theme.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so creating
them has no global side effects and nothing accumulates in pyplot's figure manager. The theme is
applied with :func:`style` (an ``rc_context``) around the construction of each figure.
"""

from __future__ import annotations

import contextlib

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..common.validation import check_int, check_real

__all__ = [
    "Figure",
    "RC",
    "style",
    "new_figure",
    "color",
    "label",
    "one_minus_gamma_axis",
    "finite_or_nan",
    "columns",
    "name_list",
    "log_range",
    "one_minus_gamma_range",
]

#: The theme: readable at the size the figures are saved (PNG at 150 dpi, PDF).
RC = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 4.5,
    "image.cmap": "viridis",
    "figure.dpi": 100,
}

#: One colour per topology name, shared by every figure (tab10 plus a few extras).
_COLORS = {
    "fully_connected": "#1f77b4",
    "one_peer_exponential": "#ff7f0e",
    "hypercube": "#2ca02c",
    "torus": "#d62728",
    "two_cliques": "#9467bd",
    "social_network": "#8c564b",
    "binary_tree": "#e377c2",
    "star": "#bcbd22",
    "ring": "#17becf",
    "solo": "#7f7f7f",
    "mix": "#000000",
    "chain": "#aec7e8",
    "exponential_graph": "#ffbb78",
    "infinite_ring": "#000000",
}

_LABELS = {
    "fully_connected": "fully connected",
    "one_peer_exponential": "one-peer exponential",
    "hypercube": "hypercube",
    "torus": "torus",
    "two_cliques": "two cliques",
    "social_network": "social network",
    "binary_tree": "binary tree",
    "star": "star",
    "ring": "ring",
    "solo": "alone",
    "mix": "mix (extremal)",
    "chain": "chain",
    "exponential_graph": "exponential graph",
    "infinite_ring": "infinite ring",
}


@contextlib.contextmanager
def style():
    """Context manager applying :data:`RC` while a figure is built."""
    with mpl.rc_context(RC):
        yield


def new_figure(nrows=1, ncols=1, *, size=(6.4, 4.0), **subplot_kw):
    """A constrained-layout :class:`~matplotlib.figure.Figure` and its axes (always a 2-D array)."""
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def color(name, index=0):
    """The colour of a topology (falls back to the default cycle for unknown names)."""
    if name in _COLORS:
        return _COLORS[name]
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle[index % len(cycle)]


def label(name, scheme=None):
    """A human-readable label; the torus shows its shape when the scheme carries it."""
    text = _LABELS.get(name, name.replace("_", " "))
    if name == "torus" and scheme is not None:
        p = getattr(scheme, "params", {}) or {}
        if "rows" in p and "cols" in p:
            text = f"torus {p['rows']}×{p['cols']}"
    return text


def one_minus_gamma_axis(ax, gammas):
    r"""Put :math:`\gamma` on a log(1 - gamma) x axis, labelled in gamma (0.9, 0.99, ...), increasing to the right.

    The data must be plotted against ``1 - gamma``; the axis is inverted so that gamma grows to the
    right, as in the paper.
    """
    ax.set_xscale("log")
    lo, hi = float(np.min(1 - np.asarray(gammas))), float(np.max(1 - np.asarray(gammas)))
    ax.set_xlim(hi, lo)
    ticks = [10.0**-k for k in range(0, 9) if lo * (1 - 1e-9) <= 10.0**-k <= hi * (1 + 1e-9)]
    for end in (lo, hi):  # label the ends too unless a decade is close by
        if not ticks or min(abs(np.log10(end / t)) for t in ticks) > np.log10(2.5):
            ticks.append(end)
    ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_gamma_label))
    ax.set_xlabel(r"decay $\gamma$ (log scale in $1-\gamma$)")


def _gamma_label(v, _pos=None):
    """Tick label ``1 - v`` with as many decimals as the decade of ``v`` needs (0.9, 0.99, 0.5)."""
    digits = max(1, int(np.ceil(-np.log10(v) - 1e-9)))
    return f"{1 - v:.{digits}f}".rstrip("0").rstrip(".") if digits > 1 else f"{1 - v:.1f}"


def finite_or_nan(values):
    """A float array with inf replaced by NaN (matplotlib leaves a gap; JSON writes null)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


def log_range(lo_name, lo, hi_name, hi, points, *, upper=None):
    """Validate a positive range ``lo < hi`` (both below ``upper`` if given) and return its log grid.

    Returns ``(lo, hi, grid)`` with ``grid = logspace(log10 lo, log10 hi, points)``.

    Examples
    --------
    >>> log_range("lr_min", 0.01, "lr_max", 1.0, 3)[2]
    array([0.01, 0.1 , 1.  ])
    """
    kw = {"high": upper, "high_open": True} if upper is not None else {}
    lo = check_real(lo_name, lo, low=0.0, low_open=True, **kw)
    hi = check_real(hi_name, hi, low=0.0, low_open=True, **kw)
    if not lo < hi:
        raise ValueError(f"{lo_name} must be below {hi_name}, got {lo} and {hi}")
    return lo, hi, np.logspace(np.log10(lo), np.log10(hi), check_int("points", points, minimum=2))


def one_minus_gamma_range(gamma_min, gamma_max, points):
    """Validate ``0 <= gamma_min < gamma_max < 1``; return ``(gmin, gmax, 1 - gamma)`` on a log grid of ``1 - gamma``.

    Examples
    --------
    >>> one_minus_gamma_range(0.9, 0.999, 3)[2]
    array([0.1  , 0.01 , 0.001])
    """
    gmin = check_real("gamma_min", gamma_min, low=0.0, high=1.0, high_open=True)
    gmax = check_real("gamma_max", gamma_max, low=0.0, high=1.0, high_open=True)
    if not gmin < gmax:
        raise ValueError(f"gamma_min must be below gamma_max, got {gmin} and {gmax}")
    c = np.logspace(np.log10(1 - gmin), np.log10(1 - gmax), check_int("points", points, minimum=2))
    return gmin, gmax, c


def name_list(argname, value):
    """A tuple of names from a sequence or a comma-separated string; non-empty."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    try:
        out = tuple(value)
    except TypeError:
        raise TypeError(f"{argname} must be a sequence of names, got {value!r}") from None
    if not out or not all(isinstance(v, str) for v in out):
        raise ValueError(f"{argname} must be a non-empty sequence of names, got {value!r}")
    return out


def columns(rows):
    """Turn a list of dict rows (same keys) into a dict of equal-length columns (lists)."""
    if not rows:
        return {}
    keys = list(rows[0])
    return {k: [r[k].item() if isinstance(r[k], np.generic) else r[k] for r in rows] for k in keys}
