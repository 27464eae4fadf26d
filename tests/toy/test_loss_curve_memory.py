"""Exact loss curves of large sparse schemes: the dense Gram recursion against an independent dense
numpy recursion at n ~ 1000 (the matrix-free route has no loss curve of its own), learning rates in
batches that fit, and the refusal, before anything is allocated, of a scheme whose Gram matrices cannot."""

import time

import numpy as np
import pytest

import topotheory as tt
import topotheory.toy.quadratic as quadratic
from topotheory.engine import resolve


def dense_loss_curve(W, lr, zeta, steps):
    """``C <- W (a C + beta Diag C) W^T`` from ``C = 11^T``, loss ``tr C / (2n)`` (THEORY §3.2)."""
    a, beta = (1 - lr) ** 2, (zeta - 1) * lr**2
    n = W.shape[0]
    C = np.ones((n, n))
    out = [np.trace(C) / (2 * n)]
    for _ in range(steps):
        C = W @ (a * C + beta * np.diag(np.diag(C))) @ W.T
        out.append(np.trace(C) / (2 * n))
    return np.array(out)


def test_sparse_scheme_loss_curve_equals_dense_recursion():
    s = tt.random_regular(1000, 6, seed=5, method="pairing")
    assert s.is_sparse(0)
    got = tt.loss_curve(s, lr=[0.05, 0.2], zeta=20, steps=6)
    W = s.sparse_matrix(0).toarray()
    for row, lr in zip(got, (0.05, 0.2)):
        np.testing.assert_allclose(row, dense_loss_curve(W, lr, 20, 6), rtol=1e-12)
    # the same through the matrix-free representation's propagator
    rec = resolve(s, "krylov").second_moments(*quadratic._coefficients(np.array([0.05]), 20.0)[:2], None)
    rec.step(0)
    assert rec.loss()[0] == pytest.approx(got[0, 1], rel=1e-14)


def test_learning_rates_in_batches_give_the_same_curves(monkeypatch):
    s = tt.random_regular(600, 4, seed=2, method="pairing")
    lrs = [0.01, 0.05, 0.1, 0.3]
    whole = tt.loss_curve(s, lr=lrs, zeta=10, steps=4)
    monkeypatch.setattr(quadratic, "MEMORY_LIMIT", 1.5 * 32 * 600**2)  # one learning rate per batch
    np.testing.assert_array_equal(tt.loss_curve(s, lr=lrs, zeta=10, steps=4), whole)


def test_too_large_for_the_exact_curve_is_refused_at_once():
    s = tt.random_regular(100_000, 6, seed=1, method="pairing")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"n = 100000 would need about 3\.2e\+11 bytes.*simulate_dsgd.*quadratic_rate_interval"):
        tt.loss_curve(s, lr=0.05, zeta=10, steps=3)
    assert time.perf_counter() - t0 < 1.0  # nothing was allocated
