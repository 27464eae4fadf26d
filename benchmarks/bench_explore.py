"""Speed of the explorer: one slider move (state update, and update with drawing) on two graphs."""

import pytest

import topotheory as tt

GRAPHS = [("ring", 32), ("random_regular", 64)]


@pytest.mark.parametrize("topology, n", GRAPHS)
def test_lr_slider_update(benchmark, topology, n):
    """Target: < 0.2 s for one learning-rate move (curves cached), without drawing."""
    state = tt.ExplorerState(topology, n=n)
    state.update()
    lrs = iter([0.02 + 1e-4 * k for k in range(10**6)])
    view = benchmark(lambda: state.update(lr=next(lrs)))
    assert view.n == n


@pytest.mark.parametrize("topology, n", GRAPHS)
def test_lr_slider_with_drawing(benchmark, topology, n):
    """One learning-rate move of the widget: update, redraw, PNG."""
    pytest.importorskip("ipywidgets")
    ex = tt.explore(topology, n=n)
    lrs = iter([0.02 + 1e-4 * k for k in range(10**6)])

    def move():
        ex.controls["lr"].value = next(lrs)

    benchmark.pedantic(move, rounds=5, iterations=1)


@pytest.mark.parametrize("topology, n", GRAPHS)
def test_cold_update(benchmark, topology, n):
    """A new topology, n or noise level: graph, n_W curves, rate curve and optimum."""
    view = benchmark.pedantic(lambda: tt.ExplorerState(topology, n=n).update(), rounds=2, iterations=1)
    assert view.optimum.lr > 0
