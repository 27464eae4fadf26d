"""Run every notebook top to bottom (small parameters) with the current environment's kernel."""

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OURS = ["01_effective_neighbors", "02_learning_rates", "03_crosscheck", "04_reproduce_figures"]
OPTIONAL = ["05_metrics_study", "06_heterogeneous"]
PRESENT = OURS + [name for name in OPTIONAL if (NOTEBOOKS / f"{name}.ipynb").exists()]


def test_our_notebooks_exist_and_are_stripped():
    for name in OURS:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name


@pytest.mark.parametrize("name", PRESENT)
def test_notebook_runs(name, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # The native "python3" kernel is launched with sys.executable, i.e. this environment's ipykernel.
    assert nb.metadata.kernelspec.name == NATIVE_KERNEL_NAME
    client = NotebookClient(nb, timeout=120, kernel_name=NATIVE_KERNEL_NAME,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    if name in OURS:  # the figures render
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, name


def test_kernel_is_this_environment():
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=NATIVE_KERNEL_NAME)
    cmd = km.format_kernel_cmd()
    assert cmd[0] == sys.executable or Path(cmd[0]).resolve() == Path(sys.executable).resolve()
