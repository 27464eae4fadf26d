"""The boundary contract, fuzzed: a seeded, bounded sample of bad arguments for the functions whose
boundary is fixed (``fuzz.harness.FIXED``), and the harness's own verdicts on planted faults.

The long run over every public function and CLI option is ``benchmarks/fuzz_long.py``.
"""

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import topotheory as tt
from fuzz import harness as h

GOOD = ("clear", "valid")

_PARAMS = [(f, p) for f in h.FIXED for p in h._signature(f).parameters if h.kind_of(f, p) is not None]


@st.composite
def _bad_calls(draw):
    func, param = draw(st.sampled_from(_PARAMS))
    default = h._signature(func).parameters[param].default
    # None is legal where it is the documented default
    bad = draw(h.strategy(h.kind_of(func, param)).filter(lambda b: not (b.label == "None" and default is None)))
    return h.Case(func, param, bad, h._module_of(func))


@settings(max_examples=250, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_bad_calls())
def test_fixed_functions_refuse_bad_input_clearly(case):
    outcome, detail = h.run_case(case, seconds=3.0)
    assert outcome in GOOD, f"{case.func}({case.param}={case.bad.label}): {outcome}: {detail}"


def test_every_listed_bad_value_of_the_fixed_functions():
    # the whole catalogue for these functions (a few hundred fast calls; each case has its own
    # 3 s hang guard in run_case, so no wall-clock bound on the whole loop)
    rows = [(c, *h.run_case(c, seconds=3.0)) for c in h.api_cases(list(h.FIXED)) if c.key not in h.SLOW_LEGAL]
    bad = [f"{c.key}: {o}: {d}" for c, o, d in rows if o not in GOOD]
    assert not bad, "\n".join(bad)
    assert len(rows) > 300


def test_size_refusals_are_immediate():
    # the cases of the issue: refused at once with the reason, not a hang or a 60 GiB allocation
    for call, name in [(lambda: tt.binary_tree(2**63), "n"), (lambda: tt.local_steps(8, 2**63), "period"),
                       (lambda: tt.ring(10**300), "n"), (lambda: tt.fully_connected(10**6), "n")]:
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match=rf"^{name} = \d+ would need about .* bytes"):
            call()
        assert time.perf_counter() - t0 < 0.5


def test_every_public_callable_has_a_baseline():
    # a new public function must get a valid baseline call (or be declared a result type)
    missing = [n for n in h.public_callables() if n not in h.BASELINE and n not in h.EXCLUDED]
    assert not missing
    assert set(h.EXCLUDED) <= set(tt.__all__) and not set(h.EXCLUDED) & set(h.BASELINE)
    assert set(h.RESULT_TYPES) <= set(tt.__all__)


# ---------------------------------------------------------------------- the verdicts themselves
def _planted(monkeypatch, body):
    monkeypatch.setitem(h.BASELINE, "ring", lambda: dict(n=8))
    monkeypatch.setattr(tt, "ring", body)
    return h.Case("ring", "n", h.Bad("-1", -1), "planted")


@pytest.mark.parametrize("body, outcome", [
    (lambda n, *, weights="metropolis": 1.0, "accepted"),  # silently accepts n = -1
    (lambda n, *, weights="metropolis": (_ for _ in ()).throw(KeyError("x")), "other"),
    (lambda n, *, weights="metropolis": (_ for _ in ()).throw(ValueError("bad size")), "vague"),
    (lambda n, *, weights="metropolis": (_ for _ in ()).throw(ValueError("n must be >= 1")), "clear"),
    (lambda n, *, weights="metropolis": time.sleep(5), "hang"),
])
def test_planted_faults_are_classified(monkeypatch, body, outcome):
    case = _planted(monkeypatch, body)
    assert h.run_case(case, seconds=0.3)[0] == outcome


def test_nan_plus_flag_counts_as_valid(monkeypatch):
    result = tt.RateEstimate(rate=np.nan, ci=(np.nan, np.nan), stderr=np.nan, slope=np.nan, window=(0, 1),
                             confidence=0.95, n_boot=1, reps=1, period=1, diverged=True)
    case = _planted(monkeypatch, lambda n, *, weights="metropolis": result)
    assert h.run_case(case)[0] == "valid"


def test_cli_verdicts():
    case = h.Case("rate", "--zeta", h.Bad("nan", "nan"), "cli/rate")
    assert h.classify_cli(case, 2, "topotheory: error: --zeta must be finite\n") == "clean"
    assert h.classify_cli(case, 2, "usage: topotheory rate ...\n  [--n N]\ntopotheory rate: error: x\n") == "multiline"
    assert h.classify_cli(case, 1, "Traceback (most recent call last):\n ...\n") == "traceback"
    assert h.classify_cli(case, 0, "") == "accepted"
    assert h.classify_cli(case, None, "", h.Hang()) == "hang"
    # and a real in-process run: --zeta nan is refused in one line with exit 2
    assert h.run_cli_case(case)[0] == "clean"


def test_cli_subprocess_one_line_error():
    code, out, err = h.run_cli_subprocess(["rate", "--topology", "ring", "--n", "8", "--zeta", "nan"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("topotheory: error: ")


# ------------------------------------------------------------- the cases, one test each
def test_complex_matrices_are_refused_not_cast():
    with pytest.raises(TypeError, match="complex"):
        tt.Scheme(np.full((2, 2), 0.5 + 0j))
    assert not tt.is_doubly_stochastic(np.full((2, 2), 0.5 + 0j))  # was True (cast to real)
    with pytest.raises(TypeError, match="W must be an array of real numbers"):
        tt.lazy_weights(np.full((2, 2), 0.5 + 0j))
    with pytest.raises(TypeError, match="adjacency"):
        tt.metropolis_weights(np.ones((2, 2)) * 1j)


@pytest.mark.parametrize("atol", [np.nan, np.inf, -1.0, "0.1", True, None])
def test_atol_is_checked(atol):
    for call in (lambda: tt.is_doubly_stochastic(np.eye(2), atol=atol), lambda: tt.is_symmetric(np.eye(2), atol=atol),
                 lambda: tt.finite_time_consensus(tt.ring(4), atol=atol), lambda: tt.Scheme(np.eye(2), atol=atol),
                 lambda: tt.max_degree_per_step(tt.ring(4), atol=atol)):
        with pytest.raises((TypeError, ValueError), match="atol"):
            call()


def test_weight_rules_refuse_nan_and_non_gossip_matrices():
    with pytest.raises(ValueError, match="adjacency must be finite"):
        tt.metropolis_weights(np.array([[0, np.nan], [np.nan, 0]]))
    with pytest.raises(ValueError, match="W must be doubly stochastic: column 0"):
        tt.lazy_weights(np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="weights must be one of"):
        tt.as_scheme(np.eye(2), weights="nonsense")


@pytest.mark.parametrize("flag", ["no", "False", 1, 0, None, 2.0])
def test_strings_and_numbers_are_not_booleans(flag):
    for call, name in [(lambda: tt.consensus_rate(tt.ring(4), per_step=flag), "per_step"),
                       (lambda: tt.spectral_gap(tt.ring(4), per_step=flag), "per_step"),
                       (lambda: tt.theorem6_learning_rate(tt.ring(8).lazy(), 0.9, zeta=10, terms=flag), "terms"),
                       (lambda: tt.Scheme(np.eye(2), allow_negative=flag), "allow_negative")]:
        with pytest.raises(TypeError, match=rf"{name} must be True or False"):
            call()


def test_beta_kind_errors_name_beta_kind():
    with pytest.raises(ValueError, match="^beta_kind must be one of"):
        tt.theorem6_learning_rate(tt.ring(8).lazy(), 0.9, zeta=10, beta_kind="nonsense")
    with pytest.raises(ValueError, match="^beta_kind must be one of"):
        tt.corollary7(tt.ring(8).lazy(), 0.9, zeta=10, beta_kind=None)


def test_max_degree_per_step_none_is_a_type_error():
    with pytest.raises(TypeError, match="scheme must be a topotheory Scheme"):
        tt.max_degree_per_step(None)


def test_consensus_rate_of_a_huge_ring_without_a_dense_matrix():
    # Fourier modes: no 1e5 x 1e5 identity (80 GB); the exact value is the second eigenvalue
    # of the Metropolis ring, 1/3 + 2/3 cos(2 pi / n)
    n = 10**5
    t0 = time.perf_counter()
    assert tt.consensus_rate(tt.ring(n)) == pytest.approx(1 / 3 + 2 / 3 * np.cos(2 * np.pi / n), abs=1e-14)
    assert not tt.finite_time_consensus(tt.ring(n))
    assert time.perf_counter() - t0 < 5
    with pytest.raises(ValueError, match=r"^n = 100000 would need about .* one-period product"):
        tt.consensus_rate(tt.star(n))  # not circulant: refused at once


@pytest.mark.parametrize("scheme", [tt.ring(8), tt.torus(3, 4), tt.uni_ring(5), tt.local_steps(6, 3),
                                    tt.one_peer_exponential(8)])
def test_circulant_consensus_matches_dense_product(scheme):
    import scipy.linalg as sla

    P = scheme.period_product(0) - 1.0 / scheme.n  # the dense route, independent of the Fourier one
    assert tt.consensus_rate(scheme) == pytest.approx(sla.norm(P, 2), abs=1e-12)
    assert tt.finite_time_consensus(scheme) == bool(np.max(np.abs(P)) <= 1e-10)


@pytest.mark.parametrize("argv, match", [
    (["compare", "--topologies", "ring", "--batch-size", "-1"], "--batch-size must be a positive integer"),
    (["rate", "--topology", "ring", "--zeta", "10", "--lr", "1,,2"], "--lr must be a comma-separated list"),
    (["rate", "--topology", "ring", "--zeta", str(2**63), "--lr", "0.1"], "--zeta must be >= 1 and <="),
    (["crosscheck", "--reps", str(2**63)], "--reps must be a positive integer <="),
    (["compare", "--topologies", "ring", "--weights", "abc"], "--weights must be one of"),
    (["compare", "--topologies", "ring", "--delimiter", "ab"], "--delimiter must be one character"),
    (["compare", "--topologies", "ring", "--metrics", ""], "--metrics must name at least one metric"),
])
def test_cli_refusals_are_one_line(capsys, argv, match):
    from topotheory.cli import main

    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err and err.startswith("topotheory: error:") and len(err.strip().splitlines()) == 1


def test_cli_schedules_divergence_is_flagged(capsys):
    from topotheory.cli import main

    code = main(["schedules", "--lr", "50", "--n", "4", "--d", "2", "--steps", "200", "--budget", "5",
                 "--format", "json"])
    out, err = capsys.readouterr()
    import json

    data = json.loads(out)["placements"]
    assert code == 0 and all(v["diverged"] for v in data.values())
    assert "RuntimeWarning" not in err and err.count("\n") == 1 and "diverged at --lr 50" in err
    # a stable learning rate is not flagged
    main(["schedules", "--lr", "0.1", "--n", "4", "--d", "2", "--steps", "50", "--budget", "5", "--format", "json"])
    assert not any(v["diverged"] for v in json.loads(capsys.readouterr().out)["placements"].values())


# --------------------------------------------------------------- phase 3: the remaining modules
@pytest.mark.parametrize("spec, match", [
    ("ring:8,16", r"^spec 'ring:8,16' gives the size twice \(8 and 16\)"),
    ("ring:0.5", r"^spec 'ring:0.5': n must be an integer, got 0.5"),
    ("nonsense:1", r"^spec 'nonsense:1': unknown topology"),
    ("ring:1e9", r"^spec 'ring:1e9': n = 1000000000 would need about"),
])
def test_spec_errors_name_spec(spec, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tt.topology_from_spec(spec)


@pytest.mark.parametrize("kw, exc, name", [
    (dict(weights=3), ValueError, "weights"), (dict(strict="no"), TypeError, "strict"),
    (dict(delimiter="ab"), ValueError, "delimiter"), (dict(format="csv2"), ValueError, "format"),
    (dict(default_n=1.5), TypeError, "default_n"), (dict(default_n=0), ValueError, "default_n"),
])
def test_topology_from_spec_checks_its_options(kw, exc, name):
    with pytest.raises(exc, match=rf"^{name} must"):
        tt.topology_from_spec("ring", **kw)
    assert tt.topology_from_spec("ring", default_n=5).n == 5  # and the legal value still works


def test_missing_graph_file_names_path():
    with pytest.raises(ValueError, match=r"^path: no such file: 'no/such/graph.edges'"):
        tt.load_graph("no/such/graph.edges")


@pytest.mark.parametrize("call, name", [(lambda: tt.k_peer_exponential(8, 2**63), "k"),
                                        (lambda: tt.equistatic(8, 2**63, seed=0), "degree")])
def test_published_sizes_refused_with_the_estimate(call, name):
    with pytest.raises(ValueError, match=rf"^{name} = \d+ would need about .* bytes"):
        call()


def test_corollary8_at_extreme_noise_is_the_exact_power_law():
    # lr = (c (d-2) / (zeta^2 L))^(1/3) / 8 and n_W = (c (d-2) zeta / L)^(1/3): exact powers of 10
    for z, lr, nw in [(1e300, 1.25e-201, 1e100), (1e-300, 1.25e199, 1e-100)]:
        c = tt.corollary8(d_s=3.0, c_s=1.0, zeta=z)
        assert c.lr == pytest.approx(lr, rel=1e-12) and c.effective_neighbors == pytest.approx(nw, rel=1e-12)
    # ordinary values keep the formula as written, bit for bit
    c = tt.corollary8(d_s=3.5, c_s=2.0, zeta=100.0, L=1.0)
    assert c.lr == (2.0 * 1.5 / (100.0**2 * 1.0)) ** (1.0 / 3.0) / 8.0


def test_rate_bounds_at_extreme_values_never_raise():
    base = dict(T=100, sigma2=1.0, mu=0.1, L=1.0, zeta=10.0, n=8)
    # sigma2 / (mu^2 T n_W): at mu = 1e-300 the noise term is beyond the float range (inf); at 1e300 it is 0
    for f, extra in [(tt.corollary10_rate, dict(d_s=1.0, c_s=1.0)), (tt.koloskova_rate, dict(spectral_gap=0.2))]:
        assert f(**dict(base, mu=1e-300), **extra).noise == np.inf
        assert f(**dict(base, mu=1e300), **extra).noise == 0.0
        big = f(**dict(base, T=1e300), **extra)  # T = 1e300 steps: sigma2/(mu^2 T n) = 1e-300 * 100 / 8 (n capped)
        assert big.noise == pytest.approx(1.0 / (0.01 * 1e300 * 8), rel=1e-12) and big.transient == 0.0
        with pytest.raises(TypeError, match="^T must be an integer"):
            f(**dict(base, T=1.5), **extra)
        with pytest.raises(TypeError, match="^n must be an integer >= 1 or inf"):
            f(**dict(base, n=1.5), **extra)
    with pytest.raises(ValueError, match=r"^p must lie in \(0, 1\]"):
        tt.corollary10_rate(**base, d_s=1.0, c_s=1.0, p=1.5)
    with pytest.raises(ValueError, match=r"^spectral_gap must lie in \[0, 1\]"):
        tt.koloskova_rate(**base, spectral_gap=1.5)


def test_phase_wraps_modulo_the_period():
    s = tt.k_peer_exponential(9, 2)  # period 2
    for f in (lambda ph: tt.effective_neighbors(s, 0.9, phase=ph), lambda ph: tt.s1_functional(s, lr=0.1, phase=ph)):
        assert f(-1) == f(1) == f(2**63 + 1) and f(0) == f(2 * 10**300)
    with pytest.raises(TypeError, match="^phase must be an integer"):
        tt.effective_neighbors(s, 0.9, phase=1.5)


def test_consensus_distances_refuse_negative_learning_rates():
    with pytest.raises(ValueError, match="^lr must lie in"):
        tt.consensus_distance_noise(tt.ring(4), -1.0)
    with pytest.raises(ValueError, match="^lr must lie in"):
        tt.consensus_distance_heterogeneous(tt.ring(4), -1.0, np.arange(4.0))
    assert np.isnan(tt.consensus_distance_noise(tt.ring(4), 2.5))  # beyond 2/L: divergence is NaN


@pytest.mark.parametrize("call, names", [
    (lambda: tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=10, reps=2**63), "reps"),
    (lambda: tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2**63, steps=10, reps=8), "d"),
    (lambda: tt.simulate_random_walk(tt.ring(4), gamma=0.5, steps=2**63, reps=8), "steps"),
    (lambda: tt.crosscheck(tt.ring(4), lr=0.1, d=2, reps=2**63, steps=20), "reps"),
    (lambda: tt.crosscheck(tt.ring(4), lr=0.1, d=2, reps=20, steps=20, adaptive=True, budget=2**63), "budget"),
    (lambda: tt.random_quadratic(2000, 2000), "n"),
    (lambda: tt.logistic_problem(2**63, 2), "n"),
    (lambda: tt.simulate_centralized(tt.random_quadratic(4, 2, seed=0), lr=0.1, steps=2**63, reps=4), "steps"),
])
def test_simulation_sizes_refused_at_once(call, names):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=rf"(^|, ){names} = .* would need about"):
        call()
    assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize("call, name", [
    (lambda: tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=10, reps=8, threads=2**63), "threads"),
    (lambda: tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=10, reps=8, keep_replicas="no"), "keep_replicas"),
    (lambda: tt.crosscheck(tt.ring(4), lr=0.1, d=2, reps=20, steps=20, adaptive="False"), "adaptive"),
    (lambda: tt.crosscheck(tt.ring(4), lr=0.1, d=2, reps=20, steps=20, budget=100), "budget"),
    (lambda: tt.crosscheck_grid(None, [0.1], d=2, reps=20, steps=20), "schemes"),
    (lambda: tt.crosscheck_grid([tt.ring(4)], "0.1", d=2, reps=20, steps=20), "lrs"),
    (lambda: tt.crosscheck_grid([tt.ring(4)], [0.1], d=2, reps=20, steps=20, executor="x"), "executor"),
    (lambda: tt.heterogeneity(None, tt.ring(4)), "problem"),
    (lambda: tt.random_pull_schedule(4, [1.0], symmetrize="no"), "symmetrize"),
    (lambda: tt.GossipSchedule([np.full((2, 2), 0.5)], [0, -1, 0], rounds=[1.5, 0, 1]), "rounds"),
    (lambda: tt.LogisticProblem(np.ones((2, 3, 2)), np.ones((2, 3)), l2=1e-300), "l2"),
    (lambda: tt.random_quadratic(4, 2, smoothness_spread=1e300), "smoothness_spread"),
])
def test_remaining_bad_inputs_named(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} "):
        call()


def test_legal_large_caps_and_pairs():
    assert tt.random_quadratic(4, 2, eigenvalue_range=[0.5, 1.0], seed=0).eigenvalues.min() >= 0.5
    # a period beyond the horizon never communicates (offset 0), exactly as period = steps + 1
    assert tt.gossip_every(tt.ring(4), 10, 2**63).gossip_steps == tt.gossip_every(tt.ring(4), 10, 11).gossip_steps == 0
    assert tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=5, reps=8, seed=0, chunk_size=2**63).chunk_size == 8


def test_propagate_flags_divergence_element_by_element():
    p = tt.random_quadratic(4, 2, seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        c = tt.propagate(p, tt.ring(4), lr=50.0, steps=200, record_every=7)
    k = c.diverged_step
    assert 0 < k <= 200 and c.diverged.dtype == bool
    assert np.array_equal(c.diverged, c.steps >= k)
    ok = ~c.diverged
    assert np.all(np.isfinite(c.merged_loss[ok])) and np.all(np.isnan(c.merged_loss[c.diverged]))
    assert np.all(np.abs(c.merged_loss[ok]) <= 1e300) and np.isnan(c.mean).all()
    # below the overflow the curve is the exact one: the same call with fewer steps agrees
    short = tt.propagate(p, tt.ring(4), lr=50.0, steps=int(c.steps[ok][-1]), record_every=7)
    assert np.array_equal(short.merged_loss, c.merged_loss[ok]) and not short.diverged.any()
    stable = tt.propagate(p, tt.ring(4), lr=0.1, steps=50)
    assert stable.diverged_step == -1 and not stable.diverged.any()


def test_cli_schedules_refuses_sizes_at_once(capsys):
    from topotheory.cli import main

    t0 = time.perf_counter()
    code = main(["schedules", "--n", "2000", "--d", "2000"])
    err = capsys.readouterr().err
    assert code == 2 and "would need about" in err and len(err.strip().splitlines()) == 1
    assert time.perf_counter() - t0 < 2


def test_planted_phase_decision_is_enforced(monkeypatch):
    # the fuzzer's classification follows the decision (phase wraps): a wrapped phase is valid,
    # a non-integer phase must be refused -- a planted function that accepts 1.5 is caught
    wrapped = h.Case("effective_neighbors", "phase", next(b for b in h.BAD["phase"] if b.label == "-1"), "planted")
    half = h.Case("effective_neighbors", "phase", next(b for b in h.BAD["phase"] if b.label == "1.5"), "planted")
    assert h.run_case(wrapped)[0] == "valid" and h.run_case(half)[0] == "clear"
    monkeypatch.setattr(tt, "effective_neighbors", lambda *a, phase=0, **k: 1.0)
    assert h.run_case(half)[0] == "accepted"


def test_last_findings_of_the_long_run_are_refused():
    # quadratic_rate's log flag, matching_schedule's loop bounds and log flag, a non-graph scheme
    with pytest.raises(TypeError, match="log"):
        tt.quadratic_rate(tt.ring(4), lr=0.1, zeta=10, log="no")
    with pytest.raises(ValueError, match="period"):
        tt.matching_schedule(tt.ring(4), gamma=0.9, period=2**63)
    with pytest.raises(ValueError, match="sweeps"):
        tt.matching_schedule(tt.ring(4), gamma=0.9, sweeps=2**63)
    with pytest.raises(TypeError, match="log"):
        tt.matching_schedule(tt.ring(4), gamma=0.9, log="yes")
    with pytest.raises(TypeError, match="scheme"):
        tt.mean_effective_neighbors(None, 0.9)
