"""Helpers shared by the CLI commands: list parsing, output formatting."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np

from ..common.jsonable import jsonable

FORMATS = ("table", "json", "csv")


class CliError(Exception):
    """A user error: printed as one line ``topotheory: error: ...`` with exit code 2."""


def parse_float_list(name, text):
    """Parse ``"0.1,0.2"`` into floats, or raise a one-line CliError naming the option."""
    try:
        values = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise CliError(f"{name} must be a comma-separated list of numbers, got {text!r}") from None
    if not values:
        raise CliError(f"{name} must not be empty")
    return values


def parse_name_list(text):
    """Split a comma-separated list of topology specs, keeping each spec's own parameters.

    A piece that is a parameter (``key=value``, ``4x8`` or a number) belongs to the spec before it:
    ``"ring:n=16,weights=max_degree,torus:4x8"`` gives ``["ring:n=16,weights=max_degree", "torus:4x8"]``.
    """
    specs = []
    for piece in (x.strip() for x in str(text).split(",")):
        if not piece:
            continue
        is_param = re.fullmatch(r"[A-Za-z_]\w*\s*=.*|\d+x\d+|[\d.]+", piece) is not None
        if specs and is_param and ":" in specs[-1]:
            specs[-1] += "," + piece
        else:
            specs.append(piece)
    return specs


def _flatten(row):
    flat = {}
    for key, val in row.items():
        if isinstance(val, dict):
            for k2, v2 in val.items():
                flat[f"{key}[{k2}]"] = v2
        else:
            flat[key] = val
    return flat


def _fmt(val):
    if isinstance(val, (float, np.floating)):
        if not math.isfinite(val):
            return "nan" if math.isnan(val) else ("inf" if val > 0 else "-inf")
        return f"{val:.6g}"
    if val is None:
        return "-"
    return str(val)


def render(rows, fmt):
    """Render a list of dict rows as an aligned text table, JSON or CSV."""
    if fmt == "json":
        return json.dumps(jsonable(rows), indent=2)
    flat = [_flatten(r) for r in rows]
    cols = []
    for r in flat:
        for k in r:
            if k not in cols:
                cols.append(k)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in flat:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
        return buf.getvalue().rstrip("\n")
    cells = [[_fmt(r.get(k)) for k in cols] for r in flat]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) if _is_num(v) else v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _is_num(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def add_format_argument(parser):
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
