"""Command-line interface: ``topotheory <command> ...`` (also ``python -m topotheory``).

Each command lives in its own module under ``topotheory/cli`` and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. The CLI holds no mathematics of its own: it
parses, calls the public API, and formats.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import CliError

__all__ = ["main", "CliError"]

#: Command modules, in the order ``--help`` lists them.
COMMANDS = ("compare", "rate", "crosscheck", "schedules", "figure", "reproduce", "design")


EPILOG = """examples:
  topotheory compare --topologies ring,star,torus:4x8 --n 32 --gamma 0.9,0.99
  topotheory rate --topology ring --n 32 --zeta 50 --lr 0.01,0.05,0.1
  topotheory crosscheck --topology ring --n 32 --lr 0.05 --d 48 --reps 400 --steps 300 --seed 0
  topotheory reproduce --out figures/
"""


def _load_commands():
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"topotheory.cli.{name}"))
        except ModuleNotFoundError as exc:  # a command module not shipped in this build
            if exc.name != f"topotheory.cli.{name}":
                raise
    return mods


def build_parser():
    """The argparse parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="topotheory",
        description="Exact theory of how the communication topology shapes decentralized SGD, "
        "cross-checked by Monte Carlo.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from ..common.version import __version__

    parser.add_argument("--version", action="version", version=f"topotheory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _load_commands():
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
            epilog=getattr(mod, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None):
    """Entry point; returns the exit code (0 success, 2 user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except (CliError, ValueError, TypeError, OSError) as exc:
        print(f"topotheory: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("topotheory: interrupted", file=sys.stderr)
        return 130
