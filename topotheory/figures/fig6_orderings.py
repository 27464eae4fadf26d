"""Figure 6 of the paper, graph quantities only: topologies ordered by n_W(0.951) and by spectral gap."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_gamma, check_int
from ..metrics.randomwalk import effective_neighbors
from ..metrics.spectral import spectral_gap
from ..graphs import paper_topologies
from ..compare.ranking import ranks
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "orderings_figure"]


def compute(*, n: int = 32, gamma: float = 0.951, gap_kind: str = "abs", per_step: bool = False, quick: bool = False) -> FigureData:
    r"""Paper Fig. 6 (graph side): the paper's topologies ranked by :math:`n_W(\gamma)` and by spectral gap.

    The paper plots Cifar-10 losses against both quantities; those losses are not reproducible
    here and are not invented. What is reproducible is the *ordering* each quantity induces:
    side by side, the two rankings disagree (e.g. the two cliques and the star have tiny spectral
    gaps but differ widely in :math:`n_W`).

    Parameters
    ----------
    n : int
        Number of workers (the paper: 32).
    gamma : float
        Decay at which :math:`n_W` is evaluated (the paper: 0.951).
    gap_kind : {"abs", "lambda2", "koloskova"}
        Spectral-gap convention (:func:`topotheory.spectral_gap`; the paper's figures use "abs").
    per_step : bool
        Per-step gap for periodic schemes (the one-peer exponential graph).
    quick : bool
        Unused (the figure is cheap).

    Returns
    -------
    FigureData
        ``data["table"]``: ``topology, n_W, spectral_gap, rank_n_W, rank_spectral_gap`` (rank 1 =
        best connected).

    Examples
    --------
    >>> res = compute()
    >>> res.data["table"]["topology"][res.data["table"]["rank_n_W"].index(1)]
    'fully_connected'
    """
    n = check_int("n", n, minimum=2)
    gamma = float(check_gamma(gamma))
    schemes = paper_topologies(n)
    names = list(schemes)
    nw = np.array([effective_neighbors(schemes[k], gamma, mode="mean") for k in names])
    gap = np.array([spectral_gap(schemes[k], gap_kind, per_step=per_step) for k in names])
    rank_nw = ranks(nw)
    rank_gap = ranks(gap)
    table = {
        "topology": names,
        "n_W": nw.tolist(),
        "spectral_gap": gap.tolist(),
        "rank_n_W": rank_nw,
        "rank_spectral_gap": rank_gap,
    }
    shift = [abs(a - b) for a, b in zip(rank_nw, rank_gap)]
    labels = {k: _data.topology_label(k, s) for k, s in schemes.items()}
    moved = [labels[names[i]] for i in np.argsort(shift, kind="stable")[::-1][:3] if shift[i] > 0]
    caption = (
        "The effective number of neighbours and the spectral gap rank the paper's topologies "
        + (f"differently ({', '.join(moved)} move most). " if moved else "identically here. ")
        +
        f"The paper's ten topologies ({n} workers) ordered by the effective number of neighbours "
        f"n_W(gamma={gamma:g}) (left) and by the spectral gap ('{gap_kind}' convention, right). "
        "The paper plots Cifar-10 losses against these quantities and finds n_W the better predictor; "
        "those losses are not reproducible here and are not shown, only the two orderings."
    )
    params = {"n": n, "gamma": gamma, "gap_kind": gap_kind, "per_step": per_step}
    return FigureData("fig6_orderings", {"table": table}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 6 (graph side) from its :class:`FigureData`: the two orderings as bar charts."""
    from . import _style

    t, p = fd.data["table"], fd.params
    n, gamma, gap_kind = p["n"], p["gamma"], p["gap_kind"]
    names = list(t["topology"])
    nw = np.asarray(t["n_W"], dtype=float)
    gap = np.asarray(t["spectral_gap"], dtype=float)
    with _style.style():
        fig, axes = _style.new_figure(1, 2, size=(10.0, 4.3))
        for ax, values, title, fmt in (
            (axes[0, 0], nw, rf"effective number of neighbours $n_W(\gamma={gamma:g})$", "{:.1f}"),
            (axes[0, 1], gap, f"spectral gap ({gap_kind})", "{:.3g}"),
        ):
            order = np.argsort(-values, kind="stable")
            y = np.arange(len(order))[::-1]
            labels = [fd.label(names[i]) for i in order]
            ax.barh(y, values[order], color=[_style.color(names[i], j) for j, i in enumerate(order)])
            ax.set_yticks(y, labels)
            ax.set_xlabel(title)
            ax.grid(axis="y", visible=False)
            vmax = float(np.max(values))
            ax.set_xlim(0, vmax * 1.22)
            for yy, i in zip(y, order):
                ax.text(values[i] + 0.01 * vmax, yy, fmt.format(values[i]), va="center", fontsize=8)
        axes[0, 0].set_title("ordered by effective number of neighbours")
        axes[0, 1].set_title("ordered by spectral gap")
        fig.suptitle(f"The paper's topologies ({n} workers), best connected at the top", fontsize=11)
    return fig


orderings_figure = figure_function(compute, plot, "orderings_figure")
