"""The boundary fuzzer: every public function and CLI command, one bad argument at a time.

How it works
------------
* :data:`BASELINE` holds one valid, cheap call of every callable in ``topotheory.__all__`` (a
  function returning the arguments, so that fresh objects are built for each call).
* :data:`KINDS` gives each parameter a *kind* (by name, with per-function overrides in
  :data:`OVERRIDES`); :data:`BAD` lists the bad values of each kind, each marked **invalid**
  (the contract requires a clear error) or **extreme** (legal but at the edge: a valid answer,
  NaN plus a flag, or a clear error are all acceptable). :func:`strategy` turns a kind into a
  hypothesis strategy: the listed values plus generated ones of the same sort.
* :func:`api_cases` swaps each parameter of each baseline call, one at a time, for each bad
  value; :func:`cli_cases` does the same for every option of every CLI command (read from the
  argparse parser itself).
* Each call runs under a time limit. In-process (:func:`run_case`) the limit is
  ``signal.setitimer`` (SIGALRM raises :class:`Hang` in the main thread; a call stuck inside one
  long C routine is only interrupted when it returns to Python). The long run
  (:func:`run_isolated`) executes the cases in a worker subprocess with an address-space limit,
  so that huge allocations fail as ``MemoryError`` instead of exhausting the machine, and the
  parent kills the worker if it does not answer within the limit plus a grace period (a hang in
  C code), then restarts it on the next case.

Outcomes
--------
``clear``     ValueError/TypeError whose message names the parameter (CLI: one line, exit 2)
``vague``     ValueError/TypeError whose message does not name it (CLI: a multi-line block, exit 2)
``other``     any other exception type (CLI: a traceback or another exit code)
``hang``      no answer within the time limit
``accepted``  returned a value although the input is invalid (NaN plus a flag counts as valid)
``valid``     returned a value for a legal (extreme) input, or NaN plus a flag
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile

import numpy as np

import topotheory as tt

OUTCOMES = ("clear", "vague", "other", "hang", "accepted", "valid")
CLI_OUTCOMES = ("clean", "multiline", "traceback", "hang", "accepted", "valid")

#: Per-call time limit in seconds.
TIME_LIMIT = 3.0


class Hang(Exception):
    """Raised by the SIGALRM handler when a call runs past the time limit."""


# --------------------------------------------------------------------------------- bad values
@dataclasses.dataclass(frozen=True)
class Bad:
    """A bad value: ``make()`` builds it; ``invalid`` says the contract requires an error."""

    label: str
    make: object
    invalid: bool = True

    def value(self):
        return self.make() if callable(self.make) and not isinstance(self.make, type) else self.make


def _directed_schedule():
    # row-stochastic, not column-stochastic (a pull schedule: the average is not conserved), 4 workers
    W = np.array([[0.5, 0.5, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0.5, 0.5], [0, 0, 0, 1.0]])
    return tt.GossipSchedule([W], [0] * 6, name="directed")


def _disconnected_scheme():
    W = np.kron(np.eye(2), np.full((2, 2), 0.5))
    return tt.Scheme(W, name="disconnected")


_COMMON = [Bad("None", None), Bad("str", "x"), Bad("complex", 1 + 1j), Bad("list", lambda: [1.0, 2.0])]
_NUMBER_TYPES = [Bad("str-number", "0.5"), Bad("bool", True), Bad("complex", 0.5 + 0j), Bad("None", None),
                 Bad("nan", math.nan), Bad("inf", math.inf), Bad("-inf", -math.inf), Bad("1e400-int", 10**400)]

BAD = {
    # integer sizes (at least 1)
    "size": [Bad("0", 0), Bad("-1", -1), Bad("1.5", 1.5), Bad("nan", math.nan), Bad("inf", math.inf),
             Bad("str", "8"), Bad("bool", True), Bad("complex", 8j), Bad("None", None), Bad("2^63", 2**63),
             Bad("1e300", 1e300), Bad("10^300-int", 10**300), Bad("list", lambda: [8])],
    # integer caps (>= 1) where any large value is legal (a bound that is then never reached)
    "cap": [Bad("0", 0), Bad("-1", -1), Bad("1.5", 1.5), Bad("nan", math.nan), Bad("str", "8"), Bad("bool", True),
            Bad("complex", 8j), Bad("2^63", 2**63, invalid=False), Bad("list", lambda: [8])],
    # integer counts that may legitimately be 0
    "count": [Bad("0", 0, invalid=False), Bad("-1", -1), Bad("1.5", 1.5), Bad("nan", math.nan),
              Bad("str", "8"), Bad("bool", True), Bad("complex", 8j), Bad("2^63", 2**63),
              Bad("10^300-int", 10**300), Bad("list", lambda: [8])],
    # real numbers > 0 (learning rates, noise levels, smoothness ...)
    "positive": _NUMBER_TYPES + [Bad("0", 0.0, invalid=False), Bad("-1", -1.0), Bad("1e300", 1e300, invalid=False),
                                 Bad("1e-300", 1e-300, invalid=False)],
    # real numbers >= 0
    "nonneg": _NUMBER_TYPES + [Bad("-1", -1.0), Bad("1e300", 1e300, invalid=False)],
    # any finite real
    "real": _NUMBER_TYPES + [Bad("1e300", 1e300, invalid=False), Bad("-1e300", -1e300, invalid=False)],
    "probability": _NUMBER_TYPES + [Bad("-0.1", -0.1), Bad("1.5", 1.5), Bad("0", 0.0, invalid=False),
                                    Bad("1", 1.0, invalid=False)],
    "gamma": [Bad("1", 1.0), Bad("-0.1", -0.1), Bad("1.5", 1.5), Bad("nan", math.nan), Bad("str", "0.9"),
              Bad("complex", 0.5j), Bad("bool", True), Bad("array-with-2", lambda: [0.5, 2.0]),
              Bad("ragged", lambda: [[0.5], [0.1, 0.2]]), Bad("1e400-int", 10**400),
              Bad("1-1e-16", 1 - 1e-16, invalid=False), Bad("empty", lambda: [], invalid=False)],
    "bool": [Bad("'no'", "no"), Bad("'False'", "False"), Bad("1", 1), Bad("0", 0), Bad("None", None),
             Bad("2.0", 2.0)],
    "choice": [Bad("nonsense", "nonsense"), Bad("int", 3), Bad("None", None), Bad("empty", ""),
               Bad("bytes", b"exact"), Bad("upper", "EXACT")],
    # a gossip matrix is a scheme (as_scheme): np.eye(4) and [[1.0]] are legal
    "scheme": [Bad("None", None), Bad("str", "ring"), Bad("int", 4), Bad("matrix", lambda: np.eye(4), invalid=False),
               Bad("list", lambda: [[1.0]], invalid=False), Bad("disconnected", _disconnected_scheme, invalid=False)],
    "seed": [Bad("-1", -1), Bad("1.5", 1.5), Bad("str", "0"), Bad("bool", True), Bad("list", lambda: [1, 2]),
             Bad("nan", math.nan), Bad("complex", 1j)],
    "lrs": _NUMBER_TYPES + [Bad("empty", lambda: []), Bad("ragged", lambda: [[0.1], [0.1, 0.2]]),
                            Bad("with-nan", lambda: [0.1, math.nan]), Bad("-1", -1.0),
                            Bad("1e300", 1e300, invalid=False), Bad("list-1e160", lambda: [0.1, 1e160], invalid=False)],
    "matrix": [Bad("None", None), Bad("str", "W"), Bad("empty", lambda: np.zeros((0, 0))),
               Bad("non-square", lambda: np.full((2, 3), 1 / 3)), Bad("1-D", lambda: np.ones(3) / 3),
               Bad("complex", lambda: np.full((2, 2), 0.5 + 0j)), Bad("nan", lambda: np.array([[np.nan, 1], [1, 0]])),
               Bad("negative", lambda: np.array([[1.5, -0.5], [-0.5, 1.5]])),
               Bad("directed", lambda: np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])),
               Bad("bool", lambda: np.eye(2, dtype=bool)), Bad("ragged", lambda: [[1.0], [0.5, 0.5]])],
    "adjacency": [Bad("None", None), Bad("str", "A"), Bad("empty", lambda: np.zeros((0, 0))),
                  Bad("non-square", lambda: np.ones((2, 3))), Bad("complex", lambda: np.ones((2, 2)) * 1j),
                  Bad("nan", lambda: np.array([[0, np.nan], [np.nan, 0]])),
                  Bad("negative", lambda: np.array([[0, -1.0], [-1.0, 0]])),
                  Bad("directed", lambda: np.array([[0, 1.0], [0, 0]]), invalid=False),
                  Bad("disconnected", lambda: np.zeros((3, 3)), invalid=False)],
    # a number of workers that may be infinite (bounds of infinite lattices)
    "workers_or_inf": [b for b in _NUMBER_TYPES if b.label not in ("inf", "1e400-int")] + [
        Bad("0", 0.0), Bad("-1", -1.0), Bad("inf", math.inf, invalid=False)],
    "problem": [Bad("None", None), Bad("str", "quadratic"), Bad("scheme", lambda: tt.ring(4)), Bad("int", 4)],
    "schedule": [Bad("None", None), Bad("str", "every"), Bad("int", 4), Bad("matrix", lambda: np.eye(4)),
                 Bad("directed", _directed_schedule, invalid=False), Bad("too-short", lambda: [np.eye(4)]),
                 Bad("wrong-n", lambda: tt.ring(5))],
    "spec": [Bad("empty", ""), Bad("nonsense", "nonsense:1"), Bad("int", 8), Bad("None", None),
             Bad("ring:1e9", "ring:1e9"), Bad("ring:8,16", "ring:8,16"), Bad("ring:0.5", "ring:0.5")],
    "optional_array": [Bad("str", "x"), Bad("complex", lambda: np.ones(4) * 1j), Bad("nan", lambda: np.full(4, np.nan)),
                       Bad("wrong-shape", lambda: np.ones(7)), Bad("empty", lambda: np.zeros(0))],
    # what as_scheme converts (a Scheme, a networkx graph, a gossip matrix or one period of them)
    "graph": [Bad("None", None), Bad("str", "ring"), Bad("int", 4), Bad("complex", lambda: np.full((2, 2), 0.5 + 0j)),
              Bad("nan", lambda: np.array([[np.nan, 1], [1, 0]])), Bad("non-square", lambda: np.full((2, 3), 1 / 3)),
              Bad("directed", lambda: np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])),
              Bad("ragged", lambda: [[1.0], [0.5, 0.5]]), Bad("1-D", lambda: np.ones(3) / 3)],
    "path": [Bad("None", None), Bad("int", 3), Bad("empty", ""), Bad("missing", "no/such/graph.edges"),
             Bad("complex", 1j), Bad("list", lambda: ["a"])],
    "name": [Bad("None", None), Bad("complex", 1j), Bad("list", lambda: ["a"]), Bad("int", 3)],
    "any": _COMMON,
    # an output file path (None: no file); a string is a legal path, so only non-paths are bad
    "out_path": [Bad("int", 3), Bad("complex", 1j), Bad("list", lambda: ["a"])],
    # a THEORY.md section number: an int or its text ("2.1")
    "section": [Bad("str-number", "8", invalid=False), Bad("missing", "99.9"), Bad("None", None), Bad("complex", 1j),
                Bad("list", lambda: [3]), Bad("-1", -1)],
    # a field delimiter: one character (None: detected)
    "delimiter": [Bad("x", "x", invalid=False), Bad("empty", ""), Bad("two", "ab"), Bad("int", 3), Bad("complex", 1j),
                  Bad("list", lambda: [","])],
    # a comment marker: a non-empty string or None
    "comments": [Bad("None", None, invalid=False), Bad("x", "x", invalid=False), Bad("empty", ""), Bad("int", 3),
                 Bad("complex", 1j), Bad("list", lambda: ["#"])],
    # a phase of a periodic scheme: any integer, taken modulo the period (check_phase)
    "phase": [Bad("-1", -1, invalid=False), Bad("2^63", 2**63, invalid=False), Bad("10^300-int", 10**300, invalid=False),
              Bad("1.5", 1.5), Bad("nan", math.nan), Bad("str", "0"), Bad("bool", True), Bad("complex", 1j),
              Bad("list", lambda: [0])],
    # beta's kind: a name, or beta itself as a positive number
    "beta_kind": [Bad("nonsense", "nonsense"), Bad("int", 3, invalid=False), Bad("None", None), Bad("empty", ""),
                  Bad("bytes", b"eq34"), Bad("upper", "EQ34"), Bad("0", 0), Bad("nan", math.nan)],
    # a number of workers in a formula: an integer >= 1 of any size, or inf
    "workers_formula": [Bad("0", 0), Bad("-1", -1), Bad("1.5", 1.5), Bad("nan", math.nan), Bad("str", "8"),
                        Bad("bool", True), Bad("complex", 8j), Bad("None", None), Bad("inf", math.inf, invalid=False),
                        Bad("2^63", 2**63, invalid=False), Bad("1e300", 1e300, invalid=False), Bad("list", lambda: [8])],
    # a pair (low, high), any real sequence of two
    "pair": [Bad("None", None), Bad("str", "ab"), Bad("complex", 1j), Bad("list", lambda: [1.0, 2.0], invalid=False),
             Bad("reversed", (2.0, 1.0)), Bad("zero", (0.0, 1.0)), Bad("triple", (1.0, 2.0, 3.0)),
             Bad("bools", (True, 2.0)), Bad("nan", (math.nan, 1.0))],
    # seconds of a time budget: a real > 0, or None (no limit)
    "optional_seconds": [b for b in _NUMBER_TYPES if b.label != "None"] + [
        Bad("None", None, invalid=False), Bad("0", 0.0), Bad("-1", -1.0), Bad("1e300", 1e300, invalid=False)],
    # an iteration to switch at: an int in [0, max_iter], "best", or None (never)
    "switch_at": [Bad("None", None, invalid=False), Bad("str", "x"), Bad("complex", 1j), Bad("list", lambda: [1, 2]),
                  Bad("1.5", 1.5), Bad("-1", -1), Bad("2^63", 2**63)],
}


#: Parameter kinds by parameter name; functions override them in :data:`OVERRIDES`.
KINDS = {
    **dict.fromkeys(["n", "rows", "cols", "k", "period", "reps", "d", "batch_size", "samples_per_worker",
                     "n_boot", "record_every", "max_tries", "max_steps", "max_iter", "T", "base"], "size"),
    **dict.fromkeys(["steps", "degree", "budget", "phase", "max_extra", "switch_at", "switch_step", "count"],
                    "count"),
    **dict.fromkeys(["lr", "zeta", "L", "mu", "sigma2", "eps", "target", "l2", "c_s", "d_s", "R0", "F0",
                     "rel_tol", "tau", "omega"], "positive"),
    **dict.fromkeys(["noise", "optima_spread", "smoothness_spread", "heterogeneity", "delta2", "delta2_W",
                     "start", "end", "width"], "nonneg"),
    **dict.fromkeys(["p", "spectral_gap", "hessian_spread", "confidence", "band", "level", "min_coverage",
                     "switch"], "probability"),
    **dict.fromkeys(["gamma", "one_minus_gamma"], "gamma"),
    **dict.fromkeys(["per_step", "log", "terms", "symmetrize", "keep_replicas", "keep_merged"], "bool"),
    **dict.fromkeys(["weights", "kind", "mode", "method", "order", "setting", "structure", "partition",
                     "placement", "beta_kind", "large_constant", "multiedges", "self_loops"], "choice"),
    **dict.fromkeys(["scheme"], "scheme"),
    **dict.fromkeys(["seed"], "seed"),
    **dict.fromkeys(["lrs"], "lrs"),
    **dict.fromkeys(["W", "matrices"], "matrix"),
    **dict.fromkeys(["adjacency"], "adjacency"),
    **dict.fromkeys(["problem"], "problem"),
    **dict.fromkeys(["schedule"], "schedule"),
    **dict.fromkeys(["spec"], "spec"),
    **dict.fromkeys(["x0", "initial"], "optional_array"),
    **dict.fromkeys(["atol"], "nonneg"),
    **dict.fromkeys(["time_budget"], "optional_seconds"),
    **dict.fromkeys(["phase"], "phase"),
    # caps: any large value is legal (clamped or never reached); chunk_size is at most reps
    **dict.fromkeys(["max_steps", "record_every", "chunk_size", "max_iter"], "cap"),
}

#: Per-function kinds that differ from :data:`KINDS` (``None``: parameter not fuzzed).
OVERRIDES = {
    "mix": {"spectral_gap": "probability"},
    "spectral_gap": {"kind": "choice"},
    "equistatic": {"kind": "choice"},
    "degree_schedule": {"kind": "choice"},
    "equistatic_degree": {"eps": "probability", "p": "probability"},
    "koloskova_complexity": {"p": "probability", "tau": "cap"},
    "beta": {"kind": "beta_kind"},
    "theorem6_learning_rate": {"omega": "positive", "beta_kind": "beta_kind"},
    "corollary7": {"beta_kind": "beta_kind"},
    "corollary10_rate": {"p": "probability", "T": "cap", "n": "workers_formula"},
    "koloskova_rate": {"spectral_gap": "probability", "T": "cap", "n": "workers_formula"},
    "iterations_to_eps": {"switch_step": "positive", "switch_at": "switch_at"},
    "simulate_merging": {"batch_size": "cap"},
    "simulate_centralized": {"batch_size": "cap"},
    "crosscheck_merging": {"batch_size": "cap"},
    "zeta": {"d": "size"},
    "random_regular": {"degree": "count", "max_tries": "cap"},
    "erdos_renyi": {"max_tries": "cap"},
    "base_graph": {"k": "cap"},
    "hyper_hypercube": {"k": "cap"},
    "schedule_every": {},
    "crosscheck_grid": {"schemes": "any", "lrs": "lrs", "out": "out_path"},
    "optimal_learning_rates": {"schemes": "any"},
    "map_tasks": {"func": "any", "tasks": "any", "describe": None, "on_result": None},
    "random_pull_schedule": {"degrees": "lrs"},
    "GossipSchedule": {"index": "any", "rounds": "any", "degrees": "any", "name": "name"},
    "InfiniteGraph": {"name": "name", "kernel": "any", "resolvent": None},
    "HeterogeneousQuadratic": {"hessians": "optional_array", "optima": "optional_array"},
    "LogisticProblem": {"features": "optional_array", "labels": "optional_array"},
    "estimate_rate": {"result": "any", "window": "any"},
    "theory_section": {"number": "section"},
    "Scheme": {"name": "name", "params": None, "circulant": None, "_built_from_kernels": None},
    "spectral_dimension_bound": {"n": "workers_or_inf"},
    "spectral_gap_bound": {"n": "workers_or_inf"},
    "eigenvalue_range": {},
    "random_quadratic": {"eigenvalue_range": "pair"},
    "crosscheck": {"window": "any"},
    "simulate_dsgd": {"threads": "size"},
    "simulate_algorithm": {"threads": "size"},
    "simulate_random_walk": {"burn_in": "count", "threads": "size"},
    "compare_stepsizes": {"switch_at": "switch_at"},
    "placement_schedule": {"budget": "count"},
    "gossip_every": {"offset": "count", "period": "cap"},
    "as_scheme": {"obj": "graph", "name": "name", "argname": "name"},
    "load_graph": {"path": "path", "format": "choice", "matrix": "choice", "directed": "bool", "strict": "bool",
                   "header": "bool", "delimiter": "delimiter", "comments": "comments", "name": "name"},
    "topology_from_spec": {"delimiter": "delimiter", "format": "choice", "default_n": "size"},
    "optimal_weights": {"graph": "scheme", "objective": "choice", "allow_negative": "bool", "tol": "positive",
                        "start": "optional_array"},
    "matching_schedule": {"graph": "scheme", "sweeps": "count"},
    "mean_effective_neighbors": {},
}


#: Old keyword names kept as deprecated aliases of the one vocabulary (``rule=``, ``max_steps=``,
#: ``confidence=``): their values are checked under the new name, so they are fuzzed there.
DEPRECATED_ALIASES = {
    "crosscheck_merging": ("level",),
    "iterations_to_eps": ("method", "max_iter"),
    "compare_stepsizes": ("max_iter",),
}
for _func, _params in DEPRECATED_ALIASES.items():
    OVERRIDES.setdefault(_func, {}).update({p: None for p in _params})


def _problem():
    return tt.random_quadratic(4, 2, seed=0)


def _schedule():
    return tt.gossip_every(tt.ring(4), 6, 2)


def _sim():
    return tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=20, reps=20, seed=0)


_GRAPH_FILE = []


def _graph_file():
    """A small edge list (a 4-ring) written once per process, for :func:`topotheory.load_graph`."""
    if not _GRAPH_FILE:
        folder = tempfile.mkdtemp(prefix="fuzz-graph-")
        path = os.path.join(folder, "ring4.edges")
        with open(path, "w") as fh:
            fh.write("0 1\n1 2\n2 3\n3 0\n")
        _GRAPH_FILE.append(path)
    return _GRAPH_FILE[0]


#: One valid, cheap call of every callable in ``topotheory.__all__``: name -> () -> kwargs.
#: Positional-or-keyword parameters are passed by keyword (the runner maps them back).
BASELINE = {
    "Scheme": lambda: dict(matrices=np.full((2, 2), 0.5)),
    "InfiniteGraph": lambda: dict(name="g", kernel={(0,): 0.5, (1,): 0.25, (-1,): 0.25}),
    "is_doubly_stochastic": lambda: dict(W=np.full((2, 2), 0.5)),
    "is_symmetric": lambda: dict(W=np.full((2, 2), 0.5)),
    "finite_time_consensus": lambda: dict(scheme=tt.ring(4)),
    "consensus_rate": lambda: dict(scheme=tt.ring(4)),
    "metropolis_weights": lambda: dict(adjacency=np.ones((3, 3)) - np.eye(3)),
    "max_degree_weights": lambda: dict(adjacency=np.ones((3, 3)) - np.eye(3)),
    "one_over_max_degree_weights": lambda: dict(adjacency=np.ones((3, 3)) - np.eye(3)),
    "lazy_weights": lambda: dict(W=np.full((2, 2), 0.5)),
    "ring": lambda: dict(n=8),
    "uni_ring": lambda: dict(n=8),
    "chain": lambda: dict(n=8),
    "torus": lambda: dict(rows=3, cols=4),
    "hypercube": lambda: dict(n=8),
    "star": lambda: dict(n=8),
    "binary_tree": lambda: dict(n=8),
    "two_cliques": lambda: dict(n=8),
    "fully_connected": lambda: dict(n=8),
    "solo": lambda: dict(n=8),
    "social_network": lambda: dict(),
    "one_peer_exponential": lambda: dict(n=8),
    "exponential_graph": lambda: dict(n=8),
    "local_steps": lambda: dict(n=8, period=3),
    "mix": lambda: dict(n=8, spectral_gap=0.5),
    "paper_topologies": lambda: dict(n=8),
    "topology_from_spec": lambda: dict(spec="ring", n=8),
    "base_graph": lambda: dict(n=6, k=2),
    "hyper_hypercube": lambda: dict(n=6, k=2),
    "one_peer_exponential_any": lambda: dict(n=6),
    "random_regular": lambda: dict(n=8, degree=3, seed=0),
    "erdos_renyi": lambda: dict(n=8, p=0.6, seed=0),
    "max_degree_per_step": lambda: dict(scheme=tt.ring(4)),
    "infinite_ring": lambda: dict(),
    "infinite_uni_ring": lambda: dict(),
    "infinite_grid": lambda: dict(),
    "equistatic": lambda: dict(n=8, degree=2, seed=0),
    "equistatic_degree": lambda: dict(n=8, eps=0.5, p=0.9),
    "k_peer_exponential": lambda: dict(n=8, k=2),
    "de_bruijn": lambda: dict(n=8),
    "pairwise_gossip": lambda: dict(n=6),
    "random_matching": lambda: dict(n=6),
    "epidemic": lambda: dict(n=6, s=2),
    "expected_contraction": lambda: dict(scheme=tt.random_matching(6)),
    "epidemic_contraction": lambda: dict(n=6, s=2),
    "el_oracle": lambda: dict(n=6, s=2),
    "el_oracle_contraction": lambda: dict(n=6, s=2),
    "equidyn": lambda: dict(n=6, eta=0.5),
    "push_sum_rate": lambda: dict(push=tt.push_sum(np.array([[0.5, 1.0], [0.5, 0.0]])), lr=0.1, zeta=4.0),
    "push_sum_loss_curve": lambda: dict(push=tt.push_sum(np.array([[0.5, 1.0], [0.5, 0.0]])), lr=0.1, zeta=4.0,
                                        steps=5),
    "periodic_mixture": lambda: dict(factors=[tt.ring(4), tt.random_matching(4)]),
    "push_sum": lambda: dict(matrices=np.array([[0.5, 1.0], [0.5, 0.0]])),
    "spectral_gap": lambda: dict(scheme=tt.ring(8)),
    "SpectralGap": None,
    "effective_neighbors": lambda: dict(scheme=tt.ring(8), gamma=0.9),
    "effective_neighbors_interval": lambda: dict(scheme=tt.star(8), gamma=0.9),
    "KrylovEstimate": None,
    "random_walk_covariance": lambda: dict(scheme=tt.ring(4), gamma=0.9),
    "spectral_gap_bound": lambda: dict(n=8, gamma=0.9, spectral_gap=0.2),
    "spectral_dimension_bound": lambda: dict(gamma=0.9, d_s=1.0, c_s=1.0),
    "s0_functional": lambda: dict(scheme=tt.ring(8), lr=0.1),
    "s1_functional": lambda: dict(scheme=tt.ring(8), lr=0.1),
    "consensus_distance_noise": lambda: dict(scheme=tt.ring(8), lr=0.1),
    "consensus_distance_heterogeneous": lambda: dict(scheme=tt.ring(4), lr=0.1, b=np.arange(4.0)),
    "koloskova_mixing": lambda: dict(scheme=tt.ring(8)),
    "koloskova_complexity": lambda: dict(scheme=tt.ring(8), eps=0.1),
    "mixing_time": lambda: dict(scheme=tt.ring(8)),
    "KoloskovaMixing": None,
    "KoloskovaComplexity": None,
    "zeta": lambda: dict(d=10),
    "quadratic_rate": lambda: dict(scheme=tt.ring(8), lr=0.1, zeta=10.0),
    "loss_curve": lambda: dict(scheme=tt.ring(8), lr=0.1, zeta=10.0, steps=10),
    "time_to_target": lambda: dict(scheme=tt.ring(8), lr=0.1, zeta=10.0, target=0.5),
    "max_learning_rate": lambda: dict(scheme=tt.ring(8), zeta=10.0),
    "optimal_learning_rate": lambda: dict(scheme=tt.ring(8), zeta=10.0),
    "OptimalLearningRate": None,
    "optimal_hyperparameters": lambda: dict(scheme=tt.ring(4), zeta=10.0, algorithm="dmsgd"),
    "OptimalHyperparameters": None,
    "AlgorithmRate": None,
    "quadratic_rate_interval": lambda: dict(scheme=tt.star(8), lr=0.1, zeta=10.0),
    "optimal_learning_rate_interval": lambda: dict(scheme=tt.star(8), zeta=10.0),
    "OptimumInterval": None,
    "m_matrix": lambda: dict(scheme=tt.ring(4), gamma=0.9),
    "beta": lambda: dict(scheme=tt.ring(4), gamma=0.9),
    "theorem6_learning_rate": lambda: dict(scheme=tt.ring(8), gamma=0.9, zeta=10.0),
    "corollary7": lambda: dict(scheme=tt.ring(8), gamma=0.9, zeta=10.0),
    "corollary8": lambda: dict(d_s=3.0, c_s=1.0, zeta=10.0),
    "corollary10_rate": lambda: dict(T=100, sigma2=1.0, mu=0.1, L=1.0, zeta=10.0, n=8, d_s=1.0, c_s=1.0),
    "koloskova_rate": lambda: dict(T=100, sigma2=1.0, mu=0.1, L=1.0, zeta=10.0, n=8, spectral_gap=0.2),
    "Corollary7": None,
    "Corollary8": None,
    "RateTerms": None,
    "simulate_dsgd": lambda: dict(scheme=tt.ring(4), lr=0.1, d=2, steps=10, reps=8, seed=0),
    "simulate_algorithm": lambda: dict(scheme=tt.ring(4), lr=0.1, d=2, steps=10, reps=8, seed=0, algorithm="dmsgd"),
    "simulate_random_walk": lambda: dict(scheme=tt.ring(4), gamma=0.5, steps=10, reps=8, seed=0),
    "simulate_push_sum": lambda: dict(push=tt.push_sum(np.array([[0.5, 1.0], [0.5, 0.0]])), lr=0.1, d=2, steps=10,
                                      reps=8, seed=0),
    "PushSumSimulation": None,
    "estimate_rate": lambda: dict(result=_sim(), n_boot=20),
    "DSGDSimulation": None,
    "RandomWalkSimulation": None,
    "RateEstimate": None,
    "crosscheck": lambda: dict(scheme=tt.ring(4), lr=0.1, d=2, reps=20, steps=20, seed=0, n_boot=20),
    "crosscheck_grid": lambda: dict(schemes=[tt.ring(4)], lrs=[0.1], d=2, reps=20, steps=20, seed=0, n_boot=20),
    "optimal_learning_rates": lambda: dict(schemes=[tt.ring(4), tt.star(4)], zeta=10.0, progress=False),
    "map_tasks": lambda: dict(func=pow, tasks=[(2, 3), (3, 2)], progress=False),
    "TaskFailure": None,
    "CrosscheckReport": None,
    "CrosscheckGrid": None,
    "TaskError": None,
    "task_seed": lambda: dict(root=0, k=1),
    "crosscheck_random_walk": lambda: dict(scheme=tt.ring(4), gamma=0.5, steps=20, reps=20, seed=0),
    "RandomWalkCheck": None,
    "CheckReport": None,
    "Diagnostics": None,
    "theory_path": lambda: dict(),
    "theory_section": lambda: dict(number=3),
    "theory_sections": lambda: dict(),
    "HeterogeneousQuadratic": lambda: dict(hessians=np.ones((2, 2)), optima=np.zeros((2, 2))),
    "LogisticProblem": lambda: dict(features=np.ones((2, 3, 2)), labels=np.ones((2, 3))),
    "random_quadratic": lambda: dict(n=4, d=2, seed=0),
    "logistic_problem": lambda: dict(n=2, d=2, samples_per_worker=5, seed=0),
    "propagate": lambda: dict(problem=_problem(), schedule=_schedule(), lr=0.1, steps=6),
    "fixed_point": lambda: dict(problem=_problem(), scheme=tt.ring(4), lr=0.1),
    "stationary": lambda: dict(problem=_problem(), scheme=tt.ring(4), lr=0.1),
    "mean_map_rate": lambda: dict(problem=_problem(), scheme=tt.ring(4), lr=0.1),
    "heterogeneity": lambda: dict(problem=_problem(), scheme=tt.ring(4)),
    "mixing_parameter": lambda: dict(problem=_problem(), scheme=tt.ring(4), lrs=[0.1, 0.2]),
    "simulate_merging": lambda: dict(problem=_problem(), schedule=_schedule(), lr=0.1, steps=6, reps=4, seed=0),
    "simulate_centralized": lambda: dict(problem=_problem(), lr=0.1, steps=6, reps=4, seed=0),
    "crosscheck_merging": lambda: dict(problem=_problem(), schedule=_schedule(), lr=0.1, steps=6, reps=20, seed=0),
    "MergingCurves": None,
    "MergingSimulation": None,
    "MergingCrosscheck": None,
    "GossipSchedule": lambda: dict(matrices=[np.full((2, 2), 0.5)], index=[0, -1, 0]),
    "placement_schedule": lambda: dict(scheme=tt.ring(4), steps=10, placement="early", budget=3),
    "gossip_every": lambda: dict(scheme=tt.ring(4), steps=10, period=2),
    "degree_schedule": lambda: dict(kind="linear", steps=10),
    "random_pull_schedule": lambda: dict(n=4, degrees=[1.0, 2.0], seed=0),
    "consensus_controlled_schedule": lambda: dict(problem=_problem(), scheme=tt.ring(4), lr=0.1, steps=6,
                                                  target=0.5),
    "per_agent_fixed_point": lambda: dict(problem=_problem()),
    "contraction_factors": lambda: dict(problem=_problem()),
    "iterations_to_eps": lambda: dict(problem=_problem(), eps=1e-3, max_iter=2000),
    "compare_stepsizes": lambda: dict(problem=_problem(), eps=1e-3, max_iter=2000),
    "StepsizeResult": None,
    "as_scheme": lambda: dict(obj=np.full((2, 2), 0.5)),
    "load_graph": lambda: dict(path=_graph_file()),
    "list_topologies": lambda: dict(),
    "optimal_weights": lambda: dict(graph=tt.ring(4), objective="spectral_gap"),
    "matching_schedule": lambda: dict(graph=tt.ring(4), gamma=0.9, sweeps=2),
    "mean_effective_neighbors": lambda: dict(scheme=tt.ring(4), gamma=0.9),
    "GraphReport": None,
    "RateLog": None,
    "WeightDesign": None,
    "ExplorerState": lambda: dict(topology="ring", n=8),
    "ExplorerView": None,
    "ExplorerRun": None,
}

#: Public callables that are neither functions nor result types, with the reason they are not
#: fuzzed.
EXCLUDED = {
    "GraphLoadWarning": "a warning class (raised by load_graph, never called with user input)",
    "explore": "builds ipywidgets; its values go through ExplorerState, which is fuzzed",
    "Explorer": "the widget wrapper returned by explore(); its values go through ExplorerState",
    "RandomScheme": "a class built through RandomScheme.from_outcomes or the family constructors (tested in "
                    "tests/graphs/test_random_schemes.py)",
    "PeriodicRandomScheme": "a class built through periodic_mixture (tested in tests/graphs/test_random_schemes.py)",
    "PushSum": "a class built through push_sum (tested in tests/simulate/test_push_sum.py)",
    "Algorithm": "a registry entry (tt.ALGORITHMS); its hyper-parameters are validated by Algorithm.check, "
                 "tested in tests/algorithms/test_registry.py",
    "Hyperparameter": "a registry entry's parameter spec; its check is tested in tests/algorithms/test_registry.py",
}
#: Functions whose boundary is fixed: the default suite asserts the contract for them (no vague
#: error, no other exception type, no hang, no silently accepted bad input).
FIXED = ("ring", "uni_ring", "chain", "torus", "hypercube", "star", "binary_tree", "two_cliques",
         "fully_connected", "solo", "one_peer_exponential", "exponential_graph", "local_steps", "mix",
         "base_graph", "hyper_hypercube", "one_peer_exponential_any", "random_regular", "erdos_renyi",
         "InfiniteGraph",
         # graphs.specs, graphs.io, graphs.published
         "paper_topologies", "topology_from_spec", "load_graph", "list_topologies", "equistatic", "equistatic_degree",
         "k_peer_exponential", "de_bruijn",
         # metrics
         "spectral_gap", "effective_neighbors", "random_walk_covariance", "spectral_gap_bound",
         "spectral_dimension_bound", "s0_functional", "s1_functional", "consensus_distance_noise",
         "consensus_distance_heterogeneous", "koloskova_mixing", "koloskova_complexity", "mixing_time",
         # bounds
         "m_matrix", "beta", "theorem6_learning_rate", "corollary7", "corollary8", "corollary10_rate", "koloskova_rate",
         # simulate, crosscheck
         "simulate_dsgd", "simulate_random_walk", "estimate_rate", "crosscheck", "crosscheck_grid",
         # hetero
         "HeterogeneousQuadratic", "LogisticProblem", "random_quadratic", "logistic_problem", "propagate",
         "fixed_point", "stationary", "mean_map_rate", "heterogeneity", "mixing_parameter", "simulate_merging",
         "simulate_centralized", "crosscheck_merging", "GossipSchedule", "placement_schedule", "gossip_every",
         "degree_schedule", "random_pull_schedule", "consensus_controlled_schedule", "per_agent_fixed_point",
         "contraction_factors", "iterations_to_eps", "compare_stepsizes", "crosscheck_random_walk",
         # common
         "theory_path", "theory_section", "theory_sections")

#: Legal extreme cases that take longer than the time limit, with the reason (the long run
#: reports them as hangs; the default suite leaves them out).
SLOW_LEGAL = {
    "simulate_random_walk|gamma|1-1e-16": "the default burn-in is capped at 10**6 steps (about 8 s on 4 workers); "
                                          "the result is flagged untrusted (burn-in deficit)",
    "crosscheck_random_walk|gamma|1-1e-16": "the same capped burn-in (simulate_random_walk), about 8 s",
}

#: ``None`` in :data:`BASELINE`: a result type, built by the package, not by users.
RESULT_TYPES = tuple(k for k, v in BASELINE.items() if v is None)


def public_callables():
    """Names in ``topotheory.__all__`` that are callable (functions, classes, the crosscheck module)."""
    out = []
    for name in tt.__all__:
        if name.startswith("_") or name.isupper():
            continue
        obj = getattr(tt, name)
        if callable(obj) and not inspect.ismodule(obj) or name == "crosscheck":
            out.append(name)
    return out


def _signature(name):
    obj = getattr(tt, name)
    if name == "crosscheck":
        obj = tt.crosscheck.crosscheck
    return inspect.signature(obj)


def kind_of(func, param):
    """The kind of parameter ``param`` of ``func`` (``None``: not fuzzed)."""
    over = OVERRIDES.get(func, {})
    if param in over:
        return over[param]
    return KINDS.get(param, "any")


@dataclasses.dataclass(frozen=True)
class Case:
    """One call: ``func`` with ``param`` swapped for the bad value ``bad`` (or the CLI equivalent)."""

    func: str
    param: str
    bad: Bad
    module: str

    @property
    def key(self):
        return f"{self.func}|{self.param}|{self.bad.label}"


def _module_of(name):
    obj = getattr(tt, name)
    if name == "crosscheck":
        obj = tt.crosscheck.crosscheck
    mod = getattr(obj, "__module__", "topotheory") or "topotheory"
    return mod.replace("topotheory.", "", 1)


def api_cases(functions=None):
    """Every (function, parameter, bad value) case, in a fixed order."""
    cases = []
    for name in functions or public_callables():
        if BASELINE.get(name) is None:
            continue
        base = BASELINE[name]()
        module = _module_of(name)
        for pname, par in _signature(name).parameters.items():
            if par.kind in (par.VAR_KEYWORD, par.VAR_POSITIONAL):
                continue
            kind = kind_of(name, pname)
            if kind is None:
                continue
            for bad in BAD[kind]:
                if bad.label == "None" and par.default is None:
                    if pname not in base:
                        continue  # None is the documented default of this parameter
                    bad = Bad("None", None, invalid=False)  # legal: the default, passed explicitly
                cases.append(Case(name, pname, bad, module))
    return cases


def _call(case):
    kwargs = BASELINE[case.func]()
    kwargs[case.param] = case.bad.value()
    obj = getattr(tt, case.func)
    if case.func == "crosscheck":
        obj = tt.crosscheck.crosscheck
    sig = _signature(case.func)
    args, kw = [], {}
    for pname, par in sig.parameters.items():
        if pname not in kwargs:
            continue
        if par.kind is par.POSITIONAL_ONLY:
            args.append(kwargs[pname])
        else:
            kw[pname] = kwargs[pname]
    return obj(*args, **kw)


_FLAG_FIELDS = ("diverged", "converged", "flag", "trusted", "holds")


def _has_nan(x, depth=0):
    if depth > 3:
        return False
    if isinstance(x, (float, np.floating)):
        return bool(np.isnan(x))
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return bool(np.isnan(x).any())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return any(_has_nan(getattr(x, f.name), depth + 1) for f in dataclasses.fields(x))
    if isinstance(x, (tuple, list)):
        return any(_has_nan(v, depth + 1) for v in x[:50])
    return False


def _nan_with_flag(result):
    return _has_nan(result) and any(hasattr(result, f) for f in _FLAG_FIELDS)


def _names_param(message, param):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(param)}(?![A-Za-z0-9_])", message) is not None


def classify(case, exc=None, result=None):
    """The outcome of a case given the exception raised (or the result returned)."""
    if isinstance(exc, Hang):
        return "hang"
    if exc is not None:
        if isinstance(exc, (ValueError, TypeError)):
            return "clear" if _names_param(str(exc), case.param) else "vague"
        return "other"
    if not case.bad.invalid or _nan_with_flag(result):
        return "valid"
    return "accepted"


def _alarm(signum, frame):
    raise Hang()


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`Hang` in the main thread after ``seconds`` (``signal.setitimer``)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_case(case, *, seconds=TIME_LIMIT):
    """Run one API case in-process under a time limit; return ``(outcome, detail)``."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with time_limit(seconds):
                result = _call(case)
    except Hang as exc:
        return classify(case, exc), f"no answer within {seconds:g} s"
    except Exception as exc:  # noqa: BLE001 - classifying every exception is the point
        return classify(case, exc), f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    return classify(case, None, result), f"returned {type(result).__name__}"


# ----------------------------------------------------------------------------------------- CLI
#: A valid, quick argv per command (the figure commands write into a temporary folder).
CLI_BASELINE = {
    "compare": ["compare", "--topologies", "ring,star", "--n", "8", "--gamma", "0.9"],
    "rate": ["rate", "--topology", "ring", "--n", "8", "--zeta", "10", "--lr", "0.1"],
    "crosscheck": ["crosscheck", "--topology", "ring", "--n", "4", "--lr", "0.1", "--d", "2", "--reps", "20",
                   "--steps", "20", "--seed", "0"],
    "schedules": ["schedules", "--n", "4", "--d", "2", "--budget", "5", "--steps", "20", "--seed", "0"],
    "figure": ["figure", "ring_size", "--quick", "--out", "{out}"],
    "reproduce": ["reproduce", "--quick", "--out", "{out}", "--figures", "ring_size"],
}

#: Bad option values for the CLI: (label, text, invalid).
CLI_BAD = [("nan", "nan", True), ("inf", "inf", True), ("-1", "-1", True), ("0", "0", False),
           ("1e400", "1e400", True), ("text", "abc", True), ("empty", "", True), ("2^63", str(2**63), True),
           ("1e9", "1e9", False), ("comma", "1,,2", True)]

#: Bad CLI values that are legal for one option: ``{(option, label)}`` (a seed of any size).
CLI_LEGAL = {("--seed", "2^63")}

#: Options not fuzzed (they take no value or only select output).
CLI_SKIP = {"--help", "--version", "--quick", "--strict", "--no-optimum", "--list", "--out", "--format"}


def cli_options():
    """``{command: [option, ...]}`` read from the argparse parser."""
    from topotheory.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    out = {}
    for name, p in sub.choices.items():
        opts = []
        for a in p._actions:
            if not a.option_strings or a.nargs == 0:
                continue
            opt = max(a.option_strings, key=len)
            if opt not in CLI_SKIP:
                opts.append(opt)
        out[name] = opts
    return out


def cli_cases(commands=None):
    cases = []
    for cmd, opts in cli_options().items():
        if commands and cmd not in commands or cmd not in CLI_BASELINE:
            continue
        for opt in opts:
            for label, text, invalid in CLI_BAD:
                invalid = invalid and (opt, label) not in CLI_LEGAL
                cases.append(Case(cmd, opt, Bad(label, text, invalid), f"cli/{cmd}"))
    return cases


def _cli_argv(case, out):
    argv = [a.replace("{out}", out) for a in CLI_BASELINE[case.func]]
    if case.param in argv:
        argv[argv.index(case.param) + 1] = case.bad.make
    else:
        argv += [case.param, case.bad.make]
    return argv


def classify_cli(case, code, err, exc=None):
    if isinstance(exc, Hang):
        return "hang"
    if exc is not None and not isinstance(exc, SystemExit):
        return "traceback"
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    if code == 2:
        return "clean" if len(lines) == 1 else "multiline"
    if code != 0 or "Traceback" in err:
        return "traceback"
    return "accepted" if case.bad.invalid else "valid"


def run_cli_case(case, *, seconds=TIME_LIMIT):
    """Run ``topotheory.cli.main(argv)`` in-process; return ``(outcome, detail)``."""
    import warnings

    from topotheory.cli import main

    err, out = io.StringIO(), io.StringIO()
    code, exc = None, None
    with tempfile.TemporaryDirectory() as tmp:
        argv = _cli_argv(case, os.path.join(tmp, "out"))
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                warnings.simplefilter("ignore")
                with time_limit(seconds):
                    code = main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
        except BaseException as e:  # noqa: BLE001
            exc = e
    outcome = classify_cli(case, code, err.getvalue(), exc)
    detail = (f"{type(exc).__name__}: {exc}" if exc else f"exit {code}: " + err.getvalue().strip()[-160:])
    return outcome, " ".join(argv) + " -> " + detail.replace("\n", " | ")


def run_cli_subprocess(argv, *, seconds=30.0):
    """Run ``python -m topotheory ARGV`` in a subprocess: ``(exit code, stdout, stderr)``."""
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "topotheory", *argv], capture_output=True, text=True,
                          timeout=seconds, env=env)
    return proc.returncode, proc.stdout, proc.stderr


# ---------------------------------------------------------------------------- isolated worker
def _worker(memory_limit):
    """Worker loop: read ``kind index`` lines from stdin, answer one JSON line each."""
    import resource

    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    api, cli = api_cases(), cli_cases()
    for line in sys.stdin:
        kind, idx, seconds = line.split()
        case = (api if kind == "api" else cli)[int(idx)]
        runner = run_case if kind == "api" else run_cli_case
        try:
            outcome, detail = runner(case, seconds=float(seconds))
        except MemoryError:
            outcome, detail = "other", "MemoryError"
        sys.stdout.write(json.dumps([outcome, detail]) + "\n")
        sys.stdout.flush()


class _Worker:
    def __init__(self, memory_limit):
        code = ("import sys; sys.path.insert(0, %r); from fuzz import harness; harness._worker(%d)"
                % (os.path.dirname(os.path.dirname(os.path.abspath(__file__))), memory_limit))
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def ask(self, kind, idx, seconds, grace):
        import selectors

        self.proc.stdin.write(f"{kind} {idx} {seconds}\n")
        self.proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=seconds + grace)
        sel.close()
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else ("crash",)

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def run_isolated(kind, cases, *, seconds=TIME_LIMIT, grace=20.0, memory_limit=3 * 2**30, progress=None):
    """Run ``cases`` (all API or all CLI) in a worker subprocess; yield ``(case, outcome, detail)``.

    ``grace`` covers the worker's start-up (importing the package) and calls stuck in C code that
    the in-worker alarm cannot interrupt; a worker that does not answer in time is killed (the
    case counts as a hang) and a fresh one serves the next case.
    """
    worker = None
    every = api_cases() if kind == "api" else cli_cases()
    index = {c.key: i for i, c in enumerate(every)}
    for n, case in enumerate(cases):
        if worker is None:
            worker = _Worker(memory_limit)
        answer = worker.ask(kind, index[case.key], seconds, grace)
        if answer is None:
            worker.kill()
            worker = None
            outcome, detail = "hang", f"killed after {seconds + grace:g} s"
        elif answer == ("crash",):
            worker.kill()
            worker = None
            outcome, detail = "other", "worker died (crash or memory)"
        else:
            outcome, detail = answer
        if progress:
            progress(n, case, outcome)
        yield case, outcome, detail
    if worker is not None:
        worker.proc.stdin.close()
        worker.kill()


def tabulate(rows, outcomes):
    """Counts per module: ``{module: {outcome: count}}`` plus a ``total`` row."""
    table = {}
    for case, outcome, _ in rows:
        table.setdefault(case.module, dict.fromkeys(outcomes, 0))[outcome] += 1
    table["total"] = {o: sum(t[o] for t in table.values()) for o in outcomes}
    return table


def format_table(table, outcomes):
    width = max(len(m) for m in table) + 2
    head = "module".ljust(width) + "".join(o.rjust(10) for o in outcomes) + "     calls"
    lines = [head, "-" * len(head)]
    for mod in sorted(table, key=lambda m: (m == "total", m)):
        row = table[mod]
        lines.append(mod.ljust(width) + "".join(str(row[o]).rjust(10) for o in outcomes)
                     + str(sum(row.values())).rjust(10))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ strategies
def strategy(kind):
    """A hypothesis strategy of invalid values of ``kind``: the listed ones plus generated ones.

    Every value it draws must be refused by a function that expects ``kind`` (the extreme, legal
    values of :data:`BAD` are left out).
    """
    from hypothesis import strategies as st

    listed = st.sampled_from([b for b in BAD[kind] if b.invalid])
    generated = {
        "size": st.one_of(st.integers(max_value=0).map(lambda v: Bad(f"int {v}", v)),
                          st.integers(min_value=2**63, max_value=2**80).map(lambda v: Bad(f"int {v}", v)),
                          st.floats(allow_nan=True).filter(lambda f: not float(f).is_integer())
                          .map(lambda v: Bad(f"float {v!r}", v)),
                          st.text(max_size=4).map(lambda v: Bad(f"str {v!r}", v))),
        "positive": st.one_of(st.floats(max_value=-1e-300).map(lambda v: Bad(f"float {v!r}", v)),
                              st.text(max_size=4).map(lambda v: Bad(f"str {v!r}", v)),
                              st.complex_numbers(min_magnitude=1e-3).map(lambda v: Bad(f"complex {v!r}", v))),
        "probability": st.one_of(st.floats(min_value=1.0, exclude_min=True).map(lambda v: Bad(f"float {v!r}", v)),
                                 st.floats(max_value=0.0, exclude_max=True).map(lambda v: Bad(f"float {v!r}", v))),
        "bool": st.one_of(st.text(max_size=5).map(lambda v: Bad(f"str {v!r}", v)),
                          st.integers().map(lambda v: Bad(f"int {v}", v))),
        "seed": st.one_of(st.integers(max_value=-1).map(lambda v: Bad(f"int {v}", v)),
                          st.text(max_size=3).map(lambda v: Bad(f"str {v!r}", v))),
    }.get(kind)
    return listed if generated is None else st.one_of(listed, generated)
