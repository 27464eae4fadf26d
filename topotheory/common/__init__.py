"""Package-internal helpers shared by every layer.

``validation`` (input checks), ``rng`` (the one seed normalisation), ``jsonable`` (JSON-safe
conversion), ``results`` (the :class:`~topotheory.common.results.Result` base of every result type)
and ``version``. Nothing here is public API: the names are public only so that the layers above can
share them (import them from their modules).
"""
