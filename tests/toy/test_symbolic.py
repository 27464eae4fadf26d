"""Tests of topotheory.symbolic: the derivations against independent numerical routes."""

import numpy as np
import pytest
import sympy as sp

import topotheory as tt
from topotheory import symbolic


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("b", [1, 2, 4])
def test_noise_level_isserlis_matches_closed_form(d, b):
    assert symbolic.noise_level(d, batch_size=b) == sp.Rational(1 + b + d, b)
    assert float(symbolic.noise_level(d, batch_size=b)) == tt.zeta(d, batch_size=b)


def test_noise_level_matches_monte_carlo():
    """E|g|^2/|x|^2 by sampling (independent of Isserlis): d = 3, b = 2 gives 3."""
    rng = np.random.default_rng(0)
    d, b, reps = 3, 2, 200_000
    x = np.array([0.3, -1.0, 2.0])
    a = rng.standard_normal((reps, b, d))
    g = np.einsum("rkd,rk->rd", a, a @ x) / b
    est = np.mean(np.sum(g**2, axis=1)) / (x @ x)
    assert est == pytest.approx(float(symbolic.noise_level(d, batch_size=b)), rel=0.02)


def test_second_moment_coefficients_match_sampling():
    """a + beta = E|(I - eta a a^T)x|^2/|x|^2 and a = (1 - eta)^2, by sampling for d = 2."""
    eta_s, zeta_s, _, _ = symbolic.symbols()
    a_expr, b_expr = symbolic.second_moment_coefficients()
    rng = np.random.default_rng(1)
    eta, d, reps = 0.3, 2, 200_000
    x = np.array([1.0, 0.5])
    A = rng.standard_normal((reps, d))
    y = x - eta * A * (A @ x)[:, None]
    est = np.mean(np.sum(y**2, axis=1)) / (x @ x)
    z = tt.zeta(d)
    assert est == pytest.approx(float((a_expr + b_expr).subs({eta_s: eta, zeta_s: z})), rel=0.01)
    # off-diagonal: two independent workers
    A2 = rng.standard_normal((reps, d))
    y2 = x - eta * A2 * (A2 @ x)[:, None]
    est2 = np.mean(np.sum(y * y2, axis=1)) / (x @ x)
    assert est2 == pytest.approx(float(a_expr.subs({eta_s: eta})), rel=0.01)


def test_closed_forms_are_consistent():
    eta, zeta, n, _ = symbolic.symbols()
    alone = symbolic.closed_forms("alone")
    full = symbolic.closed_forms("fully_connected")
    assert sp.simplify(alone["rate"] - (2 * eta - zeta * eta**2)) == 0
    assert sp.simplify(full["rate"] - (2 * eta - eta**2 * (1 + (zeta - 1) / n))) == 0
    # n = 1 fully connected is alone
    for key in alone:
        assert sp.simplify(full[key].subs(n, 1) - alone[key]) == 0
    assert sp.simplify(full["optimal_rate"] - full["optimal_lr"]) == 0


def test_secular_equation_forms():
    eq = symbolic.secular_equation()
    assert isinstance(eq, sp.Eq) and eq.rhs.has(sp.Sum)
    eq3 = symbolic.secular_equation([1, 0, 0])
    _, _, _, rho = symbolic.symbols()
    sol = sp.solve(eq3, rho)
    eta, zeta, _, _ = symbolic.symbols()
    assert sp.simplify(sol[0] - ((1 - eta) ** 2 + (zeta - 1) * eta**2 / 3)) == 0


@pytest.mark.parametrize("spectrum, make", [
    ([1, "1/3", "1/3", "-1/3"], lambda: tt.ring(4)),
    ([1, "1/2", "1/2", "1/2", 0, 0, 0, "-1/2"], lambda: tt.hypercube(8)),
    ([1, "1/2", "1/2", "1/2", 0, 0, 0, "-1/2"], lambda: tt.torus(2, 4)),  # merged neighbours: a 3-cube
    ([1] + ["7/10"] * 4, lambda: tt.mix(5, 0.3)),
])
def test_secular_rate_matches_numerics(spectrum, make):
    s = make()
    np.testing.assert_allclose(np.sort(s.eigenvalues()), np.sort([float(sp.nsimplify(x)) for x in spectrum]),
                               atol=1e-12)
    eta, zeta, _, _ = symbolic.symbols()
    expr = symbolic.secular_rate(spectrum)
    f = sp.lambdify((eta, zeta), expr, "numpy")
    for lr, z in [(0.01, 10.0), (0.1, 10.0), (0.3, 2.0)]:
        assert tt.quadratic_rate(s, lr=lr, zeta=z) == pytest.approx(float(np.real(f(lr, z))), rel=1e-11)


def test_oracle_arguments_and_bad_input():
    assert symbolic.oracle("alone", "max_lr")(50.0) == pytest.approx(0.04)
    assert symbolic.oracle("fully_connected", "rate")(0.1, 10.0, 4) == pytest.approx(0.2 - 0.01 * (1 + 9 / 4))
    with pytest.raises(ValueError, match="kind must be one of"):
        symbolic.closed_forms("ring")
    with pytest.raises(ValueError, match="quantity must be one of"):
        symbolic.oracle("alone", "slope")
    with pytest.raises(ValueError, match="d must be >= 1"):
        symbolic.noise_level(0)
    with pytest.raises(ValueError, match="d must be <= 12"):
        symbolic.noise_level(100)


@pytest.mark.parametrize("bad, err, msg", [
    ([], ValueError, "between 1 and 64"), ("abc", TypeError, "sequence of numbers"),
    (None, TypeError, "sequence of numbers"), ([1, 2], ValueError, r"lie in \[-1, 1\], got 2"),
    ([1, 1j], ValueError, "finite real"), ([1, float("nan")], ValueError, "finite real"),
    ([True], TypeError, "real numbers or sympy"), ([1, "x+"], TypeError, "real numbers or sympy"),
])
def test_secular_rate_refuses_bad_spectra(bad, err, msg):
    with pytest.raises(err, match=rf"^eigenvalues .*{msg}"):
        tt.symbolic.secular_rate(bad)
