"""The one progress display: the mode it picks, what each mode prints, and bad arguments."""

import io
import sys
import time
import types

import pytest

from topotheory.common.progress import Progress, in_notebook, progress, progress_mode


class _Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def notebook(monkeypatch):
    """Pretend to run inside a Jupyter kernel (an IPython ZMQ shell)."""
    IPython = pytest.importorskip("IPython")
    shell = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)


def test_modes():
    assert not in_notebook()
    assert progress_mode(None, io.StringIO()) == "lines"
    assert progress_mode(None, _Tty()) == "terminal"
    assert progress_mode(True, io.StringIO()) == "terminal"  # forced on: a bar even in a log
    assert progress_mode(False, _Tty()) == "off"


def test_terminal_ipython_is_not_a_notebook(monkeypatch):
    shell = type("TerminalInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert not in_notebook() and progress_mode(None, io.StringIO()) == "lines"


def test_notebook_gets_a_widget_bar(notebook):
    pytest.importorskip("ipywidgets")
    from tqdm.notebook import tqdm as notebook_tqdm

    assert in_notebook() and progress_mode(None, io.StringIO()) == "notebook"
    assert progress_mode(False) == "off"
    with Progress(3, desc="demo", delay=0) as bar:
        assert bar.mode == "notebook" and isinstance(bar._bar, notebook_tqdm)
        for _ in range(3):
            bar.update()
        assert bar._bar.n == 3 and bar._bar.total == 3


def test_notebook_without_ipywidgets_falls_back_to_text(notebook, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert progress_mode(None, io.StringIO()) == "lines"
    assert progress_mode(True, io.StringIO()) == "terminal"


def test_terminal_bar_counts():
    out = _Tty()
    assert list(progress(range(5), desc="demo", stream=out, delay=0)) == list(range(5))
    text = out.getvalue()
    assert "demo" in text and "5/5" in text


def test_lines_print_counts_and_end_with_the_total():
    out = io.StringIO()
    with Progress(4, desc="demo", stream=out, delay=0, every=1e-9) as bar:
        for _ in range(4):
            bar.update()
        bar.set_postfix("ring")
    lines = out.getvalue().splitlines()
    counts = [int(line.split(":")[1].split("/")[0]) for line in lines]
    assert counts == sorted(counts) and {1, 2, 3, 4} <= set(counts) and counts[-1] == 4  # every update shows
    assert all(line.startswith("topotheory demo: ") and "/4 (" in line for line in lines)
    assert lines[-1].endswith(", ring)")


def test_quick_calls_print_nothing():
    out = io.StringIO()
    assert sum(progress(range(100), desc="demo", stream=out)) == 4950  # default delay: 2 s
    assert out.getvalue() == ""
    out = _Tty()
    list(progress(range(100), desc="demo", stream=out))  # tqdm's own delay
    assert out.getvalue() == ""


def test_heartbeat_while_one_item_runs():
    out = io.StringIO()
    with Progress(2, desc="slow", stream=out, delay=0.05, every=0.05):
        time.sleep(0.4)  # no update: the heartbeat still reports
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("topotheory slow: 0/2") for line in lines)


def test_unknown_total_and_disabled():
    out = io.StringIO()
    with Progress(desc="demo", stream=out, delay=0, every=1e-9) as bar:
        bar.update(3)
    assert "3 done" in out.getvalue()
    out = _Tty()
    assert list(progress(iter("abc"), desc="demo", enabled=False, stream=out)) == ["a", "b", "c"]
    assert out.getvalue() == ""


def test_stopping_early_closes_the_display():
    out = io.StringIO()
    it = progress(range(10), desc="demo", stream=out, delay=0, every=1e-9)
    assert next(it) == 0 and next(it) == 1
    it.close()
    assert out.getvalue().splitlines()[-1].startswith("topotheory demo: 1/10")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(enabled="yes"), TypeError, "progress must be True, False or None"),
    (dict(total=-1), ValueError, "total"),
    (dict(total=2.5), ValueError, "total"),
    (dict(desc=3), TypeError, "desc"),
    (dict(every=0), ValueError, "every"),
    (dict(delay=-1), ValueError, "delay"),
])
def test_bad_arguments_are_refused_at_the_call(kwargs, error, words):
    options = dict(desc="demo", **{k: v for k, v in kwargs.items() if k != "desc"})
    if "desc" in kwargs:
        options["desc"] = kwargs["desc"]
    with pytest.raises(error, match=words):
        progress([1, 2], **options)  # no iteration: checked at the call
