import json
import subprocess
import sys

import networkx as nx
import pytest

import topotheory as tt
from topotheory.cli import main


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compare_json_matches_api(capsys):
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring,star,torus:4x8", "--n", "32",
                           "--gamma", "0.9,0.99", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["topology"] for r in rows] == ["ring", "star", "torus:4x8"]
    assert set(rows[0]) == {"topology", "n", "spectral_gap", "effective_neighbors"}
    assert list(rows[0]["effective_neighbors"]) == ["0.9", "0.99"]
    assert rows[0]["effective_neighbors"]["0.99"] == pytest.approx(tt.effective_neighbors(tt.ring(32), 0.99))
    assert rows[2]["spectral_gap"] == pytest.approx(tt.spectral_gap(tt.torus(4, 8)))
    assert rows[1]["n"] == 32


def test_compare_default_table_lists_paper_topologies(capsys):
    code, out, _ = run_cli(capsys, "compare")
    assert code == 0
    for name in tt.PAPER_TOPOLOGIES:
        assert name in out


def test_compare_csv(capsys):
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring", "--format", "csv", "--gamma", "0.5")
    header, row = out.strip().splitlines()
    assert header == "topology,n,spectral_gap,effective_neighbors[0.5]"
    assert float(row.split(",")[-1]) == pytest.approx(tt.effective_neighbors(tt.ring(32), 0.5))


def test_compare_edgelist_file(tmp_path, capsys):
    path = tmp_path / "petersen.edgelist"
    nx.write_edgelist(nx.petersen_graph(), path, data=False)
    code, out, _ = run_cli(capsys, "compare", "--topologies", str(path), "--format", "json", "--gamma", "0")
    row = json.loads(out)[0]
    assert row["n"] == 10 and row["effective_neighbors"]["0"] == pytest.approx(4.0)


def test_compare_metrics_selection_and_list(capsys):
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring", "--metrics",
                           "spectral_gap_koloskova", "--format", "json")
    assert set(json.loads(out)[0]) == {"topology", "n", "spectral_gap_koloskova"}
    code, out, _ = run_cli(capsys, "compare", "--metrics", "list")
    assert "spectral_gap_lambda2" in out


@pytest.mark.parametrize(
    "args, match",
    [
        (["--topologies", "ring,banana"], "unknown topology 'banana'; valid names:"),
        (["--gamma", "1.5"], "--gamma values must lie in"),
        (["--gamma", "abc"], "--gamma must be a comma-separated list"),
        (["--n", "0"], "--n must be a positive integer"),
        (["--metrics", "nope"], "unknown metric 'nope'"),
        (["--topologies", "hypercube", "--n", "12"], "power of two"),
    ],
)
def test_compare_errors_are_one_line_exit_2(capsys, args, match):
    code, out, err = run_cli(capsys, "compare", *args)
    assert code == 2
    assert err.startswith("topotheory: error:") and match in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_console_script_and_module_entry_point():
    res = subprocess.run([sys.executable, "-m", "topotheory", "compare", "--topologies", "nope"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "valid names" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "topotheory", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "examples:" in res.stdout


def test_compare_literature_families_and_metrics(capsys):
    from topotheory.graphs.families import base_graph, random_regular
    from topotheory.metrics.functionals import s1_functional

    code, out, _ = run_cli(capsys, "compare", "--topologies", "base_graph:k=2,random_regular:degree=4", "--n", "12",
                           "--metrics", "s1,koloskova_p,finite_time_consensus", "--format", "json")
    a, b = json.loads(out)
    assert a["finite_time_consensus"] == 1.0 and a["koloskova_p"] == pytest.approx(1.0)
    assert a["s1"] == pytest.approx(s1_functional(base_graph(12, 2)))
    assert b["s1"] == pytest.approx(s1_functional(random_regular(12, 4, seed=0)))  # default seed 0
    assert b["finite_time_consensus"] == 0.0
