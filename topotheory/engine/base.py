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

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from ..common.validation import check_size
from ..graphs.scheme import consensus_complement

__all__ = ["Representation", "GramMoments", "GRAM_BYTES", "consensus_complement"]


#: What :meth:`Representation.perron_slopes` returns: ``(u, du/da, du/dbeta, iterations, residual,
#: converged, route)``.
Slopes = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]


#: Arnoldi basis sizes tried in turn for the eigenvalues of largest modulus of a one-period map: a
#: short basis first (on a base graph of 300 workers, 15 phases: 10 applications of the map instead
#: of 41, the same Perron root to 1e-14), the long one when the short one does not converge or its
#: eigenpair leaves a relative residual above ``ARNOLDI_RESIDUAL``.
ARNOLDI_NCV = (8, 40)
ARNOLDI_RESIDUAL = 1e-10


def arnoldi_largest(op: Any, v0: np.ndarray, k: int, tol: float, residual: Callable[[Any, np.ndarray], float],
                    sizes: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(vals, vecs, converged)``: ``k`` eigenpairs of largest modulus of ``op`` by ARPACK, short basis first.

    The basis sizes ``sizes`` (default ``ARNOLDI_NCV``; at least ``2k + 1``, at most ``N - 1``) are tried in turn; a
    short basis's answer is kept when ``residual(lam, vec)`` of its largest eigenvalue is at most
    ``ARNOLDI_RESIDUAL``. When the last size does not converge either, its partial eigenpairs
    (possibly none) are returned with ``converged=False``.

    Parameters
    ----------
    op : LinearOperator
        Square, ``N x N``.
    v0 : ndarray, shape (N,)
        Start vector.
    k : int
        Eigenpairs wanted (``k < N - 1``).
    tol : float
        ARPACK's relative tolerance.
    residual : callable
        ``residual(lam, vec) -> float``: the relative residual of an eigenpair.
    sizes : tuple of int, optional
        Basis sizes (default ``ARNOLDI_NCV``, read at call time).

    Returns
    -------
    tuple
        ``(vals, vecs, converged)``.

    Examples
    --------
    >>> import scipy.sparse.linalg as spla
    >>> M = np.diag(np.arange(1.0, 101.0))
    >>> op = spla.aslinearoperator(M)
    >>> res = lambda lam, v: float(np.linalg.norm(M @ v - lam * v) / (abs(lam) * np.linalg.norm(v)))
    >>> vals, vecs, ok = arnoldi_largest(op, np.ones(100), 1, 1e-12, res)
    >>> round(float(abs(vals[0])), 10), ok
    (100.0, True)
    """
    N = op.shape[0]
    sizes = tuple(sorted({min(N - 1, max(ncv, 2 * k + 1)) for ncv in (ARNOLDI_NCV if sizes is None else sizes)}))
    for ncv in sizes:
        final = ncv == sizes[-1]
        try:
            vals, vecs = spla.eigs(op, k=k, which="LM", v0=v0, tol=tol, ncv=ncv, maxiter=5000 if final else 200)
        except spla.ArpackNoConvergence as exc:
            if final:
                return exc.eigenvalues, exc.eigenvectors, False
            continue
        top = int(np.argmax(np.abs(vals)))
        if final or residual(vals[top], vecs[:, top]) <= ARNOLDI_RESIDUAL:
            return vals, vecs, True
    raise AssertionError("unreachable: the last basis size returns")


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

    Parameters
    ----------
    scheme : Scheme, RandomScheme or InfiniteGraph
        The resolved scheme (:func:`topotheory.engine.resolve` builds representations; the
        constructors are not part of the public API).
    static_symmetric : bool
        Whether ``W`` is static and symmetric (decided by :func:`~topotheory.engine.resolve`).

    Examples
    --------
    >>> from topotheory import ring
    >>> from topotheory.engine import resolve
    >>> rep = resolve(ring(4))
    >>> rep.route, rep.n, rep.period, rep.static_symmetric
    ('fourier', 4, 1, True)
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
        r""":math:`(1-\gamma)\,\mathrm{diag}\,\Sigma` at the phase: every worker's scaled stationary variance.

        Parameters
        ----------
        g : ndarray
            Decays :math:`\gamma \in [0, 1]`, any shape.
        c : ndarray
            :math:`1 - \gamma`, the same shape (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period`` (the state right after the gossip with
            :math:`W_{\phi-1}`).

        Returns
        -------
        ndarray
            Shape ``g.shape + (n,)``, or ``g.shape + (1,)`` when every worker has the same variance;
            worker ``i``'s value is :math:`1/n_W` of that worker.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import star
        >>> from topotheory.engine import resolve
        >>> rep = resolve(star(4), "dense")  # the hub has variance 1/4, each leaf 5/8 at gamma = 0
        >>> rep.scaled_variances(np.array([0.0]), np.array([1.0]), 0).tolist()
        [[0.25, 0.625, 0.625, 0.625]]
        """
        out = np.empty(g.shape + (self.n,))
        for idx in np.ndindex(g.shape):
            out[idx] = np.diag(self.scaled_covariance(float(g[idx]), float(c[idx]), phase))
        return out

    def scaled_mean_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        r""":math:`(1-\gamma)\operatorname{mean}_i\Sigma_{ii} = 1/n_W(\gamma)` (paper Definition 1).

        Parameters
        ----------
        g : ndarray
            Decays :math:`\gamma \in [0, 1]`, any shape.
        c : ndarray
            :math:`1 - \gamma`, the same shape (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period`` (the state right after the gossip with
            :math:`W_{\phi-1}`).

        Returns
        -------
        ndarray
            Shape ``g.shape``: :math:`1/n_W(\gamma)`, in :math:`[1/n, 1]`.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import star
        >>> from topotheory.engine import resolve
        >>> rep = resolve(star(4), "dense")
        >>> float(rep.scaled_mean_variance(np.array(0.0), np.array(1.0), 0))  # (1/4 + 3 * 5/8) / 4
        0.53125
        """
        return np.mean(self.scaled_variances(g, c, phase), axis=-1)

    def scaled_worst_variance(self, g: np.ndarray, c: np.ndarray, phase: int) -> np.ndarray:
        r""":math:`(1-\gamma)\max_i\Sigma_{ii}`: one over the worst worker's :math:`n_W`.

        Parameters
        ----------
        g : ndarray
            Decays :math:`\gamma \in [0, 1]`, any shape.
        c : ndarray
            :math:`1 - \gamma`, the same shape (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period`` (the state right after the gossip with
            :math:`W_{\phi-1}`).

        Returns
        -------
        ndarray
            Shape ``g.shape``.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import star
        >>> from topotheory.engine import resolve
        >>> float(resolve(star(4), "dense").scaled_worst_variance(np.array(0.0), np.array(1.0), 0))  # a leaf
        0.625
        """
        return np.max(self.scaled_variances(g, c, phase), axis=-1)

    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:  # pragma: no cover - every representation overrides
        raise NotImplementedError

    def disagreement_mean(self, g: float, phase: int) -> float:  # pragma: no cover - every representation overrides
        raise NotImplementedError

    # -------------------------------------------------------------------------------- spectra
    def product_spectrum(self) -> np.ndarray:
        r"""Eigenvalues of the one-period product :math:`\Pi` on the complement of the consensus direction.

        Returns
        -------
        ndarray, shape (n - 1,)
            The eigenvalues of :math:`H^T\Pi H` (``H`` an orthonormal basis of
            :math:`\mathbf 1^\perp`), complex in general.

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> sorted(resolve(ring(4), "dense").product_spectrum().real.round(6).tolist())
        [-0.333333, 0.333333, 0.333333]
        """
        H = consensus_complement(self.n)
        return sla.eigvals(H.T @ self.scheme.period_product(0) @ H)

    def product_norm(self) -> float:
        r""":math:`\|\Pi - J\|_2` of the one-period product (phase 0).

        Returns
        -------
        float
            In [0, 1] for doubly stochastic matrices; ``1 - product_norm()`` is the spectral gap
            ``kind="abs"``.

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> round(resolve(ring(4), "dense").product_norm(), 12)
        0.333333333333
        """
        return float(sla.norm(self.scheme.period_product(0) - 1.0 / self.n, 2))

    def static_contraction(self) -> float | None:
        r""":math:`s = \max_{i\ge2}|\lambda_i|` for a static normal ``W`` (then :math:`\|W^t - J\|_2 = s^t`).

        Returns
        -------
        float or None
            ``s``; ``None`` where ``W`` is not known to be static and normal (the dense default).

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> round(resolve(ring(4)).static_contraction(), 12), resolve(ring(4), "dense").static_contraction()
        (0.333333333333, None)
        """
        return None

    def static_symmetric_eigenvalues(self, what: str) -> np.ndarray:
        """Eigenvalues (descending) of a static symmetric ``W``, or a ValueError naming ``what``.

        Parameters
        ----------
        what : str
            What needs the eigenvalues (named in the error message).

        Returns
        -------
        ndarray, shape (n,)
            The eigenvalues of ``W`` in descending order (the first is 1).

        Raises
        ------
        ValueError
            When the scheme is not static and symmetric (the default here).

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> resolve(ring(4)).static_symmetric_eigenvalues("beta").round(6).tolist()
        [1.0, 0.333333, 0.333333, -0.333333]
        """
        raise ValueError(
            f"{what} needs a static symmetric gossip matrix (the setting of the paper's §4); got {self.scheme!r}"
        )

    # ---------------------------------------------------------------------------- toy problem
    def apply_second_moment(self, C: np.ndarray, a: float, beta: float, t: int) -> np.ndarray:
        r"""One step :math:`T_t(C) = W_t[aC + \beta\,\mathrm{Diag}\,C]W_t^T` on one Gram matrix (THEORY §3.2).

        Parameters
        ----------
        C : ndarray, shape (n, n)
            The Gram matrix :math:`C_{ij} = \mathbb E\langle x_i, x_j\rangle` (not modified).
        a : float
            :math:`a = (1-\eta)^2`.
        beta : float
            :math:`\beta = \eta^2(\zeta - 1)`.
        t : int
            The step (``W_t`` is used; taken modulo the period by the scheme).

        Returns
        -------
        ndarray, shape (n, n)
            :math:`T_t(C)`.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> resolve(ring(2), "dense").apply_second_moment(np.eye(2), 0.81, 0.09, 0).round(12).tolist()
        [[0.45, 0.45], [0.45, 0.45]]
        """
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

        :math:`\rho^p` is the Perron root of the one-period map; maps on at most 36 unknowns are
        formed and diagonalised densely.

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple
            ``(u, iterations, residual, converged, route)``: :math:`u = \rho - a` (shape ``(L,)``),
            the number of map applications, the relative eigen-residual, whether ARPACK converged,
            and the route name (``"arnoldi"`` here).

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> a, beta = np.array([0.81]), np.array([0.09])  # lr = 0.1, zeta = 10
        >>> u = resolve(ring(4), "dense").perron_excess(a, beta)[0]
        >>> bool(abs(u[0] - resolve(ring(4)).perron_excess(a, beta)[0][0]) < 1e-12)  # the secular root
        True
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
                def residual(lam: Any, vec: np.ndarray) -> float:
                    return float(np.linalg.norm(matvec(vec) - lam * vec) / max(abs(lam) * np.linalg.norm(vec), 1e-300))

                vals, vecs, conv[j] = arnoldi_largest(op, np.ones(N), 1, 1e-14, residual)
                lam, vec = (vals[0], vecs[:, 0]) if len(vals) else (np.nan, np.full(N, np.nan))
            rho_p = abs(lam)
            its[j] = count[0]
            if np.all(np.isfinite(vec)) and rho_p > 0:
                res[j] = float(np.linalg.norm(matvec(vec) - lam * vec) / (rho_p * np.linalg.norm(vec)))
            u[j] = rho_p ** (1.0 / p) - aj
        return u, its, res, conv, "arnoldi"

    def excess_lower_bound(self, a: np.ndarray, beta: np.ndarray) -> np.ndarray | None:
        r"""A cheap lower bound of ``u = rho - a`` per ``(a, beta)`` (None: none known cheaply).

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        ndarray, shape (L,), or None
            The bound; ``None`` in the dense default.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> print(resolve(ring(4), "dense").excess_lower_bound(np.array([0.81]), np.array([0.09])))
        None
        """
        return None

    def perron_curve(self) -> Any:
        r"""The Perron curve :math:`\gamma \mapsto \mu(\gamma)` of the toy problem, where a fast one exists.

        :math:`\mu(\gamma) = \lambda_{\max}(F(\gamma))` with the reduced matrix
        :math:`K = (\beta/a)F(\gamma)` at the operating decay :math:`\gamma = a/\rho`: the optimal
        learning rate and the stability edge are then one-dimensional problems in :math:`\gamma`
        (:class:`topotheory.engine.eigen.PerronCurve`). ``None`` in the default (the callers search
        in the learning rate).

        Returns
        -------
        PerronCurve or None
            ``None`` in the default.

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> print(resolve(ring(4), "dense").perron_curve())
        None
        """
        return None

    def perron_slopes(self, a: np.ndarray, beta: np.ndarray) -> Slopes | None:
        r"""``(u, du/da, du/dbeta, iterations, residual, converged, route)`` where the route has them.

        The partial derivatives of :math:`u = \rho - a` come from the Perron vectors (implicit
        function theorem); ``None`` where this representation has no such route (callers then
        differentiate numerically).

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple or None
            ``(u, du/da, du/dbeta, iterations, residual, converged, route)``, arrays of shape
            ``(L,)`` and the route name; ``None`` in the dense default.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> print(resolve(ring(4), "dense").perron_slopes(np.array([0.81]), np.array([0.09])))
        None
        """
        return None

    def secular_excess(self, a: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        r"""The secular equation's root :math:`u = \rho - a` where it is exact; a ValueError here (it is not).

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.

        Returns
        -------
        tuple
            ``(u, iterations, residual, route)`` where a representation overrides this.

        Raises
        ------
        ValueError
            In the dense default: the secular equation is exact only for circulant schemes, static
            symmetric walk-regular ones and infinite lattices.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> u = resolve(ring(4)).secular_excess(np.array([0.81]), np.array([0.09]))[0]
        >>> round(float(u[0]), 10)
        0.0227295202
        """
        kind = "periodic" if self.period > 1 else "non-symmetric"
        raise ValueError(
            f"method='secular' does not apply to {self.scheme!r} ({kind} and not circulant); use method='exact'"
        )

    def second_moments(self, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> GramMoments:
        r"""A propagator of the Gram matrices ``C(t)`` for a batch of ``(a, beta)``.

        Parameters
        ----------
        a : ndarray, shape (L,)
            :math:`a = (1-\eta)^2` per learning rate.
        beta : ndarray, shape (L,)
            :math:`\beta = \eta^2(\zeta - 1)` per learning rate.
        initial : ndarray, shape (n, n), optional
            The Gram matrix at ``t = 0``; ``None``: all ones (every worker at the same unit vector).

        Returns
        -------
        GramMoments
            The propagator (:meth:`GramMoments.loss`, :meth:`GramMoments.step`,
            :meth:`GramMoments.keep`).

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> m = resolve(ring(4), "dense").second_moments(np.array([0.81]), np.array([0.09]), None)
        >>> m.step(0)
        >>> round(float(m.loss()[0]), 12)  # (a + beta tr(W W^T) / n) / 2 from the consensus start
        0.42
        """
        return GramMoments(self, a, beta, initial)

    def heterogeneous_distance(self, c: float, h: float, B: np.ndarray, phase: int) -> float:
        r""":math:`\frac1n\|(I-J)X^*\|_F^2` for the fixed point of the one-period affine map.

        One step is :math:`X \leftarrow W_t(cX + hB)`; over a period from ``phase``
        :math:`X \mapsto AX + C` and :math:`X^* = (I - A)^{-1}C` (a dense linear solve).

        Parameters
        ----------
        c : float
            :math:`1 - \eta L`.
        h : float
            :math:`\eta L`.
        B : ndarray, shape (n, d)
            The local optima, one row per worker.
        phase : int
            Phase at which the fixed point is read.

        Returns
        -------
        float
            :math:`\Xi^2 = \frac1n\|(I-J)X^*\|_F^2`.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> B = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # the eigenvector of lambda = -1/3
        >>> round(resolve(ring(4), "dense").heterogeneous_distance(0.5, 0.5, B, 0), 12)  # (1/7)^2
        0.020408163265
        """
        n = self.n
        A, C = np.eye(n), np.zeros_like(B)
        for s in range(self.period):
            W = self.scheme.matrix((phase + s) % self.period)
            A, C = c * W @ A, W @ (c * C + h * B)
        X = np.linalg.solve(np.eye(n) - A, C)
        D = X - X.mean(axis=0)
        return float(np.sum(D**2) / n)


#: Bytes per entry and learning rate of :class:`GramMoments` (the Gram matrices, their scaled copy
#: and two product buffers, float64).
GRAM_BYTES = 4 * 8.0


class GramMoments:
    r"""Exact second-moment recursion ``C(t+1) = T_t(C(t))`` for a batch of learning rates.

    The ``(L, n, n)`` Gram matrices are propagated with dense or sparse products. Interface shared
    by every propagator: :meth:`loss`, :meth:`step`, :meth:`keep`.

    Parameters
    ----------
    rep : Representation
        The representation whose scheme supplies ``W_t``.
    a : ndarray, shape (L,)
        :math:`a = (1-\eta)^2` per learning rate.
    beta : ndarray, shape (L,)
        :math:`\beta = \eta^2(\zeta - 1)` per learning rate.
    initial : ndarray, shape (n, n), optional
        The Gram matrix at ``t = 0``; ``None``: all ones.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import ring
    >>> from topotheory.engine import GramMoments, resolve
    >>> m = GramMoments(resolve(ring(4), "dense"), np.array([0.81, 1.0]), np.array([0.09, 0.0]), None)
    >>> m.loss().tolist()
    [0.5, 0.5]
    >>> m.step(0)
    >>> m.loss().round(12).tolist()  # (a + beta / 3) / 2; lr = 0 keeps the loss
    [0.42, 0.5]
    """

    #: The scheme whose matrices ``W_t`` drive the recursion.
    scheme: Any
    #: :math:`a` and :math:`\beta` of the learning rates still propagated, shape ``(L,)``.
    a: np.ndarray
    beta: np.ndarray

    def __init__(self, rep: Representation, a: np.ndarray, beta: np.ndarray, initial: np.ndarray | None) -> None:
        self.scheme = rep.scheme
        self.a, self.beta = a, beta
        n = self.scheme.n
        # the Gram matrices, their scaled copy and two product buffers: refused before anything is allocated
        check_size("n", n, bytes_per_unit=GRAM_BYTES * max(a.shape[0], 1), power=2, reason=(
            f"the exact loss curve's n x n second moments of {a.shape[0]} learning rate(s) (no matrix-free route: "
            "simulate_dsgd estimates the curve by Monte Carlo at memory O(replicas n d), quadratic_rate_interval "
            "brackets its asymptotic rate matrix-free)"))
        C0 = np.ones((n, n)) if initial is None else initial
        self.C = np.broadcast_to(C0, (a.shape[0], n, n)).copy()

    def loss(self) -> np.ndarray:
        r"""Mean loss ``trace C / (2n)`` per learning rate (inf after overflow).

        Returns
        -------
        ndarray, shape (L,)
            :math:`\frac1n\sum_i\tfrac12\mathbb E\|x_i(t)\|^2`; ``inf`` where the recursion overflowed.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> resolve(ring(4), "dense").second_moments(np.array([0.81]), np.array([0.09]), np.eye(4)).loss().tolist()
        [0.5]
        """
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._loss()
        return np.where(np.isnan(out), np.inf, out)  # NaN only arises from overflow (inf - inf)

    def _loss(self) -> np.ndarray:
        return np.einsum("jii->j", self.C) / (2.0 * self.scheme.n)

    def step(self, t: int) -> None:
        """Advance every learning rate by the step with ``W_t`` (in place).

        Parameters
        ----------
        t : int
            The step (taken modulo the period).

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import solo
        >>> from topotheory.engine import resolve
        >>> m = resolve(solo(2), "dense").second_moments(np.array([0.81]), np.array([0.09]), None)
        >>> m.step(0)
        >>> round(float(m.loss()[0]), 12)  # alone: (a + beta) / 2
        0.45
        """
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
        """Keep only the learning rates where ``mask`` is True (in place).

        Parameters
        ----------
        mask : ndarray of bool, shape (L,)
            Which learning rates to keep.

        Examples
        --------
        >>> import numpy as np
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> m = resolve(ring(4), "dense").second_moments(np.array([0.81, 1.0]), np.array([0.09, 0.0]), None)
        >>> m.keep(np.array([False, True]))
        >>> m.a.tolist(), m.loss().tolist()
        ([1.0], [0.5])
        """
        self.a, self.beta = self.a[mask], self.beta[mask]
        self._keep_state(mask)

    def _keep_state(self, mask: np.ndarray) -> None:
        self.C = self.C[mask]
