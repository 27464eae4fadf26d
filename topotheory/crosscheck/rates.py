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
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..common.results import Result
from ..common.progress import Progress
from ..common.rng import as_generator, spawn_seeds
from ..common.validation import check_array, check_bool, check_int, check_real, plain
from ..simulate.montecarlo import DSGDSimulation, check_dsgd_size, estimate_rate, simulate_dsgd
from ..simulate.engine import format_seed as _fmt_seed
from ..simulate.fit import fit_rate as _fit_rate
from ..graphs.scheme import Scheme, check_scheme
from ..simulate.engine import root_seed, start_point
from ..simulate.montecarlo import concat_simulations
from .stats import Check, CheckReport, Diagnostics, band_quantile, decide, mean_band, replica_diagnostics

__all__ = ["CrosscheckReport", "CrosscheckGrid", "crosscheck", "crosscheck_grid"]


def _finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _list(a):
    return [_finite_or_none(v) for v in np.asarray(a, dtype=float).tolist()]


@dataclass(frozen=True, repr=False, eq=False)
class CrosscheckReport(CheckReport):
    r"""Result of :func:`crosscheck`: theory and simulation side by side.

    Attributes
    ----------
    theory_rate : float
        Exact asymptotic rate :math:`r` (per step; NaN when the theory diverges).
    theory_window_rate : float
        The rate of the *exact curve* fitted over the same window as the simulation: equals
        ``theory_rate`` once transients have died out (a diagnostic for too short runs).
    mc_rate : float
        Simulated rate (:func:`topotheory.montecarlo.estimate_rate`).
    ci : (float, float)
        Bootstrap interval of ``mc_rate`` at level ``confidence``.
    rel_error : float
        :math:`|\hat r - r| / r`.
    exact_loss, mc_loss : ndarray, shape (steps + 1,)
        The exact expected loss and the replica-mean simulated loss.
    band_low, band_high : ndarray, shape (steps + 1,)
        ``mc_loss`` :math:`\mp z\,` standard error; ``z`` (``band_z``) is the Bonferroni quantile
        making all ``steps + 1`` bands hold simultaneously with probability ``band_level``
        (Student-t with ``reps - 1`` degrees of freedom per point, conservative across points).
    max_z : float
        :math:`\max_t |\text{mc}(t) - \text{exact}(t)| / \text{se}(t)`.
    verdict : {"agrees", "disagrees", "inconclusive"}
        From the one agreement rule (:func:`topotheory.crosscheck.stats.decide`) applied to three
        checks: rate inside the interval (evidence), rate within ``rel_tol`` (precision when the
        rate is inside the interval, evidence otherwise) and the curve inside the bands
        (evidence); a failure is robust when the discrepancy is larger than heavy tails can cause
        (:meth:`topotheory.crosscheck.stats.Diagnostics.tail_can_explain`).
    reason : str
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

    def __repr__(self):
        lo, hi = self.ci
        return (
            f"CrosscheckReport(scheme={self.scheme!r}, lr={self.lr:g}, d={self.d}, reps={self.reps}, "
            f"steps={self.steps}, theory_rate={self.theory_rate:.6g}, mc_rate={self.mc_rate:.6g}, "
            f"ci=({lo:.6g}, {hi:.6g}), agrees={self.agrees}, verdict={self.verdict!r})"
        )

    def _body(self):
        yes = {True: "ok", False: "FAILS"}
        lo, hi = self.ci
        pct = f"{100 * self.confidence:g}%"
        lines = [
            "Cross-check: D-SGD on the isotropic random quadratic, exact theory vs Monte Carlo",
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
        rows = [header]
        for t in np.unique(np.linspace(0, self.steps, 7).round().astype(int)):
            rows.append(
                (str(t),) + tuple(f"{v:.6g}" for v in (self.exact_loss[t], self.mc_loss[t], self.band_low[t], self.band_high[t]))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return lines

    def summary(self):
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
        }

    def to_dict(self):
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


def crosscheck(
    scheme,
    *,
    lr,
    d,
    reps,
    steps,
    seed=None,
    batch_size=1,
    x0=None,
    window=None,
    confidence=0.95,
    band=0.999,
    rel_tol=0.03,
    n_boot=1000,
    method="exact",
    mode="worst",
    chunk_size=None,
    threads=None,
    adaptive=False,
    budget=None,
):
    r"""Check the exact theory of D-SGD on the random quadratic against a Monte Carlo simulation.

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

    Parameters
    ----------
    scheme : Scheme
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
    from ..toy.quadratic import loss_curve, quadratic_rate, zeta as zeta_of

    scheme = check_scheme(scheme)
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
    theory_rate = float(quadratic_rate(scheme, lr=lr, zeta=z, method=method, mode=mode))
    seed, seed_desc = root_seed(seed)
    sim_seed, boot_seed = spawn_seeds(as_generator(seed), 2)
    run = dict(lr=lr, d=d, steps=steps, reps=reps, batch_size=batch_size, x0=x0, chunk_size=chunk_size, threads=threads)
    sim = simulate_dsgd(scheme, seed=sim_seed, **run)
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
            sim = concat_simulations([simulate_dsgd(scheme, seed=sd, **run) for sd in chunk_seeds[used : used + k]])
            used += k
            spent += want
            est = estimate_rate(sim, window=window, confidence=confidence, n_boot=n_boot, seed=boot_seed)
            diag = replica_diagnostics(sim.replica_loss[:, est.window[0] : est.window[1] + 1])
    initial = None if x0 is None else (lambda X: X @ X.T)(start_point(x0, sim.n, sim.d))
    exact = np.asarray(loss_curve(scheme, lr=lr, zeta=z, steps=steps, initial=initial), dtype=float)

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


# ------------------------------------------------------------------------------------- sweeps
@dataclass(frozen=True, repr=False, eq=False)
class CrosscheckGrid(Result):
    """Result of :func:`crosscheck_grid`: one :class:`CrosscheckReport` per (scheme, lr), in order."""

    reports: list
    seed: object

    @property
    def agrees(self):
        """True when every cross-check of the sweep agrees."""
        return all(r.agrees for r in self.reports)

    @property
    def verdicts(self):
        """The verdict of every cross-check, in order."""
        return [r.verdict for r in self.reports]

    def rows(self):
        """One summary dict per report."""
        return [r.summary() for r in self.reports]

    def to_dict(self):
        """JSON-ready: the seed and every report's :meth:`CrosscheckReport.to_dict`."""
        return {"seed": self.seed, "agrees": self.agrees, "verdicts": self.verdicts,
                "reports": [r.to_dict() for r in self.reports]}

    def __len__(self):
        return len(self.reports)

    def __iter__(self):
        return iter(self.reports)

    def __getitem__(self, i):
        return self.reports[i]

    def __repr__(self):
        ok = sum(r.agrees for r in self.reports)
        return f"CrosscheckGrid({len(self.reports)} cross-checks, {ok} agree, seed={_fmt_seed(self.seed)})"

    def __str__(self):
        cols = ("scheme", "lr", "theory_rate", "mc_rate", "ci", "rel_error", "max_z", "ess", "agrees", "verdict")
        rows = [cols]
        for r in self.reports:
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


def _grid_task(scheme, lr, seed, kwargs):
    return crosscheck(scheme, lr=lr, seed=seed, **kwargs)


def crosscheck_grid(schemes, lrs, *, d, reps, steps, seed=None, executor=None, progress=None, **kwargs):
    """Run :func:`crosscheck` for every scheme × learning rate, serially or through an executor.

    Task ``k`` (schemes outer, learning rates inner) gets the ``k``-th child of
    ``spawn_seeds(seed, n_tasks)`` (``numpy.random.SeedSequence`` children), so the results are
    bit-identical whether the sweep runs serially or through any
    :class:`concurrent.futures.Executor` — a local ``ProcessPoolExecutor``, or a Dask distributed
    client's ``get_executor()`` when a sweep outgrows one machine.

    Parameters
    ----------
    schemes : Scheme or sequence of Scheme
    lrs : float or sequence of float
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
    **kwargs
        Further keywords of :func:`crosscheck` (``batch_size``, ``window``, ``band``, ...).

    Returns
    -------
    CrosscheckGrid

    Examples
    --------
    >>> from topotheory import ring, solo
    >>> grid = crosscheck_grid([solo(4), ring(8)], [0.02, 0.05], d=10, reps=60, steps=40, seed=1)
    >>> len(grid), grid[3].scheme, grid[3].lr
    (4, 'ring', 0.05)
    """
    if isinstance(schemes, Scheme):
        schemes = [schemes]
    if isinstance(schemes, (str, bytes)) or not isinstance(schemes, Iterable):
        raise TypeError(f"schemes must be a Scheme or a list of schemes, got {plain(schemes)}")
    schemes = [check_scheme(s, name=f"schemes[{i}]") for i, s in enumerate(list(schemes))]
    if not schemes:
        raise ValueError("schemes must hold at least one scheme, got an empty list")
    lrs = [float(x) for x in check_array("lrs", lrs, low=0.0, low_open=True, min_size=1).ravel()]
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be None or a concurrent.futures.Executor (with submit), got {plain(executor)}")
    if progress is not None:
        progress = check_bool("progress", progress)
    seed, seed_desc = root_seed(seed)
    tasks = [(s, lr) for s in schemes for lr in lrs]
    seeds = spawn_seeds(seed, len(tasks))
    kwargs = dict(kwargs, d=d, reps=reps, steps=steps)
    if executor is not None:
        kwargs.setdefault("threads", 1)
    with Progress(len(tasks), desc="crosscheck", unit="run", enabled=progress, delay=0.0 if progress else 2.0) as bar:
        if executor is None:
            reports = []
            for (s, lr), sd in zip(tasks, seeds):
                reports.append(_grid_task(s, lr, sd, kwargs))
                bar.update()
        else:
            from concurrent.futures import as_completed

            futures = [executor.submit(_grid_task, s, lr, sd, kwargs) for (s, lr), sd in zip(tasks, seeds)]
            for f in as_completed(futures):
                f.result()
                bar.update()
            reports = [f.result() for f in futures]
    return CrosscheckGrid(reports=reports, seed=seed_desc)
