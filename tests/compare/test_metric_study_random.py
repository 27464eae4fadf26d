"""Random schemes in the metric study: defined metrics evaluated, undefined ones skipped with their reason."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.figures.metric_study import compute, random_study_topologies

from oracles import kendall_tau_b

N, ZETAS = 6, (10.0,)


@pytest.fixture(scope="module")
def both():
    return compute(ns=(N,), zetas=ZETAS, random=True), compute(ns=(N,), zetas=ZETAS, random=False)


def test_deterministic_outputs_unchanged(both):
    with_random, without = both
    assert with_random.data["table"] == without.data["table"]
    assert with_random.data["values"] == without.data["values"]
    assert with_random.caption == without.caption
    assert "random" not in without.data


def test_random_values_are_the_theory(both):
    R = both[0].data["random"]
    values = R["values"]
    assert len({len(v) for v in values.values()}) == 1
    schemes = random_study_topologies(N)
    assert values["topology"] == list(schemes)
    for i, name in enumerate(values["topology"]):
        S = schemes[name]
        assert values["n_W(γ=0.99)"][i] == pytest.approx(tt.effective_neighbors(S, 0.99), rel=1e-12)
        assert values["optimal rate (ζ=10)"][i] == pytest.approx(tt.optimal_learning_rate(S, zeta=10.0).rate,
                                                                 rel=1e-12)
        # Koloskova's p of a random law is the papers' expected gap 1 - beta over one period
        K = S.kron_moment().reshape(N, N, N, N)
        G = np.einsum("iikl->kl", K) - 1.0 / N
        beta = np.max(np.linalg.eigvalsh(0.5 * (G + G.T)))
        assert values["Koloskova p/τ"][i] == pytest.approx((1 - beta) / S.period, rel=1e-9, abs=1e-12)


def test_undefined_metrics_are_skipped_with_reasons(both):
    R = both[0].data["random"]
    sk = R["skipped"]
    rows = set(zip(sk["topology"], sk["metric"]))
    names = list(random_study_topologies(N))
    for name in names:  # no fixed product: the mixing time is undefined for every random scheme
        assert (name, "mixing time (ε=0.01)") in rows
    for metric in ("S₀", "S₁", "S₁ at η=1/ζ (ζ=10)"):
        assert ("EL-Local s=2", metric) in rows  # row-stochastic: S is undefined
    assert len(rows) == len(names) + 3  # and nothing else is dropped
    for metric, reason in zip(sk["metric"], sk["reason"]):
        assert ("fixed product" in reason) if metric.startswith("mixing") else ("row-stochastic" in reason)
    values = R["values"]
    for name, metric in rows:
        assert np.isnan(values[metric][values["topology"].index(name)])


def test_taus_over_deterministic_and_random_match_pair_counting(both):
    fd = both[0]
    det, R = fd.data["values"], fd.data["random"]
    table = R["table"]
    assert len(table["metric"]) == len(fd.data["table"]["metric"])
    for row in range(len(table["metric"])):
        label, zeta, orient = table["metric"][row], table["zeta"][row], table["orientation"][row]
        key = label if label in det else f"{label} (ζ={zeta:g})"
        metric = np.array(det[key] + R["values"][key], dtype=float)
        rate = np.array(det[f"optimal rate (ζ={zeta:g})"] + R["values"][f"optimal rate (ζ={zeta:g})"])
        ok = ~np.isnan(metric)
        assert table["n_topologies"][row] == int(ok.sum())
        m = orient * metric[ok]
        m = np.where(np.isfinite(m), m, np.sign(m) * 1e300)
        m, r = (np.array([float(f"{v:.10g}") for v in a]) for a in (m, rate[ok]))
        assert table["kendall_tau"][row] == pytest.approx(kendall_tau_b(m, r), abs=1e-12)


def test_registry_refuses_fixed_product_metrics_for_random_schemes():
    from topotheory.compare.registry import METRICS

    for name in ("mixing_time", "finite_time_consensus"):
        with pytest.raises(ValueError, match="undefined for the random scheme"):
            METRICS[name](tt.random_matching(6))
    from topotheory.metrics.functionals import mixing_time

    assert METRICS["mixing_time"](tt.ring(6)) == mixing_time(tt.ring(6), eps=0.01)  # deterministic unchanged
