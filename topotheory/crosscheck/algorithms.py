r"""The two routes :func:`topotheory.crosscheck` compares for an algorithm of the registry.

For ``algorithm="dsgd"`` without hyper-parameters the routes are today's: the exact theory of
THEORY §3.2–3.3 (:func:`topotheory.quadratic_rate`, :func:`topotheory.loss_curve`, with the
``method``/``mode`` choice) and :func:`topotheory.simulate_dsgd`. For any other algorithm of
:data:`topotheory.ALGORITHMS`:

* theory — the exact second-moment recursion of the algorithm's per-worker state, through the
  same public functions with ``algorithm=`` and the hyper-parameters by name;
* simulation — :func:`topotheory.simulate_algorithm`, the algorithm written as its paper's
  pseudo-code (independent of the recursion).

Both implement the update rules of :mod:`topotheory.algorithms.registry`; the statistics core
(:mod:`topotheory.crosscheck.stats`) judges whether they agree.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from ..simulate.algorithms import check_algorithm_run, simulate_algorithm
from ..simulate.montecarlo import simulate_dsgd

__all__ = ["Routes", "algorithm_routes"]


@dataclasses.dataclass(frozen=True)
class Routes:
    """The theory and the simulation of one algorithm, with its validated hyper-parameters.

    Attributes
    ----------
    algorithm : str
    hyperparameters : dict
        Defaults filled in (empty for D-SGD).
    rate : callable
        ``rate(scheme, lr=, zeta=)`` — the exact asymptotic rate (NaN when the map diverges).
    curve : callable
        ``curve(scheme, lr=, zeta=, steps=, initial=)`` — the exact expected loss at every step.
    simulate : callable
        ``simulate(scheme, lr=, d=, steps=, reps=, batch_size=, x0=, seed=, chunk_size=, threads=)``
        returning a :class:`~topotheory.simulate.montecarlo.DSGDSimulation`.
    title : str
        Human-readable name, for reports.
    """

    algorithm: str
    hyperparameters: dict[str, Any]
    rate: Callable[..., Any]
    curve: Callable[..., Any]
    simulate: Callable[..., Any]
    title: str

    @property
    def is_dsgd(self) -> bool:
        """True for today's route (plain D-SGD)."""
        return self.algorithm == "dsgd"


def algorithm_routes(algorithm: str = "dsgd", hyperparameters: dict[str, Any] | None = None, *, lr: float, d: int,
                     method: str = "exact", mode: str = "worst") -> Routes:
    """The :class:`Routes` of ``algorithm`` (validated: unknown names and values are refused).

    ``method``/``mode`` choose the D-SGD rate (:func:`topotheory.quadratic_rate`); the other
    algorithms have the exact rate only (``method="exact"``, refused otherwise).

    Examples
    --------
    >>> r = algorithm_routes("dmsgd", {"momentum": 0.5}, lr=0.1, d=10)
    >>> r.algorithm, r.hyperparameters, r.title
    ('dmsgd', {'momentum': 0.5, 'gossip_momentum': False}, 'DmSGD, heavy-ball momentum')
    >>> algorithm_routes(lr=0.1, d=10).simulate.__name__
    'simulate_dsgd'
    """
    from ..toy.quadratic import loss_curve, quadratic_rate

    alg, hp = check_algorithm_run(algorithm, hyperparameters, lr=lr, d=d)
    if alg.name == "dsgd":
        return Routes("dsgd", {}, functools.partial(quadratic_rate, method=method, mode=mode), loss_curve,
                      simulate_dsgd, alg.title)
    if method != "exact":
        raise ValueError(f"method={method!r} is a D-SGD approximation; algorithm {alg.name!r} has the exact rate "
                         "only (method='exact')")
    given = dict(hyperparameters or {})  # both routes validate and fill in the defaults themselves
    return Routes(
        alg.name,
        hp,
        functools.partial(quadratic_rate, algorithm=alg.name, **given),
        functools.partial(loss_curve, algorithm=alg.name, **given),
        functools.partial(simulate_algorithm, algorithm=alg.name, **given),
        alg.title,
    )
