"""Figure 5 of the paper: gossip matrices and random-walk covariances at the paper's fitted decays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_gamma, check_int
from ..metrics.randomwalk import effective_neighbors, random_walk_covariance
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "covariance_figure", "PAPER_FITTED_GAMMAS"]

#: The decays the paper fitted on Cifar-10 and prints in its Fig. 5 (topology spec -> gamma).
PAPER_FITTED_GAMMAS = {
    "two_cliques": 0.948,
    "torus:4x8": 0.993,
    "star": 0.986,
    "social_network": 0.992,
    "ring": 0.983,
    "hypercube": 0.997,
    "binary_tree": 0.984,
}


def compute(*, n: int = 32, gammas: Any = None, quick: bool = False) -> FigureData:
    r"""Paper Fig. 5: per topology, the gossip matrix ``W`` and the covariance :math:`\Sigma(\gamma)`.

    The covariance is the stationary covariance of the gossiping random walk
    (:func:`topotheory.random_walk_covariance`), :math:`\Sigma = \gamma W \Sigma W^\top + W W^\top`
    (row-wise gossip :math:`X \leftarrow W X`), at the decay the paper fitted for that topology;
    the panel titles show our :math:`n_W(\gamma)` ("mean" mode, :func:`topotheory.effective_neighbors`)
    where the paper prints its own. The middle row of the paper (covariances measured on
    Cifar-10) is not reproducible and is not drawn.

    Parameters
    ----------
    n : int
        Number of workers (32; ``social_network`` exists only for 32).
    gammas : dict, optional
        Topology spec (or Scheme of ``n`` workers) -> decay; default :data:`PAPER_FITTED_GAMMAS`.
    quick : bool
        Unused (the figure is cheap); accepted for a uniform interface.

    Returns
    -------
    FigureData
        ``data["table"]``: ``topology, gamma, n_W_mean, n_W_worst``; ``data["matrices"]``: per
        topology the gossip matrix and the covariance (arrays; nested lists in the JSON).

    Examples
    --------
    >>> res = compute(n=8, gammas={"ring": 0.9})
    >>> round(res.data["table"]["n_W_mean"][0], 4)
    5.9198
    """
    n = check_int("n", n, minimum=1)
    gammas = PAPER_FITTED_GAMMAS if gammas is None else gammas
    if not isinstance(gammas, dict):
        raise TypeError(f"gammas must be a dict of topology -> decay, got {gammas!r}")
    if not gammas:
        raise ValueError("gammas must name at least one topology")
    rows, mats, labels, given = [], {}, {}, {}
    for spec, gamma in gammas.items():
        key, scheme = _data.resolve_topology("gammas", spec, n)
        gamma = float(check_gamma(gamma, name=f"gammas[{key!r}]"))
        if key in mats:
            raise ValueError(f"gammas names the topology {key!r} twice")
        W = np.asarray(scheme.matrix(0), dtype=float)
        S = random_walk_covariance(scheme, gamma)
        nw = effective_neighbors(scheme, gamma, mode="mean")
        nw_worst = effective_neighbors(scheme, gamma, mode="worst")
        rows.append({"topology": key, "gamma": gamma, "n_W_mean": nw, "n_W_worst": nw_worst})
        mats[key] = {"gossip_matrix": W, "covariance": S}
        labels[key] = _data.topology_label(key, scheme)
        given[key] = gamma
    caption = (
        "At the decays the paper fitted, the random walk's covariance spreads far beyond direct "
        "neighbours, and n_W(gamma) counts how many workers effectively average the noise. "
        "Top: gossip matrix W (one logarithmic colour scale, white = no edge); bottom: stationary "
        "covariance of the gossiping random walk at the decay gamma the paper fitted on Cifar-10 for "
        "each topology (each panel on its own linear colour scale), with n_W(gamma) "
        "('mean' mode) in the titles. Matches the paper: the gossip matrices and the theoretical "
        "covariances (its top and bottom rows). Not shown: the paper's middle row (covariances "
        "measured in Cifar-10 training), which is not reproducible without the deep-learning runs."
    )
    params = {"n": n, "gammas": given}
    data = {"table": _data.columns(rows), "matrices": mats}
    return FigureData("fig5_covariance", data, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 5 from its :class:`FigureData`: W (top) and Sigma(gamma) (bottom) per topology.

    The gossip matrices share one logarithmic colour scale (on a linear scale the star's and the
    social network's W look like the identity: their off-diagonal weights are small next to the
    diagonal); each covariance has its own linear colour scale and colour bar.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import MaxNLocator

    from . import _style

    t = fd.data["table"]
    n = fd.params["n"]
    keys = list(t["topology"])
    Ws = [np.asarray(fd.data["matrices"][k]["gossip_matrix"], dtype=float) for k in keys]
    Ss = [np.asarray(fd.data["matrices"][k]["covariance"], dtype=float) for k in keys]
    k = len(keys)
    with _style.style():
        fig, axes = _style.new_figure(2, k, size=(1.95 * k + 1.4, 4.9))
        positive = np.concatenate([m[m > 0] for m in Ws])
        norm = LogNorm(vmin=float(positive.min()), vmax=float(positive.max()))
        cmap = _style.colormap("Greys", bad="white", low=0.25)
        for ax, W in zip(axes[0], Ws):
            im = ax.imshow(np.ma.masked_less_equal(W, 0.0), cmap=cmap, norm=norm, interpolation="nearest")
        cb = fig.colorbar(im, ax=list(axes[0]), shrink=0.92, pad=0.01)
        cb.set_label("weight $W_{ij}$ (log scale;\nwhite: no edge)", fontsize=8.5)
        for ax, S in zip(axes[1], Ss):
            im = ax.imshow(S, cmap="viridis", interpolation="nearest")
            cb = fig.colorbar(im, ax=ax, location="bottom", shrink=0.95, pad=0.03)
            cb.ax.tick_params(labelsize=7)
            cb.ax.xaxis.set_major_locator(MaxNLocator(3))
        for j, key in enumerate(keys):
            gamma, nw = t["gamma"][j], t["n_W_mean"][j]
            axes[0, j].set_title(f"{fd.label(key)}\n$\\gamma$={gamma:g}, $n_W$={nw:.1f}", fontsize=9.5)
            for ax in axes[:, j]:
                _style.matrix_axes(ax)
        axes[0, 0].set_ylabel("gossip matrix $W$")
        axes[1, 0].set_ylabel(r"covariance $\Sigma(\gamma)$")
        fig.suptitle(
            f"Gossip matrices and random-walk covariances at the paper's fitted decays ({n} workers)",
            fontsize=11,
        )
    return fig


covariance_figure = figure_function(compute, plot, "covariance_figure")
