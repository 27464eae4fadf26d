"""``topotheory compare``: a table of topology metrics (spectral gap, n_W, rates, ...)."""

from __future__ import annotations

import os

from .common import CliError
from ..compare.registry import DEFAULT_METRICS, METRICS, RATE_METRICS, evaluate_metrics
from ..graphs import PAPER_TOPOLOGIES, TOPOLOGIES, topology_from_spec
from .common import add_format_argument, parse_float_list, parse_name_list, render

NAME = "compare"
HELP = "compare topologies by spectral gap, effective number of neighbours and toy rates"
DESCRIPTION = (
    "Print one row per topology: its spectral gap and effective number of neighbours n_W(gamma)\n"
    "('mean' mode) at the requested decays; with a noise level (--zeta, or --d/--batch-size) also\n"
    "the optimal learning rate, the rate it reaches and the stability edge of the toy problem.\n"
    "Topologies are names (" + ", ".join(sorted(TOPOLOGIES)) + "),\n"
    "optionally with parameters (torus:4x8, ring:16, local_steps:period=4), or paths of networkx\n"
    "edge-list files."
)
EPILOG = """examples:
  topotheory compare
  topotheory compare --topologies ring,star,torus:4x8 --n 32 --gamma 0.9,0.99 --format json
  topotheory compare --topologies ring,hypercube --zeta 50
  topotheory compare --topologies my_graph.edgelist --metrics spectral_gap,spectral_gap_koloskova
"""


def add_arguments(p):
    p.add_argument(
        "--topologies",
        default=",".join(PAPER_TOPOLOGIES),
        help="comma-separated topology names/specs or edge-list files (default: the paper's ten)",
    )
    p.add_argument("--n", type=int, default=32, help="number of workers (default: 32)")
    p.add_argument("--gamma", default="0.9,0.99,0.999", help="decays for n_W (default: 0.9,0.99,0.999)")
    p.add_argument("--zeta", type=float, default=None, help="noise level zeta of the toy problem")
    p.add_argument("--d", type=int, default=None, help="model dimension (sets zeta = (1 + b + d)/b)")
    p.add_argument("--batch-size", type=int, default=1, help="mini-batch size b (with --d; default 1)")
    p.add_argument(
        "--metrics",
        default=None,
        help="comma-separated metric names (default: spectral_gap,effective_neighbors and the rate "
        "columns when a noise level is given); --metrics list shows them all",
    )
    p.add_argument("--weights", default="metropolis", help="weight rule for edge-list files (default: metropolis)")
    add_format_argument(p)


def load_topology(spec, n, weights="metropolis"):
    """A scheme from a name/spec, or from a networkx edge-list file if ``spec`` is a file path."""
    if os.path.isfile(spec):
        import networkx as nx

        from ..graphs.scheme import Scheme

        try:
            G = nx.read_edgelist(spec, nodetype=str, data=False)
        except Exception as exc:  # networkx raises several types for malformed files
            raise CliError(f"cannot read edge list {spec!r}: {exc}") from None
        if G.number_of_nodes() == 0:
            raise CliError(f"edge list {spec!r} has no edges")
        name = os.path.splitext(os.path.basename(spec))[0]
        return Scheme.from_networkx(G, weights=weights, name=name)
    return topology_from_spec(spec, n=n)


def run(args):
    if args.metrics == "list":
        rows = [{"metric": m.name, "needs": ",".join(m.params) or "-", "description": m.description}
                for m in METRICS.values()]
        print(render(rows, args.format))
        return 0
    if args.n < 1:
        raise CliError(f"--n must be a positive integer, got {args.n}")
    gammas_text = [g.strip() for g in args.gamma.split(",") if g.strip()]
    parse_float_list("--gamma", args.gamma)
    for g in gammas_text:
        if not 0 <= float(g) < 1:
            raise CliError(f"--gamma values must lie in [0, 1), got {g}")
    zeta = args.zeta
    if args.d is not None:
        if zeta is not None:
            raise CliError("give either --zeta or --d/--batch-size, not both")
        from ..toy.quadratic import zeta as zeta_of

        zeta = zeta_of(args.d, args.batch_size)
    if zeta is not None and not zeta >= 1:
        raise CliError(f"--zeta must be >= 1, got {zeta}")
    if args.metrics:
        names = parse_name_list(args.metrics)
    else:
        names = list(DEFAULT_METRICS) + (list(RATE_METRICS) if zeta is not None else [])
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise CliError(f"unknown metric {unknown[0]!r}; valid metrics: {', '.join(METRICS)}")
    specs = parse_name_list(args.topologies)
    if not specs:
        raise CliError("--topologies must name at least one topology")
    schemes = []
    for spec in specs:
        try:
            schemes.append((spec, load_topology(spec, args.n, args.weights)))
        except ValueError as exc:
            raise CliError(str(exc)) from None
    rows = []
    for spec, scheme in schemes:
        row = {"topology": spec, "n": scheme.n}
        row.update(evaluate_metrics(scheme, names, gammas=gammas_text, zeta=zeta))
        rows.append(row)
    print(render(rows, args.format))
    return 0
