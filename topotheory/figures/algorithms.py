"""Extra figure: beyond plain D-SGD — momentum, gradient tracking and compressed gossip per topology."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..graphs import fully_connected, one_peer_exponential, ring, torus
from ..metrics.randomwalk import effective_neighbors
from ..toy.algorithms import optimal_hyperparameters
from ..toy.quadratic import optimal_learning_rate
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "algorithms_figure", "TOPOLOGIES", "claims"]

#: The compared topologies: key -> constructor of ``n`` (the torus as square as ``n`` allows; for
#: ``n = 16`` the 4 x 4 torus is also the hypercube).
TOPOLOGIES = {
    "ring": ring,
    "torus": lambda n: torus(*_grid(n)),
    "one_peer_exponential": one_peer_exponential,
    "fully_connected": fully_connected,
}

_LABELS = {"ring": "ring", "torus": "torus", "one_peer_exponential": "one-peer exp.",
           "fully_connected": "fully connected"}


def _grid(n: int) -> tuple[int, int]:
    r = int(math.isqrt(n))
    while n % r:
        r -= 1
    return r, n // r


def _ranking(rates: dict[str, float]) -> list[str]:
    """Topology keys from the highest rate to the lowest."""
    return [k for k, _ in sorted(rates.items(), key=lambda kv: -kv[1])]


def compute(*, n: int = 16, zetas: Any = (5.0, 50.0), zeta: float = 50.0, ratios: Any = (0.25, 0.5, 1.0),
            topologies: Any = tuple(TOPOLOGIES), quick: bool = False) -> FigureData:
    r"""Exact optimal rates of DmSGD, gradient tracking and CHOCO-SGD against D-SGD, per topology.

    All numbers are exact (the second-moment recursion of each algorithm's per-worker state,
    :func:`topotheory.optimal_hyperparameters`; D-SGD: :func:`topotheory.optimal_learning_rate`,
    THEORY §3.3) on the isotropic toy problem with identical data; gossip is row-wise
    ``X <- W X``. Four panels:

    * ``optimum`` — the optimal rate of D-SGD (over :math:`\eta`) and of DmSGD (heavy ball, local
      buffer, over :math:`(\eta, \beta)`) for each topology and :math:`\zeta` in ``zetas``;
    * ``momentum`` — at ``zeta``: the optimal :math:`\beta^*` and :math:`\eta^*` of DmSGD, its
      effective learning rate :math:`\eta^*/(1-\beta^*)`, against D-SGD's optimal :math:`\eta` and
      the effective number of neighbours :math:`n_W(\gamma^*)` at D-SGD's operating point;
    * ``tracking`` — the optimal rate of gradient tracking (DIGing, over :math:`\eta`), which sends
      two vectors per step (iterate and tracker), against D-SGD's, which sends one;
    * ``choco`` — at ``zeta``: CHOCO-SGD with random-k sparsification (``ratio`` :math:`= k/d`)
      over :math:`(\eta, \gamma)`, its optimal rate and its rate per transmitted coordinate,
      ``rate / ratio``.

    Parameters
    ----------
    n : int
        Number of workers, a power of 2 (quick: 8).
    zetas : sequence of float
        Noise levels of the ``optimum`` and ``tracking`` panels.
    zeta : float
        The operating point of the ``momentum`` and ``choco`` panels.
    ratios : sequence of float
        CHOCO's fractions of coordinates kept (quick: ``(0.5, 1.0)``).
    topologies : sequence of str
        Keys of :data:`TOPOLOGIES` (quick: ring, one-peer exponential graph, fully connected).
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]`` (= ``optimum``): ``topology, zeta, algorithm, lr, momentum, rate``;
        ``data["momentum"]``: ``topology, effective_neighbors, dsgd_lr, lr, momentum, effective_lr``;
        ``data["tracking"]``: ``topology, zeta, dsgd_rate, tracking_rate, tracking_lr``;
        ``data["choco"]``: ``topology, ratio, lr, consensus_step, rate, rate_per_coordinate``.

    Examples
    --------
    >>> fd = compute(n=4, zetas=(5.0,), zeta=5.0, ratios=(1.0,), topologies=("ring",))
    >>> rate = dict(zip(fd.data["table"]["algorithm"], fd.data["table"]["rate"]))
    >>> bool(rate["dmsgd"] >= rate["dsgd"]), round(fd.data["choco"]["rate"][0] / rate["dsgd"], 6)
    (True, 1.0)
    """
    if quick:
        n, ratios, topologies = 8, (0.5, 1.0), ("ring", "one_peer_exponential", "fully_connected")
    n = check_int("n", n, minimum=4)
    if n & (n - 1):
        raise ValueError(f"n must be a power of 2 (the hypercube and one-peer exponential graph), got {n}")
    zs = sorted({check_real("zetas", z, low=1.0) for z in zetas})
    z0 = check_real("zeta", zeta, low=1.0)
    rs = sorted({check_real("ratios", r, low=0.0, high=1.0, low_open=True) for r in ratios})
    if not zs or not rs:
        raise ValueError("zetas and ratios must each list at least one value")
    unknown = [k for k in topologies if k not in TOPOLOGIES]
    if unknown or not topologies:
        raise ValueError(f"topologies must be keys of {', '.join(TOPOLOGIES)}; got {list(topologies)!r}")
    schemes = {key: TOPOLOGIES[key](n) for key in topologies}
    optimum, momentum, tracking, choco = [], [], [], []
    for key, S in schemes.items():
        for z in sorted(set(zs) | {z0}):
            d = optimal_learning_rate(S, zeta=z)
            m = optimal_hyperparameters(S, zeta=z, algorithm="dmsgd", tune=("lr", "momentum"))
            beta = m.hyperparameters["momentum"]
            if z in zs:
                optimum.append({"topology": key, "zeta": z, "algorithm": "dsgd", "lr": d.lr, "momentum": 0.0,
                                "rate": d.rate})
                optimum.append({"topology": key, "zeta": z, "algorithm": "dmsgd", "lr": m.lr, "momentum": beta,
                                "rate": m.rate})
                g = optimal_hyperparameters(S, zeta=z, algorithm="gradient_tracking", tune=("lr",))
                tracking.append({"topology": key, "zeta": z, "dsgd_rate": d.rate, "tracking_rate": g.rate,
                                 "tracking_lr": g.lr})
            if z == z0:
                momentum.append({"topology": key, "effective_neighbors": float(effective_neighbors(S, d.gamma)),
                                 "dsgd_lr": d.lr, "lr": m.lr, "momentum": beta, "effective_lr": m.lr / (1.0 - beta)})
                for r in rs:
                    c = optimal_hyperparameters(S, zeta=z0, algorithm="choco", tune=("lr", "consensus_step"),
                                                compression="random_k", ratio=r)
                    choco.append({"topology": key, "ratio": r, "lr": c.lr,
                                  "consensus_step": c.hyperparameters["consensus_step"], "rate": c.rate,
                                  "rate_per_coordinate": c.rate / r})
    data = {"table": _data.columns(optimum), "momentum": _data.columns(momentum),
            "tracking": _data.columns(tracking), "choco": _data.columns(choco)}
    params = {"n": n, "zetas": zs, "zeta": z0, "ratios": rs, "topologies": list(schemes)}
    fd = FigureData("algorithms", data, "", params, labels=dict(_LABELS))
    return FigureData("algorithms", data, _caption(fd), params, labels=dict(_LABELS))


def claims(fd: FigureData) -> dict[str, Any]:
    """The caption's claims, recomputed from the data (each a small dict; tests check them).

    ``ranking_kept``: per :math:`\\zeta`, whether DmSGD ranks the topologies as D-SGD does;
    ``momentum_helps``: the smallest and largest DmSGD/D-SGD optimal-rate ratio;
    ``tracking_costs``: the smallest and largest tracking/D-SGD rate ratio, per step and per
    transmitted vector; ``choco_best_ratio``: per topology, the ratio with the highest rate per
    transmitted coordinate.
    """
    t = [dict(zip(fd.data["table"], v)) for v in zip(*fd.data["table"].values())]
    out: dict[str, Any] = {"ranking_kept": {}, "momentum_helps": {}, "tracking_costs": {}, "choco_best_ratio": {}}
    ratios = []
    for z in fd.params["zetas"]:
        rate = {a: {r["topology"]: r["rate"] for r in t if r["zeta"] == z and r["algorithm"] == a}
                for a in ("dsgd", "dmsgd")}
        out["ranking_kept"][z] = _ranking(rate["dsgd"]) == _ranking(rate["dmsgd"])
        ratios += [rate["dmsgd"][k] / rate["dsgd"][k] for k in rate["dsgd"]]
    out["momentum_helps"] = {"min": min(ratios), "max": max(ratios)}
    tr = fd.data["tracking"]
    per_step = np.array(tr["tracking_rate"]) / np.array(tr["dsgd_rate"])
    out["tracking_costs"] = {"min": float(per_step.min()), "max": float(per_step.max()),
                             "per_vector_max": float((per_step / 2).max())}
    ch = [dict(zip(fd.data["choco"], v)) for v in zip(*fd.data["choco"].values())]
    for key in dict.fromkeys(r["topology"] for r in ch):
        mine = [r for r in ch if r["topology"] == key]
        out["choco_best_ratio"][key] = max(mine, key=lambda r: r["rate_per_coordinate"])["ratio"]
    return out


def _caption(fd: FigureData) -> str:
    c, p = claims(fd), fd.params
    kept = [z for z, ok in c["ranking_kept"].items() if ok]
    changed = [z for z, ok in c["ranking_kept"].items() if not ok]
    ranking = ("momentum does not change which topology is best: DmSGD ranks the topologies as D-SGD does "
               f"at every zeta shown ({', '.join(f'{z:g}' for z in kept)})" if not changed else
               "momentum changes the ranking of the topologies at zeta = " + ", ".join(f"{z:g}" for z in changed)
               + (f" (kept at {', '.join(f'{z:g}' for z in kept)})" if kept else ""))
    m = fd.data["momentum"]
    eff = np.array(m["effective_lr"]) / np.array(m["dsgd_lr"])
    best = c["choco_best_ratio"]
    sparse = sorted({r for r in best.values()})
    return (
        f"Exact optimal rates on n = {p['n']} workers (identical data, the toy problem), each algorithm's "
        f"hyper-parameters tuned jointly with the learning rate. (a) Optimal rate: {ranking}; with its "
        f"momentum tuned, DmSGD's optimal rate is {c['momentum_helps']['min']:.3g} to "
        f"{c['momentum_helps']['max']:.3g} times D-SGD's. (b) At zeta = {p['zeta']:g}: the optimal momentum "
        "against n_W at D-SGD's operating point; DmSGD's effective learning rate lr/(1 - beta) is "
        f"{eff.min():.3g} to {eff.max():.3g} times D-SGD's optimal learning rate. (c) Gradient tracking on "
        f"identical data reaches {c['tracking_costs']['min']:.3g} to {c['tracking_costs']['max']:.3g} times "
        "D-SGD's optimal rate per step, and at most "
        f"{c['tracking_costs']['per_vector_max']:.3g} times per transmitted vector (it sends two): without "
        "heterogeneity its second round does not pay. (d) CHOCO-SGD with random-k sparsification (kept "
        "fraction k/d, no rescaling) at zeta = "
        f"{p['zeta']:g}: the rate per transmitted coordinate is highest at k/d = "
        + ", ".join(f"{r:g}" for r in sparse) + " ("
        + "; ".join(f"{_LABELS[k]}: {v:g}" for k, v in best.items()) + ")."
    )


def plot(fd: FigureData) -> Any:
    """Draw the four panels: optimal rates, optimal momentum vs n_W, tracking vs D-SGD, CHOCO per coordinate."""
    from . import _style

    t, m, tr, ch, p = fd.data["table"], fd.data["momentum"], fd.data["tracking"], fd.data["choco"], fd.params
    keys = list(p["topologies"])
    x = np.arange(len(keys))
    with _style.style():
        fig, axes = _style.new_figure(1, 4, size=(18, 4.4))
        ax0, ax1, ax2, ax3 = (axes[0, k] for k in range(4))
        rows = [dict(zip(t, v)) for v in zip(*t.values())]
        for j, z in enumerate(p["zetas"]):
            for a, ls in (("dsgd", "-"), ("dmsgd", "--")):
                y = [next(r["rate"] for r in rows if r["topology"] == k and r["zeta"] == z and r["algorithm"] == a)
                     for k in keys]
                ax0.plot(x, y, ls=ls, marker="o" if a == "dsgd" else "s", color=_style.color(str(z), j),
                         label=f"{'D-SGD' if a == 'dsgd' else 'DmSGD'}, $\\zeta$ = {z:g}")
        ax0.set_yscale("log")
        ax0.set_ylabel("optimal rate $r^*$")
        ax0.set_title("(a) optimal rate (dashed: DmSGD, momentum tuned)")
        ax0.legend(fontsize=7)
        for k, key in enumerate(m["topology"]):
            ax1.scatter(m["effective_neighbors"][k], m["momentum"][k], color=_style.color(key, k), label=_LABELS[key])
        ax1.set_xlabel(r"$n_W(\gamma^*)$ at D-SGD's optimum")
        ax1.set_ylabel(r"optimal momentum $\beta^*$")
        ax1.set_title(f"(b) optimal momentum, $\\zeta$ = {p['zeta']:g}")
        ax1.legend(fontsize=7)
        trows = [dict(zip(tr, v)) for v in zip(*tr.values())]
        for j, z in enumerate(p["zetas"]):
            y = [next(r["tracking_rate"] / r["dsgd_rate"] for r in trows if r["topology"] == k and r["zeta"] == z)
                 for k in keys]
            ax2.plot(x, y, marker="o", color=_style.color(str(z), j), label=f"per step, $\\zeta$ = {z:g}")
            ax2.plot(x, np.array(y) / 2, marker="x", ls=":", color=_style.color(str(z), j))
        ax2.axhline(1.0, color="black", lw=1.0)
        ax2.set_ylabel("gradient tracking rate / D-SGD rate")
        ax2.set_title("(c) gradient tracking (dotted: per transmitted vector)")
        ax2.legend(fontsize=7)
        crows = [dict(zip(ch, v)) for v in zip(*ch.values())]
        for j, r in enumerate(p["ratios"]):
            y = [next(c["rate_per_coordinate"] for c in crows if c["topology"] == k and c["ratio"] == r) for k in keys]
            ax3.plot(x, y, marker="o", color=_style.color(str(r), j), label=f"k/d = {r:g}")
        ax3.set_yscale("log")
        ax3.set_ylabel("optimal rate / (k/d)")
        ax3.set_title(f"(d) CHOCO-SGD per transmitted coordinate, $\\zeta$ = {p['zeta']:g}")
        ax3.legend(fontsize=7)
        for ax in (ax0, ax2, ax3):
            ax.set_xticks(x)
            ax.set_xticklabels([_LABELS[k] for k in keys], rotation=30, ha="right", fontsize=8)
        fig.suptitle(f"Beyond D-SGD: exact optimal rates per topology (n = {p['n']})", fontsize=11)
    return fig


algorithms_figure = figure_function(compute, plot, "algorithms_figure")
