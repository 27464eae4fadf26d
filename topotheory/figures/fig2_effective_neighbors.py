"""Figure 2 of the paper: the effective number of neighbours :math:`n_W(\\gamma)` against the decay."""

from __future__ import annotations

import numpy as np

from ..common.validation import check_int
from ..metrics.randomwalk import effective_neighbors
from ..graphs import topology_from_spec
from . import _style
from ._base import FigureResult

__all__ = ["effective_neighbors_figure"]

_DEFAULT = ("fully_connected", "two_cliques", "one_peer_exponential", "ring", "solo")


def effective_neighbors_figure(
    *,
    n=32,
    topologies=_DEFAULT,
    gamma_min=0.9,
    gamma_max=0.9999,
    points=200,
    quick=False,
):
    r"""Paper Fig. 2: :math:`n_W(\gamma)` ("mean" mode) vs :math:`\gamma` on a log(1 - gamma) axis.

    Each curve is :func:`topotheory.effective_neighbors` evaluated at ``1 - gamma`` on a log grid
    (passed as ``one_minus_gamma`` for full precision near 1).

    Parameters
    ----------
    n : int
        Number of workers (the paper: 32).
    topologies : sequence of str
        Names or specs accepted by :func:`topotheory.topology_from_spec`.
    gamma_min, gamma_max : float
        Range of decays (the paper: 0.9 to 0.9999).
    points : int
        Grid size (``quick`` uses 40).
    quick : bool
        Fewer grid points.

    Returns
    -------
    FigureResult
        ``data["table"]`` has columns ``topology, gamma, one_minus_gamma, n_W`` (long format).

    Examples
    --------
    >>> res = effective_neighbors_figure(n=8, topologies=("ring", "solo"), quick=True)
    >>> res.data["table"]["n_W"][-1]
    1.0
    """
    n = check_int("n", n, minimum=1)
    topologies = _style.name_list("topologies", topologies)
    points = 40 if quick else points
    gmin, gmax, c = _style.one_minus_gamma_range(gamma_min, gamma_max, points)
    rows = []
    curves = {}
    for name in topologies:
        scheme = topology_from_spec(name, n)
        nw = np.asarray(effective_neighbors(scheme, one_minus_gamma=c, mode="mean"), dtype=float)
        curves[name] = (scheme, nw)
        rows += [{"topology": name, "gamma": 1 - ci, "one_minus_gamma": ci, "n_W": v} for ci, v in zip(c, nw)]

    with _style.style():
        fig, axes = _style.new_figure(size=(6.0, 4.2))
        ax = axes[0, 0]
        for i, (name, (scheme, nw)) in enumerate(curves.items()):
            ax.plot(c, nw, color=_style.color(name, i), label=_style.label(name, scheme))
        _style.one_minus_gamma_axis(ax, 1 - c)
        ax.set_ylabel(r"effective number of neighbours $n_W(\gamma)$")
        ax.set_ylim(0, n * 1.05)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.07))
        ax.set_title(f"Effective number of neighbours, {n} workers")
    caption = (
        "The curves cross: which topology averages noise best depends on the decay gamma, i.e. on "
        "the learning rate and the noise. "
        f"Effective number of neighbours n_W(gamma) ('mean' mode, paper Definition 1) of {n} workers "
        f"for gamma from {gmin} to {gmax}, exact values from effective_neighbors."
    )
    params = {"n": n, "topologies": list(topologies), "gamma_min": gmin, "gamma_max": gmax, "points": points}
    return FigureResult(fig, {"table": _style.columns(rows)}, caption, params, "fig2_effective_neighbors")

