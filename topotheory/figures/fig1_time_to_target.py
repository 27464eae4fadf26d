"""Figure 1 of the paper: steps until the expected loss falls below a target, against the learning rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int, check_real
from ..toy.quadratic import time_to_target, zeta as zeta_of
from ..graphs.lattices import infinite_ring
from ..metrics.spectral import spectral_gap
from ..graphs import fully_connected, ring, solo
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "time_to_target_figure"]


def _curve(scheme: Any, lrs: Any, z: float, target: float) -> Any:
    return np.asarray(time_to_target(scheme, lr=lrs, zeta=z, target=target), dtype=float)


def compute(*, n: int = 32, d: int = 100, batch_size: int = 1, target: float = 0.01, lr_min: float = 1e-3,
            lr_max: float = 1.0, points: int = 60, ring_sizes: Any = (1, 2, 4, 8), infinite_ring_size: int = 4096,
            quick: bool = False) -> FigureData:
    r"""Paper Fig. 1: steps until the exact expected loss is below ``target``, vs the learning rate.

    The toy problem of THEORY §3 (random quadratics, :math:`\zeta = (1 + b + d)/b`); times come
    from :func:`topotheory.quadratic.time_to_target` (exact second-moment recursion). Left:
    fully connected, ring and alone at ``n`` workers. Right: rings of ``ring_sizes`` workers and the
    infinite ring, with their spectral gaps in the legend.

    Choices the paper does not state (exposed as parameters): dimension ``d = 100`` with batch
    size 1, hence :math:`\zeta = 102`; every worker starts at the same :math:`x_0` with
    :math:`\|x_0\|^2 = 1` (expected loss 0.5), the package's default start.

    The infinite ring has no finite loss curve to iterate. It is computed as a ring of
    ``infinite_ring_size`` workers: from an identical start the Gram matrix stays translation
    invariant and each step couples only neighbours, so a ring of ``N`` workers follows the infinite
    ring *exactly* during at least its first ``N/2`` steps; the figure also recomputes the curve with
    ``4 N`` workers and stores the largest difference in ``data["infinite_ring_check"]`` (0 when
    indistinguishable).

    Parameters
    ----------
    n : int
        Workers in the left panel (the paper: 32).
    d, batch_size : int
        Model dimension and mini-batch size (set :math:`\zeta`).
    target : float
        Loss level (the paper: 0.01).
    lr_min, lr_max : float
        Learning-rate range (the paper: 1e-3 to 1), log grid of ``points`` values (quick: 15).
    ring_sizes : sequence of int
        Finite rings of the right panel (the paper: 1, 2, 4, 8).
    infinite_ring_size : int
        Size ``N`` of the ring standing in for the infinite ring.
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]``: ``panel, topology, workers, spectral_gap, lr, steps`` (``steps`` is
        NaN, null in JSON, where the target is never reached).

    Examples
    --------
    >>> res = compute(ring_sizes=(1, 4), points=4, infinite_ring_size=256, lr_min=0.01, lr_max=0.1)
    >>> res.data["table"]["steps"][:4]
    [198.0, 94.0, 45.0, 23.0]
    """
    n = check_int("n", n, minimum=1)
    d = check_int("d", d, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    target = check_real("target", target, low=0.0, low_open=True)
    points = 15 if quick else points
    lo, hi, lrs = _data.log_range("lr_min", lr_min, "lr_max", lr_max, points)
    ring_sizes = tuple(check_int("ring_sizes", k, minimum=1) for k in ring_sizes)
    big = check_int("infinite_ring_size", infinite_ring_size, minimum=3)
    z = zeta_of(d, batch_size)

    left = [("fully_connected", fully_connected(n)), ("ring", ring(n)), ("solo", solo(n))]
    curves: list[tuple[Any, ...]] = []
    for name, scheme in left:
        curves.append(("left", name, n, spectral_gap(scheme), _curve(scheme, lrs, z, target)))
    for k in ring_sizes:
        scheme = ring(k)
        curves.append(("right", "ring", k, spectral_gap(scheme), _curve(scheme, lrs, z, target)))
    inf_curve = _curve(ring(big), lrs, z, target)
    check_curve = _curve(ring(4 * big), lrs, z, target)
    both = np.isfinite(inf_curve) & np.isfinite(check_curve)
    same_support = bool(np.array_equal(np.isfinite(inf_curve), np.isfinite(check_curve)))
    diff = float(np.max(np.abs(inf_curve[both] - check_curve[both]), initial=0.0)) if same_support else float("inf")
    curves.append(("right", "infinite_ring", float("inf"), spectral_gap(infinite_ring()), inf_curve))

    rows = []
    for panel, name, workers, gap, steps in curves:
        rows += [
            {"panel": panel, "topology": name, "workers": workers, "spectral_gap": gap, "lr": x, "steps": s}
            for x, s in zip(lrs, _data.finite_or_nan(steps))
        ]

    caption = (
        "Better-connected networks reach the target loss faster at their best learning rate, and "
        "rings improve with their size although their spectral gap shrinks to 0. "
        f"Steps until the exact expected loss of D-SGD on isotropic random quadratics falls below "
        f"{target:g}, against the learning rate (d = {d}, batch {batch_size}, zeta = {z:g}; all "
        "workers start at the same point with loss 0.5; missing points never reach the target). "
        f"Left: fully connected, ring and alone with {n} workers. Right: rings of growing size with "
        "their spectral gaps: larger rings reach the target faster at their best learning rate even "
        f"though their gap shrinks, up to the infinite ring (gap 0), computed as a ring of {big} "
        f"workers, which follows the infinite ring exactly for its first {big // 2} steps (a ring of "
        f"{4 * big} gives the same times: largest difference {diff:g} steps)."
    )
    params = {
        "n": n, "d": d, "batch_size": batch_size, "zeta": z, "target": target, "lr_min": lo,
        "lr_max": hi, "points": points, "ring_sizes": list(ring_sizes), "infinite_ring_size": big,
        "start": "identical x0 on every worker, |x0|^2 = 1 (loss 0.5)",
    }
    data = {"table": _data.columns(rows), "infinite_ring_check": {"size": 4 * big, "max_abs_difference": diff}}
    return FigureData("fig1_time_to_target", data, caption, params)


def plot(fd: FigureData) -> Any:
    """Draw Fig. 1 from its :class:`FigureData`: left the ``n``-worker panel, right the rings."""
    import matplotlib as mpl

    from . import _style

    t, p = fd.data["table"], fd.params
    n, d, z, target = p["n"], p["d"], p["zeta"], p["target"]
    lo, hi, ring_sizes = p["lr_min"], p["lr_max"], tuple(p["ring_sizes"])
    keys = list(dict.fromkeys(zip(t["panel"], t["topology"], t["workers"])))
    curves = []
    for panel, name, workers in keys:
        sel = [i for i, k in enumerate(zip(t["panel"], t["topology"], t["workers"])) if k == (panel, name, workers)]
        lrs = np.asarray([t["lr"][i] for i in sel], dtype=float)
        steps = np.asarray([np.nan if t["steps"][i] is None else t["steps"][i] for i in sel], dtype=float)
        workers = float("inf") if workers is None else workers
        curves.append((panel, name, workers, t["spectral_gap"][sel[0]], lrs, steps))
    with _style.style():
        fig, axes = _style.new_figure(1, 2, size=(11.0, 4.3), sharey=True)
        ax_l, ax_r = axes[0]
        for panel, name, workers, gap, lrs, y in curves:
            if panel == "left":
                ax_l.plot(lrs, y, color=_style.color(name), label=f"{_style.label(name)}")
            else:
                size = "∞" if np.isinf(workers) else f"{workers}"
                lbl = f"ring of {size} (gap {gap:.2g})"
                if np.isinf(workers):
                    ax_r.plot(lrs, y, color="black", ls="--", label=lbl)
                else:
                    frac = ring_sizes.index(workers) / max(1, len(ring_sizes) - 1)
                    ax_r.plot(lrs, y, color=mpl.colormaps["plasma"](0.05 + 0.75 * frac), label=lbl)
        for ax in (ax_l, ax_r):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(r"learning rate $\eta$")
            ax.set_xlim(lo, hi)
        ax_l.legend(loc="upper right")
        ax_r.legend(loc="lower left")
        ax_l.set_ylabel(f"steps until expected loss < {target:g}")
        ax_l.set_title(f"{n} workers")
        ax_r.set_title("rings of growing size")
        fig.suptitle(
            f"Time to reach loss {target:g} on random quadratics (d = {d}, $\\zeta$ = {z:g}), "
            "identical start at loss 0.5",
            fontsize=11,
        )
    return fig


time_to_target_figure = figure_function(compute, plot, "time_to_target_figure")
