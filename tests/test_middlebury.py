"""Whole solves against the Middlebury v2 ground truth (skipped without the data folder)."""

import pytest

import msstereo
from msstereo.evaluate import evaluate_v2

# Bounds sit a little above the measured bad-1 nonocc of the default `tv`
# model (benchmarks/results/middlebury_v2.md) so that a regression of a few
# points fails while run-to-run noise (none: the solver is deterministic) cannot.
BOUNDS = {"tsukuba": 7.0, "venus": 6.5}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_tv_accuracy_on_v2_scenes(v2_scene_loader, name):
    scene = v2_scene_loader(name)
    result = msstereo.match(scene.left, scene.right, model="tv", solver="pde", d_max=scene.ndisp)
    scores = evaluate_v2(result.disparity, scene)
    assert scores["nonocc"][1.0] < BOUNDS[name]


def test_ms_occ_finds_the_half_occlusions_of_teddy(v2_scene_loader):
    # Measured: precision 66%, recall 80% against the ground-truth occlusion
    # (GT known and not in nonocc); bad 1 all 16.8% against 17.9% for ms-tv.
    from msstereo.evaluate import occlusion_scores
    scene = v2_scene_loader("teddy")
    result = msstereo.match(scene.left, scene.right, model="ms-occ", solver="pde", d_max=scene.ndisp)
    scores = occlusion_scores(result.occlusion, scene)
    assert scores["precision"] > 0.6 and scores["recall"] > 0.72
    assert evaluate_v2(result.disparity, scene)["all"][1.0] < 17.5


# A paper's model under the default solver without a range (found from the pair, -2..24):
# measured 2.53 (the same model with `pde` and the scene's ndisp: 5.11). Started from its own
# winner-take-all over that range, the top-right plane settled on another mode (12.52); the
# warm half-size level and the median of `Relax` for pointwise data terms keep it.
def test_ms_tv_under_relax_without_a_range_on_venus(v2_scene_loader):
    scene = v2_scene_loader("venus")
    result = msstereo.match(scene.left, scene.right, model="ms-tv")
    assert result.d_range == (-2.0, 24.0)
    assert evaluate_v2(result.disparity, scene)["nonocc"][1.0] < 3.0


# The default configuration (model `default`, solver `relax`) against the bounds of
# issue-level acceptance, on v2 scenes and on 2005 scenes that no parameter was tuned
# on. Measured (benchmarks/results/middlebury_default.md, OpenCV SGBM of the same run in
# brackets): Cones bad 1 nonocc 2.52, all 7.95 (4.08 / 9.94); Tsukuba 2.46, bad 0.5
# 12.07 (3.38 / 9.22); Art 7.68 (9.15; `tv` with `pde` 36.9, left at zero disparity by
# the pyramid); Laundry 11.62 (13.93). The solver is deterministic: the bounds leave
# room for round-off across platforms and for small changes of the calibration, which
# weighs the median and picks the pixels of the planes.
def test_default_beats_sgbm_figures_on_cones(v2_scene_loader):
    scene = v2_scene_loader("cones")
    result = msstereo.match(scene.left, scene.right, d_max=scene.ndisp)
    scores = evaluate_v2(result.disparity, scene)
    assert scores["nonocc"][1.0] < 2.8 and scores["all"][1.0] < 8.3


# Tsukuba's even columns are brighter than its odd ones in both views: the pattern
# matched itself at even disparities, and the background (ground truth 5) came out at
# 4.7. Before `column_parity`: bad 1 nonocc 3.47, bad 0.5 31.2.
def test_default_removes_tsukubas_column_pattern(v2_scene_loader):
    scene = v2_scene_loader("tsukuba")
    result = msstereo.match(scene.left, scene.right, d_max=scene.ndisp)
    scores = evaluate_v2(result.disparity, scene)
    assert scores["nonocc"][1.0] < 2.6 and scores["nonocc"][0.5] < 13.0


def test_default_reaches_the_far_disparities_of_art(data_root):
    from msstereo.datasets import get_scene
    scene = get_scene("art", data_root)
    result = msstereo.match(scene.left, scene.right, d_max=scene.ndisp)
    assert evaluate_v2(result.disparity, scene)["nonocc"][1.0] < 8.0


# Measured: 11.62; 13.25 with the guided filter of radius 4 and no planes; before that
# 14.98 without TGV and column parity, 16.69 with the paper's
# regularizer weight in occluded pixels as well (the crate's slat gaps, flagged by the
# left-right check, were cut off by the edges of v and v_I and filled with the
# background). SGBM: 13.93.
def test_default_beats_sgbm_on_laundry(data_root):
    from msstereo.datasets import get_scene
    scene = get_scene("laundry", data_root)
    result = msstereo.match(scene.left, scene.right, d_max=scene.ndisp)
    assert evaluate_v2(result.disparity, scene)["nonocc"][1.0] < 12.0
