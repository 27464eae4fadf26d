"""The statistics core of the cross-checks: intervals, diagnostics, the agreement rule, verdicts both ways.

Oracles: scipy's t quantiles and numpy means computed here; closed forms of the effective sample
size; Pareto samples of known tail index; planted faults (a theory curve scaled, a rate off by 3 %,
the paper's "worst" fixed point on the binary tree, a merging theory at the wrong learning rate, an
n_W off by 10 %) that every verdict must catch; a seeded calibration over 40 seeds.
"""

import json
import math

import numpy as np
import pytest
import scipy.stats

import topotheory as tt
import topotheory.hetero.merging as merging_module
import topotheory.metrics.randomwalk as randomwalk_module
import topotheory.toy.quadratic as quadratic_module
from topotheory.crosscheck.stats import (
    ESS_MIN,
    Check,
    band_quantile,
    decide,
    mean_band,
    replica_diagnostics,
)


# ------------------------------------------------------------------------------- intervals
@pytest.mark.parametrize("level, points, reps", [(0.95, 1, 10), (0.999, 61, 50), (0.99, 6, 1500)])
def test_band_quantile_is_bonferroni_student_t(level, points, reps):
    expected = scipy.stats.t.ppf(1 - (1 - level) / (2 * points), reps - 1)
    assert band_quantile(level, points, reps) == pytest.approx(expected, rel=1e-12)
    assert band_quantile(level, 1, 1) == math.inf


def test_mean_band_matches_numpy_and_skips_stopped_replicas():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((30, 4))
    mean, se, half = mean_band(v, level=0.95, points=4)
    np.testing.assert_allclose(mean, v.mean(0), rtol=1e-13)
    np.testing.assert_allclose(se, v.std(0, ddof=1) / np.sqrt(30), rtol=1e-13)
    np.testing.assert_allclose(half, scipy.stats.t.ppf(1 - 0.05 / 8, 29) * se, rtol=1e-12)
    v[3, 2] = np.nan
    mean, se, _ = mean_band(v, level=0.95)
    kept = np.delete(v[:, 2], 3)
    assert mean[2] == pytest.approx(kept.mean()) and se[2] == pytest.approx(kept.std(ddof=1) / np.sqrt(29))


def test_simultaneous_bands_hold_at_their_level():
    # 2000 experiments of 50 replicas x 20 points of independent normals: the Bonferroni family at
    # 90 % holds with probability (1 - 0.1/20)^20 = 0.9046 for independent points (4 standard
    # errors of the frequency: 0.027); pointwise 90 % bands hold together far less often
    rng = np.random.default_rng(1)
    v = rng.standard_normal((2000, 50, 20))
    mean = v.mean(1)
    se = v.std(1, ddof=1) / np.sqrt(50)
    family = np.mean(np.all(np.abs(mean) <= band_quantile(0.9, 20, 50) * se, axis=1))
    pointwise = np.mean(np.all(np.abs(mean) <= band_quantile(0.9, 1, 50) * se, axis=1))
    assert abs(family - (1 - 0.1 / 20) ** 20) < 0.027 and pointwise < 0.3


# ----------------------------------------------------------------------------- diagnostics
def test_diagnostics_closed_forms():
    w = np.r_[np.ones(99), 100.0]
    d = replica_diagnostics(w)
    assert d.ess == pytest.approx(199**2 / (99 + 100**2))
    assert d.max_share == pytest.approx(100 / 199)
    assert not d.passed and any("carries" in p for p in d.problems)
    equal = replica_diagnostics(np.full((80, 3), 2.0))
    assert equal.passed and equal.ess == 80 and equal.max_share == 1 / 80 and equal.problems == ()
    assert equal.advice() == "" and equal.replicas_needed == 0
    # replicas needed scale with the ESS deficit
    few = replica_diagnostics(np.ones(20))
    assert not few.passed and few.replicas_needed == math.ceil(20 * ESS_MIN / 20)
    assert f"about {few.replicas_needed} replicas" in few.advice()


@pytest.mark.parametrize("alpha", [1.0, 1.5, 3.0, 6.0])
def test_hill_tail_estimate_recovers_pareto_index(alpha):
    w = np.random.default_rng(2).pareto(alpha, 20000) + 1.0  # P(w > x) = x^-alpha
    d = replica_diagnostics(w)
    assert d.tail == pytest.approx(1 / alpha, rel=0.1)
    assert (d.tail > 0.5) == (alpha < 2) and (alpha < 2) <= (not d.passed)


def test_tail_explains_at_most_twice_the_lognormal_mean_over_median():
    rng = np.random.default_rng(3)
    s2 = 2.0
    w = np.exp(np.sqrt(s2) * rng.standard_normal(400))
    d = replica_diagnostics(w)
    bound = 2 * math.exp(d.log_spread / 2) / (1 - d.max_share)
    assert d.log_spread == pytest.approx(s2, rel=0.15)
    assert d.tail_can_explain(0.99 * bound) and not d.tail_can_explain(1.01 * bound)
    assert d.tail_can_explain(1.01 / bound) and not d.tail_can_explain(0.99 / bound)
    # the bound holds: replica means of 20 log-normals fall short of E w = e^{s2/2} by less
    means = np.exp(np.sqrt(s2) * rng.standard_normal((5000, 20))).mean(1)
    assert np.mean(math.exp(s2 / 2) / means <= bound) > 0.999


# ----------------------------------------------------------------------------------- rule
def test_agreement_rule_table():
    good = replica_diagnostics(np.ones(100))
    bad = replica_diagnostics(np.r_[np.ones(99), 1e3])
    assert decide([Check("a", True), Check("b", True)], bad)[0] == "agrees"
    assert decide([Check("a", False)], good)[0] == "disagrees"
    assert decide([Check("a", False)], bad)[0] == "inconclusive"
    assert decide([Check("a", False, robust=True)], bad)[0] == "disagrees"
    assert decide([Check("a", True), Check("tol", False, kind="precision")], good)[0] == "inconclusive"
    verdict, reason = decide([Check("rate interval", False, detail="x")], good)
    assert verdict == "disagrees" and reason == "rate interval fails (x)"


# -------------------------------------------------------------------- crosscheck, both ways
KW = dict(lr=0.1, d=24, reps=150, steps=80, seed=7)


def test_correct_theory_agrees_with_passing_diagnostics():
    rep = tt.crosscheck(tt.ring(16), **KW)
    assert rep.verdict == "agrees" and rep.agrees is True and rep.diagnostics.passed
    assert rep.settle == "" and "verdict     agrees" in str(rep)
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert d["verdict"] == "agrees" and d["diagnostics"]["ess"] == pytest.approx(rep.diagnostics.ess)
    # the band is the Bonferroni Student-t quantile over every step (planted fault: no Bonferroni)
    assert rep.band_z == pytest.approx(scipy.stats.t.isf(0.001 / (2 * 81), 149), rel=1e-12)
    se = rep.simulation.replica_loss.std(0, ddof=1) / np.sqrt(150)
    np.testing.assert_allclose(rep.band_high - rep.mc_loss, rep.band_z * se, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("factor", [1.03, 0.97])
def test_rate_off_by_three_percent_disagrees(monkeypatch, factor):
    exact = quadratic_module.quadratic_rate
    monkeypatch.setattr(quadratic_module, "quadratic_rate", lambda *a, **k: factor * exact(*a, **k))
    rep = tt.crosscheck(tt.ring(16), **KW)
    assert rep.verdict == "disagrees" and not rep.agrees and not rep.rate_in_ci


def test_wrong_curve_with_right_rate_disagrees(monkeypatch):
    # planted fault: the curve-band condition dropped from the rule; a curve scaled by 1.15 has the
    # exact rate (same slope) but lies outside the bands
    exact = quadratic_module.loss_curve
    monkeypatch.setattr(quadratic_module, "loss_curve", lambda *a, **k: 1.15 * np.asarray(exact(*a, **k)))
    rep = tt.crosscheck(tt.ring(16), **KW)
    assert rep.rate_in_ci and not rep.curve_inside
    assert rep.verdict == "disagrees" and "curve bands" in rep.reason


def test_worst_fixed_point_on_binary_tree_disagrees_not_inconclusive():
    # the paper's fixed point with the worst worker's n_W is a lower bound of the rate, ~10 % low here
    rep = tt.crosscheck(tt.binary_tree(16), lr=0.15, d=16, reps=100, steps=100, seed=7, n_boot=300,
                        method="fixed_point", mode="worst")
    assert rep.verdict == "disagrees", str(rep)
    exact = tt.crosscheck(tt.binary_tree(16), lr=0.15, d=16, reps=100, steps=100, seed=7, n_boot=300)
    assert exact.verdict == "agrees" and exact.ci == rep.ci


def _matchings(n, period, seed):
    rng = np.random.default_rng(seed)
    mats = []
    for _ in range(period):
        pairs = rng.permutation(n).reshape(-1, 2)
        W = np.eye(n) * 0.5
        W[pairs[:, 0], pairs[:, 1]] = W[pairs[:, 1], pairs[:, 0]] = 0.5
        mats.append(W)
    return tt.Scheme.from_matrices(mats)


def test_heavy_tails_are_reported_and_never_a_false_disagreement():
    s = _matchings(12, 3, 1)
    rep = tt.crosscheck(s, lr=0.3, d=8, reps=150, steps=100, seed=0)
    d = rep.diagnostics
    assert not d.passed and d.max_share > 0.05 and d.tail > 0.5
    assert rep.verdict in ("agrees", "inconclusive")
    assert "replicas    effective sample size" in str(rep)
    # the advice: heavy tails need a shorter horizon
    assert 0 < d.shorter_horizon < 1 and "horizon" in d.advice()


def test_calibration_small():
    """40 seeds of a cheap periodic case: coverage when decided, and no false 'disagrees'."""
    s = _matchings(8, 3, 0)
    decided = covered = disagrees = 0
    for seed in range(40):
        rep = tt.crosscheck(s, lr=0.25, d=4, reps=40, steps=30, seed=seed, n_boot=200)
        disagrees += rep.verdict == "disagrees"
        if rep.verdict != "inconclusive":
            decided += 1
            covered += rep.ci[0] <= rep.theory_rate <= rep.ci[1]
    assert decided >= 20 and covered >= 0.9 * decided and disagrees <= 2


def test_adaptive_mode_adds_seeded_chunks_within_budget():
    s = _matchings(12, 3, 1)
    kw = dict(lr=0.3, d=8, reps=50, steps=60, seed=3, n_boot=200)
    one = tt.crosscheck(s, **kw)
    a = tt.crosscheck(s, adaptive=True, budget=200, **kw)
    b = tt.crosscheck(s, adaptive=True, budget=200, **kw)
    assert not one.diagnostics.passed
    assert one.replicas_spent == 50
    assert 100 <= a.reps <= 150 and a.reps % 50 == 0 and a.replicas_spent == 50 + a.reps <= 200
    assert a.diagnostics.ess > one.diagnostics.ess
    # the judged run is fresh: none of the pilot's replicas are reused
    assert not np.isin(one.simulation.replica_loss[:, -1], a.simulation.replica_loss[:, -1]).any()
    np.testing.assert_array_equal(a.mc_loss, b.mc_loss)
    with pytest.raises(ValueError, match="budget"):
        tt.crosscheck(s, adaptive=True, budget=10, **kw)


# -------------------------------------------------------------------------- seeds
def test_caller_seed_objects_are_never_mutated():
    ss = np.random.SeedSequence(42)
    a = tt.crosscheck(tt.ring(4), lr=0.1, d=3, reps=10, steps=20, seed=ss)
    b = tt.crosscheck(tt.ring(4), lr=0.1, d=3, reps=10, steps=20, seed=ss)
    assert ss.n_children_spawned == 0 and a.seed == b.seed == {"entropy": 42, "spawn_key": []}
    np.testing.assert_array_equal(a.mc_loss, b.mc_loss)
    g = np.random.default_rng(5)
    state = g.bit_generator.state
    x = tt.simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=4, seed=g)
    y = tt.simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=4, seed=g)
    assert g.bit_generator.state == state
    np.testing.assert_array_equal(x.replica_loss, y.replica_loss)
    p = tt.random_quadratic(4, 2, seed=0)
    m1 = tt.simulate_merging(p, tt.ring(4), lr=0.1, steps=5, reps=3, seed=ss)
    m2 = tt.simulate_merging(p, tt.ring(4), lr=0.1, steps=5, reps=3, seed=ss)
    np.testing.assert_array_equal(m1.merged_loss, m2.merged_loss)
    assert m1.params["seed"] == {"entropy": 42, "spawn_key": []}


# -------------------------------------------------------------------------- merging
def test_merging_wrong_theory_disagrees(monkeypatch):
    # planted fault: crosscheck_merging always agreeing
    p = tt.random_quadratic(5, 3, hessian_spread=0.7, structure="diagonal", noise=0.5, seed=0)
    sched = tt.placement_schedule(tt.ring(5), 40, "uniform", budget=15)
    good = tt.crosscheck_merging(p, sched, lr=0.3, steps=40, reps=1500, seed=7)
    assert good.verdict == "agrees"
    # bands: Student-t, Bonferroni over the 41 recorded steps and 6 quantities (independent numpy route)
    vals = good.simulation.merged_loss  # (steps, reps)
    half = scipy.stats.t.isf(0.001 / (2 * 41 * 6), 1499) * vals.std(1, ddof=1) / np.sqrt(1500)
    curve = good.to_dict()["curves"]["merged_loss"]
    np.testing.assert_allclose(np.array(curve["band_high"]) - vals.mean(1), half, rtol=1e-9, atol=1e-15)
    exact = merging_module.propagate
    monkeypatch.setattr(merging_module, "propagate", lambda *a, **k: exact(*a, **dict(k, lr=0.33)))
    bad = tt.crosscheck_merging(p, sched, lr=0.3, steps=40, reps=1500, seed=7)
    assert bad.verdict == "disagrees" and not bad.agrees
    assert "DISAGREES" in str(bad) and json.loads(json.dumps(bad.to_dict()))["verdict"] == "disagrees"


# -------------------------------------------------------------------------- random walk
def test_random_walk_check_both_ways(monkeypatch):
    chk = tt.crosscheck_random_walk(tt.ring(8), gamma=0.5, steps=200, reps=200, seed=0)
    assert chk.verdict == "agrees" and chk.ci[0] <= chk.theory <= chk.ci[1]
    assert chk.estimate == pytest.approx(chk.simulation.effective_neighbors, rel=1e-12)
    exact = randomwalk_module.effective_neighbors
    monkeypatch.setattr(randomwalk_module, "effective_neighbors", lambda *a, **k: 1.1 * exact(*a, **k))
    assert tt.crosscheck_random_walk(tt.ring(8), gamma=0.5, steps=200, reps=200, seed=0).verdict == "disagrees"


def test_random_walk_short_burn_in_is_flagged_and_inconclusive():
    rw = tt.simulate_random_walk(tt.ring(4), gamma=0.99, steps=50, reps=50, burn_in=20, seed=0)
    assert not rw.trusted and rw.burn_in_bias == pytest.approx(0.99**20)
    assert "trusted=False" in repr(rw) and "burn-in" in rw.warning
    ok = tt.simulate_random_walk(tt.ring(4), gamma=0.5, steps=50, reps=50, seed=0)
    assert ok.trusted and ok.warning == ""
    # the default burn-in is capped at 10**6 steps: beyond gamma = 1 - 1e-5 the bound says so
    assert tt.simulate.default_burn_in(1 - 1e-6) == 10**6 and (1 - 1e-6) ** 10**6 > 1e-3
    chk = tt.crosscheck_random_walk(tt.ring(4), gamma=0.99, steps=50, reps=50, burn_in=20, seed=0)
    assert chk.verdict != "agrees" or chk.ci[0] <= chk.theory <= chk.ci[1]
    assert not chk.diagnostics.passed and "burn-in" in " ".join(chk.diagnostics.problems)


# ----------------------------------------------------------------- boundaries (mutation survivors)
def test_diagnostic_limits_are_inclusive():
    at_ess = replica_diagnostics(np.ones(int(ESS_MIN)))
    assert at_ess.ess == ESS_MIN and at_ess.passed
    at_share = replica_diagnostics(np.r_[np.ones(95), 5.0])  # share exactly 5 / 100
    assert at_share.max_share == 0.05 and at_share.passed
    assert at_share.shorter_horizon == 1.0 and at_share.replicas_needed == 0


def test_hill_estimate_on_exact_quantiles():
    R, alpha = 400, 1.5
    w = (R / np.arange(1, R + 1)) ** (1 / alpha)  # the exact Pareto quantiles, decreasing
    k = math.ceil(min(0.2 * R, 3 * math.sqrt(R)))  # 60
    expected = np.mean(np.log(w[:k] / w[k]))
    assert replica_diagnostics(w[::-1]).tail == pytest.approx(expected, rel=1e-12)
    assert math.isnan(replica_diagnostics(np.ones(5)).tail)  # too few values for a tail


def test_imprecise_but_consistent_run_is_inconclusive_and_asks_for_replicas():
    rep = tt.crosscheck(tt.ring(8), lr=0.05, d=24, reps=120, steps=40, seed=1, rel_tol=1e-5)
    assert rep.rate_in_ci and not rep.rate_within_tol and rep.diagnostics.passed
    assert rep.verdict == "inconclusive" and rep.settle == "more replicas"
    assert "too imprecise" in rep.reason


def test_random_walk_check_default_phase_of_a_periodic_scheme():
    s = tt.local_steps(6, 3)
    chk = tt.crosscheck_random_walk(s, gamma=0.6, steps=60, reps=100, seed=2)
    assert chk.phase == 0 and chk.theory == pytest.approx(tt.effective_neighbors(s, 0.6, phase=0), rel=1e-12)
    assert chk.theory != pytest.approx(tt.effective_neighbors(s, 0.6, phase=1), rel=1e-3)


def test_overflowing_simulation_agrees_with_a_diverging_theory():
    rep = tt.crosscheck(tt.solo(4), lr=1.0, d=48, reps=20, steps=400, seed=0)
    assert math.isnan(rep.theory_rate) and rep.diverged and math.isnan(rep.ci[1])
    assert rep.verdict == "agrees"
