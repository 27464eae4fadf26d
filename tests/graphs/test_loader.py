"""The graph loader: every file layout, every warning, and the one conversion rule (as_scheme)."""

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import topotheory as tt
from topotheory.graphs import check_scheme, is_graph_path


def load_quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean file must read without any warning
        return tt.load_graph(path, **kw)


def edge_set(scheme):
    """Edges of W as a set of frozensets of labels."""
    M = scheme.sparse_matrix(0).tocoo()
    lab = scheme.labels
    return {frozenset((lab[i], lab[j])) for i, j in zip(M.row, M.col) if i != j}


def metropolis_of(G):
    return tt.Scheme.from_networkx(G).matrix(0)


# ----------------------------------------------------------------------------------- edge lists
@pytest.mark.parametrize("delimiter", [" ", "\t", ",", ";"])
def test_networkx_edgelist_round_trip_any_delimiter(tmp_path, delimiter):
    G = nx.karate_club_graph()
    path = tmp_path / "karate.edgelist"
    nx.write_edgelist(G, path, data=False, delimiter=delimiter)
    s = load_quiet(path)
    assert s.n == 34 and s.source.edges == 78 and not s.source.weighted
    assert s.source.delimiter == (None if delimiter == " " else delimiter)
    assert edge_set(s) == {frozenset(e) for e in G.edges()}
    H = nx.relabel_nodes(G, {v: k for k, v in enumerate(s.labels)})
    np.testing.assert_allclose(s.matrix(0), metropolis_of(nx.Graph(sorted_graph(H))), atol=1e-15)


def sorted_graph(H):
    G = nx.Graph()
    G.add_nodes_from(range(H.number_of_nodes()))
    G.add_edges_from(H.edges())
    return G


def test_comma_separated_with_spaces_is_not_misread(tmp_path):
    path = tmp_path / "karate.txt"
    path.write_text("".join(f"{u}, {v}\n" for u, v in nx.karate_club_graph().edges()))
    s = load_quiet(path)
    assert s.n == 34 and s.source.edges == 78 and s.source.delimiter == ","


def test_tuple_node_names_round_trip(tmp_path):
    G = nx.grid_2d_graph(7, 13)
    path = tmp_path / "grid.edgelist"
    nx.write_edgelist(G, path)  # data=True: writes "(0, 0) (0, 1) {}"
    s = load_quiet(path)
    assert s.n == 91 and s.source.edges == G.number_of_edges() == 2 * 7 * 13 - 7 - 13
    assert set(s.labels) == set(G.nodes()) and isinstance(s.labels[0], tuple)
    assert edge_set(s) == {frozenset(e) for e in G.edges()}


def test_node_names_with_spaces_need_a_delimiter(tmp_path):
    G = nx.davis_southern_women_graph()
    path = tmp_path / "davis.tsv"
    nx.write_edgelist(G, path, data=False, delimiter="\t")
    s = load_quiet(path)
    assert s.n == 32 and s.source.edges == 89 and "Evelyn Jefferson" in s.labels
    assert tt.spectral_gap(s) == pytest.approx(tt.spectral_gap(tt.Scheme.from_networkx(G)), rel=1e-12)
    spaced = tmp_path / "davis_spaces.edgelist"
    nx.write_edgelist(G, spaced, data=False)  # space delimiter: ambiguous names
    with pytest.raises(ValueError, match="node names with spaces need another delimiter"):
        tt.load_graph(spaced)


def test_weighted_edgelist_column_and_attribute_dicts(tmp_path):
    G = nx.cycle_graph(6)
    for u, v in G.edges():
        G.edges[u, v]["weight"] = 0.25 if u % 2 == 0 else 0.125
    a, b = tmp_path / "w.edgelist", tmp_path / "d.edgelist"
    nx.write_weighted_edgelist(G, a)
    nx.write_edgelist(G, b)  # "{'weight': 0.25}"
    for path in (a, b):
        s = load_quiet(path, weights="weight:weight")
        assert s.source.weighted and s.source.weight_attribute == "weight" and s.source.edges == 6
        i, j = s.labels.index(0), s.labels.index(1)
        assert s.matrix(0)[i, j] == G.edges[0, 1]["weight"]
        assert s.matrix(0)[i, i] == pytest.approx(1 - G.degree(0, weight="weight"), rel=1e-15)
    with pytest.warns(tt.GraphLoadWarning, match="not used by the 'metropolis' rule"):
        s = tt.load_graph(a)
    order = list(s.labels)
    np.testing.assert_allclose(s.matrix(0), tt.ring(6).matrix(0)[np.ix_(order, order)], atol=1e-15)


def test_integer_weights_as_networkx_dicts(tmp_path):
    path = tmp_path / "g.edgelist"
    path.write_text("0 1 {'weight': 4}\n1 2 {'weight': 4}\n")
    with pytest.raises(ValueError, match="negative weights"):  # diagonal 1 - 8 < 0
        tt.load_graph(path, weights="weight:weight")  # 4 is no gossip weight: refused, not clipped
    with pytest.warns(tt.GraphLoadWarning, match="'weight' values are not used"):
        s = tt.load_graph(path)
    assert s.source.weighted and s.source.edges == 2
    np.testing.assert_allclose(s.matrix(0), tt.chain(3).matrix(0), atol=1e-15)


def test_comments_isolated_nodes_and_string_labels(tmp_path):
    path = tmp_path / "g.edgelist"
    path.write_text("# a path and an isolated node\nalice bob  # first edge\nbob carol\n\ndave\n")
    with pytest.warns(tt.GraphLoadWarning, match="2 connected components"):
        s = tt.load_graph(path)
    assert s.labels == ("alice", "bob", "carol", "dave") and s.source.edges == 2
    assert s.source.components == 2 and s.matrix(0)[3, 3] == 1.0
    assert tt.spectral_gap(s) == pytest.approx(0.0, abs=1e-12)


def test_csv_with_header_and_weight_column(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("source,target,weight,colour\na,b,0.5,red\nb,c,0.25,blue\n")
    with pytest.warns(tt.GraphLoadWarning, match="ignored column colour"):
        s = tt.load_graph(path, weights="weight:weight")
    assert s.source.header == ("source", "target", "weight", "colour")
    assert s.labels == ("a", "b", "c") and s.source.edges == 2
    np.testing.assert_allclose(s.matrix(0), [[0.5, 0.5, 0], [0.5, 0.25, 0.25], [0, 0.25, 0.75]])


def test_csv_from_pandas_style_without_ignored_columns(tmp_path):
    G = nx.les_miserables_graph()
    path = tmp_path / "lesmis.csv"
    rows = ["source,target,weight"] + [f'"{u}","{v}",{d["weight"]}' for u, v, d in G.edges(data=True)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(tt.GraphLoadWarning, match="not used"):
        s = tt.load_graph(path)
    assert s.n == 77 and s.source.edges == 254 and s.source.weighted


# ------------------------------------------------------------------------------------- matrices
def test_gossip_matrix_files_npy_npz_mtx_csv(tmp_path):
    W = tt.torus(3, 4).matrix(0)
    np.save(tmp_path / "w.npy", W)
    sp.save_npz(tmp_path / "w.npz", sp.csr_array(W))
    np.savez(tmp_path / "dense.npz", W=W)
    scipy.io.mmwrite(tmp_path / "w.mtx", sp.coo_matrix(W))
    np.savetxt(tmp_path / "w.csv", W, delimiter=",")
    np.savetxt(tmp_path / "w.txt", W)
    for name in ("w.npy", "w.npz", "dense.npz", "w.mtx", "w.csv", "w.txt"):
        s = load_quiet(tmp_path / name)
        assert s.source.kind == "gossip matrix" and s.source.weights == "as given", name
        assert s.n == 12 and s.source.edges == 24, name
        np.testing.assert_allclose(s.matrix(0), W, rtol=1e-15, atol=1e-18)


def test_adjacency_matrix_files(tmp_path):
    G = nx.petersen_graph()
    A = nx.to_numpy_array(G)
    np.save(tmp_path / "a.npy", A)
    scipy.io.mmwrite(tmp_path / "a.mtx", sp.coo_matrix(A))
    for name in ("a.npy", "a.mtx"):
        s = load_quiet(tmp_path / name)
        assert s.source.kind == "graph" and s.n == 10 and s.source.edges == 15 and not s.source.weighted
        np.testing.assert_allclose(s.matrix(0), metropolis_of(G), atol=1e-15)
    small = tmp_path / "pair.csv"
    small.write_text("0,1\n1,0\n")  # two columns: an edge list unless format="matrix"
    with pytest.warns(tt.GraphLoadWarning, match="merged 1 duplicate edge"):  # 0-1 and 1-0
        assert tt.load_graph(small).source.format == "edgelist"
    s = load_quiet(small, format="matrix")
    assert s.source.kind == "graph" and s.source.edges == 1 and s.matrix(0)[0, 1] == 0.5


def test_weighted_adjacency_used_as_weights(tmp_path):
    A = np.array([[0, 0.5, 0, 0], [0.5, 0, 0.25, 0], [0, 0.25, 0, 0.5], [0, 0, 0.5, 0]])
    np.save(tmp_path / "a.npy", A)
    s = tt.load_graph(tmp_path / "a.npy", weights="weight:weight", matrix="adjacency")
    assert s.source.weighted
    np.testing.assert_allclose(s.matrix(0), A + np.diag(1 - A.sum(axis=1)), atol=1e-15)


# ---------------------------------------------------------------------------------- graph files
def test_graphml_and_gml(tmp_path):
    G = nx.florentine_families_graph()
    nx.write_graphml(G, tmp_path / "f.graphml")
    nx.write_gml(G, tmp_path / "f.gml")
    for name in ("f.graphml", "f.gml"):
        s = load_quiet(tmp_path / name)
        assert s.n == 15 and s.source.edges == 20 and set(s.labels) == set(G.nodes())
        assert edge_set(s) == {frozenset(e) for e in G.edges()}


def test_directed_graphml_is_symmetrised_with_a_warning(tmp_path):
    D = nx.DiGraph([(0, 1), (1, 2), (2, 0), (0, 2)])
    nx.write_graphml(D, tmp_path / "d.graphml")
    with pytest.warns(tt.GraphLoadWarning, match="symmetrised 2 directed edges"):
        s = tt.load_graph(tmp_path / "d.graphml")
    assert s.source.symmetrised_edges == 2 and s.source.edges == 3
    with pytest.raises(ValueError, match="strict"):
        tt.load_graph(tmp_path / "d.graphml", strict=True)


# ------------------------------------------------------------------------------------- warnings
@pytest.mark.parametrize(
    "text, kw, match, field, count",
    [
        ("0 1\n1 1\n1 2\n", {}, "dropped 1 self loop", "self_loops", 1),
        ("0 1\n1 2\n1 0\n0 1\n", {}, "merged 2 duplicate edges", "duplicate_edges", 2),
        ("0 1\n1 0\n1 2\n", {"directed": True}, "symmetrised 1 directed edge", "symmetrised_edges", 1),
        ("0 1\n2 3\n", {}, "2 connected components", "components", 2),
    ],
)
def test_each_change_warns_and_strict_refuses(tmp_path, text, kw, match, field, count):
    path = tmp_path / "g.edgelist"
    path.write_text(text)
    with pytest.warns(tt.GraphLoadWarning, match=match):
        s = tt.load_graph(path, **kw)
    assert getattr(s.source, field) == count
    assert any(match in w for w in s.source.warnings)
    with pytest.raises(ValueError, match=f"strict.*{match}"):
        tt.load_graph(path, strict=True, **kw)


def test_matrix_self_loops_and_asymmetry_warn(tmp_path):
    A = np.array([[1, 1, 0], [0, 0, 1], [0, 1, 0]], dtype=float)
    np.save(tmp_path / "a.npy", A)
    with pytest.warns(tt.GraphLoadWarning) as rec:
        s = tt.load_graph(tmp_path / "a.npy")
    text = " | ".join(str(w.message) for w in rec)
    assert "dropped 1 self loop" in text and "symmetrised 1 directed edge" in text
    assert s.source.edges == 2


def test_conflicting_duplicate_weights_are_reported(tmp_path):
    path = tmp_path / "g.edgelist"
    path.write_text("0 1 0.5\n1 0 0.25\n")
    with pytest.warns(tt.GraphLoadWarning, match="different 'weight' value"):
        s = tt.load_graph(path, weights="weight:weight")
    assert s.matrix(0)[0, 1] == 0.25


# ---------------------------------------------------------------------------------- bad input
def test_bad_files_and_arguments(tmp_path):
    with pytest.raises(ValueError, match="no such file: 'missing.edgelist'"):
        tt.load_graph("missing.edgelist")
    empty = tmp_path / "e.edgelist"
    empty.write_text("# nothing\n")
    with pytest.raises(ValueError, match="no nodes or edges"):
        tt.load_graph(empty)
    bad = tmp_path / "b.edgelist"
    bad.write_text("0 1 heavy\n")
    with pytest.raises(ValueError, match="line 1"):
        tt.load_graph(bad)
    with pytest.raises(TypeError, match="strict must be True or False"):
        tt.load_graph(bad, strict="no")
    with pytest.raises(ValueError, match="weights must be one of"):
        tt.load_graph(bad, weights="nope")
    with pytest.raises(ValueError, match="format must be one of"):
        tt.load_graph(bad, format="xls")
    with pytest.raises(TypeError, match="path must be a file path"):
        tt.load_graph(3)


# ------------------------------------------------------------------------------- specs and paths
def test_path_rule_and_builtin_names_win(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ring").write_text("0 1\n")
    assert tt.topology_from_spec("ring", n=6).n == 6  # the built-in, not the file
    assert tt.topology_from_spec("./ring").n == 2 and tt.topology_from_spec("file:ring").n == 2
    (tmp_path / "karate").write_text("0 1\n")
    with pytest.raises(ValueError, match="a file named 'karate' exists: read it as ./karate"):
        tt.topology_from_spec("karate")
    with pytest.raises(ValueError, match="no such file"):
        tt.topology_from_spec("nothere.edgelist")
    assert is_graph_path("a/b") and not is_graph_path("local_steps:period=4")


# --------------------------------------------------------------------------- as_scheme / check
def test_as_scheme_conversions_agree_with_the_constructors():
    G = nx.les_miserables_graph()
    s = tt.as_scheme(G)
    assert s.labels == tuple(G.nodes()) and s.n == 77
    np.testing.assert_array_equal(s.matrix(0), tt.Scheme.from_networkx(G).matrix(0))
    W = tt.ring(8).matrix(0)
    for obj in (W, sp.csr_array(W), W.tolist()):
        np.testing.assert_array_equal(check_scheme(obj).matrix(0), W)
    ring = tt.ring(5)
    assert check_scheme(ring) is ring
    periodic = check_scheme(np.stack(tt.one_peer_exponential(8).matrices))
    assert periodic.period == 3
    assert tt.effective_neighbors(check_scheme(nx.cycle_graph(8)), 0.9) == pytest.approx(
        tt.effective_neighbors(tt.ring(8), 0.9), rel=1e-12)


def test_as_scheme_refuses_what_is_not_a_gossip_scheme():
    with pytest.raises(ValueError, match="scheme as a gossip matrix W: .*row stochastic"):
        check_scheme(nx.to_numpy_array(nx.cycle_graph(4)))  # an adjacency is no W
    with pytest.raises(TypeError, match="lr_scheme must be a topotheory Scheme, a networkx graph"):
        check_scheme("ring", name="lr_scheme")
    with pytest.raises(TypeError, match="complex"):
        tt.as_scheme(np.eye(2) * (1 + 0j))
    with pytest.raises(ValueError, match="1-D"):
        tt.as_scheme(np.ones(3))


def test_labels_checked_and_kept_by_lazy():
    s = tt.Scheme.from_networkx(nx.path_graph(["x", "y", "z"]))
    assert s.lazy().labels == ("x", "y", "z")
    with pytest.raises(ValueError, match="one entry per worker"):
        tt.Scheme([np.eye(2)], labels=["a"])
    with pytest.raises(ValueError, match="distinct"):
        tt.Scheme([np.eye(2)], labels=["a", "a"])
