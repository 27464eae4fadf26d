"""Calibration of the cross-check verdicts over a panel of schemes (issue 11, item 3).

For every case of the panel, ``SEEDS`` independent seeds of :func:`topotheory.crosscheck` with a
*correct* theory (``method="exact"``). Reported per case:

* before — the rule of the earlier package version, one bool ("agrees" iff the exact rate is inside
  the 95 % bootstrap interval, within 3 %, and the curve inside the 99.9 % simultaneous bands):
  coverage of the interval over all seeds and the number of false "disagrees";
* after — the three-valued verdict: the number of each verdict, and the coverage of the interval
  among the runs whose verdict is not "inconclusive".

Targets: coverage >= 36/40 whenever the verdict is not "inconclusive", false "disagrees" <= 2/40.

Run as a script (``python benchmarks/calibration.py [--seeds 40]``) or through pytest-benchmark
(``pytest benchmarks/calibration.py``; the benchmark times one case and asserts the targets).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import topotheory as tt

SEEDS = 40


def random_matchings(n, period, seed):
    """A period of random perfect matchings, each pair averaging: W = (I + P) / 2, P a matching."""
    rng = np.random.default_rng(seed)
    mats = []
    for _ in range(period):
        pairs = rng.permutation(n).reshape(-1, 2)
        W = np.zeros((n, n))
        W[pairs[:, 0], pairs[:, 1]] = W[pairs[:, 1], pairs[:, 0]] = 0.5
        W[np.arange(n), np.arange(n)] = 0.5
        mats.append(W)
    return tt.Scheme.from_matrices(mats, name=f"matchings(n={n}, period={period})")


def random_doubly_stochastic(n, period, seed, k=3):
    """A period of random convex combinations of ``k`` permutation matrices (Birkhoff)."""
    rng = np.random.default_rng(seed)
    eye = np.eye(n)
    mats = [sum(w * eye[rng.permutation(n)] for w in rng.dirichlet(np.ones(k))) for _ in range(period)]
    return tt.Scheme.from_matrices(mats, name=f"birkhoff(n={n}, period={period})")


def panel():
    """(label, scheme, crosscheck keywords) of every case."""
    return [
        ("ring(16), d=4", tt.ring(16), dict(lr=0.2, d=4, reps=60, steps=60)),
        ("star(8), d=4", tt.star(8), dict(lr=0.1, d=4, reps=60, steps=80)),
        ("local_steps(8, 3), d=4", tt.local_steps(8, 3), dict(lr=0.2, d=4, reps=60, steps=60)),
        ("one_peer_exponential(8), d=4", tt.one_peer_exponential(8), dict(lr=0.2, d=4, reps=60, steps=60)),
        ("matchings n=12 p=3, d=8, lr=0.25", random_matchings(12, 3, 0), dict(lr=0.25, d=8, reps=150, steps=100)),
        ("matchings n=12 p=3, d=8, lr=0.3", random_matchings(12, 3, 1), dict(lr=0.3, d=8, reps=200, steps=100)),
        ("matchings n=8 p=4, d=4, lr=0.2", random_matchings(8, 4, 2), dict(lr=0.2, d=4, reps=100, steps=80)),
        ("matchings n=16 p=5, d=8, lr=0.2", random_matchings(16, 5, 3), dict(lr=0.2, d=8, reps=100, steps=100)),
        ("birkhoff n=8 p=3, d=4", random_doubly_stochastic(8, 3, 4), dict(lr=0.2, d=4, reps=60, steps=60)),
    ]


def calibrate(scheme, kwargs, seeds=SEEDS, **extra):
    """Counts over ``seeds`` seeds: before (old rule) and after (three-valued verdict)."""
    before_cov = before_dis = 0
    counts = {v: 0 for v in ("agrees", "disagrees", "inconclusive")}
    cov_decided = decided = 0
    for seed in range(seeds):
        rep = tt.crosscheck(scheme, seed=seed, n_boot=400, **kwargs, **extra)
        covered = rep.ci[0] <= rep.theory_rate <= rep.ci[1]
        before_cov += covered
        before_dis += not (rep.rate_in_ci and rep.rate_within_tol and rep.curve_inside)
        counts[rep.verdict] += 1
        if rep.verdict != "inconclusive":
            decided += 1
            cov_decided += covered
    return dict(before_coverage=before_cov, before_disagrees=before_dis, decided=decided,
                coverage_decided=cov_decided, **counts)


def meets_targets(row, seeds=SEEDS):
    """Coverage >= 90 % of the decided runs and false 'disagrees' <= 5 % of the seeds."""
    cover_ok = row["coverage_decided"] >= 0.9 * row["decided"] - 1e-9
    return cover_ok and row["disagrees"] <= 0.05 * seeds + 1e-9


def table(seeds=SEEDS, adaptive=False):
    lines = [
        f"{'case':36s} | before: cover  disagree | after: agree  disagree  inconcl.  cover(decided)",
    ]
    rows = []
    for label, scheme, kw in panel():
        row = calibrate(scheme, kw, seeds, adaptive=adaptive)
        rows.append((label, row))
        lines.append(
            f"{label:36s} |        {row['before_coverage']:2d}/{seeds}  {row['before_disagrees']:2d}/{seeds}"
            f"    |        {row['agrees']:2d}     {row['disagrees']:2d}        {row['inconclusive']:2d}"
            f"        {row['coverage_decided']:2d}/{row['decided']:2d}"
            + ("" if meets_targets(row, seeds) else "   <- misses the target")
        )
    return "\n".join(lines), rows


def test_calibration_panel(benchmark):
    """pytest-benchmark entry: times one case, checks the targets on every case."""
    label, scheme, kw = panel()[4]
    benchmark.pedantic(lambda: tt.crosscheck(scheme, seed=0, **kw), rounds=3, iterations=1)
    text, rows = table()
    print(text)
    assert all(meets_targets(row) for _, row in rows), text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=SEEDS)
    ap.add_argument("--adaptive", action="store_true", help="run the adaptive mode (budget 8 x reps)")
    args = ap.parse_args(argv)
    text, rows = table(args.seeds, adaptive=args.adaptive)
    print(text)
    return 0 if all(meets_targets(row, args.seeds) for _, row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
