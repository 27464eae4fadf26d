"""The float32 path of the D-SGD simulator (``simulate_dsgd(dtype="float32")``).

Oracles: the exact expected loss of :func:`topotheory.loss_curve` (the second-moment recursion),
inside pointwise bands of ``BAND_Z`` replica standard errors (test_montecarlo.py checks the other
gossip kinds in both precisions against its own recursion);
the dtypes seen by every gossip product (a spy on the simulator's gossip); exact power-of-two
rescaling (bit-for-bit equal trajectories of a start scaled by 2**k).
"""

import pickle
import warnings

import numpy as np
import pytest

import topotheory as tt
from topotheory.simulate import montecarlo
from topotheory.simulate.montecarlo import (
    DSGDSimulation,
    apply_gossip,
    check_dtype,
    concat_simulations,
    estimate_rate,
    gossip_plan,
    simulate_dsgd,
)

BAND_Z = 5.0


#: one scheme per gossip kind of the simulator's plan
KINDS = {
    "dense": lambda: tt.ring(8),
    "sparse": lambda: tt.ring(16),
    "identity + average": lambda: tt.local_steps(8, 3),
    "dense non-symmetric, periodic": lambda: tt.one_peer_exponential(8),
    "random": lambda: tt.random_matching(8),
}


def test_float32_random_gossip_follows_exact_recursion():
    # the per-draw cast of random gossip matrices (the other kinds: test_montecarlo.py)
    scheme, lr, d, steps = tt.random_matching(8), 0.1, 10, 40
    sim = simulate_dsgd(scheme, lr=lr, d=d, steps=steps, reps=400, seed=7, dtype="float32")
    exact = tt.loss_curve(scheme, lr=lr, zeta=d + 2, steps=steps)
    assert np.all(np.abs(sim.loss - exact)[1:] <= BAND_Z * sim.loss_sem[1:])
    assert np.all(sim.loss_sem[1:] < 0.15 * exact[1:])


def test_float32_consensus_distance_matches_recursion():
    scheme, lr, d, steps = tt.ring(6), 0.1, 5, 25
    X0 = np.random.default_rng(0).standard_normal((6, d))
    sim = simulate_dsgd(scheme, lr=lr, d=d, steps=steps, reps=2000, x0=X0, seed=3, dtype=np.float32)
    a, b = (1 - lr) ** 2, (d + 1) * lr**2
    C = X0 @ X0.T
    for t in range(steps):
        C = scheme.matrix(t) @ (a * C + b * np.diag(np.diag(C))) @ scheme.matrix(t).T
    assert sim.consensus[0] == pytest.approx(np.mean(np.sum((X0 - X0.mean(0)) ** 2, 1)), rel=1e-6)
    assert sim.consensus[-1] == pytest.approx(np.trace(C) / 6 - C.sum() / 36, rel=0.06)
    # an exact average leaves no consensus distance in float32 either (the direct pass is taken)
    fc = simulate_dsgd(tt.fully_connected(4), lr=0.2, d=3, steps=10, reps=5, seed=0, dtype="float32")
    assert np.all(fc.consensus <= 1e-25 * fc.loss)


def _spy(monkeypatch):
    """Record (kind, input dtype, output dtype, matrix dtype) of every gossip the simulator makes."""
    seen = []

    def spy(op, X, out, rng=None, reps=None):
        R = apply_gossip(op, X, out, rng, reps)
        M = op[1]
        seen.append((op[0], X.dtype, R.dtype, getattr(M, "dtype", None)))
        return R

    monkeypatch.setattr(montecarlo, "_gossip", spy)
    return seen


def _upcasts(seen):
    """The gossips that left float32: a float64 input, output or matrix (random laws are cast per draw)."""
    return [(kind, x, r, m) for kind, x, r, m in seen
            if x != np.float32 or r != np.float32 or (kind != "random" and m is not None and m != np.float32)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_float32_is_kept_along_the_path(monkeypatch, kind):
    scheme = KINDS[kind]()
    seen = _spy(monkeypatch)
    simulate_dsgd(scheme, lr=0.1, d=3, steps=4, reps=3, seed=0, threads=1, dtype="float32")
    assert len(seen) == 4 and _upcasts(seen) == []


@pytest.mark.parametrize("scheme", [tt.ring(8), tt.ring(16)], ids=["dense", "sparse"])
def test_a_planted_upcast_is_caught(monkeypatch, scheme):
    # the fault: the gossip matrices left in float64. numpy then computes a dense product in
    # float64 into the float32 buffer (silently: only the spy sees it), and returns a sparse one
    # as a float64 array (the simulator's next float32 einsum refuses it)
    plan64 = montecarlo.gossip_plan
    monkeypatch.setattr(montecarlo, "_gossip_plan", lambda scheme, dtype: plan64(scheme))
    seen = _spy(monkeypatch)
    kw = dict(lr=0.1, d=3, steps=2, reps=2, seed=0, threads=1, dtype="float32")
    if scheme.n == 8:
        simulate_dsgd(scheme, **kw)
    else:
        with pytest.raises(TypeError, match="cast"):
            simulate_dsgd(scheme, **kw)
    assert {k for k, *_ in seen} == {"dense" if scheme.n == 8 else "sparse"}
    assert len(_upcasts(seen)) == len(seen) >= 1


def test_gossip_plan_and_products_in_each_precision():
    rng = np.random.default_rng(0)
    schemes = [tt.ring(8), tt.ring(16), tt.fully_connected(8), tt.solo(8), tt.random_matching(8)]
    for dt in (np.float32, np.float64):
        for scheme in schemes:
            X = rng.standard_normal((scheme.n, 6)).astype(dt)
            for op in gossip_plan(scheme, dt):
                if op[0] in ("sparse", "dense"):
                    assert op[1].dtype == dt
                R = apply_gossip(op, X, np.empty_like(X), rng, 2)
                assert R.dtype == dt, op[0]
                if op[0] in ("sparse", "dense"):  # the same product, to the precision's rounding
                    ref = scheme.matrix(0) @ X.astype(np.float64)
                    np.testing.assert_allclose(R, ref, rtol=0, atol=10 * np.finfo(dt).eps * np.abs(ref).max())


@pytest.mark.parametrize(
    "dtype, exc",
    [("int64", ValueError), ("float16", ValueError), (np.complex128, ValueError), ("nonsense", TypeError),
     (True, TypeError), (3, TypeError), (object(), TypeError)],
)
def test_bad_dtype(dtype, exc):
    with pytest.raises(exc, match="dtype"):
        simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=2, dtype=dtype)


def test_accepted_dtypes():
    assert [check_dtype(x).name for x in ("float32", np.float32, np.dtype("float32"))] == ["float32"] * 3
    assert [check_dtype(x).name for x in ("float64", np.float64, float, np.dtype("f8"))] == ["float64"] * 4


def test_float32_is_deterministic_and_recorded():
    kw = dict(lr=0.1, d=6, steps=30, reps=40, seed=11, chunk_size=16, dtype="float32")
    a = simulate_dsgd(tt.ring(8), threads=1, **kw)
    b = simulate_dsgd(tt.ring(8), threads=2, **kw)
    c = simulate_dsgd(tt.ring(8), threads=1, **dict(kw, dtype="float64"))
    np.testing.assert_array_equal(a.replica_loss, b.replica_loss)
    np.testing.assert_array_equal(a.consensus, b.consensus)
    assert not np.array_equal(a.replica_loss, c.replica_loss)
    assert a.dtype == "float32" and c.dtype == "float64" and a.seed == 11
    assert a.to_dict()["dtype"] == "float32" and "dtype='float32'" in repr(a) and "dtype" not in repr(c)
    assert pickle.loads(pickle.dumps(a)).dtype == "float32"
    with pytest.raises(ValueError, match="one setting"):
        concat_simulations([a, c])
    assert concat_simulations([a, b]).dtype == "float32"


def test_result_without_dtype_is_float64():
    sim = DSGDSimulation(scheme="s", n=1, d=1, lr=0.1, batch_size=1, steps=1, reps=1, period=1, seed=None,
                         chunk_size=1, loss=np.ones(2), loss_sem=np.ones(2), consensus=np.zeros(2),
                         replica_loss=None, diverged=False, diverged_step=-1, n_diverged=0)
    assert sim.dtype == "float64"
    old = pickle.loads(pickle.dumps(sim))
    del old.__dict__["dtype"]  # a pickle from before the field existed
    assert old.dtype == "float64"


@pytest.mark.parametrize("k", [-100, 100])
def test_float32_rescaling_is_exact_beyond_float32_range(k):
    # a start 2**k times larger: its squares would under/overflow in float32 without rescaling
    kw = dict(lr=0.1, d=10, steps=300, reps=8, seed=3, dtype="float32")
    x0 = np.full(10, 10**-0.5)
    ref = simulate_dsgd(tt.ring(8), x0=x0, **kw)
    far = simulate_dsgd(tt.ring(8), x0=np.ldexp(x0, k), **kw)
    assert ref.loss[-1] < 2.0**-70  # the reference run itself is rescaled along the way
    np.testing.assert_array_equal(far.replica_loss, np.ldexp(ref.replica_loss, 2 * k))


def test_float32_divergence_is_flagged_at_the_true_threshold():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = simulate_dsgd(tt.solo(4), lr=1.0, d=48, steps=400, reps=20, seed=0, dtype="float32")
        est = estimate_rate(sim)
    assert sim.diverged and 0 < sim.diverged_step < 400 and sim.n_diverged >= 1
    assert np.isinf(sim.loss[sim.diverged_step:]).all()
    finite = sim.replica_loss[:, : sim.diverged_step]
    assert np.isfinite(finite).all() and finite.max() > 1e200  # far beyond float32's 3.4e38
    assert np.isnan(est.rate) and est.diverged
