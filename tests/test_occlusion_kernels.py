"""Occlusion kernels (eq. 15-19) against the naive NumPy references of `naive_occlusion.py`."""

import numpy as np
import pytest

import naive_occlusion as naive
from msstereo.kernels.filters import gaussian_blur
from msstereo.kernels.occlusion import (
    EPS_OCCL, ETA_OCCL, _arctan, background_fill, consistency_residual, dirac, heaviside, heaviside_field, level_set_flow, level_set_step, occlusion_energy,
    occlusion_energy_gradient, occlusion_error, stable_step)
from msstereo.synthetic import synthetic_scene

RNG = np.random.default_rng(7)
SATURATED = -np.log(EPS_OCCL)


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# --- equal to the naive references ------------------------------------------------------------

@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("sign", [-1, 1])
def test_consistency_residual_matches_naive(order, sign, dtype):
    d_ref = RNG.uniform(-2.0, 14.0, (5, 12)).astype(dtype)  # some matches fall outside
    d_other = RNG.uniform(0.0, 10.0, (5, 12)).astype(dtype)
    u, outside = consistency_residual(d_ref, d_other, sign, order)
    u_want, outside_want = naive.consistency_residual(d_ref, d_other, sign, order)
    assert u.dtype == dtype
    np.testing.assert_allclose(u, u_want, **tol(dtype))
    np.testing.assert_array_equal(outside, outside_want)
    assert outside.any() and not outside.all()


def test_occlusion_error_matches_naive(dtype):
    u = RNG.uniform(-8.0, 8.0, (6, 9)).astype(dtype)
    outside = RNG.random((6, 9)) < 0.2
    e = occlusion_error(u, outside, EPS_OCCL)
    assert e.dtype == dtype
    np.testing.assert_allclose(e, naive.occlusion_error(u, outside, EPS_OCCL), **tol(dtype))


def test_heaviside_and_dirac_match_naive_and_each_other():
    phi = RNG.uniform(-5.0, 5.0, 50)
    for eps_h in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(heaviside_field(phi[None], eps_h)[0], naive.heaviside(phi, eps_h), rtol=1e-14)
        np.testing.assert_allclose([heaviside(p, eps_h) for p in phi], naive.heaviside(phi, eps_h), rtol=1e-14)
        np.testing.assert_allclose(dirac(phi, eps_h), naive.dirac(phi, eps_h), rtol=1e-14)
        h = 1e-6
        fd = (heaviside_field(phi[None] + h, eps_h) - heaviside_field(phi[None] - h, eps_h))[0] / (2 * h)
        np.testing.assert_allclose(dirac(phi, eps_h), fd, rtol=1e-7)
    assert heaviside(0.0, 1.0) == 0.5 and dirac(0.0, 2.0) == pytest.approx(1 / (2 * np.pi))


def test_arctan_is_libms_within_one_ulp():
    x = np.concatenate([RNG.normal(0.0, s, 20000) for s in (0.1, 1.0, 3.0, 30.0, 1e4)]
                       + [np.linspace(-5, 5, 10001), [0.0, 0.66, 2.41421356237309504880, 1e300, -1e300, 1e-300]])
    got = np.array([_arctan(v) for v in x])
    want = np.arctan(x)
    assert np.all(np.abs(got - want) <= np.spacing(np.abs(want))), np.abs(got - want).max()


def _level_set_problem(dtype, shape=(6, 7)):
    e_blur = RNG.uniform(0.0, SATURATED, shape).astype(dtype)
    phi = RNG.normal(0.0, 1.5, shape).astype(dtype)
    return e_blur, phi


def test_occlusion_energy_and_gradient_match_naive(dtype):
    e_blur, phi = _level_set_problem(dtype)
    args = (1.0, 0.7, 0.8, ETA_OCCL)
    energy = occlusion_energy(e_blur, phi, *args)
    assert energy == pytest.approx(naive.occlusion_energy(e_blur, phi, *args),
                                   rel=1e-6 if dtype == np.float32 else 1e-13)
    grad = occlusion_energy_gradient(e_blur, phi, *args)
    assert grad.dtype == dtype
    want = naive.occlusion_energy_gradient(e_blur, phi, *args)
    # float32: H is stored in float32 and the curvature divides differences of H by psi >= eta,
    # so cancellation calls for an absolute bound relative to the gradient's scale (measured ~3e-8).
    scale = np.abs(want).max()
    np.testing.assert_allclose(grad, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=(1e-5 if dtype == np.float32 else 1e-12) * scale)
    step = level_set_step(phi, e_blur, *args, 0.01)
    assert step.dtype == dtype
    np.testing.assert_allclose(step, phi - 0.01 * want, **tol(dtype))


@pytest.mark.parametrize("nu, eps_h, eta", [(0.7, 1.0, ETA_OCCL), (0.3, 0.5, 0.05), (1.0, 2.0, 1e-3)])
def test_occlusion_energy_gradient_matches_finite_differences(nu, eps_h, eta):
    # Central differences in float64 with h = 1e-6: truncation h^2 |E'''| / 6 stays below ~1e-9
    # (|E'''| <~ nu / (eps_h^3 eta^2) <~ 1e6 for the sharpest case here), round-off
    # ~ 1e-16 |E| / h ~ 1e-8 with |E| ~ 1e2; both are far below 1e-6 of the gradient's scale.
    e_blur, phi = _level_set_problem(np.float64)
    args = (1.0, nu, eps_h, eta)
    grad = occlusion_energy_gradient(e_blur, phi, *args)
    h = 1e-6
    fd = np.zeros_like(phi)
    for idx in np.ndindex(phi.shape):
        bump = np.zeros_like(phi)
        bump[idx] = h
        fd[idx] = (occlusion_energy(e_blur, phi + bump, *args)
                   - occlusion_energy(e_blur, phi - bump, *args)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


@pytest.mark.parametrize("shape", [(6, 7), (1, 5), (5, 1), (40, 33)])
def test_fused_level_set_flow_is_repeated_steps_bit_for_bit(dtype, shape):
    e_blur, phi = _level_set_problem(dtype, shape)
    args = (0.7, 0.2, 1.0, ETA_OCCL, stable_step(0.2, 1.0))
    kept = phi.copy()
    want, naive_phi = phi, phi.astype(np.float64)
    for _ in range(7):
        want = level_set_step(want, e_blur, *args)
        naive_phi = naive_phi - args[-1] * naive.occlusion_energy_gradient(e_blur, naive_phi, *args[:-1])
    got = level_set_flow(phi, e_blur, *args, 7)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(phi, kept)
    np.testing.assert_allclose(got, naive_phi, **tol(dtype))


@pytest.mark.parametrize("nu, eps_h, eta", [(0.5, 1.0, ETA_OCCL), (2.0, 0.5, ETA_OCCL), (0.2, 1.0, 1e-3)])
def test_level_set_flow_with_stable_step_never_increases_the_energy(nu, eps_h, eta):
    e_blur, phi = _level_set_problem(np.float64, (16, 20))
    t = 1.0
    tau = stable_step(nu, eps_h, eta)
    energies = [occlusion_energy(e_blur, phi, t, nu, eps_h, eta)]
    for _ in range(50):
        phi = level_set_step(phi, e_blur, t, nu, eps_h, eta, tau)
        energies.append(occlusion_energy(e_blur, phi, t, nu, eps_h, eta))
    steps = np.diff(energies)
    assert np.all(steps <= 1e-12 * abs(energies[0])), steps.max()
    assert energies[-1] < energies[0]


def test_stable_step_is_the_inverse_lipschitz_bound():
    nu, eps_h, eta, bound = 0.5, 0.8, 0.02, 4.0
    lipschitz = (8 * nu / (np.pi**2 * eps_h**2 * eta)
                 + 3 * np.sqrt(3) * (bound + 4 * nu) / (8 * np.pi * eps_h**2))
    assert stable_step(nu, eps_h, eta, bound) == pytest.approx(1 / lipschitz, rel=1e-14)
    # The |delta'| bound: max of 2 z / (1 + z^2)^2 at z = 1 / sqrt(3).
    z = np.linspace(-10, 10, 200001)
    peak = np.max(2 * z / (1 + z**2) ** 2)
    assert peak <= 3 * np.sqrt(3) / 8 and peak == pytest.approx(3 * np.sqrt(3) / 8, rel=1e-8)


def test_background_fill_on_hand_made_rows(dtype):
    x = -1.0  # occluded entries: their value must not matter
    d = np.array([[1, 2, x, x, 5, 6],
                  [x, x, 3, x, 1, x],
                  [7, x, 4, 9, x, x],
                  [x, x, x, x, x, x]], dtype)
    occluded = d == x
    want = np.array([[1, 2, 2, 2, 5, 6],
                     [3, 3, 3, 1, 1, 1],
                     [7, 4, 4, 9, 9, 9],
                     [x, x, x, x, x, x]], dtype)
    out = background_fill(d, occluded)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(d[occluded], x)  # input untouched
    np.testing.assert_array_equal(out, naive.background_fill(d, occluded))


def test_background_fill_matches_naive_on_random_masks(dtype):
    d = RNG.uniform(0.0, 20.0, (9, 15)).astype(dtype)
    occluded = RNG.random((9, 15)) < 0.4
    occluded[3] = True
    np.testing.assert_array_equal(background_fill(d, occluded), naive.background_fill(d, occluded))


# --- behaviour on exact maps ------------------------------------------------------------------

def _step_truth(scene, foreground=6.0, background=2.0):
    """True occlusion of both views of the default ``synthetic_scene("step")``."""
    m, n = scene.left.shape
    top, bottom, x0, x1 = m // 3, 2 * m // 3, n // 3, 2 * n // 3
    occ_left = ~scene.masks["nonocc"]
    x = np.arange(n)
    occ_right = np.zeros((m, n), bool)
    occ_right[:, x + background > n - 1] = True
    # Background seen by the right camera, hidden from the left one by the box's right side.
    occ_right[top:bottom, (x >= x1 - foreground) & (x < x1 - background)] = True
    return occ_left, occ_right


@pytest.mark.parametrize("order", [1, 3])
def test_residual_of_exact_step_maps_is_zero_where_visible_and_large_where_occluded(order, dtype):
    scene = synthetic_scene("step")
    d_l, d_r = scene.disparity.astype(dtype), scene.disparity_right.astype(dtype)
    occ_left, occ_right = _step_truth(scene)
    for d_ref, d_other, sign, occ in ((d_l, d_r, -1, occ_left), (d_r, d_l, 1, occ_right)):
        u, outside = consistency_residual(d_ref, d_other, sign, order)
        # Integer disparities: every match lands on a pixel, so u is exactly 0 where visible.
        assert np.all(u[~occ] == 0)
        assert not outside[~occ].any()
        # Hidden behind the box: u = background - foreground = -4; the rest leaves the image.
        np.testing.assert_array_equal(u[occ & ~outside], -4.0)
        np.testing.assert_array_equal(occ & ~outside | outside, occ)
        assert outside.sum() == 2 * d_l.shape[0]


@pytest.mark.parametrize("order", [1, 3])
def test_residual_of_exact_slanted_maps_is_round_off_away_from_the_step(order):
    # A slanted background: matches land between pixels. Linear (and Keys' cubic) interpolation
    # reproduces a planar map exactly, so u is round-off wherever the interpolation stencil sits
    # on one plane inside the image. The maps are stored in float32 (half an ulp each) and the
    # sample position inherits that error times the slope of d_r (~0.11): |u| <= 2 ulp(max|d|);
    # we allow 4 eps32 max|d| (~7e-6 for max|d| ~ 14).
    sx, sy, bg = 0.1, 0.02, 2.0
    scene = synthetic_scene("step", slope=(sx, sy), background=bg)
    d_l, d_r = scene.disparity, scene.disparity_right
    m, n = d_l.shape
    y, x = np.mgrid[0:m, 0:n]
    on_background_right = np.abs(d_r - ((x + bg + sy * y) / (1 - sx) - x)) < 1e-3
    u, outside = consistency_residual(d_l, d_r, -1, order)
    x0 = np.clip(np.floor(x - d_l.astype(float)).astype(int), 0, n - 2)
    offsets = range(0, 2) if order == 1 else range(-1, 3)
    cols = [x0 + q for q in offsets]
    inside = np.all([(c >= 0) & (c <= n - 1) for c in cols], axis=0)
    classes = [on_background_right[y, np.clip(c, 0, n - 1)] for c in cols]
    one_plane = np.all(classes, axis=0) | ~np.any(classes, axis=0)
    away = scene.masks["nonocc"] & inside & one_plane
    assert away.sum() > 0.9 * scene.masks["nonocc"].sum()
    bound = 4 * np.finfo(np.float32).eps * max(np.abs(d_l).max(), np.abs(d_r).max())
    assert np.abs(u[away]).max() <= bound
    # In the band hidden by the box, |u| is about the 4 px jump (1.8 px at least here).
    band = ~scene.masks["nonocc"] & ~outside
    assert np.abs(u[band]).min() > 1.5


def test_occlusion_error_is_about_abs_u_for_small_u_and_saturates():
    u = np.concatenate([-np.logspace(-8, 3, 200), np.logspace(-8, 3, 200)])[None]
    no = np.zeros_like(u, bool)
    e = occlusion_error(u, no, EPS_OCCL)
    a = np.abs(u)
    # -ln(eps + (1 - eps) e^-a) = (1 - eps) a + O(a^2), never above |u| nor the saturation.
    small = a < 1e-3
    np.testing.assert_allclose(e[small], (1 - EPS_OCCL) * a[small], rtol=1e-3)
    assert np.all(e <= np.minimum(a, SATURATED) + 1e-15)
    np.testing.assert_allclose(e[a > 20], SATURATED, rtol=1e-6)
    order = np.argsort(a.ravel())
    assert np.all(np.diff(e.ravel()[order]) >= 0)
    assert np.all(occlusion_error(u, ~no, EPS_OCCL) == SATURATED)


def _precision_recall(pred, truth):
    tp = np.sum(pred & truth)
    return tp / pred.sum(), tp / truth.sum()


def test_blurred_thresholded_error_recovers_the_true_occlusion():
    # sigma = 0.5: the 4 px band (e_occl = 3.76) leaks 0.40 < t into its neighbours; with
    # sigma = 1 the leak is 1.13 > t = 1 and one false pixel appears on each side of the band.
    scene = synthetic_scene("step")
    occ_left, occ_right = _step_truth(scene)
    d_l, d_r = scene.disparity, scene.disparity_right
    for d_ref, d_other, sign, truth in ((d_l, d_r, -1, occ_left), (d_r, d_l, 1, occ_right)):
        u, outside = consistency_residual(d_ref, d_other, sign, 1)
        e_blur = gaussian_blur(occlusion_error(u, outside, EPS_OCCL), 0.5)
        precision, recall = _precision_recall(e_blur > 1.0, truth)
        assert precision > 0.9 and recall > 0.9, (sign, precision, recall)
