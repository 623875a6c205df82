"""The fixed pattern of alternate columns (`msstereo.sensor`), alone and in whole solves."""

import numpy as np
import pytest

import msstereo
from msstereo.sensor import remove_column_parity
from msstereo.synthetic import synthetic_scene, texture


def column_parity_offset(image):
    return remove_column_parity(image)[1]


def parity(n):
    """+1 on even columns, -1 on odd ones."""
    return np.where(np.arange(n) % 2 == 0, 1.0, -1.0)


def colour_texture(shape=(64, 96)):
    y, x = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    return np.stack([texture(x, y, seed) for seed in (1, 2, 3)], axis=-1)


def test_the_offset_of_a_planted_pattern_is_recovered_per_channel():
    image = colour_texture()
    a = np.array([0.002, 0.004, -0.003])
    # The texture's own second differences average out: measured 3e-5 at most, 1e-5 with the pattern.
    np.testing.assert_allclose(column_parity_offset(image + parity(96)[None, :, None] * a), a, atol=1e-4)
    assert np.abs(column_parity_offset(image)).max() < 1e-4


@pytest.mark.parametrize("n", [96, 97])
def test_removal_subtracts_the_offset_from_even_columns_and_adds_it_to_odd_ones(n):
    image = (colour_texture((40, n)) + parity(n)[None, :, None] * 0.003).astype(np.float32)
    before = image.copy()
    out, offset = remove_column_parity(image)
    np.testing.assert_array_equal(image, before)  # the input is left as it was
    assert out.dtype == np.float32
    np.testing.assert_allclose(out - image, np.broadcast_to(-parity(n)[None, :, None] * offset, image.shape),
                               atol=1e-6)
    assert np.abs(column_parity_offset(out)).max() < 1e-4


@pytest.mark.parametrize("disparity", [4.5, 5.5, 3.3])
def test_a_pattern_shared_by_both_views_pulls_matches_to_even_disparities_unless_removed(disparity):
    # A weak texture (4 % contrast) under a pattern of +-0.006 at the same columns of both views,
    # as one camera's sensor leaves it: the pattern matches itself at even disparities.
    scene = synthetic_scene("plane", background=disparity, seed=3)
    pattern = parity(scene.shape[1])[None, :] * 0.006
    left, right = (0.5 + 0.04 * (x - 0.5) + pattern for x in (scene.left, scene.right))
    inner = np.s_[8:-8, 12:-12]
    errors = {}
    for removed in (False, True):
        result = msstereo.match(left, right, d_max=scene.ndisp, column_parity=removed)
        errors[removed] = np.median((result.disparity - scene.disparity)[inner])
    nearest_even = 2 * np.round(disparity / 2)
    # Measured: -0.42, +0.42 and +0.61 px towards 4, 6 and 4; 0.002 to 0.03 px once removed.
    assert np.sign(errors[False]) == np.sign(nearest_even - disparity) and abs(errors[False]) > 0.3
    assert abs(errors[True]) < 0.1


def test_the_default_model_removes_the_pattern_and_says_so():
    scene = synthetic_scene("plane", background=3.0, shape=(32, 48))
    result = msstereo.match(scene.left, scene.right, d_max=scene.ndisp)
    assert result.model.column_parity is True
    assert "column parity removed" in result.intensity
    plain = msstereo.match(scene.left, scene.right, d_max=scene.ndisp, model="tv", solver="pde")
    assert "column parity" not in plain.intensity
