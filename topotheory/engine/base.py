r"""The interface every representation of a gossip scheme implements, with dense defaults.

A :class:`Representation` is what a scheme resolves to once (:func:`topotheory.engine.resolve`).
It offers the operations the theory needs, each documented with its formula:

Random walk (THEORY §2), with :math:`c = 1 - \gamma` passed separately for precision near 1 and
:math:`\Sigma = J/(1-\gamma) + S` (``S`` the disagreement covariance) at a phase:

* :meth:`scaled_variances` — :math:`(1-\gamma)\,\mathrm{diag}\,\Sigma` (shape ``g.shape + (n,)``,
  or ``+ (1,)`` when every worker has the same variance);
* :meth:`scaled_mean_variance` — :math:`(1-\gamma)\operatorname{mean}_i \Sigma_{ii}`, i.e.
  :math:`n_W(\gamma)^{-1}`;
* :meth:`scaled_worst_variance` — :math:`(1-\gamma)\max_i \Sigma_{ii}` (the worst worker);
* :meth:`scaled_covariance` — the matrix :math:`(1-\gamma)\Sigma` (scalar :math:`\gamma`);
* :meth:`disagreement_mean` — :math:`\operatorname{mean}_i S_{ii} = S_1(\gamma)` (``inf`` when the
  walk has no stationary law).

Spectra of the one-period product :math:`\Pi = W_{p-1}\cdots W_0` (phase 0):

* :meth:`product_spectrum` — its eigenvalues without the consensus eigenvalue 1 (``n - 1`` values);
* :meth:`product_norm` — :math:`\|\Pi - J\|_2`;
* :meth:`static_contraction` — for a static normal ``W``, :math:`s = \max_{i\ge2}|\lambda_i|` with
  :math:`\|W^t - J\|_2 = s^t`; ``None`` otherwise.

Toy problem (THEORY §3), second-moment map :math:`T_t(C) = W_t[aC + \beta\,\mathrm{Diag}\,C]W_t^T`:

* :meth:`perron_excess` — :math:`u = \rho - a` for each ``(a, beta)``, :math:`\rho^p` the Perron root
  of :math:`T_{p-1}\circ\dots\circ T_0`, with iterations, residuals, convergence flags and the
  route name;
* :meth:`secular_excess` — the same from the secular equation where it is exact (else ValueError);
* :meth:`second_moments` — a propagator of :math:`C(t)` for exact loss curves;
* :meth:`heterogeneous_distance` — the stationary consensus distance of the noiseless iteration
  :math:`X \leftarrow W((1-\eta L)X + \eta L B)`.

The defaults below work for any finite scheme through dense (or sparse) matrices; a
representation overrides what its structure makes cheaper or exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from ..graphs.scheme import consensus_complement

__all__ = ["Representation", "GramMoments", "consensus_complement"]


#: What :meth:`Representation.perron_slopes` returns: ``(u, du/da, du/dbeta, iterations, residual,
#: converged, route)``.
Slopes = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]


class Representation:
    """Base class: the operations of the theory on one resolved scheme (see the module docstring).

    Attributes
    ----------
    route : str
        Name of the representation (``"fourier"``, ``"eigen"``, ``"dense"``, ``"spectral-measure"``).
    scheme : Scheme or InfiniteGraph
    n : int or float
        Number of workers (``inf`` for infinite graphs).
    period : int
    static_symmetric : bool
        True for a static symmetric ``W`` (the setting of the paper's §4).
    """

    route: str = "abstract"
    #: True where :meth:`perron_slopes` gives analytic derivatives.
    has_slopes: bool = False
    #: The resolved scheme (a ``Scheme``, ``RandomScheme`` or ``InfiniteGraph``).
    scheme: Any
    #: Number of workers: an int, ``math.inf`` for an infinite graph.
    n: Any
    period: int
    static_symmetric: bool

    def __init__(self, scheme: Any, *, static_symmetric: bool = False) -> None:
        self.scheme = scheme
        self.n = scheme.n
        self.period = scheme.period
        self.static_symmetric = bool(static_symmetric)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scheme!r})"

    # ------------------------------------------------------------------------------ random walk
    def scaled_variances(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        """(1 - gamma) diag Sigma at the phase, shape ``g.shape + (n,)`` (or ``+ (1,)``)."""
        out = np.empty(g.shape + (self.n,))
        for idx in np.ndindex(g.shape):
            out[idx] = np.diag(self.scaled_covariance(float(g[idx]), float(c[idx]), phase))
        return out

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        """(1 - gamma) mean_i Sigma_ii = 1 / n_W(gamma), shape ``g.shape``."""
        return np.mean(self.scaled_variances(g, c, phase), axis=-1)

    def scaled_worst_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        """(1 - gamma) max_i Sigma_ii, shape ``g.shape`` (the worst worker: ``1 / n_W`` worst)."""
        return np.max(self.scaled_variances(g, c, phase), axis=-1)

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:  # pragma: no cover - every representation overrides
        raise NotImplementedError

    def disagreement_mean(self, g: float, phase: int) -> float:  # pragma: no cover - every representation overrides
        raise NotImplementedError

    # -------------------------------------------------------------------------------- spectra
    def product_spectrum(self) -> np.ndarray:
        """Eigenvalues of the one-period product on the complement of the consensus direction."""
        H = consensus_complement(self.n)
        return sla.eigvals(H.T @ self.scheme.period_product(0) @ H)

    def product_norm(self) -> float:
        r""":math:`\|\Pi - J\|_2` of the one-period product (phase 0)."""
        return float(sla.norm(self.scheme.period_product(0) - 1.0 / self.n, 2))

    def static_contraction(self) -> float | None:
        """``max_{i>=2} |lambda_i|`` for a static normal W (then ||W^t - J|| = s^t), else None."""
        return None

    def static_symmetric_eigenvalues(self, what: str) -> np.ndarray:
        """Eigenvalues (descending) of a static symmetric W, or a ValueError naming ``what``."""
        raise ValueError(
            f"{what} needs a static symmetric gossip matrix (the setting of the paper's §4); got {self.scheme!r}"
        )

    # ---------------------------------------------------------------------------- toy problem
    def apply_second_moment(self, C: np.ndarray, a: float, beta: float, t: int) -> np.ndarray:
        r"""One step :math:`T_t(C) = W_t[aC + \beta\,\mathrm{Diag}\,C]W_t^T` on one Gram matrix."""
        scheme = self.scheme
        X = a * C
        X[np.diag_indices_from(X)] += beta * np.diagonal(C)
        if scheme.is_sparse(t):
            W = scheme.sparse_matrix(t)
            return np.asarray((W @ np.asarray((W @ X).T)).T)
        W = scheme.matrix(t)
        return W @ X @ W.T

    def perron_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        r"""Arnoldi (ARPACK) on the matrix-free map :math:`T_{p-1}\circ\dots\circ T_0` (any scheme).

        Returns ``(u, iterations, residual, converged, route)`` with :math:`u = \rho - a`.
        """
        n, p = self.n, self.period
        L = a.shape[0]
        u = np.zeros(L)
        its = np.zeros(L, dtype=int)
        res = np.zeros(L)
        conv = np.ones(L, dtype=bool)
        for j in range(L):
            aj, bj = float(a[j]), float(beta[j])
            count = [0]

            def matvec(x: np.ndarray, aj: float = aj, bj: float = bj) -> np.ndarray:
                C = np.array(np.ravel(x).reshape(n, n))
                for t in range(p):
                    C = self.apply_second_moment(C, aj, bj, t)
                count[0] += 1
                return C.ravel()

            N = n * n
            if N <= 36:
                M = np.column_stack([matvec(e) for e in np.eye(N)])
                vals, vecs = np.linalg.eig(M)
                k = int(np.argmax(np.abs(vals)))
                lam, vec = vals[k], vecs[:, k]
            else:
                op = spla.LinearOperator((N, N), matvec=matvec, dtype=float)
                try:
                    vals, vecs = spla.eigs(op, k=1, which="LM", v0=np.ones(N), tol=1e-14, ncv=min(N - 1, 40),
                                           maxiter=5000)
                    lam, vec = vals[0], vecs[:, 0]
                except spla.ArpackNoConvergence as exc:
                    conv[j] = False
                    if len(exc.eigenvalues):
                        lam, vec = exc.eigenvalues[0], exc.eigenvectors[:, 0]
                    else:
                        lam, vec = np.nan, np.full(N, np.nan)
            rho_p = abs(lam)
            its[j] = count[0]
            if np.all(np.isfinite(vec)) and rho_p > 0:
                res[j] = float(np.linalg.norm(matvec(vec) - lam * vec) / (rho_p * np.linalg.norm(vec)))
            u[j] = rho_p ** (1.0 / p) - aj
        return u, its, res, conv, "arnoldi"

    def excess_lower_bound(self, a: np.ndarray, beta: np.ndarray) -> np.ndarray | None:
        """A cheap lower bound of ``u = rho - a`` per ``(a, beta)`` (None: none known cheaply)."""
        return None

    def perron_slopes(self, a: np.ndarray, beta: np.ndarray) -> Slopes | None:
        r"""``(u, du/da, du/dbeta, iterations, residual, converged, route)`` where the route has them.

        The partial derivatives of :math:`u = \rho - a` come from the Perron vectors (implicit
        function theorem); ``None`` where this representation has no such route (callers then
        differentiate numerically).
        """
        return None

    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """The secular equation's root where it is exact; a ValueError here (it is not)."""
        kind = "periodic" if self.period > 1 else "non-symmetric"
        raise ValueError(
            f"method='secular' does not apply to {self.scheme!r} ({kind} and not circulant); use method='exact'"
        )

    def second_moments(self, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> GramMoments:
        """A propagator of the Gram matrices ``C(t)`` for a batch of ``(a, beta)``."""
        return GramMoments(self, a, beta, initial)

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        r""":math:`\frac1n\|(I-J)X^*\|_F^2` for the fixed point of the one-period affine map.

        One step is :math:`X \leftarrow W_t(cX + hB)`; over a period from ``phase``
        :math:`X \mapsto AX + C` and :math:`X^* = (I - A)^{-1}C` (a dense linear solve).
        """
        n = self.n
        A, C = np.eye(n), np.zeros_like(B)
        for s in range(self.period):
            W = self.scheme.matrix((phase + s) % self.period)
            A, C = c * W @ A, W @ (c * C + h * B)
        X = np.linalg.solve(np.eye(n) - A, C)
        D = X - X.mean(axis=0)
        return float(np.sum(D**2) / n)


class GramMoments:
    """Exact second-moment recursion ``C(t+1) = T_t(C(t))`` for a batch of learning rates.

    The ``(L, n, n)`` Gram matrices are propagated with dense or sparse products. Interface shared
    by every propagator: :meth:`loss`, :meth:`step`, :meth:`keep`.
    """

    def __init__(self, rep: Representation, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> None:
        self.scheme = rep.scheme
        self.a, self.beta = a, beta
        n = self.scheme.n
        C0 = np.ones((n, n)) if initial is None else initial
        self.C = np.broadcast_to(C0, (a.shape[0], n, n)).copy()

    def loss(self) -> np.ndarray:
        """Mean loss ``trace C / (2n)`` per learning rate (inf after overflow)."""
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._loss()
        return np.where(np.isnan(out), np.inf, out)  # NaN only arises from overflow (inf - inf)

    def _loss(self) -> np.ndarray:
        return np.einsum("jii->j", self.C) / (2.0 * self.scheme.n)

    def step(self, t: int) -> None:
        """Advance every learning rate by the step with ``W_t``."""
        with np.errstate(over="ignore", invalid="ignore"):
            self._step(t)

    def _step(self, t: int) -> None:
        a, beta = self.a, self.beta
        X = a[:, None, None] * self.C
        n = self.scheme.n
        idx = np.arange(n)
        X[:, idx, idx] += beta[:, None] * self.C[:, idx, idx]
        t = t % self.scheme.period
        if self.scheme.is_sparse(t):
            W = self.scheme.sparse_matrix(t)
            L = X.shape[0]
            Y = W @ X.transpose(1, 0, 2).reshape(n, L * n)  # rows: W X_j
            Y = Y.reshape(n, L, n).transpose(2, 1, 0).reshape(n, L * n)  # (W X_j)^T stacked
            Z = W @ Y
            self.C = Z.reshape(n, L, n).transpose(1, 2, 0)
        else:
            W = self.scheme.matrix(t)
            self.C = np.matmul(np.matmul(W, X), W.T)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the learning rates where ``mask`` is True."""
        self.a, self.beta = self.a[mask], self.beta[mask]
        self._keep_state(mask)

    def _keep_state(self, mask: np.ndarray) -> None:
        self.C = self.C[mask]
