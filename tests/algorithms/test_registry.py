"""The algorithm registry: names, hyper-parameters and their validation."""

import pytest

import topotheory as tt
from topotheory.algorithms import check_algorithm, get_algorithm

NAMES = ["dsgd", "dsgd_gossip_first", "dmsgd", "dmsgd_nesterov", "qgm", "gradient_tracking",
         "exact_diffusion", "choco", "delayed"]


def test_registry_holds_the_issue_names_in_order():
    assert list(tt.ALGORITHMS) == NAMES
    for name, alg in tt.ALGORITHMS.items():
        assert alg.name == name and alg.state[0] == "x" and alg.rule and alg.reference


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        tt.ALGORITHMS["mine"] = tt.ALGORITHMS["dsgd"]


def test_defaults_are_valid_values():
    for alg in tt.ALGORITHMS.values():
        assert alg.check() == alg.defaults()
        for h in alg.hyperparameters:
            assert h.check(h.default) == h.default


@pytest.mark.parametrize("name, hp, error, text", [
    ("dmsgd", {"momentum": 1.0}, ValueError, "momentum must lie in [0, 1)"),
    ("dmsgd", {"momentum": -0.1}, ValueError, "momentum must lie in [0, 1)"),
    ("dmsgd", {"momentum": "high"}, TypeError, "momentum must be a real number"),
    ("qgm", {"gossip_momentum": True}, TypeError, "its hyper-parameters are: momentum"),
    ("dsgd", {"momentum": 0.5}, TypeError, "its hyper-parameters are: none"),
    ("choco", {"ratio": 0.0}, ValueError, "ratio must lie in (0, 1]"),
    ("choco", {"ratio": 1.5}, ValueError, "ratio must lie in (0, 1]"),
    ("choco", {"compression": "top_k"}, ValueError, "'random_k', 'quantize'"),
    ("choco", {"levels": 0}, ValueError, "levels must be >= 1"),
    ("choco", {"consensus_step": 0}, ValueError, "consensus_step must lie in (0, 1]"),
    ("delayed", {"delay": -1}, ValueError, "delay must be >= 0"),
    ("delayed", {"delay": 1.5}, TypeError, "delay must be an integer"),
    ("dmsgd", {"gossip_momentum": 1}, TypeError, "gossip_momentum must be True or False"),
])
def test_bad_hyperparameters_are_named(name, hp, error, text):
    with pytest.raises(error) as info:
        check_algorithm(name, hp)
    assert text in str(info.value)


def test_unknown_algorithm_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        get_algorithm("adam")
    for name in NAMES:
        assert repr(name) in str(info.value)
    with pytest.raises(TypeError):
        get_algorithm(3)


def test_heterogeneous_data_admits_only_the_algorithms_made_for_it():
    assert check_algorithm("gradient_tracking", heterogeneous=True)[0].name == "gradient_tracking"
    assert check_algorithm("dsgd", heterogeneous=True)[0].name == "dsgd"
    with pytest.raises(ValueError, match="identical data only"):
        check_algorithm("dmsgd", heterogeneous=True)


def test_an_algorithm_object_passes_through():
    alg = tt.ALGORITHMS["choco"]
    assert get_algorithm(alg) is alg
    assert check_algorithm(alg, {"ratio": 1})[1]["ratio"] == 1.0


# ------------------------------------------------- what an algorithm assumes of the gossip
def _warnings_of(call):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UserWarning) and "symmetric gossip" in str(w.message)]


def test_only_exact_diffusion_assumes_symmetric_gossip():
    assert [a.name for a in tt.ALGORITHMS.values() if a.symmetric_gossip] == ["exact_diffusion"]


def test_d2_on_a_non_symmetric_scheme_diverges_at_every_learning_rate():
    # the fact the warning is about: D² (Wbar = W) on the one-peer exponential graph, exact theory
    import numpy as np

    S = tt.one_peer_exponential(8)
    with pytest.warns(UserWarning, match="assumes a symmetric gossip matrix"):
        rates = tt.quadratic_rate(S, lr=np.geomspace(1e-4, 1.0, 9), zeta=5.0, algorithm="exact_diffusion",
                                  combine="plain")
    assert np.all(np.isnan(rates))
    assert np.all(np.isfinite(tt.quadratic_rate(tt.ring(8), lr=np.geomspace(1e-4, 0.1, 5), zeta=5.0,
                                                algorithm="exact_diffusion", combine="plain")))


def test_exact_diffusion_on_a_non_symmetric_scheme_warns_naming_the_property_and_the_algorithm():
    caught = _warnings_of(lambda: check_algorithm("exact_diffusion", {"combine": "plain"},
                                                  scheme=tt.one_peer_exponential(8)))
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "'exact_diffusion'" in msg and "is_symmetric is False" in msg and "'one_peer_exponential'" in msg
    assert caught[0].filename == __file__  # the caller's line, not the package's


@pytest.mark.parametrize("scheme", [tt.ring(8), tt.fully_connected(8), tt.star(6), tt.random_matching(6)],
                         ids=["ring", "fully-connected", "star", "random-matching"])
def test_exact_diffusion_on_a_symmetric_scheme_does_not_warn(scheme):
    assert not _warnings_of(lambda: check_algorithm("exact_diffusion", scheme=scheme))


def test_other_algorithms_on_a_non_symmetric_scheme_do_not_warn():
    S = tt.one_peer_exponential(8)
    for name in tt.ALGORITHMS:
        if name != "exact_diffusion":
            assert not _warnings_of(lambda name=name: check_algorithm(name, scheme=S)), name


def test_a_random_law_with_a_non_symmetric_outcome_warns():
    import numpy as np

    shift = np.roll(np.eye(4), 1, axis=1)  # doubly stochastic, not symmetric
    law = tt.RandomScheme.from_outcomes([np.eye(4), 0.5 * (np.eye(4) + shift)], [0.5, 0.5])
    caught = _warnings_of(lambda: check_algorithm("exact_diffusion", scheme=law))
    assert len(caught) == 1 and "an outcome W of its law has W != W^T" in str(caught[0].message)
    sym = tt.RandomScheme.from_outcomes([np.eye(4), 0.5 * (np.eye(4) + shift @ shift)], [0.5, 0.5])
    assert not _warnings_of(lambda: check_algorithm("exact_diffusion", scheme=sym))


def _routes(S):
    p = tt.random_quadratic(S.n, 2, optima_spread=1.0, seed=0)
    return {
        "quadratic_rate": lambda: tt.quadratic_rate(S, lr=0.01, zeta=5.0, algorithm="exact_diffusion"),
        "loss_curve": lambda: tt.loss_curve(S, lr=0.01, zeta=5.0, steps=3, algorithm="exact_diffusion"),
        "simulate_algorithm": lambda: tt.simulate_algorithm(S, lr=0.01, d=2, steps=3, reps=4, seed=0,
                                                            algorithm="exact_diffusion"),
        "stationary": lambda: tt.stationary(p, S, lr=0.1, algorithm="exact_diffusion"),
        "propagate": lambda: tt.propagate(p, S, lr=0.1, steps=3, algorithm="exact_diffusion"),
        "simulate_merging": lambda: tt.simulate_merging(p, S, lr=0.1, steps=3, reps=4, seed=0,
                                                        algorithm="exact_diffusion"),
    }


@pytest.mark.parametrize("route", list(_routes(tt.ring(4))))
def test_every_route_warns_on_a_non_symmetric_scheme_and_not_on_a_symmetric_one(route):
    assert len(_warnings_of(_routes(tt.one_peer_exponential(8))[route])) == 1
    assert not _warnings_of(_routes(tt.ring(8))[route])
