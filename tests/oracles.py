"""Independent dense routes shared by the tests of several layers (imported as ``oracles``)."""

import functools
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


@functools.lru_cache(maxsize=None)
def enumerated(make):
    """:func:`dense_kron` of the law ``make()`` (a law factory of a test module's list), enumerated once for
    every test that compares against it (the factories build deterministic laws: every call, the same law)."""
    return dense_kron(make())


def dense_nw(S, gamma, K=None):
    """n_W from (I - gamma K) vec Sigma = vec E[W W^T] on the full n^2 space (independent route).

    ``K``: :func:`dense_kron`'s ``E[W kron W]`` of ``S`` when the caller already has it (built here otherwise).
    """
    n = S.n
    if K is None:
        K, _ = dense_kron(S)
    rhs = (K @ np.eye(n).ravel())
    Sigma = np.linalg.solve(np.eye(n * n) - gamma * K, rhs).reshape(n, n)
    return 1.0 / ((1 - gamma) * np.trace(Sigma) / n)


def dense_rate(S, lr, zeta, K=None):
    """Exact rate from the n^2 x n^2 Kronecker matrix of C -> E[W (aC + b Diag C) W^T] (``K`` as in :func:`dense_nw`)."""
    n = S.n
    if K is None:
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


def assert_theory_equals_dense_kronecker(S, K=None):
    """n_W and the exact rate of a random law against the dense Kronecker routes, up to the stability edge.

    ``K``: :func:`dense_kron`'s ``E[W kron W]`` of ``S`` when the caller already has it.
    """
    import topotheory as tt

    if K is None:
        K, _ = dense_kron(S)  # the reference Kronecker moment, enumerated once for the seven comparisons
    for g in (0.0, 0.5, 0.95):
        assert abs(tt.effective_neighbors(S, g) - dense_nw(S, g, K)) < 1e-10
    edge = tt.max_learning_rate(S, zeta=12)
    for lr in (0.02, 0.5 * edge, 0.99 * edge):
        assert abs(tt.quadratic_rate(S, lr=lr, zeta=12) - dense_rate(S, lr, 12, K)) < 1e-10
    assert np.isnan(tt.quadratic_rate(S, lr=1.01 * edge, zeta=12)) and dense_rate(S, 1.01 * edge, 12, K) < 0


def distinct_draws(W):
    """The distinct matrices among the draws ``W`` (N, n, n) and how often each was drawn (bitwise equality).

    A statistic summed over the draws (a sample mean, a sum of squares, a minimum or maximum) is the
    count-weighted statistic over the distinct draws: the same numbers for the same draws, at the cost
    of the few distinct outcomes of a discrete law instead of every draw.
    """
    flat = np.ascontiguousarray(W.reshape(len(W), -1))
    rows = flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1])))[:, 0]
    _, first, counts = np.unique(rows, return_index=True, return_counts=True)
    return W[first], counts.astype(float)


def directed_push(n, extra=3):
    """Column-stochastic: worker j pushes equal shares to itself, j+1 and (odd j) j+extra."""
    P = np.zeros((n, n))
    for j in range(n):
        out = {j, (j + 1) % n} | ({(j + extra) % n} if j % 2 else set())
        P[list(out), j] = 1.0 / len(out)
    return P


def assert_moments_equal_enumeration(S, reference=None):
    """A random law's closed-form E[W], E[W kron W] and X -> E[W X W^T] against its enumerated outcomes (1e-12).

    ``reference``: :func:`dense_kron` of ``S`` when the caller already has it.
    """
    K, M = dense_kron(S) if reference is None else reference
    assert np.max(np.abs(S.kron_moment() - K)) < 1e-12
    assert np.max(np.abs(S.mean() - M)) < 1e-12
    X = np.random.default_rng(0).standard_normal((3, S.n, S.n))
    Ws, p = S.outcomes()
    ref = np.einsum("m,mik,bkl,mjl->bij", p, Ws, X, Ws)
    assert np.max(np.abs(S.second_moment(X) - ref)) < 1e-12
# ------------------------------------------------------------------ algorithms with state (d = 1)
# Each rule of the algorithm registry written directly as pseudo-code on scalar models (d = 1): the
# gradient is h_i x_i with a random scalar h_i (E h = 1, E h^2 = zeta), CHOCO's random-k keeps the
# coordinate with probability `ratio` (q_i in {0, 1}), so that every second moment has the trace
# law of the d-dimensional rule. The one-step random matrix M is built column by column and
# E[M (x) M] by exact enumeration of a two-point stand-in of h (1 +- sqrt(zeta - 1)) and of q.


def _algorithm_state(name, hp):
    if name == "delayed":
        return ["x"] + [f"g{k}" for k in range(1, hp.get("delay", 1) + 1)]
    return {"dsgd": ["x"], "dsgd_gossip_first": ["x"], "dmsgd": ["x", "m"], "dmsgd_nesterov": ["x", "m"],
            "qgm": ["x", "m"], "gradient_tracking": ["x", "y", "g"], "exact_diffusion": ["x", "psi"],
            "choco": ["x", "xhat"]}[name]


def _algorithm_rule(name, z, W, h, q, lr, hp):
    """One step of the named rule on the state dict z (arrays over workers); returns the new dict."""
    x = z["x"]
    beta = hp.get("momentum", 0.9)
    if name == "dsgd":
        return {"x": W @ (x - lr * h * x)}
    if name == "dsgd_gossip_first":
        return {"x": W @ x - lr * h * x}
    if name in ("dmsgd", "dmsgd_nesterov"):
        g = h * x
        u = beta * z["m"] + g
        m = W @ u if hp.get("gossip_momentum", False) else u
        step = u if name == "dmsgd" else g + beta * u
        return {"x": W @ (x - lr * step), "m": m}
    if name == "qgm":
        v = h * x + beta * z["m"]
        x1 = W @ (x - lr * v)
        return {"x": x1, "m": beta * z["m"] + (1 - beta) * (x - x1) / lr}
    if name == "gradient_tracking":
        x1 = W @ x - lr * z["y"]
        g1 = h * x1
        return {"x": x1, "y": W @ z["y"] + g1 - z["g"], "g": g1}
    if name == "exact_diffusion":
        Wbar = (np.eye(len(x)) + W) / 2 if hp.get("combine", "half") == "half" else W
        psi1 = x - lr * h * x
        return {"x": Wbar @ (psi1 + x - z["psi"]), "psi": psi1}
    if name == "choco":
        hh = x - lr * h * x
        xhat = z["xhat"] + q * (hh - z["xhat"])
        return {"x": hh + hp.get("consensus_step", 0.5) * (W - np.eye(len(x))) @ xhat, "xhat": xhat}
    if name == "delayed":
        tau = hp.get("delay", 1)
        if tau == 0:
            return {"x": W @ (x - lr * h * x)}
        out = {"x": W @ (x - lr * z[f"g{tau}"]), "g1": h * x}
        for k in range(2, tau + 1):
            out[f"g{k}"] = z[f"g{k - 1}"]
        return out
    raise KeyError(name)


def _outcomes(n, zeta, ratio, choco):
    """Equiprobable-weighted outcomes (h, q, weight) of the two-point stand-ins, all workers."""
    import itertools

    s = np.sqrt(zeta - 1.0)
    hs = [(1 - s, 0.5), (1 + s, 0.5)] if zeta > 1 else [(1.0, 1.0)]
    qs = [(0.0, 1 - ratio), (1.0, ratio)] if choco and ratio < 1 else [(1.0, 1.0)]
    for hh in itertools.product(hs, repeat=n):
        for qq in itertools.product(qs, repeat=n):
            w = np.prod([p for _, p in hh]) * np.prod([p for _, p in qq])
            if w > 0:
                yield np.array([v for v, _ in hh]), np.array([v for v, _ in qq]), w


def _matrix_of(name, W, h, q, lr, hp, comps):
    n = W.shape[0]
    cols = []
    for k in range(len(comps) * n):
        e = np.zeros(len(comps) * n)
        e[k] = 1.0
        z = {c: e[i * n:(i + 1) * n] for i, c in enumerate(comps)}
        out = _algorithm_rule(name, z, W, h, q, lr, hp)
        cols.append(np.concatenate([out[c] for c in comps]))
    return np.column_stack(cols)


def algorithm_kron_moment(name, Ws, lr, zeta, hp, probabilities=None):
    """E[M (x) M] of one step for each gossip matrix (or the mixture over a finite random law)."""
    comps = _algorithm_state(name, hp)
    n = Ws[0].shape[0]
    ratio = hp.get("ratio", 0.25)
    out = 0.0
    probs = [1.0] * len(Ws) if probabilities is None else probabilities
    for W, pw in zip(Ws, probs):
        for h, q, w in _outcomes(n, zeta, ratio, name == "choco"):
            M = _matrix_of(name, W, h, q, lr, hp, comps)
            out = out + pw * w * np.kron(M, M)
    return out


def algorithm_initial(name, n, zeta, hp):
    """vec of E[z(0) z(0)^T] from a common start x_i(0) = 1 (with the rule's initialisation)."""
    comps = _algorithm_state(name, hp)
    out = 0.0
    for h, _, w in _outcomes(n, zeta, 1.0, False):
        z = {c: np.zeros(n) for c in comps}
        z["x"] = np.ones(n)
        if name == "gradient_tracking":
            z["y"] = h * z["x"]
            z["g"] = h * z["x"]
        if name == "exact_diffusion":
            z["psi"] = z["x"].copy()
        v = np.concatenate([z[c] for c in comps])
        out = out + w * np.outer(v, v)
    return out.ravel()


def algorithm_oracle(name, scheme_matrices, lr, zeta, hp, probabilities=None, period_matrices=True):
    """(rho per step, one-period operator, initial vec, loss read-out) of the rule, by enumeration.

    ``scheme_matrices``: the matrices W_0..W_{p-1} of a periodic scheme, or the outcomes of a
    random law (with ``probabilities``, ``period_matrices=False``).
    """
    comps = _algorithm_state(name, hp)
    n = scheme_matrices[0].shape[0]
    if period_matrices:
        K = np.eye((len(comps) * n) ** 2)
        for W in scheme_matrices:
            K = algorithm_kron_moment(name, [W], lr, zeta, hp) @ K
        p = len(scheme_matrices)
    else:
        K = algorithm_kron_moment(name, scheme_matrices, lr, zeta, hp, probabilities)
        p = 1
    v0 = algorithm_initial(name, n, zeta, hp)
    N = len(comps) * n
    read = np.zeros((N, N))
    read[np.arange(n), np.arange(n)] = 1.0 / (2 * n)
    read = read.ravel()
    # a conserved sum c^T z (gradient tracking: sum(y - g); exact diffusion: sum(x - psi)) makes the
    # eigenvalue 1 that the iterates never reach: check the conservation on the start and on K
    # (vec(u u^T)^T K = vec(u u^T)^T and K maps V (x) V into itself, V = {u^T z = 0}), then take the
    # spectral radius on V (x) V
    conserved = {"gradient_tracking": {"y": 1.0, "g": -1.0}, "exact_diffusion": {"x": 1.0, "psi": -1.0}}.get(name)
    if conserved is None:
        rho = np.max(np.abs(np.linalg.eigvals(K)))
    else:
        u = np.concatenate([np.full(n, conserved.get(c, 0.0)) for c in comps])
        U = np.linalg.svd(u[None])[2][1:].T
        P = np.kron(U, U)
        assert abs(np.kron(u, u) @ v0) < 1e-12
        assert np.linalg.norm(K @ P - P @ (P.T @ K @ P)) < 1e-10 * np.linalg.norm(K)
        rho = np.max(np.abs(np.linalg.eigvals(P.T @ K @ P)))
    return rho ** (1.0 / p), K, v0, read


def connected_rgg(n, degree=10, seed=1):
    """A connected random geometric graph in the unit square with mean degree about ``degree`` (networkx)."""
    import networkx as nx

    import topotheory as tt

    radius = (degree / (np.pi * n)) ** 0.5
    while True:
        G = nx.random_geometric_graph(n, radius, seed=seed)
        if nx.is_connected(G):
            return tt.Scheme.from_networkx(G, name=f"rgg(n={n})")
        seed += 1000


def dense_K(s, g):
    r"""The toy problem's reduced matrix :math:`K(\gamma) = \sum_k\gamma^{k-1}W^k\circ W^k` by powers of ``W``."""
    W = s.sparse_matrix(0)
    P, K, k = np.eye(s.n), np.zeros((s.n, s.n)), 1
    while g ** (k - 1) > 1e-17:
        P = W @ P
        K += g ** (k - 1) * P * P
        k += 1
    return K
