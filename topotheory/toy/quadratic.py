r"""The toy problem of THEORY §3: D-SGD on isotropic random quadratics, computed exactly.

Every worker minimises :math:`f(x) = \mathbb{E}_a \tfrac12 (a^T x)^2 = \tfrac12\|x\|^2` with
:math:`a \sim N(0, I_d)`, takes a stochastic gradient step with a mini-batch of ``b`` fresh samples
and then gossips (row convention, :math:`X \leftarrow W_t X`):

.. math::

    x_i(t+1) = \sum_j (W_t)_{ij}\,\bigl(x_j(t) - \eta\, g_j(x_j(t))\bigr), \qquad
    \zeta = \frac{\mathbb{E}\|g(x)\|^2}{\|x\|^2} = \frac{1 + b + d}{b}.

The Gram matrix :math:`C_{ij}(t) = \mathbb{E}\langle x_i(t), x_j(t)\rangle` follows **exactly**

.. math::

    C(t+1) = W_t\bigl[\,a\,C(t) + \beta\,\mathrm{Diag}\,C(t)\bigr] W_t^T,
    \qquad a = (1-\eta)^2, \quad \beta = (\zeta-1)\eta^2

(called ``b`` in THEORY §3.2; here :math:`\beta` to avoid a clash with the batch size). So
:func:`loss_curve` and :func:`time_to_target` are exact at every step, and the asymptotic rate
:math:`r` with :math:`\mathbb{E}\|x\|^2 \propto (1-r)^t` is :math:`1 - \rho`, :math:`\rho` the Perron
root of that linear map (per step; for a period of length ``p`` the ``p``-th root of the Perron
root of the period product), see :func:`quadratic_rate`.

Routes to :math:`\rho` used by ``method="exact"`` (chosen automatically):

* **circulant schemes** (any period): the Perron vector is translation invariant, each Fourier mode
  evolves on its own, and :math:`\rho` solves a ``p × p`` secular equation (``p = 1``: THEORY §3.3
  route 3) — :math:`O(n p^2)` per evaluation, exact;
* **static symmetric W**: the ``n``-dimensional reduction of THEORY §3.3 route 4 in the eigenbasis
  of ``W``, where the Stein equation is an elementwise division by
  :math:`\rho - a\lambda_l\lambda_m`; walk-regular graphs short-cut to the secular equation;
* **anything else** (non-symmetric or periodic, not circulant): Arnoldi (ARPACK) on the matrix-free
  operator :math:`C \mapsto T(C)` composed over one period.

Numerics: everything is solved for :math:`u = \rho - a` (the excess over the noiseless decay) and
:math:`r = \eta(2-\eta) - u`, so small rates keep their relative precision.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import scipy.optimize as so
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..common.validation import as_float_array, check_choice, check_int, check_real
from ..graphs.scheme import check_scheme
from ..graphs.lattices import InfiniteGraph

__all__ = [
    "RATE_METHODS",
    "RATE_MODES",
    "zeta",
    "loss_curve",
    "time_to_target",
    "quadratic_rate",
    "OptimalLearningRate",
    "optimal_learning_rate",
    "max_learning_rate",
]

RATE_METHODS = ("exact", "secular", "fixed_point")
RATE_MODES = ("worst", "mean")

_EPS = np.finfo(float).eps
#: Largest n for which the static symmetric route builds the reduced matrix K explicitly
#: (batched over learning rates); above it the reduction is applied matrix-free (Lanczos).
_EXPLICIT_K_MAX_N = 64
#: Lanczos subspace size of the matrix-free route.
_NCV = 8
#: Memory budget (float64 entries) of one batch in the explicit route.
_BATCH_ENTRIES = 4_000_000
#: Relative tolerance of the walk-regularity check (constant diagonal of the covariance).
_WALK_REGULAR_RTOL = 1e-11
#: Infinite graphs: roots u = rho - a below this fraction of beta are reported as 0 (r is then exact
#: to far below rounding; the 2-D grid's root can be ~1e-120).
_INFINITE_U_FLOOR = 1e-30
#: Relative agreement of the observed per-period loss ratio with rho^p before time_to_target jumps.
_JUMP_RTOL = 1e-11


# ------------------------------------------------------------------------------------ inputs
def zeta(d, batch_size=1):
    r"""Noise level :math:`\zeta = \mathbb{E}\|g(x)\|^2/\|x\|^2 = (1 + b + d)/b` of the toy problem.

    For the mini-batch gradient :math:`g(x) = \frac1b\sum_{k=1}^b a_k a_k^T x` with
    :math:`a_k \sim N(0, I_d)` (THEORY §3.1); :math:`\zeta = d + 2` for ``b = 1``. Derived
    symbolically (Isserlis' theorem) in :func:`topotheory.symbolic.noise_level`.

    Parameters
    ----------
    d : int
        Model dimension, ``d >= 1``.
    batch_size : int
        Mini-batch size ``b >= 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> zeta(48)
    50.0
    >>> zeta(10, batch_size=4)
    3.75
    """
    d = check_int("d", d, minimum=1)
    b = check_int("batch_size", batch_size, minimum=1)
    return (1.0 + b + d) / b


def _check_lr(lr):
    arr = as_float_array("lr", lr)
    if arr.size and np.any(arr <= 0):
        raise ValueError(f"lr must be > 0 (a positive learning rate), got {arr[arr <= 0].flat[0]!r}")
    return arr


def _check_zeta(value):
    return check_real("zeta", value, low=1.0)


def _coefficients(lr, z):
    """(a, beta, s) with a = (1-lr)^2, beta = (zeta-1) lr^2, s = 1 - a = lr (2 - lr)."""
    a = (1.0 - lr) ** 2
    beta = (z - 1.0) * lr**2
    s = lr * (2.0 - lr)
    return a, beta, s


# ------------------------------------------------------------------------ vectorised solvers
def _illinois(func, lo, hi, flo, fhi, *, rtol=4 * _EPS, maxiter=200):
    """Vectorised Illinois (modified regula falsi) for increasing ``func`` with flo <= 0 <= fhi.

    Returns (x, iterations, |f(x)|). ``func`` maps an array of points to an array of values.
    """
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    flo, fhi = flo.astype(float).copy(), fhi.astype(float).copy()
    x = np.where(fhi == 0, hi, np.where(flo == 0, lo, 0.5 * (lo + hi)))
    fx = np.where(fhi == 0, 0.0, np.where(flo == 0, 0.0, np.nan))
    its = np.zeros(lo.shape, dtype=int)
    side = np.zeros(lo.shape, dtype=int)
    active = (flo < 0) & (fhi > 0) & (hi - lo > rtol * np.abs(hi))
    for _ in range(maxiter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        l, h, fl, fh = lo[idx], hi[idx], flo[idx], fhi[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            xn = (l * fh - h * fl) / (fh - fl)
        bad = ~((xn > l) & (xn < h))
        xn[bad] = 0.5 * (l + h)[bad]
        fn = np.asarray(func(xn, idx), dtype=float)
        its[idx] += 1
        x[idx], fx[idx] = xn, fn
        up = fn >= 0
        # the root is below xn: move hi
        iu = idx[up]
        hi[iu], fhi[iu] = xn[up], fn[up]
        flo[iu] = np.where(side[iu] == 1, 0.5 * flo[iu], flo[iu])
        side[iu] = 1
        idn = idx[~up]
        lo[idn], flo[idn] = xn[~up], fn[~up]
        fhi[idn] = np.where(side[idn] == -1, 0.5 * fhi[idn], fhi[idn])
        side[idn] = -1
        active[idx] = (fn != 0) & (hi[idx] - lo[idx] > rtol * np.abs(hi[idx]))
    return x, its, np.abs(fx)


def _chunks(total, per_item):
    size = max(1, int(_BATCH_ENTRIES // max(per_item, 1)))
    return [slice(i, min(i + size, total)) for i in range(0, total, size)]


# ------------------------------------------------------------------ route: circulant schemes
def _mode_data(scheme):
    """|mu|^2 and 1 - |mu|^2 per (step, Fourier mode) of a circulant scheme, cached."""
    key = "quadratic:modes"
    if key not in scheme._cache:
        absmu = np.minimum(np.abs(scheme.fourier_eigenvalues()), 1.0)
        m = absmu**2
        onem = (1.0 - absmu) * (1.0 + absmu)
        scheme._cache[key] = (m, onem)
    return scheme._cache[key]


def _secular_static(m, onem, a, beta):
    r"""Root u > 0 of :math:`S(u) = \frac{\beta}{n}\sum_k m_k/(u + a(1 - m_k)) = 1` for each lr.

    :math:`1/S` is concave and increasing in u (Cauchy-Schwarz), so Newton's method on
    :math:`1/S - 1` started left of the root (a one-term lower bound) converges monotonically.
    """
    n = m.shape[-1]
    L = a.shape[0]
    u = np.zeros(L)
    its = np.zeros(L, dtype=int)
    res = np.zeros(L)
    for sl in _chunks(L, n):
        aa, bb = a[sl, None], beta[sl, None]
        pos = bb[:, 0] > 0
        # one-term lower bounds: S(u) >= (beta/n) m_k/(u + a(1-m_k)) for every k
        u0 = np.max(bb * m / n - aa * onem, axis=1)
        uc = np.where(pos, np.maximum(u0, 0.0), 0.0)
        active = pos.copy()
        it = np.zeros(uc.shape, dtype=int)
        r = np.zeros(uc.shape)
        for _ in range(200):
            if not active.any():
                break
            i = np.flatnonzero(active)
            den = uc[i, None] + aa[i] * onem
            with np.errstate(divide="ignore", invalid="ignore"):
                q = m / den
                S = bb[i, 0] / n * np.sum(q, axis=1)
                dS = -bb[i, 0] / n * np.sum(q / den, axis=1)
                step = (1.0 / S - 1.0) * S * S / dS
            step = np.where(np.isfinite(step), step, 0.0)
            # started left of the root (S >= 1): Newton steps are >= 0 up to rounding
            unew = uc[i] + step
            unew = np.where(unew > 0, unew, 0.5 * uc[i])
            it[i] += 1
            r[i] = np.abs(S - 1.0)
            done = np.abs(unew - uc[i]) <= 4 * _EPS * np.abs(unew)
            uc[i] = unew
            active[i] = ~done
        u[sl], its[sl], res[sl] = uc, it, r
    return u, its, res


def _periodic_G(m, onem, a, beta, u):
    r"""The ``p × p`` secular matrix of a periodic circulant scheme, batched over lrs.

    With :math:`\rho = a + u`, injection of the diagonal at step ``t`` reaches the diagonal at step
    ``s = t + 1 + j (mod p)`` after ``j`` further steps:
    :math:`G_{st} = \frac{\beta}{n}\sum_k m_{t,k}\,a^j \prod_{v=t+1}^{t+j} m_{v,k}\;
    \rho^{p-1-j} / (\rho^p - a^p \prod_v m_{v,k})`. ``rho`` is the Perron root iff
    :math:`\lambda_{\max}(G) = 1` (matrix determinant lemma on the block-cyclic operator).
    """
    p, n = m.shape
    rho = a + u
    logm = np.log(np.where(m > 0, m, 1.0))
    zero = m <= 0
    # denominator rho^p - a^p prod m = (rho^p - a^p) + a^p (1 - prod m)
    with np.errstate(divide="ignore"):
        prod_all_zero = zero.any(axis=0)
        one_minus_prod = np.where(prod_all_zero, 1.0, -np.expm1(np.sum(logm, axis=0)))
        rp_minus_ap = np.where(a > 0, a**p * np.expm1(p * np.log1p(u / np.where(a > 0, a, 1.0))), u**p)
    den = rp_minus_ap[:, None] + (a**p)[:, None] * one_minus_prod[None, :]  # (L, n)
    G = np.zeros((a.shape[0], p, p))
    for t in range(p):
        path_log = np.zeros(n)
        path_zero = np.zeros(n, dtype=bool)
        for j in range(p):
            s = (t + 1 + j) % p
            if j > 0:
                v = (t + j) % p
                path_log = path_log + logm[v]
                path_zero = path_zero | zero[v]
            w = np.where(path_zero, 0.0, m[t] * np.exp(path_log))  # (n,)
            coef = (a**j) * rho ** (p - 1 - j) * beta / n  # (L,)
            G[:, s, t] = coef * np.sum(w[None, :] / den, axis=1)
    return G


def _secular_periodic(m, onem, a, beta):
    L = a.shape[0]
    u = np.zeros(L)
    pos = beta > 0
    if not pos.any():
        return u, np.zeros(L, dtype=int), np.zeros(L)

    def h(x, idx):
        G = _periodic_G(m, onem, a[idx], beta[idx], x)
        lam = np.max(np.linalg.eigvals(G).real, axis=-1)
        return 1.0 / lam - 1.0

    idx = np.flatnonzero(pos)
    lo = np.zeros(idx.size)
    hi = beta[idx].copy()
    fhi = h(hi, idx)
    x, its, res = _illinois(lambda x, i: h(x, idx[i]), lo, hi, -np.ones(idx.size), fhi)
    u[idx] = x
    it = np.zeros(L, dtype=int)
    it[idx] = its
    r = np.zeros(L)
    r[idx] = res
    return u, it, r


def _circulant_route(scheme, a, beta):
    m, onem = _mode_data(scheme)
    if scheme.period == 1:
        return _secular_static(m[0], onem[0], a, beta)
    return _secular_periodic(m, onem, a, beta)


# ------------------------------------------------------------------ route: infinite graphs
def _infinite_route(graph, a, beta):
    r"""Secular equation over the spectral measure: :math:`1 = (\beta/\rho)\,R(a/\rho)`."""
    L = a.shape[0]
    u = np.zeros(L)
    pos = beta > 0
    idx = np.flatnonzero(pos)
    it = np.zeros(L, dtype=int)
    r = np.zeros(L)
    if idx.size == 0:
        return u, it, r

    def h(x, i):
        j = idx[i]
        rho = a[j] + x
        R = graph.resolvent_mean(None, one_minus_gamma=np.minimum(x / rho, 1.0))
        return rho / (beta[j] * R) - 1.0

    x, its, res = _root_in_log(h, _INFINITE_U_FLOOR * beta[idx], beta[idx].copy(), floor_value=0.0)
    u[idx], it[idx], r[idx] = x, its, res
    return u, it, r


def _root_in_log(h, u_lo, u_hi, *, floor_value=None):
    """Root of ``h`` (increasing in u, h(u_hi) >= 0) on [u_lo, u_hi] by Illinois in log u.

    Rates of infinite graphs put the root anywhere between 1e-300 and 1 (the 2-D grid's is
    exponentially small): a logarithmic variable keeps the iteration count small. Where
    ``h(u_lo) >= 0`` the root lies below ``u_lo``; it is then reported as ``floor_value``
    (default ``u_lo``).
    """
    k = np.arange(u_lo.size)
    flo, fhi = h(u_lo, k), h(u_hi, k)
    below = flo >= 0
    t, its, res = _illinois(lambda t, i: h(np.exp(t), i), np.log(u_lo), np.log(u_hi),
                            np.where(below, -1.0, flo), fhi)
    x = np.exp(t)
    x = np.where(below, u_lo if floor_value is None else floor_value, x)
    return x, its + 2, np.where(below, u_lo / u_hi, res)  # below: |u - root| <= u_lo


# ------------------------------------------------------------ route: static symmetric W
def _eigen_data(scheme):
    key = "quadratic:eigen"
    if key not in scheme._cache:
        lam, Q = scheme.eigh()
        onel = np.maximum(1.0 - lam, 0.0)
        LL = np.outer(lam, lam)
        oneLL = np.maximum(onel[:, None] + lam[:, None] * onel[None, :], 0.0)  # 1 - lam_l lam_m
        lam2 = lam**2
        onel2 = np.maximum(onel * (1.0 + lam), 0.0)  # 1 - lam^2
        QQ = Q * Q
        scheme._cache[key] = dict(lam=lam, Q=Q, LL=LL, oneLL=oneLL, lam2=lam2, onel2=onel2, QQ=QQ)
    return scheme._cache[key]


def _row_sums(E, a, beta, u):
    """Row sums of the scaled reduced matrix, (beta/rho) diag Sigma(a/rho), shape (L, n)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = beta[:, None] * E["lam2"] / (u[:, None] + a[:, None] * E["onel2"])
    return np.nan_to_num(w, nan=0.0) @ E["QQ"].T


def _explicit_K(E, a, beta, u):
    """The reduced matrices K(u)_ij = sum_lm H_lm Q_il Q_jl Q_im Q_jm, H = beta LL/(u + a(1-LL))."""
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    n = Q.shape[0]
    if "R2" not in E:
        iu, ju = np.triu_indices(n)
        E["R2"] = (Q[iu] * Q[ju], iu, ju)  # rows i <= j only: K is symmetric
    R2, iu, ju = E["R2"]
    L = a.shape[0]
    H = beta[:, None, None] * LL / (u[:, None, None] + a[:, None, None] * oneLL)  # (L, n, n)
    Hs = H.transpose(1, 0, 2).reshape(n, L * n)
    Z = (R2 @ Hs).reshape(R2.shape[0], L, n)
    vals = np.einsum("pjm,pm->jp", Z, R2, optimize=True)
    K = np.empty((L, n, n))
    K[:, iu, ju] = vals
    K[:, ju, iu] = vals
    return K, H


def _dmu_du(E, a, beta, u, v):
    """Hellmann-Feynman derivative of lambda_max(K(u)) given unit eigenvectors v, shape (L, n)."""
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    den = u[:, None, None] + a[:, None, None] * oneLL
    dH = -beta[:, None, None] * LL / den**2
    Y = np.einsum("il,ji,im->jlm", Q, v, Q, optimize=True)
    return np.sum(dH * Y * Y, axis=(1, 2))


def _eigen_route(scheme, a, beta, u_lo):
    r"""Static symmetric W: root of :math:`\lambda_{\max}(K(u)) = 1` (n-dimensional reduction).

    ``u_lo`` is the secular ("mean") root, a proven lower bound. Safeguarded Newton on
    :math:`h(u) = 1/\lambda_{\max} - 1` with Hellmann-Feynman derivatives; upper bracket
    :math:`u \le \beta` (:math:`\rho \le a + \beta`).
    """
    E = _eigen_data(scheme)
    n = E["Q"].shape[0]
    L = a.shape[0]
    u = u_lo.copy()
    its = np.zeros(L, dtype=int)
    res = np.zeros(L)
    conv = np.ones(L, dtype=bool)
    todo = np.flatnonzero(beta > 0)
    if todo.size == 0:
        return u, its, res, conv
    if n <= _EXPLICIT_K_MAX_N:
        for sl in _chunks(todo.size, n**3):
            idx = todo[sl]
            out = _newton_explicit(E, a[idx], beta[idx], u_lo[idx])
            u[idx], its[idx], res[idx], conv[idx] = out
    else:
        for j in todo:
            out = _newton_matrix_free(E, float(a[j]), float(beta[j]), float(u_lo[j]))
            u[j], its[j], res[j], conv[j] = out
    return u, its, res, conv


def _newton_step(u, h, dh, lo, hi):
    """Safeguarded Newton: bracket update from the sign of h, bisection when Newton leaves it."""
    lo = np.where(h <= 0, np.maximum(lo, u), lo)
    hi = np.where(h >= 0, np.minimum(hi, u), hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        un = u - h / dh
    bad = ~np.isfinite(un) | (un <= lo) | (un >= hi)
    un = np.where(bad, 0.5 * (lo + hi), un)
    return un, lo, hi


def _perron_pairs(K):
    """Largest eigenvalue and unit eigenvector of a batch of symmetric non-negative matrices.

    ``eigvalsh`` for the eigenvalue, then one step of shifted inverse iteration from the positive
    vector for the eigenvector (only needed for derivatives). Much faster than batched ``eigh``
    with eigenvectors for small matrices (no threaded back-transformation).
    """
    K = np.ascontiguousarray(K)
    n = K.shape[-1]
    mu = np.linalg.eigvalsh(K)[:, -1]
    shift = mu * (1.0 + 1e-9) + 1e-300
    A = K - shift[:, None, None] * np.eye(n)
    v = np.ones(K.shape[:-1])
    for _ in range(2):
        v = np.linalg.solve(A, v[..., None])[..., 0]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    v *= np.sign(np.sum(v, axis=1, keepdims=True) + 1e-300)
    return mu, v


def _newton_explicit(E, a, beta, u_lo):
    L = a.shape[0]
    u = u_lo.copy()
    lo, hi = u_lo.copy(), beta.copy()
    its = np.zeros(L, dtype=int)
    res = np.full(L, np.inf)
    active = np.ones(L, dtype=bool)
    for _ in range(100):
        if not active.any():
            break
        i = np.flatnonzero(active)
        K, _ = _explicit_K(E, a[i], beta[i], u[i])
        mu, v = _perron_pairs(K)
        h = 1.0 / mu - 1.0
        dh = -_dmu_du(E, a[i], beta[i], u[i], v) / mu**2
        un, lo[i], hi[i] = _newton_step(u[i], h, dh, lo[i], hi[i])
        its[i] += 1
        res[i] = np.abs(mu - 1.0)
        # quadratic convergence: a Newton step below 1e-10 leaves an error far below rounding
        newton = np.isfinite(dh) & (un == u[i] - h / dh)
        done = ((np.abs(un - u[i]) <= 1e-10 * np.abs(un)) & newton) | (h == 0) | (hi[i] - lo[i] <= 4 * _EPS * hi[i])
        u[i] = np.where(h == 0, u[i], un)
        active[i] = ~done
    return u, its, res, ~active


def _newton_matrix_free(E, a, beta, u_lo):
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    n = Q.shape[0]
    u, lo, hi = u_lo, u_lo, beta
    v = np.full(n, 1.0 / math.sqrt(n))
    res = np.inf
    tol = 1e-8  # loose while far from the root, tight close to it
    for it in range(1, 101):
        H = beta * LL / (u + a * oneLL)

        def matvec(x, H=H):
            x = np.ravel(x)
            Y = (Q.T * x) @ Q
            return np.sum((Q @ (H * Y)) * Q, axis=1)

        op = spla.LinearOperator((n, n), matvec=matvec, dtype=float)
        w, V = spla.eigsh(op, k=1, which="LA", v0=v, tol=tol, ncv=min(n, _NCV))
        mu, v = float(w[0]), V[:, 0] * np.sign(V[:, 0].sum() or 1.0)
        h = 1.0 / mu - 1.0
        Y = (Q.T * v) @ Q
        dmu = float(np.sum(-beta * LL / (u + a * oneLL) ** 2 * Y * Y))
        dh = -dmu / mu**2
        res = abs(mu - 1.0)
        prev_tight = tol <= 1e-14
        tol = 1e-14 if res < 1e-5 else 1e-8
        un, lo, hi = (float(x) for x in _newton_step(np.array(u), np.array(h), np.array(dh), np.array(lo), np.array(hi)))
        if h == 0 or (abs(un - u) <= 1e-10 * abs(un) and prev_tight) or hi - lo <= 4 * _EPS * hi:
            return (u if h == 0 else un), it, res, True
        u = un
    return u, it, res, False


def _walk_regular(E, a, beta, u):
    """True where the scaled covariance diagonal is constant: the secular root is then exact."""
    d = _row_sums(E, a, beta, u)
    return np.max(np.abs(d - 1.0), axis=1) <= _WALK_REGULAR_RTOL


# -------------------------------------------------------------------- route: Arnoldi (general)
def _apply_T(scheme, C, a, beta, t):
    X = a * C
    X[np.diag_indices_from(X)] += beta * np.diagonal(C)
    if scheme.is_sparse(t):
        W = scheme.sparse_matrix(t)
        return np.asarray((W @ np.asarray((W @ X).T)).T)
    W = scheme.matrix(t)
    return W @ X @ W.T


def _arnoldi_route(scheme, a, beta):
    n, p = scheme.n, scheme.period
    L = a.shape[0]
    u = np.zeros(L)
    its = np.zeros(L, dtype=int)
    res = np.zeros(L)
    conv = np.ones(L, dtype=bool)
    for j in range(L):
        aj, bj = float(a[j]), float(beta[j])
        count = [0]

        def matvec(x, aj=aj, bj=bj):
            C = np.array(np.ravel(x).reshape(n, n))
            for t in range(p):
                C = _apply_T(scheme, C, aj, bj, t)
            count[0] += 1
            return C.ravel()

        N = n * n
        if N <= 36:
            M = np.column_stack([matvec(e) for e in np.eye(N)])
            vals, vecs = np.linalg.eig(M)
            k = int(np.argmax(np.abs(vals)))
            lam, vec = vals[k], vecs[:, k]
        else:
            op = spla.LinearOperator((N, N), matvec=matvec, dtype=float)
            try:
                vals, vecs = spla.eigs(op, k=1, which="LM", v0=np.ones(N), tol=1e-14, ncv=min(N - 1, 40), maxiter=5000)
                lam, vec = vals[0], vecs[:, 0]
            except spla.ArpackNoConvergence as exc:
                conv[j] = False
                if len(exc.eigenvalues):
                    lam, vec = exc.eigenvalues[0], exc.eigenvectors[:, 0]
                else:
                    lam, vec = np.nan, np.full(N, np.nan)
        rho_p = abs(lam)
        its[j] = count[0]
        if np.all(np.isfinite(vec)) and rho_p > 0:
            res[j] = float(np.linalg.norm(matvec(vec) - lam * vec) / (rho_p * np.linalg.norm(vec)))
        u[j] = rho_p ** (1.0 / p) - aj
    return u, its, res, conv


# ------------------------------------------------------------------ route: fixed point (eq. 7)
def _fixed_point_route(scheme, a, beta, mode):
    r"""Paper eq. (7): :math:`\rho = a + \beta / n_W(a/\rho)`, solved as a bracketed root in u."""
    from ..metrics.randomwalk import effective_neighbors

    L = a.shape[0]
    u = np.zeros(L)
    it = np.zeros(L, dtype=int)
    r = np.zeros(L)
    idx = np.flatnonzero(beta > 0)
    if idx.size == 0:
        return u, it, r
    infinite = isinstance(scheme, InfiniteGraph)
    phases = range(1 if infinite else scheme.period)
    nw_mode = "mean" if infinite else mode

    def nw(c):
        vals = np.array([np.atleast_1d(effective_neighbors(scheme, mode=nw_mode, phase=ph, one_minus_gamma=c))
                         if not infinite else np.atleast_1d(effective_neighbors(scheme, one_minus_gamma=c))
                         for ph in phases])
        if mode == "worst":
            return np.min(vals, axis=0)
        return 1.0 / np.mean(1.0 / vals, axis=0)

    def h(x, i):
        j = idx[i]
        c = np.minimum(x / (a[j] + x), 1.0)
        return x * nw(c) / beta[j] - 1.0

    # n_W <= n: the root is at least beta/n (h(beta/n) <= 0); infinite graphs have no such floor
    floor = _INFINITE_U_FLOOR * beta[idx] if infinite else beta[idx] / scheme.n
    x, its, res = _root_in_log(h, floor, beta[idx].copy(), floor_value=0.0 if infinite else None)
    u[idx], it[idx], r[idx] = x, its, res
    return u, it, r


# --------------------------------------------------------------------------- dispatcher
def _solve(scheme, lr, z, method="exact", mode="worst"):
    """u = rho - a for each lr (1-D array) and a diagnostics dict; no validation here."""
    a, beta, s = _coefficients(lr, z)
    L = lr.shape[0]
    conv = np.ones(L, dtype=bool)
    infinite = isinstance(scheme, InfiniteGraph)
    if method == "fixed_point":
        u, its, res = _fixed_point_route(scheme, a, beta, mode)
        route = "fixed_point"
    elif infinite:
        u, its, res = _infinite_route(scheme, a, beta)
        route = "secular-spectral-measure"
    elif scheme.is_circulant:
        u, its, res = _circulant_route(scheme, a, beta)
        route = "secular-fourier" if scheme.period == 1 else "secular-fourier-periodic"
    elif scheme.is_static and scheme.is_symmetric:
        E = _eigen_data(scheme)
        u, its, res = _secular_static(E["lam2"], E["onel2"], a, beta)
        regular = _walk_regular(E, a, beta, u) | (beta == 0)
        if method == "secular":
            if not regular.all():
                raise ValueError(
                    f"method='secular' applies to vertex-transitive (walk-regular) graphs, circulant schemes and "
                    f"infinite graphs; {scheme!r} has unequal worker variances. Use method='exact'"
                )
            route = "secular-eigen"
        else:
            route = "secular-eigen" if regular.all() else "eigen-reduction"
            irregular = np.flatnonzero(~regular)
            if irregular.size:
                u2, its2, res2, conv2 = _eigen_route(scheme, a[irregular], beta[irregular], u[irregular])
                u[irregular], its[irregular], res[irregular], conv[irregular] = u2, its[irregular] + its2, res2, conv2
    else:
        if method == "secular":
            kind = "periodic" if not scheme.is_static else "non-symmetric"
            raise ValueError(
                f"method='secular' does not apply to {scheme!r} ({kind} and not circulant); use method='exact'"
            )
        u, its, res, conv = _arnoldi_route(scheme, a, beta)
        route = "arnoldi"
    rho = a + u
    r = s - u
    info = {
        "method": route,
        "rho": rho,
        "iterations": its,
        "residual": res,
        "converged": conv,
        "diverged": ~(r > 0),
    }
    return r, info


def _scheme_or_graph(scheme):
    if isinstance(scheme, InfiniteGraph):
        return scheme
    return check_scheme(scheme)


def quadratic_rate(scheme, *, lr, zeta, method="exact", mode="worst", log=False):
    r"""Asymptotic convergence rate :math:`r` of D-SGD on the toy problem: :math:`\mathbb{E}\|x\|^2 \propto (1-r)^t`.

    :math:`1 - r = \rho`, the Perron root (per step) of the second-moment map
    :math:`T_t(C) = W_t[aC + \beta\,\mathrm{Diag}\,C]W_t^T` with :math:`a = (1-\eta)^2`,
    :math:`\beta = (\zeta-1)\eta^2` (THEORY §3.3); for a period of length ``p``,
    :math:`\rho = \rho(T_{p-1}\circ\dots\circ T_0)^{1/p}`.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
        Infinite graphs (:func:`~topotheory.infinite_ring`, ...) use the secular equation.
    lr : float or array_like
        Learning rates :math:`\eta > 0`.
    zeta : float
        Noise level :math:`\zeta \ge 1` (see :func:`zeta`).
    method : {"exact", "secular", "fixed_point"}
    mode : {"worst", "mean"}
        Effective-neighbours mode for ``method="fixed_point"`` (ignored otherwise).
    log : bool
        Also return a diagnostics dict: ``method`` (the route used), ``rho``, ``iterations``,
        ``residual`` (:math:`|\lambda - 1|` of the secular/reduced equation, or the relative
        eigen-residual for Arnoldi; for infinite graphs whose root :math:`u = \rho - a` lies below
        :math:`10^{-30}\beta`, where ``u = 0`` is reported, that bound :math:`10^{-30}`),
        ``converged`` and ``diverged`` flags.

    Returns
    -------
    r : float or ndarray
        NaN where divergent (:math:`\rho \ge 1`).
    log : dict, only with ``log=True``

    Raises
    ------
    ValueError
        ``lr <= 0`` or non-finite, ``zeta < 1``, unknown method/mode, or ``"secular"`` on a scheme
        where it is not exact.

    Notes
    -----
    Methods:

    ``"exact"`` (default)
        The Perron root for any scheme. Circulant schemes (any period) solve the exact Fourier
        secular equation; static symmetric ``W`` use the ``n``-dimensional reduction
        :math:`\rho = \beta\,\lambda_{\max}(K(a/\rho))`,
        :math:`K(\gamma)_{ij} = \sum_{k\ge1}\gamma^{k-1}((W^k)_{ij})^2`, applied in the eigenbasis of
        ``W`` (explicitly and batched over learning rates for ``n <= 64``, matrix-free Lanczos above);
        anything else uses Arnoldi on the matrix-free map. Never builds the :math:`n^2 \times n^2`
        matrix.
    ``"secular"``
        :math:`1 = \frac{\beta}{n}\sum_k \frac{m_k}{\rho - a m_k}` with :math:`m_k = \lambda_k^2`
        (:math:`|\mu_k|^2` for non-symmetric circulants), over the spectral measure for infinite
        graphs, and its ``p × p`` generalisation (per-mode period products) for periodic circulant
        schemes. Exact iff every worker has the same variance (vertex-transitive or walk-regular
        graphs); a ValueError otherwise.
    ``"fixed_point"``
        The paper's eq. (7), :math:`r = 1 - (1-\eta)^2 - (\zeta-1)\eta^2/n_W(\gamma)` with
        :math:`\gamma = (1-\eta)^2/(1-r)`, solved as a bracketed root, with ``n_W`` in the given
        ``mode`` (for a periodic scheme: the worst over phases for ``"worst"``, the phase average of
        :math:`n_W^{-1}` for ``"mean"``). Exact when all workers and phases share one variance.

    Bounds (proof). Write :math:`\rho = \beta\,\lambda(a/\rho)` for each method, where
    :math:`\lambda(\gamma)` is respectively :math:`\lambda_{\max}(K(\gamma))` (exact),
    :math:`\max_i (K\mathbf 1)_i` ("worst") and :math:`\operatorname{mean}_i (K\mathbf 1)_i`
    ("mean"); :math:`(K(\gamma)\mathbf 1)_i = \Sigma_{ii}(\gamma)`, the random-walk variance, so the
    latter two are eq. (7). Each :math:`\lambda(\gamma)` increases with :math:`\gamma = a/\rho`,
    hence each right side decreases in :math:`\rho` and a larger :math:`\lambda` gives a larger root.
    For a non-negative matrix the Perron root is at most the largest row sum, so
    :math:`\rho_{\text{exact}} \le \rho_{\text{worst}}`, i.e. **"worst" is a lower bound of the
    rate** — for every scheme (for periodic schemes the reduced matrix is ``np × np`` and its row
    sums are the variances at every phase). For symmetric static ``W``, ``K`` is symmetric and
    :math:`\operatorname{mean}_i (K\mathbf 1)_i = \mathbf 1^T K \mathbf 1/n \le \lambda_{\max}(K)`
    (Rayleigh quotient), so **"mean" is an upper bound of the rate**. Both are equalities when the
    variances are equal (vertex-transitive graphs). For non-symmetric or periodic schemes "mean" is
    not a bound in general (e.g. local steps).

    Examples
    --------
    Alone, :math:`r = 2\eta - \zeta\eta^2`; fully connected, :math:`r = 2\eta - \eta^2(1 + (\zeta-1)/n)`:

    >>> from topotheory import solo, fully_connected, ring, star
    >>> round(quadratic_rate(solo(4), lr=0.01, zeta=50), 12)
    0.015
    >>> round(quadratic_rate(fully_connected(4), lr=0.01, zeta=50), 12)
    0.018675
    >>> round(quadratic_rate(ring(32), lr=0.05, zeta=50), 6)
    0.091202
    >>> r, info = quadratic_rate(star(8), lr=[0.02, 0.5], zeta=50, log=True)
    >>> r.round(6), info["method"], info["diverged"].tolist()
    (array([0.037022,      nan]), 'eigen-reduction', [False, True])
    """
    scheme = _scheme_or_graph(scheme)
    check_choice("method", method, RATE_METHODS)
    check_choice("mode", mode, RATE_MODES)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    flat = np.atleast_1d(lr_arr).ravel()
    r, info = _solve(scheme, flat, z, method, mode)
    if not np.all(info["converged"]):
        warnings.warn(f"quadratic_rate: the {info['method']} solver did not converge for "
                      f"{int(np.sum(~info['converged']))} learning rate(s); see log=True diagnostics",
                      RuntimeWarning, stacklevel=2)
    out = np.where(r > 0, r, np.nan)
    if lr_arr.ndim == 0:
        value = float(out[0])
        info = {k: (v if isinstance(v, str) else v[0].item()) for k, v in info.items()}
    else:
        value = out.reshape(lr_arr.shape)
        info = {k: (v if isinstance(v, str) else v.reshape(lr_arr.shape)) for k, v in info.items()}
    return (value, info) if log else value


# ----------------------------------------------------------------------- exact loss curves
class _SecondMoments:
    """Exact second-moment recursion for a batch of learning rates.

    Circulant schemes started from a circulant Gram matrix (the default all-ones start) evolve in
    the Fourier basis: per mode, :math:`\\hat c_k \\leftarrow m_{t,k}(a\\hat c_k + \\beta s)`, with
    :math:`s = \\operatorname{mean}_k \\hat c_k = C_{ii}` — :math:`O(n)` per step. Otherwise the
    ``(L, n, n)`` Gram matrices are propagated with dense or sparse products.
    """

    def __init__(self, scheme, a, beta, initial):
        self.scheme = scheme
        self.a, self.beta = a, beta
        n = scheme.n
        self.fourier = scheme.is_circulant and initial is None
        if self.fourier:
            self.m = _mode_data(scheme)[0]
            self.c = np.zeros((a.shape[0], n))
            self.c[:, 0] = n
        else:
            C0 = np.ones((n, n)) if initial is None else initial
            self.C = np.broadcast_to(C0, (a.shape[0], n, n)).copy()

    def loss(self):
        with np.errstate(over="ignore", invalid="ignore"):
            if self.fourier:
                out = 0.5 * np.mean(self.c, axis=1)
            else:
                out = np.einsum("jii->j", self.C) / (2.0 * self.scheme.n)
        return np.where(np.isnan(out), np.inf, out)  # NaN only arises from overflow (inf - inf)

    def step(self, t):
        with np.errstate(over="ignore", invalid="ignore"):
            self._step(t)

    def _step(self, t):
        a, beta = self.a, self.beta
        if self.fourier:
            s = np.mean(self.c, axis=1, keepdims=True)
            self.c = self.m[t % self.m.shape[0]] * (a[:, None] * self.c + beta[:, None] * s)
            return
        X = a[:, None, None] * self.C
        n = self.scheme.n
        idx = np.arange(n)
        X[:, idx, idx] += beta[:, None] * self.C[:, idx, idx]
        t = t % self.scheme.period
        if self.scheme.is_sparse(t):
            W = self.scheme.sparse_matrix(t)
            L = X.shape[0]
            Y = W @ X.transpose(1, 0, 2).reshape(n, L * n)  # rows: W X_j
            Y = Y.reshape(n, L, n).transpose(2, 1, 0).reshape(n, L * n)  # (W X_j)^T stacked
            Z = W @ Y
            self.C = Z.reshape(n, L, n).transpose(1, 2, 0)
        else:
            W = self.scheme.matrix(t)
            self.C = np.matmul(np.matmul(W, X), W.T)

    def keep(self, mask):
        self.a, self.beta = self.a[mask], self.beta[mask]
        if self.fourier:
            self.c = self.c[mask]
        else:
            self.C = self.C[mask]


def _check_initial(scheme, initial):
    if initial is None:
        return None
    C0 = np.asarray(initial, dtype=float) if not sp.issparse(initial) else initial.toarray()
    n = scheme.n
    if C0.shape != (n, n):
        raise ValueError(f"initial must be the ({n}, {n}) Gram matrix E<x_i(0), x_j(0)>, got shape {C0.shape}")
    if not np.all(np.isfinite(C0)):
        raise ValueError("initial must have finite entries")
    scale = max(1.0, np.max(np.abs(C0)))
    if np.max(np.abs(C0 - C0.T)) > 1e-12 * scale:
        raise ValueError("initial must be symmetric (a Gram matrix)")
    if np.linalg.eigvalsh(0.5 * (C0 + C0.T))[0] < -1e-10 * scale:
        raise ValueError("initial must be positive semidefinite (a Gram matrix E<x_i(0), x_j(0)>)")
    return C0


def loss_curve(scheme, *, lr, zeta, steps, initial=None):
    r"""Exact expected mean loss :math:`\frac{1}{2n}\sum_i C_{ii}(t)` for ``t = 0..steps``.

    Iterates :math:`C(t+1) = W_t[aC(t) + \beta\,\mathrm{Diag}\,C(t)]W_t^T` (THEORY §3.2; exact at
    every step, not only asymptotically), with :math:`a = (1-\eta)^2`, :math:`\beta = (\zeta-1)\eta^2`.
    Sparse gossip matrices are multiplied sparsely; circulant schemes from the default start run in
    the Fourier basis (:math:`O(n)` per step).

    Parameters
    ----------
    scheme : Scheme
    lr : float or array_like
        Learning rate(s) > 0; an array gives one curve per learning rate.
    zeta : float
        Noise level >= 1.
    steps : int
        Number of steps, >= 0.
    initial : (n, n) array_like, optional
        Gram matrix :math:`C(0) = \mathbb{E}\langle x_i(0), x_j(0)\rangle` (symmetric). Default: all
        ones (every worker starts at the same :math:`x_0` with :math:`\|x_0\|^2 = 1`), so the loss
        starts at 0.5.

    Returns
    -------
    ndarray
        Shape ``(steps + 1,)``, or ``(len(lr), steps + 1)`` for an array of learning rates.

    Examples
    --------
    Alone the loss is :math:`\tfrac12(1 - 2\eta + \zeta\eta^2)^t`:

    >>> from topotheory import solo, ring
    >>> loss_curve(solo(3), lr=0.1, zeta=10, steps=2)
    array([0.5  , 0.45 , 0.405])
    >>> round(float(loss_curve(ring(16), lr=0.05, zeta=50, steps=100)[-1]), 10)
    5.93765e-05
    """
    scheme = check_scheme(scheme)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    steps = check_int("steps", steps, minimum=0)
    C0 = _check_initial(scheme, initial)
    flat = np.atleast_1d(lr_arr).ravel()
    a, beta, _ = _coefficients(flat, z)
    rec = _SecondMoments(scheme, a, beta, C0)
    out = np.empty((flat.size, steps + 1))
    out[:, 0] = rec.loss()
    for t in range(steps):
        rec.step(t)
        out[:, t + 1] = rec.loss()
    return out[0] if lr_arr.ndim == 0 else out.reshape(lr_arr.shape + (steps + 1,))


def time_to_target(scheme, *, lr, zeta, target, initial=None, max_steps=10**6):
    r"""Number of steps until the exact expected mean loss first falls below ``target``.

    Runs the exact recursion of :func:`loss_curve` for all learning rates at once (finished ones
    leave the batch). Once the observed loss ratio over one period agrees with :math:`\rho^p` from
    :func:`quadratic_rate` to a relative :math:`10^{-11}` — the state is then the Perron direction
    up to that precision — the remaining steps are counted in closed form,
    :math:`\ell(t + kp) = \rho^{kp}\ell(t)`, instead of being iterated (exact up to a relative error
    of that order in the loss at the crossing). A learning rate whose loss settles into a ratio
    :math:`\ge 1` returns ``inf`` at once.

    Parameters
    ----------
    scheme : Scheme
    lr : float or array_like
        Learning rate(s) > 0.
    zeta : float
        Noise level >= 1.
    target : float
        Loss level > 0.
    initial : (n, n) array_like, optional
        Start Gram matrix (default all ones, loss 0.5).
    max_steps : int
        Give up after this many steps (the result is then ``inf``).

    Returns
    -------
    float or ndarray
        Steps (integer-valued floats); ``inf`` if the loss never gets below ``target`` within
        ``max_steps`` (in particular when divergent).

    Examples
    --------
    >>> from topotheory import solo, ring, fully_connected
    >>> time_to_target(solo(4), lr=0.1, zeta=10, target=0.01)  # 0.5 * 0.9**t < 0.01
    38.0
    >>> time_to_target(ring(32), lr=[0.02, 0.05, 0.5], zeta=50, target=0.01)
    array([101.,  45.,  inf])
    """
    scheme = check_scheme(scheme)
    lr_arr = _check_lr(lr)
    z = _check_zeta(zeta)
    target = check_real("target", target, low=0.0, low_open=True)
    max_steps = check_int("max_steps", max_steps, minimum=0)
    C0 = _check_initial(scheme, initial)
    flat = np.atleast_1d(lr_arr).ravel()
    L = flat.size
    a, beta, _ = _coefficients(flat, z)
    p = scheme.period
    _, info = _solve(scheme, flat, z)
    rho_p = info["rho"] ** p
    result = np.full(L, np.inf)
    ids = np.arange(L)
    rec = _SecondMoments(scheme, a, beta, C0)
    hist = np.full((L, p + 1), np.nan)  # losses at t-p..t
    hist[:, -1] = rec.loss()
    streak = np.zeros(L, dtype=int)
    hit = hist[:, -1] < target
    result[hit] = 0.0
    keep = ~hit
    ids, hist, streak, rp = ids[keep], hist[keep], streak[keep], rho_p[keep]
    rec.keep(keep)
    t = 0
    while ids.size and t < max_steps:
        rec.step(t)
        t += 1
        hist = np.roll(hist, -1, axis=1)
        hist[:, -1] = rec.loss()
        done = hist[:, -1] < target
        result[ids[done]] = t
        done |= ~np.isfinite(hist[:, -1])  # overflowed: diverging, never below the target
        if t >= p:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = hist[:, -1] / hist[:, 0]
            match = np.abs(ratio - rp) <= _JUMP_RTOL * rp
            streak = np.where(match, streak + 1, 0)
            jump = ~done & (streak >= max(2, p))
            if jump.any():
                j = np.flatnonzero(jump)
                grow = rp[j] >= 1
                tau = np.full(j.size, np.inf)
                last = hist[j][:, 1:]  # losses at t-p+1..t
                offs = np.arange(p - 1, -1, -1)  # t - offs = the step of each column
                with np.errstate(divide="ignore", invalid="ignore"):
                    x = np.log(target / last) / np.log(rp[j][:, None])
                k = np.maximum(np.floor(x) + 1, 1)
                cand = t - offs[None, :] + p * k
                tau = np.where(grow, np.inf, np.min(cand, axis=1))
                tau = np.where(tau > max_steps, np.inf, tau)
                result[ids[j]] = tau
                done = done | jump
        keep = ~done
        if not keep.all():
            ids, hist, streak, rp = ids[keep], hist[keep], streak[keep], rp[keep]
            rec.keep(keep)
    return float(result[0]) if lr_arr.ndim == 0 else result.reshape(lr_arr.shape)


# ------------------------------------------------------------------ optimal learning rates
@dataclasses.dataclass(frozen=True)
class OptimalLearningRate:
    r"""The optimal learning rate of the toy problem and the quantities at the optimum.

    Attributes
    ----------
    lr : float
        :math:`\eta^* = \arg\max_\eta r(\eta)`.
    rate : float
        :math:`r^* = r(\eta^*)`.
    gamma : float
        Operating decay :math:`\gamma^* = (1-\eta^*)^2/(1-r^*)`.
    effective_neighbors : float
        :math:`n_W(\gamma^*)`, "mean" mode. For a periodic scheme, whose :math:`n_W` depends on
        the phase, the harmonic mean over the phases (the inverse of the phase-averaged
        :math:`n_W^{-1}`), so that no single phase (e.g. right after an exact average) stands for
        the whole period.
    n_equivalent : float
        :math:`\eta^*(\zeta-1)/(1-\eta^*)`: the number of fully connected workers with the same
        optimal learning rate (1 alone, ``n`` fully connected).
    zeta : float
        The noise level used.
    max_lr : float
        The stability edge (:func:`max_learning_rate`).
    """

    lr: float
    rate: float
    gamma: float
    effective_neighbors: float
    n_equivalent: float
    zeta: float
    max_lr: float


def _rate_raw(scheme, lrs, z):
    r, _ = _solve(scheme, np.atleast_1d(np.asarray(lrs, dtype=float)), z)
    return r


def _n_of(scheme):
    return math.inf if isinstance(scheme, InfiniteGraph) else scheme.n


def max_learning_rate(scheme, *, zeta):
    r"""The stability edge: the largest learning rate with a positive rate :math:`r > 0`.

    Bracketed between the two closed forms :math:`2/\zeta` (alone; every doubly stochastic scheme
    is at least as fast, :math:`\rho \le a + \beta`) and :math:`2n/(n + \zeta - 1)` (fully
    connected; no scheme is faster, :math:`\rho \ge a + \beta/n`), then refined with Brent's method
    on the exact rate. ``zeta = 1`` (noiseless) gives 2.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
    zeta : float
        Noise level >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> from topotheory import solo, fully_connected, ring, infinite_ring
    >>> round(max_learning_rate(solo(8), zeta=50), 12), round(max_learning_rate(fully_connected(8), zeta=50), 12)
    (0.04, 0.280701754386)
    >>> round(max_learning_rate(ring(32), zeta=50), 6), round(max_learning_rate(infinite_ring(), zeta=50), 6)
    (0.164879, 0.164879)
    """
    scheme = _scheme_or_graph(scheme)
    z = _check_zeta(zeta)
    return _max_lr(scheme, z)


def _max_lr(scheme, z):
    if z == 1.0:
        return 2.0
    n = _n_of(scheme)
    lo = 2.0 / z
    hi = 2.0 if math.isinf(n) else 2.0 * n / (n + z - 1.0)
    if hi <= lo:
        return lo
    grid = np.linspace(lo, hi, 17)
    r = _rate_raw(scheme, grid, z)
    positive = np.flatnonzero(r > 0)
    if positive.size == 0:
        return lo
    k = int(positive[-1])
    if k == grid.size - 1:
        return hi
    f = lambda x: float(_rate_raw(scheme, [x], z)[0])  # noqa: E731
    return float(so.brentq(f, grid[k], grid[k + 1], xtol=1e-15 * grid[k], rtol=4 * _EPS, maxiter=200))


def optimal_learning_rate(scheme, *, zeta):
    r"""The learning rate maximising the exact rate, and the operating point it implies.

    :math:`\eta^* = \arg\max_{0 < \eta < \eta_{\max}} r(\eta)` (THEORY §3.3 item 5): a grid over
    ``(0, max_learning_rate)``, bounded Brent maximisation around the best grid point, then Newton
    steps on :math:`r'(\eta) = 0` with five-point central differences (relative accuracy about
    :math:`10^{-10}`). Closed forms: alone :math:`\eta^* = r^* = 1/\zeta`; fully connected
    :math:`\eta^* = r^* = n/(n + \zeta - 1)` (see :mod:`topotheory.symbolic`). Decentralized
    averaging moves :math:`\eta^*` from the first towards the second as :math:`n_W(\gamma^*)` grows.

    Parameters
    ----------
    scheme : Scheme or InfiniteGraph
    zeta : float
        Noise level >= 1. ``zeta = 1`` (noiseless) gives ``lr = rate = 1`` with NaN ``gamma`` and
        ``effective_neighbors`` (the decay :math:`0/0` is undefined there).

    Returns
    -------
    OptimalLearningRate

    Examples
    --------
    >>> from topotheory import solo, fully_connected, ring, infinite_ring
    >>> res = optimal_learning_rate(solo(4), zeta=50)
    >>> round(res.lr, 12), round(res.rate, 12), round(res.n_equivalent, 9)
    (0.02, 0.02, 1.0)
    >>> round(optimal_learning_rate(fully_connected(4), zeta=50).lr, 12)  # 4 / 53
    0.075471698113
    >>> res = optimal_learning_rate(ring(32), zeta=50)
    >>> round(res.lr, 6), round(res.rate, 6), round(res.gamma, 4), round(res.effective_neighbors, 3)
    (0.091382, 0.125665, 0.9442, 8.394)
    """
    scheme = _scheme_or_graph(scheme)
    z = _check_zeta(zeta)
    edge = _max_lr(scheme, z)
    if z == 1.0:
        return OptimalLearningRate(1.0, 1.0, math.nan, math.nan, 0.0, z, edge)
    grid = edge * np.arange(1, 33) / 33.0
    r = _rate_raw(scheme, grid, z)
    k = int(np.nanargmax(np.where(r > 0, r, -np.inf)))
    lo = grid[k - 1] if k > 0 else 0.25 * grid[0]
    hi = grid[k + 1] if k + 1 < grid.size else edge
    f = lambda x: -float(_rate_raw(scheme, [x], z)[0])  # noqa: E731
    x = float(so.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12 * hi}).x)
    stencil = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    for _ in range(4):
        h = min(1e-3 * x, (edge - x) / 3.0, x / 3.0)
        fv = _rate_raw(scheme, x + h * stencil, z)
        d1 = (fv[0] - 8 * fv[1] + 8 * fv[3] - fv[4]) / (12 * h)
        d2 = (-fv[0] + 16 * fv[1] - 30 * fv[2] + 16 * fv[3] - fv[4]) / (12 * h * h)
        if not d2 < 0:
            break
        step = float(np.clip(-d1 / d2, -h, h))
        x += step
        if abs(step) <= 1e-13 * x:
            break
    r_opt, info = _solve(scheme, np.array([x]), z)
    rate = float(r_opt[0])
    rho = float(info["rho"][0])
    u = rho - (1.0 - x) ** 2
    gamma = (1.0 - x) ** 2 / rho
    from ..metrics.randomwalk import effective_neighbors

    c = min(max(u / rho, 1e-300), 1.0)
    period = getattr(scheme, "period", 1)
    inv = [1.0 / effective_neighbors(scheme, one_minus_gamma=c, phase=ph) for ph in range(period)]
    nw = float(1.0 / np.mean(inv))
    return OptimalLearningRate(x, rate, gamma, nw, x * (z - 1.0) / (1.0 - x), z, edge)
