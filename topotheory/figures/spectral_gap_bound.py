"""Extra figure: the effective number of neighbours against the spectral-gap bound (paper eq. 11)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..metrics.randomwalk import effective_neighbors, spectral_gap_bound
from ..graphs.lattices import infinite_ring
from ..metrics.spectral import spectral_gap
from ..graphs import InfiniteGraph, mix
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "gap_bound_figure"]

_DEFAULT = ("ring", "torus:4x8", "hypercube", "star", "two_cliques", "binary_tree", "mix", "infinite_ring")


def _graph(spec: Any, n: int, mix_gap: float) -> Any:
    if spec == "infinite_ring":
        return spec, infinite_ring()
    if spec == "mix":
        return spec, mix(n, mix_gap)
    return _data.resolve_topology("graphs", spec, n)


def compute(*, n: int = 32, graphs: Any = _DEFAULT, mix_gap: float = 0.1, gamma_min: float = 0.5,
            gamma_max: float = 0.9999, points: int = 120, quick: bool = False) -> FigureData:
    r"""Exact :math:`n_W(\gamma)` next to the lower bound the spectral gap alone gives (paper eq. 11).

    For each graph, the solid curve is :func:`topotheory.effective_neighbors` ("mean" mode) and the
    dashed curve :func:`topotheory.spectral_gap_bound` evaluated at the graph's spectral gap
    ("abs" convention, which bounds every non-unit :math:`\lambda^2` by :math:`(1-\alpha)^2`, all
    eq. 11 uses). The bound is tight for ``mix`` (all non-unit eigenvalues equal) and very
    pessimistic elsewhere; for the infinite ring (gap 0) it says nothing (:math:`n_W \ge 1`) while
    :math:`n_W` grows without bound.

    Parameters
    ----------
    n : int
        Workers of the finite graphs.
    graphs : sequence of str or Scheme
        Topology specs, ``"mix"`` (:func:`topotheory.mix` with gap ``mix_gap``),
        ``"infinite_ring"``, Scheme objects of ``n`` workers or infinite graphs.
    mix_gap : float
        Spectral gap of the extremal ``mix`` graph.
    gamma_min, gamma_max : float
        Decay range (log(1 - gamma) axis).
    points : int
        Grid size (``quick``: 30).
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]``: ``graph, spectral_gap, gamma, one_minus_gamma, n_W, bound``.

    Examples
    --------
    >>> res = compute(n=8, graphs=("mix",), mix_gap=0.3, quick=True)
    >>> t = res.data["table"]
    >>> max(abs(a - b) / a for a, b in zip(t["n_W"], t["bound"])) < 1e-9  # tight for mix
    True
    """
    n = check_int("n", n, minimum=2)
    mix_gap = check_real("mix_gap", mix_gap, low=0.0, high=1.0, low_open=True)
    points = 30 if quick else points
    gmin, gmax, c = _data.one_minus_gamma_range(gamma_min, gamma_max, points)
    graphs = _data.topology_list("graphs", graphs)
    rows, labels = [], {}
    for entry in graphs:
        spec, g = _graph(entry, n, mix_gap)
        if spec in labels:
            raise ValueError(f"graphs names the topology {spec!r} twice")
        gap = spectral_gap(g)
        nw = np.asarray(effective_neighbors(g, one_minus_gamma=c), dtype=float)
        bound = np.asarray(spectral_gap_bound(g.n if np.isinf(g.n) else int(g.n), 1 - c, gap), dtype=float)
        size = "∞" if isinstance(g, InfiniteGraph) or np.isinf(g.n) else f"{int(g.n)}"
        labels[spec] = f"{'mix (extremal)' if spec == 'mix' else _data.topology_label(spec, g)}, n={size}"
        rows += [
            {"graph": spec, "spectral_gap": gap, "gamma": 1 - ci, "one_minus_gamma": ci, "n_W": a, "bound": b}
            for ci, a, b in zip(c, nw, bound)
        ]
    caption = (
        "The spectral gap alone badly underestimates the effective number of neighbours except on "
        "the extremal graph where all non-unit eigenvalues coincide. "
        "Exact effective number of neighbours n_W(gamma) (solid) against the lower bound that the "
        "spectral gap alone implies (dashed, paper eq. 11, 'abs' gap). The bound is exact for the "
        "extremal 'mix' graph, where all non-unit eigenvalues coincide, and very pessimistic for "
        "the graphs used in practice; for the infinite ring (gap 0) it only says n_W >= 1 while "
        "n_W grows like (1 - gamma)^(-1/2)."
    )
    params = {"n": n, "graphs": list(labels), "mix_gap": mix_gap, "gamma_min": gmin, "gamma_max": gmax, "points": points}
    return FigureData("spectral_gap_bound", {"table": _data.columns(rows)}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw the spectral-gap-bound figure from its :class:`FigureData`: one panel per graph."""
    from . import _style

    t = fd.data["table"]
    graph = np.array(t["graph"])
    panels = list(dict.fromkeys(t["graph"]))
    gaps = np.asarray(t["spectral_gap"], dtype=float)
    nw_all = np.asarray(t["n_W"], dtype=float)
    bound_all = np.asarray(t["bound"], dtype=float)
    c = np.asarray(t["one_minus_gamma"], dtype=float)[graph == panels[0]]
    k = len(panels)
    ncols = min(4, k)
    nrows = -(-k // ncols)
    with _style.style():
        fig, axes = _style.new_figure(nrows, ncols, size=(3.2 * ncols + 0.4, 2.8 * nrows + 0.5), sharey=True)
        fig.get_layout_engine().set(w_pad=0.12, wspace=0.06)
        for ax, spec in zip(axes.flat, panels):
            sel = graph == spec
            gap, nw, bound = float(gaps[sel][0]), nw_all[sel], bound_all[sel]
            name = spec.split(":")[0]
            col = _style.color(name)
            ax.plot(c, nw, color=col, label="exact $n_W(\\gamma)$")
            ax.plot(c, bound, color=col, ls="--", label="spectral-gap bound (eq. 11)")
            _style.one_minus_gamma_axis(ax, 1 - c, label_ends=False)
            ax.set_xlabel(r"$\gamma$")
            ax.set_yscale("log")
            ax.set_title(f"{fd.label(spec)}\nspectral gap {gap:.3g}", fontsize=9.5)
        for ax in axes.flat[k:]:
            ax.set_visible(False)
        for row in axes:
            row[0].set_ylabel("$n_W(\\gamma)$ (log scale)")
        axes.flat[0].legend(loc="upper left")
        fig.suptitle("Effective number of neighbours vs the lower bound implied by the spectral gap", fontsize=11)
    return fig


gap_bound_figure = figure_function(compute, plot, "gap_bound_figure")
