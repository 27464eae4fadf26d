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
