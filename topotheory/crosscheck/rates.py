r"""Theory versus simulation: one call that checks the exact theory against Monte Carlo (THEORY §6).

:func:`crosscheck` runs both sides for one scheme and learning rate:

* theory — the exact expected loss curve (:func:`topotheory.quadratic.loss_curve`, the
  second-moment recursion of THEORY §3.2) and the asymptotic rate
  (:func:`topotheory.quadratic.quadratic_rate`, ``method="exact"`` by default);
* simulation — :func:`topotheory.montecarlo.simulate_dsgd` of the same dynamics and
  :func:`topotheory.montecarlo.estimate_rate` over a late window;

and reports whether they agree: the exact rate lies inside the bootstrap interval *and* within
``rel_tol`` (3 %) of the estimate, and the whole exact curve lies inside the simulation's bands.
:func:`crosscheck_grid` sweeps schemes × learning rates, serially or through any
:class:`concurrent.futures.Executor`, with identical results for the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
import os
from concurrent.futures import Executor
from typing import Any
from dataclasses import dataclass, field

import numpy as np

from ..common.results import Result
from ..common.tasks import ON_ERROR as TASK_ON_ERROR
from ..common.tasks import TaskFailure, check_executor, map_tasks
from ..common.rng import as_generator, spawn_seeds
from ..common.validation import check_array, check_bool, check_int, check_real, plain
from ..simulate.montecarlo import DSGDSimulation, check_dsgd_size, estimate_rate
from ..simulate.engine import format_seed as _fmt_seed
from ..simulate.fit import fit_rate as _fit_rate
from ..graphs.scheme import Scheme, check_scheme
from ..simulate.engine import root_seed, start_point
from ..simulate.montecarlo import concat_simulations
from .stats import Check, CheckReport, Diagnostics, band_quantile, decide, mean_band, replica_diagnostics

__all__ = ["CrosscheckReport", "CrosscheckGrid", "TaskError", "crosscheck", "crosscheck_grid", "report_from_dict",
           "scheme_key"]


def _finite_or_none(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _list(a: Any) -> list[float | None]:
    return [_finite_or_none(v) for v in np.asarray(a, dtype=float).tolist()]


@dataclass(frozen=True, repr=False, eq=False)
class CrosscheckReport(CheckReport):
    r"""Result of :func:`crosscheck`: theory and simulation side by side.

    Attributes
    ----------
    scheme : str
        Name of the scheme.
    n : int
        Number of workers.
    period : int
        Period of the scheme (1 for a static one).
    lr : float
        Learning rate.
    d : int
        Model dimension.
    batch_size : int
        Mini-batch size :math:`b`.
    zeta : float
        Noise level :math:`\zeta = (1 + b + d)/b` of the toy problem.
    reps, steps : int
        Replicas and steps of the simulation.
    seed : int, dict, str or None
        Record of the simulation's seed (:func:`topotheory.simulate.engine.describe_seed`).
    method : str
        Method of the theory rate (``"exact"``, ``"secular"`` or ``"fixed_point"``).
    theory_rate : float
        Exact asymptotic rate :math:`r` (per step; NaN when the theory diverges).
    theory_window_rate : float
        The rate of the *exact curve* fitted over the same window as the simulation: equals
        ``theory_rate`` once transients have died out (a diagnostic for too short runs).
    mc_rate : float
        Simulated rate (:func:`topotheory.montecarlo.estimate_rate`).
    ci : (float, float)
        Bootstrap interval of ``mc_rate`` at level ``confidence``.
    confidence : float
        Level of ``ci``.
    window : (int, int)
        The fit window, first and last step (inclusive).
    rel_error : float
        :math:`|\hat r - r| / r`.
    rel_tol : float
        Tolerance of ``rel_error``.
    rate_in_ci, rate_within_tol : bool
        The rate checks: ``theory_rate`` inside ``ci``; ``rel_error <= rel_tol``.
    exact_loss, mc_loss : ndarray, shape (steps + 1,)
        The exact expected loss and the replica-mean simulated loss.
    band_low, band_high : ndarray, shape (steps + 1,)
        ``mc_loss`` :math:`\mp z\,` standard error; ``z`` (``band_z``) is the Bonferroni quantile
        making all ``steps + 1`` bands hold simultaneously with probability ``band_level``
        (Student-t with ``reps - 1`` degrees of freedom per point, conservative across points).
    band_level : float
        Simultaneous level of the bands.
    band_z : float
        Half-width of the bands in standard errors.
    max_z : float
        :math:`\max_t |\text{mc}(t) - \text{exact}(t)| / \text{se}(t)`.
    curve_inside : bool
        The curve check: the exact curve inside the bands at every step.
    diverged : bool
        The simulation diverged (some replica overflowed).
    verdict : {"agrees", "disagrees", "inconclusive"}
        From the one agreement rule (:func:`topotheory.crosscheck.stats.decide`) applied to three
        checks: rate inside the interval (evidence), rate within ``rel_tol`` (precision when the
        rate is inside the interval, evidence otherwise) and the curve inside the bands
        (evidence); a failure is robust when the discrepancy is larger than heavy tails can cause
        (:meth:`topotheory.crosscheck.stats.Diagnostics.tail_can_explain`).
    reason : str
        Why the verdict is what it is (the failed checks, or the diagnostics' doubt).
    diagnostics : Diagnostics
        Replica diagnostics of the per-replica loss over the fit window.
    replicas_spent : int
        Replicas simulated in all (more than ``reps`` in the adaptive mode).
    agrees : bool
        ``verdict == "agrees"``.
    simulation : DSGDSimulation
        The full simulation (per-replica trajectories included).
    """

    scheme: str
    n: int
    period: int
    lr: float
    d: int
    batch_size: int
    zeta: float
    reps: int
    steps: int
    seed: object
    method: str
    theory_rate: float
    theory_window_rate: float
    mc_rate: float
    ci: tuple
    confidence: float
    window: tuple
    rel_error: float
    rel_tol: float
    rate_in_ci: bool
    rate_within_tol: bool
    exact_loss: np.ndarray
    mc_loss: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    band_level: float
    band_z: float
    max_z: float
    curve_inside: bool
    diverged: bool
    verdict: str
    reason: str
    diagnostics: Diagnostics
    replicas_spent: int
    simulation: DSGDSimulation = field(repr=False)

    @property
    def algorithm(self) -> str:
        """The algorithm checked (``"dsgd"`` unless ``crosscheck(algorithm=...)``)."""
        return self.simulation.algorithm

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Its hyper-parameters, defaults filled in."""
        return self.simulation.hyperparameters

    def __repr__(self) -> str:
        lo, hi = self.ci
        alg = "" if self.algorithm == "dsgd" else f"algorithm={self.algorithm!r}, "
        return (
            f"CrosscheckReport({alg}scheme={self.scheme!r}, lr={self.lr:g}, d={self.d}, reps={self.reps}, "
            f"steps={self.steps}, theory_rate={self.theory_rate:.6g}, mc_rate={self.mc_rate:.6g}, "
            f"ci=({lo:.6g}, {hi:.6g}), agrees={self.agrees}, verdict={self.verdict!r})"
        )

    def _body(self) -> list[str]:
        yes = {True: "ok", False: "FAILS"}
        lo, hi = self.ci
        pct = f"{100 * self.confidence:g}%"
        lines = [
            f"Cross-check: {_algorithm_title(self)} on the isotropic random quadratic, exact theory vs Monte Carlo",
            f"  scheme      {self.scheme} (n={self.n}, period {self.period})",
            f"  problem     lr={self.lr:g}, d={self.d}, batch_size={self.batch_size} (zeta={self.zeta:g})",
            f"  simulation  {self.reps} replicas x {self.steps} steps, seed {_fmt_seed(self.seed)}",
            f"  rate        theory ({self.method}) {self.theory_rate:.6g}   Monte Carlo {self.mc_rate:.6g}"
            f"   {pct} CI [{lo:.6g}, {hi:.6g}]   fit over steps {self.window[0]}..{self.window[1]}",
        ]
        if math.isnan(self.theory_rate):
            grows = self.diverged or hi < 0
            lines += [
                "              the exact second-moment map diverges (spectral radius >= 1): the simulated",
                f"              loss must grow (CI below 0 or overflow): {yes[bool(grows)]}",
                f"  curve       max |MC - exact| = {self.max_z:.2f} standard errors (not required: the"
                " heavy-tailed growth of a diverging run is not normal)",
            ]
        else:
            lines += [
                f"              exact curve over the same window {self.theory_window_rate:.6g}",
                f"              inside CI: {yes[self.rate_in_ci]}   relative difference {self.rel_error:.2%}"
                f" (tolerance {self.rel_tol:.0%}): {yes[self.rate_within_tol]}",
                f"  curve       max |MC - exact| = {self.max_z:.2f} standard errors; bands ±{self.band_z:.2f} SE"
                f" ({100 * self.band_level:g}% simultaneous, Bonferroni over {self.steps + 1} points):"
                f" {yes[self.curve_inside]}",
            ]
        lines += self._verdict_lines()
        if self.diverged:
            lines.append("              (simulation diverged)")
        lines.append("")
        header = ("t", "exact", "Monte Carlo", "band low", "band high")
        rows: list[tuple[str, ...]] = [header]
        for t in np.unique(np.linspace(0, self.steps, 7).round().astype(int)):
            rows.append(
                (str(t),) + tuple(f"{v:.6g}" for v in (self.exact_loss[t], self.mc_loss[t], self.band_low[t], self.band_high[t]))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return lines

    def summary(self) -> dict[str, Any]:
        """One flat row (scalars only), as used by tables and :class:`CrosscheckGrid`."""
        return {
            "scheme": self.scheme,
            "n": self.n,
            "lr": self.lr,
            "d": self.d,
            "batch_size": self.batch_size,
            "zeta": self.zeta,
            "reps": self.reps,
            "steps": self.steps,
            "seed": self.seed,
            "method": self.method,
            "theory_rate": self.theory_rate,
            "theory_window_rate": self.theory_window_rate,
            "mc_rate": self.mc_rate,
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "rel_error": self.rel_error,
            "max_z": self.max_z,
            "band_z": self.band_z,
            "agrees": self.agrees,
            "verdict": self.verdict,
            "ess": self.diagnostics.ess,
            "max_share": self.diagnostics.max_share,
            "tail": self.diagnostics.tail,
            **({} if self.algorithm == "dsgd" else {"algorithm": self.algorithm, **self.hyperparameters}),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the summary, the settings and the curves (non-finite values as None)."""
        out = {k: (_finite_or_none(v) if isinstance(v, float) else v) for k, v in self.summary().items()}
        out.update(
            period=self.period,
            confidence=self.confidence,
            window=list(self.window),
            rel_tol=self.rel_tol,
            rate_in_ci=self.rate_in_ci,
            rate_within_tol=self.rate_within_tol,
            band_level=self.band_level,
            curve_inside=self.curve_inside,
            diverged=self.diverged,
            reason=self.reason,
            settle=self.settle,
            diagnostics=self.diagnostics.to_dict(),
            curves={
                "t": list(range(self.steps + 1)),
                "exact": _list(self.exact_loss),
                "monte_carlo": _list(self.mc_loss),
                "band_low": _list(self.band_low),
                "band_high": _list(self.band_high),
                "consensus": _list(self.simulation.consensus),
            },
        )
        return out


def _algorithm_title(report: Any) -> str:
    if report.algorithm == "dsgd":
        return "D-SGD"
    hp = ", ".join(f"{k}={v!r}" for k, v in report.hyperparameters.items())
    return f"{report.algorithm} ({hp})" if hp else report.algorithm


def crosscheck(
    scheme: Any,
    *,
    lr: float,
    d: int,
    reps: int,
    steps: int,
    seed: Any = None,
    batch_size: int = 1,
    x0: Any = None,
    window: tuple[int, int] | None = None,
    confidence: float = 0.95,
    band: float = 0.999,
    rel_tol: float = 0.03,
    n_boot: int = 1000,
    method: str = "exact",
    mode: str = "worst",
    chunk_size: int | None = None,
    threads: int | None = None,
    adaptive: bool = False,
    budget: int | None = None,
    algorithm: str = "dsgd",
    **hyperparameters: Any,
) -> CrosscheckReport:
    r"""Check the exact theory of D-SGD (or another algorithm) on the random quadratic against Monte Carlo.

    Theory: :func:`topotheory.quadratic.loss_curve` (exact expected loss at every step, THEORY §3.2)
    and :func:`topotheory.quadratic.quadratic_rate` (:math:`\mathbb{E}\|x\|^2 \propto (1-r)^t`,
    §3.3) with :math:`\zeta = (1 + b + d)/b`. Simulation: :func:`topotheory.montecarlo.simulate_dsgd`
    with ``reps`` replicas and :func:`topotheory.montecarlo.estimate_rate` (bootstrap over replicas).

    Three checks feed the one agreement rule of :mod:`topotheory.crosscheck.stats`: the theory
    rate lies inside the ``confidence`` interval of the simulated rate; it differs from it by at
    most ``rel_tol`` (relative); the exact curve lies inside the simulation's bands
    :math:`\bar L(t) \pm q\,\mathrm{se}(t)` at every step, ``q`` the Bonferroni Student-t
    quantile for ``steps + 1`` points at family level ``band`` (default 99.9 % simultaneous: by
    the union bound all points hold together with probability at least ``band``). The verdict is
    ``"agrees"`` when all pass, ``"disagrees"`` when the evidence is against the theory, and
    ``"inconclusive"`` when the replica diagnostics (effective sample size, largest replica's
    share, Hill tail estimate of the per-replica loss over the fit window) say the intervals
    cannot be trusted and the failure is one unsampled heavy tails produce — the report then says
    how many replicas or how short a horizon would settle it. When the theory says "diverges"
    (NaN rate), they agree if the simulation diverged too or its rate interval lies below 0.

    The rate interval is the percentile bootstrap of :func:`topotheory.montecarlo.estimate_rate`:
    replicas are resampled with replacement and the fit of :math:`\log \bar L(t)` repeated; it
    is valid when the replica mean is close to normal, which is what the diagnostics check. The
    estimator already uses the exact variance reduction the isotropic problem allows: the loss of
    a replica averages :math:`\|x_i\|^2` over the ``d`` coordinates and ``n`` workers before the
    replica mean is taken.

    Push-sum (:class:`topotheory.graphs.random.PushSum`): the simulation is
    :func:`topotheory.montecarlo.simulate_push_sum` (gradients at the read-out ``z = x / y``) and the
    theory is the read-out's exact one: D-SGD with the row-stochastic
    :math:`\tilde W_t = D_{t+1}^{-1}P_tD_t` and per-worker step sizes :math:`\eta / y_i(t)`
    (:func:`topotheory.engine.random.push_sum_loss_curve`, the weights' transient included, and
    :func:`~topotheory.engine.random.push_sum_rate` on their limit orbit). The loss compared is the
    read-out's, :math:`\frac1n\sum_i\tfrac12\|z_i\|^2`. ``chunk_size`` and ``threads`` do not apply
    (refused), nor does ``method`` other than ``"exact"``.
    Random push-sum laws are refused by :func:`~topotheory.graphs.random.push_sum`: with random
    :math:`P_t` the weights ``y(t)`` are random and :math:`\tilde W_t` depends on every earlier draw,
    so the read-out's matrices are not independent of its state and the second-moment recursion
    is not closed.

    Parameters
    ----------
    scheme : Scheme, RandomScheme or PushSum
    lr : float
        Learning rate (> 0).
    d : int
        Model dimension.
    reps, steps : int
        Replicas and steps of the simulation.
    seed : None, int, SeedSequence or Generator
        One seed drives the simulation and the bootstrap. ``None`` draws a fresh
        ``SeedSequence`` whose entropy is recorded in the report (so the run can be repeated).
    batch_size : int
        Mini-batch size ``b``.
    x0 : array_like, shape (d,) or (n, d), optional
        Start (default ``ones(d)/sqrt(d)`` for every worker: ``loss[0] = 0.5``); the theory starts
        from the matching Gram matrix.
    window : (int, int), optional
        Rate-fit window (default: the second half, from a whole period).
    confidence : float
        Level of the rate interval (default 0.95).
    band : float
        Simultaneous level of the curve bands (default 0.999).
    rel_tol : float
        Largest relative rate difference that counts as agreement (default 0.03).
    n_boot : int
        Bootstrap resamples.
    method, mode : str
        Passed to :func:`topotheory.quadratic.quadratic_rate` (``"exact"``; ``"fixed_point"`` with
        ``mode="worst"`` shows why exact is the default, see the tests).
    chunk_size, threads : int, optional
        Passed to :func:`topotheory.montecarlo.simulate_dsgd`.
    adaptive : bool
        While the replica diagnostics fail, run again with more seeded chunks of ``reps``
        replicas (chunk ``k`` uses the ``k``-th child of the simulation seed): at least twice as
        many, or as many as the diagnostics ask for (``Diagnostics.replicas_needed``), until they
        pass or ``budget`` replicas are spent. Each round is a *fresh* run judged on its own:
        topping up one run until its diagnostics pass would keep exactly the chunks that missed
        the heavy tail and bias the mean low.
    budget : int, optional
        Largest total number of replicas of the adaptive mode, every round counted (default
        ``8 * reps``); only with ``adaptive=True`` (refused otherwise).
    algorithm : str
        A key of :data:`topotheory.ALGORITHMS` (default ``"dsgd"``: the routes above). Any other
        algorithm compares its exact theory (``quadratic_rate``/``loss_curve`` with
        ``algorithm=``) with :func:`topotheory.simulate_algorithm`, its paper's pseudo-code
        (:mod:`topotheory.crosscheck.algorithms`); the exact rate only (``method="exact"``).
    **hyperparameters
        The algorithm's hyper-parameters by name (``momentum=0.9``, ``ratio=0.5``, ...).

    Sizes whose memory or time cannot fit (``reps``, the budget, ``steps``, ``d``,
    ``batch_size``: :func:`~topotheory.simulate.montecarlo.check_dsgd_size`) are refused before
    the theory or the simulation starts.

    Returns
    -------
    CrosscheckReport

    Examples
    --------
    >>> from topotheory import ring
    >>> rep = crosscheck(ring(16), lr=0.1, d=10, reps=100, steps=60, seed=0)
    >>> round(rep.theory_rate, 4), round(rep.mc_rate, 4), rep.agrees, rep.verdict
    (0.1816, 0.181, True, 'agrees')
    """
    from ..toy.quadratic import zeta as zeta_of
    from .algorithms import algorithm_routes

    push = push_sum_parts(scheme, method, chunk_size, threads)
    if push is None:
        scheme = check_scheme(scheme)
    elif algorithm != "dsgd" or hyperparameters:
        raise ValueError(f"algorithm={algorithm!r}: push-sum is studied with D-SGD only (algorithm='dsgd')")
    else:
        rate_of, curve_of, simulate = push
    confidence = check_real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    band = check_real("band", band, low=0.0, high=1.0, low_open=True, high_open=True)
    rel_tol = check_real("rel_tol", rel_tol, low=0.0)
    adaptive = check_bool("adaptive", adaptive)
    d, steps, reps = (check_int(k, v, minimum=1) for k, v in (("d", d), ("steps", steps), ("reps", reps)))
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if budget is not None:
        if not adaptive:
            raise ValueError("budget is the replica budget of the adaptive mode; pass adaptive=True or drop budget")
        budget = check_int("budget", budget, minimum=reps)
        check_dsgd_size(scheme.n, d=d, steps=steps, reps=budget, batch_size=batch_size, reps_name="budget")
    check_dsgd_size(scheme.n, d=d, steps=steps, reps=8 * reps if adaptive and budget is None else reps,
                    batch_size=batch_size, reps_name="reps (times 8: the default budget)" if adaptive else "reps")
    z = zeta_of(d, batch_size)
    if push is None:
        routes = algorithm_routes(algorithm, hyperparameters, lr=lr, d=d, method=method, mode=mode)
        simulate = routes.simulate
        rate_of = lambda lr, z: routes.rate(scheme, lr=lr, zeta=z)  # noqa: E731
        curve_of = lambda lr, z, steps, initial: routes.curve(scheme, lr=lr, zeta=z, steps=steps,  # noqa: E731
                                                              initial=initial)
    theory_rate = float(rate_of(lr, z))
    seed, seed_desc = root_seed(seed)
    sim_seed, boot_seed = spawn_seeds(as_generator(seed), 2)
    run = dict(lr=lr, d=d, steps=steps, reps=reps, batch_size=batch_size, x0=x0, chunk_size=chunk_size, threads=threads)
    sim = simulate(scheme, seed=sim_seed, **run)
    est = estimate_rate(sim, window=window, confidence=confidence, n_boot=n_boot, seed=boot_seed)
    diag = replica_diagnostics(sim.replica_loss[:, est.window[0] : est.window[1] + 1])
    spent = sim.reps
    if adaptive:
        budget = 8 * sim.reps if budget is None else budget
        chunk_seeds = spawn_seeds(sim_seed, budget // sim.reps + 1)
        used = 0
        while not diag.passed:
            # a fresh run, sized from the last one's diagnostics (never topped up: adding chunks
            # until the diagnostics pass would select chunks that missed the tail, a biased mean)
            want = max(2 * sim.reps, diag.replicas_needed)
            want = -(-want // reps) * reps
            want = min(want, (budget - spent) // reps * reps)
            if want <= sim.reps:
                break
            k = want // reps
            sim = concat_simulations([simulate(scheme, seed=sd, **run) for sd in chunk_seeds[used : used + k]])
            used += k
            spent += want
            est = estimate_rate(sim, window=window, confidence=confidence, n_boot=n_boot, seed=boot_seed)
            assert sim.replica_loss is not None  # simulated with keep_replicas=True
            diag = replica_diagnostics(sim.replica_loss[:, est.window[0] : est.window[1] + 1])
    initial = None if x0 is None else (lambda X: X @ X.T)(start_point(x0, sim.n, sim.d))
    exact = np.asarray(curve_of(lr, z, steps, initial), dtype=float)

    _, _, half = mean_band(sim.replica_loss, level=band, points=sim.steps + 1)
    bz = band_quantile(band, sim.steps + 1, sim.reps)
    with np.errstate(all="ignore"):
        half = np.where(np.isfinite(sim.loss), half, np.nan)
        low, high = sim.loss - half, sim.loss + half
        dev = np.abs(sim.loss - exact)
        slack = 1e-9 * np.abs(exact)  # t = 0 (and exact averages) have zero spread
        ok = np.isfinite(sim.loss) & np.isfinite(exact)
        inside = dev[ok] <= half[ok] + slack[ok]
        excess = np.maximum(dev[ok] - slack[ok], 0.0)  # deviation beyond rounding
        zs = np.where(excess > 0, excess / sim.loss_sem[ok], 0.0)
    max_z = float(zs.max()) if zs.size else float("nan")
    curve_inside = bool(inside.all()) and bool(ok.any())
    mc_rate, ci = est.rate, est.ci
    if math.isnan(theory_rate):
        rel_error, in_ci, within = float("nan"), False, False
        grows = bool(sim.diverged or (ci[1] < 0))
        checks = [Check("divergence", grows, robust=True, detail="the exact map diverges, the simulation does not")]
    else:
        rel_error = abs(mc_rate - theory_rate) / abs(theory_rate) if theory_rate != 0 else abs(mc_rate)
        in_ci = bool(ci[0] <= theory_rate <= ci[1])
        within = bool(rel_error <= rel_tol)
        stop = est.window[1]
        # a shortfall of the replica mean larger than unsampled tails can cause is evidence too
        # (the curve: exact over simulated loss at the window end; the rate: the shortfall the rate
        # difference implies over the window, ((1 - r_theory) / (1 - r_mc)) ** window_length)
        span = stop - est.window[0]
        implied = math.exp(span * (math.log1p(-theory_rate) - math.log1p(-mc_rate))) if mc_rate < 1 and theory_rate < 1 else math.inf
        beyond_curve = not diag.tail_can_explain(exact[stop] / sim.loss[stop]) if np.isfinite(sim.loss[stop]) else False
        beyond = beyond_curve or (np.isfinite(mc_rate) and not diag.tail_can_explain(implied))
        checks = [
            Check("rate interval", in_ci, robust=bool(beyond),
                  detail=f"exact {theory_rate:.6g} outside [{ci[0]:.6g}, {ci[1]:.6g}]"),
            Check("rate tolerance", within, kind="precision" if in_ci else "evidence",
                  robust=bool(beyond),
                  detail=f"relative difference {rel_error:.2%} > {rel_tol:.0%}"),
            Check("curve bands", curve_inside, robust=bool(beyond_curve),
                  detail=f"max |MC - exact| = {max_z:.2f} SE > {bz:.2f}"),
        ]
    verdict, reason = decide(checks, diag)
    return CrosscheckReport(
        scheme=scheme.name,
        n=scheme.n,
        period=scheme.period,
        lr=float(lr),
        d=sim.d,
        batch_size=sim.batch_size,
        zeta=z,
        reps=sim.reps,
        steps=sim.steps,
        seed=seed_desc,
        method=method if method != "fixed_point" else f"fixed_point/{mode}",
        theory_rate=theory_rate,
        theory_window_rate=_fit_rate(exact, est.window, scheme.period),
        mc_rate=mc_rate,
        ci=ci,
        confidence=confidence,
        window=est.window,
        rel_error=rel_error,
        rel_tol=rel_tol,
        rate_in_ci=in_ci,
        rate_within_tol=within,
        exact_loss=exact,
        mc_loss=sim.loss,
        band_low=low,
        band_high=high,
        band_level=band,
        band_z=bz,
        max_z=max_z,
        curve_inside=curve_inside,
        diverged=sim.diverged,
        verdict=verdict,
        reason=reason,
        diagnostics=diag,
        replicas_spent=spent,
        simulation=sim,
    )


def push_sum_parts(scheme: Any, method: str, chunk_size: int | None, threads: int | None) -> Any:
    """``(rate, curve, simulate)`` of a :class:`PushSum` for :func:`crosscheck` (the read-out's exact theory), else None."""
    from ..engine.random import push_sum_loss_curve, push_sum_rate
    from ..graphs.random import PushSum
    from ..simulate.montecarlo import simulate_push_sum

    if not isinstance(scheme, PushSum):
        return None
    if method != "exact":
        raise ValueError(f"method={method!r} does not apply to push-sum: its read-out has only the exact theory "
                         "(method='exact')")
    for name, value in (("chunk_size", chunk_size), ("threads", threads)):
        if value is not None:
            raise ValueError(f"{name} does not apply to push-sum (simulate_push_sum runs all replicas at once); drop it")

    def rate(lr: float, z: float) -> float:
        return push_sum_rate(scheme, lr=check_real("lr", lr, low=0.0, low_open=True), zeta=z)

    def curve(lr: float, z: float, steps: int, initial: Any) -> np.ndarray:
        return push_sum_loss_curve(scheme, lr=lr, zeta=z, steps=steps, initial=initial)

    def simulate(push: Any, *, seed: Any, lr: float, d: int, steps: int, reps: int, batch_size: int, x0: Any,
                 chunk_size: int | None = None, threads: int | None = None) -> Any:
        return simulate_push_sum(push, lr=lr, d=d, steps=steps, reps=reps, seed=seed, batch_size=batch_size,
                                 x0=x0).readout

    return rate, curve, simulate


# ------------------------------------------------------------------------------------- sweeps
#: Choices of ``crosscheck_grid(on_error=...)`` (those of :func:`topotheory.map_tasks`).
ON_ERROR = TASK_ON_ERROR


@dataclass(frozen=True, repr=False)
class TaskError(Result):
    """A task of :func:`crosscheck_grid` that raised (kept with ``on_error="collect"``).

    Attributes
    ----------
    task : int
        Task index (schemes outer, learning rates inner).
    scheme : str
        Name of the task's scheme.
    lr : float
        Learning rate of the task.
    type : str
        The exception's class name.
    message : str
        The exception's message.
    """

    task: int
    scheme: str
    lr: float
    type: str
    message: str

    agrees = False
    verdict = "error"

    def __repr__(self) -> str:
        return f"TaskError(task={self.task}, scheme={self.scheme!r}, lr={self.lr:g}, {self.type}: {self.message})"


def _light(report: Any) -> Any:
    """``report`` without the per-replica arrays (``simulation.replica_loss`` dropped)."""
    import dataclasses

    if report.simulation.replica_loss is None:
        return report
    return dataclasses.replace(report, simulation=dataclasses.replace(report.simulation, replica_loss=None))


def _algorithm_of(record: dict[str, Any]) -> dict[str, Any]:
    """The algorithm and hyper-parameters of a report's record (D-SGD when it names none)."""
    from ..algorithms.registry import get_algorithm

    alg = get_algorithm(record.get("algorithm", "dsgd"))
    return {"algorithm": alg.name, "hyperparameters": {h.name: record[h.name] for h in alg.hyperparameters}}


def report_from_dict(record: dict[str, Any]) -> CrosscheckReport:
    """Rebuild a light :class:`CrosscheckReport` from a line of a sweep's JSON-lines file.

    Inverse of the ``to_dict()`` part of the lines :func:`crosscheck_grid` writes (plus the
    ``"simulation"`` entry it adds): finite numbers come back bit for bit, non-finite ones
    (stored as null) as NaN; ``simulation.replica_loss`` is None.
    """
    nan = float("nan")

    def num(v: Any) -> float:
        return nan if v is None else float(v)

    def arr(v: Any) -> np.ndarray:
        return np.array([nan if x is None else x for x in v], dtype=float)

    c, sim, dg = record["curves"], record["simulation"], record["diagnostics"]
    diag = Diagnostics(reps=dg["reps"], ess=num(dg["ess"]), max_share=num(dg["max_share"]), tail=num(dg["tail"]),
                       passed=dg["passed"], problems=tuple(dg["problems"]), replicas_needed=dg["replicas_needed"],
                       shorter_horizon=num(dg["shorter_horizon"]), log_spread=num(dg["log_spread"]))
    simulation = DSGDSimulation(
        scheme=record["scheme"], n=record["n"], d=record["d"], lr=record["lr"], batch_size=record["batch_size"],
        steps=record["steps"], reps=record["reps"], period=record["period"], seed=sim["seed"],
        chunk_size=sim["chunk_size"], loss=arr(c["monte_carlo"]), loss_sem=arr(sim["loss_sem"]),
        consensus=arr(c["consensus"]), replica_loss=None, diverged=record["diverged"],
        diverged_step=sim["diverged_step"], n_diverged=sim["n_diverged"], elapsed=num(sim["elapsed"]),
        **_algorithm_of(record))
    return CrosscheckReport(
        scheme=record["scheme"], n=record["n"], period=record["period"], lr=record["lr"], d=record["d"],
        batch_size=record["batch_size"], zeta=num(record["zeta"]), reps=record["reps"], steps=record["steps"],
        seed=record["seed"], method=record["method"], theory_rate=num(record["theory_rate"]),
        theory_window_rate=num(record["theory_window_rate"]), mc_rate=num(record["mc_rate"]),
        ci=(num(record["ci_low"]), num(record["ci_high"])), confidence=record["confidence"],
        window=tuple(record["window"]), rel_error=num(record["rel_error"]), rel_tol=record["rel_tol"],
        rate_in_ci=record["rate_in_ci"], rate_within_tol=record["rate_within_tol"], exact_loss=arr(c["exact"]),
        mc_loss=arr(c["monte_carlo"]), band_low=arr(c["band_low"]), band_high=arr(c["band_high"]),
        band_level=record["band_level"], band_z=num(record["band_z"]), max_z=num(record["max_z"]),
        curve_inside=record["curve_inside"], diverged=record["diverged"], verdict=record["verdict"],
        reason=record["reason"], diagnostics=diag, replicas_spent=sim["replicas_spent"], simulation=simulation)


@dataclass(frozen=True, repr=False, eq=False)
class CrosscheckGrid(Result):
    """Result of :func:`crosscheck_grid`: one entry per (scheme, lr) task, in task order.

    Attributes
    ----------
    reports : list
        Per task a :class:`CrosscheckReport` or, with ``on_error="collect"``, a
        :class:`TaskError` for a task that raised.
    seed : int, dict or str
        Record of the root seed (task ``k`` used ``task_seed(root, k)``).
    errors : tuple of TaskError
        The failed tasks (empty unless ``on_error="collect"``).
    resumed : tuple of int
        Tasks read back from the ``out`` file instead of being run (``resume=True``).
    """

    reports: list
    seed: object
    errors: tuple = ()
    resumed: tuple = ()

    @property
    def agrees(self) -> bool:
        """True when every cross-check of the sweep ran and agrees."""
        return all(r.agrees for r in self.reports)

    @property
    def verdicts(self) -> list[str]:
        """The verdict of every cross-check, in order (``"error"`` for a failed task)."""
        return [r.verdict for r in self.reports]

    def rows(self) -> list[dict[str, Any]]:
        """One summary dict per report (failed tasks left out; see :attr:`errors`)."""
        return [r.summary() for r in self.reports if not isinstance(r, TaskError)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the seed, every report's :meth:`CrosscheckReport.to_dict` and the errors."""
        return {"seed": self.seed, "agrees": self.agrees, "verdicts": self.verdicts,
                "reports": [r.to_dict() for r in self.reports], "errors": [e.to_dict() for e in self.errors],
                "resumed": list(self.resumed)}

    def __len__(self) -> int:
        return len(self.reports)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.reports)

    def __getitem__(self, i: int) -> Any:
        return self.reports[i]

    def __repr__(self) -> str:
        ok = sum(r.agrees for r in self.reports)
        err = f", {len(self.errors)} failed" if self.errors else ""
        return f"CrosscheckGrid({len(self.reports)} cross-checks, {ok} agree{err}, seed={_fmt_seed(self.seed)})"

    def __str__(self) -> str:
        cols = ("scheme", "lr", "theory_rate", "mc_rate", "ci", "rel_error", "max_z", "ess", "agrees", "verdict")
        rows = [cols]
        for r in self.reports:
            if isinstance(r, TaskError):
                rows.append((r.scheme, f"{r.lr:g}", "", "", "", "", "", "", "NO", f"error: {r.type}: {r.message}"))
                continue
            rows.append(
                (
                    r.scheme,
                    f"{r.lr:g}",
                    f"{r.theory_rate:.6g}",
                    f"{r.mc_rate:.6g}",
                    f"[{r.ci[0]:.6g}, {r.ci[1]:.6g}]",
                    f"{r.rel_error:.2%}",
                    f"{r.max_z:.2f}",
                    f"{r.diagnostics.ess:.4g}",
                    "yes" if r.agrees else "NO",
                    r.verdict,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


#: Per-process memo of the schemes a worker received, keyed by the hash of their pickled bytes:
#: a scheme arrives without caches (``Scheme.__getstate__``) and is kept, caches and all, for the
#: next task of the same scheme on this worker.
_WORKER_SCHEMES: dict[str, Any] = {}
_WORKER_SCHEMES_MAX = 16


def scheme_key(scheme: Any) -> str:
    """Content hash of a scheme (SHA-256 of its pickle, caches excluded), as worker memos key it."""
    import hashlib
    import pickle

    return hashlib.sha256(pickle.dumps(scheme, protocol=4)).hexdigest()


def _worker_scheme(key: Any, scheme: Any) -> Any:
    """The worker's copy of the scheme with content hash ``key`` (the first one received)."""
    kept = _WORKER_SCHEMES.get(key)
    if kept is not None:
        return kept
    if len(_WORKER_SCHEMES) >= _WORKER_SCHEMES_MAX:
        _WORKER_SCHEMES.pop(next(iter(_WORKER_SCHEMES)))
    _WORKER_SCHEMES[key] = scheme
    return scheme


def _grid_task(scheme: Any, lr: float, seed: Any, kwargs: dict[str, Any], key: Any = None,
               keep_replicas: bool = False) -> Any:
    if key is not None:
        scheme = _worker_scheme(key, scheme)
    report = crosscheck(scheme, lr=lr, seed=seed, **kwargs)
    return report if keep_replicas else _light(report)


def _task_record(k: int, scheme: Any, lr: float, seed_record: Any) -> dict[str, Any]:
    return {"task": k, "scheme": scheme.name, "n": scheme.n, "lr": lr, "task_seed": seed_record}


def _line(report: Any, key: Any) -> str:
    sim = report.simulation
    out = report.to_dict()
    out.update(key)
    out["simulation"] = {
        "seed": sim.seed, "chunk_size": sim.chunk_size, "diverged_step": sim.diverged_step,
        "n_diverged": sim.n_diverged, "elapsed": _finite_or_none(sim.elapsed),
        "replicas_spent": report.replicas_spent, "loss_sem": _list(sim.loss_sem),
    }
    import json

    return json.dumps(out, allow_nan=False)


def _read_done(path: str, keys: list[dict[str, Any]]) -> dict[int, CrosscheckReport]:
    """Reports already in the JSON-lines file ``path`` for the tasks ``keys`` (index -> report)."""
    import json
    import os

    done: dict[int, CrosscheckReport] = {}
    if not os.path.exists(path):
        return done
    with open(path, encoding="utf-8") as fh:
        for no, text in enumerate(fh, 1):
            if not text.strip():
                continue
            try:
                rec = json.loads(text)
            except ValueError:
                raise ValueError(f"out file {path!r}, line {no}: not a JSON line (a torn last line? remove it)") from None
            k = rec.get("task")
            if not isinstance(k, int) or not 0 <= k < len(keys):
                raise ValueError(f"out file {path!r}, line {no}: task {k!r} is not a task of this sweep")
            mine = {f: rec.get(f) for f in keys[k]}
            if mine != keys[k]:
                raise ValueError(f"out file {path!r}, line {no}: task {k} was {mine}, this sweep's task {k} is {keys[k]}"
                                 " (a different sweep: use another file or resume=False)")
            done[k] = report_from_dict(rec)
    return done


def crosscheck_grid(schemes: Any, lrs: Any, *, d: int, reps: int, steps: int, seed: Any = None,
                    executor: Executor | None = None, progress: bool | None = None, on_error: str = "raise",
                    keep_replicas: bool = False, out: str | os.PathLike[str] | None = None, resume: bool = False,
                    chunksize: int | None = None, **kwargs: Any) -> CrosscheckGrid:
    """Run :func:`crosscheck` for every scheme × learning rate, serially or through an executor.

    Task ``k`` (schemes outer, learning rates inner) uses the seed
    :func:`topotheory.task_seed` ``(root, k)`` (the contract for batch jobs: the ``k``-th
    ``numpy.random.SeedSequence`` child of the root), so the results are bit-identical whether
    the sweep runs serially or through any :class:`concurrent.futures.Executor` — threads, a local
    ``ProcessPoolExecutor``, or a Dask distributed client's ``get_executor()`` when a sweep
    outgrows one machine. Through an executor each scheme travels without its caches
    (``Scheme.__getstate__``) and is kept once per worker process, keyed by its content hash
    (:func:`scheme_key`), so its spectra are built once per worker and not once per task.

    Parameters
    ----------
    schemes : Scheme or sequence of Scheme
        The schemes (the outer loop of the tasks).
    lrs : float or sequence of float
        The learning rates, all positive (the inner loop).
    d, reps, steps : int
        As in :func:`crosscheck`.
    seed : None, int, SeedSequence or Generator
        Root seed of the sweep (a fresh recorded ``SeedSequence`` when None).
    executor : concurrent.futures.Executor, optional
        Runs the tasks (each then uses one thread unless ``threads`` is given).
    progress : bool, optional
        Show progress (:class:`topotheory.common.progress.Progress`): None (default) picks by where
        the output goes — a widget bar in Jupyter, a text bar on a terminal, otherwise a line every
        10 s once 2 s have passed; False is silent; True always shows a bar.
    on_error : {"raise", "collect"}
        ``"raise"`` (default): the first failing task cancels the tasks not yet started
        (``Future.cancel()``) and its exception is raised with the task named. ``"collect"``: a
        failing task becomes a :class:`TaskError` (type, message, task) in its place, the
        others run on.
    keep_replicas : bool
        Keep the per-replica losses (``report.simulation.replica_loss``, ``reps × (steps + 1)``
        floats) in every report. Default False: light reports (the curves, rates, intervals and
        diagnostics only), so a large sweep holds little memory on the client.
    out : str or path, optional
        JSON-lines file: one line per finished task, ``report.to_dict()`` plus ``task``, ``n``,
        ``task_seed`` and a ``simulation`` entry (enough to rebuild the light report,
        :func:`report_from_dict`), written and flushed as each task finishes (in finishing
        order). Failed tasks are not written.
    resume : bool
        With ``out``: read the tasks already in the file (checked to be this sweep's: same index,
        scheme, size, learning rate and task seed) instead of running them again, and append the
        rest. Needs a reproducible root ``seed`` (not None).
    chunksize : int, optional
        Tasks sent to the executor together (:func:`topotheory.map_tasks`): one round trip to a
        cluster's scheduler per chunk instead of per task. Results, errors and their order do not
        depend on it; with ``out`` a chunk's lines are written when the whole chunk finishes.
        None (default): ``max(1, min(10, m // 20))`` for ``m`` tasks to run (10 for a 200-point
        sweep, 1 below 40 points), enough that a Dask cluster keeps within 1.2× a process pool.
    **kwargs
        Further keywords of :func:`crosscheck` (``batch_size``, ``window``, ``band``, ...).

    Returns
    -------
    CrosscheckGrid
        One report per task, in task order (a :class:`TaskError` in a failed task's place).

    Examples
    --------
    >>> from topotheory import ring, solo
    >>> grid = crosscheck_grid([solo(4), ring(8)], [0.02, 0.05], d=10, reps=60, steps=40, seed=1)
    >>> len(grid), grid[3].scheme, grid[3].lr
    (4, 'ring', 0.05)
    >>> grid[3].simulation.replica_loss is None          # light reports by default
    True
    """
    import os

    from ..common.validation import check_choice
    from ..simulate.engine import describe_seed

    if isinstance(schemes, Scheme):
        schemes = [schemes]
    if isinstance(schemes, (str, bytes)) or not isinstance(schemes, Iterable):
        raise TypeError(f"schemes must be a Scheme or a list of schemes, got {plain(schemes)}")
    schemes = [check_scheme(s, name=f"schemes[{i}]") for i, s in enumerate(list(schemes))]
    if not schemes:
        raise ValueError("schemes must hold at least one scheme, got an empty list")
    lrs = [float(x) for x in check_array("lrs", lrs, low=0.0, low_open=True, min_size=1).ravel()]
    executor = check_executor(executor)
    if progress is not None:
        progress = check_bool("progress", progress)
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a file path (str or os.PathLike), got {plain(out)}")
    check_choice("on_error", on_error, ON_ERROR)
    keep_replicas = check_bool("keep_replicas", keep_replicas)
    resume = check_bool("resume", resume)
    if chunksize is not None:
        chunksize = check_int("chunksize", chunksize, minimum=1)
    if resume and out is None:
        raise ValueError("resume=True needs out= (the JSON-lines file to resume from)")
    if resume and seed is None:
        raise ValueError("resume=True needs a reproducible root seed (an int, SeedSequence or Generator), not None")
    seed, seed_desc = root_seed(seed)
    tasks = [(s, lr) for s in schemes for lr in lrs]
    seeds = spawn_seeds(seed, len(tasks))  # seeds[k] == task_seed(seed, k), all at once
    keys = [_task_record(k, s, lr, describe_seed(sd)) for k, ((s, lr), sd) in enumerate(zip(tasks, seeds))]
    if kwargs.get("algorithm", "dsgd") != "dsgd":  # a resumed sweep must be of the same algorithm too
        from ..algorithms.registry import check_algorithm, get_algorithm

        alg, hp = check_algorithm(kwargs["algorithm"], {h.name: kwargs[h.name] for h in
                                                        get_algorithm(kwargs["algorithm"]).hyperparameters
                                                        if h.name in kwargs})
        for key in keys:
            key.update(algorithm=alg.name, **hp)
    kwargs = dict(kwargs, d=d, reps=reps, steps=steps)
    if executor is not None:
        kwargs.setdefault("threads", 1)
    done = _read_done(str(out), keys) if resume else {}
    todo = [k for k in range(len(tasks)) if k not in done]
    if chunksize is None:
        chunksize = max(1, min(10, len(todo) // 20))
    hashes = {id(s): scheme_key(s) for s in schemes} if executor is not None else {}
    calls = [(tasks[k][0], tasks[k][1], seeds[k], kwargs, hashes.get(id(tasks[k][0])), keep_replicas) for k in todo]
    sink = None if out is None else open(out, "a" if resume else "w", encoding="utf-8")

    def describe(j: int) -> str:
        key = keys[todo[j]]
        return f"crosscheck_grid task {key['task']}: scheme {key['scheme']!r}, n={key['n']}, lr={key['lr']:g}"

    def write(j: int, report: Any) -> None:
        if sink is not None:
            sink.write(_line(report, keys[todo[j]]) + "\n")
            sink.flush()

    try:
        ran = map_tasks(_grid_task, calls, executor=executor, progress=progress, on_error=on_error,
                        desc="crosscheck", unit="run", describe=describe, on_result=write, chunksize=chunksize,
                        done=len(done))
    finally:
        if sink is not None:
            sink.close()
    results = dict(done)
    errors = {}
    for k, value in zip(todo, ran):
        if isinstance(value, TaskFailure):
            value = errors[k] = TaskError(task=k, scheme=keys[k]["scheme"], lr=keys[k]["lr"], type=value.type,
                                          message=value.message)
        results[k] = value
    reports = [results[k] for k in range(len(tasks))]
    return CrosscheckGrid(reports=reports, seed=seed_desc, errors=tuple(errors[k] for k in sorted(errors)),
                          resumed=tuple(sorted(done)))
