r"""Random i.i.d. gossip schemes: a distribution of gossip matrices, one fresh draw per step.

A :class:`RandomScheme` is a law of ``W``; step ``t`` uses an independent draw :math:`W_t` (gossip
is row-wise, :math:`X \leftarrow W_t X`). The theory needs two moments of the law:

* the first moment :math:`\mathbb E[W]` (:meth:`RandomScheme.mean`);
* the second-moment operator :math:`X \mapsto \mathbb E[W X W^T]` (:meth:`RandomScheme.second_moment`),
  i.e. :math:`\mathbb E[W \otimes W]` acting on row-major ``vec(X)``
  (:meth:`RandomScheme.kron_moment` forms the ``(n^2, n^2)`` matrix on small ``n``).

Closed forms for the families (all exchangeable: the law is invariant under relabelling the
workers, so :math:`\mathbb E[W_{ik}W_{jl}]` depends only on which of ``i, k, j, l`` coincide —
5 coefficients for ``i = j`` and 10 for ``i != j``, applied by :func:`exchangeable_second_moment`
with row and column sums in :math:`O(n^2)`):

* :func:`pairwise_gossip` (Boyd, Ghosh, Prabhakar & Shah 2006, on the complete graph): one uniform
  pair ``{a, b}`` averages, :math:`W = I - \tfrac12(e_a - e_b)(e_a - e_b)^T`. With
  :math:`q = 2/(n(n-1))`: :math:`\mathbb E[W_{ii}^2] = 1 - 3/(2n)`,
  :math:`\mathbb E[W_{ii}W_{jj}] = q(\tfrac14 + (n-2) + \binom{n-2}{2})`, and the entries
  :math:`q/4` (both factors in the pair) or :math:`q/2` (one factor an untouched diagonal);
* :func:`random_matching`: a uniform perfect matching (``n`` odd: one uniform worker sits out)
  averages pairwise, :math:`W = \tfrac12(I + P)` with ``P`` the matching's involution ``sigma``.
  :math:`\mathbb E[W_{ik}W_{jl}] = \tfrac14[\delta_{ik}\delta_{jl} + \delta_{ik}\pi_{jl} +
  \pi_{ik}\delta_{jl} + \Pr(\sigma_i = k, \sigma_j = l)]`, :math:`\pi = \mathbb E[P]`
  (``n`` even: :math:`(\mathbf 1\mathbf 1^T - I)/(n-1)`; odd: :math:`J`); for ``i != j`` the pair
  ``(sigma_i, sigma_j)`` is ``(j, i)`` with probability ``1/(n-1)`` (even) or ``1/n`` (odd), a given
  ``(k, l)`` outside ``{i, j}`` with ``1/((n-1)(n-3))`` (even) or ``1/(n(n-2))`` (odd), and (odd
  only) ``(i, l)`` or ``(k, j)`` with ``1/(n(n-2))``;
* :func:`epidemic` (Epidemic Learning, EL-Local, de Vos et al. 2023): every worker sends its
  model to ``s`` distinct others drawn uniformly; a worker averages its own model and every model
  it received with equal weights, :math:`W_{ik} = [k = i \text{ or } k \to i]/(1 + K_i)`, ``K_i``
  its in-degree. ``W`` is row-stochastic, **not** column-stochastic (in-degrees vary). Derivation
  of :math:`\mathbb E[W \otimes W]`: a sender ``u`` reaches ``i`` with probability
  :math:`p = s/(n-1)`, and ``i`` and ``j`` together with :math:`p_{11} = s(s-1)/((n-1)(n-2))`;
  distinct senders are independent. So :math:`(K_i, K_j)` is a sum of independent two-point
  vectors — one per sender — and every coefficient is
  :math:`\mathbb E[\text{indicators}/((1+K_i)(1+K_j))]` with the named senders' indicators forced
  to 1, computed exactly by convolving the senders' laws (:math:`O(n^3)`, cached). Its expected
  contraction on :math:`\mathbf 1^\perp` is the paper's
  :math:`\beta_s = \tfrac1s\,(1 - (1 - \tfrac{s}{n-1})^n) - \tfrac1{n-1}` (see
  :func:`expected_contraction`).

Arbitrary finite laws: :meth:`RandomScheme.from_outcomes` (exact enumeration).

What "the toy problem's rate" means without column-stochasticity: the second-moment recursion
:math:`C(t+1) = \mathbb E[W(aC + \beta\,\mathrm{Diag}\,C)W^T]` of THEORY §3.2 holds for *any*
random ``W`` independent of the gradients, and the toy problem's optimum ``x* = 0`` is fixed by every
row-stochastic ``W``, so for a row-stochastic law (``stochastic="row"``) the exact rate is still
the decay rate of every worker's expected loss. What changes: the network average is no longer
preserved (it drifts as :math:`\mathbf 1^T W_t/n`), so on problems whose optimum is not a common
fixed point the iterates converge to a weighted, random optimum, and the random walk's
decomposition :math:`\Sigma = J/(1-\gamma) + S` does not hold (``S`` is not defined; ``n_W`` is).
Column-stochastic (push-sum) matrices are refused as a law: their iterates need a de-biasing
read-out. :func:`push_sum` models it (weights :math:`y \leftarrow P_t y`, read-out :math:`z = x/y`):
the read-out follows D-SGD exactly with the row-stochastic :math:`D_{t+1}^{-1}P_tD_t`
(:meth:`PushSum.read_out_scheme`), so the exact rate above is the read-out's, and the
:math:`y`-weighted average of the read-outs is the true average (see :class:`PushSum`).

Periodic mixtures (:func:`periodic_mixture`, e.g. ``H`` local steps then one random peer): phase
``t`` draws from its own law, independently; the one-period second-moment map is the composition
of the phases' maps.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from ..common.rng import as_generator
from ..common.validation import check_choice, check_int, check_real, check_str
from .scheme import consensus_complement

__all__ = [
    "RandomScheme",
    "pairwise_gossip",
    "random_matching",
    "epidemic",
    "exchangeable_second_moment",
    "expected_contraction",
    "epidemic_contraction",
    "el_oracle",
    "el_oracle_contraction",
    "equidyn",
    "periodic_mixture",
    "PeriodicRandomScheme",
    "PushSum",
    "push_sum",
]

#: Laws a RandomScheme accepts: doubly stochastic outcomes, or row-stochastic ones (module docstring).
STOCHASTIC_KINDS = ("doubly", "row")

#: Largest finite law :meth:`RandomScheme.outcomes` enumerates.
MAX_OUTCOMES = 200_000


def exchangeable_second_moment(coef: Any, X: np.ndarray) -> Any:
    r""":math:`\mathbb E[W X W^T]` of an exchangeable law from its 15 coefficients (batched over ``X``).

    ``coef = (c_1..c_5, d_1..d_10)``: :math:`c` are :math:`\mathbb E[W_{ik}W_{il}]` for
    ``(k, l) = (i, i)``, ``(m, m)``, ``(i, m)``, ``(m, i)``, ``(m, m')``; :math:`d` are
    :math:`\mathbb E[W_{ik}W_{jl}]` (``i != j``) for ``(k, l) = (i, j)``, ``(j, i)``, ``(i, i)``,
    ``(j, j)``, ``(m, m)``, ``(i, m)``, ``(j, m)``, ``(m, j)``, ``(m, i)``, ``(m, m')`` with
    ``m != m'`` outside ``{i, j}``. Row and column sums give each entry in :math:`O(1)`.

    Examples
    --------
    >>> W = np.eye(3)  # the identity law: E[W_ik W_jl] = [k = i][l = j]
    >>> coef = np.array([1, 0, 0, 0, 0, 1] + [0] * 9, dtype=float)
    >>> X = np.arange(9.0).reshape(3, 3)
    >>> bool(np.array_equal(exchangeable_second_moment(coef, X), X))
    True
    """
    c1, c2, c3, c4, c5, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10 = coef
    X = _real_or_complex(X)
    dg = np.diagonal(X, axis1=-2, axis2=-1)
    D = dg.sum(axis=-1)[..., None]
    r = X.sum(axis=-1)
    cs = X.sum(axis=-2)
    s = r.sum(axis=-1)[..., None]
    XT = np.swapaxes(X, -1, -2)
    di, dj = dg[..., :, None], dg[..., None, :]
    ri, rj = r[..., :, None], r[..., None, :]
    ci, cj = cs[..., :, None], cs[..., None, :]
    Sx, Dx = s[..., None], D[..., None]
    T = (Sx - ri - rj - ci - cj + di + X + XT + dj) - (Dx - di - dj)
    out = (d1 * X + d2 * XT + d3 * di + d4 * dj + d5 * (Dx - di - dj)
           + d6 * (ri - di - X) + d7 * (rj - XT - dj) + d8 * (cj - X - dj) + d9 * (ci - di - XT) + d10 * T)
    diag = (c1 * dg + c2 * (D - dg) + c3 * (r - dg) + c4 * (cs - dg)
            + c5 * (s - r - cs + dg - (D - dg)))
    n = X.shape[-1]
    idx = np.arange(n)
    out[..., idx, idx] = diag
    return out


class RandomScheme:
    r"""An i.i.d. law of gossip matrices: step ``t`` gossips with a fresh draw :math:`W_t` (``X <- W_t X``).

    Build one with :meth:`from_outcomes` (a finite law) or a family constructor
    (:func:`pairwise_gossip`, :func:`random_matching`, :func:`epidemic`). The theory functions
    (``effective_neighbors``, ``quadratic_rate``, ``optimal_learning_rate``, ``loss_curve``,
    ``spectral_gap(kind="koloskova")``) accept it through the random representation
    (:mod:`topotheory.engine.random`); quantities of a fixed matrix sequence (period products,
    eigenvalues) refuse it with a ValueError.

    Parameters
    ----------
    n : int
        Number of workers.
    name : str
        Name of the law (reports, caches).
    sampler : callable
        ``sampler(rng, size)`` draws ``size`` matrices, shape ``(size, n, n)``.
    mean : ndarray, shape (n, n)
        :math:`E[W]`.
    second_moment : callable
        ``second_moment(X)`` is :math:`E[W X W^\top]` for a square ``X``.
    stochastic : {"doubly", "row"}
        ``"row"``: outcomes are only row-stochastic (see the module docstring for what the theory
        means then).
    outcomes : tuple or callable, optional
        ``(matrices, probabilities)`` of a finite law, or a callable returning them (None when
        not enumerable).
    params : dict, optional
        The family's parameters (recorded, e.g. ``{"s": 2}``).
    exchangeable : bool
        The law is invariant under relabelling the workers (the families here): the second-moment
        operator then maps ``span{I - J, J}`` to itself, and the theory reduces to 2 x 2 systems
        (:mod:`topotheory.engine.random`).

    Attributes
    ----------
    n : int
        Number of workers.
    name : str
        Name of the law.
    period : int
        Always 1 (the law does not change with ``t``).
    stochastic : {"doubly", "row"}
        As given.
    exchangeable : bool
        As given.

    Examples
    --------
    >>> import numpy as np
    >>> S = RandomScheme.from_outcomes([np.eye(2), np.full((2, 2), 0.5)], [0.5, 0.5])
    >>> S.mean()
    array([[0.75, 0.25],
           [0.25, 0.75]])
    >>> S.sample(0, 3).shape
    (3, 2, 2)
    """

    is_random_scheme = True
    period = 1
    is_static = False
    is_circulant = False
    is_symmetric = False

    def __init__(self, n: int, *, name: str, sampler: Callable[..., Any], mean: np.ndarray,
                 second_moment: Callable[..., Any], stochastic: str = "doubly", outcomes: Any = None,
                 params: dict[str, Any] | None = None,
                 exchangeable: bool = False) -> None:
        self.n = int(n)
        self.exchangeable = bool(exchangeable)
        self.name = name
        self.stochastic = stochastic
        self.params = dict(params or {})
        self._sampler = sampler
        self._mean = np.array(mean, dtype=float)
        self._mean.setflags(write=False)
        self._second = second_moment
        self._outcomes = outcomes
        self._cache: dict[Any, Any] = {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"RandomScheme({self.name}{': ' + args if args else ''}, n={self.n})"

    @property
    def laws(self) -> Any:
        """The law of each phase of the period: ``(self,)`` for an i.i.d. law."""
        return (self,)

    def law(self, t: int) -> Any:
        """The law of ``W_t`` (``laws[t % period]``)."""
        return self.laws[t % self.period]

    def cached(self, key: Any, factory: Callable[[], Any]) -> Any:
        """The value cached under ``key``, computed once by ``factory()`` (as :meth:`Scheme.cached`)."""
        if key not in self._cache:
            self._cache[key] = factory()
        return self._cache[key]

    # --------------------------------------------------------------------------- construction
    @classmethod
    def from_outcomes(cls, matrices: Any, probabilities: Any, *, name: str = "custom", stochastic: str = "doubly",
                      atol: float = 1e-9) -> RandomScheme:
        r"""A finite law: outcome ``matrices[m]`` with probability ``probabilities[m]``.

        Parameters
        ----------
        matrices : array_like, shape (M, n, n)
            Non-negative gossip matrices, each doubly stochastic (``stochastic="doubly"``) or
            row-stochastic (``stochastic="row"``) within ``atol``.
        probabilities : array_like, shape (M,)
            Non-negative, summing to 1 within ``1e-12``.
        name : str
        stochastic : {"doubly", "row"}
        atol : float

        Examples
        --------
        >>> import numpy as np
        >>> float(RandomScheme.from_outcomes([np.eye(3)], [1.0]).second_moment(np.ones((3, 3)))[0, 1])
        1.0
        >>> RandomScheme.from_outcomes([np.eye(2)], [0.9])
        Traceback (most recent call last):
        ...
        ValueError: probabilities must sum to 1, got 0.9
        """
        name = check_str("name", name, nonempty=True)
        check_choice("stochastic", stochastic, STOCHASTIC_KINDS)
        atol = check_real("atol", atol, low=0.0)
        Ws = matrix_stack(matrices, "an (M, n, n) array of real gossip matrices", "(M, n, n) with M, n >= 1")
        try:
            p = np.array(probabilities, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"probabilities must be a 1-D array of reals: {exc}") from None
        if p.shape != (Ws.shape[0],):
            raise ValueError(f"probabilities must have one entry per matrix ({Ws.shape[0]}), got {p.size}")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError("probabilities must be finite and non-negative")
        if abs(p.sum() - 1.0) > 1e-12:
            raise ValueError(f"probabilities must sum to 1, got {float(p.sum())!r}")
        check_outcomes("matrices", Ws, stochastic, atol)
        Ws.setflags(write=False)
        n = Ws.shape[1]

        def sampler(rng: np.random.Generator, size: int) -> Any:
            return Ws[rng.choice(p.size, size=size, p=p)]

        def second(X: np.ndarray) -> Any:
            return np.einsum("m,mik,...kl,mjl->...ij", p, Ws, X, Ws, optimize=True)

        # one outcome a I + b J is invariant under relabelling the workers (solo, fully connected, mix)
        W0 = Ws[0]
        scalar = Ws.shape[0] == 1 and n > 1 and np.allclose(
            W0, (W0[0, 0] - W0[0, 1]) * np.eye(n) + W0[0, 1], rtol=0.0, atol=1e-15)
        return cls(n, name=name, sampler=sampler, mean=np.einsum("m,mij->ij", p, Ws), second_moment=second,
                   stochastic=stochastic, outcomes=(Ws, p), params={"outcomes": p.size}, exchangeable=scalar)

    @classmethod
    def from_scheme(cls, scheme: Any) -> RandomScheme:
        """A static :class:`Scheme` as the law with one outcome of probability 1."""
        if scheme.period != 1:
            raise ValueError(f"from_scheme needs a static scheme (period 1), got period {scheme.period}; "
                             "a periodic scheme is not an i.i.d. law")
        return cls.from_outcomes(scheme.matrix(0)[None], [1.0], name=scheme.name)

    # ------------------------------------------------------------------------------- moments
    def sample(self, seed: Any, size: int) -> Any:
        """``size`` independent draws of ``W``, shape ``(size, n, n)`` (seed: None, int or Generator).

        The draws are checked (shape, non-negative, rows — and for ``stochastic="doubly"`` columns —
        summing to 1 within 1e-9): a sampler that breaks its law is a ValueError naming it, never a
        silently wrong simulation.
        """
        size = check_int("size", size, minimum=0)
        W = self._sampler(as_generator(seed), size)
        return self._checked(W, size)

    def _checked(self, W: np.ndarray, size: int) -> Any:
        n = self.n
        W = np.asarray(W)
        if W.shape != (size, n, n):
            raise ValueError(f"the sampler of {self!r} returned shape {W.shape}, expected ({size}, {n}, {n})")
        if size:
            dev = float(np.max(np.abs(W.sum(axis=-1) - 1.0)))
            if self.stochastic == "doubly":
                dev = max(dev, float(np.max(np.abs(W.sum(axis=-2) - 1.0))))
            if not dev <= 1e-9 or float(W.min()) < -1e-12:
                raise ValueError(f"the sampler of {self!r} drew matrices that are not {self.stochastic} stochastic "
                                 f"and non-negative (max deviation {dev:.3g}): it does not sample this law")
        return W

    def mean(self) -> Any:
        r"""The first moment :math:`\mathbb E[W]` (read-only ``(n, n)``)."""
        return self._mean

    def second_moment(self, X: np.ndarray) -> Any:
        r""":math:`\mathbb E[W X W^T]` for ``X`` of shape ``(..., n, n)``."""
        X = _real_or_complex(X)
        if X.shape[-2:] != (self.n, self.n):
            raise ValueError(f"X must have shape (..., {self.n}, {self.n}), got {X.shape}")
        return self._second(X)

    def kron_moment(self) -> Any:
        r""":math:`\mathbb E[W \otimes W]` as an ``(n^2, n^2)`` matrix on row-major ``vec`` (small ``n``)."""
        n = self.n
        check_int("n (for kron_moment)", n, maximum=64)

        def build() -> Any:
            basis = np.eye(n * n).reshape(n * n, n, n)
            K = self.second_moment(basis).reshape(n * n, n * n).T.copy()
            K.setflags(write=False)
            return K

        return self.cached("kron", build)

    def _fixed(self, what: str) -> NoReturn:
        raise ValueError(f"{what} is undefined for the random scheme {self!r}: it has no fixed matrix sequence "
                         "(use mean(), second_moment() or sample())")

    def matrix(self, t: int = 0) -> Any:
        """Refused: a random scheme has no fixed ``W_t`` (ValueError naming the alternatives)."""
        self._fixed("matrix(t)")

    def period_product(self, phase: int = 0) -> Any:
        """Refused: a random scheme has no fixed period product."""
        self._fixed("period_product")

    def is_sparse(self, t: int = 0) -> bool:
        """Refused: a random scheme has no fixed ``W_t``."""
        self._fixed("is_sparse(t)")

    def outcomes(self) -> Any:
        """``(matrices, probabilities)`` of the whole finite law (exact enumeration; small ``n``)."""
        if self._outcomes is None:
            raise ValueError(f"{self!r} has no enumeration of its outcomes")
        out = self._outcomes() if callable(self._outcomes) else self._outcomes
        return out


def matrix_stack(matrices: Any, what: str, shape: str) -> np.ndarray:
    """``matrices`` as a float ``(M, n, n)`` array (one ``(n, n)`` matrix gives ``M = 1``), or a clear error."""
    try:
        Ws = np.array(matrices, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"matrices must be {what}: {exc}") from None
    if Ws.ndim == 2:
        Ws = Ws[None]
    if Ws.ndim != 3 or Ws.shape[1] != Ws.shape[2] or Ws.shape[0] == 0 or Ws.shape[1] == 0:
        raise ValueError(f"matrices must have shape {shape}, got {Ws.shape}")
    return Ws


def _real_or_complex(X: np.ndarray) -> Any:
    X = np.asarray(X)
    return X if np.iscomplexobj(X) else X.astype(float)


def check_outcomes(name: str, Ws: np.ndarray, stochastic: str, atol: float) -> None:
    """ValueError unless every matrix in ``Ws`` is non-negative and doubly (or row-) stochastic."""
    if not np.all(np.isfinite(Ws)) or np.any(Ws < -atol):
        raise ValueError(f"{name} must be finite and non-negative")
    rows = np.abs(Ws.sum(axis=-1) - 1.0).max()
    cols = np.abs(Ws.sum(axis=-2) - 1.0).max()
    if rows > atol:
        if cols <= atol:
            raise ValueError(
                f"{name} are column-stochastic but not row-stochastic (push-sum weights): the toy problem's "
                "rate is not defined for them without a de-biasing read-out; use push_sum (its read_out_scheme)")
        raise ValueError(f"{name} must be row-stochastic (rows sum to 1 within atol); max deviation {rows:.3g}")
    if stochastic == "doubly" and cols > atol:
        raise ValueError(f"{name} must be doubly stochastic (columns sum to {1.0} within atol; max deviation "
                         f"{cols:.3g}); pass stochastic='row' for a row-stochastic law (see topotheory.graphs.random)")


def _exchangeable(n: int, name: str, coef: Any, mean_diag: Any, sampler: Callable[..., Any], outcomes: Any,
                  params: dict[str, Any] | None, stochastic: str = "doubly") -> Any:
    coef = np.asarray(coef, dtype=float)
    mean = np.full((n, n), (1.0 - mean_diag) / (n - 1) if n > 1 else 0.0)
    np.fill_diagonal(mean, mean_diag)
    return RandomScheme(n, name=name, sampler=sampler, mean=mean,
                        second_moment=functools.partial(exchangeable_second_moment, coef),
                        stochastic=stochastic, outcomes=outcomes, params=params, exchangeable=True)


def _enumerated(build: Callable[[], Any]) -> Any:
    """A lazily enumerated finite law, refused beyond :data:`MAX_OUTCOMES` outcomes."""
    def outcomes() -> Any:
        mats = build()
        Ws = np.array(mats, dtype=float)
        return Ws, np.full(len(Ws), 1.0 / len(Ws))
    return outcomes


# ------------------------------------------------------------------------------ pairwise gossip
def pairwise_gossip(n: int) -> RandomScheme:
    r"""Randomized pairwise gossip on the complete graph: one uniform pair averages per step.

    :math:`W = I - \tfrac12 (e_a - e_b)(e_a - e_b)^T`, ``{a, b}`` uniform among the
    :math:`\binom n2` pairs (Boyd, Ghosh, Prabhakar & Shah 2006, uniform ``P``). Doubly stochastic
    and symmetric; :math:`\mathbb E[W] = I - (I - J)/(n-1)`. Closed-form second moment in the
    module docstring.

    Parameters
    ----------
    n : int
        Number of workers (at least 2).

    Returns
    -------
    RandomScheme
        The law of one uniform pair averaging per step.

    Examples
    --------
    >>> S = pairwise_gossip(4)
    >>> round(float(expected_contraction(S)), 12)  # 1 - 1/(n - 1)
    0.666666666667
    """
    n = check_int("n", n, minimum=2)
    q = 2.0 / (n * (n - 1))
    coef = [1 - 1.5 / n, q / 4, q / 4, q / 4, 0.0,
            q * (0.25 + (n - 2) + (n - 2) * (n - 3) / 2), q / 4, q / 4, q / 4, 0.0, q / 2, 0.0, q / 2, 0.0, 0.0]

    def sampler(rng: np.random.Generator, size: int) -> Any:
        a = rng.integers(n, size=size)
        b = (a + rng.integers(1, n, size=size)) % n
        W = np.broadcast_to(np.eye(n), (size, n, n)).copy()
        k = np.arange(size)
        W[k, a, a] = W[k, b, b] = W[k, a, b] = W[k, b, a] = 0.5
        return W

    def build() -> Any:
        out = []
        for a, b in itertools.combinations(range(n), 2):
            W = np.eye(n)
            W[a, a] = W[b, b] = W[a, b] = W[b, a] = 0.5
            out.append(W)
        return out

    return _exchangeable(n, "pairwise_gossip", coef, 1 - 1.0 / n, sampler, _enumerated(build), {})


# ------------------------------------------------------------------------------ random matching
def _matchings(items: list[int]) -> Any:
    if len(items) <= 1:
        yield []
        return
    if len(items) % 2:
        for k in range(len(items)):
            yield from _matchings(items[:k] + items[k + 1:])
        return
    first, rest = items[0], items[1:]
    for k in range(len(rest)):
        for m in _matchings(rest[:k] + rest[k + 1:]):
            yield [(first, rest[k])] + m


def random_matching(n: int) -> RandomScheme:
    r"""A uniform random (maximal) matching per step; matched pairs average, ``W = (I + P)/2``.

    ``n`` even: a uniform perfect matching; ``n`` odd: one uniform worker sits out and the others are
    matched uniformly. Doubly stochastic and symmetric (closed-form moments in the module
    docstring): one-peer gossip with random peers.

    Parameters
    ----------
    n : int
        Number of workers (odd: one sits out each step).

    Returns
    -------
    RandomScheme
        The law of a uniform maximal matching per step.

    Examples
    --------
    >>> S = random_matching(4)
    >>> bool(np.allclose(S.mean(), (np.eye(4) + (1 - np.eye(4)) / 3) / 2))
    True
    """
    n = check_int("n", n, minimum=1)
    if n == 1:
        coef, pi_d = [1.0] + [0.0] * 14, 1.0
    else:
        if n % 2 == 0:
            pi_d, pi_o = 0.0, 1.0 / (n - 1)
            swap, side, other = 1.0 / (n - 1), 0.0, (1.0 / ((n - 1) * (n - 3)) if n > 3 else 0.0)
        else:
            pi_d = pi_o = 1.0 / n
            swap, side, other = 1.0 / n, 1.0 / (n * (n - 2)), 1.0 / (n * (n - 2))
        coef = [0.25 * (1 + 3 * pi_d), pi_o / 4, pi_o / 4, pi_o / 4, 0.0,
                0.25 * (1 + 2 * pi_d), swap / 4, pi_o / 4, pi_o / 4, 0.0,
                0.25 * (pi_o + side), 0.0, 0.25 * (pi_o + side), 0.0, other / 4]

    def sampler(rng: np.random.Generator, size: int) -> Any:
        perm = rng.permuted(np.broadcast_to(np.arange(n), (size, n)).copy(), axis=1)
        m = n // 2
        a, b = perm[:, 0:2 * m:2], perm[:, 1:2 * m:2]
        W = np.broadcast_to(np.eye(n), (size, n, n)).copy()
        k = np.arange(size)[:, None]
        W[k, a, a] = W[k, b, b] = W[k, a, b] = W[k, b, a] = 0.5
        return W

    def build() -> Any:
        out = []
        for match in _matchings(list(range(n))):
            W = np.eye(n)
            for a, b in match:
                W[a, a] = W[b, b] = W[a, b] = W[b, a] = 0.5
            out.append(W)
        return out

    return _exchangeable(n, "random_matching", coef, 0.5 * (1 + pi_d), sampler, _enumerated(build), {})


# ---------------------------------------------------------------------------- epidemic learning
@functools.lru_cache(maxsize=64)
def _epidemic_coefficients(n: int, s: int) -> Any:
    r"""The 15 exchangeable coefficients of EL-Local, exactly (module docstring).

    ``i = j``: :math:`\mathbb E[\text{forced}/(s + K)^2]` with ``K`` binomial. ``i != j``: every
    coefficient is :math:`\mathbb E[F\,/((1 + K_i)(1 + K_j))]` with ``F`` the forced indicators; by
    :math:`1/(1 + K) = \int_0^1 u^K\,du` it is :math:`\int_0^1\!\int_0^1 \prod_{\rm senders} g_u(x, y)\,dx\,dy`,
    the product of the senders' (independent) generating polynomials
    :math:`g(x, y) = \mathbb E[x^{[u \to i]}y^{[u \to j]}]` with the forced indicators fixed to 1 — a
    polynomial of degree ``<= n - 1`` in each variable, integrated exactly by Gauss-Legendre with
    ``n // 2 + 2`` nodes per axis (:math:`O(n^2)`).
    """
    p = s / (n - 1)
    p11 = s * (s - 1) / ((n - 1) * (n - 2)) if n > 2 else 0.0
    p10 = p - p11
    p00 = 1.0 - 2.0 * p + p11

    def binom_mean(m: int, shift: int, forced: int) -> Any:
        k = np.arange(m + 1)
        logc = np.array([math.lgamma(m + 1) - math.lgamma(j + 1) - math.lgamma(m - j + 1) for j in k])
        with np.errstate(divide="ignore"):
            w = np.exp(logc + k * np.log(p) + (m - k) * np.log1p(-p)) if 0 < p < 1 else (k == (m if p == 1 else 0))
        return p**forced * float(np.sum(w / (shift + k) ** 2))

    c = [binom_mean(n - 1, 1, 0), binom_mean(n - 2, 2, 1), binom_mean(n - 2, 2, 1), binom_mean(n - 2, 2, 1),
         binom_mean(n - 3, 3, 2) if n >= 3 else 0.0]

    t, w = np.polynomial.legendre.leggauss(n // 2 + 2)
    x, y = 0.5 * (t[:, None] + 1.0), 0.5 * (t[None, :] + 1.0)
    ww = 0.25 * w[:, None] * w[None, :]
    free = p00 + p10 * (x + y) + p11 * x * y
    laws = {"both": p11 * x * y, "to_j": (p10 + p11 * x) * y, "to_i": (p10 + p11 * y) * x}

    def pair(j_to_i: Any, i_to_j: Any, specials: Any) -> Any:
        """E[forced indicators / ((1 + K_i)(1 + K_j))], i != j; ``specials`` are other senders' laws."""
        if len(specials) > n - 2:
            return 0.0
        g = (p * x if j_to_i else 1.0 - p + p * x) * (p * y if i_to_j else 1.0 - p + p * y)
        for law in specials:
            g = g * laws[law]
        return float(np.sum(ww * g * free ** (n - 2 - len(specials))))

    d = [pair(False, False, []), pair(True, True, []), pair(False, True, []), pair(True, False, []),
         pair(False, False, ["both"]), pair(False, False, ["to_j"]), pair(True, False, ["to_j"]),
         pair(False, False, ["to_i"]), pair(False, True, ["to_i"]), pair(False, False, ["to_i", "to_j"])]
    return tuple(c + d)


def epidemic(n: int, s: int) -> RandomScheme:
    r"""Epidemic Learning (EL-Local, de Vos et al. 2023): each worker pushes to ``s`` uniform peers.

    Every worker sends its model to ``s`` distinct others drawn uniformly (independently across
    workers); each worker replaces its model by the equal-weight average of its own and all it
    received: :math:`W_{ik} = [k = i \text{ or } k \to i]/(1 + K_i)`. Row-stochastic, not
    column-stochastic (``stochastic="row"``; see the module docstring for what the theory means
    then); :math:`\mathbb E[W]` is doubly stochastic by symmetry. Exact second moment from the
    senders' independence (module docstring).

    Parameters
    ----------
    n : int
        Workers, ``n >= 2``.
    s : int
        Peers per worker, ``1 <= s <= n - 1``.

    Returns
    -------
    RandomScheme
        The law (exchangeable, row-stochastic).

    Examples
    --------
    >>> S = epidemic(16, 2)
    >>> round(float(expected_contraction(S)), 12) == round(epidemic_contraction(16, 2), 12)
    True
    """
    n = check_int("n", n, minimum=2)
    s = check_int("s", s, minimum=1)
    if s > n - 1:
        raise ValueError(f"s must be at most n - 1 = {n - 1} (distinct peers other than oneself), got {s}")
    coef = _epidemic_coefficients(n, s)
    mean_diag = coef[0] + (n - 1) * coef[2]  # E[W_ii] = E[W_ii * sum_l W_il]

    def sampler(rng: np.random.Generator, size: int) -> Any:
        keys = rng.random((size, n, n))
        keys[:, np.arange(n), np.arange(n)] = 2.0  # never send to oneself
        targets = np.argpartition(keys, s - 1, axis=-1)[..., :s]  # (size, sender, s)
        M = np.broadcast_to(np.eye(n), (size, n, n)).copy()
        k = np.arange(size)[:, None, None]
        u = np.arange(n)[None, :, None]
        M[k, targets, u] = 1.0  # receiver row, sender column
        return M / M.sum(axis=-1, keepdims=True)

    def build() -> Any:
        subsets = [c for c in itertools.combinations(range(n), s)]
        per_sender = [[c for c in subsets if u not in c] for u in range(n)]
        total = math.prod(len(x) for x in per_sender)
        if total > MAX_OUTCOMES:
            raise ValueError(f"epidemic(n={n}, s={s}) has {total} outcomes; enumeration is limited to {MAX_OUTCOMES}")
        out = []
        for choice in itertools.product(*per_sender):
            M = np.eye(n)
            for u, tgt in enumerate(choice):
                M[list(tgt), u] = 1.0
            out.append(M / M.sum(axis=1, keepdims=True))
        return out

    return _exchangeable(n, "epidemic", coef, mean_diag, sampler, _enumerated(build), {"s": s}, stochastic="row")


# ------------------------------------------------------------------------------ EL-Oracle
def _regular_circulant(n: int, s: int) -> Any:
    """Adjacency of one fixed undirected ``s``-regular graph on ``n`` vertices (a circulant; ``n s`` even)."""
    offsets = list(range(1, s // 2 + 1))
    A = np.zeros((n, n))
    idx = np.arange(n)
    for a in offsets:
        A[idx, (idx + a) % n] = A[idx, (idx - a) % n] = 1.0
    if s % 2:
        A[idx, (idx + n // 2) % n] = 1.0  # n is even: the antipodal matching
    return A


def _regular_graphs(n: int, s: int) -> Any:
    """Every labelled undirected ``s``-regular graph on ``n`` vertices (small ``n``), as adjacency matrices."""
    pairs = list(itertools.combinations(range(n), 2))
    out = []

    def extend(k: int, deg: Any, edges: Any) -> Any:
        if k == len(pairs):
            if all(d == s for d in deg):
                A = np.zeros((n, n))
                for a, b in edges:
                    A[a, b] = A[b, a] = 1.0
                out.append(A)
            return
        a, b = pairs[k]
        if deg[a] < s and deg[b] < s:
            deg[a] += 1
            deg[b] += 1
            extend(k + 1, deg, edges + [(a, b)])
            deg[a] -= 1
            deg[b] -= 1
        # skipping (a, b) is only possible while a can still reach degree s with its later pairs
        if deg[a] + (n - 1 - b) >= s:
            extend(k + 1, deg, edges)

    extend(0, [0] * n, [])
    return out


def el_oracle(n: int, s: int) -> RandomScheme:
    r"""Epidemic Learning, EL-Oracle (de Vos et al. 2023): a fresh random ``s``-regular graph per round.

    Every worker exchanges with exactly ``s`` peers (an undirected ``s``-regular graph drawn each
    round, as the reference implementation's peer sampler does) and averages its own and the ``s``
    received models with equal weights: :math:`W = (I + A)/(s + 1)`, ``A`` the adjacency matrix.
    Doubly stochastic and symmetric; ``n s`` must be even.

    Closed-form :math:`\mathbb E[W\otimes W]`: with :math:`c = 1/(s+1)`,
    :math:`\mathbb E[W_{ik}W_{jl}] = c^2(\delta_{ik}\delta_{jl} + \delta_{ik}\mathbb E A_{jl} +
    \delta_{jl}\mathbb E A_{ik} + \mathbb E[A_{ik}A_{jl}])`, and every term counts at most two edges.
    For any law invariant under relabelling the workers these are fixed by the degrees alone:
    :math:`\Pr(A_{ik}=1) = s/(n-1)`; two edges sharing one endpoint,
    :math:`s(s-1)/((n-1)(n-2))` (:math:`n\,s(s-1)` ordered pairs of adjacent edges); two disjoint
    edges, :math:`s(ns - 4s + 2)/((n-1)(n-2)(n-3))` (the :math:`(ns)^2` ordered pairs of non-zero
    entries minus the :math:`2ns` on one edge and the :math:`4ns(s-1)` on adjacent edges, over
    :math:`n(n-1)(n-2)(n-3)` index tuples). So the uniform law on ``s``-regular graphs and a uniform
    relabelling of one fixed ``s``-regular graph have the same first and second moments — all the
    theory uses — and the sampler draws the latter (a uniformly relabelled circulant, vectorized).
    :meth:`~RandomScheme.outcomes` enumerates the *uniform* law on all labelled ``s``-regular
    graphs (small ``n``), an independent check of the claim. ``s = 1`` is :func:`random_matching`.

    Expected contraction (derived here from the moments above; see :func:`expected_contraction`):
    :math:`\mathbb E[W^TW] = c^2(I + 2\,\mathbb E A + \mathbb E A^2)`, whose eigenvalue on
    :math:`\mathbf 1^\perp` is :math:`\beta = (n - s - 1)/((s + 1)(n - 1))` (:func:`el_oracle_contraction`).

    Parameters
    ----------
    n : int
        Workers, ``n >= 2``.
    s : int
        Peers per worker, ``1 <= s <= n - 1`` with ``n s`` even.

    Returns
    -------
    RandomScheme
        The law (exchangeable, doubly stochastic).

    Examples
    --------
    >>> S = el_oracle(8, 3)
    >>> round(float(expected_contraction(S)), 12) == round(el_oracle_contraction(8, 3), 12)
    True
    >>> bool(np.allclose(S.sample(0, 2).sum(axis=-1), 1.0))
    True
    """
    n = check_int("n", n, minimum=2)
    s = check_int("s", s, minimum=1)
    if s > n - 1:
        raise ValueError(f"s must be at most n - 1 = {n - 1} (distinct peers other than oneself), got {s}")
    if (n * s) % 2:
        raise ValueError(f"an s-regular graph needs n * s even, got n={n}, s={s}")
    c = 1.0 / (s + 1)
    e1 = s / (n - 1)
    e2 = s * (s - 1) / ((n - 1) * (n - 2)) if n > 2 else 0.0
    e3 = s * (n * s - 4 * s + 2) / ((n - 1) * (n - 2) * (n - 3)) if n > 3 else 0.0

    def edges(i: int, k: int, j: int, l: int) -> Any:
        """E[A_ik A_jl] for representative labels."""
        if i == k or j == l:
            return 0.0
        e, f = {i, k}, {j, l}
        shared = len(e & f)
        return e1 if shared == 2 else (e2 if shared == 1 else e3)

    def moment(i: int, k: int, j: int, l: int) -> Any:
        a_ik = 0.0 if i == k else e1
        a_jl = 0.0 if j == l else e1
        return c * c * ((i == k) * (j == l) + (i == k) * a_jl + (j == l) * a_ik + edges(i, k, j, l))

    coef = _pattern_coefficients(moment, n)
    base = _regular_circulant(n, s)

    def sampler(rng: np.random.Generator, size: int) -> Any:
        perm = rng.permuted(np.broadcast_to(np.arange(n), (size, n)).copy(), axis=1)
        A = base[perm[:, :, None], perm[:, None, :]]
        return (np.eye(n) + A) * c

    def build() -> Any:
        graphs = _regular_graphs(n, s)
        if len(graphs) > MAX_OUTCOMES:  # pragma: no cover - only reached beyond n = 8
            raise ValueError(f"el_oracle(n={n}, s={s}) has {len(graphs)} outcomes; enumeration is limited")
        return [(np.eye(n) + A) * c for A in graphs]

    return _exchangeable(n, "el_oracle", coef, c, sampler, _enumerated(build), {"s": s})


def el_oracle_contraction(n: int, s: int) -> float:
    r"""EL-Oracle's expected contraction :math:`\beta = (n - s - 1)/((s + 1)(n - 1))` on :math:`\mathbf 1^\perp`.

    Derivation: :math:`\mathbb E[W^TW] = (I + 2\,\mathbb E A + \mathbb E A^2)/(s+1)^2` with
    :math:`\mathbb E A = s(\mathbf 1\mathbf 1^T - I)/(n-1)` and :math:`\mathbb E A^2` of diagonal ``s``
    and off-diagonal :math:`s(s-1)/(n-1)`; on :math:`\mathbf 1^\perp` these act as
    :math:`-s/(n-1)` and :math:`s - s(s-1)/(n-1)`, so
    :math:`\beta = (1 - 2s/(n-1) + s - s(s-1)/(n-1))/(s+1)^2 = (n-s-1)/((s+1)(n-1))`.

    Parameters
    ----------
    n : int
        Number of workers.
    s : int
        Degree of the random regular graph of each round.

    Returns
    -------
    float
        :math:`\beta`, the largest eigenvalue of :math:`\mathbb E[W^TW]` on :math:`\mathbf 1^\perp`.

    Examples
    --------
    >>> el_oracle_contraction(8, 7), round(el_oracle_contraction(96, 7), 6)
    (0.0, 0.115789)
    """
    n = check_int("n", n, minimum=2)
    s = check_int("s", s, minimum=1, maximum=n - 1)
    return (n - s - 1) / ((s + 1) * (n - 1))


def _pattern_coefficients(moment: Callable[..., Any], n: int) -> Any:
    """The 15 coefficients of :func:`exchangeable_second_moment` from ``moment(i, k, j, l)`` on representative labels.

    Labels ``i = 0``, ``j = 1`` and the others ``m, m'`` next (``m = 1``, ``m' = 2`` when ``i = j``); a
    pattern needing more labels than ``n`` has is 0 (it multiplies an empty sum).
    """
    i, j, m, m2 = 0, 1, 2, 3
    c_pat = [(i, i), (1, 1), (i, 1), (1, i), (1, 2)]
    d_pat = [(i, j), (j, i), (i, i), (j, j), (m, m), (i, m), (j, m), (m, j), (m, i), (m, m2)]
    c = [moment(i, k, i, l) if max(k, l) < n else 0.0 for k, l in c_pat]
    d = [moment(i, k, j, l) if max(k, l, j) < n else 0.0 for k, l in d_pat]
    return c + d


# ------------------------------------------------------------------------------ EquiDyn
def equidyn(n: int, *, eta: float = 1.0, offsets: Any = None, seed: Any = None) -> RandomScheme:
    r"""OD-EquiDyn (Song, Li, Jin, Shi, Yan, Yin & Yuan, NeurIPS 2022): one random directed peer per step.

    Step ``t`` draws one offset ``a`` and gossips with
    :math:`W = (1 - \eta)I + \eta B_a`, :math:`B_a = \tfrac1n I + \tfrac{n-1}n P_a`, where
    :math:`(P_a)_{i, i+a} = 1` (worker ``i`` receives from ``i + a mod n``; row convention
    ``X <- W X``). Each outcome is a doubly stochastic circulant. The offset law:
    ``offsets=None`` draws ``a`` uniformly from ``{1, ..., n-1}`` (the paper's dynamic scheme and
    the "complete" variant of the reference code); a list (or an int ``M``: ``M`` offsets drawn
    i.i.d. uniformly once, with ``seed``, as D-EquiStatic does) draws uniformly from that multiset.

    Closed form: with :math:`\beta = \eta(n-1)/n` and :math:`\alpha = 1 - \beta`,
    :math:`W = \alpha I + \beta P_a`, so :math:`\mathbb E[W] = \alpha I + \beta\,\mathbb E P_a` and

    .. math::

        \mathbb E[W X W^T] = \alpha^2 X + \alpha\beta\,(\mathbb E[P_a]X + X\,\mathbb E[P_a]^T)
        + \beta^2\,\mathbb E[P_a X P_a^T],\qquad (P_a X P_a^T)_{ij} = X_{i+a,\,j+a}.

    For uniform offsets the last term is :math:`(D_{j-i} - X_{ij})/(n-1)` with
    :math:`D_d = \sum_k X_{k,k+d}` the cyclic diagonal sums (:math:`O(n^2)`). The law is invariant
    under cyclic shifts, not under every relabelling (``exchangeable=False``): the theory takes
    the general route.

    Parameters
    ----------
    n : int
        Workers, ``n >= 2``.
    eta : float
        The mixing step, ``0 < eta <= 1`` (the reference code's default 1; its notebooks use 0.5).
    offsets : None, int or sequence of int
        The offset law: None, uniform on ``{1, ..., n-1}``; a list, uniform on that multiset; an
        int ``M``, ``M`` offsets drawn once with ``seed``.
    seed : None, int or Generator
        Only used when ``offsets`` is an int.

    Returns
    -------
    RandomScheme
        The law (invariant under cyclic shifts).

    Examples
    --------
    >>> S = equidyn(6)
    >>> bool(np.allclose(S.mean(), 1 / 6))  # eta = 1: E[W] = I/n + (11^T - I)/n = J
    True
    >>> equidyn(5, offsets=[1, 1, 3]).params["offsets"]
    (1, 1, 3)
    """
    n = check_int("n", n, minimum=2)
    eta = check_real("eta", eta, low=0.0, high=1.0, low_open=True)
    if offsets is None:
        offs = None
    else:
        if isinstance(offsets, (int, np.integer)) and not isinstance(offsets, bool):
            M = check_int("offsets", offsets, minimum=1)
            offs = tuple(int(a) for a in as_generator(seed).integers(1, n, size=M))
        else:
            try:
                offs = tuple(offsets)
            except TypeError:
                raise TypeError(f"offsets must be None, an int or a sequence of ints, got {offsets!r}") from None
            if not offs:
                raise ValueError("offsets must list at least one offset")
            offs = tuple(check_int("offsets[k]", a, minimum=1, maximum=n - 1) for a in offs)
    beta = eta * (n - 1) / n
    alpha = 1.0 - beta
    idx = np.arange(n)
    if offs is None:
        weights = np.full(n, 1.0 / (n - 1))
        weights[0] = 0.0
    else:
        weights = np.bincount(np.array(offs), minlength=n) / len(offs)
    # E[P_a]_{ik} = Pr(a = k - i)
    EP = weights[(idx[None, :] - idx[:, None]) % n]
    mean = alpha * np.eye(n) + beta * EP
    support = np.flatnonzero(weights)

    def shifted_average(X: np.ndarray) -> Any:
        """E[P_a X P_a^T]_{ij} = sum_a Pr(a) X_{i+a, j+a}."""
        if offs is None:
            d = (idx[:, None] + idx[None, :]) % n  # D_d = sum_k X[k, k + d]
            D = X[..., idx[None, :], d].sum(axis=-1)
            return (D[..., (idx[None, :] - idx[:, None]) % n] - X) / (n - 1)
        out = np.zeros_like(X)
        for a in support:
            out = out + weights[a] * np.roll(X, (-a, -a), axis=(-2, -1))
        return out

    def second(X: np.ndarray) -> Any:
        XEPt = X @ EP.T
        return (alpha**2 * X + alpha * beta * (EP @ X + XEPt) + beta**2 * shifted_average(X))

    probs = weights[support]

    def sampler(rng: np.random.Generator, size: int) -> Any:
        a = support[rng.choice(support.size, size=size, p=probs)]
        W = np.broadcast_to(alpha * np.eye(n), (size, n, n)).copy()
        k = np.arange(size)[:, None]
        W[k, idx[None, :], (idx[None, :] + a[:, None]) % n] += beta
        return W

    def outcomes() -> Any:
        Ws = np.array([alpha * np.eye(n) + beta * np.roll(np.eye(n), a, axis=1) for a in support])
        return Ws, probs.copy()

    params = {"eta": eta} if offs is None else {"eta": eta, "offsets": offs}
    return RandomScheme(n, name="equidyn", sampler=sampler, mean=mean, second_moment=second, outcomes=outcomes,
                        params=params)


def epidemic_contraction(n: int, s: int) -> float:
    r"""The paper's expected contraction of EL-Local: :math:`\beta_s = \frac1s(1 - (1 - \frac s{n-1})^n) - \frac1{n-1}`.

    Derivation: with :math:`K \sim \mathrm{Bin}(n-1, p)`, :math:`p = s/(n-1)`, a worker's row has
    squared norm :math:`1/(1+K)`, and :math:`\mathbb E[1/(1+K)] = (1 - (1-p)^n)/(np)`; by
    exchangeability :math:`\mathbb E[W^TW] = \alpha I + \beta' \mathbf 1\mathbf 1^T` and its
    eigenvalue on :math:`\mathbf 1^\perp` follows by subtracting the consensus direction.

    Parameters
    ----------
    n : int
        Number of workers.
    s : int
        Peers each worker sends its model to.

    Returns
    -------
    float
        :math:`\beta_s` (the paper's bound on the contraction of the disagreement per round).

    Examples
    --------
    >>> round(epidemic_contraction(16, 2), 3), round(epidemic_contraction(96, 7), 3)
    (0.383, 0.132)
    """
    n = check_int("n", n, minimum=2)
    s = check_int("s", s, minimum=1, maximum=n - 1)
    return (1.0 - (1.0 - s / (n - 1)) ** n) / s - 1.0 / (n - 1)


def expected_contraction(scheme: Any) -> float:
    r"""The expected contraction :math:`\beta = \lambda_{\max}\big(\mathbb E[(W-J)^T(W-J)]\big)` on :math:`\mathbf 1^\perp`.

    :math:`\mathbb E\|(W - J)x\|^2 \le \beta\|x\|^2` for :math:`x \perp \mathbf 1` — the quantity
    the random-gossip papers call :math:`1 - p` (expected spectral gap :math:`p = 1 - \beta`; for a
    fixed ``W`` it is :math:`\|W - J\|_2^2`, Koloskova et al.'s convention). By the identity
    :math:`\mathbb E[W^T A W] = ` the adjoint of :math:`X \mapsto \mathbb E[W X W^T]`, it is formed
    from :math:`\mathbb E[W \otimes W]` (:meth:`RandomScheme.kron_moment`, small ``n``).

    Parameters
    ----------
    scheme : RandomScheme
        The law.

    Returns
    -------
    float
        The expected contraction.

    Examples
    --------
    >>> round(float(expected_contraction(random_matching(8))), 12)  # E[W^T W] = E[W] on 1-perp: 1/2 - 1/(2(n-1))
    0.428571428571
    """
    n = scheme.n
    if n == 1:
        return 0.0

    def build() -> Any:
        K = scheme.kron_moment().reshape(n, n, n, n)  # K[i, j, k, l] = E[W_ik W_jl]
        G = np.einsum("iikl->kl", K)  # E[W^T W]
        H = consensus_complement(n)
        # (W - J)^T (W - J) = W^T W - W^T J - J W + J, and H^T J = 0, J H = 0 on 1-perp
        A = H.T @ G @ H
        return float(np.max(np.linalg.eigvalsh(0.5 * (A + A.T))))

    return scheme.cached("expected-contraction", build)


# ------------------------------------------------------------------------------ periodic mixtures
class PeriodicRandomScheme(RandomScheme):
    r"""A periodic sequence of independent laws: phase ``t`` draws :math:`W_t` from ``laws[t % p]``.

    Built by :func:`periodic_mixture`. A fixed factor is a law with one outcome of probability 1.
    The draws are independent across steps, so the second-moment map of one period is the
    composition of the phases' maps, :math:`\mathcal M_{p-1}\circ\dots\circ\mathcal M_0`
    (:meth:`second_moment`, :meth:`kron_moment`), and :meth:`mean` is the product of the phases'
    means :math:`\mathbb E[W_{p-1}]\cdots\mathbb E[W_0]` (gossip row-wise, ``X <- W_t X``).

    Parameters
    ----------
    laws : sequence of RandomScheme
        The law of each phase, in order (all on the same workers).
    name : str
        Name of the scheme.

    Examples
    --------
    >>> from topotheory import solo
    >>> S = periodic_mixture([solo(4), random_matching(4)])
    >>> S.period, S.n
    (2, 4)
    """

    def __init__(self, laws: Sequence[Any], name: str) -> None:
        laws = tuple(laws)
        n = laws[0].n
        mean = np.eye(n)
        for L in laws:
            mean = L.mean() @ mean
        stochastic = "doubly" if all(L.stochastic == "doubly" for L in laws) else "row"
        self._laws = laws

        def second(X: np.ndarray) -> Any:
            for L in laws:
                X = L.second_moment(X)
            return X

        def sampler(rng: np.random.Generator, size: int) -> Any:
            return np.stack([L.sample(rng, size) for L in laws], axis=1)

        super().__init__(n, name=name, sampler=sampler, mean=mean, second_moment=second, stochastic=stochastic,
                         params={"period": len(laws)})
        self.period = len(laws)

    @property
    def laws(self) -> Any:
        return self._laws

    def sample(self, seed: Any, size: int) -> Any:
        """``size`` independent draws of one period, shape ``(size, period, n, n)`` (each phase's draws checked)."""
        size = check_int("size", size, minimum=0)
        return self._sampler(as_generator(seed), size)

    def kron_moment(self) -> Any:
        r""":math:`\mathbb E[W_{p-1}\otimes W_{p-1}]\cdots\mathbb E[W_0\otimes W_0]` (one period, small ``n``)."""
        def build() -> Any:
            K = np.eye(self.n * self.n)
            for L in self._laws:
                K = L.kron_moment() @ K
            K.setflags(write=False)
            return K

        check_int("n (for kron_moment)", self.n, maximum=64)
        return self.cached("kron", build)

    def outcomes(self) -> Any:
        """Refused: a period is not one draw of a single law."""
        raise ValueError(f"{self!r} is periodic: enumerate the outcomes of each phase (laws[t].outcomes())")


def periodic_mixture(factors: Sequence[Any], *, name: str | None = None) -> PeriodicRandomScheme:
    r"""A period of fixed and random gossip factors, e.g. ``H`` local steps then one random peer.

    ``factors`` is a sequence of :class:`RandomScheme` (i.i.d., period 1) and deterministic
    :class:`~topotheory.graphs.scheme.Scheme` (each of its ``period`` matrices becomes one phase);
    phase ``t`` gossips with a fresh draw from factor ``t % p`` (``X <- W_t X``). Every quantity of the
    theory follows from the phases' second-moment maps, composed over the period (see
    :mod:`topotheory.engine.random`): ``effective_neighbors`` at a phase, the exact rate per step
    :math:`\rho(\mathcal T_{p-1}\circ\dots\circ\mathcal T_0)^{1/p}`, ``loss_curve`` and the simulation.

    Parameters
    ----------
    factors : sequence of Scheme or RandomScheme
        The schemes of one period, in order.
    name : str, optional
        Name of the mixture (default: built from the factors' names).

    Returns
    -------
    PeriodicRandomScheme
        The periodic law.

    Examples
    --------
    >>> import topotheory as tt
    >>> S = periodic_mixture([tt.Scheme.from_matrix(np.eye(8))] * 3 + [tt.random_matching(8)])  # H = 3 local steps
    >>> S.period, round(float(tt.effective_neighbors(S, 0.0, phase=0)), 6)  # right after the gossip step
    (4, 2.0)
    """
    try:
        factors = list(factors)
    except TypeError:
        raise TypeError(f"factors must be a sequence of RandomScheme or Scheme, got {type(factors).__name__}") from None
    if not factors:
        raise ValueError("factors must list at least one RandomScheme or Scheme")
    laws = []
    for k, f in enumerate(factors):
        if isinstance(f, PeriodicRandomScheme):
            laws.extend(f.laws)
        elif getattr(f, "is_random_scheme", False) is True:
            laws.append(f)
        elif hasattr(f, "period") and hasattr(f, "matrix"):
            for t in range(f.period):
                W = np.asarray(f.matrix(t), dtype=float)
                kind = "doubly" if np.allclose(W.sum(axis=0), 1.0, rtol=0.0, atol=1e-9) else "row"
                laws.append(RandomScheme.from_outcomes(W[None], [1.0], name=f"{f.name}[{t}]", stochastic=kind))
        else:
            raise TypeError(f"factors[{k}] must be a RandomScheme or a Scheme, got {type(f).__name__}")
    ns = {L.n for L in laws}
    if len(ns) != 1:
        raise ValueError(f"factors must all have the same number of workers, got {sorted(ns)}")
    if name is None:
        name = "+".join(getattr(f, "name", "law") for f in factors)
    return PeriodicRandomScheme(laws, check_str("name", name, nonempty=True))


# ------------------------------------------------------------------------------- directed: push-sum
class PushSum:
    r"""Column-stochastic push-sum gossip (SGP) with its de-biasing weights and read-out.

    Build with :func:`push_sum`. Phase ``t`` mixes with a fixed column-stochastic ``P_t``
    (:math:`\mathbf 1^T P_t = \mathbf 1^T`, row convention ``X <- P_t X``): stochastic gradient push
    (Nedić & Olshevsky 2016; Assran et al. 2019) runs

    .. math::

        x(t+1) = P_t\bigl(x(t) - \eta\,g(z(t))\bigr),\qquad y(t+1) = P_t\,y(t),\qquad
        z(t) = x(t) / y(t),\quad y(0) = \mathbf 1,

    with gradients taken at the read-out ``z``. Because ``y`` is deterministic, the read-out
    follows D-SGD exactly with the row-stochastic matrices
    :math:`\tilde W_t = D_{t+1}^{-1}P_tD_t`, :math:`D_t = \mathrm{Diag}\,y(t)`
    (:math:`\tilde W_t\mathbf 1 = D_{t+1}^{-1}P_t y(t) = \mathbf 1`) and **per-worker step sizes**
    :math:`\eta/y_i(t)`: :math:`x - \eta g(z) = D_t(z - \eta D_t^{-1}g(z))`, so
    :math:`z(t+1) = \tilde W_t(z(t) - \eta D_t^{-1}g(z(t)))`. :meth:`read_out_scheme` gives the
    :math:`\tilde W_t` as a row-stochastic law: the read-out's exact dynamics without gradients
    (pure push-sum averaging), or with gradients scaled by ``y``; with plain SGP gradients the exact
    theory is :func:`topotheory.engine.random.push_sum_loss_curve` / ``push_sum_rate``.

    What the toy problem's exact rate means here: it is the decay rate of the read-out's expected
    loss :math:`\frac1n\sum_i \tfrac12\mathbb E\|z_i\|^2`, the Perron root of
    :math:`C \mapsto \tilde W(UCU + (\zeta - 1)\,\mathrm{Diag}(\eta_i^2 C_{ii}))\tilde W^T`,
    :math:`U = I - \mathrm{Diag}\,\eta_i`, on the limit orbit of the weights
    (:math:`\tilde W_t \to D_{*,t+1}^{-1}P_tD_{*,t}`, geometrically). Workers with small weights
    :math:`y_{*,i}` take large effective steps, so push-sum's stability edge is set by them. What converges: the
    gossip preserves :math:`\sum_i x_i` (columns sum to 1), i.e. the ``y``-weighted average of the
    read-outs :math:`\frac1n\sum_i y_i z_i = \bar x`, the true average; without gradients every
    :math:`z_i \to \bar x(0)`, while the un-debiased models converge to :math:`x_i \to y_{*,i}\,\bar x(0)`
    (the Perron vector's weighting, not consensus). With gradients the toy optimum ``0`` is fixed
    by every :math:`\tilde W_t`, so ``z`` converges to it at that rate. Quantities of the
    disagreement covariance ``S`` are undefined (the read-out's matrices are only row-stochastic).

    Parameters
    ----------
    matrices : ndarray, shape (period, n, n)
        The column-stochastic ``P_t`` (checked by :func:`push_sum`).
    name : str
        Name of the scheme.

    Attributes
    ----------
    n, period : int
        Workers and period.
    matrices : ndarray, shape (period, n, n)
        The column-stochastic ``P_t`` (read-only).
    limit_weights : ndarray, shape (period, n)
        The weights' limit orbit :math:`y_{*,t}` (sum ``n``), reached from ``y(0) = 1``.

    Examples
    --------
    >>> P = np.array([[0.5, 0.0, 1.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.0]])  # columns sum to 1
    >>> ps = push_sum(P)
    >>> np.round(ps.limit_weights[0], 6)
    array([1.2, 1.2, 0.6])
    >>> W = ps.read_out_scheme().mean()  # D*^-1 P D*: row-stochastic
    >>> bool(np.allclose(W.sum(axis=1), 1.0))
    True
    """

    is_random_scheme = False

    def __init__(self, matrices: Any, name: str) -> None:
        self.matrices = matrices
        self.matrices.setflags(write=False)
        self.period, self.n = matrices.shape[0], matrices.shape[1]
        self.name = name
        self.limit_weights = self._limit_orbit()
        self.limit_weights.setflags(write=False)

    def __repr__(self) -> str:
        return f"PushSum({self.name}, n={self.n}, period={self.period})"

    def _limit_orbit(self) -> Any:
        n = self.n
        Pi = np.eye(n)
        for P in self.matrices:
            Pi = P @ Pi
        ones = np.ones(n)
        if np.allclose(Pi @ ones, ones, rtol=0.0, atol=1e-12):
            y0 = ones  # y(0) = 1 is already a fixed point of the period
        else:
            vals, vecs = np.linalg.eig(Pi)
            order = np.argsort(-np.abs(vals))
            if abs(vals[order[0]] - 1.0) > 1e-9 or (n > 1 and np.abs(vals[order[1]]) > 1.0 - 1e-9):
                raise ValueError(
                    f"the push-sum weights y(t) = P_t...P_0 1 of {self.name!r} do not converge: the period product's "
                    "eigenvalue 1 is not simple and strictly dominant (the directed graph is not strongly connected "
                    "and aperiodic); the read-out's rate is undefined")
            v = np.real(vecs[:, order[0]])
            y0 = n * v / v.sum()
        if np.min(y0) <= 1e-12 * n:
            raise ValueError(f"the push-sum weights of {self.name!r} tend to 0 at some worker (a worker no other "
                             "worker reaches): the read-out x / y is undefined there")
        orbit = [y0]
        for P in self.matrices[:-1]:
            orbit.append(P @ orbit[-1])
        return np.array(orbit)

    def weights(self, steps: int) -> np.ndarray:
        """``y(t) = P_{t-1}...P_0 1`` for ``t = 0..steps``, shape ``(steps + 1, n)``."""
        steps = check_int("steps", steps, minimum=0)
        y = np.empty((steps + 1, self.n))
        y[0] = 1.0
        for t in range(steps):
            y[t + 1] = self.matrices[t % self.period] @ y[t]
        return y

    def read_out_matrices(self, steps: int) -> np.ndarray:
        r""":math:`\tilde W_t = D_{t+1}^{-1}P_tD_t` for ``t < steps`` (from ``y(0) = 1``), shape ``(steps, n, n)``."""
        y = self.weights(steps)
        P = self.matrices[np.arange(steps) % self.period]
        return y[1:, :, None] ** -1 * P * y[:-1, None, :]

    def read_out_scheme(self, steps: int | None = None) -> Any:
        r"""The read-out's gossip as a row-stochastic law: the exact dynamics of ``z``.

        ``steps=None``: the limit orbit :math:`D_{*,t+1}^{-1}P_tD_{*,t}` (period ``period``).
        ``steps=T``: the first ``T`` matrices from ``y(0) = 1`` as one period of ``T`` phases. These
        are the read-out's gossip; its toy-problem theory also needs the per-worker step sizes
        :math:`\eta/y_i(t)` (class docstring), so ``quadratic_rate`` of this law is the read-out's rate
        only when ``y = 1`` or the gradients are scaled by ``y`` — use
        :func:`topotheory.engine.random.push_sum_rate` for SGP.
        """
        if steps is None:
            y = self.limit_weights
            nxt = np.roll(y, -1, axis=0)
            Ws = nxt[:, :, None] ** -1 * self.matrices * y[:, None, :]
        else:
            Ws = self.read_out_matrices(check_int("steps", steps, minimum=1))
        laws = [RandomScheme.from_outcomes(W[None], [1.0], name=f"{self.name}-read-out", stochastic="row")
                for W in Ws]
        return laws[0] if len(laws) == 1 else PeriodicRandomScheme(laws, f"{self.name}-read-out")


def push_sum(matrices: Any, *, name: str = "push_sum", atol: float = 1e-9) -> PushSum:
    r"""Push-sum (SGP) on a fixed sequence of column-stochastic matrices; see :class:`PushSum`.

    Parameters
    ----------
    matrices : array_like, shape (n, n) or (period, n, n), or a Scheme
        Non-negative, each column summing to 1 within ``atol`` (:math:`P_{ij}` is the share of
        worker ``j``'s mass pushed to ``i``). A doubly stochastic Scheme gives ``y = 1`` and plain
        D-SGD.
    name : str
        Name of the scheme.
    atol : float
        Tolerance of the column sums.

    Returns
    -------
    PushSum
        The push-sum scheme.

    Examples
    --------
    >>> ps = push_sum(np.array([[0.5, 1.0], [0.5, 0.0]]))
    >>> ps.weights(2)
    array([[1.  , 1.  ],
           [1.5 , 0.5 ],
           [1.25, 0.75]])
    >>> push_sum(np.array([[0.5, 0.5], [0.0, 1.0]]))
    Traceback (most recent call last):
    ...
    ValueError: matrices must be column-stochastic (push-sum weights: each column sums to 1 within atol); max deviation 0.5
    """
    name = check_str("name", name, nonempty=True)
    atol = check_real("atol", atol, low=0.0)
    if hasattr(matrices, "period") and hasattr(matrices, "matrix") and not getattr(matrices, "is_random_scheme", False):
        matrices = [matrices.matrix(t) for t in range(matrices.period)]
    elif getattr(matrices, "is_random_scheme", False):
        raise ValueError("push_sum takes fixed column-stochastic matrices; random push-sum laws are not supported: "
                         "with random P_t the weights y(t) are random and the read-out's matrices D_{t+1}^-1 P_t D_t "
                         "depend on every earlier draw, so they are not independent of the state and the "
                         "second-moment recursion does not close (a doubly stochastic law has y = 1: pass it to "
                         "the theory directly, it is D-SGD)")
    Ps = matrix_stack(matrices, "an (n, n) or (period, n, n) array of reals", "(n, n) or (period, n, n)")
    if not np.all(np.isfinite(Ps)) or np.any(Ps < -atol):
        raise ValueError("matrices must be finite and non-negative")
    dev = float(np.abs(Ps.sum(axis=-2) - 1.0).max())
    if dev > atol:
        raise ValueError("matrices must be column-stochastic (push-sum weights: each column sums to 1 within atol); "
                         f"max deviation {dev:.3g}")
    return PushSum(Ps, name)
