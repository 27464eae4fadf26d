"""The one result convention: every result type is frozen, on the Result base, with a JSON-safe
to_dict(), a to_frame() and a readable repr."""

import dataclasses
import inspect
import json
import math

import numpy as np
import pytest

import topotheory as tt
from topotheory.common.results import Result


def _result_types():
    return [obj for name in tt.__all__ if inspect.isclass(obj := getattr(tt, name)) and issubclass(obj, Result)]


def test_the_public_result_types_are_frozen_results():
    types = _result_types()
    assert len(types) >= 15
    for cls in types:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls.__name__


@pytest.fixture(scope="module")
def results():
    W = tt.ring(8)
    out = [
        tt.optimal_learning_rate(W, zeta=tt.zeta(10)),
        tt.quadratic_rate(W, lr=0.1, zeta=tt.zeta(10), log=True),
        tt.koloskova_mixing(W),
        tt.simulate_dsgd(W, lr=0.1, d=4, reps=20, steps=10, seed=0),
        tt.crosscheck(W, lr=0.1, d=4, reps=40, steps=30, seed=0),
    ]
    return out


def test_to_dict_is_json_safe_and_matches_the_attributes(results):
    for r in results:
        d = r.to_dict()
        json.dumps(d, allow_nan=False)  # NaN/inf must have become None
        for f in dataclasses.fields(r):
            v = getattr(r, f.name)
            if isinstance(v, float) and math.isfinite(v):
                assert d[f.name] == v
            elif isinstance(v, float):
                assert d[f.name] is None


def test_results_are_immutable(results):
    r = results[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lr = 1.0


def test_to_frame_has_the_scalar_fields_and_array_rows():
    pd = pytest.importorskip("pandas")
    opt = tt.optimal_learning_rate(tt.ring(8), zeta=tt.zeta(10))
    frame = opt.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 1
    assert frame["lr"].iloc[0] == opt.lr and frame["rate"].iloc[0] == opt.rate

    @dataclasses.dataclass(frozen=True, repr=False)
    class Curve(Result):
        name: str
        steps: np.ndarray
        loss: np.ndarray

    c = Curve("ring", np.arange(3), np.array([1.0, 0.5, np.nan]))
    f = c.to_frame()
    assert list(f.columns) == ["name", "steps", "loss"] and len(f) == 3
    assert (f["name"] == "ring").all() and np.isnan(f["loss"].iloc[2])
    assert c.to_dict() == {"name": "ring", "steps": [0, 1, 2], "loss": [1.0, 0.5, None]}


def test_repr_abbreviates_long_arrays():
    @dataclasses.dataclass(frozen=True, repr=False)
    class Long(Result):
        values: np.ndarray

    text = repr(Long(np.arange(100.0)))
    assert text.startswith("Long(values=array(shape=(100,), [0, 1, 2, ...])") and len(text) < 80
