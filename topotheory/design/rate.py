r"""The exact toy rate as a function of the edge weights, with its gradient (package-internal).

For a static symmetric ``W`` the toy problem's second moments follow
:math:`C \mapsto T(C) = W(aC + b\,\mathrm{Diag}\,C)W` with :math:`a = (1-\eta)^2`,
:math:`b = (\zeta-1)\eta^2` (THEORY §3.2); the rate is :math:`r = 1 - \rho(T)`. The adjoint is
:math:`T^*(L) = a\,WLW + b\,\mathrm{Diag}(WLW)`. For a simple Perron root with right/left
eigenvectors ``C``, ``L`` (both symmetric), perturbation theory gives
:math:`d\rho = \langle L, dT(C)\rangle / \langle L, C\rangle`, and with
:math:`dW = -b_e b_e^T`, :math:`S = aC + b\,\mathrm{Diag}\,C`, :math:`H = \mathrm{sym}(SWL)`:

.. math:: \partial\rho/\partial w_e = -2\,(H_{ii} + H_{jj} - 2H_{ij}) / \langle L, C\rangle.

At the optimal learning rate :math:`\eta^\star` the envelope theorem gives
:math:`\partial r^\star/\partial w_e = -\partial\rho/\partial w_e` at fixed :math:`\eta^\star`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse.linalg as spla

__all__ = ["perron_pair", "rate_gradient"]


def perron_pair(W: np.ndarray, *, lr: float, zeta: float) -> tuple[float, np.ndarray, np.ndarray]:
    """``(rho, C, L)``: the Perron root of ``T`` and its right and left eigen-matrices (trace 1)."""
    W = np.asarray(W, dtype=float)
    n = W.shape[0]
    a, b = (1.0 - lr) ** 2, (zeta - 1.0) * lr**2

    def right(x: np.ndarray) -> np.ndarray:
        C = x.reshape(n, n)
        S = a * C
        S[np.diag_indices(n)] += b * np.diag(C)
        return (W @ S @ W).ravel()

    def left(x: np.ndarray) -> np.ndarray:
        L = x.reshape(n, n)
        M = W @ L @ W
        out = a * M
        out[np.diag_indices(n)] += b * np.diag(M)
        return out.ravel()

    pairs = []
    for f in (right, left):
        op = spla.LinearOperator((n * n, n * n), matvec=f, dtype=float)
        v0 = np.eye(n).ravel()
        vals, vecs = spla.eigs(op, k=1, which="LR", v0=v0, tol=1e-13, maxiter=20000)
        X = np.real(vecs[:, 0]).reshape(n, n)
        X = (X + X.T) / 2
        X /= np.trace(X)
        pairs.append((float(np.real(vals[0])), X))
    (rho, C), (_, L) = pairs
    return rho, C, L


def rate_gradient(dg: Any, w: np.ndarray, *, lr: float, zeta: float) -> tuple[float, np.ndarray]:
    """``(rho, d r / d w)`` at fixed ``lr`` (``r = 1 - rho``)."""
    W = dg.matrix(w)
    a, b = (1.0 - lr) ** 2, (zeta - 1.0) * lr**2
    rho, C, L = perron_pair(W, lr=lr, zeta=zeta)
    S = a * C
    S[np.diag_indices(len(S))] += b * np.diag(C)
    H = S @ W @ L
    H = (H + H.T) / 2
    dH = np.diag(H)
    drho = -2.0 * (dH[dg.i] + dH[dg.j] - 2.0 * H[dg.i, dg.j]) / float(np.sum(L * C))
    return rho, -drho
