r"""The random walk of THEORY §2 and the effective number of neighbours :math:`n_W(\gamma)`.

Two noise-accumulation processes with decay :math:`\gamma \in [0, 1)` and
:math:`\xi(t) \sim N(0, I_n)`:

.. math::

    y(t+1) = \sqrt{\gamma}\, y(t) + \xi(t) \qquad\text{(alone)}, \qquad
    z(t+1) = W_t \bigl(\sqrt{\gamma}\, z(t) + \xi(t)\bigr) \qquad\text{(gossip)}.

With :math:`\Sigma` the stationary covariance of ``z`` (at a phase of the scheme),
:math:`n_W(\gamma) = [1/(1-\gamma)] / \operatorname{mean}_i \Sigma_{ii}` (the paper's Definition 1).

Numerics. For doubly stochastic matrices :math:`W_t = J + B_t` with :math:`B_t = W_t - J`, and
:math:`\Sigma = J/(1-\gamma) + S` where ``S`` solves the same recursion with :math:`B_t` in place of
:math:`W_t`. Hence :math:`(1-\gamma)\Sigma_{ii} = 1/n + (1-\gamma) S_{ii}` with ``S`` well conditioned
on connected graphs: no cancellation as :math:`\gamma \to 1`. Every routine accepts
``one_minus_gamma`` for full precision close to 1.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..common.validation import check_choice, check_int, check_real
from ..graphs.scheme import Scheme, check_scheme
from ..common.validation import gamma_pair
from ..graphs.lattices import InfiniteGraph

__all__ = [
    "NW_MODES",
    "effective_neighbors",
    "random_walk_covariance",
    "spectral_gap_bound",
    "spectral_dimension_bound",
]

NW_MODES = ("mean", "worst", "all")


# ------------------------------------------------------------------------- per-route kernels
def _disagreement_mode_variances(scheme, g, c, phase):
    r"""Stationary variance :math:`s_k` of every non-consensus Fourier mode at the phase.

    For a circulant scheme every matrix is diagonal in the Fourier basis; one period of the
    recursion :math:`s \leftarrow m_t(\gamma s + 1)` (:math:`m_t = |\mu_{t,k}|^2`) is affine, and its
    fixed point :math:`q/(1 - \gamma^p\prod_t m_t)` is taken in closed form, the denominator
    evaluated without cancellation from :math:`1-\gamma` = ``c``. Valid up to :math:`\gamma = 1`
    (``c = 0``), where modes that never contract get ``inf``. Shape ``g.shape + (n - 1,)``;
    mode 0 (consensus) is left out. Shared with :mod:`topotheory.functionals`.
    """
    m = np.abs(scheme.fourier_eigenvalues()[:, 1:]) ** 2  # (p, n - 1)
    p = scheme.period
    g = np.asarray(g, dtype=float)[..., None]
    c = np.asarray(c, dtype=float)[..., None]
    if p == 1:  # static: s = m / (1 - gamma m), with 1 - gamma m = (1 - m) + c m (no cancellation)
        with np.errstate(divide="ignore", invalid="ignore"):
            den = (1.0 - m[0]) + c * m[0]
            return np.where(m[0] == 0.0, 0.0, np.where(den > 0, m[0] / den, np.inf))
    q = np.zeros(np.broadcast_shapes(g.shape, m[0].shape))
    log_prod = np.zeros_like(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in [(phase - p + j) % p for j in range(p)]:  # W_{phase-p}, ..., W_{phase-1}
            q = m[t] * (g * q + 1.0)
            log_prod = log_prod + np.log(m[t])
        one_minus_a = -np.expm1(p * np.log1p(-c) + log_prod)
        out = np.where(one_minus_a > 0, q / one_minus_a, np.inf)
    return np.where(q == 0.0, 0.0, out)


def _symmetric_weights(lam, g, c):
    r""":math:`(1-\gamma)\lambda^2/(1-\gamma\lambda^2)` for each eigenvalue, shape ``g.shape + (n,)``."""
    lam2 = lam**2
    g = g[..., None]
    c = c[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return c * lam2 / ((1.0 - lam2) + c * lam2)


def _disagreement_covariance(scheme, g, phase):
    r"""Stationary covariance ``S`` of the disagreement walk at the phase (dense, any scheme).

    With :math:`B_t = W_t - J`: :math:`S = A S A^T + Q`, :math:`A = \gamma^{p/2} B_{\phi-1}\cdots
    B_{\phi-p}` and ``Q`` the covariance accumulated over one period from zero. Then
    :math:`\Sigma = J/(1-\gamma) + S`. Valid up to :math:`\gamma = 1`; returns None when the walk
    has no stationary law (:math:`\rho(A) \ge 1`: a disconnected period at :math:`\gamma = 1`).
    Shared with :mod:`topotheory.functionals`.
    """
    n, p = scheme.n, scheme.period
    J = np.full((n, n), 1.0 / n)
    Q = np.zeros((n, n))
    for t in [(phase - p + j) % p for j in range(p)]:
        B = scheme.matrix(t) - J
        Q = B @ (g * Q + np.eye(n)) @ B.T
    A = g ** (p / 2.0) * (scheme.period_product(phase) - J)
    if n > 1 and np.max(np.abs(np.linalg.eigvals(A))) >= 1.0 - 1e-12:
        return None
    S = sla.solve_discrete_lyapunov(A, Q)
    return 0.5 * (S + S.T)


def _lyapunov_scaled_covariance(scheme, g, c, phase):
    r""":math:`(1-\gamma)\Sigma = J + (1-\gamma) S` at the phase (:func:`_disagreement_covariance`)."""
    return np.full((scheme.n, scheme.n), 1.0 / scheme.n) + c * _disagreement_covariance(scheme, g, phase)


def _scaled_diagonals(scheme, g, c, phase):
    """(1 - gamma) diag(Sigma) with shape g.shape + (n,) (or + (1,) when all entries are equal)."""
    if scheme.is_circulant:
        return _scaled_mean_variance(scheme, g, c, phase)[..., None]
    if scheme.is_static and scheme.is_symmetric:
        lam, _ = scheme.eigh()
        w = _symmetric_weights(lam, g, c)
        QQ = _squared_eigvecs(scheme)
        return w @ QQ.T
    out = np.empty(g.shape + (scheme.n,))
    for idx in np.ndindex(g.shape):
        out[idx] = np.diag(_lyapunov_scaled_covariance(scheme, float(g[idx]), float(c[idx]), phase))
    return out


def _squared_eigvecs(scheme):
    cache = scheme._cache
    if "QQ" not in cache:
        Q = scheme.eigh()[1]
        QQ = Q * Q
        QQ.setflags(write=False)
        cache["QQ"] = QQ
    return cache["QQ"]


def _scaled_mean_variance(scheme, g, c, phase):
    """(1 - gamma) mean_i Sigma_ii, shape g.shape."""
    if scheme.is_circulant:
        # Mode 0 (consensus) contributes exactly 1; the others (1 - gamma) s_k.
        s_k = _disagreement_mode_variances(scheme, g, c, phase)
        return (1.0 + c * np.sum(s_k, axis=-1)) / scheme.n
    if scheme.is_static and scheme.is_symmetric:
        lam, _ = scheme.eigh()
        return np.mean(_symmetric_weights(lam, g, c), axis=-1)
    return np.mean(_scaled_diagonals(scheme, g, c, phase), axis=-1)


# ------------------------------------------------------------------------------- public API
def effective_neighbors(scheme, gamma=None, *, mode="mean", phase=0, one_minus_gamma=None):
    r"""The effective number of neighbours :math:`n_W(\gamma)` (paper Definition 1, Proposition 2).

    .. math::

        n_W(\gamma) = \frac{1/(1-\gamma)}{\operatorname{mean}_i \Sigma_{ii}}, \qquad
        \Sigma = \sum_{k \ge 1} \gamma^{k-1} W^k (W^T)^k ,

    the ratio of the stationary variance of a lone decaying random walk to that of the gossiping
    one. For symmetric static ``W`` (eq. 6):
    :math:`n_W(\gamma)^{-1} = (1-\gamma)\frac1n\sum_i \lambda_i^2/(1-\gamma\lambda_i^2)`.
    Periodic schemes solve the folded one-period Lyapunov equation at the requested phase (the
    state right after the gossip with :math:`W_{\phi - 1}`); circulant schemes use the DFT;
    infinite graphs integrate over their spectral measure.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
    gamma : float or array_like
        Decay in [0, 1). Omit when passing ``one_minus_gamma``.
    mode : {"mean", "worst", "all"}
        ``"mean"``: the paper's definition (average variance over workers). ``"worst"``: with the
        largest variance (what the theory needs on irregular graphs). ``"all"``: one value per
        worker (adds a trailing axis of length ``n``).
    phase : int
        Phase of a periodic scheme (ignored for static ones).
    one_minus_gamma : float or array_like, optional
        :math:`1 - \gamma` in (0, 1], for full precision as :math:`\gamma \to 1`.

    Returns
    -------
    float or ndarray
        ``1 <= n_W <= n``; a float for scalar ``gamma`` (modes "mean"/"worst").

    Examples
    --------
    >>> from topotheory import ring, torus, fully_connected, solo
    >>> round(float(effective_neighbors(ring(32), 0.0)), 10)  # deg + 1 on a regular graph
    3.0
    >>> round(float(effective_neighbors(torus(4, 8), 0.0)), 10)
    5.0
    >>> effective_neighbors(fully_connected(8), [0.5, 0.99]).round(10)
    array([8., 8.])
    >>> float(effective_neighbors(solo(8), 0.9))
    1.0
    >>> round(float(effective_neighbors(ring(32), 0.99)), 4)
    17.0755
    """
    check_choice("mode", mode, NW_MODES)
    g, c = gamma_pair(gamma, one_minus_gamma)
    scalar = g.ndim == 0
    if isinstance(scheme, InfiniteGraph):
        if mode == "all":
            raise ValueError("mode='all' needs a finite scheme; infinite graphs are vertex transitive, use 'mean'")
        out = 1.0 / (c * scheme.resolvent_mean(None, one_minus_gamma=c))
        return float(out) if scalar else out
    check_scheme(scheme)
    phase = check_int("phase", phase) % scheme.period
    if mode == "mean":
        out = 1.0 / _scaled_mean_variance(scheme, g, c, phase)
        return float(out) if scalar else out
    diag = _scaled_diagonals(scheme, g, c, phase)
    if mode == "worst":
        out = 1.0 / np.max(diag, axis=-1)
        return float(out) if scalar else out
    return np.broadcast_to(1.0 / diag, g.shape + (scheme.n,)).copy()


def random_walk_covariance(scheme, gamma=None, *, phase=0, one_minus_gamma=None):
    r"""Stationary covariance :math:`\Sigma(\gamma)` of the gossiping random walk at a phase.

    Solves :math:`\Sigma^{(t)} = W_{t-1}(\gamma\Sigma^{(t-1)} + I)W_{t-1}^T` over one period (for a
    static scheme the discrete Lyapunov equation :math:`\Sigma = \gamma W\Sigma W^T + WW^T`).

    Parameters
    ----------
    scheme : Scheme
    gamma : float
        Decay in [0, 1) (a scalar).
    phase : int
    one_minus_gamma : float, optional

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> from topotheory import ring
    >>> S = random_walk_covariance(ring(8), 0.5)
    >>> round(float(S[0, 0] * 0.5), 6), bool(abs(S - S.T).max() < 1e-14)
    (0.269179, True)
    """
    g, c = gamma_pair(gamma, one_minus_gamma)
    if g.ndim != 0:
        raise ValueError("gamma must be a scalar for random_walk_covariance")
    check_scheme(scheme)
    g, c = float(g), float(c)
    phase = check_int("phase", phase) % scheme.period
    n = scheme.n
    if scheme.is_static and scheme.is_symmetric and not (scheme.is_circulant and n > 4096):
        lam, Q = scheme.eigh()
        w = _symmetric_weights(lam, np.asarray(g), np.asarray(c)) / c
        return (Q * w) @ Q.T
    return _lyapunov_scaled_covariance(scheme, g, c, phase) / c


# ---------------------------------------------------------------------------------- bounds
def spectral_gap_bound(n, gamma, spectral_gap):
    r"""Spectral-gap bound on :math:`n_W` (paper eq. 11): a lower bound on :math:`n_W`.

    If every non-unit eigenvalue of ``W`` lies in :math:`[0, 1-\alpha]`,

    .. math:: n_W(\gamma)^{-1} \le \frac1n + \frac{n-1}{n}\,\frac{(1-\gamma)(1-\alpha)^2}{1-\gamma(1-\alpha)^2},

    an upper bound on :math:`n_W^{-1}`, so :math:`n_W` is at least the returned value (each term
    :math:`(1-\gamma)\lambda^2/(1-\gamma\lambda^2)` of eq. 6 grows with :math:`\lambda^2`). Tight
    for :func:`~topotheory.mix` (all non-unit eigenvalues equal :math:`1-\alpha`), very pessimistic
    elsewhere: the contrast between the spectral gap and :math:`n_W`. ``n`` may be ``inf``.

    Examples
    --------
    >>> round(float(spectral_gap_bound(32, 0.9, 0.1)), 6)
    3.117182
    """
    if isinstance(n, (bool, np.bool_)) or (
        not (isinstance(n, (int, np.integer)) and n >= 1) and not n == float("inf")
    ):
        raise ValueError(f"n must be a positive integer or inf, got {n!r}")
    g, c = gamma_pair(gamma, None)
    alpha = check_real("spectral_gap", spectral_gap, low=0.0, high=1.0)
    q = (1.0 - alpha) ** 2
    frac = 0.0 if n == float("inf") else 1.0 / n
    inv = frac + (1.0 - frac) * c * q / (1.0 - g * q)
    out = 1.0 / inv
    return float(out) if np.ndim(out) == 0 else out


def spectral_dimension_bound(gamma, *, d_s, c_s, n=float("inf")):
    r"""Lower bound on :math:`n_W(\gamma)` from the spectral dimension (paper eqs. 14-17).

    For a spectral measure with :math:`\sigma((\lambda, 1)) \le c_s^{-1}(1-\lambda)^{d_s/2}`
    (Definition 3):

    * :math:`d_s > 2`: :math:`n_W \ge (1/n + (1-\gamma)/(\gamma(d_s-2)c_s))^{-1}`
    * :math:`d_s = 2`: :math:`n_W \ge (1/n - (1-\gamma)\ln(1-\gamma)/(2\gamma c_s))^{-1}`
    * :math:`d_s < 2`: :math:`n_W \ge (1/n + 4(1-\gamma)^{d_s/2}/(d_s(2-d_s)c_s))^{-1}`

    Examples
    --------
    >>> round(float(spectral_dimension_bound(0.99, d_s=1, c_s=1.0)), 4)
    2.5
    """
    g, c = gamma_pair(gamma, None)
    d_s = check_real("d_s", d_s, low=0.0, low_open=True)
    c_s = check_real("c_s", c_s, low=0.0, low_open=True)
    frac = 0.0 if n == float("inf") else 1.0 / check_int("n", n, minimum=1)
    with np.errstate(divide="ignore"):
        if d_s > 2:
            inv = frac + c / (g * (d_s - 2) * c_s)
        elif d_s == 2:
            inv = frac - c * np.log(c) / (2 * g * c_s)
        else:
            inv = frac + 4 * c ** (d_s / 2) / (d_s * (2 - d_s) * c_s)
    out = np.minimum(1.0 / inv, np.inf)
    return float(out) if np.ndim(out) == 0 else out
