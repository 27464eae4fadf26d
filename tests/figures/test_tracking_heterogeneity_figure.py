"""The tracking-vs-heterogeneity figure: its numbers against direct calls, its caption's claims
against independent recomputations."""

import math

import numpy as np
import pytest

import topotheory as tt
from topotheory.figures import FIGURES, get_figure_function
from topotheory.figures import tracking_heterogeneity as fth


@pytest.fixture(scope="module")
def fd():
    return fth.compute(quick=True)


def _rows(columns):
    return [dict(zip(columns, v)) for v in zip(*columns.values())]


def _problem(fd, spread):
    p = fd.params
    return tt.random_quadratic(p["n"], p["d"], optima_spread=spread, eigenvalue_range=tuple(p["eigenvalue_range"]),
                               noise=p["noise"], seed=p["seed"])


def test_registered():
    assert FIGURES["tracking_heterogeneity"] == "tracking_heterogeneity:tracking_heterogeneity_figure"
    assert get_figure_function("tracking_heterogeneity") is fth.tracking_heterogeneity_figure


def test_numbers_are_the_theory(fd):
    n = fd.params["n"]
    rows = _rows(fd.data["table"])
    for r in rows[::3]:
        st = tt.stationary(_problem(fd, r["spread"]), fth.TOPOLOGIES[r["topology"]](n), lr=fd.params["lr"],
                           algorithm=r["algorithm"])
        assert r["local_distance"] == pytest.approx(st["local_distance"], rel=1e-12)
        assert r["bias_distance"] == pytest.approx(st["bias_distance"], rel=1e-9, abs=1e-25)
    c = tt.propagate(_problem(fd, max(fd.params["spreads"])), tt.ring(n), lr=fd.params["lr"],
                     steps=fd.params["steps"], algorithm="gradient_tracking")
    cur = [r for r in _rows(fd.data["curves"]) if r["topology"] == "ring" and r["algorithm"] == "gradient_tracking"]
    np.testing.assert_allclose([r["local_distance"] for r in cur], c.local_distance, rtol=1e-12)
    assert [r["vectors"] for r in cur] == [2 * t for t in c.steps]  # two vectors per step


def test_tracking_is_flat_and_unbiased(fd):
    c = fth.claims(fd)
    assert max(c["tracking_flat"].values()) < 1e-9 and "does not depend on s" in fd.caption
    for r in _rows(fd.data["table"]):
        if r["algorithm"] == "gradient_tracking":
            assert r["bias_distance"] < 1e-20


def test_dsgd_bias_is_quadratic_in_the_spread_and_ordered_by_topology(fd):
    c = fth.claims(fd)
    for key, b in c["bias_per_spread2"].items():
        assert b["max"] - b["min"] <= 1e-9 * max(b["max"], 1e-300) or key in c["unbiased"]
    assert c["bias_order"][0] == "ring" and c["unbiased"] == ["fully_connected"]
    assert "largest on the ring, then the one-peer exp. and none on the fully connected" in fd.caption


def test_crossover_spread_equalises_the_two_algorithms(fd):
    # an independent evaluation at the claimed spread: the two stationary errors coincide there
    c = fth.claims(fd)
    n, lr = fd.params["n"], fd.params["lr"]
    for key, s in c["crossover"].items():
        S = fth.TOPOLOGIES[key](n)
        if math.isinf(s):
            p = _problem(fd, 3.0)
            assert tt.stationary(p, S, lr=lr)["local_distance"] < tt.stationary(p, S, lr=lr,
                                                                               algorithm="gradient_tracking")["local_distance"]
            assert f"never on the {fd.labels[key]}" in fd.caption
            continue
        at = [tt.stationary(_problem(fd, v), S, lr=lr, algorithm=a)["local_distance"]
              for v in (s, 1.1 * s) for a in ("dsgd", "gradient_tracking")]
        assert at[0] == pytest.approx(at[1], rel=1e-8)
        assert at[3] < at[2]  # above s*, gradient tracking is the closer one
        assert f"{s:.3g} on the {fd.labels[key]}" in fd.caption


def test_noise_ratio_and_vectors_to_target(fd):
    c = fth.claims(fd)
    rows = _rows(fd.data["table"])
    lo = min(fd.params["spreads"])
    for key in fd.params["topologies"]:
        d, g = (next(r["local_distance"] for r in rows if r["topology"] == key and r["spread"] == lo
                     and r["algorithm"] == a) for a in ("dsgd", "gradient_tracking"))
        assert c["noise_ratio"][key] == pytest.approx(g / d) and g > d  # without heterogeneity D-SGD is closer
    ratio = list(c["noise_ratio"].values())
    assert f"{min(ratio):.3g} to {max(ratio):.3g} times worse" in fd.caption
    for key, v in c["vectors_to_target"].items():
        stat = next(r["local_distance"] for r in rows if r["topology"] == key and r["algorithm"] == "gradient_tracking"
                    and r["spread"] == max(fd.params["spreads"]))
        for alg, sent in v.items():
            curve = [r for r in _rows(fd.data["curves"]) if r["topology"] == key and r["algorithm"] == alg]
            below = [r["vectors"] for r in curve if r["local_distance"] <= 2 * stat]
            assert sent == (below[0] if below else None)
            assert (f"{fth._LABELS[alg]} {sent}" if sent is not None else f"{fth._LABELS[alg]} not within") in fd.caption
    assert c["vectors_to_target"]["ring"]["dsgd"] is None  # D-SGD's bias keeps it above the target on the ring


def test_plot_draws_the_data():
    fd = fth.compute(n=4, d=2, spreads=(0.0, 1.0), steps=5, topologies=("ring", "fully_connected"))
    fig = fth.plot(fd)
    ax0, ax1 = fig.axes[:2]
    assert len(ax0.get_lines()) == 4 and len(ax1.get_lines()) == 4
    gt_ring = [r["local_distance"] for r in _rows(fd.data["table"])
               if r["topology"] == "ring" and r["algorithm"] == "gradient_tracking"]
    np.testing.assert_allclose(ax0.get_lines()[1].get_ydata(), gt_ring)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 6}, "power of 2"),
    ({"topologies": ("torus",)}, "topologies must be keys"),
    ({"spreads": (-1.0,)}, "spreads"),
    ({"lr": 0.0}, "lr"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fth.compute(**kwargs)
