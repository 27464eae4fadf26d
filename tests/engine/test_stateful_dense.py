"""The algorithms' dense route on symmetric matrices and its stability test, against the full map."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine.stateful import _gossips, _invariant_basis, propagate, stateful_rho, stateful_stable

ZETA = 6.0


def _full_map_rho(scheme, name, lr, hp):
    """rho of the one-period map on all (s n)^2 (or invariant-reduced k^2) coordinates, by eigvals."""
    rec = tt.ALGORITHMS[name].recursion(lr=lr, zeta=ZETA, **hp)
    n, s = scheme.n, rec.size
    U = _invariant_basis(rec, n)
    k = s * n if U is None else U.shape[1]
    basis = np.eye(k * k).reshape(k * k, k, k)
    S = basis if U is None else U @ basis @ U.T
    T = S.reshape(-1, s, n, s, n).swapaxes(-3, -2)
    gossips = _gossips(scheme)
    for t in range(scheme.period):
        T = propagate(T, rec, gossips, t)
    X = T.swapaxes(-3, -2).reshape(-1, s * n, s * n)
    if U is not None:
        X = U.T @ X @ U
    return float(np.max(np.abs(np.linalg.eigvals(X.reshape(k * k, k * k).T))))


SCHEMES = {"star4": tt.star(4), "chain3": tt.chain(3), "local3": tt.local_steps(3, 2), "pairwise3": tt.pairwise_gossip(3)}
CASES = [("dmsgd", {"momentum": 0.8}), ("gradient_tracking", {}), ("choco", {"ratio": 0.5, "consensus_step": 0.3}),
         ("delayed", {"delay": 1})]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("key", list(SCHEMES))
def test_symmetric_coordinates_keep_the_spectral_radius(key, case):
    name, hp = case
    scheme = SCHEMES[key]
    if key == "pairwise3" and name == "gradient_tracking":
        pytest.skip("two gossips per step: refused on random schemes")
    lrs = np.array([0.02, 0.15, 0.6])
    rho, route, _, _ = stateful_rho(scheme, tt.ALGORITHMS[name].recursion(lr=lrs, zeta=ZETA, **hp), route="dense")
    assert route == "stateful-dense"
    full = [_full_map_rho(scheme, name, lr, hp) for lr in lrs]
    np.testing.assert_allclose(rho, full, rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_stability_test_equals_rho_below_one_across_the_edge(case):
    name, hp = case
    for scheme in (tt.star(4), tt.local_steps(3, 2)):
        edge = tt.max_learning_rate(scheme, zeta=ZETA, algorithm=name, **hp)
        lr = np.concatenate([np.geomspace(1e-3, 3.0, 25), edge * np.array([1 - 1e-6, 1 + 1e-6])])
        rec = tt.ALGORITHMS[name].recursion(lr=lr, zeta=ZETA, **hp)
        rho = stateful_rho(scheme, rec, route="dense")[0]
        got = stateful_stable(scheme, rec)
        assert got.tolist() == (rho < 1.0).tolist()
        assert got[-2] and not got[-1]  # the edge separates the two
        # the edge is where rho = 1 (the Brent root on the eigensolver's rho)
        r = [_full_map_rho(scheme, name, e, hp) for e in edge * np.array([1 - 1e-9, 1 + 1e-9])]
        assert r[0] < 1.0 <= r[1] or abs(r[0] - 1.0) < 1e-12


def test_stability_test_on_other_routes_compares_rho():
    rec = tt.ALGORITHMS["dmsgd"].recursion(lr=np.array([0.01, 0.4, 2.0]), zeta=ZETA, momentum=0.5)
    for scheme in (tt.ring(8), tt.star(13)):  # Fourier and eigen routes
        rho = stateful_rho(scheme, rec)[0]
        assert stateful_stable(scheme, rec).tolist() == (rho < 1.0).tolist()


def test_arnoldi_route_per_batch_element_equals_the_eigen_route():
    # (s n)^2 = 676 > DENSE_LIMIT: ARPACK on the matrix-free map, one batch element at a time
    for lr in (np.array([0.02, 0.1]), 0.05):
        rec = tt.ALGORITHMS["dmsgd"].recursion(lr=lr, zeta=ZETA, momentum=0.5)
        arnoldi, route, res, conv = stateful_rho(tt.star(13), rec, route="dense")
        eig = stateful_rho(tt.star(13), rec, route="eigen")[0]
        assert route == "stateful-arnoldi" and conv.all() and np.all(res < 1e-8)
        np.testing.assert_allclose(arnoldi, eig, rtol=0, atol=1e-11)
