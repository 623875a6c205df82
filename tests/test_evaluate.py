"""Tests for msstereo.evaluate: Middlebury v2 and v3 metrics, occlusion scores."""

import numpy as np
import pytest

from msstereo.datasets import V2_SCENES, Scene
from msstereo.evaluate import (METRIC_KEYS, OCCLUSION_KEYS, SPARSIFICATION_FRACTIONS, V2_COLUMNS, V2_KEYS, V3_KEYS,
                               bad_pixels, calibration_error, evaluate_scene, evaluate_v2, evaluate_v3,
                               evaluate_v3_masks, metric_columns, occlusion_columns, occlusion_scores, reliability,
                               sparsification_area, sparsification_curve)
from msstereo.synthetic import synthetic_scene

import naive


def test_bad_pixels_hand_computed():
    gt = np.array([[1.0, 2.0, np.inf], [4.0, 5.0, 6.0]])
    disparity = np.array([[1.0, 3.5, 0.0], [np.nan, 5.4, np.inf]])
    # Evaluated: 5 finite-gt pixels; errors 0, 1.5, nan->bad, 0.4, inf->bad.
    assert bad_pixels(disparity, gt, None, 1.0) == pytest.approx(60.0)
    assert bad_pixels(disparity, gt, None, 0.3) == pytest.approx(80.0)
    mask = np.array([[True, True, True], [False, False, False]])
    assert bad_pixels(disparity, gt, mask, 1.0) == pytest.approx(50.0)


def test_nan_and_inf_predictions_are_bad():
    gt = np.ones((3, 3))
    assert bad_pixels(np.full((3, 3), np.nan), gt, None, 100.0) == 100.0
    assert bad_pixels(np.full((3, 3), np.inf), gt, None, 100.0) == 100.0


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        bad_pixels(np.zeros((2, 3)), np.zeros((3, 2)), None, 1.0)
    with pytest.raises(ValueError, match="mask"):
        evaluate_v3(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((3, 3), bool))


def test_evaluate_v3_hand_computed():
    gt = np.array([[10.0, 10.0, 10.0], [10.0, 10.0, np.inf]])
    disparity = np.array([[10.0, 10.75, 11.5], [13.0, np.inf, 0.0]])
    scores = evaluate_v3(disparity, gt)
    # Evaluated 5 pixels; valid errors 0, 0.75, 1.5, 3; one invalid.
    assert scores["bad0.5"] == pytest.approx(80.0)
    assert scores["bad1"] == pytest.approx(60.0)
    assert scores["bad2"] == pytest.approx(40.0)
    assert scores["bad4"] == pytest.approx(20.0)
    assert scores["invalid"] == pytest.approx(20.0)
    assert scores["avgerr"] == pytest.approx((0 + 0.75 + 1.5 + 3) / 4)
    assert scores["rms"] == pytest.approx(np.sqrt((0.75**2 + 1.5**2 + 9) / 4))
    masked = evaluate_v3(disparity, gt, mask=np.array([[1, 1, 0], [0, 0, 0]], bool))
    assert masked["bad0.5"] == pytest.approx(50.0) and masked["invalid"] == 0.0


def _tiny_scene():
    gt = np.array([[1.0, 1.0, 1.0, np.inf]] * 2, dtype=np.float32)
    nonocc = np.array([[True, False, True, False], [True, True, False, False]])
    return Scene("tiny", np.zeros((2, 4)), np.zeros((2, 4)), gt, masks={"nonocc": nonocc})


def test_evaluate_v2_masks_and_thresholds():
    scene = _tiny_scene()
    scores = evaluate_v2(scene.disparity + 1.5, scene)
    assert set(scores) == {"nonocc"}
    assert scores["nonocc"] == {0.5: 100.0, 1.0: 100.0, 2.0: 0.0}


def test_occlusion_scores_tiny():
    scene = _tiny_scene()
    # Known: columns 0-2; occluded: (0, 1) and (1, 2).
    np.testing.assert_array_equal(
        scene.occlusion, [[False, True, False, False], [False, False, True, False]]
    )
    predicted = np.array([[True, True, False, True], [False, False, False, True]])
    # Pixels in column 3 have no GT and are ignored: 1 hit of 2 predicted, of 2 occluded.
    scores = occlusion_scores(predicted, scene)
    assert scores == {"precision": 0.5, "recall": 0.5}
    assert occlusion_scores(scene.occlusion, scene) == {"precision": 1.0, "recall": 1.0}
    with pytest.raises(ValueError, match="shape"):
        occlusion_scores(np.zeros((3, 3), bool), scene)
    no_masks = Scene("x", np.zeros((2, 2)), np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="occlusion"):
        occlusion_scores(np.zeros((2, 2), bool), no_masks)


@pytest.mark.parametrize("name", V2_SCENES)
def test_v2_gt_scores(v2_scene_loader, name):
    scene = v2_scene_loader(name)
    perfect = evaluate_v2(scene.disparity, scene)
    assert set(perfect) == {"nonocc", "all", "disc"}
    assert all(v == 0.0 for per_mask in perfect.values() for v in per_mask.values())
    shifted = evaluate_v2(scene.disparity + 1.5, scene)
    for per_mask in shifted.values():
        assert per_mask == {0.5: 100.0, 1.0: 100.0, 2.0: 0.0}
    v3 = evaluate_v3(scene.disparity, scene.disparity, scene.masks["nonocc"])
    assert v3["bad0.5"] == v3["avgerr"] == v3["rms"] == v3["invalid"] == 0.0
    if scene.occlusion is not None:
        assert occlusion_scores(scene.occlusion, scene) == {"precision": 1.0, "recall": 1.0}


def _scene_with_masks(layout):
    gt = np.arange(12, dtype=np.float32).reshape(3, 4)
    nonocc = np.ones((3, 4), bool)
    nonocc[:, 0] = False
    return Scene(name="s", left=np.zeros((3, 4)), right=np.zeros((3, 4)), disparity=gt,
                 masks={"all": np.ones((3, 4), bool), "nonocc": nonocc}, layout=layout)


def test_v3_masks_are_scored_nonocc_first():
    scene = _scene_with_masks("2014")
    disparity = scene.disparity.copy()
    disparity[:, 0] += 5  # wrong only where occluded
    scores = evaluate_v3_masks(disparity, scene.disparity, scene.masks)
    assert list(scores) == ["nonocc", "all"]
    assert scores["nonocc"]["bad1"] == 0.0 and scores["all"]["bad1"] == pytest.approx(25.0)
    assert list(evaluate_v3_masks(disparity, scene.disparity, {})) == ["all"]


@pytest.mark.parametrize("layout, version", [("2014", "v3"), ("v2", "v2"), ("2005", "v2"), (None, "v2")])
def test_evaluate_scene_scores_as_middlebury_does_for_the_layout(layout, version):
    scene = _scene_with_masks(layout)
    found, scores = evaluate_scene(scene.disparity, scene)
    assert found == version and set(scores) == {"nonocc", "all"}
    expected = evaluate_v2(scene.disparity, scene) if version == "v2" else evaluate_v3_masks(
        scene.disparity, scene.disparity, scene.masks)
    assert scores == expected
    del scene.masks["nonocc"]
    assert evaluate_scene(scene.disparity, scene)[0] == "v3"


def test_metric_column_names():
    assert V2_KEYS == ("bad0.5 nonocc", "bad1 nonocc", "bad2 nonocc", "bad1 all", "bad1 disc")
    assert [f"bad{t:g} {m}" for m, t in V2_COLUMNS] == list(V2_KEYS)
    assert V3_KEYS == ("bad0.5 all", "bad1 all", "bad2 all", "bad4 all", "avgerr all", "rms all")
    assert OCCLUSION_KEYS == ("occ precision", "occ recall")
    # Each name once ("bad1 all" is a v2 and a v3 column), the occlusion columns last.
    assert len(set(METRIC_KEYS)) == len(METRIC_KEYS) and METRIC_KEYS[-2:] == OCCLUSION_KEYS
    assert set(METRIC_KEYS) == set(V2_KEYS) | set(V3_KEYS) | set(OCCLUSION_KEYS)


def test_metric_columns_v2_with_masks_v3_without():
    scene = synthetic_scene("step", shape=(24, 32), background=2.0, foreground=5.0)
    disparity = scene.disparity + np.where(np.arange(32) % 4 == 0, 1.5, 0.0)[None, :]
    columns = metric_columns(disparity, scene)
    assert list(columns) == [key for key in V2_KEYS if key.split()[1] in scene.masks]
    v2 = evaluate_v2(disparity, scene)
    assert columns["bad1 nonocc"] == v2["nonocc"][1.0] and columns["bad1 all"] == v2["all"][1.0]
    assert columns["bad0.5 nonocc"] == v2["nonocc"][0.5] > 0
    # Without a 'nonocc' mask: the v3 metrics over every pixel with ground truth.
    bare = Scene(name="bare", left=scene.left, right=scene.right, disparity=scene.disparity,
                 masks={"all": np.isfinite(scene.disparity)})
    columns = metric_columns(disparity, bare)
    v3 = evaluate_v3(disparity, scene.disparity, bare.masks["all"])
    assert list(columns) == list(V3_KEYS)
    assert columns["bad1 all"] == v3["bad1"] and columns["rms all"] == v3["rms"]
    with pytest.raises(ValueError, match="no ground-truth disparity"):
        metric_columns(disparity, Scene(name="none", left=scene.left, right=scene.right))


def test_occlusion_columns_are_the_scores_in_percent():
    scene = synthetic_scene("step", shape=(24, 32), background=2.0, foreground=5.0)
    predicted = scene.occlusion.copy()
    predicted[:, :2] = True
    scores = occlusion_scores(predicted, scene)
    columns = occlusion_columns(predicted, scene)
    assert list(columns) == list(OCCLUSION_KEYS)
    assert columns == {"occ precision": 100 * scores["precision"], "occ recall": 100 * scores["recall"]}


def _numbers(value):
    """Every number in a nest of dicts (keys included)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _numbers(item)
    else:
        yield value


def test_every_score_is_a_plain_python_float():
    scene = synthetic_scene("step", shape=(24, 32), background=2.0, foreground=5.0)
    disparity = scene.disparity + np.where(np.arange(32) % 4 == 0, 1.5, 0.0)[None, :]
    disparity[0, 0] = np.inf
    empty = np.zeros(scene.shape, bool)  # nothing evaluated: NaN scores, floats still
    bare = Scene(name="bare", left=scene.left, right=scene.right, disparity=scene.disparity,
                 masks={"all": np.isfinite(scene.disparity)})
    results = [bad_pixels(disparity, scene.disparity), bad_pixels(disparity, scene.disparity, empty),
               evaluate_v2(disparity, scene), evaluate_v3(disparity, scene.disparity),
               evaluate_v3(disparity, scene.disparity, empty), evaluate_v3_masks(disparity, scene.disparity, scene.masks),
               evaluate_scene(disparity, scene)[1], evaluate_scene(disparity, bare)[1],
               occlusion_scores(scene.occlusion, scene), metric_columns(disparity, scene),
               metric_columns(disparity, bare), occlusion_columns(scene.occlusion, scene)]
    numbers = [x for result in results for x in _numbers(result) if not isinstance(x, str)]
    assert len(numbers) > 50 and {type(x) for x in numbers} == {float}


def _confidence_case(rng, shape, levels=None):
    """A confidence map (``levels`` distinct values, or continuous), errors that it predicts a little, gt."""
    conf = rng.random(shape) if levels is None else rng.integers(0, levels, shape) / (levels - 1)
    error = np.where(rng.random(shape) < conf, 0.5, 2.0) * rng.choice([-1, 1], shape)
    gt = np.full(shape, 10.0)
    return conf, gt + error, gt


@pytest.mark.parametrize("levels", [None, 3, 1])
def test_calibration_error_against_naive(levels):
    rng = np.random.default_rng(1)
    conf, disparity, gt = _confidence_case(rng, (9, 11), levels if levels != 1 else None)
    if levels == 1:
        conf[:] = 1.0  # every pixel in the last, closed bin
    right = np.abs(disparity - gt) <= 1
    assert calibration_error(conf, disparity, gt, bins=10) == pytest.approx(naive.calibration_error(conf, right, 10))
    assert calibration_error(conf, disparity, gt, bins=3) == pytest.approx(naive.calibration_error(conf, right, 3))


def test_reliability_counts_and_a_calibrated_map():
    rng = np.random.default_rng(2)
    conf, disparity, gt = _confidence_case(rng, (200, 300))
    diagram = reliability(conf, disparity, gt)
    assert diagram["count"].sum() == conf.size and len(diagram["right"]) == 10
    # The errors were drawn right with probability conf: calibrated up to sampling noise.
    assert calibration_error(conf, disparity, gt) < 0.01
    # Reversed, the same map is far off.
    assert calibration_error(1 - conf, disparity, gt) > 0.3


@pytest.mark.parametrize("levels", [2, 3, None])
def test_sparsification_curve_against_every_order_of_the_ties(levels):
    rng = np.random.default_rng(3)
    conf, disparity, gt = _confidence_case(rng, (2, 4), levels)
    right = np.abs(disparity - gt) <= 1
    fractions = (0.1, 0.25, 0.3, 0.5, 0.8, 1.0)
    assert sparsification_curve(conf, disparity, gt, fractions=fractions) == pytest.approx(
        naive.sparsification_curve(conf, right, fractions))


def test_sparsification_of_one_value_is_the_bad_rate_and_the_truth_is_optimal():
    rng = np.random.default_rng(4)
    conf, disparity, gt = _confidence_case(rng, (30, 40))
    bad = bad_pixels(disparity, gt)
    assert sparsification_curve(np.full(gt.shape, 0.5), disparity, gt) == pytest.approx(bad)
    right = (np.abs(disparity - gt) <= 1).astype(float)
    optimal = sparsification_area(right, disparity, gt)
    expected = np.mean([100 * max(0, f - (1 - bad / 100)) / f for f in SPARSIFICATION_FRACTIONS])
    assert optimal == pytest.approx(expected, abs=0.2)  # rounding of the kept counts
    assert optimal < sparsification_area(conf, disparity, gt) < sparsification_area(1 - conf, disparity, gt)
    half = np.arange(40)[None, :].repeat(30, 0) < 20
    assert sparsification_curve(conf, disparity, gt, mask=half)[-1] == pytest.approx(bad_pixels(disparity, gt, half))


def test_confidence_metrics_refuse_bad_input():
    gt = np.ones((3, 4))
    with pytest.raises(ValueError, match="confidence"):
        calibration_error(np.full((3, 4), 1.5), gt, gt)
    with pytest.raises(ValueError, match="confidence"):
        sparsification_curve(np.full((3, 4), np.nan), gt, gt)
    with pytest.raises(ValueError, match="confidence.*shape"):
        sparsification_area(np.ones((4, 3)), gt, gt)
    with pytest.raises(ValueError, match="fractions"):
        sparsification_curve(np.ones((3, 4)), gt, gt, fractions=(0.0, 1.0))
    with pytest.raises(ValueError, match="bins"):
        reliability(np.ones((3, 4)), gt, gt, bins=0)
