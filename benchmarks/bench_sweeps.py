"""Sweeps on a cluster (issue 16 targets): client memory of light reports, Dask against a process pool.

Run: ``pytest benchmarks/bench_sweeps.py`` (not part of the default test run; the Dask benchmark
needs ``pip install '.[dist]'``).

* 1000 light reports at the CLI defaults (400 replicas x 300 steps) hold < 50 MB on the client;
* a 200-point cross-check sweep through a 2-worker ``dask.distributed.LocalCluster`` is no slower
  than 1.2x a 2-process ``ProcessPoolExecutor``, both through ``crosscheck_grid`` with its default
  ``chunksize`` (10 points per scheduler round trip for 200 points); and, for the record, the same
  sweep one point per round trip (``chunksize=1``), bit-identical.
"""

import pickle
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import topotheory as tt

CLI = dict(d=48, reps=400, steps=300, seed=0, progress=False)


def test_light_report_memory(benchmark):
    """Pickled size of one report at the CLI defaults, light and with replicas: 1000 light < 50 MB."""
    light = benchmark.pedantic(tt.crosscheck_grid, args=(tt.ring(32), [0.05]), kwargs=CLI, rounds=1, iterations=1)[0]
    heavy = tt.crosscheck_grid(tt.ring(32), [0.05], keep_replicas=True, **CLI)[0]
    size_light, size_heavy = len(pickle.dumps(light)), len(pickle.dumps(heavy))
    benchmark.extra_info.update(light_bytes=size_light, heavy_bytes=size_heavy)
    held = [pickle.loads(pickle.dumps(light)) for _ in range(1000)]
    assert len(held) == 1000 and 1000 * size_light < 50e6 < 1000 * size_heavy


POINTS = dict(schemes=[tt.ring(32), tt.torus(4, 8), tt.star(32), tt.one_peer_exponential(32)],
              lrs=list(np.linspace(0.01, 0.1, 50)))
SMALL = dict(d=10, reps=50, steps=60, n_boot=100, seed=0, progress=False)


def _pool(**extra):
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(int, range(4)))  # started
        t = time.perf_counter()
        grid = tt.crosscheck_grid(POINTS["schemes"], POINTS["lrs"], executor=ex, **SMALL, **extra)
        return time.perf_counter() - t, grid


def _dask(benchmark, **extra):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        client.run(int, 0)
        ex = client.get_executor()
        grid = benchmark.pedantic(tt.crosscheck_grid, args=(POINTS["schemes"], POINTS["lrs"]),
                                  kwargs=dict(SMALL, executor=ex, **extra), rounds=1, iterations=1)
    return benchmark.stats.stats.median, grid


def test_dask_against_process_pool(benchmark):
    """200 cross-checks (default chunksize): 2-worker LocalCluster vs 2-process pool, bit-identical, <= 1.2x."""
    pytest.importorskip("distributed")
    pool_time, pool_grid = _pool()
    dask_time, grid = _dask(benchmark)
    benchmark.extra_info.update(pool_seconds=pool_time, dask_seconds=dask_time, ratio=dask_time / pool_time)
    assert [r.mc_loss.tobytes() for r in grid] == [r.mc_loss.tobytes() for r in pool_grid]
    assert dask_time <= 1.2 * pool_time


def test_dask_one_point_per_round_trip(benchmark):
    """The same sweep with ``chunksize=1`` on both sides (the ratio recorded), bit-identical to chunks of 10."""
    pytest.importorskip("distributed")
    pool_time, pool_grid = _pool(chunksize=1)
    dask_time, grid = _dask(benchmark, chunksize=1)
    benchmark.extra_info.update(pool_seconds=pool_time, dask_seconds=dask_time, ratio=dask_time / pool_time)
    chunked = tt.crosscheck_grid(POINTS["schemes"][:1], POINTS["lrs"][:25], **SMALL)
    assert [r.mc_loss.tobytes() for r in grid] == [r.mc_loss.tobytes() for r in pool_grid]
    assert [r.mc_loss.tobytes() for r in grid[:25]] == [r.mc_loss.tobytes() for r in chunked]
