"""``topotheory schedules``: exact merged/local losses of D-SGD for each placement of a gossip budget."""

from __future__ import annotations

import argparse
import json
import sys

from ..hetero.problems import HESSIAN_STRUCTURES, random_quadratic
from ..common.validation import check_budget
from ..hetero.exact import state_bytes
from ..hetero.merging import ORDERS, propagate
from ..hetero.schedules import PLACEMENTS, placement_schedule
from .common import (
    CliError,
    Progress,
    add_format_argument,
    add_topology_file_arguments,
    graph_read,
    integer_option,
    jsonable,
    load_topology,
    real_option,
    render,
)

NAME = "schedules"
HELP = "exact merged vs local losses for early/uniform/late/final/none/every communication"
DESCRIPTION = (
    "D-SGD on a seeded heterogeneous quadratic f_i(x) = 1/2 (x - b_i)^T A_i (x - b_i) with Gaussian\n"
    "gradient noise. A budget of gossip steps with the topology's W is spent early, uniformly or\n"
    "late (the other steps use W = I); 'final' is a single exact average at the very last step,\n"
    "'none' never communicates, 'every' gossips at every step. Printed: the exact expected excess\n"
    "losses f - f* of the global objective at the end, for the merged model (the average of the\n"
    "workers) and the mean over the local models, and the expected consensus distance\n"
    "(1/n) sum_i |x_i - xbar|^2. No simulation: mean and covariance are propagated exactly."
)
EPILOG = """examples:
  topotheory schedules
  topotheory schedules --n 16 --d 20 --hessian-spread 1.0 --budget 200 --steps 2000 --lr 0.2 \\
      --topology fully_connected --seed 0 --format json
  topotheory schedules --topology ring --hessian-spread 0 --format csv
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=integer_option(1), default=None,
                   help="number of workers (default: 16, or the size of the topology spec or graph file)")
    p.add_argument("--d", type=integer_option(1), default=20, help="model dimension (default: 20)")
    p.add_argument("--hessian-spread", type=real_option(0.0), default=1.0,
                   help="spread of the local Hessians in [0, 1]; 0 = identical (default: 1.0)")
    p.add_argument("--optima-spread", type=real_option(0.0), default=1.0,
                   help="standard deviation of the local optima around their mean (default: 1.0)")
    p.add_argument("--noise", type=real_option(0.0), default=1.0, help="gradient-noise standard deviation (default: 1.0)")
    p.add_argument("--structure", choices=HESSIAN_STRUCTURES, default="diagonal",
                   help="Hessian structure (default: diagonal)")
    p.add_argument("--budget", type=integer_option(0), default=200, help="number of gossip steps (default: 200)")
    p.add_argument("--steps", type=integer_option(1), default=2000, help="number of D-SGD steps (default: 2000)")
    p.add_argument("--lr", type=real_option(0.0, low_open=True), default=0.2, help="learning rate (default: 0.2)")
    p.add_argument("--topology", default="fully_connected",
                   help="topology name/spec, e.g. ring, torus:4x4, or a graph file (default: fully_connected)")
    p.add_argument("--order", choices=ORDERS, default=ORDERS[0],
                   help="update order (default: gradient_then_gossip)")
    p.add_argument("--seed", type=integer_option(0, None), default=0, help="seed of the random problem (default: 0)")
    add_topology_file_arguments(p)
    add_format_argument(p)


def run(args: argparse.Namespace) -> int:
    if args.budget > args.steps:
        raise CliError(f"--budget ({args.budget}) must not exceed --steps ({args.steps})")
    if args.budget < 0:
        raise CliError(f"--budget must be >= 0, got {args.budget}")
    if args.n is not None and args.n < 1:
        raise CliError(f"--n must be a positive integer, got {args.n}")
    try:
        scheme = load_topology(args.topology, args.n, weights=args.weights, strict=args.strict,
                               delimiter=args.delimiter, default_n=16)
        n = scheme.n
        problem = random_quadratic(n, args.d, optima_spread=args.optima_spread,
                                   hessian_spread=args.hessian_spread, structure=args.structure,
                                   noise=args.noise, seed=args.seed)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:  # the exact propagation's memory and time, refused before the first placement
        check_budget({"--n": n, "--d": args.d, "--steps": args.steps},
                     memory=state_bytes(problem), work=len(PLACEMENTS) * args.steps * state_bytes(problem) // 8,
                     what="the exact propagation")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = {}
    with Progress("schedules", total=len(PLACEMENTS)) as bar:
        for placement in PLACEMENTS:
            sched = placement_schedule(scheme, args.steps, placement, budget=args.budget)
            curves = propagate(problem, sched, lr=args.lr, steps=args.steps, order=args.order,
                               record_every=args.steps)
            fin = curves.final()
            losses = {k: float(fin[k]) for k in ("merged_loss", "local_loss", "consensus_distance")}
            diverged = curves.diverged is not None and bool(curves.diverged[-1])  # overflowed: NaN plus the flag
            out[placement] = {**losses, "diverged": diverged, "gossip_steps": sched.gossip_steps}
            bar.update()
    gone = [k for k, v in out.items() if v["diverged"]]
    if gone:
        print(f"topotheory: warning: diverged at --lr {args.lr:g} (losses overflowed, shown as nan) for "
              f"placement{'s' if len(gone) > 1 else ''} {', '.join(gone)}; try a smaller --lr", file=sys.stderr)
    params = {"n": n, "d": args.d, "hessian_spread": args.hessian_spread,
              "optima_spread": args.optima_spread, "noise": args.noise, "structure": args.structure,
              "budget": args.budget, "steps": args.steps, "lr": args.lr, "topology": args.topology,
              "order": args.order, "seed": args.seed, "x0": "zeros",
              "losses": "expected excess losses f - f* of the global objective (exact)"}
    read = graph_read(scheme)
    if read is not None:
        params["read"] = read
    if args.format == "json":
        print(json.dumps(jsonable({"placements": out, "parameters": params}), indent=2))
    else:
        rows = [{"placement": k, **v} for k, v in out.items()]
        print(render(rows, args.format))
    return 0
