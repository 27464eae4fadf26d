"""Input validation shared by every public function: the boundary layer.

Inputs are checked at the boundary of the public API with messages that name the argument, say
what is allowed and show the offending value as a plain number; internal functions trust their
inputs. Every validator returns the normalised value (a Python ``int``/``float``/``bool``, a float
ndarray, ...) and never changes a valid value silently.

==================  ===========================================================================
``check_real``      a real number (no bool, str or complex; NaN/inf refused unless allowed)
``check_positive``  a real number > 0 (or >= 0 with ``strict=False``)
``check_probability``  a real number in [0, 1] (ends optionally open)
``check_int``       an integer with optional bounds (integral floats accepted, 1.5 refused)
``check_size``      an integer count whose allocation is estimated before it is made
``check_budget``    several counts whose joint memory and time are estimated before starting
``check_bool``      a genuine boolean (``"no"`` and ``2`` refused)
``check_array``     a real float array of a given shape, finite unless allowed
``check_matrix``    a real, finite, non-empty square matrix (dense or scipy sparse)
``check_str``       a string (optionally non-empty), for names and labels
``check_scheme_like``  something the theory accepts as a gossip scheme
``check_seed``      None, a non-negative int, a SeedSequence or a Generator
``check_phase``     a phase of a periodic scheme: any integer, taken modulo the period
==================  ===========================================================================
"""

from __future__ import annotations

import math
import numbers
import operator

from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "gamma_pair",
    "check_int",
    "check_real",
    "check_positive",
    "check_probability",
    "check_size",
    "check_bool",
    "check_array",
    "check_matrix",
    "check_str",
    "renamed_error",
    "renamed_keyword",
    "check_scheme_like",
    "check_seed",
    "check_gamma",
    "check_choice",
    "check_phase",
    "as_float_array",
    "plain",
    "MEMORY_LIMIT",
    "WORK_LIMIT",
    "check_budget",
]

#: Default limit (bytes) of one allocation that :func:`check_size` lets through: 4 GiB.
MEMORY_LIMIT = 4 * 2**30

#: Most elementary updates (one coordinate of one worker of one replica at one step) a computation
#: may need (:func:`check_budget`): ``10**13`` -- hours at the vectorized speed of ~10**9 per second.
WORK_LIMIT = 10**13


def plain(value: Any) -> str:
    """A short, plain rendering of ``value`` for error messages: ``0.5`` not ``np.float64(0.5)``.

    Examples
    --------
    >>> plain(np.float64(0.5)), plain(np.int64(3)), plain(True), plain("x"), plain(10**400)
    ('0.5', '3', 'True', "'x'", '1.00e+400')
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        v = int(value)
        if abs(v) < 10**21:
            return str(v)
        digits = str(abs(v))  # exact, no float conversion (10**400 overflows a float)
        return f"{'-' if v < 0 else ''}{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, numbers.Complex):
        return repr(complex(value))
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=6, precision=6)
        return f"array of shape {value.shape}: {text}" if value.ndim else text
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_real_scalar(value: Any) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int, or raise a clear TypeError/ValueError.

    Integers (Python or NumPy) pass; a float that is exactly an integer (``4.0``) is accepted as
    that integer; ``1.5``, NaN, inf, bools and strings are refused.

    Examples
    --------
    >>> check_int("n", 4.0, minimum=1)
    4
    >>> check_int("n", 2**63, maximum=10**6)
    Traceback (most recent call last):
    ...
    ValueError: n must be <= 1000000, got 9223372036854775808
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {plain(value)}")
    if not isinstance(value, numbers.Integral):
        if _is_real_scalar(value) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {plain(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {plain(value)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {plain(value)}")
    return value


def check_size(name: str, value: Any, *, bytes_per_unit: float, limit: float = MEMORY_LIMIT, minimum: int = 1,
               power: int = 1, reason: str | None = None) -> int:
    """Validate an integer size whose use allocates ``bytes_per_unit * value**power`` bytes.

    The estimate is made before anything is allocated; a size that cannot fit is refused at once
    with the estimate and the limit in the message (instead of a long hang or a ``MemoryError``).

    Parameters
    ----------
    name : str
    value : int
    bytes_per_unit : float
        Bytes used per unit of ``value**power``.
    limit : float
        Largest allocation allowed, bytes (default :data:`MEMORY_LIMIT`, 4 GiB).
    minimum : int
    power : int
        2 for a dense ``value x value`` matrix.
    reason : str, optional
        What the memory is for, quoted in the message.

    Examples
    --------
    >>> check_size("n", 100, bytes_per_unit=8, power=2)
    100
    >>> check_size("n", 2**63, bytes_per_unit=8, power=2)
    Traceback (most recent call last):
    ...
    ValueError: n = 9223372036854775808 would need about 6.81e+38 bytes (limit 4.29e+09 bytes); choose a smaller n
    """
    value = check_int(name, value, minimum=minimum)
    try:
        need = float(bytes_per_unit) * float(value) ** power
    except OverflowError:  # beyond the float range: certainly too large
        need = math.inf
    if need > limit:
        what = f" for {reason}" if reason else ""
        raise ValueError(
            f"{name} = {value} would need about {need:.3g} bytes{what} (limit {float(limit):.3g} bytes); "
            f"choose a smaller {name}"
        )
    return value


def check_budget(sizes: dict[str, Any], *, memory: float, work: float, what: str) -> None:
    """Refuse at once a simulation whose memory or time cannot fit, naming every size involved.

    Parameters
    ----------
    sizes : dict
        ``{argument name: validated int}`` the estimates depend on (all named in the message).
    memory : int
        Bytes the simulation allocates (Python ints: exact, no overflow).
    work : int
        Elementary updates it performs (compared with :data:`WORK_LIMIT`).
    what : str
        What is simulated, for the message.

    Examples
    --------
    >>> check_budget({"reps": 10, "steps": 10}, memory=800, work=100, what="D-SGD")
    >>> check_budget({"reps": 2**63, "steps": 10}, memory=8 * 2**63 * 11, work=10 * 2**63,
    ...              what="D-SGD")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: reps = 9223372036854775808, steps = 10: D-SGD would need about 8.12e+20 bytes ...
    """
    listing = ", ".join(f"{k} = {plain(v)}" for k, v in sizes.items())
    names = list(sizes)
    choose = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    if memory > MEMORY_LIMIT:
        raise ValueError(f"{listing}: {what} would need about {_sci(memory)} bytes (limit {float(MEMORY_LIMIT):.3g} "
                         f"bytes); choose smaller {choose}")
    if work > WORK_LIMIT:
        raise ValueError(f"{listing}: {what} would need about {_sci(work)} elementary updates (limit "
                         f"{float(WORK_LIMIT):.3g}, hours of computing); choose smaller {choose}")


def _sci(count: float) -> str:
    """``count`` (a possibly huge Python int) as ``1.23e+45`` without float overflow."""
    try:
        return f"{float(count):.3g}"
    except OverflowError:
        return plain(count)


def check_real(name: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False,
               high_open: bool = False, allow_nan: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a float, checking it is a real number inside the given interval.

    Bools, strings, complex numbers and other types raise ``TypeError``; NaN and infinities raise
    ``ValueError`` unless allowed. Integers too large for a float (``10**400``) are compared
    exactly, never raising ``OverflowError``: inside an unbounded interval they become ``inf``
    only when ``allow_inf`` is set, otherwise they are refused as not finite.

    Examples
    --------
    >>> check_real("lr", 0.5, low=0, low_open=True)
    0.5
    >>> check_real("lr", 10**400)
    Traceback (most recent call last):
    ...
    ValueError: lr must be finite, got 1.00e+400
    """
    if not _is_real_scalar(value):
        raise TypeError(f"{name} must be a real number, got {plain(value)}")
    try:
        out = float(value)
    except OverflowError:  # a Python int beyond the float range
        out = math.inf if value > 0 else -math.inf
    if math.isnan(out):
        if allow_nan:
            return out
        raise ValueError(f"{name} must be finite, got nan")
    if math.isinf(out) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {plain(value)}")
    _check_interval(name, np.asarray(out), low, high, low_open, high_open)
    return out


def check_positive(name: str, value: Any, *, strict: bool = True, allow_inf: bool = False) -> float:
    """A real number > 0 (``strict``) or >= 0.

    Examples
    --------
    >>> check_positive("zeta", 2)
    2.0
    >>> check_positive("zeta", 0)
    Traceback (most recent call last):
    ...
    ValueError: zeta must lie in (0, inf], got 0.0
    """
    return check_real(name, value, low=0.0, low_open=strict, allow_inf=allow_inf)


def check_probability(name: str, value: Any, *, low_open: bool = False, high_open: bool = False) -> float:
    """A real number in [0, 1] (either end optionally open).

    Examples
    --------
    >>> check_probability("p", 0.25)
    0.25
    >>> check_probability("p", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: p must lie in [0, 1], got 1.5
    """
    return check_real(name, value, low=0.0, high=1.0, low_open=low_open, high_open=high_open)


def check_bool(name: str, value: Any) -> bool:
    """A genuine boolean: ``True``/``False`` (or NumPy's). Strings and numbers are refused.

    ``per_step="no"`` would otherwise act as ``True``; ``1``/``0`` are refused too, so that a
    misplaced positional number is not read as a flag.

    Examples
    --------
    >>> check_bool("per_step", False)
    False
    >>> check_bool("per_step", "no")
    Traceback (most recent call last):
    ...
    TypeError: per_step must be True or False, got 'no'
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {plain(value)}")


def as_float_array(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                   low_open: bool = False, high_open: bool = False) -> np.ndarray:
    """Return ``value`` (scalar or array-like) as a float ndarray with finite entries in range.

    Booleans, strings, complex numbers and ragged or object arrays raise ``TypeError``; NaN and
    infinities raise ``ValueError``.
    """
    return check_array(name, value, low=low, high=high, low_open=low_open, high_open=high_open)


def check_array(name: str, value: Any, *, ndim: int | None = None, shape: tuple[int | None, ...] | None = None,
                square: bool = False, min_size: int = 0, allow_nan: bool = False, allow_inf: bool = False,
                low: float | None = None, high: float | None = None, low_open: bool = False,
                high_open: bool = False) -> np.ndarray:
    """Return ``value`` as a real float ndarray, checking its shape and entries.

    Parameters
    ----------
    name : str
    value : array_like
        Real numbers (ints or floats). Complex input is refused (never cast to its real part),
        as are booleans, strings, ``None`` and ragged nestings.
    ndim : int, optional
    shape : tuple, optional
        Required shape; ``None`` entries match any length.
    square : bool
        Require a 2-D square matrix.
    min_size : int
        Smallest number of entries (1 refuses empty arrays).
    allow_nan, allow_inf : bool
    low, high, low_open, high_open
        Interval every (finite) entry must lie in.

    Examples
    --------
    >>> check_array("W", [[1, 0], [0, 1]], square=True).dtype
    dtype('float64')
    >>> check_array("W", [[1j, 0], [0, 1]])
    Traceback (most recent call last):
    ...
    TypeError: W must be an array of real numbers, got complex128 entries
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {plain(value)}")
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError, OverflowError):
        raise TypeError(f"{name} must be a real number or a rectangular array of real numbers, got "
                        f"{plain(value)}") from None
    if raw.dtype.kind == "c":
        raise TypeError(f"{name} must be an array of real numbers, got {raw.dtype} entries")
    if raw.dtype.kind == "O":
        try:
            arr = np.array(raw.tolist(), dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"{name} must be a real number or a rectangular array of real numbers, got "
                            f"{plain(value)}") from None
        if any(isinstance(x, (bool, np.bool_, complex, str)) for x in raw.ravel()):
            raise TypeError(f"{name} must be an array of real numbers, got {plain(value)}")
    elif raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {plain(value)}")
    else:
        arr = np.asarray(raw, dtype=float)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if square and (arr.ndim != 2 or arr.shape[0] != arr.shape[1]):
        raise ValueError(f"{name} must be a square matrix, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got {arr.size}")
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name} must be finite (no NaN), got {plain(value)}")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must be finite, got {plain(value)}")
    finite = arr[np.isfinite(arr)] if (allow_nan or allow_inf) else arr
    _check_interval(name, finite, low, high, low_open, high_open)
    return arr


def check_matrix(name: str, value: Any, *, allow_sparse: bool = True) -> Any:
    """Return ``value`` as a real, finite, non-empty square float matrix (ndarray or CSR array).

    The shared check of every gossip or adjacency matrix: complex entries are refused (never cast
    to their real part), as are booleans, strings, ``None``, ragged nestings, non-square and empty
    shapes and NaN/inf entries. Scipy sparse input stays sparse (CSR) when ``allow_sparse``.

    Examples
    --------
    >>> check_matrix("W", [[0.5, 0.5], [0.5, 0.5]]).shape
    (2, 2)
    >>> check_matrix("W", np.full((2, 2), 0.5 + 0j))
    Traceback (most recent call last):
    ...
    TypeError: W must be an array of real numbers, got complex128 entries
    >>> check_matrix("W", np.ones((2, 3)))
    Traceback (most recent call last):
    ...
    ValueError: W must be a square matrix, got shape (2, 3)
    """
    import scipy.sparse as sp

    if sp.issparse(value):
        if not allow_sparse:
            raise TypeError(f"{name} must be a dense array, got a scipy sparse matrix")
        kind = value.dtype.kind
        if kind == "c":
            raise TypeError(f"{name} must be an array of real numbers, got {value.dtype} entries")
        if kind not in "iuf":
            raise TypeError(f"{name} must be an array of real numbers, got {value.dtype} entries")
        M = sp.csr_array(value, dtype=float)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"{name} must be a square matrix, got shape {M.shape}")
        if M.shape[0] == 0:
            raise ValueError(f"{name} must have at least one row, got shape {M.shape}")
        if not np.all(np.isfinite(M.data)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        return M
    if isinstance(value, np.ndarray) and value.dtype.kind == "b" or isinstance(value, (list, tuple)) and any(
        isinstance(x, (bool, np.bool_)) for x in np.ravel(np.asarray(value, dtype=object))
    ):
        raise TypeError(f"{name} must be an array of real numbers, got booleans")
    M = check_array(name, value, square=True)
    if M.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row, got shape {M.shape}")
    return M


@overload
def check_str(name: str, value: Any, *, allow_none: Literal[False] = ..., nonempty: bool = ...) -> str: ...
@overload
def check_str(name: str, value: Any, *, allow_none: bool, nonempty: bool = ...) -> str | None: ...
def check_str(name: str, value: Any, *, allow_none: bool = False, nonempty: bool = False) -> str | None:
    """A string (``None`` too when ``allow_none``); ``nonempty`` refuses ``""``.

    Examples
    --------
    >>> check_str("name", "ring")
    'ring'
    >>> check_str("name", 3)
    Traceback (most recent call last):
    ...
    TypeError: name must be a string, got 3
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {plain(value)}")
    if nonempty and not value:
        raise ValueError(f"{name} must be a non-empty string, got ''")
    return value


def renamed_error(exc: BaseException, old: str, new: str) -> BaseException:
    """``exc`` (a new exception of the same type) with a leading argument name ``old`` replaced by ``new``.

    For a public function that forwards an argument under another name (``beta_kind`` becomes
    ``beta``'s ``kind``): the message then names the caller's argument.

    Examples
    --------
    >>> str(renamed_error(ValueError("kind must be one of 'eq34', 'eq33'"), "kind", "beta_kind"))
    "beta_kind must be one of 'eq34', 'eq33'"
    """
    text = str(exc)
    if text.startswith(old) and not text[len(old):len(old) + 1].isalnum() and text[len(old):len(old) + 1] != "_":
        text = new + text[len(old):]
    return type(exc)(text)


def _check_interval(name: str, arr: np.ndarray, low: float | None, high: float | None, low_open: bool,
                    high_open: bool) -> None:
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


def check_gamma(gamma: Any, *, name: str = "gamma") -> np.ndarray:
    """Validate a decay ``gamma`` in [0, 1) (scalar or array); return a float ndarray."""
    return as_float_array(name, gamma, low=0.0, high=1.0, high_open=True)


def renamed_keyword(new: str, value: Any, old: str, old_value: Any, default: Any) -> Any:
    """The value of a keyword renamed from ``old`` to ``new`` (the one vocabulary of the package).

    ``old_value`` is what the caller passed under the old name (``None`` when not passed); it is
    accepted with a :class:`DeprecationWarning` naming the new keyword. Passing both is an error.

    Examples
    --------
    >>> renamed_keyword("max_steps", None, "max_iter", None, 100)
    100
    """
    import warnings

    if old_value is None:
        return default if value is None else value
    if value is not None:
        raise TypeError(f"pass {new}= only ({old}= is its old name), not both")
    warnings.warn(f"{old}= is renamed {new}=; the old name will be removed", DeprecationWarning, stacklevel=3)
    return old_value


def check_phase(phase: Any, period: int, *, name: str = "phase") -> int:
    """A phase of a scheme of period ``period``: any integer, taken modulo the period.

    The contract of every ``phase`` argument: step ``t`` of a periodic scheme is at phase
    ``t mod period``, so ``phase`` and ``phase + k * period`` name the same state (``-1`` is the
    last phase, as in Python indexing; a static scheme has the single phase 0). Non-integers
    (``1.5``, NaN, strings, booleans) are refused.

    Examples
    --------
    >>> check_phase(5, 3), check_phase(-1, 3), check_phase(2**63, 1)
    (2, 2, 0)
    >>> check_phase(1.5, 3)
    Traceback (most recent call last):
    ...
    TypeError: phase must be an integer, got 1.5
    """
    return check_int(name, phase) % int(period)


def check_choice(name: str, value: Any, choices: Any) -> str:
    """Check that ``value`` is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {plain(value)}")
    return value


#: What :func:`check_scheme_like` looks for: the interface shared by finite schemes and lattices.
SCHEME_ATTRIBUTES = ("n", "period", "is_static")


def check_scheme_like(name: str, value: Any, *, finite: bool = False) -> Any:
    """Check that ``value`` is a gossip scheme (a ``Scheme`` or an ``InfiniteGraph``).

    Duck-typed on ``n``, ``period`` and ``is_static`` so that this lowest layer does not import
    the graphs layer; ``finite=True`` refuses infinite lattices.

    Examples
    --------
    >>> check_scheme_like("scheme", None)
    Traceback (most recent call last):
    ...
    TypeError: scheme must be a Scheme or an InfiniteGraph (e.g. topotheory.ring(8)), got None
    """
    if isinstance(value, (str, bytes, numbers.Number, np.ndarray)) or value is None or not all(
        hasattr(value, a) for a in SCHEME_ATTRIBUTES
    ):
        raise TypeError(
            f"{name} must be a Scheme or an InfiniteGraph (e.g. topotheory.ring(8)), got {plain(value)}"
        )
    if finite and not math.isfinite(value.n):
        raise ValueError(f"{name} must be a finite scheme (n workers), got an infinite lattice {plain(value)}")
    return value


def check_seed(name: str, value: Any) -> Any:
    """Check a seed: None, a non-negative int, a ``numpy.random.SeedSequence`` or a ``Generator``.

    Returns it unchanged (an integral NumPy int becomes a Python int); turning it into a generator
    is :func:`topotheory.common.rng.as_generator`'s job.

    Examples
    --------
    >>> check_seed("seed", 3)
    3
    >>> check_seed("seed", 1.5)
    Traceback (most recent call last):
    ...
    TypeError: seed must be None, a non-negative int, a numpy SeedSequence or a numpy Generator; got 1.5
    """
    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be None, a non-negative int, a numpy SeedSequence or a numpy Generator; got {plain(value)}"
        )
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {int(value)}")
    return operator.index(value)


def gamma_pair(gamma: Any, one_minus_gamma: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated (gamma, 1 - gamma) arrays; 1 - gamma taken as given when supplied."""
    if one_minus_gamma is not None:
        if gamma is not None:
            raise ValueError("pass either gamma or one_minus_gamma, not both")
        c = as_float_array("one_minus_gamma", one_minus_gamma, low=0.0, high=1.0, low_open=True)
        return 1.0 - c, c
    if gamma is None:
        raise TypeError("gamma is required (or pass one_minus_gamma)")
    g = check_gamma(gamma)
    return g, 1.0 - g
