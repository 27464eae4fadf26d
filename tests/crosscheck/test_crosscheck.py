"""Theory vs Monte Carlo: the issue's acceptance tests, plus reports, sweeps and seeds.

Tolerances. With d = 48 and 32 workers (16 for local steps), 200 replicas give a 95 % bootstrap
interval of about ±0.3-1 % on the rate; the fit window is the second half of the run, and ``steps``
is chosen per case so that the *exact* curve's own slope over that window is within 0.1 % of the
asymptotic rate (slowly mixing operators, e.g. the star near its optimal learning rate, need
longer runs: there the transient, not the simulation, would be measured). Agreement = exact rate
inside the interval, within 3 %, and the whole exact curve inside 99.9 %-simultaneous bands.
"""

import json
import math
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import topotheory as tt
from topotheory.crosscheck import CrosscheckReport, crosscheck, crosscheck_grid
from topotheory.toy.quadratic import quadratic_rate

D, REPS = 48, 200

# (scheme factory, learning rates below the stability edge, steps)
CASES = {
    "ring": (lambda: tt.ring(32), (0.09, 0.124), 150),
    "star": (lambda: tt.star(32), (0.015, 0.046), 200),
    "binary_tree": (lambda: tt.binary_tree(32), (0.068, 0.087), 200),
    "social_network": (lambda: tt.social_network(), (0.026, 0.076), 150),
    "one_peer_exponential": (lambda: tt.one_peer_exponential(32), (0.04, 0.121), 150),
    "local_steps(16, 4)": (lambda: tt.local_steps(16, 4), (0.038, 0.076, 0.115), 152),
    "fully_connected": (lambda: tt.fully_connected(32), (0.2, 0.395, 0.59), 100),
    "solo": (lambda: tt.solo(32), (0.01, 0.03), 150),
}
PARAMS = [(name, lr) for name, (_, lrs, _) in CASES.items() for lr in lrs]


@pytest.mark.parametrize("name, lr", PARAMS, ids=[f"{n}-{lr}" for n, lr in PARAMS])
def test_simulation_agrees_with_exact_theory(name, lr):
    make, _, steps = CASES[name]
    rep = crosscheck(make(), lr=lr, d=D, reps=REPS, steps=steps, seed=2024)
    assert rep.ci[0] <= rep.theory_rate <= rep.ci[1], rep
    assert rep.rel_error <= 0.03, rep
    assert rep.curve_inside and rep.max_z <= rep.band_z, (rep.max_z, rep.band_z)
    assert rep.agrees
    assert (rep.reps, rep.steps, rep.seed) == (REPS, steps, 2024)
    assert not rep.diverged
    # the run is long enough: the exact curve's own window slope is the asymptotic rate
    assert rep.theory_window_rate == pytest.approx(rep.theory_rate, rel=1e-3)


def test_fixed_point_worst_misses_binary_tree_while_exact_agrees():
    # Regression test of why method="exact" is the default: on the (irregular) binary tree at
    # lr = 0.1 the paper's fixed point (eq. 7) with the worst worker's n_W is far too pessimistic.
    tree = tt.binary_tree(32)
    exact = crosscheck(tree, lr=0.1, d=D, reps=REPS, steps=200, seed=7)
    assert exact.agrees and exact.ci[0] <= exact.theory_rate <= exact.ci[1]
    fixed = quadratic_rate(tree, lr=0.1, zeta=D + 2, method="fixed_point", mode="worst")
    lo, hi = exact.ci
    assert fixed < lo - 10 * (hi - lo)  # clearly outside: about half the simulated rate
    assert abs(fixed - exact.mc_rate) > 0.3 * exact.mc_rate


def test_method_is_passed_to_the_theory():
    kw = dict(lr=0.1, d=10, reps=60, steps=40, seed=7)
    exact = crosscheck(tt.star(8), **kw)
    fixed = crosscheck(tt.star(8), method="fixed_point", mode="worst", **kw)
    assert fixed.method == "fixed_point/worst" and exact.method == "exact"
    assert fixed.theory_rate == quadratic_rate(tt.star(8), lr=0.1, zeta=12.0, method="fixed_point", mode="worst")
    assert fixed.theory_rate < exact.theory_rate  # "worst" is a lower bound of the rate
    assert fixed.mc_rate == exact.mc_rate and fixed.ci == exact.ci  # same seed, same simulation
    assert np.array_equal(fixed.exact_loss, exact.exact_loss)


def test_divergent_theory_and_simulation_agree():
    # alone, lr above 2/zeta = 0.04 diverges
    rep = crosscheck(tt.solo(4), lr=0.06, d=D, reps=50, steps=60, seed=0)
    assert math.isnan(rep.theory_rate) and rep.ci[1] < 0 and rep.agrees
    text = str(rep)
    assert "nan" in text and "agrees      yes" in text


def test_custom_start_and_batch():
    X0 = np.random.default_rng(1).standard_normal((8, 6))
    rep = crosscheck(tt.ring(8), lr=0.1, d=6, reps=300, steps=40, seed=3, x0=X0, batch_size=2)
    assert rep.exact_loss[0] == pytest.approx(rep.mc_loss[0]) == pytest.approx(np.mean(np.sum(X0**2, 1)) / 2)
    assert rep.zeta == pytest.approx((1 + 2 + 6) / 2)
    assert rep.curve_inside and rep.agrees


def test_report_rendering_and_json():
    rep = crosscheck(tt.ring(8), lr=0.1, d=10, reps=50, steps=40, seed=5)
    text = str(rep)
    for needle in ("ring (n=8", "50 replicas x 40 steps, seed 5", "theory (exact)", "Monte Carlo", "Bonferroni"):
        assert needle in text
    assert repr(rep).startswith("CrosscheckReport(scheme='ring', lr=0.1, d=10, reps=50, steps=40")
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert d["seed"] == 5 and d["reps"] == 50 and d["steps"] == 40
    assert len(d["curves"]["exact"]) == 41 and d["curves"]["exact"][0] == 0.5
    assert d["ci_low"] <= d["mc_rate"] <= d["ci_high"]
    np.testing.assert_array_less(rep.band_low[1:], rep.band_high[1:])


def test_unseeded_run_records_a_reproducible_seed():
    a = crosscheck(tt.ring(4), lr=0.1, d=3, reps=10, steps=20)
    assert isinstance(a.seed, dict) and a.seed["spawn_key"] == []
    b = crosscheck(tt.ring(4), lr=0.1, d=3, reps=10, steps=20, seed=a.seed["entropy"])
    np.testing.assert_array_equal(a.mc_loss, b.mc_loss)
    assert a.ci == b.ci


def _grid_fingerprint(grid):
    return [(r.mc_loss.tobytes(), r.simulation.replica_loss.tobytes(), r.ci, r.mc_rate) for r in grid]


def test_grid_is_bit_identical_serial_or_through_executors():
    schemes, lrs = [tt.ring(8), tt.one_peer_exponential(8)], [0.05, 0.1]
    kw = dict(d=10, reps=40, steps=30, seed=123, n_boot=200)
    serial = crosscheck_grid(schemes, lrs, **kw)
    with ProcessPoolExecutor(max_workers=2) as ex:
        procs = crosscheck_grid(schemes, lrs, executor=ex, **kw)
    with ThreadPoolExecutor(max_workers=2) as ex:
        threads = crosscheck_grid(schemes, lrs, executor=ex, **kw)
    assert _grid_fingerprint(serial) == _grid_fingerprint(procs) == _grid_fingerprint(threads)
    assert [(r.scheme, r.lr) for r in serial] == [(s.name, lr) for s in schemes for lr in lrs]
    # tasks get distinct streams
    assert serial[0].mc_loss.tobytes() != crosscheck_grid(schemes[0], lrs[1], **kw)[0].mc_loss.tobytes()
    assert serial.seed == 123 and len(serial) == 4
    assert repr(serial).startswith("CrosscheckGrid(4 cross-checks, ")
    assert "one_peer_exponential" in str(serial)
    assert json.loads(json.dumps(serial.to_dict(), allow_nan=False))["reports"][3]["lr"] == 0.1


def test_progress_bar_only_on_request_or_terminal(capsys):
    crosscheck_grid(tt.ring(4), [0.1], d=3, reps=5, steps=5, seed=0)
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    crosscheck_grid(tt.ring(4), [0.1, 0.2], d=3, reps=5, steps=5, seed=0, progress=True)
    assert "crosscheck" in capsys.readouterr().err


def test_exact_rate_used_is_the_theory_module():
    rep = crosscheck(tt.ring(8), lr=0.1, d=10, reps=20, steps=20, seed=0)
    assert rep.theory_rate == quadratic_rate(tt.ring(8), lr=0.1, zeta=12.0)
    assert isinstance(rep, CrosscheckReport) and rep.simulation.reps == 20


@pytest.mark.parametrize(
    "kw, exc, match",
    [
        # the simulator's own checks (tests/simulate/test_montecarlo.py) apply; one of them passes through here
        (dict(reps=0), ValueError, "reps"),
        (dict(band=1.0), ValueError, "band"),
        (dict(confidence=0.0), ValueError, "confidence"),
        (dict(rel_tol=-0.1), ValueError, "rel_tol"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(seed="zero"), TypeError, "seed"),
    ],
)
def test_crosscheck_bad_input(kw, exc, match):
    args = dict(lr=0.1, d=3, reps=5, steps=10, seed=0)
    args.update(kw)
    with pytest.raises(exc, match=match):
        crosscheck(tt.ring(4), **args)


def test_crosscheck_grid_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        crosscheck_grid([], [0.1], d=3, reps=5, steps=5, seed=0)
    with pytest.raises(TypeError, match=r"schemes\[1\]"):
        crosscheck_grid([tt.ring(4), "ring"], [0.1], d=3, reps=5, steps=5, seed=0)


def test_report_text_when_the_theory_diverges():
    """Beyond the stability edge both sides must diverge; the report says so instead of 'FAILS'."""
    import topotheory as tt

    s = tt.ring(16)
    lr = 1.2 * tt.max_learning_rate(s, zeta=tt.zeta(30))
    rep = tt.crosscheck(s, lr=lr, d=30, reps=40, steps=80, seed=1)
    assert math.isnan(rep.theory_rate) and rep.ci[1] < 0 and rep.agrees
    text = str(rep)
    assert "diverges" in text and "loss must grow (CI below 0 or overflow): ok" in text
    assert "inside CI" not in text
