"""Merged vs local models under communication schedules, and rates on heterogeneous data (THEORY §5, §9.1)."""

from __future__ import annotations

import numpy as np

from ..common.validation import check_int, check_real
from ..hetero.problems import random_quadratic
from ..hetero.merging import propagate, stationary
from ..hetero.schedules import PLACEMENTS, placement_schedule
from ..graphs import paper_topologies, topology_from_spec
from . import _style
from ._base import FigureResult

__all__ = ["merging_figure", "heterogeneous_rates_figure"]

_PLACEMENT_STYLE = {
    "early": ("#d62728", "-"),
    "uniform": ("#2ca02c", "-"),
    "late": ("#1f77b4", "-"),
    "final": ("#9467bd", ":"),
    "none": ("#7f7f7f", "--"),
    "every": ("#000000", "-."),
}


def merging_figure(*, n=16, d=20, hessian_spread=1.0, optima_spread=1.0, noise=0.5, budget=200, steps=2000,
                   lr=0.2, topology="ring", seed=0, record_every=10, quick=False):
    r"""Merged vs local expected loss over time for every placement of a gossip budget (THEORY §9.1).

    Two rows: identical Hessians (``hessian_spread = 0``; same optima spread) and heterogeneous
    Hessians (``hessian_spread``). Columns: the merged model :math:`E f(\bar x) - f^\star` and the
    mean local model :math:`\frac1n\sum_i E f(x_i) - f^\star`, exact (:func:`~topotheory.merging.propagate`).
    With identical Hessians every doubly stochastic placement gives the same merged curve (that of
    centralized mini-batch SGD); with heterogeneous Hessians late < uniform < early for the merged
    model, and a single final merge makes the local models equal to the merged one without
    improving the merged model itself (it equals "none").

    Returns
    -------
    FigureResult
        ``data["table"]``: ``hessian_spread, placement, step, merged_loss, local_loss,
        consensus_distance``; ``data["final"]``: the end values per row and placement.

    Examples
    --------
    >>> res = merging_figure(n=4, d=3, budget=5, steps=40, record_every=10)
    >>> sorted(set(res.data["table"]["placement"])) == sorted(PLACEMENTS)
    True
    """
    n = check_int("n", n, minimum=2)
    d = check_int("d", d, minimum=1)
    steps = check_int("steps", steps, minimum=1)
    budget = check_int("budget", budget, minimum=0)
    if budget > steps:
        raise ValueError(f"budget must be <= steps = {steps}, got {budget}")
    lr = check_real("lr", lr, low=0.0, low_open=True)
    record_every = check_int("record_every", record_every, minimum=1)
    if quick:
        steps, budget, record_every = min(steps, 500), min(budget, 50), max(record_every, 5)
    scheme = topology_from_spec(topology, n=n) if isinstance(topology, str) else topology
    spreads = (0.0, float(hessian_spread))
    rows, final = [], {}
    for hs in spreads:
        p = random_quadratic(n, d, optima_spread=optima_spread, hessian_spread=hs, noise=noise, seed=seed)
        final[str(hs)] = {}
        for pl in PLACEMENTS:
            c = propagate(p, placement_schedule(scheme, steps, pl, budget=budget), lr=lr, steps=steps,
                          record_every=record_every)
            final[str(hs)][pl] = c.final()
            rows += [{"hessian_spread": hs, "placement": pl, "step": int(t), "merged_loss": float(m),
                      "local_loss": float(lo), "consensus_distance": float(cd)}
                     for t, m, lo, cd in zip(c.steps, c.merged_loss, c.local_loss, c.consensus_distance)]
    table = _style.columns(rows)
    with _style.style():
        fig, axes = _style.new_figure(2, 2, size=(11.0, 7.0), sharex=True)
        for r, hs in enumerate(spreads):
            for col, key in enumerate(("merged_loss", "local_loss")):
                ax = axes[r, col]
                for pl in PLACEMENTS:
                    sel = [i for i, (h, q) in enumerate(zip(table["hessian_spread"], table["placement"]))
                           if h == hs and q == pl]
                    colr, ls = _PLACEMENT_STYLE[pl]
                    ax.plot(np.array(table["step"])[sel], np.array(table[key])[sel], color=colr, ls=ls, label=pl)
                ax.set_yscale("log")
                what = "merged model" if key == "merged_loss" else "local models (mean)"
                ax.set_title(f"{what}, Hessian spread {hs:g}")
                if r == 1:
                    ax.set_xlabel("step")
                if col == 0:
                    ax.set_ylabel(r"expected excess loss $f - f^\star$")
        axes[0, 0].legend(loc="upper right", ncol=2)
        fig.suptitle(f"{_style.label(scheme.name)} of {n}: budget {budget} gossip steps out of {steps} "
                     f"(lr {lr:g}, d = {d}, optima spread {optima_spread:g}, noise {noise:g})", fontsize=11)
    het = final[str(spreads[1])]
    caption = (
        f"Exact expected excess loss of the merged model (left) and of the local models (right) over "
        f"{steps} D-SGD steps on heterogeneous quadratics, {n} workers on a {scheme.name}, a budget of "
        f"{budget} gossip steps spent early / uniformly / late, one exact average at the end (final), "
        "never (none) or every step (every). Top: identical Hessians -- the merged model is the same "
        "for every doubly stochastic schedule (centralized mini-batch SGD); communication only helps the "
        f"local models. Bottom: Hessian spread {spreads[1]:g} -- final merged losses late "
        f"{het['late']['merged_loss']:.3g}, uniform {het['uniform']['merged_loss']:.3g}, early "
        f"{het['early']['merged_loss']:.3g}; a single final merge brings the local models down to the "
        f"merged loss ({het['final']['local_loss']:.3g}) but leaves the merged model where no "
        f"communication puts it ({het['none']['merged_loss']:.3g} vs every step "
        f"{het['every']['merged_loss']:.3g})."
    )
    params = {"n": n, "d": d, "hessian_spread": hessian_spread, "optima_spread": optima_spread, "noise": noise,
              "budget": budget, "steps": steps, "lr": lr, "topology": scheme.name, "seed": seed,
              "record_every": record_every, "x0": "zeros", "order": "gradient_then_gossip"}
    return FigureResult(fig, {"table": table, "final": final}, caption, params, "merging_schedules")


def heterogeneous_rates_figure(*, n=32, d=10, hessian_spread=1.0, optima_spread=1.0, noise=0.1, lr_min=0.01,
                               lr_max=0.95, points=25, topologies=None, seed=0, quick=False):
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
    FigureResult
        ``data["table"]``: ``topology, lr, rate, distance_to_fixed_point, local_distance_to_optimum,
        merged_distance_to_optimum, bias_distance`` (NaN where D-SGD diverges).

    Examples
    --------
    >>> res = heterogeneous_rates_figure(n=8, d=2, points=3, topologies=("ring", "fully_connected"))
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
        schemes = {name: topology_from_spec(name, n=n) for name in _style.name_list("topologies", topologies)}
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
    table = _style.columns(rows)
    with _style.style():
        fig, axes = _style.new_figure(1, 3, size=(14.0, 4.4), sharex=True)
        keys = ("rate", "distance_to_fixed_point", "local_distance_to_optimum")
        titles = (r"rate $1-\rho^2$ of the mean map",
                  r"stationary $\frac{1}{n}\sum_i E\|x_i - x^\star_{\eta,i}\|^2$",
                  r"stationary $E\|x - x^\star\|^2$: local (solid), merged (dashed)")
        for k, (name, scheme) in enumerate(schemes.items()):
            sel = np.array(table["topology"]) == name
            colr = _style.color(name, k)
            for ax, key in zip(axes[0], keys):
                ax.plot(lrs, _style.finite_or_nan(np.array(table[key], dtype=float)[sel]), color=colr,
                        label=_style.label(name, scheme))
            axes[0, 2].plot(lrs, np.array(table["merged_distance_to_optimum"], dtype=float)[sel], color=colr, ls="--")
        for ax, title in zip(axes[0], titles):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title)
            ax.set_xlabel(r"learning rate $\eta$")
        axes[0, 0].legend(loc="lower right", ncol=2)
        fig.suptitle(f"Heterogeneous quadratics: {n} workers, d = {d}, Hessian spread {hessian_spread:g}, "
                     f"optima spread {optima_spread:g}, noise {noise:g}", fontsize=11)
    caption = (
        "Exact rate of the mean map and stationary distances of D-SGD on heterogeneous quadratics, vs "
        f"the learning rate, for {len(schemes)} topologies of {n} workers. Left: the rate 1 - rho^2 "
        "(topology matters only through Hessian heterogeneity). Middle: distance to the learning-rate "
        "dependent fixed point x*_eta (gradient noise only). Right: distance to the true optimum x*, "
        "which adds the heterogeneity bias |x*_eta - x*|^2/n. Both grow with the learning rate, as does "
        "the rate: sparse topologies pay a larger bias at the same rate, the fully connected one none "
        "(its fixed point is x*); the merged model (dashed) stays much closer to x* than the local "
        "models on sparse topologies."
    )
    params = {"n": n, "d": d, "hessian_spread": hessian_spread, "optima_spread": optima_spread, "noise": noise,
              "lr_min": lo, "lr_max": hi, "points": points, "topologies": list(schemes), "seed": seed,
              "order": "gradient_then_gossip", "phase": 0}
    return FigureResult(fig, {"table": table}, caption, params, "heterogeneous_rates")
