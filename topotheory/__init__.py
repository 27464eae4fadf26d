"""topotheory: how the communication topology shapes decentralized SGD, computed exactly.

The public API is flat: ``import topotheory as tt`` and use ``tt.ring(32)``,
``tt.effective_neighbors(...)``, ``tt.quadratic_rate(...)``, ...
"""

from .scheme import Scheme, consensus_rate, finite_time_consensus, is_doubly_stochastic, is_symmetric
from .topologies import (
    PAPER_TOPOLOGIES,
    TOPOLOGIES,
    binary_tree,
    chain,
    exponential_graph,
    fully_connected,
    hypercube,
    local_steps,
    mix,
    one_peer_exponential,
    paper_topologies,
    ring,
    social_network,
    solo,
    star,
    topology_from_spec,
    torus,
    two_cliques,
    uni_ring,
)
from .spectral import (
    SPECTRAL_GAP_KINDS,
    InfiniteGraph,
    infinite_grid,
    infinite_ring,
    infinite_uni_ring,
    spectral_gap,
)
from .randomwalk import (
    NW_MODES,
    effective_neighbors,
    random_walk_covariance,
    spectral_dimension_bound,
    spectral_gap_bound,
)
from .weights import WEIGHT_RULES, lazy_weights, max_degree_weights, metropolis_weights

__version__ = "0.1.0"

# --- public API of other modules below ---
from .families import (
    base_graph,
    erdos_renyi,
    hyper_hypercube,
    max_degree_per_step,
    one_peer_exponential_any,
    random_regular,
)
from .functionals import (
    KoloskovaComplexity,
    KoloskovaMixing,
    consensus_distance_heterogeneous,
    consensus_distance_noise,
    koloskova_complexity,
    koloskova_mixing,
    mixing_time,
    s0_functional,
    s1_functional,
)
from .quadratic import (
    OptimalLearningRate,
    loss_curve,
    max_learning_rate,
    optimal_learning_rate,
    quadratic_rate,
    time_to_target,
    zeta,
)
from .bounds import (
    RateTerms,
    beta,
    corollary7,
    corollary8,
    corollary10_rate,
    koloskova_rate,
    m_matrix,
    theorem6_learning_rate,
)
from . import symbolic
from .montecarlo import (
    DSGDSimulation,
    RandomWalkSimulation,
    RateEstimate,
    estimate_rate,
    simulate_dsgd,
    simulate_random_walk,
)
from .crosscheck import CrosscheckGrid, CrosscheckReport, crosscheck, crosscheck_grid
from .heterogeneous import HeterogeneousQuadratic, LogisticProblem, logistic_problem, random_quadratic
from .merging import (
    crosscheck_merging,
    fixed_point,
    heterogeneity,
    mean_map_rate,
    mixing_parameter,
    propagate,
    simulate_centralized,
    simulate_merging,
    stationary,
)
from .schedules import (
    GossipSchedule,
    consensus_controlled_schedule,
    degree_schedule,
    gossip_every,
    placement_schedule,
    random_pull_schedule,
)
from .stepsizes import compare_stepsizes, contraction_factors, iterations_to_eps, per_agent_fixed_point
