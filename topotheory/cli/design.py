"""``topotheory design``: optimal gossip weights on a graph, written as a weighted edge list."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .common import load_topology, render
from ..design import DESIGN_METHODS, DESIGN_OBJECTIVES, optimal_weights

if TYPE_CHECKING:
    from ..design.weights import WeightDesign
    from ..graphs.scheme import Scheme

NAME = "design"
HELP = "optimal gossip weights on a graph (FMMC, FDLA, n_W-optimal, S0-optimal, rate-optimal)"
DESCRIPTION = (
    "Read a graph (a networkx edge-list file), compute optimal symmetric gossip weights on its\n"
    "edges for the chosen objective, print the objective value and its certificate, and write the\n"
    "weights as an edge list 'u v w_uv' (the self weights are the remainder of each row). Read it\n"
    "back with networkx.read_weighted_edgelist and Scheme.from_networkx(G, weights='weight:weight').\n"
    "Objectives: " + ", ".join(DESIGN_OBJECTIVES) + "."
)
EPILOG = """examples:
  topotheory design --graph my_graph.edgelist --objective effective_neighbors --gamma 0.99 --out weights.txt
  topotheory design --graph my_graph.edgelist --objective spectral_gap --out weights.json --format json
  topotheory design --graph my_graph.edgelist --objective rate --zeta 50 --out weights.csv --format csv
"""

#: formats of the written weights
OUT_FORMATS = ("edgelist", "csv", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--graph", required=True, help="networkx edge-list file (one 'u v' pair per line)")
    p.add_argument("--objective", required=True, choices=DESIGN_OBJECTIVES, help="what to optimise")
    p.add_argument("--gamma", type=float, default=None, help="decay of n_W for effective_neighbors, in [0, 1)")
    p.add_argument("--zeta", type=float, default=None, help="noise level of the toy problem (rate; or with --lr)")
    p.add_argument("--lr", type=float, default=None, help="learning rate fixing the operating decay (with --zeta)")
    p.add_argument("--method", choices=DESIGN_METHODS, default="auto", help="computation route (default: auto)")
    p.add_argument("--allow-negative", action="store_true", help="allow signed weights (fdla implies it)")
    p.add_argument("--out", required=True, help="file to write the weights to")
    p.add_argument("--format", choices=OUT_FORMATS, default="edgelist",
                   help="format of the weights file: edgelist 'u v w' (default), csv with a header, or json")


def read_graph(spec: str) -> Scheme:
    """The graph to design weights on: a graph file or a topology spec, through the one loader.

    :func:`topotheory.cli.common.load_topology` (which reads files with
    :func:`topotheory.load_graph` and prints its warnings); only the support of the scheme is used.
    """
    return load_topology(spec)


def weight_rows(scheme: Scheme, result: WeightDesign) -> list[tuple[Any, Any, float]]:
    """``(u, v, w_uv)`` for every edge, with the graph's node labels (indices when it has none)."""
    labels = list(scheme.labels) if scheme.labels is not None else list(range(scheme.n))
    return [(labels[i], labels[j], float(w)) for (i, j), w in zip(result.edges, result.weights)]


def write_weights(path: str, rows: list[tuple[Any, Any, float]], fmt: str, summary: dict[str, Any]) -> None:
    with open(path, "w") as fh:
        if fmt == "edgelist":
            fh.writelines(f"{u} {v} {w!r}\n" for u, v, w in rows)
        elif fmt == "csv":
            fh.write("u,v,weight\n")
            fh.writelines(f"{u},{v},{w!r}\n" for u, v, w in rows)
        else:
            json.dump({**summary, "edges": [[u, v, w] for u, v, w in rows]}, fh, indent=1)
            fh.write("\n")


def run(args: argparse.Namespace) -> int:
    G = read_graph(args.graph)
    res = optimal_weights(G, objective=args.objective, gamma=args.gamma, zeta=args.zeta, lr=args.lr,
                          method=args.method, allow_negative=args.allow_negative, log=True)
    summary = {k: v for k, v in res.to_dict().items() if k not in ("scheme", "weights", "edges")}
    summary["graph"] = G.name
    summary["n"] = G.n
    write_weights(args.out, weight_rows(G, res), args.format, summary)
    print(render([summary], "table"))
    return 0
