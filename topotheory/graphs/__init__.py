"""Layer 1 — what gossips: gossip schemes, weight rules, the paper's topologies, literature
families, infinite lattices and the registry of topology specs.
"""

from . import scheme, weights, topologies, families, published, random, lattices, io, specs

__all__ = scheme.__all__ + weights.__all__ + topologies.__all__ + families.__all__ + published.__all__ + random.__all__ + lattices.__all__ + io.__all__ + specs.__all__

from .scheme import *  # noqa: F401,F403
from .weights import *  # noqa: F401,F403
from .topologies import *  # noqa: F401,F403
from .families import *  # noqa: F401,F403
from .published import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .lattices import *  # noqa: F401,F403
from .io import *  # noqa: F401,F403
from .specs import *  # noqa: F401,F403
