import csv
import io
import json

import pytest

import topotheory as tt
from topotheory.cli import main
from topotheory.crosscheck import crosscheck

SMALL = ["--n", "8", "--d", "10", "--reps", "60", "--steps", "40"]


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_report(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--topology", "ring", "--lr", "0.1", "--seed", "0", *SMALL)
    assert code == 0
    assert "ring (n=8, period 1)" in out and "60 replicas x 40 steps, seed 0" in out
    assert "agrees" in out


def test_json_matches_api(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--topology", "star", "--lr", "0.1", "--seed", "3",
                           "--format", "json", *SMALL)
    assert code == 0
    d = json.loads(out)
    rep = crosscheck(tt.star(8), lr=0.1, d=10, reps=60, steps=40, seed=3)
    assert d["mc_rate"] == rep.mc_rate and d["theory_rate"] == rep.theory_rate
    assert d["curves"]["monte_carlo"] == rep.mc_loss.tolist()
    assert (d["reps"], d["steps"], d["seed"]) == (60, 40, 3)


def test_sweep_csv_serial_equals_jobs(capsys):
    args = ["crosscheck", "--topology", "ring,one_peer_exponential", "--lr", "0.05,0.1", "--seed", "1",
            "--format", "csv", *SMALL]
    code, serial, _ = run_cli(capsys, *args)
    assert code == 0
    code, parallel, _ = run_cli(capsys, *args, "--jobs", "2")
    assert code == 0 and serial == parallel
    rows = list(csv.DictReader(io.StringIO(serial)))
    assert [(r["scheme"], float(r["lr"])) for r in rows] == [
        ("ring", 0.05), ("ring", 0.1), ("one_peer_exponential", 0.05), ("one_peer_exponential", 0.1)
    ]


def test_sweep_table_summary(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--topology", "ring", "--lr", "0.05,0.1", "--seed", "2", *SMALL)
    assert code == 0 and "2 cross-checks, seed 2" in out


def test_window_option(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--window", "10,30", "--seed", "0", "--format", "json", *SMALL)
    assert code == 0 and json.loads(out)["window"] == [10, 30]


def test_strict_exit_code_on_disagreement(capsys):
    # the fixed point with the worst worker's n_W misses the binary tree's rate (see test_crosscheck)
    args = ["crosscheck", "--topology", "binary_tree", "--n", "32", "--lr", "0.1", "--d", "48", "--reps", "60",
            "--steps", "100", "--seed", "0", "--method", "fixed_point", "--mode", "worst"]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "agrees      NO" in out
    code, _, _ = run_cli(capsys, *args, "--strict")
    assert code == 1


@pytest.mark.parametrize(
    "args, match",
    [
        (["--reps", "0"], "reps"),
        (["--steps", "0"], "steps"),
        (["--d", "0"], "d must"),
        (["--batch-size", "0"], "batch_size"),
        (["--lr", "nan"], "lr"),
        (["--lr", "x"], "--lr"),
        (["--n", "0"], "--n"),
        (["--jobs", "0"], "--jobs"),
        (["--window", "1"], "--window"),
        (["--topology", "nonsense"], "nonsense"),
    ],
)
def test_bad_input_exit_2(capsys, args, match):
    code, out, err = run_cli(capsys, "crosscheck", "--seed", "0", "--reps", "5", "--steps", "10", *args)
    assert code == 2 and out == ""
    assert err.startswith("topotheory: error:") and match in err and len(err.strip().splitlines()) == 1


def test_help_lists_the_example(capsys):
    with pytest.raises(SystemExit):
        main(["crosscheck", "--help"])
    assert "--reps 400 --steps 300 --seed 0" in capsys.readouterr().out


def test_algorithm_option_matches_the_api(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--topology", "ring", "--lr", "0.05", "--seed", "2",
                           "--algorithm", "dmsgd", "--momentum", "0.5", "--format", "json", *SMALL)
    assert code == 0
    d = json.loads(out)
    rep = crosscheck(tt.ring(8), lr=0.05, d=10, reps=60, steps=40, seed=2, algorithm="dmsgd", momentum=0.5)
    plain = crosscheck(tt.ring(8), lr=0.05, d=10, reps=60, steps=40, seed=2)
    assert (d["algorithm"], d["momentum"]) == ("dmsgd", 0.5)
    assert d["theory_rate"] == rep.theory_rate != plain.theory_rate
    assert d["curves"]["monte_carlo"] == rep.mc_loss.tolist()


def test_algorithm_option_sweep_and_bad_input(capsys):
    code, out, _ = run_cli(capsys, "crosscheck", "--topology", "ring,star", "--lr", "0.05", "--seed", "2",
                           "--algorithm", "dmsgd", "--momentum", "0.5", "--format", "csv", *SMALL)
    rows = list(csv.DictReader(io.StringIO(out)))
    grid = tt.crosscheck_grid([tt.ring(8), tt.star(8)], [0.05], d=10, reps=60, steps=40, seed=2,
                              algorithm="dmsgd", momentum=0.5, progress=False)
    assert code == 0 and [float(r["mc_rate"]) for r in rows] == [r.mc_rate for r in grid]
    assert {r["algorithm"] for r in rows} == {"dmsgd"}
    code, _, err = run_cli(capsys, "crosscheck", "--topology", "ring", "--lr", "0.05", "--momentum", "0.5", *SMALL)
    assert code == 2 and "--momentum is not a hyper-parameter of --algorithm dsgd" in err
    code, _, err = run_cli(capsys, "crosscheck", "--topology", "ring", "--lr", "0.05", "--algorithm", "dmsgd",
                           "--method", "fixed_point", *SMALL)
    assert code == 2 and "--method fixed_point" in err
