"""The one way a long sweep runs its independent tasks: serially or through any executor.

:func:`map_tasks` calls ``func(*task)`` for every task, in order when ``executor`` is None, or
through a :class:`concurrent.futures.Executor` (threads, a ``ProcessPoolExecutor``, a Dask
client's ``get_executor()``), and returns the results in task order either way. A task's result
depends only on its arguments (seeds travel inside the tasks, e.g. :func:`topotheory.task_seed`),
so a sweep is bit-identical whichever way it runs.

Errors: ``on_error="raise"`` cancels the tasks not yet started and raises the first failure with
the task named; ``on_error="collect"`` puts a :class:`TaskFailure` in the failing task's place and
runs the others on. ``on_result(k, value)`` sees each result as it finishes (streaming to a file).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from typing import Any

from .progress import Progress
from .results import Result
from .validation import check_bool, check_choice, check_int, plain

__all__ = ["ON_ERROR", "TaskFailure", "check_executor", "map_tasks"]

#: The choices of ``on_error``.
ON_ERROR = ("raise", "collect")


@dataclasses.dataclass(frozen=True, repr=False)
class TaskFailure(Result):
    """A task that raised, in its place among the results of :func:`map_tasks` (``on_error="collect"``).

    Attributes
    ----------
    task : int
        Index of the task.
    label : str
        The task as :func:`map_tasks` named it (``describe(k)``).
    type : str
        Name of the exception's type.
    message : str
        The exception's message.

    Examples
    --------
    >>> TaskFailure(task=2, label="graph 'karate'", type="ValueError", message="bad").type
    'ValueError'
    """

    task: int
    label: str
    type: str
    message: str


def check_executor(executor: Any) -> Executor | None:
    """``executor`` if it is None or has a callable ``submit`` (a :class:`concurrent.futures.Executor`).

    Parameters
    ----------
    executor : concurrent.futures.Executor or None
        The value to check.

    Returns
    -------
    concurrent.futures.Executor or None
        ``executor`` itself.

    Examples
    --------
    >>> check_executor(None) is None
    True
    >>> check_executor("processes")
    Traceback (most recent call last):
    ...
    TypeError: executor must be None or a concurrent.futures.Executor (with submit), got 'processes'
    """
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be None or a concurrent.futures.Executor (with submit), got {plain(executor)}")
    return executor


def _named(exc: BaseException, what: str) -> BaseException:
    """``exc`` rebuilt with the task named in its message (same type when it can be rebuilt)."""
    text = f"{exc} (in {what})"
    try:
        return type(exc)(text)
    except Exception:
        return RuntimeError(f"{text} ({type(exc).__name__})")


def _run_chunk(func: Callable[..., Any], chunk: Sequence[Sequence[Any]]) -> list[tuple[Any, BaseException | None]]:
    """Run consecutive tasks in one executor call: ``[(value, None) or (None, exception)]`` per task."""
    out: list[tuple[Any, BaseException | None]] = []
    for task in chunk:
        try:
            out.append((func(*task), None))
        except Exception as exc:
            out.append((None, exc))
    return out


def map_tasks(func: Callable[..., Any], tasks: Iterable[Sequence[Any]], *, executor: Executor | None = None,
              progress: bool | None = None, on_error: str = "raise", desc: str = "tasks", unit: str = "task",
              describe: Callable[[int], str] | None = None, on_result: Callable[[int, Any], None] | None = None,
              chunksize: int = 1, done: int = 0) -> list[Any]:
    """``[func(*task) for task in tasks]``, serially or through an executor, in task order.

    Parameters
    ----------
    func : callable
        The task function; with a process pool or a cluster it must be picklable (a module-level
        function) and so must every task's arguments.
    tasks : iterable of tuple
        The positional arguments of each call.
    executor : concurrent.futures.Executor, optional
        Runs the tasks (anything with ``submit`` returning futures: threads, processes, a Dask
        client's ``get_executor()``). None (default): serially, in this process.
    progress : bool, optional
        Show progress (:class:`topotheory.common.progress.Progress`): None picks by where the
        output goes, False is silent, True always shows a bar.
    on_error : {"raise", "collect"}
        ``"raise"`` (default): the first failure cancels the tasks not yet started and is raised,
        rebuilt with the task named in its message (``raise ... from`` the original).
        ``"collect"``: a failing task's place holds a :class:`TaskFailure`; the others run on.
    desc, unit : str
        Label and unit of the progress display.
    describe : callable, optional
        ``describe(k)`` names task ``k`` in error messages (default ``"task k"``).
    on_result : callable, optional
        ``on_result(k, value)`` is called in this process as each task succeeds (in finishing
        order), e.g. to stream results to a file.
    chunksize : int
        Tasks sent to the executor together (consecutive tasks, one ``submit`` and one result
        message for the lot): fewer round trips to a cluster's scheduler for many short tasks.
        Results, errors and their order are the same for every ``chunksize``; default 1.
    done : int
        Tasks of the same job already finished elsewhere (e.g. read back from a file when a sweep
        resumes): the progress display counts them in its total and starts from them. Default 0.

    Returns
    -------
    list
        The results, in the order of ``tasks``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> map_tasks(pow, [(2, 3), (3, 2)], progress=False)
    [8, 9]
    >>> with ThreadPoolExecutor(2) as ex:
    ...     map_tasks(pow, [(2, 3), (3, 2)], executor=ex, progress=False)
    [8, 9]
    >>> map_tasks(divmod, [(7, 2), (1, 0)], on_error="collect", progress=False)[1].type
    'ZeroDivisionError'
    >>> with ThreadPoolExecutor(2) as ex:
    ...     map_tasks(pow, [(2, k) for k in range(5)], executor=ex, chunksize=2, progress=False)
    [1, 2, 4, 8, 16]
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {plain(func)}")
    tasks = [tuple(t) for t in tasks]
    executor = check_executor(executor)
    if progress is not None:
        progress = check_bool("progress", progress)
    check_choice("on_error", on_error, ON_ERROR)
    chunksize = check_int("chunksize", chunksize, minimum=1)
    done = check_int("done", done, minimum=0)
    name = describe if describe is not None else (lambda k: f"task {k}")
    results: list[Any] = [None] * len(tasks)

    def finish(k: int, value: Any, exc: BaseException | None) -> None:
        if exc is not None:
            if on_error == "raise":
                raise _named(exc, name(k)) from exc
            results[k] = TaskFailure(task=k, label=name(k), type=type(exc).__name__, message=str(exc))
            return
        results[k] = value
        if on_result is not None:
            on_result(k, value)

    with Progress(len(tasks) + done, desc=desc, unit=unit, enabled=progress, delay=0.0 if progress else 2.0) as bar:
        if done:
            bar.update(done)
        if executor is None:
            for k, task in enumerate(tasks):
                try:
                    value, exc = func(*task), None
                except Exception as e:
                    value, exc = None, e
                finish(k, value, exc)
                bar.update()
        else:
            from concurrent.futures import as_completed

            starts = range(0, len(tasks), chunksize)
            # one task per call is submitted as itself (its failure is the future's exception)
            futures: dict[Future[Any], int] = {
                (executor.submit(func, *tasks[k]) if chunksize == 1
                 else executor.submit(_run_chunk, func, tasks[k:k + chunksize])): k for k in starts}
            try:
                for f in as_completed(futures):
                    failed = f.exception()
                    outcomes: list[tuple[Any, BaseException | None]]
                    if failed is not None:  # the task failed, or its chunk could not run (e.g. a worker died)
                        outcomes = [(None, failed)] * len(tasks[futures[f]:futures[f] + chunksize])
                    elif chunksize == 1:
                        outcomes = [(f.result(), None)]
                    else:
                        outcomes = f.result()
                    for j, (result, error) in enumerate(outcomes):
                        finish(futures[f] + j, result, error)
                    bar.update(len(outcomes))
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    return results
