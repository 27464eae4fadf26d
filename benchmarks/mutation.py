"""A small mutation tester for the verdict code: do the tests fail when a verdict is wrong?

Mutants are made at the AST level, one at a time, in the functions listed in ``TARGETS``:

* ``cmp``   — a comparison operator replaced (``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``,
  ``<`` <-> ``>``);
* ``bool``  — one clause dropped from an ``and`` / ``or``;
* ``not``   — a ``not`` removed;
* ``const`` — a numeric constant changed (0 -> 1, 1 -> 0 or 2, ``c`` -> ``1.5 c``);
* ``arg``   — a keyword argument ``points=...`` replaced by ``points=1`` (removes a Bonferroni
  correction) and ``robust=...`` by ``robust=True``;
* ``ret``   — a function returning a verdict made to return ``"agrees"`` / ``True``.

Each mutant is compiled into the running package (every module and test module holding a
reference to the original function gets the mutant), the target's tests run in-process with
``pytest -x``, and the originals are put back. A mutant is *killed* when a test fails.

Run: ``python benchmarks/mutation.py [--max N] [--seed S] [--only stats,rates]``; prints one line
per mutant and the score per target. The full run takes several minutes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import inspect
import io
import random
import sys
import time
import types
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (module, functions to mutate (None: every function), test files)
TARGETS = {
    "stats": ("topotheory.crosscheck.stats", None, ["tests/crosscheck/test_crosscheck_stats.py"]),
    "rates": ("topotheory.crosscheck.rates", ["crosscheck"],
              ["tests/crosscheck/test_crosscheck_stats.py", "tests/crosscheck/test_crosscheck.py"]),
    "randomwalk_check": ("topotheory.crosscheck.randomwalk", None, ["tests/crosscheck/test_crosscheck_stats.py"]),
    "merging": ("topotheory.hetero.merging", ["crosscheck_merging"],
                ["tests/crosscheck/test_crosscheck_stats.py", "tests/hetero/test_merging.py"]),
    "spectral": ("topotheory.metrics.spectral", None, ["tests/metrics/test_spectral.py"]),
    "randomwalk": ("topotheory.metrics.randomwalk", None, ["tests/metrics/test_randomwalk.py"]),
}

#: The faults the issue lists, planted as text replacements in one function: (target, function, old, new).
PLANTED = [
    ("rates", "crosscheck", "remove the curve-band condition from the agreement rule",
     'Check("curve bands", curve_inside,', 'Check("curve bands", True,'),
    ("rates", "crosscheck", "remove the Bonferroni correction of the curve bands",
     "points=sim.steps + 1)", "points=1)"),
    ("merging", "crosscheck_merging", "make crosscheck_merging always agree",
     "verdict, reason = decide(checks, diag)", 'verdict, reason = "agrees", "planted"'),
    ("merging", "crosscheck_merging", "remove the Bonferroni correction of the merging bands",
     "points=T * Q)", "points=1)"),
]

_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _sites(fn):
    """Every mutation site of a function node: (kind, node path, variant) with a description."""
    sites = []
    skip = set()  # messages: nothing under an f-string or a raise is a verdict
    for node in ast.walk(fn):
        if isinstance(node, (ast.JoinedStr, ast.Raise)):
            skip.update(id(n) for n in ast.walk(node))
    for node in ast.walk(fn):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for table in (_SWAP, _FLIP):
                    if type(op) in table:
                        sites.append(("cmp", node, (i, table[type(op)]), f"{type(op).__name__} -> {table[type(op)].__name__}"))
        elif isinstance(node, ast.BoolOp) and len(node.values) >= 2:
            for i in range(len(node.values)):
                sites.append(("bool", node, i, f"drop clause {i + 1} of {type(node.op).__name__.lower()}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append(("not", node, None, "remove not"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            v = node.value
            for new in ({0: [1], 1: [0, 2]}.get(v, [type(v)(v * 1.5) if isinstance(v, float) else v + 1])):
                sites.append(("const", node, new, f"{v!r} -> {new!r}"))
        elif isinstance(node, ast.keyword) and node.arg in ("points", "robust"):
            new = 1 if node.arg == "points" else True
            sites.append(("arg", node, new, f"{node.arg}=... -> {node.arg}={new!r}"))
    if fn.name == "decide":
        sites.append(("ret", fn, ("agrees", "every check passes"), "always agrees"))
    return sites


def _apply(kind, node, variant):
    if kind == "cmp":
        i, op = variant
        node.ops[i] = op()
    elif kind == "bool":
        del node.values[variant]
        if len(node.values) == 1:
            return node.values[0]
    elif kind == "not":
        return node.operand  # replacement node
    elif kind == "const":
        node.value = variant
    elif kind == "arg":
        node.value = ast.Constant(variant)
    elif kind == "ret":
        node.body.insert(0, ast.Return(ast.Constant(variant)))
    return None


class _Replace(ast.NodeTransformer):
    def __init__(self, target, new):
        self.target, self.new = target, new

    def generic_visit(self, node):
        node = super().generic_visit(node)
        return self.new if node is self.target else node


def mutants(module_name, functions):
    """(function name, description, line, mutated function source tree) for every site."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    out = []
    for fn in [n for n in tree.body if isinstance(n, ast.FunctionDef)] + [
        m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body if isinstance(m, ast.FunctionDef)
    ]:
        if functions is not None and fn.name not in functions:
            continue
        if fn.name == "__repr__" or fn.name.startswith("_body") or fn.name in ("advice", "_verdict_lines", "__str__"):
            continue  # text rendering
        for k, (kind, node, _variant, desc) in enumerate(_sites(fn)):
            out.append((fn.name, desc, getattr(node, "lineno", fn.lineno), kind, k))
    return tree, out


def _mutated_function(tree, fn_name, index):
    tree = copy.deepcopy(tree)
    fns = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == fn_name]
    fn = fns[0]
    kind, node, variant, _ = _sites(fn)[index]
    new = _apply(kind, node, variant)
    if new is not None:
        fn = _Replace(node, new).visit(fn)
    owner = next((c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and fn in c.body), None)
    return ast.fix_missing_locations(fn), owner


def _swap(old, new):
    """Point every reference to ``old`` in loaded package and test modules at ``new``."""
    for name, mod in list(sys.modules.items()):
        if not isinstance(mod, types.ModuleType) or not (name.startswith("topotheory") or name.startswith("test")):
            continue
        for k, v in list(vars(mod).items()):
            if v is old:
                setattr(mod, k, new)


def run_tests(files):
    import pytest

    buf = io.StringIO()
    with redirect_stdout(buf), redirect_stderr(buf):
        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *[str(ROOT / f) for f in files]])
    return code


def _install(module, fn_name, new_fn_source):
    """Compile ``new_fn_source`` in ``module``'s namespace; returns (old, new)."""
    ns = dict(vars(module))
    exec(compile(new_fn_source, module.__file__, "exec"), ns)
    return vars(module)[fn_name], ns[fn_name]


def run_planted():
    """Each planted fault of :data:`PLANTED` against its target's tests; True when all are killed."""
    import textwrap

    sys.path.insert(0, str(ROOT))
    all_killed = True
    for target, fn_name, desc, old_text, new_text in PLANTED:
        module_name, _, tests = TARGETS[target]
        module = importlib.import_module(module_name)
        src = textwrap.dedent(inspect.getsource(vars(module)[fn_name]))
        if old_text not in src:
            print(f"NOT FOUND {target}:{fn_name} {desc}")
            all_killed = False
            continue
        old, new = _install(module, fn_name, src.replace(old_text, new_text))
        start = time.perf_counter()
        try:
            _swap(old, new)
            dead = run_tests(tests) != 0
        finally:
            _swap(new, old)
        all_killed &= dead
        print(f"{'killed  ' if dead else 'SURVIVED'} planted {target}:{fn_name} {desc} ({time.perf_counter() - start:.1f}s)",
              flush=True)
    return all_killed


def run(names, max_per_target=None, seed=0):
    sys.path.insert(0, str(ROOT))
    results = {}
    for name in names:
        module_name, functions, tests = TARGETS[name]
        module = importlib.import_module(module_name)
        tree, sites = mutants(module_name, functions)
        if max_per_target is not None and len(sites) > max_per_target:
            sites = random.Random(seed).sample(sites, max_per_target)
        killed = 0
        for fn_name, desc, line, kind, index in sites:
            fn_node, owner = _mutated_function(tree, fn_name, index)
            holder = getattr(module, owner) if owner else module
            old = vars(holder)[fn_name]
            code = compile(ast.Module(body=[fn_node], type_ignores=[]), module.__file__, "exec")
            ns = dict(vars(module))
            exec(code, ns)
            new = ns[fn_name]
            if isinstance(old, property) and not isinstance(new, property):
                new = property(new, old.fset, old.fdel, old.__doc__)
            start = time.perf_counter()
            try:
                if owner:
                    setattr(holder, fn_name, new)
                else:
                    _swap(old, new)
                status = run_tests(tests)
            finally:
                if owner:
                    setattr(holder, fn_name, old)
                else:
                    _swap(new, old)
            dead = status != 0
            killed += dead
            print(f"{'killed  ' if dead else 'SURVIVED'} {name}:{fn_name}:{line} {kind} {desc}"
                  f"  ({time.perf_counter() - start:.1f}s)", flush=True)
        results[name] = (killed, len(sites))
    print()
    for name, (k, n) in results.items():
        print(f"{name:18s} {k}/{n} killed" + (f" ({100 * k / n:.0f}%)" if n else ""))
    total_k = sum(k for k, _ in results.values())
    total_n = sum(n for _, n in results.values())
    print(f"{'total':18s} {total_k}/{total_n} killed" + (f" ({100 * total_k / total_n:.0f}%)" if total_n else ""))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(TARGETS), help="comma-separated targets: " + ", ".join(TARGETS))
    ap.add_argument("--max", type=int, default=None, help="sample at most this many mutants per target")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample")
    ap.add_argument("--list", action="store_true", help="only list the mutants")
    ap.add_argument("--planted", action="store_true", help="only the planted faults the issue lists")
    args = ap.parse_args(argv)
    if args.planted:
        return 0 if run_planted() else 1
    names = [n for n in args.only.split(",") if n]
    if args.list:
        sys.path.insert(0, str(ROOT))
        for n in names:
            _, sites = mutants(TARGETS[n][0], TARGETS[n][1])
            print(n, len(sites))
        return 0
    run(names, args.max, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
