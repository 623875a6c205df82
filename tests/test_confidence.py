"""Tests for msstereo.confidence: the features, the logistic map, the result's confidence."""

import numpy as np
import pytest

import msstereo
from msstereo import _calibration
from msstereo.confidence import FEATURES, OUTSIDE, calibrated, features
from msstereo.evaluate import bad_pixels, sparsification_area
from msstereo.kernels.occlusion import consistency_residual
from msstereo.synthetic import synthetic_scene


@pytest.fixture(scope="module")
def banded():
    """A box in front of a plane, and a textureless band across the box's left edge: its depth edge
    has nothing to be found by, while the rest of the scene is easy."""
    scene = synthetic_scene("step", shape=(48, 72), background=2.0, foreground=7.0)
    left, right = scene.left.copy(), scene.right.copy()
    edge = 72 // 3
    left[:, edge - 5:edge + 6] = 0.5
    right[:, edge - 5 - 7:edge + 6 - 2] = 0.5  # the band's points, seen from the right camera
    return scene, msstereo.match(left, right, d_max=12, threads=1)


def test_the_confidence_ranks_the_wrong_pixels_below_the_right_ones(banded):
    scene, result = banded
    c = result.confidence
    assert c.dtype == np.float32 and c.shape == scene.shape
    assert 0 <= c.min() and c.max() <= 1
    wrong = np.abs(result.disparity - scene.disparity) > 1
    assert 0.02 < wrong.mean() < 0.3  # the band made errors, and only there
    # Among a wrong and a right pixel drawn at random, the wrong one is mostly the less confident
    # (0.5 would be a coin).
    below = (c[wrong][:, None] < c[~wrong][None, :]).mean()
    assert below > 0.75
    # Sparsification: the most confident pixels hold far fewer errors than all of them, and fewer than
    # those the plain left-right check trusts most.
    area = sparsification_area(c, result.disparity, scene.disparity)
    assert area < 0.5 * bad_pixels(result.disparity, scene.disparity)
    u, outside = consistency_residual(result.disparity, result.disparity_right, -1, 1)
    plain = np.where(outside, 0.0, np.exp(-np.abs(u))).astype(np.float32)
    assert area < sparsification_area(plain, result.disparity, scene.disparity)


def test_the_confidence_is_graded(banded):
    _, result = banded
    _, counts = np.unique(result.confidence, return_counts=True)
    assert counts.max() <= 0.05 * result.confidence.size


def test_every_two_view_model_and_solver_gives_one_single_view_models_none():
    scene = synthetic_scene("step", shape=(32, 48), background=2.0, foreground=5.0)
    for solver in ("pde", "optimize"):
        result = msstereo.match(scene.left, scene.right, model="ms-occ", solver=solver, d_max=8, threads=1)
        assert result.confidence.dtype == np.float32 and result.confidence.shape == scene.shape, solver
    result = msstereo.match(scene.left, scene.right, model="ms-tv", d_max=8)
    assert result.confidence is None


def test_features_on_a_known_pair():
    # Left disparity 2 everywhere, right disparity 2 except a wrong column: the residual is 0 but where
    # the left pixels match that column or fall off the right image.
    d = np.full((6, 10), 2.0, np.float32)
    d_right = d.copy()
    d_right[:, 5] = 4.0
    occlusion = np.zeros(d.shape, bool)
    occlusion[:, 0] = True
    image = np.tile(np.linspace(0, 1, 10, dtype=np.float32), (6, 1))
    f = features(d, d_right, np.ones(d.shape, np.float32), occlusion, image)
    assert list(f) == list(FEATURES) and all(x.dtype == np.float32 for x in f.values())
    expected = np.zeros(d.shape)
    expected[:, 7] = np.log1p(2.0)  # left x = 7 matches right x = 5
    expected[:, :2] = np.log1p(OUTSIDE)  # x - 2 < 0: off the right image
    np.testing.assert_allclose(f["consistency"], expected, atol=1e-6)
    np.testing.assert_array_equal(f["occluded"], occlusion)
    np.testing.assert_allclose(f["near_occlusion"][0], np.exp(-np.arange(10) / 3.0), rtol=1e-6)
    np.testing.assert_array_equal(f["discontinuity"], 0.0)
    np.testing.assert_array_equal(f["spread"], 0.0)  # a constant disparity
    np.testing.assert_array_equal(f["range"], 0.0)
    # A ramp of slope 1/9 per pixel: mean squared gradient 1/81 inside (the window never leaves the ramp).
    np.testing.assert_allclose(f["texture"][2:-2, 3:-3], np.log(1 / 81 + 1e-5), rtol=1e-5)


def test_calibrated_is_the_logistic_of_the_weighted_features():
    rng = np.random.default_rng(0)
    values = {name: rng.normal(size=(3, 4)).astype(np.float32) for name in FEATURES}
    weights = {name: float(k - 2) for k, name in enumerate(FEATURES)}
    z = 0.5 + sum(weights[name] * values[name].astype(np.float64) for name in FEATURES)
    c = calibrated(values, weights, 0.5)
    assert c.dtype == np.float32
    np.testing.assert_allclose(c, 1 / (1 + np.exp(-z)), rtol=1e-5)


def test_the_installed_calibration_has_a_weight_per_feature():
    assert set(_calibration.WEIGHTS) == set(FEATURES)
    assert all(np.isfinite(w) for w in _calibration.WEIGHTS.values()) and np.isfinite(_calibration.BIAS)
