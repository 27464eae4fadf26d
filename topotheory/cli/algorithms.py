"""``topotheory algorithms``: the algorithms of the registry, their state, hyper-parameters and papers.

Also the one place the commands that take ``--algorithm`` get their options from: every
hyper-parameter of :data:`topotheory.ALGORITHMS` becomes an option (``--momentum``,
``--consensus-step``, ...) generated from the registry (:func:`add_algorithm_arguments`), and
:func:`algorithm_from_args` turns the parsed options back into ``(name, hyper-parameters)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..algorithms.registry import ALGORITHMS, check_algorithm
from .common import CliError, add_format_argument, render

__all__ = ["add_algorithm_arguments", "algorithm_from_args", "algorithm_rows", "check_exact_method",
           "hyperparameter_options"]

NAME = "algorithms"
HELP = "list the algorithms (D-SGD, momentum, gradient tracking, CHOCO, ...), their hyper-parameters and papers"
DESCRIPTION = (
    "List every algorithm accepted by --algorithm (topotheory rate, topotheory compare): its name,\n"
    "title, per-worker state, hyper-parameters with defaults and allowed values (each is an option\n"
    "of those commands: --momentum 0.9, --consensus-step 0.5, ...), the paper its update rule is\n"
    "taken from and, with --rules, the rule itself (gossip is row-wise, X <- W X)."
)
EPILOG = """examples:
  topotheory algorithms --list
  topotheory algorithms --list --rules
  topotheory algorithms --list --format json
"""


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def hyperparameter_options() -> dict[str, tuple[Any, list[str]]]:
    """``{name: (Hyperparameter, [algorithms taking it])}`` over the whole registry, in order.

    Examples
    --------
    >>> opts = hyperparameter_options()
    >>> list(opts)[:2], opts["momentum"][1]
    (['momentum', 'gossip_momentum'], ['dmsgd', 'dmsgd_nesterov', 'qgm'])
    """
    out: dict[str, tuple[Any, list[str]]] = {}
    for alg in ALGORITHMS.values():
        for h in alg.hyperparameters:
            out.setdefault(h.name, (h, []))[1].append(alg.name)
    return out


def _parse(h: Any) -> Any:
    """The argparse ``type`` of a hyper-parameter: its kind's conversion, the registry's check."""
    convert = {"real": float, "int": int}.get(h.kind, str)

    def parse(text: str) -> Any:
        # "must ..." messages become one-line user errors naming the option (cli.common.Parser)
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'a real number' if h.kind == 'real' else 'an integer'} "
                                             f"in {h.allowed}, got {text!r}") from None
        try:
            return h.check(value)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            raise argparse.ArgumentTypeError(message[len(h.name) + 1:] if message.startswith(h.name + " ")
                                             else message) from None

    return parse


def add_algorithm_arguments(p: argparse.ArgumentParser) -> None:
    """``--algorithm`` and one option per hyper-parameter of the registry (all default to unset)."""
    p.add_argument("--algorithm", choices=tuple(ALGORITHMS), default="dsgd", metavar="NAME",
                   help="the algorithm (default: dsgd; 'topotheory algorithms --list' shows them all): "
                   + ", ".join(ALGORITHMS))
    group = p.add_argument_group("hyper-parameters of --algorithm (defaults from the registry)")
    for name, (h, algs) in hyperparameter_options().items():
        text = f"{h.doc}: {h.allowed} (default {h.default!r}; {', '.join(algs)})"
        if h.kind == "bool":
            group.add_argument(_option(name), dest=f"hp_{name}", action=argparse.BooleanOptionalAction,
                               default=None, help=text)
        else:
            group.add_argument(_option(name), dest=f"hp_{name}", type=_parse(h), default=None,
                               choices=h.choices or None, metavar=h.kind.upper() if not h.choices else None,
                               help=text)


def algorithm_from_args(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """``(algorithm name, validated hyper-parameters given)`` from options parsed with
    :func:`add_algorithm_arguments`; an option the algorithm does not take is a :class:`CliError`."""
    name = args.algorithm
    given = {k[3:]: v for k, v in vars(args).items() if k.startswith("hp_") and v is not None}
    takes = [h.name for h in ALGORITHMS[name].hyperparameters]
    foreign = [k for k in given if k not in takes]
    if foreign:
        own = ", ".join(_option(k) for k in takes) or "none"
        raise CliError(f"{_option(foreign[0])} is not a hyper-parameter of --algorithm {name} (its options: {own})")
    check_algorithm(name, given)
    return name, given


def check_exact_method(algorithm: str, method: str) -> None:
    """Refuse ``--method`` other than ``exact`` with an ``--algorithm`` other than D-SGD.

    The secular and fixed-point methods approximate the rate of D-SGD only; every other algorithm
    of the registry has its exact rate (its per-worker state's second-moment recursion) only.

    Parameters
    ----------
    algorithm : str
        The ``--algorithm`` given.
    method : str
        The ``--method`` given.

    Raises
    ------
    CliError
        When ``algorithm`` is not ``"dsgd"`` and ``method`` is not ``"exact"``.

    Examples
    --------
    >>> check_exact_method("dsgd", "fixed_point")
    >>> check_exact_method("dmsgd", "fixed_point")
    Traceback (most recent call last):
    ...
    topotheory.cli.common.CliError: --method fixed_point is a D-SGD approximation; --algorithm dmsgd has the exact rate only
    """
    if algorithm != "dsgd" and method != "exact":
        raise CliError(f"--method {method} is a D-SGD approximation; --algorithm {algorithm} has the exact rate only")


def algorithm_rows(*, rules: bool = False) -> list[dict[str, Any]]:
    """One row per algorithm: name, title, state, hyper-parameters (default in allowed), reference."""
    rows = []
    for alg in ALGORITHMS.values():
        hps = "; ".join(f"{h.name}={h.default!r} ({h.allowed})" for h in alg.hyperparameters) or "-"
        row = {"name": alg.name, "title": alg.title, "state": ",".join(alg.state), "hyperparameters": hps,
               "heterogeneous": alg.heterogeneous, "reference": alg.reference}
        if rules:
            row["rule"] = alg.rule
        rows.append(row)
    return rows


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", action="store_true", help="list the algorithms (the default action)")
    p.add_argument("--rules", action="store_true", help="add each algorithm's update rule")
    add_format_argument(p)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        import json

        from .common import jsonable

        out = []
        for alg, row in zip(ALGORITHMS.values(), algorithm_rows(rules=True)):
            row["state"] = list(alg.state)
            row["hyperparameters"] = [
                {"name": h.name, "option": _option(h.name), "kind": h.kind, "default": h.default,
                 "allowed": h.allowed, "choices": list(h.choices) or None, "doc": h.doc}
                for h in alg.hyperparameters]
            out.append(row)
        print(json.dumps(jsonable(out), indent=2))
        return 0
    print(render(algorithm_rows(rules=args.rules), args.format))
    return 0


def algorithm_columns(scheme: Any, *, zeta: float, algorithm: str, hyperparameters: dict[str, Any],
                      columns: tuple[str, ...] = ("optimal_learning_rate", "optimal_rate", "max_learning_rate"),
                      ) -> dict[str, float]:
    """The rate columns of ``compare`` for an algorithm at the given hyper-parameters.

    ``optimal_learning_rate`` and ``optimal_rate``: the learning rate that maximizes the exact rate
    (:func:`topotheory.optimal_hyperparameters` with ``tune=("lr",)``) and that rate;
    ``max_learning_rate``: the stability edge (:func:`topotheory.max_learning_rate`).
    """
    from ..toy.algorithms import optimal_hyperparameters
    from ..toy.quadratic import max_learning_rate

    out: dict[str, float] = {}
    if "optimal_learning_rate" in columns or "optimal_rate" in columns:
        opt = optimal_hyperparameters(scheme, zeta=zeta, algorithm=algorithm, tune=("lr",), **hyperparameters)
        out.update(optimal_learning_rate=opt.lr, optimal_rate=opt.rate)
    if "max_learning_rate" in columns:
        out["max_learning_rate"] = max_learning_rate(scheme, zeta=zeta, algorithm=algorithm, **hyperparameters)
    return {k: out[k] for k in columns if k in out}
