"""Figure 2 of the paper: the effective number of neighbours :math:`n_W(\\gamma)` against the decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int
from ..metrics.randomwalk import effective_neighbors
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "effective_neighbors_figure"]

_DEFAULT = ("fully_connected", "two_cliques", "one_peer_exponential", "ring", "solo")


def compute(*, n: int = 32, topologies: Any = _DEFAULT, gamma_min: float = 0.9, gamma_max: float = 0.9999,
            points: int = 200, quick: bool = False) -> FigureData:
    r"""Paper Fig. 2: :math:`n_W(\gamma)` ("mean" mode) vs :math:`\gamma` on a log(1 - gamma) axis.

    Each curve is :func:`topotheory.effective_neighbors` evaluated at ``1 - gamma`` on a log grid
    (passed as ``one_minus_gamma`` for full precision near 1); :math:`n_W(\gamma) =
    \frac{1}{1-\gamma} / \overline{\Sigma_{ii}}` with :math:`\Sigma = \gamma W\Sigma W^\top + W W^\top`
    (paper Definition 1; gossip is row-wise, :math:`X \leftarrow W X`).

    Parameters
    ----------
    n : int
        Number of workers (the paper: 32).
    topologies : sequence of str or Scheme
        Names or specs accepted by :func:`topotheory.topology_from_spec`, or Scheme objects of
        ``n`` workers (their ``name`` labels the data).
    gamma_min, gamma_max : float
        Range of decays (the paper: 0.9 to 0.9999).
    points : int
        Grid size (``quick`` uses 40).
    quick : bool
        Fewer grid points.

    Returns
    -------
    FigureData
        ``data["table"]`` has columns ``topology, gamma, one_minus_gamma, n_W`` (long format).

    Examples
    --------
    >>> res = compute(n=8, topologies=("ring", "solo"), quick=True)
    >>> res.data["table"]["n_W"][-1]
    1.0
    """
    n = check_int("n", n, minimum=1)
    schemes = _data.resolve_topologies("topologies", topologies, n)
    points = 40 if quick else points
    gmin, gmax, c = _data.one_minus_gamma_range(gamma_min, gamma_max, points)
    rows = []
    for name, scheme in schemes.items():
        nw = np.asarray(effective_neighbors(scheme, one_minus_gamma=c, mode="mean"), dtype=float)
        rows += [{"topology": name, "gamma": 1 - ci, "one_minus_gamma": ci, "n_W": v} for ci, v in zip(c, nw)]
    caption = (
        "The curves cross: which topology averages noise best depends on the decay gamma, i.e. on "
        "the learning rate and the noise. "
        f"Effective number of neighbours n_W(gamma) ('mean' mode, paper Definition 1) of {n} workers "
        f"for gamma from {gmin} to {gmax}, exact values from effective_neighbors; the paper's "
        "Fig. 2 shows the same curves."
    )
    params = {"n": n, "topologies": list(schemes), "gamma_min": gmin, "gamma_max": gmax, "points": points}
    labels = {k: _data.topology_label(k, s) for k, s in schemes.items()}
    return FigureData("fig2_effective_neighbors", {"table": _data.columns(rows)}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 2 from its :class:`FigureData` (one curve per topology, log(1 - gamma) axis)."""
    from . import _style

    t = fd.data["table"]
    n = fd.params["n"]
    names = list(dict.fromkeys(t["topology"]))
    topo = np.array(t["topology"])
    c_all = np.asarray(t["one_minus_gamma"], dtype=float)
    nw_all = np.asarray(t["n_W"], dtype=float)
    with _style.style():
        fig, axes = _style.new_figure(size=(6.0, 4.2))
        ax = axes[0, 0]
        for i, name in enumerate(names):
            sel = topo == name
            ax.plot(c_all[sel], nw_all[sel], color=_style.color(name, i), label=fd.label(name))
        _style.one_minus_gamma_axis(ax, 1 - c_all)
        ax.set_ylabel(r"effective number of neighbours $n_W(\gamma)$")
        ax.set_ylim(0, n * 1.05)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.07))
        ax.set_title(f"Effective number of neighbours, {n} workers")
    return fig


effective_neighbors_figure = figure_function(compute, plot, "effective_neighbors_figure")
