"""Helpers shared by the CLI commands: list parsing, output formatting."""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import math
import re
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ..common.jsonable import jsonable

if TYPE_CHECKING:
    from ..graphs.scheme import Scheme
    from ..common.progress import Progress as _Progress

FORMATS = ("table", "json", "csv")


class CliError(Exception):
    """A user error: printed as one line ``topotheory: error: ...`` with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line: ``PROG: error: MESSAGE (see PROG --help)``.

    Exit code 2. Unknown options get a did-you-mean from the parser's own options, and a
    subcommand's parser reports its own errors (not the top-level usage).
    """

    def error(self, message: str) -> NoReturn:
        message = one_line(message)
        m = re.fullmatch(r"argument ([-\w/]+): (must .*)", message)
        if m:  # a value refused by a typed option: reported like every other user error
            raise CliError(f"{m.group(1).split('/')[-1]} {m.group(2)}")
        m = re.match(r"unrecognized arguments: (\S+)", message)
        if m and m.group(1).startswith("-"):
            opts = [o for a in self._actions for o in a.option_strings]
            close = difflib.get_close_matches(m.group(1).split("=")[0], opts, n=1)
            if close:
                message += f" (did you mean {close[0]}?)"
        m = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if m:
            choices = [c for a in self._actions if isinstance(a, argparse._SubParsersAction) for c in a.choices]
            close = difflib.get_close_matches(m.group(1), choices, n=1)
            message = f"unknown command {m.group(1)!r}" + (f" (did you mean {close[0]!r}?)" if close else "") + (
                f"; commands: {', '.join(choices)}")
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def one_line(message: object) -> str:
    r"""``message`` as one line with numpy scalar reprs shown as plain numbers.

    Examples
    --------
    >>> one_line("row 3 sums to np.float64(0.5),\n expected [inf]")
    'row 3 sums to 0.5, expected inf'
    """
    text = " ".join(str(message).split())
    text = re.sub(r"np\.(?:float|int|uint|bool_?)\d*\(([^()]*)\)", r"\1", text)
    return re.sub(r"\[(-?(?:inf|nan|[\d.eE+-]+))\]", r"\1", text)


#: Largest value of a numeric option: integers beyond 2**53 are not exact in the float arithmetic
#: of the theory, and no count, size or noise level that large can be run or means anything.
OPTION_MAX = 2**53


def _option_number(text: str, convert: Callable[[str], Any]) -> Any:
    # not a number at all: argparse's own one-line "invalid int value: 'abc'" (ValueError)
    return convert(text)


def integer_option(minimum: int = 1, maximum: int | None = OPTION_MAX, *, api: str | None = None) -> Callable[[str], int]:
    """An argparse ``type=``: an integer in ``[minimum, maximum]`` (``maximum=None``: unbounded).

    ``api`` names the library argument the option becomes, quoted in the message.

    Errors are one line naming the option (``argument --reps: must be an integer >= 1, got '-1'``).

    Examples
    --------
    >>> integer_option(1)("8")
    8
    >>> integer_option(1)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a positive integer <= 9007199254740992, got -1
    """
    bound = f" <= {maximum}" if maximum is not None else ""
    what = f"a positive integer{bound}" if minimum == 1 else f">= {minimum} (an integer{bound})"
    if api:  # the library argument it becomes, for messages that users compare with the API's
        what += f" ({api})"

    def parse(text: str) -> int:
        value = _option_number(text.strip(), int)
        if value < minimum or maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
        return value

    parse.__name__ = "int"
    return parse


def real_option(low: float = 0.0, *, low_open: bool = False, high: float = OPTION_MAX) -> Callable[[str], float]:
    """An argparse ``type=``: a finite real in ``[low, high]`` (``(low, high]`` with ``low_open``).

    Examples
    --------
    >>> real_option(1.0)("2.5")
    2.5
    >>> real_option(1.0)("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be >= 1 and <= 9.01e+15 (a finite number), got nan
    """
    what = f"{'>' if low_open else '>='} {low:g} and <= {high:.3g} (a finite number)"

    def parse(text: str) -> float:
        value = _option_number(text.strip(), float)
        if not (math.isfinite(value) and (value > low if low_open else value >= low) and value <= high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {value:g}")
        return value

    parse.__name__ = "float"
    return parse


def weight_rule_option(text: str) -> str:
    """An argparse ``type=`` for ``--weights``: a weight rule or ``weight:ATTR``."""
    from ..graphs.weights import check_weight_rule

    try:
        check_weight_rule("the weight rule", text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("the weight rule must be", "must be")) from None
    return text


DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ","}


def delimiter_option(text: str) -> str:
    """An argparse ``type=`` for ``--delimiter``: one character, or ``tab``/``space``/``comma``."""
    value = DELIMITER_NAMES.get(text, text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(f"must be one character or one of tab, space, comma; got {text!r}")
    return value


def add_topology_file_arguments(p: argparse.ArgumentParser, *, strict: bool = True) -> None:
    """``--weights``, ``--delimiter`` (and ``--strict``) for commands that read graph files."""
    p.add_argument("--weights", default="metropolis", type=weight_rule_option,
                   help="weight rule for graph files: metropolis, max_degree, lazy_metropolis, lazy_max_degree, "
                   "or weight:ATTR to use an edge attribute (a third column is 'weight') as W (default: metropolis)")
    p.add_argument("--delimiter", default=None, type=delimiter_option,
                   help="field delimiter of edge-list files (default: detected; 'tab' or 'space' accepted)")
    if strict:
        p.add_argument("--strict", action="store_true",
                       help="refuse graph files that reading would change (self loops, directions, duplicates, "
                       "several components)")


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    return DELIMITER_NAMES.get(text, text)


def load_topology(spec: str, n: int | None = None, *, weights: str = "metropolis", strict: bool = False,
                  delimiter: str | None = None, default_n: int = 32) -> Scheme:
    """A scheme from a topology spec or a graph file (:func:`topotheory.topology_from_spec`).

    The one entry point of every command (and of ``figure --param topologies=FILE``): files go
    through :func:`topotheory.load_graph`; its warnings are printed to stderr as one line each
    (``topotheory: warning: ...``); errors are ``CliError``.
    """
    from ..graphs.specs import topology_from_spec

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scheme = topology_from_spec(spec, n=n, weights=weights, strict=strict, delimiter=_delimiter(delimiter),
                                        default_n=default_n)
        except (ValueError, TypeError) as exc:
            raise CliError(one_line(exc)) from None
    for w in caught:
        print(f"topotheory: warning: {one_line(w.message)}", file=sys.stderr)
    return scheme


def graph_read(scheme: Scheme) -> str | None:
    """What a graph file gave (workers, edges, weighted, format, weights), or None for built-ins."""
    source = getattr(scheme, "source", None)
    return source.summary() if source is not None else None


def add_noise_arguments(p: argparse.ArgumentParser) -> None:
    """``--zeta``, ``--d`` and ``--batch-size``: the noise level of the toy problem."""
    p.add_argument("--zeta", type=real_option(1.0), default=None, help="noise level zeta >= 1 of the toy problem")
    p.add_argument("--d", type=integer_option(0), default=None, help="model dimension (sets zeta = (1 + b + d)/b)")
    p.add_argument("--batch-size", type=integer_option(1), default=1,
                   help="mini-batch size b (with --d; default 1)")


def noise_level(args: argparse.Namespace, *, required: bool) -> float | None:
    """zeta from ``--zeta`` or ``--d``/``--batch-size`` (None when neither is given and not required)."""
    from ..toy.quadratic import zeta as zeta_of

    if args.d is not None:
        if args.zeta is not None:
            raise CliError("give either --zeta or --d/--batch-size, not both")
        return zeta_of(args.d, args.batch_size)
    if args.zeta is None:
        if required:
            raise CliError("a noise level is required: --zeta, or --d (and --batch-size)")
        return None
    if not args.zeta >= 1 or not math.isfinite(args.zeta):
        raise CliError(f"--zeta must be >= 1 and finite, got {args.zeta:g}")
    return args.zeta


def Progress(label: str, total: int | None = None, **kwargs: Any) -> _Progress:
    """Progress on stderr for work that may take more than ~2 s (:class:`topotheory.common.progress.Progress`).

    A bar on a terminal, a widget in Jupyter, otherwise a line ``topotheory LABEL: k/total (t s)``
    every 10 s once 2 s have passed; a context manager, ``update()`` after each item.
    """
    from ..common.progress import Progress as _Progress

    return _Progress(total, desc=label, **kwargs)


def parse_float_list(name: str, text: str, *, low: float | None = None, low_open: bool = False,
                     high: float | None = None) -> list[float]:
    """Parse ``"0.1,0.2"`` into finite floats, or raise a one-line CliError naming the option.

    Empty pieces (``"1,,2"``), NaN and infinities are refused, and every value must lie in
    ``[low, high]`` (``(low, high]`` with ``low_open``) when given.

    Examples
    --------
    >>> parse_float_list("--lr", "0.1, 0.2")
    [0.1, 0.2]
    >>> parse_float_list("--lr", "1,,2")
    Traceback (most recent call last):
    ...
    topotheory.cli.common.CliError: --lr must be a comma-separated list of numbers, got '1,,2' (an empty item)
    """
    pieces = [x.strip() for x in str(text).split(",")]
    if not any(pieces):
        raise CliError(f"{name} must not be empty")
    if not all(pieces):
        raise CliError(f"{name} must be a comma-separated list of numbers, got {text!r} (an empty item)")
    try:
        values = [float(x) for x in pieces]
    except ValueError:
        raise CliError(f"{name} must be a comma-separated list of numbers, got {text!r}") from None
    for v in values:
        if not math.isfinite(v):
            raise CliError(f"{name} values must be finite, got {v:g}")
        if low is not None and (v <= low if low_open else v < low):
            raise CliError(f"{name} values must be {'>' if low_open else '>='} {low:g}, got {v:g}")
        if high is not None and v > high:
            raise CliError(f"{name} values must be <= {high:.3g}, got {v:g}")
    return values


def parse_name_list(text: str) -> list[str]:
    """Split a comma-separated list of topology specs, keeping each spec's own parameters.

    A piece that is a parameter (``key=value``, ``4x8`` or a number) belongs to the spec before it:
    ``"ring:n=16,weights=max_degree,torus:4x8"`` gives ``["ring:n=16,weights=max_degree", "torus:4x8"]``.
    """
    specs: list[str] = []
    for piece in (x.strip() for x in str(text).split(",")):
        if not piece:
            continue
        is_param = re.fullmatch(r"[A-Za-z_]\w*\s*=.*|\d+x\d+|[\d.]+", piece) is not None
        if specs and is_param and ":" in specs[-1]:
            specs[-1] += "," + piece
        else:
            specs.append(piece)
    return specs


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for key, val in row.items():
        if isinstance(val, dict):
            for k2, v2 in val.items():
                flat[f"{key}[{k2}]"] = v2
        else:
            flat[key] = val
    return flat


def _fmt(val: Any) -> str:
    if isinstance(val, (float, np.floating)):
        if not math.isfinite(val):
            return "nan" if math.isnan(val) else ("inf" if val > 0 else "-inf")
        return f"{val:.6g}"
    if val is None:
        return "-"
    return str(val)


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """Render a list of dict rows as an aligned text table, JSON or CSV."""
    if fmt == "json":
        return json.dumps(jsonable(rows), indent=2)
    flat = [_flatten(r) for r in rows]
    cols = []
    for r in flat:
        for k in r:
            if k not in cols:
                cols.append(k)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in flat:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
        return buf.getvalue().rstrip("\n")
    cells = [[_fmt(r.get(k)) for k in cols] for r in flat]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) if _is_num(v) else v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _is_num(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
