"""What every figure function returns, and the registry ``topotheory reproduce`` walks."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

__all__ = ["FigureResult", "FIGURES", "get_figure_function"]


@dataclasses.dataclass
class FigureResult:
    """A matplotlib figure together with the data behind it.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    data : dict
        JSON-serialisable data (lists of numbers, strings) from which the figure can be redrawn.
        Tabular data should be a dict of equal-length columns under ``data["table"]`` so it can be
        written as CSV.
    caption : str
        One or two sentences on what the figure shows, including what is not reproducible.
    params : dict
        The parameters used (written next to the data).
    name : str
        File stem, e.g. ``"fig2_effective_neighbors"``.
    """

    figure: Any
    data: dict
    caption: str
    params: dict
    name: str


#: Figure id -> "module:function". ``topotheory figure ID`` and ``topotheory reproduce`` use this
#: table; every function takes keyword-only parameters (paper values as defaults) and ``quick``.
FIGURES = {
    "1": "fig1_time_to_target:time_to_target_figure",
    "2": "fig2_effective_neighbors:effective_neighbors_figure",
    "3": "fig3_theorem6:theorem6_figure",
    "4": "fig4_rates:rates_figure",
    "5": "fig5_covariance:covariance_figure",
    "6": "fig6_orderings:orderings_figure",
    "ring_size": "ring_size:ring_size_figure",
    "gap_bound": "spectral_gap_bound:gap_bound_figure",
    "metric_study": "metric_study:metric_study",
    "merging": "merging:merging_figure",
    "stepsizes": "stepsizes:stepsize_phase_diagram",
    "heterogeneous_rates": "merging:heterogeneous_rates_figure",
    "design_study": "design_study:design_study_figure",
}


def get_figure_function(fig_id):
    """Import and return the figure function registered under ``fig_id``."""
    if fig_id not in FIGURES:
        valid = ", ".join(FIGURES)
        raise ValueError(f"unknown figure {fig_id!r}; valid figures: {valid}")
    module, func = FIGURES[fig_id].split(":")
    return getattr(importlib.import_module(f"topotheory.figures.{module}"), func)
