"""Random i.i.d. gossip schemes: closed-form moments, the random representation, simulation."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import resolve
from topotheory.graphs.random import RandomScheme, check_outcomes

from oracles import assert_moments_equal_enumeration, assert_theory_equals_dense_kronecker, dense_kron, distinct_draws, enumerated


FAMILIES = [
    ("pairwise_gossip", lambda: tt.pairwise_gossip(5)),
    ("pairwise_gossip_n2", lambda: tt.pairwise_gossip(2)),
    ("random_matching_even", lambda: tt.random_matching(6)),
    ("random_matching_odd", lambda: tt.random_matching(7)),
    ("random_matching_n3", lambda: tt.random_matching(3)),
    ("epidemic_s1", lambda: tt.epidemic(4, 1)),
    ("epidemic_s2", lambda: tt.epidemic(5, 2)),
    ("epidemic_full", lambda: tt.epidemic(4, 3)),
]


@pytest.mark.parametrize("name,make", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_closed_form_moments_equal_enumeration(name, make):
    assert_moments_equal_enumeration(make(), enumerated(make))


@pytest.mark.parametrize("name,make", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_sample_average_within_standard_error(name, make):
    S = make()
    n = S.n
    W = S.sample(1, 100_000)
    rows = W.sum(axis=-1)
    assert np.max(np.abs(rows - 1)) < 1e-12
    if S.stochastic == "doubly":
        assert np.max(np.abs(W.sum(axis=-2) - 1)) < 1e-12
    K = S.kron_moment()
    # moments of W (x) W - K over the 100k draws, as count-weighted sums over the distinct draws (the
    # same sums; these laws have at most a few thousand outcomes), in chunks (the 100k products at once
    # would take ~2 GB); an entry that is the same in every draw has standard error 0 exactly (not the
    # rounding of the one-pass variance)
    N, s1, s2 = len(W), np.zeros_like(K), np.zeros_like(K)
    lo, hi = np.full_like(K, np.inf), np.full_like(K, -np.inf)
    U, counts = distinct_draws(W)
    assert counts.sum() == N
    for c in range(0, len(U), 5000):
        D = np.einsum("rik,rjl->rijkl", U[c:c + 5000], U[c:c + 5000]).reshape(-1, n * n, n * n) - K
        w = counts[c:c + 5000]
        s1 += np.einsum("r,rab->ab", w, D)
        s2 += np.einsum("r,rab,rab->ab", w, D, D)
        lo, hi = np.minimum(lo, D.min(axis=0)), np.maximum(hi, D.max(axis=0))
    dev = s1 / N
    sem = np.where(lo == hi, 0.0, np.sqrt(np.maximum(s2 / N - dev**2, 0.0)) / np.sqrt(N))
    mean = K + dev
    z = np.abs(mean - K) / np.where(sem > 0, sem, 1.0)
    assert np.all((sem > 0) | (np.abs(mean - K) < 1e-12))
    assert z.max() < 5.5  # max over <= 625 entries of |N(0, 1)|


def test_epidemic_contraction_matches_paper():
    for n, s in [(16, 2), (16, 4), (32, 3), (20, 19), (9, 1)]:
        assert abs(tt.expected_contraction(tt.epidemic(n, s)) - tt.epidemic_contraction(n, s)) < 1e-12
    # the literature's Monte Carlo figures (three digits)
    assert round(tt.epidemic_contraction(16, 2), 3) == 0.383 and round(tt.epidemic_contraction(96, 7), 3) == 0.132


def test_expected_contraction_closed_forms():
    # W^2 = W for averaging pairs: E[W^T W] = E[W]; on 1-perp E[W] = 1 - 1/(n-1) (pairwise), (1 - 1/(n-1))/2 (matching)
    assert abs(tt.expected_contraction(tt.pairwise_gossip(7)) - (1 - 1 / 6)) < 1e-12
    assert abs(tt.expected_contraction(tt.random_matching(8)) - 0.5 * (1 - 1 / 7)) < 1e-12
    S = tt.random_matching(8)
    assert abs(tt.spectral_gap(S, "koloskova") - (1 - tt.expected_contraction(S))) < 1e-12
    with pytest.raises(ValueError, match="undefined for the random scheme"):
        tt.spectral_gap(S, "eigenvalue")


@pytest.mark.parametrize("name,make", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_nw_and_rate_equal_dense_kronecker(name, make):
    assert_theory_equals_dense_kronecker(make(), enumerated(make)[0])


def test_loss_curve_equals_kronecker_recursion():
    S = tt.epidemic(5, 2)
    K, _ = enumerated(dict(FAMILIES)["epidemic_s2"])  # the same law's enumeration
    n, lr, z = 5, 0.15, 9.0
    a, b = (1 - lr) ** 2, (z - 1) * lr**2
    D = np.diag(np.eye(n).ravel())
    c = np.ones(n * n)
    ref = [np.trace(c.reshape(n, n)) / (2 * n)]
    for _ in range(20):
        c = K @ ((a * np.eye(n * n) + b * D) @ c)
        ref.append(np.trace(c.reshape(n, n)) / (2 * n))
    assert np.max(np.abs(tt.loss_curve(S, lr=lr, zeta=z, steps=20) - ref)) < 1e-14


def test_deterministic_scheme_wrapped_gives_todays_numbers():
    for D in (tt.ring(6), tt.star(5), tt.uni_ring(5)):
        S = RandomScheme.from_scheme(D)
        assert resolve(S).route == "random"
        g = np.array([0.0, 0.5, 0.99])
        assert np.max(np.abs(tt.effective_neighbors(S, g) - tt.effective_neighbors(D, g))) < 1e-10
        for lr in (0.05, 0.2):
            assert abs(tt.quadratic_rate(S, lr=lr, zeta=20) - tt.quadratic_rate(D, lr=lr, zeta=20)) < 1e-12
        assert np.max(np.abs(tt.loss_curve(S, lr=0.1, zeta=20, steps=30) - tt.loss_curve(D, lr=0.1, zeta=20, steps=30))) < 1e-15
        assert abs(tt.spectral_gap(S, "koloskova") - tt.spectral_gap(D, "koloskova")) < 1e-12


def test_nw_bounds_and_monotone_for_doubly_stochastic():
    for S in (tt.pairwise_gossip(8), tt.random_matching(9)):
        nw = tt.effective_neighbors(S, np.linspace(0, 0.999, 12))
        assert np.all(nw >= 1 - 1e-12) and np.all(nw <= S.n + 1e-9) and np.all(np.diff(nw) > 0)
        assert abs(tt.effective_neighbors(S, 0.0) - S.n / np.trace(S.second_moment(np.eye(S.n)))) < 1e-12


def test_gmres_route_matches_dense_route():
    from topotheory.engine import random as er

    S = tt.random_matching(10)
    dense = tt.effective_neighbors(S, 0.9)
    old = er.DENSE_MAX_N
    try:
        er.DENSE_MAX_N = 4
        S2 = tt.random_matching(10)
        assert abs(tt.effective_neighbors(S2, 0.9) - dense) < 1e-9
    finally:
        er.DENSE_MAX_N = old


def test_simulation_agrees_with_theory_and_planted_fault_is_caught():
    S = tt.epidemic(6, 2)
    edge = tt.max_learning_rate(S, zeta=10)
    for lr in (0.1, 0.75 * edge):
        r = tt.crosscheck(S, lr=lr, d=8, reps=1500, steps=50, seed=5)
        assert r.verdict == "agrees", r
    # planted fault: the theory uses E[W] in place of E[W kron W] (the law's fluctuations dropped)
    M = S.mean()
    wrong = RandomScheme(S.n, name="epidemic-first-moment-only", sampler=S.sample, mean=M,
                         second_moment=lambda X: M @ X @ M.T, stochastic="row")
    r = tt.crosscheck(wrong, lr=0.9 * edge, d=8, reps=1500, steps=50, seed=5)
    assert r.verdict == "disagrees", r


def test_random_walk_simulation_agrees():
    S = tt.random_matching(8)
    rw = tt.simulate_random_walk(S, gamma=0.8, steps=1500, reps=200, seed=2)
    lo, hi = rw.ci
    assert lo <= tt.effective_neighbors(S, 0.8) <= hi


def test_simulation_seeded():
    S = tt.pairwise_gossip(5)
    a = tt.simulate_dsgd(S, lr=0.1, d=4, steps=10, reps=50, seed=3)
    b = tt.simulate_dsgd(S, lr=0.1, d=4, steps=10, reps=50, seed=3)
    assert np.array_equal(a.loss, b.loss)


def test_bad_input():
    with pytest.raises(ValueError, match="sum to 1"):
        RandomScheme.from_outcomes([np.eye(2)], [0.9])
    with pytest.raises(ValueError, match="doubly stochastic"):
        RandomScheme.from_outcomes([[[1.0, 0.0], [1.0, 0.0]]], [1.0])
    with pytest.raises(ValueError, match="push-sum"):
        RandomScheme.from_outcomes([[[0.5, 1.0], [0.5, 0.0]]], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        RandomScheme.from_outcomes([np.eye(2), np.eye(2)], [1.5, -0.5])
    with pytest.raises(ValueError, match="s must be at most"):
        tt.epidemic(5, 5)
    with pytest.raises(ValueError):
        tt.epidemic(5, 0)
    with pytest.raises(ValueError, match="one entry per matrix"):
        RandomScheme.from_outcomes([np.eye(2)], [0.5, 0.5])
    with pytest.raises(ValueError, match="undefined for the random scheme"):
        tt.random_matching(4).matrix(0)
    with pytest.raises(ValueError, match="row-stochastic"):
        resolve(tt.epidemic(4, 1)).disagreement_mean(0.5, 0)
    with pytest.raises(ValueError, match="route"):
        resolve(tt.epidemic(4, 1), "dense")
    with pytest.raises(ValueError, match="secular"):
        tt.quadratic_rate(tt.epidemic(4, 1), lr=0.1, zeta=10, method="secular")
    with pytest.raises(ValueError, match="static scheme"):
        RandomScheme.from_scheme(tt.one_peer_exponential(4))
    check_outcomes("W", np.eye(3)[None], "doubly", 1e-9)  # accepted silently


def test_cli_specs():
    from topotheory.graphs.specs import topology_from_spec

    S = topology_from_spec("epidemic:n=16,s=3")
    assert isinstance(S, RandomScheme) and S.n == 16 and S.params["s"] == 3
    assert topology_from_spec("random_matching:n=8").n == 8


def test_cli_compare_random_families_with_zeta(capsys):
    import json

    from topotheory.cli import main

    code = main(["compare", "--topologies", "epidemic:n=16,s=2,ring,random_matching:n=8", "--zeta", "102",
                 "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    rows = doc["rows"] if isinstance(doc, dict) and "rows" in doc else doc
    by = {r["topology"]: r for r in rows}
    for spec, S in (("epidemic:n=16,s=2", tt.epidemic(16, 2)), ("random_matching:n=8", tt.random_matching(8))):
        r = by[spec]
        opt = tt.optimal_learning_rate(S, zeta=102)
        assert r["optimal_rate"] == pytest.approx(opt.rate, rel=1e-9)
        assert r["optimal_learning_rate"] == pytest.approx(opt.lr, rel=1e-6)
        assert r["max_learning_rate"] == pytest.approx(tt.max_learning_rate(S, zeta=102), rel=1e-9)
    # a quantity undefined for a row-stochastic law is a clear error, not a number
    code = main(["compare", "--topologies", "epidemic:n=16,s=2", "--metrics", "s1"])
    assert code != 0 and "row-stochastic" in capsys.readouterr().err


# ----------------------------------------------------------------------------- periodic mixtures
def mixture_kron(S, t):
    """E[W_t kron W_t] of the phase from its enumerated outcomes (numpy kron)."""
    K, _ = dense_kron(S.law(t))
    return K


def test_periodic_mixture_equals_dense_kronecker_route():
    from topotheory.graphs.random import periodic_mixture

    n = 5
    S = periodic_mixture([tt.Scheme.from_matrix(np.eye(n)), tt.ring(n), tt.random_matching(n), tt.epidemic(n, 1)])
    assert S.period == 4 and S.stochastic == "row"
    Ks = [mixture_kron(S, t) for t in range(4)]
    g = 0.7
    for phase in range(4):  # Sigma_phase = sum_k g^(k-1) E[Pi_k kron Pi_k] vec I, Pi_k = W_(phase-1)...W_(phase-k)
        P, total = np.eye(n * n), np.zeros(n * n)
        for k in range(1, 400):
            P = P @ Ks[(phase - k) % 4]
            total += g ** (k - 1) * (P @ np.eye(n).ravel())
        ref = n / ((1 - g) * np.trace(total.reshape(n, n)))
        assert abs(tt.effective_neighbors(S, g, phase=phase) - ref) < 1e-10
    lr, z = 0.2, 8.0
    a, b = (1 - lr) ** 2, (z - 1) * lr**2
    T = np.eye(n * n)
    for t in range(4):
        T = Ks[t] @ (a * np.eye(n * n) + b * np.diag(np.eye(n).ravel())) @ T
    rho = np.max(np.abs(np.linalg.eigvals(T))) ** 0.25
    assert abs(tt.quadratic_rate(S, lr=lr, zeta=z) - (1 - rho)) < 1e-10
    c = np.ones(n * n)
    ref = [np.trace(c.reshape(n, n)) / (2 * n)]
    for t in range(9):
        c = Ks[t % 4] @ (a * np.eye(n * n) + b * np.diag(np.eye(n).ravel())) @ c
        ref.append(np.trace(c.reshape(n, n)) / (2 * n))
    assert np.max(np.abs(tt.loss_curve(S, lr=lr, zeta=z, steps=9) - ref)) < 1e-14


def test_periodic_mixture_of_fixed_factors_gives_todays_numbers():
    from topotheory.graphs.random import periodic_mixture

    D = tt.one_peer_exponential(8)
    S = periodic_mixture([D])
    assert S.period == D.period == 3
    for phase in range(3):
        assert abs(tt.effective_neighbors(S, 0.9, phase=phase) - tt.effective_neighbors(D, 0.9, phase=phase)) < 1e-10
    assert abs(tt.quadratic_rate(S, lr=0.1, zeta=20) - tt.quadratic_rate(D, lr=0.1, zeta=20)) < 1e-12
    assert abs(tt.spectral_gap(S, "koloskova") - tt.spectral_gap(D, "koloskova")) < 1e-12


def test_local_steps_then_random_peer_simulation_agrees():
    from topotheory.graphs.random import periodic_mixture

    local = tt.Scheme.from_matrix(np.eye(6))
    S = periodic_mixture([local, local, tt.random_matching(6)])  # H = 2 local steps, then one random peer
    W = S.sample(0, 4)
    assert W.shape == (4, 3, 6, 6) and np.array_equal(W[:, 0], np.broadcast_to(np.eye(6), (4, 6, 6)))
    r = tt.crosscheck(S, lr=0.1, d=8, reps=1500, steps=60, seed=4)
    assert r.verdict == "agrees", r


def test_periodic_mixture_bad_input():
    from topotheory.graphs.random import periodic_mixture

    with pytest.raises(ValueError, match="at least one"):
        periodic_mixture([])
    with pytest.raises(ValueError, match="same number of workers"):
        periodic_mixture([tt.ring(4), tt.random_matching(5)])
    with pytest.raises(TypeError, match=r"factors\[1\]"):
        periodic_mixture([tt.ring(4), np.eye(4)])
    with pytest.raises(ValueError, match="periodic"):
        periodic_mixture([tt.ring(4), tt.random_matching(4)]).outcomes()
