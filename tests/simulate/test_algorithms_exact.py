"""The simulators against an exact route of their own: the expected Gram matrix of the state.

For the isotropic problem every random operation R of the registry's rules acts on one worker's
vector with E[R] = mu I and E[R^T R] = c I, independently of the state and of the other workers:
the gradient H (mu = 1, c = zeta), random-k sparsification without rescaling (mu = c = k/d). The
expected Gram matrix of all state vectors, <s_a, s_b> summed over coordinates, therefore
propagates exactly: a linear combination L maps G to L G L^T, and a random operation scales the
new block's rows by mu and adds (c - mu^2) times the diagonal of L G L^T to its own diagonal.
This oracle writes each rule once more in that form (small dense matrices, n <= 8) — a route
independent of both the simulator and the package's theory — and the Monte Carlo loss curves must
agree with it within their standard errors.
"""

import numpy as np
import pytest

import topotheory as tt

# Exact diffusion also runs on non-symmetric panels here (the routes must agree there too): the warning it
# raises on them is tested in tests/algorithms/test_registry.py.
pytestmark = pytest.mark.filterwarnings("ignore:algorithm 'exact_diffusion' assumes a symmetric:UserWarning")


class Gram:
    """Expected Gram matrix of named per-worker state components (each n vectors of R^d)."""

    def __init__(self, n, G, names):
        self.n, self.G, self.names = n, G, list(names)

    def _sl(self, name):
        k = self.names.index(name)
        return slice(k * self.n, (k + 1) * self.n)

    def add(self, name, terms, c=1.0, mu=1.0):
        """Append component ``name = R(sum M s)``, ``terms = [(M or scalar, component)]``,
        ``E[R] = mu I``, ``E[R^T R] = c I`` (deterministic: ``c = mu = 1``)."""
        n, K = self.n, len(self.names)
        L = np.zeros((n, K * n))
        for M, comp in terms:
            L[:, self._sl(comp)] += M * np.eye(n) if np.isscalar(M) else M
        T = np.vstack([np.eye(K * n), mu * L])
        G = T @ self.G @ T.T
        new = slice(K * n, (K + 1) * n)
        G[new, new] += (c - mu**2) * np.diag(np.diag(L @ self.G @ L.T))
        self.G, self.names = G, self.names + [name]

    def keep(self, **renames):
        """Keep the components ``new=old`` (in that order)."""
        idx = np.concatenate([np.arange(self._sl(old).start, self._sl(old).stop) for old in renames.values()])
        self.G, self.names = self.G[np.ix_(idx, idx)], list(renames)

    def loss(self):
        x = self._sl("x")
        return 0.5 * np.trace(self.G[x, x]) / self.n


def _init(alg, n, zeta, hp, x0=None):
    # default: every worker at ones(d)/sqrt(d), <x_i, x_j> = 1
    G = Gram(n, np.ones((n, n)) if x0 is None else x0 @ x0.T, ["x"])
    if alg in ("dmsgd", "dmsgd_nesterov", "qgm"):
        G.add("m", [(0.0, "x")])
    elif alg == "exact_diffusion":
        G.add("psi", [(1.0, "x")])
    elif alg == "choco":
        G.add("xhat", [(0.0, "x")])
    elif alg == "gradient_tracking":
        G.add("g", [(1.0, "x")], zeta)
        G.add("y", [(1.0, "g")])
    elif alg == "delayed":
        for k in range(1, hp["delay"] + 1):  # g1: drawn one step ago, ..., g_tau: tau steps ago
            G.add(f"g{k}", [(0.0, "x")])
    return G


def _step(G, alg, W, lr, zeta, hp):
    n = W.shape[0]
    eye = np.eye(n)
    if alg == "gradient_tracking":
        G.add("x1", [(W, "x"), (-lr, "y")])
        G.add("g1", [(1.0, "x1")], zeta)
        G.add("y1", [(W, "y"), (1.0, "g1"), (-1.0, "g")])
        G.keep(x="x1", y="y1", g="g1")
        return
    G.add("gnew", [(1.0, "x")], zeta)
    if alg == "dsgd":
        G.add("x1", [(W, "x"), (-lr * W, "gnew")])
        G.keep(x="x1")
    elif alg == "dsgd_gossip_first":
        G.add("x1", [(W, "x"), (-lr, "gnew")])
        G.keep(x="x1")
    elif alg in ("dmsgd", "dmsgd_nesterov"):
        b = hp["momentum"]
        G.add("u", [(b, "m"), (1.0, "gnew")])
        step = [(-lr * W, "u")] if alg == "dmsgd" else [(-lr * W, "gnew"), (-lr * b * W, "u")]
        G.add("x1", [(W, "x")] + step)
        G.add("m1", [(W if hp["gossip_momentum"] else 1.0, "u")])
        G.keep(x="x1", m="m1")
    elif alg == "qgm":
        b = hp["momentum"]
        G.add("x1", [(W, "x"), (-lr * W, "gnew"), (-lr * b * W, "m")])
        G.add("m1", [(b, "m"), ((1 - b) / lr, "x"), (-(1 - b) / lr, "x1")])
        G.keep(x="x1", m="m1")
    elif alg == "exact_diffusion":
        Wbar = (eye + W) / 2 if hp["combine"] == "half" else W
        G.add("psi1", [(1.0, "x"), (-lr, "gnew")])
        G.add("x1", [(Wbar, "psi1"), (Wbar, "x"), (-Wbar, "psi")])
        G.keep(x="x1", psi="psi1")
    elif alg == "choco":
        gamma = hp["consensus_step"]
        G.add("h", [(1.0, "x"), (-lr, "gnew")])
        G.add("q", [(1.0, "h"), (-1.0, "xhat")], hp["ratio"], hp["ratio"])
        G.add("xhat1", [(1.0, "xhat"), (1.0, "q")])
        G.add("x1", [(1.0, "h"), (gamma * (W - eye), "xhat1")])
        G.keep(x="x1", xhat="xhat1")
    elif alg == "delayed":
        tau = hp["delay"]
        old = "gnew" if tau == 0 else f"g{tau}"
        G.add("x1", [(W, "x"), (-lr * W, old)])
        slots = {f"g{k}": f"g{k - 1}" if k > 1 else "gnew" for k in range(1, tau + 1)}
        G.keep(x="x1", **slots)


def exact_curve(scheme, alg, *, lr, d, steps, x0=None, outcomes=None, **hp):
    """Exact expected loss; ``outcomes=(matrices, probabilities)``: an i.i.d. random W_t of that law
    (the step is linear in G for a fixed W, so its expectation is the mixture over outcomes)."""
    hp = tt.ALGORITHMS[alg].check(**hp)
    zeta = tt.zeta(d)
    G = _init(alg, scheme.n, zeta, hp, x0)
    out = [G.loss()]
    for t in range(steps):
        if outcomes is None:
            _step(G, alg, scheme.matrix(t % scheme.period), lr, zeta, hp)
        else:
            mix = 0.0
            for W, p in zip(*outcomes):
                H = Gram(G.n, G.G.copy(), G.names)
                _step(H, alg, W, lr, zeta, hp)
                mix = mix + p * H.G
            G = Gram(G.n, mix, H.names)
        out.append(G.loss())
    return np.array(out)


def test_oracle_is_the_dsgd_theory():
    # the oracle's D-SGD is the package's exact D-SGD loss curve (THEORY §3.2)
    for scheme in (tt.ring(6), tt.one_peer_exponential(8), tt.star(5)):
        ours = exact_curve(scheme, "dsgd", lr=0.07, d=6, steps=30)
        theirs = tt.loss_curve(scheme, lr=0.07, zeta=tt.zeta(6), steps=30)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    # and its reductions hold exactly: momentum 0, delay 0, full compression
    s = tt.ring(6)
    ref = exact_curve(s, "dsgd", lr=0.07, d=6, steps=20)
    for alg, hp in [("dmsgd", {"momentum": 0.0}), ("qgm", {"momentum": 0.0}), ("delayed", {"delay": 0}),
                    ("dmsgd_nesterov", {"momentum": 0.0, "gossip_momentum": True})]:
        np.testing.assert_allclose(exact_curve(s, alg, lr=0.07, d=6, steps=20, **hp), ref, rtol=1e-12)
    mixed = tt.Scheme.from_matrix(0.6 * np.eye(6) + 0.4 * s.matrix())
    np.testing.assert_allclose(exact_curve(s, "choco", lr=0.07, d=6, steps=20, ratio=1.0, consensus_step=0.4),
                               exact_curve(mixed, "dsgd", lr=0.07, d=6, steps=20), rtol=1e-12)


def _z(sim, exact):
    """|MC - exact| / standard error per step; a step without spread (no noise yet) must match exactly."""
    dev, se = np.abs(sim.loss - exact), sim.loss_sem
    exact_steps = se <= 1e-14 * np.abs(exact)
    assert np.all(dev[exact_steps] <= 1e-12 * np.abs(exact[exact_steps]))
    return np.where(exact_steps, 0.0, dev / np.where(exact_steps, 1.0, se))


PANEL = [
    ("dsgd_gossip_first", {}, 0.1),
    ("dmsgd", {"momentum": 0.6}, 0.05),
    ("dmsgd", {"momentum": 0.6, "gossip_momentum": True}, 0.05),
    ("dmsgd_nesterov", {"momentum": 0.5}, 0.05),
    ("qgm", {"momentum": 0.5}, 0.05),
    ("gradient_tracking", {}, 0.05),
    ("exact_diffusion", {"combine": "half"}, 0.1),
    ("exact_diffusion", {"combine": "plain"}, 0.1),
    ("choco", {"ratio": 0.5, "consensus_step": 0.6}, 0.05),
    ("choco", {"ratio": 0.25, "consensus_step": 0.3}, 0.1),
    ("delayed", {"delay": 2}, 0.05),
]


@pytest.mark.parametrize("scheme", [tt.ring(5), tt.one_peer_exponential(4)], ids=["ring", "periodic"])
@pytest.mark.parametrize("alg, hp, lr", PANEL, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(PANEL)])
def test_simulation_agrees_with_the_exact_gram_route(scheme, alg, hp, lr):
    d, steps, reps = 4, 25, 3000
    exact = exact_curve(scheme, alg, lr=lr, d=d, steps=steps, **hp)
    sim = tt.simulate_algorithm(scheme, algorithm=alg, lr=lr, d=d, steps=steps, reps=reps, seed=2024, **hp)
    z = _z(sim, exact)
    # 25 points, each |z| < 4.5 with probability 1 - 7e-6 under normality (short horizon, light tails)
    assert z.max() < 4.5, (alg, hp, z.max(), sim.loss[-1], exact[-1])


def _three_outcomes(n):
    """A random W_t: the ring's matrix, a pair averaging or nothing (the law, its outcomes, probabilities)."""
    pair = np.eye(n)
    pair[np.ix_([0, 2], [0, 2])] = 0.5
    Ws, p = [tt.ring(n).matrix(), pair, np.eye(n)], [0.5, 0.3, 0.2]
    return tt.RandomScheme.from_outcomes(Ws, p, name="three"), Ws, p


@pytest.mark.parametrize("alg, hp, lr", PANEL[1:], ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(PANEL[1:])])
def test_random_scheme_agrees_with_the_exact_gram_route(alg, hp, lr):
    # a fresh W_t per replica and step: the ring's matrix or a random pair averaging, or nothing
    n = 4
    law, Ws, p = _three_outcomes(n)
    d, steps, reps = 4, 25, 3000
    exact = exact_curve(tt.ring(n), alg, lr=lr, d=d, steps=steps, outcomes=(Ws, p), **hp)
    sim = tt.simulate_algorithm(law, algorithm=alg, lr=lr, d=d, steps=steps, reps=reps, seed=7, **hp)
    assert _z(sim, exact).max() < 4.5, (alg, hp)


def test_the_gram_route_catches_a_planted_fault():
    # the momentum buffer gossiped when the rule keeps it local: on a star, from a start off
    # consensus, the curves separate by a third (the right simulator, same start, agrees)
    s = tt.star(6)
    x0 = np.random.default_rng(0).standard_normal((6, 4))
    run = dict(algorithm="dmsgd", lr=0.05, d=4, steps=25, reps=3000, seed=2024, momentum=0.9, x0=x0)
    right = exact_curve(s, "dmsgd", lr=0.05, d=4, steps=25, momentum=0.9, x0=x0)
    assert _z(tt.simulate_algorithm(s, **run), right).max() < 4.5
    assert _z(tt.simulate_algorithm(s, **dict(run, gossip_momentum=True)), right).max() > 10


@pytest.mark.parametrize("alg, hp, lr", PANEL + [("delayed", {"delay": 0}, 0.05), ("dmsgd", {"momentum": 0.9}, 0.05)],
                         ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(PANEL + [("delayed", 0, 0), ("dmsgd", 0, 0)])])
def test_the_package_theory_is_the_gram_route(alg, hp, lr):
    # a third route: the package's exact theory (quadratic.loss_curve with algorithm=) equals the
    # oracle on static, periodic and random schemes
    n = 4
    law, Ws, p = _three_outcomes(n)
    cases = [(tt.ring(5), None), (tt.one_peer_exponential(4), None), (tt.star(6), None), (law, (Ws, p))]
    for scheme, outcomes in cases:
        ours = exact_curve(tt.ring(n) if outcomes else scheme, alg, lr=lr, d=4, steps=30, outcomes=outcomes, **hp)
        theirs = tt.loss_curve(scheme, lr=lr, zeta=tt.zeta(4), steps=30, algorithm=alg, **hp)
        np.testing.assert_allclose(theirs, ours, rtol=1e-9, err_msg=f"{scheme.name} {alg} {hp}")
