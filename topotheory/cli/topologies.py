"""``topotheory topologies``: every topology name with its parameters, defaults and constraints."""

from __future__ import annotations

import argparse

from ..graphs.io import GRAPH_EXTENSIONS
from ..graphs.specs import list_topologies
from .common import add_format_argument, render

NAME = "topologies"
HELP = "list the topology names, their parameters and defaults (and how graph files are named)"
DESCRIPTION = (
    "List every topology name accepted by --topology/--topologies with its parameters and defaults\n"
    "(n is the number of workers, taken from --n unless the spec gives it) and what it is.\n"
    "A spec is NAME or NAME:PARAMS, e.g. ring:16, torus:4x8, local_steps:period=4,\n"
    "random_regular:degree=4,seed=3. A spec is a graph FILE when it starts with file:, contains a /,\n"
    "or ends with one of " + " ".join(GRAPH_EXTENSIONS) + "; a bare name is always\n"
    "a built-in topology, even if a file of that name exists (write ./NAME to read the file)."
)
EPILOG = """examples:
  topotheory topologies
  topotheory topologies --format json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_format_argument(p)


def run(args: argparse.Namespace) -> int:
    print(render(list_topologies(), args.format))
    return 0
