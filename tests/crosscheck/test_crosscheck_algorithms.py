"""crosscheck(algorithm=...): the exact theory of each algorithm against its pseudo-code simulator.

A small panel runs in the default suite (topologies x algorithms x hyper-parameters, incl. points
near the stability edge); planted faults — a simulator that gossips the momentum buffer the rule
keeps local, a theory with the wrong noise level — must be called "disagrees". The larger panel is
``benchmarks/bench_algorithms_crosscheck.py``.
"""

import dataclasses
import functools

import numpy as np
import pytest

import topotheory as tt
import topotheory.crosscheck.algorithms as cca
from topotheory.simulate.fit import fit_rate
from topotheory.simulate.montecarlo import default_window


def _horizon(scheme, alg, hp, *, lr, zeta, rate):
    """The shortest horizon whose fit window (second half) sees the asymptotic rate (0.3 %):
    transients are the theory's to predict, the cross-check compares asymptotic rates."""
    curve = tt.loss_curve(scheme, lr=lr, zeta=zeta, steps=300, algorithm=alg, **hp)
    for steps in (40, 60, 90, 140, 200, 300):
        window = default_window(steps, scheme.period)
        # the window must also span a decay of the loss by e^1.5 or more (a precise fit)
        if steps * rate >= 3 and abs(fit_rate(curve[: steps + 1], window, scheme.period) / rate - 1) < 3e-3:
            return steps
    return 300


def _check(scheme, alg, hp, *, frac, d=10, reps=400, seed=0):
    """Cross-check at ``frac`` times the algorithm's stability edge, over a horizon past the transient."""
    zeta = tt.zeta(d)
    edge = tt.max_learning_rate(scheme, zeta=zeta, algorithm=alg, **hp)
    lr = frac * edge
    rate = tt.quadratic_rate(scheme, lr=lr, zeta=zeta, algorithm=alg, **hp)
    steps = _horizon(scheme, alg, hp, lr=lr, zeta=zeta, rate=rate)
    return tt.crosscheck(scheme, lr=lr, d=d, reps=reps, steps=steps, seed=seed, algorithm=alg, **hp)


PANEL = [
    ("dmsgd", {"momentum": 0.5}),
    ("dmsgd_nesterov", {"momentum": 0.5, "gossip_momentum": True}),
    ("qgm", {"momentum": 0.5}),
    ("gradient_tracking", {}),
    ("exact_diffusion", {}),
    ("choco", {"ratio": 0.8, "consensus_step": 0.6}),
    ("delayed", {"delay": 2}),
    ("dsgd_gossip_first", {}),
]


@pytest.mark.parametrize("k", range(len(PANEL)), ids=[a for a, _ in PANEL])
def test_panel_agrees(k):
    # a static ring or a periodic scheme (alternately); the learning rate at half the stability edge
    alg, hp = PANEL[k]
    for scheme in ((tt.ring(8), tt.one_peer_exponential(8))[k % 2],):
        rep = _check(scheme, alg, hp, frac=0.5)
        assert rep.verdict == "agrees", (scheme.name, alg, hp, rep)
        assert rep.algorithm == alg and rep.hyperparameters == tt.ALGORITHMS[alg].check(**hp)


@pytest.mark.parametrize("alg, hp", [("dmsgd", {"momentum": 0.8}), ("gradient_tracking", {}),
                                     ("choco", {"ratio": 0.5, "consensus_step": 0.5})])
def test_near_the_stability_edge(alg, hp):
    # 90 % of the edge: slower and heavier-tailed, never a disagreement
    for scheme in (tt.ring(6),):
        rep = _check(scheme, alg, hp, frac=0.9, reps=600)
        assert rep.verdict in ("agrees", "inconclusive"), rep


@pytest.mark.parametrize("alg, hp", [("dmsgd", {"momentum": 0.5}), ("gradient_tracking", {})])
def test_random_scheme_agrees(alg, hp):
    # a fresh random matching per replica and step, on both routes
    S, d = tt.random_matching(6), 10
    rate = tt.quadratic_rate(S, lr=0.05, zeta=tt.zeta(d), algorithm=alg, **hp)
    steps = _horizon(S, alg, hp, lr=0.05, zeta=tt.zeta(d), rate=rate)
    rep = tt.crosscheck(S, lr=0.05, d=d, reps=400, steps=steps, seed=5, algorithm=alg, **hp)
    assert rep.verdict == "agrees", rep


def test_beyond_the_edge_both_diverge():
    scheme, d = tt.ring(8), 10
    edge = tt.max_learning_rate(scheme, zeta=tt.zeta(d), algorithm="dmsgd", momentum=0.5)
    rep = tt.crosscheck(scheme, lr=1.3 * edge, d=d, reps=100, steps=150, seed=0, algorithm="dmsgd", momentum=0.5)
    assert np.isnan(rep.theory_rate) and rep.verdict == "agrees"


def test_planted_fault_gossiped_buffer_is_caught(monkeypatch):
    real = cca.algorithm_routes

    def faulty(algorithm, hyperparameters=None, **kw):
        routes = real(algorithm, hyperparameters, **kw)
        return dataclasses.replace(routes, simulate=functools.partial(routes.simulate, gossip_momentum=True))

    monkeypatch.setattr(cca, "algorithm_routes", faulty)
    rep = tt.crosscheck(tt.star(6), lr=0.05, d=4, reps=400, steps=40, seed=1, algorithm="dmsgd", momentum=0.9)
    assert rep.verdict == "disagrees", rep


def test_planted_fault_wrong_zeta_is_caught(monkeypatch):
    real = cca.algorithm_routes

    def faulty(algorithm, hyperparameters=None, **kw):
        routes = real(algorithm, hyperparameters, **kw)

        def wrong(f):
            return lambda scheme, *, zeta, **k: f(scheme, zeta=1.3 * zeta, **k)

        return dataclasses.replace(routes, rate=wrong(routes.rate), curve=wrong(routes.curve))

    monkeypatch.setattr(cca, "algorithm_routes", faulty)
    rep = tt.crosscheck(tt.ring(8), lr=0.03, d=10, reps=400, steps=80, seed=2, algorithm="gradient_tracking")
    assert rep.verdict == "disagrees", rep


def test_report_names_the_algorithm_and_round_trips():
    rep = tt.crosscheck(tt.ring(8), lr=0.02, d=10, reps=100, steps=40, seed=3, algorithm="dmsgd", momentum=0.5)
    assert "dmsgd (momentum=0.5, gossip_momentum=False)" in str(rep)
    assert "algorithm='dmsgd'" in repr(rep)
    row = rep.summary()
    assert row["algorithm"] == "dmsgd" and row["momentum"] == 0.5
    back = tt.crosscheck.report_from_dict(dict(rep.to_dict(), simulation={
        "seed": rep.simulation.seed, "chunk_size": rep.simulation.chunk_size, "diverged_step": -1, "n_diverged": 0,
        "elapsed": 0.0, "replicas_spent": rep.replicas_spent, "loss_sem": list(rep.simulation.loss_sem)}))
    assert back.algorithm == "dmsgd" and back.hyperparameters == rep.hyperparameters
    plain = tt.crosscheck(tt.ring(8), lr=0.02, d=10, reps=50, steps=20, seed=3)
    assert "algorithm" not in plain.summary() and plain.algorithm == "dsgd"


def test_grid_and_bad_input():
    grid = tt.crosscheck_grid([tt.ring(8)], [0.01, 0.02], d=10, reps=60, steps=30, seed=0, algorithm="dmsgd",
                              momentum=0.3)
    assert [r.algorithm for r in grid] == ["dmsgd", "dmsgd"]
    with pytest.raises(ValueError, match="algorithm must be one of"):
        tt.crosscheck(tt.ring(8), lr=0.02, d=10, reps=50, steps=20, algorithm="adam")
    with pytest.raises(TypeError, match="takes no hyper-parameter 'delay'"):
        tt.crosscheck(tt.ring(8), lr=0.02, d=10, reps=50, steps=20, algorithm="dmsgd", delay=1)
    with pytest.raises(ValueError, match="exact rate only"):
        tt.crosscheck(tt.ring(8), lr=0.02, d=10, reps=50, steps=20, algorithm="dmsgd", method="fixed_point")
