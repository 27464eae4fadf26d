"""Layer 9 — comparing topologies: the one metric registry behind ``topotheory compare`` and the
metric study.
"""

from . import registry

__all__ = registry.__all__

from .registry import *  # noqa: F401,F403
