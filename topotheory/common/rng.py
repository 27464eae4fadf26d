"""The one place where seeds are normalised."""

from __future__ import annotations

import copy
from typing import Union, overload

import numpy as np

from .validation import check_int, check_seed

#: What a ``seed`` argument accepts everywhere: None, a non-negative int, a SeedSequence or a Generator.
SeedLike = Union[None, int, np.random.SeedSequence, np.random.Generator]

__all__ = ["as_generator", "copy_seed", "spawn_seeds", "task_seed"]


def as_generator(seed: SeedLike = None) -> np.random.Generator:
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


@overload
def copy_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence: ...
@overload
def copy_seed(seed: np.random.Generator) -> np.random.Generator: ...
@overload
def copy_seed(seed: int | None) -> int | None: ...
def copy_seed(seed: SeedLike) -> SeedLike:
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


def spawn_seeds(seed: SeedLike, count: int) -> list[np.random.SeedSequence]:
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


def task_seed(root: SeedLike, k: int) -> np.random.SeedSequence:
    r"""The seed of task ``k`` of a sweep with root seed ``root``: the contract for batch jobs.

    Task ``k`` (counted from 0 in the sweep's documented order) gets exactly this stream,
    whatever runs it — a loop, threads, processes, a Dask cluster, or a batch job started by
    hand for that one task. It is the ``k``-th child of :func:`spawn_seeds`, computed without
    spawning the others:

    * int ``root``: ``SeedSequence(root, spawn_key=(k,))``;
    * ``SeedSequence`` root: ``SeedSequence(root.entropy, spawn_key=root.spawn_key + (m + k,))``
      with ``m = root.n_children_spawned`` (the child ``root.spawn()`` would give ``k``-th,
      without advancing ``root``);
    * ``Generator`` root: ``SeedSequence(x_k)`` with ``x_k`` the ``k``-th of the integers
      ``copy(root).integers(0, 2**63, size=k + 1)`` (the generator itself is not advanced).

    ``spawn_seeds(root, count)[k] == task_seed(root, k)`` for every ``k < count``. ``None`` is
    refused: a fresh root is not reproducible (draw one with ``SeedSequence()`` and record it).

    Parameters
    ----------
    root : int, numpy.random.SeedSequence or numpy.random.Generator
        Root seed of the sweep.
    k : int
        Task index, ``>= 0``.

    Returns
    -------
    numpy.random.SeedSequence

    Examples
    --------
    >>> s = task_seed(7, 3)
    >>> s.entropy, s.spawn_key
    (7, (3,))
    >>> task_seed(7, 3).generate_state(2).tolist() == spawn_seeds(7, 5)[3].generate_state(2).tolist()
    True
    """
    k = check_int("k", k, minimum=0)
    if root is None:
        raise TypeError("root must be an int, SeedSequence or Generator (None is not reproducible: "
                        "draw a root with numpy.random.SeedSequence() and record its entropy)")
    if isinstance(root, np.random.Generator):
        return np.random.SeedSequence(int(copy_seed(root).integers(0, 2**63, size=k + 1)[k]))
    if isinstance(root, np.random.SeedSequence):
        return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (root.n_children_spawned + k,),
                                      pool_size=root.pool_size)
    as_generator(root)  # validates
    return np.random.SeedSequence(int(root), spawn_key=(k,))
