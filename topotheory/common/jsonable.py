"""JSON-safe conversion shared by the figure export and the CLI (a low layer: imports numpy only)."""

from __future__ import annotations

import math

from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and NaN/inf into JSON-safe Python values (NaN -> null).

    Examples
    --------
    >>> jsonable({"a": np.array([1.5, np.nan]), 2: np.int64(3)})
    {'a': [1.5, None], '2': 3}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value
