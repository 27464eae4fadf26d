"""The ``figure`` and ``reproduce`` commands: files written, index, one-line errors, nothing half-written."""

import json

import pytest

import topotheory as tt

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


def test_reproduce_out_dot_never_overwrites_the_users_readme(tmp_path, capsys, monkeypatch):
    (tmp_path / "README.md").write_text("# my project\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "reproduce", "--out", ".", "--figures", "6")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "holds files topotheory did not write (README.md)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "# my project\n"
    assert not [p for p in tmp_path.parent.iterdir() if ".staging-" in p.name]


def test_reproduce_into_an_empty_current_folder_and_again(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # the second run replaces its own files
        code, _, _ = run_cli(capsys, "reproduce", "--out", ".", "--figures", "fig6_orderings")
        assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".topotheory-manifest", "README.md"] + [f"fig6_orderings.{e}" for e in ("csv", "json", "pdf", "png")]
    assert "`topotheory reproduce --out ./ --figures fig6_orderings`" in (tmp_path / "README.md").read_text()


def test_reproduce_sigterm_leaves_nothing_behind(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "figs"
    proc = subprocess.Popen([sys.executable, "-m", "topotheory", "reproduce", "--out", str(out), "--figures",
                             "stepsize_phase_diagram"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".figs.staging-*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".figs.staging-*")), "the staging folder is created before computing"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def _committed():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "figures"


def test_committed_index_is_byte_for_byte_what_reproduce_writes():
    """The README's `topotheory reproduce` (default --out figures) writes exactly the committed index.

    The index is rebuilt from the committed JSON files with the command reproduce records for its
    default output folder; see also test_committed_data_is_what_the_code_computes.
    """
    from topotheory.cli.reproduce import recorded_command
    from topotheory.figures import FigureData
    from topotheory.figures.export import index_markdown, read_manifest

    top = _committed()
    assert recorded_command("figures") == recorded_command("figures/") == "topotheory reproduce --out figures/"
    entries = []
    for fid in FIGURES:
        doc = json.loads((top / f"{fid}.json").read_text())
        assert doc["id"] == fid == doc["name"]
        entries.append((fid, FigureData.from_document(doc)))
    assert index_markdown(entries, command=recorded_command("figures")) == (top / "README.md").read_text()
    files = {p.name for p in top.iterdir()} - {".topotheory-manifest"}
    assert read_manifest(top) == files  # reproduce may replace every committed file, and only those


def _assert_same_document(new, old, path="doc"):
    if isinstance(old, dict):
        assert isinstance(new, dict) and list(new) == list(old), path
        for k in old:
            _assert_same_document(new[k], old[k], f"{path}.{k}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), path
        for i, (a, b) in enumerate(zip(new, old)):
            _assert_same_document(a, b, f"{path}[{i}]")
    elif isinstance(old, float) and not isinstance(new, bool):
        # last-bit differences between BLAS builds are allowed, nothing more
        assert new == pytest.approx(old, rel=1e-9, abs=1e-300), path
    else:
        assert new == old, path


@pytest.mark.parametrize("fid", ["fig2_effective_neighbors", "fig5_covariance", "fig6_orderings",
                                 "spectral_gap_bound"])
def test_committed_data_is_what_the_code_computes(fid):
    """The committed data of the cheaper figures equal a fresh computation at the default parameters.

    The full check of every figure, by running `topotheory reproduce` into a temporary copy, takes
    about 2 minutes and runs with TOPOTHEORY_FULL_REPRODUCE=1 (test_full_reproduce_matches_committed).
    """
    from topotheory.common.jsonable import jsonable

    doc = json.loads((_committed() / f"{fid}.json").read_text())
    fresh = json.loads(json.dumps(jsonable(tt.figures.get_figure_module(fid).compute().document(fid))))
    _assert_same_document(fresh, doc)


@pytest.mark.skipif(not __import__("os").environ.get("TOPOTHEORY_FULL_REPRODUCE"),
                    reason="about 2 minutes; set TOPOTHEORY_FULL_REPRODUCE=1")
def test_full_reproduce_matches_committed(tmp_path, capsys, monkeypatch):
    """The README's first command, run into a copy of the committed folder, reproduces it."""
    import csv
    import shutil

    shutil.copytree(_committed(), tmp_path / "figures")
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(capsys, "reproduce")
    assert code == 0
    new, old = tmp_path / "figures", _committed()
    assert sorted(p.name for p in new.iterdir()) == sorted(p.name for p in old.iterdir())
    for name in ("README.md", ".topotheory-manifest"):
        assert (new / name).read_bytes() == (old / name).read_bytes(), name
    for fid in FIGURES:
        _assert_same_document(json.loads((new / f"{fid}.json").read_text()),
                              json.loads((old / f"{fid}.json").read_text()), fid)
        if (old / f"{fid}.csv").exists():
            rows = [list(csv.reader(open(p / f"{fid}.csv"))) for p in (new, old)]
            _assert_same_document(*[[[_num(v) for v in r] for r in rs] for rs in rows], path=fid)


def _num(text):
    try:
        return float(text)
    except ValueError:
        return text


def test_committed_figures_directory_indexes_every_registered_figure():
    """figures/ at the repository top is `topotheory reproduce` output: regenerate it when the registry changes."""
    from pathlib import Path

    top = Path(__file__).resolve().parents[2] / "figures"
    index = (top / "README.md").read_text()
    assert "Generated by `topotheory reproduce --out figures/`" in index
    for fid in FIGURES:
        assert f"topotheory figure {fid}`" in index, fid
    for doc in top.glob("*.json"):
        d = json.loads(doc.read_text())
        assert d["id"] in FIGURES
        assert (top / f"{d['name']}.png").exists() and (top / f"{d['name']}.pdf").exists()
    assert len(list(top.glob("*.json"))) == len(FIGURES)
