"""``topotheory crosscheck``: exact theory vs Monte Carlo simulation of D-SGD on the toy problem."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from ..crosscheck.rates import crosscheck, crosscheck_grid
from .algorithms import add_algorithm_arguments, algorithm_from_args, check_exact_method
from .common import (
    CliError,
    Progress,
    add_format_argument,
    add_topology_file_arguments,
    jsonable,
    load_topology,
    OPTION_MAX,
    integer_option,
    parse_float_list,
    parse_name_list,
    render,
)

if TYPE_CHECKING:
    from ..graphs.scheme import Scheme

NAME = "crosscheck"
HELP = "check the exact loss curve and rate against a Monte Carlo simulation"
DESCRIPTION = (
    "Simulate D-SGD on the isotropic random quadratic (fresh Gaussian samples per worker, replica\n"
    "and step; gradient step then gossip) and compare with the exact theory: the expected loss curve\n"
    "(inside bands of replica standard errors, 99.9% simultaneous) and the asymptotic rate (inside\n"
    "the bootstrap interval and within 3%). Comma-separated topologies or learning rates run a sweep;\n"
    "--jobs N runs it on N processes with results identical to the serial run.\n"
    "--algorithm picks another algorithm of the registry ('topotheory algorithms --list'), its\n"
    "hyper-parameters given by their options (--momentum 0.9, --ratio 0.5, ...): its exact theory\n"
    "against a simulation of its paper's pseudo-code (the exact rate only)."
)
EPILOG = """examples:
  topotheory crosscheck --topology ring --n 32 --lr 0.05 --d 48 --reps 400 --steps 300 --seed 0
  topotheory crosscheck --topology ring --lr 0.05 --seed 0 --format json
  topotheory crosscheck --topology ring,star,binary_tree --lr 0.02,0.05 --reps 200 --steps 400 --seed 1 --jobs 2
  topotheory crosscheck --topology ring --n 16 --lr 0.02 --algorithm dmsgd --momentum 0.5 --seed 0
  # the paper's fixed point is not exact on irregular graphs: this one disagrees, and --strict exits 1
  topotheory crosscheck --topology binary_tree --lr 0.1 --method fixed_point --mode worst --seed 0 --strict
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topology", default="ring", help="topology name/spec or graph file; comma list for a sweep")
    p.add_argument("--n", type=integer_option(1), default=None,
                   help="number of workers of names without a size (default: 32; must agree with sized specs)")
    p.add_argument("--lr", default="0.05", help="learning rate(s), comma-separated (default: 0.05)")
    p.add_argument("--d", type=integer_option(0), default=48, help="model dimension (default: 48; zeta = d + 2 for b = 1)")
    p.add_argument("--batch-size", type=integer_option(1, api="batch_size"), default=1, help="mini-batch size b (default: 1)")
    p.add_argument("--reps", type=integer_option(1), default=400, help="Monte Carlo replicas (default: 400)")
    p.add_argument("--steps", type=integer_option(1), default=300, help="steps per replica (default: 300)")
    p.add_argument("--seed", type=integer_option(0, None), default=None, help="seed (default: fresh, printed in the report)")
    p.add_argument("--window", default=None, help="rate-fit window FIRST,LAST in steps (default: second half)")
    p.add_argument("--method", default="exact", help="theory rate method (exact, secular, fixed_point)")
    p.add_argument("--mode", default="worst", help="n_W mode for --method fixed_point (worst or mean)")
    p.add_argument("--jobs", type=integer_option(1, 1024), default=1, help="processes for a sweep (default: 1)")
    p.add_argument("--strict", action="store_true",
                   help="exit with status 1 when a cross-check disagrees; also refuse graph files that reading "
                   "would change")
    add_algorithm_arguments(p)
    add_topology_file_arguments(p, strict=False)
    add_format_argument(p)


def _window(text: str) -> tuple[int, int] | None:
    if text is None:
        return None
    vals = parse_float_list("--window", text)
    if len(vals) != 2 or any(v != int(v) for v in vals):
        raise CliError(f"--window must be two integers FIRST,LAST, got {text!r}")
    return (int(vals[0]), int(vals[1]))


def regime_hint(report: Any, scheme: Scheme, *, max_factor: int = 64) -> str | None:
    """A note when the fit window is still in the transient, with the ``--steps`` that leaves it.

    The exact curve's own rate over the fit window (``report.theory_window_rate``) equals the exact
    asymptotic rate (:func:`topotheory.quadratic_rate`, ``method="exact"``) once transients have
    died out. When they differ by more than a third of the tolerance ``report.rel_tol``, the
    smallest doubling of ``--steps`` (up to ``max_factor`` times) whose default window (the second
    half, from a whole period) brings the endpoint rate of the exact curve
    (:func:`topotheory.loss_curve`) within that margin is reported. Returns the note, or None
    when the regime is reached.
    """
    from ..toy.quadratic import loss_curve, quadratic_rate

    rw = report.theory_window_rate
    if not math.isfinite(rw) or rw <= 0:
        return None
    r = float(quadratic_rate(scheme, lr=report.lr, zeta=report.zeta))
    if not math.isfinite(r) or r <= 0:
        return None
    margin = report.rel_tol / 3
    if abs(rw - r) <= margin * r:
        return None
    note = (f"{report.scheme}, lr {report.lr:g}: the asymptotic regime is not reached over steps "
            f"{report.window[0]}..{report.window[1]} (the exact curve's rate there is {rw:.4g}, the asymptotic "
            f"rate {r:.4g})")
    p = scheme.period
    steps = report.steps
    while steps < max_factor * report.steps:
        steps *= 2
        curve = loss_curve(scheme, lr=report.lr, zeta=report.zeta, steps=steps)
        first = (steps // 2 + p - 1) // p * p
        span = (steps - first) // p * p
        if span <= 0 or not (curve[first] > 0 and curve[first + span] > 0):
            break  # the curve underflows: the rate cannot be read off any longer
        fitted = 1.0 - (curve[first + span] / curve[first]) ** (1.0 / span)
        if abs(fitted - r) <= margin * r:
            return note + f"; --steps {steps} reaches it"
    return note + f"; a much larger --steps (beyond {steps}) is needed"


def run(args: argparse.Namespace) -> int:
    if args.n is not None and args.n < 1:
        raise CliError(f"--n must be a positive integer, got {args.n}")
    if args.jobs < 1:
        raise CliError(f"--jobs must be a positive integer, got {args.jobs}")
    lrs = parse_float_list("--lr", args.lr, low=0.0, low_open=True, high=OPTION_MAX)
    specs = parse_name_list(args.topology)
    if not specs:
        raise CliError("--topology must name at least one topology")
    schemes = [load_topology(spec, args.n, weights=args.weights, strict=args.strict, delimiter=args.delimiter)
               for spec in specs]
    algorithm, hyperparameters = algorithm_from_args(args)
    check_exact_method(algorithm, args.method)
    kwargs: dict[str, Any] = dict(
        d=args.d, reps=args.reps, steps=args.steps, seed=args.seed, batch_size=args.batch_size,
        window=_window(args.window), method=args.method, mode=args.mode,
    )
    if algorithm != "dsgd":
        kwargs.update(algorithm=algorithm, **hyperparameters)
    if len(schemes) == 1 and len(lrs) == 1 and args.jobs == 1:
        with Progress("crosscheck", total=1):
            report = crosscheck(schemes[0], lr=lrs[0], **kwargs)
        reports, payload, text = [report], report.to_dict(), str(report)
    else:
        if args.jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=args.jobs) as ex:
                grid = crosscheck_grid(schemes, lrs, executor=ex, **kwargs)
        else:
            with Progress("crosscheck", total=len(schemes) * len(lrs)):
                grid = crosscheck_grid(schemes, lrs, **kwargs)
        reports, payload = list(grid), grid.to_dict()
        text = str(grid) + f"\n\n{len(reports)} cross-checks, seed {grid.seed}: " + (
            "all agree" if grid.agrees else f"{sum(not r.agrees for r in reports)} disagree"
        )
    if args.window is None and algorithm == "dsgd":  # the hint follows the D-SGD rate
        for k, rep in enumerate(reports):  # reports run over schemes, then learning rates
            hint = regime_hint(rep, schemes[k // len(lrs)])
            if hint is not None:
                print(f"topotheory: note: {hint}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(jsonable(payload), indent=2))
    elif args.format == "csv":
        print(render([r.summary() for r in reports], "csv"))
    else:
        print(text)
    return 1 if args.strict and not all(r.agrees for r in reports) else 0
