"""The one single-threaded-BLAS context of the hot paths."""

import sys
import types

from threadpoolctl import threadpool_info

from topotheory.common import threads


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_limits_inside_and_restores_after():
    before = _blas_threads()
    with threads.single_threaded_blas():
        assert _blas_threads() and all(t == 1 for t in _blas_threads())
    assert _blas_threads() == before


def test_the_library_scan_is_redone_after_an_import():
    threads.single_threaded_blas()
    first = threads._CACHE["controller"]
    threads.single_threaded_blas()
    assert threads._CACHE["controller"] is first  # nothing imported: the scan is reused
    sys.modules["_topotheory_probe_module"] = types.ModuleType("_topotheory_probe_module")
    try:
        threads.single_threaded_blas()
        assert threads._CACHE["controller"] is not first  # a new module may bring its own BLAS
    finally:
        del sys.modules["_topotheory_probe_module"]
