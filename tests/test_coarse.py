"""The coarse pass and the disparity range it finds (`msstereo.coarse`), on synthetic scenes of known range."""

import numpy as np
import pytest

import msstereo
from msstereo.coarse import CoarsePass, coarse_shape, estimate_range, search_bounds
from msstereo.intensity import prepare_pair
from msstereo.synthetic import synthetic_scene


def coarse_of(left, right, bounds=(None, None)):
    il, ir, _ = prepare_pair(left, right, np.float32)
    return CoarsePass.of_pair(il, ir, bounds)


def swapped(scene):
    """The views swapped: every disparity negated (the right view's ground truth becomes the left's)."""
    return scene.right, scene.left, -scene.disparity_right


def shifted(scene, shift):
    """The right view cropped ``shift`` px further right than the left one: every disparity grows by ``shift``."""
    w = scene.shape[1] - shift
    return scene.left[:, :w], scene.right[:, shift:], scene.disparity[:, :w] + shift


def held_and_beyond(found, truth):
    """Share of ``truth`` inside ``found``, and how far ``found`` reaches past its extent on either side."""
    lo, hi = found
    held = np.mean((truth >= lo) & (truth <= hi))
    return held, max(truth.min() - lo, hi - truth.max())


def allowance(truth):
    return max(8.0, 0.25 * (truth.max() - truth.min()))


STEP = dict(shape=(64, 128), background=4.0, foreground=14.0)


@pytest.mark.parametrize("case", ["step", "slanted", "swapped", "shifted"])
def test_the_range_found_holds_the_scene_and_little_else(case):
    if case == "slanted":
        scene = synthetic_scene("slanted", (64, 128), background=3.0, slope=(0.1, 0.05))
        left, right, truth = scene.left, scene.right, scene.disparity[scene.masks["nonocc"]]
    elif case == "swapped":  # all negative: -14 to -4
        left, right, truth = swapped(synthetic_scene("step", **STEP))
        truth = truth[np.isfinite(truth)]
    elif case == "shifted":  # all beyond 30 px: 34 to 44, under half the width of 98 px
        scene = synthetic_scene("step", **STEP)
        left, right, truth = shifted(scene, 30)
        x = np.arange(left.shape[1])[None, :]
        truth = truth[scene.masks["nonocc"][:, :left.shape[1]] & (x - truth >= 0)]
    else:
        scene = synthetic_scene("step", **STEP)
        left, right, truth = scene.left, scene.right, scene.disparity[scene.masks["nonocc"]]
    found = estimate_range(coarse_of(left, right))
    held, beyond = held_and_beyond(found, truth)
    assert held >= 0.995 and beyond <= allowance(truth), (found, truth.min(), truth.max())


def test_the_coarse_pass_keeps_both_views_their_check_and_margins():
    scene = synthetic_scene("plane", (48, 96), background=6.0)
    coarse = coarse_of(scene.left, scene.right)
    assert coarse.scale == 1.0 and coarse.bounds == (-57, 57) and coarse.given == (None, None)
    inside = np.s_[:, 12:-12]  # off the borders, where some matches leave the other view
    assert np.abs(coarse.disparity[inside] - 6.0).max() < 0.5
    assert np.abs(coarse.disparity_right[inside] - 6.0).max() < 0.5
    assert coarse.consistent[inside].all() and (coarse.margin[inside] > 0).all()
    assert coarse.confident()[inside].mean() > 0.9


def test_a_left_pixel_never_matches_beyond_the_other_view():
    scene = synthetic_scene("plane", (48, 96), background=6.0)
    coarse = coarse_of(scene.left, scene.right)
    x = np.arange(96)[None, :]
    assert (x - coarse.disparity >= -0.5).all() and (x + coarse.disparity_right <= 95.5).all()
    # Pixels whose true match is off the right view are not confident.
    assert not coarse.confident()[:, :6].any()


def test_a_textureless_pair_still_gets_a_range_inside_the_search():
    flat = np.full((32, 64), 0.5)
    coarse = coarse_of(flat, flat)
    assert not coarse.confident().any()
    lo, hi = estimate_range(coarse)
    assert -38 <= lo < hi <= 38


@pytest.mark.parametrize("given", [(2.0, None), (None, 20.0)])
def test_a_given_bound_is_kept_and_the_other_found(given):
    scene = synthetic_scene("step", **STEP)
    coarse = coarse_of(scene.left, scene.right, given)
    d_min, d_max = estimate_range(coarse, *given)
    if given[0] is not None:
        assert d_min == 2.0 and 14.0 <= d_max <= 22.0 and coarse.bounds[0] == 2
    else:
        assert d_max == 20.0 and -4.0 <= d_min <= 4.0 and coarse.bounds[1] == 20


def test_a_given_bound_beyond_every_match_keeps_a_range_on_its_side():
    scene = synthetic_scene("plane", (48, 96), background=6.0)
    assert estimate_range(coarse_of(scene.left, scene.right), d_min=30.0) == (30.0, 31.0)
    assert estimate_range(coarse_of(scene.left, scene.right), d_max=-10.5) == (-11.5, -10.5)


def test_the_range_found_is_a_whole_number_of_pixels_wide():
    # The relax grid of such a range is exactly its step apart: two census fractions, not one per sample.
    scene = synthetic_scene("slanted", (64, 128), background=3.3, slope=(0.1, 0.0))
    coarse = coarse_of(scene.left, scene.right)
    for given in ((None, None), (0.25, None), (None, 20.75)):
        d_min, d_max = estimate_range(coarse, *given)
        assert (d_max - d_min) == int(d_max - d_min)
    assert all(float(b).is_integer() for b in estimate_range(coarse))


def test_search_bounds():
    assert search_bounds(100, 0.5, (None, None)) == (-59, 59)
    assert search_bounds(100, 0.5, (0.0, None)) == (0, 59)
    assert search_bounds(100, 0.5, (120.0, None)) == (60, 99)  # beyond d_min, inside the row
    assert search_bounds(100, 0.5, (None, -40.0)) == (-79, -20)
    assert search_bounds(100, 0.5, (0.5, 20.5)) == (0, 11)  # given bounds rounded outwards


def test_the_range_found_is_never_wider_than_the_image():
    flat = np.full((32, 64), 0.5)  # no confident match: every pixel's counts, spread over the search
    lo, hi = estimate_range(coarse_of(flat, flat))
    assert hi - lo <= 63 and lo.is_integer() and hi.is_integer()


def test_the_shrunk_pair_is_small_whatever_the_shape():
    assert coarse_shape((375, 450)) == (96, 115)
    assert coarse_shape((60, 80)) == (60, 80)  # never enlarged
    assert coarse_shape((8, 20000)) == (8, 192)  # an elongated pair: the long side capped
    assert coarse_shape((20000, 300)) == (192, 96)


def test_match_finds_the_range_and_reports_it():
    left, right, truth = swapped(synthetic_scene("step", (48, 96), background=4.0, foreground=12.0))
    result = msstereo.match(left, right, model="tv", solver=msstereo.Relax(iterations=10))
    d_min, d_max = result.d_range
    assert -20.0 <= d_min <= -12.0 and -4.0 <= d_max <= 4.0
    assert result.coarse is not None and 0 < result.coarse.seconds < result.seconds
    assert "d_min and d_max found from the pair" in result.summary()
    inside = np.isfinite(truth)
    inside[:, -16:] = False  # right pixels whose match is off the left view
    assert np.mean(np.abs(result.disparity[inside] - truth[inside]) < 1.0) > 0.9


def test_match_keeps_a_range_given_and_runs_no_pass():
    scene = synthetic_scene("plane", (32, 64), background=3.0)
    result = msstereo.match(scene.left, scene.right, model="tv", d_min=0, d_max=8,
                            solver=msstereo.Relax(iterations=2))
    assert result.d_range == (0.0, 8.0) and result.coarse is None and "(given)" in result.summary()


@pytest.mark.parametrize("bounds, message", [
    ({"d_min": float("inf")}, "d_min must be a finite number"),
    ({"d_max": float("nan")}, "d_max must be a finite number"),
    ({"d_min": 9.0, "d_max": 8.0}, "d_max must be larger than d_min"),
    ({"d_max": 1000.0}, "d_max=1000 is beyond 2 image widths"),
])
def test_a_bad_bound_is_refused_before_any_pass(monkeypatch, bounds, message):
    def no_pass(*args, **kwargs):
        raise AssertionError("the coarse pass ran")
    monkeypatch.setattr(CoarsePass, "of_pair", no_pass)
    flat = np.full((16, 32), 0.5)
    with pytest.raises(ValueError, match=message):
        msstereo.match(flat, flat, **bounds)
