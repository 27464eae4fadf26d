"""``topotheory reproduce``: every theory figure of the paper (and the extras), with data and index."""

from __future__ import annotations

import sys
import time

from .common import CliError
from ..figures import FIGURES, get_figure_function
from ..figures.export import Staging
from .common import parse_name_list

NAME = "reproduce"
HELP = "regenerate every figure with its data and an index (figures/README.md)"
DESCRIPTION = (
    "Compute every registered figure from the exact theory (and the Monte Carlo cross-checks they\n"
    "overlay) and write them into --out: PNG and PDF, the data as CSV and JSON, and README.md\n"
    "listing each figure with its parameters and what it shows. Nothing is written unless every\n"
    "figure succeeds. The full run takes a few minutes on two cores; --quick uses small grids and\n"
    "Monte Carlo for tests."
)
EPILOG = """examples:
  topotheory reproduce
  topotheory reproduce --out figures/
  topotheory reproduce --out out/figs --quick
  topotheory reproduce --out out/figs --figures 1,2,ring_size
"""


def add_arguments(p):
    p.add_argument("--out", default="figures", help="output directory (default: figures)")
    p.add_argument("--quick", action="store_true", help="small grids and Monte Carlo (for tests)")
    p.add_argument(
        "--figures",
        default=None,
        help="comma-separated figure ids (default: all: " + ", ".join(FIGURES) + ")",
    )


def _progress(ids):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return ids, None
    bar = tqdm(ids, desc="figures", unit="fig", disable=not sys.stderr.isatty(), file=sys.stderr)
    return bar, bar


def run(args):
    ids = list(FIGURES) if args.figures is None else parse_name_list(args.figures)
    unknown = [i for i in ids if i not in FIGURES]
    if unknown:
        raise CliError(f"unknown figure {unknown[0]!r}; valid ids: {', '.join(FIGURES)}")
    if not ids:
        raise CliError("--figures must name at least one figure")
    command = "topotheory reproduce --out " + str(args.out) + (" --quick" if args.quick else "")
    if args.figures is not None:
        command += f" --figures {','.join(ids)}"
    start = time.perf_counter()
    with Staging(args.out) as stage:
        it, bar = _progress(ids)
        for fid in it:
            if bar is not None:
                bar.set_postfix_str(fid)
            stage.add(fid, get_figure_function(fid)(quick=args.quick))
        stage.write_index(command)
    print(f"{len(ids)} figures written to {args.out} in {time.perf_counter() - start:.1f} s (index: README.md)")
    return 0
