"""Figures: call every figure function with small parameters and check the DATA behind it.

Independent routes: dense Lyapunov solves (scipy) for n_W and the covariance, sorting for the
orderings, the bound's defining inequality, and a re-read of the written CSV/JSON.
"""

import csv
import os
import json
import re

import numpy as np
import pytest
import scipy.linalg as sla

import topotheory as tt
from topotheory.figures import FIGURES, FigureResult, get_figure_function
from topotheory.figures.export import Staging, export_figures, summary_sentence, write_figure
from topotheory.figures.fig2_effective_neighbors import effective_neighbors_figure
from topotheory.figures.fig5_covariance import PAPER_FITTED_GAMMAS, covariance_figure
from topotheory.figures.fig6_orderings import orderings_figure
from topotheory.figures.spectral_gap_bound import gap_bound_figure


def lyapunov_nw(W, gamma):
    """n_W by the raw Lyapunov equation Sigma = gamma W Sigma W^T + W W^T (dense, scipy)."""
    S = sla.solve_discrete_lyapunov(np.sqrt(gamma) * W, W @ W.T)
    return (1 / (1 - gamma)) / np.mean(np.diag(S))


def by_topology(table, key="topology"):
    out = {}
    for i, name in enumerate(table[key]):
        out.setdefault(name, []).append(i)
    return out


def assert_table(result):
    table = result.data["table"]
    lengths = {len(v) for v in table.values()}
    assert len(lengths) == 1 and lengths.pop() > 0
    json.dumps(tt.figures.export.jsonable(result.data), allow_nan=False)
    assert isinstance(result, FigureResult) and result.caption and result.name


# ------------------------------------------------------------------------------------ Fig. 2
def test_fig2_curves_non_decreasing_and_reach_fully_connected():
    res = effective_neighbors_figure(n=16, quick=True)
    assert_table(res)
    t = res.data["table"]
    groups = by_topology(t)
    assert list(groups) == ["fully_connected", "two_cliques", "one_peer_exponential", "ring", "solo"]
    gamma = np.array(t["gamma"])
    nw = np.array(t["n_W"])
    for name, idx in groups.items():
        g, v = gamma[idx], nw[idx]
        order = np.argsort(g)
        assert np.all(np.diff(v[order]) >= -1e-9 * v[order][1:]), name
        assert np.all((v >= 1 - 1e-9) & (v <= 16 + 1e-9)), name
    full = nw[groups["fully_connected"]]
    np.testing.assert_allclose(full, 16)
    np.testing.assert_allclose(nw[groups["solo"]], 1)
    top = np.argmax(gamma[groups["ring"]])
    for name in ("two_cliques", "one_peer_exponential", "ring"):
        assert nw[groups[name]][top] > 0.9 * 16  # approaches the fully-connected value as gamma -> 1


def test_fig2_values_match_dense_lyapunov():
    res = effective_neighbors_figure(n=8, topologies=("ring", "two_cliques"), quick=True)
    t = res.data["table"]
    for name, idx in by_topology(t).items():
        W = tt.topology_from_spec(name, 8).matrix(0)
        for i in idx[::13]:
            assert t["n_W"][i] == pytest.approx(lyapunov_nw(np.asarray(W), t["gamma"][i]), rel=1e-7)


def test_fig2_axis_is_log_one_minus_gamma():
    res = effective_neighbors_figure(n=8, quick=True)
    ax = res.figure.axes[0]
    assert ax.get_xscale() == "log"
    labels = [tl.get_text() for tl in ax.get_xticklabels()]
    assert "0.99" in labels and "0.9999" in labels
    lo, hi = ax.get_xlim()
    assert lo > hi  # gamma grows to the right


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma_min": 0.99, "gamma_max": 0.9}, "gamma_min must be below"),
        ({"gamma_max": 1.0}, "gamma_max"),
        ({"topologies": ("donut",)}, "unknown topology"),
        ({"n": 0}, "n must be"),
    ],
)
def test_fig2_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        effective_neighbors_figure(**kwargs)


# ------------------------------------------------------------------------------------ Fig. 5
def test_fig5_titles_show_effective_neighbors_and_covariance_solves_lyapunov():
    gammas = {"ring": 0.983, "star": 0.986, "torus:4x8": 0.993}
    res = covariance_figure(gammas=gammas)
    assert_table(res)
    t = res.data["table"]
    titles = [ax.get_title() for ax in res.figure.axes[:3]]
    for j, spec in enumerate(gammas):
        scheme = tt.topology_from_spec(spec, 32)
        nw = tt.effective_neighbors(scheme, gammas[spec], mode="mean")
        assert t["n_W_mean"][j] == nw
        printed = float(re.search(r"n_W\$=([0-9.]+)", titles[j]).group(1))
        assert printed == round(nw, 1)
        W = np.asarray(res.data["matrices"][spec]["gossip_matrix"])
        S = np.asarray(res.data["matrices"][spec]["covariance"])
        np.testing.assert_array_equal(W, scheme.matrix(0))
        g = gammas[spec]
        np.testing.assert_allclose(S, g * W @ S @ W.T + W @ W.T, rtol=1e-9, atol=1e-9 * np.abs(S).max())
        assert t["n_W_mean"][j] == pytest.approx(lyapunov_nw(W, g), rel=1e-8)
        assert t["n_W_worst"][j] <= t["n_W_mean"][j] + 1e-9


def test_fig5_defaults_are_the_papers_gammas_and_caption_says_not_reproducible():
    res = covariance_figure()
    assert res.data["table"]["gamma"] == list(PAPER_FITTED_GAMMAS.values())
    assert "not reproducible" in res.caption
    with pytest.raises(ValueError, match="gammas"):
        covariance_figure(gammas={"ring": 1.5})


# ------------------------------------------------------------------------------------ Fig. 6
def test_fig6_orderings_match_sorting_of_api_values():
    res = orderings_figure(n=16)
    assert_table(res)
    t = res.data["table"]
    schemes = tt.paper_topologies(16)
    assert t["topology"] == list(schemes)
    for i, name in enumerate(t["topology"]):
        assert t["n_W"][i] == tt.effective_neighbors(schemes[name], 0.951)
        assert t["spectral_gap"][i] == tt.spectral_gap(schemes[name])
    for key, rank in (("n_W", "rank_n_W"), ("spectral_gap", "rank_spectral_gap")):
        vals = np.array(t[key])
        for i, r in enumerate(t[rank]):
            assert r == 1 + np.sum(vals > vals[i])
    # the two orderings differ (the paper's point): two cliques is mid-table by n_W, near last by gap
    assert t["rank_n_W"] != t["rank_spectral_gap"]
    assert "not reproducible" in res.caption and "loss" in res.caption
    # the bars are drawn best first (top of the left panel is the largest n_W)
    ax = res.figure.axes[0]
    ticks = sorted(ax.get_yticklabels(), key=lambda tl: tl.get_position()[1])
    assert ticks[-1].get_text() == "fully connected" and ticks[0].get_text() == "alone"


# ---------------------------------------------------------------------------- gap bound figure
def test_gap_bound_is_a_lower_bound_tight_for_mix_and_void_for_infinite_ring():
    res = gap_bound_figure(n=16, graphs=("ring", "star", "mix", "infinite_ring"), mix_gap=0.2, quick=True)
    assert_table(res)
    t = res.data["table"]
    groups = by_topology(t, "graph")
    nw, bound = np.array(t["n_W"]), np.array(t["bound"])
    assert np.all(bound <= nw * (1 + 1e-9))
    np.testing.assert_allclose(nw[groups["mix"]], bound[groups["mix"]], rtol=1e-9)
    np.testing.assert_allclose(bound[groups["infinite_ring"]], 1.0)
    assert nw[groups["infinite_ring"]].max() > 50
    ring_gap = t["spectral_gap"][groups["ring"][0]]
    assert ring_gap == pytest.approx(1 - (1 + 2 * np.cos(2 * np.pi / 16)) / 3)
    # independent route for the mix graph: all non-unit eigenvalues equal 0.8
    g = np.array(t["gamma"])[groups["mix"]]
    expected = 1 / (1 / 16 + (15 / 16) * (1 - g) * 0.64 / (1 - g * 0.64))
    np.testing.assert_allclose(nw[groups["mix"]], expected, rtol=1e-9)


def test_gap_bound_bad_input():
    with pytest.raises(ValueError, match="mix_gap"):
        gap_bound_figure(mix_gap=0.0)
    with pytest.raises(ValueError, match="graphs"):
        gap_bound_figure(graphs=())


# ------------------------------------------------------------------------------ the registry
def test_registry_functions_take_quick_and_keyword_only_parameters():
    import inspect

    for fid in FIGURES:
        func = get_figure_function(fid)
        sig = inspect.signature(func)
        assert "quick" in sig.parameters, fid
        assert all(p.kind is p.KEYWORD_ONLY for p in sig.parameters.values()), fid
    with pytest.raises(ValueError, match="unknown figure"):
        get_figure_function("99")


# ---------------------------------------------------------------------------------- export
def test_write_figure_files_round_trip(tmp_path):
    res = orderings_figure(n=8)
    paths = write_figure(res, tmp_path, fig_id="6")
    assert sorted(p.suffix for p in paths) == [".csv", ".json", ".pdf", ".png"]
    assert (tmp_path / "fig6_orderings.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "fig6_orderings.pdf").read_bytes()[:5] == b"%PDF-"
    with open(tmp_path / "fig6_orderings.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["topology"] for r in rows] == res.data["table"]["topology"]
    assert [float(r["n_W"]) for r in rows] == res.data["table"]["n_W"]  # repr round-trips exactly
    doc = json.loads((tmp_path / "fig6_orderings.json").read_text())
    assert doc["id"] == "6" and doc["caption"] == res.caption and doc["params"]["gamma"] == 0.951
    assert doc["data"]["table"]["rank_n_W"] == res.data["table"]["rank_n_W"]


def test_export_index_lists_every_figure_with_params(tmp_path):
    results = {"6": orderings_figure(n=8), "2": effective_neighbors_figure(n=8, quick=True)}
    export_figures(results, tmp_path / "out", command="topotheory reproduce --out out")
    text = (tmp_path / "out" / "README.md").read_text()
    assert "`topotheory reproduce --out out`" in text
    for fid, res in results.items():
        assert f"![{res.name}]({res.name}.png)" in text
        assert summary_sentence(res.caption) in text
        assert f"topotheory figure {fid}" in text
    assert "- `gamma` = 0.951" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_staging_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "a" / "b" / "figs"
    with pytest.raises(RuntimeError):
        with Staging(out) as stage:
            # any figure will do (a one-inch drawing): what is checked is the clean-up of the staged files
            stage.add("6", _fake_figure("fig6_orderings", 1.0))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []  # neither files, staging dir nor created parents


def test_staging_into_existing_dir_keeps_other_files(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with Staging(tmp_path) as stage:
        (stage.path / "new.txt").write_text("y")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".topotheory-manifest", "keep.txt", "new.txt"]
    assert tt.figures.export.read_manifest(tmp_path) == {"new.txt"}  # keep.txt is not ours


def test_staging_rejects_unwritable_targets(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        Staging(afile)
    with pytest.raises(OSError, match="cannot write to output directory"):
        Staging(afile / "sub")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_csv_rejects_ragged_table(tmp_path):
    res = orderings_figure(n=8)
    res.data["table"]["extra"] = [1]
    with pytest.raises(ValueError, match="equal lengths"):
        write_figure(res, tmp_path)
    assert list(tmp_path.iterdir()) == []  # refused before anything is drawn or written


# ------------------------------------------------------------------------------------ Fig. 1
from topotheory.figures.fig1_time_to_target import time_to_target_figure  # noqa: E402
from topotheory.figures.fig4_rates import rates_figure  # noqa: E402
from topotheory.figures.ring_size import ring_size_figure  # noqa: E402
from topotheory.toy.quadratic import quadratic_rate  # noqa: E402


def closed_form_steps(factor, target, start=0.5):
    """First t with start * factor**t < target (NaN if never): alone and fully connected from an identical start."""
    if factor >= 1:
        return np.nan
    t = np.floor(np.log(target / start) / np.log(factor)) + 1
    return float(max(t, 0))


@pytest.fixture(scope="module")
def fig1():
    return time_to_target_figure(n=8, d=30, points=12, lr_min=0.01, lr_max=0.6, infinite_ring_size=512)


def test_fig1_alone_and_fully_connected_match_closed_forms(fig1):
    t = fig1.data["table"]
    z = fig1.params["zeta"]
    assert z == 32
    for i in range(len(t["lr"])):
        if t["panel"][i] != "left" or t["topology"][i] == "ring":
            continue
        eta = t["lr"][i]
        factor = 1 - 2 * eta + (z if t["topology"][i] == "solo" else 1 + (z - 1) / 8) * eta**2
        expected = closed_form_steps(factor, 0.01)
        got = t["steps"][i]
        assert (np.isnan(expected) and np.isnan(got)) or got == expected, (t["topology"][i], eta)


def test_fig1_ring_curves_order_as_in_the_paper(fig1):
    t = fig1.data["table"]
    best = {}
    for i in range(len(t["lr"])):
        if t["panel"][i] == "right":
            w = t["workers"][i]
            best[w] = np.nanmin([best.get(w, np.inf), t["steps"][i]])
    sizes = [1, 2, 4, 8, float("inf")]
    assert list(best) == sizes
    mins = [best[k] for k in sizes]
    assert all(a >= b for a, b in zip(mins, mins[1:])), mins  # bigger rings are at least as fast
    assert mins[0] > 2 * mins[-1]  # and the gain is substantial
    gaps = {t["workers"][i]: t["spectral_gap"][i] for i in range(len(t["lr"])) if t["panel"][i] == "right"}
    assert gaps[1] == 1 and gaps[2] == 1 and gaps[4] == pytest.approx(2 / 3) and gaps[float("inf")] == 0
    assert fig1.data["infinite_ring_check"]["max_abs_difference"] == 0.0
    legend = [tx.get_text() for tx in fig1.figure.axes[1].get_legend().get_texts()]
    assert legend[-1] == "ring of ∞ (gap 0)" and legend[2] == "ring of 4 (gap 0.67)"
    for ax in fig1.figure.axes:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_fig1_ring_of_one_is_alone(fig1):
    t = fig1.data["table"]
    ring1 = [t["steps"][i] for i in range(len(t["lr"])) if t["panel"][i] == "right" and t["workers"][i] == 1]
    alone = [t["steps"][i] for i in range(len(t["lr"])) if t["topology"][i] == "solo"]
    np.testing.assert_array_equal(ring1, alone)


def test_fig1_bad_input():
    with pytest.raises(ValueError, match="lr_min"):
        time_to_target_figure(lr_min=0.5, lr_max=0.1)
    with pytest.raises(ValueError, match="target"):
        time_to_target_figure(target=0)


# ------------------------------------------------------------------------------------ Fig. 4
def test_fig4_exact_rates_closed_forms_bounds_and_montecarlo():
    res = rates_figure(n=8, quick=True, mc_topologies=("ring", "star"), mc_lrs=(0.1, 0.3))
    assert_table(res)
    t = res.data["table"]
    z, n = res.params["zeta"], 8
    exact = {}
    for i, src in enumerate(t["source"]):
        if src == "exact":
            exact.setdefault(t["topology"][i], []).append((t["lr"][i], t["rate"][i]))
    assert list(exact) == list(tt.paper_topologies(8))
    lr = np.array([x for x, _ in exact["solo"]])
    alone = 2 * lr - z * lr**2
    full = 2 * lr - lr**2 * (1 + (z - 1) / n)
    np.testing.assert_allclose([r for _, r in exact["solo"]], np.where(alone > 0, alone, np.nan), rtol=1e-9)
    np.testing.assert_allclose([r for _, r in exact["fully_connected"]], np.where(full > 0, full, np.nan), rtol=1e-9)
    for name, pts in exact.items():
        r = np.array([v for _, v in pts])
        ok = np.isfinite(r)
        assert np.all(r[ok] <= full[ok] * (1 + 1e-9)), name
        assert np.all(np.isfinite(r[alone > 0])), name  # stable wherever alone is
        assert np.all(r[alone > 0] >= alone[alone > 0] * (1 - 1e-9)), name
    mc = [i for i, s in enumerate(t["source"]) if s == "montecarlo"]
    assert [(t["topology"][i], t["lr"][i]) for i in mc] == [("ring", 0.1), ("ring", 0.3), ("star", 0.1), ("star", 0.3)]
    for i in mc:
        assert t["agrees"][i] is True
        if np.isfinite(t["theory_rate"][i]):
            assert t["ci_low"][i] <= t["rate"][i] <= t["ci_high"][i]
            scheme = tt.ring(8) if t["topology"][i] == "ring" else tt.star(8)
            assert t["theory_rate"][i] == pytest.approx(quadratic_rate(scheme, lr=t["lr"][i], zeta=z))
    assert "not reproducible" in res.caption


def test_fig4_bad_input():
    with pytest.raises(ValueError, match="mc_topologies"):
        rates_figure(n=8, quick=True, mc_topologies=("social_network",))


# ------------------------------------------------------------------------------ ring size
def test_ring_size_saturates_at_the_infinite_ring():
    res = ring_size_figure(sizes=(1, 2, 4, 8, 16, 64, 256))
    assert_table(res)
    t = res.data["table"]
    z = res.params["zeta"]
    rows = list(zip(t["topology"], t["workers"], t["lr"], t["rate"], t["max_lr"]))
    ring_rows = [r for r in rows if r[0] == "ring"]
    full_rows = [r for r in rows if r[0] == "fully_connected"]
    (inf_row,) = [r for r in rows if r[0] == "infinite_ring"]
    assert ring_rows[0][2] == pytest.approx(1 / z, rel=1e-9)  # a ring of one is alone
    for (_, k, lr, rate, edge) in full_rows:  # closed form n / (n + zeta - 1)
        assert lr == pytest.approx(k / (k + z - 1), rel=1e-8) and rate == pytest.approx(k / (k + z - 1), rel=1e-8)
        assert edge == pytest.approx(2 * k / (k + z - 1), rel=1e-9)
    rates = [r[3] for r in ring_rows]
    assert all(a <= b * (1 + 1e-10) for a, b in zip(rates, rates[1:]))
    assert all(r[3] <= f[3] * (1 + 1e-9) for r, f in zip(ring_rows, full_rows))
    assert rates[-1] == pytest.approx(inf_row[3], rel=1e-8)
    assert ring_rows[-1][2] == pytest.approx(inf_row[2], rel=1e-6)
    assert inf_row[1] == float("inf") and inf_row[2] > 3 / z  # far above the lone worker's 1/zeta


# ------------------------------------------------------------------------------------ Fig. 3
from topotheory.figures.fig3_theorem6 import theorem6_figure  # noqa: E402


def test_fig3_matches_eq25_by_hand_and_peaks_in_order():
    res = theorem6_figure(quick=True, heatmap_gammas=(0.9, 0.99))
    assert_table(res)
    t = res.data["table"]
    zeta, L = 2000.0, 1.0
    for spec in ("ring", "torus:4x8"):
        W = np.asarray(tt.topology_from_spec(spec, 32).lazy().matrix(0))
        lam2 = np.sort(np.linalg.eigvalsh(W))[-2]
        idx = [i for i, s in enumerate(t["topology"]) if s == spec][::7]
        for i in idx:
            g = t["gamma"][i]
            nw = lyapunov_nw(W, g) if g > 0 else 32 / np.sum(W**2)
            omega = 1 / nw
            expected = min((1 - g * lam2) / 4 * omega / L, 1 / (4 * ((1 / nw + omega) * zeta + L)))
            assert t["lr"][i] == pytest.approx(expected, rel=1e-8)
            assert t["n_W"][i] == pytest.approx(nw, rel=1e-8)
    best = res.data["best"]
    assert best["ring"]["lr"] < best["torus:4x8"]["lr"] < best["hypercube"]["lr"] < best["fully_connected"]["lr"]
    assert best["ring"]["n_W"] < best["torus:4x8"]["n_W"] < best["hypercube"]["n_W"]  # peaks later and higher
    assert best["fully_connected"]["lr"] == pytest.approx(1 / (4 * (2 * zeta / 32 + L)))
    assert "discrepancy" in res.caption and "0.005" in res.caption
    # the heat maps are M(gamma) = (1 - gamma) W^2 (I - gamma W^2)^-1 of the (lazy) ring
    W = np.asarray(tt.ring(32).lazy().matrix(0))
    W2 = W @ W
    for g in (0.9, 0.99):
        M = np.asarray(res.data["m_matrices"][str(g)])
        np.testing.assert_allclose(M, (1 - g) * np.linalg.solve(np.eye(32) - g * W2, W2), atol=1e-12)
        assert 1 / M[0, 0] == pytest.approx(tt.effective_neighbors(tt.ring(32).lazy(), g))


# ------------------------------------------------------------------------ bad input, per figure
@pytest.mark.parametrize(
    "func, kwargs, exc, match",
    [
        (time_to_target_figure, {"ring_sizes": (0,)}, ValueError, "ring_sizes"),
        (time_to_target_figure, {"d": 1.5}, TypeError, "d must be an integer"),
        (theorem6_figure, {"zeta": -1.0}, ValueError, "zeta"),
        (theorem6_figure, {"heatmap_gammas": (1.0,)}, ValueError, "heatmap_gammas"),
        (theorem6_figure, {"topologies": ("donut",)}, ValueError, "unknown topology"),
        (rates_figure, {"lr_min": 1.0, "lr_max": 0.1}, ValueError, "lr_min"),
        (rates_figure, {"reps": 1, "mc_topologies": ("ring",)}, ValueError, "reps"),
        (covariance_figure, {"gammas": {"donut": 0.9}}, ValueError, "unknown topology"),
        (covariance_figure, {"gammas": {}}, ValueError, "gammas"),
        (orderings_figure, {"gap_kind": "huge"}, ValueError, "kind"),
        (orderings_figure, {"gamma": 1.0}, ValueError, "gamma"),
        (ring_size_figure, {"sizes": ()}, ValueError, "sizes"),
        (ring_size_figure, {"sizes": (0, 4)}, ValueError, "sizes"),
        (effective_neighbors_figure, {"topologies": 3}, TypeError, "topologies"),
    ],
)
def test_figure_bad_input(func, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        func(**kwargs)


def test_write_figure_without_table_writes_no_csv(tmp_path):
    res = _fake_figure("no_table", 1.0)  # a one-inch drawing: only which files are written is checked
    del res.data["table"]
    paths = write_figure(res, tmp_path)
    assert sorted(p.suffix for p in paths) == [".json", ".pdf", ".png"]


# ------------------------------------------------------------------- data apart from drawing
def test_data_functions_import_no_matplotlib():
    """Every figure module imports, and computes its data, without loading matplotlib."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from topotheory.figures import FIGURES, get_figure_module\n"
        "mods = [get_figure_module(f) for f in FIGURES]\n"
        "fd = get_figure_module('fig6_orderings').compute(n=8)\n"
        "assert fd.data['table']['topology'] and type(fd).__name__ == 'FigureData'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert out.stdout.strip() == "[]"


def test_figure_id_is_module_and_file_stem():
    import importlib
    import inspect

    for fid, target in FIGURES.items():
        module, _ = target.split(":")
        assert module == fid
        mod = importlib.import_module(f"topotheory.figures.{fid}")
        assert callable(mod.compute) and callable(mod.plot)
        assert f'FigureData("{fid}"' in inspect.getsource(mod.compute)  # the stem written is the id
    assert get_figure_function("2") is get_figure_function("fig2_effective_neighbors")
    assert FIGURES["gap_bound"] == FIGURES["spectral_gap_bound"] and "merging" in FIGURES
    assert tt.figures.canonical_id("stepsizes") == "stepsize_phase_diagram"


def _roundtrip(fd):
    from topotheory.common.jsonable import jsonable
    from topotheory.figures import FigureData

    return FigureData.from_document(json.loads(json.dumps(jsonable(fd.document()), allow_nan=False)))


def test_plot_draws_the_data_alone_from_a_json_document():
    """plot() needs nothing but the JSON document, and draws exactly the numbers of the table."""
    from topotheory.figures import fig2_effective_neighbors as f2

    fd = f2.compute(n=8, topologies=("ring", "star"), quick=True)
    fig = f2.plot(_roundtrip(fd))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() in ("ring", "star")]
    t = fd.data["table"]
    for ln in lines:
        sel = [i for i, name in enumerate(t["topology"]) if name == ln.get_label()]
        np.testing.assert_array_equal(ln.get_ydata(), [t["n_W"][i] for i in sel])
        np.testing.assert_array_equal(ln.get_xdata(), [t["one_minus_gamma"][i] for i in sel])
    res = effective_neighbors_figure(n=8, topologies=("ring", "star"), quick=True)
    assert res.data == fd.data and res.caption == fd.caption and res.params == fd.params
    assert res.figure_data() == fd


@pytest.mark.parametrize("fid, kwargs", [
    ("fig5_covariance", {"n": 8, "gammas": {"ring": 0.9, "star": 0.95}}),
    ("spectral_gap_bound", {"n": 8, "graphs": ("ring", "infinite_ring"), "points": 5}),
])
def test_plot_from_json_gives_the_same_drawing(fid, kwargs):
    """The figure drawn from the JSON document is the one drawn from the data in memory."""
    import io

    mod = tt.figures.get_figure_module(fid)
    fd = mod.compute(**kwargs)
    a, b = io.BytesIO(), io.BytesIO()
    mod.plot(fd).savefig(a, format="svg", metadata={"Date": None})
    mod.plot(_roundtrip(fd)).savefig(b, format="svg", metadata={"Date": None})
    strip = [re.sub(rb'id="[^"]*"|#[0-9a-f]{10}|url\(#[^)]*\)|xlink:href="[^"]*"', b"", x.getvalue()) for x in (a, b)]
    assert strip[0] == strip[1]


def test_figure_functions_accept_scheme_objects():
    ring8, star8 = tt.ring(8), tt.star(8)
    by_name = effective_neighbors_figure(n=8, topologies=("ring", "star"), quick=True)
    by_scheme = effective_neighbors_figure(n=8, topologies=(ring8, star8), quick=True)
    assert by_scheme.data == by_name.data and by_scheme.params["topologies"] == ["ring", "star"]
    with pytest.raises(ValueError, match="topologies: the Scheme 'ring' has 6 workers"):
        effective_neighbors_figure(n=8, topologies=(tt.ring(6),))
    with pytest.raises(ValueError, match="twice"):
        effective_neighbors_figure(n=8, topologies=(ring8, "ring"))
    a = covariance_figure(n=8, gammas={ring8: 0.9}).data["table"]
    b = covariance_figure(n=8, gammas={"ring": 0.9}).data["table"]
    assert a == b
    g = gap_bound_figure(n=8, graphs=(ring8, tt.infinite_ring()), quick=True).data["table"]
    h = gap_bound_figure(n=8, graphs=("ring", "infinite_ring"), quick=True).data["table"]
    assert g == h
    from topotheory.figures.fig3_theorem6 import theorem6_figure as t6

    assert t6(n=8, topologies=(ring8,), quick=True).data["best"] == t6(n=8, topologies=("ring",), quick=True).data["best"]


# ----------------------------------------------------------- output: manifest, atomic commit
def _fake_figure(name, value):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1))
    return FigureResult(fig, {"table": {"x": [value]}}, f"Value {value}.", {"v": value}, name)


def _snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_replace_refuses_a_folder_with_files_it_did_not_write(tmp_path):
    (tmp_path / "README.md").write_text("my own notes")
    with pytest.raises(FileExistsError, match=r"did not write \(README.md\)"):
        Staging(tmp_path, replace=True)
    assert _snapshot(tmp_path) == {"README.md": b"my own notes"}  # nothing written, no staging left
    assert [p.name for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.staging")] == []


def test_add_refuses_to_overwrite_a_file_it_did_not_write(tmp_path):
    (tmp_path / "line.png").write_text("a user's picture")
    with pytest.raises(FileExistsError, match="line.png, which topotheory did not write"):
        Staging(tmp_path, expected=["line.png"])
    with pytest.raises(FileExistsError, match="line.png"):  # also when the name is only known at commit
        with Staging(tmp_path) as stage:
            stage.add("line", _fake_figure("line", 1.0))
    assert _snapshot(tmp_path) == {"line.png": b"a user's picture"}


def test_replace_swaps_its_own_files_and_removes_stale_ones(tmp_path):
    out = tmp_path / "figs"
    export_figures({"a": _fake_figure("a", 1.0), "b": _fake_figure("b", 2.0)}, out, command="x")
    with Staging(out, replace=True) as stage:
        stage.add("a", _fake_figure("a", 3.0))
        stage.write_index("y")
    names = sorted(p.name for p in out.iterdir())
    assert names == [".topotheory-manifest", "README.md", "a.csv", "a.json", "a.pdf", "a.png"]
    assert (out / "a.csv").read_text() == "x\n3.0\n"
    assert tt.figures.export.read_manifest(out) == set(names) - {".topotheory-manifest"}
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_commit_into_an_existing_folder_restores_every_old_file(tmp_path, monkeypatch):
    from topotheory.figures import export

    out = tmp_path / "figs"
    export_figures({"a": _fake_figure("a", 1.0), "b": _fake_figure("b", 2.0)}, out, command="x")
    before = _snapshot(out)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 7:  # in the middle of the moves
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(export.os, "replace", flaky)
    with pytest.raises(OSError, match="No space"):
        with Staging(out, replace=True) as stage:
            stage.add("a", _fake_figure("a", 5.0))
            stage.add("b", _fake_figure("b", 6.0))
            stage.write_index("y")
    monkeypatch.setattr(export.os, "replace", real)
    assert _snapshot(out) == before
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_commit_killed_midway_is_rolled_back_by_the_next_run(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "figs"
    export_figures({"a": _fake_figure("a", 1.0), "b": _fake_figure("b", 2.0)}, out, command="x")
    before = _snapshot(out)
    script = (
        "import os, signal, sys\n"
        "from topotheory.figures import export\n"
        "from matplotlib.figure import Figure\n"
        "from topotheory.figures import FigureResult\n"
        "real, n = os.replace, [0]\n"
        "def killing(src, dst):\n"
        "    n[0] += 1\n"
        "    if n[0] == 6:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(src, dst)\n"
        "with export.Staging(sys.argv[1], replace=True) as stage:\n"
        "    for k in 'ab':\n"
        "        stage.add(k, FigureResult(Figure(figsize=(1, 1)), {'table': {'x': [9.0]}}, 'New.', {}, k))\n"
        "    stage.write_index('y')\n"
        "    export.os.replace = killing\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == -9, proc.stderr
    assert _snapshot(out) != before  # killed half-way: old and new files mixed
    assert tt.figures.export.clean_stale_staging(out) == 1
    assert _snapshot(out) == before
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stale_staging_of_a_dead_run_is_removed_and_a_live_one_kept(tmp_path):
    out = tmp_path / "figs"
    dead = tmp_path / ".figs.staging-dead"
    dead.mkdir()
    (dead / "half.pdf").write_bytes(b"")
    (dead / ".owner").write_text("999999999\n")  # no such process
    live = tmp_path / ".figs.staging-live"
    live.mkdir()
    (live / ".owner").write_text(f"{os.getppid()}\n")
    with Staging(out) as stage:
        (stage.path / "x.txt").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".figs.staging-live", "figs"]


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not bind root")
def test_unwritable_existing_folder_fails_before_anything_is_computed(tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(OSError, match="cannot write to output directory"):
            Staging(out)
    finally:
        out.chmod(0o755)
