"""Regenerate the committed outputs of the notebooks in ``notebooks/``, or check that they are current.

    python tools/notebooks.py                 # execute every notebook in place (outputs committed)
    python tools/notebooks.py 03_crosscheck   # only these
    python tools/notebooks.py --check         # exit 1 if a notebook's outputs are missing or stale

Each notebook runs top to bottom in a fresh kernel of this environment (``python3``), in a
temporary working directory (so files it writes stay out of the repository), with matplotlib's
inline backend. The stored outputs are normalised so that regenerating an unchanged notebook gives
a small diff: no timing metadata, no progress-bar widgets (their model ids change on every run),
and the notebook metadata records the SHA-256 of its code cells (``metadata.topotheory``).

``--check`` (run by the test suite) needs no kernel: every code cell has run, in order, in one
session, without an error, and the recorded hash is that of the current code cells, so a code cell
edited without regenerating the outputs is caught.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: Key of the notebook metadata this tool writes.
KEY = "topotheory"
#: Output MIME types that are live widgets (progress bars, the explorer): dropped from the stored outputs.
WIDGET = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 600  # per cell, seconds


def code_hash(nb: Any) -> str:
    """SHA-256 of the notebook's code cells (their sources, in order)."""
    sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode("utf-8")).hexdigest()


def problems(nb: Any) -> list[str]:
    """Why the stored outputs of ``nb`` are not current (an empty list when they are)."""
    out = []
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    recorded = nb.metadata.get(KEY, {}).get("code_sha256")
    if recorded is None:
        out.append("no recorded code hash (never regenerated with tools/notebooks.py)")
    elif recorded != code_hash(nb):
        out.append("code cells changed since the outputs were generated")
    counts = [cell.execution_count for cell in code]
    if any(c is None for c in counts):
        out.append(f"{sum(c is None for c in counts)} code cell(s) not executed")
    elif counts != list(range(1, len(code) + 1)):
        out.append(f"code cells not executed top to bottom in one session (execution counts {counts})")
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    if errors:
        out.append(f"{len(errors)} error output(s): {errors[0].ename}: {errors[0].evalue}")
    return out


def normalise(nb: Any) -> Any:
    """Drop what changes on every run: timing metadata and live widget views."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        kept = []
        for o in cell.outputs:
            data = o.get("data", {})
            if WIDGET in data:
                data.pop(WIDGET)
                if set(data) <= {"text/plain"}:
                    continue  # a live widget's text fallback (a progress bar, with its timings)
            kept.append(o)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    nb.metadata[KEY] = {"code_sha256": code_hash(nb)}
    return nb


def execute(path: Path) -> None:
    """Execute the notebook at ``path`` in place (normalised outputs)."""
    import nbformat
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    kernelspec = nb.metadata.get("kernelspec")
    with tempfile.TemporaryDirectory() as work:
        client = NotebookClient(nb, timeout=TIMEOUT, kernel_name=NATIVE_KERNEL_NAME, record_timing=False,
                                resources={"metadata": {"path": work}})
        client.execute()
    if kernelspec is not None:
        nb.metadata["kernelspec"] = kernelspec  # as the notebook declares it, not as this machine names it
    nbformat.validate(nb)
    nbformat.write(normalise(nb), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names (default: every notebook in notebooks/)")
    parser.add_argument("--check", action="store_true", help="only check that the stored outputs are current")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / (n if n.endswith(".ipynb") else f"{n}.ipynb") for n in args.names] or sorted(
        NOTEBOOKS.glob("*.ipynb"))
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if args.check:
        import nbformat

        stale = {p.name: problems(nbformat.read(p, as_version=4)) for p in paths}
        for name, why in stale.items():
            if why:
                print(f"{name}: {'; '.join(why)}", file=sys.stderr)
        if any(stale.values()):
            print("regenerate with: python tools/notebooks.py", file=sys.stderr)
            return 1
        print(f"{len(paths)} notebooks current")
        return 0
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # the kernels inherit it
    for p in paths:
        print(f"executing {p.name}", flush=True)
        execute(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
