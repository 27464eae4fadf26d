r"""The toy problem of THEORY §3: D-SGD on isotropic random quadratics, computed exactly.

Every worker minimises :math:`f(x) = \mathbb{E}_a \tfrac12 (a^T x)^2 = \tfrac12\|x\|^2` with
:math:`a \sim N(0, I_d)`, takes a stochastic gradient step with a mini-batch of ``b`` fresh samples
and then gossips (row convention, :math:`X \leftarrow W_t X`):

.. math::

    x_i(t+1) = \sum_j (W_t)_{ij}\,\bigl(x_j(t) - \eta\, g_j(x_j(t))\bigr), \qquad
    \zeta = \frac{\mathbb{E}\|g(x)\|^2}{\|x\|^2} = \frac{1 + b + d}{b}.

The Gram matrix :math:`C_{ij}(t) = \mathbb{E}\langle x_i(t), x_j(t)\rangle` follows **exactly**

.. math::

    C(t+1) = W_t\bigl[\,a\,C(t) + \beta\,\mathrm{Diag}\,C(t)\bigr] W_t^T,
    \qquad a = (1-\eta)^2, \quad \beta = (\zeta-1)\eta^2

(called ``b`` in THEORY §3.2; here :math:`\beta` to avoid a clash with the batch size). So
:func:`loss_curve` and :func:`time_to_target` are exact at every step, and the asymptotic rate
:math:`r` with :math:`\mathbb{E}\|x\|^2 \propto (1-r)^t` is :math:`1 - \rho`, :math:`\rho` the Perron
root of that linear map (per step; for a period of length ``p`` the ``p``-th root of the Perron
root of the period product), see :func:`quadratic_rate`.

Routes to :math:`\rho` used by ``method="exact"`` (chosen automatically):

* **circulant schemes** (any period): the Perron vector is translation invariant, each Fourier mode
  evolves on its own, and :math:`\rho` solves a ``p × p`` secular equation (``p = 1``: THEORY §3.3
  route 3) — :math:`O(n p^2)` per evaluation, exact;
* **static symmetric W**: the ``n``-dimensional reduction of THEORY §3.3 route 4 in the eigenbasis
  of ``W``, where the Stein equation is an elementwise division by
  :math:`\rho - a\lambda_l\lambda_m`; walk-regular graphs short-cut to the secular equation;
* **anything else** (non-symmetric or periodic, not circulant): Arnoldi (ARPACK) on the matrix-free
  operator :math:`C \mapsto T(C)` composed over one period.

Numerics: everything is solved for :math:`u = \rho - a` (the excess over the noiseless decay) and
:math:`r = \eta(2-\eta) - u`, so small rates keep their relative precision.
"""

from __future__ import annotations

import contextvars
import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from ..common.progress import Progress, progress_mode
from ..common.results import Result
from ..common.validation import MEMORY_LIMIT, as_float_array, check_bool, check_choice, check_int, check_real
from ..engine import resolve
from ..engine.base import GRAM_BYTES
from ..engine.roots import root_in_log
from ..engine.spectral_measure import INFINITE_U_FLOOR
from ..graphs.scheme import check_scheme

__all__ = [
    "RATE_METHODS",
    "RATE_MODES",
    "zeta",
    "loss_curve",
    "time_to_target",
    "quadratic_rate",
    "RateLog",
    "OptimalLearningRate",
    "optimal_learning_rate",
    "max_learning_rate",
]

RATE_METHODS = ("exact", "secular", "fixed_point")
RATE_MODES = ("worst", "mean")

_EPS = np.finfo(float).eps
#: Relative agreement of the observed per-period loss ratio with rho^p before time_to_target jumps.
_JUMP_RTOL = 1e-11


# ------------------------------------------------------------------------------------ inputs
def zeta(d: int, batch_size: int = 1) -> float:
    r"""Noise level :math:`\zeta = \mathbb{E}\|g(x)\|^2/\|x\|^2 = (1 + b + d)/b` of the toy problem.

    For the mini-batch gradient :math:`g(x) = \frac1b\sum_{k=1}^b a_k a_k^T x` with
    :math:`a_k \sim N(0, I_d)` (THEORY §3.1); :math:`\zeta = d + 2` for ``b = 1``. Derived
    symbolically (Isserlis' theorem) in :func:`topotheory.symbolic.noise_level`.

    Parameters
    ----------
    d : int
        Model dimension, ``d >= 1``.
    batch_size : int
        Mini-batch size ``b >= 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> zeta(48)
    50.0
    >>> zeta(10, batch_size=4)
    3.75
    """
    d = check_int("d", d, minimum=1)
    b = check_int("batch_size", batch_size, minimum=1)
    return (1.0 + b + d) / b


def _check_lr(lr: Any) -> np.ndarray:
    arr = as_float_array("lr", lr)
    if arr.size and np.any(arr <= 0):
        raise ValueError(f"lr must be > 0 (a positive learning rate), got {arr[arr <= 0].flat[0]!r}")
    return arr


def _check_zeta(value: Any) -> float:
    return check_real("zeta", value, low=1.0)


def _coefficients(lr: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, beta, s) with a = (1-lr)^2, beta = (zeta-1) lr^2, s = 1 - a = lr (2 - lr)."""
    with np.errstate(over="ignore"):  # inf for huge lr: the recursions then report inf losses
        a = (1.0 - lr) ** 2
        beta = (z - 1.0) * lr**2
        s = lr * (2.0 - lr)
    return a, beta, s


# ------------------------------------------------------------------ route: fixed point (eq. 7)
def _fixed_point_route(scheme: Any, a: np.ndarray, beta: np.ndarray,
                      mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Paper eq. (7): :math:`\rho = a + \beta / n_W(a/\rho)`, solved as a bracketed root in u."""
    from ..metrics.randomwalk import effective_neighbors

    L = a.shape[0]
    u = np.zeros(L)
    it = np.zeros(L, dtype=int)
    r = np.zeros(L)
    idx = np.flatnonzero(beta > 0)
    if idx.size == 0:
        return u, it, r
    rep = resolve(scheme)
    infinite = rep.route == "spectral-measure"
    phases = range(rep.period)
    nw_mode = "mean" if infinite else mode

    def nw(c: np.ndarray) -> np.ndarray:
        vals = np.array([np.atleast_1d(effective_neighbors(scheme, mode=nw_mode, phase=ph, one_minus_gamma=c))
                         if not infinite else np.atleast_1d(effective_neighbors(scheme, one_minus_gamma=c))
                         for ph in phases])
        if mode == "worst":
            return np.min(vals, axis=0)
        return 1.0 / np.mean(1.0 / vals, axis=0)

    def h(x: np.ndarray, i: np.ndarray) -> np.ndarray:
        j = idx[i]
        c = np.minimum(x / (a[j] + x), 1.0)
        return x * nw(c) / beta[j] - 1.0

    # n_W <= n: the root is at least beta/n (h(beta/n) <= 0); infinite graphs have no such floor
    floor = INFINITE_U_FLOOR * beta[idx] if infinite else beta[idx] / rep.n
    x, its, res = root_in_log(h, floor, beta[idx].copy(), floor_value=0.0 if infinite else None)
    u[idx], it[idx], r[idx] = x, its, res
    return u, it, r


# --------------------------------------------------------------------------- dispatcher
#: The progress display of a running optimal_learning_rate call (counts the exact rates solved).
_PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("topotheory_toy_progress", default=None)
_T = TypeVar("_T")
#: Above this learning rate the Perron root is computed from the rescaled map (a, beta) / lr^2.
_HUGE_LR = 1e20


def _solve(scheme: Any, lr: np.ndarray, z: float, method: str = "exact",
           mode: str = "worst") -> tuple[np.ndarray, dict[str, Any]]:
    r"""u = rho - a for each lr (1-D array) and a diagnostics dict; no validation here.

    The Perron root is homogeneous, :math:`\rho(ka, k\beta) = k\rho(a, \beta)`: learning rates
    above :data:`_HUGE_LR` (all divergent, :math:`\rho \ge (1-\eta)^2 > 1`) are solved for
    :math:`(a, \beta)/\eta^2 = ((1 - 1/\eta)^2, \zeta - 1)` and scaled back (to ``inf`` past the
    float range), so no coefficient overflows and each learning rate is answered on its own.
    """
    a, beta, s = _coefficients(np.minimum(lr, _HUGE_LR), z)
    huge = lr > _HUGE_LR
    scale = np.ones_like(lr)
    if huge.any():
        h = lr[huge]
        a[huge], beta[huge], s[huge] = (1.0 - 1.0 / h) ** 2, z - 1.0, -1.0
        scale[huge] = h
    L = lr.shape[0]
    conv = np.ones(L, dtype=bool)
    if method == "fixed_point":
        u, its, res = _fixed_point_route(scheme, a, beta, mode)
        route = "fixed_point"
    elif method == "secular":
        u, its, res, route = resolve(scheme).secular_excess(a, beta)
    else:
        u, its, res, conv, route = resolve(scheme).perron_excess(a, beta)
    bar = _PROGRESS.get()
    if bar is not None:
        bar.update(L)
        bar.set_postfix(f"lr={float(lr[-1]):.6g}, {route}")
    rho = a + u
    r = s - u
    if huge.any():
        with np.errstate(over="ignore"):
            rho[huge] = rho[huge] * scale[huge] * scale[huge]
        r[huge] = -np.inf
    info = {
        "method": route,
        "rho": rho,
        "iterations": its,
        "residual": res,
        "converged": conv,
        "diverged": ~(r > 0),
    }
    return r, info


def _scheme_or_graph(scheme: Any) -> Any:
    return resolve(scheme).scheme


@dataclasses.dataclass(frozen=True, repr=False)
class RateLog(Result):
    r"""The exact rate with its diagnostics (:func:`quadratic_rate` with ``log=True``).

    Attributes
    ----------
    rate : float or ndarray
        :math:`r`, NaN where divergent.
    spectral_radius : float or ndarray
        :math:`\rho = 1 - r` per step (the Perron root of the second-moment map).
    route : str
        The route used (``"secular-fourier"``, ``"secular-fourier-periodic"``, ``"secular-eigen"``,
        ``"eigen-reduction"``, ``"arnoldi"``, ``"secular-spectral-measure"``, ``"fixed_point"``).
    converged : bool or ndarray
        Whether the route's iteration met its tolerance at each learning rate.
    iterations : int or ndarray
        Iterations (or operator applications) of the route at each learning rate.
    residual : float or ndarray
        :math:`|\lambda - 1|` of the secular/reduced equation, or the relative eigen-residual of
        Arnoldi.
    diverged : bool or ndarray
        :math:`\rho \ge 1`.

    Unpacks like the former ``(rate, info)`` pair: ``r, info = quadratic_rate(..., log=True)``
    with ``info`` the dict of :attr:`info`; ``result[1]["rho"]`` works too.
    """

    rate: object
    spectral_radius: object
    route: str
    converged: object
    iterations: object
    residual: object
    diverged: object

    @property
    def info(self) -> dict[str, Any]:
        """The diagnostics as a dict: ``method``, ``rho``, ``iterations``, ``residual``, ``converged``, ``diverged``."""
        return {"method": self.route, "rho": self.spectral_radius, "iterations": self.iterations,
                "residual": self.residual, "converged": self.converged, "diverged": self.diverged}

    def __iter__(self) -> Iterator[Any]:
        return iter((self.rate, self.info))

    def __getitem__(self, index: Any) -> Any:
        return tuple(self)[index]

    def __len__(self) -> int:
        return 2


def quadratic_rate(scheme: Any, *, lr: Any, zeta: float, method: str = "exact", mode: str = "worst", log: bool = False,
                   algorithm: str = "dsgd", progress: bool | None = None, **hyperparameters: Any) -> Any:
    r"""Asymptotic convergence rate :math:`r` of D-SGD on the toy problem: :math:`\mathbb{E}\|x\|^2 \propto (1-r)^t`.

    :math:`1 - r = \rho`, the Perron root (per step) of the second-moment map
    :math:`T_t(C) = W_t[aC + \beta\,\mathrm{Diag}\,C]W_t^T` with :math:`a = (1-\eta)^2`,
    :math:`\beta = (\zeta-1)\eta^2` (THEORY §3.3); for a period of length ``p``,
    :math:`\rho = \rho(T_{p-1}\circ\dots\circ T_0)^{1/p}`.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
        The gossip scheme (row-wise, :math:`X \leftarrow WX`). Infinite graphs
        (:func:`~topotheory.infinite_ring`, ...) use the secular equation.
    lr : float or array_like
        Learning rates :math:`\eta > 0`.
    zeta : float
        Noise level :math:`\zeta \ge 1` (see :func:`zeta`).
    method : {"exact", "secular", "fixed_point"}
        The exact Perron root, the secular equation (walk-regular and circulant schemes) or the
        fixed point of paper eq. (7).
    mode : {"worst", "mean"}
        Effective-neighbours mode for ``method="fixed_point"`` (ignored otherwise).
    log : bool
        Return a :class:`RateLog` (rate, spectral radius ``rho``, route, convergence flags,
        iterations, residual — :math:`|\lambda - 1|` of the secular/reduced equation, or the
        relative eigen-residual for Arnoldi; for infinite graphs whose root :math:`u = \rho - a`
        lies below :math:`10^{-30}\beta`, where ``u = 0`` is reported, that bound
        :math:`10^{-30}` — and divergence flags) instead of the bare rate. It unpacks as the pair
        ``(rate, info)`` with ``info`` the diagnostics dict (keys ``method``, ``rho``,
        ``iterations``, ``residual``, ``converged``, ``diverged``).
    algorithm : str, default "dsgd"
        Another algorithm of the registry by name (:mod:`topotheory.toy.algorithms`, e.g.
        ``"delayed"``, ``"dmsgd"``); D-SGD by default.
    progress : bool or None, default None
        D-SGD: show a progress display (the learning rates solved and the time spent) when the call
        lasts more than a couple of seconds (None: a bar in a terminal or a notebook, nothing in
        logs; :mod:`topotheory.common.progress`). A dense exact rate at a few thousand workers
        takes about a minute.
    **hyperparameters
        That algorithm's hyperparameters (e.g. ``delay=1``, ``momentum=0.9``).

    Returns
    -------
    float or ndarray, or RateLog with ``log=True``
        The rate; NaN where divergent (:math:`\rho \ge 1`).

    Raises
    ------
    ValueError
        ``lr <= 0`` or non-finite, ``zeta < 1``, unknown method/mode, or ``"secular"`` on a scheme
        where it is not exact.

    Notes
    -----
    Methods:

    ``"exact"`` (default)
        The Perron root for any scheme. Circulant schemes (any period) solve the exact Fourier
        secular equation; static symmetric ``W`` use the ``n``-dimensional reduction
        :math:`\rho = \beta\,\lambda_{\max}(K(a/\rho))`,
        :math:`K(\gamma)_{ij} = \sum_{k\ge1}\gamma^{k-1}((W^k)_{ij})^2`, applied in the eigenbasis of
        ``W`` (explicitly and batched over learning rates for ``n <= 64``, matrix-free above: the
        Rayleigh functional alternated with warm-started Lanczos, ARPACK for clusters);
        anything else uses Arnoldi on the matrix-free map. Never builds the :math:`n^2 \times n^2`
        matrix.
    ``"secular"``
        :math:`1 = \frac{\beta}{n}\sum_k \frac{m_k}{\rho - a m_k}` with :math:`m_k = \lambda_k^2`
        (:math:`|\mu_k|^2` for non-symmetric circulants), over the spectral measure for infinite
        graphs, and its ``p × p`` generalisation (per-mode period products) for periodic circulant
        schemes. Exact iff every worker has the same variance (vertex-transitive or walk-regular
        graphs); a ValueError otherwise.
    ``"fixed_point"``
        The paper's eq. (7), :math:`r = 1 - (1-\eta)^2 - (\zeta-1)\eta^2/n_W(\gamma)` with
        :math:`\gamma = (1-\eta)^2/(1-r)`, solved as a bracketed root, with ``n_W`` in the given
        ``mode`` (for a periodic scheme: the worst over phases for ``"worst"``, the phase average of
        :math:`n_W^{-1}` for ``"mean"``). Exact when all workers and phases share one variance.

    Bounds (proof). Write :math:`\rho = \beta\,\lambda(a/\rho)` for each method, where
    :math:`\lambda(\gamma)` is respectively :math:`\lambda_{\max}(K(\gamma))` (exact),
    :math:`\max_i (K\mathbf 1)_i` ("worst") and :math:`\operatorname{mean}_i (K\mathbf 1)_i`
    ("mean"); :math:`(K(\gamma)\mathbf 1)_i = \Sigma_{ii}(\gamma)`, the random-walk variance, so the
    latter two are eq. (7). Each :math:`\lambda(\gamma)` increases with :math:`\gamma = a/\rho`,
    hence each right side decreases in :math:`\rho` and a larger :math:`\lambda` gives a larger root.
    For a non-negative matrix the Perron root is at most the largest row sum, so
    :math:`\rho_{\text{exact}} \le \rho_{\text{worst}}`, i.e. **"worst" is a lower bound of the
    rate** — for every scheme (for periodic schemes the reduced matrix is ``np × np`` and its row
    sums are the variances at every phase). For symmetric static ``W``, ``K`` is symmetric and
    :math:`\operatorname{mean}_i (K\mathbf 1)_i = \mathbf 1^T K \mathbf 1/n \le \lambda_{\max}(K)`
    (Rayleigh quotient), so **"mean" is an upper bound of the rate**. Both are equalities when the
    variances are equal (vertex-transitive graphs). For non-symmetric or periodic schemes "mean" is
    not a bound in general (e.g. local steps).

    Examples
    --------
    Alone, :math:`r = 2\eta - \zeta\eta^2`; fully connected, :math:`r = 2\eta - \eta^2(1 + (\zeta-1)/n)`:

    >>> from topotheory import solo, fully_connected, ring, star
    >>> round(quadratic_rate(solo(4), lr=0.01, zeta=50), 12)
    0.015
    >>> round(quadratic_rate(fully_connected(4), lr=0.01, zeta=50), 12)
    0.018675
    >>> round(quadratic_rate(ring(32), lr=0.05, zeta=50), 6)
    0.091202
    >>> res = quadratic_rate(star(8), lr=[0.02, 0.5], zeta=50, log=True)
    >>> res.rate.round(6), res.route, res.diverged.tolist()
    (array([0.037022,      nan]), 'eigen-reduction', [False, True])
    >>> r, info = res  # the (rate, diagnostics) pair
    >>> info["method"]
    'eigen-reduction'

    Other algorithms (:data:`~topotheory.ALGORITHMS`) by name, with their hyper-parameters:

    >>> round(quadratic_rate(ring(32), lr=0.02, zeta=50, algorithm="dmsgd", momentum=0.5), 6)
    0.077838
    """
    if algorithm != "dsgd" or hyperparameters:
        from .algorithms import algorithm_rate

        _progress_enabled(progress)  # validated; the other algorithms' rates show no progress
        if method != "exact":
            raise ValueError(f"method={method!r} is a D-SGD route; algorithm={algorithm!r} has method='exact' only")
        return algorithm_rate(scheme, lr=lr, zeta=zeta, algorithm=algorithm, log=log, **hyperparameters)
    scheme = _scheme_or_graph(scheme)
    check_choice("method", method, RATE_METHODS)
    check_choice("mode", mode, RATE_MODES)
    log = check_bool("log", log)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    flat = np.atleast_1d(lr_arr).ravel()
    r, info = _with_progress("quadratic_rate", flat.size, _progress_enabled(progress),
                             lambda: _solve(scheme, flat, z, method, mode))
    if not np.all(info["converged"]):
        warnings.warn(f"quadratic_rate: the {info['method']} solver did not converge for "
                      f"{int(np.sum(~info['converged']))} learning rate(s); see log=True diagnostics",
                      RuntimeWarning, stacklevel=2)
    out = np.where(r > 0, r, np.nan)
    value: Any
    if lr_arr.ndim == 0:
        value = float(out[0])
        info = {k: (v if isinstance(v, str) else v[0].item()) for k, v in info.items()}
    else:
        value = out.reshape(lr_arr.shape)
        info = {k: (v if isinstance(v, str) else v.reshape(lr_arr.shape)) for k, v in info.items()}
    if not log:
        return value
    return RateLog(rate=value, spectral_radius=info["rho"], route=info["method"], converged=info["converged"],
                   iterations=info["iterations"], residual=info["residual"], diverged=info["diverged"])


# ----------------------------------------------------------------------- exact loss curves
def _check_initial(scheme: Any, initial: Any) -> np.ndarray | None:
    if initial is None:
        return None
    C0 = np.asarray(initial, dtype=float) if not sp.issparse(initial) else initial.toarray()
    n = scheme.n
    if C0.shape != (n, n):
        raise ValueError(f"initial must be the ({n}, {n}) Gram matrix E<x_i(0), x_j(0)>, got shape {C0.shape}")
    if not np.all(np.isfinite(C0)):
        raise ValueError("initial must have finite entries")
    scale = max(1.0, np.max(np.abs(C0)))
    if np.max(np.abs(C0 - C0.T)) > 1e-12 * scale:
        raise ValueError("initial must be symmetric (a Gram matrix)")
    if np.linalg.eigvalsh(0.5 * (C0 + C0.T))[0] < -1e-10 * scale:
        raise ValueError("initial must be positive semidefinite (a Gram matrix E<x_i(0), x_j(0)>)")
    return C0


def loss_curve(scheme: Any, *, lr: float, zeta: float, steps: int, initial: Any = None, algorithm: str = "dsgd",
               **hyperparameters: Any) -> np.ndarray:
    r"""Exact expected mean loss :math:`\frac{1}{2n}\sum_i C_{ii}(t)` for ``t = 0..steps``.

    Iterates :math:`C(t+1) = W_t[aC(t) + \beta\,\mathrm{Diag}\,C(t)]W_t^T` (THEORY §3.2; exact at
    every step, not only asymptotically), with :math:`a = (1-\eta)^2`, :math:`\beta = (\zeta-1)\eta^2`.
    Sparse gossip matrices are multiplied sparsely; circulant schemes from the default start run in
    the Fourier basis (:math:`O(n)` per step). Every other scheme propagates the dense
    :math:`n \times n` Gram matrices (about :math:`32n^2` bytes per learning rate, learning rates in
    batches that fit in 4 GiB), also on the matrix-free route of large sparse graphs: that route has
    no exact loss curve, so a scheme whose Gram matrices cannot fit (:math:`n` above about 11 500) is
    refused with a ``ValueError`` naming the alternatives (:func:`~topotheory.simulate_dsgd`, a
    Monte Carlo estimate at memory :math:`O(\text{replicas}\cdot n d)`;
    :func:`~topotheory.quadratic_rate_interval`, the asymptotic rate matrix-free).

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (row-wise, :math:`X \leftarrow WX`).
    lr : float or array_like
        Learning rate(s) > 0; an array gives one curve per learning rate.
    zeta : float
        Noise level >= 1.
    steps : int
        Number of steps, >= 0.
    initial : (n, n) array_like, optional
        Gram matrix :math:`C(0) = \mathbb{E}\langle x_i(0), x_j(0)\rangle` (symmetric). Default: all
        ones (every worker starts at the same :math:`x_0` with :math:`\|x_0\|^2 = 1`), so the loss
        starts at 0.5.
    algorithm : str, default "dsgd"
        Another algorithm of the registry by name (:mod:`topotheory.toy.algorithms`, e.g.
        ``"delayed"``, ``"dmsgd"``); D-SGD by default.
    **hyperparameters
        That algorithm's hyperparameters (e.g. ``delay=1``, ``momentum=0.9``).

    Returns
    -------
    ndarray
        Shape ``(steps + 1,)``, or ``(len(lr), steps + 1)`` for an array of learning rates.

    Examples
    --------
    Alone the loss is :math:`\tfrac12(1 - 2\eta + \zeta\eta^2)^t`:

    >>> from topotheory import solo, ring
    >>> loss_curve(solo(3), lr=0.1, zeta=10, steps=2)
    array([0.5  , 0.45 , 0.405])
    >>> round(float(loss_curve(ring(16), lr=0.05, zeta=50, steps=100)[-1]), 10)
    5.93765e-05

    Other algorithms by name (:func:`topotheory.toy.algorithms.algorithm_loss_curve`):

    >>> loss_curve(solo(3), lr=0.1, zeta=10, steps=2, algorithm="dmsgd", momentum=0.5).round(6)
    array([0.5   , 0.45  , 0.4175])
    """
    if algorithm != "dsgd" or hyperparameters:
        from .algorithms import algorithm_loss_curve

        return algorithm_loss_curve(scheme, lr=lr, zeta=zeta, steps=steps, algorithm=algorithm, initial=initial,
                                    **hyperparameters)
    scheme = check_scheme(scheme)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    steps = check_int("steps", steps, minimum=0)
    C0 = _check_initial(scheme, initial)
    flat = np.atleast_1d(lr_arr).ravel()
    a, beta, _ = _coefficients(flat, z)
    rep = resolve(scheme)
    out = np.empty((flat.size, steps + 1))
    # learning rates in batches whose n x n Gram matrices fit in memory (each learning rate is propagated
    # on its own, so the values do not depend on the batch); one that cannot fit is refused by the propagator
    batch = max(1, int(MEMORY_LIMIT // (GRAM_BYTES * float(scheme.n) ** 2)))
    for lo in range(0, flat.size, batch):
        rec = rep.second_moments(a[lo:lo + batch], beta[lo:lo + batch], C0)
        out[lo:lo + batch, 0] = rec.loss()
        for t in range(steps):
            rec.step(t)
            out[lo:lo + batch, t + 1] = rec.loss()
    return out[0] if lr_arr.ndim == 0 else out.reshape(lr_arr.shape + (steps + 1,))


def time_to_target(scheme: Any, *, lr: float, zeta: float, target: float, initial: Any = None,
                   max_steps: int = 10**6) -> Any:
    r"""Number of steps until the exact expected mean loss first falls below ``target``.

    Runs the exact recursion of :func:`loss_curve` for all learning rates at once (finished ones
    leave the batch). Once the observed loss ratio over one period agrees with :math:`\rho^p` from
    :func:`quadratic_rate` to a relative :math:`10^{-11}` — the state is then the Perron direction
    up to that precision — the remaining steps are counted in closed form,
    :math:`\ell(t + kp) = \rho^{kp}\ell(t)`, instead of being iterated (exact up to a relative error
    of that order in the loss at the crossing). A learning rate whose loss settles into a ratio
    :math:`\ge 1` returns ``inf`` at once.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (row-wise, :math:`X \leftarrow WX`).
    lr : float or array_like
        Learning rate(s) > 0.
    zeta : float
        Noise level >= 1.
    target : float
        Loss level > 0.
    initial : (n, n) array_like, optional
        Start Gram matrix (default all ones, loss 0.5).
    max_steps : int
        Give up after this many steps (the result is then ``inf``).

    Returns
    -------
    float or ndarray
        Steps (integer-valued floats); ``inf`` if the loss never gets below ``target`` within
        ``max_steps`` (in particular when divergent).

    Examples
    --------
    >>> from topotheory import solo, ring, fully_connected
    >>> time_to_target(solo(4), lr=0.1, zeta=10, target=0.01)  # 0.5 * 0.9**t < 0.01
    38.0
    >>> time_to_target(ring(32), lr=[0.02, 0.05, 0.5], zeta=50, target=0.01)
    array([101.,  45.,  inf])
    """
    scheme = check_scheme(scheme)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    target = check_real("target", target, low=0.0, low_open=True)
    max_steps = check_int("max_steps", max_steps, minimum=0)
    C0 = _check_initial(scheme, initial)
    flat = np.atleast_1d(lr_arr).ravel()
    L = flat.size
    a, beta, _ = _coefficients(flat, z)
    p = resolve(scheme).period
    _, info = _solve(scheme, flat, z)
    rho_p = info["rho"] ** p
    result = np.full(L, np.inf)
    ids = np.arange(L)
    rec = resolve(scheme).second_moments(a, beta, C0)
    hist = np.full((L, p + 1), np.nan)  # losses at t-p..t
    hist[:, -1] = rec.loss()
    streak = np.zeros(L, dtype=int)
    hit = hist[:, -1] < target
    result[hit] = 0.0
    keep = ~hit
    ids, hist, streak, rp = ids[keep], hist[keep], streak[keep], rho_p[keep]
    rec.keep(keep)
    t = 0
    while ids.size and t < max_steps:
        rec.step(t)
        t += 1
        hist = np.roll(hist, -1, axis=1)
        hist[:, -1] = rec.loss()
        done = hist[:, -1] < target
        result[ids[done]] = t
        done |= ~np.isfinite(hist[:, -1])  # overflowed: diverging, never below the target
        if t >= p:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = hist[:, -1] / hist[:, 0]
                match = np.abs(ratio - rp) <= _JUMP_RTOL * rp
            streak = np.where(match, streak + 1, 0)
            jump = ~done & (streak >= max(2, p))
            if jump.any():
                j = np.flatnonzero(jump)
                grow = rp[j] >= 1
                tau = np.full(j.size, np.inf)
                last = hist[j][:, 1:]  # losses at t-p+1..t
                offs = np.arange(p - 1, -1, -1)  # t - offs = the step of each column
                with np.errstate(divide="ignore", invalid="ignore"):
                    x = np.log(target / last) / np.log(rp[j][:, None])
                k = np.maximum(np.floor(x) + 1, 1)
                cand = t - offs[None, :] + p * k
                tau = np.where(grow, np.inf, np.min(cand, axis=1))
                tau = np.where(tau > max_steps, np.inf, tau)
                result[ids[j]] = tau
                done = done | jump
        keep = ~done
        if not keep.all():
            ids, hist, streak, rp = ids[keep], hist[keep], streak[keep], rp[keep]
            rec.keep(keep)
    return float(result[0]) if lr_arr.ndim == 0 else result.reshape(lr_arr.shape)


# ------------------------------------------------------------------ optimal learning rates
@dataclasses.dataclass(frozen=True, repr=False)
class OptimalLearningRate(Result):
    r"""The optimal learning rate of the toy problem and the quantities at the optimum.

    Attributes
    ----------
    lr : float
        :math:`\eta^* = \arg\max_\eta r(\eta)`.
    rate : float
        :math:`r^* = r(\eta^*)`.
    gamma : float
        Operating decay :math:`\gamma^* = (1-\eta^*)^2/(1-r^*)`.
    effective_neighbors : float
        :math:`n_W(\gamma^*)`, "mean" mode. For a periodic scheme, whose :math:`n_W` depends on
        the phase, the harmonic mean over the phases (the inverse of the phase-averaged
        :math:`n_W^{-1}`), so that no single phase (e.g. right after an exact average) stands for
        the whole period.
    n_equivalent : float
        :math:`\eta^*(\zeta-1)/(1-\eta^*)`: the number of fully connected workers with the same
        optimal learning rate (1 alone, ``n`` fully connected). NaN for ``zeta = 1``, where it is
        :math:`0/0` (:math:`\eta^* = 1`: without noise every scheme is equivalent to any number of
        workers).
    zeta : float
        The noise level used.
    max_lr : float
        The stability edge (:func:`max_learning_rate`).
    route : str
        The route of the exact rate at the optimum (as :attr:`RateLog.route`: ``"secular-fourier"``,
        ``"secular-eigen"``, ``"eigen-reduction"``, ``"arnoldi"``, ...; ``"closed-form"`` for
        ``zeta = 1``).
    search : str
        How the maximum was found: ``"slopes"`` (Brent on :math:`r'(\eta) = 0` with the analytic
        slope from the Perron vectors), ``"grid"`` (grid, bounded Brent and five-point Newton
        steps on the rate) or ``"closed-form"``.
    """

    lr: float
    rate: float
    gamma: float
    effective_neighbors: float
    n_equivalent: float
    zeta: float
    max_lr: float
    route: str = ""
    search: str = ""


def _rate_raw(scheme: Any, lrs: Any, z: float) -> np.ndarray:
    r, _ = _solve(scheme, np.atleast_1d(np.asarray(lrs, dtype=float)), z)
    return r


def _n_of(scheme: Any) -> float:
    return resolve(scheme).n


def _rate_slope(scheme: Any, x: float, z: float) -> tuple[float, float] | None:
    r"""Exact :math:`(r(\eta), r'(\eta))` at one learning rate, or None without an analytic slope.

    With :math:`u(a, \beta)` the excess of the Perron root and its partial derivatives from the
    Perron vectors (:meth:`Representation.perron_slopes`):
    :math:`r' = 2(1-\eta) - u_a\,a' - u_\beta\,\beta'`, :math:`a' = -2(1-\eta)`,
    :math:`\beta' = 2(\zeta-1)\eta`.
    """
    a, beta, s = _coefficients(np.array([float(x)]), z)
    out = resolve(scheme).perron_slopes(a, beta)
    if out is None:
        return None
    u, du_da, du_db = out[0][0], out[1][0], out[2][0]
    r = float(s[0] - u)
    dr = float(2.0 * (1.0 - x) + 2.0 * (1.0 - x) * du_da - 2.0 * (z - 1.0) * x * du_db)
    return r, dr


def _slope_pair(scheme: Any, x: float, z: float) -> tuple[float, float]:
    """:func:`_rate_slope` where the representation has slopes (``has_slopes``)."""
    out = _rate_slope(scheme, x, z)
    if out is None:
        raise RuntimeError(f"{scheme!r}: the representation claims analytic slopes but returned none")
    return out


def max_learning_rate(scheme: Any, *, zeta: float, algorithm: str = "dsgd", **hyperparameters: Any) -> float:
    r"""The stability edge: the largest learning rate with a positive rate :math:`r > 0`.

    Bracketed between the two closed forms :math:`2/\zeta` (alone; every doubly stochastic scheme
    is at least as fast, :math:`\rho \le a + \beta`) and :math:`2n/(n + \zeta - 1)` (fully
    connected; no scheme is faster, :math:`\rho \ge a + \beta/n`), then refined with Brent's method
    on the exact rate. ``zeta = 1`` (noiseless) gives 2.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
        The gossip scheme (row-wise, :math:`X \leftarrow WX`).
    zeta : float
        Noise level >= 1.
    algorithm : str, default "dsgd"
        Another algorithm of the registry by name (:mod:`topotheory.toy.algorithms`, e.g.
        ``"delayed"``, ``"dmsgd"``); D-SGD by default.
    **hyperparameters
        That algorithm's hyperparameters (e.g. ``delay=1``, ``momentum=0.9``).

    Returns
    -------
    float

    Examples
    --------
    >>> from topotheory import solo, fully_connected, ring, infinite_ring
    >>> round(max_learning_rate(solo(8), zeta=50), 12), round(max_learning_rate(fully_connected(8), zeta=50), 12)
    (0.04, 0.280701754386)
    >>> round(max_learning_rate(ring(32), zeta=50), 6), round(max_learning_rate(infinite_ring(), zeta=50), 6)
    (0.164879, 0.164879)

    Other algorithms by name (:func:`topotheory.toy.algorithms.algorithm_max_learning_rate`):

    >>> round(max_learning_rate(solo(8), zeta=50, algorithm="delayed", delay=0), 12)
    0.04
    """
    if algorithm != "dsgd" or hyperparameters:
        from .algorithms import algorithm_max_learning_rate

        return algorithm_max_learning_rate(scheme, zeta=zeta, algorithm=algorithm, **hyperparameters)
    scheme = _scheme_or_graph(scheme)
    z = _check_zeta(zeta)
    return _max_lr(scheme, z)


def _max_lr(scheme: Any, z: float) -> float:
    if z == 1.0:
        return 2.0
    if math.isinf(_n_of(scheme)):
        return _edge(scheme, z)
    return scheme.cached(("toy:max-learning-rate", z), lambda: _edge(scheme, z))


def _edge(scheme: Any, z: float) -> float:
    """The stability edge: safeguarded Newton on the exact rate with its analytic slope, else Brent."""
    n = _n_of(scheme)
    lo = 2.0 / z
    hi = 2.0 if math.isinf(n) else 2.0 * n / (n + z - 1.0)
    if hi <= lo:
        return lo
    if resolve(scheme).has_slopes:
        upper = _upper_edge(scheme, z, lo, hi)
        curve = resolve(scheme).perron_curve()
        if curve is not None:
            edge = _edge_curve(curve, z, lo, _bound_refined(scheme, z, lo, upper, "edge"))
            if edge is not None:
                return edge
        return _edge_newton(scheme, z, lo, upper)
    grid = np.linspace(lo, hi, 17)
    r = _rate_raw(scheme, grid, z)
    positive = np.flatnonzero(r > 0)
    if positive.size == 0:
        return lo
    k = int(positive[-1])
    if k == grid.size - 1:
        return hi
    return _edge_root(scheme, z, float(grid[k]), float(grid[k + 1]), {float(grid[k]): float(r[k]),
                                                                      float(grid[k + 1]): float(r[k + 1])})


def _edge_root(scheme: Any, z: float, lo: float, hi: float, known: dict[float, float]) -> float:
    """Brent's method on the exact rate in ``[lo, hi]``, each point evaluated once (``known``: the values at hand).

    At the edge r is ~1e-15, and an iterative eigensolver's rounding can flip its sign between two
    evaluations of the same point: Brent re-evaluates the ends, which must keep the signs that chose
    the bracket."""
    import scipy.optimize as so  # lazy: scipy.optimize costs ~0.4 s at import time

    def f(y: float) -> float:
        if y not in known:
            known[y] = float(_rate_raw(scheme, [y], z)[0])
        return known[y]

    return float(so.brentq(f, lo, hi, xtol=1e-15 * lo, rtol=4 * _EPS, maxiter=200))


def _upper_edge(scheme: Any, z: float, lo: float, hi: float) -> float:
    """An upper bound of the edge from a cheap upper bound of the rate (64 points at once), else hi."""
    grid = np.linspace(lo, hi, 65)
    a, beta, s = _coefficients(grid, z)
    u_lo = resolve(scheme).excess_lower_bound(a, beta)
    if u_lo is None:
        return hi
    k = np.flatnonzero(s - u_lo <= 0)  # the bound's rate is <= 0 there, so is the exact rate
    return float(grid[k[0]]) if k.size else hi


def _edge_newton(scheme: Any, z: float, lo: float, hi: float) -> float:
    r"""Root of :math:`r(\eta) = 0` in ``[lo, hi]`` (``r(lo) >= 0 >= r(hi)``) by Newton, then Brent.

    Newton steps from ``hi`` (where :math:`r \le 0`) while they stay in the bracket; once a step
    leaves it, or lands where :math:`r > 0`, Brent's method finishes on the (small) bracket.
    """
    r, dr = _slope_pair(scheme, hi, z)
    if r > 0:
        return hi
    x, b_lo, b_hi = hi, lo, hi
    for _ in range(60):
        if r == 0:
            return x
        if r > 0:
            b_lo = x
            break
        b_hi = x
        xn = x - r / dr if dr < 0 else math.nan
        if not (b_lo < xn < b_hi):
            break
        # the rate carries the eigensolver's relative error (~1e-12 matrix-free): stop at 1e-13
        if abs(xn - x) <= 1e-13 * x:
            return float(xn)
        x = xn
        r, dr = _slope_pair(scheme, x, z)
    if b_hi - b_lo <= 1e-13 * b_hi:
        return float(b_lo)
    # the bracket's signs came from the slope route; the rate route agrees to its tolerance
    # (~1e-13 in r, r' = O(1)): where it does not, the edge is that end to the same accuracy
    f_lo, f_hi = (float(_rate_raw(scheme, [y], z)[0]) for y in (b_lo, b_hi))
    if not f_lo > 0:
        return float(b_lo)
    if f_hi > 0:
        return float(b_hi)
    return _edge_root(scheme, z, b_lo, b_hi, {b_lo: f_lo, b_hi: f_hi})


def optimal_learning_rate(scheme: Any, *, zeta: float, progress: bool | None = None) -> OptimalLearningRate:
    r"""The learning rate maximising the exact rate, and the operating point it implies.

    :math:`\eta^* = \arg\max_{0 < \eta < \eta_{\max}} r(\eta)` (THEORY §3.3 item 5). Where the
    representation gives analytic slopes (static symmetric and static circulant schemes),
    :math:`r'(\eta) = 0` is solved by Brent's method on ``(0, max_learning_rate)`` with
    :math:`r'` from the Perron vectors (:meth:`Representation.perron_slopes`) — on the matrix-free
    route of irregular graphs (``n > 64``) as the root of the slope in the decay
    :math:`\gamma = a/\rho` on the Perron curve (:class:`topotheory.engine.eigen.PerronCurve`:
    :math:`\eta = 1/(1 + \sqrt{(\zeta-1)\mu(\gamma)})`, :math:`r = 1 - (1-\eta)^2/\gamma`), the edge
    by Newton on :math:`(\zeta-1)\eta^2\mu((1-\eta)^2) = (1-\eta)^2`, a handful of warm-started
    eigenproblems in all; otherwise a grid,
    bounded Brent maximisation and Newton steps with five-point differences (relative accuracy
    about :math:`10^{-10}`). Cached per scheme and :math:`\zeta`. Closed forms: alone :math:`\eta^* = r^* = 1/\zeta`; fully connected
    :math:`\eta^* = r^* = n/(n + \zeta - 1)` (see :mod:`topotheory.symbolic`). Decentralized
    averaging moves :math:`\eta^*` from the first towards the second as :math:`n_W(\gamma^*)` grows.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
        The gossip scheme (row-wise, :math:`X \leftarrow WX`).
    zeta : float
        Noise level >= 1. ``zeta = 1`` (noiseless) gives ``lr = rate = 1`` with NaN ``gamma``,
        ``effective_neighbors`` and ``n_equivalent`` (each a :math:`0/0`, undefined there).
    progress : bool, optional
        Show the number of exact rates solved so far (:class:`topotheory.common.progress.Progress`,
        after 2 s): None (default) shows a bar on a terminal or in Jupyter and nothing otherwise,
        True always (plain lines when the output is not a terminal), False never. A cached result
        returns at once.

    Returns
    -------
    OptimalLearningRate
        With the ``route`` of the exact rate and the ``search`` used.

    Examples
    --------
    >>> from topotheory import solo, fully_connected, ring, infinite_ring
    >>> res = optimal_learning_rate(solo(4), zeta=50)
    >>> round(res.lr, 12), round(res.rate, 12), round(res.n_equivalent, 9)
    (0.02, 0.02, 1.0)
    >>> round(optimal_learning_rate(fully_connected(4), zeta=50).lr, 12)  # 4 / 53
    0.075471698113
    >>> res = optimal_learning_rate(ring(32), zeta=50)
    >>> round(res.lr, 6), round(res.rate, 6), round(res.gamma, 4), round(res.effective_neighbors, 3)
    (0.091382, 0.125665, 0.9442, 8.394)
    """
    scheme = _scheme_or_graph(scheme)
    z = _check_zeta(zeta)
    enabled = _progress_enabled(progress)
    if math.isinf(_n_of(scheme)):
        return _optimum_with_progress(scheme, z, enabled)
    return scheme.cached(("toy:optimal-learning-rate", z), lambda: _optimum_with_progress(scheme, z, enabled))


def _progress_enabled(progress: Any) -> bool:
    """Whether a toy-problem call shows progress: ``progress`` (bool) or, for None, a bar in a terminal or notebook."""
    if progress is not None:
        return check_bool("progress", progress)
    return progress_mode(None) != "lines"


def _with_progress(desc: str, total: int | None, enabled: bool, solve: Callable[[], _T]) -> _T:
    """``solve()`` under one progress display counting the exact rates solved (none when disabled or nested)."""
    if not enabled or _PROGRESS.get() is not None:
        return solve()
    with Progress(total, desc=desc, unit="rate", enabled=enabled) as bar:
        token = _PROGRESS.set(bar)
        try:
            return solve()
        finally:
            _PROGRESS.reset(token)


def _optimum_with_progress(scheme: Any, z: float, enabled: bool) -> OptimalLearningRate:
    return _with_progress("optimal_learning_rate", None, enabled, lambda: _optimum(scheme, z))


def _optimum(scheme: Any, z: float) -> OptimalLearningRate:
    edge = _max_lr(scheme, z)
    if z == 1.0:
        # 0/0 in gamma = (1 - lr)^2 / rho and in n_equivalent = lr (zeta - 1) / (1 - lr): undefined
        return OptimalLearningRate(1.0, 1.0, math.nan, math.nan, math.nan, z, edge, "closed-form", "closed-form")
    curve = resolve(scheme).perron_curve() if resolve(scheme).has_slopes else None
    if curve is not None:
        point = _argmax_curve(scheme, curve, z, edge)
        if point is not None:
            return _operating_point(scheme, z, point[0], edge, "slopes", point[1:])
    x, search = _argmax_newton(scheme, z, edge), "slopes"
    if x is None:
        x, search = _argmax_search(scheme, z, edge), "grid"
    return _operating_point(scheme, z, x, edge, search)


def _argmax_newton(scheme: Any, z: float, edge: float) -> float | None:
    r"""Root of :math:`r'(\eta) = 0` on ``(0, edge)`` with the analytic slope (Brent), or None.

    The bracket: a sign change of :math:`r'` found by doubling steps from the maximiser of the
    secular bound of the rate (:func:`_bound_argmax`), else :math:`r'(0^+) = 2 > 0` and
    :math:`r'(\eta_{\max}) < 0`; each step costs one exact Perron pair.
    """
    if not resolve(scheme).has_slopes:
        return None
    seen = {}

    def g(x: float) -> float:
        if x not in seen:  # Brent evaluates the bracket's ends again
            seen[x] = _slope_pair(scheme, x, z)[1]
        return seen[x]

    bracket = _bracket_near(g, _bound_argmax(scheme, z, edge), edge)
    if bracket is None:
        if not g(edge) < 0:
            return None
        bracket = (1e-3 * edge, edge)
        if not g(bracket[0]) > 0:
            return None
    import scipy.optimize as so

    return float(so.brentq(g, *bracket, xtol=1e-15 * edge, rtol=4 * _EPS, maxiter=200))


def _bound_argmax(scheme: Any, z: float, edge: float) -> float | None:
    r"""The maximiser of a cheap upper bound of the rate on a grid of 500 points, or None.

    The bound is the rate of the secular ("mean") root (:meth:`Representation.excess_lower_bound`);
    it is exact on walk-regular graphs and close to the exact rate on most others, so its maximiser
    starts the bracket search of :func:`_argmax_newton` next to :math:`\eta^*`.
    """
    grid = edge * np.linspace(0.002, 0.998, 500)
    a, beta, s = _coefficients(grid, z)
    u = resolve(scheme).excess_lower_bound(a, beta)
    if u is None:
        return None
    r = s - u
    if not np.isfinite(r).any():
        return None
    return float(grid[int(np.nanargmax(r))])


def _bracket_near(g: Callable[[float], float], x0: float | None, edge: float) -> tuple[float, float] | None:
    """A sign change of the slope ``g`` next to ``x0``: steps of 1 % of ``x0``, doubling; or None."""
    if x0 is None:
        return None
    g0 = g(x0)
    if g0 == 0:
        return x0, x0 * (1 + 4 * _EPS)
    direction = 1.0 if g0 > 0 else -1.0
    prev, step = x0, 0.01 * x0
    for _ in range(10):
        x = prev + direction * step
        if not 0 < x < edge:
            return None
        gx = g(x)
        if (gx <= 0) if direction > 0 else (gx >= 0):
            return (prev, x) if direction > 0 else (x, prev)
        prev, step = x, 2 * step
    return None


def _argmax_search(scheme: Any, z: float, edge: float) -> float:
    """Grid, bounded Brent and five-point Newton steps on the rate itself (schemes without slopes)."""
    grid = edge * np.arange(1, 33) / 33.0
    r = _rate_raw(scheme, grid, z)
    k = int(np.nanargmax(np.where(r > 0, r, -np.inf)))
    lo = grid[k - 1] if k > 0 else 0.25 * grid[0]
    hi = grid[k + 1] if k + 1 < grid.size else edge
    f = lambda x: -float(_rate_raw(scheme, [x], z)[0])  # noqa: E731
    import scipy.optimize as so

    x = float(so.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12 * hi}).x)
    stencil = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    for _ in range(4):
        h = min(1e-3 * x, (edge - x) / 3.0, x / 3.0)
        fv = _rate_raw(scheme, x + h * stencil, z)
        d1 = (fv[0] - 8 * fv[1] + 8 * fv[3] - fv[4]) / (12 * h)
        d2 = (-fv[0] + 16 * fv[1] - 30 * fv[2] + 16 * fv[3] - fv[4]) / (12 * h * h)
        if not d2 < 0:
            break
        step = float(np.clip(-d1 / d2, -h, h))
        x += step
        if abs(step) <= 1e-13 * x:
            break
    return x


def _operating_point(scheme: Any, z: float, x: float, edge: float, search: str,
                     solved: tuple[float, float, str] | None = None) -> OptimalLearningRate:
    """The result at the learning rate ``x``; ``solved = (rate, rho, route)`` when already known."""
    if solved is None:
        r_opt, info = _solve(scheme, np.array([x]), z)
        solved = (float(r_opt[0]), float(info["rho"][0]), info["method"])
    rate, rho, route = solved
    u = rho - (1.0 - x) ** 2
    gamma = (1.0 - x) ** 2 / rho
    from ..metrics.randomwalk import effective_neighbors

    c = min(max(u / rho, 1e-300), 1.0)
    period = resolve(scheme).period
    inv = [1.0 / effective_neighbors(scheme, one_minus_gamma=c, phase=ph) for ph in range(period)]
    nw = float(1.0 / np.mean(inv))
    return OptimalLearningRate(x, rate, gamma, nw, x * (z - 1.0) / (1.0 - x), z, edge, route, search)


# ------------------------------------------- the Perron curve: the edge and the optimum in gamma
#: Residual of the Perron pairs of the edge search: the edge depends on mu alone (exact to the
#: residual squared), the slope only steers Newton's steps.
_EDGE_RESIDUAL = 1e-6
#: The same while Newton's steps are still long (above 1e-3 relative): they only need the direction.
_EDGE_FAR_RESIDUAL = 1e-4
#: Residual of the points that locate the optimum: the slope is exact to about residual / gap; on
#: the random geometric graph of 1000 nodes residuals of 1e-6, 1e-7 and 1e-9 moved the optimal
#: learning rate by up to 1.8e-8, 4.8e-10 and 1.8e-10 (relative; it depends on where the last points
#: fall). The search's last point, after a step of at most ``_OPTIMUM_FINAL_STEP`` in
#: log(1 - gamma), is solved to ``_OPTIMUM_FINAL_RESIDUAL`` (its g sets the root: 1.5e-11 there),
#: the tight points before it (secant partners, their errors damped by the step) to ``_OPTIMUM_RESIDUAL``.
_OPTIMUM_RESIDUAL = 1e-9
_OPTIMUM_FINAL_RESIDUAL = 1e-10
_OPTIMUM_FINAL_STEP = 1e-6
#: Residual of the points of the optimum's search that only steer it (single precision), and of
#: those after a step of at least ``_OPTIMUM_FAR_STEP`` in log(1 - gamma).
_OPTIMUM_STEER_RESIDUAL = 1e-4
_OPTIMUM_FAR_RESIDUAL = 1e-3
_OPTIMUM_FAR_STEP = 0.1
#: Steps in log(1 - gamma) at most ``_OPTIMUM_MEDIUM_STEP`` long lead to points solved to
#: ``_OPTIMUM_MEDIUM_RESIDUAL`` (mixed precision): a loose point's slope noise would place the first
#: tight point ~2e-4 from the root, and the second tight point would start that far away.
_OPTIMUM_MEDIUM_STEP = 4e-2
_OPTIMUM_MEDIUM_RESIDUAL = 1e-6
#: Steps in log(1 - gamma) at most this long lead to points solved to ``_OPTIMUM_RESIDUAL``.
_OPTIMUM_NEAR = 1e-3
#: First step of the optimum's search in log(1 - gamma) (the secant steps take over from the second).
_OPTIMUM_FIRST_STEP = 0.05
#: A secant step this short in log(1 - gamma), from a point solved to ``_OPTIMUM_FINAL_RESIDUAL``, is taken
#: as the root without solving there (the secant's error is far below it; mu by Taylor from the point).
_OPTIMUM_ACCEPT = 1e-10
#: A Newton step of the edge this short (relative), from a point solved to ``_EDGE_RESIDUAL``, is taken
#: as the edge without solving there: its error is below ``step * residual / gap + step**2``.
_EDGE_ACCEPT = 1e-7


def _bound_refined(scheme: Any, z: float, lo: float, hi: float, what: str) -> float:
    """The secular bound's edge (its sign change, ``what="edge"``) or maximiser in ``[lo, hi]``.

    The bound (:meth:`Representation.excess_lower_bound`, vectorised and cheap) is close to the exact
    rate on most graphs: its edge and maximiser start the searches on the Perron curve next to
    their roots. Three rounds of 65-point grids, each on two spacings of the former round (a
    relative resolution of 1e-5 of ``hi - lo``: the bound itself is rarely closer to the exact rate).
    """
    rep = resolve(scheme)
    for _ in range(3):
        grid = np.linspace(lo, hi, 65)
        a, beta, s = _coefficients(grid, z)
        r = s - rep.excess_lower_bound(a, beta)
        if what == "edge":
            k = np.flatnonzero(~(r > 0))
            if not k.size:
                return float(hi)
            k0 = int(k[0])
            lo, hi = (float(grid[max(k0 - 1, 0)]), float(grid[k0]))
        else:
            k0 = int(np.nanargmax(np.where(np.isfinite(r), r, -np.inf)))
            lo, hi = float(grid[max(k0 - 1, 0)]), float(grid[min(k0 + 1, 64)])
    return hi if what == "edge" else 0.5 * (lo + hi)


def _curve_point(curve: Any, gamma: float, tol: float | None = None) -> tuple[float, float]:
    """``(mu, dmu/dgamma)`` of the Perron curve, counted by the progress display; NaN if not converged."""
    mu, dmu, ok = curve(gamma) if tol is None else curve(gamma, tol)
    bar = _PROGRESS.get()
    if bar is not None:
        bar.update(1)
        bar.set_postfix(f"gamma={gamma:.10g}, perron-curve")
    return (mu, dmu) if ok else (math.nan, math.nan)


def _edge_curve(curve: Any, z: float, lo: float, hi: float) -> float | None:
    r"""The stability edge from the Perron curve: the root of :math:`\phi(\eta) = 0`, or None.

    At the edge :math:`\rho = 1`, so :math:`\gamma = a = (1-\eta)^2` and
    :math:`\phi(\eta) = (\zeta-1)\eta^2\mu((1-\eta)^2) - (1-\eta)^2` vanishes (:math:`\phi > 0`: unstable);
    :math:`\phi' = 2(\zeta-1)\eta\mu - 2(1-\eta)(\zeta-1)\eta^2\mu' + 2(1-\eta)`. Safeguarded Newton from
    ``hi`` (an upper bound, :math:`\phi(hi) \ge 0`) inside ``[lo, hi]``, bisection when a step leaves the
    bracket; one Perron-curve point per step, loose while the steps are long, and a short step from a
    tight point is taken without solving at its end (:data:`_EDGE_ACCEPT`). None when the bracket reaches :math:`\eta = 1`
    (:math:`\gamma = 0`) or a point does not converge (the search in the learning rate takes over).
    """
    if not 0.0 < lo < hi < 1.0:
        return None

    def phi(x: float, tol: float) -> tuple[float, float]:
        mu, dmu = _curve_point(curve, (1.0 - x) ** 2, tol)
        return ((z - 1.0) * x * x * mu - (1.0 - x) ** 2,
                2.0 * (z - 1.0) * x * mu - 2.0 * (1.0 - x) * (z - 1.0) * x * x * dmu + 2.0 * (1.0 - x))

    x, b_lo, b_hi = hi, lo, hi
    tol = _EDGE_FAR_RESIDUAL  # the first point only steers: the bound's edge may be far (random geometric graphs)
    last: tuple[float, float] | None = None  # the former point's (x, phi')
    for _ in range(100):
        f, df = phi(x, tol)
        if not (math.isfinite(f) and math.isfinite(df)):
            return None
        if f == 0.0:
            return x
        if f > 0:
            b_hi = x
        else:
            b_lo = x
        xn = x - f / df if df > 0 else math.nan
        if last is not None and df > 0 and abs(xn - x) > 1e-4 * x:
            # a long step: the root of the quadratic model with phi'' from the last two slopes
            d2 = (df - last[1]) / (x - last[0])
            disc = df * df - 2.0 * f * d2
            if disc > 0:
                xn = x - 2.0 * f / (df + math.sqrt(disc))
        last = (x, df)
        # mu is exact to ~tol**2 / gap (~1e-12 relative), and so is phi: stop at 1e-12 (a step this
        # short may land on x itself, outside the open bracket: it is convergence, not a bad step)
        short = abs(xn - x) <= 1e-12 * x
        if not (b_lo < xn < b_hi or short):
            xn = 0.5 * (b_lo + b_hi)
        elif tol == _EDGE_RESIDUAL and abs(xn - x) <= _EDGE_ACCEPT * x:
            return float(xn)  # Newton's step from a tight point: exact to far below 1e-11
        if short or b_hi - b_lo <= 1e-12 * b_hi:
            if tol == _EDGE_RESIDUAL:
                return float(xn)
            tol = _EDGE_RESIDUAL  # converged on loose points: confirm on tight ones
        else:
            tol = _EDGE_RESIDUAL if abs(xn - x) <= 1e-3 * x else _EDGE_FAR_RESIDUAL
        x = xn
    return None


def _argmax_curve(scheme: Any, curve: Any, z: float, edge: float) -> tuple[float, float, float, str] | None:
    r"""The optimum as the root of the slope in the decay: ``(lr, rate, rho, route)``, or None.

    With :math:`s = \sqrt{(\zeta-1)\mu(\gamma)}` the Perron root gives :math:`\eta = 1/(1+s)`,
    :math:`a = s^2/(1+s)^2` and the rate :math:`R(\gamma) = 1 - a/\gamma`; :math:`\eta(\gamma)` is
    decreasing (:math:`\mu' > 0`), so :math:`\eta^* = \eta(\gamma^*)` with :math:`R'(\gamma^*) = 0`, i.e.
    :math:`g(\gamma) = s^2(1+s) - \gamma(\zeta-1)\mu'(\gamma) = 0`
    (:math:`R' = g/(\gamma^2(1+s)^3)`). Secant steps in :math:`\log(1-\gamma)` from the decay of the
    secular bound's maximiser (:func:`_bound_refined`), safeguarded by the bracket of the sign changes
    seen among points solved at least as tightly (bisection when a step leaves it; a loose point's
    sign next to the root is noise); each secant taken with the point that makes it most reliable.
    Each point is one Perron-curve point, solved to a residual that follows the length of the step
    that led to it: after long steps loose (:data:`_OPTIMUM_STEER_RESIDUAL`, in single precision:
    they only steer), within :data:`_OPTIMUM_NEAR` tight (:data:`_OPTIMUM_RESIDUAL`), the last ones
    tighter (:data:`_OPTIMUM_FINAL_RESIDUAL`); a short secant step from such a point (below
    :data:`_OPTIMUM_ACCEPT`, or between two tight points with its error estimate ``|step| |dlt|``
    below a tenth of it) ends the search without a further point.
    None when the edge is at or beyond :math:`\eta = 1`.
    """
    if not edge < 1.0:
        return None
    if resolve(scheme).excess_lower_bound(np.array([0.5]), np.array([0.5])) is None:
        return None
    x0 = _bound_refined(scheme, z, 0.002 * edge, 0.998 * edge, "argmax")
    a0, b0, _ = _coefficients(np.array([x0]), z)
    u0 = resolve(scheme).excess_lower_bound(a0, b0)
    if u0 is None:
        return None
    g_lo = (1.0 - edge) ** 2  # the edge's decay: R = 0 there, rising inside
    t0 = float(u0[0] / (a0[0] + u0[0]))  # 1 - gamma of the bound's optimum
    if not 0.0 < t0 < 1.0 - g_lo:
        return None

    def point(lt: float, tol: float) -> tuple[float, float, float]:
        """``(g, mu, dmu)`` at t = exp(lt), the Perron pair solved to ``tol``."""
        gamma = 1.0 - math.exp(lt)
        mu, dmu = _curve_point(curve, gamma, tol)
        s = math.sqrt((z - 1.0) * mu)
        return s * s * (1.0 + s) - gamma * (z - 1.0) * dmu, mu, dmu

    def tolerance(step: float) -> float:
        if abs(step) <= _OPTIMUM_FINAL_STEP:
            return _OPTIMUM_FINAL_RESIDUAL
        if abs(step) <= _OPTIMUM_NEAR:
            return _OPTIMUM_RESIDUAL
        if abs(step) <= _OPTIMUM_MEDIUM_STEP:
            return _OPTIMUM_MEDIUM_RESIDUAL
        return _OPTIMUM_FAR_RESIDUAL if abs(step) >= _OPTIMUM_FAR_STEP else _OPTIMUM_STEER_RESIDUAL

    solved: list[tuple[float, float, float]] = []  # (lt, g, tol) of the points so far

    def partner(lt: float, tol: float) -> tuple[float, float, float]:
        """The point whose secant with ``lt`` is most reliable: noise ``(tol_p + tol) / |dlt|`` plus curvature ``|dlt|``."""
        best = min(solved, key=lambda p: (p[2] + tol) / abs(p[0] - lt) + abs(p[0] - lt))
        return best

    # secant steps in log t, t = 1 - gamma (g > 0: R still rising, the optimum at a larger gamma, a
    # smaller t), each point solved to a residual that follows the step's length, each secant taken
    # with the point that makes it most reliable (a loose point next to a tight one would make it
    # noise); the bracket of the sign changes seen safeguards them (bisection when a step leaves it)
    top = math.log(1.0 - g_lo)
    lt, tol = math.log(t0), _OPTIMUM_STEER_RESIDUAL
    g1, mu1, dmu1 = point(lt, tol)
    if not math.isfinite(g1):
        return None
    step = (-1.0 if g1 > 0 else 1.0) * _OPTIMUM_FIRST_STEP
    lt0 = tol0 = secant = math.nan
    for _ in range(60):
        # the bracket from the points solved at least as tightly as this one: a loose point's sign
        # next to the root is noise
        trusted = [(p[0], p[1]) for p in solved if p[2] <= tol] + [(lt, g1)]
        lo = max((x for x, g in trusted if g < 0), default=-math.inf)
        hi = min((x for x, g in trusted if g > 0), default=math.inf)
        if g1 == 0.0:
            step = 0.0
        elif solved:
            lt0, g0, tol0 = partner(lt, tol)
            secant = -g1 * (lt - lt0) / (g1 - g0) if g1 != g0 else math.nan
            if lo < hi < math.inf and lo > -math.inf:
                step = secant if math.isfinite(secant) and lo < lt + secant < hi else 0.5 * (lo + hi) - lt
            elif math.isfinite(secant) and secant * (-1.0 if g1 > 0 else 1.0) > 0:
                # no sign change yet: overshoot a long secant step slightly, at most a factor 3 in t
                step = math.copysign(min((1.05 if abs(secant) > _OPTIMUM_NEAR else 1.0) * abs(secant), 1.1), secant)
            else:
                step = (-1.0 if g1 > 0 else 1.0) * min(2.0 * abs(lt - lt0), 1.1)  # keep going, twice as far
        # a secant step's error is about |step| |dlt| (the partner's distance) in log t: from two tight
        # points, a step this small ends the search
        tight_pair = (solved and step == secant and tol0 <= _OPTIMUM_RESIDUAL
                      and abs(step) * abs(lt - lt0) <= 0.1 * _OPTIMUM_ACCEPT)
        if tol == _OPTIMUM_FINAL_RESIDUAL and (abs(step) <= _OPTIMUM_ACCEPT or tight_pair):
            lt_end = lt + step
            gamma_end = 1.0 - math.exp(lt_end)
            mu = mu1 + dmu1 * (gamma_end - (1.0 - math.exp(lt)))  # Taylor: the step is ~1e-10
            s = math.sqrt((z - 1.0) * mu)
            lr = 1.0 / (1.0 + s)
            rho = (1.0 - lr) ** 2 / gamma_end
            return lr, 1.0 - rho, rho, "eigen-reduction"
        lt_new = lt + step
        if hi == math.inf:
            lt_new = min(lt_new, 0.5 * (lt + top))
        if not (lt_new < top and math.isfinite(lt_new)):
            return None
        solved.append((lt, g1, tol))
        tol = tolerance(lt_new - lt)
        lt = lt_new
        g1, mu1, dmu1 = point(lt, tol)
        if not math.isfinite(g1):
            return None
    return None

