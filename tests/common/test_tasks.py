"""map_tasks and the sweeps built on it: task order, errors, and bit-identity serial vs executors."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import topotheory as tt
from topotheory.common.rng import as_generator
from topotheory.common.tasks import TaskFailure, map_tasks


def _square_or_fail(x):
    if x == 3:
        raise ValueError("planted failure at 3")
    return x * x


def _draw(seed):
    return as_generator(seed).standard_normal(4)


def test_results_are_in_task_order_with_every_executor():
    tasks = [(k,) for k in range(8) if k != 3]
    want = [k * k for k in range(8) if k != 3]
    assert map_tasks(_square_or_fail, tasks, progress=False) == want
    with ThreadPoolExecutor(3) as ex:
        assert map_tasks(_square_or_fail, tasks, executor=ex, progress=False) == want
    with ProcessPoolExecutor(2) as ex:
        assert map_tasks(_square_or_fail, tasks, executor=ex, progress=False) == want


def test_seeded_tasks_are_bit_identical_serial_and_processes():
    seeds = [(tt.task_seed(5, k),) for k in range(6)]
    serial = map_tasks(_draw, seeds, progress=False)
    with ProcessPoolExecutor(2) as ex:
        procs = map_tasks(_draw, seeds, executor=ex, progress=False)
    assert [a.tobytes() for a in serial] == [b.tobytes() for b in procs]
    assert len({a.tobytes() for a in serial}) == 6   # the tasks' streams differ


@pytest.mark.parametrize("threads", [False, True])
def test_raise_names_the_task_and_chains_the_original(threads):
    ex = ThreadPoolExecutor(2) if threads else None
    try:
        with pytest.raises(ValueError, match=r"planted failure at 3 \(in item three\)") as info:
            map_tasks(_square_or_fail, [(k,) for k in range(6)], executor=ex, progress=False,
                      describe=lambda k: "item three" if k == 3 else f"item {k}")
    finally:
        if ex is not None:
            ex.shutdown()
    assert isinstance(info.value.__cause__, ValueError)


def test_collect_keeps_the_others_and_on_result_sees_only_successes():
    seen = {}
    out = map_tasks(_square_or_fail, [(k,) for k in range(5)], on_error="collect", progress=False,
                    on_result=lambda k, v: seen.__setitem__(k, v))
    assert out[:3] == [0, 1, 4] and out[4] == 16
    assert isinstance(out[3], TaskFailure) and out[3].task == 3 and out[3].type == "ValueError"
    assert out[3].to_dict()["message"] == "planted failure at 3"
    assert seen == {0: 0, 1: 1, 2: 4, 4: 16}


def test_bad_input():
    with pytest.raises(TypeError, match="executor"):
        map_tasks(pow, [(1, 2)], executor="processes")
    with pytest.raises(ValueError, match="on_error"):
        map_tasks(pow, [(1, 2)], on_error="ignore")
    with pytest.raises(TypeError, match="func"):
        map_tasks(3, [(1, 2)])
    with pytest.raises(TypeError, match="progress"):
        map_tasks(pow, [(1, 2)], progress="yes")


# ------------------------------------------------------------------ the sweeps that use it
def test_optimal_learning_rates_match_one_by_one_and_processes():
    schemes = [tt.ring(8), tt.star(8), tt.torus(2, 4), tt.fully_connected(8)]
    serial = tt.optimal_learning_rates(schemes, zeta=30.0, progress=False)
    with ProcessPoolExecutor(2) as ex:
        procs = tt.optimal_learning_rates(schemes, zeta=30.0, executor=ex, progress=False)
    for s, a, b in zip(schemes, serial, procs):
        one = tt.optimal_learning_rate(s, zeta=30.0)
        assert (a.lr, a.rate, a.gamma) == (one.lr, one.rate, one.gamma) == (b.lr, b.rate, b.gamma)
    assert serial[3].lr == pytest.approx(8 / (8 + 30 - 1), rel=1e-10)   # fully connected: n / (n + zeta - 1)
    with pytest.raises(TypeError, match="schemes"):
        tt.optimal_learning_rates("ring", zeta=30.0)
    with pytest.raises(ValueError, match="zeta"):
        tt.optimal_learning_rates(schemes, zeta=0.5)


def test_metric_study_is_bit_identical_with_a_process_pool():
    from topotheory.figures import metric_study

    serial = metric_study.compute(ns=(8,), zetas=(10.0,))
    with ProcessPoolExecutor(2) as ex:
        procs = metric_study.compute(ns=(8,), zetas=(10.0,), executor=ex)
    # bit for bit, NaN where a metric is undefined included (np.testing.assert_equal treats NaN as equal)
    np.testing.assert_equal(procs.data, serial.data)
    assert serial.params == procs.params
    assert "random" in serial.data  # the random schemes are part of what is compared


def test_design_study_is_bit_identical_with_a_process_pool():
    pytest.importorskip("cvxpy")
    from topotheory.figures.design_study import design_study_data

    kw = dict(zeta=20.0, quick=True, reps=40, seed=3, progress=False)
    serial = design_study_data(**kw)
    with ProcessPoolExecutor(2) as ex:
        procs = design_study_data(executor=ex, **kw)
    assert len(serial) == 14 and [r["graph"] for r in serial] == [r["graph"] for r in procs]
    for a, b in zip(serial, procs):
        assert a.keys() == b.keys()
        for k in a:
            assert (a[k] == b[k]) or (np.isnan(a[k]) and np.isnan(b[k])), (a["graph"], a["weights"], k)


@pytest.mark.parametrize("chunksize", [1, 2, 3, 10])
def test_chunks_change_nothing_but_the_round_trips(chunksize):
    tasks = [(k,) for k in range(7)]
    with ProcessPoolExecutor(2) as ex:
        out = map_tasks(_square_or_fail, tasks, executor=ex, on_error="collect", progress=False, chunksize=chunksize)
    assert [v for k, v in enumerate(out) if k != 3] == [k * k for k in range(7) if k != 3]
    assert isinstance(out[3], TaskFailure) and out[3].task == 3        # the failure stays in its own place
    with ThreadPoolExecutor(2) as ex, pytest.raises(ValueError, match="task 3"):
        map_tasks(_square_or_fail, tasks, executor=ex, progress=False, chunksize=chunksize)
    with pytest.raises(ValueError, match="chunksize"):
        map_tasks(pow, [(1, 2)], chunksize=0)
