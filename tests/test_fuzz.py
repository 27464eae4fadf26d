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
    bad = draw(h.strategy(h.kind_of(func, param)))
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
    rows = [(c, *h.run_case(c, seconds=3.0)) for c in h.api_cases(list(h.FIXED))]
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
