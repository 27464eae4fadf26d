"""Merged vs local models under communication schedules on heterogeneous data (THEORY §9.1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..hetero.problems import random_quadratic
from ..hetero.merging import propagate
from ..hetero.schedules import PLACEMENTS, placement_schedule
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "merging_figure"]

_PLACEMENT_STYLE = {
    "early": ("#d62728", "-"),
    "uniform": ("#2ca02c", "-"),
    "late": ("#1f77b4", "-"),
    "final": ("#9467bd", ":"),
    "none": ("#7f7f7f", "--"),
    "every": ("#000000", "-."),
}


def compute(*, n: int = 16, d: int = 20, hessian_spread: float = 1.0, optima_spread: float = 1.0, noise: float = 0.5,
            budget: int = 200, steps: int = 2000, lr: float = 0.2, topology: str = "ring", seed: int = 0,
            record_every: int = 10, quick: bool = False) -> FigureData:
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
    FigureData
        ``data["table"]``: ``hessian_spread, placement, step, merged_loss, local_loss,
        consensus_distance``; ``data["final"]``: the end values per row and placement.

    Examples
    --------
    >>> res = compute(n=4, d=3, budget=5, steps=40, record_every=10)
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
    key, scheme = _data.resolve_topology("topology", topology, n)
    spreads = (0.0, float(hessian_spread))
    rows: list[Any] = []
    final: dict[Any, Any] = {}
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
    table = _data.columns(rows)
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
    labels = {scheme.name: _data.topology_label(key, scheme)}
    return FigureData("merging_schedules", {"table": table, "final": final}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw the merging figure from its :class:`FigureData`: merged and local losses per placement."""
    from . import _style

    table, p = fd.data["table"], fd.params
    n, d, budget, steps, lr = p["n"], p["d"], p["budget"], p["steps"], p["lr"]
    optima_spread, noise = p["optima_spread"], p["noise"]
    spreads = list(dict.fromkeys(table["hessian_spread"]))
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
        fig.suptitle(f"{fd.label(p['topology'])} of {n}: budget {budget} gossip steps out of {steps} "
                     f"(lr {lr:g}, d = {d}, optima spread {optima_spread:g}, noise {noise:g})", fontsize=11)
    return fig


merging_figure = figure_function(compute, plot, "merging_figure")
