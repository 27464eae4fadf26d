"""Figure 5 of the paper: gossip matrices and random-walk covariances at the paper's fitted decays."""

from __future__ import annotations

import numpy as np

from ..common.validation import check_gamma
from ..metrics.randomwalk import effective_neighbors, random_walk_covariance
from ..graphs import topology_from_spec
from . import _style
from ._base import FigureResult

__all__ = ["covariance_figure", "PAPER_FITTED_GAMMAS"]

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


def covariance_figure(*, n=32, gammas=None, quick=False):
    r"""Paper Fig. 5: per topology, the gossip matrix ``W`` and the covariance :math:`\Sigma(\gamma)`.

    The covariance is the stationary covariance of the gossiping random walk
    (:func:`topotheory.random_walk_covariance`) at the decay the paper fitted for that topology;
    the panel titles show our :math:`n_W(\gamma)` ("mean" mode, :func:`topotheory.effective_neighbors`)
    where the paper prints its own. The middle row of the paper (covariances measured on
    Cifar-10) is not reproducible and is not drawn.

    Parameters
    ----------
    n : int
        Number of workers (32; ``social_network`` exists only for 32).
    gammas : dict, optional
        Topology spec -> decay; default :data:`PAPER_FITTED_GAMMAS`.
    quick : bool
        Unused (the figure is cheap); accepted for a uniform interface.

    Returns
    -------
    FigureResult
        ``data["table"]``: ``topology, gamma, n_W_mean, n_W_worst``; ``data["matrices"]``: per
        topology the gossip matrix and the covariance (arrays; nested lists in the JSON).

    Examples
    --------
    >>> res = covariance_figure(n=8, gammas={"ring": 0.9})
    >>> round(res.data["table"]["n_W_mean"][0], 4)
    5.9198
    """
    gammas = dict(PAPER_FITTED_GAMMAS if gammas is None else gammas)
    if not gammas:
        raise ValueError("gammas must name at least one topology")
    rows, mats, panels = [], {}, []
    for spec, gamma in gammas.items():
        gamma = float(check_gamma(gamma, name=f"gammas[{spec!r}]"))
        scheme = topology_from_spec(spec, n)
        W = np.asarray(scheme.matrix(0), dtype=float)
        S = random_walk_covariance(scheme, gamma)
        nw = effective_neighbors(scheme, gamma, mode="mean")
        nw_worst = effective_neighbors(scheme, gamma, mode="worst")
        rows.append({"topology": spec, "gamma": gamma, "n_W_mean": nw, "n_W_worst": nw_worst})
        mats[spec] = {"gossip_matrix": W, "covariance": S}
        panels.append((spec, scheme, gamma, nw, W, S))

    k = len(panels)
    with _style.style():
        fig, axes = _style.new_figure(2, k, size=(1.95 * k + 0.6, 4.6))
        for j, (spec, scheme, gamma, nw, W, S) in enumerate(panels):
            name = spec.split(":")[0]
            top, bottom = axes[0, j], axes[1, j]
            top.imshow(W, cmap="Greys", interpolation="nearest")
            bottom.imshow(S, cmap="viridis", interpolation="nearest")
            top.set_title(f"{_style.label(name, scheme)}\n$\\gamma$={gamma:g}, $n_W$={nw:.1f}", fontsize=9.5)
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                for side in ("top", "right"):
                    ax.spines[side].set_visible(True)
        axes[0, 0].set_ylabel("gossip matrix $W$")
        axes[1, 0].set_ylabel(r"covariance $\Sigma(\gamma)$")
        fig.suptitle(
            f"Gossip matrices and random-walk covariances at the paper's fitted decays ({n} workers)",
            fontsize=11,
        )
    caption = (
        "At the decays the paper fitted, the random walk's covariance spreads far beyond direct "
        "neighbours, and n_W(gamma) counts how many workers effectively average the noise. "
        "Top: gossip matrix W (darker = larger weight); bottom: stationary covariance of the "
        "gossiping random walk at the decay gamma the paper fitted on Cifar-10 for each topology "
        "(each panel on its own colour scale), with n_W(gamma) ('mean' mode) in the titles. "
        "The paper's middle row (covariances measured in Cifar-10 training) is not reproducible "
        "without the deep-learning runs and is not shown."
    )
    params = {"n": n, "gammas": gammas}
    data = {"table": _style.columns(rows), "matrices": mats}
    return FigureResult(fig, data, caption, params, "fig5_covariance")
