"""Tests for the metric study figure (Kendall rank correlation of metrics against the optimal toy rate)."""

import numpy as np
import pytest

from topotheory.figures import FigureResult
from topotheory.figures.metric_study import STUDY_METRICS, metric_study, study_topologies
from topotheory.toy.quadratic import optimal_learning_rate
from topotheory.metrics.spectral import spectral_gap

from oracles import kendall_tau_b as _kendall_tau_b


@pytest.fixture(scope="module")
def quick():
    return metric_study(quick=True)


def test_result_structure(quick):
    assert isinstance(quick, FigureResult) and quick.name == "metric_study"
    table = quick.data["table"]
    lengths = {len(v) for v in table.values()}
    assert len(lengths) == 1
    assert lengths.pop() == len(STUDY_METRICS) * 2  # quick: one size, two noise levels
    taus = np.array(table["kendall_tau"])
    assert np.all((taus >= -1) & (taus <= 1))
    values = quick.data["values"]
    assert len({len(v) for v in values.values()}) == 1
    assert "Kendall" in quick.caption and "spectral gap reaches tau" in quick.caption
    ax = quick.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [m[0] for m in STUDY_METRICS]


def test_taus_match_pair_counting_on_the_stored_values(quick):
    table, values = quick.data["table"], quick.data["values"]
    for row in range(len(table["metric"])):
        label, zeta, orient = table["metric"][row], table["zeta"][row], table["orientation"][row]
        key = label if label in values else f"{label} (ζ={zeta:g})"
        metric = orient * np.array(values[key], dtype=float)
        metric = np.where(np.isfinite(metric), metric, np.sign(metric) * 1e300)
        rate = np.array(values[f"optimal rate (ζ={zeta:g})"])
        # the study's tie convention: values equal to 10 significant digits are ties
        metric, rate = (np.array([float(f"{v:.10g}") for v in a]) for a in (metric, rate))
        assert table["kendall_tau"][row] == pytest.approx(_kendall_tau_b(metric, rate), abs=1e-12)


def test_stored_values_match_direct_calls(quick):
    values = quick.data["values"]
    schemes = study_topologies(16)
    for i in (0, 7, 13):
        name = values["topology"][i]
        s = schemes[name]
        assert values["spectral gap (per step)"][i] == pytest.approx(spectral_gap(s, "abs", per_step=True))
        assert values["optimal rate (ζ=10)"][i] == pytest.approx(optimal_learning_rate(s, zeta=10.0).rate)


def test_fully_connected_has_the_best_rate_and_spectral_gap_is_not_the_best_predictor(quick):
    values, table = quick.data["values"], quick.data["table"]
    for z in (10, 100):
        rates = np.array(values[f"optimal rate (ζ={z})"])
        assert values["topology"][int(np.argmax(rates))] == "fully connected"
        assert np.all(rates > 0)
    taus = dict(((m, z), t) for m, z, t in zip(table["metric"], table["zeta"], table["kendall_tau"]))
    for z in (10.0, 100.0):
        best_nw = max(taus[(m, z)] for m, _, _ in STUDY_METRICS if m.startswith("n_W"))
        assert best_nw > taus[("spectral gap (per step)", z)]


def test_study_topologies():
    s = study_topologies(16)
    assert len(s) == 20 and all(x.n == 16 for x in s.values())
    assert "hypercube" not in study_topologies(12)
    for n in (5, 6, 7, 9):  # small and odd sizes: every random graph is still constructible
        assert all(x.n == n for x in study_topologies(n).values())
    a, b = study_topologies(16, seed=3), study_topologies(16, seed=3)
    assert np.array_equal(a["Erdos-Renyi"].matrix(0), b["Erdos-Renyi"].matrix(0))


def test_bad_input():
    with pytest.raises(ValueError, match="ns must be >= 5"):
        metric_study(ns=(2,))
    with pytest.raises(ValueError, match="zetas must lie in"):
        metric_study(ns=(8,), zetas=(0.5,))
    with pytest.raises(ValueError, match="n must be >= 5"):
        study_topologies(4)


def test_kendall_treats_rounding_level_differences_as_ties():
    from topotheory.compare import kendall_tau as _kendall

    y = [1.0, 2.0, 3.0, 4.0]
    tied = _kendall([1.0, 2.0, 2.0, 3.0], y)[0]
    assert _kendall([1.0, 2.0, 2.0 * (1 + 1e-15), 3.0], y)[0] == tied
    assert _kendall([1.0, 2.0 * (1 + 1e-15), 2.0, 3.0], y)[0] == tied
    assert _kendall([1.0, 2.0, 2.0 * (1 + 1e-6), 3.0], y)[0] > tied  # real differences still count
