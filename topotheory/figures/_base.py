"""What figures return, and the registry ``topotheory figure`` and ``topotheory reproduce`` walk.

Every figure is one module whose name is the figure's id and the stem of its files
(``fig2_effective_neighbors`` -> ``fig2_effective_neighbors.png``, ``.pdf``, ``.csv``, ``.json``).
A figure module offers three functions:

* ``compute(**params)`` -> :class:`FigureData`: the numbers, caption and parameters; it imports no
  matplotlib (the CSV and JSON files hold exactly this);
* ``plot(data)`` -> :class:`matplotlib.figure.Figure`, drawn from a :class:`FigureData` alone (so a
  figure can be redrawn from its JSON file, :meth:`FigureData.from_document`);
* the figure function (e.g. ``effective_neighbors_figure``) = ``plot(compute(...))`` bundled as a
  :class:`FigureResult`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Any

from collections.abc import Callable

from ..common.results import Result

__all__ = [
    "FigureData",
    "FigureResult",
    "FIGURES",
    "FIGURE_ALIASES",
    "canonical_id",
    "get_figure_function",
    "get_figure_module",
    "figure_result",
    "figure_function",
]


@dataclasses.dataclass(frozen=True, repr=False)
class FigureData(Result):
    """The data of a figure, apart from its drawing (what its CSV and JSON files hold).

    Attributes
    ----------
    name : str
        Figure id and file stem, e.g. ``"fig2_effective_neighbors"``.
    data : dict
        JSON-serialisable data (lists of numbers, strings, arrays); tabular data is a dict of
        equal-length columns under ``data["table"]`` (written as CSV).
    caption : str
        What the figure shows, including what does not match the paper.
    params : dict
        The parameters used.
    labels : dict
        Display label of each topology key of the data (e.g. ``"torus"`` -> ``"torus 4×8"``).

    Examples
    --------
    >>> fd = FigureData("line", {"table": {"x": [0, 1], "y": [1.0, 0.0]}}, "A line.", {"k": 1})
    >>> fd.to_frame().shape
    (2, 2)
    >>> FigureData.from_document(fd.document()) == fd
    True
    """

    name: str
    data: dict
    caption: str
    params: dict
    labels: dict = dataclasses.field(default_factory=dict)

    def _frame_columns(self) -> dict[str, Any]:
        return dict(self.data.get("table", {}))

    def document(self, fig_id: Any = None) -> dict[str, Any]:
        """The JSON document of the figure: id, name, caption, parameters, data (and labels)."""
        doc = {"id": fig_id if fig_id is not None else self.name, "name": self.name, "caption": self.caption,
               "params": self.params, "data": self.data}
        if self.labels:
            doc["labels"] = self.labels
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Any:
        """Rebuild the data from a document written by :meth:`document` (e.g. a figure's JSON file)."""
        return cls(doc["name"], doc["data"], doc["caption"], doc["params"], dict(doc.get("labels", {})))

    def label(self, key: Any) -> str:
        """The display label of a topology key."""
        from ._data import topology_label

        return self.labels.get(key) or topology_label(key)


@dataclasses.dataclass
class FigureResult:
    """A matplotlib figure together with the data behind it (``plot(compute(...))``).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    data : dict
        JSON-serialisable data (lists of numbers, strings) from which the figure can be redrawn.
        Tabular data is a dict of equal-length columns under ``data["table"]`` (written as CSV).
    caption : str
        One or two sentences on what the figure shows, including what is not reproducible.
    params : dict
        The parameters used (written next to the data).
    name : str
        Figure id and file stem, e.g. ``"fig2_effective_neighbors"``.
    labels : dict
        Display labels of the data's topology keys.
    """

    figure: Any
    data: dict
    caption: str
    params: dict
    name: str
    labels: dict = dataclasses.field(default_factory=dict)

    def figure_data(self) -> FigureData:
        """The :class:`FigureData` without the drawing."""
        return FigureData(self.name, self.data, self.caption, self.params, dict(self.labels))


def figure_result(data: FigureData, plot: Callable[[FigureData], Any]) -> Any:
    """Bundle :class:`FigureData` with its drawing ``plot(data)`` into a :class:`FigureResult`."""
    return FigureResult(plot(data), data.data, data.caption, data.params, data.name, dict(data.labels))


def figure_function(compute: Callable[..., FigureData], plot: Callable[[FigureData], Any], name: str) -> Callable[..., Any]:
    """The figure function ``name(**params) = figure_result(compute(**params), plot)``.

    It has the signature of ``compute`` (keyword-only parameters, ``quick``) and its documentation
    without the examples (they run once, on ``compute``).
    """

    @functools.wraps(compute)
    def func(**params: Any) -> Any:
        return figure_result(compute(**params), plot)

    func.__name__ = func.__qualname__ = name
    doc = compute.__doc__ or ""
    cut = doc.find("\n    Examples\n")
    func.__doc__ = (doc if cut < 0 else doc[:cut]).replace(
        "FigureData\n", "FigureResult\n        The figure (:func:`plot`) together with the data of :func:`compute`:\n", 1
    )
    return func


class _Registry(dict):
    """``{figure id: "module:function"}`` that also answers to the short aliases (``"2"``)."""

    def __getitem__(self, key: Any) -> Any:
        return dict.__getitem__(self, FIGURE_ALIASES.get(key, key))

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, FIGURE_ALIASES.get(key, key))

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default


#: Figure id (= module = file stem) -> "module:function" of its figure function. ``topotheory
#: figure ID`` and ``topotheory reproduce`` use this table; every figure function takes
#: keyword-only parameters (the paper's values as defaults) and ``quick``. Looking up an alias of
#: :data:`FIGURE_ALIASES` works too (``FIGURES["2"]``); iteration gives the ids.
FIGURES = _Registry(
    {
        "fig1_time_to_target": "fig1_time_to_target:time_to_target_figure",
        "fig2_effective_neighbors": "fig2_effective_neighbors:effective_neighbors_figure",
        "fig3_theorem6": "fig3_theorem6:theorem6_figure",
        "fig4_rates": "fig4_rates:rates_figure",
        "fig5_covariance": "fig5_covariance:covariance_figure",
        "fig6_orderings": "fig6_orderings:orderings_figure",
        "ring_size": "ring_size:ring_size_figure",
        "spectral_gap_bound": "spectral_gap_bound:gap_bound_figure",
        "metric_study": "metric_study:metric_study",
        "merging_schedules": "merging_schedules:merging_figure",
        "stepsize_phase_diagram": "stepsize_phase_diagram:stepsize_phase_diagram",
        "heterogeneous_rates": "heterogeneous_rates:heterogeneous_rates_figure",
        "design_study": "design_study:design_study_figure",
        "random_gossip": "random_gossip:random_gossip_figure",
        "algorithms": "algorithms:algorithms_figure",
        "tracking_heterogeneity": "tracking_heterogeneity:tracking_heterogeneity_figure",
    }
)

#: Short names accepted wherever a figure id is: the paper's figure numbers and earlier ids.
FIGURE_ALIASES = {
    "1": "fig1_time_to_target",
    "2": "fig2_effective_neighbors",
    "3": "fig3_theorem6",
    "4": "fig4_rates",
    "5": "fig5_covariance",
    "6": "fig6_orderings",
    "gap_bound": "spectral_gap_bound",
    "merging": "merging_schedules",
    "stepsizes": "stepsize_phase_diagram",
}


def canonical_id(fig_id: Any) -> str:
    """The figure id of ``fig_id`` or of its alias; ValueError naming the valid ids otherwise.

    Examples
    --------
    >>> canonical_id("2"), canonical_id("ring_size")
    ('fig2_effective_neighbors', 'ring_size')
    """
    if not isinstance(fig_id, str) or fig_id not in FIGURES:
        valid = ", ".join(FIGURES)
        aliases = ", ".join(FIGURE_ALIASES)
        raise ValueError(f"unknown figure {fig_id!r}; valid figures: {valid} (or {aliases})")
    return FIGURE_ALIASES.get(fig_id, fig_id)


def get_figure_module(fig_id: Any) -> Any:
    """The module of figure ``fig_id`` (with its ``compute`` and ``plot`` functions)."""
    return importlib.import_module(f"topotheory.figures.{canonical_id(fig_id)}")


def get_figure_function(fig_id: Any) -> Callable[..., Any]:
    """Import and return the figure function registered under ``fig_id`` (an id or an alias)."""
    module, func = FIGURES[canonical_id(fig_id)].split(":")
    return getattr(importlib.import_module(f"topotheory.figures.{module}"), func)
