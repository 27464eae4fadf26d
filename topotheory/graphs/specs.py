"""Topology specs: the registry of named topologies behind :func:`topology_from_spec` and the CLI.

A spec is a short text such as ``"ring"``, ``"torus:4x8"`` or ``"random_regular:degree=4,seed=3"``;
every name maps to a function of ``n`` that returns a :class:`~topotheory.Scheme`.
"""

from __future__ import annotations

import re

import numpy as np

from .families import base_graph, erdos_renyi, hyper_hypercube, one_peer_exponential_any, random_regular
from .published import de_bruijn, equistatic, k_peer_exponential
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

__all__ = ["TOPOLOGIES", "PAPER_TOPOLOGIES", "topology_from_spec", "paper_topologies", "parse_value"]


def _square_factors(n):
    r = int(np.sqrt(n))
    while r > 1 and n % r:
        r -= 1
    return r, n // r


def _torus_n(n, *, weights="metropolis"):
    r, c = _square_factors(check_n(n))
    return torus(r, c, weights=weights)


#: Topology names accepted by :func:`topology_from_spec` and the CLI, each a function of ``n``.
TOPOLOGIES = {
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
    "social_network": lambda n=32: _social_n(n),
    "one_peer_exponential": one_peer_exponential,
    "exponential_graph": exponential_graph,
    "local_steps": lambda n, period=4: local_steps(n, period),
    "mix": lambda n, spectral_gap=0.5: mix(n, spectral_gap),
    "base_graph": lambda n, k=1: base_graph(n, k),
    "hyper_hypercube": lambda n, k=1: hyper_hypercube(n, k),
    "one_peer_exponential_any": lambda n: one_peer_exponential_any(n),
    "random_regular": lambda n, degree=3, seed=0, weights="metropolis": random_regular(
        n, degree, seed=seed, weights=weights
    ),
    "erdos_renyi": lambda n, p=None, seed=0, weights="metropolis": erdos_renyi(
        n, min(1.0, 2 * np.log(max(n, 2)) / n) if p is None else p, seed=seed, weights=weights
    ),
    # Published topologies (issue 15): EquiStatic defaults to M = ceil(log2 n) blocks and seed 0.
    "equistatic": lambda n, degree=None, kind="U", seed=0: equistatic(
        n, max(1, int(np.ceil(np.log2(max(n, 2))))) if degree is None else degree, kind=kind, seed=seed
    ),
    "k_peer_exponential": lambda n, k=2: k_peer_exponential(n, k),
    "de_bruijn": lambda n, base=2: de_bruijn(n, base=base),
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


def _social_n(n):
    if n != 32:
        raise ValueError(f"social_network has exactly 32 workers; got n = {n}")
    return social_network()


_SPEC = re.compile(r"^\s*([a-z_]+)\s*(?::\s*(.*?))?\s*$")


def topology_from_spec(spec, n=32):
    """Build a scheme from a short text spec, as used by the CLI.

    Accepted forms: ``"ring"`` (uses ``n``), ``"torus:4x8"``, ``"ring:16"``,
    ``"local_steps:period=4"``, ``"mix:spectral_gap=0.1"``, ``"ring:n=16,weights=max_degree"``.

    Examples
    --------
    >>> topology_from_spec("torus:4x8").n
    32
    >>> topology_from_spec("ring", n=5).n
    5
    """
    if not isinstance(spec, str):
        raise TypeError(f"topology spec must be a string, got {spec!r}")
    m = _SPEC.match(spec.lower().replace("-", "_"))
    valid = ", ".join(sorted(TOPOLOGIES))
    if not m or m.group(1) not in TOPOLOGIES:
        raise ValueError(f"unknown topology {spec!r}; valid names: {valid}")
    name, rest = m.group(1), m.group(2)
    kwargs = {}
    for part in (rest or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, val = (x.strip() for x in part.split("=", 1))
            kwargs[key] = parse_value(val)
        elif name == "torus" and re.fullmatch(r"\d+x\d+", part):
            kwargs["rows"], kwargs["cols"] = (int(x) for x in part.split("x"))
        else:
            kwargs["n"] = parse_value(part)
    if name == "torus" and ("rows" in kwargs or "cols" in kwargs):
        if not ("rows" in kwargs and "cols" in kwargs):
            raise ValueError("a torus spec needs both rows and cols (torus:4x8 or torus:rows=4,cols=8)")
        if "n" in kwargs:
            raise ValueError("a torus spec takes either n or rows and cols, not both")
        factory = lambda **kw: torus(kw.pop("rows"), kw.pop("cols"), **kw)  # noqa: E731
    else:
        kwargs.setdefault("n", n)
        factory = TOPOLOGIES[name]
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad parameters for topology {name!r}: {exc}") from None


def parse_value(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def paper_topologies(n=32):
    """The paper's ten topologies at ``n`` workers, as an ordered ``{name: Scheme}`` dict.

    ``torus`` is the most square ``r × c`` factorisation (4×8 for 32); ``social_network`` is
    included only for ``n = 32``; ``hypercube`` and ``one_peer_exponential`` only for powers of two.

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
