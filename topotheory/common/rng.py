"""The one place where seeds are normalised."""

from __future__ import annotations

import numpy as np

from .validation import check_int, check_seed

__all__ = ["as_generator", "spawn_seeds"]


def as_generator(seed=None):
    """Return a :class:`numpy.random.Generator` from ``seed``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` draws fresh entropy; an int or a ``SeedSequence`` seeds a new PCG64 generator; a
        ``Generator`` is returned unchanged (so callers can share a stream).

    Examples
    --------
    >>> a = as_generator(0).standard_normal(2)
    >>> b = as_generator(0).standard_normal(2)
    >>> bool((a == b).all())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(check_seed("seed", seed))


def spawn_seeds(seed, count):
    """Derive ``count`` independent :class:`numpy.random.SeedSequence` children from ``seed``.

    Integer seeds (and None) go through ``SeedSequence(seed).spawn``; a Generator contributes its
    own ``spawn``. Used to give each task of a sweep its own stream, so that serial and parallel
    runs give identical results.
    """
    count = check_int("count", count, minimum=0)
    if isinstance(seed, np.random.Generator):
        return [np.random.SeedSequence(int(x)) for x in seed.integers(0, 2**63, size=count)]
    if isinstance(seed, np.random.SeedSequence):
        # spawn from a copy: SeedSequence.spawn advances the caller's object, so the same object
        # passed twice would give different streams while describing the same seed.
        return _copy_seed_sequence(seed).spawn(count)
    if seed is not None:
        as_generator(seed)  # validates
        seed = int(seed)
    return np.random.SeedSequence(seed).spawn(count)


def _copy_seed_sequence(seq):
    """An independent SeedSequence in the same state as ``seq`` (children counter included)."""
    return np.random.SeedSequence(
        seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size,
        n_children_spawned=seq.n_children_spawned,
    )
