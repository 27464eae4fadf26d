"""Modules whose every public name *and* public method is held to the numpydoc checks of
``test_docstrings.py`` (parameters, returns, examples), not only the names of ``topotheory.__all__``:
the engine's interface (what a new representation implements, documented once in
:class:`~topotheory.engine.base.Representation`), the metrics and the symbolic oracles."""

import importlib
import inspect

import pytest
from test_docstrings import _findings

pytest.importorskip("numpydoc.validate", reason="numpydoc is not installed (the test extra has it)")

MODULES = (
    "topotheory.engine.base",
    "topotheory.engine.dense",
    "topotheory.engine.fourier",
    "topotheory.engine.random",
    "topotheory.engine.rational",
    "topotheory.engine.resolve",
    "topotheory.engine.spectral_measure",
    "topotheory.engine.structure",
    "topotheory.metrics.spectral",
    "topotheory.metrics.randomwalk",
    "topotheory.metrics.functionals",
    "topotheory.toy.symbolic",
)


def _targets():
    """Qualified names of the public functions and classes of MODULES, and of the public methods
    and properties each class defines itself (result types are checked field by field instead)."""
    out = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if getattr(obj, "__module__", None) != name or not callable(obj):
                continue  # constants, and names re-exported from elsewhere
            out.append((f"{name}.{attr}", obj))
            if inspect.isclass(obj):
                out += [(f"{name}.{attr}.{k}", None) for k, v in vars(obj).items()
                        if not k.startswith("_") and (inspect.isfunction(v) or isinstance(v, (property, staticmethod)))]
    return out


TARGETS = _targets()


def test_targets_cover_the_interface():
    names = {q for q, _ in TARGETS}
    assert "topotheory.engine.base.Representation.perron_excess" in names
    assert "topotheory.engine.fourier.FourierRepresentation.has_slopes" in names
    assert "topotheory.metrics.randomwalk.effective_neighbors" in names
    assert len(names) > 60


@pytest.mark.parametrize("qualname,obj", TARGETS, ids=[q for q, _ in TARGETS])
def test_docstring_validates(qualname, obj):
    findings = _findings(qualname, obj)
    assert not findings, f"{qualname}:\n  " + "\n  ".join(findings)


def test_a_method_without_sections_is_caught():
    # plant: a method's docstring loses its Parameters, Returns and Examples sections
    from topotheory.engine.base import Representation

    method = Representation.apply_second_moment
    saved = method.__doc__
    method.__doc__ = "One step of the second-moment map."
    try:
        codes = {f.split(":")[0] for f in _findings("topotheory.engine.base.Representation.apply_second_moment")}
    finally:
        method.__doc__ = saved
    assert codes == {"PR01", "RT01", "EX01"}
    assert not _findings("topotheory.engine.base.Representation.apply_second_moment")
