"""Independent dense routes shared by the tests of several layers (imported as ``oracles``)."""

import numpy as np


def kronecker_rho(scheme, lr, zeta):
    """Independent route: spectral radius of the dense n^2 x n^2 second-moment matrix (n <= 16)."""
    a, b = (1 - lr) ** 2, (zeta - 1) * lr**2
    n = scheme.n
    E = np.diag(np.eye(n).ravel())
    T = np.eye(n * n)
    for t in range(scheme.period):
        W = scheme.matrix(t)
        T = np.kron(W, W) @ (a * np.eye(n * n) + b * E) @ T
    return np.max(np.abs(np.linalg.eigvals(T))) ** (1 / scheme.period)
