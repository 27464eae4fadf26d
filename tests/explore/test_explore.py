"""The explorer: its state computes what the public API computes, and its widgets plot exactly that."""

import sys

import numpy as np
import pytest

import topotheory as tt

ZETA = 50.0  # d = 48, batch size 1


def _api_view(scheme, lr, gamma, zeta, lr_points=40):
    """The explorer's numbers, recomputed independently through the public API."""
    opt = tt.optimal_learning_rate(scheme, zeta=zeta)
    lrs = opt.max_lr * np.arange(1, lr_points + 1) / (lr_points + 1)
    omg = np.logspace(-3, 0, 60)
    return dict(
        opt=opt, lrs=lrs, omg=omg,
        rates=tt.quadratic_rate(scheme, lr=lrs, zeta=zeta),
        rates_solo=tt.quadratic_rate(tt.solo(scheme.n), lr=lrs, zeta=zeta),
        rates_fc=tt.quadratic_rate(tt.fully_connected(scheme.n), lr=lrs, zeta=zeta),
        nw_mean=tt.effective_neighbors(scheme, one_minus_gamma=omg),
        nw_worst=tt.effective_neighbors(scheme, one_minus_gamma=omg, mode="worst"),
        rate=float(tt.quadratic_rate(scheme, lr=lr, zeta=zeta)),
        nw_gamma=float(tt.effective_neighbors(scheme, gamma)),
        nw_worst_gamma=float(tt.effective_neighbors(scheme, gamma, mode="worst")),
    )


# -- the state, without widgets -------------------------------------------------------------------

def test_state_view_is_the_public_api():
    state = tt.ExplorerState("star", n=8, lr=0.03, d=48, gamma=0.95)
    view = state.update()
    ref = _api_view(tt.star(8), 0.03, 0.95, ZETA)
    assert view.zeta == tt.zeta(48) == ZETA
    assert view.scheme == "star" and view.n == 8
    np.testing.assert_array_equal(view.lrs, ref["lrs"])
    np.testing.assert_array_equal(view.rates, ref["rates"])
    np.testing.assert_array_equal(view.rates_solo, ref["rates_solo"])
    np.testing.assert_array_equal(view.rates_fully_connected, ref["rates_fc"])
    np.testing.assert_array_equal(view.one_minus_gammas, ref["omg"])
    np.testing.assert_array_equal(view.nw_mean, ref["nw_mean"])
    np.testing.assert_array_equal(view.nw_worst, ref["nw_worst"])
    assert view.rate == ref["rate"]
    assert view.nw_at_gamma == ref["nw_gamma"] and view.nw_worst_at_gamma == ref["nw_worst_gamma"]
    assert view.optimum.lr == ref["opt"].lr and view.optimum.rate == ref["opt"].rate
    # invariants that would catch a mix-up of the curves: 1 <= worst <= mean <= n on the star,
    # alone <= star <= fully connected at every learning rate, the optimum tops the curve
    assert np.all(view.nw_worst <= view.nw_mean + 1e-12) and np.all(view.nw_worst < view.nw_mean - 1e-6)
    assert np.all((view.nw_mean >= 1 - 1e-12) & (view.nw_mean <= 8 + 1e-12))
    ok = np.isfinite(view.rates_solo)
    assert np.all(view.rates_solo[ok] <= view.rates[ok] + 1e-15)
    assert np.all(view.rates <= view.rates_fully_connected + 1e-15)
    assert view.optimum.rate >= np.nanmax(view.rates) - 1e-12


def test_state_implied_decay_is_equation_7():
    # eq. (7) on a vertex-transitive graph: r = 1 - (1-lr)^2 - (zeta-1) lr^2 / n_W(gamma),
    # gamma = (1-lr)^2/(1-r); the view's implied decay and n_W there must satisfy it
    view = tt.ExplorerState("ring", n=16, lr=0.04).update()
    a, beta = (1 - view.lr) ** 2, (view.zeta - 1) * view.lr ** 2
    assert view.gamma_of_lr == pytest.approx(a / (1 - view.rate), rel=1e-14)
    assert view.rate == pytest.approx(1 - a - beta / view.nw_of_lr, rel=1e-9)


def test_state_closed_forms_alone_and_fully_connected():
    # alone r = 2 lr - zeta lr^2, optimum lr = 1/zeta; fully connected optimum n/(n + zeta - 1)
    view = tt.ExplorerState("solo", n=4, lr=0.01, d=8, batch_size=2).update()  # zeta = 11/2
    z = (1 + 2 + 8) / 2
    assert view.zeta == z
    np.testing.assert_allclose(view.rates, 2 * view.lrs - z * view.lrs ** 2, rtol=1e-12)
    assert view.optimum.lr == pytest.approx(1 / z, rel=1e-9)
    view = tt.ExplorerState("fully_connected", n=4, lr=0.01, d=48).update()
    assert view.optimum.lr == pytest.approx(4 / (4 + ZETA - 1), rel=1e-9)
    np.testing.assert_allclose(view.nw_mean, 4.0, rtol=1e-12)


def test_state_caches_what_does_not_change_and_recomputes_what_does():
    state = tt.ExplorerState("ring", n=16)
    first = state.update()
    moved = state.update(lr=0.1, gamma=0.5)
    assert moved.rates is first.rates and moved.nw_mean is first.nw_mean  # cached, not recomputed
    assert moved.rate == float(tt.quadratic_rate(tt.ring(16), lr=0.1, zeta=ZETA))
    assert moved.nw_at_gamma == float(tt.effective_neighbors(tt.ring(16), 0.5))
    noisier = state.update(d=98)  # zeta 100: a new rate curve, the same n_W curves
    assert noisier.zeta == 100.0 and noisier.nw_mean is first.nw_mean
    np.testing.assert_array_equal(noisier.rates, tt.quadratic_rate(tt.ring(16), lr=noisier.lrs, zeta=100.0))
    bigger = state.update(n=24)
    assert bigger.n == 24
    np.testing.assert_array_equal(bigger.nw_mean, tt.effective_neighbors(tt.ring(24), one_minus_gamma=bigger.one_minus_gammas))


def test_state_custom_scheme():
    import networkx as nx

    G = nx.petersen_graph()
    state = tt.ExplorerState(G, lr=0.05)
    assert state.topologies[-1] == "custom" and state.values["topology"] == "custom"
    view = state.update(n=99)  # n sizes the named topologies; the custom scheme keeps its own
    scheme = tt.as_scheme(G)
    assert view.n == 10
    np.testing.assert_array_equal(view.rates, tt.quadratic_rate(scheme, lr=view.lrs, zeta=ZETA))
    assert state.update(topology="ring").n == 99
    assert "custom" not in tt.ExplorerState().topologies


def test_state_divergent_learning_rate_is_nan_not_a_number():
    view = tt.ExplorerState("ring", n=8, lr=0.5).update()
    assert np.isnan(view.rate) and np.isnan(view.gamma_of_lr) and np.isnan(view.nw_of_lr)


@pytest.mark.parametrize("values, error, words", [
    ({"topology": "rng"}, ValueError, "topology must be one of"),
    ({"topology": "custom"}, ValueError, "needs a scheme"),
    ({"lr": 0.0}, ValueError, "lr"),
    ({"lr": float("nan")}, ValueError, "lr"),
    ({"gamma": 1.0}, ValueError, "gamma"),
    ({"d": 0}, ValueError, "d"),
    ({"batch_size": 1.5}, TypeError, "batch_size"),
    ({"n": 0}, ValueError, "n"),
    ({"zeta": 3.0}, TypeError, "unknown explorer value 'zeta'"),
])
def test_state_bad_values_are_refused_and_change_nothing(values, error, words):
    state = tt.ExplorerState("ring", n=8)
    before = state.values
    with pytest.raises(error, match=words):
        state.update(**values)
    assert state.values == before


def test_state_graph_errors_leave_the_values_alone():
    state = tt.ExplorerState("hypercube", n=8)
    state.update()
    with pytest.raises(ValueError, match="power of two"):
        state.update(n=12)
    assert state.values["n"] == 8


def test_state_simulation_is_the_public_simulation_and_agrees_with_the_theory():
    state = tt.ExplorerState("ring", n=8, lr=0.05, d=10, steps=120, reps=200, seed=3)
    run = state.simulate()
    sim = tt.simulate_dsgd(tt.ring(8), lr=0.05, d=10, steps=120, reps=200, seed=3)
    np.testing.assert_array_equal(run.loss, sim.loss)
    np.testing.assert_array_equal(run.expected_loss, tt.loss_curve(tt.ring(8), lr=0.05, zeta=12.0, steps=120))
    assert run.estimate.rate == tt.estimate_rate(sim).rate
    assert run.exact_rate == float(tt.quadratic_rate(tt.ring(8), lr=0.05, zeta=12.0))
    # Monte Carlo against the exact rate: within 5 % (the bootstrap interval is about +-1 %)
    assert run.estimate.rate == pytest.approx(run.exact_rate, rel=0.05)
    # seeded: the same values give the same run, another seed another one
    assert np.array_equal(state.simulate().loss, run.loss)
    assert not np.array_equal(state.simulate(seed=4).loss, run.loss)


def test_results_have_the_result_convention():
    view = tt.ExplorerState("ring", n=8).update()
    d = view.to_dict()
    assert d["scheme"] == "ring" and len(d["rates"]) == 40 and d["optimum"]["lr"] == view.optimum.lr
    assert "ExplorerView(" in repr(view)


# -- the widgets ----------------------------------------------------------------------------------

widgets = pytest.importorskip("ipywidgets")


def _xy(line):
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_widgets_plot_what_the_public_api_computes():
    ex = tt.explore("ring", n=16, lr=0.05, d=48, gamma=0.9)
    c, L = ex.controls, ex.lines
    c["lr"].value = 0.08
    c["gamma"].value = 0.99
    c["topology"].value = "torus"
    ref = _api_view(tt.torus(4, 4), 0.08, 0.99, ZETA)
    x, y = _xy(L["rate"])
    np.testing.assert_array_equal(x, ref["lrs"])
    np.testing.assert_array_equal(y, ref["rates"])
    np.testing.assert_array_equal(_xy(L["rate_solo"])[1], ref["rates_solo"])
    np.testing.assert_array_equal(_xy(L["rate_fully_connected"])[1], ref["rates_fc"])
    x, y = _xy(L["nw_mean"])
    np.testing.assert_array_equal(x, ref["omg"])
    np.testing.assert_array_equal(y, ref["nw_mean"])
    np.testing.assert_array_equal(_xy(L["nw_worst"])[1], ref["nw_worst"])
    assert _xy(L["rate_marker"]) == ([0.08], [ref["rate"]])
    assert _xy(L["optimum_marker"]) == ([ref["opt"].lr], [ref["opt"].rate])
    x, y = _xy(L["gamma_marker"])
    assert x[0] == pytest.approx(0.01, abs=1e-12) and y[0] == ref["nw_gamma"]
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "torus" in ex.status.value and f"{ref['opt'].lr:.4g}" in ex.status.value


def test_widgets_noise_and_size_sliders():
    ex = tt.explore("ring", n=16)
    ex.controls["d"].value = 18
    ex.controls["batch_size"].value = 4  # zeta = 23/4
    ex.controls["n"].value = 20
    z = tt.zeta(18, batch_size=4)
    x, y = _xy(ex.lines["rate"])
    np.testing.assert_array_equal(y, tt.quadratic_rate(tt.ring(20), lr=x, zeta=z))
    assert ex.view.zeta == z and ex.view.n == 20


def test_widgets_simulate_button():
    ex = tt.explore("ring", n=8, lr=0.05, d=10, steps=60, reps=50, seed=2)
    assert _xy(ex.lines["loss"])[0].size == 0  # nothing simulated before the button
    ex.controls["simulate"].click()
    sim = tt.simulate_dsgd(tt.ring(8), lr=0.05, d=10, steps=60, reps=50, seed=2)
    x, y = _xy(ex.lines["loss"])
    np.testing.assert_array_equal(x, np.arange(61))
    np.testing.assert_array_equal(y, sim.loss)
    np.testing.assert_array_equal(_xy(ex.lines["expected_loss"])[1],
                                  tt.loss_curve(tt.ring(8), lr=0.05, zeta=12.0, steps=60))
    assert f"{tt.estimate_rate(sim).rate:.4g}" in ex.sim_status.value
    ex.controls["lr"].value = 0.06  # the run no longer matches the values: cleared, not kept
    assert _xy(ex.lines["loss"])[0].size == 0 and ex.run is None and "again" in ex.sim_status.value


def test_widgets_report_invalid_combinations_and_keep_the_plot():
    ex = tt.explore("hypercube", n=8)
    before = _xy(ex.lines["rate"])[1].copy()
    ex.controls["n"].value = 12
    assert "power of two" in ex.status.value
    np.testing.assert_array_equal(_xy(ex.lines["rate"])[1], before)


def test_widgets_custom_scheme_disables_n():
    scheme = tt.torus(3, 4)
    ex = tt.explore(scheme)
    assert ex.controls["topology"].value == "custom" and ex.controls["n"].disabled
    np.testing.assert_array_equal(_xy(ex.lines["rate"])[1],
                                  tt.quadratic_rate(scheme, lr=_xy(ex.lines["rate"])[0], zeta=ZETA))
    ex.controls["topology"].value = "ring"
    assert not ex.controls["n"].disabled


def test_display_bundle_has_the_widget_and_a_static_png():
    bundle = tt.explore("ring", n=8)._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["image/png"][:4] == b"\x89PNG"


def test_missing_ipywidgets_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"topotheory\[explore\]"):
        tt.explore()
    tt.ExplorerState().update()  # the state does not need widgets


def test_import_topotheory_loads_no_widgets(loaded_by_import):
    # a fresh interpreter after ``import topotheory`` (the session's one, shared with the light-import checks)
    assert (loaded_by_import["ipywidgets"], loaded_by_import["matplotlib"]) == (False, False)
