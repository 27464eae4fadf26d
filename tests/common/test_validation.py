"""The boundary validators of ``topotheory.common.validation``: each accepts what it documents,
returns the normalised value, and refuses the rest with a message naming the argument, the allowed
set and the value as a plain number."""

import math
import re

import numpy as np
import pytest

import topotheory as tt
from topotheory.common import rng as trng
from topotheory.common import validation as v


# --------------------------------------------------------------------------------------- plain
@pytest.mark.parametrize("value, text", [
    (np.float64(0.25), "0.25"), (np.int64(7), "7"), (np.bool_(True), "True"), (10**400, "1.00e+400"),
    (-(10**400), "-1.00e+400"), (2**63, "9223372036854775808"), ("x", "'x'"), (1 + 2j, "(1+2j)"),
])
def test_plain_has_no_numpy_wrappers(value, text):
    assert v.plain(value) == text


# ---------------------------------------------------------------------------------------- real
@pytest.mark.parametrize("value", [0, 3, 2.5, np.float32(0.5), np.int8(-3), 10**300])
def test_check_real_accepts_reals_and_returns_float(value):
    out = v.check_real("x", value)
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize("value", [True, np.bool_(False), "1.0", 1j, complex(1, 0), None, [1.0], np.array([1.0])])
def test_check_real_refuses_non_reals_with_type_error(value):
    with pytest.raises(TypeError, match=r"^x must be a real number, got "):
        v.check_real("x", value)


@pytest.mark.parametrize("value, shown", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"),
                                          (10**400, "1.00e+400"), (-(10**400), "-1.00e+400")],
                         ids=["nan", "inf", "-inf", "1e400", "-1e400"])
def test_check_real_refuses_non_finite_without_overflow_error(value, shown):
    with pytest.raises(ValueError, match=rf"^x must be finite, got {re.escape(shown)}$"):
        v.check_real("x", value)


def test_check_real_allow_flags():
    assert math.isnan(v.check_real("x", math.nan, allow_nan=True))
    assert v.check_real("x", math.inf, allow_inf=True) == math.inf
    assert v.check_real("x", 10**400, allow_inf=True, low=0) == math.inf
    with pytest.raises(ValueError, match=r"x must lie in \[-inf, 1\]"):
        v.check_real("x", 10**400, allow_inf=True, high=1)


def test_check_real_interval_message_plain():
    with pytest.raises(ValueError, match=r"^lr must lie in \(0, inf\), got -0.5$"):
        v.check_real("lr", np.float64(-0.5), low=0, low_open=True, high_open=True)


def test_check_positive_and_probability():
    assert v.check_positive("z", 1e-300) == 1e-300
    assert v.check_positive("z", 0, strict=False) == 0.0
    with pytest.raises(ValueError, match=r"^z must lie in \(0, inf\], got 0.0$"):
        v.check_positive("z", 0)
    with pytest.raises(ValueError, match="z must lie in"):
        v.check_positive("z", -1e-300)
    assert v.check_probability("p", 0) == 0.0 and v.check_probability("p", 1) == 1.0
    with pytest.raises(ValueError, match=r"^p must lie in \(0, 1\], got 0.0$"):
        v.check_probability("p", 0, low_open=True)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\], got 1.0000001"):
        v.check_probability("p", 1.0000001)
    with pytest.raises(TypeError, match="p must be a real number"):
        v.check_probability("p", "0.5")


# ------------------------------------------------------------------------------------- integer
def test_check_int_accepts_integral_values():
    assert v.check_int("n", np.int64(5)) == 5 and type(v.check_int("n", np.int64(5))) is int
    assert v.check_int("n", 4.0) == 4
    assert v.check_int("n", 2**70) == 2**70  # exact, no float rounding


@pytest.mark.parametrize("value", [1.5, math.nan, math.inf, True, "4", None, 4j, [4]])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(TypeError, match=r"^n must be an integer, got "):
        v.check_int("n", value)


def test_check_int_bounds():
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        v.check_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match=r"^n must be <= 10, got 9223372036854775808$"):
        v.check_int("n", 2**63, maximum=10)


def test_check_size_estimates_before_allocating():
    assert v.check_size("n", 1000, bytes_per_unit=8, power=2) == 1000  # 8 MB
    # 2**63 workers of a dense matrix: refused at once, message names the estimate and the limit.
    with pytest.raises(ValueError, match=r"^n = 9223372036854775808 would need about 6.81e\+38 bytes "
                                         r"for a dense matrix \(limit 1e\+06 bytes\); choose a smaller n$"):
        v.check_size("n", 2**63, bytes_per_unit=8, power=2, limit=1e6, reason="a dense matrix")
    # the boundary is exact: 125000 * 8 bytes = 1e6 passes, one more unit is refused
    assert v.check_size("k", 125_000, bytes_per_unit=8, limit=1e6) == 125_000
    with pytest.raises(ValueError, match="k = 125001 would need about 1e\\+06 bytes"):
        v.check_size("k", 125_001, bytes_per_unit=8, limit=1e6)
    with pytest.raises(TypeError, match="k must be an integer"):
        v.check_size("k", 2.5, bytes_per_unit=8)
    with pytest.raises(ValueError, match="k must be >= 1"):
        v.check_size("k", 0, bytes_per_unit=8)


# ------------------------------------------------------------------------------------- boolean
@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_bool_accepts_booleans(value):
    assert v.check_bool("per_step", value) is bool(value)


@pytest.mark.parametrize("value, shown", [("no", "'no'"), ("False", "'False'"), (1, "1"), (0.0, "0.0"),
                                          (None, "None")])
def test_check_bool_refuses_strings_and_numbers(value, shown):
    with pytest.raises(TypeError, match=rf"^per_step must be True or False, got {shown}$"):
        v.check_bool("per_step", value)


# --------------------------------------------------------------------------------------- array
def test_check_array_shapes_and_dtype():
    a = v.check_array("W", [[1, 0], [0, 1]], square=True)
    assert a.dtype == float and a.shape == (2, 2)
    assert v.check_array("x", np.arange(3, dtype=np.int32), shape=(None,)).dtype == float
    with pytest.raises(ValueError, match=r"^W must be a square matrix, got shape \(2, 3\)$"):
        v.check_array("W", np.zeros((2, 3)), square=True)
    with pytest.raises(ValueError, match=r"^W must be a square matrix, got shape \(3,\)$"):
        v.check_array("W", np.zeros(3), square=True)
    with pytest.raises(ValueError, match=r"^x must have shape \(any, 2\), got \(3, 3\)$"):
        v.check_array("x", np.zeros((3, 3)), shape=(None, 2))
    with pytest.raises(ValueError, match=r"^x must be a 1-D array, got shape \(\)$"):
        v.check_array("x", 1.0, ndim=1)
    with pytest.raises(ValueError, match=r"^x must have at least 1 entries, got 0$"):
        v.check_array("x", [], min_size=1)


@pytest.mark.parametrize("value", [np.array([[1 + 0j, 0], [0, 1]]), [1j], np.array([True]), "abc", None,
                                   [[1.0, 2.0], [3.0]], [1.0, "a"]])
def test_check_array_refuses_complex_bool_strings_ragged(value):
    with pytest.raises(TypeError, match=r"^W must be "):
        v.check_array("W", value)


def test_check_array_finiteness_and_interval():
    with pytest.raises(ValueError, match=r"^x must be finite \(no NaN\)"):
        v.check_array("x", [0.1, np.nan])
    with pytest.raises(ValueError, match=r"^x must be finite, got"):
        v.check_array("x", [0.1, np.inf])
    out = v.check_array("x", [0.1, np.nan, np.inf], allow_nan=True, allow_inf=True, low=0)
    assert np.isnan(out[1]) and out[2] == np.inf
    with pytest.raises(ValueError, match=r"^x must lie in \[0, 1\], got -0.5$"):
        v.check_array("x", [0.5, -0.5], low=0, high=1)
    # as_float_array keeps its behaviour for valid input and now refuses complex instead of casting
    assert np.array_equal(v.as_float_array("g", [0, 0.5]), [0.0, 0.5])
    with pytest.raises(TypeError, match="g must be an array of real numbers"):
        v.as_float_array("g", [0.5 + 0j])


# ------------------------------------------------------------------------------ scheme and seed
def test_check_scheme_like():
    s = tt.ring(4)
    assert v.check_scheme_like("scheme", s) is s
    g = tt.infinite_ring()
    assert v.check_scheme_like("scheme", g) is g
    with pytest.raises(ValueError, match="scheme must be a finite scheme"):
        v.check_scheme_like("scheme", g, finite=True)
    for bad in (None, "ring", 4, np.eye(3), [[1.0]]):
        with pytest.raises(TypeError, match=r"^scheme must be a Scheme or an InfiniteGraph"):
            v.check_scheme_like("scheme", bad)


def test_check_seed():
    assert v.check_seed("seed", None) is None
    assert v.check_seed("seed", np.int64(3)) == 3
    ss = np.random.SeedSequence(1)
    assert v.check_seed("seed", ss) is ss
    for bad in (1.5, "0", True, [0]):
        with pytest.raises(TypeError, match="^seed must be None, a non-negative int"):
            v.check_seed("seed", bad)
    with pytest.raises(ValueError, match="^seed must be a non-negative int, got -1$"):
        v.check_seed("seed", -1)


def test_spawn_seeds_does_not_advance_a_callers_seed_sequence():
    ss = np.random.SeedSequence(2024)
    first = [c.generate_state(2).tolist() for c in trng.spawn_seeds(ss, 3)]
    second = [c.generate_state(2).tolist() for c in trng.spawn_seeds(ss, 3)]
    assert first == second and ss.n_children_spawned == 0
    # and the children are those the caller's own first spawn would give (same streams as before)
    assert first == [c.generate_state(2).tolist() for c in np.random.SeedSequence(2024).spawn(3)]


def test_gamma_pair_one_minus_gamma_messages():
    g, c = v.gamma_pair(None, [0.5, 1.0])
    assert np.allclose(g + c, 1)
    with pytest.raises(ValueError, match=r"one_minus_gamma must lie in \(0, 1\], got 0.0"):
        v.gamma_pair(None, 0.0)
    with pytest.raises(TypeError, match="one_minus_gamma must be an array of real numbers"):
        v.gamma_pair(None, 0.5j)
