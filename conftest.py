"""Test-suite setup: a non-interactive matplotlib backend for every test and doctest, and the
``--notebooks`` option (execute the notebooks top to bottom; the documentation build executes them
too, so the default run checks only that their committed outputs are current)."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    parser.addoption("--notebooks", action="store_true", default=False,
                     help="also execute every notebook in notebooks/ (about a minute)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--notebooks"):
        return
    skip = pytest.mark.skip(reason="executing the notebooks needs --notebooks (the docs build executes them too)")
    for item in items:
        if "executes_notebooks" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "executes_notebooks: executes a notebook (runs with --notebooks)")
