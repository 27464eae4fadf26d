r"""The chores every simulator shares: seeds, start points, chunks of replicas and threads.

One implementation each, used by :mod:`topotheory.simulate.montecarlo`, the cross-checks and the
heterogeneous simulators of :mod:`topotheory.hetero`:

* **seeds** — :func:`root_seed` turns ``seed`` (None, int, ``SeedSequence`` or ``Generator``) into
  an object the simulator may consume *without touching the caller's object* (a copy; see
  :func:`topotheory.common.rng.copy_seed`) and the one record of it stored in results
  (:func:`describe_seed`; ``None`` becomes a fresh ``SeedSequence`` whose entropy is recorded, so
  every run can be repeated); :func:`format_seed` prints a record;
* **start points** — :func:`start_point` validates ``x0`` of shape ``(d,)`` (every worker) or
  ``(n, d)`` and supplies the default (``"unit"``: every worker at ``ones(d)/sqrt(d)``, the toy
  problem's all-ones Gram matrix; ``"zero"``: the origin, the heterogeneous problems' default);
* **chunks and threads** — :func:`run_chunks` splits ``reps`` replicas into blocks with their own
  random streams (results depend on ``seed`` and ``chunk_size``, never on ``threads``) and runs
  them in a thread pool with single-threaded BLAS (threadpoolctl).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..common.rng import as_generator, copy_seed, spawn_seeds
from ..common.threads import single_threaded_blas
from ..common.validation import WORK_LIMIT, as_float_array, check_budget, check_int

__all__ = [
    "CHUNK_BYTES",
    "root_seed",
    "describe_seed",
    "format_seed",
    "chunk_seeds",
    "start_point",
    "check_threads",
    "check_budget",
    "run_chunks",
    "MAX_THREADS",
    "WORK_LIMIT",
]

#: Target size in bytes of one chunk's state array (small enough to stay in cache).
CHUNK_BYTES = 512 * 1024

#: Most threads a simulator accepts (``threads``): more than this only adds overhead.
MAX_THREADS = 256



# ------------------------------------------------------------------------------------- seeds
def describe_seed(seed: Any) -> Any:
    """The one JSON-able record of a seed: an int, ``{"entropy", "spawn_key"}``, ``"Generator"`` or None.

    Parameters
    ----------
    seed : None, int, SeedSequence or Generator
        The seed to describe.

    Returns
    -------
    int, dict, str or None
        The record (``"Generator"`` for a Generator: its state is not recorded).

    Examples
    --------
    >>> describe_seed(3), describe_seed(np.random.SeedSequence(7, spawn_key=(1,)))
    (3, {'entropy': 7, 'spawn_key': [1]})
    """
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return "Generator"
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    return int(seed)


def format_seed(record: Any) -> str:
    """Text form of a :func:`describe_seed` record (for reports).

    Parameters
    ----------
    record : int, dict, str or None
        A :func:`describe_seed` record.

    Returns
    -------
    str
        ``SeedSequence(entropy=..., spawn_key=(...))`` for a dict, ``repr(record)`` otherwise.

    Examples
    --------
    >>> format_seed({"entropy": 7, "spawn_key": [1]}), format_seed(3)
    ('SeedSequence(entropy=7, spawn_key=(1,))', '3')
    """
    if isinstance(record, dict):
        return f"SeedSequence(entropy={record['entropy']}, spawn_key={tuple(record['spawn_key'])})"
    return repr(record)


def root_seed(seed: Any) -> tuple[Any, Any]:
    """The seed a simulator consumes, and its record.

    ``None`` becomes a fresh ``SeedSequence`` (its entropy recorded, so the run can be repeated);
    a ``SeedSequence`` or ``Generator`` is copied, so the caller's object is never advanced and
    the same object passed twice gives the same result; ints are validated and kept.

    Parameters
    ----------
    seed : None, int, SeedSequence or Generator
        The caller's seed.

    Returns
    -------
    seed : int, SeedSequence or Generator
    record : int, dict or str
        :func:`describe_seed` of the seed used.

    Examples
    --------
    >>> g = np.random.default_rng(1)
    >>> s, rec = root_seed(g)
    >>> s is g, rec
    (False, 'Generator')
    """
    if seed is None:
        seed = np.random.SeedSequence()
    seed = copy_seed(seed)
    return seed, describe_seed(seed)


def chunk_seeds(seed: Any, count: int) -> list[np.random.SeedSequence]:
    """``count`` independent child seeds of ``seed`` (the caller's object is not advanced).

    The children are drawn from ``as_generator(seed)``: an int seed gives the same children on
    every call.

    Parameters
    ----------
    seed : None, int, SeedSequence or Generator
        The parent seed.
    count : int
        Number of children.

    Returns
    -------
    list of SeedSequence
        The children, in order.

    Examples
    --------
    >>> [s.entropy for s in chunk_seeds(0, 2)] == [s.entropy for s in chunk_seeds(0, 2)]
    True
    """
    return spawn_seeds(as_generator(copy_seed(seed)), count)


# ------------------------------------------------------------------------------- start point
def start_point(x0: Any, n: int, d: int, *, default: str = "unit", per_worker: bool = True) -> np.ndarray:
    r"""The validated start of every worker, shape ``(n, d)`` (or ``(d,)`` when ``per_worker=False``).

    Parameters
    ----------
    x0 : None or array_like, shape (d,) or (n, d)
        ``(d,)`` puts every worker at the same point; ``(n, d)`` gives each its own (only when
        ``per_worker=True``). Must be finite and real.
    n, d : int
        Workers and dimension.
    default : {"unit", "zero"}
        Start when ``x0`` is None: ``"unit"`` — :math:`x_i = \mathbf 1/\sqrt d`, so
        :math:`\|x_i\|^2 = 1` (the toy problem; Gram matrix all ones); ``"zero"`` — the origin.
    per_worker : bool
        Accept and return per-worker starts; ``False`` returns one point of shape ``(d,)``.

    Returns
    -------
    ndarray
        A new array (never a view of the caller's data).

    Examples
    --------
    >>> start_point(None, 2, 4)
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    >>> start_point([1.0, 2.0], 3, 2, default="zero").shape
    (3, 2)
    """
    if x0 is None:
        value = 1.0 / math.sqrt(d) if default == "unit" else 0.0
        return np.full((n, d) if per_worker else (d,), value)
    arr = as_float_array("x0", x0)
    shapes = f"(d,) = ({d},)" + (f" or (n, d) = {(n, d)}" if per_worker else "")
    if arr.shape == (d,):
        return np.broadcast_to(arr, (n, d)).copy() if per_worker else arr.copy()
    if not per_worker or arr.shape != (n, d):
        raise ValueError(f"x0 must have shape {shapes}, got {arr.shape}")
    return arr.copy()


# ---------------------------------------------------------------------------- chunks/threads
def check_threads(threads: Any) -> int | None:
    """``threads`` as an int in ``[1, MAX_THREADS]``, or None (one per CPU).

    Parameters
    ----------
    threads : int or None
        The value to check.

    Returns
    -------
    int or None
        ``threads`` itself.

    Examples
    --------
    >>> check_threads(None), check_threads(2)
    (None, 2)
    """
    if threads is None:
        return None
    return check_int("threads", threads, minimum=1, maximum=MAX_THREADS)


def run_chunks(func: Callable[..., Any], args: Sequence[Any], reps: int, floats_per_replica: int,
               chunk_size: int | None, seed: Any, threads: int | None) -> tuple[list[Any], int, float]:
    """Run ``func(*args, c, chunk_seed)`` over chunks of ``c`` replicas; outputs in chunk order.

    Chunk ``k`` gets the ``k``-th stream of :func:`chunk_seeds` ``(seed, n_chunks)``, so the outputs
    depend on ``seed`` and ``chunk_size`` but not on ``threads``. The default chunk holds about
    :data:`CHUNK_BYTES` of state (``floats_per_replica`` doubles per replica). Threads run with
    single-threaded BLAS: BLAS threads on top of ours would oversubscribe the cores.

    Parameters
    ----------
    func : callable
        ``func(*args, c, chunk_seed)`` simulates ``c`` replicas.
    args : sequence
        The leading arguments of every call.
    reps : int
        Replicas in all.
    floats_per_replica : int
        Doubles of state per replica (sets the default chunk).
    chunk_size : int or None
        Replicas per chunk (None: about :data:`CHUNK_BYTES` of state).
    seed : None, int, SeedSequence or Generator
        Root of the chunk seeds.
    threads : int or None
        Threads running the chunks (None: one per CPU, at most one per chunk).

    Returns
    -------
    outputs : list
        ``func``'s outputs, in chunk order.
    chunk_size : int
        The chunk size used.
    elapsed : float
        Seconds.

    Examples
    --------
    >>> outs, c, _ = run_chunks(lambda k, c, s: k * c, (2,), 10, 1, 4, 0, 1)
    >>> outs, c
    ([8, 8, 4], 4)
    """
    if chunk_size is None:
        chunk_size = max(1, CHUNK_BYTES // (8 * floats_per_replica))
    else:
        chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    chunk_size = min(chunk_size, reps)  # a chunk holds at most chunk_size replicas
    check_budget({"chunk_size": chunk_size}, memory=8 * 8 * floats_per_replica * chunk_size, work=0,
                 what="one chunk of replicas (about 8 state arrays)")
    sizes = [min(chunk_size, reps - s) for s in range(0, reps, chunk_size)]
    seeds = chunk_seeds(seed, len(sizes))
    jobs = [tuple(args) + (c, s) for c, s in zip(sizes, seeds)]
    threads = max(1, min(os.cpu_count() or 1, len(jobs))) if threads is None else threads
    start = time.perf_counter()
    if threads == 1 or len(jobs) == 1:
        outs = [func(*job) for job in jobs]
    else:
        with single_threaded_blas(), ThreadPoolExecutor(max_workers=threads) as pool:
            outs = list(pool.map(lambda job: func(*job), jobs))
    return outs, chunk_size, time.perf_counter() - start
