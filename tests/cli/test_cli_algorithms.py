"""Tests of ``topotheory algorithms`` and of the ``--algorithm`` options of ``rate`` and ``compare``."""

import json

import pytest

import topotheory as tt
from topotheory.cli import build_parser, main
from topotheory.cli.algorithms import hyperparameter_options


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_algorithm_of_the_registry(capsys):
    code, out, _ = run_cli(capsys, "algorithms", "--list")
    assert code == 0
    lines = out.splitlines()
    names = [line.split()[0] for line in lines[2:]]
    assert names == list(tt.ALGORITHMS)
    assert "momentum=0.9 ([0, 1))" in out and "delay=1 ([0, 1000])" in out
    code, out, _ = run_cli(capsys, "algorithms", "--list", "--rules")
    assert tt.ALGORITHMS["choco"].rule in out


def test_list_json_carries_defaults_allowed_values_and_options(capsys):
    code, out, _ = run_cli(capsys, "algorithms", "--format", "json")
    assert code == 0
    data = {a["name"]: a for a in json.loads(out)}
    assert list(data) == list(tt.ALGORITHMS)
    for name, alg in tt.ALGORITHMS.items():
        got = data[name]
        assert got["state"] == list(alg.state) and got["reference"] == alg.reference and got["rule"] == alg.rule
        assert [h["name"] for h in got["hyperparameters"]] == [h.name for h in alg.hyperparameters]
        for h, row in zip(alg.hyperparameters, got["hyperparameters"]):
            assert (row["default"], row["allowed"], row["kind"]) == (h.default, h.allowed, h.kind)
            assert row["option"] == "--" + h.name.replace("_", "-")


@pytest.mark.parametrize("command", ["rate", "compare"])
def test_every_hyperparameter_is_an_option(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[command]
    options = {s for a in sub._actions for s in a.option_strings}
    for alg in tt.ALGORITHMS.values():
        for h in alg.hyperparameters:
            assert "--" + h.name.replace("_", "-") in options, (command, h.name)
    assert set(hyperparameter_options()) == {h.name for a in tt.ALGORITHMS.values() for h in a.hyperparameters}
    algorithm = next(a for a in sub._actions if "--algorithm" in a.option_strings)
    assert tuple(algorithm.choices) == tuple(tt.ALGORITHMS) and algorithm.default == "dsgd"


@pytest.mark.parametrize("args, match", [
    (["--algorithm", "choco", "--momentum", "0.5"], "--momentum is not a hyper-parameter of --algorithm choco"),
    (["--algorithm", "dmsgd", "--momentum", "1.0"], "--momentum must lie in [0, 1), got 1.0"),
    (["--algorithm", "dmsgd", "--momentum", "fast"], "--momentum must be a real number in [0, 1), got 'fast'"),
    (["--algorithm", "delayed", "--delay", "-1"], "--delay must be >= 0, got -1"),
    (["--algorithm", "dmsgd", "--method", "fixed_point", "--lr", "0.01"], "D-SGD approximation"),
    (["--tune", "momentum"], "--tune needs an --algorithm"),
    (["--algorithm", "dmsgd", "--tune", "momentum", "--momentum", "0.5"], "contradict"),
])
def test_rate_algorithm_errors(capsys, args, match):
    code, _, err = run_cli(capsys, "rate", "--topology", "ring", "--n", "8", "--d", "10", *args)
    assert code == 2
    assert match in err and err.startswith("topotheory: error:") and len(err.strip().splitlines()) == 1


def test_unknown_algorithm_lists_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["rate", "--topology", "ring", "--zeta", "50", "--algorithm", "adam"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "invalid choice: 'adam'" in err and "'gradient_tracking'" in err


def test_compare_algorithm_needs_a_noise_level(capsys):
    code, _, err = run_cli(capsys, "compare", "--topologies", "ring", "--n", "8", "--algorithm", "dmsgd")
    assert code == 2 and "needs a noise level" in err


def test_rate_algorithm_matches_the_api(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "ring", "--n", "16", "--zeta", "50", "--algorithm", "dmsgd",
                           "--momentum", "0.5", "--lr", "0.01,0.05,2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["algorithm"], data["momentum"]) == ("dmsgd", 0.5)
    given = [r for r in data["rates"] if r["point"] == "given"]
    S = tt.ring(16)
    for r in given[:2]:
        assert r["rate"] == pytest.approx(tt.quadratic_rate(S, lr=r["lr"], zeta=50, algorithm="dmsgd", momentum=0.5),
                                          rel=1e-12)
    assert given[2]["rate"] is None and given[2]["diverged"] is True
    opt = tt.optimal_hyperparameters(S, zeta=50, algorithm="dmsgd", tune=("lr",), momentum=0.5)
    s = data["summary"]
    assert s["optimal_learning_rate"] == pytest.approx(opt.lr, rel=1e-12)
    assert s["optimal_rate"] == pytest.approx(opt.rate, rel=1e-12) and s["momentum"] == 0.5
    assert s["max_learning_rate"] == pytest.approx(tt.max_learning_rate(S, zeta=50, algorithm="dmsgd", momentum=0.5),
                                                   rel=1e-12)


def test_rate_tune_momentum(capsys):
    code, out, _ = run_cli(capsys, "rate", "--topology", "ring", "--n", "16", "--zeta", "50", "--algorithm", "dmsgd",
                           "--tune", "momentum", "--format", "json")
    assert code == 0
    s = json.loads(out)["summary"]
    opt = tt.optimal_hyperparameters(tt.ring(16), zeta=50, algorithm="dmsgd", tune=("lr", "momentum"))
    assert s["momentum"] == pytest.approx(opt.hyperparameters["momentum"], rel=1e-12)
    assert s["optimal_rate"] == pytest.approx(opt.rate, rel=1e-12)


def test_compare_algorithm_columns(capsys):
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring,torus:2x4", "--n", "8", "--zeta", "20",
                           "--algorithm", "gradient_tracking", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    for row, S in zip(rows, (tt.ring(8), tt.torus(2, 4))):
        assert row["algorithm"] == "gradient_tracking"
        opt = tt.optimal_hyperparameters(S, zeta=20, algorithm="gradient_tracking", tune=("lr",))
        assert row["optimal_rate"] == pytest.approx(opt.rate, rel=1e-12)
        assert row["optimal_learning_rate"] == pytest.approx(opt.lr, rel=1e-12)
        assert "spectral_gap" in row and "max_learning_rate" in row
    code, out, _ = run_cli(capsys, "compare", "--topologies", "ring", "--n", "8", "--zeta", "20", "--format", "json")
    assert "algorithm" not in json.loads(out)[0]  # today's table unchanged without --algorithm
