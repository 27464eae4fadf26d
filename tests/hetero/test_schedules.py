import numpy as np
import pytest

import topotheory as tt
from topotheory.hetero.schedules import DEGREE_SCHEDULES, PLACEMENTS


def _gossip_times(s):
    return [t for t in range(s.steps) if s.step_matrix(t) is not None]


def test_placements_positions_budget_and_matrices():
    W = tt.ring(6)
    steps, budget = 20, 4
    s = {pl: tt.placement_schedule(W, steps, pl, budget=budget) for pl in PLACEMENTS}
    assert _gossip_times(s["early"]) == [0, 1, 2, 3]
    assert _gossip_times(s["late"]) == [16, 17, 18, 19]
    assert _gossip_times(s["uniform"]) == [4, 9, 14, 19]
    assert _gossip_times(s["final"]) == [19]
    np.testing.assert_allclose(s["final"].matrix(19), np.full((6, 6), 1 / 6))
    assert _gossip_times(s["none"]) == [] and s["none"].gossip_steps == 0
    assert s["every"].gossip_steps == steps
    for pl in ("early", "uniform", "late"):
        assert s[pl].gossip_steps == budget and s[pl].is_doubly_stochastic
        np.testing.assert_array_equal(s[pl].matrix(_gossip_times(s[pl])[0]), W.matrix(0))
    np.testing.assert_array_equal(s["early"].matrix(10), np.eye(6))
    # budget = steps: uniform, early and late all gossip every step
    for pl in ("early", "uniform", "late"):
        assert tt.placement_schedule(W, 7, pl, budget=7).gossip_steps == 7


def test_periodic_scheme_cycles_through_its_matrices_on_gossip_steps():
    s = tt.one_peer_exponential(8)
    sched = tt.placement_schedule(s, 12, "uniform", budget=6)
    times = _gossip_times(sched)
    for k, t in enumerate(times):
        np.testing.assert_array_equal(sched.matrix(t), s.matrix(k))
    every = tt.placement_schedule(s, 9, "every")
    for t in range(9):
        np.testing.assert_array_equal(every.matrix(t), s.matrix(t))


def test_gossip_every_is_local_steps():
    sched = tt.gossip_every(tt.fully_connected(4), 9, 3)
    ref = tt.local_steps(4, 3)
    for t in range(9):
        np.testing.assert_allclose(sched.matrix(t), ref.matrix(t))
    assert _gossip_times(tt.gossip_every(tt.ring(4), 9, 3, offset=1)) == [0, 3, 6]


def test_degree_schedules_against_their_formulas():
    T = 50
    s = np.arange(T) / T
    r0, r1 = 6.0, 1.0
    expected = {
        "fixed": np.full(T, r0),
        "linear": r0 + (r1 - r0) * s,
        "cosine": r1 + 0.5 * (r0 - r1) * (1 + np.cos(np.pi * s)),
        "slow_decrease": r1 + (r0 - r1) * np.exp(-10 * s),
        "switch": np.where(s < 0.3, r0, r1),
        "window": np.where((s >= 0.3) & (s < 0.5), r0, r1),
    }
    assert set(expected) == set(DEGREE_SCHEDULES)
    for kind, ref in expected.items():
        got = tt.degree_schedule(kind, T, start=r0, end=r1, switch=0.3, width=0.2)
        np.testing.assert_allclose(got, ref, atol=1e-14, err_msg=kind)
    c = tt.degree_schedule("cosine", T, start=r0, end=r1)
    assert c[0] == r0 and np.all(np.diff(c) <= 0)


def test_random_pull_is_row_stochastic_with_expected_degree():
    n, T = 10, 400
    deg = np.full(T, 2.5)
    s = tt.random_pull_schedule(n, deg, seed=0)
    assert not s.is_doubly_stochastic
    ks = []
    for t in range(T):
        W = s.matrix(t)
        np.testing.assert_allclose(W.sum(axis=1), 1.0)
        k = (W > 0).sum(axis=1) - 1  # peers pulled (self weight is always there)
        assert np.all(k == k[0]) and np.all(np.diag(W) == 1.0 / (k[0] + 1))
        ks.append(k[0])
    assert set(ks) <= {2, 3} and abs(np.mean(ks) - 2.5) < 0.1  # stochastic rounding keeps the mean
    again = tt.random_pull_schedule(n, deg, seed=0)
    np.testing.assert_array_equal(again.matrix(7), s.matrix(7))


def test_symmetrized_pull_is_doubly_stochastic_and_symmetric():
    s = tt.random_pull_schedule(8, tt.degree_schedule("linear", 30, start=3, end=0), symmetrize=True, seed=1)
    assert s.is_doubly_stochastic
    for t in _gossip_times(s):
        W = s.matrix(t)
        np.testing.assert_allclose(W, W.T)
        assert tt.is_doubly_stochastic(W)
    # zero degree at the end: no communication there
    assert s.step_matrix(29) is None
    # capped at n - 1 peers
    full = tt.random_pull_schedule(4, [10.0], seed=0)
    np.testing.assert_allclose(full.matrix(0), np.full((4, 4), 0.25))


def test_consensus_control_keeps_consensus_below_target_and_replays_exactly():
    p = tt.random_quadratic(8, 3, optima_spread=2.0, hessian_spread=0.5, noise=0.3, seed=0)
    W = tt.ring(8)
    target = np.linspace(2.0, 0.05, 60)  # tighter and tighter: communication spent late
    s = tt.consensus_controlled_schedule(p, W, lr=0.2, steps=60, target=target, max_extra=30)
    c = tt.propagate(p, s, lr=0.2, steps=60)
    capped = s.rounds == 31
    assert np.all(c.consensus_distance[1:][~capped] <= target[~capped] * (1 + 1e-9))
    assert s.total_rounds > 60 and s.rounds[-1] > s.rounds[0]
    np.testing.assert_allclose(s.matrix(59), np.linalg.matrix_power(W.matrix(0), int(s.rounds[59])))
    # without control the consensus distance ends well above the final target
    plain = tt.propagate(p, W, lr=0.2, steps=60)
    assert plain.consensus_distance[-1] > target[-1]
    loose = tt.consensus_controlled_schedule(p, W, lr=0.2, steps=60, target=1e6)
    assert loose.total_rounds == 60


def test_gossip_schedule_accessors():
    s = tt.GossipSchedule([np.full((3, 3), 1 / 3), np.eye(3)[[1, 2, 0]]], [0, -1, 1])
    assert (s.n, s.steps, len(s), s.gossip_steps, s.total_rounds) == (3, 3, 3, 2, 2)
    assert s.is_doubly_stochastic
    assert "GossipSchedule" in repr(s)
    row = tt.GossipSchedule([np.array([[1.0, 0.0], [1.0, 0.0]])], [0])
    assert not row.is_doubly_stochastic
    silent = tt.GossipSchedule([], [-1, -1], n=3)
    np.testing.assert_array_equal(silent.matrix(1), np.eye(3))
    assert silent.step_matrix(0) is None and silent.n == 3


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: tt.placement_schedule(tt.ring(4), 10, "late", budget=11), ValueError, "budget must be <= steps"),
        (lambda: tt.placement_schedule(tt.ring(4), 10, "late", budget=-1), ValueError, "budget"),
        (lambda: tt.placement_schedule(tt.ring(4), 10, "late"), ValueError, "needs a budget"),
        (lambda: tt.placement_schedule(tt.ring(4), 10, "middle", budget=2), ValueError, "placement"),
        (lambda: tt.placement_schedule("ring", 10, "every"), TypeError, "Scheme"),
        (lambda: tt.degree_schedule("linear", 10, start=-1.0), ValueError, "start"),
        (lambda: tt.degree_schedule("cosine", 10, end=-0.5), ValueError, "end"),
        (lambda: tt.degree_schedule("exponential", 10), ValueError, "kind"),
        (lambda: tt.degree_schedule("switch", 10, switch=1.5), ValueError, "switch"),
        (lambda: tt.random_pull_schedule(4, [1.0, -2.0]), ValueError, "non-negative"),
        (lambda: tt.random_pull_schedule(4, np.ones((2, 2))), ValueError, "1-D"),
        (lambda: tt.gossip_every(tt.ring(4), 10, 0), ValueError, "period"),
        (lambda: tt.GossipSchedule([np.ones((2, 2))], [0]), ValueError, "row stochastic"),
        (lambda: tt.GossipSchedule([-np.eye(2) + 1], [0, 1]), ValueError, "index entries"),
        (lambda: tt.GossipSchedule([np.ones((2, 3)) / 3], [0]), ValueError, "square"),
        (lambda: tt.GossipSchedule([], [-1, -1]), ValueError, "n is required"),
        (lambda: tt.GossipSchedule([np.eye(2)], [0], n=3), ValueError, "does not match"),
        (lambda: tt.consensus_controlled_schedule(tt.random_quadratic(4, 2, seed=0), tt.one_peer_exponential(4),
                                                  lr=0.1, steps=5, target=0.1), ValueError, "static"),
        (lambda: tt.consensus_controlled_schedule(tt.random_quadratic(4, 2, seed=0), tt.ring(4),
                                                  lr=0.1, steps=5, target=-0.1), ValueError, "target"),
    ],
)
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()
