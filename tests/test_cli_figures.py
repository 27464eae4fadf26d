"""The ``figure`` and ``reproduce`` commands: files written, index, one-line errors, nothing half-written."""

import json

import pytest

from topotheory.cli import main
from topotheory.figures import FIGURES


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_figure_writes_png_pdf_csv_json(tmp_path, capsys):
    out = tmp_path / "fig"
    code, stdout, err = run_cli(capsys, "figure", "6", "--out", str(out), "--param", "gamma=0.9")
    assert code == 0 and "fig6_orderings" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        ".topotheory-manifest", "fig6_orderings.csv", "fig6_orderings.json", "fig6_orderings.pdf", "fig6_orderings.png"]
    doc = json.loads((out / "fig6_orderings.json").read_text())
    assert doc["params"]["gamma"] == 0.9 and doc["id"] == "fig6_orderings"
    assert err == ""  # no progress bar when stderr is not a terminal


def test_figure_param_lists_and_errors(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "figure", "2", "--out", str(tmp_path / "a"), "--quick",
                         "--param", "topologies=ring,star", "--param", "n=8")
    doc = json.loads((tmp_path / "a" / "fig2_effective_neighbors.json").read_text())
    assert code == 0 and doc["params"]["topologies"] == ["ring", "star"] and doc["params"]["n"] == 8
    code, _, err = run_cli(capsys, "figure", "2", "--out", str(tmp_path / "b"), "--param", "bogus=1")
    assert code == 2 and "unknown parameter 'bogus'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "figure", "2", "--out", str(tmp_path / "b"), "--param", "n")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = run_cli(capsys, "figure", "2", "--out", str(tmp_path / "b"), "--param", "topologies=donut")
    assert code == 2 and "unknown topology 'donut'" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # nothing half-written for b


def test_unknown_figure_id_is_one_line_exit_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "figure", "42", "--out", str(tmp_path / "x"))
    assert code == 2 and err.startswith("topotheory: error: unknown figure '42'")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "reproduce", "--out", str(tmp_path / "y"), "--figures", "2,42")
    assert code == 2 and "unknown figure '42'" in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_out_is_one_line_exit_2(tmp_path, capsys):
    afile = tmp_path / "file"
    afile.write_text("")
    for args in (("figure", "6", "--out", str(afile)), ("reproduce", "--out", str(afile / "sub"), "--quick")):
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and "topotheory: error:" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_figure_list_and_missing_id(capsys):
    code, out, _ = run_cli(capsys, "figure", "--list")
    assert code == 0 and [line.split()[0] for line in out.strip().splitlines()] == list(FIGURES)
    code, _, err = run_cli(capsys, "figure")
    assert code == 2 and "figure id is required" in err


def test_reproduce_quick_writes_figures_and_index(tmp_path, capsys):
    # Every figure function is exercised in test_figures (and by its owner's tests); here the
    # command end to end on a few cheap ones (rendering PNG + PDF dominates the cost).
    out = tmp_path / "figures"
    ids = ["2", "6", "ring_size"]  # short names are accepted; the files and index use the ids
    full = ["fig2_effective_neighbors", "fig6_orderings", "ring_size"]
    code, stdout, err = run_cli(capsys, "reproduce", "--out", str(out), "--quick", "--figures", ",".join(ids))
    assert code == 0 and f"{len(ids)} figures written" in stdout
    lines = err.strip().splitlines()  # one progress line per figure when stderr is not a terminal
    assert [line.split()[:3] for line in lines] == [["reproduce:", f"{k}/3", fid] for k, fid in enumerate(full, 1)]
    index = (out / "README.md").read_text()
    assert f"`topotheory reproduce --out {out}/ --quick --figures {','.join(full)}`" in index
    ids = full
    for fid in ids:
        assert f"topotheory figure {fid}`" in index
    jsons = sorted(out.glob("*.json"))
    assert len(jsons) == len(ids) and len(sorted(out.glob("*.png"))) == len(ids)
    assert len(sorted(out.glob("*.pdf"))) == len(ids)
    docs = [json.loads(p.read_text()) for p in jsons]
    assert {d["id"] for d in docs} == set(ids)
    for d in docs:  # the JSON carries the parameters the index lists
        assert f"## {d['name']}" in index and all(f"- `{k}` = " in index for k in d["params"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging dir left


def test_help_shows_examples(capsys):
    for cmd in ("figure", "reproduce"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = capsys.readouterr().out
        assert "examples:" in out and f"topotheory {cmd}" in out


def test_committed_figures_directory_indexes_every_registered_figure():
    """figures/ at the repository top is `topotheory reproduce` output: regenerate it when the registry changes."""
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent / "figures"
    index = (top / "README.md").read_text()
    assert "Generated by `topotheory reproduce --out figures/`" in index
    for fid in FIGURES:
        assert f"topotheory figure {fid}`" in index, fid
    for doc in top.glob("*.json"):
        d = json.loads(doc.read_text())
        assert d["id"] in FIGURES
        assert (top / f"{d['name']}.png").exists() and (top / f"{d['name']}.pdf").exists()
    assert len(list(top.glob("*.json"))) == len(FIGURES)
