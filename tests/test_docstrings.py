"""Every public callable of ``topotheory.__all__`` passes numpydoc validation for its parameters,
returns and examples (``numpydoc.validate``), except, for now, the modules listed in ``PENDING``.

Result types (dataclasses the package returns) document their fields, each with a description, under
Attributes (or Parameters) instead: they come with the examples of the functions that return them."""

import dataclasses
import inspect
import re

import pytest

import topotheory as tt

validate = pytest.importorskip("numpydoc.validate", reason="numpydoc is not installed (the test extra has it)").validate

#: The checks: parameters (documented, none unknown, in order, each with a type and a description,
#: descriptions ending in a period), returns (a Returns section where something is returned) and
#: examples (an Examples section).
CHECKS = {
    "PR01": "a parameter is not documented",
    "PR02": "an unknown parameter is documented",
    "PR03": "parameters are documented out of order",
    "PR07": "a parameter has no description",
    "RT01": "no Returns section",
    "EX01": "no Examples section",
}

#: Modules whose docstrings are not yet held to the checks (empty: every public callable is).
PENDING: tuple = ()


def _targets():
    out = {}
    for name in tt.__all__:
        obj = getattr(tt, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        module = getattr(obj, "__module__", "") or ""
        if not module.startswith("topotheory"):
            continue
        out[name] = f"{module}.{obj.__qualname__}"
    return out


TARGETS = _targets()


def _pending(qualname):
    return any(qualname.startswith(p) for p in PENDING)


def _is_result_type(obj):
    """A dataclass the package returns (its fields documented under Parameters or Attributes)."""
    return inspect.isclass(obj) and dataclasses.is_dataclass(obj)


def _findings(qualname, obj=None):
    res = validate(qualname)
    if obj is not None and _is_result_type(obj):
        # a result type: every field is documented (Attributes, or Parameters), with a description
        from numpydoc.docscrape import ClassDoc

        doc = ClassDoc(obj)
        described = {}
        for section in ("Parameters", "Attributes"):  # numpydoc lists None-valued fields again, undescribed
            for p in doc[section]:
                for name in p.name.replace(" ", "").split(","):
                    described[name] = described.get(name) or p.desc
        fields = [f.name for f in dataclasses.fields(obj) if not f.name.startswith("_")]
        out = [f"PR01: field {f!r} is not documented" for f in fields if f not in described]
        out += [f"PR07: field {f!r} has no description" for f in fields if f in described and not described[f]]
        return out
    out = []
    for code, msg in res["errors"]:
        if code == "PR01":  # a private keyword (leading underscore) is not part of the documented API
            names = [n for n in re.findall(r"'([^']+)'", msg) if not n.startswith("_")]
            if not names:
                continue
            msg = f"Parameters {set(names)} not documented"
        if code in CHECKS:
            out.append(f"{code}: {msg}")
    return out


def test_targets_cover_the_public_callables():
    assert len(TARGETS) > 100
    assert "optimal_weights" in TARGETS and "Scheme" in TARGETS and "explore" in TARGETS


@pytest.mark.parametrize("name", sorted(n for n, q in TARGETS.items() if not _pending(q)))
def test_public_docstring_validates(name):
    findings = _findings(TARGETS[name], getattr(tt, name))
    assert not findings, f"{TARGETS[name]}:\n  " + "\n  ".join(findings)


def test_the_checks_catch_a_planted_fault():
    def planted(scheme, gamma):
        """A function whose docstring documents one parameter of two, returns nothing, shows nothing.

        Parameters
        ----------
        scheme : Scheme
            The scheme.
        """
        return gamma

    import sys

    module = sys.modules[__name__]
    module.planted = planted
    planted.__module__ = __name__
    try:
        codes = {f.split(":")[0] for f in _findings(f"{__name__}.planted")}
    finally:
        del module.planted
    assert codes == {"PR01", "RT01", "EX01"}


def test_result_types_must_document_every_field():
    @dataclasses.dataclass(frozen=True)
    class Planted:
        """A result with one documented field of two.

        Attributes
        ----------
        rate : float
            The rate.
        """

        rate: float
        lr: float

    assert _findings(f"{__name__}.TARGETS", Planted) == ["PR01: field 'lr' is not documented"]


def test_pending_modules_still_exist():
    # an entry of PENDING that no public name lives in is stale: remove it
    modules = {q.rsplit(".", 1)[0] + "." for q in TARGETS.values()}
    for prefix in PENDING:
        assert any(m.startswith(prefix) or m.startswith(prefix.rstrip(".") + ".") for m in modules), prefix
