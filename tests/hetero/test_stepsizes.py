import numpy as np
import pytest

import topotheory as tt
from topotheory.hetero.stepsizes import METHODS, stepsize_phase_data


def _plain_iterations(p, alpha, eps, x0, switch_at=None, common=None, max_iter=20000):
    """Independent route: run x <- mean_i (x - alpha_i grad f_i(x)) step by step."""
    x = np.array(x0, dtype=float)
    for t in range(max_iter + 1):
        if p.excess_loss(x) <= eps:
            return t
        a = common if (switch_at is not None and t >= switch_at) else alpha
        G = p.gradients(np.broadcast_to(x, (p.n, p.d)))
        x = x - (a[:, None] * G).mean(0)
    return np.inf


@pytest.mark.parametrize("structure", ["diagonal", "dense"])
def test_closed_form_iterations_equal_the_plain_iteration(structure):
    p = tt.random_quadratic(5, 4, hessian_spread=0.7, smoothness_spread=3.0, structure=structure, seed=2)
    x0 = p.x_star + 20.0
    L = p.local_smoothness
    steps = {"per_agent": 1 / L, "centralized_mean": np.full(5, 1 / L.mean()),
             "centralized_lmax": np.full(5, 1 / np.linalg.eigvalsh(p.mean_hessian)[-1])}
    for m in METHODS:
        got = tt.iterations_to_eps(p, rule=m, eps=1e-5, x0=x0, switch_at=None if m != "per_agent" else 7)
        common = np.full(5, 1 / L.mean())
        ref = _plain_iterations(p, steps[m], 1e-5, x0, switch_at=7 if m == "per_agent" else None, common=common)
        assert got.iterations == ref, m


def test_per_agent_fixed_point_and_contraction_factors():
    p = tt.random_quadratic(6, 3, hessian_spread=0.8, smoothness_spread=2.0, seed=1)
    xH = tt.per_agent_fixed_point(p)
    G = p.gradients(np.broadcast_to(xH, (6, 3)))
    np.testing.assert_allclose((G / p.local_smoothness[:, None]).sum(0), 0, atol=1e-12)
    assert np.linalg.norm(xH - p.x_star) > 1e-3  # biased
    rho = tt.contraction_factors(p)
    T = np.eye(3) - np.einsum("i,iab->ab", 1 / p.local_smoothness, p.hessians) / 6
    assert abs(rho["per_agent"] - np.abs(np.linalg.eigvals(T)).max()) < 1e-12
    Abar = p.mean_hessian
    assert abs(rho["centralized_mean"] - (1 - np.linalg.eigvalsh(Abar)[0] / p.local_smoothness.mean())) < 1e-12
    ev = np.linalg.eigvalsh(Abar)
    assert abs(rho["centralized_lmax"] - (1 - ev[0] / ev[-1])) < 1e-12
    # lambda_max(Abar) <= mean(L_i): the lmax baseline contracts at least as fast
    assert rho["centralized_lmax"] <= rho["centralized_mean"] + 1e-15


def test_best_switch_never_loses_to_the_mean_baseline_and_lmax_never_to_mean():
    for seed in range(4):
        p = tt.random_quadratic(5, 4, hessian_spread=0.6, smoothness_spread=4.0, seed=seed)
        r = tt.compare_stepsizes(p, eps=1e-5, x0=p.x_star + 5.0)
        assert r["per_agent"].iterations <= r["centralized_mean"].iterations  # switch at 0 is that baseline
        assert r["centralized_lmax"].iterations <= r["centralized_mean"].iterations
        fixed = [tt.iterations_to_eps(p, eps=1e-5, x0=p.x_star + 5.0, switch_at=s).iterations for s in (3, 10, 30)]
        assert r["per_agent"].iterations <= min(fixed)


def test_pinned_win_against_both_baselines():
    # a stiff agent and a flat one: per-agent steps 1 and 100 vs the common 1/0.505
    p = tt.HeterogeneousQuadratic([[1.0, 0.01], [0.01, 0.01]], np.zeros((2, 2)))
    r = tt.compare_stepsizes(p, eps=1e-6, x0=[10.0, 10.0], switch_at=None)
    assert r["per_agent"].iterations == 10
    assert r["centralized_mean"].iterations == 329 and r["centralized_lmax"].iterations == 329


def test_pinned_loss_near_the_optimum_and_against_lmax():
    # per-agent steps without a switch stall at x_H: they never reach a small eps when optima differ
    p = tt.random_quadratic(6, 4, optima_spread=1.0, hessian_spread=0.5, smoothness_spread=3.0, seed=0)
    r = tt.iterations_to_eps(p, eps=1e-8, x0=p.x_star + 0.1)
    assert np.isinf(r.iterations) and r.floor > 1e-8
    # against the true global smoothness the per-agent method (even with the best switch) loses here
    out = stepsize_phase_data([0.0, 6.0], [1.0, 1000.0], n=8, d=10, eps=1e-4, seed=0)
    assert np.all(out["ratio_mean"] <= 1.0)
    assert out["ratio_mean"][1, 1] < 0.9  # large spread, far start: a clear win against 1/mean(L_i)
    assert out["ratio_lmax"][1, 1] < 1.0  # ... and a narrow one against 1/lambda_max(Abar)
    assert out["ratio_lmax"][0, 1] > 1.1  # no extra spread of L_i: a clear loss against 1/lambda_max


def test_logistic_simulated_feature_norm_partition_wins():
    lp = tt.logistic_problem(8, 5, partition="feature_norm", seed=0)
    r = tt.compare_stepsizes(lp, eps=1e-6, x0=np.full(5, 3.0), max_steps=3000)
    assert r["per_agent"].iterations < 0.5 * min(r["centralized_mean"].iterations, r["centralized_lmax"].iterations)
    never = tt.iterations_to_eps(lp, eps=1e-6, x0=np.full(5, 3.0), max_steps=500)
    assert np.isinf(never.iterations)  # the per-agent fixed point is not x*
    iid = tt.logistic_problem(8, 5, partition="iid", seed=0)
    r = tt.compare_stepsizes(iid, eps=1e-6, x0=np.full(5, 3.0), max_steps=3000)
    assert r["per_agent"].iterations > r["centralized_lmax"].iterations  # little spread: lmax wins


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda p: tt.iterations_to_eps(tt.HeterogeneousQuadratic([[1.0], [0.0]], [[0.0], [1.0]])), ValueError,
         "positive local smoothness"),
        (lambda p: tt.iterations_to_eps(p, eps=0.0), ValueError, "eps"),
        (lambda p: tt.iterations_to_eps(p, x0=np.zeros(4)), ValueError, "x0 must have shape"),
        (lambda p: tt.iterations_to_eps(p, rule="newton"), ValueError, "rule"),
        (lambda p: tt.iterations_to_eps(p, switch_at=-1), ValueError, "switch_at"),
        (lambda p: tt.iterations_to_eps(p, switch_step=0.0), ValueError, "switch_step"),
        (lambda p: tt.iterations_to_eps("p"), TypeError, "HeterogeneousQuadratic"),
        (lambda p: tt.per_agent_fixed_point(tt.logistic_problem(2, 2, seed=0)), TypeError, "HeterogeneousQuadratic"),
    ],
)
def test_bad_input(call, err, match):
    p = tt.random_quadratic(3, 2, seed=0)
    with pytest.raises(err, match=match):
        call(p)


def test_stepsize_phase_diagram_figure_data():
    from topotheory.figures.stepsize_phase_diagram import stepsize_phase_diagram

    res = stepsize_phase_diagram(smoothness_spreads=[0.0, 6.0], distances=[1.0, 1000.0], partitions=["feature_norm"],
                                 logistic_eps=1e-4)
    t = res.data["table"]
    assert len(t["distance"]) == 4 and len({len(v) for v in t.values()}) == 1
    ref = stepsize_phase_data([0.0, 6.0], [1.0, 1000.0], n=8, d=10, eps=1e-4, seed=0)
    np.testing.assert_array_equal(np.reshape(t["iterations_per_agent"], (2, 2)), ref["iterations"]["per_agent"])
    logi = res.data["logistic"]
    assert logi["iterations_per_agent"][0] < logi["iterations_centralized_mean"][0]
    assert "lose" in res.caption and res.name == "stepsize_phase_diagram"


def test_switch_after_max_iter_is_rejected():
    from topotheory import HeterogeneousQuadratic, iterations_to_eps

    p = HeterogeneousQuadratic([[1.0, 0.01], [0.01, 0.01]], [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="switch_at must be <= 100"):
        iterations_to_eps(p, eps=1e-12, x0=[10.0, 10.0], switch_at=200, max_steps=100)


def test_old_keyword_names_still_work_with_a_deprecation_warning():
    # the one vocabulary: rule= (a step-size rule), max_steps= (a cap on steps); the old names stay
    p = tt.HeterogeneousQuadratic([[1.0, 0.01], [0.01, 0.01]], [[0.0, 0.0], [0.0, 0.0]])
    new = tt.iterations_to_eps(p, rule="centralized_mean", eps=1e-6, x0=[10.0, 10.0], max_steps=1000)
    with pytest.warns(DeprecationWarning, match="method= is renamed rule="):
        old = tt.iterations_to_eps(p, method="centralized_mean", eps=1e-6, x0=[10.0, 10.0], max_steps=1000)
    with pytest.warns(DeprecationWarning, match="max_iter= is renamed max_steps="):
        capped = tt.iterations_to_eps(p, rule="centralized_mean", eps=1e-6, x0=[10.0, 10.0], max_iter=1000)
    assert old == new == capped and new.method == new.rule == "centralized_mean"
    assert new.iterations == 329.0
    with pytest.raises(TypeError, match="not both"):
        tt.iterations_to_eps(p, rule="per_agent", method="per_agent")
