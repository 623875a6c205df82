"""Tests for the benchmark helpers: the SGBM peer and the Middlebury table logic."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import middlebury  # noqa: E402
import peers  # noqa: E402
from msstereo.synthetic import synthetic_scene  # noqa: E402


def _uint8(image):
    return np.round(255 * image).astype(np.uint8)


@pytest.mark.parametrize("ndisp, expected", [(1, 16), (15, 16), (16, 16), (17, 32), (59, 64), (76, 80)])
def test_num_disparities(ndisp, expected):
    assert peers.num_disparities(ndisp) == expected


def test_sgbm_recovers_a_step_and_fills_the_border():
    pytest.importorskip("cv2")
    scene = synthetic_scene("step", shape=(64, 96), background=4.0, foreground=9.0)
    gray = (_uint8(scene.left), _uint8(scene.right))
    for left, right in (gray, tuple(np.repeat(im[..., None], 3, axis=2) for im in gray)):
        disparity, seconds = peers.sgbm(left, right, scene.ndisp)
        assert disparity.shape == scene.shape and disparity.dtype == np.float32
        assert seconds > 0
        # Left padding and background fill: every pixel, the left border included, has a value.
        assert np.isfinite(disparity).all()
        nonocc = scene.masks["nonocc"]
        error = np.abs(disparity - scene.disparity)
        assert np.mean(error[nonocc] > 1) < 0.05
        # The occluded border columns take the background, not the foreground.
        assert np.all(disparity[:, :3] < 6)


def test_sgbm_rejects_non_uint8():
    pytest.importorskip("cv2")
    image = np.zeros((32, 48), dtype=np.float32)
    with pytest.raises(ValueError, match="uint8"):
        peers.sgbm(image, image, 16)


def test_sgbm_without_opencv_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` raise ImportError
    image = np.zeros((32, 48), dtype=np.uint8)
    with pytest.raises(ImportError, match=r'pip install "msstereo\[bench\]"'):
        peers.sgbm(image, image, 16)


def test_parse_settings_routes_each_name():
    params, options = middlebury.parse_settings(
        ["beta=0.03", "factor=0.8", "median=0", "robust=false"], ["pde", "optimize"])
    assert params == {"beta": 0.03, "factor": 0.8, "robust": False}
    assert options == {"pde": {"median": 0}, "optimize": {"median": 0}}
    solvers = middlebury.make_solvers(["pde"], options)
    assert solvers["pde"].median == 0
    with pytest.raises(SystemExit, match="unknown setting 'foo'"):
        middlebury.parse_settings(["foo=1"])
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        middlebury.parse_settings(["beta"])
    with pytest.raises(SystemExit, match="unknown solver"):
        middlebury.parse_settings([], ["simplex"])


def _row(method, scene, value, disc=True):
    row = {"method": method, "model": None, "solver": None, "scene": scene,
           "group": middlebury.GROUP_OF[scene], "seconds": value, "x sgbm": 1.0}
    row.update({key: value for key in middlebury.V2_KEYS if disc or "disc" not in key})
    return row


def test_group_means_and_table():
    rows = [_row("sgbm", "tsukuba", 1.0), _row("sgbm", "venus", 3.0),
            _row("sgbm", "art", 5.0, disc=False), _row("sgbm", "laundry", 7.0, disc=False)]
    means = middlebury.group_means(rows)
    assert [(m["group"], m["bad1 nonocc"]) for m in means] == [("v2", 2.0), ("2005", 6.0)]
    assert "bad1 disc" in means[0] and "bad1 disc" not in means[1]
    table = middlebury.format_table(rows, means, middlebury.V2_KEYS)
    lines = table.splitlines()
    assert [line.split(" | ")[1] for line in lines[2:]] == [
        "tsukuba", "venus", "**mean v2**", "art", "laundry", "**mean 2005**"]
    assert lines[-1].count(" - ") == 1  # no disc for the 2005 mean
    assert "occ precision" not in lines[0]


def test_scale_pairs_scale_the_images_the_truth_and_the_range():
    pytest.importorskip("cv2")
    import scale

    left, right, gt, d_max = scale.pair(1.0)
    assert left.shape == (500, 741, 3) and d_max == scale.NDISP
    small_left, small_right, small_gt, small_d_max = scale.pair(0.5)
    assert small_left.shape == small_right.shape == (250, 370, 3) and small_left.dtype == np.uint8
    assert small_d_max == pytest.approx(scale.NDISP * 370 / 741)
    known = np.isfinite(small_gt)
    assert 0.5 < known.mean() and np.nanmax(small_gt[known]) == pytest.approx(
        np.nanmax(gt[np.isfinite(gt)]) * 370 / 741, rel=0.02)
