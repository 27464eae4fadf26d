"""One module per figure: ``compute`` (data, no matplotlib), ``plot`` (drawing) and the figure function."""

from ._base import (
    FIGURE_ALIASES,
    FIGURES,
    FigureData,
    FigureResult,
    canonical_id,
    get_figure_function,
    get_figure_module,
)

__all__ = [
    "FIGURES",
    "FIGURE_ALIASES",
    "FigureData",
    "FigureResult",
    "canonical_id",
    "get_figure_function",
    "get_figure_module",
]
