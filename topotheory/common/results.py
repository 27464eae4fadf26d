"""The one result convention: frozen result types on one base.

Every result type of the package derives from :class:`Result` and is declared as
``@dataclasses.dataclass(frozen=True, repr=False)``. The base supplies

* ``to_dict()`` — a JSON-safe ``dict`` (numpy arrays become lists, NaN/inf become ``None``, nested
  results become dicts, schemes their names);
* ``to_frame()`` — a :class:`pandas.DataFrame` (pandas is imported only here, on first use; it is
  an optional dependency): one row for a result of scalars, one row per entry when the result holds
  equal-length 1-D arrays (the scalars repeated in every row);
* a readable ``repr`` that abbreviates long arrays.

A subclass may override :meth:`Result._frame_columns` to choose the frame's columns.
"""

from __future__ import annotations

import dataclasses
import math

from typing import Any

import numpy as np

from .jsonable import jsonable

__all__ = ["Result"]


def _plain(value: Any) -> Any:
    """A value made of plain Python containers (before :func:`jsonable`)."""
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            return {"real": value.real.tolist(), "imag": value.imag.tolist()}
        return value
    if isinstance(value, complex):
        return {"real": value.real, "imag": value.imag}
    if hasattr(value, "name") and hasattr(value, "n") and hasattr(value, "period"):  # a scheme
        return str(value.name)
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return value
    return repr(value)


def _short(value: Any, width: int = 6) -> str:
    """A short text form of a field value for ``repr``."""
    if isinstance(value, np.ndarray):
        if value.size <= width:
            return np.array2string(value, precision=6, separator=", ")
        head = ", ".join(f"{v:.6g}" if np.isrealobj(value) else str(v) for v in value.ravel()[:3])
        return f"array(shape={value.shape}, [{head}, ...])"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    if isinstance(value, (list, tuple)) and len(value) > width:
        return f"[{len(value)} items]"
    if isinstance(value, dict) and len(value) > width:
        return f"{{{len(value)} entries}}"
    return repr(value)


@dataclasses.dataclass(frozen=True, repr=False)
class Result:
    """Base of every result type: ``to_dict()``, ``to_frame()`` and a readable repr.

    Examples
    --------
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True, repr=False)
    ... class Demo(Result):
    ...     rate: float
    ...     lrs: np.ndarray
    >>> r = Demo(rate=0.25, lrs=np.array([0.1, 0.2]))
    >>> r
    Demo(rate=0.25, lrs=[0.1, 0.2])
    >>> r.to_dict()
    {'rate': 0.25, 'lrs': [0.1, 0.2]}
    """

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-safe ``dict`` (NaN and inf become ``None``)."""
        return jsonable({f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)})

    def _frame_columns(self) -> dict[str, Any]:
        """Columns of :meth:`to_frame`: a dict of equal-length sequences or scalars."""
        cols = {}
        lengths = set()
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.ndim == 1:
                cols[f.name] = v
                lengths.add(len(v))
            elif isinstance(v, np.ndarray) or isinstance(v, (dict, list, tuple)) or dataclasses.is_dataclass(v):
                continue  # not tabular in one frame; see to_dict()
            else:
                cols[f.name] = _plain(v)
        if len(lengths) > 1:  # arrays of different lengths: keep only the scalars
            cols = {k: v for k, v in cols.items() if not isinstance(v, np.ndarray)}
        return cols

    def to_frame(self) -> Any:
        """The result as a :class:`pandas.DataFrame` (pandas is an optional dependency).

        One row for a result of scalars; one row per entry when the result holds 1-D arrays of one
        length (the scalar fields repeated in every row). Nested or multi-dimensional fields are
        left out; :meth:`to_dict` holds everything.
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_frame() needs pandas: pip install pandas") from None
        cols = self._frame_columns()
        if any(isinstance(v, (np.ndarray, list)) for v in cols.values()):
            return pd.DataFrame(cols)
        return pd.DataFrame([cols])

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={_short(getattr(self, f.name))}" for f in dataclasses.fields(self) if f.repr)
        return f"{type(self).__name__}({fields})"
