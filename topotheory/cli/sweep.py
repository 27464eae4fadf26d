"""``topotheory sweep CONFIG``: a cross-check sweep from a config file, on any executor, streamed to a file."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any

from ..crosscheck.rates import ON_ERROR, crosscheck_grid
from .common import CliError, add_format_argument, integer_option, jsonable, load_topology, one_line, render

NAME = "sweep"
HELP = "run a cross-check sweep from a JSON/TOML config on threads, processes or a Dask cluster"
DESCRIPTION = (
    "Run topotheory.crosscheck_grid over the topologies x learning rates of CONFIG (a .json or .toml\n"
    "file) and stream one JSON line per finished task to --out; --resume skips the tasks already\n"
    "there. Task k uses topotheory.task_seed(seed, k), so every executor gives bit-identical results.\n"
    "\n"
    "CONFIG keys: topologies (list of topology specs or graph files), lrs (list of learning rates),\n"
    "d, reps, steps, seed (required); n, batch_size, n_boot, weights (optional)."
)
EPILOG = """examples:
  topotheory sweep sweep.json --executor processes --workers 2 --out results.jsonl
  topotheory sweep sweep.toml --executor dask://127.0.0.1:8786 --out results.jsonl --resume
  # sweep.json: {"topologies": ["ring", "torus:4x8"], "lrs": [0.02, 0.05], "n": 32,
  #              "d": 48, "reps": 400, "steps": 300, "seed": 0}
"""

#: Executors of ``--executor`` (and ``dask://ADDRESS``).
EXECUTORS = ("serial", "threads", "processes")
REQUIRED = ("topologies", "lrs", "d", "reps", "steps", "seed")
OPTIONAL = ("n", "batch_size", "n_boot", "weights")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", metavar="CONFIG", help="sweep configuration (.json or .toml)")
    p.add_argument("--executor", default="serial",
                   help="serial, threads, processes or dask://ADDRESS (a running scheduler; default: serial)")
    p.add_argument("--workers", type=integer_option(1, 1024), default=None,
                   help="threads or processes of the local executors (default: the number of CPUs)")
    p.add_argument("--chunksize", type=integer_option(1, 100000), default=None,
                   help="tasks sent to an executor together, one round trip per chunk (default: "
                   "crosscheck_grid's, 10 for 200 or more tasks); results do not depend on it")
    p.add_argument("--out", default=None, help="JSON-lines file, one line per finished task")
    p.add_argument("--resume", action="store_true", help="skip the tasks already in --out")
    p.add_argument("--on-error", choices=ON_ERROR, default="raise",
                   help="raise: stop at the first failing task; collect: record it and go on (default: raise)")
    add_format_argument(p)


def read_config(path: str) -> dict[str, Any]:
    """The sweep configuration in ``path`` (JSON or TOML by extension), checked."""
    ext = os.path.splitext(str(path))[1].lower()
    try:
        if ext == ".json":
            with open(path, encoding="utf-8") as fh:
                cfg = json.load(fh)
        elif ext == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                try:
                    import tomli as tomllib
                except ModuleNotFoundError:
                    raise CliError("reading a TOML config needs Python >= 3.11 or the tomli package") from None
            with open(path, "rb") as fh:
                cfg = tomllib.load(fh)
        else:
            raise CliError(f"CONFIG must be a .json or .toml file, got {path!r}")
    except (ValueError, UnicodeDecodeError) as exc:  # json and tomllib errors derive from ValueError
        raise CliError(f"CONFIG {path!r} is not valid {ext[1:].upper()}: {one_line(exc)}") from None
    if not isinstance(cfg, dict):
        raise CliError(f"CONFIG {path!r} must hold a table of settings, got {type(cfg).__name__}")
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise CliError(f"CONFIG {path!r} lacks {', '.join(missing)} (needs {', '.join(REQUIRED)})")
    unknown = sorted(set(cfg) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise CliError(f"CONFIG {path!r} has unknown keys {', '.join(unknown)} "
                       f"(allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for key in ("topologies", "lrs"):
        if not isinstance(cfg[key], list) or not cfg[key]:
            raise CliError(f"CONFIG key {key!r} must be a non-empty list, got {cfg[key]!r}")
    if not all(isinstance(t, str) for t in cfg["topologies"]):
        raise CliError("CONFIG key 'topologies' must list topology specs or graph files (strings)")
    for key in ("d", "reps", "steps", "seed", "n", "batch_size", "n_boot"):
        v = cfg.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise CliError(f"CONFIG key {key!r} must be an integer, got {v!r}")
    if cfg["seed"] is None or cfg["seed"] < 0:
        raise CliError(f"CONFIG key 'seed' must be a non-negative integer (a sweep is reproducible), got {cfg['seed']!r}")
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in cfg["lrs"]):
        raise CliError(f"CONFIG key 'lrs' must list numbers, got {cfg['lrs']!r}")
    return cfg


def _executor(spec: str, workers: int | None) -> tuple[Any, Callable[[], Any]]:
    """(executor, closer) for ``--executor``; the closer shuts down what was started here."""
    if spec == "serial":
        return None, lambda: None
    if spec == "threads":
        from concurrent.futures import ThreadPoolExecutor

        threads = ThreadPoolExecutor(max_workers=workers)
        return threads, threads.shutdown
    if spec == "processes":
        from concurrent.futures import ProcessPoolExecutor

        processes = ProcessPoolExecutor(max_workers=workers)
        return processes, processes.shutdown
    if spec.startswith("dask://"):
        address = spec[len("dask://"):]
        if not address:
            raise CliError("--executor dask://ADDRESS needs the scheduler's address, e.g. dask://127.0.0.1:8786")
        if "://" not in address:
            address = "tcp://" + address
        try:
            from distributed import Client
        except ModuleNotFoundError:
            raise CliError("--executor dask://... needs dask.distributed: pip install 'topotheory[dist]'") from None
        try:
            client = Client(address, timeout=10)
        except OSError as exc:
            raise CliError(f"cannot reach the Dask scheduler at {address}: {one_line(exc)}") from None
        return client.get_executor(), client.close
    raise CliError(f"--executor must be one of {', '.join(EXECUTORS)} or dask://ADDRESS, got {spec!r}")


def run(args: argparse.Namespace) -> int:
    if args.resume and args.out is None:
        raise CliError("--resume needs --out (the file to resume)")
    cfg = read_config(args.config)
    weights = cfg.get("weights", "metropolis")
    schemes = [load_topology(spec, cfg.get("n"), weights=weights) for spec in cfg["topologies"]]
    kwargs = dict(d=cfg["d"], reps=cfg["reps"], steps=cfg["steps"], seed=cfg["seed"],
                  batch_size=cfg.get("batch_size", 1))
    if "n_boot" in cfg:
        kwargs["n_boot"] = cfg["n_boot"]
    executor, close = _executor(args.executor, args.workers)
    try:
        grid = crosscheck_grid(schemes, [float(x) for x in cfg["lrs"]], executor=executor, on_error=args.on_error,
                               out=args.out, resume=args.resume, chunksize=args.chunksize, **kwargs)
    finally:
        close()
    if args.format == "json":
        summary = {"seed": grid.seed, "agrees": grid.agrees, "verdicts": grid.verdicts, "rows": grid.rows(),
                   "errors": [e.to_dict() for e in grid.errors], "resumed": list(grid.resumed)}
        print(json.dumps(jsonable(summary), indent=2))
    elif args.format == "csv":
        print(render(grid.rows(), "csv"))
    else:
        ok = sum(r.agrees for r in grid)
        tail = f", {len(grid.resumed)} read back from {args.out}" if args.resume else ""
        print(str(grid))
        print(f"\n{len(grid)} cross-checks, seed {grid.seed}: {ok} agree, {len(grid.errors)} failed{tail}")
    return 0
