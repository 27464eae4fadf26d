"""The algorithms' Fourier route at a mode's pole: a singular resolvent is NaN, not an error."""

import numpy as np

from topotheory.engine.rational import inverse_or_nan as _inverse_or_nan


def test_a_singular_block_is_nan_and_the_others_are_inverted():
    A = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])[:, None]
    out = _inverse_or_nan(A)
    assert np.isnan(out[1]).all()
    np.testing.assert_allclose(out[0, 0], np.diag([0.5, 0.25]), rtol=0, atol=0)
    np.testing.assert_allclose(out[2, 0], A[2, 0], rtol=0, atol=0)  # a swap is its own inverse
    np.testing.assert_array_equal(_inverse_or_nan(A[[0, 2]]), np.linalg.inv(A[[0, 2]]))  # no pole: plain inverse
