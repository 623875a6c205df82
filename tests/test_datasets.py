"""Tests for msstereo.datasets: layouts, detection and the v2 data."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msstereo.datasets import (
    SCENE_NAMES,
    V2_SCENES,
    Scene,
    consistency_masks,
    data_dir,
    get_scene,
    left_right_consistent,
    load_scene,
    motorcycle,
    read_mask,
    v2_scene,
)
from msstereo.evaluate import evaluate_v2
from msstereo.io import write_pfm
from msstereo.synthetic import synthetic_scene

H, W = 6, 8


def _rgb(seed):
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def _save(path, array):
    Image.fromarray(array).save(path)


def _stored_gt(scale):
    """A disparity map in pixels with one unknown pixel, and its PNG encoding."""
    disparity = np.tile(np.arange(W, dtype=np.float32), (H, 1)) + 1
    disparity[0, 0] = np.inf
    stored = np.where(np.isfinite(disparity), disparity * scale, 0).astype(np.uint8)
    return disparity, stored


def _make_png_layout(folder, names, scale):
    folder.mkdir()
    left, right, disp, disp_right = names
    _save(folder / left, _rgb(1))
    _save(folder / right, _rgb(2))
    disparity, stored = _stored_gt(scale)
    _save(folder / disp, stored)
    _save(folder / disp_right, stored)
    return disparity


def test_layout_2003(tmp_path):
    folder = tmp_path / "teddy"
    disparity = _make_png_layout(folder, ("im2.png", "im6.png", "disp2.png", "disp6.png"), 4)
    mask = np.full((H, W), 255, dtype=np.uint8)
    mask[:, 0] = 0
    _save(folder / "nonocc.png", mask)
    scene = load_scene(folder)
    assert scene.name == "teddy" and scene.path == str(folder)
    assert scene.left.shape == (H, W, 3) and scene.left.dtype == np.uint8
    np.testing.assert_array_equal(scene.disparity, disparity)
    np.testing.assert_array_equal(scene.disparity_right, disparity)
    assert scene.ndisp == W + 1
    assert set(scene.masks) == {"nonocc"}
    assert scene.masks["nonocc"].dtype == bool
    # Occluded = known GT outside nonocc: column 0 minus the unknown pixel.
    assert scene.occlusion.sum() == H - 1
    assert load_scene(folder, layout="2003").ndisp == W + 1


def test_layout_2005_third_size_scale(tmp_path):
    # Third-size images (width < 550): stored value = 3 * disparity.
    folder = tmp_path / "Art"
    disparity = _make_png_layout(folder, ("view1.png", "view5.png", "disp1.png", "disp5.png"), 3)
    scene = load_scene(folder)
    np.testing.assert_array_equal(scene.disparity, disparity)
    # No mask files: masks derived from the ground truth. Every match x - (x + 1)
    # falls off the right image, so every known pixel is occluded.
    assert set(scene.masks) == {"all", "nonocc"}
    np.testing.assert_array_equal(scene.masks["all"], np.isfinite(disparity))
    assert not scene.masks["nonocc"].any()
    np.testing.assert_array_equal(scene.occlusion, np.isfinite(disparity))
    # An explicit scale overrides the size rule.
    np.testing.assert_allclose(
        load_scene(folder, layout="2005", scale=1).disparity[1:], 3 * disparity[1:]
    )


@pytest.mark.parametrize("width, factor", [(1390, 1), (695, 2), (463, 3)])
def test_layout_2005_scale_from_width(tmp_path, width, factor):
    folder = tmp_path / "s"
    folder.mkdir()
    _save(folder / "view1.png", np.zeros((2, width), dtype=np.uint8))
    _save(folder / "view5.png", np.zeros((2, width), dtype=np.uint8))
    stored = np.full((2, width), 60, dtype=np.uint8)
    _save(folder / "disp1.png", stored)
    scene = load_scene(folder)
    assert np.all(scene.disparity == np.float32(60 / factor))
    assert scene.disparity_right is None


def _band_case():
    """Left and right ground truth of one row with a known occluded band.

    Background at 2 px, a foreground segment at 5 px on left columns 6-8
    (right columns 1-3). Left background pixels 3-5 match right columns 1-3,
    which show the foreground: the band the foreground hides from the right
    camera, 5 - 2 = 3 px wide. Left pixels 0-1 match off the right image.
    """
    d_left = np.full((2, 12), 2.0, dtype=np.float32)
    d_left[:, 6:9] = 5.0
    d_right = np.full((2, 12), 2.0, dtype=np.float32)
    d_right[:, 1:4] = 5.0
    nonocc = np.zeros((2, 12), bool)
    nonocc[:, 2] = nonocc[:, 6:] = True
    return d_left, d_right, nonocc


def test_consistency_masks_occluded_band():
    d_left, d_right, nonocc = _band_case()
    masks = consistency_masks(d_left, d_right)
    np.testing.assert_array_equal(masks["all"], np.ones_like(nonocc))
    np.testing.assert_array_equal(masks["nonocc"], nonocc)
    # Unknown left pixels are in neither mask; unknown right ground truth at
    # the match removes a pixel from nonocc only.
    d_left[0, 10] = np.inf
    d_right[1, 9] = np.inf  # the match of left (1, 11)
    masks = consistency_masks(d_left, d_right)
    assert not masks["all"][0, 10] and not masks["nonocc"][0, 10]
    assert masks["all"][1, 11] and not masks["nonocc"][1, 11]


def test_left_right_consistent_tolerance_and_rounding():
    d_left, d_right, _ = _band_case()
    d_right[0, 7] = 3.0  # match of left (0, 9): |2 - 3| = 1 is within tol
    d_right[1, 7] = 3.5  # 1.5 is not
    ok = left_right_consistent(d_left, d_right)
    assert ok[0, 9] and not ok[1, 9]
    assert not left_right_consistent(d_left, d_right, tol=0.5)[0, 9]
    # x - d = 10 - 2.5 = 7.5 rounds up to right column 8, whose 2.0 is within 1 px.
    d_left[0, 10] = 2.5
    d_right[0, 7] = 9.0
    assert left_right_consistent(d_left, d_right)[0, 10]
    with pytest.raises(ValueError, match="shape"):
        left_right_consistent(d_left, d_right[:, :5])


@pytest.mark.parametrize("kind", ["plane", "step"])
def test_consistency_masks_match_synthetic_occlusion(kind):
    scene = synthetic_scene(kind, shape=(24, 40), background=3.0, foreground=7.0)
    masks = consistency_masks(scene.disparity, scene.disparity_right)
    np.testing.assert_array_equal(masks["nonocc"], scene.masks["nonocc"])


def test_layout_2005_derives_masks_only_without_mask_files(tmp_path):
    folder = tmp_path / "Band"
    folder.mkdir()
    d_left, d_right, nonocc = _band_case()
    _save(folder / "view1.png", np.zeros((2, 12), dtype=np.uint8))
    _save(folder / "view5.png", np.zeros((2, 12), dtype=np.uint8))
    _save(folder / "disp1.png", (3 * d_left).astype(np.uint8))  # third size: value = 3 d
    _save(folder / "disp5.png", (3 * d_right).astype(np.uint8))
    scene = load_scene(folder)
    assert set(scene.masks) == {"all", "nonocc"}
    np.testing.assert_array_equal(scene.masks["nonocc"], nonocc)
    np.testing.assert_array_equal(scene.occlusion, ~nonocc)
    scores = evaluate_v2(scene.disparity, scene)
    assert set(scores) == {"nonocc", "all"} and scores["nonocc"][1.0] == 0.0
    # A mask file present: masks are read, none derived.
    _save(folder / "all.png", np.full((2, 12), 255, dtype=np.uint8))
    assert set(load_scene(folder).masks) == {"all"}


def test_layout_2014(tmp_path):
    folder = tmp_path / "Motorcycle"
    folder.mkdir()
    _save(folder / "im0.png", _rgb(1))
    _save(folder / "im1.png", _rgb(2))
    disparity = np.random.default_rng(3).uniform(5, 40, (H, W)).astype(np.float32)
    disparity[2, 3] = np.inf
    write_pfm(folder / "disp0.pfm", disparity)
    (folder / "calib.txt").write_text(
        "cam0=[3979.911 0 1244.772; 0 3979.911 1019.507; 0 0 1]\n"
        "cam1=[3979.911 0 1369.115; 0 3979.911 1019.507; 0 0 1]\n"
        "doffs=124.343\nbaseline=193.001\nwidth=8\nheight=6\nndisp=270\nvmin=23\nvmax=229.5\n"
    )
    (folder / "disp0MS.pfm").write_bytes(b"an earlier result: not a file of the scene")
    scene = load_scene(folder)
    assert scene.disparity.tobytes() == disparity.tobytes()
    assert scene.ndisp == 270
    np.testing.assert_array_equal(scene.masks["all"], np.isfinite(disparity))
    assert set(scene.masks) == {"all"}
    assert scene.disparity_right is None
    assert (scene.layout, scene.vmin, scene.vmax) == ("2014", 23.0, 229.5)
    assert sorted(Path(f).name for f in scene.files) == ["calib.txt", "disp0.pfm", "im0.png", "im1.png"]


@pytest.mark.parametrize("line", ["vmin=inf", "vmin=low"])
def test_layout_2014_refuses_a_bound_that_is_not_a_number(tmp_path, line):
    folder = tmp_path / "s"
    folder.mkdir()
    _save(folder / "im0.png", _rgb(1))
    _save(folder / "im1.png", _rgb(2))
    (folder / "calib.txt").write_text(f"ndisp=10\n{line}\n")
    with pytest.raises(OSError, match=r"calib.txt: vmin"):
        load_scene(folder)


def test_layout_2014_gt_name_and_ndisp_fallback(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    _save(folder / "im0.png", _rgb(1)[..., 0])
    _save(folder / "im1.png", _rgb(2)[..., 0])
    write_pfm(folder / "disp0GT.pfm", np.full((H, W), 9.5))
    scene = load_scene(folder, layout="2014")
    assert scene.left.shape == (H, W)
    assert scene.ndisp == 11
    assert scene.vmin is None and scene.vmax is None


def test_scene_records_its_layout_and_the_files_it_read(tmp_path):
    folder = tmp_path / "teddy"
    _make_png_layout(folder, ("im2.png", "im6.png", "disp2.png", "disp6.png"), 4)
    _save(folder / "disc.png", np.full((H, W), 255, dtype=np.uint8))
    _save(folder / "notes.png", _rgb(3))
    scene = load_scene(folder)
    assert scene.layout == "2003"
    assert sorted(Path(f).name for f in scene.files) == ["disc.png", "disp2.png", "disp6.png", "im2.png",
                                                         "im6.png"]
    np.testing.assert_array_equal(read_mask(folder / "disc.png"), np.ones((H, W), bool))


def test_unknown_layout_and_missing_files(tmp_path):
    with pytest.raises(OSError, match="not found"):
        load_scene(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="empty.*imL.png"):
        load_scene(tmp_path / "empty")
    with pytest.raises(OSError, match="imL.png"):
        load_scene(tmp_path / "empty", layout="v2")
    with pytest.raises(ValueError, match="layout"):
        load_scene(tmp_path / "empty", layout="1999")


def test_v2_missing_info(tmp_path):
    folder = tmp_path / "venus"
    folder.mkdir()
    _save(folder / "imL.png", _rgb(1))
    _save(folder / "imR.png", _rgb(2))
    with pytest.raises(OSError, match="info.txt"):
        load_scene(folder)


def test_size_mismatch_is_oserror(tmp_path):
    folder = tmp_path / "bad"
    _make_png_layout(folder, ("im2.png", "im6.png", "disp2.png", "disp6.png"), 4)
    _save(folder / "im6.png", np.zeros((H + 1, W, 3), dtype=np.uint8))
    with pytest.raises(OSError, match=r"im6.png: size 8x7 differs from the left image's 8x6"):
        load_scene(folder)


def test_data_dir_env(tmp_path, monkeypatch):
    monkeypatch.delenv("MSSTEREO_DATA", raising=False)
    assert data_dir() is None
    monkeypatch.setenv("MSSTEREO_DATA", str(tmp_path))
    assert data_dir() is None
    (tmp_path / "middlebury" / "v2").mkdir(parents=True)
    assert data_dir() == tmp_path
    monkeypatch.delenv("MSSTEREO_DATA")
    with pytest.raises(OSError, match="MSSTEREO_DATA"):
        v2_scene("tsukuba")
    with pytest.raises(ValueError, match="name"):
        v2_scene("art")
    with pytest.raises(OSError, match="MSSTEREO_DATA"):
        get_scene("art")
    with pytest.raises(ValueError, match="name"):
        get_scene("moebius")


def test_motorcycle():
    scene = motorcycle()
    assert isinstance(scene, Scene) and scene.name == "motorcycle"
    assert scene.left.shape == scene.right.shape == (500, 741, 3)
    finite = np.isfinite(scene.disparity)
    assert scene.disparity.dtype == np.float32
    assert np.isposinf(scene.disparity[~finite]).all()
    assert 5 < scene.disparity[finite].min() and scene.disparity[finite].max() < 61
    assert scene.ndisp == 61
    np.testing.assert_array_equal(scene.masks["all"], finite)


V2_EXPECTED = {
    # name: (shape, ndisp, (low, high) bounds for the GT maximum in pixels)
    "tsukuba": ((288, 384), 15, (13.5, 15.0)),
    "venus": ((383, 434), 19, (15.0, 20.0)),
    "teddy": ((375, 450), 59, (52.0, 60.0)),
    "cones": ((375, 450), 59, (52.0, 60.0)),
}


@pytest.mark.parametrize("name", V2_SCENES)
def test_v2_data(v2_scene_loader, name):
    scene = v2_scene_loader(name)
    shape, ndisp, (low, high) = V2_EXPECTED[name]
    assert scene.left.shape == scene.right.shape == shape + (3,)
    assert scene.disparity.shape == shape
    assert scene.ndisp == ndisp
    finite = scene.disparity[np.isfinite(scene.disparity)]
    assert low <= finite.max() <= high
    # ndisp counts integer levels; subpixel GT may exceed ndisp - 1 slightly (Venus 19.75).
    assert finite.min() >= 0 and finite.max() < ndisp + 1
    assert set(scene.masks) == {"nonocc", "all", "disc"}
    nonocc, all_, disc = (scene.masks[k] for k in ("nonocc", "all", "disc"))
    assert not np.any(nonocc & ~all_)  # nonocc is a subset of all
    assert not np.any(disc & ~nonocc)
    assert 0 < disc.sum() < nonocc.sum() < all_.sum()
    # Evaluated pixels always have ground truth.
    assert np.all(np.isfinite(scene.disparity[all_]))
    if name in ("teddy", "cones"):
        assert scene.disparity_right.shape == shape
        assert scene.occlusion.sum() > 0


def test_v2_scene_root(data_root):
    scene = v2_scene("venus", root=data_root)
    assert scene.name == "venus" and scene.ndisp == 19


@pytest.mark.parametrize("name", ["art", "laundry"])
def test_2005_data(data_root, name):
    if not (data_root / "middlebury" / "2005").is_dir():
        pytest.skip("no middlebury/2005 in the data folder")
    scene = get_scene(name.upper(), root=data_root)
    assert scene.name == name and scene.path.endswith(name.capitalize())
    assert scene.left.shape[:2] == (370, 463 if name == "art" else 447)
    assert set(scene.masks) == {"all", "nonocc"}  # no disc for the 2005 scenes
    nonocc, all_ = scene.masks["nonocc"], scene.masks["all"]
    assert not np.any(nonocc & ~all_) and nonocc.sum() < all_.sum()
    # Measured: 76% (Art) and 83% (Laundry) of the known pixels, the rest
    # being mostly occluded pixels and the left border seen only by the left view.
    assert 0.65 < nonocc.sum() / all_.sum() < 0.9
    assert 0.99 < all_.mean()
    assert 70 < scene.ndisp < 90
    assert set(evaluate_v2(scene.disparity, scene)) == {"nonocc", "all"}


def test_get_scene_names(data_root):
    assert SCENE_NAMES[:4] == V2_SCENES and "motorcycle" in SCENE_NAMES
    assert get_scene("Venus", root=data_root).ndisp == 19
