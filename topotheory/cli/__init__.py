"""Command-line interface: ``topotheory <command> ...`` (also ``python -m topotheory``).

Each command lives in its own module under ``topotheory/cli`` and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. The CLI holds no mathematics of its own: it
parses, calls the public API, and formats.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from .common import CliError, Parser, one_line

__all__ = ["main", "CliError"]

#: Command modules, in the order ``--help`` lists them.
COMMANDS = ("compare", "topologies", "algorithms", "rate", "crosscheck", "sweep", "schedules", "figure", "reproduce",
            "design")


EPILOG = """examples:
  topotheory compare --topologies ring,star,torus:4x8 --n 32 --gamma 0.9,0.99
  topotheory compare --topologies my_graph.edgelist,ring --zeta 50
  topotheory topologies
  topotheory rate --topology ring --n 32 --zeta 50 --lr 0.01,0.05,0.1
  topotheory crosscheck --topology ring --n 32 --lr 0.05 --d 48 --reps 400 --steps 300 --seed 0
  topotheory reproduce --out figures/
"""


def _load_commands() -> list[ModuleType]:
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"topotheory.cli.{name}"))
        except ModuleNotFoundError as exc:  # a command module not shipped in this build
            if exc.name != f"topotheory.cli.{name}":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with every available subcommand."""
    parser = Parser(
        prog="topotheory",
        description="Exact theory of how the communication topology shapes decentralized SGD, "
        "cross-checked by Monte Carlo.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from ..common.version import __version__

    parser.add_argument("--version", action="version", version=f"topotheory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command, parser) if command is not None else parser
    return parser


def _quiet_stdout() -> None:
    """After a broken pipe (``... | head``): send what is left to /dev/null, exit quietly."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 1 a --strict check failed, 2 user error).

    Every error is one line on stderr, ``topotheory: error: ...``, with exit code 2; argparse
    errors name the subcommand and its ``--help``. A closed output pipe ends quietly (exit 0).
    Set ``TOPOTHEORY_DEBUG=1`` to see the traceback of an unexpected error.
    """
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
    except CliError as exc:  # a value refused by a typed option (topotheory.cli.common.Parser.error)
        print(f"topotheory: error: {one_line(exc)}", file=sys.stderr)
        return 2
    if extras:
        _subparser(parser, getattr(args, "command", None)).error(f"unrecognized arguments: {' '.join(extras)}")
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except (CliError, ValueError, TypeError, OSError) as exc:
        print(f"topotheory: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("topotheory: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: still one line, never a traceback
        if os.environ.get("TOPOTHEORY_DEBUG"):
            raise
        print(f"topotheory: error: {type(exc).__name__}: {one_line(exc)} (TOPOTHEORY_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 2
