"""How much toy rate does optimising the spectral gap leave on the table? Weight rules and optimal
weights compared on graphs of different kinds by spectral gap, n_W at the operating decay and the
exact optimal toy rate."""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..design import optimal_weights
from ..graphs import Scheme
from ..metrics import effective_neighbors, spectral_gap
from ..toy import optimal_learning_rate
from . import _data
from ._base import FigureData, figure_function

__all__ = ["DESIGN_RULES", "study_graphs", "design_study_data", "compute", "plot", "design_study_figure"]

#: weight rules of ``Scheme.from_networkx`` in the study (a new rule is one more entry here)
DESIGN_RULES = ("metropolis", "max_degree")
#: optimised weights in the study
DESIGN_OPTIMA = ("fmmc", "fdla", "n_W-optimal", "rate-optimal")


def _grid_with_holes(side, seed):
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


def _connected_rgg(n, radius, seed):
    for s in range(seed, seed + 100):
        G = nx.random_geometric_graph(n, radius, seed=s)
        if nx.is_connected(G):
            return G
    raise RuntimeError("no connected random geometric graph found")  # pragma: no cover


def study_graphs(quick=False):
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


def design_study_data(*, zeta=50.0, quick=False):
    """The study's table: one row per graph and weighting (no matplotlib).

    For each graph, the operating decay is that of the n_W-optimal design's own optimal learning
    rate (found by alternating: design at gamma, gamma <- gamma* of the result, twice); every
    weighting is then scored at that gamma and by its own exact optimal toy rate at ``zeta``.
    """
    rows = []
    for name, G in study_graphs(quick).items():
        schemes = {rule: Scheme.from_networkx(G, rule, name=name) for rule in DESIGN_RULES}
        schemes["fmmc"] = optimal_weights(G, objective="spectral_gap")
        schemes["fdla"] = optimal_weights(G, objective="fdla")
        gamma = optimal_learning_rate(schemes["metropolis"], zeta=zeta).gamma
        for _ in range(2):
            nw = optimal_weights(G, objective="effective_neighbors", gamma=gamma)
            gamma = optimal_learning_rate(nw, zeta=zeta).gamma
        schemes["n_W-optimal"] = nw
        schemes["rate-optimal"] = optimal_weights(G, objective="rate", zeta=zeta)
        for label, s in schemes.items():
            if label == "fdla" and np.min(s.matrix(0)) < 0:
                rate = np.nan  # the toy-rate theory assumes non-negative gossip weights
            else:
                rate = optimal_learning_rate(s, zeta=zeta).rate
            rows.append({
                "graph": name, "n": G.number_of_nodes(), "weights": label,
                "spectral_gap": float(spectral_gap(s)), "gamma": float(gamma),
                "effective_neighbors": float(effective_neighbors(s, gamma)), "rate": float(rate),
            })
    for r in rows:
        best = max(x["rate"] for x in rows if x["graph"] == r["graph"] and np.isfinite(x["rate"]))
        r["rate_vs_best"] = r["rate"] / best
    return rows


def compute(*, zeta=50.0, quick=False):
    r"""Weight rules and optimal weights compared per graph: the study's data (no matplotlib).

    The rows of :func:`design_study_data` (spectral gap, :math:`n_W(\gamma)` at the operating decay,
    exact optimal toy rate and its ratio to the best weighting of the graph) as a table.

    Parameters
    ----------
    zeta : float
        Noise level of the toy problem.
    quick : bool
        Two small graphs instead of the study's ten.

    Returns
    -------
    FigureData
        ``data["table"]``: ``graph, n, weights, spectral_gap, gamma, effective_neighbors, rate,
        rate_vs_best`` (``rate`` NaN for FDLA weights with negative entries).
    """
    rows = design_study_data(zeta=zeta, quick=quick)
    caption = ("Exact optimal toy rate of each weighting relative to the best on each graph; fdla has "
               "negative weights where left blank (no toy-rate theory).")
    return FigureData("design_study", {"table": _data.columns(rows)}, caption, {"zeta": zeta, "quick": quick})


def plot(fd):
    """Bar chart of the optimal toy rate of each weighting relative to the best one, per graph."""
    from . import _style

    t, zeta = fd.data["table"], fd.params["zeta"]
    rows = [dict(zip(t, vals)) for vals in zip(*t.values())]
    graphs = list(dict.fromkeys(r["graph"] for r in rows))
    labels = list(DESIGN_RULES) + list(DESIGN_OPTIMA)
    with _style.style():
        fig, axes = _style.new_figure(size=(10, 4))
        ax = axes[0, 0]
        width = 0.8 / len(labels)
        for k, lab in enumerate(labels):
            vals = [next(r["rate_vs_best"] for r in rows if r["graph"] == g and r["weights"] == lab) for g in graphs]
            ax.bar(np.arange(len(graphs)) + k * width, _data.float_column(vals), width, label=lab)
        ax.set_xticks(np.arange(len(graphs)) + 0.4 - width / 2, graphs, rotation=30, ha="right")
        ax.set_ylabel("optimal toy rate / best")
        ax.set_ylim(0.5, 1.02)
        ax.legend(ncol=3, fontsize=8)
        ax.set_title(f"Weights for the spectral gap vs for n_W and the rate (zeta = {zeta:g})")
    return fig


design_study_figure = figure_function(compute, plot, "design_study_figure")
