"""Tests for msstereo.viz: the exact Turbo table, error and occlusion images, figures."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from msstereo import viz  # noqa: E402
from msstereo.evaluate import bad_pixels  # noqa: E402
from msstereo.result import StereoResult  # noqa: E402
from msstereo.viz import colorize, error_map, occlusion_overlay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def test_turbo_table_is_matplotlibs_turbo_exactly():
    np.testing.assert_array_equal(viz.TURBO, np.asarray(colormaps["turbo"].colors))
    assert viz.TURBO.shape == (256, 3) and len({tuple(c) for c in viz.TURBO}) == 256


def test_colorize_matches_matplotlib_turbo_pixel_for_pixel():
    """The PNG colours are the ones imshow(cmap="turbo") draws, to 8-bit rounding."""
    values = np.concatenate([np.linspace(-3.0, 23.0, 2001), [0.0, 20.0, 20 * 255 / 256]])[None, :]
    expected = colormaps["turbo"](Normalize(0.0, 20.0)(values))[..., :3]
    got = colorize(values, vmin=0.0, vmax=20.0) / 255.0
    np.testing.assert_allclose(got, expected, atol=0.5 / 255 + 1e-12)
    # The top end is the last entry, the bottom end the first.
    np.testing.assert_array_equal(colorize(np.array([[0.0, 20.0]]), 0, 20)[0],
                                  np.round(viz.TURBO[[0, -1]] * 255))


def test_show_disparity_draws_the_colours_of_colorize():
    disparity = np.linspace(0, 30, 12 * 16).reshape(12, 16)
    disparity[0, 0] = np.inf
    image = viz.show_disparity(disparity, vmin=0, vmax=32)
    drawn = image.to_rgba(image.get_array(), bytes=True)[..., :3].astype(int)
    assert np.abs(drawn - colorize(disparity, 0, 32).astype(int)).max() <= 1
    label = image.colorbar.ax.get_ylabel()
    assert "0 to 32" in label and image.get_clim() == (0, 32)


def test_show_confidence_draws_zero_black_and_one_white():
    confidence = np.linspace(0, 1, 12 * 16, dtype=np.float32).reshape(12, 16)
    image = viz.show_confidence(confidence, title="c")
    drawn = image.to_rgba(image.get_array(), bytes=True)[..., :3].astype(int)
    assert (drawn[0, 0] == 0).all() and (drawn[-1, -1] == 255).all()
    assert image.get_clim() == (0.0, 1.0) and image.axes.get_title() == "c"


def test_error_map_marks_missing_estimates_and_unevaluated_pixels():
    gt = np.array([[1.0, 2.0, np.inf], [4.0, 5.0, 6.0]])
    disparity = np.array([[1.5, np.nan, 3.0], [1.0, 5.0, 6.0]])
    mask = np.array([[True, True, True], [True, True, False]])
    error = error_map(disparity, gt, mask)
    np.testing.assert_array_equal(error[0, :2], [0.5, np.inf])
    assert np.isnan(error[0, 2]) and np.isnan(error[1, 2])  # unknown gt, outside the mask
    np.testing.assert_array_equal(error[1, :2], [3.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        error_map(disparity[:, :2], gt)


def test_show_error_reports_the_bad_pixel_percentage():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 10, (20, 30))
    disparity = gt + rng.normal(0, 1.5, gt.shape)
    mask = np.ones(gt.shape, bool)
    mask[:5] = False
    ax = plt.gca()
    percent = viz.show_error(disparity, gt, ax, mask=mask, threshold=2.0, title="x")
    assert percent == pytest.approx(bad_pixels(disparity, gt, mask, 2.0))
    assert 5 < percent < 40 and f"{percent:.2f}%" in ax.get_title()
    drawn = ax.images[0].get_array()
    assert drawn.mask[:5].all() and not drawn.mask[5:].any()
    with pytest.raises(ValueError, match="threshold"):
        viz.show_error(disparity, gt, threshold=0)


def test_occlusion_overlay_colours_hits_false_alarms_and_misses():
    image = np.full((2, 3), 128, np.uint8)
    occlusion = np.array([[True, True, False], [False, False, False]])
    reference = np.array([[True, False, True], [False, False, False]])
    out = occlusion_overlay(image, occlusion, reference, alpha=1.0)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3)
    hit, false, missed, plain = out[0, 0], out[0, 1], out[0, 2], out[1, 0]
    assert hit[1] > hit[0] and false[0] > false[2] and missed[2] > missed[0]
    np.testing.assert_array_equal(plain, [128, 128, 128])
    # Without a reference, every estimated pixel gets one tint.
    alone = occlusion_overlay(np.dstack([image] * 3), occlusion, alpha=1.0)
    np.testing.assert_array_equal(alone[0, 0], alone[0, 1])
    with pytest.raises(ValueError, match="shape"):
        occlusion_overlay(image, occlusion[:, :2])


def _fake_result(occlusion=True):
    disparity = np.tile(np.linspace(0, 8, 24), (16, 1)).astype(np.float32)
    return StereoResult(disparity=disparity, model=None, solver=None, levels=[], seconds=0.0,
                        v=np.ones_like(disparity) if occlusion else None,
                        occlusion=(disparity > 7) if occlusion else None)


def test_plot_result_draws_four_panels_and_says_what_is_missing():
    from msstereo.datasets import Scene

    result = _fake_result()
    gt = result.disparity + 0.5
    scene = Scene("fake", left=np.zeros((16, 24), np.uint8), right=np.zeros((16, 24), np.uint8),
                  disparity=gt, masks={"nonocc": np.ones(gt.shape, bool)}, ndisp=10)
    axes = viz.plot_result(result, scene, label="m")
    assert [ax.get_title() for ax in axes] == ["m: disparity", "m: nonocc: bad 1 px 0.00%",
                                               "m: v", "m: occlusion"]
    assert axes[0].images[0].get_clim() == (0.0, 10.0)
    bare = viz.plot_result(_fake_result(occlusion=False))
    texts = [t.get_text() for ax in bare[1:] for t in ax.texts]
    assert texts == ["no ground truth", "no discontinuity function", "no occlusion model"]


def test_figures_need_matplotlib_and_say_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"msstereo\[notebooks\]"):
        viz.show_disparity(np.zeros((4, 4)))
    # The array functions do not need it.
    assert colorize(np.zeros((4, 4))).shape == (4, 4, 3)


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, msstereo.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
