"""Topology specs: the registry of named topologies behind :func:`topology_from_spec` and the CLI.

A spec is a short text such as ``"ring"``, ``"torus:4x8"`` or ``"random_regular:degree=4,seed=3"``;
every name maps to a function of ``n`` that returns a :class:`~topotheory.Scheme`.
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..common.validation import plain
from .io import check_load_options, is_graph_path, load_graph
from .families import base_graph, erdos_renyi, hyper_hypercube, one_peer_exponential_any, random_regular
from .published import de_bruijn, equistatic, k_peer_exponential
from .random import el_oracle, epidemic, equidyn, pairwise_gossip, periodic_mixture, random_matching
from .topologies import (
    binary_tree,
    chain,
    check_n,
    exponential_graph,
    fully_connected,
    hypercube,
    is_power_of_two,
    local_steps,
    mix,
    one_peer_exponential,
    ring,
    social_network,
    solo,
    star,
    torus,
    two_cliques,
    uni_ring,
)

__all__ = ["TOPOLOGIES", "PAPER_TOPOLOGIES", "topology_from_spec", "paper_topologies", "parse_value", "list_topologies",
           "DEFAULT_N"]


def _square_factors(n: int) -> tuple[int, int]:
    r = int(np.sqrt(n))
    while r > 1 and n % r:
        r -= 1
    return r, n // r


def _torus_n(n: int, *, weights: str = "metropolis") -> Any:
    """2-D torus on ``n`` workers, the most square ``rows x cols`` factorisation (4x8 for 32).

    Also ``torus:ROWSxCOLS`` or ``torus:rows=R,cols=C``; a prime ``n`` gives a ring (1 x n).
    """
    r, c = _square_factors(check_n(n))
    return torus(r, c, weights=weights)


def _social_network(n: int = 32) -> Any:
    """The Davis Southern Women graph; defined only for exactly 32 workers."""
    return _social_n(n)


def _local_steps(n: int, period: int = 4) -> Any:
    """Local SGD: ``period - 1`` steps without communication, then one exact average (period >= 1)."""
    return local_steps(n, period)


def _mix(n: int, spectral_gap: float = 0.5) -> Any:
    """W = a J + (1 - a) I with a = spectral_gap in (0, 1]: every non-unit eigenvalue is 1 - a."""
    return mix(n, spectral_gap)


def _base_graph(n: int, k: int = 1) -> Any:
    """Base-(k+1) graph (Takezawa et al. 2023): exact averaging with at most k peers per step (k >= 1)."""
    return base_graph(n, k)


def _hyper_hypercube(n: int, k: int = 1) -> Any:
    """k-peer hyper-hypercube: exact averaging; needs every prime factor of n to be <= k + 1."""
    return hyper_hypercube(n, k)


def _one_peer_exponential_any(n: int) -> Any:
    """One-peer exponential graph for any n (Takezawa et al. 2023): exact averaging, one peer per step."""
    return one_peer_exponential_any(n)


def _random_regular(n: int, degree: int = 3, seed: Any = 0, weights: str = "metropolis") -> Any:
    """Connected random degree-regular graph (n * degree even, degree < n); seeded (seed=0 by default)."""
    return random_regular(n, degree, seed=seed, weights=weights)


def _erdos_renyi(n: int, p: float | None = None, seed: Any = 0, weights: str = "metropolis") -> Any:
    """Connected Erdős–Rényi G(n, p), p in (0, 1] (default 2 ln(n)/n); seeded (seed=0 by default)."""
    return erdos_renyi(n, min(1.0, 2 * np.log(max(n, 2)) / n) if p is None else p, seed=seed, weights=weights)


def _equistatic(n: int, degree: int | None = None, kind: str = "U", seed: Any = 0) -> Any:
    """EquiStatic graph (Song et al. 2022), kind "U" or "D"; degree defaults to ceil(log2 n); seeded."""
    return equistatic(n, max(1, int(np.ceil(np.log2(max(n, 2))))) if degree is None else degree, kind=kind, seed=seed)


def _k_peer_exponential(n: int, k: int = 2) -> Any:
    """k-peer exponential graph: k peers per step, exact averaging when n is a power of k + 1."""
    return k_peer_exponential(n, k)


def _de_bruijn(n: int, base: int = 2) -> Any:
    """de Bruijn graph (static, directed): W^D = J for n = base^D (n must be a power of base)."""
    return de_bruijn(n, base=base)


def _el_oracle(n: int, s: int = 2) -> Any:
    """EL-Oracle (de Vos et al. 2023): a fresh random s-regular graph per step, equal weights (n * s even)."""
    return el_oracle(n, s)


def _equidyn(n: int, eta: float = 1.0, offsets: Any = None, seed: Any = 0) -> Any:
    """OD-EquiDyn (Song et al. 2022): one random directed peer per step; offsets=M draws M offsets (seeded)."""
    return equidyn(n, eta=eta, offsets=offsets, seed=seed)


#: Random laws a periodic mixture's communication step may use, with their extra parameters.
MIXTURE_PEERS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "random_matching": ((), random_matching),
    "pairwise_gossip": ((), pairwise_gossip),
    "epidemic": (("s",), epidemic),
    "el_oracle": (("s",), el_oracle),
    "equidyn": (("eta",), lambda n, eta=1.0: equidyn(n, eta=eta)),
}


def _periodic_mixture(n: int, local: int = 1, peer: str = "random_matching", s: int | None = None,
                      eta: float | None = None) -> Any:
    """Local steps then one random gossip step: local=H steps without communication, then peer= one of
    random_matching, pairwise_gossip, epidemic (s=), el_oracle (s=), equidyn (eta=); period H + 1.

    Examples
    --------
    >>> S = _periodic_mixture(8, local=3, peer="epidemic", s=2)
    >>> S.period, S.name
    (4, 'local=3+epidemic')
    """
    if isinstance(local, bool) or not isinstance(local, (int, np.integer)) or local < 0:
        raise ValueError(f"local must be a whole number of local steps >= 0, got {local!r}")
    if peer not in MIXTURE_PEERS:
        raise ValueError(f"peer must be one of {', '.join(MIXTURE_PEERS)}, got {peer!r}"
                         f"{_did_you_mean(str(peer), MIXTURE_PEERS)}")
    allowed, make = MIXTURE_PEERS[peer]
    extra = {k: v for k, v in (("s", s), ("eta", eta)) if v is not None}
    bad = [k for k in extra if k not in allowed]
    if bad:
        raise ValueError(f"peer={peer} takes {'the parameter ' + allowed[0] if allowed else 'no parameters'}, "
                         f"not {bad[0]}=")
    law = make(n, **extra)
    return periodic_mixture([solo(n)] * int(local) + [law], name=f"local={int(local)}+{peer}")


#: Topology names accepted by :func:`topology_from_spec` and the CLI: name -> callable of ``n`` and
#: keyword parameters, returning a Scheme. :func:`list_topologies` documents them (signature and
#: the first line of the docstring).
TOPOLOGIES: dict[str, Callable[..., Any]] = {
    "ring": ring,
    "uni_ring": uni_ring,
    "chain": chain,
    "torus": _torus_n,
    "hypercube": hypercube,
    "star": star,
    "binary_tree": binary_tree,
    "two_cliques": two_cliques,
    "fully_connected": fully_connected,
    "solo": solo,
    "social_network": _social_network,
    "one_peer_exponential": one_peer_exponential,
    "exponential_graph": exponential_graph,
    "local_steps": _local_steps,
    "mix": _mix,
    "base_graph": _base_graph,
    "hyper_hypercube": _hyper_hypercube,
    "one_peer_exponential_any": _one_peer_exponential_any,
    "random_regular": _random_regular,
    "erdos_renyi": _erdos_renyi,
    "equistatic": _equistatic,
    "k_peer_exponential": _k_peer_exponential,
    "de_bruijn": _de_bruijn,
    "pairwise_gossip": pairwise_gossip,
    "random_matching": random_matching,
    "epidemic": epidemic,
    "el_oracle": _el_oracle,
    "equidyn": _equidyn,
    "periodic_mixture": _periodic_mixture,
}
"""Random families use ``seed=0`` unless a seed is given (``random_regular:degree=4,seed=3``), so
the CLI's results reproduce; ``erdos_renyi`` defaults to ``p = 2 ln(n)/n``."""


#: The ten topologies of the paper's figures 4-6 (deep-learning experiments), in the paper's order.
PAPER_TOPOLOGIES = (
    "fully_connected",
    "one_peer_exponential",
    "hypercube",
    "torus",
    "two_cliques",
    "social_network",
    "binary_tree",
    "star",
    "ring",
    "solo",
)


def _social_n(n: int) -> Any:
    if n != 32:
        raise ValueError(f"social_network has exactly 32 workers; got n = {n}")
    return social_network()


_SPEC = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?::\s*(.*?))?\s*$")

#: Workers used when neither the spec nor ``n`` gives a size.
DEFAULT_N = 32


def _parameters(factory: Callable[..., Any]) -> tuple[Any, bool]:  # (None, True) when not introspectable
    """``(names, accepts_any)`` of a registry callable's parameters."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None, True
    names = [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def topology_from_spec(spec: str | os.PathLike[str], n: int | None = None, *, weights: str = "metropolis",
                       strict: bool = False, delimiter: str | None = None, format: str | None = None,
                       default_n: int = DEFAULT_N) -> Any:
    """Build a scheme from a short text spec or a graph file, as used by every CLI command.

    Specs: ``"ring"`` (``n`` workers, default 32), ``"torus:4x8"``, ``"ring:16"`` (same as
    ``ring:n=16``), ``"local_steps:period=4"``, ``"mix:spectral_gap=0.1"``,
    ``"ring:n=16,weights=max_degree"``; :func:`list_topologies` lists every name with its
    parameters. A spec that fixes the size (``ring:16``, ``torus:5x7``) must agree with ``n`` when
    both are given; the size may be given once (``ring:8,16`` is refused).

    Files: a spec that :func:`~topotheory.graphs.io.is_graph_path` calls a path (``file:``
    prefix, a ``/``, or a graph-file extension such as ``.edgelist``, ``.csv``, ``.npy``) is read
    by :func:`~topotheory.load_graph` with ``weights``, ``strict``, ``delimiter`` and ``format``. A
    bare name is always a topology, even when a file of that name exists.

    Parameters
    ----------
    spec : str or os.PathLike
        A topology spec (``"ring"``, ``"torus:4x8"``, ...) or a graph file.
    n : int, optional
        Number of workers: the size of a spec without one; checked against specs and files that
        fix their size. Default: the spec's own size, else ``default_n``.
    weights, strict, delimiter, format
        Passed to :func:`~topotheory.load_graph` for files.
    default_n : int
        Size of a spec without one when ``n`` is None (default 32).

    Returns
    -------
    Scheme or RandomScheme
        The scheme (a random scheme for the random-gossip names).

    Examples
    --------
    >>> topology_from_spec("torus:4x8").n
    32
    >>> topology_from_spec("ring", n=5).n
    5
    >>> topology_from_spec("ring:8,16")
    Traceback (most recent call last):
    ...
    ValueError: spec 'ring:8,16' gives the size twice (8 and 16)
    """
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a topology spec string (e.g. 'ring' or 'torus:4x8') or a graph file path, "
                        f"got {plain(spec)}")
    check_load_options(weights=weights, strict=strict, delimiter=delimiter, format=format)
    if n is not None:
        n = check_n(n)
    default_n = check_n(default_n, name="default_n")
    if is_graph_path(spec):
        scheme = load_graph(spec, weights=weights, strict=strict, delimiter=delimiter, format=format)
        if n is not None and scheme.n != n:
            raise ValueError(f"{spec!r} has {scheme.n} workers but n = {n}; drop n or make them agree")
        return scheme
    try:
        return _from_spec(spec, n, default_n)
    except (ValueError, TypeError) as exc:
        if re.search(r"(?<![A-Za-z0-9_])spec(?![A-Za-z0-9_])", str(exc)):
            raise
        raise type(exc)(f"spec {spec!r}: {exc}") from None


def _from_spec(spec: str, n: int | None, default_n: int) -> Any:
    """The scheme of a topology spec (not a file); ``n`` and ``default_n`` already checked."""
    m = _SPEC.match(spec.lower().replace("-", "_"))
    valid = ", ".join(sorted(TOPOLOGIES))
    if not m or m.group(1) not in TOPOLOGIES:
        word = m.group(1) if m else spec
        hint = _did_you_mean(word, TOPOLOGIES)
        if os.path.isfile(spec):
            hint += f"; a file named {spec!r} exists: read it as ./{spec} or file:{spec}"
        raise ValueError(f"unknown topology {spec!r}{hint}; valid names: {valid}")
    name, rest = m.group(1), m.group(2)
    kwargs = {}
    sizes = []
    for part in (rest or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, val = (x.strip() for x in part.split("=", 1))
            if key in kwargs:
                raise ValueError(f"topology spec {spec!r} gives {key!r} twice")
            kwargs[key] = parse_value(val)
            if key == "n":
                sizes.append(kwargs[key])
        elif name == "torus" and re.fullmatch(r"\d+x\d+", part):
            if "rows" in kwargs:
                raise ValueError(f"topology spec {spec!r} gives the torus shape twice")
            kwargs["rows"], kwargs["cols"] = (int(x) for x in part.split("x"))
            sizes.append(part)
        else:
            sizes.append(parse_value(part))
            kwargs["n"] = sizes[-1]
    if len(sizes) > 1:
        raise ValueError(f"spec {spec!r} gives the size twice ({' and '.join(str(x) for x in sizes)})")
    if name == "torus" and ("rows" in kwargs or "cols" in kwargs):
        if not ("rows" in kwargs and "cols" in kwargs):
            raise ValueError("a torus spec needs both rows and cols (torus:4x8 or torus:rows=4,cols=8)")
        if "n" in kwargs:
            raise ValueError("a torus spec takes either n or rows and cols, not both")
        factory: Callable[..., Any] = lambda rows, cols, weights="metropolis": torus(rows, cols, weights=weights)  # noqa: E731
    else:
        factory = TOPOLOGIES[name]
    params, any_kw = _parameters(factory)
    if not any_kw:
        unknown = [k for k in kwargs if k not in params]
        if unknown:
            shown = ", ".join(params) or "none"
            raise ValueError(
                f"bad parameters for topology {name!r}: unknown parameter {unknown[0]!r}"
                f"{_did_you_mean(unknown[0], params)}; valid parameters: {shown}"
            )
    fixed = "n" in kwargs or "rows" in kwargs
    if not fixed and (any_kw or "n" in params):
        kwargs["n"] = default_n if n is None else n
    try:
        scheme = factory(**kwargs)
    except TypeError as exc:
        if "argument" in str(exc):
            raise ValueError(f"bad parameters for topology {name!r}: {exc}; see list_topologies()") from None
        raise
    if fixed and n is not None and scheme.n != n:
        raise ValueError(f"topology spec {spec!r} has {scheme.n} workers but n = {n}; drop n or make them agree")
    return scheme


def parse_value(text: str) -> int | float | str:
    """A spec parameter value: an int, else a float, else the text itself.

    Examples
    --------
    >>> parse_value("4"), parse_value("0.5"), parse_value("max_degree")
    (4, 0.5, 'max_degree')
    """
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _first_paragraph(doc: str | None) -> str:
    lines = []
    for line in inspect.cleandoc(doc or "").splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def list_topologies() -> list[dict[str, str]]:
    """Every registered topology name with its parameters, defaults and description.

    Introspects :data:`TOPOLOGIES`: the parameters and defaults come from each callable's
    signature (``n`` is the number of workers), the description (which states the constraints)
    from the first paragraph of its docstring.

    Returns
    -------
    list of dict
        ``{"name", "parameters", "description"}`` per topology, in registry order;
        ``parameters`` reads like ``"n, weights='metropolis'"``.

    Examples
    --------
    >>> rows = list_topologies()
    >>> next(r for r in rows if r["name"] == "local_steps")["parameters"]
    'n, period=4'
    """
    out = []
    for name, factory in TOPOLOGIES.items():
        try:
            sig = inspect.signature(factory)
            params = ", ".join(
                p.name if p.default is p.empty else f"{p.name}={p.default!r}"
                for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            )
        except (TypeError, ValueError):
            params = "?"
        out.append({"name": name, "parameters": params, "description": _first_paragraph(factory.__doc__)})
    return out


def paper_topologies(n: int = 32) -> dict[str, Any]:
    """The paper's ten topologies at ``n`` workers, as an ordered ``{name: Scheme}`` dict.

    ``torus`` is the most square ``r × c`` factorisation (4×8 for 32); ``social_network`` is
    included only for ``n = 32``; ``hypercube`` and ``one_peer_exponential`` only for powers of two.

    Parameters
    ----------
    n : int
        Number of workers (default 32).

    Returns
    -------
    dict of str to Scheme
        The topologies, in the paper's order.

    Examples
    --------
    >>> list(paper_topologies(32))[:3]
    ['fully_connected', 'one_peer_exponential', 'hypercube']
    """
    n = check_n(n)
    out = {}
    for name in PAPER_TOPOLOGIES:
        if name == "social_network" and n != 32:
            continue
        if name in ("hypercube", "one_peer_exponential") and not is_power_of_two(n):
            continue
        out[name] = TOPOLOGIES[name](n)
    return out
