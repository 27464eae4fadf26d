"""The explorer's widgets: controls wired to an :class:`~topotheory.ExplorerState`, drawn with matplotlib.

ipywidgets and matplotlib are imported when an explorer is built, never at ``import topotheory``.
The figure is a plain :class:`matplotlib.figure.Figure` (no pyplot state) rendered to PNG into an
``ipywidgets.Image``, so the explorer works with any matplotlib backend and in headless runs; a
notebook saved with outputs keeps that PNG as the static fallback of the widget.
"""

from __future__ import annotations

import html
import io
import math
import time

from typing import Any

import numpy as np

from .state import CUSTOM, ExplorerRun, ExplorerState, ExplorerView

__all__ = ["explore", "Explorer"]

_EXTRA_HINT = 'the interactive explorer needs ipywidgets >= 8: pip install "topotheory[explore]"'


def _import_widgets() -> Any:
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    if int(ipywidgets.__version__.split(".")[0]) < 8:
        raise ImportError(f"{_EXTRA_HINT} (found ipywidgets {ipywidgets.__version__})")
    return ipywidgets


def explore(topology: Any = "ring", n: int = 32, *, lr: float = 0.05, d: int = 48, batch_size: int = 1,
            gamma: float = 0.9, steps: int = 200, reps: int = 100, seed: int = 0) -> Explorer:
    """An interactive explorer of how the topology, the learning rate and the noise shape D-SGD.

    Sliders and dropdowns for the topology (the names of :data:`~topotheory.TOPOLOGIES`, and
    ``"custom"`` when ``topology`` is the user's own graph), ``n``, the learning rate
    :math:`\\eta`, the noise level :math:`\\zeta = (1 + b + d)/b` through the model dimension ``d``
    and batch size ``b`` (:func:`~topotheory.zeta`), and the decay :math:`\\gamma`. Three panels:

    1. :math:`n_W(\\gamma)` (paper Definition 1, eq. 6; modes "mean" and "worst") against
       :math:`1-\\gamma`, with the slider's :math:`\\gamma` and the decay
       :math:`\\gamma = (1-\\eta)^2/(1-r)` that the current learning rate implies (eq. 7);
    2. the exact rate :math:`r(\\eta)` (THEORY §3.3, :func:`~topotheory.quadratic_rate`) beside
       alone and fully connected, the current :math:`\\eta` and the optimum
       :math:`\\eta^*` (:func:`~topotheory.optimal_learning_rate`);
    3. behind the "simulate" button (it costs more): a quick seeded Monte Carlo
       (:func:`~topotheory.simulate_dsgd`, gossip row-wise :math:`X \\leftarrow W X`) against the
       exact expected loss, with the fitted rate (:func:`~topotheory.estimate_rate`).

    The computation is :class:`~topotheory.ExplorerState`, usable without widgets.

    Parameters
    ----------
    topology : str, or Scheme / networkx graph / matrix
        Initial topology name, or the user's graph (anything :func:`~topotheory.as_scheme`
        accepts), then offered as ``"custom"``.
    n, lr, d, batch_size, gamma, steps, reps, seed
        Initial values, as in :class:`~topotheory.ExplorerState`.

    Returns
    -------
    Explorer
        Displays itself in Jupyter; its ``controls``, ``lines``, ``state`` and ``figure`` are
        public.

    Raises
    ------
    ImportError
        When ipywidgets (the ``explore`` extra) is missing.

    Examples
    --------
    >>> import topotheory as tt
    >>> ex = tt.explore("torus", n=16, lr=0.05)            # doctest: +SKIP
    >>> ex.controls["lr"].value = 0.08                        # doctest: +SKIP
    >>> ex.lines["rate_marker"].get_xdata()                   # doctest: +SKIP
    array([0.08])

    Without widgets, the same numbers come from the state:

    >>> state = tt.ExplorerState("torus", n=16, lr=0.08)
    >>> round(state.update().rate, 6) == round(float(tt.quadratic_rate(tt.torus(4, 4), lr=0.08, zeta=50)), 6)
    True
    """
    return Explorer(ExplorerState(topology, n, lr=lr, d=d, batch_size=batch_size, gamma=gamma, steps=steps,
                                  reps=reps, seed=seed))


class Explorer:
    """The explorer's widgets around an :class:`~topotheory.ExplorerState` (built by :func:`explore`).

    Parameters
    ----------
    state : ExplorerState
        The values and the computations behind the widgets.

    Attributes
    ----------
    state : ExplorerState
        The same state, updated as the widgets move.
    controls : dict of ipywidgets
        ``topology, n, lr, d, batch_size, gamma, steps, reps, seed`` and the ``simulate`` button.
    lines : dict of matplotlib Line2D
        ``nw_mean, nw_worst, gamma_marker, gamma_of_lr_marker`` (n_W panel), ``rate, rate_solo,
        rate_fully_connected, rate_marker, optimum_marker`` (rate panel), ``loss, expected_loss``
        (simulation panel): their data is what the panels show.
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
        The figure as PNG.
    status : ipywidgets.HTML
        The numbers of the current view, or the error of the last values tried.
    widget : ipywidgets.VBox
        The whole explorer (what is displayed).
    elapsed : float
        Seconds the last update took (computation and drawing).

    Examples
    --------
    >>> from topotheory import ExplorerState
    >>> ex = Explorer(ExplorerState("ring", n=8, lr=0.05))     # needs ipywidgets (the explore extra)
    >>> ex.controls["lr"].value = 0.08
    >>> float(ex.lines["rate_marker"].get_xdata()[0])
    0.08
    """

    _CONTINUOUS = ("lr", "gamma")  # cheap: follow the slider; the others update on release

    def __init__(self, state: ExplorerState) -> None:
        widgets = _import_widgets()
        from matplotlib.figure import Figure

        self.state = state
        v = state.values
        options = [(t, t) for t in state.topologies if t != CUSTOM]
        if state.custom is not None:
            options.append((f"custom: {state.custom.name}", CUSTOM))
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        c = {
            "topology": widgets.Dropdown(options=options, value=v["topology"], description="topology"),
            "n": widgets.IntSlider(value=v["n"], min=1, max=max(256, v["n"]), description="n", **slider),
            "lr": widgets.FloatLogSlider(value=v["lr"], base=10, min=-4, max=0, step=0.01, description="lr η",
                                         readout_format=".4f", **slider),
            "d": widgets.IntSlider(value=v["d"], min=1, max=max(500, v["d"]), description="d", **slider),
            "batch_size": widgets.IntSlider(value=v["batch_size"], min=1, max=max(64, v["batch_size"]),
                                            description="batch b", **slider),
            "gamma": widgets.FloatSlider(value=v["gamma"], min=0, max=0.999, step=0.001, description="decay γ",
                                         readout_format=".3f", **slider),
            "steps": widgets.IntSlider(value=v["steps"], min=10, max=max(2000, v["steps"]), description="steps",
                                       **slider),
            "reps": widgets.IntSlider(value=v["reps"], min=10, max=max(1000, v["reps"]), description="replicas",
                                      **slider),
            "seed": widgets.BoundedIntText(value=v["seed"], min=0, max=2**31 - 1, description="seed"),
            "simulate": widgets.Button(description="simulate", tooltip="run a quick Monte Carlo at these values"),
        }
        for name in self._CONTINUOUS:
            c[name].continuous_update = True
        self.controls = c
        self.status = widgets.HTML()
        self.sim_status = widgets.HTML("Press <b>simulate</b> for a quick Monte Carlo at these values.")
        self.figure = Figure(figsize=(13, 3.8))
        self.figure.subplots_adjust(left=0.05, right=0.99, bottom=0.14, top=0.92, wspace=0.25)
        self._build_axes()
        self.image = widgets.Image(format="png")
        self.view: ExplorerView | None = None
        self.run: ExplorerRun | None = None
        self.elapsed = math.nan
        for name in ("topology", "n", "lr", "d", "batch_size", "gamma"):
            c[name].observe(self._on_change, names="value")
        for name in ("steps", "reps", "seed"):
            c[name].observe(self._on_sim_change, names="value")
        c["simulate"].on_click(lambda _button: self.simulate())
        rows = [
            widgets.HBox([c["topology"], c["n"], c["lr"]]),
            widgets.HBox([c["d"], c["batch_size"], c["gamma"]]),
            self.status,
            self.image,
            widgets.HBox([c["simulate"], c["steps"], c["reps"], c["seed"]]),
            self.sim_status,
        ]
        self.widget = widgets.VBox(rows)
        self.refresh()

    # -- drawing ---------------------------------------------------------------------------------
    def _build_axes(self) -> None:
        ax_nw, ax_rate, ax_sim = self.figure.subplots(1, 3)
        lines = {}
        lines["nw_mean"], = ax_nw.plot([], [], color="C0", label="mean")
        lines["nw_worst"], = ax_nw.plot([], [], color="C1", ls="--", label="worst")
        lines["gamma_marker"], = ax_nw.plot([], [], "o", color="k", label="slider γ")
        lines["gamma_of_lr_marker"], = ax_nw.plot([], [], "s", color="C3", label="γ of lr (eq. 7)")
        ax_nw.set(xscale="log", yscale="log", xlabel="1 − γ", ylabel="n_W(γ)", title="effective neighbours")
        ax_nw.invert_xaxis()
        lines["rate"], = ax_rate.plot([], [], color="C0", label="this topology")
        lines["rate_solo"], = ax_rate.plot([], [], color="0.6", ls=":", label="alone")
        lines["rate_fully_connected"], = ax_rate.plot([], [], color="0.3", ls="--", label="fully connected")
        lines["rate_marker"], = ax_rate.plot([], [], "o", color="k", label="lr")
        lines["optimum_marker"], = ax_rate.plot([], [], "*", color="C3", ms=12, label="optimum")
        ax_rate.set(xlabel="learning rate η", ylabel="rate r (E‖x‖² ∝ (1−r)^t)", title="exact rate")
        lines["loss"], = ax_sim.plot([], [], color="C0", label="simulated (mean)")
        lines["expected_loss"], = ax_sim.plot([], [], color="k", ls="--", label="exact expectation")
        ax_sim.set(yscale="log", xlabel="step t", ylabel="loss", title="quick simulation")
        from matplotlib.ticker import LogFormatter, NullFormatter

        for ax in (ax_nw, ax_rate, ax_sim):
            ax.legend(fontsize="small")
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_scale() == "log":  # plain labels: mathtext would double the drawing time
                    axis.set_major_formatter(LogFormatter())
                    axis.set_minor_formatter(NullFormatter())
        self.axes = {"nw": ax_nw, "rate": ax_rate, "sim": ax_sim}
        self.lines = lines

    def _render(self) -> None:
        for ax in self.axes.values():
            ax.relim()
            ax.autoscale_view()
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=72)
        self.image.value = buf.getvalue()

    def _draw_view(self, view: ExplorerView) -> None:
        L = self.lines
        L["nw_mean"].set_data(view.one_minus_gammas, view.nw_mean)
        L["nw_worst"].set_data(view.one_minus_gammas, view.nw_worst)
        L["gamma_marker"].set_data([1 - view.gamma], [view.nw_at_gamma])
        L["gamma_of_lr_marker"].set_data([1 - view.gamma_of_lr], [view.nw_of_lr])
        L["rate"].set_data(view.lrs, view.rates)
        L["rate_solo"].set_data(view.lrs, view.rates_solo)
        L["rate_fully_connected"].set_data(view.lrs, view.rates_fully_connected)
        L["rate_marker"].set_data([view.lr], [view.rate])
        L["optimum_marker"].set_data([view.optimum.lr], [view.optimum.rate])
        # a rate curve's axes: non-negative rates up to the fully connected one
        top = np.nanmax(view.rates_fully_connected)
        self.axes["rate"].set_ylim(0, 1.05 * top if np.isfinite(top) and top > 0 else 1)

    def _draw_run(self, run: ExplorerRun | None) -> None:
        if run is None:
            self.lines["loss"].set_data([], [])
            self.lines["expected_loss"].set_data([], [])
            return
        self.lines["loss"].set_data(run.t, run.loss)
        self.lines["expected_loss"].set_data(run.t, run.expected_loss)

    def _describe(self, view: ExplorerView) -> str:
        o = view.optimum
        rate = "diverges (r is NaN)" if not math.isfinite(view.rate) else f"{view.rate:.6g}"
        return (f"<b>{html.escape(view.scheme)}</b>, n = {view.n}, ζ = {view.zeta:.6g} &nbsp;|&nbsp; "
                f"r(η = {view.lr:.4g}) = {rate} &nbsp;|&nbsp; optimum η* = {o.lr:.4g}, r* = {o.rate:.4g}, "
                f"n_W(γ*) = {o.effective_neighbors:.4g} &nbsp;|&nbsp; n_W(γ = {view.gamma:.3f}) = "
                f"{view.nw_at_gamma:.4g} (worst {view.nw_worst_at_gamma:.4g})")

    # -- events ----------------------------------------------------------------------------------
    def _values(self) -> dict[str, Any]:
        c = self.controls
        values = {name: c[name].value for name in ("topology", "lr", "d", "batch_size", "gamma")}
        if values["topology"] != CUSTOM:
            values["n"] = c["n"].value
        return values

    def refresh(self) -> ExplorerView | None:
        """Recompute and redraw from the controls' values; an invalid combination is reported in ``status``."""
        start = time.perf_counter()
        self.controls["n"].disabled = self.controls["topology"].value == CUSTOM
        try:
            view = self.state.update(**self._values())
        except (ValueError, TypeError) as exc:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            self.elapsed = time.perf_counter() - start
            return None
        stale = self.run is not None and (self.view is None or (view.scheme, view.n, view.lr, view.zeta) != (
            self.view.scheme, self.view.n, self.view.lr, self.view.zeta))
        if stale:
            self.run = None
            self.sim_status.value = "Values changed: press <b>simulate</b> again."
        self.view = view
        self._draw_view(view)
        self._draw_run(self.run)
        self.status.value = self._describe(view)
        self._render()
        self.elapsed = time.perf_counter() - start
        return view

    def _on_change(self, _change: Any) -> None:
        self.refresh()

    def _on_sim_change(self, _change: Any) -> None:
        if self.run is not None:
            self.run = None
            self._draw_run(None)
            self._render()
            self.sim_status.value = "Values changed: press <b>simulate</b> again."

    def simulate(self) -> ExplorerRun | None:
        """Run the quick simulation at the controls' values (what the button does)."""
        c = self.controls
        if self.refresh() is None:
            return None
        try:
            run = self.state.simulate(steps=c["steps"].value, reps=c["reps"].value, seed=c["seed"].value)
        except (ValueError, TypeError) as exc:
            self.sim_status.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return None
        self.run = run
        self._draw_run(run)
        self._render()
        est = run.estimate
        fitted = "diverged" if est.diverged else f"{est.rate:.4g} [{est.ci[0]:.4g}, {est.ci[1]:.4g}]"
        self.sim_status.value = (f"{run.reps} replicas × {run.steps} steps (seed {run.seed}): fitted rate {fitted}"
                                 f" vs exact {run.exact_rate:.4g}; {run.n_diverged} diverged")
        return run

    # -- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None and self.image.value:
            data = dict(data)
            data["image/png"] = bytes(self.image.value)  # the static fallback when widgets do not render
            return (data, bundle[1]) if isinstance(bundle, tuple) else data
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self.state.values!r})"
