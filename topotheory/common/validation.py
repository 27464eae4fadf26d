"""Input validation shared by every public function.

Inputs are checked at the boundary of the public API with messages that name the argument and say
what is allowed; internal functions trust their inputs.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "gamma_pair",
    "check_int",
    "check_real",
    "check_gamma",
    "check_choice",
    "as_float_array",
]


def check_int(name, value, *, minimum=None, maximum=None):
    """Return ``value`` as a Python int, or raise a clear TypeError/ValueError."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and np.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_real(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a float, checking it is finite and inside the given interval."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    _check_interval(name, np.asarray(value), low, high, low_open, high_open)
    return value


def as_float_array(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` (scalar or array-like) as a float ndarray with finite entries in range."""
    raw = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    _check_interval(name, arr, low, high, low_open, high_open)
    return arr


def _check_interval(name, arr, low, high, low_open, high_open):
    if arr.size == 0:
        return
    bad = np.zeros(arr.shape, dtype=bool)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else format(low, 'g')}, {'inf' if high is None else format(high, 'g')}{hi}"
        first = arr[bad].flat[0]
        raise ValueError(f"{name} must lie in {interval}, got {float(first)!r}")


def check_gamma(gamma, *, name="gamma"):
    """Validate a decay ``gamma`` in [0, 1) (scalar or array); return a float ndarray."""
    return as_float_array(name, gamma, low=0.0, high=1.0, high_open=True)


def check_choice(name, value, choices):
    """Check that ``value`` is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def gamma_pair(gamma, one_minus_gamma):
    """Validated (gamma, 1 - gamma) arrays; 1 - gamma taken as given when supplied."""
    if one_minus_gamma is not None:
        if gamma is not None:
            raise ValueError("pass either gamma or one_minus_gamma, not both")
        c = np.asarray(one_minus_gamma, dtype=float)
        if not np.all(np.isfinite(c)) or np.any(c <= 0) or np.any(c > 1):
            raise ValueError(f"one_minus_gamma must lie in (0, 1], got {one_minus_gamma!r}")
        return 1.0 - c, c
    if gamma is None:
        raise TypeError("gamma is required (or pass one_minus_gamma)")
    g = check_gamma(gamma)
    return g, 1.0 - g
