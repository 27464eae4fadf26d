"""``topotheory reproduce``: every theory figure of the paper (and the extras), with data and index."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .common import CliError
from ..figures import FIGURES, canonical_id, get_figure_function
from ..figures.export import Staging, figure_files, terminate_as_exit
from .common import parse_name_list

NAME = "reproduce"
HELP = "regenerate every figure with its data and an index (figures/README.md)"
DESCRIPTION = (
    "Compute every registered figure from the exact theory (and the Monte Carlo cross-checks they\n"
    "overlay) and write them into --out: PNG and PDF, the data as CSV and JSON, and README.md\n"
    "listing each figure with its parameters and what it shows. Nothing is written unless every\n"
    "figure succeeds, and no file topotheory did not write is ever overwritten (the folder's\n"
    "manifest lists its files). The full run takes about 5 minutes of CPU time (measured 5 min\n"
    "14 s, of which the weight-design study takes about half; longer on a busy machine); --quick\n"
    "uses small grids and Monte Carlo, for tests. Progress goes to stderr: a bar on a terminal, one\n"
    "line per figure otherwise."
)
EPILOG = """examples:
  topotheory reproduce
  topotheory reproduce --out figures/
  topotheory reproduce --out out/figs --quick
  topotheory reproduce --out out/figs --figures 1,2,ring_size
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="figures", help="output directory (default: figures)")
    p.add_argument("--quick", action="store_true", help="small grids and Monte Carlo (for tests)")
    p.add_argument(
        "--figures",
        default=None,
        help="comma-separated figure ids or their short names (default: all: " + ", ".join(FIGURES) + ")",
    )


def recorded_command(out: str, *, quick: bool = False, ids: list[str] | None = None) -> str:
    """The command the index records, with ``--out`` normalised (``figures``, ``./figures/`` -> ``figures/``).

    Examples
    --------
    >>> recorded_command("figures"), recorded_command("./figures/", quick=True)
    ('topotheory reproduce --out figures/', 'topotheory reproduce --out figures/ --quick')
    """
    path = os.path.normpath(str(out)).replace(os.sep, "/")
    command = "topotheory reproduce --out " + (path if path.endswith("/") else path + "/")
    if quick:
        command += " --quick"
    if ids is not None:
        command += f" --figures {','.join(ids)}"
    return command


class _Progress:
    """A bar on a terminal (tqdm), otherwise one line per finished figure on stderr."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.perf_counter()
        self.bar = None
        if sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="figures", unit="fig", file=sys.stderr)
            except ImportError:  # pragma: no cover - tqdm is a dependency
                self.bar = None

    def begin(self, fid: str) -> None:
        self.t0 = time.perf_counter()
        if self.bar is not None:
            self.bar.set_postfix_str(fid)

    def end(self, fid: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.perf_counter()
        print(f"reproduce: {self.done}/{self.total} {fid} ({now - self.t0:.1f} s, {now - self.start:.1f} s in all)",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    given = list(FIGURES) if args.figures is None else parse_name_list(args.figures)
    unknown = [i for i in given if i not in FIGURES]
    if unknown:
        raise CliError(f"unknown figure {unknown[0]!r}; valid ids: {', '.join(FIGURES)}")
    if not given:
        raise CliError("--figures must name at least one figure")
    ids = list(dict.fromkeys(canonical_id(i) for i in given))
    command = recorded_command(args.out, quick=args.quick, ids=None if args.figures is None else ids)
    start = time.perf_counter()
    expected = ["README.md"] + [f for fid in ids for f in figure_files(fid).values()]
    with terminate_as_exit(), Staging(args.out, replace=True, expected=expected) as stage:
        progress = _Progress(len(ids))
        try:
            for fid in ids:
                progress.begin(fid)
                stage.add(fid, get_figure_function(fid)(quick=args.quick))
                progress.end(fid)
        finally:
            progress.close()
        stage.write_index(command)
    print(f"{len(ids)} figures written to {args.out} in {time.perf_counter() - start:.1f} s (index: README.md)")
    return 0
