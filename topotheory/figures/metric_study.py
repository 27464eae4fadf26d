r"""The "beyond spectral gap" claim measured across many topologies: which metric predicts the toy rate?

For about twenty topologies at each size, every metric (spectral gap, Koloskova's p/tau, mixing time,
the effective number of neighbours at a few decays, the spectral functionals S_0 and S_1) induces an
ordering; the exact optimal rate of D-SGD on the isotropic toy quadratic (THEORY §3.3) at noise
level zeta induces another. The Kendall rank correlation between the two, oriented so that +1 means
"the metric orders the topologies exactly as the optimal rate does", is the study's number.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..common.validation import as_float_array, check_int
from ..graphs.families import base_graph, erdos_renyi, one_peer_exponential_any, random_regular
from ..graphs.random import el_oracle, epidemic, equidyn, pairwise_gossip, periodic_mixture, random_matching
from ..graphs import (
    solo,
    binary_tree,
    chain,
    exponential_graph,
    fully_connected,
    hypercube,
    local_steps,
    mix,
    ring,
    star,
    torus,
    two_cliques,
    uni_ring,
)
from ..compare.ranking import kendall_tau
from ..compare.registry import METRICS, STUDY_METRIC_NAMES, STUDY_METRICS
from ..graphs.scheme import Scheme
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "metric_study", "study_topologies", "random_study_topologies", "STUDY_METRICS"]


def _square_torus(n: int) -> Scheme:
    r = int(math.isqrt(n))
    while n % r:
        r -= 1
    return torus(r, n // r)


def study_topologies(n: int, *, seed: int = 0) -> dict[str, Scheme]:
    """The study's topologies at ``n`` workers, as an ordered ``{label: Scheme}`` dict.

    Static graphs (Metropolis weights), directed circulants, periodic schemes and finite-time
    consensus sequences, plus seeded random graphs (``seed`` makes them reproducible). The
    hypercube is included when ``n`` is a power of two.

    Examples
    --------
    >>> len(study_topologies(16))
    20
    """
    n = check_int("n", n, minimum=5)
    d6 = min(6, n - 1) - (min(6, n - 1) * n) % 2  # 6 when possible (n * degree must be even)
    d3 = 3 if n % 2 == 0 else 4
    out = {
        "fully connected": fully_connected(n),
        "one-peer exponential": one_peer_exponential_any(n),
        "exponential graph": exponential_graph(n),
        "torus": _square_torus(n),
        "two cliques": two_cliques(n),
        "star": star(n),
        "binary tree": binary_tree(n),
        "ring": ring(n),
        "lazy ring": ring(n, weights="lazy_metropolis"),
        "chain": chain(n),
        "one-directional ring": uni_ring(n),
        "local steps H=4": local_steps(n, 4),
        "mix (gap 0.1)": mix(n, 0.1),
        "Base-2 graph": base_graph(n, 1),
        "Base-4 graph": base_graph(n, 3),
        f"random {d3}-regular": random_regular(n, d3, seed=seed),
        f"random {d6}-regular": random_regular(n, d6, seed=seed + 1),
        "Erdos-Renyi": erdos_renyi(n, min(1.0, 2 * math.log(n) / n), seed=seed + 2),
    }
    if n & (n - 1) == 0:
        out["hypercube"] = hypercube(n)
    out["lazy torus"] = _square_torus(n).lazy()
    return out


def random_study_topologies(n: int) -> dict[str, Any]:
    """The study's random i.i.d. schemes at ``n`` workers (a fresh ``W_t`` per step), as ``{label: RandomScheme}``.

    One-peer and few-peer random gossip at comparable communication: a uniform random matching,
    randomized pairwise gossip, Epidemic Learning with ``s = 2`` (EL-Local, row-stochastic; EL-Oracle,
    a random 2-regular graph), OD-EquiDyn, and three local steps then one random matching.

    Examples
    --------
    >>> list(random_study_topologies(8))[:2]
    ['random matching', 'pairwise gossip']
    """
    n = check_int("n", n, minimum=5)
    return {
        "random matching": random_matching(n),
        "pairwise gossip": pairwise_gossip(n),
        "EL-Local s=2": epidemic(n, 2),
        "EL-Oracle s=2": el_oracle(n, 2),
        "OD-EquiDyn": equidyn(n),
        "local H=3 + random matching": periodic_mixture([solo(n)] * 3 + [random_matching(n)],
                                                        name="local H=3 + random matching"),
    }


def _random_part(ns: tuple[int, ...], zetas: tuple[float, ...], table: dict[str, list[Any]],
                 values: dict[str, list[Any]]) -> dict[str, dict[str, list[Any]]]:
    r"""The random schemes in the study: their metrics, and the Kendall tau over deterministic and random schemes.

    A metric is evaluated on a random scheme where the mathematics holds (n_W, the expected
    contraction behind the spectral gap and Koloskova's p, S_0 and S_1 of doubly stochastic laws,
    the exact optimal rate); where it does not (a fixed product for the mixing time, the
    disagreement covariance of a row-stochastic law) the ValueError saying why is recorded in
    ``skipped`` and the tau of that metric is taken over the schemes where it is defined
    (``n_topologies`` says how many).
    """
    from ..toy.quadratic import optimal_learning_rate

    rvalues: dict[str, list[Any]] = {"n": [], "topology": []}
    rtable: dict[str, list[Any]] = {k: [] for k in table}
    skipped: dict[str, list[Any]] = {"n": [], "topology": [], "metric": [], "reason": []}
    metrics = [METRICS[name] for name in STUDY_METRIC_NAMES]
    det_n = np.array(values["n"])
    for n in ns:
        schemes = random_study_topologies(n)
        names = list(schemes)
        rvalues["n"] += [n] * len(names)
        rvalues["topology"] += names
        det = det_n == n

        def evaluate(m: Any, zeta: float, key: str, schemes: dict[str, Any] = schemes, n: int = n) -> np.ndarray:
            out: list[float] = []
            for k, scheme in schemes.items():
                try:
                    out.append(float(m(scheme, zeta=zeta)))
                except ValueError as exc:
                    out.append(float("nan"))
                    for col, v in zip(skipped, (n, k, key, str(exc))):
                        skipped[col].append(v)
            rvalues.setdefault(key, []).extend(out)
            return np.array(out)

        static = {m.label: evaluate(m, zetas[0], m.label) for m in metrics if not m.params}
        for zeta in zetas:
            rate = np.array([optimal_learning_rate(schemes[k], zeta=zeta).rate for k in names], dtype=float)
            rvalues.setdefault(f"optimal rate (ζ={zeta:g})", []).extend(rate.tolist())
            det_rate = np.array(values[f"optimal rate (ζ={zeta:g})"], dtype=float)[det]
            for m in metrics:
                key = m.label if m.label in static else f"{m.label} (ζ={zeta:g})"
                metric = static[m.label] if m.label in static else evaluate(m, zeta, key)
                det_metric = np.array(values[key], dtype=float)[det]
                both_metric = np.concatenate([det_metric, metric])
                both_rate = np.concatenate([det_rate, rate])
                ok = ~np.isnan(both_metric)
                tau, pval = kendall_tau(m.orientation * both_metric[ok], both_rate[ok])
                for key2, v in zip(rtable, (n, zeta, m.label, tau, pval, m.orientation, int(ok.sum()))):
                    rtable[key2].append(v)
    return {"values": rvalues, "table": rtable, "skipped": skipped}


def compute(*, ns: Any = (32, 64), zetas: Any = (10.0, 100.0, 1000.0), seed: int = 0, quick: bool = False,
            random: bool = True, executor: Executor | None = None) -> FigureData:
    r"""Kendall rank correlation between each topology metric and the exact optimal toy rate.

    For every size ``n`` in ``ns`` and noise level :math:`\zeta` in ``zetas`` the ~20 topologies of
    :func:`study_topologies` are ranked by the optimal rate :math:`r^*` of D-SGD on the isotropic
    toy quadratic (:func:`topotheory.quadratic.optimal_learning_rate`, THEORY §3.3) and by each
    metric of the registry's study metrics (:data:`topotheory.compare.STUDY_METRIC_NAMES`, with
    their orientations). The Kendall :math:`\tau_b` (:func:`topotheory.compare.kendall_tau`) is
    oriented so that +1 means the metric orders the topologies exactly as :math:`r^*` does. This
    quantifies the paper's claim ("beyond spectral gap") on more graphs than the paper used.

    Parameters
    ----------
    ns : sequence of int
        Numbers of workers (each ``>= 5``).
    zetas : sequence of float
        Noise levels :math:`\zeta = \mathbb E\|g\|^2/\|x\|^2 > 1` (``d + 2`` for batch size 1).
    seed : int
        Seed of the random graphs.
    quick : bool
        Use ``ns = (16,)`` and the first two noise levels (for tests and notebooks).
    random : bool
        Also study the random schemes of :func:`random_study_topologies` (``data["random"]``); the
        deterministic outputs do not change.
    executor : concurrent.futures.Executor, optional
        Computes the optimal learning rates (:func:`topotheory.compare.optimal_learning_rates`);
        the table is bit-identical with or without it.

    Returns
    -------
    FigureData
        ``data["table"]``: one row per (n, zeta, metric) with ``kendall_tau``, ``p_value``,
        ``orientation`` and ``n_topologies``; ``data["values"]``: per (n, topology) every metric
        and the optimal rate and learning rate at every zeta (deterministic schemes).
        ``data["random"]`` (``random=True``): ``values`` of the random schemes, ``table`` (the same
        columns, tau over the deterministic and random schemes together, each metric over the
        schemes where it is defined) and ``skipped`` (``n``, ``topology``, ``metric`` and the
        ``reason`` a metric is undefined for a random scheme, e.g. the mixing time of a scheme with
        no fixed product, S_1 of a row-stochastic law).

    Examples
    --------
    >>> res = compute(ns=(8,), zetas=(10,))
    >>> tau = dict(zip(res.data["table"]["metric"], res.data["table"]["kendall_tau"]))
    >>> round(tau["spectral gap (per step)"], 3), round(tau["n_W(γ=0.9)"], 3)
    (0.444, 0.795)
    """
    from ..compare.batch import optimal_learning_rates

    if quick:
        ns, zetas = (16,), tuple(zetas)[:2]
    ns = tuple(check_int("ns", n, minimum=5) for n in np.atleast_1d(ns).tolist())
    zetas = tuple(float(z) for z in np.atleast_1d(as_float_array("zetas", zetas, low=1.0, low_open=True)))
    if not ns or not zetas:
        raise ValueError("ns and zetas must be non-empty")
    seed = check_int("seed", seed, minimum=0)

    table: dict[str, list[Any]] = {k: [] for k in ("n", "zeta", "metric", "kendall_tau", "p_value", "orientation",
                                                   "n_topologies")}
    values: dict[str, list[Any]] = {"n": [], "topology": []}
    for n in ns:
        schemes = study_topologies(n, seed=seed)
        names = list(schemes)
        values["n"] += [n] * len(names)
        values["topology"] += names
        static = {}
        metrics = [METRICS[name] for name in STUDY_METRIC_NAMES]
        for m in metrics:
            if not m.params:
                static[m.label] = np.array([m(schemes[k]) for k in names], dtype=float)
                values.setdefault(m.label, []).extend(static[m.label].tolist())
        for zeta in zetas:
            opt = optimal_learning_rates([schemes[k] for k in names], zeta=zeta, executor=executor, progress=False)
            rate = np.array([o.rate for o in opt], dtype=float)
            values.setdefault(f"optimal rate (ζ={zeta:g})", []).extend(rate.tolist())
            values.setdefault(f"optimal lr (ζ={zeta:g})", []).extend(
                [float(o.lr) for o in opt]
            )
            for m in metrics:
                if m.label in static:
                    metric = static[m.label]
                else:
                    metric = np.array([m(schemes[k], zeta=zeta) for k in names], dtype=float)
                    values.setdefault(f"{m.label} (ζ={zeta:g})", []).extend(metric.tolist())
                tau, pval = kendall_tau(m.orientation * metric, rate)
                for key, v in zip(table, (n, zeta, m.label, tau, pval, m.orientation, len(names))):
                    table[key].append(v)
    caption = (
        "Kendall rank correlation between each topology metric and the exact optimal rate of D-SGD on the "
        f"isotropic toy quadratic, over {len(values['topology']) // len(ns)} topologies at n = "
        f"{', '.join(map(str, ns))} and noise levels zeta = {', '.join(f'{z:g}' for z in zetas)} "
        "(+1: the metric orders the topologies exactly as the optimal rate does). " + _summary(table)
    )
    params = {"ns": list(ns), "zetas": list(zetas), "seed": seed, "quick": bool(quick)}
    data: dict[str, Any] = {"table": table, "values": values}
    if random:
        data["random"] = _random_part(ns, zetas, table, values)
        params["random"] = True
    return FigureData("metric_study", data, caption, params)


def _summary(table: dict[str, list[Any]]) -> str:
    """Two data-driven sentences: the best metric per noise level, and gap versus n_W overall."""
    metrics = list(dict.fromkeys(table["metric"]))
    zetas = list(dict.fromkeys(table["zeta"]))
    taus = np.array(table["kendall_tau"], dtype=float)
    metric_col, zeta_col = np.array(table["metric"]), np.array(table["zeta"])
    parts = []
    for z in zetas:
        means = np.array([np.nanmean(taus[(metric_col == m) & (zeta_col == z)]) for m in metrics])
        i = int(np.nanargmax(means))
        parts.append(f"zeta = {z:g}: {metrics[i]} (tau = {means[i]:.2f})")
    overall = {m: float(np.nanmean(taus[metric_col == m])) for m in metrics}
    gap = overall["spectral gap (per step)"]
    best_nw = max((m for m in metrics if m.startswith("n_W")), key=lambda m: overall[m])
    verdict = "higher" if overall[best_nw] > gap else "not higher"
    return (
        "Best predictor per noise level (mean over sizes): " + "; ".join(parts) + ". "
        f"Averaged over all cases the spectral gap reaches tau = {gap:.2f}, the best effective-number-of-"
        f"neighbours metric ({best_nw}) tau = {overall[best_nw]:.2f} ({verdict})."
    )


def plot(fd: FigureData) -> Any:
    """Draw the metric study from its :class:`FigureData`: Kendall tau per metric and (n, zeta)."""
    from . import _style

    table = fd.data["table"]
    ns, zetas = fd.params["ns"], fd.params["zetas"]
    metrics = list(dict.fromkeys(table["metric"]))
    cols = [(n, z) for n in ns for z in zetas]
    M = np.full((len(metrics), len(cols)), np.nan)
    for m, n, z, t in zip(table["metric"], table["n"], table["zeta"], table["kendall_tau"]):
        M[metrics.index(m), cols.index((n, z))] = t
    with _style.style():
        fig, axes = _style.new_figure(1, 1, size=(max(7.0, 3.2 + 0.95 * len(cols)), 1.2 + 0.4 * len(metrics)))
        ax = axes[0, 0]
        im = ax.imshow(M, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        ax.grid(False)
        ax.set_yticks(np.arange(len(metrics)), metrics)
        ax.set_xticks(np.arange(len(cols)), [f"n={n}\nζ={z:g}" for n, z in cols])
        for i in range(len(metrics)):
            for j in range(len(cols)):
                if np.isfinite(M[i, j]):
                    ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if abs(M[i, j]) > 0.6 else "black")
        cb = fig.colorbar(im, ax=ax, shrink=0.9)
        cb.set_label("Kendall τ with the optimal toy rate")
        ax.set_title("Which metric orders topologies like the exact optimal rate?")
    return fig


metric_study = figure_function(compute, plot, "metric_study")
