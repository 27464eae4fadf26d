"""topotheory: how the communication topology shapes decentralized SGD, computed exactly.

The public API is flat: ``import topotheory as tt`` and use ``tt.ring(32)``,
``tt.effective_neighbors(...)``, ``tt.quadratic_rate(...)``, ... Every public name, and every type a
public function returns, is listed in ``topotheory.__all__``.

The implementation is layered; each layer imports only the layers below it:

==============  =======================================================================
``common``      validation, seeds, JSON conversion (package-internal)
``graphs``      what gossips: schemes, weight rules, topologies, families, lattices, specs
``engine``      the representation a scheme resolves to, chosen once (the dispatch point)
``metrics``     numbers of a graph: spectral gaps, n_W, functionals
``toy``         the toy problem's theory: exact rates, optimal learning rates, loss curves
``bounds``      the paper's general bounds (Section 4)
``simulate``    Monte Carlo simulation of the same dynamics
``crosscheck``  theory against simulation
``hetero``      heterogeneous data: propagation, schedules, merging, step sizes
``compare``     the metric registry shared by ``compare`` and the metric study
``figures``     the paper's figures (data apart from drawing)
``explore``     the interactive explorer for Jupyter (ipywidgets, optional)
``cli``         the ``topotheory`` command
==============  =======================================================================
"""

from .graphs import (
    PAPER_TOPOLOGIES,
    TOPOLOGIES,
    WEIGHT_RULES,
    InfiniteGraph,
    Scheme,
    base_graph,
    binary_tree,
    chain,
    consensus_rate,
    erdos_renyi,
    exponential_graph,
    finite_time_consensus,
    fully_connected,
    hyper_hypercube,
    hypercube,
    infinite_grid,
    infinite_ring,
    infinite_uni_ring,
    is_doubly_stochastic,
    is_symmetric,
    lazy_weights,
    local_steps,
    max_degree_per_step,
    max_degree_weights,
    metropolis_weights,
    one_over_max_degree_weights,
    equistatic,
    equistatic_degree,
    k_peer_exponential,
    de_bruijn,
    RandomScheme,
    pairwise_gossip,
    random_matching,
    epidemic,
    expected_contraction,
    epidemic_contraction,
    el_oracle,
    el_oracle_contraction,
    equidyn,
    periodic_mixture,
    PeriodicRandomScheme,
    PushSum,
    push_sum,
    mix,
    one_peer_exponential,
    one_peer_exponential_any,
    paper_topologies,
    random_regular,
    ring,
    social_network,
    solo,
    star,
    topology_from_spec,
    torus,
    two_cliques,
    uni_ring,
    as_scheme,
    load_graph,
    GraphReport,
    GraphLoadWarning,
    list_topologies,
)
from .algorithms import ALGORITHMS, Algorithm, Hyperparameter
from .engine.krylov import KrylovEstimate
from .metrics import (
    NW_MODES,
    SPECTRAL_GAP_KINDS,
    KoloskovaComplexity,
    KoloskovaMixing,
    consensus_distance_heterogeneous,
    consensus_distance_noise,
    effective_neighbors,
    effective_neighbors_interval,
    koloskova_complexity,
    koloskova_mixing,
    mixing_time,
    random_walk_covariance,
    s0_functional,
    s1_functional,
    spectral_dimension_bound,
    SpectralGap,
    spectral_gap,
    spectral_gap_bound,
)
from .toy import (
    AlgorithmRate,
    OptimalHyperparameters,
    optimal_hyperparameters,
    OptimalLearningRate,
    OptimumInterval,
    optimal_learning_rate_interval,
    quadratic_rate_interval,
    RateLog,
    loss_curve,
    max_learning_rate,
    optimal_learning_rate,
    quadratic_rate,
    time_to_target,
    zeta,
)
from .bounds import (
    Corollary7,
    Corollary8,
    RateTerms,
    beta,
    corollary7,
    corollary8,
    corollary10_rate,
    koloskova_rate,
    m_matrix,
    theorem6_learning_rate,
)
from .simulate import (
    DSGDSimulation,
    RandomWalkSimulation,
    RateEstimate,
    estimate_rate,
    simulate_algorithm,
    simulate_dsgd,
    simulate_push_sum,
    PushSumSimulation,
    simulate_random_walk,
)
from .engine.random import push_sum_loss_curve, push_sum_rate
from . import crosscheck  # a callable module: tt.crosscheck(...) runs crosscheck.rates.crosscheck
from .crosscheck import (CheckReport, CrosscheckGrid, CrosscheckReport, Diagnostics, RandomWalkCheck, TaskError,
                         crosscheck_grid, crosscheck_random_walk)
from .common.rng import task_seed
from .common.tasks import TaskFailure, map_tasks
from .compare.batch import optimal_learning_rates
from .hetero import (
    GossipSchedule,
    HeterogeneousQuadratic,
    LogisticProblem,
    MergingCrosscheck,
    MergingCurves,
    MergingSimulation,
    StepsizeResult,
    compare_stepsizes,
    consensus_controlled_schedule,
    contraction_factors,
    crosscheck_merging,
    degree_schedule,
    fixed_point,
    gossip_every,
    heterogeneity,
    iterations_to_eps,
    logistic_problem,
    mean_map_rate,
    mixing_parameter,
    per_agent_fixed_point,
    placement_schedule,
    propagate,
    random_pull_schedule,
    random_quadratic,
    simulate_centralized,
    simulate_merging,
    stationary,
)
from .design import (
    DESIGN_METHODS,
    DESIGN_OBJECTIVES,
    WeightDesign,
    matching_schedule,
    mean_effective_neighbors,
    optimal_weights,
)
from .explore import Explorer, ExplorerRun, ExplorerState, ExplorerView, explore

from .common.version import __version__
from .common.theory import theory_path, theory_section, theory_sections

__all__ = [
    # graphs
    "Scheme", "InfiniteGraph", "WEIGHT_RULES", "TOPOLOGIES", "PAPER_TOPOLOGIES",
    "is_doubly_stochastic", "is_symmetric", "finite_time_consensus", "consensus_rate",
    "metropolis_weights", "max_degree_weights", "lazy_weights",
    "ring", "uni_ring", "chain", "torus", "hypercube", "star", "binary_tree", "two_cliques",
    "fully_connected", "solo", "social_network", "one_peer_exponential", "exponential_graph",
    "local_steps", "mix", "paper_topologies", "topology_from_spec",
    "as_scheme", "load_graph", "GraphReport", "GraphLoadWarning", "list_topologies",
    "base_graph", "hyper_hypercube", "one_peer_exponential_any", "random_regular", "erdos_renyi",
    "max_degree_per_step", "infinite_ring", "infinite_uni_ring", "infinite_grid",
    "one_over_max_degree_weights", "equistatic", "equistatic_degree", "k_peer_exponential", "de_bruijn",
    "RandomScheme", "pairwise_gossip", "random_matching", "epidemic", "expected_contraction", "epidemic_contraction",
    "el_oracle", "el_oracle_contraction", "equidyn",
    "periodic_mixture", "PeriodicRandomScheme", "PushSum", "push_sum", "push_sum_rate", "push_sum_loss_curve",
    "ALGORITHMS", "Algorithm", "Hyperparameter",
    # metrics
    "SPECTRAL_GAP_KINDS", "NW_MODES", "spectral_gap", "SpectralGap", "effective_neighbors", "random_walk_covariance",
    "effective_neighbors_interval", "KrylovEstimate",
    "spectral_gap_bound", "spectral_dimension_bound",
    "s0_functional", "s1_functional", "consensus_distance_noise", "consensus_distance_heterogeneous",
    "koloskova_mixing", "koloskova_complexity", "mixing_time", "KoloskovaMixing", "KoloskovaComplexity",
    # toy problem
    "zeta", "quadratic_rate", "loss_curve", "time_to_target", "max_learning_rate",
    "optimal_learning_rate", "OptimalLearningRate", "RateLog", "symbolic", "optimal_learning_rates",
    "optimal_hyperparameters", "OptimalHyperparameters", "AlgorithmRate",
    "quadratic_rate_interval", "optimal_learning_rate_interval", "OptimumInterval",
    # bounds
    "m_matrix", "beta", "theorem6_learning_rate", "corollary7", "corollary8", "corollary10_rate",
    "koloskova_rate", "Corollary7", "Corollary8", "RateTerms",
    # simulation and cross-checks
    "simulate_dsgd", "simulate_random_walk", "estimate_rate", "simulate_push_sum", "PushSumSimulation",
    "simulate_algorithm",
    "DSGDSimulation", "RandomWalkSimulation", "RateEstimate",
    "crosscheck", "crosscheck_grid", "CrosscheckReport", "CrosscheckGrid", "TaskError", "task_seed",
    "map_tasks", "TaskFailure",
    "crosscheck_random_walk", "RandomWalkCheck", "CheckReport", "Diagnostics",
    # heterogeneous data
    "HeterogeneousQuadratic", "LogisticProblem", "random_quadratic", "logistic_problem",
    "propagate", "fixed_point", "stationary", "mean_map_rate", "heterogeneity", "mixing_parameter",
    "simulate_merging", "simulate_centralized", "crosscheck_merging",
    "MergingCurves", "MergingSimulation", "MergingCrosscheck",
    "GossipSchedule", "placement_schedule", "gossip_every", "degree_schedule",
    "random_pull_schedule", "consensus_controlled_schedule",
    "per_agent_fixed_point", "contraction_factors", "iterations_to_eps", "compare_stepsizes",
    "StepsizeResult",
    # design
    "optimal_weights", "WeightDesign", "DESIGN_OBJECTIVES", "DESIGN_METHODS",
    "matching_schedule", "mean_effective_neighbors",
    # interactive exploration
    "explore", "Explorer", "ExplorerState", "ExplorerView", "ExplorerRun",
    "__version__",
    # the theory specification shipped with the package
    "theory_path", "theory_section", "theory_sections",
]


def __getattr__(name: str) -> object:
    # sympy is heavy: the symbolic oracles are imported on first use of ``tt.symbolic``.
    if name == "symbolic":
        import importlib

        module = importlib.import_module(".toy.symbolic", __name__)
        globals()["symbolic"] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"symbolic"})
