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
    # the whole catalogue for these functions (a few hundred fast calls)
    t0 = time.perf_counter()
    rows = [(c, *h.run_case(c, seconds=3.0)) for c in h.api_cases(list(h.FIXED)) if c.key not in h.SLOW_LEGAL]
    bad = [f"{c.key}: {o}: {d}" for c, o, d in rows if o not in GOOD]
    assert not bad, "\n".join(bad)
    assert len(rows) > 300 and time.perf_counter() - t0 < 30


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
