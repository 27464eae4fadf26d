"""Layer 8 — beyond identical data: heterogeneous problems, exact mean/covariance propagation,
gossip schedules, merging and per-agent step sizes.
"""

from . import problems, merging, schedules, stepsizes

__all__ = problems.__all__ + merging.__all__ + schedules.__all__ + stepsizes.__all__

from .problems import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .stepsizes import *  # noqa: F401,F403
