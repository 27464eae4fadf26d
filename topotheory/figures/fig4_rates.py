"""Figure 4 of the paper, toy analogue: convergence rate against the learning rate for the paper's topologies."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..crosscheck.rates import crosscheck_grid
from ..toy.quadratic import quadratic_rate, zeta as zeta_of
from ..graphs import paper_topologies
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "rates_figure"]


def compute(*, n: int = 32, d: int = 30, batch_size: int = 1, lr_min: float = 1e-2, lr_max: float = 1.0,
            points: int = 120, mc_topologies: Any = ("ring", "torus", "hypercube", "star"),
            mc_lrs: Any = (0.03, 0.1, 0.3), reps: int = 200, steps: int = 160, seed: int = 0, quick: bool = False) -> FigureData:
    r"""Toy analogue of the paper's Fig. 4: exact rate vs learning rate, with Monte Carlo checks.

    The paper's Fig. 4 plots Cifar-10 losses (not reproducible here, never invented). Its toy
    analogue is the asymptotic rate :math:`r(\eta)` of D-SGD on random quadratics
    (:func:`topotheory.quadratic.quadratic_rate`, exact Perron root, THEORY §3.3) for the same ten
    topologies. Monte Carlo points with bootstrap intervals from
    :func:`topotheory.crosscheck.crosscheck_grid` are overlaid at a few learning rates.

    Parameters
    ----------
    n : int
        Workers (the paper: 32).
    d, batch_size : int
        Set :math:`\zeta = (1 + b + d)/b` (default 32: the optimal learning rates then spread from
        :math:`1/\zeta` alone to :math:`n/(n+\zeta-1) \approx 0.5` fully connected).
    lr_min, lr_max : float
        Learning-rate range (log grid of ``points`` values; quick: 40).
    mc_topologies : sequence of str or Scheme
        Topologies checked by simulation (quick: ring and star): names of the paper's topologies,
        or Scheme objects of ``n`` workers (checked against their own exact rate).
    mc_lrs : sequence of float
        Learning rates checked (quick: 0.1 and 0.3). The simulations must be long enough for the
        transient to die out (the rate is fitted over the second half): slowly mixing graphs at
        small learning rates need more ``steps``.
    reps, steps : int
        Replicas and steps of each simulation (quick: 60 and 40).
    seed : int
        Root seed of the Monte Carlo sweep.
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]`` (long format): ``source`` ("exact" or "montecarlo"), ``topology``,
        ``lr``, ``rate`` (NaN where divergent), and for Monte Carlo rows ``theory_rate``,
        ``theory_window_rate`` (the exact curve's rate over the fit window), ``ci_low``,
        ``ci_high``, ``agrees``.

    Examples
    --------
    >>> res = compute(n=8, quick=True, mc_topologies=("ring",), mc_lrs=(0.1,), reps=40, steps=30)
    >>> t = res.data["table"]
    >>> [s for s in t["source"] if s == "montecarlo"]
    ['montecarlo']
    """
    n = check_int("n", n, minimum=2)
    d = check_int("d", d, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if quick:
        points = min(40, check_int("points", points, minimum=2))
        if mc_topologies == (compute.__kwdefaults__ or {})["mc_topologies"]:
            mc_topologies = ("ring", "star")
        if mc_lrs == (compute.__kwdefaults__ or {})["mc_lrs"]:
            mc_lrs = (0.1, 0.3)
        reps, steps = min(reps, 60), min(steps, 40)
    reps = check_int("reps", reps, minimum=2)
    steps = check_int("steps", steps, minimum=2)
    mc_topologies = _data.topology_list("mc_topologies", mc_topologies) if mc_topologies else ()
    mc_lrs = tuple(check_real("mc_lrs", x, low=0.0, low_open=True) for x in mc_lrs)
    z = zeta_of(d, batch_size)
    lo, hi, lrs = _data.log_range("lr_min", lr_min, "lr_max", lr_max, points)
    schemes = paper_topologies(n)
    unknown = [t for t in mc_topologies if isinstance(t, str) and t not in schemes]
    if unknown:
        raise ValueError(f"mc_topologies must be among the paper's topologies at n={n} ({', '.join(schemes)}); got {unknown[0]!r}")

    rows, exact = [], {}
    for name, scheme in schemes.items():
        r = np.asarray(quadratic_rate(scheme, lr=lrs, zeta=z), dtype=float)
        exact[name] = r
        rows += [_row("exact", name, x, v) for x, v in zip(lrs, r)]
    grid = None
    if mc_topologies and mc_lrs:
        mc = dict(_data.resolve_topology("mc_topologies", t, n) if not isinstance(t, str) else (t, schemes[t])
                  for t in mc_topologies)
        if len(mc) < len(mc_topologies):
            raise ValueError("mc_topologies names a topology twice")
        grid = crosscheck_grid(list(mc.values()), list(mc_lrs), d=d, reps=reps, steps=steps,
                               seed=seed, batch_size=batch_size, progress=False)
        names = [t for t in mc for _ in mc_lrs]
        for name, rep in zip(names, grid):
            rows.append(_row("montecarlo", name, rep.lr, rep.mc_rate, rep))

    mc_rows = [r for r in rows if r["source"] == "montecarlo"]
    agree = sum(1 for r in mc_rows if r["agrees"])
    both_diverge = sum(1 for r in mc_rows if not np.isfinite(r["theory_rate"]) and r["agrees"])
    caption = (
        "Better-connected topologies tolerate larger learning rates and reach faster rates, and "
        "the Monte Carlo simulations agree with the exact theory. "
        f"Exact asymptotic rate of D-SGD on random quadratics (d = {d}, zeta = {z:g}) against the "
        f"learning rate for the paper's topologies with {n} workers; curves end where D-SGD diverges. "
        "This is the toy analogue of the paper's Fig. 4, whose Cifar-10 losses are not reproducible "
        "here. Circles: Monte Carlo rates with 95% bootstrap intervals (drawn slightly apart where "
        "several topologies share a learning rate; right panel: each relative to the exact rate over "
        "its fit window, the dashed line at 1 being exact agreement) "
        f"({reps} replicas, {steps} steps, rate fitted over the second half, seed {seed}): {agree} of "
        f"{len(mc_rows)} checks agree with the theory ({both_diverge} of them because theory and "
        "simulation both diverge; those are not drawn)."
    )
    params = {
        "n": n, "d": d, "batch_size": batch_size, "zeta": z, "lr_min": lo, "lr_max": hi, "points": points,
        "mc_topologies": [t if isinstance(t, str) else t.name for t in mc_topologies], "mc_lrs": list(mc_lrs),
        "reps": reps, "steps": steps, "seed": seed,
    }
    labels = {k: _data.topology_label(k, s) for k, s in schemes.items()}
    return FigureData("fig4_rates", {"table": _data.columns(rows)}, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 4's toy analogue from its :class:`FigureData`.

    Left: the exact rate curves, with the Monte Carlo estimates spread slightly apart along the
    learning rate (at the same ``lr`` they would sit on one spot); right: each Monte Carlo rate
    relative to the exact rate over its fit window, with its 95% interval (agreement = the
    interval contains 1).
    """
    from . import _style

    t, p = fd.data["table"], fd.params
    n, d, z, lo, hi = p["n"], p["d"], p["zeta"], p["lr_min"], p["lr_max"]
    source = np.array(t["source"])
    topo = np.array(t["topology"])
    lr = _data.float_column(t["lr"])
    rate = _data.float_column(t["rate"])
    exact = {name: (lr[(source == "exact") & (topo == name)], rate[(source == "exact") & (topo == name)])
             for name in dict.fromkeys(topo[source == "exact"])}
    mc = np.flatnonzero(source == "montecarlo")
    mc_names = list(dict.fromkeys(topo[mc]))
    mc_lrs = list(dict.fromkeys(lr[mc]))
    ci_lo, ci_hi = _data.float_column(t["ci_low"]), _data.float_column(t["ci_high"])
    window = _data.float_column(t["theory_window_rate"])
    with _style.style():
        fig, axes = _style.new_figure(1, 2, size=(12.6, 4.9), gridspec_kw={"width_ratios": [2.3, 1.0]})
        ax, rax = axes[0]
        for i, (name, (x, r)) in enumerate(exact.items()):
            ax.plot(x, _data.finite_or_nan(r), color=_style.color(name, i), label=fd.label(name))
        drawn = []
        for i in mc.tolist():
            k = mc_names.index(topo[i])
            dodge = 1.06 ** (k - (len(mc_names) - 1) / 2)  # spread the topologies checked at one lr apart
            col = _style.color(topo[i], k)
            if np.isfinite(rate[i]) and rate[i] > 0 and ci_lo[i] > 0:
                ax.errorbar(lr[i] * dodge, rate[i], yerr=[[rate[i] - ci_lo[i]], [ci_hi[i] - rate[i]]], fmt="o",
                            ms=4.5, mfc="white", mec=col, ecolor=col, capsize=2.5, zorder=5)
            if np.isfinite(window[i]) and window[i] > 0 and np.isfinite(rate[i]):
                j = mc_lrs.index(lr[i])
                x = j + 0.8 * (k - (len(mc_names) - 1) / 2) / max(1, len(mc_names))
                rax.errorbar(x, rate[i] / window[i], yerr=[[(rate[i] - ci_lo[i]) / window[i]],
                                                          [(ci_hi[i] - rate[i]) / window[i]]],
                             fmt="o", ms=4.5, mfc="white", mec=col, ecolor=col, capsize=2.5,
                             label=fd.label(topo[i]) if topo[i] not in drawn else None)
                drawn.append(topo[i])
        if len(mc):
            ax.plot([], [], "o", mfc="white", mec="0.3", label="Monte Carlo (95% CI)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        firsts = [r[0] for _, r in exact.values() if len(r) and np.isfinite(r[0]) and r[0] > 0]
        if firsts:
            ax.set_ylim(bottom=0.5 * min(firsts))  # the dives to the stability edges need no more room
        ax.set_xlabel(r"learning rate $\eta$")
        ax.set_ylabel(r"asymptotic rate $r$ ($\mathbb{E}\|x\|^2 \propto (1-r)^t$)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8)
        ax.set_title(f"Toy analogue of Fig. 4: random quadratics, {n} workers, d = {d} ($\\zeta$ = {z:g})")
        rax.axhline(1.0, color="0.4", lw=1.0, ls="--")
        rax.set_xticks(range(len(mc_lrs)), [f"$\\eta$ = {v:g}" for v in mc_lrs])
        rax.set_xlim(-0.6, len(mc_lrs) - 0.4)
        rax.grid(axis="x", visible=False)
        rax.set_ylabel("Monte Carlo rate / exact rate (fit window)")
        rax.set_title("Monte Carlo checks, 95% intervals")
        if drawn:
            rax.legend(loc="best", fontsize=7.8)
    return fig


rates_figure = figure_function(compute, plot, "rates_figure")


def _row(source: str, name: str, lr: float, rate: float, rep: Any = None) -> dict[str, Any]:
    nan = float("nan")
    return {
        "source": source,
        "topology": name,
        "lr": float(lr),
        "rate": float(rate),
        "theory_rate": nan if rep is None else float(rep.theory_rate),
        "theory_window_rate": nan if rep is None else float(rep.theory_window_rate),
        "ci_low": nan if rep is None else float(rep.ci[0]),
        "ci_high": nan if rep is None else float(rep.ci[1]),
        "agrees": None if rep is None else bool(rep.agrees),
    }
