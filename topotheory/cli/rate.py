"""``topotheory rate``: toy-problem convergence rates of one scheme for a list of learning rates."""

from __future__ import annotations

from .common import CliError
from ..graphs import TOPOLOGIES, topology_from_spec
from .common import add_format_argument, jsonable, parse_float_list, render

NAME = "rate"
HELP = "exact toy-problem rates of one topology for a list of learning rates, its optimum and stability edge"
DESCRIPTION = (
    "Print the asymptotic rate r (E|x|^2 ~ (1 - r)^t) of D-SGD on the isotropic quadratic toy problem\n"
    "for each learning rate, then the optimal learning rate with its rate, operating decay gamma*,\n"
    "effective number of neighbours n_W(gamma*) and equivalent number of fully connected workers,\n"
    "and the stability edge (these two always with the exact rate). Alone and fully connected\n"
    "references: 1/zeta and n/(n + zeta - 1).\n"
    "Topologies: " + ", ".join(sorted(TOPOLOGIES)) + ",\n"
    "with parameters (torus:4x8, local_steps:period=4), or infinite_ring, infinite_grid, infinite_uni_ring."
)
EPILOG = """examples:
  topotheory rate --topology ring --n 32 --zeta 50 --lr 0.01,0.05,0.1
  topotheory rate --topology binary_tree --n 32 --d 48 --lr 0.02 --method fixed_point --mode worst
  topotheory rate --topology infinite_ring --zeta 50 --format json
"""

_INFINITE = ("infinite_ring", "infinite_grid", "infinite_uni_ring")


def add_arguments(p):
    p.add_argument("--topology", required=True, help="topology name or spec (e.g. ring, torus:4x8, infinite_ring)")
    p.add_argument("--n", type=int, default=32, help="number of workers (default: 32)")
    p.add_argument("--zeta", type=float, default=None, help="noise level zeta >= 1")
    p.add_argument("--d", type=int, default=None, help="model dimension (sets zeta = (1 + b + d)/b)")
    p.add_argument("--batch-size", type=int, default=1, help="mini-batch size b (with --d; default 1)")
    p.add_argument("--lr", default=None, help="comma-separated learning rates (default: none, only the optimum)")
    p.add_argument("--method", choices=("exact", "secular", "fixed_point"), default="exact",
                   help="rate method (default: exact)")
    p.add_argument("--mode", choices=("worst", "mean"), default="worst",
                   help="n_W mode for --method fixed_point (default: worst)")
    p.add_argument("--no-optimum", action="store_true", help="skip the optimal learning rate and stability edge")
    add_format_argument(p)


def _scheme(spec, n):
    from ..graphs import lattices

    name = spec.strip().lower().replace("-", "_")
    if name in _INFINITE:
        return getattr(lattices, name)()
    if n < 1:
        raise CliError(f"--n must be a positive integer, got {n}")
    return topology_from_spec(spec, n=n)


def _zeta(args):
    from ..toy.quadratic import zeta as zeta_of

    if args.d is not None:
        if args.zeta is not None:
            raise CliError("give either --zeta or --d/--batch-size, not both")
        return zeta_of(args.d, args.batch_size)
    if args.zeta is None:
        raise CliError("a noise level is required: --zeta, or --d (and --batch-size)")
    if not args.zeta >= 1:
        raise CliError(f"--zeta must be >= 1, got {args.zeta}")
    return args.zeta


def run(args):
    from ..toy.quadratic import optimal_learning_rate, quadratic_rate

    z = _zeta(args)
    scheme = _scheme(args.topology, args.n)
    n = scheme.n
    rows = []
    if args.lr is not None:
        lrs = parse_float_list("--lr", args.lr)
        bad = [x for x in lrs if not x > 0]
        if bad:
            raise CliError(f"--lr values must be > 0, got {bad[0]}")
        r, info = quadratic_rate(scheme, lr=lrs, zeta=z, method=args.method, mode=args.mode, log=True)
        for k, lr in enumerate(lrs):
            rows.append({"point": "given", "lr": lr, "rate": float(r[k]), "rho": float(info["rho"][k]),
                         "diverged": bool(info["diverged"][k])})
    summary = {}
    if not args.no_optimum:
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
    if args.format == "json":
        import json

        print(json.dumps(jsonable({**header, "rates": rows, "summary": summary}), indent=2))
        return 0
    print(render(rows, args.format))
    if args.format == "table" and summary:
        print()
        print(render([{"topology": args.topology, "n": n, "zeta": z, **summary}], "table"))
    return 0
