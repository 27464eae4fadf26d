"""The one registry of per-topology metrics: the columns of ``topotheory compare``, the metrics the
metric study ranks topologies by, and anything else that ranks metrics.

Each metric is a function ``func(scheme, **params) -> float`` (NaN when it does not apply) or, for
metrics evaluated on a grid (``effective_neighbors`` over several decays), a dict. ``params`` lists
the keyword parameters the metric needs (``zeta``, ``gammas``, ...); :func:`evaluate_metrics` passes
only those. A metric that orders topologies has an ``orientation``: +1 when a larger value predicts
a better connected (faster) topology, -1 when a smaller one does; :data:`STUDY_METRICS` is the view
of the metrics the metric study ranks by, in the study's order.
"""

from __future__ import annotations

import collections.abc
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

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
]


@dataclasses.dataclass(frozen=True)
class Metric:
    """A named metric of a gossip scheme.

    ``label`` is its display name (tables and figures); ``orientation`` is +1 when a larger value
    predicts a better topology, -1 when a smaller one does, 0 when the metric does not order
    topologies (e.g. a dict over decays).

    Attributes
    ----------
    name : str
        The registry key (a ``compare --metrics`` name).
    func : callable
        ``func(scheme, **params)`` returning a float (NaN where it does not apply) or a dict.
    description : str
        One line for ``compare --metrics list``.
    params : tuple of str
        The keyword parameters the metric needs (``zeta``, ``gammas``, ...).
    label : str
        Display name in tables and figures.
    orientation : int
        +1 (larger is better), -1 (smaller is better) or 0 (does not order topologies).

    Examples
    --------
    >>> from topotheory import ring
    >>> round(METRICS["spectral_gap"](ring(8)), 12), METRICS["spectral_gap"].orientation
    (0.195262145876, 1)
    """

    name: str
    func: Callable[..., Any]
    description: str
    params: tuple[str, ...] = ()
    label: str = ""
    orientation: int = 0

    def __call__(self, scheme: Any, **params: Any) -> Any:
        """Evaluate on ``scheme`` with the parameters this metric needs (others are ignored)."""
        missing = [p for p in self.params if params.get(p) is None]
        if missing:
            raise ValueError(f"metric {self.name!r} needs the parameter(s) {', '.join(missing)}")
        return self.func(scheme, **{p: params[p] for p in self.params})


#: All registered metrics, by name, in registration order.
METRICS: dict[str, Metric] = {}


def register_metric(name: str, func: Callable[..., Any], description: str, *, params: Iterable[str] = (),
                    label: str | None = None, orientation: int = 0) -> None:
    """Register ``func(scheme, **params)`` under ``name`` (replacing an earlier one of that name).

    ``label`` (default: ``name``) is the display name; ``orientation`` is +1 (larger is better),
    -1 (smaller is better) or 0 (does not order topologies).

    Parameters
    ----------
    name : str
        Non-empty registry key.
    func : callable
        ``func(scheme, **params) -> float`` (or a dict over a grid).
    description : str
        One line for ``compare --metrics list``.
    params : iterable of str, optional
        The keyword parameters ``func`` needs.
    label : str, optional
        Display name (default: ``name``).
    orientation : {-1, 0, 1}, optional
        Whether larger (+1) or smaller (-1) values predict a better topology.

    Returns
    -------
    None
        The metric is stored in :data:`METRICS`.

    Examples
    --------
    >>> from topotheory import ring
    >>> register_metric("n_workers", lambda s: s.n, "number of workers")
    >>> evaluate_metrics(ring(5), ["n_workers"])
    {'n_workers': 5}
    >>> del METRICS["n_workers"]
    """
    if not isinstance(name, str) or not name:
        raise ValueError("metric name must be a non-empty string")
    if not callable(func):
        raise TypeError(f"func must be callable, got {func!r}")
    if orientation not in (-1, 0, 1) or isinstance(orientation, bool):
        raise ValueError(f"orientation must be -1, 0 or 1, got {orientation!r}")
    METRICS[name] = Metric(name, func, description, tuple(params), label or name, int(orientation))


def evaluate_metrics(scheme: Any, names: Iterable[str], **params: Any) -> dict[str, Any]:
    r"""Evaluate the metrics ``names`` on ``scheme``; returns ``{name: value}``.

    A metric whose parameters are missing from ``params`` (e.g. rates without ``zeta``) raises a
    ValueError naming the missing parameter. The rate columns share one cached optimum per scheme
    and :math:`\zeta`.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme.
    names : iterable of str
        Registered metric names.
    **params
        The metrics' parameters (``zeta``, ``gammas``, ...); each metric receives those it needs.

    Returns
    -------
    dict
        ``{name: value}`` in the order of ``names``.

    Examples
    --------
    >>> from topotheory import ring
    >>> out = evaluate_metrics(ring(8), ["spectral_gap", "optimal_rate"], zeta=50.0)
    >>> {k: round(v, 10) for k, v in out.items()}
    {'spectral_gap': 0.1952621459, 'optimal_rate': 0.1097535952}
    """
    out: dict[str, Any] = {}
    for name in names:
        if name not in METRICS:
            valid = ", ".join(METRICS)
            raise ValueError(f"unknown metric {name!r}; valid metrics: {valid}")
        out[name] = METRICS[name](scheme, **params)
    return out


def ranking_metrics(names: Iterable[str] | None = None) -> list[Metric]:
    """The registered metrics that order topologies (``orientation != 0``), or those of ``names``.

    Parameters
    ----------
    names : iterable of str, optional
        Metric names (each must order topologies); default: every ordering metric.

    Returns
    -------
    list of Metric
        In registration order, or in the order of ``names``.

    Examples
    --------
    >>> [m.name for m in ranking_metrics(["s0", "spectral_gap"])]
    ['s0', 'spectral_gap']
    >>> ranking_metrics(["effective_neighbors"])
    Traceback (most recent call last):
    ...
    ValueError: metric 'effective_neighbors' does not order topologies (orientation 0)
    """
    if names is None:
        return [m for m in METRICS.values() if m.orientation]
    out = []
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; valid metrics: {', '.join(METRICS)}")
        if not METRICS[name].orientation:
            raise ValueError(f"metric {name!r} does not order topologies (orientation 0)")
        out.append(METRICS[name])
    return out


# ------------------------------------------------------------------------------ built-ins
def _gap(kind: str) -> Callable[[Any], float]:
    def f(scheme: Any) -> float:
        from ..metrics.spectral import spectral_gap

        return spectral_gap(scheme, kind)

    return f


def _nw_dict(scheme: Any, gammas: Sequence[Any]) -> dict[str, float]:
    """n_W ("mean") at each decay; keys are the decays as given (strings keep their spelling)."""
    import numpy as np

    from ..metrics.randomwalk import effective_neighbors

    values = [float(g) for g in gammas]
    nw = np.atleast_1d(effective_neighbors(scheme, np.asarray(values)))
    keys = [g if isinstance(g, str) else repr(float(g)) for g in gammas]
    return dict(zip(keys, (float(v) for v in nw)))


def _rate_metric(attr: str) -> Callable[[Any, float], float]:
    def f(scheme: Any, zeta: float) -> float:
        from ..toy.quadratic import optimal_learning_rate

        res = optimal_learning_rate(scheme, zeta=zeta)
        return getattr(res, attr)

    return f


def _max_lr(scheme: Any, zeta: float) -> float:
    from ..toy.quadratic import max_learning_rate

    return max_learning_rate(scheme, zeta=zeta)


register_metric("spectral_gap", _gap("abs"), "1 - max_{i>=2} |lambda_i| (the paper's convention)",
                label="spectral gap", orientation=1)
register_metric("spectral_gap_lambda2", _gap("lambda2"), "1 - lambda_2", label="spectral gap (1 - λ₂)",
                orientation=1)
register_metric("spectral_gap_koloskova", _gap("koloskova"), "1 - ||W - J||_2^2 (Koloskova et al. 2020)",
                label="spectral gap (Koloskova)", orientation=1)
register_metric(
    "effective_neighbors", _nw_dict, "n_W(gamma), 'mean' mode, at each requested decay", params=("gammas",)
)
register_metric(
    "optimal_learning_rate", _rate_metric("lr"), "learning rate maximising the toy rate", params=("zeta",),
    label="optimal lr", orientation=1,
)
register_metric("optimal_rate", _rate_metric("rate"), "toy convergence rate at the optimal lr", params=("zeta",),
                label="optimal rate", orientation=1)
register_metric("max_learning_rate", _max_lr, "stability edge of the toy problem", params=("zeta",),
                label="largest stable lr", orientation=1)


def _functional(name: str, **kw: Any) -> Callable[..., float]:
    def f(scheme: Any, **params: Any) -> float:
        from ..metrics import functionals

        return getattr(functionals, name)(scheme, **kw, **params)

    return f


def _s1_lr(scheme: Any, zeta: float) -> float:
    from ..metrics.functionals import s1_functional

    return s1_functional(scheme, lr=1.0 / zeta)


def _koloskova(field: str) -> Callable[[Any], float]:
    def f(scheme: Any) -> float:
        from ..metrics.functionals import koloskova_mixing

        return getattr(koloskova_mixing(scheme), field)

    return f


def _finite_time(scheme: Any) -> float:
    from ..graphs.scheme import finite_time_consensus

    _fixed_products_only(scheme, "finite_time_consensus", "a random product is J only by chance")
    return float(finite_time_consensus(scheme))


def _fixed_products_only(scheme: Any, metric: str, why: str) -> None:
    """ValueError naming why ``metric`` is undefined for a random scheme (it needs a fixed matrix product)."""
    if getattr(scheme, "is_random_scheme", False) is True:
        raise ValueError(f"metric {metric!r} is undefined for the random scheme {scheme!r}: it needs a fixed "
                         f"product of gossip matrices ({why}); spectral_gap_koloskova and koloskova_p give the "
                         "expected contraction")


def _mixing_time(scheme: Any) -> float:
    _fixed_products_only(scheme, "mixing_time", "||W_t...W_1 - J|| is random")
    return _functional("mixing_time", eps=0.01)(scheme)


def _gap_per_step(scheme: Any) -> float:
    from ..metrics.spectral import spectral_gap

    return spectral_gap(scheme, "abs", per_step=True)


def _koloskova_p_over_tau(scheme: Any) -> float:
    from ..metrics.functionals import koloskova_mixing

    k = koloskova_mixing(scheme)
    return k.p / k.tau


def _nw_at(gamma: float) -> Callable[[Any], float]:
    def f(scheme: Any) -> float:
        from ..metrics.randomwalk import effective_neighbors

        return effective_neighbors(scheme, gamma, mode="mean")

    return f


def _nw_at_zeta(scheme: Any, zeta: float) -> float:
    from ..metrics.randomwalk import effective_neighbors

    return effective_neighbors(scheme, 1.0 - 1.0 / zeta, mode="mean")


register_metric("s0", _functional("s0_functional"), "S_0 = (1/n) sum_{j>=2} 1/(1 - lambda_j^2)",
                label="S₀", orientation=-1)
register_metric("s1", _functional("s1_functional"), "S_1 = (1/n) sum_{j>=2} lambda_j^2/(1 - lambda_j^2), a spectral average",
                label="S₁", orientation=-1)
register_metric("s1_lr", _s1_lr, "S_1 corrected at the learning rate 1/zeta", params=("zeta",),
                label="S₁ at η=1/ζ", orientation=-1)
register_metric("koloskova_p", _koloskova("p"), "Koloskova's p = 1 - ||Pi - J||_2^2 over one period",
                label="Koloskova p", orientation=1)
register_metric("koloskova_tau", _koloskova("tau"), "Koloskova's window length tau (= the period)",
                label="Koloskova τ")
register_metric("mixing_time", _mixing_time, "steps until ||Pi_t - J||_2 <= 0.01",
                label="mixing time (ε=0.01)", orientation=-1)
register_metric("finite_time_consensus", _finite_time, "1 if the one-period product is exactly J")
register_metric("spectral_gap_per_step", _gap_per_step, "spectral gap ('abs') per gossip step of a periodic scheme",
                label="spectral gap (per step)", orientation=1)
register_metric("koloskova_p_per_tau", _koloskova_p_over_tau, "Koloskova's p/tau (mixing per step)",
                label="Koloskova p/τ", orientation=1)
for _g in (0.9, 0.99, 0.999):
    register_metric(f"effective_neighbors_{_g:g}", _nw_at(_g), f"n_W(gamma = {_g:g}), 'mean' mode",
                    label=f"n_W(γ={_g:g})", orientation=1)
del _g
register_metric("effective_neighbors_zeta", _nw_at_zeta, "n_W(gamma = 1 - 1/zeta), 'mean' mode", params=("zeta",),
                label="n_W(γ=1-1/ζ)", orientation=1)

#: Columns ``compare`` shows by default (rate columns appear when a noise level is given).
DEFAULT_METRICS = ("spectral_gap", "effective_neighbors")
RATE_METRICS = ("optimal_learning_rate", "optimal_rate", "max_learning_rate")

#: The metrics the metric study ranks topologies by, in its order.
STUDY_METRIC_NAMES = (
    "spectral_gap_per_step",
    "koloskova_p_per_tau",
    "mixing_time",
    "s0",
    "s1",
    "s1_lr",
    "effective_neighbors_0.9",
    "effective_neighbors_0.99",
    "effective_neighbors_0.999",
    "effective_neighbors_zeta",
)


StudyEntry = tuple[str, Callable[[Any, float], Any], int]


class _StudyView(collections.abc.Sequence):  # type: ignore[type-arg]
    """``(label, func(scheme, zeta), orientation)`` of each metric of :data:`STUDY_METRIC_NAMES`.

    A read-only view of :data:`METRICS` (re-registering a metric changes what it shows).
    """

    def _entry(self, name: str) -> StudyEntry:
        m = METRICS[name]
        def f(scheme: Any, zeta: float, _m: Metric = m) -> Any:
            return _m(scheme, zeta=zeta)

        return (m.label, f, m.orientation)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._entry(n) for n in STUDY_METRIC_NAMES[index])
        return self._entry(STUDY_METRIC_NAMES[index])

    def __len__(self) -> int:
        return len(STUDY_METRIC_NAMES)

    def __repr__(self) -> str:
        return f"STUDY_METRICS({', '.join(STUDY_METRIC_NAMES)})"


#: The metric study's metrics as ``(label, function(scheme, zeta) -> float, orientation)``, a view
#: of the registry (kept for code written against the study's earlier own table).
STUDY_METRICS = _StudyView()
