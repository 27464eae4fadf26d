"""Run every notebook top to bottom (small parameters) with the current environment's kernel.

The notebooks execute concurrently (a few kernels at a time) in one module-scoped fixture, so the
kernels' start-up and imports overlap; each notebook is then checked by its own test.
"""

import asyncio
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OURS = ["01_effective_neighbors", "02_learning_rates", "03_crosscheck", "04_reproduce_figures", "08_explorer",
        "09_random_gossip", "10_algorithms"]
OPTIONAL = ["05_metrics_study", "06_heterogeneous", "07_weight_design"]
PRESENT = OURS + [name for name in OPTIONAL if (NOTEBOOKS / f"{name}.ipynb").exists()]
TIMEOUT = 180  # per cell, seconds
CONCURRENT = 3


async def _execute_all(workdir):
    sem = asyncio.Semaphore(CONCURRENT)

    async def run(name):
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        # The native "python3" kernel is launched with sys.executable: this environment's ipykernel.
        client = NotebookClient(nb, timeout=TIMEOUT, kernel_name=NATIVE_KERNEL_NAME,
                                resources={"metadata": {"path": str(workdir)}})
        async with sem:
            try:
                await client.async_execute()
            except Exception as exc:  # reported by the notebook's own test
                return nb, exc
        return nb, None

    results = await asyncio.gather(*(run(name) for name in PRESENT))
    return dict(zip(PRESENT, results))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("notebooks")
    mp = pytest.MonkeyPatch()
    mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        return asyncio.run(_execute_all(workdir))
    finally:
        mp.undo()


def test_our_notebooks_exist_and_are_stripped():
    for name in OURS:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == NATIVE_KERNEL_NAME
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name


@pytest.mark.parametrize("name", PRESENT)
def test_notebook_runs(name, executed):
    nb, exc = executed[name]
    if exc is not None:
        raise exc
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code")
    if name in OURS:  # the figures render
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, name


def test_kernel_is_this_environment():
    from jupyter_client.manager import KernelManager

    cmd = KernelManager(kernel_name=NATIVE_KERNEL_NAME).format_kernel_cmd()
    assert Path(cmd[0]).resolve() == Path(sys.executable).resolve()
