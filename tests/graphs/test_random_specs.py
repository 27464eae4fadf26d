"""CLI specs of the random families and of periodic mixtures (local steps then one random gossip step)."""

import json

import numpy as np
import pytest

import topotheory as tt
from topotheory.graphs.random import PeriodicRandomScheme, RandomScheme
from topotheory.graphs.specs import list_topologies, topology_from_spec


def same_theory(a, b):
    g = np.array([0.0, 0.7, 0.99])
    assert np.max(np.abs(tt.effective_neighbors(a, g) - tt.effective_neighbors(b, g))) < 1e-12
    for lr in (0.02, 0.05):
        assert abs(tt.quadratic_rate(a, lr=lr, zeta=20) - tt.quadratic_rate(b, lr=lr, zeta=20)) < 1e-12


@pytest.mark.parametrize("spec,make", [
    ("periodic_mixture:n=8,local=3,peer=random_matching",
     lambda: tt.periodic_mixture([tt.solo(8)] * 3 + [tt.random_matching(8)])),
    ("periodic_mixture:n=8,local=2,peer=epidemic,s=3",
     lambda: tt.periodic_mixture([tt.solo(8)] * 2 + [tt.epidemic(8, 3)])),
    ("periodic_mixture:n=6,local=1,peer=el_oracle,s=3",
     lambda: tt.periodic_mixture([tt.solo(6), tt.el_oracle(6, 3)])),
    ("periodic_mixture:n=7,peer=equidyn,eta=0.5",
     lambda: tt.periodic_mixture([tt.solo(7), tt.equidyn(7, eta=0.5)])),
    ("periodic_mixture:n=6,local=0,peer=pairwise_gossip", lambda: tt.pairwise_gossip(6)),
])
def test_periodic_mixture_spec_equals_construction(spec, make):
    S = topology_from_spec(spec)
    assert isinstance(S, PeriodicRandomScheme)
    ref = make()
    assert S.period == ref.period
    same_theory(S, ref)


def test_random_family_specs():
    S = topology_from_spec("el_oracle:n=10,s=3")
    assert isinstance(S, RandomScheme) and S.params["s"] == 3
    same_theory(S, tt.el_oracle(10, 3))
    E = topology_from_spec("equidyn:n=9,eta=0.5")
    same_theory(E, tt.equidyn(9, eta=0.5))
    # offsets=M draws M offsets once, seeded (seed=0 unless given), so the CLI reproduces
    a, b = topology_from_spec("equidyn:n=16,offsets=4"), tt.equidyn(16, offsets=4, seed=0)
    assert a.params["offsets"] == b.params["offsets"]
    assert topology_from_spec("equidyn:n=16,offsets=4,seed=3").params["offsets"] == tt.equidyn(
        16, offsets=4, seed=3).params["offsets"]


def test_listed_with_parameters():
    rows = {r["name"]: r for r in list_topologies()}
    assert rows["periodic_mixture"]["parameters"] == "n, local=1, peer='random_matching', s=None, eta=None"
    for name in ("random_matching", "epidemic", "el_oracle", "equidyn"):
        assert name in rows["periodic_mixture"]["description"]
    assert "s-regular" in rows["el_oracle"]["description"]


def test_cli_lists_and_compares(capsys):
    from topotheory.cli import main

    assert main(["topologies", "--format", "json"]) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert {"periodic_mixture", "el_oracle", "equidyn"} <= names
    code = main(["compare", "--topologies", "periodic_mixture:n=8,local=3,peer=random_matching,el_oracle:n=8,s=3",
                 "--zeta", "20", "--format", "json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    mix = tt.periodic_mixture([tt.solo(8)] * 3 + [tt.random_matching(8)])
    assert rows[0]["topology"].startswith("periodic_mixture")
    assert abs(rows[0]["effective_neighbors"]["0.9"] - tt.effective_neighbors(mix, 0.9)) < 1e-12
    assert abs(rows[1]["effective_neighbors"]["0.99"] - tt.effective_neighbors(tt.el_oracle(8, 3), 0.99)) < 1e-12
    assert abs(rows[1]["optimal_rate"] - tt.optimal_learning_rate(tt.el_oracle(8, 3), zeta=20).rate) < 1e-12


def test_bad_specs():
    with pytest.raises(ValueError, match="peer must be one of"):
        topology_from_spec("periodic_mixture:n=8,peer=ring")
    with pytest.raises(ValueError, match="random_matching"):
        topology_from_spec("periodic_mixture:n=8,peer=random_matchin")
    with pytest.raises(ValueError, match="local must be"):
        topology_from_spec("periodic_mixture:n=8,local=-1")
    with pytest.raises(ValueError, match="local must be"):
        topology_from_spec("periodic_mixture:n=8,local=1.5")
    with pytest.raises(ValueError, match="takes no parameters"):
        topology_from_spec("periodic_mixture:n=8,peer=random_matching,s=2")
    with pytest.raises(ValueError, match="not eta"):
        topology_from_spec("periodic_mixture:n=8,peer=epidemic,s=2,eta=0.5")
    with pytest.raises(ValueError, match="s must be at most"):
        topology_from_spec("periodic_mixture:n=8,peer=epidemic,s=9")
    with pytest.raises(ValueError, match="n \\* s even"):
        topology_from_spec("el_oracle:n=7,s=3")
    with pytest.raises(ValueError, match="unknown parameter"):
        topology_from_spec("periodic_mixture:n=8,period=3")
