r"""Secular equations of the toy problem's second-moment map on per-mode data.

For a circulant scheme (and, with the eigenvalues of ``W``, for walk-regular static symmetric ones)
the Perron root :math:`\rho = a + u` of :math:`T(C) = W[aC + \beta\,\mathrm{Diag}\,C]W^T` solves a
scalar (period 1) or ``p × p`` (period ``p``) secular equation in the per-mode moduli
:math:`m_{t,k} = |\mu_{t,k}|^2` (THEORY §3.3 route 3). Inputs: ``m`` and ``onem = 1 - m`` (computed
without cancellation), ``a = (1-\eta)^2`` and ``beta = (\zeta-1)\eta^2`` per learning rate.
"""

from __future__ import annotations

import numpy as np

from .roots import EPS, chunks, illinois

__all__ = ["secular_static", "secular_partials", "periodic_secular_matrix", "secular_periodic"]


def secular_static(m: np.ndarray, onem: np.ndarray, a: np.ndarray,
                   beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Root u > 0 of :math:`S(u) = \frac{\beta}{n}\sum_k m_k/(u + a(1 - m_k)) = 1` for each lr.

    :math:`1/S` is concave and increasing in u (Cauchy-Schwarz), so Newton's method on
    :math:`1/S - 1` started left of the root (a one-term lower bound) converges monotonically.

    Parameters
    ----------
    m : (n,) or (p, n) ndarray
        Per-mode moduli :math:`m_k = |\mu_k|^2` (``(p, n)``: one row per step of the period).
    onem : ndarray
        :math:`1 - m`, computed without cancellation, same shape as ``m``.
    a : (L,) ndarray
        :math:`(1-\eta)^2` per learning rate.
    beta : (L,) ndarray
        :math:`(\zeta-1)\eta^2` per learning rate.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        ``(u, iterations, residual)`` per learning rate, ``residual`` :math:`|S(u) - 1|`
        (``u = 0`` where ``beta = 0``).

    Examples
    --------
    One mode with :math:`m = 1`: :math:`S = \beta/u`, root :math:`u = \beta`.

    >>> secular_static(np.array([1.0]), np.array([0.0]), np.array([0.5]), np.array([2.0]))
    (array([2.]), array([1]), array([0.]))
    """
    n = m.shape[-1]
    L = a.shape[0]
    u = np.zeros(L)
    its = np.zeros(L, dtype=int)
    res = np.zeros(L)
    for sl in chunks(L, n):
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
            done = np.abs(unew - uc[i]) <= 4 * EPS * np.abs(unew)
            uc[i] = unew
            active[i] = ~done
        u[sl], its[sl], res[sl] = uc, it, r
    return u, its, res


def secular_partials(m: np.ndarray, onem: np.ndarray, a: np.ndarray, beta: np.ndarray,
                     u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Partial derivatives of :math:`S(u, a, \beta) = \frac{\beta}{n}\sum_k m_k/(u + a(1-m_k))` at its root.

    Returns :math:`(\partial S/\partial u, \partial S/\partial a)`, each shape ``a.shape``:
    :math:`-\frac{\beta}{n}\sum_k m_k/d_k^2` and :math:`-\frac{\beta}{n}\sum_k m_k(1-m_k)/d_k^2`
    with :math:`d_k = u + a(1-m_k)`; :math:`\partial S/\partial\beta = S/\beta = 1/\beta` at the
    root. By the implicit function theorem :math:`\partial u/\partial a = -S_a/S_u` and
    :math:`\partial u/\partial\beta = -1/(\beta S_u)`.

    Parameters
    ----------
    m, onem, a, beta : ndarray
        As in :func:`secular_static` (``m`` of shape ``(n,)``).
    u : (L,) ndarray
        The root of each learning rate.

    Returns
    -------
    (ndarray, ndarray)
        :math:`(\partial S/\partial u, \partial S/\partial a)` per learning rate.

    Examples
    --------
    One mode (``n = 1``, ``m = 1``): :math:`S = \beta/u`, so :math:`S_u = -1/\beta` at ``u = beta``.

    >>> secular_partials(np.array([1.0]), np.array([0.0]), np.array([0.5]), np.array([2.0]), np.array([2.0]))
    (array([-0.5]), array([0.]))
    """
    n = m.shape[-1]
    S_u = np.empty(a.shape)
    S_a = np.empty(a.shape)
    for sl in chunks(a.shape[0], n):
        with np.errstate(divide="ignore", invalid="ignore"):
            q = m / (u[sl, None] + a[sl, None] * onem) ** 2
        q = np.where(m == 0.0, 0.0, q)
        S_u[sl] = -beta[sl] / n * np.sum(q, axis=1)
        S_a[sl] = -beta[sl] / n * np.sum(q * onem, axis=1)
    return S_u, S_a


def periodic_secular_matrix(m: np.ndarray, onem: np.ndarray, a: np.ndarray, beta: np.ndarray,
                            u: np.ndarray) -> np.ndarray:
    r"""The ``p × p`` secular matrix of a periodic circulant scheme, batched over lrs.

    With :math:`\rho = a + u`, injection of the diagonal at step ``t`` reaches the diagonal at step
    ``s = t + 1 + j (mod p)`` after ``j`` further steps:
    :math:`G_{st} = \frac{\beta}{n}\sum_k m_{t,k}\,a^j \prod_{v=t+1}^{t+j} m_{v,k}\;
    \rho^{p-1-j} / (\rho^p - a^p \prod_v m_{v,k})`. ``rho`` is the Perron root iff
    :math:`\lambda_{\max}(G) = 1` (matrix determinant lemma on the block-cyclic operator).

    Parameters
    ----------
    m, onem, a, beta : ndarray
        As in :func:`secular_static` (``m`` of shape ``(p, n)``).
    u : (L,) ndarray
        Trial excesses :math:`u = \rho - a`.

    Returns
    -------
    (L, p, p) ndarray
        The secular matrices :math:`G`.

    Examples
    --------
    Period 1, two modes: :math:`G = \frac{\beta}{n}\sum_k m_k/(\rho - a m_k)`.

    >>> m = np.array([[1.0, 0.25]])
    >>> periodic_secular_matrix(m, 1 - m, np.array([0.5]), np.array([2.0]), np.array([1.0])).round(8)
    array([[[1.18181818]]])
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


def secular_periodic(m: np.ndarray, onem: np.ndarray, a: np.ndarray,
                     beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L = a.shape[0]
    u = np.zeros(L)
    pos = beta > 0
    if not pos.any():
        return u, np.zeros(L, dtype=int), np.zeros(L)

    def h(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        G = periodic_secular_matrix(m, onem, a[idx], beta[idx], x)
        lam = np.max(np.linalg.eigvals(G).real, axis=-1)
        return 1.0 / lam - 1.0

    idx = np.flatnonzero(pos)
    lo = np.zeros(idx.size)
    hi = beta[idx].copy()
    fhi = h(hi, idx)
    x, its, res = illinois(lambda x, i: h(x, idx[i]), lo, hi, -np.ones(idx.size), fhi)
    u[idx] = x
    it = np.zeros(L, dtype=int)
    it[idx] = its
    r = np.zeros(L)
    r[idx] = res
    return u, it, r
