"""Type aliases shared by the annotations of every layer (for readers and type checkers only).

``SchemeLike``: what the theory functions accept as a scheme (a ``Scheme``, an ``InfiniteGraph``,
a networkx graph, a gossip matrix as an ndarray or a scipy sparse matrix: ``topotheory.as_scheme``),
``FloatOrArray``: a float for a scalar argument, an ndarray for an array argument.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["ArrayLike", "FloatOrArray", "SchemeLike"]

#: A ``Scheme``, an ``InfiniteGraph``, a networkx graph or a gossip matrix (``as_scheme``).
SchemeLike = Any
#: A float for a scalar argument, an ndarray for an array argument.
FloatOrArray = Union[float, np.ndarray]
