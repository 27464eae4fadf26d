"""Layer 9 — comparing topologies: the one metric registry behind ``topotheory compare``, the metric
study and anything that ranks topologies, with the ranking statistics (ranks, Kendall's tau).
"""

from . import batch, ranking, registry

__all__ = registry.__all__ + ranking.__all__ + batch.__all__

from .ranking import *  # noqa: F401,F403,E402
from .registry import *  # noqa: F401,F403,E402
from .batch import *  # noqa: F401,F403,E402
