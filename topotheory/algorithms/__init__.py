r"""Layer 1½ — the algorithms studied, declared once (:mod:`~topotheory.algorithms.registry`).

:data:`ALGORITHMS` maps each name (``"dsgd"``, ``"dmsgd"``, ``"gradient_tracking"``, ...) to an
:class:`Algorithm`: its per-worker state, its hyper-parameters with their allowed values, and its
update rule — the contract that the exact theory and the independent simulator both implement.
"""

from .registry import ALGORITHMS, Algorithm, Hyperparameter, check_algorithm, get_algorithm  # noqa: F401

__all__ = ["ALGORITHMS", "Algorithm", "Hyperparameter", "check_algorithm", "get_algorithm"]
