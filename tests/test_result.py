"""StereoResult's short repr."""

import numpy as np

import msstereo
from msstereo.result import LevelLog, StereoResult
from msstereo.synthetic import synthetic_scene


def test_repr_is_one_short_line_without_array_contents():
    scene = synthetic_scene("step", shape=(40, 56))
    result = msstereo.match(scene.left, scene.right, model="ms-occ", d_max=scene.ndisp)
    text = repr(result)
    assert "\n" not in text and len(text) < 300
    assert text.startswith("StereoResult(disparity=40x56 float32 in [")
    for part in ("model='ms-occ'", "solver='relax'", "levels=1", f"seconds={result.seconds:.2f}",
                 "'occlusion'", "'disparity_right'"):
        assert part in text
    assert "array(" not in text and "'v_image'" not in text


def test_repr_of_a_bare_result_with_unknown_pixels():
    disparity = np.full((3, 4), np.inf, np.float64)
    log = LevelLog(level=0, shape=(3, 4))
    result = StereoResult(disparity=disparity, model=msstereo.Model(name="tv"), solver=msstereo.PDE(),
                          levels=[log], seconds=1.0)
    assert repr(result) == ("StereoResult(disparity=3x4 float64, model='tv', solver='pde', levels=1, "
                            "energy=None, seconds=1.00, fields=[])")


def test_a_level_line_labels_its_energy():
    # The relaxed energy of relax, which grows as theta shrinks, is named apart from the model's.
    log = LevelLog(level=0, shape=(3, 4), energy=[1.5], steps=["start"], energy_name="E_theta")
    assert log.line(2) == "level 1/2 3x4: 0 steps, E_theta 1.5, 0.00 s"
    assert LevelLog(level=1, shape=(3, 4), energy=[2.0]).line(2) == "level 2/2 3x4: 0 steps, E 2, 0.00 s"
