"""Optimal learning rates over many graphs, serially or through an executor (the long part of
ranking topologies by the exact optimal toy rate: the metric study, ``topotheory compare``)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from ..common.tasks import map_tasks
from ..common.validation import check_real, plain
from ..graphs.scheme import Scheme, check_scheme

__all__ = ["optimal_learning_rates"]


def _optimal(scheme: Scheme, zeta: float) -> Any:
    from ..toy.quadratic import optimal_learning_rate

    return optimal_learning_rate(scheme, zeta=zeta)


def optimal_learning_rates(schemes: Scheme | Iterable[Scheme], *, zeta: float, executor: Executor | None = None,
                           progress: bool | None = None, on_error: str = "raise") -> list[Any]:
    r""":func:`topotheory.optimal_learning_rate` of every scheme, serially or through an executor.

    :math:`\eta^*_i = \arg\max_\eta r_i(\eta)` for each scheme :math:`W_i` at the noise level
    :math:`\zeta` (THEORY §3.3 item 5). Each task depends only on its scheme and :math:`\zeta`
    (no randomness), so the results are bit-identical serially, through threads, a process pool or
    a Dask client's ``get_executor()`` (:func:`topotheory.common.tasks.map_tasks`). Through a
    process pool each scheme travels without its caches (``Scheme.__getstate__``): the worker
    builds its spectrum, the caller's caches stay as they were.

    Parameters
    ----------
    schemes : Scheme or iterable of Scheme
        The gossip schemes (row-stochastic, gossip ``X <- W X``).
    zeta : float
        Noise level :math:`\zeta \ge 1` of the toy quadratic (``d + 2`` for batch size 1).
    executor : concurrent.futures.Executor, optional
        Runs one task per scheme; None (default) runs them here, in order.
    progress : bool, optional
        Show progress: None picks by where the output goes, False is silent, True shows a bar.
    on_error : {"raise", "collect"}
        ``"raise"``: the first failure is raised with the scheme named; ``"collect"``: a failing
        scheme's place holds a :class:`topotheory.common.tasks.TaskFailure`.

    Returns
    -------
    list of OptimalLearningRate
        One per scheme, in the order given.

    Examples
    --------
    >>> from topotheory import solo, fully_connected
    >>> res = optimal_learning_rates([solo(4), fully_connected(4)], zeta=50, progress=False)
    >>> [round(r.lr, 12) for r in res]          # 1 / zeta and n / (n + zeta - 1)
    [0.02, 0.075471698113]
    """
    if isinstance(schemes, Scheme):
        schemes = [schemes]
    if isinstance(schemes, (str, bytes)) or not isinstance(schemes, Iterable):
        raise TypeError(f"schemes must be a Scheme or an iterable of schemes, got {plain(schemes)}")
    checked = [check_scheme(s, name=f"schemes[{i}]") for i, s in enumerate(schemes)]
    zeta = check_real("zeta", zeta, low=1.0)
    return map_tasks(_optimal, [(s, zeta) for s in checked], executor=executor, progress=progress,
                     on_error=on_error, desc="optimal learning rates", unit="graph",
                     describe=lambda k: f"scheme {k} ({checked[k].name!r}, n={checked[k].n})")
