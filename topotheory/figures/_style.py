"""Shared plotting style of the figures (imported by the ``plot`` functions only): one colour and one label per topology, a quiet theme.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so creating
them has no global side effects and nothing accumulates in pyplot's figure manager. The theme is
applied with :func:`style` (an ``rc_context``) around the construction of each figure.
"""

from __future__ import annotations

import contextlib

import matplotlib as mpl
from typing import Any
from collections.abc import Iterator

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ._data import finite_or_nan, topology_label

__all__ = [
    "Figure",
    "RC",
    "style",
    "new_figure",
    "color",
    "label",
    "one_minus_gamma_axis",
    "finite_or_nan",
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

@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context manager applying :data:`RC` while a figure is built."""
    with mpl.rc_context(RC):  # type: ignore[arg-type]  # RC: rcParams names, checked by matplotlib
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (6.4, 4.0), **subplot_kw: Any) -> Any:
    """A constrained-layout :class:`~matplotlib.figure.Figure` and its axes (always a 2-D array)."""
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def color(name: str, index: int = 0) -> Any:
    """The colour of a topology (falls back to the default cycle for unknown names)."""
    if name in _COLORS:
        return _COLORS[name]
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle[index % len(cycle)]


def label(name: str, scheme: Any = None) -> str:
    """A human-readable label of a topology key (see :func:`topotheory.figures._data.topology_label`)."""
    return topology_label(name, scheme)


def one_minus_gamma_axis(ax: Any, gammas: Any, *, label_ends: bool = True) -> None:
    r"""Put :math:`\gamma` on a log(1 - gamma) x axis, labelled in gamma (0.9, 0.99, ...), increasing to the right.

    The data must be plotted against ``1 - gamma``; the axis is inverted so that gamma grows to the
    right, as in the paper. ``label_ends=False`` labels decades only (for narrow panels side by
    side, whose end labels would run into each other).
    """
    ax.set_xscale("log")
    lo, hi = float(np.min(1 - np.asarray(gammas))), float(np.max(1 - np.asarray(gammas)))
    ax.set_xlim(hi, lo)
    ticks = [10.0**-k for k in range(0, 9) if lo * (1 - 1e-9) <= 10.0**-k <= hi * (1 + 1e-9)]
    for end in (lo, hi) if label_ends else ():  # label the ends too unless a decade is close by
        if not ticks or min(abs(np.log10(end / t)) for t in ticks) > np.log10(2.5):
            ticks.append(end)
    ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_gamma_label))
    ax.set_xlabel(r"decay $\gamma$ (log scale in $1-\gamma$)")


def _gamma_label(v: float, _pos: Any = None) -> str:
    """Tick label ``1 - v`` with as many decimals as the decade of ``v`` needs (0.9, 0.99, 0.5)."""
    digits = max(1, int(np.ceil(-np.log10(v) - 1e-9)))
    return f"{1 - v:.{digits}f}".rstrip("0").rstrip(".") if digits > 1 else f"{1 - v:.1f}"


def colormap(name: str, *, bad: str = "white", low: float = 0.0) -> Any:
    """The colour map ``name`` from ``low`` (0..1) upwards, drawing masked (e.g. zero) entries in ``bad``.

    ``low > 0`` keeps the smallest values visibly apart from ``bad`` (e.g. light grey, not white).
    """
    from matplotlib.colors import ListedColormap

    base = mpl.colormaps[name]
    return ListedColormap(base(np.linspace(low, 1.0, 256)), name=f"{name}_from_{low:g}").with_extremes(bad=bad)


def matrix_axes(ax: Any) -> None:
    """Axes for a matrix image: no ticks, no grid, a full frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
