"""The one place where seeds are normalised."""

from __future__ import annotations

import copy

import numpy as np

from .validation import check_int, check_seed

__all__ = ["as_generator", "copy_seed", "spawn_seeds"]


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


def copy_seed(seed):
    """A copy of ``seed`` that can be consumed without changing the caller's object.

    A ``SeedSequence`` is rebuilt from its entropy, spawn key, pool size and number of children
    already spawned (so ``spawn`` on the copy gives the children the original would give next,
    and the original is left as it was); a ``Generator`` is deep-copied (same bit-generator
    state). Ints and None are returned as they are (after validation).

    Examples
    --------
    >>> ss = np.random.SeedSequence(5)
    >>> a, b = copy_seed(ss).spawn(1)[0], copy_seed(ss).spawn(1)[0]
    >>> a.spawn_key == b.spawn_key == (0,), ss.n_children_spawned
    (True, 0)
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(
            seed.entropy,
            spawn_key=seed.spawn_key,
            pool_size=seed.pool_size,
            n_children_spawned=seed.n_children_spawned,
        )
    if isinstance(seed, np.random.Generator):
        return copy.deepcopy(seed)
    as_generator(seed)  # validates
    return seed


def spawn_seeds(seed, count):
    """Derive ``count`` independent :class:`numpy.random.SeedSequence` children from ``seed``.

    Integer seeds (and None) go through ``SeedSequence(seed).spawn``; a ``SeedSequence`` or a
    ``Generator`` is first copied (:func:`copy_seed`), so the caller's object is never advanced:
    the same object passed twice gives the same children. Used to give each task of a sweep its
    own stream, so that serial and parallel runs give identical results.

    Examples
    --------
    >>> g = np.random.default_rng(3)
    >>> [s.entropy for s in spawn_seeds(g, 2)] == [s.entropy for s in spawn_seeds(g, 2)]
    True
    """
    count = check_int("count", count, minimum=0)
    if isinstance(seed, np.random.Generator):
        return [np.random.SeedSequence(int(x)) for x in copy_seed(seed).integers(0, 2**63, size=count)]
    if isinstance(seed, np.random.SeedSequence):
        return copy_seed(seed).spawn(count)
    if seed is not None:
        as_generator(seed)  # validates
        seed = int(seed)
    return np.random.SeedSequence(seed).spawn(count)
