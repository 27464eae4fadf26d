"""One module per figure; each figure function returns a :class:`FigureResult`."""

from ._base import FIGURES, FigureResult, get_figure_function

__all__ = ["FIGURES", "FigureResult", "get_figure_function"]
