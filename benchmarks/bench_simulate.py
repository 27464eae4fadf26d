"""Speed of the D-SGD simulator in float32 against float64 (``simulate_dsgd(dtype=...)``, issue 14).

Run: ``OPENBLAS_NUM_THREADS=1 pytest benchmarks/bench_simulate.py`` (not part of the default test
run), or ``python benchmarks/bench_simulate.py`` for the table of medians and ratios.

Two settings, the gossip product dense or sparse:

* ``dense``: a random geometric graph of 256 workers with mean degree ~96 (Metropolis weights,
  over a quarter of the entries non-zero, so the simulator multiplies by it densely), d = 8,
  64 replicas, 100 steps;
* ``sparse``: a random geometric graph of 10^5 workers with mean degree ~14 (``bench_krylov.rgg``),
  d = 8, 4 replicas, 5 steps (the state is 10^5 x 4 x 8 numbers: memory O(reps n d)).

``test_dsgd_dtype[case-dtype]`` times one precision; ``test_dsgd_dtype_ratio[case]`` runs both
precisions in the same process, in interleaved rounds, and records the median ratio of their
times (float64 / float32: above 1 means float32 is faster) in ``extra_info``. One thread, the
default chunks (the same number of replicas per chunk in both precisions).
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_krylov import rgg  # noqa: E402

from topotheory.simulate.montecarlo import gossip_plan, simulate_dsgd  # noqa: E402

CASES = {
    "dense": dict(make=lambda: rgg(256, degree=96), kind="dense", lr=0.05, d=8, reps=64, steps=100),
    "sparse": dict(make=lambda: rgg(100_000), kind="sparse", lr=0.05, d=8, reps=4, steps=5),
}
DTYPES = ("float64", "float32")
_SCHEMES: dict[str, object] = {}


def scheme_of(case):
    if case not in _SCHEMES:
        s = CASES[case]["make"]()
        kinds = {k for k, _ in gossip_plan(s)}
        assert kinds == {CASES[case]["kind"]}, kinds
        _SCHEMES[case] = s
    return _SCHEMES[case]


def run(case, dtype, seed=0):
    c = CASES[case]
    return simulate_dsgd(scheme_of(case), lr=c["lr"], d=c["d"], steps=c["steps"], reps=c["reps"], seed=seed,
                         threads=1, dtype=dtype)


def interleaved(case, rounds):
    """Median CPU and wall seconds of each precision, and of the ratio float64 / float32 per round."""
    cpu = {dt: [] for dt in DTYPES}
    wall = {dt: [] for dt in DTYPES}
    sims = {}
    for r in range(rounds):
        for dt in (DTYPES if r % 2 == 0 else DTYPES[::-1]):
            t0, w0 = time.process_time(), time.perf_counter()
            sims[dt] = run(case, dt, seed=r)
            cpu[dt].append(time.process_time() - t0)
            wall[dt].append(time.perf_counter() - w0)
    c = CASES[case]
    replica_steps = c["reps"] * c["steps"]
    out = {"case": case, "rounds": rounds}
    for dt in DTYPES:
        out[f"{dt}_cpu_s"] = statistics.median(cpu[dt])
        out[f"{dt}_wall_s"] = statistics.median(wall[dt])
        out[f"{dt}_replica_steps_per_cpu_s"] = replica_steps / statistics.median(cpu[dt])
    out["ratio_cpu"] = statistics.median(a / b for a, b in zip(cpu["float64"], cpu["float32"]))
    out["ratio_wall"] = statistics.median(a / b for a, b in zip(wall["float64"], wall["float32"]))
    # the two precisions simulate the same law: their last mean losses agree within the noise
    a, b = sims["float64"], sims["float32"]
    z = abs(a.loss[-1] - b.loss[-1]) / np.hypot(a.loss_sem[-1], b.loss_sem[-1])
    assert z < 5, z
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CASES))
def test_dsgd_dtype(benchmark, case, dtype):
    """One precision: D-SGD replica-steps per second (extra_info) on the dense or sparse setting."""
    scheme_of(case)
    sim = benchmark.pedantic(run, args=(case, dtype), rounds=5 if case == "dense" else 3, iterations=1)
    assert sim.dtype == dtype and not sim.diverged
    c = CASES[case]
    benchmark.extra_info["replica_steps"] = c["reps"] * c["steps"]


@pytest.mark.parametrize("case", list(CASES))
def test_dsgd_dtype_ratio(benchmark, case):
    """Both precisions in interleaved rounds: median time ratio float64 / float32 (extra_info)."""
    scheme_of(case)
    out = benchmark.pedantic(interleaved, args=(case, 5 if case == "dense" else 3), rounds=1, iterations=1)
    benchmark.extra_info.update(out)


if __name__ == "__main__":  # pragma: no cover - the table of the closing note
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    for case in CASES:
        o = interleaved(case, rounds)
        print(f"{case:7s} float64 {o['float64_cpu_s']:.3f} s CPU ({o['float64_wall_s']:.3f} wall), "
              f"float32 {o['float32_cpu_s']:.3f} s CPU ({o['float32_wall_s']:.3f} wall); "
              f"{o['float64_replica_steps_per_cpu_s']:.4g} vs {o['float32_replica_steps_per_cpu_s']:.4g} "
              f"replica-steps/s; ratio float64/float32 {o['ratio_cpu']:.2f} CPU, {o['ratio_wall']:.2f} wall "
              f"(median of {rounds} interleaved rounds)", flush=True)
