"""Independent dense routes shared by the tests of several layers (imported as ``oracles``)."""

import itertools
import math

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


def dense_kron(S):
    """E[W kron W] and E[W] from the enumerated outcomes, with numpy's kron (independent route)."""
    Ws, p = S.outcomes()
    return sum(q * np.kron(W, W) for q, W in zip(p, Ws)), np.einsum("m,mij->ij", p, Ws)


def dense_nw(S, gamma):
    """n_W from (I - gamma K) vec Sigma = vec E[W W^T] on the full n^2 space (independent route)."""
    n = S.n
    K, _ = dense_kron(S)
    rhs = (K @ np.eye(n).ravel())
    Sigma = np.linalg.solve(np.eye(n * n) - gamma * K, rhs).reshape(n, n)
    return 1.0 / ((1 - gamma) * np.trace(Sigma) / n)


def dense_rate(S, lr, zeta):
    """Exact rate from the n^2 x n^2 Kronecker matrix of C -> E[W (aC + b Diag C) W^T]."""
    n = S.n
    K, _ = dense_kron(S)
    a, b = (1 - lr) ** 2, (zeta - 1) * lr**2
    D = np.diag(np.eye(n).ravel())
    rho = np.max(np.abs(np.linalg.eigvals(K @ (a * np.eye(n * n) + b * D))))
    return 1 - rho


def kendall_tau_b(x, y):
    """Kendall tau-b by explicit pair counting (independent of scipy)."""
    conc = disc = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx == dy:
            conc += 1
        else:
            disc += 1
    return (conc - disc) / math.sqrt((conc + disc + tx) * (conc + disc + ty))


def assert_theory_equals_dense_kronecker(S):
    """n_W and the exact rate of a random law against the dense Kronecker routes, up to the stability edge."""
    import topotheory as tt

    for g in (0.0, 0.5, 0.95):
        assert abs(tt.effective_neighbors(S, g) - dense_nw(S, g)) < 1e-10
    edge = tt.max_learning_rate(S, zeta=12)
    for lr in (0.02, 0.5 * edge, 0.99 * edge):
        assert abs(tt.quadratic_rate(S, lr=lr, zeta=12) - dense_rate(S, lr, 12)) < 1e-10
    assert np.isnan(tt.quadratic_rate(S, lr=1.01 * edge, zeta=12)) and dense_rate(S, 1.01 * edge, 12) < 0


def directed_push(n, extra=3):
    """Column-stochastic: worker j pushes equal shares to itself, j+1 and (odd j) j+extra."""
    P = np.zeros((n, n))
    for j in range(n):
        out = {j, (j + 1) % n} | ({(j + extra) % n} if j % 2 else set())
        P[list(out), j] = 1.0 / len(out)
    return P


def assert_moments_equal_enumeration(S):
    """A random law's closed-form E[W], E[W kron W] and X -> E[W X W^T] against its enumerated outcomes (1e-12)."""
    K, M = dense_kron(S)
    assert np.max(np.abs(S.kron_moment() - K)) < 1e-12
    assert np.max(np.abs(S.mean() - M)) < 1e-12
    X = np.random.default_rng(0).standard_normal((3, S.n, S.n))
    Ws, p = S.outcomes()
    ref = np.einsum("m,mik,bkl,mjl->bij", p, Ws, X, Ws)
    assert np.max(np.abs(S.second_moment(X) - ref)) < 1e-12
