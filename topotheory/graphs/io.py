"""Reading users' graphs from files: one loader for the API and every CLI command.

:func:`load_graph` reads edge lists (any common delimiter, comments, weight columns or networkx
attribute dicts, isolated nodes, node names with spaces or tuples, CSV with a header), gossip or
adjacency matrices (``.npy``, ``.npz``, ``.csv``/``.txt`` grids, Matrix Market ``.mtx``) and
GraphML/GML (through networkx). It never changes a graph silently: self loops, symmetrised
directions, duplicate edges, ignored weights and disconnected components each raise a
:class:`GraphLoadWarning`, or a ``ValueError`` with ``strict=True``.

Which text is a path: :func:`is_graph_path` — a spec is read as a file when it starts with
``file:``, contains a path separator (``/``), or ends with one of :data:`GRAPH_EXTENSIONS`.
Anything else is a topology name, so a file called ``ring`` in the working directory never
replaces the built-in ring (read it as ``./ring`` or ``file:ring``).
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import warnings

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..common.results import Result
from ..common.validation import check_bool, plain
from .scheme import Scheme, is_doubly_stochastic
from .weights import WEIGHT_RULES, off_diagonal

__all__ = ["load_graph", "GraphReport", "GraphLoadWarning", "is_graph_path", "GRAPH_EXTENSIONS", "FORMATS"]

#: File extensions that make a spec a path (see :func:`is_graph_path`).
GRAPH_EXTENSIONS = (
    ".edgelist", ".edges", ".el", ".txt", ".tsv", ".csv", ".dat", ".adj",
    ".npy", ".npz", ".mtx", ".graphml", ".gml",
)

#: Values of ``format=``: ``"edgelist"`` (any text edge list, CSV included), ``"matrix"`` (a text
#: grid of numbers), ``"npy"``, ``"npz"``, ``"mtx"``, ``"graphml"``, ``"gml"``.
FORMATS = ("edgelist", "matrix", "npy", "npz", "mtx", "graphml", "gml")

_BY_EXTENSION = {".npy": "npy", ".npz": "npz", ".mtx": "mtx", ".graphml": "graphml", ".gml": "gml"}

#: First-row column names that mark a header line.
_HEADER_NAMES = {"source", "target", "from", "to", "u", "v", "src", "dst", "node1", "node2", "i", "j",
                 "head", "tail", "node", "neighbor", "neighbour", "a", "b"}

_DELIMITERS = ("\t", ",", ";", "|")
_INT = re.compile(r"[+-]?\d+")


class GraphLoadWarning(UserWarning):
    r"""The file's graph was changed while reading it (see :func:`load_graph`).

    Examples
    --------
    >>> import os, tempfile, warnings
    >>> path = os.path.join(tempfile.mkdtemp(), "edges.txt")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("0 0\n0 1\n1 2\n")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     scheme = load_graph(path)
    >>> caught[0].category.__name__, str(caught[0].message).endswith("dropped 1 self loop"), scheme.n
    ('GraphLoadWarning', True, 3)
    """


@dataclasses.dataclass(frozen=True, repr=False)
class GraphReport(Result):
    """What :func:`load_graph` read: stored on the scheme as ``scheme.source``.

    Attributes
    ----------
    path, format : str
        The file and how it was read (one of :data:`FORMATS`).
    kind : str
        ``"graph"`` (edges, weighted by ``weights``) or ``"gossip matrix"`` (used as ``W`` as is).
    workers, edges : int
        Nodes and undirected edges (self loops excluded) of the graph that was built.
    weighted : bool
        Whether the file carried edge weights (column, attribute or matrix values).
    weight_attribute : str or None
        The weight's name (``"weight"`` for a third column or matrix values).
    weights : str
        The weight rule that made ``W`` (``"as given"`` for a gossip matrix).
    delimiter : str or None
        The field delimiter of a text file (``None``: whitespace).
    header : tuple of str or None
        Column names of a header line.
    components : int
        Connected components (1 for a connected graph).
    self_loops, duplicate_edges, symmetrised_edges : int
        Dropped self loops, repeated edges merged, directed edges whose reverse was added.
    warnings : tuple of str
        Every change made while reading (empty when the file was taken as is).
    """

    path: str
    format: str
    kind: str
    workers: int
    edges: int
    weighted: bool
    weight_attribute: object
    weights: str
    delimiter: object
    header: object
    components: int
    self_loops: int
    duplicate_edges: int
    symmetrised_edges: int
    warnings: tuple

    def __str__(self) -> str:
        w = "weighted" if self.weighted else "unweighted"
        how = "used as W" if self.kind == "gossip matrix" else f"{self.weights} weights"
        return f"{self.path}: {self.workers} workers, {self.edges} edges, {w} ({self.format}, {how})"

    def summary(self) -> dict[str, Any]:
        """The counts shown by the CLI: workers, edges, weighted, format, weights."""
        return {"workers": self.workers, "edges": self.edges, "weighted": self.weighted,
                "format": self.format, "weights": self.weights}


def is_graph_path(spec: Any) -> bool:
    """True when the text ``spec`` names a file rather than a topology.

    The rule: it starts with ``file:``, contains ``/`` (or the platform's separator), or ends with
    one of :data:`GRAPH_EXTENSIONS` (case-insensitive). A bare name such as ``ring`` is never a
    path, even when a file of that name exists.

    Examples
    --------
    >>> is_graph_path("ring"), is_graph_path("karate.edgelist"), is_graph_path("./ring")
    (False, True, True)
    >>> is_graph_path("mix:spectral_gap=0.5"), is_graph_path("file:ring")
    (False, True)
    """
    if not isinstance(spec, (str, os.PathLike)):
        return False
    text = os.fspath(spec)
    if text.startswith("file:") or "/" in text or os.sep in text:
        return True
    return text.lower().endswith(GRAPH_EXTENSIONS)


def _strip_file_prefix(path: Any) -> str:
    text = os.fspath(path)
    return text[len("file:"):] if text.startswith("file:") else text


# ------------------------------------------------------------------------------------ text parsing
def _split(line: str, delimiter: str | None) -> list[str]:
    """Split one line on ``delimiter`` (None: whitespace) outside brackets and quotes."""
    if not any(c in line for c in "([{'\""):
        parts = line.split() if delimiter is None else line.split(delimiter)
        return [p.strip() for p in parts if delimiter is not None or p]
    fields: list[str] = []
    cur: list[str] = []
    depth, quote = 0, None
    for ch in line:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if depth == 0 and (ch == delimiter or (delimiter is None and ch.isspace())):
            fields.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    fields.append("".join(cur).strip())
    return [f for f in fields if delimiter is not None or f]


def _strip_comment(line: str, comments: str) -> str:
    if comments is None or comments not in line:
        return line
    if not any(c in line for c in "'\""):
        return line.split(comments, 1)[0]
    quote = None
    for k, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif line.startswith(comments, k):
            return line[:k]
    return line


def _outside_brackets(line: str, delim: str | None) -> bool:
    """True when ``delim`` occurs in ``line`` outside brackets and quotes."""
    return len(_split(line, delim)) > 1


def _detect_delimiter(lines: list[str]) -> str | None:
    for d in _DELIMITERS:
        if all(_outside_brackets(line, d) for line in lines[: min(len(lines), 200)] if line.strip()):
            return d
    return None


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v


def _node(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    if t.startswith("(") and t.endswith(")"):
        try:
            v = ast.literal_eval(t)
        except (ValueError, SyntaxError):
            return t
        return v if isinstance(v, tuple) else t
    return t


def _attrs(text: str) -> dict[str, Any] | None:
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return v if isinstance(v, dict) else None


def _parse_edgelist(text: str, *, delimiter: str | None, comments: str, header: Any, attr: str,
                    path: str) -> tuple[Any, Any, str | None, Any, Any]:
    raw = [(k + 1, _strip_comment(line, comments).rstrip("\r\n")) for k, line in enumerate(text.splitlines())]
    data = [(k, line) for k, line in raw if line.strip()]
    if not data:
        raise ValueError(f"{path}: the file has no nodes or edges")
    delim = _detect_delimiter([line for _, line in data]) if delimiter is None else delimiter
    if delim == " ":
        delim = None
    rows = [(k, _split(line, delim)) for k, line in data]
    names = None
    first = [f.strip().strip("'\"").lower() for f in rows[0][1]]
    is_header = header if header is not None else (len(first) >= 2 and first[0] in _HEADER_NAMES
                                                      and first[1] in _HEADER_NAMES)
    if is_header:
        names = tuple(f.strip().strip("'\"") for f in rows[0][1])
        rows = rows[1:]
    nodes, edges = [], []  # edges: (u, v, attrs dict)
    ignored_columns = set()
    if names is not None:
        lower = [c.lower() for c in names]
        wcol = lower.index(attr.lower()) if attr.lower() in lower else None
        ignored_columns = {names[c] for c in range(2, len(names)) if c != wcol}
    for lineno, f in rows:
        if names is not None:
            if len(f) != len(names):
                raise ValueError(f"{path}, line {lineno}: {len(f)} fields, but the header has {len(names)}")
            u, v = _node(f[0]), _node(f[1])
            extra: dict[Any, Any] = {}
            if wcol is not None:
                w = _number(f[wcol])
                if w is None:
                    raise ValueError(f"{path}, line {lineno}: {names[wcol]} {f[wcol]!r} is not a number")
                extra[attr] = w
            edges.append((lineno, u, v, extra))
            continue
        if len(f) == 1:
            nodes.append(_node(f[0]))
            continue
        u, v = _node(f[0]), _node(f[1])
        extra = {}
        if len(f) >= 3:
            d = _attrs(f[2]) if f[2].startswith("{") else None
            w = _number(f[2])
            if d is not None and len(f) == 3:
                extra = d
            elif w is not None and len(f) == 3:
                extra = {attr: w}
            else:
                hint = ("; node names with spaces need another delimiter (delimiter='\\t' or ',')"
                        if delim is None else "")
                raise ValueError(
                    f"{path}, line {lineno}: {len(f)} fields {f!r}; expected 'u v', 'u v weight' or "
                    f"'u v {{attributes}}'{hint}"
                )
        edges.append((lineno, u, v, extra))
    labels = [e[1] for e in edges] + [e[2] for e in edges] + nodes
    if labels and all(isinstance(x, str) and _INT.fullmatch(x) for x in labels):
        conv = {x: int(x) for x in set(labels)}
        if len(set(conv.values())) == len(conv):  # "01" and "1" would merge: keep strings then
            edges = [(k, conv[u], conv[v], a) for k, u, v, a in edges]
            nodes = [conv[x] for x in nodes]
    return nodes, edges, delim, names, ignored_columns


def _numeric_grid(text: str, delimiter: str | None, comments: str) -> np.ndarray | None:
    """The text as a square numeric grid with >= 4 columns, or None."""
    lines = [_strip_comment(line, comments) for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    if len(lines) < 4:
        return None
    delim = _detect_delimiter(lines) if delimiter is None else delimiter
    rows = []
    for line in lines:
        f = line.split() if delim in (None, " ") else line.split(delim)
        vals = [_number(x) for x in f if x.strip()]
        if len(vals) != len(lines) or any(x is None for x in vals):
            return None
        rows.append(vals)
    return np.array(rows, dtype=float)


# -------------------------------------------------------------------------------- building graphs
class _Issues:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)

    def changes(self, loops: int, dups: int, sym: int, loop_note: str = "") -> None:
        """Record the dropped self loops, merged duplicates and symmetrised edges (when non-zero)."""
        plural = lambda k: "s" if k != 1 else ""  # noqa: E731
        if loops:
            self.add(f"dropped {loops} self loop{plural(loops)}{loop_note}")
        if dups:
            self.add(f"merged {dups} duplicate edge{plural(dups)}")
        if sym:
            self.add(f"symmetrised {sym} directed edge{plural(sym)} without a reverse edge")


def _graph_from_edges(nodes: Any, edges: Any, *, directed: bool, attr: str | None, issues: Any) -> tuple[Any, int, int, int]:
    import networkx as nx

    G = nx.Graph()
    order = dict.fromkeys(x for _, u, v, _a in edges for x in (u, v))
    order.update(dict.fromkeys(nodes))
    G.add_nodes_from(order)
    loops = dups = conflicts = 0
    arcs = set()
    for _, u, v, a in edges:
        if u == v:
            loops += 1
            continue
        if not G.has_edge(u, v):
            G.add_edge(u, v, **a)
            arcs.add((u, v))
            continue
        old = G.edges[u, v]
        differ = attr in a and attr in old and a[attr] != old[attr]
        if directed and (u, v) not in arcs:  # the reverse arc of a directed edge: not a duplicate
            arcs.add((u, v))
        else:
            dups += 1
        conflicts += int(differ)
        old.update(a)
    sym = sum(1 for u, v in G.edges() if (u, v) not in arcs or (v, u) not in arcs) if directed else 0
    issues.changes(loops, dups, sym)
    if conflicts:
        issues.add(f"{conflicts} repeated edge{'s' if conflicts != 1 else ''} with a different {attr!r} value: "
                   "the last value kept")
    return G, loops, dups, sym


def _graph_from_networkx(H: Any, *, attr: str | None, issues: Any) -> tuple[Any, int, int, int]:
    import networkx as nx

    loops = nx.number_of_selfloops(H)
    dups = 0
    sym = 0
    if H.is_multigraph():
        simple = nx.DiGraph() if H.is_directed() else nx.Graph()
        simple.add_nodes_from(H.nodes(data=True))
        for u, v, d in H.edges(data=True):
            if simple.has_edge(u, v):
                dups += 1
                simple.edges[u, v].update(d)
            else:
                simple.add_edge(u, v, **d)
        H = simple
    if H.is_directed():
        sym = sum(1 for u, v in H.edges() if u != v and not H.has_edge(v, u))
        conflicts = sum(1 for u, v, d in H.edges(data=True)
                        if u != v and H.has_edge(v, u) and H.edges[v, u].get(attr) != d.get(attr)) // 2
        G = nx.Graph()
        G.add_nodes_from(H.nodes())
        G.add_edges_from(H.edges(data=True))
        if conflicts:
            issues.add(f"{conflicts} edges have different {attr!r} in the two directions: one of them kept")
    else:
        G = nx.Graph(H)
    G.remove_edges_from(list(nx.selfloop_edges(G)))
    issues.changes(loops, dups, sym)
    return G, loops, dups, sym


def _graph_from_adjacency(A: Any, *, attr: str | None, issues: Any) -> tuple[Any, int, int, int, bool]:
    import networkx as nx

    A = sp.csr_array(A, dtype=float)
    if A.shape[0] != A.shape[1] or A.ndim != 2:
        raise ValueError(f"a matrix file must hold a square matrix; got shape {A.shape}")
    if A.nnz and np.any(A.data < 0):
        raise ValueError("an adjacency matrix must have non-negative entries")
    if A.nnz and not np.all(np.isfinite(A.data)):
        raise ValueError("the matrix must have finite entries")
    loops = int(np.count_nonzero(A.diagonal()))
    A = off_diagonal(A)
    pattern = (A != 0).astype(int)
    asym = pattern - pattern.T
    sym = int((asym > 0).sum())
    D = A - A.T
    both = pattern.multiply(pattern.T)
    conflicts = int((abs(D.multiply(both)) > 1e-12 * max(1.0, float(abs(A).max() if A.nnz else 1))).sum()) // 2
    S = sp.csr_array(A.maximum(A.T))
    G = nx.from_scipy_sparse_array(S, edge_attribute=attr)
    issues.changes(loops, 0, sym, loop_note=" (non-zero diagonal)")
    if conflicts:
        issues.add(f"{conflicts} edges have different weights in the two directions: the larger one kept")
    return G, loops, 0, sym, bool(A.nnz and np.any(A.data != 1.0))


def _load_matrix(path: Any, fmt: str) -> Any:
    if fmt == "npy":
        M = np.load(path, allow_pickle=False)
    elif fmt == "npz":
        try:
            M = sp.load_npz(path)
        except (ValueError, KeyError, OSError):
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                if len(keys) != 1:
                    raise ValueError(
                        f"{path}: an .npz must hold one matrix (or a scipy sparse matrix); found arrays "
                        f"{', '.join(keys) or 'none'}"
                    ) from None
                M = z[keys[0]]
    else:  # mtx
        import scipy.io

        M = scipy.io.mmread(path)
    if not sp.issparse(M):
        M = np.asarray(M)
        if np.iscomplexobj(M):
            raise ValueError(f"{path}: the matrix has complex entries; gossip weights are real")
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"{path}: expected a square 2-D matrix, got shape {M.shape}")
    elif M.shape[0] != M.shape[1]:
        raise ValueError(f"{path}: expected a square matrix, got shape {M.shape}")
    return M


def _is_01(M: Any) -> bool:
    data = M.data if sp.issparse(M) else M[M != 0]
    return bool(np.all(data == 1.0))


# ------------------------------------------------------------------------------------ public entry
def weight_attribute(weights: str) -> tuple[str, bool]:
    """``(attribute, uses_attribute)`` of a weight option: a rule, or ``"weight:ATTR"`` (the attribute ATTR)."""
    if isinstance(weights, str) and weights.startswith("weight:") and len(weights) > len("weight:"):
        return weights.split(":", 1)[1], True
    if isinstance(weights, str) and weights in WEIGHT_RULES:
        return "weight", False
    allowed = ", ".join(repr(r) for r in WEIGHT_RULES)
    raise ValueError(f"weights must be one of {allowed} or 'weight:ATTR'; got {plain(weights)}")


def check_load_options(*, weights: str, strict: bool, delimiter: str | None, format: str | None) -> None:
    """Check the reading options shared by :func:`load_graph` and ``topology_from_spec``.

    Examples
    --------
    >>> check_load_options(weights="metropolis", strict=False, delimiter=None, format=None)
    >>> check_load_options(weights="metropolis", strict="no", delimiter=None, format=None)
    Traceback (most recent call last):
    ...
    TypeError: strict must be True or False, got 'no'
    """
    weight_attribute(weights)
    check_bool("strict", strict)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (or None: by extension); got {plain(format)}")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"delimiter must be one character (e.g. ',', '\\t', ' '); got {plain(delimiter)}")


def load_graph(path: Any, *, format: str | None = None, delimiter: str | None = None, weights: str = "metropolis",
               matrix: str = "auto", directed: bool = False, header: Any = None, comments: str = "#",
               strict: bool = False, name: str | None = None) -> Scheme:
    r"""Read a graph or a gossip matrix from a file into a :class:`Scheme` (static, period 1).

    Convention: gossip is row-wise, ``X <- W X``; ``W`` is built from the graph by a weight rule
    (THEORY §1: the paper's Metropolis rule :math:`W_{ij} = 1/(\max(d_i, d_j) + 1)` by default) or
    taken from the file when it holds a doubly stochastic matrix.

    Layouts (``format=None`` chooses by extension, then by content):

    * **edge list** (any other extension): one edge ``u v`` per line; delimiter auto-detected
      (tab, comma, semicolon or ``|`` when every line has it outside brackets, else whitespace;
      override with ``delimiter``); ``comments`` start a comment; a third field is a weight
      (number) or a networkx attribute dict (``{'weight': 4}``); a line with one node is an
      isolated node; node names may be quoted, contain spaces (with a non-space delimiter) or be
      tuples (``(0, 1)``), so files written by ``nx.write_edgelist`` and
      ``nx.write_weighted_edgelist`` read back as written. A first line whose first two fields are
      column names (``source,target,...``; or ``header=True``) is a header; the weight is the
      column named like the weight attribute.
    * **text matrix**: a square grid of numbers with at least 4 columns (``np.savetxt``); smaller
      matrices need ``format="matrix"`` (a 2- or 3-column grid is otherwise an edge list).
    * ``.npy``, ``.npz`` (one array, or ``scipy.sparse.save_npz``), ``.mtx`` (Matrix Market).
    * ``.graphml``, ``.gml`` (networkx readers; directed and multi-graphs are reduced, with warnings).

    A matrix is used as the gossip matrix ``W`` when ``matrix="W"``, or with ``matrix="auto"``
    when it is doubly stochastic and not a 0/1 matrix; otherwise it is an adjacency matrix (its
    values are the edge weights ``"weight"``).

    Node labels are kept in file order (first appearance) as ``scheme.labels``; the report of what
    was read is ``scheme.source`` (:class:`GraphReport`).

    Parameters
    ----------
    path : str or os.PathLike
        The file; a leading ``file:`` is removed.
    format : str, optional
        One of :data:`FORMATS`; default from the extension and content.
    delimiter : str, optional
        Field delimiter of a text file (``" "`` for whitespace); default auto-detected.
    weights : str
        Weight rule (``"metropolis"``, ``"max_degree"``, ``"lazy_metropolis"``,
        ``"lazy_max_degree"``) or ``"weight:ATTR"``: the edge attribute ``ATTR`` (a third column
        is ``weight``) is ``W_ij``, the rest of each row on the diagonal (must be doubly stochastic).
    matrix : {"auto", "W", "adjacency"}
        How to read a matrix file.
    directed : bool
        Read an edge list as directed arcs ``u -> v`` (a missing reverse arc is then reported as
        symmetrised). Default False: ``u v`` and ``v u`` are the same edge (a duplicate).
    header : bool, optional
        Force (True) or forbid (False) a header line; default detected.
    comments : str or None
        Comment marker of text files (default ``"#"``).
    strict : bool
        Refuse (``ValueError``) instead of warning when reading changes the graph: dropped self
        loops, symmetrised directions, merged duplicate edges, weights the rule ignores, several
        connected components.
    name : str, optional
        The scheme's name (default: the file name without extension).

    Returns
    -------
    Scheme
        With ``labels`` (node names) and ``source`` (:class:`GraphReport`).

    Warns
    -----
    GraphLoadWarning
        For every change listed under ``strict``.

    Examples
    --------
    >>> import networkx as nx, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "path.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("source,target,weight\na,b,2\nb,c,1\n")
    >>> s = load_graph(path)
    >>> s.n, s.labels, s.source.edges, s.source.weighted
    (3, ('a', 'b', 'c'), 2, True)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
    check_load_options(weights=weights, strict=strict, delimiter=delimiter, format=format)
    attr, uses_attr = weight_attribute(weights)
    if not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be True or False, got {directed!r}")
    if header is not None and not isinstance(header, (bool, np.bool_)):
        raise TypeError(f"header must be True, False or None, got {header!r}")
    if matrix not in ("auto", "W", "adjacency"):
        raise ValueError(f"matrix must be 'auto', 'W' or 'adjacency'; got {matrix!r}")
    if comments is not None and (not isinstance(comments, str) or not comments):
        raise ValueError(f"comments must be a non-empty string or None; got {comments!r}")
    text_path = _strip_file_prefix(path)
    if not os.path.exists(text_path):
        raise ValueError(f"path: no such file: {text_path!r}")
    if os.path.isdir(text_path):
        raise ValueError(f"path {text_path!r} is a directory, not a graph file")
    ext = os.path.splitext(text_path)[1].lower()
    fmt = format or _BY_EXTENSION.get(ext)
    label = name if name is not None else os.path.splitext(os.path.basename(text_path))[0]
    issues = _Issues()
    delim = header_names = None
    ignored: set[str] = set()
    M = None
    try:
        if fmt in ("npy", "npz", "mtx"):
            M = _load_matrix(text_path, fmt)
        elif fmt in ("graphml", "gml"):
            import networkx as nx

            if fmt == "graphml":
                H = nx.read_graphml(text_path)
            else:
                try:
                    H = nx.read_gml(text_path)
                except nx.NetworkXError:
                    H = nx.read_gml(text_path, label="id")
            G, loops, dups, sym = _graph_from_networkx(H, attr=attr, issues=issues)
        else:
            with open(text_path, encoding="utf-8-sig") as fh:
                text = fh.read()
            grid = _numeric_grid(text, delimiter, comments) if fmt in (None, "matrix") else None
            if fmt == "matrix" and grid is None:
                grid = _small_grid(text, delimiter, comments, text_path)
            if grid is not None:
                fmt, M = "matrix", grid
            else:
                fmt = "edgelist"
                nodes, edges, delim, header_names, ignored = _parse_edgelist(
                    text, delimiter=delimiter, comments=comments, header=header, attr=attr, path=text_path)
                G, loops, dups, sym = _graph_from_edges(nodes, edges, directed=directed, attr=attr,
                                                        issues=issues)
    except UnicodeDecodeError:
        raise ValueError(f"{text_path}: not a text file; give format= for binary files ({', '.join(FORMATS)})") \
            from None
    except (OSError, SyntaxError, KeyError, IndexError) as exc:
        raise ValueError(f"cannot read {text_path!r} as {fmt or 'an edge list'}: {exc}") from None
    except Exception as exc:  # networkx and scipy readers raise their own error types on malformed files
        if isinstance(exc, (ValueError, TypeError)) and str(exc).startswith(text_path):
            raise
        raise ValueError(f"cannot read {text_path!r} as {fmt}: {exc}") from None
    kind = "graph"
    if M is not None:
        use_w = matrix == "W" or (matrix == "auto" and is_doubly_stochastic(M) and not _is_01(M))
        if use_w:
            return _matrix_scheme(M, text_path, fmt, label, strict)
        G, loops, dups, sym, weighted_m = _graph_from_adjacency(M, attr=attr, issues=issues)
    if ignored:
        issues.add(f"ignored column{'s' if len(ignored) > 1 else ''} {', '.join(sorted(ignored))}")
    weighted = any(attr in d for _, _, d in G.edges(data=True))
    if M is not None:
        weighted = weighted_m
    if uses_attr:
        missing = sum(1 for _, _, d in G.edges(data=True) if attr not in d)
        if missing:
            raise ValueError(f"{text_path}: weights={weights!r} but {missing} edges have no {attr!r} value")
    elif weighted:
        issues.add(f"the edges' {attr!r} values are not used by the {weights!r} rule "
                   f"(weights='weight:{attr}' uses them as W)")
    if G.number_of_nodes() == 0:
        raise ValueError(f"{text_path}: the file has no nodes")
    import networkx as nx

    components = nx.number_connected_components(G)
    if components > 1:
        sizes = sorted((len(c) for c in nx.connected_components(G)), reverse=True)
        shown = ", ".join(str(s) for s in sizes[:5]) + (", ..." if len(sizes) > 5 else "")
        issues.add(f"the graph has {components} connected components (sizes {shown}): gossip never mixes "
                   "them (spectral gap 0)")
    _raise_or_warn(issues.items, text_path, strict)
    try:
        scheme = Scheme.from_networkx(G, weights=weights, name=label)
    except ValueError as exc:
        raise ValueError(f"{text_path}: {exc}") from None
    report = GraphReport(
        path=text_path, format=fmt, kind=kind, workers=G.number_of_nodes(), edges=G.number_of_edges(),
        weighted=bool(weighted), weight_attribute=attr if weighted else None, weights=weights,
        delimiter=delim if fmt == "edgelist" else None, header=header_names, components=components,
        self_loops=loops, duplicate_edges=dups, symmetrised_edges=sym, warnings=tuple(issues.items),
    )
    scheme.params["file"] = text_path
    scheme.source = report
    return scheme


def _small_grid(text: str, delimiter: str | None, comments: str, path: str) -> np.ndarray:
    lines = [_strip_comment(line, comments) for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    delim = _detect_delimiter(lines) if delimiter is None else delimiter
    rows = []
    for line in lines:
        f = line.split() if delim in (None, " ") else line.split(delim)
        vals = [_number(x) for x in f if x.strip()]
        if any(v is None for v in vals):
            raise ValueError(f"{path}: format='matrix' but a row holds a non-number: {line.strip()!r}")
        rows.append(vals)
    if not rows or any(len(r) != len(rows) for r in rows):
        raise ValueError(f"{path}: format='matrix' needs a square grid of numbers")
    return np.array(rows, dtype=float)


def _matrix_scheme(M: Any, path: str, fmt: str, label: str, strict: bool) -> Scheme:
    import networkx as nx

    try:
        scheme = Scheme.from_matrix(M, name=label)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path} as a gossip matrix W: {exc}") from None
    A = off_diagonal(scheme.sparse_matrix(0))
    G = nx.from_scipy_sparse_array(sp.csr_array(A.maximum(A.T)))
    components = nx.number_connected_components(G)
    issues = []
    if components > 1:
        issues.append(f"the gossip matrix has {components} connected components: gossip never mixes them "
                      "(spectral gap 0)")
    _raise_or_warn(issues, path, strict)
    report = GraphReport(
        path=path, format=fmt, kind="gossip matrix", workers=scheme.n, edges=G.number_of_edges(), weighted=True,
        weight_attribute=None, weights="as given", delimiter=None, header=None, components=components,
        self_loops=0, duplicate_edges=0, symmetrised_edges=0, warnings=tuple(issues),
    )
    scheme.params.update(weights="as given", file=path)
    scheme.source = report
    return scheme


def _raise_or_warn(items: list[str], path: str, strict: bool) -> None:
    if not items:
        return
    if strict:
        raise ValueError(f"{path}: reading would change the graph (strict): " + "; ".join(items))
    for item in items:
        warnings.warn(f"{path}: {item}", GraphLoadWarning, stacklevel=3)
