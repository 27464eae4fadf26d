"""A registry of per-topology metrics: the columns of ``topotheory compare`` and of metric studies.

Each metric is a function ``func(scheme, **params) -> float`` (NaN when it does not apply) or, for
metrics evaluated on a grid (``effective_neighbors`` over several decays), a dict. ``params`` lists
the keyword parameters the metric needs (``zeta``, ``gammas``, ...); :func:`evaluate_metrics` passes
only those.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

__all__ = ["Metric", "METRICS", "DEFAULT_METRICS", "register_metric", "evaluate_metrics"]


@dataclasses.dataclass(frozen=True)
class Metric:
    """A named metric of a gossip scheme."""

    name: str
    func: Callable
    description: str
    params: tuple = ()


#: All registered metrics, by name, in registration order.
METRICS: dict = {}


def register_metric(name, func, description, *, params=()):
    """Register ``func(scheme, **params)`` under ``name`` (replacing an earlier one of that name).

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
    METRICS[name] = Metric(name, func, description, tuple(params))


def evaluate_metrics(scheme, names, **params):
    """Evaluate the metrics ``names`` on ``scheme``; returns ``{name: value}``.

    A metric whose parameters are missing from ``params`` (e.g. rates without ``zeta``) raises a
    ValueError naming the missing parameter.
    """
    out = {}
    for name in names:
        if name not in METRICS:
            valid = ", ".join(METRICS)
            raise ValueError(f"unknown metric {name!r}; valid metrics: {valid}")
        m = METRICS[name]
        missing = [p for p in m.params if params.get(p) is None]
        if missing:
            raise ValueError(f"metric {name!r} needs the parameter(s) {', '.join(missing)}")
        out[name] = m.func(scheme, **{p: params[p] for p in m.params})
    return out


# ------------------------------------------------------------------------------ built-ins
def _gap(kind):
    def f(scheme):
        from ..metrics.spectral import spectral_gap

        return spectral_gap(scheme, kind)

    return f


def _nw_dict(scheme, gammas):
    """n_W ("mean") at each decay; keys are the decays as given (strings keep their spelling)."""
    import numpy as np

    from ..metrics.randomwalk import effective_neighbors

    values = [float(g) for g in gammas]
    nw = np.atleast_1d(effective_neighbors(scheme, np.asarray(values)))
    keys = [g if isinstance(g, str) else repr(float(g)) for g in gammas]
    return dict(zip(keys, (float(v) for v in nw)))


def _rate_metric(attr):
    def f(scheme, zeta):
        from ..toy.quadratic import optimal_learning_rate

        res = optimal_learning_rate(scheme, zeta=zeta)
        return getattr(res, attr)

    return f


def _max_lr(scheme, zeta):
    from ..toy.quadratic import max_learning_rate

    return max_learning_rate(scheme, zeta=zeta)


register_metric("spectral_gap", _gap("abs"), "1 - max_{i>=2} |lambda_i| (the paper's convention)")
register_metric("spectral_gap_lambda2", _gap("lambda2"), "1 - lambda_2")
register_metric("spectral_gap_koloskova", _gap("koloskova"), "1 - ||W - J||_2^2 (Koloskova et al. 2020)")
register_metric(
    "effective_neighbors", _nw_dict, "n_W(gamma), 'mean' mode, at each requested decay", params=("gammas",)
)
register_metric(
    "optimal_learning_rate", _rate_metric("lr"), "learning rate maximising the toy rate", params=("zeta",)
)
register_metric("optimal_rate", _rate_metric("rate"), "toy convergence rate at the optimal lr", params=("zeta",))
register_metric("max_learning_rate", _max_lr, "stability edge of the toy problem", params=("zeta",))


def _functional(name, **kw):
    def f(scheme, **params):
        from ..metrics import functionals

        return getattr(functionals, name)(scheme, **kw, **params)

    return f


def _s1_lr(scheme, zeta):
    from ..metrics.functionals import s1_functional

    return s1_functional(scheme, lr=1.0 / zeta)


def _koloskova(field):
    def f(scheme):
        from ..metrics.functionals import koloskova_mixing

        return getattr(koloskova_mixing(scheme), field)

    return f


def _finite_time(scheme):
    from ..graphs.scheme import finite_time_consensus

    return float(finite_time_consensus(scheme))


register_metric("s0", _functional("s0_functional"), "S_0 = (1/n) sum_{j>=2} 1/(1 - lambda_j^2)")
register_metric("s1", _functional("s1_functional"), "S_1 = (1/n) sum_{j>=2} lambda_j^2/(1 - lambda_j^2), a spectral average")
register_metric("s1_lr", _s1_lr, "S_1 corrected at the learning rate 1/zeta", params=("zeta",))
register_metric("koloskova_p", _koloskova("p"), "Koloskova's p = 1 - ||Pi - J||_2^2 over one period")
register_metric("koloskova_tau", _koloskova("tau"), "Koloskova's window length tau (= the period)")
register_metric("mixing_time", _functional("mixing_time", eps=0.01), "steps until ||Pi_t - J||_2 <= 0.01")
register_metric("finite_time_consensus", _finite_time, "1 if the one-period product is exactly J")

#: Columns ``compare`` shows by default (rate columns appear when a noise level is given).
DEFAULT_METRICS = ("spectral_gap", "effective_neighbors")
RATE_METRICS = ("optimal_learning_rate", "optimal_rate", "max_learning_rate")
