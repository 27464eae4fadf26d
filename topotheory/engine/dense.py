r"""Any finite scheme through dense one-period maps: the disagreement walk's Stein (Lyapunov) equation.

With :math:`B_t = W_t - J` the disagreement covariance at phase :math:`\phi` solves

.. math:: S = \gamma^p\,(\Pi - J)\,S\,(\Pi - J)^T + Q, \qquad
          Q = \sum_{r=1}^{p}\gamma^{r-1}(R_r - J)(R_r - J)^T,

:math:`\Pi = W_{\phi-1}\cdots W_{\phi-p}` and :math:`R_r = W_{\phi-1}\cdots W_{\phi-r}`; then
:math:`\Sigma = J/(1-\gamma) + S`.

Parts that never mix. When :math:`\Pi` has more than one cyclic class
(:mod:`topotheory.engine.structure`: several components, or periodic ones), :math:`\Pi - J` has
unimodular eigenvalues and ``S`` grows like :math:`1/(1-\gamma^p)`. The class indicators ``E``
(orthonormal) and their complement ``F`` reduce :math:`\Pi`: on ``E`` it is a permutation of the
classes (exactly), on ``F`` its spectral radius is below 1. In that basis the equation splits into

* ``EE``: diagonal in the (complex Schur = eigen) basis of the normal :math:`E^T(\Pi-J)E`, with
  eigenvalues :math:`w_j \in \{0\} \cup \{e^{i\theta}\}`: :math:`\hat X_{jl} = \hat Q_{jl}/(1 -
  \gamma^p w_j\bar w_l)`. For equal :math:`w_j = w_l \ne 0` the denominator is exactly
  :math:`1 - \gamma^p`, evaluated as ``-expm1(p log1p(-c))`` — no cancellation as :math:`\gamma\to1`;
* ``EF``: one linear solve :math:`(I - \gamma^p w_j\Pi_F)y = \hat q_j` per distinct :math:`w_j`;
* ``FF``: a well-conditioned Stein equation with :math:`\Pi_F = F^T\Pi F`.

Connected aperiodic products (a single class) solve the equation directly on the whole space.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla

from .base import Representation
from .structure import cyclic_classes

__all__ = ["DensePeriodicRepresentation"]

#: Two unimodular eigenvalues of the class permutation closer than this are the same root of unity
#: (distinct roots of unity of order <= n differ by at least 2 pi / n^2).
_ROOT_TOL = 1e-9


class DensePeriodicRepresentation(Representation):
    """Any finite scheme: dense one-period maps and the exact Stein equation (module docstring).

    Parameters
    ----------
    scheme : Scheme
        A finite deterministic scheme (any period, symmetric or not).
    static_symmetric : bool
        Whether ``W`` is static and symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> from topotheory import Scheme
    >>> rep = DensePeriodicRepresentation(Scheme.from_matrices([np.eye(4)] * 2))
    >>> float(rep.scaled_mean_variance(np.array(1 - 1e-15), np.array(1e-15), 0))  # n_W = 1 exactly
    1.0
    """

    route = "dense"

    # ----------------------------------------------------------------------- one-period data
    def _period_data(self, phase: int) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            scheme, n, p = self.scheme, self.n, self.period
            P = scheme.period_product(phase)
            classes = cyclic_classes(P)
            data = {"steps": [(phase - p + j) % p for j in range(p)], "single": classes.count <= 1}
            if data["single"]:
                return data
            E = classes.basis()
            F = sla.null_space(E.T) if E.shape[1] < n else np.zeros((n, 0))
            BE = E.T @ P @ E - (E.T.sum(axis=1)[:, None] * E.sum(axis=0)[None, :]) / n
            T, Z = sla.schur(BE.astype(complex), output="complex")
            w = np.diag(T).copy()
            mod = np.abs(w)
            w = np.where(mod < 0.5, 0.0, w / np.where(mod < 0.5, 1.0, mod))  # exactly 0 or unimodular
            # cluster equal roots of unity: label each eigenvalue by its first close representative
            close = np.abs(w[:, None] - w[None, :]) <= _ROOT_TOL
            label = np.argmax(close, axis=1)
            w = w[label]
            data.update(E=E, F=F, Z=Z, w=w, label=label, PF=F.T @ P @ F, unit=np.abs(w) > 0.5)
            return data

        return self.scheme.cached(("engine:dense-period", phase), build)

    def _Q(self, g: float, steps: list[int]) -> np.ndarray:
        n = self.n
        J = np.full((n, n), 1.0 / n)
        Q = np.zeros((n, n))
        for t in steps:
            B = self.scheme.matrix(t) - J
            Q = B @ (g * Q + np.eye(n)) @ B.T
        return Q

    def disagreement_covariance(self, g: float, c: float, phase: int, *, scaled: bool) -> np.ndarray:
        r"""``S`` (``scaled=False``) or :math:`(1-\gamma)S` (``scaled=True``) at the phase, dense.

        Unscaled, ``S`` is ``inf`` where a part that never mixes meets :math:`\gamma = 1`.

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        c : float
            :math:`1 - \gamma` (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period``.
        scaled : bool
            Return :math:`(1-\gamma)S` (finite up to :math:`\gamma = 1`) instead of ``S``.

        Returns
        -------
        ndarray, shape (n, n)
            The symmetric disagreement covariance (zero row sums).

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> S = resolve(ring(4), "dense").disagreement_covariance(0.5, 0.5, 0, scaled=False)
        >>> round(float(S[0, 0]), 12)  # (3/4) (1/9) / (1 - 1/18) = 3/34
        0.088235294118
        """
        n, p = self.n, self.period
        data = self._period_data(phase)
        Q = self._Q(g, data["steps"])
        factor = c if scaled else 1.0
        if data["single"]:
            P = self.scheme.period_product(phase)
            A = g ** (p / 2.0) * (P - 1.0 / n)
            S = sla.solve_discrete_lyapunov(A, Q)
            return factor * 0.5 * (S + S.T)
        E, F, Z, w, label, PF, unit = (data[k] for k in ("E", "F", "Z", "w", "label", "PF", "unit"))
        gp = g**p
        one_minus_gp = -np.expm1(p * np.log1p(-c)) if c < 1 else 1.0
        # EE block: diagonal in the Schur basis
        QE = Z.conj().T @ (E.T @ Q @ E) @ Z
        same = unit[:, None] & (label[:, None] == label[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            den = np.where(same, one_minus_gp, 1.0 - gp * w[:, None] * np.conj(w)[None, :])
            if scaled:
                wgt = np.where(same, (c / one_minus_gp) if c > 0 else 1.0 / p, c / den)
            else:
                wgt = np.where(same, 1.0 / one_minus_gp if c > 0 else np.inf, 1.0 / den)
            XE = np.where(QE == 0, 0.0, QE * wgt)
        S = E @ (Z @ XE @ Z.conj().T).real @ E.T
        if F.shape[1]:
            R = Z.conj().T @ (E.T @ Q @ F)  # rows j: (I - gp w_j PF) y_j = R_j^T
            Y = np.empty_like(R)
            nf = F.shape[1]
            for lab in np.unique(label):
                rows = np.flatnonzero(label == lab)
                M = np.eye(nf) - gp * w[rows[0]] * PF
                Y[rows] = np.linalg.solve(M, R[rows].T).T
            XEF = factor * (Z @ Y).real
            XFF = factor * sla.solve_discrete_lyapunov(np.sqrt(gp) * PF, F.T @ Q @ F)
            cross = E @ XEF @ F.T
            S = S + cross + cross.T + F @ XFF @ F.T
        return 0.5 * (S + S.T)

    # ------------------------------------------------------------------------------ random walk
    def scaled_covariance(self, g: float, c: float, phase: int) -> np.ndarray:
        r""":math:`(1-\gamma)\Sigma = J + (1-\gamma)S` at the phase (dense ``(n, n)``).

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        c : float
            :math:`1 - \gamma` (passed separately for precision near 1).
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        ndarray, shape (n, n)
            The scaled stationary covariance of the random walk (THEORY §2).

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> round(float(resolve(ring(4), "dense").scaled_covariance(0.5, 0.5, 0)[0, 0]), 12)  # 1/4 + 3/68
        0.294117647059
        """
        return np.full((self.n, self.n), 1.0 / self.n) + self.disagreement_covariance(g, c, phase, scaled=True)

    def disagreement_mean(self, g: float, phase: int) -> float:
        r"""mean_i S_ii = S_1(gamma) at the phase; ``inf`` when some part never mixes at gamma = 1.

        (The noise reaches every unimodular direction ``v`` of the product: ``v^T Q v >=
        ||W_{phase-1}^T v||^2 > 0``, so the variance there grows without bound at gamma = 1.)

        Parameters
        ----------
        g : float
            The decay :math:`\gamma \in [0, 1]`.
        phase : int
            Phase of the scheme, ``0 <= phase < period``.

        Returns
        -------
        float
            :math:`S_1(\gamma) = \operatorname{mean}_i S_{ii}`, or ``inf``.

        Examples
        --------
        >>> from topotheory import ring
        >>> from topotheory.engine import resolve
        >>> round(resolve(ring(4), "dense").disagreement_mean(0.5, 0), 12)  # 3/34
        0.088235294118
        """
        if g >= 1.0 and not self._period_data(phase)["single"]:
            return np.inf
        S = self.disagreement_covariance(g, 1.0 - g, phase, scaled=False)
        return float(np.trace(S) / self.n)
