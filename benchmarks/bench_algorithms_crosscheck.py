"""The larger cross-check panel of the algorithms (too slow for the default suite).

Run: ``pytest benchmarks/bench_algorithms_crosscheck.py -s``. Five topologies (static ring, torus
and star, a periodic one-peer exponential graph, a random matching) x twelve algorithm settings x
three learning rates (30 %, 60 % and 90 % of each setting's stability edge), 800 replicas over
about 4 / rate steps: no "disagrees"; the verdict counts are printed.
"""

import collections
import pathlib
import sys

import pytest

import topotheory as tt

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "crosscheck"))
from test_crosscheck_algorithms import PANEL, _check  # noqa: E402

SCHEMES = [tt.ring(16), tt.torus(4, 4), tt.star(8), tt.one_peer_exponential(16), tt.random_matching(8)]
SETTINGS = PANEL + [("dmsgd", {"momentum": 0.9}), ("exact_diffusion", {"combine": "plain"}),
                    ("choco", {"ratio": 0.6, "consensus_step": 0.3}), ("delayed", {"delay": 4})]


@pytest.mark.parametrize("frac", [0.3, 0.6, 0.9])
def test_large_panel(frac):
    counts, bad = collections.Counter(), []
    for s in SCHEMES:
        for alg, hp in SETTINGS:
            rep = _check(s, alg, hp, frac=frac, reps=800)
            counts[rep.verdict] += 1
            if rep.verdict == "disagrees":
                bad.append((s.name, alg, hp, rep.theory_rate, rep.mc_rate, rep.ci))
    print(f"\nfrac {frac}: {dict(counts)}")
    assert not bad, bad
