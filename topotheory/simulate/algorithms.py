r"""Monte Carlo of every algorithm of :data:`topotheory.ALGORITHMS`, written as its paper's pseudo-code.

The exact theory writes each algorithm as a linear stochastic recursion on a per-worker state and
propagates its second moments; this module is the independent route: each algorithm is a few
lines that do what its paper's pseudo-code does — draw a fresh stochastic gradient per worker,
combine it with the momentum buffer, the tracker, the compressed copy or the queue of stale
gradients, gossip — on the isotropic random quadratic of THEORY §3.1 (row-wise gossip,
:math:`X \leftarrow W_t X`). The update rules are those of
:mod:`topotheory.algorithms.registry` (the contract both routes implement).

Implementation. A chunk of ``c`` replicas holds each state component as one array of shape
``(n, c, d)``; a step is a handful of vectorized operations (no loop over workers or replicas).
Components gossiped at the same step are stacked, ``(n, c, k, d)``, and move in one product with
the gossip plan of :mod:`topotheory.simulate.montecarlo` (sparse, dense, average, identity, or a
fresh draw of :math:`W_t` per replica and step for random schemes), so all of a replica's
components meet the same :math:`W_t`. Seeds, chunks, threads and start points come from the
shared engine (:mod:`topotheory.simulate.engine`): results depend on ``seed`` and ``chunk_size``,
never on ``threads``.

Order of the random draws within a step (each chunk has its own stream): the gradient
(``standard_normal`` of shape ``(n, c, d)``, ``batch_size`` times), then the compression (CHOCO),
then the gossip matrix (random schemes). Gradient tracking draws its first gradient before the
first step and, within a step, gossips before it draws the gradient at the new iterate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import collections
import math

import numpy as np

from ..algorithms.registry import check_algorithm
from ..common.rng import as_generator
from .engine import check_budget, root_seed, run_chunks, start_point
from .montecarlo import DSGDSimulation, apply_gossip, check_simulation, gossip_plan, mark_divergence, simulation_from_chunks

__all__ = ["simulate_algorithm"]

# as in simulate_dsgd: a chunk whose losses all fall below 2**-_RESCALE_BELOW has its whole state
# multiplied by 2**_RESCALE_BY (every rule is positively homogeneous in the state), the power tracked
_RESCALE_BELOW = 500
_RESCALE_BY = 250


def choco_k(ratio: float, d: int) -> int:
    """The number ``k = ratio * d`` of coordinates CHOCO's random-k sparsification sends.

    ``ratio * d`` must be an integer (to 1e-9): the operator keeps exactly ``k`` coordinates.

    Examples
    --------
    >>> choco_k(0.25, 8)
    2
    >>> choco_k(0.3, 8)
    Traceback (most recent call last):
    ...
    ValueError: ratio * d must be a whole number of coordinates (random_k keeps k = ratio * d of them); got ratio = 0.3, d = 8 (2.4)
    """
    k = ratio * d
    if abs(k - round(k)) > 1e-9 or round(k) < 1:
        raise ValueError(f"ratio * d must be a whole number of coordinates (random_k keeps k = ratio * d of them); "
                         f"got ratio = {ratio:g}, d = {d} ({k:g})")
    return int(round(k))


def random_k(v: Any, k: int, rng: np.random.Generator) -> np.ndarray:
    r"""CHOCO's random-k sparsification of each row ``v[i, r, :]``: :math:`Q(v) = v \odot \mathbb 1_S`.

    :math:`S` is a uniform ``k``-subset of the ``d`` coordinates, drawn afresh for every worker
    and replica (the ``k`` smallest of ``d`` uniforms); no rescaling (the paper's contractive
    rand_k, Koloskova et al. 2019): :math:`\mathbb E\, Q(v) = \frac kd v`,
    :math:`\mathbb E \|Q(v)\|^2 = \frac kd \|v\|^2`. ``k = d`` returns ``v`` without drawing.

    Examples
    --------
    >>> q = random_k(np.arange(1.0, 5.0).reshape(1, 1, 4), 2, np.random.default_rng(0))
    >>> int(np.count_nonzero(q)), bool(np.all((q == 0) | (q == np.arange(1.0, 5.0))))
    (2, True)
    """
    d = v.shape[-1]
    if k == d:
        return v
    keep = np.argpartition(rng.random(v.shape), k - 1, axis=-1)[..., :k]
    mask = np.zeros(v.shape, dtype=bool)
    np.put_along_axis(mask, keep, True, axis=-1)
    return np.where(mask, v, 0.0)


def quantize(v: Any, levels: int, rng: np.random.Generator) -> np.ndarray:
    r"""CHOCO's qsgd_s: QSGD's stochastic quantization of each row, rescaled by :math:`1/\tau`.

    :math:`Q(v)_j = \frac{1}{\tau}\|v\|_2\, \mathrm{sign}(v_j)\, \xi_j / s` (Alistarh et al.
    2017, §3.1; Koloskova et al. 2019), with :math:`\xi_j = \ell` or :math:`\ell + 1`,
    :math:`\ell = \lfloor s |v_j| / \|v\|\rfloor`, rounded up with probability
    :math:`s|v_j|/\|v\| - \ell` (fresh per coordinate, worker and replica), and
    :math:`\tau = 1 + \min(d/s^2, \sqrt d/s)`: :math:`\mathbb E\, Q(v) = v/\tau`; :math:`Q(0) = 0`.

    Examples
    --------
    >>> q = quantize(np.array([[[3.0, 4.0]]]), 5, np.random.default_rng(0))   # |v| = 5: exact levels
    >>> tau = 1 + min(2 / 25, np.sqrt(2) / 5)
    >>> np.allclose(q.ravel() * tau, [3.0, 4.0])
    True
    """
    d = v.shape[-1]
    tau = 1.0 + min(d / levels**2, math.sqrt(d) / levels)
    norm = np.sqrt(np.einsum("...d,...d->...", v, v))[..., None]
    r = np.divide(levels * np.abs(v), norm, out=np.zeros_like(v), where=norm > 0)
    low = np.floor(r)
    xi = low + (rng.random(v.shape) < r - low)
    return norm * np.sign(v) * xi / (levels * tau)


# ------------------------------------------------------------------------------ the algorithms
class _Run:
    """One chunk of ``c`` replicas: the state, the fresh randomness and the gossip every rule uses."""

    #: state components other than the iterate (gradient tracking also keeps its last gradient)
    extra: tuple[str, ...] = ()
    #: arrays of shape (n, c, d) alive at once, for the memory estimate
    arrays = 4

    def __init__(self, plan: Any, rng: np.random.Generator, X0: np.ndarray, c: int, lr: float,
                 batch_size: int, hp: dict[str, Any], gradient: GradientOracle | None = None) -> None:
        self.plan, self.rng, self.lr, self.b, self.hp = plan, rng, lr, batch_size, hp
        self.oracle = gradient
        self.n, self.d = X0.shape
        self.c = c
        self.x = np.repeat(X0[:, None, :], c, axis=1)
        self._a = np.empty_like(self.x)
        self._s = np.empty((self.n, c))
        self.start()

    def start(self) -> None:
        """Set the state components other than ``x`` (zero unless the rule says otherwise)."""
        for name in self.extra:
            setattr(self, name, np.zeros_like(self.x))

    def grad(self, X: np.ndarray) -> np.ndarray:
        r"""Fresh stochastic gradients :math:`g_i = \frac1b\sum_k a_k a_k^\top x_i`, :math:`a_k \sim N(0, I_d)`.

        With a gradient oracle (another problem), the oracle's fresh gradients at ``X`` instead.
        """
        if self.oracle is not None:
            return self.oracle(X, self.rng)
        A, s = self._a, self._s
        g: Any = None
        for _ in range(self.b):
            self.rng.standard_normal(out=A)
            np.einsum("icd,icd->ic", A, X, out=s)
            g = A * s[:, :, None] if g is None else g + A * s[:, :, None]
        return g / self.b if self.b > 1 else g

    def gossip(self, t: int, *arrays: Any) -> Any:
        """``W_t`` applied to each array (all of a replica's arrays meet the same ``W_t``)."""
        n, c = self.n, self.c
        Z = np.ascontiguousarray(arrays[0]) if len(arrays) == 1 else np.stack(arrays, axis=2)
        flat = Z.reshape(n, -1)
        R = apply_gossip(self.plan[t % len(self.plan)], flat, np.empty_like(flat), self.rng, c)
        if R is flat:  # identity: hand back a new array all the same
            R = flat.copy()
        R = R.reshape(Z.shape)
        return R if len(arrays) == 1 else tuple(R[:, :, k] for k in range(len(arrays)))

    def components(self) -> list[np.ndarray]:
        """Every state array (for rescaling)."""
        return [self.x] + [getattr(self, name) for name in self.extra]

    def rescale(self, factor: float) -> None:
        self.x = self.x * factor
        for name in self.extra:
            setattr(self, name, getattr(self, name) * factor)

    def step(self, t: int) -> None:  # pragma: no cover - every algorithm overrides it
        raise NotImplementedError


class _DSGD(_Run):
    def step(self, t: int) -> None:
        g = self.grad(self.x)
        self.x = self.gossip(t, self.x - self.lr * g)


class _GossipFirst(_Run):
    def step(self, t: int) -> None:
        g = self.grad(self.x)
        self.x = self.gossip(t, self.x) - self.lr * g


class _DmSGD(_Run):
    m: np.ndarray
    extra = ("m",)
    arrays = 6
    nesterov = False

    def step(self, t: int) -> None:
        beta = self.hp["momentum"]
        g = self.grad(self.x)
        u = beta * self.m + g
        direction = g + beta * u if self.nesterov else u
        if self.hp["gossip_momentum"]:
            self.x, self.m = self.gossip(t, self.x - self.lr * direction, u)
        else:
            self.x, self.m = self.gossip(t, self.x - self.lr * direction), u


class _DmSGDNesterov(_DmSGD):
    nesterov = True


class _QGM(_Run):
    m: np.ndarray
    extra = ("m",)
    arrays = 6

    def step(self, t: int) -> None:
        beta = self.hp["momentum"]
        g = self.grad(self.x)
        v = g + beta * self.m
        x_new = self.gossip(t, self.x - self.lr * v)
        self.m = beta * self.m + (1.0 - beta) * (self.x - x_new) / self.lr
        self.x = x_new


class _GradientTracking(_Run):
    extra = ("y", "g")
    arrays = 8

    def start(self) -> None:
        self.g = self.grad(self.x)
        self.y = self.g.copy()

    def step(self, t: int) -> None:
        Wx, Wy = self.gossip(t, self.x, self.y)
        x_new = Wx - self.lr * self.y
        g_new = self.grad(x_new)
        self.y = Wy + g_new - self.g
        self.x, self.g = x_new, g_new


class _ExactDiffusion(_Run):
    extra = ("psi",)
    arrays = 6

    def start(self) -> None:
        self.psi = self.x.copy()

    def step(self, t: int) -> None:
        g = self.grad(self.x)
        psi_new = self.x - self.lr * g
        z = psi_new + self.x - self.psi
        Wz = self.gossip(t, z)
        self.x = 0.5 * (z + Wz) if self.hp["combine"] == "half" else Wz
        self.psi = psi_new


class _Choco(_Run):
    xhat: np.ndarray
    extra = ("xhat",)
    arrays = 7

    def compress(self, v: Any) -> np.ndarray:
        """``Q(v)``, the registry's contractive compressor, fresh per worker, replica and step."""
        if self.hp["compression"] == "random_k":
            return random_k(v, choco_k(self.hp["ratio"], self.d), self.rng)
        return quantize(v, self.hp["levels"], self.rng)

    def step(self, t: int) -> None:
        gamma = self.hp["consensus_step"]
        g = self.grad(self.x)
        h = self.x - self.lr * g
        self.xhat = self.xhat + self.compress(h - self.xhat)
        self.x = h + gamma * (self.gossip(t, self.xhat) - self.xhat)


class _Delayed(_Run):
    def start(self) -> None:
        self.queue: collections.deque[np.ndarray] = collections.deque()  # gradients drawn and not yet applied, oldest first

    def step(self, t: int) -> None:
        self.queue.append(self.grad(self.x))
        g = self.queue.popleft() if len(self.queue) > self.hp["delay"] else 0.0
        self.x = self.gossip(t, self.x - self.lr * g)

    def components(self) -> list[np.ndarray]:
        return [self.x, *self.queue]

    def rescale(self, factor: float) -> None:
        self.x = self.x * factor
        self.queue = collections.deque(q * factor for q in self.queue)


_RUNS = {
    "dsgd": _DSGD,
    "dsgd_gossip_first": _GossipFirst,
    "dmsgd": _DmSGD,
    "dmsgd_nesterov": _DmSGDNesterov,
    "qgm": _QGM,
    "gradient_tracking": _GradientTracking,
    "exact_diffusion": _ExactDiffusion,
    "choco": _Choco,
    "delayed": _Delayed,
}


#: A stochastic-gradient oracle: ``(X of shape (n, c, d), rng) -> fresh gradients of the same shape``.
GradientOracle = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def algorithm_run(algorithm: str, hyperparameters: dict[str, Any], plan: Any, rng: np.random.Generator,
                  X0: np.ndarray, reps: int, lr: float, *, batch_size: int = 1,
                  gradient: GradientOracle | None = None) -> Any:
    r"""One chunk of ``reps`` replicas of ``algorithm``'s pseudo-code, ready to ``step(t)``.

    The state components are arrays of shape ``(n, reps, d)`` (``run.x`` the iterate);
    ``run.step(t)`` applies one step of the registry's update rule with the gossip ``plan[t %
    len(plan)]`` (the phases of :func:`topotheory.simulate.montecarlo.gossip_plan`). The
    stochastic gradient is the toy problem's :math:`\frac1b\sum_k a_k a_k^\top x_i` unless a
    ``gradient`` oracle (another problem's, e.g. a heterogeneous quadratic's) is given; every rule
    calls it exactly where its pseudo-code draws a gradient.

    Parameters
    ----------
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS`.
    hyperparameters : dict
        Its validated hyper-parameters (:func:`check_algorithm_run`).
    plan : sequence of (kind, matrix)
        The gossip of each phase.
    rng : numpy.random.Generator
        The chunk's stream (gradients, compression, random gossip).
    X0 : ndarray, shape (n, d)
        The start of the iterate.
    reps : int
        Replicas in the chunk.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size of the toy problem's gradient.
    gradient : callable, optional
        ``gradient(X, rng)`` for ``X`` of shape ``(n, reps, d)``.

    Returns
    -------
    object
        The run: ``x`` (and the rule's other components), ``step(t)``.

    Examples
    --------
    >>> from topotheory import ring
    >>> from topotheory.simulate.montecarlo import gossip_plan
    >>> run = algorithm_run("gradient_tracking", {}, gossip_plan(ring(4)), np.random.default_rng(0),
    ...                     np.ones((4, 2)), 3, 0.5, gradient=lambda X, rng: X - 1.0)   # f_i = |x - 1|^2 / 2
    >>> run.step(0)
    >>> run.x.shape, bool(np.allclose(run.x, 1.0))
    ((4, 3, 2), True)
    """
    return _RUNS[algorithm](plan, rng, X0, reps, lr, batch_size, hyperparameters, gradient)


def _arrays_alive(name: str, hp: dict[str, Any]) -> Any:
    """Arrays of shape (n, c, d) a chunk of ``name`` keeps alive at once."""
    return _RUNS[name].arrays + (hp["delay"] if name == "delayed" else 0)


def _algorithm_chunk(run_class: Any, hp: dict[str, Any], plan: list[tuple[str, Any]], X0: np.ndarray, lr: float,
                     batch_size: int, steps: int, c: int, seed: Any) -> tuple[Any, ...]:
    """Simulate ``c`` replicas; returns per-replica loss, summed consensus, divergence info."""
    rng = as_generator(seed)
    n = X0.shape[0]
    loss = np.full((c, steps + 1), np.nan)
    cons = np.full(steps + 1, np.nan)
    scale = 0  # the state holds 2**scale times the true state
    diverged_step, n_div = -1, 0

    def record(t: int, X: np.ndarray) -> np.ndarray:
        sq = np.einsum("icd,icd->c", X, X)
        D = X - X.mean(axis=0)
        cons[t] = math.ldexp(float(np.einsum("icd,icd->", D, D)) / n, -2 * scale)
        loss[:, t] = np.ldexp(sq / (2 * n), -2 * scale)
        return sq

    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        run = run_class(plan, rng, X0, c, lr, batch_size, hp)
        record(0, run.x)
        for t in range(steps):
            run.step(t)
            sq = record(t + 1, run.x)
            n_div = mark_divergence(loss, cons, t + 1)
            if n_div:
                diverged_step = t + 1
                break
            if sq.max() < 2.0**-_RESCALE_BELOW and max(np.abs(a).max() for a in run.components()) < 2.0**-_RESCALE_BY:
                run.rescale(2.0**_RESCALE_BY)
                scale += _RESCALE_BY
    return loss, cons, diverged_step, n_div


def check_algorithm_run(algorithm: str, hyperparameters: dict[str, Any] | None, *, lr: float, d: int,
                       ) -> tuple[Any, dict[str, Any]]:
    """The algorithm, its validated hyper-parameters, and the checks the simulator adds.

    Beyond :func:`topotheory.algorithms.check_algorithm`: quasi-global momentum divides by the
    learning rate (``lr > 0``); CHOCO's random-k needs ``ratio * d`` whole (:func:`choco_k`), and a
    hyper-parameter the chosen compression does not use (``levels`` with ``random_k``, ``ratio``
    with ``quantize``) is refused rather than ignored.

    Examples
    --------
    >>> alg, hp = check_algorithm_run("choco", {"ratio": 0.5}, lr=0.1, d=4)
    >>> hp["ratio"], hp["compression"]
    (0.5, 'random_k')
    >>> check_algorithm_run("choco", {"compression": "quantize", "ratio": 0.5}, lr=0.1, d=4)
    Traceback (most recent call last):
    ...
    ValueError: ratio applies to compression='random_k' only; with compression='quantize' drop it
    """
    given = dict(hyperparameters or {})
    alg, hp = check_algorithm(algorithm, given)
    if alg.name == "qgm" and lr <= 0:
        raise ValueError(f"lr must be > 0 for quasi-global momentum (its buffer divides by lr), got {lr:g}")
    if alg.name == "choco":
        unused = {"random_k": "levels", "quantize": "ratio"}[hp["compression"]]
        if unused in given:
            used = "quantize" if unused == "levels" else "random_k"
            raise ValueError(f"{unused} applies to compression={used!r} only; with "
                             f"compression={hp['compression']!r} drop it")
        if hp["compression"] == "random_k":
            choco_k(hp["ratio"], d)
    return alg, hp


def simulate_algorithm(
    scheme: Any,
    *,
    lr: float,
    d: int,
    steps: int,
    reps: int,
    algorithm: str = "dsgd",
    batch_size: int = 1,
    x0: Any = None,
    seed: Any = None,
    keep_replicas: bool = True,
    chunk_size: int | None = None,
    threads: int | None = None,
    **hyperparameters: Any,
) -> DSGDSimulation:
    r"""Monte Carlo of a decentralized algorithm on the isotropic random quadratic (THEORY §3.1, §6).

    Each worker of each replica runs the update rule of ``algorithm`` (the table of
    :mod:`topotheory.algorithms.registry`) with fresh stochastic gradients
    :math:`g_i(t) = \frac1b\sum_{k=1}^b a_k a_k^\top x_i(t)`, :math:`a_k \sim N(0, I_d)` (noise level
    :math:`\zeta = (1 + b + d)/b`), and gossips row-wise, :math:`X \leftarrow W_t X`, with
    :math:`W_t = W_{t \bmod p}` (or a fresh draw per replica and step for a random scheme). For
    example DmSGD (heavy ball, local buffer) is

    .. math::

        u_i = \beta m_i + g_i, \qquad m_i \leftarrow u_i, \qquad
        x_i \leftarrow \sum_j (W_t)_{ij} (x_j - \eta u_j),

    and CHOCO-SGD (Koloskova et al. 2019, Algorithm 2) is :math:`h = x - \eta g`,
    :math:`\hat x \leftarrow \hat x + Q(h - \hat x)`, :math:`x \leftarrow h + \gamma (W_t - I)\hat x`
    with :math:`Q` the paper's contractive compressors: random-k sparsification without rescaling
    (``ratio = k/d``, :func:`random_k`) or QSGD quantization rescaled by :math:`1/\tau`
    (``levels``, :func:`quantize`), fresh per worker, replica and step. The rules are written as pseudo-code, not
    as the linear recursion of the exact theory: the two routes are independent, and
    :func:`topotheory.crosscheck` compares them.

    Parameters
    ----------
    scheme : Scheme or RandomScheme
        The gossip scheme (row convention ``X <- W X``).
    lr : float
        Learning rate :math:`\eta \ge 0` (> 0 for ``"qgm"``).
    d, steps, reps : int
        As in :func:`topotheory.simulate_dsgd`.
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS` (default ``"dsgd"``, the pseudo-code route of
        :func:`topotheory.simulate_dsgd`).
    batch_size : int
        Mini-batch size, as in :func:`topotheory.simulate_dsgd`.
    x0 : array_like, shape (d,) or (n, d), optional
        Start of the iterate (default ``ones(d)/sqrt(d)`` at every worker, ``loss[0] = 0.5``);
        the other state components start as the rule says (zero; the tracker at the first
        gradient; exact diffusion's :math:`\psi` at :math:`x(0)`).
    seed, keep_replicas, chunk_size, threads
        As in :func:`topotheory.simulate_dsgd` (results depend on ``seed`` and ``chunk_size``,
        not on ``threads``).
    **hyperparameters
        The algorithm's hyper-parameters by name (``momentum=0.9``, ``ratio=0.25``,
        ``delay=2``, ...); defaults from the registry.

    Returns
    -------
    DSGDSimulation
        With ``algorithm`` and ``hyperparameters`` filled in; :func:`topotheory.estimate_rate`
        applies.

    Examples
    --------
    >>> from topotheory import ring
    >>> sim = simulate_algorithm(ring(8), lr=0.05, d=10, steps=20, reps=50, seed=0, algorithm="dmsgd",
    ...                          momentum=0.5)
    >>> sim.algorithm, sim.hyperparameters
    ('dmsgd', {'momentum': 0.5, 'gossip_momentum': False})
    >>> float(sim.loss[0]), bool(sim.loss[20] < 0.05)
    (0.5, True)
    """
    scheme, lr, d, steps, reps, batch_size, keep_replicas, threads = check_simulation(
        scheme, lr, d, steps, reps, batch_size, keep_replicas, threads)
    alg, hp = check_algorithm_run(algorithm, hyperparameters, lr=lr, d=d)
    n = scheme.n
    k = _arrays_alive(alg.name, hp)
    check_budget({"reps": reps, "steps": steps, "d": d, "batch_size": batch_size},
                 memory=8 * (reps * (steps + 1) + k * n * d), work=reps * steps * n * d * (batch_size + k),
                 what=f"{alg.title} on {n} workers")
    X0 = start_point(x0, n, d)
    seed, seed_record = root_seed(seed)
    args = (_RUNS[alg.name], hp, gossip_plan(scheme), X0, lr, batch_size, steps)
    # the default chunk holds as many replicas as simulate_dsgd's (so the random streams of the
    # reductions line up) unless the state is large (long delays)
    per_replica = n * d * max(1, -(-k // 8))
    outs, chunk_size, elapsed = run_chunks(_algorithm_chunk, args, reps, per_replica, chunk_size, seed, threads)
    return simulation_from_chunks(outs, scheme=scheme, d=d, lr=lr, batch_size=batch_size, steps=steps, reps=reps,
                                  seed=seed_record, chunk_size=chunk_size, keep_replicas=keep_replicas,
                                  elapsed=elapsed, algorithm=alg.name, hyperparameters=hp)
