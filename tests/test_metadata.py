"""The package's metadata says what is true: floors CI tests, the version and its changelog entry."""

import configparser
import pathlib
import re

import pytest

import topotheory as tt

REPO = pathlib.Path(tt.__file__).resolve().parent.parent
CFG = REPO / "setup.cfg"
FLOOR = REPO / ".ci" / "floor-constraints.txt"

pytestmark = pytest.mark.skipif(not (CFG.exists() and FLOOR.exists()), reason="not a source checkout")


def _requirements(text):
    """{name: floor} of 'name>=x.y' lines; every requirement must state a floor."""
    out = {}
    for line in text.strip().splitlines():
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", line)
        assert m, f"setup.cfg requirement {line.strip()!r} must be 'name>=floor'"
        out[m.group(1).lower()] = m.group(2)
    return out


def _config():
    cfg = configparser.ConfigParser()
    cfg.read(CFG, encoding="utf-8")
    return cfg


def test_floor_constraints_pin_every_declared_floor():
    cfg = _config()
    declared = _requirements(cfg["options"]["install_requires"])
    declared.update(_requirements(cfg["options.extras_require"]["test"]))
    pinned = {}
    for line in FLOOR.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pinned[name.strip().lower()] = version.strip()
    assert set(pinned) == set(declared)
    for name, floor in declared.items():
        # the pin is the floor itself (1.12 == 1.12.0), so CI tests exactly what setup.cfg promises
        pad = lambda v: tuple(int(x) for x in v.split(".")) + (0,) * (3 - len(v.split(".")))  # noqa: E731
        assert pad(pinned[name]) == pad(floor), f"{name}: setup.cfg says >={floor}, CI pins {pinned[name]}"


def test_scipy_floor_has_the_sparse_array_constructors_the_code_uses():
    # scipy.sparse.diags_array is new in scipy 1.11 and eye_array in 1.12
    uses = "".join(p.read_text(encoding="utf-8") for p in (REPO / "topotheory").rglob("*.py"))
    floor = _requirements(_config()["options"]["install_requires"])["scipy"]
    if "eye_array" in uses:
        assert tuple(int(x) for x in floor.split(".")[:2]) >= (1, 12)


def test_version_is_static_and_has_a_changelog_entry():
    cfg = _config()
    assert cfg["metadata"]["version"].strip() == "attr: topotheory.common.version.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tt.__version__)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(tt.__version__)}\s*$", changelog, re.M)


def test_license_and_classifiers():
    cfg = _config()
    assert cfg["metadata"]["license"].strip() == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    classifiers = cfg["metadata"]["classifiers"]
    lowest = re.fullmatch(r">=\s*3\.(\d+)", cfg["options"]["python_requires"].strip())
    assert lowest and f"Programming Language :: Python :: 3.{lowest.group(1)}" in classifiers


def test_the_package_is_marked_typed_and_ships_the_marker():
    # PEP 561: the empty marker file, shipped as package data in the wheel and listed for the sdist
    assert (REPO / "topotheory" / "py.typed").is_file()
    assert "py.typed" in _config()["options.package_data"]["topotheory"]
    assert "topotheory/py.typed" in (REPO / "MANIFEST.in").read_text(encoding="utf-8")


def test_mypy_configuration_names_modules_that_exist():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    for override in conf["overrides"]:
        for module in override["module"]:
            path = REPO / pathlib.Path(*module.removesuffix(".*").split("."))
            assert path.is_dir() or path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), module
