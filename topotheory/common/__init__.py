"""Package-internal helpers shared by every layer: input validation, seeds, JSON conversion.

Nothing here is public API; the names are public only so that the layers above can share them.
"""

from .validation import (  # noqa: F401
    gamma_pair,
    check_int,
    check_real,
    check_gamma,
    check_choice,
    as_float_array,
)
from .rng import (  # noqa: F401
    as_generator,
    spawn_seeds,
)
from .jsonable import (  # noqa: F401
    jsonable,
)

__all__ = [
    "gamma_pair",
    "check_int",
    "check_real",
    "check_gamma",
    "check_choice",
    "as_float_array",
    "as_generator",
    "spawn_seeds",
    "jsonable",
]
