"""Exact theory of the registry's algorithms against independent routes (tests/oracles.py)."""

import math

import numpy as np
import oracles
import pytest

import topotheory as tt
from topotheory.engine.stateful import stateful_rho

# Exact diffusion also runs on non-symmetric panels here (the routes must agree there too): the warning it
# raises on them is tested in tests/algorithms/test_registry.py.
pytestmark = pytest.mark.filterwarnings("ignore:algorithm 'exact_diffusion' assumes a symmetric:UserWarning")

CASES = [
    ("dsgd_gossip_first", {}),
    ("dmsgd", {"momentum": 0.6}),
    ("dmsgd", {"momentum": 0.8, "gossip_momentum": True}),
    ("dmsgd_nesterov", {"momentum": 0.7}),
    ("dmsgd_nesterov", {"momentum": 0.5, "gossip_momentum": True}),
    ("qgm", {"momentum": 0.6}),
    ("gradient_tracking", {}),
    ("exact_diffusion", {}),
    ("exact_diffusion", {"combine": "plain"}),
    ("choco", {"ratio": 0.5, "consensus_step": 0.3}),
    ("delayed", {"delay": 1}),
    ("delayed", {"delay": 2}),
]
LRS = np.array([0.01, 0.05, 0.15])
ZETA = 6.0


def _ids(case):
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


def _static(name):
    return {"ring": tt.ring(4), "star": tt.star(4), "chain": tt.chain(3)}[name]


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("graph", ["ring", "star", "chain"])
def test_rate_equals_kronecker_oracle_static(case, graph):
    name, hp = case
    scheme = _static(graph)
    lrs = LRS if graph == "ring" else LRS[1:]
    got = tt.quadratic_rate(scheme, lr=lrs, zeta=ZETA, algorithm=name, log=True, **hp)
    for k, lr in enumerate(lrs):
        rho, *_ = oracles.algorithm_oracle(name, [scheme.matrix(0)], lr, ZETA, hp)
        assert abs(got.spectral_radius[k] - rho) < 1e-10, (lr, got.spectral_radius[k], rho)


@pytest.mark.parametrize("case", CASES[:8] + CASES[9:11], ids=_ids)
def test_rate_equals_kronecker_oracle_periodic(case):
    name, hp = case
    scheme = tt.one_peer_exponential(4)
    local = tt.local_steps(3, 2)
    for s in (scheme, local):
        got = tt.quadratic_rate(s, lr=LRS[:2], zeta=ZETA, algorithm=name, log=True, **hp)
        for k, lr in enumerate(LRS[:2]):
            rho, *_ = oracles.algorithm_oracle(name, [s.matrix(t) for t in range(s.period)], lr, ZETA, hp)
            assert abs(got.spectral_radius[k] - rho) < 1e-10, (s, lr, got.spectral_radius[k], rho)


@pytest.mark.parametrize("case", [CASES[1], CASES[3], CASES[5], CASES[6], CASES[7], CASES[9], CASES[10]], ids=_ids)
def test_rate_equals_kronecker_oracle_random(case):
    name, hp = case
    law = tt.pairwise_gossip(3)
    Ws, p = law.outcomes()
    got = tt.quadratic_rate(law, lr=LRS[:2], zeta=ZETA, algorithm=name, log=True, **hp)
    assert got.route == "stateful-dense"
    for k, lr in enumerate(LRS[:2]):
        rho, *_ = oracles.algorithm_oracle(name, list(Ws), lr, ZETA, hp, probabilities=list(p), period_matrices=False)
        assert abs(got.spectral_radius[k] - rho) < 1e-10


def test_random_scheme_with_two_gossips_is_refused():
    law = tt.pairwise_gossip(3)
    rec = tt.ALGORITHMS["dsgd"].recursion(lr=0.1, zeta=2.0)
    import dataclasses

    two = dataclasses.replace(rec, step=rec.step + rec.step[1:])
    with pytest.raises(ValueError, match="at most one gossip"):
        stateful_rho(law, two)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "delayed" or c[1]["delay"] == 1], ids=_ids)
@pytest.mark.parametrize("scheme", [tt.ring(4), tt.one_peer_exponential(4), tt.fully_connected(3), tt.torus(2, 2)],
                         ids=["ring4", "onepeer4", "full3", "torus2x2"])
def test_fourier_route_equals_dense_route(case, scheme):
    name, hp = case
    rng = np.random.default_rng(3)
    lr = np.concatenate([rng.uniform(0.002, 0.4, 3), [tt.max_learning_rate(scheme, zeta=ZETA) * 0.999]])
    rec = tt.ALGORITHMS[name].recursion(lr=lr, zeta=ZETA, **hp)
    four, route, _, conv = stateful_rho(scheme, rec, route="fourier")
    dense, _, _, _ = stateful_rho(scheme, rec, route="dense")
    assert route == "stateful-fourier" and conv.all()
    np.testing.assert_allclose(four, dense, rtol=0, atol=1e-10)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("dsgd_gossip_first", "dmsgd", "dmsgd_nesterov", "qgm",
                                                                  "delayed") and c[1].get("delay", 1) == 1], ids=_ids)
def test_eigen_route_equals_dense_route(case):
    name, hp = case
    for scheme in (tt.star(5), tt.two_cliques(6)):
        rec = tt.ALGORITHMS[name].recursion(lr=np.array([0.01, 0.08, 0.3]), zeta=ZETA, **hp)
        eig, route, _, conv = stateful_rho(scheme, rec, route="eigen")
        dense, _, _, _ = stateful_rho(scheme, rec, route="dense")
        assert route == "stateful-eigen" and conv.all()
        np.testing.assert_allclose(eig, dense, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="route='eigen'"):
        stateful_rho(tt.star(5), tt.ALGORITHMS["gradient_tracking"].recursion(lr=0.1, zeta=ZETA), route="eigen")


def test_large_irregular_graph_uses_the_eigen_route():
    got = tt.quadratic_rate(tt.star(13), lr=0.02, zeta=ZETA, algorithm="dmsgd", momentum=0.5, log=True)
    assert got.route == "stateful-eigen"
    dense, _, _, _ = stateful_rho(tt.star(13), tt.ALGORITHMS["dmsgd"].recursion(lr=0.02, zeta=ZETA, momentum=0.5),
                                  route="dense")
    assert abs(got.spectral_radius - dense[0]) < 1e-12


def test_dsgd_declaration_reproduces_the_dsgd_route():
    for scheme in (tt.ring(8), tt.star(5), tt.one_peer_exponential(8), tt.pairwise_gossip(4)):
        rec = tt.ALGORITHMS["dsgd"].recursion(lr=LRS, zeta=ZETA)
        rho, _, _, _ = stateful_rho(scheme, rec)
        rate = 1 - rho ** (1 / scheme.period)
        np.testing.assert_allclose(rate, tt.quadratic_rate(scheme, lr=LRS, zeta=ZETA), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("scheme", [tt.ring(6), tt.star(5), tt.one_peer_exponential(8)], ids=["ring", "star", "onepeer"])
def test_reductions_to_dsgd(scheme):
    dsgd = tt.quadratic_rate(scheme, lr=LRS, zeta=ZETA)
    for name in ("dmsgd", "dmsgd_nesterov", "qgm"):
        for gm in ((False, True) if name != "qgm" else (None,)):
            hp = {"momentum": 0.0} if gm is None else {"momentum": 0.0, "gossip_momentum": gm}
            got = tt.quadratic_rate(scheme, lr=LRS, zeta=ZETA, algorithm=name, **hp)
            if name == "dmsgd" and gm:  # the gossiped buffer of momentum 0 is never read: still D-SGD
                pass
            np.testing.assert_allclose(got, dsgd, rtol=0, atol=1e-11, err_msg=f"{name} {hp}")
    np.testing.assert_allclose(tt.quadratic_rate(scheme, lr=LRS, zeta=ZETA, algorithm="delayed", delay=0), dsgd,
                               rtol=0, atol=1e-12)
    gamma = 0.4
    if scheme.period == 1:
        mixed = tt.Scheme.from_matrix((1 - gamma) * np.eye(scheme.n) + gamma * scheme.matrix(0))
        got = tt.quadratic_rate(scheme, lr=LRS, zeta=ZETA, algorithm="choco", ratio=1.0, consensus_step=gamma)
        np.testing.assert_allclose(got, tt.quadratic_rate(mixed, lr=LRS, zeta=ZETA), rtol=0, atol=1e-11)


def test_gradient_tracking_fully_connected_is_not_centralized_sgd():
    # the registry's DIGing rule: x_i' = mean(x) - lr y_i differ across workers, so the rate is not
    # centralized SGD's 2 lr - lr^2 (1 + (zeta - 1)/n); it is what the dense oracle says
    n, lr = 4, 0.05
    full = tt.fully_connected(n)
    got = tt.quadratic_rate(full, lr=lr, zeta=ZETA, algorithm="gradient_tracking")
    central = 2 * lr - lr**2 * (1 + (ZETA - 1) / n)
    rho, *_ = oracles.algorithm_oracle("gradient_tracking", [full.matrix(0)], lr, ZETA, {})
    assert abs(got - (1 - rho)) < 1e-12
    assert abs(got - central) > 1e-5
    # without noise it is gradient descent (its rate the spectral radius of the deterministic map)
    assert abs(tt.quadratic_rate(full, lr=lr, zeta=1.0, algorithm="gradient_tracking") - lr * (2 - lr)) < 1e-12


# ------------------------------------------------------------------------------- loss curves
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_loss_curve_equals_dense_propagation(case):
    name, hp = case
    for scheme in (tt.star(4), tt.one_peer_exponential(4)):
        lr = 0.08
        got = tt.loss_curve(scheme, lr=lr, zeta=ZETA, steps=12, algorithm=name, **hp)
        Ks = [oracles.algorithm_kron_moment(name, [scheme.matrix(t)], lr, ZETA, hp) for t in range(scheme.period)]
        _, _, v, read = oracles.algorithm_oracle(name, [scheme.matrix(0)], lr, ZETA, hp)
        want = [read @ v]
        for t in range(12):
            v = Ks[t % scheme.period] @ v
            want.append(read @ v)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_loss_curve_batches_and_decays_at_the_rate():
    scheme = tt.ring(6)
    curves = tt.loss_curve(scheme, lr=[0.02, 0.05], zeta=ZETA, steps=400, algorithm="dmsgd", momentum=0.5)
    assert curves.shape == (2, 401)
    rates = tt.quadratic_rate(scheme, lr=[0.02, 0.05], zeta=ZETA, algorithm="dmsgd", momentum=0.5)
    np.testing.assert_allclose(1 - curves[:, -1] / curves[:, -2], rates, rtol=1e-6)


# ------------------------------------------------------------------------- stability and optima
def test_max_learning_rate_is_the_edge():
    scheme = tt.ring(8)
    for name, hp in [("dmsgd", {"momentum": 0.5}), ("gradient_tracking", {}), ("choco", {"consensus_step": 0.1})]:
        edge = tt.max_learning_rate(scheme, zeta=ZETA, algorithm=name, **hp)
        below = tt.quadratic_rate(scheme, lr=edge * (1 - 1e-7), zeta=ZETA, algorithm=name, **hp)
        above = tt.quadratic_rate(scheme, lr=edge * (1 + 1e-7), zeta=ZETA, algorithm=name, **hp)
        assert below > 0 and math.isnan(above)
    assert abs(tt.max_learning_rate(scheme, zeta=ZETA, algorithm="dmsgd", momentum=0.0)
               - tt.max_learning_rate(scheme, zeta=ZETA)) < 1e-11


def test_optimal_hyperparameters_beat_a_fine_grid():
    scheme = tt.ring(8)
    res = tt.optimal_hyperparameters(scheme, zeta=20.0, algorithm="dmsgd")
    assert isinstance(res, tt.OptimalHyperparameters) and res.tuned == ("lr", "momentum")
    lrs = np.linspace(0.5, 1.5, 41) * res.lr
    betas = np.clip(res.hyperparameters["momentum"] + np.linspace(-0.2, 0.2, 41), 0, 0.999)
    grid = tt.quadratic_rate(scheme, lr=lrs[:, None], zeta=20.0, algorithm="dmsgd", momentum=betas[None, :])
    assert res.rate >= np.nanmax(grid) - 1e-10
    i, j = np.unravel_index(np.nanargmax(grid), grid.shape)
    assert abs(lrs[i] - res.lr) <= 2 * (lrs[1] - lrs[0]) and abs(betas[j] - res.hyperparameters["momentum"]) <= 0.02
    # the learning rate alone: D-SGD's optimum (delay 0)
    one = tt.optimal_hyperparameters(scheme, zeta=20.0, algorithm="delayed", delay=0)
    ref = tt.optimal_learning_rate(scheme, zeta=20.0)
    assert abs(one.rate - ref.rate) < 1e-12 and abs(one.lr - ref.lr) < 1e-5
    d = res.to_dict()
    assert d["algorithm"] == "dmsgd" and d["hyperparameters"]["gossip_momentum"] is False


def test_optimal_consensus_step_beats_grid():
    scheme = tt.ring(6)
    res = tt.optimal_hyperparameters(scheme, zeta=10.0, algorithm="choco", ratio=0.5)
    assert res.tuned == ("lr", "consensus_step")
    lrs = np.linspace(0.6, 1.4, 21) * res.lr
    gams = np.clip(res.hyperparameters["consensus_step"] * np.linspace(0.6, 1.4, 21), 1e-4, 1)
    grid = tt.quadratic_rate(scheme, lr=lrs[:, None], zeta=10.0, algorithm="choco", ratio=0.5,
                             consensus_step=gams[None, :])
    assert res.rate >= np.nanmax(grid) - 1e-10


# ---------------------------------------------------------------------------------- bad input
def test_bad_input():
    ring = tt.ring(4)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="dmsgd", momentum=1.0)
    with pytest.raises(ValueError, match="momentum"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="dmsgd", momentum=[0.5, 1.2])
    with pytest.raises(ValueError, match="ratio"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="choco", ratio=0.0)
    with pytest.raises(ValueError, match="delay"):
        tt.loss_curve(ring, lr=0.1, zeta=5, steps=3, algorithm="delayed", delay=-1)
    with pytest.raises(ValueError, match="'dsgd', 'dsgd_gossip_first'"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="adam")
    with pytest.raises(TypeError, match="its hyper-parameters are: momentum, gossip_momentum"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="dmsgd", beta=0.5)
    with pytest.raises(TypeError, match="takes no hyper-parameter"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, momentum=0.5)  # dsgd has none
    with pytest.raises(ValueError, match="not linear in second moments"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="choco", compression="quantize")
    with pytest.raises(ValueError, match="D-SGD route"):
        tt.quadratic_rate(ring, lr=0.1, zeta=5, algorithm="dmsgd", method="secular")
    with pytest.raises(ValueError, match="finite scheme"):
        tt.quadratic_rate(tt.infinite_ring(), lr=0.1, zeta=5, algorithm="dmsgd")
    with pytest.raises(ValueError, match="lr must be"):
        tt.quadratic_rate(ring, lr=-0.1, zeta=5, algorithm="dmsgd")
    with pytest.raises(ValueError, match="tune must be one of"):
        tt.optimal_hyperparameters(ring, zeta=5, algorithm="gradient_tracking", tune=("lr", "momentum"))
    with pytest.raises(TypeError, match="is tuned"):
        tt.optimal_hyperparameters(ring, zeta=5, algorithm="dmsgd", tune=("lr", "momentum"), momentum=0.5)


def test_divergence_is_nan_with_a_flag():
    res = tt.quadratic_rate(tt.ring(4), lr=[0.05, 3.0], zeta=5, algorithm="dmsgd", momentum=0.9, log=True)
    assert math.isnan(res.rate[1]) and res.diverged.tolist() == [False, True] and res.spectral_radius[1] >= 1
    assert res.to_dict()["algorithm"] == "dmsgd"


def test_eigen_route_batched_grid_equals_dense_and_lanczos(monkeypatch):
    # a 2-D (lr x momentum) batch solved at once equals the dense route point by point, and the
    # matrix-free Lanczos evaluation (used above EIGEN_EXPLICIT) equals the explicit K
    import topotheory.engine.stateful as stateful

    scheme = tt.two_cliques(6)
    rec = tt.ALGORITHMS["dmsgd"].recursion(lr=np.array([0.01, 0.1, 0.3])[:, None], zeta=ZETA,
                                           momentum=np.array([0.0, 0.5, 0.9])[None, :])
    eig, route, _, conv = stateful_rho(scheme, rec, route="eigen")
    dense, _, _, _ = stateful_rho(scheme, rec, route="dense")
    assert route == "stateful-eigen" and conv.all() and eig.shape == (9,)
    np.testing.assert_allclose(eig, dense, rtol=0, atol=1e-12)
    monkeypatch.setattr(stateful, "EIGEN_EXPLICIT", 4)
    monkeypatch.setattr(stateful, "EIGEN_CHUNK_ENTRIES", 1)  # one element per chunk
    lanczos, _, _, conv = stateful_rho(scheme, rec, route="eigen")
    assert conv.all()
    np.testing.assert_allclose(lanczos, dense, rtol=0, atol=1e-11)
