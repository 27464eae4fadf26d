"""Figure 3 of the paper: Theorem 6's largest learning rate against the implied n_W(gamma), and M(gamma)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..bounds.section4 import m_matrix, theorem6_learning_rate
from ..metrics.randomwalk import effective_neighbors
from ..graphs import fully_connected, topology_from_spec
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "theorem6_figure"]


def compute(*, n: int = 32, topologies: Any = ("ring", "torus:4x8", "hypercube"), zeta: float = 2000.0,
            L: float = 1.0, lazy: bool = True, heatmap_gammas: Any = (0.9, 0.99, 0.999), points: int = 200,
            quick: bool = False) -> FigureData:
    r"""Paper Fig. 3: Theorem 6's maximum learning rate vs the implied :math:`n_W(\gamma)`, with :math:`M(\gamma)` heat maps.

    For each decay :math:`\gamma` on a grid, :func:`topotheory.bounds.theorem6_learning_rate` gives
    the largest learning rate Theorem 6 admits (eq. 25, :math:`\omega = n_W(\gamma)^{-1}`, the
    paper's :math:`\beta(\gamma) = (1-\gamma\lambda_2)/4` of eq. 34), plotted against
    :math:`n_W(\gamma)` (:func:`topotheory.effective_neighbors`); the best learning rate of a
    topology is the maximum over :math:`\gamma`. Right: :math:`M(\gamma)` (eq. 21,
    :func:`topotheory.bounds.m_matrix`) for the ring.

    The curves rise where noise limits (small :math:`n_W`) and fall where consensus limits;
    better-connected graphs peak later and higher. **Axis discrepancy** (THEORY §4): with the
    extended paper's constants no topology exceeds the fully connected value
    :math:`1/(4(2\zeta/n + L)) \approx 0.00198`, drawn as a reference, while the printed figure's axis
    reaches 0.005–0.01 (probably the conference version's constants, which are not available).
    The constants are not tuned to match it.

    Parameters
    ----------
    n : int
        Workers (the paper: 32).
    topologies : sequence of str or Scheme
        Topology specs (the paper: ring, torus 4×8, hypercube) or Scheme objects of ``n`` workers.
    zeta, L : float
        Noise constant and smoothness (the paper: 2000 and 1).
    lazy : bool
        Use the lazy matrices :math:`(I + W)/2`, so that :math:`\lambda_{\min} \ge 1/2` as eq. 34
        assumes (default). ``False`` applies eq. 34 to ``W`` itself.
    heatmap_gammas : sequence of float
        Decays of the :math:`M(\gamma)` heat maps (ring).
    points : int
        Grid of :math:`\gamma` (:math:`1-\gamma` from 1 to :math:`10^{-5}`, log spaced; quick: 60).
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]``: ``topology, gamma, n_W, lr, consensus_term, noise_term``;
        ``data["m_matrices"]``: gamma -> M(gamma) of the ring; ``data["best"]``: per topology the
        largest learning rate and the ``n_W`` where it is reached.

    Examples
    --------
    >>> res = compute(quick=True)
    >>> best = res.data["best"]
    >>> best["ring"]["lr"] < best["torus:4x8"]["lr"] < best["hypercube"]["lr"] <= best["fully_connected"]["lr"]
    True
    """
    n = check_int("n", n, minimum=2)
    given = _data.resolve_topologies("topologies", topologies, n)
    zeta = check_real("zeta", zeta, low=0.0, low_open=True)
    L = check_real("L", L, low=0.0, low_open=True)
    hm = tuple(float(check_real("heatmap_gammas", g, low=0.0, high=1.0, high_open=True)) for g in heatmap_gammas)
    points = 60 if quick else check_int("points", points, minimum=2)
    c = np.logspace(0, -5, points)
    gammas = 1 - c

    def prepare(scheme: Any) -> Any:
        return scheme.lazy() if lazy else scheme

    curves, rows, best = {}, [], {}
    if "fully_connected" in given:
        raise ValueError("topologies must not include fully_connected: it is always drawn as the reference")
    specs = list(given) + ["fully_connected"]
    schemes = {}
    for spec in specs:
        # The fully connected reference is W = J itself: its rate is exactly the noise cap.
        scheme = fully_connected(n) if spec == "fully_connected" else prepare(given[spec])
        schemes[spec] = scheme
        out = theorem6_learning_rate(scheme, gammas, zeta=zeta, L=L, terms=True)
        nw = np.asarray(effective_neighbors(scheme, one_minus_gamma=c), dtype=float)
        lr = np.asarray(out["lr"], dtype=float)
        curves[spec] = (nw, lr)
        k = int(np.nanargmax(lr))
        best[spec] = {"lr": float(lr[k]), "n_W": float(nw[k]), "gamma": float(gammas[k])}
        rows += [
            {"topology": spec, "gamma": g, "n_W": a, "lr": b, "consensus_term": ct, "noise_term": nt}
            for g, a, b, ct, nt in zip(gammas, nw, lr, np.asarray(out["consensus_term"]), np.asarray(out["noise_term"]))
        ]
    ring_scheme = prepare(topology_from_spec("ring", n))
    mats = {g: m_matrix(ring_scheme, g) for g in hm}

    caption = (
        "Theorem 6 admits larger learning rates on better-connected graphs, which peak at larger "
        "n_W(gamma), but with the extended paper's constants never more than the fully connected cap. "
        f"Largest learning rate admitted by Theorem 6 (eq. 25, L = {L:g}, zeta = {zeta:g}, omega = 1/n_W, "
        f"beta of eq. 34{', lazy gossip matrices (I + W)/2' if lazy else ''}) against the implied "
        f"n_W(gamma), {n} workers; right: M(gamma) of the ring (eq. 21, diagonal 1/n_W). Matches the "
        "paper: the shape of the curves (they rise where noise limits and fall where consensus "
        "limits; better-connected graphs peak later and higher) and the heat maps. Does not match "
        "(axis discrepancy): the learning-rate scale. With the extended paper's constants no topology exceeds the fully "
        f"connected cap 1/(4(2 zeta/n + L)) = {best['fully_connected']['lr']:.5f} (dotted), while the "
        "paper's printed axis reaches 0.005-0.01, probably from the conference version's constants, "
        "which are not available; the constants are not tuned to match."
    )
    params = {"n": n, "topologies": list(given), "zeta": zeta, "L": L, "omega": "1/n_W(gamma)",
              "beta": "eq34", "lazy": lazy, "heatmap_gammas": list(hm), "points": points}
    data = {"table": _data.columns(rows), "m_matrices": {str(g): m for g, m in mats.items()}, "best": best}
    labels = {k: _data.topology_label(k, s) for k, s in schemes.items()}
    return FigureData("fig3_theorem6", data, caption, params, labels)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 3 from its :class:`FigureData`: the learning-rate curves and the M(gamma) heat maps."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    from . import _style

    t, p, best = fd.data["table"], fd.params, fd.data["best"]
    n, zeta, L, lazy = p["n"], p["zeta"], p["L"], p["lazy"]
    specs = list(dict.fromkeys(t["topology"]))
    topo = np.array(t["topology"])
    nw_col = np.asarray(t["n_W"], dtype=float)
    lr_col = np.asarray([np.nan if v is None else v for v in t["lr"]], dtype=float)
    curves = {spec: (nw_col[topo == spec], lr_col[topo == spec]) for spec in specs}
    hm = [float(g) for g in p["heatmap_gammas"]]
    mats = {g: np.asarray(fd.data["m_matrices"][str(g)], dtype=float) for g in hm}
    with _style.style():
        fig = _style.Figure(figsize=(12.0, 4.4), layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=[1.15, 1.0])  # type: ignore[misc]  # an array of two
        ax = left.subplots()
        for i, spec in enumerate(specs):
            nw, lr = curves[spec]
            name = spec.split(":")[0]
            ref = spec == "fully_connected"
            ax.plot(nw if not ref else [1, n], lr if not ref else [best[spec]["lr"]] * 2,
                    color=_style.color(name, i), ls=":" if ref else "-",
                    label=(f"fully connected (cap {best[spec]['lr']:.5f})" if ref else fd.label(spec)))
            if not ref:
                ax.plot(best[spec]["n_W"], best[spec]["lr"], "o", color=_style.color(name, i), ms=5)
        ax.set_xscale("log")
        ax.set_xlim(1, n * 1.1)
        ticks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= n]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylim(0, max(b["lr"] for b in best.values()) * 1.4)
        ax.set_xlabel(r"implied effective number of neighbours $n_W(\gamma)$")
        ax.set_ylabel("largest learning rate of Theorem 6")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, -3))
        ax.legend(loc="upper left", ncol=2)
        ax.set_title(f"Theorem 6, $\\zeta$ = {zeta:g}, L = {L:g}, $\\omega = 1/n_W$" + (", lazy W" if lazy else ""))
        hax = right.subplots(1, len(hm), squeeze=False)[0]
        for a, g in zip(hax, hm):
            M = mats[g]
            im = a.imshow(M, cmap="viridis", interpolation="nearest")
            # The diagonal of M(gamma) is 1/n_W(gamma) (eq. 21), so the title needs no recomputation.
            a.set_title(f"$\\gamma$ = {g:g}\n$n_W$ = {1 / np.mean(np.diag(M)):.1f}", fontsize=9.5)
            a.set_xticks([])
            a.set_yticks([])
            a.grid(False)
            for side in ("top", "right"):
                a.spines[side].set_visible(True)
            cb = right.colorbar(im, ax=a, location="bottom", shrink=0.9, pad=0.03)
            cb.ax.tick_params(labelsize=7.5)
            cb.ax.xaxis.set_major_locator(MaxNLocator(3))
        right.suptitle(r"$M(\gamma)$ for the ring (eq. 21; diagonal $= 1/n_W$)", fontsize=10)
    return fig


theorem6_figure = figure_function(compute, plot, "theorem6_figure")
