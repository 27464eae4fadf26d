"""Extra figure: gradient tracking against D-SGD, by heterogeneity of the local optima and by topology."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..graphs import fully_connected, one_peer_exponential, ring
from ..hetero.merging import propagate, stationary
from ..hetero.problems import random_quadratic
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "tracking_heterogeneity_figure", "TOPOLOGIES", "ALGORITHMS", "claims"]

#: The compared topologies: key -> constructor of ``n``.
TOPOLOGIES = {"ring": ring, "one_peer_exponential": one_peer_exponential, "fully_connected": fully_connected}
#: The compared algorithms and the vectors each sends per step (gradient tracking: iterate and tracker).
ALGORITHMS = {"dsgd": 1, "gradient_tracking": 2}

_LABELS = {"ring": "ring", "one_peer_exponential": "one-peer exp.", "fully_connected": "fully connected",
           "dsgd": "D-SGD", "gradient_tracking": "gradient tracking"}


def compute(*, n: int = 16, d: int = 4, spreads: Any = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0), lr: float = 0.1,
            noise: float = 0.1, eigenvalue_range: tuple[float, float] = (0.5, 1.5), steps: int = 600,
            topologies: Any = tuple(TOPOLOGIES), seed: int = 0, quick: bool = False) -> FigureData:
    r"""Exact stationary error and loss curves of gradient tracking and D-SGD on heterogeneous quadratics.

    The problems are :func:`topotheory.random_quadratic` with identical Hessians (eigenvalues in
    ``eigenvalue_range``), gradient noise ``noise`` and local optima
    :math:`b_i = \bar b + s\,\epsilon_i` for each optima spread :math:`s` in ``spreads`` (the same
    seeded draws, so only :math:`s` changes). Everything is exact: the mean and covariance of each
    algorithm's state (:func:`topotheory.propagate` and :func:`topotheory.stationary` with
    ``algorithm=``; gossip row-wise, ``X <- W X``). Two panels:

    * ``stationary`` — the stationary mean squared distance of the local models to the optimum,
      :math:`\frac1n\sum_i E\|x_i - x^\star\|^2`, against :math:`s`, per topology and algorithm, with
      D-SGD's bias :math:`\frac1n\|x^\star_\eta - x^\star\|^2` (zero for gradient tracking);
    * ``curves`` — at the largest spread, from :math:`x = 0`, the same distance against the number of
      vectors each worker has sent (D-SGD one per step, gradient tracking two).

    Parameters
    ----------
    n : int
        Number of workers, a power of 2 (the one-peer exponential graph; quick: 8).
    d : int
        Dimension.
    spreads : sequence of float
        Optima spreads :math:`s \ge 0` (quick: 0, 0.5, 2).
    lr : float
        Learning rate of both algorithms.
    noise : float
        Gradient-noise standard deviation.
    eigenvalue_range : (float, float)
        Range of the common Hessian's eigenvalues.
    steps : int
        Steps of the ``curves`` panel (quick: 300).
    topologies : sequence of str
        Keys of :data:`TOPOLOGIES`.
    seed : int
        Seed of the problem.
    quick : bool
        A smaller, faster version.

    Returns
    -------
    FigureData
        ``data["table"]`` (= ``stationary``): ``topology, spread, algorithm, local_distance,
        bias_distance, noise_distance, rate``; ``data["curves"]``: ``topology, algorithm, step,
        vectors, local_distance``.

    Examples
    --------
    >>> fd = compute(n=4, d=2, spreads=(0.0, 1.0), steps=10, topologies=("ring",))
    >>> t = fd.data["table"]
    >>> [round(b, 12) for a, b in zip(t["algorithm"], t["bias_distance"]) if a == "gradient_tracking"]
    [0.0, 0.0]
    """
    if quick:
        n, spreads, steps = 8, (0.0, 0.5, 2.0), 300
    n = check_int("n", n, minimum=2)
    if n & (n - 1):
        raise ValueError(f"n must be a power of 2 (the one-peer exponential graph), got {n}")
    d = check_int("d", d, minimum=1)
    ss = sorted({check_real("spreads", s, low=0.0) for s in spreads})
    if not ss:
        raise ValueError("spreads must list at least one value")
    lr = check_real("lr", lr, low=0.0, low_open=True)
    steps = check_int("steps", steps, minimum=1)
    unknown = [k for k in topologies if k not in TOPOLOGIES]
    if unknown or not topologies:
        raise ValueError(f"topologies must be keys of {', '.join(TOPOLOGIES)}; got {list(topologies)!r}")
    schemes = {key: TOPOLOGIES[key](n) for key in dict.fromkeys(topologies)}
    problems = {s: random_quadratic(n, d, optima_spread=s, eigenvalue_range=eigenvalue_range, noise=noise, seed=seed)
                for s in ss}
    rows, curves = [], []
    for key, S in schemes.items():
        for s, p in problems.items():
            for alg in ALGORITHMS:
                st = stationary(p, S, lr=lr, algorithm=alg)
                rows.append({"topology": key, "spread": s, "algorithm": alg, "local_distance": st["local_distance"],
                             "bias_distance": st["bias_distance"], "noise_distance": st["noise_distance"],
                             "rate": st["rate"]})
        for alg, vectors in ALGORITHMS.items():
            c = propagate(problems[ss[-1]], S, lr=lr, steps=steps, algorithm=alg)
            curves += [{"topology": key, "algorithm": alg, "step": int(t), "vectors": int(t) * vectors,
                        "local_distance": float(v)} for t, v in zip(c.steps, c.local_distance)]
    data = {"table": _data.columns(rows), "curves": _data.columns(curves)}
    params = {"n": n, "d": d, "spreads": ss, "lr": lr, "noise": noise, "eigenvalue_range": list(eigenvalue_range),
              "steps": steps, "topologies": list(schemes), "seed": seed}
    fd = FigureData("tracking_heterogeneity", data, "", params, labels=dict(_LABELS))
    return FigureData("tracking_heterogeneity", data, _caption(fd), params, labels=dict(_LABELS))


def _rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(columns, v)) for v in zip(*columns.values())]


def claims(fd: FigureData) -> dict[str, Any]:
    """The caption's claims, recomputed from the data (each a small dict; tests check them).

    ``tracking_flat``: per topology, the relative range of gradient tracking's stationary distance
    over the spreads; ``bias_per_spread2``: per topology, D-SGD's bias divided by :math:`s^2`
    (its smallest and largest value over the positive spreads); ``crossover``: per topology, the
    spread above which gradient tracking's stationary distance is the smaller,
    :math:`s^* = \\sqrt{(\\text{GT} - \\text{D-SGD noise}) / (\\text{bias}/s^2)}` (inf when D-SGD
    has no bias); ``noise_ratio``: gradient tracking's stationary distance over D-SGD's at the
    smallest spread, per topology; ``vectors_to_target``: per topology and algorithm, the vectors
    sent until the distance first falls to twice gradient tracking's stationary value at the
    largest spread (None if not within the horizon); ``bias_order``: the topologies from D-SGD's
    largest bias to its smallest, and ``unbiased``: those where it has none (below 1e-20 of the
    largest).
    """
    t = _rows(fd.data["table"])
    cur = _rows(fd.data["curves"])
    s_max = max(fd.params["spreads"])
    out: dict[str, Any] = {"tracking_flat": {}, "bias_per_spread2": {}, "crossover": {}, "noise_ratio": {},
                           "vectors_to_target": {}}
    for key in fd.params["topologies"]:
        gt = [r for r in t if r["topology"] == key and r["algorithm"] == "gradient_tracking"]
        ds = [r for r in t if r["topology"] == key and r["algorithm"] == "dsgd"]
        g = np.array([r["local_distance"] for r in gt])
        out["tracking_flat"][key] = float((g.max() - g.min()) / g.max())
        per = [r["bias_distance"] / r["spread"] ** 2 for r in ds if r["spread"] > 0]
        unit = float(np.mean(per)) if per else float("nan")
        out["bias_per_spread2"][key] = {"min": min(per, default=float("nan")), "max": max(per, default=float("nan"))}
        noise_ds = float(np.mean([r["noise_distance"] for r in ds]))
        gap = float(g.mean()) - noise_ds
        out["crossover"][key] = (math.sqrt(gap / unit) if unit > 1e-12 * max(1.0, gap) and gap > 0
                                 else (0.0 if gap <= 0 else math.inf))
        lo = min(r["spread"] for r in ds)
        out["noise_ratio"][key] = (next(r["local_distance"] for r in gt if r["spread"] == lo)
                                   / next(r["local_distance"] for r in ds if r["spread"] == lo))
        target = 2.0 * next(r["local_distance"] for r in gt if r["spread"] == s_max)
        out["vectors_to_target"][key] = {}
        for alg in ALGORITHMS:
            hit = [r["vectors"] for r in cur if r["topology"] == key and r["algorithm"] == alg
                   and r["local_distance"] <= target]
            out["vectors_to_target"][key][alg] = min(hit) if hit else None
    worst = {k: v["max"] for k, v in out["bias_per_spread2"].items()}
    top = max(worst.values(), default=0.0)
    out["bias_order"] = sorted(worst, key=lambda k: -worst[k])
    out["unbiased"] = [k for k in out["bias_order"] if not worst[k] > 1e-20 * top]
    return out


def _caption(fd: FigureData) -> str:
    c, p = claims(fd), fd.params
    keys = p["topologies"]
    flat = max(c["tracking_flat"].values())
    cross = ", ".join(("never on the " if math.isinf(v) else f"{v:.3g} on the ") + _LABELS[k]
                      for k, v in c["crossover"].items())
    ratio = [c["noise_ratio"][k] for k in keys]
    vt = c["vectors_to_target"]
    biased = [k for k in c["bias_order"] if k not in c["unbiased"]]
    order = ", then the ".join(_LABELS[k] for k in biased) if biased else "no topology"
    none = (" and none on the " + ", ".join(_LABELS[k] for k in c["unbiased"])) if c["unbiased"] else ""

    def sent(v: Any) -> str:
        return "not within the horizon" if v is None else f"{v}"

    reach = "; ".join(f"{_LABELS[k]}: gradient tracking {sent(vt[k]['gradient_tracking'])}, D-SGD {sent(vt[k]['dsgd'])}"
                      for k in keys)
    return (
        f"Gradient tracking (DIGing) against D-SGD on heterogeneous quadratics, exact (mean and covariance of each "
        f"algorithm's state): n = {p['n']} workers, d = {p['d']}, identical Hessians, gradient noise "
        f"{p['noise']:g}, learning rate {p['lr']:g}, local optima spread s. (a) Stationary mean squared distance of "
        "the local models to the optimum: gradient tracking's does not depend on s (relative range "
        f"{flat:.1g} over the spreads) — it has no bias on any topology; D-SGD's bias grows as s^2, "
        f"largest on the {order}{none}. Without heterogeneity gradient tracking is {min(ratio):.3g} to "
        f"{max(ratio):.3g} times worse (its tracker carries the difference of two noisy gradients, g(x') - g(x)); "
        f"it wins above a spread s* of {cross}. (b) At s = {max(p['spreads']):g}, from x = 0: vectors "
        "each worker sends (D-SGD one per step, gradient tracking two) until the distance falls to twice gradient "
        f"tracking's stationary value — {reach}."
    )


def plot(fd: FigureData) -> Any:
    """Draw the two panels: stationary distance against the spread, and curves per transmitted vector."""
    from . import _style

    t, cur, p = _rows(fd.data["table"]), _rows(fd.data["curves"]), fd.params
    with _style.style():
        fig, axes = _style.new_figure(1, 2, size=(12, 4.6))
        ax0, ax1 = axes[0, 0], axes[0, 1]
        for k, key in enumerate(p["topologies"]):
            for alg, ls in (("dsgd", "-"), ("gradient_tracking", "--")):
                sel = [r for r in t if r["topology"] == key and r["algorithm"] == alg]
                ax0.plot([r["spread"] for r in sel], [r["local_distance"] for r in sel], ls=ls, marker="o",
                         color=_style.color(key, k), label=f"{_LABELS[alg]}, {_LABELS[key]}")
                sel = [r for r in cur if r["topology"] == key and r["algorithm"] == alg]
                ax1.plot([r["vectors"] for r in sel], [r["local_distance"] for r in sel], ls=ls,
                         color=_style.color(key, k), label=f"{_LABELS[alg]}, {_LABELS[key]}")
        ax0.set_xscale("symlog", linthresh=min([s for s in p["spreads"] if s > 0], default=1.0))
        ax0.set_yscale("log")
        ax0.set_xlabel("optima spread $s$")
        ax0.set_ylabel(r"stationary $\frac{1}{n}\sum_i E\|x_i - x^\star\|^2$")
        ax0.set_title("(a) stationary error (dashed: gradient tracking)")
        ax0.legend(fontsize=7)
        ax1.set_yscale("log")
        ax1.set_xlabel("vectors sent per worker")
        ax1.set_ylabel(r"$\frac{1}{n}\sum_i E\|x_i - x^\star\|^2$")
        ax1.set_title(f"(b) from x = 0 at s = {max(p['spreads']):g}")
        fig.suptitle(f"Gradient tracking vs D-SGD on heterogeneous data (n = {p['n']}, lr = {p['lr']:g})", fontsize=11)
    return fig


tracking_heterogeneity_figure = figure_function(compute, plot, "tracking_heterogeneity_figure")
