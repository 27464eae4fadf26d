r"""The algorithms the package studies, declared once: names, hyper-parameters and update rules.

Every algorithm runs on the paper's toy problem (THEORY §3.1): worker :math:`i` holds an iterate
:math:`x_i \in \mathbb{R}^d` and, at step :math:`t`, draws a fresh stochastic gradient
:math:`g_i(t) = H_i(t)\, x_i(t)` with :math:`H_i(t) = \frac1b \sum_{k=1}^b a_k a_k^\top`,
:math:`a_k \sim \mathcal N(0, I_d)`, independent across workers and steps, so that
:math:`\mathbb E\, g_i = x_i` and :math:`\mathbb E\|g_i\|^2 = \zeta \|x_i\|^2`. Gossip is row-wise,
:math:`X \leftarrow W_t X` (row :math:`i` of :math:`W_t` holds the weights worker :math:`i` gives to
the models it receives). Every state component other than :math:`x` starts at zero unless the
rule says otherwise, and :math:`\eta` is the learning rate (``lr``).

The update rules below are the contract between the two independent routes of the package: the
exact second-moment theory (the rule written as a linear stochastic recursion on the per-worker
state) and the Monte Carlo simulator (the rule written as its paper's pseudo-code). Both must
implement exactly these rules.

========================  =====================================================================
name                      one step, :math:`t \to t + 1`
========================  =====================================================================
``dsgd``                  :math:`x \leftarrow W_t (x - \eta g)` (gradient, then gossip; the
                          paper's D-SGD)
``dsgd_gossip_first``     :math:`x \leftarrow W_t x - \eta g` (D-PSGD, Lian et al. 2017: gossip
                          the current iterate, subtract the gradient taken at it)
``dmsgd``                 :math:`u = \beta m + g`; :math:`m \leftarrow u` (local buffer) or
                          :math:`m \leftarrow W_t u` (``gossip_momentum=True``);
                          :math:`x \leftarrow W_t (x - \eta u)`
``dmsgd_nesterov``        :math:`u = \beta m + g`; :math:`m \leftarrow u` or :math:`W_t u`;
                          :math:`x \leftarrow W_t (x - \eta (g + \beta u))`
``qgm``                   :math:`v = g + \beta \hat m`; :math:`x' = W_t (x - \eta v)`;
                          :math:`\hat m \leftarrow \beta \hat m + (1 - \beta)(x - x')/\eta`;
                          :math:`x \leftarrow x'` (quasi-global momentum, Lin et al. 2021, with
                          :math:`\mu = \beta`)
``gradient_tracking``     :math:`x' = W_t x - \eta y`; :math:`y \leftarrow W_t y + g(x') - g`;
                          :math:`x \leftarrow x'`, with :math:`y(0) = g(0)`; the gradient drawn
                          at :math:`x'` is the one used at the next step (DIGing, Nedić,
                          Olshevsky & Shi 2017)
``exact_diffusion``       :math:`\psi' = x - \eta g`; :math:`x \leftarrow \bar W_t (\psi' + x -
                          \psi)`; :math:`\psi \leftarrow \psi'`, with :math:`\psi(0) = x(0)` and
                          :math:`\bar W = (I + W)/2` (``combine="half"``, exact diffusion, Yuan
                          et al. 2019) or :math:`\bar W = W` (``combine="plain"``, D², Tang et
                          al. 2018)
``choco``                 :math:`h = x - \eta g`; :math:`\hat x \leftarrow \hat x + Q(h - \hat
                          x)`; :math:`x \leftarrow h + \gamma (W_t - I)\hat x` with
                          :math:`\hat x(0) = 0` (CHOCO-SGD, Koloskova, Stich & Jaggi 2019);
                          :math:`\gamma` is ``consensus_step``; :math:`Q` is one of the paper's
                          contractive compressors, :math:`\mathbb E\|Q(v) - v\|^2 \le (1 -
                          \omega)\|v\|^2`: random-k sparsification without rescaling,
                          :math:`Q(v) = v \odot \mathbb 1_S` with :math:`S` a uniform k-subset of
                          the coordinates, :math:`k/d` = ``ratio``, fresh per worker and step
                          (``compression="random_k"``, the paper's rand_k, :math:`\omega = k/d`,
                          :math:`\mathbb E Q(v) = (k/d) v`), or QSGD's stochastic quantization
                          with ``levels`` levels :math:`s`, rescaled by :math:`1/\tau`,
                          :math:`\tau = 1 + \min(d/s^2, \sqrt d/s)` (``compression="quantize"``,
                          the paper's qsgd_s; Alistarh et al. 2017). The unbiased rescaled
                          :math:`\frac dk v \odot \mathbb 1_S` is not contractive for
                          :math:`k < d/2` and makes CHOCO diverge there for every step size
``delayed``               :math:`x \leftarrow W_t (x - \eta\, g(t - \tau))`: the gradient
                          applied at step :math:`t` was drawn at step :math:`t - \tau` at the
                          iterate of that step (zero for :math:`t < \tau`); :math:`\tau` is
                          ``delay``
========================  =====================================================================

Reductions that hold exactly (and are tested): ``momentum=0`` gives ``dsgd``; ``delay=0`` gives
``dsgd``; CHOCO with ``ratio=1`` gives D-SGD with the gossip matrix
:math:`(1 - \gamma) I + \gamma W`. Gradient tracking (DIGing, gossip and gradient step at the same
point) on the fully connected graph is *not* centralized SGD: the average follows
:math:`\bar x \leftarrow \bar x - \eta \frac1n\sum_i g_i(x_i)`, but the workers' iterates
:math:`x_i' = \bar x - \eta y_i` differ, so the gradients are taken at different points; only
without noise (:math:`\zeta = 1`), from a common start, is it gradient descent.

What a rule assumes of the gossip is declared with it: exact diffusion / D² assume a symmetric
:math:`W_t` (Yuan et al. 2019; :attr:`Algorithm.symmetric_gossip`), and :func:`check_algorithm`,
which every route calls with the scheme, warns on a scheme whose matrices are not symmetric (D²
diverges at every learning rate on ``one_peer_exponential(8)``).
"""

from __future__ import annotations

import dataclasses
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..common.validation import check_bool, check_choice, check_int, check_real, check_str, plain
from .recursion import Blocks, Noise, Recursion, SubStep

#: An algorithm's declaration: (blocks, lr, zeta, hyper-parameters) -> its recursion.
Declaration = Callable[[Blocks, np.ndarray, float, Mapping[str, Any]], Recursion]

__all__ = ["Hyperparameter", "Algorithm", "ALGORITHMS", "get_algorithm", "check_algorithm"]


@dataclasses.dataclass(frozen=True)
class Hyperparameter:
    """One hyper-parameter of an algorithm: its name, kind, default and allowed values.

    Parameters
    ----------
    name : str
        The keyword by which public functions take it (``momentum=0.9``).
    kind : {"real", "int", "bool", "choice"}
        How a value is checked and converted.
    default : object
        The value used when the keyword is not given.
    doc : str
        One line for listings and error messages.
    low : float or int, optional
        The lower end of the allowed interval (``"real"`` and ``"int"``).
    high : float or int, optional
        The upper end of the allowed interval (``"real"`` and ``"int"``).
    low_open : bool
        Whether ``low`` itself is excluded.
    high_open : bool
        Whether ``high`` itself is excluded.
    choices : tuple of str, optional
        The allowed values of a ``"choice"``.

    Examples
    --------
    >>> beta = Hyperparameter("momentum", "real", 0.9, "momentum β", low=0.0, high=1.0, high_open=True)
    >>> beta.check(0.5)
    0.5
    >>> beta.allowed
    '[0, 1)'
    """

    name: str
    kind: str
    default: object
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()

    @property
    def allowed(self) -> str:
        """The allowed values as text: an interval, ``True/False`` or the choices."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return ", ".join(repr(c) for c in self.choices)
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'(' if self.low_open or self.low is None else '['}{lo}, {hi}{')' if self.high_open or self.high is None else ']'}"

    def check(self, value: Any) -> Any:
        """The value validated (and converted: ``float``, ``int``, ``bool`` or ``str``)."""
        if self.kind == "real":
            return check_real(self.name, value, low=self.low, high=self.high, low_open=self.low_open,
                              high_open=self.high_open)
        if self.kind == "int":
            low = None if self.low is None else int(self.low) + (1 if self.low_open else 0)
            high = None if self.high is None else int(self.high) - (1 if self.high_open else 0)
            return check_int(self.name, value, minimum=low, maximum=high)
        if self.kind == "bool":
            return check_bool(self.name, value)
        return check_choice(self.name, value, self.choices)


@dataclasses.dataclass(frozen=True)
class Algorithm:
    """A decentralized algorithm on the toy problem: its state, hyper-parameters and update rule.

    Parameters
    ----------
    name : str
        The registry key (``algorithm="dmsgd"``).
    title : str
        A short human-readable name.
    state : tuple of str
        The per-worker state components, the iterate first (``("x", "m")``).
    hyperparameters : tuple of Hyperparameter
        The keywords the algorithm takes, with their defaults and allowed values.
    rule : str
        The update rule in words and formulas (the module docstring's table).
    reference : str
        The paper the rule is taken from.
    heterogeneous : bool
        Whether the algorithm is made for heterogeneous data (its theory is also available on the
        heterogeneous quadratics of :mod:`topotheory.hetero`).
    symmetric_gossip : bool
        Whether the rule assumes a symmetric gossip matrix :math:`W_t = W_t^\top` (exact diffusion
        and D², Yuan et al. 2019): :func:`check_algorithm` warns when it is given a scheme whose
        matrices are not symmetric.
    declaration : callable, optional
        The step written as a linear stochastic recursion (:mod:`topotheory.algorithms.recursion`),
        called by :meth:`recursion`; the registry fills it in.

    Examples
    --------
    >>> alg = ALGORITHMS["dmsgd"]
    >>> alg.state, [h.name for h in alg.hyperparameters]
    (('x', 'm'), ['momentum', 'gossip_momentum'])
    >>> alg.defaults()
    {'momentum': 0.9, 'gossip_momentum': False}
    """

    name: str
    title: str
    state: tuple
    hyperparameters: tuple
    rule: str
    reference: str
    heterogeneous: bool = False
    symmetric_gossip: bool = False
    declaration: Declaration | None = None

    def recursion(self, *, lr: ArrayLike, zeta: float, **hyperparameters: Any) -> Recursion:
        r"""The step as a linear stochastic recursion (:class:`~topotheory.algorithms.recursion.Recursion`).

        Parameters
        ----------
        lr : float or ndarray
            Learning rate(s) :math:`\eta > 0`; an array gives batched coefficients.
        zeta : float
            Noise level :math:`\zeta \ge 1` of the stochastic gradient
            (:math:`\operatorname{tr}\mathbb E[HMH] = \zeta\operatorname{tr}M`).
        **hyperparameters
            The algorithm's hyper-parameters (missing ones take their defaults; real ones may be
            arrays broadcasting against ``lr``). Not validated here: public functions validate
            with :func:`check_algorithm` first.

        Raises
        ------
        ValueError
            When the rule is not linear in second moments (CHOCO with ``compression="quantize"``).

        Examples
        --------
        >>> rec = ALGORITHMS["dmsgd"].recursion(lr=0.1, zeta=10.0, momentum=0.5)
        >>> rec.state, rec.noises, rec.gossips
        (('x', 'm'), 1, 1)
        """
        known = {h.name for h in self.hyperparameters}
        unknown = sorted(set(hyperparameters) - known)
        if unknown:
            self.check(**hyperparameters)  # raises the TypeError naming the valid ones
        hp = {**self.defaults(), **hyperparameters}
        reals = [np.asarray(v, dtype=float) for k, v in hp.items()
                 if not isinstance(v, (bool, str, np.bool_)) and k != "delay" and k != "levels"]
        lr = np.asarray(lr, dtype=float)
        batch = np.broadcast_shapes(lr.shape, *(r.shape for r in reals))
        if self.declaration is None:
            raise ValueError(f"algorithm {self.name!r} has no declaration")
        return self.declaration(Blocks(self.state_of(hp), batch), np.broadcast_to(lr, batch), float(zeta), hp)

    def state_of(self, hyperparameters: Mapping[str, Any]) -> tuple[str, ...]:
        """The state components for these hyper-parameters (a delay ``τ`` adds ``τ`` gradient slots)."""
        if self.name == "delayed":
            return ("x",) + tuple(f"g{k}" for k in range(1, int(hyperparameters.get("delay", 1)) + 1))
        return self.state

    def defaults(self) -> dict[str, Any]:
        """The hyper-parameters' default values, by name."""
        return {h.name: h.default for h in self.hyperparameters}

    def check(self, **hyperparameters: Any) -> dict[str, Any]:
        """All hyper-parameters validated, defaults filled in; unknown names raise ``TypeError``."""
        known = {h.name: h for h in self.hyperparameters}
        unknown = sorted(set(hyperparameters) - set(known))
        if unknown:
            allowed = ", ".join(known) if known else "none"
            raise TypeError(f"algorithm {self.name!r} takes no hyper-parameter {', '.join(map(repr, unknown))}; "
                            f"its hyper-parameters are: {allowed}")
        out = {}
        for name, h in known.items():
            out[name] = h.check(hyperparameters[name]) if name in hyperparameters else h.default
        return out



# --------------------------------------------------------------------------------- declarations
# Each algorithm's step as sub-steps (topotheory.algorithms.recursion): z <- (A_loc (x) I + A_gos (x)
# W_t) z + e (x) (R - I)(l^T z). The gradient g = H x is written x + (H - I) x: its mean goes into
# the deterministic map, its excess into the noise with source l = x and the gradient's weights e.


def _gradient(B: Blocks, zeta: float, target: Mapping[str, Any]) -> Noise:
    return B.noise("gradient", {"x": 1.0}, target, zeta - 1.0)


def _gossip(B: Blocks, entries: Mapping[tuple[str, str], Any], keep: Sequence[str] = ()) -> SubStep:
    return SubStep(B.identity(keep), B.matrix(entries))


def _declare_dsgd(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    # x <- (1 - lr) x - lr (H - I) x, then x <- W x
    return Recursion(B.state, (SubStep(B.matrix({("x", "x"): 1.0 - lr}), None, _gradient(B, zeta, {"x": -lr})),
                               _gossip(B, {("x", "x"): 1.0})), batch=B.batch)


def _declare_dsgd_gossip_first(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    # x <- W x - lr x - lr (H - I) x
    return Recursion(B.state, (SubStep(B.matrix({("x", "x"): -lr}), B.matrix({("x", "x"): 1.0}),
                                       _gradient(B, zeta, {"x": -lr})),), batch=B.batch)


def _declare_dmsgd(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    beta = hp["momentum"]
    # m <- beta m + g (= u); then x <- W (x - lr m), m <- m or W m
    first = SubStep(B.matrix({("m", "m"): beta, ("m", "x"): 1.0}, keep=("x",)), None, _gradient(B, zeta, {"m": 1.0}))
    if hp["gossip_momentum"]:
        second = _gossip(B, {("x", "x"): 1.0, ("x", "m"): -lr, ("m", "m"): 1.0})
    else:
        second = _gossip(B, {("x", "x"): 1.0, ("x", "m"): -lr}, keep=("m",))
    return Recursion(B.state, (first, second), batch=B.batch)


def _declare_dmsgd_nesterov(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    beta = hp["momentum"]
    # u = beta m + g; x - lr (g + beta u) = x - lr (1 + beta) g - lr beta^2 m; m <- u
    first = SubStep(B.matrix({("x", "x"): 1.0 - lr * (1.0 + beta), ("x", "m"): -lr * beta**2,
                              ("m", "m"): beta, ("m", "x"): 1.0}), None,
                    _gradient(B, zeta, {"x": -lr * (1.0 + beta), "m": 1.0}))
    if hp["gossip_momentum"]:
        second = _gossip(B, {("x", "x"): 1.0, ("m", "m"): 1.0})
    else:
        second = _gossip(B, {("x", "x"): 1.0}, keep=("m",))
    return Recursion(B.state, (first, second), batch=B.batch)


def _declare_qgm(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    beta = hp["momentum"]
    # x_half = (1 - lr) x - lr beta m - lr (H - I) x;  m_half = beta m + (1 - beta) x / lr
    # x <- W x_half;  m <- m_half - (1 - beta) W x_half / lr
    first = SubStep(B.matrix({("x", "x"): 1.0 - lr, ("x", "m"): -lr * beta, ("m", "m"): beta,
                              ("m", "x"): (1.0 - beta) / lr}), None, _gradient(B, zeta, {"x": -lr}))
    second = _gossip(B, {("x", "x"): 1.0, ("m", "x"): -(1.0 - beta) / lr}, keep=("m",))
    return Recursion(B.state, (first, second), batch=B.batch)


def _declare_gradient_tracking(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    # init: y = g = H x.  step: x' = W x - lr y, y_half = W y - g; then g = H x', y = y_half + g
    draw = SubStep(B.matrix({("y", "x"): 1.0, ("g", "x"): 1.0}, keep=("x",)), None,
                   _gradient(B, zeta, {"y": 1.0, "g": 1.0}))
    mix = SubStep(B.matrix({("x", "y"): -lr, ("y", "g"): -1.0, ("g", "g"): 1.0}),
                  B.matrix({("x", "x"): 1.0, ("y", "y"): 1.0}))
    redraw = SubStep(B.matrix({("y", "x"): 1.0, ("g", "x"): 1.0}, keep=("x", "y")), None,
                     _gradient(B, zeta, {"y": 1.0, "g": 1.0}))
    # sum_i (y_i - g_i) = 0 at every step (y tracks the average gradient)
    return Recursion(B.state, (mix, redraw), init=(draw,), batch=B.batch,
                     invariants=(np.array([0.0, 1.0, -1.0]),))


def _declare_exact_diffusion(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    # init psi = x.  psi' = (1 - lr) x - lr (H - I) x;  x_half = psi' + x - psi;  x <- Wbar x_half
    init = SubStep(B.matrix({("x", "x"): 1.0, ("psi", "x"): 1.0}))
    first = SubStep(B.matrix({("x", "x"): 2.0 - lr, ("x", "psi"): -1.0, ("psi", "x"): 1.0 - lr}), None,
                    _gradient(B, zeta, {"x": -lr, "psi": -lr}))
    if hp["combine"] == "half":
        second = SubStep(B.matrix({("x", "x"): 0.5, ("psi", "psi"): 1.0}), B.matrix({("x", "x"): 0.5}))
    else:
        second = _gossip(B, {("x", "x"): 1.0}, keep=("psi",))
    # sum_i (x_i - psi_i) = 0 at every step (the average of x follows the average of psi)
    return Recursion(B.state, (first, second), init=(init,), batch=B.batch, invariants=(np.array([1.0, -1.0]),))


def _declare_choco(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    if hp["compression"] != "random_k":
        raise ValueError(
            "the exact theory of CHOCO-SGD needs compression='random_k': QSGD quantization is not linear "
            "in second moments (E||Q(v)||^2 = ||v||^2 + (||v||^2/s^2) sum_c p_c(1 - p_c) depends on v's "
            "direction), so its second moments do not close; simulate it instead")
    gamma, r = hp["consensus_step"], hp["ratio"]
    # h = (1 - lr) x - lr (H - I) x;  Q = r (I + (R - I)) with R = Q / r unbiased (tr E[R M R] = tr M / r):
    # xhat <- xhat + r (h - xhat) + r (R - I)(h - xhat);  x <- h + gamma (W - I) xhat
    grad = SubStep(B.matrix({("x", "x"): 1.0 - lr}, keep=("xhat",)), None, _gradient(B, zeta, {"x": -lr}))
    compress = SubStep(B.matrix({("xhat", "x"): r, ("xhat", "xhat"): 1.0 - r}, keep=("x",)), None,
                       B.noise("compression", {"x": 1.0, "xhat": -1.0}, {"xhat": r}, 1.0 / r - 1.0))
    consensus = SubStep(B.matrix({("x", "xhat"): -gamma}, keep=("x", "xhat")), B.matrix({("x", "xhat"): gamma}))
    return Recursion(B.state, (grad, compress, consensus), batch=B.batch)


def _declare_delayed(B: Blocks, lr: np.ndarray, zeta: float, hp: Mapping[str, Any]) -> Recursion:
    tau = int(hp["delay"])
    if tau == 0:
        return _declare_dsgd(B, lr, zeta, hp)
    # x <- x - lr g_tau; g_k <- g_{k-1}; g_1 <- H x (drawn now, applied tau steps later); x <- W x
    entries = {("x", "x"): 1.0, ("x", f"g{tau}"): -lr, ("g1", "x"): 1.0}
    entries.update({(f"g{k}", f"g{k - 1}"): 1.0 for k in range(2, tau + 1)})
    shift = SubStep(B.matrix(entries), None, _gradient(B, zeta, {"g1": 1.0}))
    return Recursion(B.state, (shift, _gossip(B, {("x", "x"): 1.0}, keep=B.state[1:])), batch=B.batch)


_DECLARATIONS = {
    "dsgd": _declare_dsgd,
    "dsgd_gossip_first": _declare_dsgd_gossip_first,
    "dmsgd": _declare_dmsgd,
    "dmsgd_nesterov": _declare_dmsgd_nesterov,
    "qgm": _declare_qgm,
    "gradient_tracking": _declare_gradient_tracking,
    "exact_diffusion": _declare_exact_diffusion,
    "choco": _declare_choco,
    "delayed": _declare_delayed,
}


_MOMENTUM = Hyperparameter("momentum", "real", 0.9, "momentum β", low=0.0, high=1.0, high_open=True)
_GOSSIP_MOMENTUM = Hyperparameter("gossip_momentum", "bool", False, "also gossip the momentum buffer")

_LIST = (
    Algorithm("dsgd", "D-SGD (gradient, then gossip)", ("x",), (),
              "x <- W (x - lr g)", "Vogels, Hendrikx & Jaggi 2022 (the paper's D-SGD); Lian et al. 2017"),
    Algorithm("dsgd_gossip_first", "D-PSGD (gossip, then gradient)", ("x",), (),
              "x <- W x - lr g", "Lian et al. 2017, Algorithm 1 (D-PSGD)"),
    Algorithm("dmsgd", "DmSGD, heavy-ball momentum", ("x", "m"), (_MOMENTUM, _GOSSIP_MOMENTUM),
              "u = momentum m + g; m <- u (or W u); x <- W (x - lr u)",
              "Yuan et al. 2021 (DecentLaM, the DmSGD baseline); Assran et al. 2019"),
    Algorithm("dmsgd_nesterov", "DmSGD, Nesterov momentum", ("x", "m"), (_MOMENTUM, _GOSSIP_MOMENTUM),
              "u = momentum m + g; m <- u (or W u); x <- W (x - lr (g + momentum u))",
              "Yuan et al. 2021; Nesterov momentum as in PyTorch's SGD"),
    Algorithm("qgm", "quasi-global momentum", ("x", "m"), (_MOMENTUM,),
              "v = g + momentum m; x' = W (x - lr v); m <- momentum m + (1 - momentum)(x - x')/lr",
              "Lin, Kong, Stich & Jaggi 2021 (quasi-global momentum, mu = momentum)"),
    Algorithm("gradient_tracking", "gradient tracking (DIGing)", ("x", "y", "g"), (),
              "x' = W x - lr y; y <- W y + g(x') - g; y(0) = g(0)",
              "Nedić, Olshevsky & Shi 2017 (DIGing)", heterogeneous=True),
    Algorithm("exact_diffusion", "exact diffusion / D²", ("x", "psi"),
              (Hyperparameter("combine", "choice", "half", "'half': (I + W)/2 (exact diffusion); 'plain': W (D²)",
                              choices=("half", "plain")),),
              "psi' = x - lr g; x <- Wbar (psi' + x - psi); psi <- psi'; psi(0) = x(0)",
              "Yuan, Ying, Zhao & Sayed 2019 (exact diffusion); Tang et al. 2018 (D²)", heterogeneous=True,
              symmetric_gossip=True),
    Algorithm("choco", "CHOCO-SGD (compressed gossip)", ("x", "xhat"),
              (Hyperparameter("compression", "choice", "random_k", "the compression operator Q",
                              choices=("random_k", "quantize")),
               Hyperparameter("ratio", "real", 0.25, "fraction k/d of coordinates kept (random_k)",
                              low=0.0, high=1.0, low_open=True),
               Hyperparameter("levels", "int", 4, "quantization levels s (quantize)", low=1),
               Hyperparameter("consensus_step", "real", 0.5, "consensus step size γ", low=0.0, high=1.0,
                              low_open=True)),
              "h = x - lr g; xhat <- xhat + Q(h - xhat); x <- h + consensus_step (W - I) xhat",
              "Koloskova, Stich & Jaggi 2019 (CHOCO-SGD); Alistarh et al. 2017 (QSGD)"),
    Algorithm("delayed", "D-SGD with delayed gradients", ("x",),
              (Hyperparameter("delay", "int", 1, "gradient delay τ in steps", low=0, high=1000),),
              "x <- W (x - lr g(t - delay)); no gradient for t < delay",
              "stale-gradient D-SGD (e.g. Lian et al. 2018, asynchronous decentralized SGD)"),
)

#: The registry of algorithms, keyed by name (read-only).
ALGORITHMS = types.MappingProxyType({alg.name: dataclasses.replace(alg, declaration=_DECLARATIONS[alg.name])
                                     for alg in _LIST})


def get_algorithm(name: str | Algorithm) -> Algorithm:
    """The :class:`Algorithm` named ``name``; an unknown name lists the valid ones.

    Examples
    --------
    >>> get_algorithm("choco").title
    'CHOCO-SGD (compressed gossip)'
    >>> get_algorithm("adam")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: algorithm must be one of 'dsgd', 'dsgd_gossip_first', ..., 'delayed'; got 'adam'
    """
    if isinstance(name, Algorithm):
        return name
    check_str("algorithm", name)
    if name not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(map(repr, ALGORITHMS))}; got {plain(name)}")
    return ALGORITHMS[name]


def check_algorithm(algorithm: str | Algorithm = "dsgd", hyperparameters: Mapping[str, Any] | None = None, *,
                    heterogeneous: bool | None = None, scheme: Any = None) -> tuple[Algorithm, dict[str, Any]]:
    """The algorithm and its validated hyper-parameters (defaults filled in).

    Every route that runs an algorithm on a scheme (the exact theory, the simulator, the exact
    and simulated heterogeneous dynamics) passes the scheme here, so what an algorithm assumes of
    the gossip is checked in one place: an algorithm with
    :attr:`Algorithm.symmetric_gossip` (exact diffusion / D², whose analysis, Yuan et al. 2019,
    needs :math:`W_t = W_t^\top`) given a scheme whose matrices are not symmetric raises a
    ``UserWarning`` (D², ``combine="plain"``, diverges at every learning rate on
    ``one_peer_exponential(8)``). A random scheme's matrices are its enumerated outcomes; a
    random scheme without an enumeration, or a plain sequence of matrices, is not inspected.

    Parameters
    ----------
    algorithm : str or Algorithm
        A key of :data:`ALGORITHMS`.
    hyperparameters : dict, optional
        The hyper-parameters given by the caller (``{"momentum": 0.5}``).
    heterogeneous : bool, optional
        ``True`` when the caller works on heterogeneous data: an algorithm not made for it is
        refused (ValueError naming the ones that are).
    scheme : Scheme or RandomScheme, optional
        The gossip scheme the algorithm will run on (checked against what the algorithm assumes
        of it; warns, never refuses).

    Returns
    -------
    tuple of (Algorithm, dict)

    Warns
    -----
    UserWarning
        When the algorithm assumes a symmetric gossip matrix and ``scheme``'s are not.

    Examples
    --------
    >>> alg, hp = check_algorithm("dmsgd", {"momentum": 0.5})
    >>> alg.name, hp
    ('dmsgd', {'momentum': 0.5, 'gossip_momentum': False})
    >>> check_algorithm("dmsgd", {"momentum": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: momentum must lie in [0, 1), got 1.0
    >>> import warnings
    >>> from topotheory import one_peer_exponential
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_algorithm("exact_diffusion", scheme=one_peer_exponential(8))
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    algorithm 'exact_diffusion' assumes a symmetric gossip matrix ...
    """
    alg = get_algorithm(algorithm)
    hp = alg.check(**(hyperparameters or {}))
    if heterogeneous and not alg.heterogeneous and alg.name != "dsgd":
        made = ", ".join(repr(a.name) for a in ALGORITHMS.values() if a.heterogeneous or a.name == "dsgd")
        raise ValueError(f"algorithm {alg.name!r} is studied on identical data only; on heterogeneous data "
                         f"the algorithms are: {made}")
    if scheme is not None and alg.symmetric_gossip and _symmetric_gossip(scheme) is False:
        why = ("an outcome W of its law has W != W^T" if getattr(scheme, "is_random_scheme", False)
               else "its is_symmetric is False")
        warnings.warn(
            f"algorithm {alg.name!r} assumes a symmetric gossip matrix W_t = W_t^T (exact diffusion / D², "
            f"Yuan et al. 2019), but scheme {getattr(scheme, 'name', scheme)!r} is not symmetric ({why}): its "
            "iterates may diverge at every learning rate (D², combine='plain', does on one_peer_exponential(8)); "
            "use a symmetric scheme or another algorithm", UserWarning, stacklevel=_stacklevel())
    return alg, hp


def _symmetric_gossip(scheme: Any) -> bool | None:
    """Whether every matrix ``scheme`` can draw is symmetric; None when that is not known.

    A :class:`~topotheory.graphs.scheme.Scheme` answers with its ``is_symmetric``; a random scheme
    with the symmetry of its enumerated outcomes (every phase's law; cached on the scheme); anything
    else (a sequence of matrices, a schedule, a law without an enumeration) is not inspected.
    """
    if getattr(scheme, "is_random_scheme", False):
        laws = getattr(scheme, "laws", None)
        if laws is None or not hasattr(scheme, "cached"):
            return None

        def draws() -> bool | None:
            for law in laws:
                try:
                    Ws = np.asarray(law.outcomes()[0], dtype=float)
                except (ValueError, AttributeError):
                    return None
                if not np.allclose(Ws, np.swapaxes(Ws, -1, -2), rtol=0.0, atol=1e-12):
                    return False
            return True

        out: bool | None = scheme.cached(("symmetric_outcomes",), draws)
        return out
    sym = getattr(scheme, "is_symmetric", None)
    return None if sym is None else bool(sym)


def _stacklevel() -> int:
    """The stack level of the first frame outside the package (a warning names the user's line)."""
    import sys

    level, frame = 1, sys._getframe(1).f_back
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "topotheory":
        level, frame = level + 1, frame.f_back
    return level + 1
