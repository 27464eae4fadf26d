r"""The one statistics core of every theory-versus-simulation comparison (THEORY §6).

Used by :func:`topotheory.crosscheck` and :func:`topotheory.crosscheck_grid` (rates and loss
curves), :func:`topotheory.crosscheck_merging` (heterogeneous quadratics) and
:func:`topotheory.crosscheck_random_walk` (:math:`n_W`). It holds

* **one way to form intervals and bands** — :func:`mean_band`: replica mean
  :math:`\bar v_t = \frac1R\sum_r v_{r,t}`, standard error :math:`s_t/\sqrt R` (``ddof=1``) and
  the half width :math:`q\, s_t/\sqrt R`, with :math:`q` the Student-t quantile of
  :func:`band_quantile`: two-sided, ``R - 1`` degrees of freedom, Bonferroni-corrected over
  ``points`` (each point at level :math:`1 - (1-\text{level})/\text{points}`, so all points hold
  together with probability :math:`\ge` ``level`` whatever their correlation, by the union
  bound);
* **replica diagnostics** — :func:`replica_diagnostics`: for non-negative per-replica values
  :math:`w_r` (a loss, a variance) the effective sample size
  :math:`\mathrm{ESS} = (\sum_r w_r)^2 / \sum_r w_r^2` (Kish), the largest replica's share of the
  mean :math:`\max_r w_r / \sum_r w_r`, and the Hill estimate of the tail
  :math:`\hat\xi = \frac1k\sum_{i<k} \log(w_{(i)}/w_{(k)})` over the ``k`` largest values
  (:math:`\xi = 1/\alpha` for a Pareto-like tail :math:`P(w > x) \sim x^{-\alpha}`; the variance
  of :math:`w` — hence the normal approximation behind every interval here — exists only for
  :math:`\xi < 1/2`);
* **one agreement rule** — :func:`decide`: each comparison is a :class:`Check` that passes or
  fails; a failure is either *evidence* against the theory or a lack of *precision*. The verdict
  is ``"agrees"`` when every check passes; ``"disagrees"`` when an evidence check fails and either
  the replica diagnostics pass or the discrepancy is larger than unsampled or rare heavy-tailed
  replicas can cause (``robust``); otherwise ``"inconclusive"``, with the reason and what would
  settle it;
* **one report type** — :class:`CheckReport`, the base of every cross-check report, on the
  package's :class:`~topotheory.common.results.Result` base: ``verdict``, ``agrees`` (a bool,
  True only for ``"agrees"``), one text rendering and one ``to_dict()``.

How far heavy tails can move a replica mean. Per replica, :math:`\|x(t)\|^2` is a product of
``t`` random factors; its distribution is close to log-normal with a log-variance :math:`s^2`
growing linearly in ``t``. With few replicas the rare large values that carry the mean are usually
*missing* and the replica mean falls short of the expectation — but by at most a factor
:math:`2e^{s^2/2}` (at least half of the replicas lie above the median, and the expectation is
:math:`e^{s^2/2}` times the median); one rare large replica that *is* sampled inflates it by at
most :math:`1/(1 - \text{share})`. A fitted rate compares two times of the window, so both can
happen and its error has no fixed sign; what is bounded is the size:
:meth:`Diagnostics.tail_can_explain` says whether a discrepancy fits inside
:math:`B = 2e^{s^2/2}/(1 - \text{share})`. A larger one is ``robust`` evidence even when the
diagnostics fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import dataclasses
import math
import warnings

import numpy as np

from ..common.results import Result

__all__ = [
    "ESS_MIN",
    "ESS_FRACTION_MIN",
    "SHARE_MAX",
    "TAIL_MAX",
    "VERDICTS",
    "band_quantile",
    "mean_band",
    "Diagnostics",
    "replica_diagnostics",
    "Check",
    "decide",
    "CheckReport",
]

#: Smallest effective sample size of trusted replica means.
ESS_MIN = 50.0
#: Smallest ESS / reps of trusted replica means: for a log-normal w it is exp(-s^2), a property of the
#: distribution (more replicas do not raise it), so a low value calls for a shorter horizon.
ESS_FRACTION_MIN = 0.5
#: Largest share of the mean one replica may carry in a trusted replica mean.
SHARE_MAX = 0.05
#: Largest Hill tail estimate (xi = 1/alpha) of trusted replica means: xi < 1/2 means finite variance.
TAIL_MAX = 0.5
#: The three verdicts.
VERDICTS = ("agrees", "disagrees", "inconclusive")


# ----------------------------------------------------------------------------- intervals/bands
def band_quantile(level: float, points: int, reps: int) -> float:
    r"""Quantile ``q`` making ``points`` two-sided t-intervals hold together at ``level`` (Bonferroni).

    :math:`q = t_{R-1}^{-1}\bigl(1 - \tfrac{1-\text{level}}{2\,\text{points}}\bigr)`; infinite for
    one replica (no spread estimate).

    Examples
    --------
    >>> round(band_quantile(0.95, 1, 10**6), 3)      # the normal 1.96
    1.96
    >>> band_quantile(0.95, 10, 50) > band_quantile(0.95, 1, 50)
    True
    """
    if reps < 2:
        return float("inf")
    from scipy.stats import t

    return float(t.isf((1.0 - level) / (2.0 * points), reps - 1))


def mean_band(values: Any, *, level: float, points: int = 1) -> tuple[Any, Any, Any]:
    r"""Replica mean, standard error and band half-width of ``values`` (replicas on axis 0).

    NaN entries (replicas that stopped) are left out per column. The half width is
    ``band_quantile(level, points, R) * se``; with ``points`` equal to the number of columns the
    bands are simultaneous (Bonferroni).

    Returns
    -------
    mean, se, half : ndarray
        One value per column (or scalars for 1-D ``values``).

    Examples
    --------
    >>> mean, se, half = mean_band(np.array([1.0, 2.0, 3.0, 4.0]), level=0.95)
    >>> float(mean), round(float(se), 4), round(float(half / se), 3)    # t_3 quantile 3.182
    (2.5, 0.6455, 3.182)
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    count = ok.sum(axis=0)
    with np.errstate(all="ignore"):
        mean = np.where(ok, v, 0.0).sum(axis=0) / count
        var = np.where(ok, (v - mean) ** 2, 0.0).sum(axis=0) / (count - 1)
        se = np.sqrt(var / count)
    reps = int(np.min(count)) if np.size(count) else 0
    half = band_quantile(level, points, reps) * se
    return mean, se, half


# ---------------------------------------------------------------------------------- diagnostics
@dataclasses.dataclass(frozen=True, repr=False)
class Diagnostics(Result):
    r"""Replica diagnostics of a Monte Carlo mean (see :func:`replica_diagnostics`).

    Attributes
    ----------
    reps : int
        Replicas diagnosed.
    ess : float
        Smallest effective sample size over the recorded steps.
    max_share : float
        Largest share of the mean carried by one replica over the recorded steps.
    tail : float
        Hill estimate of the tail (xi = 1/alpha) of the values at the last recorded step.
    passed : bool
        ``ess >= ESS_MIN``, ``ess / reps >= ESS_FRACTION_MIN``, ``max_share <= SHARE_MAX`` and
        ``tail <= TAIL_MAX``.
    problems : tuple of str
        What failed, in words.
    replicas_needed : int
        Replicas that would bring the ESS and the share inside their limits (0 when they are).
    log_spread : float
        Sample variance :math:`s^2` of :math:`\log w_r` at the last recorded step; for a
        log-normal :math:`w` the mean exceeds the median by :math:`e^{s^2/2}`, which bounds how far
        unsampled tails can pull a replica mean down (see :meth:`tail_can_explain`).
    shorter_horizon : float
        Fraction of the horizon at which the tail estimate would fall to ``TAIL_MAX``
        (:math:`(\text{TAIL\_MAX}/\hat\xi)^2`, the log-normal scaling
        :math:`\hat\xi \propto \sqrt t`) and the ESS fraction rise to ``ESS_FRACTION_MIN``
        (:math:`\log 2 / s^2` with :math:`e^{-s^2}` the ESS fraction); 1 when both pass.
    """

    reps: int
    ess: float
    max_share: float
    tail: float
    passed: bool
    problems: tuple
    replicas_needed: int
    shorter_horizon: float
    log_spread: float = float("nan")

    def tail_can_explain(self, ratio: float) -> bool:
        r"""Whether heavy tails can put the expectation ``ratio`` times the replica mean.

        At least half of the replicas lie above the sample median, so the replica mean is at least
        half the median; with a log-normal spread :math:`s^2` the expectation is
        :math:`e^{s^2/2}` times the median: a shortfall up to :math:`2 e^{s^2/2}`. One sampled rare
        replica inflates the mean by at most :math:`1/(1 - 	ext{share})`. Both bounds combine
        into :math:`B = 2e^{s^2/2}/(1 - 	ext{share})`, and the test is
        :math:`|\log 	ext{ratio}| \le \log B`: a larger discrepancy is evidence, however heavy the
        tails.

        Examples
        --------
        >>> d = replica_diagnostics(np.exp(np.random.default_rng(0).standard_normal(100)))
        >>> d.tail_can_explain(2.5), d.tail_can_explain(10.0), d.tail_can_explain(0.1)
        (True, False, False)
        """
        if not ratio > 0 or not math.isfinite(ratio):
            return not ratio > 0  # 0 or negative: no information; inf: far beyond any tail
        spread = self.log_spread if math.isfinite(self.log_spread) else math.inf
        bound = spread / 2 + math.log(2.0) - math.log1p(-min(self.max_share, 1.0 - 1e-12))
        return abs(math.log(ratio)) <= bound

    def advice(self) -> str:
        """What would settle a comparison these diagnostics make unreliable ('' when they pass)."""
        if self.passed:
            return ""
        parts = []
        if self.shorter_horizon < 1.0:
            parts.append(f"a horizon of about {self.shorter_horizon:.0%} of this one (lighter tails)")
        if self.replicas_needed > self.reps:
            parts.append(f"about {self.replicas_needed} replicas")
        return " or ".join(parts) if parts else "more replicas"


def _hill(w: Any) -> float:
    """Hill estimate of xi over the k = ceil(min(R/5, 3 sqrt R)) largest values (NaN if too few)."""
    w = np.sort(w[np.isfinite(w) & (w > 0)])[::-1]
    k = int(math.ceil(min(0.2 * len(w), 3.0 * math.sqrt(len(w)))))
    if k < 2 or k >= len(w):
        return float("nan")
    return float(np.mean(np.log(w[:k] / w[k])))


def replica_diagnostics(values: Any) -> Diagnostics:
    r"""Effective sample size, largest share and tail of non-negative per-replica values.

    Parameters
    ----------
    values : array_like, shape (reps,) or (reps, steps)
        Per-replica contributions to a mean (losses, variances), replicas on axis 0; NaN or
        infinite replicas are left out.

    Returns
    -------
    Diagnostics

    Notes
    -----
    :math:`\mathrm{ESS} = (\sum w)^2/\sum w^2 \le R` equals ``R`` for equal values and 1 when one
    replica carries everything; both the ESS and the share improve linearly with more replicas when
    the variance is finite, so ``replicas_needed`` scales ``R`` by
    :math:`\max(\mathrm{ESS\_MIN}/\mathrm{ESS},\ \text{share}/\mathrm{SHARE\_MAX})`. The tail
    estimate does not improve with more replicas (it is a property of the distribution at this
    horizon): a shorter horizon is what settles it.

    Examples
    --------
    >>> d = replica_diagnostics(np.ones(200))
    >>> d.passed, d.ess, d.max_share
    (True, 200.0, 0.005)
    >>> heavy = replica_diagnostics(np.random.default_rng(0).pareto(1.2, 200))
    >>> heavy.passed, round(heavy.tail, 2)
    (False, 0.99)
    """
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    v = np.where(np.isfinite(v), v, np.nan)
    R = int(np.all(np.isfinite(v), axis=1).sum())
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (stopped replicas)
        s1 = np.nansum(v, axis=0)
        ess_t = s1**2 / np.nansum(v * v, axis=0)
        share_t = np.nanmax(v, axis=0) / s1
    ess_t = np.where(s1 > 0, ess_t, R)  # all-zero columns (a deterministic start) are exact
    share_t = np.where(s1 > 0, share_t, 0.0)
    ess, share = float(np.min(ess_t)), float(np.max(share_t))
    tail = _hill(v[:, -1])
    problems = []
    if not ess >= ESS_MIN:
        problems.append(f"effective sample size {ess:.3g} < {ESS_MIN:g}")
    frac = ess / R if R else 0.0
    if not frac >= ESS_FRACTION_MIN:
        problems.append(f"effective sample size only {frac:.0%} of the replicas (< {ESS_FRACTION_MIN:.0%}: heavy tails)")
    if not share <= SHARE_MAX:
        problems.append(f"one replica carries {share:.1%} of the mean (> {SHARE_MAX:.0%})")
    if tail > TAIL_MAX:
        problems.append(f"tail estimate xi = {tail:.2f} > {TAIL_MAX:g} (alpha = {1 / tail:.2f} < 2: no finite variance)")
    factor = max(ESS_MIN / ess if ess > 0 else math.inf, share / SHARE_MAX, 1.0)
    needed = 0 if factor <= 1.0 else (int(math.ceil(R * factor)) if math.isfinite(factor) else -1)
    horizon = min(1.0, (TAIL_MAX / tail) ** 2) if tail > TAIL_MAX else 1.0
    if 0 < frac < ESS_FRACTION_MIN:  # log-normal: ESS/R = exp(-s^2), s^2 proportional to the horizon
        horizon = min(horizon, math.log(1 / ESS_FRACTION_MIN) / -math.log(frac))
    last = v[:, -1]
    last = last[np.isfinite(last) & (last > 0)]
    spread = float(np.var(np.log(last), ddof=1)) if len(last) > 1 else float("nan")
    return Diagnostics(reps=R, ess=ess, max_share=share, tail=tail, passed=not problems,
                       problems=tuple(problems), replicas_needed=needed, shorter_horizon=horizon,
                       log_spread=spread)


# ------------------------------------------------------------------------------- the rule
@dataclasses.dataclass(frozen=True, repr=False)
class Check(Result):
    """One comparison of a theory value with a simulation interval.

    Attributes
    ----------
    name : str
    passed : bool
    kind : {"evidence", "precision"}
        A failed *evidence* check speaks against the theory; a failed *precision* check only says
        the simulation is too imprecise to decide.
    robust : bool
        The failure (if any) lies in the direction unsampled heavy tails cannot produce.
    detail : str
    """

    name: str
    passed: bool
    kind: str = "evidence"
    robust: bool = False
    detail: str = ""


def decide(checks: Sequence[Check], diagnostics: Diagnostics) -> tuple[str, str]:
    """The one agreement rule: ``(verdict, reason)`` from the checks and the replica diagnostics.

    * every check passes → ``"agrees"``;
    * an evidence check fails and the diagnostics pass, or the failure is ``robust`` →
      ``"disagrees"``;
    * otherwise (a precision check fails, or an evidence check fails while the diagnostics say the
      intervals cannot be trusted) → ``"inconclusive"``.

    Examples
    --------
    >>> ok = replica_diagnostics(np.ones(100))
    >>> decide([Check("rate", True)], ok)[0]
    'agrees'
    >>> decide([Check("rate", False)], ok)[0]
    'disagrees'
    >>> decide([Check("rate", False)], replica_diagnostics(np.r_[np.ones(99), 1e3]))[0]
    'inconclusive'
    """
    failed = [c for c in checks if not c.passed]
    if not failed:
        return "agrees", "every check passes"
    evidence = [c for c in failed if c.kind == "evidence"]
    hard = [c for c in evidence if diagnostics.passed or c.robust]
    if hard:
        return "disagrees", "; ".join(f"{c.name} fails" + (f" ({c.detail})" if c.detail else "") for c in hard)
    why = []
    if evidence:
        why.append(", ".join(c.name for c in evidence) + " fails, but in a direction an unreliable replica mean can"
                   " produce, and the replica diagnostics say it is unreliable: " + "; ".join(diagnostics.problems))
    for c in failed:
        if c.kind == "precision":
            why.append(f"{c.name}: the simulation is too imprecise to decide" + (f" ({c.detail})" if c.detail else ""))
    return "inconclusive", "; ".join(why)


# ----------------------------------------------------------------------------------- reports
class CheckReport(Result):
    """Base of every cross-check report: a verdict, its reason and its replica diagnostics.

    Subclasses are frozen dataclasses with the fields ``verdict`` (one of :data:`VERDICTS`),
    ``reason`` (str) and ``diagnostics`` (:class:`Diagnostics`), and implement ``_body()`` (the
    lines specific to the comparison); ``str(report)`` adds the verdict block.
    """

    if TYPE_CHECKING:  # the fields every subclass declares (not fields of this base)
        verdict: str
        reason: str
        diagnostics: Diagnostics

        def _body(self) -> list[str]: ...

    @property
    def agrees(self) -> bool:
        """True only when the verdict is ``"agrees"``."""
        return self.verdict == "agrees"

    @property
    def settle(self) -> str:
        """What would settle an inconclusive verdict, in words ('' otherwise)."""
        if self.verdict != "inconclusive":
            return ""
        return self.diagnostics.advice() or "more replicas"

    def _verdict_lines(self) -> list[str]:
        d = self.diagnostics
        lines = [
            f"  agrees      {'yes' if self.agrees else 'NO'}",
            f"  verdict     {self.verdict}: {self.reason}",
            f"  replicas    effective sample size {d.ess:.4g} of {d.reps}, largest replica share {d.max_share:.1%},"
            f" tail xi {d.tail:.2f}" + ("" if d.passed else " (" + "; ".join(d.problems) + ")"),
        ]
        if self.settle:
            lines.append(f"  to settle   {self.settle}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field plus ``agrees`` and ``settle``."""
        out = super().to_dict()
        out.update(agrees=self.agrees, settle=self.settle)
        return out

    def __str__(self) -> str:
        return "\n".join(self._body())
