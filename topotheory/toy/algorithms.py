r"""The toy problem's exact theory for every algorithm of the registry (momentum, tracking, compression, delays).

Each algorithm of :data:`topotheory.ALGORITHMS` declares its step as a linear stochastic recursion
on the per-worker state (:meth:`Algorithm.recursion`); the traces
:math:`T_{(p,i),(q,j)} = \mathbb E\langle z_{ip}, z_{jq}\rangle` of its second moments follow the
exact linear map of :mod:`topotheory.engine.stateful`,

.. math::

    T \mapsto L T L^T + (\kappa - 1)\,(e e^T)\otimes\mathrm{Diag}(v),\qquad
    v_i = (\ell\otimes e_i)^T T (\ell\otimes e_i),

one such sub-step after the other (gossip is row-wise, :math:`X \leftarrow W_t X`). So loss curves
are exact at every step and the asymptotic rate is :math:`r = 1 - \rho^{1/p}`, with :math:`\rho` the
spectral radius of the one-period map (its modulus: for momentum methods the map is not entrywise
non-negative and has complex eigenvalues; it preserves the PSD cone, so :math:`\rho` itself is a
real eigenvalue). These functions are reached through :func:`~topotheory.quadratic_rate`,
:func:`~topotheory.loss_curve` and :func:`~topotheory.max_learning_rate` with
``algorithm=`` and the algorithm's hyper-parameters by name; ``algorithm="dsgd"`` keeps their own
D-SGD routes. :func:`optimal_hyperparameters` tunes the learning rate jointly with the momentum or
the consensus step.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..algorithms import Algorithm, check_algorithm
from ..common.results import Result
from ..common.validation import as_float_array, check_int, check_real
from ..engine import resolve
from ..engine.stateful import StatefulMoments, stateful_rho, stateful_stable

__all__ = [
    "AlgorithmRate",
    "algorithm_rate",
    "algorithm_loss_curve",
    "algorithm_max_learning_rate",
    "OptimalHyperparameters",
    "optimal_hyperparameters",
]


# ------------------------------------------------------------------------------------ inputs
def _scheme(scheme: Any) -> Any:
    rep = resolve(scheme)
    if rep.route == "spectral-measure":
        raise ValueError(f"algorithm= other than 'dsgd' needs a finite scheme; got the infinite graph {scheme!r}")
    return rep.scheme


def _lr(lr: ArrayLike) -> np.ndarray:
    arr = as_float_array("lr", lr)
    if arr.size and (np.any(arr <= 0) or not np.all(np.isfinite(arr))):
        raise ValueError(f"lr must be finite and > 0 (a positive learning rate), got {arr[~(arr > 0) | ~np.isfinite(arr)].flat[0]!r}")
    return arr


def _hyperparameters(alg: Algorithm, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Validated hyper-parameters; real ones may be arrays (every value checked)."""
    scalars, arrays = {}, {}
    for k, v in hyperparameters.items():
        if np.ndim(v) > 0 and not isinstance(v, str):
            arrays[k] = np.asarray(v, dtype=float)
        else:
            scalars[k] = v
    _, hp = check_algorithm(alg, scalars)
    known = {h.name: h for h in alg.hyperparameters}
    for k, arr in arrays.items():
        if k not in known:
            alg.check(**{k: 0})  # the TypeError naming the valid ones
        if known[k].kind != "real":
            raise TypeError(f"{k} must be a single value (only real hyper-parameters may be arrays), got shape {arr.shape}")
        for v in np.unique(arr):
            known[k].check(float(v))
        hp[k] = arr
    return hp


def _rho(scheme: Any, alg: Algorithm, z: float, lr: ArrayLike, hp: Mapping[str, Any],
         route: str = "auto") -> tuple[np.ndarray, str, np.ndarray, np.ndarray]:
    """rho per step (broadcast shape of lr and the array hyper-parameters), route, residual, converged."""
    rec = alg.recursion(lr=lr, zeta=z, **hp)
    rho, name, res, conv = stateful_rho(scheme, rec, route)
    p = scheme.period
    shape = rec.batch
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(rho > 0, np.exp(np.log(np.maximum(rho, 1e-300)) / p), 0.0) if p > 1 else rho
    return rho.reshape(shape), name, res.reshape(shape), conv.reshape(shape)


def _rate_of(rho: np.ndarray) -> np.ndarray:
    return 1.0 - rho


# ----------------------------------------------------------------------------------- rates
@dataclasses.dataclass(frozen=True, repr=False)
class AlgorithmRate(Result):
    r"""An algorithm's exact rate with its diagnostics (``quadratic_rate(..., algorithm=..., log=True)``).

    Attributes
    ----------
    rate : float or ndarray
        :math:`r = 1 - \rho`, NaN where divergent.
    spectral_radius : float or ndarray
        :math:`\rho` per step: the spectral radius (modulus) of the one-period second-moment map,
        to the power :math:`1/p`.
    route : str
        ``"stateful-fourier"``, ``"stateful-dense"`` or ``"stateful-arnoldi"``.
    converged : bool or ndarray
        Whether the root finder / eigensolver converged.
    residual : float or ndarray
        :math:`|\lambda_{\max}(M(\rho)) - 1|` of the Fourier reduction, or the relative
        eigen-residual of ARPACK (0 for the dense eigensolver).
    diverged : bool or ndarray
        :math:`\rho \ge 1`.
    algorithm : str
        The algorithm's name (a key of :data:`topotheory.ALGORITHMS`).
    hyperparameters : dict
        Every hyper-parameter used, by name (arrays as lists).
    """

    rate: object
    spectral_radius: object
    route: str
    converged: object
    residual: object
    diverged: object
    algorithm: str
    hyperparameters: dict


def algorithm_rate(scheme: Any, *, lr: ArrayLike, zeta: float, algorithm: str, log: bool = False, route: str = "auto",
                   **hyperparameters: Any) -> Any:
    r"""Exact asymptotic rate :math:`r = 1 - \rho^{1/p}` of an algorithm on the toy problem.

    :math:`\rho` is the spectral radius of the one-period map of the second moments (module
    docstring; :mod:`topotheory.engine.stateful` for the routes). The public entry is
    :func:`topotheory.quadratic_rate` with ``algorithm=``.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    lr : float or array_like
        Learning rates :math:`\eta > 0`.
    zeta : float
        Noise level :math:`\zeta \ge 1`.
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS`.
    log : bool
        Return an :class:`AlgorithmRate` with the diagnostics.
    route : {"auto", "dense", "fourier"}
    **hyperparameters
        The algorithm's hyper-parameters (``momentum=0.9``); real ones may be arrays broadcasting
        against ``lr``.

    Returns
    -------
    float or ndarray (NaN where divergent), or AlgorithmRate

    Examples
    --------
    Momentum 0 is D-SGD (:math:`r = 0.091202` on ``ring(32)`` at ``lr = 0.05``, ``zeta = 50``):

    >>> from topotheory import ring
    >>> round(algorithm_rate(ring(32), lr=0.05, zeta=50, algorithm="dmsgd", momentum=0.0), 6)
    0.091202
    >>> round(algorithm_rate(ring(32), lr=0.02, zeta=50, algorithm="dmsgd", momentum=0.5), 6)
    0.077838
    """
    scheme = _scheme(scheme)
    alg, _ = check_algorithm(algorithm, {}, scheme=scheme)
    hp = _hyperparameters(alg, hyperparameters)
    lr_arr = _lr(lr)
    z = check_real("zeta", zeta, low=1.0)
    if route not in ("auto", "dense", "fourier"):
        raise ValueError(f"route must be one of 'auto', 'dense', 'fourier'; got {route!r}")
    rho_a, name, res_a, conv_a = _rho(scheme, alg, z, lr_arr, hp, route)
    rho: Any = rho_a
    res: Any = res_a
    conv: Any = conv_a
    diverged: Any = ~(rho_a < 1.0)
    rate: Any = np.where(diverged, np.nan, _rate_of(rho))
    if rate.ndim == 0:
        rate, rho, res, conv, diverged = (float(rate), float(rho), float(res), bool(conv), bool(diverged))
    if not log:
        return rate
    return AlgorithmRate(rate=rate, spectral_radius=rho, route=name, converged=conv, residual=res, diverged=diverged,
                         algorithm=alg.name, hyperparameters={k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                                              for k, v in hp.items()})


# ----------------------------------------------------------------------------- loss curves
def algorithm_loss_curve(scheme: Any, *, lr: ArrayLike, zeta: float, steps: int, algorithm: str,
                         initial: ArrayLike | None = None, **hyperparameters: Any) -> np.ndarray:
    r"""Exact expected mean loss :math:`\frac1{2n}\sum_i \mathbb E\|x_i(t)\|^2` for ``t = 0..steps``.

    Propagates the traces :math:`T(t)` of the algorithm's second moments exactly (module
    docstring); every state component other than the iterate starts at zero, then the algorithm's
    initialisation (e.g. :math:`y(0) = g(0)`). The public entry is :func:`topotheory.loss_curve`
    with ``algorithm=``.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    lr : float or array_like
        Learning rates :math:`\eta > 0`.
    zeta : float
        Noise level :math:`\zeta \ge 1`.
    steps : int
        Number of steps.
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS`.
    initial : (n, n) array_like, optional
        Gram matrix of the iterates at ``t = 0`` (default all ones: a common start with
        :math:`\|x_0\|^2 = 1`).
    **hyperparameters
        The algorithm's hyper-parameters; real ones may be arrays broadcasting against ``lr``.

    Returns
    -------
    ndarray
        Shape ``(steps + 1,)``, or ``lr``'s shape ``+ (steps + 1,)``.

    Examples
    --------
    Alone, heavy-ball momentum (the buffer starts at zero): the loss is
    :math:`\tfrac12 q` after one step and
    :math:`\tfrac12[q^2 + \zeta\eta^2\beta^2 - 2\eta\beta(1-\eta)(1-\zeta\eta)]` after two, with
    :math:`q = 1 - 2\eta + \zeta\eta^2`:

    >>> from topotheory import solo
    >>> algorithm_loss_curve(solo(2), lr=0.1, zeta=10, steps=2, algorithm="dmsgd", momentum=0.5).round(6)
    array([0.5   , 0.45  , 0.4175])
    """
    scheme = _scheme(scheme)
    alg, _ = check_algorithm(algorithm, {}, scheme=scheme)
    hp = _hyperparameters(alg, hyperparameters)
    lr_arr = _lr(lr)
    z = check_real("zeta", zeta, low=1.0)
    steps = check_int("steps", steps, minimum=0)
    n = scheme.n
    C0 = None
    if initial is not None:
        C0 = np.asarray(initial, dtype=float)
        if C0.shape != (n, n) or not np.all(np.isfinite(C0)) or np.max(np.abs(C0 - C0.T)) > 1e-12 * max(1.0, np.max(np.abs(C0))):
            raise ValueError(f"initial must be a finite symmetric ({n}, {n}) Gram matrix E<x_i(0), x_j(0)>")
    rec = alg.recursion(lr=lr_arr, zeta=z, **hp)
    mom = StatefulMoments(scheme, rec, C0)
    out = np.empty(rec.batch + (steps + 1,))
    out[..., 0] = mom.loss()
    for t in range(steps):
        mom.step(t)
        out[..., t + 1] = mom.loss()
    return out


# ------------------------------------------------------------------------- stability edge
def _g(scheme: Any, alg: Algorithm, z: float, hp: Mapping[str, Any]) -> Callable[[float], float]:
    """1 - rho as a continuous function of one learning rate (negative where divergent)."""
    return lambda x: float(_rate_of(_rho(scheme, alg, z, np.array([x]), hp)[0][0]))


def algorithm_max_learning_rate(scheme: Any, *, zeta: float, algorithm: str, **hyperparameters: Any) -> float:
    r"""The stability edge: the end of the first interval :math:`(0, \eta_{\max})` of learning rates with :math:`r > 0`.

    Found by doubling from :math:`\eta = 10^{-3}/\zeta` until :math:`r \le 0` (or
    :math:`\eta > 64`), a 32-point grid on the last doubling interval for the first sign change,
    and Brent's method on the continuous :math:`1 - \rho(\eta)`. The doubling and the grid only
    ask whether :math:`\rho < 1`: on the dense route that is one linear solve per point
    (:func:`~topotheory.engine.stateful.stateful_stable`), not an eigensolver. (For momentum methods the stable
    set in :math:`\eta` need not be an interval; this is its first component, located on the grid.)
    The public entry is :func:`topotheory.max_learning_rate` with ``algorithm=``.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    zeta : float
        Noise level :math:`\zeta \ge 1`.
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS`.
    **hyperparameters
        The algorithm's hyper-parameters, single values.

    Returns
    -------
    float
        :math:`\eta_{\max}`; NaN when even :math:`10^{-3}/\zeta` diverges, inf when stable up to 64.

    Examples
    --------
    Alone, D-SGD's edge is :math:`2/\zeta`; delaying the gradient by one step shrinks it:

    >>> from topotheory import solo
    >>> round(algorithm_max_learning_rate(solo(2), zeta=10, algorithm="delayed", delay=0), 10)
    0.2
    >>> round(algorithm_max_learning_rate(solo(2), zeta=10, algorithm="delayed", delay=1), 5)
    0.17082
    """
    scheme = _scheme(scheme)
    alg, _ = check_algorithm(algorithm, {}, scheme=scheme)
    hp = _hyperparameters(alg, hyperparameters)
    if any(isinstance(v, np.ndarray) for v in hp.values()):
        raise TypeError("max_learning_rate takes single hyper-parameter values")
    z = check_real("zeta", zeta, low=1.0)
    return _edge(scheme, alg, z, hp)


def _stable(scheme: Any, alg: Algorithm, z: float, lr: np.ndarray, hp: Mapping[str, Any]) -> np.ndarray:
    """rho < 1 per learning rate (a linear solve instead of an eigensolver on the dense route)."""
    return stateful_stable(scheme, alg.recursion(lr=lr, zeta=z, **hp)).reshape(np.shape(lr))


def _edge(scheme: Any, alg: Algorithm, z: float, hp: Mapping[str, Any]) -> float:
    g = _g(scheme, alg, z, hp)
    x = 1e-3 / z
    if not _stable(scheme, alg, z, np.array([x]), hp)[0]:
        return math.nan
    prev = x
    while x < 64.0:
        x *= 2.0
        if not _stable(scheme, alg, z, np.array([x]), hp)[0]:
            break
        prev = x
    else:
        return math.inf
    grid = np.linspace(prev, x, 33)
    k = int(np.flatnonzero(~_stable(scheme, alg, z, grid, hp))[0])
    a, b = float(grid[k - 1]), float(grid[k])
    seen = {a: g(a), b: g(b)}
    if not seen[a] > 0:  # the stability test and the eigensolver disagree within round-off of rho = 1
        return a
    if seen[b] > 0:
        return b
    import scipy.optimize as so  # lazy: scipy.optimize is slow to import

    return float(so.brentq(lambda u: seen[u] if u in seen else g(u), a, b, xtol=1e-14 * b,
                           rtol=4 * np.finfo(float).eps, maxiter=200))


# ------------------------------------------------------------------ optimal hyper-parameters
@dataclasses.dataclass(frozen=True, repr=False)
class OptimalHyperparameters(Result):
    r"""The hyper-parameters maximising an algorithm's exact rate (:func:`optimal_hyperparameters`).

    Attributes
    ----------
    algorithm : str
        The algorithm's name.
    lr : float
        The optimal learning rate.
    hyperparameters : dict
        Every hyper-parameter at the optimum (tuned and fixed ones).
    rate : float
        The exact rate there.
    tuned : tuple of str
        The names tuned (``("lr", "momentum")``).
    zeta : float
        The noise level :math:`\zeta`.
    route : str
        The route of the exact rate.
    evaluations : int
        Exact rates computed.
    """

    algorithm: str
    lr: float
    hyperparameters: dict
    rate: float
    tuned: tuple
    zeta: float
    route: str
    evaluations: int


_TUNABLE = {"momentum": (0.0, 0.999), "consensus_step": (1e-4, 1.0)}


def optimal_hyperparameters(scheme: Any, *, zeta: float, algorithm: str, tune: Sequence[str] | None = None,
                            **fixed: Any) -> OptimalHyperparameters:
    r"""Maximise the exact rate over the learning rate and (optionally) one more real hyper-parameter.

    :math:`\max_{\eta, \theta} r(\eta, \theta)` with :math:`\theta` the ``momentum`` (heavy-ball,
    Nesterov, quasi-global) or CHOCO's ``consensus_step``: a vectorised grid (24 learning rates,
    geometric on :math:`[10^{-3}/\zeta, 4]`, times 16 values of :math:`\theta`), then Nelder–Mead
    on :math:`(\log\eta, \theta)` within the bounds from the best grid point, then a final
    one-dimensional bounded refinement of :math:`\eta` at the optimal :math:`\theta`. Each
    evaluation is one exact rate (:func:`algorithm_rate`).

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (finite).
    zeta : float
        Noise level :math:`\zeta \ge 1`.
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS`.
    tune : tuple of str, optional
        ``("lr",)``, ``("lr", "momentum")`` or ``("lr", "consensus_step")``; default: ``lr`` and
        the algorithm's momentum or consensus step when it has one.
    **fixed
        Other hyper-parameters, held fixed.

    Returns
    -------
    OptimalHyperparameters

    Examples
    --------
    D-SGD alone: :math:`\eta^* = r^* = 1/\zeta`:

    >>> from topotheory import solo, ring
    >>> res = optimal_hyperparameters(solo(2), zeta=50, algorithm="delayed", delay=0)
    >>> round(res.lr, 6), round(res.rate, 8), res.tuned
    (0.02, 0.02, ('lr',))
    >>> res = optimal_hyperparameters(ring(16), zeta=50, algorithm="dmsgd")
    >>> res.tuned, round(res.rate, 3), round(res.hyperparameters["momentum"], 2)
    (('lr', 'momentum'), 0.126, 0.36)
    """
    scheme = _scheme(scheme)
    alg, _ = check_algorithm(algorithm, {}, scheme=scheme)
    z = check_real("zeta", zeta, low=1.0)
    names = [h.name for h in alg.hyperparameters]
    if tune is None:
        tune = ("lr",) + tuple(k for k in ("momentum", "consensus_step") if k in names and k not in fixed)
    tuned: tuple[str, ...] = tuple(tune)
    allowed = [("lr",)] + [("lr", k) for k in ("momentum", "consensus_step") if k in names]
    if tuned not in allowed:
        raise ValueError(f"tune must be one of {', '.join(map(repr, allowed))} for algorithm {alg.name!r}; got {tuned!r}")
    if "lr" in fixed:
        raise TypeError("optimal_hyperparameters tunes lr; do not pass it")
    clash = set(tuned) & set(fixed)
    if clash:
        raise TypeError(f"{', '.join(sorted(clash))} is tuned; do not also fix it")
    _, hp = check_algorithm(alg, fixed)
    count = [0]

    def rates(lr: ArrayLike, theta: Any = None) -> tuple[np.ndarray, str]:
        h = dict(hp)
        if theta is not None:
            h[tuned[-1]] = theta
        count[0] += np.size(np.broadcast_arrays(lr, 0.0 if theta is None else theta)[0])
        rho, name, _, _ = _rho(scheme, alg, z, lr, h)
        return np.where(rho < 1.0, _rate_of(rho), -np.inf), name

    lrs = np.geomspace(1e-3 / z, 4.0, 24)
    if len(tuned) == 1:
        r, route = rates(lrs)
        k = int(np.argmax(r))
        best: tuple[float, Any] = (float(lrs[k]), None)
    else:
        lo, hi = _TUNABLE[tuned[-1]]
        thetas = np.concatenate([np.linspace(lo, hi, 16)[:-1], [hi]]) if tuned[-1] == "consensus_step" else \
            np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99])
        r, route = rates(lrs[:, None], thetas[None, :])
        i, j = np.unravel_index(int(np.argmax(r)), r.shape)
        best = (float(lrs[i]), float(thetas[j]))
    if not np.isfinite(np.max(r)):
        raise ValueError(f"no stable learning rate found on the grid [{lrs[0]:.3g}, {lrs[-1]:.3g}] for {alg.name!r}")
    import scipy.optimize as so

    if len(tuned) == 2:
        lo, hi = _TUNABLE[tuned[-1]]

        def f(v: np.ndarray) -> float:
            th = float(np.clip(v[1], lo, hi))
            return -float(rates(np.array([math.exp(v[0])]), th)[0][0])

        opt = so.minimize(f, [math.log(best[0]), best[1]], method="Nelder-Mead",
                          bounds=[(math.log(lrs[0]), math.log(lrs[-1])), (lo, hi)],
                          options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 2000,
                                   "initial_simplex": [[math.log(best[0]), best[1]],
                                                       [math.log(best[0]) + 0.2, best[1]],
                                                       [math.log(best[0]), min(hi, best[1] + 0.05) if best[1] < hi else hi - 0.05]]})
        theta = float(np.clip(opt.x[1], lo, hi))
        x0 = math.exp(opt.x[0])
    else:
        theta, x0 = None, float(best[0])

    def g(u: float) -> float:
        return -float(rates(np.array([math.exp(u)]), theta)[0][0])

    u0 = math.log(x0)
    one = so.minimize_scalar(g, bounds=(u0 - 0.3, u0 + 0.3), method="bounded", options={"xatol": 1e-12})
    x = math.exp(one.x) if -one.fun >= -g(u0) else x0
    rate = -g(math.log(x))
    out = dict(hp)
    if theta is not None:
        out[tuned[-1]] = theta
    return OptimalHyperparameters(algorithm=alg.name, lr=float(x), hyperparameters=out, rate=float(rate), tuned=tuned,
                                  zeta=z, route=route, evaluations=int(count[0]))
