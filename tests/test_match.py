"""Whole solves of `msstereo.match` on synthetic scenes, and its input checks."""

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

import msstereo
from msstereo.synthetic import synthetic_scene


def solve(scene, **kw):
    kw.setdefault("d_max", scene.ndisp)
    kw.setdefault("model", "tv")
    kw.setdefault("solver", "pde")
    return msstereo.match(scene.left, scene.right, **kw)


def far_from_step(scene, margin=3):
    """Visible pixels more than `margin` px away from the step and its occlusion."""
    near = binary_dilation(scene.masks["disc"] | ~scene.masks["nonocc"], iterations=margin)
    return ~near


# Bounds: the texture is exact and the interpolation cubic, so a converged
# solve is limited by the TV bias and the cubic interpolation error, a few
# hundredths of a pixel (measured 0.001 to 0.03 px); 0.1 px leaves margin and
# is still five times under the half-pixel of the Middlebury bad0.5 score.
@pytest.mark.parametrize("kind, kw", [("plane", {"background": 3.3}),
                                      ("slanted", {"slope": (0.03, 0.02)}),
                                      ("step", {})])
def test_synthetic_scenes_are_recovered(kind, kw):
    scene = synthetic_scene(kind, **kw)
    result = solve(scene)
    error = np.abs(result.disparity - scene.disparity)
    region = far_from_step(scene) if kind == "step" else np.ones(error.shape, bool)
    assert error[region].mean() < 0.1
    assert result.disparity.dtype == np.float32 and result.disparity.shape == scene.shape


def test_step_edge_error_is_confined_to_the_step():
    scene = synthetic_scene("step")
    error = np.abs(solve(scene).disparity - scene.disparity)
    # The occluded band has no data and the TV fill blurs the edge: most
    # bad pixels sit within a few pixels of the step.
    bad = error > 1
    assert bad[far_from_step(scene)].sum() <= 0.01 * bad.size


@pytest.mark.parametrize("scheme", ["semi-implicit", "explicit"])
def test_energy_never_increases_in_descent_steps(scheme):
    scene = synthetic_scene("step", shape=(40, 56), foreground=4.0)
    result = solve(scene, solver=msstereo.PDE(median=0, warps=6, scheme=scheme))
    for log in result.levels:
        energy = np.array(log.energy)
        assert len(energy) >= 2
        assert np.all(np.diff(energy) <= 1e-12 * np.abs(energy[:-1])), (log.level, energy)


def test_energy_history_marks_median_steps():
    scene = synthetic_scene("plane", shape=(32, 40))
    result = solve(scene, solver=msstereo.PDE(median=3, warps=3))
    for log in result.levels:
        descent = [i for i, step in enumerate(log.steps) if step == "warp"]
        assert all(log.energy[i] <= log.energy[i - 1] for i in descent)
        assert set(log.steps) <= {"start", "warp", "median"}


def test_zero_disparity_pair_gives_zero():
    image = synthetic_scene("plane").right
    result = msstereo.match(image, image, model="tv", solver="pde", d_max=8)
    assert np.abs(result.disparity).max() < 1e-3


def test_float32_and_float64_agree():
    scene = synthetic_scene("slanted", slope=(0.02, 0.0))
    d32 = solve(scene, dtype=np.float32).disparity
    d64 = solve(scene, dtype=np.float64).disparity
    assert d64.dtype == np.float64
    assert np.abs(d32 - d64).mean() < 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_explicit_scheme_keeps_the_working_dtype(dtype):
    scene = synthetic_scene("plane", shape=(24, 32), background=2.0)
    pair = [np.round(image * 255).astype(np.uint8) for image in (scene.left, scene.right)]
    solver = msstereo.PDE(scheme="explicit", warps=3)
    assert msstereo.match(*pair, model="tv", solver=solver, d_max=8, dtype=dtype).disparity.dtype == dtype


def test_color_uint8_and_uint16_inputs():
    scene = synthetic_scene("plane", background=2.5)
    rgb = [np.stack([img, img**2, 1 - img], axis=2) for img in (scene.left, scene.right)]
    d_float = msstereo.match(*rgb, model="tv", solver="pde", d_max=8).disparity
    for scale, dtype in ((255, np.uint8), (65535, np.uint16)):
        pair = [np.round(img * scale).astype(dtype) for img in rgb]
        d = msstereo.match(*pair, model="tv", solver="pde", d_max=8).disparity
        assert np.abs(d - 2.5).mean() < 0.1
    assert np.abs(d_float - 2.5).mean() < 0.1


def test_result_records_parameters_history_and_time():
    scene = synthetic_scene("plane", shape=(40, 48))
    result = solve(scene, beta=0.05, factor=0.6)
    assert result.model.beta == 0.05 and result.model.name == "tv"
    assert result.solver.name == "pde"
    assert [log.level for log in result.levels] == list(range(len(result.levels)))
    assert result.levels[-1].shape == scene.shape
    assert result.seconds > 0 and all(log.seconds > 0 for log in result.levels)
    assert "level" in result.summary()


def test_progress_reports_every_level():
    scene = synthetic_scene("plane", shape=(40, 48))
    lines = []
    result = solve(scene, progress=lines.append)
    done = [line for line in lines if "preparing" not in line]  # the first and finest also say what they prepare
    assert len(done) == len(result.levels) and done[-1].startswith(f"level {len(done)}/")


@pytest.mark.parametrize("left, right, kw, message", [
    (np.zeros((20, 30)), np.zeros((20, 31)), {}, "same shape"),
    (np.zeros((20, 30, 3)), np.zeros((20, 30)), {}, "same shape"),
    (np.full((20, 30), np.nan), np.zeros((20, 30)), {}, "NaN"),
    (np.zeros((1, 1)), np.zeros((1, 1)), {}, "too small"),
    (np.zeros((20, 30), np.int32), np.zeros((20, 30), np.int32), {}, "dtype"),
    (np.zeros((20, 30, 4)), np.zeros((20, 30, 4)), {}, "channels"),
    (np.zeros(30), np.zeros(30), {}, "shape"),
    ([[0.0] * 30] * 20, np.zeros((20, 30)), {}, "numpy array"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"model": "nope"}, "unknown model"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"solver": "nope"}, "unknown solver"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"gamma": 1.0}, "unknown parameter"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"beta": -1.0}, "beta"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"d_min": 0, "d_max": -3}, "d_max"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"dtype": np.int16}, "dtype"),
    (np.zeros((20, 30)), np.zeros((20, 30)), {"factor": 1.5}, "factor"),
])
def test_bad_input_raises_a_clear_error(left, right, kw, message):
    with pytest.raises(ValueError, match=message):
        msstereo.match(left, right, **kw)


def test_float_pairs_outside_unit_range_are_rescaled_jointly():
    scene = synthetic_scene("plane", background=2.5)
    d = msstereo.match(scene.left * 255, scene.right * 255, model="tv", solver="pde", d_max=8).disparity
    assert np.abs(d - 2.5).mean() < 0.1


@pytest.mark.parametrize("kw, message", [
    ({"dmax": 32}, "unknown parameter 'dmax': not a match option nor a parameter of model 'tv'; "
                   "did you mean 'd_max'?"),
    ({"channel_axes": -1}, "did you mean 'channel_axis'"),
    ({"betta": 0.1}, "did you mean 'beta'"),
    ({"warps": 3}, "an option of solver 'pde': pass solver=msstereo.PDE(warps=...)"),
    ({"iterations": 3}, "an option of solver 'optimize': pass solver=msstereo.Optimize(iterations=...)"),
])
def test_unknown_keywords_are_told_apart_from_model_parameters(kw, message):
    scene = synthetic_scene("plane", shape=(20, 30))
    with pytest.raises(ValueError) as error:
        msstereo.match(scene.left, scene.right, model="tv", solver="optimize" if "iterations" in kw else "pde",
                       **kw)
    assert message in str(error.value)


def test_channel_axis_as_in_scikit_image():
    scene = synthetic_scene("plane", background=2.5)
    rgb = [np.stack([img, img**2, 1 - img]) for img in (scene.left, scene.right)]  # (3, M, N)
    first = msstereo.match(*rgb, model="tv", solver="pde", d_max=8, channel_axis=0).disparity
    last = msstereo.match(*[np.moveaxis(x, 0, -1) for x in rgb], model="tv", solver="pde", d_max=8).disparity
    np.testing.assert_array_equal(first, last)
    with pytest.raises(ValueError, match="channel_axis=None"):
        msstereo.match(*rgb, channel_axis=None)
    with pytest.raises(ValueError, match="channel_axis must be an integer"):
        msstereo.match(*rgb, channel_axis=3)
    with pytest.raises(ValueError, match="1 or 3 channels on channel_axis=-1"):
        msstereo.match(*rgb)  # (3, 64, 96) read as 96 channels


def test_match_docstring_names_every_model_and_solver():
    from msstereo.match import SOLVERS
    doc = msstereo.match.__doc__
    for name in [*msstereo.MODELS, *SOLVERS]:
        assert f'``"{name}"``' in doc, name
    assert "docs/method.md" not in doc


def test_result_records_the_intensity_map_and_summary_shows_it():
    scene = synthetic_scene("plane", shape=(32, 40))
    pair = [np.round(image * 255).astype(np.uint16) for image in (scene.left, scene.right)]
    result = msstereo.match(*pair, model="tv", solver="pde", d_max=8)
    assert result.intensity == "uint16 holding 8-bit values, (x - 0) / 255"
    assert "intensity: uint16 holding 8-bit values" in result.summary()
    floats = solve(scene, d_max=8)
    assert floats.intensity == "floats in [0, 1], (x - 0) / 1"


def test_progress_lines_and_summary_count_levels_alike():
    scene = synthetic_scene("plane", shape=(40, 48))
    lines = []
    result = solve(scene, progress=lines.append, factor=0.6, min_size=12)
    count = len(result.levels)
    assert count == 3
    level_lines = [line for line in lines if "steps" in line]
    assert level_lines == [log.line(count) for log in result.levels]
    assert [line.split(":")[0] for line in level_lines] == ["level 1/3 14x17", "level 2/3 24x29",
                                                           "level 3/3 40x48"]
    summary = result.summary().splitlines()
    assert summary[2].startswith("  disparities ") and "(d_min found from the pair in" in summary[2]
    assert summary[3:] == [f"  {line}" for line in level_lines]


@pytest.mark.parametrize("model, solver", [("default", "relax"), ("ms-occ", "pde"), ("tv", "relax")])
def test_the_finest_levels_iterations_run_without_the_float_images(monkeypatch, model, solver):
    # On a large pair the float images are hundreds of MB that the iterations do not read:
    # once the energies are made, nothing holds them (the pyramid makes a level's images
    # when the problem asks for them, and the problem keeps only their features).
    import importlib
    import weakref

    problems = importlib.import_module("msstereo.problems")
    made, alive = [], []
    prepare = problems.prepare_pair

    def watched_prepare(*args):
        *pair, note = prepare(*args)
        made.append([weakref.ref(image) for image in pair])
        return (*pair, note)

    def watched(run):
        def inner(*args):
            alive.append([ref() is not None for ref in made[-1]])
            return run(*args)
        return inner

    monkeypatch.setattr(problems, "prepare_pair", watched_prepare)
    monkeypatch.setattr(problems, "solve_view", watched(problems.solve_view))
    monkeypatch.setattr(problems, "outer_loop", watched(problems.outer_loop))
    scene = synthetic_scene("step", shape=(32, 48))
    msstereo.match(scene.left, scene.right, d_max=scene.ndisp, model=model, solver=solver)
    assert alive[-1] == [False, False]  # the finest level's iterations
