r"""The resolvent of a Kronecker pair as a rational function: no linear solves, no eigenvectors.

The exact second moments of an algorithm with per-worker state (:mod:`topotheory.engine.stateful`)
need, for many pairs of small ``s × s`` matrices :math:`P_1, P_2` and vectors :math:`w_i, y_i`,

.. math::

    f(x) = (w_1\otimes w_2)^T (I - x\,P_1\otimes P_2)^{-1} (y_1\otimes y_2)
         = \sum_{r\ge0} x^r\, a_1(r)\, a_2(r), \qquad a_i(r) = w_i^T P_i^r y_i .

With :math:`A = P_1\otimes P_2` (order :math:`N = s^2`), :math:`(I - xA)^{-1} =
\operatorname{adj}(I - xA) / \det(I - xA)`, so :math:`f = \mathcal N / \mathcal D` is rational:

* :math:`\mathcal D(x) = \det(I - xA) = \sum_{j=0}^{N} (-1)^j e_j x^j`, the :math:`e_j` the
  elementary symmetric functions of the eigenvalues of :math:`A`, from its power sums
  :math:`p_m = \operatorname{tr} A^m = \operatorname{tr} P_1^m \operatorname{tr} P_2^m` by Newton's
  identities :math:`j e_j = \sum_{i=1}^{j} (-1)^{i-1} e_{j-i} p_i`;
* :math:`\mathcal N(x)`, of degree :math:`\le N - 1` (the adjugate's), is :math:`\mathcal D` times the
  series truncated at degree :math:`N - 1`: :math:`n_j = \sum_{i\le j} d_i\, a_1(j-i)\, a_2(j-i)`.

Everything is polynomial in the entries of :math:`P_i, w_i, y_i` — no eigenvectors, so defective and
near-defective pairs (critically damped momentum modes) lose nothing — and elementwise over any
batch of pairs: :math:`O(N^2)` flops per pair once, :math:`O(N)` per evaluation, instead of an
:math:`N \times N` solve per pair and evaluation. For :math:`s = 2` (``t = tr P``, ``d = det P``)
:math:`e_1 = t_1t_2`, :math:`e_2 = d_2t_1^2 + d_1t_2^2 - 2d_1d_2`, :math:`e_3 = d_1d_2t_1t_2`,
:math:`e_4 = d_1^2d_2^2`.

Precision: evaluating :math:`\mathcal D` by Horner loses :math:`\epsilon\,\kappa(x)` with
:math:`\kappa(x) = \sum_j |d_j||x|^j / |\mathcal D(x)|`, large only within a multiple pole (an
under-damped mode gives :math:`\mathcal D` a double root where :math:`f` has a simple pole);
:func:`rational_value` returns :math:`\kappa` so that a caller can re-evaluate those few pairs by a
stable solve (:func:`kron_solve`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["power_data", "kron_rational", "rational_value", "kron_solve", "inverse_or_nan"]


def power_data(P: np.ndarray, w: np.ndarray, y: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Power sums :math:`\operatorname{tr} P^m` (``m = 1..order``) and :math:`a(r) = w^T P^r y` (``r = 0..order-1``).

    Parameters
    ----------
    P : ndarray, shape ``(..., s, s)``
        The matrices (real or complex).
    w, y : ndarray, shape ``(..., s)``
        Read-out and injection vectors, broadcasting against ``P``'s leading axes.
    order : int
        The number of terms, :math:`N = s_1 s_2` for a pair.

    Returns
    -------
    traces : ndarray, shape ``P.shape[:-2] + (order,)``
        ``traces[..., m - 1]`` is :math:`\operatorname{tr} P^m`.
    seq : ndarray, shape ``(..., order)``
        ``seq[..., r]`` is :math:`w^T P^r y`.

    Examples
    --------
    >>> P = np.array([[0.5, 1.0], [0.0, 0.5]])  # a Jordan block
    >>> tr, a = power_data(P, np.array([1.0, 0.0]), np.array([0.0, 1.0]), 4)
    >>> tr.tolist(), a.tolist()  # tr P^m = 2 / 2^m; w^T P^r y = r / 2^(r-1)
    ([1.0, 0.5, 0.25, 0.125], [0.0, 1.0, 1.0, 0.75])
    """
    lead = np.broadcast_shapes(P.shape[:-2], w.shape[:-1], y.shape[:-1])
    dtype = np.result_type(P, w, y)
    traces = np.empty(P.shape[:-2] + (order,), dtype=P.dtype)
    seq = np.empty(lead + (order,), dtype=dtype)
    v = y[..., None]  # P^r y, as a column
    Pm = P
    for r in range(order):
        seq[..., r] = np.sum(w * v[..., 0], axis=-1)
        traces[..., r] = np.trace(Pm, axis1=-2, axis2=-1)
        if r + 1 < order:
            v = np.matmul(P, v)
            Pm = np.matmul(Pm, P)
    return traces, seq


def kron_rational(traces1: np.ndarray, seq1: np.ndarray, traces2: np.ndarray,
                  seq2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Coefficients of :math:`f = \mathcal N/\mathcal D` for pairs, from each side's :func:`power_data`.

    Parameters
    ----------
    traces1, seq1 : ndarray, shape ``(..., N)``
        :func:`power_data` of :math:`(P_1, w_1, y_1)` with ``order = N``.
    traces2, seq2 : ndarray, shape ``(..., N)``
        The same for :math:`(P_2, w_2, y_2)`; all four broadcast against each other.

    Returns
    -------
    num : ndarray, shape ``(..., N)``
        :math:`\mathcal N(x) = \sum_j` ``num[..., j]`` :math:`x^j`.
    den : ndarray, shape ``(..., N + 1)``
        :math:`\mathcal D(x) = \det(I - x P_1\otimes P_2) = \sum_j` ``den[..., j]`` :math:`x^j`
        (``den[..., 0] = 1``).

    Examples
    --------
    Scalars (:math:`s = 1`): :math:`f = w_1y_1w_2y_2 / (1 - x p_1 p_2)`:

    >>> num, den = kron_rational(np.array([0.5]), np.array([2.0]), np.array([0.4]), np.array([3.0]))
    >>> num.tolist(), den.tolist()
    ([6.0], [1.0, -0.2])
    """
    p = traces1 * traces2  # power sums of P1 (x) P2
    c = seq1 * seq2  # the series' coefficients
    N = p.shape[-1]
    e = np.empty(p.shape[:-1] + (N + 1,), dtype=p.dtype)
    e[..., 0] = 1.0
    for j in range(1, N + 1):  # Newton's identities
        acc = np.zeros(p.shape[:-1], dtype=p.dtype)
        for i in range(1, j + 1):
            acc = acc + (e[..., j - i] * p[..., i - 1] if i % 2 else -(e[..., j - i] * p[..., i - 1]))
        e[..., j] = acc / j
    den = e * np.where(np.arange(N + 1) % 2, -1.0, 1.0)
    num = np.empty(c.shape[:-1] + (N,), dtype=np.result_type(den, c))
    for j in range(N):
        num[..., j] = np.einsum("...i,...i->...", den[..., :j + 1], c[..., j::-1])
    return num, den


def rational_value(num: np.ndarray, den: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`f(x) = \mathcal N(x)/\mathcal D(x)`, :math:`f'(x)` and the condition :math:`\kappa(x)` of :math:`\mathcal D`.

    Parameters
    ----------
    num : ndarray, shape ``(..., N)``
        Numerator coefficients (:func:`kron_rational`).
    den : ndarray, shape ``(..., N + 1)``
        Denominator coefficients.
    x : ndarray
        Points, broadcasting against the leading axes.

    Returns
    -------
    f, df : ndarray
        :math:`f(x)` and :math:`f'(x) = (\mathcal N'\mathcal D - \mathcal N\mathcal D')/\mathcal D^2`
        (inf / NaN on a root of :math:`\mathcal D`).
    cond : ndarray
        :math:`\kappa(x) = \sum_j |d_j||x|^j / |\mathcal D(x)|` (inf on a root of :math:`\mathcal D`):
        :math:`f` carries a relative error of about :math:`\epsilon\,\kappa`.

    Examples
    --------
    >>> f, df, cond = rational_value(np.array([6.0]), np.array([1.0, -0.2]), np.array(2.0))
    >>> float(f), float(df), float(cond)  # 6 / (1 - 0.2 x), 1.2 / (1 - 0.2 x)^2, 1.4 / 0.6
    (10.0, 3.3333333333333335, 2.3333333333333335)
    """
    x = np.asarray(x)
    ax = np.abs(x)
    D = den[..., -1] * np.ones_like(x)
    dD = np.zeros_like(D)
    scale = np.abs(den[..., -1]) * np.ones_like(ax)
    for j in range(den.shape[-1] - 2, -1, -1):
        dD = dD * x + D
        D = D * x + den[..., j]
        scale = scale * ax + np.abs(den[..., j])
    Nv = num[..., -1] * np.ones_like(x)
    dN = np.zeros_like(Nv)
    for j in range(num.shape[-1] - 2, -1, -1):
        dN = dN * x + Nv
        Nv = Nv * x + num[..., j]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = Nv / D
        df = (dN - f * dD) / D
        cond = scale / np.abs(D)
    return f, df, cond


def kron_solve(P1: np.ndarray, w1: np.ndarray, y1: np.ndarray, P2: np.ndarray, w2: np.ndarray, y2: np.ndarray,
               x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`f(x)` and :math:`f'(x)` by the ``s² × s²`` solve :math:`(I - x P_1\otimes P_2) z = y_1\otimes y_2`.

    The stable route for the pairs where :func:`rational_value` reports a large condition (within a
    multiple pole); :math:`f = (w_1\otimes w_2)^T z`, :math:`f' = (w_1\otimes w_2)^T (I - xA)^{-1} A z`.

    Parameters
    ----------
    P1 : ndarray, shape ``(B, s, s)``
        The first matrix of each pair.
    w1, y1 : ndarray, shape ``(B, s)``
        Its read-outs and injections.
    P2 : ndarray, shape ``(B, s, s)``
        The second matrix of each pair.
    w2, y2 : ndarray, shape ``(B, s)``
        Its read-outs and injections.
    x : ndarray, shape ``(B,)``
        The points.

    Returns
    -------
    f, df : ndarray, shape ``(B,)``
        NaN for a pair whose system is singular (:math:`x` on a pole).

    Examples
    --------
    >>> P, v = np.array([[[0.5]]]), np.array([[1.0]])
    >>> f, df = kron_solve(P, v, v, P, v, v, np.array([2.0]))
    >>> float(f[0]), float(df[0])  # 1 / (1 - x / 4) and its slope
    (2.0, 1.0)
    """
    B, s = P1.shape[0], P1.shape[-1]
    A = np.einsum("bpq,brs->bprqs", P1, P2).reshape(B, s * s, s * s)
    u = np.einsum("bp,bq->bpq", w1, w2).reshape(B, s * s)
    v = np.einsum("bp,bq->bpq", y1, y2).reshape(B, s * s)
    Minv = inverse_or_nan(np.eye(s * s) - x[:, None, None] * A)
    z = Minv @ v[..., None]
    dz = Minv @ (A @ z)
    return np.einsum("bp,bp->b", u, z[..., 0]), np.einsum("bp,bp->b", u, dz[..., 0])


def inverse_or_nan(A: np.ndarray) -> np.ndarray:
    """Batched inverse of ``A`` (shape ``(B, ..., N, N)``); a batch element with a singular block is NaN.

    A singular block means ``x`` sits on a pole of a resolvent; the secular root finder of
    :mod:`topotheory.engine.stateful` treats a non-finite evaluation as lying right of the root.

    Parameters
    ----------
    A : ndarray, shape ``(B, ..., N, N)``
        The matrices.

    Returns
    -------
    ndarray
        The inverses, NaN in every batch element with a singular block.

    Examples
    --------
    >>> out = inverse_or_nan(np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]]))
    >>> out[0].tolist(), bool(np.isnan(out[1]).all())
    ([[0.5, 0.0], [0.0, 0.25]], True)
    """
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        out = np.full(A.shape, np.nan, dtype=A.dtype)
        for b in range(A.shape[0]):  # rare: only the elements at a pole are lost
            try:
                out[b] = np.linalg.inv(A[b])
            except np.linalg.LinAlgError:
                pass
        return out
