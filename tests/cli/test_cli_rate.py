"""Tests of ``topotheory rate``: outputs agree with the public API; user errors exit with code 2."""

import csv
import io
import json
import subprocess
import sys

import pytest

import topotheory as tt
from topotheory.cli import main


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rate_json_matches_api(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "ring", "--n", "32", "--zeta", "50",
                           "--lr", "0.01,0.05,0.5", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["topology"], data["n"], data["zeta"], data["method"]) == ("ring", 32, 50.0, "exact")
    given = [r for r in data["rates"] if r["point"] == "given"]
    expected = tt.quadratic_rate(tt.ring(32), lr=[0.01, 0.05, 0.5], zeta=50)
    assert [r["lr"] for r in given] == [0.01, 0.05, 0.5]
    assert given[0]["rate"] == pytest.approx(expected[0], rel=1e-14)
    assert given[1]["rate"] == pytest.approx(expected[1], rel=1e-14)
    assert given[2]["rate"] is None and given[2]["diverged"] is True  # NaN -> null in JSON
    opt = tt.optimal_learning_rate(tt.ring(32), zeta=50)
    s = data["summary"]
    assert s["optimal_learning_rate"] == pytest.approx(opt.lr, rel=1e-12)
    assert s["optimal_rate"] == pytest.approx(opt.rate, rel=1e-12)
    assert s["max_learning_rate"] == pytest.approx(tt.max_learning_rate(tt.ring(32), zeta=50), rel=1e-12)
    assert s["alone_optimal_learning_rate"] == pytest.approx(1 / 50)
    assert s["fully_connected_optimal_learning_rate"] == pytest.approx(32 / 81)


def test_rate_table_and_csv_with_d(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "torus:4x8", "--d", "48", "--lr", "0.02")
    assert code == 0
    assert "optimal" in out and "stability_edge" in out and "n_equivalent" in out
    code, out, _ = run_cli(capsys, "rate", "--topology", "star", "--n", "8", "--d", "8", "--batch-size", "2",
                           "--lr", "0.02,0.1", "--method", "fixed_point", "--mode", "mean", "--format", "csv",
                           "--no-optimum")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["point"] for r in rows] == ["given", "given"]
    z = tt.zeta(8, batch_size=2)
    expected = tt.quadratic_rate(tt.star(8), lr=0.02, zeta=z, method="fixed_point", mode="mean")
    assert float(rows[0]["rate"]) == pytest.approx(expected, rel=1e-12)


def test_rate_infinite_ring(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "infinite_ring", "--zeta", "50", "--lr", "0.05",
                           "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["n"] is None and data["summary"]["fully_connected_optimal_learning_rate"] is None
    assert data["rates"][0]["rate"] == pytest.approx(tt.quadratic_rate(tt.infinite_ring(), lr=0.05, zeta=50))


@pytest.mark.parametrize("args, match", [
    (["--topology", "ring", "--lr", "0.1"], "noise level is required"),
    (["--topology", "ring", "--zeta", "50", "--d", "4", "--lr", "0.1"], "either --zeta or --d"),
    (["--topology", "ring", "--zeta", "0.5", "--lr", "0.1"], "--zeta must be >= 1"),
    (["--topology", "ring", "--zeta", "50", "--lr", "0.1,-1"], "--lr values must be > 0"),
    (["--topology", "ring", "--zeta", "50", "--lr", "fast"], "--lr must be a comma-separated list"),
    (["--topology", "ring", "--zeta", "50", "--lr", "0.1", "--n", "0"], "--n must be a positive integer"),
    (["--topology", "star", "--zeta", "50", "--lr", "0.1", "--method", "secular"], "method='exact'"),
    (["--topology", "nonsense", "--zeta", "50"], "unknown topology"),
    (["--topology", "ring", "--zeta", "50", "--no-optimum"], "nothing to compute"),
])
def test_rate_user_errors(capsys, args, match):
    code, _, err = run_cli(capsys, "rate", *args)
    assert code == 2
    assert match in err and err.startswith("topotheory: error:") and len(err.strip().splitlines()) == 1


def test_rate_help_runs_as_a_program():
    out = subprocess.run([sys.executable, "-m", "topotheory", "rate", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--zeta" in out and "examples:" in out
