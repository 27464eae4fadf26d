"""Layer 9 — comparing topologies: the one metric registry behind ``topotheory compare`` and the
metric study.
"""

from .registry import (  # noqa: F401
    Metric,
    METRICS,
    DEFAULT_METRICS,
    register_metric,
    evaluate_metrics,
)

__all__ = [
    "Metric",
    "METRICS",
    "DEFAULT_METRICS",
    "register_metric",
    "evaluate_metrics",
]
