"""``topotheory figure ID --out DIR``: compute one figure and write it with its data."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from typing import Any

from .common import CliError
from ..figures import FIGURE_ALIASES, FIGURES, canonical_id, get_figure_function
from ..figures.export import Staging, figure_files, terminate_as_exit

NAME = "figure"
HELP = "compute one of the paper's figures and write it as PNG, PDF, CSV and JSON"
DESCRIPTION = (
    "Compute one figure from the exact theory and write it into --out as PNG and PDF, with its\n"
    "data as CSV (the plotted table) and JSON (data, parameters and caption). A figure's id is its\n"
    "file stem (fig2_effective_neighbors, ring_size, ...); 1-6 name the paper's figures\n"
    "('topotheory figure --list' shows them all). Parameters default to the paper's values;\n"
    "override them with --param KEY=VALUE. Files in --out that topotheory did not write are never\n"
    "overwritten."
)
EPILOG = """examples:
  topotheory figure 2 --out figures/
  topotheory figure 1 --out out/fig1 --param d=50 --param target=0.001
  topotheory figure ring_size --out out/ring --quick
  topotheory figure --list
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", help="figure id (fig2_effective_neighbors, ring_size, ...) or short name (1-6, ...)")
    p.add_argument("--out", default="figures", help="output directory (default: figures)")
    p.add_argument("--quick", action="store_true", help="small grids and Monte Carlo (for tests)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter of the figure function (repeatable); VALUE is a number, a "
        "JSON value, or a comma-separated list",
    )
    p.add_argument("--list", action="store_true", help="list the figure ids and exit")


def parse_params(func: Callable[..., Any], items: list[str] | None) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings into keyword arguments accepted by ``func``."""
    allowed = [k for k, v in inspect.signature(func).parameters.items() if v.kind is v.KEYWORD_ONLY]
    out = {}
    for item in items or ():
        if "=" not in item:
            raise CliError(f"--param must look like KEY=VALUE, got {item!r}")
        key, text = (x.strip() for x in item.split("=", 1))
        if key not in allowed or key == "quick":
            valid = ", ".join(k for k in allowed if k != "quick")
            raise CliError(f"unknown parameter {key!r} for {func.__name__}; valid: {valid}")
        out[key] = _parse_value(text)
    return out


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    if "," in text:
        return tuple(_parse_value(t.strip()) for t in text.split(",") if t.strip())
    return text


def list_figures() -> list[str]:
    """Lines ``id  short names  module:function`` for every registered figure."""
    short = {k: ",".join(a for a, v in FIGURE_ALIASES.items() if v == k) or "-" for k in FIGURES}
    width = max(len(k) for k in FIGURES)
    swidth = max(len(v) for v in short.values())
    return [f"{k.ljust(width)}  {short[k].ljust(swidth)}  {v}" for k, v in FIGURES.items()]


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(list_figures()))
        return 0
    if args.id is None:
        raise CliError("a figure id is required (topotheory figure --list shows them)")
    if args.id not in FIGURES:
        raise CliError(f"unknown figure {args.id!r}; valid ids: {', '.join(FIGURES)}")
    fid = canonical_id(args.id)
    func = get_figure_function(fid)
    kwargs = parse_params(func, args.param)
    with terminate_as_exit(), Staging(args.out, expected=list(figure_files(fid).values())) as stage:
        result = func(quick=args.quick, **kwargs)
        stage.add(fid, result)
    files = figure_files(result.name)
    written = [files[e] for e in ("png", "pdf", "csv", "json") if e != "csv" or "table" in result.data]
    print(f"figure {fid} written to {args.out}: {', '.join(written)}")
    return 0
