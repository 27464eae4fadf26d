r"""An algorithm's step as a linear stochastic recursion on the per-worker state.

Worker :math:`i` holds ``s`` state components :math:`z_{i1}, \dots, z_{is} \in \mathbb R^d`
(the iterate first). One step is a short sequence of :class:`SubStep`\ s; each sub-step is

.. math::

    z \leftarrow (A^{\mathrm{loc}} \otimes I_n + A^{\mathrm{gos}} \otimes W_t)\, z
    \;+\; e \otimes (R - I)\,(\ell^T z)_{\text{per worker}},

i.e. a deterministic linear map (``s × s`` coefficient blocks times :math:`I` and :math:`W_t`;
:math:`W_t - I` and :math:`(I + W_t)/2` are combinations of the two) plus at most one noisy
product: every worker's local combination :math:`u_i = \sum_p \ell_p z_{ip}` (taken *before* the
sub-step) is multiplied by a fresh random matrix :math:`R_i` with :math:`\mathbb E R_i = I`, and the
excess :math:`(R_i - I)u_i` is added to the components with weights :math:`e` (the mean part
:math:`u_i` is written into the deterministic map). :math:`R` is the stochastic gradient's
:math:`H = \frac1b\sum_k a_k a_k^T` (``kind="gradient"``) or the compressor :math:`Q`
(``kind="compression"``); different workers, sub-steps and steps draw independently.

Second moments, exact in any dimension ``d``: let
:math:`T_{(p,i),(q,j)} = \mathbb E\langle z_{ip}, z_{jq}\rangle` (traces of the ``d × d`` blocks).
A deterministic map with scalar coefficients transforms the traces by the same map, and for the
two multipliers :math:`\operatorname{tr}\mathbb E[R M R] = \kappa \operatorname{tr} M` for *every*
``d × d`` matrix ``M`` — :math:`\kappa = \zeta` for Gaussian :math:`H`
(:math:`\mathbb E[HMH] = \frac{b-1}{b}M + \frac1b(M + M^T + \operatorname{tr}(M) I)`, trace
:math:`\frac{b+1+d}{b}\operatorname{tr}M`), :math:`\kappa = 1/\text{ratio}` for random-k
sparsification (:math:`\mathbb E[QMQ] = \frac dk\,\mathrm{Diag}\,M + \frac dk\frac{k-1}{d-1}(M -
\mathrm{Diag}\,M)`). So one sub-step maps

.. math::

    T \mapsto L T L^T + (\kappa - 1) \sum_i (e \otimes e_i)(e \otimes e_i)^T\,
    (\ell \otimes e_i)^T T (\ell \otimes e_i),

the generalisation of D-SGD's :math:`W[aC + \beta\,\mathrm{Diag}\,C]W^T`. The coefficients may carry
a leading batch shape (one recursion per learning rate / momentum of a grid).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["NOISE_KINDS", "Noise", "SubStep", "Recursion", "Blocks"]

#: The kinds of noisy product: the stochastic gradient's H, or the compressor Q.
NOISE_KINDS = ("gradient", "compression")


@dataclasses.dataclass(frozen=True)
class Noise:
    r"""The noisy product of a sub-step: :math:`z \mathrel{+}= e \otimes (R - I)(\ell^T z)`.

    Attributes
    ----------
    kind : {"gradient", "compression"}
    source : ndarray, shape ``batch + (s,)``
        :math:`\ell`, the local combination the multiplier acts on.
    target : ndarray, shape ``batch + (s,)``
        :math:`e`, the weights with which the excess enters each component.
    excess : float or ndarray, shape ``batch``
        :math:`\kappa - 1 \ge 0` with :math:`\operatorname{tr}\mathbb E[RMR] = \kappa\operatorname{tr}M`.
    """

    kind: str
    source: np.ndarray
    target: np.ndarray
    excess: float | np.ndarray


@dataclasses.dataclass(frozen=True)
class SubStep:
    r"""One sub-step: :math:`z \leftarrow (A^{\mathrm{loc}}\otimes I + A^{\mathrm{gos}}\otimes W_t) z` plus an optional :class:`Noise`.

    Attributes
    ----------
    local : ndarray, shape ``batch + (s, s)``
        :math:`A^{\mathrm{loc}}` (row = component written, column = component read).
    gossip : ndarray or None, shape ``batch + (s, s)``
        :math:`A^{\mathrm{gos}}`, the coefficient of :math:`W_t`; None when the sub-step does not gossip.
    noise : Noise or None
    """

    local: np.ndarray
    gossip: np.ndarray | None = None
    noise: Noise | None = None


@dataclasses.dataclass(frozen=True)
class Recursion:
    r"""An algorithm's step as sub-steps, with the sub-steps that build its initial state.

    The state starts as :math:`z_{i,\text{iterate}} = x_i(0)`, every other component zero; then
    ``init`` is applied once (e.g. gradient tracking's :math:`y(0) = g(0)`). Step ``t`` applies
    ``step`` in order, every gossip with the same :math:`W_t`.

    Attributes
    ----------
    state : tuple of str
        Component names, the iterate first.
    step : tuple of SubStep
    init : tuple of SubStep
    batch : tuple of int
        The leading shape of every coefficient.
    invariants : tuple of ndarray
        Conserved combinations: ``s``-vectors :math:`c` with :math:`\sum_i c^T z_i(t) = 0` for
        every ``t`` (doubly stochastic :math:`W_t`, the declared start), e.g. gradient tracking's
        :math:`\sum_i (y_i - g_i) = 0`. The map has the eigenvalue 1 on the complement, which the
        iterates never reach: the rate is the spectral radius on the invariant subspace.

    Examples
    --------
    >>> from topotheory.algorithms import ALGORITHMS
    >>> rec = ALGORITHMS["dsgd"].recursion(lr=0.1, zeta=10.0)
    >>> len(rec.step), rec.step[0].local[..., 0, 0], rec.step[0].noise.excess
    (2, array(0.9), 9.0)
    """

    state: tuple
    step: tuple
    init: tuple = ()
    batch: tuple = ()
    invariants: tuple = ()

    @property
    def size(self) -> int:
        """``s``, the number of state components."""
        return len(self.state)

    @property
    def noises(self) -> int:
        """The number of noisy products per step."""
        return sum(sub.noise is not None for sub in self.step)

    @property
    def gossips(self) -> int:
        """The number of sub-steps per step that gossip."""
        return sum(sub.gossip is not None for sub in self.step)


class Blocks:
    r"""A small builder of batched ``s × s`` coefficient blocks and ``s``-vectors by component name.

    ``B = Blocks(state, batch)``; ``B.matrix({("x", "x"): 1 - lr, ("x", "m"): -lr})`` gives the
    block with those entries (row = written component, column = read component), broadcast to the
    batch shape; ``B.vector({"x": 1.0})`` a weight vector; ``B.identity(keep=("m",))`` the block
    that leaves the listed components unchanged.

    Examples
    --------
    >>> B = Blocks(("x", "m"), (2,))
    >>> B.matrix({("x", "m"): np.array([1.0, 2.0])})[1]
    array([[0., 2.],
           [0., 0.]])
    """

    def __init__(self, state: Sequence[str], batch: tuple[int, ...]) -> None:
        self.state = tuple(state)
        self.batch = tuple(batch)
        self.index = {name: k for k, name in enumerate(self.state)}

    def matrix(self, entries: Mapping[tuple[str, str], Any], keep: Sequence[str] = ()) -> np.ndarray:
        s = len(self.state)
        out = np.zeros(self.batch + (s, s))
        for name in keep:
            out[..., self.index[name], self.index[name]] = 1.0
        for (row, col), value in entries.items():
            out[..., self.index[row], self.index[col]] += value
        return out

    def vector(self, entries: Mapping[str, Any]) -> np.ndarray:
        out = np.zeros(self.batch + (len(self.state),))
        for name, value in entries.items():
            out[..., self.index[name]] += value
        return out

    def identity(self, keep: Sequence[str] | None = None) -> np.ndarray:
        return self.matrix({}, keep=self.state if keep is None else keep)

    def noise(self, kind: str, source: Mapping[str, Any], target: Mapping[str, Any], excess: Any) -> Noise:
        return Noise(kind, self.vector(source), self.vector(target), np.broadcast_to(excess, self.batch) + 0.0
                     if self.batch else float(excess))
