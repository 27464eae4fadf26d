"""The one progress display for long calls: a widget in Jupyter, a bar on a terminal, lines in logs.

``enabled=None`` (the default everywhere) chooses by where the output goes, with the semantics of
``tqdm.auto``:

* inside a Jupyter kernel (ipywidgets importable): a ``tqdm.notebook`` widget bar;
* ``stream`` (default ``sys.stderr``) is a terminal: a ``tqdm`` text bar;
* otherwise (a log file, a pipe, a batch job): one plain line ``topotheory DESC: k/total (t s)``
  every ``every`` seconds, and a heartbeat line while one long item runs;

every one of them only after ``delay`` seconds, so quick calls print nothing. ``enabled=False``
is silent; ``enabled=True`` shows a bar (widget or text) wherever the output goes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any, Literal, TextIO

__all__ = ["progress", "Progress", "progress_mode", "in_notebook"]

MODES = ("notebook", "terminal", "lines", "off")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython ZMQ shell), without importing IPython.

    Examples
    --------
    >>> in_notebook()
    False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def progress_mode(enabled: bool | None = None, stream: TextIO | None = None) -> str:
    """The display :class:`Progress` uses: ``"notebook"``, ``"terminal"``, ``"lines"`` or ``"off"``.

    Parameters
    ----------
    enabled : bool or None
        None: by where the output goes (module docstring); False: ``"off"``; True: a bar, a widget
        in Jupyter and text elsewhere.
    stream : file-like, optional
        Where text goes (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> progress_mode(None, io.StringIO()), progress_mode(False), progress_mode(True, io.StringIO())
    ('lines', 'off', 'terminal')
    """
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"progress must be True, False or None (automatic), got {enabled!r}")
    if enabled is False:
        return "off"
    if in_notebook() and _widgets_available():
        return "notebook"
    stream = sys.stderr if stream is None else stream
    if enabled or getattr(stream, "isatty", lambda: False)():
        return "terminal"
    return "lines"


def _check(total: Any, desc: Any, delay: Any, every: Any) -> None:
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValueError(f"total must be a non-negative int or None, got {total!r}")
    if not isinstance(desc, str):
        raise TypeError(f"desc must be a str, got {desc!r}")
    if not delay >= 0 or not every > 0:
        raise ValueError(f"delay must be >= 0 and every > 0, got delay={delay!r}, every={every!r}")


class Progress:
    """Progress of ``total`` items, updated by hand; a context manager.

    Parameters
    ----------
    total : int, optional
        Number of items (None: unknown).
    desc : str
        What is running (``"crosscheck"``, ``"figures"``, ...).
    enabled : bool or None
        See :func:`progress_mode`.
    unit : str
        Unit of the bar (default ``"it"``).
    stream : file-like, optional
        Where text goes (default ``sys.stderr``).
    delay : float
        Seconds before anything is shown (default 2).
    every : float
        Seconds between two plain lines (default 10; > 0).

    Attributes
    ----------
    mode : str
        ``"notebook"``, ``"terminal"``, ``"lines"`` or ``"off"``.
    done : int
        Items finished.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(3, desc="demo", stream=out, delay=0, every=1e9) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> bar.mode, bar.done
    ('lines', 3)
    >>> out.getvalue().splitlines()[-1].startswith("topotheory demo: 3/3")
    True
    """

    def __init__(self, total: int | None = None, *, desc: str, enabled: bool | None = None, unit: str = "it",
                 stream: TextIO | None = None, delay: float = 2.0, every: float = 10.0) -> None:
        _check(total, desc, delay, every)
        self.total, self.desc, self.unit, self.delay, self.every = total, desc, unit, float(delay), float(every)
        self.stream = sys.stderr if stream is None else stream
        self.mode = progress_mode(enabled, self.stream)
        self.done = 0
        self.postfix = ""
        self._bar: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._last: float | None = None
        self._closed = False
        if self.mode == "notebook":
            from tqdm.notebook import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, delay=self.delay)
        elif self.mode == "terminal":
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, delay=self.delay, file=self.stream)
        elif self.mode == "lines":
            self._thread = threading.Thread(target=self._heartbeat, daemon=True)
            self._thread.start()

    # -- plain lines -----------------------------------------------------------------------------
    def _line(self) -> None:
        elapsed = time.monotonic() - self._start
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done} done"
        extra = f", {self.postfix}" if self.postfix else ""
        print(f"topotheory {self.desc}: {count} ({elapsed:.0f} s{extra})", file=self.stream, flush=True)
        self._last = time.monotonic()

    def _heartbeat(self) -> None:
        if self._stop.wait(self.delay):
            return
        with self._lock:
            if self._last is None:
                self._line()
        while not self._stop.wait(self.every):
            with self._lock:
                if self._last is None or time.monotonic() - self._last >= self.every:
                    self._line()

    # -- the interface ---------------------------------------------------------------------------
    def update(self, n: int = 1) -> None:
        """Count ``n`` more items as done."""
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)
            elif self.mode == "lines":
                now = time.monotonic()
                if now - self._start >= self.delay and (self._last is None or now - self._last >= self.every):
                    self._line()

    def set_postfix(self, text: str) -> None:
        """Show ``text`` (e.g. the item now running) after the count."""
        self.postfix = str(text)
        if self._bar is not None:
            self._bar.set_postfix_str(self.postfix)

    def close(self) -> None:
        """Stop the display; a plain-line display that has shown anything ends with the final count."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "lines" and self._last is not None:
            with self._lock:
                self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.close()
        return False


def progress(iterable: Iterable[Any], *, total: int | None = None, desc: str, enabled: bool | None = None,
             **kwargs: Any) -> Iterator[Any]:
    """Iterate over ``iterable`` showing progress (like ``tqdm.auto.tqdm(iterable)``).

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        Number of items (default ``len(iterable)`` when it has one).
    desc : str
        What is running.
    enabled : bool or None
        See :func:`progress_mode`: None chooses a widget in Jupyter, a bar on a terminal, plain
        lines otherwise; False is silent.
    **kwargs
        ``unit``, ``stream``, ``delay``, ``every`` of :class:`Progress`.

    Returns
    -------
    iterator
        The items of ``iterable``; the display starts at the first item and closes when the
        iteration ends or stops. Arguments are checked at the call.

    Examples
    --------
    >>> [x * x for x in progress(range(4), desc="squares", enabled=False)]
    [0, 1, 4, 9]
    """
    if total is None and isinstance(iterable, Sized):
        total = len(iterable)
    _check(total, desc, kwargs.get("delay", 0.0), kwargs.get("every", 1.0))  # now, not at the first item
    progress_mode(enabled)
    return _iterate(iterable, Progress, dict(kwargs, total=total, desc=desc, enabled=enabled))


def _iterate(iterable: Iterable[Any], make: Callable[..., Progress], options: dict[str, Any]) -> Iterator[Any]:
    total = options.pop("total")
    with make(total, **options) as bar:
        for item in iterable:
            yield item
            bar.update()
