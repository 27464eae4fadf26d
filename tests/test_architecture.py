"""The package's shape: imports point only downward through the layers, no circles, no module
imports another module's underscore name, and the flat namespace is explicit (``__all__``)."""

import ast
import pathlib

import pytest

import topotheory as tt

PACKAGE = pathlib.Path(tt.__file__).parent

#: The layers, lowest first. A module may import modules of its own layer or of lower layers.
LAYERS = (
    "common",
    "graphs",
    "algorithms",
    "engine",
    "metrics",
    "toy",
    "bounds",
    "simulate",
    "crosscheck",
    "hetero",
    "design",
    "compare",
    "figures",
    "explore",
    "cli",
)


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path):
    """(imported module, imported names, line) for every import statement, relative ones resolved."""
    module = _module_name(path)
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("topotheory"):
                    out.append((a.name, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("topotheory"):
                out.append((target, tuple(a.name for a in node.names), node.lineno))
    return out


def _layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the root package (top of everything)


MODULES = sorted(PACKAGE.rglob("*.py"))


def _all_edges():
    edges = []
    for path in MODULES:
        src = _module_name(path)
        for target, names, line in _imports(path):
            # "from .x import y" may import the submodule x.y
            for name in names or ("",):
                full = f"{target}.{name}" if name and (PACKAGE.parent / (f"{target}.{name}".replace(".", "/") + ".py")).exists() else target
                edges.append((src, full, name, line, path))
    return edges


@pytest.fixture(scope="module")
def edges():
    """Every import edge of the package (each module parsed once for the three import-rule tests)."""
    return _all_edges()


def test_layers_are_known():
    found = {p.relative_to(PACKAGE).parts[0] for p in MODULES if len(p.relative_to(PACKAGE).parts) > 1}
    assert found <= set(LAYERS), f"subpackages not in LAYERS: {found - set(LAYERS)}"


def test_imports_point_downward(edges):
    bad = []
    for src, dst, _, line, path in edges:
        ls, ld = _layer(src), _layer(dst)
        if ls is None or ls not in LAYERS:
            continue  # the root package (and ``__main__``) sit on top
        if ld is None and dst == "topotheory":
            bad.append(f"{path.relative_to(PACKAGE)}:{line} imports the root package")
            continue
        if ld in LAYERS and LAYERS.index(ld) > LAYERS.index(ls):
            bad.append(f"{path.relative_to(PACKAGE)}:{line} ({ls}) imports {dst} ({ld})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_no_import_of_another_modules_underscore_name(edges):
    bad = []
    for src, dst, name, line, path in edges:
        if name.startswith("_") and not name.startswith("__") and dst != src:
            pkg_of_src = src if path.name == "__init__.py" else src.rpartition(".")[0]
            own_private = dst.startswith(pkg_of_src + "._") or dst == pkg_of_src
            if not own_private:
                bad.append(f"{path.relative_to(PACKAGE)}:{line} imports {name} from {dst}")
        for part in dst.split(".")[1:]:
            if part.startswith("_") and not part.startswith("__"):
                pkg_of_src = src if path.name == "__init__.py" else src.rpartition(".")[0]
                if not dst.startswith(pkg_of_src + "."):
                    bad.append(f"{path.relative_to(PACKAGE)}:{line} imports the private module {dst}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles(edges):
    graph = {}
    modules = {_module_name(p) for p in MODULES}
    for src, dst, _, _, _ in edges:
        # a package __init__ importing its own submodules is not a cycle through them
        if dst in modules and dst != src and not src.startswith(dst + "."):
            graph.setdefault(src, set()).add(dst)
    state, stack, cycles = {}, [], []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in graph.get(u, ()):
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v):] + [v])
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_all_is_complete_and_resolves():
    assert len(tt.__all__) == len(set(tt.__all__))
    missing = [n for n in tt.__all__ if not hasattr(tt, n)]
    assert not missing
    public = {n for n in dir(tt) if not n.startswith("_")} - set(LAYERS)
    assert public <= set(tt.__all__), f"public names not in __all__: {sorted(public - set(tt.__all__))}"


def test_crosscheck_is_a_module_and_still_callable():
    import importlib
    import types

    cc = importlib.import_module("topotheory.crosscheck")
    assert isinstance(cc, types.ModuleType)
    assert tt.crosscheck is cc and callable(tt.crosscheck)
    assert "lr" in str(__import__("inspect").signature(tt.crosscheck))


@pytest.mark.parametrize("heavy", ["matplotlib", "sympy", "scipy.stats"])
def test_import_is_light(heavy, loaded_by_import):
    assert loaded_by_import[heavy] is False, f"import topotheory imports {heavy}"
