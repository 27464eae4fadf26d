r"""Heterogeneous problems: local objectives that differ between workers (THEORY §5, §9.1, §9.2).

Two problem classes share one interface, so that the simulators of :mod:`topotheory.merging` and
:mod:`topotheory.stepsizes` run on either:

* :class:`HeterogeneousQuadratic` -- :math:`f_i(x) = \tfrac12 (x - b_i)^\top A_i (x - b_i)` with
  additive Gaussian gradient noise :math:`g_i(x) = A_i(x - b_i) + \sigma_i \xi`,
  :math:`\xi \sim N(0, I_d)`. Linear-Gaussian dynamics: everything is exact
  (:mod:`topotheory.merging`). Built directly or by :func:`random_quadratic`.
* :class:`LogisticProblem` -- l2-regularised logistic regression on seeded synthetic data, split
  over the workers iid, label-skewed or sorted by feature norm (:func:`logistic_problem`).

Conventions: the global objective is the *mean* :math:`f(x) = \frac1n \sum_i f_i(x)`; losses are
reported as excess losses :math:`f(x) - f(x^\star)` of the global objective. Stacked iterates have
shape ``(..., n, d)`` (row ``i`` = worker ``i``), so a batch of replicas is ``(reps, n, d)``.
"""

from __future__ import annotations

import math

from typing import Any

import numpy as np

from ..common.rng import as_generator
from ..common.validation import as_float_array, check_array, check_budget, check_choice, check_int, check_real, plain
from ..common.rng import SeedLike

__all__ = [
    "HeterogeneousQuadratic",
    "random_quadratic",
    "LogisticProblem",
    "logistic_problem",
    "PARTITIONS",
    "HESSIAN_STRUCTURES",
]

#: Data partitions of :func:`logistic_problem`.
PARTITIONS = ("iid", "label_skew", "feature_norm")
#: Hessian structures of :func:`random_quadratic`.
HESSIAN_STRUCTURES = ("diagonal", "commuting", "dense")

_PSD_TOL = 1e-10


class HeterogeneousQuadratic:
    r"""Local quadratics :math:`f_i(x) = \tfrac12 (x - b_i)^\top A_i (x - b_i)` with gradient noise.

    The stochastic gradient of worker ``i`` is :math:`g_i(x) = A_i (x - b_i) + \sigma_i \xi` with
    :math:`\xi \sim N(0, I_d)` fresh per worker, replica and step. The global objective is
    :math:`f(x) = \frac1n\sum_i f_i(x) = \tfrac12 (x - x^\star)^\top \bar A (x - x^\star) + f^\star`
    with :math:`\bar A = \frac1n\sum_i A_i` and :math:`x^\star = \bar A^{-1}\frac1n\sum_i A_i b_i`.

    Parameters
    ----------
    hessians : array_like, shape (n, d) or (n, d, d)
        Diagonals of diagonal Hessians, or full symmetric positive semi-definite Hessians. The mean
        Hessian must be positive definite (strong convexity of the global objective).
    optima : array_like, shape (n, d)
        The local optima :math:`b_i`.
    noise : float or array_like of shape (n,)
        Gradient-noise standard deviations :math:`\sigma_i \ge 0` (per coordinate).

    Notes
    -----
    If the Hessians commute (common eigenbasis ``U``), the problem is stored in that basis:
    ``basis`` is ``U`` (``None`` for diagonal input) and ``eigenvalues[i, k]`` is the curvature of
    worker ``i`` along ``U[:, k]``. Exact propagation then decouples into ``d`` problems of size
    ``n``. ``structure`` is ``"diagonal"``, ``"commuting"`` or ``"dense"``.

    Examples
    --------
    >>> p = HeterogeneousQuadratic([[1.0], [3.0]], [[0.0], [4.0]])
    >>> p.x_star, p.f_star
    (array([3.]), 3.0)
    >>> float(p.excess_loss(np.array([1.0])))
    4.0
    """

    def __init__(self, hessians: Any, optima: Any, *, noise: float = 0.0) -> None:
        H = as_float_array("hessians", hessians)
        B = as_float_array("optima", optima)
        if H.ndim not in (2, 3) or (H.ndim == 3 and H.shape[1] != H.shape[2]):
            raise ValueError(f"hessians must have shape (n, d) (diagonals) or (n, d, d), got {H.shape}")
        if H.shape[0] < 1 or H.shape[1] < 1:
            raise ValueError(f"hessians must have n >= 1 workers and d >= 1 dimensions, got shape {H.shape}")
        n, d = H.shape[0], H.shape[1]
        if B.shape != (n, d):
            raise ValueError(f"optima must have shape (n, d) = {(n, d)} to match hessians, got {B.shape}")
        sig = as_float_array("noise", noise, low=0.0)
        if sig.ndim == 0:
            sig = np.full(n, float(sig))
        if sig.shape != (n,):
            raise ValueError(f"noise must be a scalar or have shape (n,) = ({n},), got {sig.shape}")
        self.n, self.d = n, d
        self.optima = B.copy()
        self.noise = sig
        if H.ndim == 2:
            if np.any(H < -_PSD_TOL):
                i = int(np.argwhere(H < -_PSD_TOL)[0, 0])
                raise ValueError(f"hessians[{i}] is not positive semi-definite (negative diagonal entry)")
            self.structure, self.basis, self.eigenvalues = "diagonal", None, np.maximum(H, 0.0)
            self.hessians = np.zeros((n, d, d))
            self.hessians[:, np.arange(d), np.arange(d)] = self.eigenvalues
        else:
            if not np.allclose(H, np.swapaxes(H, 1, 2), atol=1e-12, rtol=1e-10):
                i = int(np.argmax(np.abs(H - np.swapaxes(H, 1, 2)).reshape(n, -1).max(axis=1)))
                raise ValueError(f"hessians[{i}] is not symmetric")
            H = 0.5 * (H + np.swapaxes(H, 1, 2))
            lam_min = np.linalg.eigvalsh(H)[:, 0]
            scale = max(1.0, float(np.abs(H).max()))
            if np.any(lam_min < -_PSD_TOL * scale):
                i = int(np.argmin(lam_min))
                raise ValueError(
                    f"hessians[{i}] is not positive semi-definite (smallest eigenvalue {lam_min[i]:.3g})"
                )
            self.hessians = H
            self.structure, self.basis, self.eigenvalues = _detect_commuting(H)
        self.hessians.setflags(write=False)
        self.mean_hessian = self.hessians.mean(axis=0)
        lam_bar = np.linalg.eigvalsh(self.mean_hessian)
        if lam_bar[0] <= _PSD_TOL * max(1.0, lam_bar[-1]):
            raise ValueError(
                "hessians: the mean Hessian is not positive definite (smallest eigenvalue "
                f"{lam_bar[0]:.3g}); the global objective must be strongly convex"
            )
        self.mu, self.smoothness = float(lam_bar[0]), float(lam_bar[-1])
        rhs = np.einsum("iab,ib->a", self.hessians, B) / n
        self.x_star = np.linalg.solve(self.mean_hessian, rhs)
        self.f_star = float(self.local_losses(self.x_star).mean())

    # ------------------------------------------------------------------------------ quantities
    @property
    def local_smoothness(self) -> np.ndarray:
        r"""The local smoothness constants :math:`L_i = \lambda_{\max}(A_i)`, shape ``(n,)``."""
        if self.eigenvalues is not None:
            return self.eigenvalues.max(axis=1)
        return np.linalg.eigvalsh(self.hessians)[:, -1]

    def local_losses(self, x: Any) -> np.ndarray:
        r"""Local losses :math:`f_i(x)` for ``x`` of shape ``(..., d)``; returns ``(..., n)``."""
        diff = np.asarray(x, dtype=float)[..., None, :] - self.optima
        return 0.5 * np.einsum("...ia,iab,...ib->...i", diff, self.hessians, diff)

    def excess_loss(self, x: Any) -> float:
        r"""Excess global loss :math:`f(x) - f^\star = \tfrac12 (x - x^\star)^\top \bar A (x - x^\star)`.

        ``x`` has shape ``(..., d)``; returns shape ``(...)``.
        """
        e = np.asarray(x, dtype=float) - self.x_star
        return 0.5 * np.sum((e @ self.mean_hessian) * e, axis=-1)

    def gradients(self, X: Any) -> np.ndarray:
        r"""Exact local gradients :math:`A_i (x_i - b_i)` for stacked iterates ``X`` of shape ``(..., n, d)``."""
        diff = X - self.optima
        if self.structure == "diagonal":
            return self.eigenvalues * diff
        # batched BLAS over workers: (n, ..., d) @ (n, d, d)
        moved = np.moveaxis(diff, -2, 0).reshape(self.n, -1, self.d)
        G = np.matmul(moved, self.hessians)  # A_i symmetric: rows times A_i = (A_i x)^T
        return np.moveaxis(G.reshape((self.n,) + diff.shape[:-2] + (self.d,)), 0, -2)

    def stochastic_gradients(self, X: Any, rng: np.random.Generator, *, batch_size: int = 1) -> np.ndarray:
        r"""Noisy gradients :math:`A_i(x_i - b_i) + \sigma_i \xi_i` for ``X`` of shape ``(reps, n, d)``.

        Draws exactly one ``standard_normal(X.shape)`` from ``rng`` (common random numbers: the
        centralized simulator consumes the same numbers). ``batch_size`` divides the noise variance.
        """
        xi = rng.standard_normal(X.shape)
        scale = self.noise / _sqrt_count(batch_size)
        return self.gradients(X) + scale[:, None] * xi

    def with_noise(self, noise: float) -> HeterogeneousQuadratic:
        """The same problem with another gradient-noise level."""
        return HeterogeneousQuadratic(self.hessians if self.structure != "diagonal" else self.eigenvalues,
                                      self.optima, noise=noise)

    def __repr__(self) -> str:
        return (f"HeterogeneousQuadratic(n={self.n}, d={self.d}, {self.structure}, "
                f"L in [{self.local_smoothness.min():.3g}, {self.local_smoothness.max():.3g}])")


def _sqrt_count(count: int) -> float:
    """``sqrt(count)`` of a positive int of any size (beyond 2**53 through the logarithm)."""
    return np.sqrt(count) if count < 2**53 else math.exp(0.5 * math.log(count))


def _detect_commuting(H: Any) -> Any:
    """(structure, basis, eigenvalues) for dense Hessians: a common eigenbasis if they commute."""
    n, d, _ = H.shape
    if np.allclose(H, H[:, np.arange(d), np.arange(d)][:, :, None] * np.eye(d), atol=1e-14, rtol=0):
        return "diagonal", None, H[:, np.arange(d), np.arange(d)].copy()
    # A generic combination of commuting symmetric matrices has their common eigenbasis (with
    # probability one its eigenvalues are distinct when the joint eigenvalues are).
    weights = 0.5 + (np.arange(1, n + 1) * 0.6180339887498949) % 1.0  # distinct, deterministic
    _, U = np.linalg.eigh(np.einsum("i,iab->ab", weights, H))
    R = np.einsum("ak,iab,bl->ikl", U, H, U)
    diag = R[:, np.arange(d), np.arange(d)]
    off = R - diag[:, :, None] * np.eye(d)
    if np.abs(off).max() <= 1e-10 * max(1.0, np.abs(H).max()):
        return "commuting", U, diag
    return "dense", None, None


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, size: Any) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size=size))


def _random_orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


#: Largest ``smoothness_spread``: worker scales :math:`e^{\tau(v - 1/2)}` stay in [1e-100, 1e100].
MAX_SMOOTHNESS_SPREAD = 2 * 100 * math.log(10)


def random_quadratic(n: int, d: int, *, optima_spread: float = 1.0, hessian_spread: float = 0.0,
                     structure: str = "diagonal", eigenvalue_range: tuple[float, float] = (0.05, 2.0),
                     smoothness_spread: float = 0.0, noise: float = 1.0, seed: SeedLike = None) -> HeterogeneousQuadratic:
    r"""A seeded random :class:`HeterogeneousQuadratic` with separate heterogeneity knobs.

    * Hessians: a common spectrum :math:`c_k` is drawn log-uniformly in ``eigenvalue_range`` and
      each worker's spectrum is the convex combination
      :math:`\lambda_{ik} = (1 - s) c_k + s u_{ik}` with :math:`u_{ik}` log-uniform in the same
      range and :math:`s` = ``hessian_spread`` in [0, 1]. So every eigenvalue stays inside
      ``eigenvalue_range`` (default [0.05, 2]: every local gradient map :math:`I - \eta A_i`
      contracts for :math:`\eta < 1`, so learning rates up to 0.5 are comfortably stable) and
      ``hessian_spread = 0`` gives identical Hessians. ``structure``: ``"diagonal"`` (eigenbasis = coordinates), ``"commuting"`` (one
      random orthogonal eigenbasis shared by all workers) or ``"dense"``
      (:math:`A_i = (1-s) U C U^\top + s\, U_i \mathrm{diag}(u_i) U_i^\top` with independent
      random rotations; eigenvalues still in the range by convexity).
    * ``smoothness_spread`` :math:`\tau \ge 0` additionally scales worker ``i``'s Hessian by
      :math:`e^{\tau(v_i - 1/2)}`, :math:`v_i` uniform on [0, 1] (spread of :math:`L_i`, used for
      per-agent step sizes; leaves the range when :math:`\tau > 0`).
    * Optima: :math:`b_i = \bar b + \text{optima\_spread}\cdot \epsilon_i` with
      :math:`\bar b, \epsilon_i \sim N(0, I_d)`.

    ``n`` and ``d`` whose Hessians (``n`` matrices ``d x d``) cannot fit in memory are refused at
    once with the estimate.

    Parameters
    ----------
    n, d : int
        Number of workers and dimension.
    optima_spread, hessian_spread : float
        ``optima_spread >= 0``; ``hessian_spread`` in [0, 1].
    structure : {"diagonal", "commuting", "dense"}
        How the workers' eigenbases relate (above).
    eigenvalue_range : (float, float)
        ``0 < low <= high``.
    smoothness_spread : float
        In [0, 460.5] (:data:`MAX_SMOOTHNESS_SPREAD`: the scales stay within [1e-100, 1e100]).
    noise : float
        Gradient-noise standard deviation (the same for every worker).
    seed : None, int or numpy.random.Generator
        Seed of the draws (normalised in :mod:`topotheory.common.rng`).

    Returns
    -------
    HeterogeneousQuadratic
        The seeded problem.

    Examples
    --------
    >>> p = random_quadratic(4, 3, hessian_spread=0.5, seed=0)
    >>> p.structure, p.n, p.d
    ('diagonal', 4, 3)
    >>> bool(((p.eigenvalues >= 0.05) & (p.eigenvalues <= 2.0)).all())
    True
    """
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=1)
    check_budget({"n": n, "d": d}, memory=8 * 4 * n * d * d, work=n * d**3,
                 what="the Hessians (n d x d matrices)")
    optima_spread = check_real("optima_spread", optima_spread, low=0.0)
    s = check_real("hessian_spread", hessian_spread, low=0.0, high=1.0)
    check_choice("structure", structure, HESSIAN_STRUCTURES)
    if isinstance(eigenvalue_range, (str, bytes)) or not np.ndim(eigenvalue_range) or np.shape(eigenvalue_range) != (2,) \
            or any(isinstance(v, (bool, np.bool_)) for v in eigenvalue_range):
        raise TypeError(f"eigenvalue_range must be a pair (low, high), got {plain(eigenvalue_range)}")
    lo, hi = check_array("eigenvalue_range", eigenvalue_range, shape=(2,), low=0.0, low_open=True)
    if not lo <= hi:
        raise ValueError(f"eigenvalue_range must satisfy 0 < low <= high < inf, got {plain(eigenvalue_range)}")
    tau = check_real("smoothness_spread", smoothness_spread, low=0.0, high=MAX_SMOOTHNESS_SPREAD)
    noise = check_real("noise", noise, low=0.0)
    rng = as_generator(seed)
    c = _log_uniform(rng, lo, hi, d)
    u = _log_uniform(rng, lo, hi, (n, d))
    lam = (1 - s) * c + s * u
    scale = np.exp(tau * (rng.uniform(size=n) - 0.5))
    b_bar = rng.standard_normal(d)
    optima = b_bar + optima_spread * rng.standard_normal((n, d))
    if structure == "diagonal":
        H = lam * scale[:, None]
    elif structure == "commuting":
        U = _random_orthogonal(rng, d)
        H = np.einsum("ak,ik,bk->iab", U, lam * scale[:, None], U)
    else:
        U = _random_orthogonal(rng, d)
        common = (U * c) @ U.T
        Ui = np.stack([_random_orthogonal(rng, d) for _ in range(n)]) if s > 0 else None
        H = np.broadcast_to((1 - s) * common, (n, d, d)).copy()
        if Ui is not None:
            H += s * np.einsum("iak,ik,ibk->iab", Ui, u, Ui)
        H *= scale[:, None, None]
    return HeterogeneousQuadratic(H, optima, noise=noise)


# ------------------------------------------------------------------------------- logistic
def _log1pexp(z: Any) -> Any:
    return np.logaddexp(0.0, z)


def _sigmoid(z: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LogisticProblem:
    r"""l2-regularised logistic regression with the data split over ``n`` workers.

    :math:`f_i(x) = \frac1m \sum_{k} \log(1 + e^{-y_{ik} a_{ik}^\top x}) + \frac{\lambda}{2}\|x\|^2`
    with labels :math:`y \in \{-1, +1\}`; the global objective is the mean of the :math:`f_i`
    (every worker holds ``m`` samples). Smoothness :math:`L_i = \lambda_{\max}(A_i^\top A_i)/(4m)
    + \lambda`; the optimum is found by Newton's method at construction.

    Parameters
    ----------
    features : array_like, shape (n, m, d)
        The features :math:`a_{ik}` of worker ``i``'s ``m`` samples.
    labels : array_like, shape (n, m), entries in {-1, +1}
        The labels :math:`y_{ik}`.
    l2 : float
        Regularisation :math:`\lambda > 0` (strong convexity).

    Examples
    --------
    >>> p = logistic_problem(4, 3, samples_per_worker=20, seed=0)
    >>> bool(np.linalg.norm(p.gradients(np.broadcast_to(p.x_star, (4, 3))).mean(0)) < 1e-10)
    True
    """

    structure = "logistic"

    def __init__(self, features: Any, labels: Any, *, l2: float = 1e-2) -> None:
        F = as_float_array("features", features)
        y = as_float_array("labels", labels)
        if F.ndim != 3 or min(F.shape) < 1:
            raise ValueError(f"features must have shape (n, m, d) with positive sizes, got {F.shape}")
        if y.shape != F.shape[:2]:
            raise ValueError(f"labels must have shape (n, m) = {F.shape[:2]} to match features, got {y.shape}")
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("labels must be -1 or +1")
        self.l2 = check_real("l2", l2, low=0.0, low_open=True)
        self.features, self.labels = F, y
        self.n, self.m, self.d = F.shape
        self._yF = y[:, :, None] * F  # (n, m, d)
        self.local_smoothness = np.linalg.eigvalsh(np.einsum("ima,imb->iab", F, F))[:, -1] / (4 * self.m) + self.l2
        allF = F.reshape(-1, self.d)
        self.smoothness = float(np.linalg.eigvalsh(allF.T @ allF)[-1] / (4 * allF.shape[0]) + self.l2)
        self.mu = self.l2
        self.x_star = self._newton()
        self.f_star = float(self.global_loss(self.x_star))

    def _newton(self) -> np.ndarray:
        x = np.zeros(self.d)
        Z = self._yF.reshape(-1, self.d)
        for _ in range(100):
            z = Z @ x
            g = -(Z * _sigmoid(-z)[:, None]).mean(0) + self.l2 * x
            w = _sigmoid(z) * _sigmoid(-z)
            H = (Z * w[:, None]).T @ Z / Z.shape[0] + self.l2 * np.eye(self.d)
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"l2 = {self.l2!r} is too small for these features: the regularised Hessian of the "
                    "global loss is singular in floating point; choose a larger l2 (e.g. 1e-8 or more)"
                ) from None
            x = x - step
            if np.linalg.norm(step) <= 1e-15 * max(1.0, float(np.linalg.norm(x))):
                break
        return x

    def local_losses(self, x: Any) -> np.ndarray:
        """Local losses :math:`f_i(x)` for ``x`` of shape ``(..., d)``; returns ``(..., n)``."""
        x = np.asarray(x, dtype=float)
        z = np.einsum("ima,...a->...im", self._yF, x)
        return _log1pexp(-z).mean(-1) + 0.5 * self.l2 * np.einsum("...a,...a->...", x, x)[..., None]

    def global_loss(self, x: Any) -> float:
        """The global objective :math:`f(x)` (mean of the local losses), shape ``(...)``."""
        return self.local_losses(x).mean(-1)

    def excess_loss(self, x: Any) -> float:
        r""":math:`f(x) - f^\star` for ``x`` of shape ``(..., d)``."""
        return self.global_loss(x) - self.f_star

    def gradients(self, X: Any) -> np.ndarray:
        r"""Full local gradients :math:`\nabla f_i(x_i)` for stacked ``X`` of shape ``(..., n, d)``."""
        z = np.einsum("ima,...ia->...im", self._yF, X)
        return -np.einsum("...im,ima->...ia", _sigmoid(-z), self._yF) / self.m + self.l2 * X

    def stochastic_gradients(self, X: Any, rng: np.random.Generator, *, batch_size: int = 1) -> np.ndarray:
        """Mini-batch gradients (``batch_size`` samples with replacement per worker) for ``(reps, n, d)``.

        Draws exactly one ``integers(0, m, size=(reps, n, batch_size))`` from ``rng``.
        """
        reps = X.shape[0]
        idx = rng.integers(0, self.m, size=(reps, self.n, batch_size))
        Z = self._yF[np.arange(self.n)[None, :, None], idx]  # (reps, n, b, d)
        z = np.einsum("rnbd,rnd->rnb", Z, X)
        return -np.einsum("rnb,rnbd->rnd", _sigmoid(-z), Z) / batch_size + self.l2 * X

    def __repr__(self) -> str:
        return f"LogisticProblem(n={self.n}, m={self.m}, d={self.d}, l2={self.l2:g})"


def logistic_problem(n: int, d: int, *, samples_per_worker: int = 50, partition: str = "iid", l2: float = 1e-2,
                     seed: SeedLike = None) -> LogisticProblem:
    r"""Seeded synthetic logistic regression split over ``n`` workers.

    Features :math:`a = s \cdot z` with :math:`z \sim N(0, I_d)` and per-sample scales
    :math:`s` log-uniform in [0.25, 4] (so that sorting by norm separates the smoothness
    constants); labels :math:`y = \pm 1` with :math:`P(y = 1) = \sigma(a^\top w)`,
    :math:`w \sim N(0, I_d/d)\cdot 3`. Partitions of the ``n * samples_per_worker`` samples:

    * ``"iid"`` -- a random permutation, cut in equal chunks;
    * ``"label_skew"`` -- sorted by label (then random), cut in chunks: most workers see one class;
    * ``"feature_norm"`` -- sorted by :math:`\|a\|`: the local smoothness :math:`L_i` grows with i.

    Parameters
    ----------
    n : int
        Number of workers.
    d : int
        Dimension.
    samples_per_worker : int
        Samples ``m`` per worker.
    partition : {"iid", "label_skew", "feature_norm"}
        How the samples are split (above).
    l2 : float
        Regularisation :math:`\lambda > 0`.
    seed : None, int, SeedSequence or numpy.random.Generator
        Seed of the noise (normalised in :mod:`topotheory.common.rng`).

    Returns
    -------
    LogisticProblem
        The seeded problem.

    Examples
    --------
    >>> p = logistic_problem(4, 5, partition="feature_norm", seed=1)
    >>> bool(np.all(np.diff(p.local_smoothness) > 0))
    True
    """
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=1)
    m = check_int("samples_per_worker", samples_per_worker, minimum=1)
    check_budget({"n": n, "d": d, "samples_per_worker": m}, memory=8 * 4 * n * m * d + 8 * 2 * n * d * d,
                 work=100 * n * m * d * d, what="the features and the Newton solve")
    check_choice("partition", partition, PARTITIONS)
    rng = as_generator(seed)
    N = n * m
    z = rng.standard_normal((N, d))
    scale = np.exp(rng.uniform(np.log(0.25), np.log(4.0), size=N))
    A = z * scale[:, None]
    w = 3.0 * rng.standard_normal(d) / np.sqrt(d)
    y = np.where(rng.uniform(size=N) < _sigmoid(A @ w), 1.0, -1.0)
    tie = rng.permutation(N)
    if partition == "iid":
        order = tie
    elif partition == "label_skew":
        order = tie[np.argsort(y[tie], kind="stable")]
    else:
        order = np.argsort(np.linalg.norm(A, axis=1), kind="stable")
    return LogisticProblem(A[order].reshape(n, m, d), y[order].reshape(n, m), l2=l2)
