"""Per-agent step sizes vs centralized gradient descent: the phase diagram (THEORY §9.2)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..hetero.problems import PARTITIONS, logistic_problem
from ..hetero.stepsizes import METHODS, compare_stepsizes, stepsize_phase_data
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "stepsize_phase_diagram"]

_METHOD_LABELS = {"per_agent": r"per-agent $1/L_i$ (best switch)", "centralized_mean": r"centralized $1/\bar L$",
                  "centralized_lmax": r"centralized $1/\lambda_{\max}(\bar A)$"}


def compute(*, n: int = 8, d: int = 10, smoothness_spreads: Any = None, distances: Any = None,
            optima_spread: float = 1.0, hessian_spread: float = 0.5, eps: float = 1e-4, partitions: Any = PARTITIONS,
            logistic_d: int = 5, logistic_samples: int = 50, logistic_eps: float = 1e-6, seed: int = 0,
            quick: bool = False) -> FigureData:
    r"""Where per-agent step sizes beat centralized gradient descent, and where they lose.

    Left and middle: exact iteration counts on heterogeneous quadratics
    (:func:`~topotheory.stepsizes.stepsize_phase_data`) as
    :math:`\log_2` (iterations with per-agent steps :math:`1/L_i`, best switch to the common step
    :math:`1/\bar L`) / (iterations of the baseline), over the spread of the :math:`L_i`
    (max/min, y) and the distance of the start from :math:`x^\star` (x); blue: per-agent steps
    win. Baselines: centralized GD with :math:`1/\mathrm{mean}(L_i)` (left) and with
    :math:`1/\lambda_{\max}(\bar A)` (middle). Right: simulated iterations on logistic regression
    for the ``partitions`` (default all three: iid, label-skewed, sorted by feature norm).

    Returns
    -------
    FigureData
        ``data["table"]``: ``smoothness_spread, L_ratio, distance, iterations_per_agent,
        iterations_centralized_mean, iterations_centralized_lmax, switch_at``;
        ``data["logistic"]``: ``partition, L_ratio`` and the three iteration counts.

    Examples
    --------
    >>> res = compute(smoothness_spreads=[0.0, 4.0], distances=[1.0, 100.0], d=3,
    ...                              partitions=["feature_norm"], logistic_samples=10, logistic_eps=1e-3)
    >>> len(res.data["table"]["distance"]), res.data["logistic"]["partition"]
    (4, ['feature_norm'])
    """
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=1)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    if smoothness_spreads is None:
        smoothness_spreads = np.linspace(0.0, 6.0, 5 if quick else 10)
    if distances is None:
        distances = np.geomspace(0.1, 1000.0, 5 if quick else 10)
    out = stepsize_phase_data(smoothness_spreads, distances, n=n, d=d, optima_spread=optima_spread,
                              hessian_spread=hessian_spread, eps=eps, seed=seed)
    taus, dists = out["smoothness_spreads"], out["distances"]
    rows = []
    for a, tau in enumerate(taus):
        for b, R in enumerate(dists):
            rows.append({"smoothness_spread": float(tau), "L_ratio": float(out["L_ratio"][a]), "distance": float(R),
                         **{f"iterations_{m}": float(out["iterations"][m][a, b]) for m in METHODS},
                         "switch_at": int(out["switch_at"][a, b])})
    logi: dict[str, list[Any]] = {"partition": [], "L_ratio": [], **{f"iterations_{m}": [] for m in METHODS}, "switch_at": []}
    x0 = np.full(logistic_d, 3.0)
    partitions = _data.name_list("partitions", partitions)
    for part in partitions:
        lp = logistic_problem(n, logistic_d, samples_per_worker=logistic_samples, partition=part, seed=seed)
        res = compare_stepsizes(lp, eps=logistic_eps, x0=x0, max_steps=5000)
        logi["partition"].append(part)
        logi["L_ratio"].append(float(lp.local_smoothness.max() / lp.local_smoothness.min()))
        for m in METHODS:
            logi[f"iterations_{m}"].append(float(res[m].iterations))
        logi["switch_at"].append(res["per_agent"].switch_at)
    wins_mean = int(np.sum(out["ratio_mean"] < 1))
    wins_lmax = int(np.sum(out["ratio_lmax"] < 1))
    loses_lmax = int(np.sum(out["ratio_lmax"] > 1))
    cells = out["ratio_mean"].size
    caption = (
        "Iterations to reach an excess loss eps with per-agent steps 1/L_i and exact averaging (switching "
        "to the common step 1/mean(L_i) at the best iteration) relative to centralized gradient descent. "
        f"Quadratics (exact): per-agent steps beat the 1/mean(L_i) baseline in {wins_mean} of {cells} "
        f"cells and never lose to it (the switch at 0 is that baseline), with the largest gains for a large "
        f"spread of L_i and a far start; against the 1/lambda_max baseline they win in {wins_lmax} and "
        f"lose in {loses_lmax} cells. Logistic regression (simulated, start 3 per coordinate): the "
        "feature-norm partition, which spreads the L_i, is where per-agent steps win clearly."
    )
    params = {"n": n, "d": d, "smoothness_spreads": [float(t) for t in taus], "distances": [float(r) for r in dists],
              "optima_spread": optima_spread, "hessian_spread": hessian_spread, "eps": eps,
              "logistic_d": logistic_d, "logistic_samples": logistic_samples, "logistic_eps": logistic_eps,
              "partitions": list(partitions), "seed": seed, "switch": "best", "switch_step": "1/mean(L_i)"}
    return FigureData("stepsize_phase_diagram", {"table": _data.columns(rows), "logistic": logi}, caption, params)


def plot(fd: FigureData) -> Any:
    """Draw the step-size phase diagram from its :class:`FigureData`."""
    from matplotlib.colors import TwoSlopeNorm

    from . import _style

    t, logi, p = fd.data["table"], fd.data["logistic"], fd.params
    n, d, eps, logistic_eps = p["n"], p["d"], p["eps"], p["logistic_eps"]
    optima_spread, hessian_spread, partitions = p["optima_spread"], p["hessian_spread"], p["partitions"]
    dists = np.asarray(p["distances"], dtype=float)
    shape = (len(p["smoothness_spreads"]), len(dists))
    L_ratio = np.asarray(t["L_ratio"], dtype=float).reshape(shape)[:, 0]
    its = {m: _data.float_column(t[f"iterations_{m}"]).reshape(shape) for m in METHODS}
    out = {"L_ratio": L_ratio, "ratio_mean": its["per_agent"] / its["centralized_mean"],
           "ratio_lmax": its["per_agent"] / its["centralized_lmax"]}
    with _style.style():
        fig, axes = _style.new_figure(1, 3, size=(15.0, 4.6))
        with np.errstate(divide="ignore", invalid="ignore"):
            panels = [np.log2(out["ratio_mean"]), np.log2(out["ratio_lmax"])]
        lim = max(0.05, float(np.nanmax(np.abs(np.concatenate([p.ravel() for p in panels])))))
        for ax, Z, base in zip(axes[0][:2], panels, ("centralized_mean", "centralized_lmax")):
            im = ax.pcolormesh(dists, out["L_ratio"], Z, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim),
                               shading="nearest")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(r"distance of the start $\|x_0 - x^\star\|$")
            ax.set_ylabel(r"spread of smoothness $\max_i L_i / \min_i L_i$")
            ax.set_title(f"per-agent vs {_METHOD_LABELS[base]}")
            ax.grid(False)
            fig.colorbar(im, ax=ax, label=r"$\log_2$ iteration ratio (<0: per-agent wins)")
        ax = axes[0, 2]
        width = 0.27
        xs = np.arange(len(partitions))
        for k, m in enumerate(METHODS):
            ax.bar(xs + (k - 1) * width, _data.finite_or_nan(logi[f"iterations_{m}"]), width, label=_METHOD_LABELS[m])
        ax.set_xticks(xs, [f"{p}\n(L ratio {r:.3g})" for p, r in zip(partitions, logi["L_ratio"])])
        ax.set_ylabel(f"iterations to excess loss {logistic_eps:g}")
        ax.set_title(f"logistic regression, {n} agents (simulated)")
        top = np.nanmax(_data.finite_or_nan([v for m in METHODS for v in logi[f"iterations_{m}"]]))
        ax.set_ylim(0, 1.45 * top if np.isfinite(top) else None)
        ax.legend(loc="upper center")
        fig.suptitle(f"Per-agent step sizes with exact averaging vs centralized GD (quadratics: n = {n}, d = {d}, "
                     f"eps = {eps:g}, optima spread {optima_spread:g}, Hessian spread {hessian_spread:g})", fontsize=11)
    return fig


stepsize_phase_diagram = figure_function(compute, plot, "stepsize_phase_diagram")
