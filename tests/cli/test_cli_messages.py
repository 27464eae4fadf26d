"""CLI messages and graph files through every command: one line, exit 2, plain numbers."""

import csv
import io
import json
import subprocess
import sys

import networkx as nx
import pytest

import topotheory as tt
from topotheory.cli import main
from topotheory.cli.common import one_line


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def karate(tmp_path):
    path = tmp_path / "karate.csv"
    nx.write_edgelist(nx.karate_club_graph(), path, data=False, delimiter=",")
    return path


def test_compare_reports_what_it_read(capsys, karate):
    code, out, err = run_cli(capsys, "compare", "--topologies", f"{karate},ring", "--gamma", "0", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and err == ""
    assert rows[0]["read"] == {"workers": 34, "edges": 78, "weighted": False, "format": "edgelist",
                               "weights": "metropolis"}
    assert rows[0]["n"] == 34 and rows[1]["n"] == 32 and "read" not in rows[1]
    G = nx.karate_club_graph()
    assert rows[0]["spectral_gap"] == pytest.approx(tt.spectral_gap(tt.Scheme.from_networkx(G)), rel=1e-10)


@pytest.mark.parametrize("command", [
    ["rate", "--zeta", "50", "--topology"],
    ["schedules", "--steps", "20", "--budget", "5", "--d", "3", "--topology"],
    ["crosscheck", "--reps", "20", "--steps", "20", "--d", "4", "--seed", "0", "--topology"],
])
def test_every_command_reads_files(capsys, karate, command):
    code, out, _ = run_cli(capsys, *command, str(karate), "--format", "json")
    assert code == 0
    d = json.loads(out)
    n = d.get("n") or d.get("parameters", {}).get("n")
    assert n == 34


def test_file_warnings_and_strict(capsys, tmp_path):
    path = tmp_path / "loops.edgelist"
    path.write_text("0 1\n1 1\n1 2\n")
    code, _, err = run_cli(capsys, "compare", "--topologies", str(path), "--gamma", "0")
    assert code == 0 and err.startswith("topotheory: warning:") and "dropped 1 self loop" in err
    code, _, err = run_cli(capsys, "compare", "--topologies", str(path), "--strict")
    assert code == 2 and "strict" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, match", [
    (["compare", "--topologies", "missing.edgelist"], "no such file: 'missing.edgelist'"),
    (["compare", "--topologies", "rign"], "did you mean 'ring'?"),
    (["compare", "--topologies", "ring:8,16"], "gives the size twice (8 and 16)"),
    (["compare", "--topologies", "torus:5x7", "--n", "32"], "has 35 workers but n = 32"),
    (["compare", "--topologies", "ring:foo=1"], "unknown parameter 'foo'; valid parameters: n, weights"),
    (["compare", "--metrics", "spectral_gapp"], "did you mean 'spectral_gap'?"),
    (["rate", "--topology", "ring", "--zeta", "50", "--lrr", "0.1"], "did you mean --lr?"),
    (["compare", "--n", "abc"], "invalid int value"),
])
def test_errors_are_one_line_exit_2(capsys, args, match):
    with pytest.raises(SystemExit) if match in ("did you mean --lr?", "invalid int value") else nullcontext():
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and match in err and len(err.strip().splitlines()) == 1
    if match in ("did you mean --lr?", "invalid int value"):
        err = capsys.readouterr().err
        assert match in err and len(err.strip().splitlines()) == 1
        assert err.startswith(f"topotheory {args[0]}: error:") and f"see topotheory {args[0]} --help" in err


class nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_unknown_command_suggests():
    res = subprocess.run([sys.executable, "-m", "topotheory", "compar"], capture_output=True, text=True)
    assert res.returncode == 2 and "did you mean 'compare'?" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_builtin_name_is_not_replaced_by_a_file(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ring").write_text("0 1\n")
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring", "--n", "8", "--format", "json")
    assert code == 0 and json.loads(out)[0]["n"] == 8


def test_compare_default_skips_undefined_topologies(capsys):
    code, out, err = run_cli(capsys, "compare", "--n", "16", "--gamma", "0.5", "--format", "json")
    names = [r["topology"] for r in json.loads(out)]
    assert code == 0 and "social_network" not in names and "ring" in names and "hypercube" in names
    assert "skipped at n = 16: social_network" in err


def test_topologies_listing_introspects_the_registry(capsys):
    code, out, _ = run_cli(capsys, "topologies", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == set(tt.TOPOLOGIES)
    assert rows["random_regular"]["parameters"] == "n, degree=3, seed=0, weights='metropolis'"
    assert "32 workers" in rows["social_network"]["description"]
    code, out2, _ = run_cli(capsys, "compare", "--topologies", "list", "--format", "json")
    assert json.loads(out2) == list(rows.values())


def test_rate_csv_keeps_the_optimum_summary(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "ring", "--n", "8", "--zeta", "10", "--lr", "0.1",
                           "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    opt = tt.optimal_learning_rate(tt.ring(8), zeta=10)
    best = next(r for r in rows if r["point"] == "optimal")
    assert float(best["gamma"]) == pytest.approx(opt.gamma, rel=1e-12)
    assert float(best["effective_neighbors"]) == pytest.approx(opt.effective_neighbors, rel=1e-12)
    assert float(best["max_learning_rate"]) == pytest.approx(opt.max_lr, rel=1e-12)


def test_crosscheck_says_when_the_regime_is_not_reached(capsys):
    code, _, err = run_cli(capsys, "crosscheck", "--topology", "ring", "--n", "32", "--lr", "0.05", "--d", "48",
                           "--reps", "20", "--steps", "100", "--seed", "0")
    assert code == 0 and "asymptotic regime is not reached" in err
    steps = int(err.split("--steps ")[1].split()[0])
    curve = tt.loss_curve(tt.ring(32), lr=0.05, zeta=50, steps=steps)
    h = steps // 2
    fitted = 1 - (curve[steps] / curve[h]) ** (1 / (steps - h))
    assert fitted == pytest.approx(tt.quadratic_rate(tt.ring(32), lr=0.05, zeta=50), rel=0.01)
    code, _, err = run_cli(capsys, "crosscheck", "--topology", "ring", "--n", "32", "--lr", "0.05", "--d", "48",
                           "--reps", "20", "--steps", str(steps), "--seed", "0")
    assert "asymptotic regime" not in err


def test_broken_pipe_ends_quietly():
    cmd = (f"{sys.executable} -m topotheory compare --topologies ring,star,torus,chain,solo --format csv"
           " | head -1")
    res = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("topology,n") and res.stderr == ""


def test_one_line_plain_numbers():
    import numpy as np

    assert one_line(f"got {np.float64(0.0)!r} and {[float('inf')]}") == "got 0.0 and inf"
