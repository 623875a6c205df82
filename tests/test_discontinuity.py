"""Discontinuity functions: the image edge map v_I and the joint v of the Mumford-Shah models."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from scipy.ndimage import binary_dilation

import msstereo
import naive
from msstereo.energy import features
from msstereo.kernels.discontinuity import (color_gradient_norm, discontinuity_energy,
                                            discontinuity_gradient, solve_discontinuity)
from msstereo.synthetic import synthetic_scene

RNG = np.random.default_rng(3)


def test_discontinuity_energy_and_gradient():
    v, a = RNG.random((6, 7)), RNG.random((6, 7))
    assert discontinuity_energy(v, a, 0.3, 0.2) == pytest.approx(naive.discontinuity_energy(v, a, 0.3, 0.2))
    grad = discontinuity_gradient(v, a, 0.3, 0.2)
    h = 1e-6
    for idx in [(0, 0), (2, 3), (5, 6), (5, 0)]:
        e = np.zeros_like(v)
        e[idx] = h
        fd = (discontinuity_energy(v + e, a, 0.3, 0.2) - discontinuity_energy(v - e, a, 0.3, 0.2)) / (2 * h)
        assert grad[idx] == pytest.approx(fd, rel=1e-7)


def test_v_solve_reaches_the_sparse_solution_inside_unit_interval():
    a = RNG.exponential(0.5, (9, 11))
    matrix, rhs = naive.discontinuity_system(a, 0.05, 0.3)
    want = spla.spsolve(matrix.tocsc(), rhs).reshape(a.shape)
    assert 0 < want.min() and want.max() < 1  # maximum principle
    v = np.ones_like(a)
    solve_discontinuity(v, a, 0.05, 0.3, 400, 1.7)
    np.testing.assert_allclose(v, want, rtol=1e-9, atol=1e-10)


def test_v_sweeps_never_increase_the_energy():
    a = RNG.exponential(0.5, (9, 11))
    v = RNG.random(a.shape)
    energies = []
    for _ in range(20):
        solve_discontinuity(v, a, 0.05, 0.3, 1, 1.9)
        energies.append(discontinuity_energy(v, a, 0.05, 0.3))
        assert 0 <= v.min() and v.max() <= 1
    assert np.all(np.diff(energies) <= 1e-12)


def test_color_gradient_norm_matches_naive():
    image = RNG.random((5, 6, 3))
    np.testing.assert_allclose(color_gradient_norm(features(image), 3), naive.color_gradient_norm(image))


@pytest.mark.parametrize("model", ["ms-l2", "ms-tv"])
def test_alternation_never_increases_the_joint_energy(model):
    scene = synthetic_scene("step", shape=(40, 56), foreground=4.0)
    result = msstereo.match(scene.left, scene.right, model=model, d_max=scene.ndisp,
                            solver=msstereo.PDE(median=0, warps=6))
    for log in result.levels:
        energy = np.array(log.energy)
        assert {"v", "warp"} <= set(log.steps)
        assert np.all(np.diff(energy) <= 1e-12 * np.abs(energy[:-1])), (log.level, log.steps, energy)
    assert 0 <= result.v.min() and result.v.max() <= 1


def _near_step_bad1(model, scene, contrast=1.0):
    """Bad-1 share of visible pixels within 5 px of the step, and the result."""
    left, right = (0.5 + contrast * (image - 0.5) for image in (scene.left, scene.right))
    result = msstereo.match(left, right, model=model, solver="pde", d_max=scene.ndisp)
    near = binary_dilation(scene.masks["disc"], iterations=2) & scene.masks["nonocc"]
    return (np.abs(result.disparity - scene.disparity)[near] > 1).mean(), result


@pytest.fixture(scope="module")
def step_scene():
    return synthetic_scene("step", shape=(64, 96), seed=0)


@pytest.mark.parametrize("model", ["ms-l2", "ms-tv"])
def test_v_marks_the_depth_step(step_scene, model):
    _, result = _near_step_bad1(model, step_scene)
    jump = step_scene.masks["disc"]
    far = ~binary_dilation(jump, iterations=4)
    # v drops at the jump and stays near 1 on the planes.
    assert result.v[jump].min() < 0.5
    assert result.v[far].mean() > 0.97
    assert result.v[jump].mean() < result.v[far].mean() - 0.05


@pytest.mark.parametrize("seed", [0, 2])
def test_ms_l2_error_near_the_step_is_lower_than_tv(seed):
    # With weak data (texture contrast 0.1) TV's penalty shrinks the jump and
    # the coarse-to-fine scheme loses the box; v lets ms-l2 keep it. Measured
    # bad-1 near the step: tv 46% and 35%, ms-l2 11% and 13% (seeds 0, 2). At
    # full contrast TV already keeps the jump sharp and the two tie within a
    # point (what remains is the occluded band, which needs ms-occ).
    scene = synthetic_scene("step", shape=(64, 96), seed=seed)
    bad_tv, _ = _near_step_bad1("tv", scene, contrast=0.1)
    bad_l2, _ = _near_step_bad1("ms-l2", scene, contrast=0.1)
    assert bad_l2 < 0.5 * bad_tv
