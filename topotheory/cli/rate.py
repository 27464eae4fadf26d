"""``topotheory rate``: toy-problem convergence rates of one scheme for a list of learning rates."""

from __future__ import annotations

import argparse
from typing import Any

from ..graphs.specs import TOPOLOGIES
from .algorithms import add_algorithm_arguments, algorithm_from_args, check_exact_method
from .common import (
    CliError,
    add_format_argument,
    add_noise_arguments,
    add_topology_file_arguments,
    graph_read,
    jsonable,
    load_topology,
    noise_level,
    OPTION_MAX,
    integer_option,
    parse_float_list,
    parse_name_list,
    render,
)

NAME = "rate"
HELP = "exact toy-problem rates of one topology for a list of learning rates, its optimum and stability edge"
DESCRIPTION = (
    "Print the asymptotic rate r (E|x|^2 ~ (1 - r)^t) of D-SGD on the isotropic quadratic toy problem\n"
    "for each learning rate, then the optimal learning rate with its rate, operating decay gamma*,\n"
    "effective number of neighbours n_W(gamma*) and equivalent number of fully connected workers,\n"
    "and the stability edge (these two always with the exact rate). Alone and fully connected\n"
    "references: 1/zeta and n/(n + zeta - 1).\n"
    "--algorithm picks another algorithm of the registry (momentum, gradient tracking, CHOCO, delayed\n"
    "gradients; 'topotheory algorithms --list'), its hyper-parameters given by their options\n"
    "(--momentum 0.9, --ratio 0.5, ...): the exact rate of its per-worker state, the learning rate\n"
    "that optimizes it at the given hyper-parameters (--tune adds hyper-parameters to optimize jointly)\n"
    "and its stability edge.\n"
    "Topologies: " + ", ".join(sorted(TOPOLOGIES)) + ",\n"
    "with parameters (torus:4x8, local_steps:period=4), infinite_ring, infinite_grid, infinite_uni_ring,\n"
    "or a graph file (edge list, CSV, .npy/.npz/.mtx matrix, GraphML, GML; 'topotheory topologies')."
)
EPILOG = """examples:
  topotheory rate --topology ring --n 32 --zeta 50 --lr 0.01,0.05,0.1
  topotheory rate --topology binary_tree --n 32 --d 48 --lr 0.02 --method fixed_point --mode worst
  topotheory rate --topology infinite_ring --zeta 50 --format json
  topotheory rate --topology ring --n 64 --zeta 50 --algorithm dmsgd --momentum 0.9 --lr 0.001,0.005
  topotheory rate --topology ring --n 64 --zeta 50 --algorithm dmsgd --tune momentum
"""

_INFINITE = ("infinite_ring", "infinite_grid", "infinite_uni_ring")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topology", required=True,
                   help="topology name or spec (e.g. ring, torus:4x8, infinite_ring) or a graph file")
    p.add_argument("--n", type=integer_option(1), default=None,
                   help="number of workers of names without a size (default: 32; must agree with sized specs)")
    add_noise_arguments(p)
    p.add_argument("--lr", default=None, help="comma-separated learning rates (default: none, only the optimum)")
    p.add_argument("--method", choices=("exact", "secular", "fixed_point"), default="exact",
                   help="rate method (default: exact)")
    p.add_argument("--mode", choices=("worst", "mean"), default="worst",
                   help="n_W mode for --method fixed_point (default: worst)")
    p.add_argument("--no-optimum", action="store_true", help="skip the optimal learning rate and stability edge")
    add_algorithm_arguments(p)
    p.add_argument("--tune", default=None,
                   help="comma-separated hyper-parameters of --algorithm optimized jointly with the learning rate "
                   "(e.g. momentum; default: the learning rate only, the others as given)")
    add_topology_file_arguments(p)
    add_format_argument(p)


def _scheme(spec: str, n: int | None, args: argparse.Namespace) -> Any:
    from ..graphs import lattices

    name = spec.strip().lower().replace("-", "_")
    if name in _INFINITE:
        return getattr(lattices, name)()
    if n is not None and n < 1:
        raise CliError(f"--n must be a positive integer, got {n}")
    return load_topology(spec, n, weights=args.weights, strict=args.strict, delimiter=args.delimiter)


def _algorithm_rates(scheme: Any, z: float, lrs: list[float], args: argparse.Namespace,
                     ) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Rows and summary of ``--algorithm`` other than plain D-SGD (the exact rate only)."""
    from ..toy.quadratic import max_learning_rate, quadratic_rate

    name, hp = algorithm_from_args(args)
    check_exact_method(name, args.method)
    tune = ("lr",) + tuple(t for t in parse_name_list(args.tune or "") if t != "lr")
    fixed = {k: v for k, v in hp.items() if k not in tune}
    given = [k for k in tune if k in hp]
    if given:
        raise CliError(f"--tune {given[0]} and --{given[0].replace('_', '-')} contradict each other: drop one")
    rows: list[dict[str, Any]] = []
    for lr in lrs:
        r = float(quadratic_rate(scheme, lr=lr, zeta=z, algorithm=name, **hp))
        rows.append({"point": "given", "lr": lr, "rate": r, "rho": 1.0 - r, "diverged": r != r})
    summary: dict[str, Any] = {}
    if not args.no_optimum:
        from ..toy.algorithms import optimal_hyperparameters

        opt = optimal_hyperparameters(scheme, zeta=z, algorithm=name, tune=tune, **fixed)
        best = dict(opt.hyperparameters)
        edge = max_learning_rate(scheme, zeta=z, algorithm=name, **{k: v for k, v in best.items() if k != "lr"})
        rows.append({"point": "optimal", "lr": opt.lr, "rate": opt.rate, "rho": 1.0 - opt.rate, "diverged": False})
        rows.append({"point": "stability_edge", "lr": edge, "rate": 0.0, "rho": 1.0, "diverged": False})
        summary = {"algorithm": name, **{k: v for k, v in best.items() if k != "lr"},
                   "optimal_learning_rate": opt.lr, "optimal_rate": opt.rate, "max_learning_rate": edge}
    return rows, summary, name


def run(args: argparse.Namespace) -> int:
    from ..toy.quadratic import optimal_learning_rate, quadratic_rate

    z = noise_level(args, required=True)
    assert z is not None  # required=True: a missing noise level is a CliError
    scheme = _scheme(args.topology, args.n, args)
    n = scheme.n
    rows: list[dict[str, Any]] = []
    lrs: list[float] = []
    if args.lr is not None:
        lrs = parse_float_list("--lr", args.lr, low=0.0, low_open=True, high=OPTION_MAX)
        bad = [x for x in lrs if not x > 0]
        if bad:
            raise CliError(f"--lr values must be > 0, got {bad[0]}")
    name, hp = algorithm_from_args(args)
    if args.tune is not None and name == "dsgd":
        raise CliError("--tune needs an --algorithm with hyper-parameters (dsgd has none)")
    if name != "dsgd":
        rows, summary, _ = _algorithm_rates(scheme, z, lrs, args)
    elif args.lr is not None:
        r, info = quadratic_rate(scheme, lr=lrs, zeta=z, method=args.method, mode=args.mode, log=True)
        for k, lr in enumerate(lrs):
            rows.append({"point": "given", "lr": lr, "rate": float(r[k]), "rho": float(info["rho"][k]),
                         "diverged": bool(info["diverged"][k])})
    if name == "dsgd":
        summary = {}
    if name == "dsgd" and not args.no_optimum:
        opt = optimal_learning_rate(scheme, zeta=z)
        rows.append({"point": "optimal", "lr": opt.lr, "rate": opt.rate, "rho": 1.0 - opt.rate, "diverged": False})
        rows.append({"point": "stability_edge", "lr": opt.max_lr, "rate": 0.0, "rho": 1.0, "diverged": False})
        summary = {
            "optimal_learning_rate": opt.lr,
            "optimal_rate": opt.rate,
            "gamma": opt.gamma,
            "effective_neighbors": opt.effective_neighbors,
            "n_equivalent": opt.n_equivalent,
            "max_learning_rate": opt.max_lr,
            "alone_optimal_learning_rate": 1.0 / z,
            "fully_connected_optimal_learning_rate": None if n == float("inf") else n / (n + z - 1.0),
        }
    if not rows:
        raise CliError("nothing to compute: give --lr or drop --no-optimum")
    header = {"topology": args.topology, "n": n, "zeta": z, "method": args.method}
    if name != "dsgd":
        header.update(algorithm=name, **hp)
    read = graph_read(scheme)
    if read is not None:
        header["read"] = read
    if args.format == "json":
        import json

        print(json.dumps(jsonable({**header, "rates": rows, "summary": summary}), indent=2))
        return 0
    if args.format == "csv":
        # one table: the optimum's summary fills the columns of the 'optimal' row
        extra = {k: v for k, v in summary.items() if k not in ("optimal_learning_rate", "optimal_rate")}
        rows = [dict(r, **extra) if r["point"] == "optimal" else r for r in rows]
    print(render(rows, args.format))
    if args.format == "table" and summary:
        print()
        print(render([{"topology": args.topology, "n": n, "zeta": z, **summary}], "table"))
    return 0
