"""Doctest collection setup: a non-interactive matplotlib backend for every test and doctest."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
