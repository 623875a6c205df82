"""Tests for msstereo.viz."""

import numpy as np
import pytest

from msstereo.viz import colorize


def test_colorize_shape_dtype_and_black_for_unknown():
    disparity = np.array([[0.0, 5.0, np.inf], [10.0, np.nan, -np.inf]], dtype=np.float32)
    image = colorize(disparity)
    assert image.shape == (2, 3, 3) and image.dtype == np.uint8
    assert np.all(image[0, 2] == 0) and np.all(image[1, 1] == 0) and np.all(image[1, 2] == 0)
    assert image[0, 0].any() and image[1, 0].any()
    # Turbo: the low end is blue-ish dark, the high end red.
    assert image[1, 0, 0] > image[1, 0, 2]


def test_colorize_range_and_clipping():
    ramp = np.linspace(0, 10, 11)[None, :]
    full = colorize(ramp)
    np.testing.assert_array_equal(colorize(ramp, vmin=0, vmax=10), full)
    clipped = colorize(ramp, vmin=2, vmax=8)
    np.testing.assert_array_equal(clipped[0, 0], clipped[0, 2])
    np.testing.assert_array_equal(clipped[0, 10], full[0, 10])
    # Distinct values get distinct colours.
    assert len({tuple(c) for c in full[0]}) == 11


def test_colorize_constant_and_empty_inputs():
    assert colorize(np.full((2, 2), 3.0)).shape == (2, 2, 3)
    assert np.all(colorize(np.full((2, 2), np.inf)) == 0)
    with pytest.raises(ValueError, match="shape"):
        colorize(np.zeros((2, 2, 3)))
