"""Layer 9 — comparing topologies: the one metric registry behind ``topotheory compare``, the metric
study and anything that ranks topologies, with the ranking statistics (ranks, Kendall's tau).
"""

from .ranking import kendall_tau, ranks, round_significant  # noqa: F401
from .registry import (  # noqa: F401
    Metric,
    METRICS,
    DEFAULT_METRICS,
    RATE_METRICS,
    STUDY_METRIC_NAMES,
    STUDY_METRICS,
    register_metric,
    evaluate_metrics,
    ranking_metrics,
)

__all__ = [
    "Metric",
    "METRICS",
    "DEFAULT_METRICS",
    "RATE_METRICS",
    "STUDY_METRIC_NAMES",
    "STUDY_METRICS",
    "register_metric",
    "evaluate_metrics",
    "ranking_metrics",
    "ranks",
    "kendall_tau",
    "round_significant",
]
