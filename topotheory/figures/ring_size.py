"""Extra figure: optimal learning rate and rate of the toy problem against the ring size, up to infinity."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..common.validation import check_int
from ..toy.quadratic import optimal_learning_rate, zeta as zeta_of
from ..graphs.lattices import infinite_ring
from ..graphs import fully_connected, ring
from . import _data
from ._base import FigureData, figure_function

__all__ = ["compute", "plot", "ring_size_figure"]


def compute(*, d: int = 100, batch_size: int = 1,
            sizes: Any = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024), quick: bool = False) -> FigureData:
    r"""Optimal learning rate, best rate and stability edge of rings of growing size, and the infinite ring.

    Each point is :func:`topotheory.quadratic.optimal_learning_rate` (exact rates, THEORY §3.3) on a
    ring of ``n`` workers; the dashed line is the same for :func:`topotheory.infinite_ring` (spectral
    gap 0). Fully connected networks of the same sizes are shown for reference. The rings' optimal
    rate grows with ``n`` and saturates at the infinite ring's value (the optimal learning rate
    too, after a slight overshoot), although the spectral gap tends to 0 — the opposite of what
    spectral-gap theory prescribes.

    Parameters
    ----------
    d, batch_size : int
        Set :math:`\zeta = (1 + b + d)/b` (default 102, as in Fig. 1).
    sizes : sequence of int
        Ring sizes (quick: 1, 2, 4, 8, 16, 64).
    quick : bool

    Returns
    -------
    FigureData
        ``data["table"]``: ``topology, workers, lr, rate, max_lr, gamma, effective_neighbors,
        n_equivalent`` (``workers`` is ``inf`` for the infinite ring).

    Examples
    --------
    >>> res = compute(sizes=(1, 8), quick=False)
    >>> [round(x, 5) for x in res.data["table"]["lr"][:2]]  # ring of 1 = alone: 1 / zeta
    [0.0098, 0.05455]
    """
    d = check_int("d", d, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    sizes = (1, 2, 4, 8, 16, 64) if quick else tuple(check_int("sizes", k, minimum=1) for k in sizes)
    if not sizes:
        raise ValueError("sizes must list at least one ring size")
    z = zeta_of(d, batch_size)
    rows = []
    for name, make in (("ring", ring), ("fully_connected", fully_connected)):
        for k in sizes:
            rows.append(_row(name, k, optimal_learning_rate(make(k), zeta=z)))
    inf = optimal_learning_rate(infinite_ring(), zeta=z)
    rows.append(_row("infinite_ring", float("inf"), inf))
    table = _data.columns(rows)

    caption = (
        "Larger rings converge faster at their best learning rate and saturate at the infinite "
        "ring's values, although the spectral gap tends to 0. "
        f"Optimal learning rate, largest stable learning rate and the rate reached at the optimum for "
        f"rings of n workers on random quadratics (zeta = {z:g}), exact. The rate at the optimum grows "
        "with n and saturates at the infinite ring's value (dashed), whose spectral gap is 0; the "
        "learning rates saturate too (the optimal one after a slight overshoot), far above 1/zeta: "
        "decentralized averaging allows larger learning rates, while spectral-gap theory would "
        "prescribe ever smaller ones. Fully connected networks of the same size for reference."
    )
    params = {"d": d, "batch_size": batch_size, "zeta": z, "sizes": list(sizes)}
    return FigureData("ring_size", {"table": table}, caption, params)


def plot(fd: FigureData) -> Any:
    """Draw the ring-size figure from its :class:`FigureData`: learning rates (left), rates (right)."""
    from matplotlib.ticker import FuncFormatter

    from . import _style

    t, p = fd.data["table"], fd.params
    d, z = p["d"], p["zeta"]
    rows = [dict(zip(t, vals)) for vals in zip(*t.values())]
    ring_rows = [r for r in rows if r["topology"] == "ring"]
    full_rows = [r for r in rows if r["topology"] == "fully_connected"]
    inf = next(r for r in rows if r["topology"] == "infinite_ring")
    x = np.array([r["workers"] for r in ring_rows], dtype=float)
    with _style.style():
        fig, axes = _style.new_figure(1, 2, size=(10.5, 4.2))
        for ax, key, ylabel in (
            (axes[0, 0], "lr", r"learning rate $\eta$"),
            (axes[0, 1], "rate", r"rate at the optimum $r^*$"),
        ):
            ax.plot(x, [r[key] for r in ring_rows], "o-", color=_style.color("ring"),
                    label="ring of n: optimal $\\eta^*$" if key == "lr" else "ring of n")
            ax.plot(x, [r[key] for r in full_rows], "s:", color=_style.color("fully_connected"), ms=3.5,
                    label="fully connected, n workers" + (": optimal $\\eta^*$" if key == "lr" else ""))
            ax.axhline(inf["lr"] if key == "lr" else inf["rate"], color="black", ls="--", lw=1.3,
                       label="infinite ring (gap 0)" + (": optimal $\\eta^*$" if key == "lr" else ""))
            if key == "lr":
                ax.plot(x, [r["max_lr"] for r in ring_rows], "^-", color=_style.color("ring"), alpha=0.45, ms=3.5,
                        label="ring of n: largest stable $\\eta$")
                ax.axhline(inf["max_lr"], color="black", ls=":", lw=1.0, label="infinite ring: largest stable $\\eta$")
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_yscale("log")
            ax.set_xlabel("number of workers n (log scale)")
            ax.set_ylabel(ylabel)
        axes[0, 0].legend(loc="upper left", fontsize=7.8)
        axes[0, 1].legend(loc="upper left", fontsize=7.8)
        axes[0, 0].set_title("learning rates")
        axes[0, 1].set_title("convergence rate")
        fig.suptitle(f"Rings of growing size on random quadratics (d = {d}, $\\zeta$ = {z:g})", fontsize=11)
    return fig


ring_size_figure = figure_function(compute, plot, "ring_size_figure")


def _row(name: str, workers: Any, opt: Any) -> dict[str, Any]:
    return {
        "topology": name,
        "workers": workers,
        "lr": opt.lr,
        "rate": opt.rate,
        "max_lr": opt.max_lr,
        "gamma": opt.gamma,
        "effective_neighbors": opt.effective_neighbors,
        "n_equivalent": opt.n_equivalent,
    }
