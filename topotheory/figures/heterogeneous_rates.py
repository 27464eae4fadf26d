"""Heterogeneous quadratics: rate and stationary distances against the learning rate, per topology (THEORY §5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..hetero.problems import random_quadratic
from ..hetero.merging import stationary
from ..graphs import paper_topologies
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "heterogeneous_rates_figure"]


def compute(*, n: int = 32, d: int = 10, hessian_spread: float = 1.0, optima_spread: float = 1.0, noise: float = 0.1,
            lr_min: float = 0.01, lr_max: float = 0.95, points: int = 25, topologies: Any = None, seed: int = 0,
            quick: bool = False) -> FigureData:
    r"""Rate and stationary distances vs learning rate on heterogeneous quadratics, per topology.

    For each topology (default: the paper's, at ``n`` workers) and learning rate, exactly:

    * the rate :math:`r = 1 - \rho^2` of the mean map (:func:`~topotheory.merging.mean_map_rate`;
      with additive noise the law converges at this rate);
    * the stationary mean squared distance of the local models to the learning-rate dependent fixed
      point :math:`x^\star_\eta` (noise only);
    * the stationary mean squared distance to the true optimum :math:`x^\star` (noise plus the bias
      :math:`\frac1n\|x^\star_\eta - x^\star\|^2` caused by heterogeneity), local models solid and
      merged model dashed.

    Periodic schemes are evaluated at phase 0 (right after the last matrix of the period).

    Returns
    -------
    FigureData
        ``data["table"]``: ``topology, lr, rate, distance_to_fixed_point, local_distance_to_optimum,
        merged_distance_to_optimum, bias_distance`` (NaN where D-SGD diverges).

    Examples
    --------
    >>> res = compute(n=8, d=2, points=3, topologies=("ring", "fully_connected"))
    >>> len(res.data["table"]["rate"])
    6
    """
    n = check_int("n", n, minimum=2)
    d = check_int("d", d, minimum=1)
    lo = check_real("lr_min", lr_min, low=0.0, low_open=True)
    hi = check_real("lr_max", lr_max, low=0.0, low_open=True)
    if not lo < hi:
        raise ValueError(f"lr_min must be below lr_max, got {lo} and {hi}")
    points = 8 if quick else check_int("points", points, minimum=2)
    if topologies is None:
        schemes = paper_topologies(n)
        if quick:
            schemes = {k: schemes[k] for k in list(schemes)[:4] + ["ring"] if k in schemes}
    else:
        schemes = _data.resolve_topologies("topologies", topologies, n)
    p = random_quadratic(n, d, optima_spread=optima_spread, hessian_spread=hessian_spread, noise=noise, seed=seed)
    lrs = np.geomspace(lo, hi, points)
    rows = []
    for name, scheme in schemes.items():
        for lr in lrs:
            st = stationary(p, scheme, lr=float(lr))
            rows.append({"topology": name, "lr": float(lr), "rate": st["rate"],
                         "distance_to_fixed_point": st["noise_distance"],
                         "local_distance_to_optimum": st["local_distance"],
                         "merged_distance_to_optimum": st["merged_distance"],
                         "bias_distance": st["bias_distance"]})
    table = _data.columns(rows)
    caption = (
        "Exact rate of the mean map and stationary distances of D-SGD on heterogeneous quadratics, vs "
        f"the learning rate, for {len(schemes)} topologies of {n} workers. First panel: the rate 1 - rho^2 "
        "(topology matters only through Hessian heterogeneity). Second: distance to the learning-rate "
        "dependent fixed point x*_eta (gradient noise only). Third (local models) and fourth (merged "
        "model): distance to the true optimum x*, which adds the heterogeneity bias |x*_eta - x*|^2/n. "
        "Both grow with the learning rate, as does "
        "the rate: sparse topologies pay a larger bias at the same rate, the fully connected one none "
        "(its fixed point is x*); the merged model stays much closer to x* than the local "
        "models on sparse topologies."
    )
    params = {"n": n, "d": d, "hessian_spread": hessian_spread, "optima_spread": optima_spread, "noise": noise,
              "lr_min": lo, "lr_max": hi, "points": points, "topologies": list(schemes), "seed": seed,
              "order": "gradient_then_gossip", "phase": 0}
    labels = {k: _data.topology_label(k, s) for k, s in schemes.items()}
    return FigureData("heterogeneous_rates", {"table": table}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw the heterogeneous-rates figure from its :class:`FigureData`.

    Four panels (rate; distance to the fixed point; local and merged distance to the optimum), one
    line per topology in each, with one legend below the panels.
    """
    from . import _style

    t, p = fd.data["table"], fd.params
    topo = np.array(t["topology"])
    names = list(dict.fromkeys(t["topology"]))
    keys = ("rate", "distance_to_fixed_point", "local_distance_to_optimum", "merged_distance_to_optimum")
    titles = (r"rate $1-\rho^2$ of the mean map",
              r"stationary $\frac{1}{n}\sum_i E\|x_i - x^\star_{\eta,i}\|^2$",
              r"local models: stationary $\frac{1}{n}\sum_i E\|x_i - x^\star\|^2$",
              r"merged model: stationary $E\|\bar x - x^\star\|^2$")
    with _style.style():
        fig, axes = _style.new_figure(1, 4, size=(16.0, 4.6), sharex=True)
        for k, name in enumerate(names):
            sel = topo == name
            lrs = _data.float_column(t["lr"])[sel]
            for ax, key in zip(axes[0], keys):
                ax.plot(lrs, _data.finite_or_nan(_data.float_column(t[key])[sel]), color=_style.color(name, k),
                        label=fd.label(name))
        for ax, title in zip(axes[0], titles):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title, fontsize=9.5)
            ax.set_xlabel(r"learning rate $\eta$")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(names), 10))
        fig.suptitle(f"Heterogeneous quadratics: {p['n']} workers, d = {p['d']}, Hessian spread "
                     f"{p['hessian_spread']:g}, optima spread {p['optima_spread']:g}, noise {p['noise']:g}",
                     fontsize=11)
    return fig


heterogeneous_rates_figure = figure_function(compute, plot, "heterogeneous_rates_figure")

