"""Solvers for the weight-design problem (package-internal): the conic route (cvxpy) and the
first-order route (spectral projected gradient with exact gradients)."""

from __future__ import annotations

import warnings

from collections.abc import Callable
from typing import Any

import numpy as np

from .problem import project_nonnegative

__all__ = ["spg", "require_cvxpy", "solve_conic", "CONIC_OBJECTIVES"]

#: objectives with a conic (SDP) formulation
CONIC_OBJECTIVES = ("spectral_gap", "fdla", "effective_neighbors", "msd")


def spg(value_grad: Callable[[np.ndarray], tuple[float, Any]], project: Callable[[np.ndarray, Any], tuple[np.ndarray, Any]],
        w0: np.ndarray, *, tol: float = 1e-10, max_iter: int = 2000,
        memory: int = 10) -> tuple[np.ndarray, float, np.ndarray, int, bool]:
    r"""Spectral projected gradient (Birgin, Martinez & Raydan 2000) for ``min F(w), w in C``.

    Barzilai-Borwein steps with a non-monotone Armijo line search over the last ``memory``
    values; ``F = inf`` (outside the domain) is rejected by the line search. Stops when the
    projected-gradient step :math:`\|P(w - \nabla F) - w\|_\infty \le` ``tol`` or the relative
    decrease of the best value over the last ``memory`` iterations falls below ``tol**2`` (the
    iterates are not monotone, so the best value is compared).
    Returns ``(w, F, grad, iterations, converged)``.
    """
    w, state = project(np.asarray(w0, dtype=float), None)
    F, g = value_grad(w)
    if g is None:
        raise ValueError("the starting weights lie outside the objective's domain")
    history = [F]
    alpha = 1.0 / max(np.max(np.abs(g)), 1e-12)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        p, _ = project(w - g, state)
        if np.max(np.abs(p - w)) <= tol:
            converged = True
            break
        d, state = project(w - alpha * g, state)
        d = d - w
        slope = float(g @ d)
        ref = max(history[-memory:])
        lam = 1.0
        while True:
            w_new = w + lam * d
            F_new, g_new = value_grad(w_new)
            if g_new is not None and F_new <= ref + 1e-4 * lam * slope:
                break
            lam *= 0.5
            if lam < 1e-20:
                g_new = None
                break
        if g_new is None:
            converged = abs(slope) <= tol * max(1.0, abs(F))
            break
        s, y = w_new - w, g_new - g
        sy = float(s @ y)
        alpha = float(s @ s) / sy if sy > 0 else 1e6
        alpha = min(max(alpha, 1e-12), 1e12)
        w, F, g = w_new, F_new, g_new
        history.append(F)
        if len(history) > 2 * memory and (min(history[:-memory]) - min(history[-memory:])
                                           <= tol**2 * max(1.0, abs(F))):
            p, _ = project(w - g, state)
            converged = np.max(np.abs(p - w)) <= np.sqrt(tol)
            break
    return w, F, g, it, converged


def nonnegative_projector(dg: Any) -> Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]:
    """``project(v, state) -> (w, state)`` onto the non-negative weights."""
    return lambda v, state: project_nonnegative(dg, v, state)


def free_projector(v: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
    """The identity (signed weights: no constraint)."""
    return v, state


def require_cvxpy() -> Any:
    """Import cvxpy or raise a clear ImportError naming the extra."""
    try:
        import cvxpy
    except ImportError:
        raise ImportError(
            "the conic route of optimal_weights needs cvxpy: install the design extra with "
            "`pip install topotheory[design]` (or `pip install cvxpy`), or use method='first_order'"
        ) from None
    return cvxpy


def _basis_perp(n: int) -> np.ndarray:
    """An orthonormal basis ``V`` (n x (n-1)) of the complement of the constant vector."""
    Q, _ = np.linalg.qr(np.c_[np.ones(n), np.eye(n)[:, : n - 1]])
    return Q[:, 1:]


def solve_conic(dg: Any, objective: str, *, gamma: float | None = None, nonnegative: bool = True,
                tol: float = 1e-9) -> tuple[np.ndarray, str, int, str, Any]:
    r"""Solve a convex weight-design problem as a conic programme with cvxpy (Clarabel, else SCS).

    Works on :math:`\tilde M(w) = V^T W(w) V` (``V`` an orthonormal basis of :math:`1^\perp`), whose
    eigenvalues are :math:`\lambda_2, \dots, \lambda_n`:

    * ``"spectral_gap"`` / ``"fdla"``: :math:`\min t` s.t. :math:`-tI \preceq \tilde M \preceq tI`;
    * ``"effective_neighbors"``: :math:`\sum_k \frac{\mu_k^2}{1-\gamma\mu_k^2} = \frac{1}{2\gamma}
      [\operatorname{tr}(I - s\tilde M)^{-1} + \operatorname{tr}(I + s\tilde M)^{-1}] - \frac{n-1}{\gamma}`,
      :math:`s = \sqrt\gamma` (``tr_inv`` atoms; :math:`\|\tilde M\|_F^2` at :math:`\gamma = 0`);
    * ``"msd"``: :math:`\frac12[\operatorname{tr}(I - \tilde M)^{-1} + \operatorname{tr}(I + \tilde M)^{-1}]`.

    Returns ``(w, solver, iterations, status, duals)``; ``duals`` holds the two LMI multipliers for
    the spectral-norm problems (for the dual bound), else ``None``.
    """
    cp = require_cvxpy()
    n, m = dg.n, dg.m
    V = _basis_perp(n)
    C = np.zeros((n - 1, m))
    C += V[dg.i].T
    C -= V[dg.j].T
    K = np.einsum("ie,je->ije", C, C).reshape((n - 1) ** 2, m)
    w = cp.Variable(m)
    I = np.eye(n - 1)
    M = I - cp.reshape(K @ w, (n - 1, n - 1), order="C")
    M = (M + M.T) / 2
    cons = []
    if nonnegative:
        cons += [w >= 0, dg.A @ w <= 1]
    lmis = None
    if objective in ("spectral_gap", "fdla"):
        t = cp.Variable()
        lmis = [t * I - M >> 0, t * I + M >> 0]
        cons += lmis
        goal = t
    elif objective == "effective_neighbors":
        if gamma is None:
            raise ValueError("objective 'effective_neighbors' needs gamma in [0, 1)")
        if gamma == 0:
            goal = cp.sum_squares(M)
        else:
            s = np.sqrt(gamma)
            goal = (cp.tr_inv(I - s * M) + cp.tr_inv(I + s * M)) / (2 * gamma)
    elif objective == "msd":
        goal = (cp.tr_inv(I - M) + cp.tr_inv(I + M)) / 2
    else:  # pragma: no cover - guarded by the caller
        raise ValueError(objective)
    prob = cp.Problem(cp.Minimize(goal), cons)
    installed = cp.installed_solvers()
    attempts = []
    if "CLARABEL" in installed:
        for eps in (tol, max(tol, 1e-8)):
            attempts.append(("CLARABEL", dict(tol_gap_abs=eps, tol_gap_rel=eps, tol_feas=eps, max_iter=500)))
    attempts.append(("SCS", dict(eps=max(tol, 1e-9), max_iters=200000)))
    for solver, opts in attempts:  # tight Clarabel, looser Clarabel, then SCS
        try:
            with warnings.catch_warnings():  # "inaccurate" is judged by our own certificate
                warnings.simplefilter("ignore", UserWarning)
                prob.solve(solver=solver, **opts)
        except cp.error.SolverError:
            continue
        if w.value is not None and prob.status in ("optimal", "optimal_inaccurate"):
            break
    iterations = int(prob.solver_stats.num_iters or 0)
    if w.value is None:
        raise RuntimeError(f"the conic solver {solver} failed on objective {objective!r}: status {prob.status}")
    duals = None
    if lmis is not None:
        duals = (V @ lmis[0].dual_value @ V.T, V @ lmis[1].dual_value @ V.T)
    return np.asarray(w.value, dtype=float), solver.lower(), iterations, prob.status, duals
