"""``topotheory compare``: a table of topology metrics (spectral gap, n_W, rates, ...)."""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

from ..compare.registry import DEFAULT_METRICS, METRICS, RATE_METRICS, evaluate_metrics
from ..graphs.specs import DEFAULT_N, PAPER_TOPOLOGIES, TOPOLOGIES, list_topologies
from .algorithms import add_algorithm_arguments, algorithm_columns, algorithm_from_args
from .common import (
    CliError,
    Progress,
    add_format_argument,
    add_noise_arguments,
    add_topology_file_arguments,
    graph_read,
    load_topology,
    noise_level,
    integer_option,
    parse_float_list,
    parse_name_list,
    render,
)

NAME = "compare"
HELP = "compare topologies by spectral gap, effective number of neighbours and toy rates"
DESCRIPTION = (
    "Print one row per topology: its spectral gap and effective number of neighbours n_W(gamma)\n"
    "('mean' mode) at the requested decays; with a noise level (--zeta, or --d/--batch-size) also\n"
    "the optimal learning rate, the rate it reaches and the stability edge of the toy problem.\n"
    "Topologies are names (" + ", ".join(sorted(TOPOLOGIES)) + "),\n"
    "optionally with parameters (torus:4x8, ring:16, local_steps:period=4; 'topotheory topologies'\n"
    "lists them), or graph files: edge lists (any delimiter, weights, CSV with a header), matrices\n"
    "(.npy, .npz, .mtx, text grids), GraphML, GML. A spec is a file when it contains a /, starts with\n"
    "file: or has a graph-file extension; each file row reports what was read (workers, edges,\n"
    "weighted), and changes made while reading are warned about (refused with --strict)."
)
EPILOG = """examples:
  topotheory compare
  topotheory compare --topologies ring,star,torus:4x8 --n 32 --gamma 0.9,0.99 --format json
  topotheory compare --topologies ring,hypercube --zeta 50
  topotheory compare --topologies my_graph.edgelist --metrics spectral_gap,spectral_gap_koloskova
  topotheory compare --topologies karate.csv --weights weight:weight --strict
  topotheory compare --topologies list
  topotheory compare --topologies ring,one_peer_exponential --zeta 50 --algorithm dmsgd --momentum 0.9
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--topologies",
        default=None,
        help="comma-separated topology names/specs or graph files (default: the paper's ten, skipping those "
        "undefined at --n); --topologies list shows every name with its parameters",
    )
    p.add_argument("--n", type=integer_option(1), default=None,
                   help="number of workers of names without a size (default: 32; must agree with sized specs)")
    p.add_argument("--gamma", default="0.9,0.99,0.999", help="decays for n_W (default: 0.9,0.99,0.999)")
    add_noise_arguments(p)
    p.add_argument(
        "--metrics",
        default=None,
        help="comma-separated metric names (default: spectral_gap,effective_neighbors and the rate "
        "columns when a noise level is given); --metrics list shows them all",
    )
    add_algorithm_arguments(p)
    add_topology_file_arguments(p)
    add_format_argument(p)


def _schemes(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """``[(spec, scheme)]`` of --topologies; the default skips paper topologies undefined at --n."""
    opts = dict(weights=args.weights, strict=args.strict, delimiter=args.delimiter)
    if args.topologies is None:
        n = DEFAULT_N if args.n is None else args.n
        out, skipped = [], []
        for name in PAPER_TOPOLOGIES:
            try:
                out.append((name, load_topology(name, n, **opts)))
            except CliError as exc:
                skipped.append(f"{name} ({exc})")
        if skipped:
            print(f"topotheory: note: skipped at n = {n}: " + "; ".join(skipped), file=sys.stderr)
        return out
    specs = parse_name_list(args.topologies)
    if not specs:
        raise CliError("--topologies must name at least one topology")
    return [(spec, load_topology(spec, args.n, **opts)) for spec in specs]


def run(args: argparse.Namespace) -> int:
    if args.metrics == "list":
        rows = [{"metric": m.name, "needs": ",".join(m.params) or "-", "description": m.description}
                for m in METRICS.values()]
        print(render(rows, args.format))
        return 0
    if args.topologies is not None and args.topologies.strip() == "list":
        print(render(list_topologies(), args.format))
        return 0
    if args.n is not None and args.n < 1:
        raise CliError(f"--n must be a positive integer, got {args.n}")
    gammas_text = [g.strip() for g in args.gamma.split(",") if g.strip()]
    parse_float_list("--gamma", args.gamma)
    for g in gammas_text:
        if not 0 <= float(g) < 1:
            raise CliError(f"--gamma values must lie in [0, 1), got {g}")
    zeta = noise_level(args, required=False)
    if args.metrics is not None and not parse_name_list(args.metrics):
        raise CliError(f"--metrics must name at least one metric (or 'list'), got {args.metrics!r}")
    if args.metrics:
        names = parse_name_list(args.metrics)
    else:
        names = list(DEFAULT_METRICS) + (list(RATE_METRICS) if zeta is not None else [])
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(METRICS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CliError(f"unknown metric {unknown[0]!r}{hint}; valid metrics: {', '.join(METRICS)}")
    algorithm, hp = algorithm_from_args(args)  # the rate columns of another algorithm (cli.algorithms)
    own = [m for m in names if m in RATE_METRICS] if algorithm != "dsgd" else []
    if algorithm != "dsgd" and zeta is None:
        raise CliError(f"--algorithm {algorithm} needs a noise level for its rate columns (--zeta, or --d/--batch-size)")
    schemes = _schemes(args)
    rows = []
    with Progress("compare", total=len(schemes)) as bar:
        for spec, scheme in schemes:
            row = {"topology": spec, "n": scheme.n}
            read = graph_read(scheme)
            if read is not None:
                row["read"] = read
            row.update(evaluate_metrics(scheme, [m for m in names if m not in own], gammas=gammas_text, zeta=zeta))
            if algorithm != "dsgd":
                assert zeta is not None  # refused above without a noise level
                row.update(algorithm=algorithm, **algorithm_columns(scheme, zeta=zeta, algorithm=algorithm,
                                                                    hyperparameters=hp, columns=tuple(own)))
            rows.append(row)
            bar.update()
    print(render(rows, args.format))
    return 0
