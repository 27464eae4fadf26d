"""How much toy rate does optimising the spectral gap leave on the table? Weight rules and optimal
weights compared on graphs of different kinds by spectral gap, n_W at the operating decay and the
exact optimal toy rate."""

from __future__ import annotations

from typing import Any
from concurrent.futures import Executor

import networkx as nx
import numpy as np

from ..crosscheck import crosscheck
from ..design import optimal_weights
from ..graphs import Scheme
from ..metrics import effective_neighbors, spectral_gap
from ..toy import optimal_learning_rate
from ..common.tasks import map_tasks
from . import _data
from ._base import FigureData, figure_function

__all__ = ["DESIGN_RULES", "study_graphs", "design_study_data", "compute", "plot", "design_study_figure", "draw_design_study"]

#: weight rules of ``Scheme.from_networkx`` in the study (a new rule is one more entry here)
DESIGN_RULES = ("metropolis", "max_degree", "one_over_max_degree")
#: optimised weights in the study
DESIGN_OPTIMA = ("fmmc", "fdla", "n_W-optimal", "rate-optimal")


def _grid_with_holes(side: int, seed: int) -> Any:
    G = nx.grid_2d_graph(side, side)
    rng = np.random.default_rng(seed)
    nodes = list(G.nodes())
    for k in rng.permutation(len(nodes)):
        H = G.copy()
        H.remove_node(nodes[k])
        if H.number_of_nodes() <= side * side * 0.8:
            break
        if nx.is_connected(H):
            G = H
    return nx.convert_node_labels_to_integers(G)


def _connected_rgg(n: int, radius: float, seed: int) -> Any:
    for s in range(seed, seed + 100):
        G = nx.random_geometric_graph(n, radius, seed=s)
        if nx.is_connected(G):
            return G
    raise RuntimeError("no connected random geometric graph found")  # pragma: no cover


def study_graphs(quick: bool = False) -> dict[str, Any]:
    """The study's graphs: ``{name: networkx.Graph}`` (seeded)."""
    two = nx.disjoint_union(nx.complete_graph(8), nx.complete_graph(8))
    two.add_edge(0, 8)
    graphs = {
        "path_12": nx.path_graph(12),
        "two_clusters_16": two,
        "karate": nx.karate_club_graph(),
        "barabasi_albert_24": nx.barabasi_albert_graph(24, 2, seed=0),
        "random_geometric_24": _connected_rgg(24, 0.35, 0),
        "grid_holes_5x5": _grid_with_holes(5, 0),
        "expander_regular_24": nx.random_regular_graph(3, 24, seed=0),
        "social_network": nx.convert_node_labels_to_integers(nx.davis_southern_women_graph()),
        "star_10": nx.star_graph(9),
        "lollipop_12": nx.lollipop_graph(6, 6),
    }
    if quick:
        graphs = {k: graphs[k] for k in ("path_12", "two_clusters_16")}
        graphs["path_12"] = nx.path_graph(6)
        t = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
        t.add_edge(0, 4)
        graphs["two_clusters_16"] = t
    return graphs


def design_study_data(*, zeta: float = 50.0, quick: bool = False, simulate: bool = True, reps: int = 200,
                      seed: int = 0, executor: Executor | None = None, progress: bool | None = None) -> list[dict[str, Any]]:
    """The study's table: one row per graph and weighting (no matplotlib).

    For each graph, the operating decay is that of the n_W-optimal design's own optimal learning
    rate (found by alternating: design at gamma, gamma <- gamma* of the result, twice); every
    weighting is then scored at that gamma and by its own exact optimal toy rate ``r*`` at
    ``zeta``. The rate-optimal design starts from the n_W-optimal weights.

    With ``simulate=True`` each weighting is also simulated at its own optimal learning rate
    (:func:`topotheory.crosscheck`: the random quadratic with ``d = zeta - 2``, batch 1, ``reps``
    replicas, seeded): the columns ``mc_rate``, ``mc_low``, ``mc_high`` (95 % bootstrap interval)
    and ``agrees``. FDLA weights with negative entries get NaN rates (the toy-rate theory and the
    simulation's random-walk reading assume non-negative weights).

    Parameters
    ----------
    zeta : float
        Noise level of the toy problem (an integer ``>= 3`` with ``simulate=True``).
    quick : bool
        Two small graphs instead of the study's ten.
    simulate : bool
        Also run the Monte Carlo check of every weighting.
    reps : int
        Replicas of each simulation.
    seed : int
        Root seed: graph ``i`` simulates with ``SeedSequence([seed, i])``.
    executor : concurrent.futures.Executor, optional
        Runs one task per graph (designs, rates and simulations); the rows are bit-identical with
        or without it (:func:`topotheory.common.tasks.map_tasks`).
    progress : bool, optional
        Show progress: None picks by where the output goes, False is silent, True shows a bar.

    Returns
    -------
    list of dict
        One row per graph and weighting, graphs in the order of :func:`study_graphs`.

    Examples
    --------
    >>> rows = design_study_data(zeta=20.0, quick=True, simulate=False, progress=False)
    >>> len(rows), rows[0]["graph"], rows[0]["weights"]
    (14, 'path_12', 'metropolis')
    """
    if simulate and (zeta != round(zeta) or zeta < 3):
        raise ValueError(f"simulate=True needs an integer zeta >= 3 (zeta = d + 2 with batch 1); got zeta={zeta}")
    graphs = study_graphs(quick)
    tasks = [(gi, name, G, zeta, simulate, reps, seed) for gi, (name, G) in enumerate(graphs.items())]
    names = list(graphs)
    per_graph = map_tasks(_design_graph, tasks, executor=executor, progress=progress, desc="design study",
                          unit="graph", describe=lambda k: f"design study graph {names[k]!r}")
    rows = [row for graph_rows in per_graph for row in graph_rows]
    for r in rows:
        best = max(x["rate"] for x in rows if x["graph"] == r["graph"] and np.isfinite(x["rate"]))
        r["rate_vs_best"] = r["rate"] / best
    return rows


def _design_graph(gi: int, name: str, G: Any, zeta: float, simulate: bool, reps: int, seed: int) -> list[dict[str, Any]]:
    """The study's rows of one graph (one task of :func:`design_study_data`)."""
    rows = []
    schemes = {rule: Scheme.from_networkx(G, rule, name=name) for rule in DESIGN_RULES}
    schemes["fmmc"] = optimal_weights(G, objective="spectral_gap")
    schemes["fdla"] = optimal_weights(G, objective="fdla")
    gamma = optimal_learning_rate(schemes["metropolis"], zeta=zeta).gamma
    nw = optimal_weights(G, objective="effective_neighbors", gamma=gamma, log=True)
    gamma = optimal_learning_rate(nw.scheme, zeta=zeta).gamma
    nw = optimal_weights(G, objective="effective_neighbors", gamma=gamma, log=True, start=nw.weights)
    gamma = optimal_learning_rate(nw.scheme, zeta=zeta).gamma
    schemes["n_W-optimal"] = nw.scheme
    schemes["rate-optimal"] = optimal_weights(G, objective="rate", zeta=zeta, start=nw.weights)
    for label, s in schemes.items():
        row = {"graph": name, "n": G.number_of_nodes(), "weights": label,
               "spectral_gap": float(spectral_gap(s)), "gamma": float(gamma),
               "effective_neighbors": float(effective_neighbors(s, gamma)), "lr": np.nan, "rate": np.nan}
        if not (label == "fdla" and np.min(s.matrix(0)) < -1e-9):
            opt = optimal_learning_rate(s, zeta=zeta)
            row["lr"], row["rate"] = float(opt.lr), float(opt.rate)
        if simulate:
            row.update(_simulated(s, row["lr"], row["rate"], zeta=zeta, reps=reps, seed=(seed, gi)))
        rows.append(row)
    return rows


def _simulated(scheme: Any, lr: float, rate: float, *, zeta: float, reps: int, seed: tuple[int, int]) -> dict[str, Any]:
    """Monte Carlo rate at ``lr`` with its interval (NaN where there is no theory to run at)."""
    if not np.isfinite(rate):
        return {"mc_rate": np.nan, "mc_low": np.nan, "mc_high": np.nan, "agrees": False}
    steps = int(np.clip(np.ceil(8.0 / rate), 40, 400))  # the loss falls by ~e^-8 over the run
    rep = crosscheck(scheme, lr=lr, d=int(round(zeta)) - 2, reps=reps, steps=steps,
                     seed=np.random.SeedSequence(list(seed)), n_boot=300)
    return {"mc_rate": float(rep.mc_rate), "mc_low": float(rep.ci[0]), "mc_high": float(rep.ci[1]),
            "agrees": bool(rep.agrees)}


def compute(*, zeta: float = 50.0, quick: bool = False, executor: Executor | None = None) -> FigureData:
    r"""Weight rules and optimal weights compared per graph: the study's data (no matplotlib).

    The rows of :func:`design_study_data` (spectral gap, :math:`n_W(\gamma)` at the operating decay,
    exact optimal toy rate, its ratio to the best weighting of the graph, and the Monte Carlo rate
    at each weighting's optimal learning rate with its 95 % interval) as a table.

    Parameters
    ----------
    zeta : float
        Noise level of the toy problem.
    quick : bool
        Two small graphs instead of the study's ten.
    executor : concurrent.futures.Executor, optional
        Runs one task per graph (:func:`design_study_data`); the same data with or without it.

    Returns
    -------
    FigureData
        ``data["table"]``: one row per graph and weighting (``rate`` NaN for FDLA weights with
        negative entries: no toy-rate theory).
    """
    rows = design_study_data(zeta=zeta, quick=quick, executor=executor)
    caption = ("Exact optimal toy rate r* of each weighting relative to the best one on each graph (left; "
               "FDLA is omitted: its negative weights have no toy-rate theory) and the Monte Carlo rate at "
               "each weighting's optimal learning rate against r* (right, 95 % bootstrap intervals).")
    return FigureData("design_study", {"table": _data.columns(rows)}, caption, {"zeta": zeta, "quick": quick})


def plot(fd: FigureData) -> Any:
    """Draw the study from its data (:func:`compute`): :func:`draw_design_study` of its rows."""
    t = fd.data["table"]
    rows = [dict(zip(t, vals)) for vals in zip(*t.values())]
    for r in rows:
        for k, v in r.items():
            if v is None:
                r[k] = float("nan")
    return draw_design_study(rows, fd.params["zeta"])


design_study_figure = figure_function(compute, plot, "design_study_figure")


def draw_design_study(rows: Any, zeta: float) -> Any:
    """The study's figure from its table rows (:func:`design_study_data`)."""
    import matplotlib as mpl

    from . import _style

    graphs = list(dict.fromkeys(r["graph"] for r in rows))
    labels = [lab for lab in list(DESIGN_RULES) + list(DESIGN_OPTIMA) if lab != "fdla"]
    by = {(r["graph"], r["weights"]): r for r in rows}
    fig, axes = _style.new_figure(1, 2, size=(13, 4.8), gridspec_kw={"width_ratios": [2.6, 1]})
    ax, bx = axes[0]
    width = 0.84 / len(labels)
    colors = mpl.colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    for k, lab in enumerate(labels):
        vals = [by[g, lab]["rate_vs_best"] for g in graphs]
        ax.bar(np.arange(len(graphs)) + (k - (len(labels) - 1) / 2) * width, vals, width, label=lab,
               color=colors[k % 10])
    ax.set_xticks(np.arange(len(graphs)), graphs, rotation=30, ha="right")
    ax.set_ylabel("optimal toy rate r* / best on the graph")
    low = min(by[g, lab]["rate_vs_best"] for g in graphs for lab in labels)
    ax.set_ylim(max(0.0, np.floor(low * 20) / 20 - 0.05), 1.1)
    ax.axhline(1.0, color="0.3", lw=0.8)
    ax.legend(ncol=len(labels), fontsize=7.5, loc="upper center", framealpha=0.95, columnspacing=1.0)
    ax.set_title(f"Weights for the spectral gap vs for n_W and the rate (zeta = {zeta:g})")
    if "mc_rate" in rows[0]:
        for k, lab in enumerate(labels):
            pts = [by[g, lab] for g in graphs if np.isfinite(by[g, lab]["mc_rate"])]
            x = np.array([p["rate"] for p in pts])
            y = np.array([p["mc_rate"] for p in pts])
            err = np.array([[p["mc_rate"] - p["mc_low"] for p in pts], [p["mc_high"] - p["mc_rate"] for p in pts]])
            bx.errorbar(x, y, yerr=err, fmt="o", ms=3.5, lw=0.8, color=colors[k % 10], label=lab)
        lim = [min(r["rate"] for r in rows if np.isfinite(r["rate"])) * 0.95,
               max(r["rate"] for r in rows if np.isfinite(r["rate"])) * 1.05]
        bx.plot(lim, lim, color="0.3", lw=0.8)
        bx.set_xlim(lim)
        bx.set_ylim(lim)
        bx.set_xlabel("exact optimal toy rate r*")
        bx.set_ylabel("simulated rate at the optimal learning rate")
        bx.set_title("Monte Carlo check (95 % intervals)")
    else:
        bx.set_axis_off()
    return fig
