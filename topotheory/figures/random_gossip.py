"""Extra figure: random vs deterministic one-peer gossip at equal communication, exact and simulated."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..crosscheck import crosscheck
from ..graphs import base_graph, one_peer_exponential, ring
from ..graphs.random import epidemic, pairwise_gossip, random_matching
from ..toy.quadratic import optimal_learning_rate, zeta as zeta_of
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "random_gossip_figure", "SCHEMES"]

#: The compared schemes: key -> (constructor of ``n``, models each worker sends per step, random?).
SCHEMES = {
    "random_matching": (random_matching, 1.0, True),
    "epidemic_s1": (lambda n: epidemic(n, 1), 1.0, True),
    "pairwise_gossip": (pairwise_gossip, None, True),  # 2 models per step in all: 2/n per worker
    "one_peer_exponential": (one_peer_exponential, 1.0, False),
    "base_graph_k1": (lambda n: base_graph(n, 1), 1.0, False),
    "ring": (ring, 2.0, False),
}

_LABELS = {
    "random_matching": "random matching (random)",
    "epidemic_s1": "Epidemic Learning s = 1 (random)",
    "pairwise_gossip": "pairwise gossip, one pair (random)",
    "one_peer_exponential": "one-peer exponential graph",
    "base_graph_k1": "Base-2 graph (= exponential for n = 2^k)",
    "ring": "ring (2 peers)",
}

_COLORS = {
    "random_matching": "#d62728",
    "epidemic_s1": "#9467bd",
    "pairwise_gossip": "#8c564b",
    "one_peer_exponential": "#ff7f0e",
    "base_graph_k1": "#2ca02c",
    "ring": "#17becf",
}


def compute(*, sizes: Any = (8, 16, 32), zetas: Any = (5, 20, 102), d: int = 100, batch_size: int = 1,
            reps: int = 300, steps: int = 60, seed: int = 0, quick: bool = False) -> FigureData:
    r"""Random one-peer gossip (random matching, Epidemic Learning ``s = 1``, pairwise gossip) vs
    deterministic one-peer schemes (one-peer exponential graph, Base-2 graph, ring) at equal communication.

    For each ``n`` in ``sizes``, scheme and :math:`\zeta` in ``zetas``:
    :func:`topotheory.quadratic.optimal_learning_rate` (exact rates, THEORY §3.3; for a random law
    the Perron root of :math:`C \mapsto \mathbb E[W(aC + \beta\,\mathrm{Diag}\,C)W^T]`, a fresh
    :math:`W_t` per step), with :math:`\gamma` and :math:`n_W(\gamma)` at that operating point. At
    the operating point :math:`\zeta = (1 + b + d)/b` the optimum is checked by
    :func:`topotheory.crosscheck` (Monte Carlo, bootstrap interval of the rate). Gossip is row-wise,
    ``X <- W_t X``.

    Communication per step and worker: one model sent for random matching, Epidemic Learning with
    ``s = 1``, the one-peer exponential graph and the Base-2 graph (``base_graph(n, 1)``; equal to
    the one-peer exponential graph when ``n`` is a power of 2); two for the ring; ``2/n`` on average
    for pairwise gossip (one pair per step), shown as the low-communication reference.

    Parameters
    ----------
    sizes : sequence of int
        Numbers of workers (quick: ``(8,)``).
    zetas : sequence of float
        :math:`\zeta` values of the exact-rate panel (quick: ``(5, 102)``); the operating point's
        :math:`\zeta` is added.
    d, batch_size : int
        The operating point's problem (:math:`\zeta = (1 + b + d)/b`, default 102).
    reps, steps, seed : int
        Simulation of the cross-check at the operating point (quick: 200 replicas); the horizon is
        at least ``5 / rate`` steps so that the fit window is past the transient.
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]``: ``scheme, random, sends, workers, zeta, lr, rate, max_lr, gamma,
        effective_neighbors``; ``data["check"]``: ``scheme, workers, lr, theory_rate, mc_rate,
        ci_low, ci_high, steps, verdict`` at the operating point, and ``window_rate`` (the exact
        curve's decay over the fit window: the simulation estimates it, and it tends to the rate).

    Examples
    --------
    >>> fd = compute(sizes=(4,), zetas=(), reps=50)
    >>> t = fd.data["table"]
    >>> rate = {(s, z): r for s, z, r in zip(t["scheme"], t["zeta"], t["rate"])}
    >>> bool(rate[("one_peer_exponential", 102.0)] > rate[("random_matching", 102.0)])
    True
    """
    d = check_int("d", d, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if quick:
        sizes, zetas, reps, steps = (8,), (5.0, 102.0), 200, 40
    sizes = tuple(check_int("sizes", k, minimum=2) for k in sizes)
    zs = [check_real("zetas", z, low=1.0) for z in zetas]
    if not sizes:
        raise ValueError("sizes must list at least one number of workers")
    reps = check_int("reps", reps, minimum=2)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    steps = check_int("steps", steps, minimum=4)
    z0 = zeta_of(d, batch_size)
    zs = sorted(set(float(z) for z in zs) | {float(z0)})
    rows, checks = [], []
    for n in sizes:
        for key, (make, sends, is_random) in SCHEMES.items():
            S = make(n)
            for z in zs:
                opt = optimal_learning_rate(S, zeta=z)
                rows.append({
                    "scheme": key, "random": is_random, "sends": 2.0 / n if sends is None else sends,
                    "workers": n, "zeta": z, "lr": opt.lr, "rate": opt.rate, "max_lr": opt.max_lr,
                    "gamma": opt.gamma, "effective_neighbors": opt.effective_neighbors,
                })
                if z == z0:
                    # a horizon of at least 5 / rate: the fit window sits past the transient
                    horizon = max(steps, int(np.ceil(5.0 / opt.rate))) if opt.rate > 0 else steps
                    r = crosscheck(S, lr=opt.lr, d=d, batch_size=batch_size, reps=reps, steps=horizon,
                                   seed=None if seed is None else seed + 1000 * n + list(SCHEMES).index(key))
                    checks.append({"scheme": key, "workers": n, "lr": opt.lr, "theory_rate": r.theory_rate,
                                   "window_rate": r.theory_window_rate,
                                   "mc_rate": r.mc_rate, "ci_low": r.ci[0], "ci_high": r.ci[1],
                                   "steps": horizon, "verdict": r.verdict})
    table, check = _data.columns(rows), _data.columns(checks)
    agree = sum(v == "agrees" for v in check["verdict"])
    inside = sum(lo <= w <= hi for lo, w, hi in zip(check["ci_low"], check["window_rate"], check["ci_high"]))
    caption = (
        "Randomness hurts on the toy problem: at equal communication (one model sent per worker and "
        "step) the deterministic one-peer exponential graph reaches a higher optimal rate and has more "
        "effective neighbours at its operating point than a fresh random matching, which beats "
        "Epidemic Learning with s = 1, at every n and zeta shown. "
        f"Exact optimal rates (THEORY §3.3, a fresh W_t per step for the random laws) on n = "
        f"{', '.join(map(str, sizes))} workers; n_W at the gamma of the optimum (zeta = {z0:g}); the "
        "Base-2 graph equals the one-peer exponential graph when n is a power of 2. The ring sends two "
        "models; pairwise gossip (one pair per step, 2/n models per worker) is far behind. "
        f"Monte Carlo at the optimum (zeta = {z0:g}, {reps} replicas, 95% interval): "
        f"{agree} of {len(check['verdict'])} cross-checks agree with the exact rate; the exact curve's "
        f"decay over the same fit window (crosses) lies inside the interval in {inside} of "
        f"{len(check['verdict'])} (a slow transient explains a disagreement when only the latter holds)."
    )
    params = {"d": d, "batch_size": batch_size, "zeta": z0, "zetas": zs, "sizes": list(sizes),
              "reps": reps, "steps": steps, "seed": seed}
    return FigureData("random_gossip", {"table": table, "check": check}, caption, params)


def plot(fd: FigureData) -> Any:
    """Draw the random-gossip figure: n_W at the optimum, optimal rate vs zeta, simulation vs theory."""
    from . import _style

    t, c, p = fd.data["table"], fd.data["check"], fd.params
    rows = [dict(zip(t, vals)) for vals in zip(*t.values())]
    checks = [dict(zip(c, vals)) for vals in zip(*c.values())]
    z0, sizes = p["zeta"], p["sizes"]
    nmax = max(sizes)
    keys = list(dict.fromkeys(r["scheme"] for r in rows))
    with _style.style():
        fig, axes = _style.new_figure(1, 3, size=(14.5, 4.4))
        ax0, ax1, ax2 = axes[0, 0], axes[0, 1], axes[0, 2]
        for k, key in enumerate(keys):
            mine = [r for r in rows if r["scheme"] == key]
            rnd = mine[0]["random"]
            style: dict[str, Any] = dict(color=_COLORS.get(key, _style.color(key, k)), ls="--" if rnd else "-",
                         marker="o" if rnd else "s", ms=4)
            if key == "one_peer_exponential":  # drawn wide beneath the Base-2 graph, which it equals here
                style.update(lw=4.5, alpha=0.55, ms=7)
            op = [r for r in mine if r["zeta"] == z0]
            ax0.plot([r["workers"] for r in op], [r["effective_neighbors"] for r in op], label=_LABELS[key], **style)
            big = [r for r in mine if r["workers"] == nmax]
            ref = {r["zeta"]: r["rate"] for r in rows if r["workers"] == nmax and r["scheme"] == "one_peer_exponential"}
            ax1.plot([r["zeta"] for r in big], [r["rate"] / ref[r["zeta"]] for r in big], label=_LABELS[key], **style)
            ch = [r for r in checks if r["scheme"] == key]
            x = np.array([r["workers"] for r in ch], dtype=float) * (1 + 0.035 * (k - 2.5))
            th = np.array([r["theory_rate"] for r in ch])
            mc = np.array([r["mc_rate"] for r in ch])
            err = np.array([[r["mc_rate"] - r["ci_low"] for r in ch], [r["ci_high"] - r["mc_rate"] for r in ch]])
            ax2.errorbar(x, mc / th, yerr=err / th, fmt=style["marker"], color=style["color"], ms=4, capsize=2,
                         label=_LABELS[key])
            ax2.plot(x, np.array([r["window_rate"] for r in ch]) / th, "x", color=style["color"], ms=6)
        ax2.axhline(1.0, color="black", lw=1.0)
        for ax in (ax0, ax1, ax2):
            ax.set_xscale("log", base=2)
        from matplotlib.ticker import FuncFormatter

        for ax in (ax0, ax2):
            ax.set_xticks(sizes)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax1.set_xscale("log")
        ax0.set_xlabel("number of workers n")
        ax0.set_ylabel(r"effective neighbours $n_W(\gamma^*)$")
        ax0.set_title(f"n_W at the optimum ($\\zeta$ = {z0:g})")
        ax1.set_xlabel(r"$\zeta$ (log scale)")
        ax1.set_ylabel(r"optimal rate $r^*$ / one-peer exponential graph's")
        ax1.set_title(f"exact optimal rate, n = {nmax}")
        ax2.set_xlabel("number of workers n")
        ax2.set_ylabel("Monte Carlo rate / exact rate (95% CI)\n(x: exact curve over the fit window)")
        ax2.set_title(f"simulation at the optimum ($\\zeta$ = {z0:g})")
        ax1.legend(loc="lower right", fontsize=7.5)
        fig.suptitle("Random vs deterministic one-peer gossip at equal communication (dashed: random laws)",
                     fontsize=11)
    return fig


random_gossip_figure = figure_function(compute, plot, "random_gossip_figure")
