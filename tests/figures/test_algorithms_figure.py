"""The algorithms figure: its numbers against independent routes, its caption's claims against its data."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.figures import FIGURES, get_figure_function
from topotheory.figures import algorithms as fa


@pytest.fixture(scope="module")
def fd():
    return fa.compute(quick=True)


def _rows(columns):
    return [dict(zip(columns, v)) for v in zip(*columns.values())]


def test_registered():
    assert FIGURES["algorithms"] == "algorithms:algorithms_figure"
    assert get_figure_function("algorithms") is fa.algorithms_figure


def test_numbers_are_the_theory(fd):
    n = fd.params["n"]
    for r in _rows(fd.data["table"]):
        S = fa.TOPOLOGIES[r["topology"]](n)
        if r["algorithm"] == "dsgd":
            opt = tt.optimal_learning_rate(S, zeta=r["zeta"])
            assert r["rate"] == pytest.approx(opt.rate, rel=1e-10) and r["lr"] == pytest.approx(opt.lr, rel=1e-8)
        else:
            # the reported optimum is a point of the exact rate, and no point of a grid beats it
            assert r["rate"] == pytest.approx(tt.quadratic_rate(S, lr=r["lr"], zeta=r["zeta"], algorithm="dmsgd",
                                                                momentum=r["momentum"]), rel=1e-10)
            lrs = np.geomspace(r["lr"] / 3, min(3 * r["lr"], 1.9), 9)
            # the 9 x 5 grid in one broadcast call (the same exact rates as point by point)
            grid = tt.quadratic_rate(S, lr=lrs[:, None], zeta=r["zeta"], algorithm="dmsgd",
                                     momentum=np.array([0.0, 0.2, 0.4, 0.6, 0.8])[None, :])
            assert np.shape(grid) == (9, 5)
            assert np.nanmax(grid) <= r["rate"] + 1e-9


def test_reductions_inside_the_data(fd):
    rate = {(r["topology"], r["zeta"], r["algorithm"]): r["rate"] for r in _rows(fd.data["table"])}
    for (key, z, alg), r in rate.items():
        if alg == "dmsgd":
            assert r >= rate[(key, z, "dsgd")] - 1e-12  # momentum 0 is D-SGD: tuning beta cannot lose
    for c in _rows(fd.data["choco"]):
        if c["ratio"] == 1.0:  # every coordinate kept: D-SGD with (1 - gamma) I + gamma W, best at gamma = 1
            assert c["rate"] == pytest.approx(rate[(c["topology"], fd.params["zeta"], "dsgd")], rel=1e-6)


def test_caption_claims_follow_from_the_data(fd):
    c = fa.claims(fd)
    rows = _rows(fd.data["table"])
    for z in fd.params["zetas"]:
        order = {a: [r["topology"] for r in sorted((r for r in rows if r["zeta"] == z and r["algorithm"] == a),
                                                     key=lambda r: -r["rate"])] for a in ("dsgd", "dmsgd")}
        assert c["ranking_kept"][z] == (order["dsgd"] == order["dmsgd"])
        claim = "kept at" if c["ranking_kept"][z] else "changes the ranking"
        assert f"{z:g}" in fd.caption and (claim in fd.caption or "does not change" in fd.caption)
    tr = _rows(fd.data["tracking"])
    # on identical data gradient tracking is slower per step, and more so per transmitted vector
    assert all(r["tracking_rate"] < r["dsgd_rate"] for r in tr)
    assert c["tracking_costs"]["per_vector_max"] < 1 and "does not pay" in fd.caption
    ch = _rows(fd.data["choco"])
    for key, best in c["choco_best_ratio"].items():
        mine = {r["ratio"]: r["rate_per_coordinate"] for r in ch if r["topology"] == key}
        assert max(mine, key=mine.get) == best
        assert all(np.isclose(r["rate_per_coordinate"], r["rate"] / r["ratio"]) for r in ch)


def test_momentum_panel_is_consistent(fd):
    m = _rows(fd.data["momentum"])
    n = fd.params["n"]
    for r in m:
        S = fa.TOPOLOGIES[r["topology"]](n)
        opt = tt.optimal_learning_rate(S, zeta=fd.params["zeta"])
        assert r["effective_neighbors"] == pytest.approx(tt.effective_neighbors(S, opt.gamma), rel=1e-10)
        assert r["effective_lr"] == pytest.approx(r["lr"] / (1 - r["momentum"]), rel=1e-12)
    full = next(r for r in m if r["topology"] == "fully_connected")
    assert full["momentum"] < 1e-3  # exact averaging: no momentum is best (n_W = n)


def test_plot_draws_four_panels(fd):
    fig = fa.plot(fd)
    assert len(fig.axes) == 4
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_bad_input():
    with pytest.raises(ValueError, match="power of 2"):
        fa.compute(n=12)
    with pytest.raises(ValueError, match="topologies must be keys"):
        fa.compute(n=8, topologies=("star",))
