r"""Theory versus simulation for the effective number of neighbours :math:`n_W(\gamma)` (THEORY §2, §6)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..common.annotations import SchemeLike

from ..common.validation import check_real
from ..graphs.scheme import check_scheme
from ..simulate.engine import format_seed
from ..simulate.montecarlo import RandomWalkSimulation, simulate_random_walk
from .stats import Check, CheckReport, Diagnostics, decide, mean_band, replica_diagnostics

__all__ = ["RandomWalkCheck", "crosscheck_random_walk"]


@dataclass(frozen=True, repr=False, eq=False)
class RandomWalkCheck(CheckReport):
    r"""Result of :func:`crosscheck_random_walk`: exact :math:`n_W` against the simulated walk.

    Attributes
    ----------
    scheme : str
        Name of the scheme.
    gamma : float
        Decay :math:`\gamma` of the random walk.
    phase : int
        Phase of a periodic scheme at which the walk is read.
    reps, steps : int
        Replicas and recorded steps of the simulation.
    seed : int, dict, str or None
        Record of the simulation's seed.
    confidence : float
        Level of ``ci``.
    theory : float
        :func:`topotheory.effective_neighbors` (``mode="mean"``) at ``gamma`` and ``phase``.
    estimate : float
        Simulated :math:`n_W`.
    ci : (float, float)
        Interval at level ``confidence`` (see :func:`crosscheck_random_walk`).
    verdict, reason, diagnostics
        As in every cross-check report (:mod:`topotheory.crosscheck.stats`).
    simulation : RandomWalkSimulation
        The simulation itself.
    """

    scheme: str
    gamma: float
    phase: int
    reps: int
    steps: int
    seed: object
    confidence: float
    theory: float
    estimate: float
    ci: tuple
    verdict: str
    reason: str
    diagnostics: Diagnostics
    simulation: RandomWalkSimulation = field(repr=False)

    def _body(self) -> list[str]:
        lo, hi = self.ci
        return [
            "Cross-check: effective number of neighbours n_W, exact vs Monte Carlo random walk",
            f"  scheme      {self.scheme}, gamma={self.gamma:g}, phase {self.phase}",
            f"  simulation  {self.reps} replicas x {self.steps} steps after a burn-in of {self.simulation.burn_in},"
            f" seed {format_seed(self.seed)}",
            f"  n_W         theory {self.theory:.6g}   Monte Carlo {self.estimate:.6g}"
            f"   {100 * self.confidence:g}% CI [{lo:.6g}, {hi:.6g}]",
        ] + self._verdict_lines()


def crosscheck_random_walk(scheme: SchemeLike, *, gamma: float, steps: int, reps: int, seed: Any = None, phase: int = 0,
                           confidence: float = 0.95, burn_in: int | None = None) -> RandomWalkCheck:
    r"""Check :func:`topotheory.effective_neighbors` against :func:`topotheory.simulate_random_walk`.

    The simulation averages :math:`z_i^2` over workers and recorded steps in each replica,
    :math:`v_r`; the replicas are independent, so :math:`\bar v \pm q\, s_v/\sqrt R` (Student-t,
    :func:`topotheory.crosscheck.stats.mean_band`) covers :math:`E v = \operatorname{mean}_i
    \operatorname{Var} z_i` at level ``confidence``, and since
    :math:`n_W = [1/(1-\gamma)]/E v` is decreasing in :math:`E v` the interval maps to
    :math:`[c/(\bar v + h),\ c/(\bar v - h)]`, :math:`c = 1/(1-\gamma)`. The check is the
    exact value inside that interval; an untrusted simulation (burn-in too short, see
    :attr:`topotheory.simulate.montecarlo.RandomWalkSimulation.trusted`) makes a failure
    inconclusive, as do failing replica diagnostics of the :math:`v_r`.

    Parameters
    ----------
    scheme : Scheme
        The gossip scheme (or anything :func:`topotheory.as_scheme` accepts).
    gamma : float
        Decay of the walk, in ``[0, 1)``.
    steps, reps : int
        Recorded steps per replica and replicas.
    seed : None, int, SeedSequence or Generator
        Seed of the simulation.
    phase : int
        Phase of a periodic scheme.
    confidence : float
        Level of the interval, in ``(0, 1)``.
    burn_in : int, optional
        Steps simulated before recording (default: :func:`topotheory.simulate_random_walk`'s).

    Returns
    -------
    RandomWalkCheck
        Theory, estimate, interval and verdict.

    Examples
    --------
    >>> from topotheory import ring
    >>> chk = crosscheck_random_walk(ring(8), gamma=0.5, steps=200, reps=200, seed=0)
    >>> chk.verdict, round(chk.theory, 3)
    ('agrees', 3.715)
    """
    from ..metrics.randomwalk import effective_neighbors

    scheme = check_scheme(scheme)
    confidence = check_real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    sim = simulate_random_walk(scheme, gamma=gamma, steps=steps, reps=reps, seed=seed, phase=phase,
                               confidence=confidence, burn_in=burn_in)
    theory = float(effective_neighbors(scheme, sim.gamma, mode="mean", phase=sim.phase))
    v, _, h = mean_band(sim.replica_variance, level=confidence)
    c = 1.0 / (1.0 - sim.gamma)
    ci = (float(c / (v + h)), float(c / (v - h)) if v > h else math.inf)
    diag = replica_diagnostics(sim.replica_variance)
    if not sim.trusted:
        diag = Diagnostics(**dict(diag.__dict__, passed=False, problems=diag.problems + (sim.warning,)))
    inside = ci[0] <= theory <= ci[1]
    checks = [Check("n_W interval", bool(inside), detail=f"exact {theory:.6g} outside [{ci[0]:.6g}, {ci[1]:.6g}]")]
    verdict, reason = decide(checks, diag)
    return RandomWalkCheck(scheme=scheme.name, gamma=sim.gamma, phase=sim.phase, reps=sim.reps, steps=sim.steps,
                           seed=sim.seed, confidence=confidence, theory=theory, estimate=float(c / v), ci=ci,
                           verdict=verdict, reason=reason, diagnostics=diag, simulation=sim)
