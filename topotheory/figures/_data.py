"""Helpers of the figures' data functions (no matplotlib): argument checks, grids, tables, topologies.

The drawing side lives in :mod:`topotheory.figures._style`, which imports matplotlib; a figure
module imports it only inside its ``plot`` function, so computing a figure's data never loads
matplotlib.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..graphs import InfiniteGraph, Scheme, topology_from_spec

__all__ = [
    "finite_or_nan",
    "float_column",
    "columns",
    "name_list",
    "topology_list",
    "resolve_topology",
    "resolve_topologies",
    "log_range",
    "one_minus_gamma_range",
    "topology_label",
]

_LABELS = {
    "fully_connected": "fully connected",
    "one_peer_exponential": "one-peer exponential",
    "hypercube": "hypercube",
    "torus": "torus",
    "two_cliques": "two cliques",
    "social_network": "social network",
    "binary_tree": "binary tree",
    "star": "star",
    "ring": "ring",
    "solo": "alone",
    "mix": "mix (extremal)",
    "chain": "chain",
    "exponential_graph": "exponential graph",
    "infinite_ring": "infinite ring",
}


def topology_label(key: Any, scheme: Any = None) -> str:
    """A readable label of a topology key (a name or spec); a torus shows its shape.

    The shape comes from the spec (``"torus:4x8"``) or from the scheme's parameters.

    Examples
    --------
    >>> topology_label("torus:4x8"), topology_label("one_peer_exponential"), topology_label("my_graph")
    ('torus 4×8', 'one-peer exponential', 'my graph')
    """
    key = str(key)
    name, _, rest = key.partition(":")
    text = _LABELS.get(name, name.replace("_", " "))
    if name == "torus":
        p = getattr(scheme, "params", None) or {}
        if "rows" in p and "cols" in p:
            text = f"torus {p['rows']}×{p['cols']}"
        elif rest and "x" in rest and "=" not in rest:
            text = "torus " + rest.replace("x", "×")
    return text


def finite_or_nan(values: Any) -> np.ndarray:
    """A float array with inf replaced by NaN (matplotlib leaves a gap; JSON writes null).

    Examples
    --------
    >>> finite_or_nan([1.0, float("inf")])
    array([ 1., nan])
    """
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


def float_column(values: Any) -> np.ndarray:
    """A float array of a table column, ``None`` (JSON null) read as NaN.

    Examples
    --------
    >>> float_column([1, None, 2.5])
    array([1. , nan, 2.5])
    """
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def log_range(lo_name: str, lo: float, hi_name: str, hi: float, points: int, *,
              upper: float | None = None) -> tuple[float, float, np.ndarray]:
    """Validate a positive range ``lo < hi`` (both below ``upper`` if given) and return its log grid.

    Returns ``(lo, hi, grid)`` with ``grid = logspace(log10 lo, log10 hi, points)``.

    Examples
    --------
    >>> log_range("lr_min", 0.01, "lr_max", 1.0, 3)[2]
    array([0.01, 0.1 , 1.  ])
    """
    lo = check_real(lo_name, lo, low=0.0, low_open=True, high=upper, high_open=upper is not None)
    hi = check_real(hi_name, hi, low=0.0, low_open=True, high=upper, high_open=upper is not None)
    if not lo < hi:
        raise ValueError(f"{lo_name} must be below {hi_name}, got {lo} and {hi}")
    return lo, hi, np.logspace(np.log10(lo), np.log10(hi), check_int("points", points, minimum=2))


def one_minus_gamma_range(gamma_min: float, gamma_max: float, points: int) -> tuple[float, float, np.ndarray]:
    """Validate ``0 <= gamma_min < gamma_max < 1``; return ``(gmin, gmax, 1 - gamma)`` on a log grid of ``1 - gamma``.

    Examples
    --------
    >>> one_minus_gamma_range(0.9, 0.999, 3)[2]
    array([0.1  , 0.01 , 0.001])
    """
    gmin = check_real("gamma_min", gamma_min, low=0.0, high=1.0, high_open=True)
    gmax = check_real("gamma_max", gamma_max, low=0.0, high=1.0, high_open=True)
    if not gmin < gmax:
        raise ValueError(f"gamma_min must be below gamma_max, got {gmin} and {gmax}")
    c = np.logspace(np.log10(1 - gmin), np.log10(1 - gmax), check_int("points", points, minimum=2))
    return gmin, gmax, c


def name_list(argname: str, value: Any) -> tuple[Any, ...]:
    """A tuple of names from a sequence or a comma-separated string; non-empty.

    Examples
    --------
    >>> name_list("partitions", "iid, sorted")
    ('iid', 'sorted')
    """
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    try:
        out = tuple(value)
    except TypeError:
        raise TypeError(f"{argname} must be a sequence of names, got {value!r}") from None
    if not out or not all(isinstance(v, str) for v in out):
        raise ValueError(f"{argname} must be a non-empty sequence of names, got {value!r}")
    return out


def _is_graph(value: Any) -> bool:
    return isinstance(value, (Scheme, InfiniteGraph))


def topology_list(argname: str, value: Any) -> tuple[Any, ...]:
    """A non-empty tuple of topology names/specs and :class:`~topotheory.Scheme` objects.

    A comma-separated string is split into names; a single Scheme is a list of one.

    Examples
    --------
    >>> from topotheory import ring
    >>> [t if isinstance(t, str) else t.name for t in topology_list("topologies", ("star", ring(8)))]
    ['star', 'ring']
    """
    if isinstance(value, str):
        return name_list(argname, value)
    if _is_graph(value):
        return (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise TypeError(f"{argname} must be a sequence of topology names or Scheme objects, got {value!r}") from None
    bad = [v for v in out if not (isinstance(v, str) or _is_graph(v))]
    if not out or bad:
        raise ValueError(
            f"{argname} must be a non-empty sequence of topology names or Scheme objects, got {value!r}"
        )
    return out


def resolve_topology(argname: str, spec: Any, n: int | None = None) -> Any:
    """The pair ``(key, scheme)`` of a topology name/spec or a Scheme object.

    ``key`` is the name the figure's data use: the spec as given, or the scheme's ``name``. A
    Scheme must have ``n`` workers when ``n`` is given (a figure's size is never changed silently).

    Examples
    --------
    >>> from topotheory import ring
    >>> key, s = resolve_topology("topologies", "torus:2x4", 8)
    >>> key, s.n
    ('torus:2x4', 8)
    >>> resolve_topology("topologies", ring(6), 8)
    Traceback (most recent call last):
    ...
    ValueError: topologies: the Scheme 'ring' has 6 workers, but the figure uses n = 8
    """
    if isinstance(spec, str):
        return spec, topology_from_spec(spec, n=32 if n is None else n)
    if _is_graph(spec):
        if n is not None and isinstance(spec, Scheme) and spec.n != n:
            raise ValueError(f"{argname}: the Scheme {spec.name!r} has {spec.n} workers, but the figure uses n = {n}")
        return str(spec.name), spec
    raise TypeError(f"{argname} entries must be topology names or Scheme objects, got {spec!r}")


def resolve_topologies(argname: str, value: Any, n: int | None = None) -> dict[str, Any]:
    """An ordered ``{key: scheme}`` dict from :func:`topology_list` entries; keys must be distinct.

    Examples
    --------
    >>> list(resolve_topologies("topologies", "ring,star", 8))
    ['ring', 'star']
    """
    out = {}
    for spec in topology_list(argname, value):
        key, scheme = resolve_topology(argname, spec, n)
        if key in out:
            raise ValueError(f"{argname} names the topology {key!r} twice (give Scheme objects distinct names)")
        out[key] = scheme
    return out


def columns(rows: Any) -> dict[str, list[Any]]:
    """Turn a list of dict rows (same keys) into a dict of equal-length columns (lists).

    Examples
    --------
    >>> columns([{"a": 1, "b": 2.0}, {"a": 3, "b": 4.0}])
    {'a': [1, 3], 'b': [2.0, 4.0]}
    """
    if not rows:
        return {}
    keys = list(rows[0])
    return {k: [r[k].item() if isinstance(r[k], np.generic) else r[k] for r in rows] for k in keys}
