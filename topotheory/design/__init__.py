"""Layer 9 — design: gossip weights and schedules that optimise the metrics of the layers below
(spectral gap, effective number of neighbours, mean-square deviation, the exact toy rate)."""

from . import weights, schedules

__all__ = weights.__all__ + schedules.__all__

from .weights import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
