"""Sweeps that survive a cluster: the task seed rule, errors, light reports, streaming and resume,
per-worker schemes, the ``sweep`` command, and labelled per-worker results."""

import json
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import networkx as nx
import numpy as np
import pytest

import topotheory as tt
from topotheory.common.rng import spawn_seeds, task_seed
from topotheory.crosscheck import rates
from topotheory.crosscheck.rates import TaskError, crosscheck_grid, report_from_dict

KW = dict(d=6, reps=30, steps=20, n_boot=100)


def _fingerprint(grid):
    return [(r.mc_loss.tobytes(), r.exact_loss.tobytes(), r.ci, r.mc_rate, r.verdict) for r in grid]


# ------------------------------------------------------------------------------- task_seed
@pytest.mark.parametrize("root", [7, np.random.SeedSequence(11, spawn_key=(2,)), np.random.default_rng(5)])
def test_task_seed_is_the_kth_child_of_spawn_seeds(root):
    children = spawn_seeds(root, 6)
    for k in range(6):
        a, b = task_seed(root, k), children[k]
        assert a.generate_state(4).tolist() == b.generate_state(4).tolist()
    # the root is not advanced
    assert task_seed(root, 3).generate_state(2).tolist() == children[3].generate_state(2).tolist()


def test_task_seed_of_a_partly_spawned_sequence_is_the_next_child():
    ss = np.random.SeedSequence(3)
    ss.spawn(2)
    nxt = np.random.SeedSequence(3, n_children_spawned=2).spawn(1)[0]
    assert task_seed(ss, 0).spawn_key == nxt.spawn_key == (2,)
    assert ss.n_children_spawned == 2


def test_task_seed_bad_input():
    with pytest.raises(TypeError, match="root"):
        task_seed(None, 0)
    with pytest.raises((TypeError, ValueError), match="k"):
        task_seed(1, -1)
    with pytest.raises((TypeError, ValueError)):
        task_seed("x", 0)


def test_grid_task_k_equals_a_lone_crosscheck_with_task_seed():
    schemes, lrs = [tt.ring(6), tt.star(6)], [0.05, 0.1]
    grid = crosscheck_grid(schemes, lrs, seed=42, progress=False, **KW)
    for k, (s, lr) in enumerate([(s, lr) for s in schemes for lr in lrs]):
        lone = tt.crosscheck(s, lr=lr, seed=task_seed(42, k), **KW)
        assert lone.mc_loss.tobytes() == grid[k].mc_loss.tobytes() and lone.ci == grid[k].ci


def test_bit_identical_serial_threads_processes():
    schemes, lrs = [tt.ring(8), tt.torus(2, 4)], [0.05, 0.1]
    serial = crosscheck_grid(schemes, lrs, seed=9, progress=False, **KW)
    with ThreadPoolExecutor(2) as ex:
        threads = crosscheck_grid(schemes, lrs, seed=9, executor=ex, progress=False, **KW)
    with ProcessPoolExecutor(2) as ex:
        procs = crosscheck_grid(schemes, lrs, seed=9, executor=ex, progress=False, **KW)
    assert _fingerprint(serial) == _fingerprint(threads) == _fingerprint(procs)


# ---------------------------------------------------------------------------------- errors
class _Boom(Exception):
    pass


_real_crosscheck = rates.crosscheck


def _planted(scheme, *, lr, **kw):
    """crosscheck, except that lr == 0.07 raises (a planted failing task)."""
    if lr == 0.07:
        raise ValueError("planted failure")
    return _real_crosscheck(scheme, lr=lr, **kw)


def test_collect_keeps_finished_results_and_records_the_error(monkeypatch):
    monkeypatch.setattr(rates, "crosscheck", _planted)
    schemes, lrs = [tt.ring(6)], [0.05, 0.07, 0.1]
    grid = crosscheck_grid(schemes, lrs, seed=3, on_error="collect", progress=False, **KW)
    assert len(grid) == 3 and len(grid.errors) == 1
    err = grid[1]
    assert isinstance(err, TaskError) and err is grid.errors[0]
    assert (err.task, err.scheme, err.lr, err.type, err.message) == (1, "ring", 0.07, "ValueError", "planted failure")
    assert grid.verdicts[1] == "error" and not grid.agrees
    monkeypatch.setattr(rates, "crosscheck", _real_crosscheck)
    clean = crosscheck_grid(schemes, lrs, seed=3, progress=False, **KW)
    assert _fingerprint([grid[0], grid[2]]) == _fingerprint([clean[0], clean[2]])
    assert len(grid.rows()) == 2 and "planted failure" in str(grid) and "1 failed" in repr(grid)
    json.dumps(grid.to_dict())


def test_raise_names_the_task(monkeypatch):
    monkeypatch.setattr(rates, "crosscheck", _planted)
    with pytest.raises(ValueError, match=r"^planted failure \(in crosscheck_grid task 1: scheme 'ring', n=6, lr=0.07\)$"):
        crosscheck_grid([tt.ring(6)], [0.05, 0.07, 0.1], seed=3, progress=False, **KW)


class _RecordingExecutor:
    """Runs tasks on submit in order, but holds back futures after the failing one (pending)."""

    def __init__(self):
        from concurrent.futures import Future

        self.Future = Future
        self.futures = []

    def submit(self, fn, *args):
        f = self.Future()
        if any(f_.exception() is not None for f_ in self.futures if f_.done()):
            self.futures.append(f)  # left pending: cancel() must succeed on it
            return f
        try:
            f.set_result(fn(*args))
        except Exception as exc:
            f.set_exception(exc)
        self.futures.append(f)
        return f


def test_raise_cancels_pending_tasks(monkeypatch):
    monkeypatch.setattr(rates, "crosscheck", _planted)
    ex = _RecordingExecutor()
    with pytest.raises(ValueError, match="task 1"):
        crosscheck_grid([tt.ring(6)], [0.05, 0.07, 0.1, 0.12], seed=3, executor=ex, progress=False, **KW)
    assert [f.cancelled() for f in ex.futures] == [False, False, True, True]


def test_on_error_bad_input():
    with pytest.raises(ValueError, match=r"lrs must lie in \(0, inf\], got -1.0"):
        crosscheck_grid(tt.ring(4), [0.1, -1.0], seed=0, **KW)
    with pytest.raises(ValueError, match="lrs must be finite"):
        crosscheck_grid(tt.ring(4), [float("nan")], seed=0, **KW)
    with pytest.raises(ValueError, match="lrs must have at least 1"):
        crosscheck_grid(tt.ring(4), [], seed=0, **KW)
    with pytest.raises(TypeError, match="lrs must be"):
        crosscheck_grid(tt.ring(4), [[0.1], [0.1, 0.2]], seed=0, **KW)
    with pytest.raises(TypeError, match="executor"):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, executor="x", **KW)
    with pytest.raises(TypeError, match="out"):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, out=["x"], **KW)
    with pytest.raises(ValueError, match="on_error"):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, on_error="ignore", **KW)
    with pytest.raises(TypeError, match="keep_replicas"):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, keep_replicas="yes", **KW)
    with pytest.raises(ValueError, match="out="):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, resume=True, **KW)
    with pytest.raises(ValueError, match="seed"):
        crosscheck_grid(tt.ring(4), [0.1], resume=True, out="x.jsonl", **KW)


# ---------------------------------------------------------------------------- light reports
def test_light_reports_are_small_and_keep_replicas_keeps_them():
    # the CLI defaults: 400 replicas x 300 steps
    kw = dict(d=8, reps=400, steps=300, n_boot=50, seed=1, progress=False)
    heavy = crosscheck_grid(tt.ring(8), [0.05], keep_replicas=True, **kw)[0]
    light = crosscheck_grid(tt.ring(8), [0.05], **kw)[0]
    assert heavy.simulation.replica_loss.shape == (400, 301) and light.simulation.replica_loss is None
    assert light.mc_loss.tobytes() == heavy.mc_loss.tobytes() and light.ci == heavy.ci
    size_heavy, size_light = len(pickle.dumps(heavy)), len(pickle.dumps(light))
    assert size_heavy > 400 * 301 * 8
    assert size_light < 50e6 / 1000  # 1000 light reports under 50 MB
    assert size_light < size_heavy / 10


# ------------------------------------------------------------------------ streaming, resume
def test_out_writes_one_line_per_task_and_rebuilds_the_reports(tmp_path):
    out = tmp_path / "r.jsonl"
    schemes, lrs = [tt.ring(6), tt.star(6)], [0.05, 0.1]
    grid = crosscheck_grid(schemes, lrs, seed=4, out=out, progress=False, **KW)
    lines = [json.loads(t) for t in out.read_text().splitlines()]
    assert sorted(r["task"] for r in lines) == [0, 1, 2, 3]
    for rec in lines:
        k = rec["task"]
        assert rec["task_seed"] == {"entropy": 4, "spawn_key": [k]}
        assert (rec["scheme"], rec["lr"]) == (grid[k].scheme, grid[k].lr)
        back = report_from_dict(rec)
        assert back.to_dict() == grid[k].to_dict()
        assert back.mc_loss.tobytes() == grid[k].mc_loss.tobytes()
        assert back.simulation.loss_sem.tobytes() == grid[k].simulation.loss_sem.tobytes()
        assert str(back) == str(grid[k])


def test_resume_after_interruption_gives_the_uninterrupted_results(tmp_path, monkeypatch):
    schemes, lrs = [tt.ring(6), tt.star(6)], [0.05, 0.07, 0.1]
    clean = crosscheck_grid(schemes, lrs, seed=8, out=tmp_path / "clean.jsonl", progress=False, **KW)
    out = tmp_path / "r.jsonl"
    monkeypatch.setattr(rates, "crosscheck", _planted)  # tasks 1 and 4 (lr 0.07) fail
    with pytest.raises(ValueError, match="task 1"):
        crosscheck_grid(schemes, lrs, seed=8, out=out, progress=False, **KW)
    assert [json.loads(t)["task"] for t in out.read_text().splitlines()] == [0]
    monkeypatch.setattr(rates, "crosscheck", _real_crosscheck)
    calls = []

    def counting(scheme, *, lr, **kw):
        calls.append(lr)
        return _real_crosscheck(scheme, lr=lr, **kw)

    monkeypatch.setattr(rates, "crosscheck", counting)
    resumed = crosscheck_grid(schemes, lrs, seed=8, out=out, resume=True, progress=False, **KW)
    assert resumed.resumed == (0,) and len(calls) == 5
    assert resumed.to_dict()["reports"] == clean.to_dict()["reports"]
    assert _fingerprint(resumed) == _fingerprint(clean)
    def by_task(path):  # every line, in task order, without the wall-clock time
        recs = sorted((json.loads(t) for t in path.read_text().splitlines()), key=lambda r: r["task"])
        for r in recs:
            r["simulation"].pop("elapsed")
        return recs

    assert by_task(out) == by_task(tmp_path / "clean.jsonl")
    # resuming a complete file runs nothing
    calls.clear()
    again = crosscheck_grid(schemes, lrs, seed=8, out=out, resume=True, progress=False, **KW)
    assert calls == [] and again.resumed == tuple(range(6))
    # a file of another sweep is refused
    with pytest.raises(ValueError, match="different sweep"):
        crosscheck_grid(schemes, lrs, seed=9, out=out, resume=True, progress=False, **KW)


# ---------------------------------------------------------------------- per-worker schemes
def test_worker_memo_keeps_one_scheme_per_content(monkeypatch):
    monkeypatch.setattr(rates, "_WORKER_SCHEMES", {})
    s = tt.ring(10)
    tt.effective_neighbors(s, 0.5)  # fill the caches
    shipped = pickle.loads(pickle.dumps(s))
    assert shipped._cache == {} and rates.scheme_key(shipped) == rates.scheme_key(s)
    assert rates.scheme_key(tt.ring(10)) != rates.scheme_key(tt.ring(11))
    key = rates.scheme_key(s)
    first = rates._worker_scheme(key, shipped)
    second = rates._worker_scheme(key, pickle.loads(pickle.dumps(s)))
    assert first is shipped and second is shipped


# ------------------------------------------------------------------------------ labelled n_W
def _dense_nw(W, gamma):
    """Per-worker n_W from the Lyapunov equation Sigma = gamma W Sigma W^T + W W^T (dense, vec)."""
    n = W.shape[0]
    A = np.eye(n * n) - gamma * np.kron(W, W)
    S = np.linalg.solve(A, (W @ W.T).ravel()).reshape(n, n)
    return 1.0 / ((1.0 - gamma) * np.diag(S))


def test_labelled_effective_neighbors_follow_the_graph_node_names():
    G = nx.Graph([("hub", "x"), ("hub", "y"), ("hub", "z"), ("z", "tail")])
    scheme = tt.as_scheme(G)
    W = scheme.matrix(0)
    W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
    expect = dict(zip(list(G.nodes), _dense_nw(W, 0.8)))
    got = tt.effective_neighbors(G, 0.8, mode="all", labelled=True)
    assert list(got) == list(G.nodes)
    for lab in G.nodes:
        assert got[lab] == pytest.approx(expect[lab], rel=1e-12)
    assert got["hub"] != pytest.approx(got["tail"])
    # arrays of gamma: one array per label
    arr = tt.effective_neighbors(G, [0.5, 0.8], mode="all", labelled=True)
    assert arr["tail"].shape == (2,) and arr["tail"][1] == pytest.approx(expect["tail"], rel=1e-12)
    # no labels: worker indices
    plain = tt.effective_neighbors(tt.ring(5), 0.5, mode="all", labelled=True)
    assert list(plain) == [0, 1, 2, 3, 4] and plain[0] == pytest.approx(float(tt.effective_neighbors(tt.ring(5), 0.5)))


def test_labelled_bad_input():
    with pytest.raises(ValueError, match="mode='all'"):
        tt.effective_neighbors(tt.ring(5), 0.5, labelled=True)
    with pytest.raises(TypeError, match="labelled"):
        tt.effective_neighbors(tt.ring(5), 0.5, mode="all", labelled="yes")


# ------------------------------------------------------------------------- the sweep command
def _config(tmp_path, **over):
    cfg = dict(topologies=["ring", "star"], lrs=[0.05, 0.1], n=6, d=6, reps=30, steps=20, seed=5, n_boot=100)
    cfg.update(over)
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(cfg))
    return path


def _lines(path):
    recs = sorted((json.loads(t) for t in path.read_text().splitlines()), key=lambda r: r["task"])
    for r in recs:
        r["simulation"].pop("elapsed")  # wall-clock time
    return recs


def test_sweep_command_serial_and_processes_agree_with_the_api(tmp_path, capsys):
    from topotheory.cli import main

    cfg = _config(tmp_path)
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "s.jsonl"), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert main(["sweep", str(cfg), "--executor", "processes", "--workers", "2", "--out", str(tmp_path / "p.jsonl")]) == 0
    assert "4 cross-checks, seed 5" in capsys.readouterr().out
    assert _lines(tmp_path / "s.jsonl") == _lines(tmp_path / "p.jsonl")
    api = crosscheck_grid([tt.ring(6), tt.star(6)], [0.05, 0.1], d=6, reps=30, steps=20, seed=5, n_boot=100,
                          progress=False)
    assert [r["mc_rate"] for r in summary["rows"]] == [r.mc_rate for r in api]
    assert [r["mc_rate"] for r in _lines(tmp_path / "s.jsonl")] == [r.mc_rate for r in api]
    # resume: nothing left to run
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "s.jsonl"), "--resume"]) == 0
    assert "4 read back" in capsys.readouterr().out


@pytest.mark.parametrize("over, message", [
    (dict(seed=None), "seed"),
    (dict(lrs=[]), "lrs"),
    (dict(topologies="ring"), "topologies"),
    (dict(reps=2.5), "reps"),
    (dict(colour="red"), "unknown keys colour"),
])
def test_sweep_command_refuses_bad_configs(tmp_path, capsys, over, message):
    from topotheory.cli import main

    assert main(["sweep", str(_config(tmp_path, **over))]) == 2
    assert message in capsys.readouterr().err


def test_sweep_command_bad_options(tmp_path, capsys):
    from topotheory.cli import main

    cfg = _config(tmp_path)
    assert main(["sweep", str(cfg), "--executor", "mpi"]) == 2
    assert "--executor must be one of" in capsys.readouterr().err
    assert main(["sweep", str(cfg), "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    bad = tmp_path / "sweep.yaml"
    bad.write_text("x")
    assert main(["sweep", str(bad)]) == 2
    assert ".json or .toml" in capsys.readouterr().err


def test_sweep_command_reads_toml(tmp_path, capsys):
    pytest.importorskip("tomllib", reason="TOML configs need Python >= 3.11 (tomllib)")
    from topotheory.cli import main

    path = tmp_path / "sweep.toml"
    path.write_text('topologies = ["ring"]\nlrs = [0.05]\nn = 6\nd = 6\nreps = 30\nsteps = 20\nseed = 5\nn_boot = 100\n')
    assert main(["sweep", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    api = crosscheck_grid(tt.ring(6), [0.05], d=6, reps=30, steps=20, seed=5, n_boot=100, progress=False)
    assert out[0].startswith("scheme,") and float(out[1].split(",")[out[0].split(",").index("mc_rate")]) == api[0].mc_rate


# --------------------------------------------------------------------------------- Dask
def test_dask_local_cluster_is_bit_identical_to_serial(tmp_path, capsys):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install '.[dist]')")
    from topotheory.cli import main

    schemes, lrs = [tt.ring(8), tt.star(8)], [0.05, 0.1]
    kw = dict(d=6, reps=30, steps=20, seed=5, n_boot=100, progress=False)
    serial = crosscheck_grid(schemes, lrs, **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = crosscheck_grid(schemes, lrs, executor=client.get_executor(), **kw)
        cfg = _config(tmp_path, n=8)
        assert main(["sweep", str(cfg), "--executor", f"dask://{cluster.scheduler_address}",
                     "--out", str(tmp_path / "d.jsonl")]) == 0
    assert _fingerprint(remote) == _fingerprint(serial)
    assert [r["mc_rate"] for r in _lines(tmp_path / "d.jsonl")] == [r.mc_rate for r in serial]
    assert "4 cross-checks" in capsys.readouterr().out


def test_sweep_command_chunks_change_nothing(tmp_path, capsys):
    from topotheory.cli import main

    cfg = _config(tmp_path)
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "s.jsonl")]) == 0
    assert main(["sweep", str(cfg), "--executor", "threads", "--workers", "2", "--chunksize", "3",
                 "--out", str(tmp_path / "c.jsonl")]) == 0
    capsys.readouterr()
    assert _lines(tmp_path / "s.jsonl") == _lines(tmp_path / "c.jsonl")
    assert main(["sweep", str(cfg), "--chunksize", "0"]) == 2
    assert "--chunksize" in capsys.readouterr().err


def test_grid_chunks_keep_results_errors_and_order(monkeypatch):
    schemes, lrs = [tt.ring(6), tt.star(6)], [0.05, 0.1, 0.2]
    serial = crosscheck_grid(schemes, lrs, seed=11, progress=False, **KW)
    with ThreadPoolExecutor(2) as ex:
        chunked = crosscheck_grid(schemes, lrs, seed=11, executor=ex, chunksize=4, progress=False, **KW)
    assert _fingerprint(chunked) == _fingerprint(serial)
    monkeypatch.setattr(rates, "crosscheck", _planted)
    with ThreadPoolExecutor(2) as ex:
        grid = crosscheck_grid([tt.ring(6)], [0.05, 0.07, 0.1], seed=3, executor=ex, chunksize=2,
                               on_error="collect", progress=False, **KW)
    assert grid.verdicts[1] == "error" and [e.task for e in grid.errors] == [1]
    with pytest.raises(ValueError, match="chunksize"):
        crosscheck_grid(tt.ring(4), [0.1], seed=0, chunksize=0, **KW)
