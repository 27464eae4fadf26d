"""Sphinx configuration of the topotheory documentation site.

Build: ``pip install -e ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``.

Before the build, ``_generated/`` is filled from the repository (nothing there is edited by hand):
the API reference lists every name of ``topotheory.__all__`` (grouped by the layer that defines
it), the notebooks of ``notebooks/`` form the gallery and ``figures/`` the figure index.

Intersphinx links to numpy, scipy, networkx and Python need the network, so they are used only
when ``TOPOTHEORY_DOCS_INTERSPHINX=1``; without it (offline, as in CI) the build still passes with
``-W`` and such references render as plain text. Notebooks are executed at build time unless
``TOPOTHEORY_DOCS_EXECUTE=0`` (then their stored state is shown; they are stored without outputs).
"""

import inspect
import json
import os
import pathlib
import shutil
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import topotheory as tt  # noqa: E402

project = "topotheory"
author = "topotheory developers"
copyright = "2026, topotheory developers"
release = tt.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]
if os.environ.get("TOPOTHEORY_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "networkx": ("https://networkx.org/documentation/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"

autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off" if os.environ.get("TOPOTHEORY_DOCS_EXECUTE") == "0" else "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

html_theme = "pydata_sphinx_theme"
html_title = f"topotheory {release}"
html_theme_options = {"navigation_with_keys": False}
html_static_path = []

# ---------------------------------------------------------------- generated pages ---------------

GENERATED = DOCS / "_generated"

#: Section titles of the API reference, by the layer that defines a public name (lowest first).
LAYER_TITLES = {
    "graphs": "Gossip schemes and topologies",
    "algorithms": "The algorithms studied",
    "metrics": "Metrics of a graph",
    "toy": "The toy problem",
    "bounds": "The paper's general bounds",
    "simulate": "Monte Carlo simulation",
    "crosscheck": "Theory against simulation",
    "hetero": "Heterogeneous data",
    "engine": "The representation a scheme resolves to",
    "design": "Designing topologies",
    "compare": "Comparing metrics",
    "figures": "Figures",
    "explore": "Exploring in Jupyter",
    "cli": "The command line",
    "common": "The package",
}


def _layer_of(name):
    obj = getattr(tt, name)
    module = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)
    if not isinstance(module, str) or not module.startswith("topotheory."):
        module = tt.__name__ + "." + _DATA_LAYERS.get(name, "common")
    return module.split(".")[1]


#: Constants (tuples, dicts, strings) carry no module; the layer that defines each.
_DATA_LAYERS = {}


def _data_layers():
    for name in tt.__all__:
        obj = getattr(tt, name)
        if inspect.ismodule(obj) or hasattr(obj, "__module__") and callable(obj):
            continue
        for modname, module in list(sys.modules.items()):
            if modname.startswith("topotheory.") and modname.count(".") == 2 \
                    and getattr(module, name, None) is obj and name in getattr(module, "__all__", ()):
                _DATA_LAYERS[name] = modname.split(".", 1)[1]
                break


def write_api_page():
    """docs/_generated/api.rst: one autosummary table per layer over ``topotheory.__all__``."""
    _data_layers()
    groups = {}
    for name in tt.__all__:
        if name == "__version__":
            continue
        groups.setdefault(_layer_of(name), []).append(name)
    unknown = set(groups) - set(LAYER_TITLES)
    if unknown:
        raise RuntimeError(f"docs/conf.py: give the API layers {sorted(unknown)} a title in LAYER_TITLES")
    lines = ["API reference", "=============", "",
             ".. currentmodule:: topotheory", "",
             "Every public name of ``import topotheory as tt`` (``topotheory.__all__``), by layer.",
             "Gossip is row-wise: one step is ``X <- W @ X``.", ""]
    for layer, title in LAYER_TITLES.items():
        if layer not in groups:
            continue
        names = [n for n in groups[layer] if n not in _DATA_LAYERS]
        lines += [title, "-" * len(title), ""]
        if names:
            lines += [".. autosummary::", "   :toctree: api", ""] + [f"   {name}" for name in names] + [""]
        for name in (n for n in groups[layer] if n in _DATA_LAYERS):
            lines += _constant_entry(name)
    _write(GENERATED / "api.rst", "\n".join(lines))


def copy_gallery():
    """The notebooks of notebooks/ and the figure index of figures/, copied beside their pages."""
    nb_dir = GENERATED / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in notebooks:
        # A notebook stored without outputs may lack its language; the copy says Python (for the
        # syntax highlighting of unexecuted builds).
        data = json.loads(nb.read_text(encoding="utf-8"))
        data.setdefault("metadata", {}).setdefault("language_info", {"name": "python"})
        _write(nb_dir / nb.name, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    toc = ["# Notebook gallery", "",
           "The notebooks of the repository's `notebooks/` folder, executed when this site is built.", "",
           "```{toctree}", ":maxdepth: 1", ""] + [f"notebooks/{nb.stem}" for nb in notebooks] + ["```", ""]
    _write(GENERATED / "gallery.md", "\n".join(toc))
    fig_dir = GENERATED / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted((ROOT / "figures").iterdir()):
        if f.is_file():
            _copy(f, fig_dir / f.name)


def _constant_entry(name):
    """A ``py:data`` entry for a constant, documented by its ``#:`` comment where it is defined."""
    from sphinx.pycode import ModuleAnalyzer

    module = "topotheory." + _DATA_LAYERS[name]
    doc = " ".join(ModuleAnalyzer.for_module(module).find_attr_docs().get(("", name), [])).strip()
    if not doc:
        raise RuntimeError(f"docs/conf.py: document the constant {module}.{name} with a '#:' comment")
    value = getattr(tt, name)
    shown = repr(tuple(value)) if isinstance(value, dict) else repr(value)
    lead = "The keys: " if isinstance(value, dict) else "The value: "
    return [f".. data:: {name}", "", f"   {doc}", "", f"   {lead}``{shown}``", ""]


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _copy(src, dst):
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dst)


write_api_page()
copy_gallery()
