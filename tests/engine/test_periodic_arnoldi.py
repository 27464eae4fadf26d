"""The dense route's Perron root of a one-period map: the short Arnoldi basis tried first gives the root
of the long one, and a short basis that fails (or leaves a large residual) hands over to the long one."""

import numpy as np
import pytest

import topotheory as tt
import topotheory.engine.base as base
from topotheory.engine import resolve

LR = np.array([0.05, 0.15, 0.3])
A, BETA = (1 - LR) ** 2, LR**2 * (11.0 - 1)


@pytest.fixture(scope="module", params=["base_graph", "one_peer_exponential_any", "de_bruijn"])
def periodic(request):
    make = {"base_graph": lambda: tt.base_graph(40, 2), "one_peer_exponential_any": lambda: tt.one_peer_exponential_any(24),
            "de_bruijn": lambda: tt.de_bruijn(32)}[request.param]
    return resolve(make(), "dense")


def roots(rep, ncv):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(base, "ARNOLDI_NCV", ncv)
        u, its, res, conv, route = rep.perron_excess(A, BETA)
    assert route == "arnoldi" and conv.all() and np.all(res < 1e-10)
    return u, its


def test_short_basis_gives_the_long_basis_root(periodic):
    u_long, its_long = roots(periodic, (40,))
    u, its = roots(periodic, base.ARNOLDI_NCV)
    np.testing.assert_allclose(u, u_long, rtol=1e-12, atol=1e-15)
    assert np.all(its < its_long)  # the point of the short basis: fewer applications of the map


def test_a_failing_short_basis_hands_over(periodic, monkeypatch):
    u_long, its_long = roots(periodic, (40,))
    monkeypatch.setattr(base, "ARNOLDI_RESIDUAL", 0.0)  # no short result is accepted: the long basis decides
    u, its = roots(periodic, base.ARNOLDI_NCV)
    np.testing.assert_allclose(u, u_long, rtol=1e-12, atol=1e-15)
    assert np.all(its > its_long)  # the short attempt ran, then the long one
