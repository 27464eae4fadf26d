"""The explorer's state and computation, apart from any widget.

:class:`ExplorerState` holds the explorer's values (topology, ``n``, learning rate, model dimension
and batch size, decay) and turns them into the data the explorer plots, through the public API only:
:func:`~topotheory.effective_neighbors` over a grid of decays, :func:`~topotheory.quadratic_rate`
over a grid of learning rates with :func:`~topotheory.optimal_learning_rate`, and on request a quick
:func:`~topotheory.simulate_dsgd` with :func:`~topotheory.estimate_rate`. What depends only on the
graph (or on the graph and the noise level) is cached, so moving the learning-rate or decay slider
costs two scalar evaluations.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..common.results import Result
from ..common.validation import check_int, check_real
from ..graphs import TOPOLOGIES, Scheme, as_scheme, fully_connected, solo, topology_from_spec
from ..metrics import effective_neighbors
from ..simulate import RateEstimate, estimate_rate, simulate_dsgd
from ..toy import OptimalLearningRate, loss_curve, optimal_learning_rate, quadratic_rate, zeta

__all__ = ["ExplorerState", "ExplorerView", "ExplorerRun"]

#: The topology value that selects the user's own scheme.
CUSTOM = "custom"

_VALUES = ("topology", "n", "lr", "d", "batch_size", "gamma", "steps", "reps", "seed")
_CACHE_SIZE = 16


@dataclasses.dataclass(frozen=True, repr=False)
class ExplorerView(Result):
    """What the explorer plots for one set of values (returned by :meth:`ExplorerState.update`).

    Attributes
    ----------
    topology : str
        The topology value (a name of ``TOPOLOGIES`` or ``"custom"``).
    scheme : str
        The scheme's name.
    n : int
        Number of workers of the scheme.
    lr, zeta, gamma : float
        The learning rate, the noise level ``zeta(d, batch_size)`` and the decay of the γ slider.
    one_minus_gammas : ndarray
        The decays of the n_W curves, as :math:`1-\\gamma` (log-spaced in ``[1e-3, 1]``).
    nw_mean, nw_worst : ndarray
        ``effective_neighbors(scheme, one_minus_gamma=one_minus_gammas, mode="mean" / "worst")``.
    nw_at_gamma, nw_worst_at_gamma : float
        The same at the slider's ``gamma``.
    lrs, rates : ndarray
        ``quadratic_rate(scheme, lr=lrs, zeta=zeta)`` on a grid inside ``(0, optimum.max_lr)``.
    rates_solo, rates_fully_connected : ndarray
        The same for ``solo(n)`` and ``fully_connected(n)`` (the two extremes).
    rate : float
        ``quadratic_rate`` at ``lr``; NaN where D-SGD diverges.
    gamma_of_lr, nw_of_lr : float
        The decay the rate at ``lr`` implies, :math:`\\gamma = (1-\\eta)^2/(1-r)` (paper eq. 7), and
        ``effective_neighbors`` (mode "mean") there; NaN where the rate is.
    optimum : OptimalLearningRate
        ``optimal_learning_rate(scheme, zeta=zeta)``.
    """

    topology: str
    scheme: str
    n: int
    lr: float
    zeta: float
    gamma: float
    one_minus_gammas: np.ndarray
    nw_mean: np.ndarray
    nw_worst: np.ndarray
    nw_at_gamma: float
    nw_worst_at_gamma: float
    lrs: np.ndarray
    rates: np.ndarray
    rates_solo: np.ndarray
    rates_fully_connected: np.ndarray
    rate: float
    gamma_of_lr: float
    nw_of_lr: float
    optimum: OptimalLearningRate

    def _frame_columns(self) -> dict[str, Any]:
        return {"lr": self.lrs, "rate": self.rates, "rate_solo": self.rates_solo,
                "rate_fully_connected": self.rates_fully_connected}


@dataclasses.dataclass(frozen=True, repr=False)
class ExplorerRun(Result):
    r"""A quick simulation at the explorer's values (returned by :meth:`ExplorerState.simulate`).

    Attributes
    ----------
    scheme : str
        Name of the topology.
    lr, zeta : float
        Learning rate and noise level :math:`\zeta = d + 2` (batch size 1).
    d, batch_size, steps, reps : int
        Dimension, batch size, steps and replicas of the simulation.
    seed : int
        Its seed.
    t : ndarray
        Steps ``0..steps``.
    loss : ndarray
        Replica mean of the simulated loss (``simulate_dsgd(...).loss``).
    loss_sem : ndarray
        Its standard error.
    expected_loss : ndarray
        The exact expected loss, ``loss_curve(scheme, lr=lr, zeta=zeta, steps=steps)``.
    estimate : RateEstimate
        ``estimate_rate`` of the simulation.
    exact_rate : float
        ``quadratic_rate(scheme, lr=lr, zeta=zeta)``.
    n_diverged : int
        Replicas that diverged.
    """

    scheme: str
    lr: float
    zeta: float
    d: int
    batch_size: int
    steps: int
    reps: int
    seed: int
    t: np.ndarray
    loss: np.ndarray
    loss_sem: np.ndarray
    expected_loss: np.ndarray
    estimate: RateEstimate
    exact_rate: float
    n_diverged: int

    def _frame_columns(self) -> dict[str, Any]:
        return {"t": self.t, "loss": self.loss, "loss_sem": self.loss_sem, "expected_loss": self.expected_loss}


class _LRU:
    """A small least-recently-used cache (the explorer revisits a handful of graphs)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: collections.OrderedDict[Any, Any] = collections.OrderedDict()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self.data:
            self.data.move_to_end(key)
            return self.data[key]
        value = make()
        self.data[key] = value
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        return value


class ExplorerState:
    """The interactive explorer's values and the data it plots, without widgets.

    For a topology, a learning rate :math:`\\eta`, a noise level :math:`\\zeta = (1 + b + d)/b`
    (model dimension ``d``, batch size ``b``; :func:`~topotheory.zeta`) and a decay
    :math:`\\gamma`, :meth:`update` returns an :class:`ExplorerView` with

    * the effective number of neighbours :math:`n_W(\\gamma)` (paper Definition 1, eq. 6) over a
      log grid of :math:`1-\\gamma`, modes "mean" and "worst", and at the slider's ``gamma``;
    * the exact rate :math:`r(\\eta)` of D-SGD on the toy problem over
      :math:`0 < \\eta < \\eta_{\\max}` (THEORY §3.3), beside the two extremes (alone, fully
      connected), its value at ``lr``, the decay :math:`\\gamma = (1-\\eta)^2/(1-r)` it implies
      (paper eq. 7) and the optimum :math:`\\eta^*` (:func:`~topotheory.optimal_learning_rate`).

    :meth:`simulate` runs a quick seeded Monte Carlo (:func:`~topotheory.simulate_dsgd`, gossip
    row-wise, :math:`X \\leftarrow W X`) and fits its rate (:func:`~topotheory.estimate_rate`).
    Everything is computed by the public functions named; the graph, its n_W curves and (per noise
    level) its rate curve and optimum are cached, so changing ``lr`` or ``gamma`` is cheap.

    Parameters
    ----------
    topology : str, or Scheme / networkx graph / matrix
        A name of :data:`~topotheory.TOPOLOGIES` (built by
        :func:`~topotheory.topology_from_spec` with ``n`` workers), or the user's own graph
        (anything :func:`~topotheory.as_scheme` accepts), selected as ``"custom"``.
    n : int
        Number of workers of the named topologies (>= 1); a custom scheme keeps its own size.
    lr : float
        Learning rate :math:`\\eta > 0`.
    d, batch_size : int
        Model dimension and mini-batch size (>= 1); they set :math:`\\zeta` and the simulation.
    gamma : float
        Decay in ``[0, 1)`` at which :math:`n_W` is read off.
    steps, reps, seed : int
        Steps, replicas and seed of :meth:`simulate` (small by default: a quick look).
    gamma_points, lr_points : int
        Sizes of the two grids (>= 2).

    Examples
    --------
    >>> from topotheory import ExplorerState, ring, effective_neighbors
    >>> state = ExplorerState("ring", n=32, lr=0.05, d=48)
    >>> view = state.update(gamma=0.99)
    >>> view.zeta, round(view.nw_at_gamma, 4), round(view.rate, 6)
    (50.0, 17.0755, 0.091202)
    >>> round(view.optimum.lr, 6)
    0.091382
    >>> view = state.update(lr=0.02)          # only the markers move; the curves are cached
    >>> round(view.rate, 6)
    0.038942
    >>> state.update(topology="rng")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: topology must be one of 'ring', 'uni_ring', ... ('custom' needs a scheme given to the explorer); got 'rng'
    """

    def __init__(self, topology: Any = "ring", n: int = 32, *, lr: float = 0.05, d: int = 48, batch_size: int = 1,
                 gamma: float = 0.9, steps: int = 200, reps: int = 100, seed: int = 0, gamma_points: int = 60,
                 lr_points: int = 40) -> None:
        self._custom = None
        if not isinstance(topology, str):
            self._custom = as_scheme(topology, argname="topology")
            topology = CUSTOM
        self.gamma_points = check_int("gamma_points", gamma_points, minimum=2)
        self.lr_points = check_int("lr_points", lr_points, minimum=2)
        self._schemes = _LRU(_CACHE_SIZE)
        self._curves = _LRU(_CACHE_SIZE)
        self._rates = _LRU(_CACHE_SIZE)
        self._values: dict[str, Any] = {}
        self._set(dict(topology=topology, n=n, lr=lr, d=d, batch_size=batch_size, gamma=gamma, steps=steps,
                       reps=reps, seed=seed))
        self.view: ExplorerView | None = None
        self.run: ExplorerRun | None = None

    # -- values ----------------------------------------------------------------------------------
    @property
    def topologies(self) -> tuple[str, ...]:
        """The topology values on offer: the names of ``TOPOLOGIES``, and ``"custom"`` with a scheme."""
        return tuple(TOPOLOGIES) + ((CUSTOM,) if self._custom is not None else ())

    @property
    def custom(self) -> Scheme | None:
        """The user's own scheme (or None)."""
        return self._custom

    @property
    def values(self) -> dict[str, Any]:
        """The current values (a copy)."""
        return dict(self._values)

    @property
    def zeta(self) -> float:
        """The noise level :math:`\\zeta = (1 + b + d)/b` of the current ``d`` and ``batch_size``."""
        return zeta(self._values["d"], self._values["batch_size"])

    @property
    def scheme(self) -> Scheme:
        """The scheme of the current topology (built once per topology and ``n``)."""
        topology, n = self._values["topology"], self._values["n"]
        if topology == CUSTOM and self._custom is not None:
            return self._custom
        return self._schemes.get((topology, n), lambda: topology_from_spec(topology, n=n))

    def _set(self, values: dict[str, Any]) -> None:
        unknown = sorted(set(values) - set(_VALUES))
        if unknown:
            raise TypeError(f"unknown explorer value {unknown[0]!r}; the values are {', '.join(_VALUES)}")
        new = dict(self._values, **values)
        if "topology" in values:
            topology = values["topology"]
            if not isinstance(topology, str) or topology not in self.topologies:
                allowed = ", ".join(repr(t) for t in TOPOLOGIES)
                if self._custom is not None:
                    allowed += f" or {CUSTOM!r} (the scheme given to the explorer)"
                else:
                    allowed += f" ({CUSTOM!r} needs a scheme given to the explorer)"
                raise ValueError(f"topology must be one of {allowed}; got {topology!r}")
        checks = {
            "n": lambda v: check_int("n", v, minimum=1),
            "lr": lambda v: check_real("lr", v, low=0, low_open=True),
            "d": lambda v: check_int("d", v, minimum=1),
            "batch_size": lambda v: check_int("batch_size", v, minimum=1),
            "gamma": lambda v: check_real("gamma", v, low=0, high=1, high_open=True),
            "steps": lambda v: check_int("steps", v, minimum=1),
            "reps": lambda v: check_int("reps", v, minimum=1),
            "seed": lambda v: check_int("seed", v, minimum=0),
        }
        for name, value in values.items():
            if name in checks:
                new[name] = checks[name](value)
        self._values = new

    # -- computation -----------------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        v = self._values
        return (v["topology"], v["n"] if v["topology"] != CUSTOM else None)

    def _nw_curves(self, scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            omg = np.logspace(-3, 0, self.gamma_points)
            return (omg, effective_neighbors(scheme, one_minus_gamma=omg, mode="mean"),
                    effective_neighbors(scheme, one_minus_gamma=omg, mode="worst"))

        return self._curves.get(self._key(), make)

    def _rate_curves(self, scheme: Scheme,
                     z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, OptimalLearningRate]:
        def make() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, OptimalLearningRate]:
            opt = optimal_learning_rate(scheme, zeta=z)
            lrs = opt.max_lr * np.arange(1, self.lr_points + 1) / (self.lr_points + 1)
            return (lrs, quadratic_rate(scheme, lr=lrs, zeta=z),
                    quadratic_rate(solo(scheme.n), lr=lrs, zeta=z),
                    quadratic_rate(fully_connected(scheme.n), lr=lrs, zeta=z), opt)

        return self._rates.get(self._key() + (z,), make)

    def update(self, **values: Any) -> ExplorerView:
        """Set any of the values (keywords as in the constructor) and return the plotted data.

        Values are checked first; on a ValueError/TypeError nothing changes.

        Returns
        -------
        ExplorerView
        """
        old = self._values
        self._set(values)
        try:
            scheme = self.scheme
            z = self.zeta
            omg, nw_mean, nw_worst = self._nw_curves(scheme)
            lrs, rates, rates_solo, rates_fc, opt = self._rate_curves(scheme, z)
        except Exception:
            self._values = old
            raise
        v = self._values
        lr, gamma = v["lr"], v["gamma"]
        rate = float(quadratic_rate(scheme, lr=lr, zeta=z))
        g_lr = (1.0 - lr) ** 2 / (1.0 - rate) if math.isfinite(rate) else math.nan
        nw_lr = float(effective_neighbors(scheme, g_lr)) if 0 <= g_lr < 1 else math.nan
        self.view = view = ExplorerView(
            topology=v["topology"], scheme=str(scheme.name), n=int(scheme.n), lr=lr, zeta=z, gamma=gamma,
            one_minus_gammas=omg, nw_mean=nw_mean, nw_worst=nw_worst,
            nw_at_gamma=float(effective_neighbors(scheme, gamma)),
            nw_worst_at_gamma=float(effective_neighbors(scheme, gamma, mode="worst")),
            lrs=lrs, rates=rates, rates_solo=rates_solo, rates_fully_connected=rates_fc, rate=rate,
            gamma_of_lr=g_lr, nw_of_lr=nw_lr, optimum=opt,
        )
        return view

    def simulate(self, **values: Any) -> ExplorerRun:
        """Set any values, then run the quick simulation at them (seeded) and fit its rate.

        ``simulate_dsgd(scheme, lr=lr, d=d, batch_size=batch_size, steps=steps, reps=reps,
        seed=seed)`` and ``estimate_rate`` of it, next to the exact expected loss
        (:func:`~topotheory.loss_curve`) and rate.

        Returns
        -------
        ExplorerRun
        """
        self._set(values)
        v = self._values
        scheme, z = self.scheme, self.zeta
        if not isinstance(scheme, Scheme):
            raise TypeError(f"the simulation needs a finite Scheme, got {type(scheme).__name__}")
        sim = simulate_dsgd(scheme, lr=v["lr"], d=v["d"], batch_size=v["batch_size"], steps=v["steps"],
                            reps=v["reps"], seed=v["seed"])
        self.run = run = ExplorerRun(
            scheme=str(scheme.name), lr=v["lr"], zeta=z, d=v["d"], batch_size=v["batch_size"], steps=v["steps"],
            reps=v["reps"], seed=v["seed"], t=np.arange(v["steps"] + 1), loss=sim.loss, loss_sem=sim.loss_sem,
            expected_loss=loss_curve(scheme, lr=v["lr"], zeta=z, steps=v["steps"]), estimate=estimate_rate(sim),
            exact_rate=float(quadratic_rate(scheme, lr=v["lr"], zeta=z)), n_diverged=int(sim.n_diverged),
        )
        return run
