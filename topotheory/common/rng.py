"""The one place where seeds are normalised."""

from __future__ import annotations

import numbers

import numpy as np

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
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be None, a non-negative int, a numpy SeedSequence or a numpy Generator; got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))


def spawn_seeds(seed, count):
    """Derive ``count`` independent :class:`numpy.random.SeedSequence` children from ``seed``.

    Integer seeds (and None) go through ``SeedSequence(seed).spawn``; a Generator contributes its
    own ``spawn``. Used to give each task of a sweep its own stream, so that serial and parallel
    runs give identical results.
    """
    from .validation import check_int

    count = check_int("count", count, minimum=0)
    if isinstance(seed, np.random.Generator):
        return [np.random.SeedSequence(int(x)) for x in seed.integers(0, 2**63, size=count)]
    if isinstance(seed, np.random.SeedSequence):
        return seed.spawn(count)
    if seed is not None:
        as_generator(seed)  # validates
        seed = int(seed)
    return np.random.SeedSequence(seed).spawn(count)
