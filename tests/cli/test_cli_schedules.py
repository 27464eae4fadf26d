import csv
import io
import json

import numpy as np
import pytest

import topotheory as tt
from topotheory.cli import main

SMALL = ["--n", "6", "--d", "4", "--budget", "20", "--steps", "120", "--lr", "0.2", "--seed", "1"]


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_and_values_match_the_api(capsys):
    code, out, _ = run_cli(capsys, "schedules", *SMALL, "--hessian-spread", "1.0", "--topology", "ring",
                           "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data["placements"]) == ["early", "uniform", "late", "final", "none", "every"]
    for entry in data["placements"].values():
        assert {"merged_loss", "local_loss", "consensus_distance"} <= set(entry)
    params = data["parameters"]
    assert params["n"] == 6 and params["budget"] == 20 and params["topology"] == "ring"
    p = tt.random_quadratic(6, 4, optima_spread=1.0, hessian_spread=1.0, noise=1.0, seed=1)
    for pl, entry in data["placements"].items():
        ref = tt.propagate(p, tt.placement_schedule(tt.ring(6), 120, pl, budget=20), lr=0.2, steps=120).final()
        for key in ("merged_loss", "local_loss", "consensus_distance"):
            assert entry[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15)
    pl = data["placements"]
    assert pl["late"]["merged_loss"] < pl["uniform"]["merged_loss"] < pl["early"]["merged_loss"]
    assert pl["final"]["local_loss"] == pytest.approx(pl["final"]["merged_loss"])


def test_identical_hessians_same_merged_loss_for_every_placement(capsys):
    code, out, _ = run_cli(capsys, "schedules", *SMALL, "--hessian-spread", "0", "--format", "json")
    assert code == 0
    merged = [v["merged_loss"] for v in json.loads(out)["placements"].values()]
    np.testing.assert_allclose(merged, merged[0], rtol=1e-10)


def test_table_and_csv(capsys):
    code, out, _ = run_cli(capsys, "schedules", *SMALL)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["placement", "merged_loss", "local_loss", "consensus_distance"]
    assert len(lines) == 2 + 6
    code, out, _ = run_cli(capsys, "schedules", *SMALL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["placement"] for r in rows] == ["early", "uniform", "late", "final", "none", "every"]
    assert float(rows[2]["merged_loss"]) > 0


@pytest.mark.parametrize(
    "args, match",
    [
        (["--budget", "300", "--steps", "100"], "must not exceed --steps"),
        (["--budget", "-1"], "--budget must be >= 0"),
        (["--hessian-spread", "2"], "hessian_spread"),
        (["--topology", "moebius"], "unknown topology"),
        (["--topology", "torus:2x2"], "has 4 workers"),
        (["--lr", "0"], "lr"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, match):
    code, out, err = run_cli(capsys, "schedules", "--n", "6", "--d", "3", "--steps", "50", "--budget", "5", *args)
    assert code == 2 and out == ""
    assert match in err and err.count("\n") == 1
