"""Slanted-plane refinement (`msstereo.planes`): the fit, the rule, the option in `match`."""

import numpy as np
import pytest

import msstereo
from msstereo.models import get_model
from msstereo import planes
from msstereo.planes import fit_planes, plane_refinement, segments, supported, tiles
from msstereo.synthetic import synthetic_scene


def _slanted():
    """A slanted plane (0.3 px/px along x, 0.2 along y) and its left image."""
    scene = synthetic_scene("slanted", shape=(48, 64), background=3.0, slope=(0.3, 0.2))
    return scene.disparity, scene.left


def _naive_fit(x, y, d, w0):
    """One segment's plane by `fit_planes`'s rule, written out: weighted ridge least squares, reweighted."""
    from msstereo.planes import FIT_ROUNDS, RIDGE, SCALE
    x, y = x - x.mean(), y - y.mean()
    design = np.stack([x, y, np.ones_like(x)], axis=1)
    w = w0
    for _ in range(FIT_ROUNDS + 1):
        a = design.T @ (w[:, None] * design) + np.diag([RIDGE * w.sum(), RIDGE * w.sum(), 0.0])
        coefficients = np.linalg.solve(a, design.T @ (w * d))
        w = w0 / (1.0 + ((d - design @ coefficients) / SCALE) ** 2)
    return coefficients, design @ coefficients


def test_fit_planes_matches_a_naive_reweighted_fit_per_segment():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:12, 0:10].astype(float)
    d = 0.3 * x - 0.1 * y + rng.normal(scale=0.5, size=x.shape)
    weight = rng.random(x.shape)
    labels = (x >= 5).astype(int) + 2 * (y >= 7)
    plane, coefficients = fit_planes(labels, d, weight)
    for k in range(4):
        inside = labels == k
        want, want_plane = _naive_fit(x[inside], y[inside], d[inside], weight[inside])
        np.testing.assert_allclose(coefficients[k], want, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(plane[inside], want_plane, rtol=1e-6, atol=1e-9)


def test_fit_planes_recovers_an_exact_plane():
    y, x = np.mgrid[0:12, 0:10].astype(float)
    exact = 0.3 * x - 0.1 * y + 2.0
    plane, _ = fit_planes(np.zeros(x.shape, int), exact, np.ones(x.shape))
    np.testing.assert_allclose(plane, exact, atol=1e-3)


def test_fit_planes_ignores_outliers_and_unweighted_pixels():
    y, x = np.mgrid[0:20, 0:20].astype(float)
    truth = 0.25 * x + 0.1 * y + 5.0
    d = truth.copy()
    d[::4, ::3] += 8.0  # 1 in 12 confident mismatches
    weight = np.ones(d.shape)
    d[10:, :5] = -30.0  # not weighted at all
    weight[10:, :5] = 0.0
    plane, _ = fit_planes(np.zeros(d.shape, int), d, weight)
    assert np.abs(plane - truth).max() < 0.05


def test_plane_refinement_restores_doubtful_pixels_and_keeps_confident_ones():
    truth, image = _slanted()
    rng = np.random.default_rng(1)
    doubtful = rng.random(truth.shape) < 0.15
    d = (truth + np.where(doubtful, rng.uniform(-6, 6, truth.shape), 0.0)).astype(np.float32)
    confidence = np.where(doubtful, 0.1, 0.9).astype(np.float32)
    got = plane_refinement(d, confidence, image, 100.0, 0.5)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got[~doubtful], d[~doubtful])
    error = np.abs(got - truth)[doubtful]
    assert np.mean(error < 0.05) > 0.95
    assert np.mean(np.abs(d - truth)[doubtful] > 1) > 0.7


@pytest.mark.parametrize("shape, side, grid", [((48, 64), 64, (1, 1)), ((48, 64), 20, (3, 4)),
                                               ((1537, 769), 768, (3, 2)), ((5, 7), 1, (5, 7))])
def test_tiles_cover_the_image_once_in_the_fewest_near_equal_tiles(shape, side, grid):
    got = tiles(shape, side)
    assert len(got) == grid[0] * grid[1]
    cover = np.zeros(shape, int)
    for rows, cols in got:
        cover[rows, cols] += 1
        assert 0 < rows.stop - rows.start <= side and 0 < cols.stop - cols.start <= side
        assert rows.stop - rows.start >= shape[0] // grid[0] and cols.stop - cols.start >= shape[1] // grid[1]
    assert (cover == 1).all()


def _refined_whole(d, confidence, image, scale, threshold):
    """`plane_refinement`'s steps on the whole image at once, written out."""
    labels = segments(image, scale)
    fitting = confidence >= threshold
    plane, coefficients = fit_planes(labels, d, fitting)
    replaced = supported(labels, d, plane, coefficients, fitting)[labels] & ~fitting
    return np.where(replaced, plane, d).astype(d.dtype)


def _doubtful(truth, seed=1):
    rng = np.random.default_rng(seed)
    doubtful = rng.random(truth.shape) < 0.15
    d = (truth + np.where(doubtful, rng.uniform(-6, 6, truth.shape), 0.0)).astype(np.float32)
    return d, np.where(doubtful, 0.1, 0.9).astype(np.float32), doubtful


def test_plane_refinement_within_one_tile_is_the_whole_image_refinement():
    truth, image = _slanted()
    d, confidence, _ = _doubtful(truth)
    assert len(tiles(d.shape)) == 1
    np.testing.assert_array_equal(plane_refinement(d, confidence, image, 100.0, 0.5),
                                  _refined_whole(d, confidence, image, 100.0, 0.5))


def test_plane_refinement_in_tiles_refines_each_tile_alone(monkeypatch):
    truth, image = _slanted()
    d, confidence, doubtful = _doubtful(truth)
    monkeypatch.setattr(planes, "TILE", 24)  # 2 x 3 tiles of 24 x 21-22
    got = plane_refinement(d, confidence, image, 100.0, 0.5)
    assert len(tiles(d.shape)) == 6
    for tile in tiles(d.shape):
        np.testing.assert_array_equal(got[tile], _refined_whole(d[tile], confidence[tile], image[tile], 100.0, 0.5))
    # The tiles' borders cut the plane's segments, and each part still fits the plane.
    assert np.mean(np.abs(got - truth)[doubtful] < 0.05) > 0.95


def test_plane_refinement_leaves_segments_without_enough_confident_pixels():
    truth, image = _slanted()
    d = truth.astype(np.float32) + 4.0
    confidence = np.full(d.shape, 0.1, np.float32)  # nothing to fit a plane to
    np.testing.assert_array_equal(plane_refinement(d, confidence, image, 100.0, 0.5), d)


def test_segments_label_every_pixel_from_zero():
    _, image = _slanted()
    labels = segments(image, 100.0)
    assert labels.shape == image.shape and labels.min() == 0
    assert len(np.unique(labels)) == labels.max() + 1 > 1


def test_match_refines_the_left_disparity_with_the_planes_of_its_confidence():
    # The option is `plane_refinement` of the finished map and its confidence; the returned
    # confidence is that of the refined map. (No accuracy claim here: the box and the plane share
    # one texture, so no colour segment follows the box's outline, as segments need to.)
    from msstereo.confidence import confidence
    from msstereo.match import as_float_image
    from msstereo.sensor import remove_column_parity
    scene = synthetic_scene("step", shape=(48, 72), background=2.0, foreground=8.0, slope=(0.0, 0.1))
    kw = dict(model="default", solver=msstereo.Relax(iterations=20), d_max=14)
    plain = msstereo.match(scene.left, scene.right, **kw, plane_segments=0.0)
    refined = msstereo.match(scene.left, scene.right, **kw, plane_segments=100.0)
    image = remove_column_parity(as_float_image(scene.left, "left"))[0]
    want = plane_refinement(plain.disparity, plain.confidence, image, 100.0, 0.5)
    np.testing.assert_array_equal(refined.disparity, want)
    np.testing.assert_array_equal(refined.disparity_right, plain.disparity_right)
    np.testing.assert_array_equal(refined.confidence, confidence(want, plain.disparity_right, plain.v,
                                                                 plain.occlusion, image))


@pytest.mark.parametrize("params, message", [
    (dict(plane_segments=-1.0), "plane_segments"),
    (dict(plane_segments=1e5), "plane_segments"),
    (dict(plane_confidence=0.0), "plane_confidence"),
    (dict(plane_confidence=1.0), "plane_confidence"),
    (dict(plane_confidence=float("nan")), "plane_confidence"),
])
def test_bad_plane_parameters_raise(params, message):
    left = right = np.zeros((16, 16))
    with pytest.raises(ValueError, match=message):
        msstereo.match(left, right, model="default", d_max=4, **params)


def test_planes_need_a_model_with_a_confidence():
    with pytest.raises(ValueError, match="plane_segments"):
        get_model("ms-tv", plane_segments=100.0)
