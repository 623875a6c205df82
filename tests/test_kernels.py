"""The grid, warp, data-term and regularizer kernels against the naive NumPy references of `naive.py`.

The other kernel modules have test modules of their own (`test_sor`, `test_filters`,
`test_census`, `test_search`, `test_discontinuity`, `test_occlusion_kernels`).
"""

import numpy as np
import pytest

import naive
from msstereo.kernels.data_term import data_cost, data_term, lagged_data_weights, linearize
from msstereo.kernels.grid import (central_gradient, divergence, gradient, squared_gradient_norm,
                                  squared_gradient_residual, weighted_divergence, weighted_residual)
from msstereo.kernels.regularizer import diffusivity, smoothness, smoothness_gradient
from msstereo.kernels.warp import warp

RNG = np.random.default_rng(1)


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def test_gradient_and_divergence_match_naive(dtype):
    u, px, py = (RNG.standard_normal((7, 9)).astype(dtype) for _ in range(3))
    for got, want in zip(gradient(u), naive.gradient(u)):
        np.testing.assert_allclose(got, want, **tol(dtype))
    np.testing.assert_allclose(divergence(px, py), naive.divergence(px, py), **tol(dtype))
    for got, want in zip(central_gradient(u), naive.central_gradient(u)):
        np.testing.assert_allclose(got, want, **tol(dtype))


@pytest.mark.parametrize("shape", [(1, 5), (6, 1), (8, 11), (13, 4)])
def test_divergence_is_minus_adjoint_of_gradient(shape):
    # <grad u, p> = -<u, div p> on random fields, exactly up to round-off.
    u, px, py = (RNG.standard_normal(shape) for _ in range(3))
    ux, uy = gradient(u)
    lhs = np.sum(ux * px) + np.sum(uy * py)
    rhs = -np.sum(u * divergence(px, py))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("sign", [-1, 1])
def test_warp_matches_naive(order, sign, dtype):
    features = RNG.random((2, 5, 12)).astype(dtype)
    d = RNG.uniform(-2.0, 14.0, (5, 12)).astype(dtype)  # some samples fall outside
    got = warp(features, d, sign, order, True)
    want = naive.warp(features.astype(np.float64), d.astype(np.float64), sign, order)
    np.testing.assert_allclose(got[0], want[0], **tol(dtype))
    np.testing.assert_allclose(got[1], want[1], **tol(dtype))
    np.testing.assert_array_equal(got[2], want[2])
    assert got[2].any() and not got[2].all()


@pytest.mark.parametrize("sign", [-1, 1])
@pytest.mark.parametrize("shift", [0.0, 3.25, 17.5, -4.75, 60.0])
def test_warp_of_a_constant_disparity_is_the_per_pixel_warp_bit_for_bit(sign, shift):
    # Row 0 has a constant disparity (the vectorized run); row 1 the same but for its middle
    # pixel, which makes the kernel gather every pixel of that row. Same features in both.
    n = 64
    features = np.repeat(RNG.random((3, 1, n)).astype(np.float32), 2, axis=1)
    d = np.full((2, n), shift, np.float32)
    d[1, n // 2] += 0.3
    values, slopes, outside = warp(features, d, sign, 3, True)
    others = np.arange(n) != n // 2
    np.testing.assert_array_equal(values[:, 0, others], values[:, 1, others])
    np.testing.assert_array_equal(slopes[:, 0, others], slopes[:, 1, others])
    np.testing.assert_array_equal(outside[0, others], outside[1, others])
    want = naive.warp(features.astype(np.float64), d.astype(np.float64), sign, 3)
    np.testing.assert_allclose(values, want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(slopes, want[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("order", [1, 3])
def test_warp_slopes_are_derivatives_of_the_interpolant(order):
    features = RNG.random((1, 3, 20))
    d = RNG.uniform(2.1, 2.9, (3, 20))  # fractional offsets away from the integer kinks
    d[:, :4] = 1.5  # keep x - d inside the row
    h = 1e-6
    plus, _, _ = warp(features, d + h, -1, order, False)
    minus, _, _ = warp(features, d - h, -1, order, False)
    _, slopes, _ = warp(features, d, -1, order, True)
    # d/dd f(x - d) = -f'(x - d)
    np.testing.assert_allclose((plus - minus) / (2 * h), -slopes, rtol=1e-6, atol=1e-8)


def test_warp_by_zero_and_integer_disparity_is_exact():
    features = RNG.random((3, 4, 10))
    values, _, outside = warp(features, np.zeros((4, 10)), -1, 3, False)
    np.testing.assert_allclose(values, features, atol=1e-14)
    assert not outside.any()
    values, _, outside = warp(features, np.full((4, 10), 2.0), -1, 1, False)
    np.testing.assert_allclose(values[:, :, 2:], features[:, :, :-2], atol=1e-14)
    assert outside[:, :2].all() and not outside[:, 2:].any()


def _data_inputs(dtype, k=6, shape=(6, 8)):
    fl, values, slopes = (RNG.standard_normal((k,) + shape).astype(dtype) for _ in range(3))
    weights = RNG.uniform(0.5, 5.0, k).astype(dtype)
    return fl, values, slopes, weights


@pytest.mark.parametrize("sign", [-1, 1])
def test_data_term_matches_naive(sign, dtype):
    fl, values, slopes, weights = _data_inputs(dtype)
    got = data_term(fl, values, slopes, weights, sign, 1e-3)
    want = naive.data_term(*(a.astype(np.float64) for a in (fl, values, slopes, weights)), sign, 1e-3)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_the_data_cost_is_the_data_terms_e_d_bit_for_bit(dtype):
    # What a cost volume samples: e_d without de_d, slopes or J's, the same numbers.
    fl, values, slopes, weights = _data_inputs(dtype)
    weights[1] = 0.0
    np.testing.assert_array_equal(data_cost(fl, values, weights, 1e-3),
                                  data_term(fl, values, slopes, weights, -1, 1e-3)[0])


@pytest.mark.parametrize("order", [1, 3])
def test_a_warp_without_slopes_has_the_same_values_bit_for_bit(order, dtype):
    # A constant row (the vectorized run) and a varying one (the gather), some samples outside.
    features = RNG.random((2, 2, 40)).astype(dtype)
    d = np.stack([np.full(40, 5.5), RNG.uniform(-2.0, 42.0, 40)]).astype(dtype)
    values, slopes, outside = warp(features, d, -1, order, True)
    bare = warp(features, d, -1, order, False)
    np.testing.assert_array_equal(bare[0], values)
    np.testing.assert_array_equal(bare[2], outside)
    assert bare[1].size == 0 and slopes.shape == values.shape


def test_linearize_skips_zero_weights_without_changing_a_bit(dtype):
    # lambda = 0 gives the derivative features weight 0: skipping them adds nothing.
    fl, values, slopes, weights = _data_inputs(dtype)
    zero = weights.copy()
    zero[1::2] = 0.0
    keep = zero != 0
    got = linearize(fl, values, slopes, zero, 1)
    want = linearize(fl[keep], values[keep], slopes[keep], zero[keep], 1)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_linearize_is_the_exact_quadratic_model():
    fl, values, slopes, weights = _data_inputs(np.float64)
    R, J12, J11 = linearize(fl, values, slopes, weights, -1)
    dd = RNG.standard_normal(R.shape)
    # s^2 of the features moved along their slopes by -dd (left view).
    moved = values - slopes * dd
    s2 = np.einsum("k,kij->ij", weights, (moved - fl) ** 2)
    np.testing.assert_allclose(R + 2 * J12 * dd + J11 * dd**2, s2, rtol=1e-12)
    a, b = lagged_data_weights(R, J12, J11, dd, 1e-3)
    wd = 0.5 / np.sqrt(s2 + 1e-6)
    np.testing.assert_allclose(a, wd * J11, rtol=1e-10)
    np.testing.assert_allclose(b, wd * J12, rtol=1e-10)


@pytest.mark.parametrize("robust", [True, False])
def test_smoothness_and_diffusivity_match_naive(robust, dtype):
    d = RNG.standard_normal((7, 9)).astype(dtype)
    w = RNG.random((7, 9)).astype(dtype)
    np.testing.assert_allclose(smoothness(d, w, 0.3, 0.01, robust),
                               naive.smoothness(d, w, 0.3, 0.01, robust), rtol=1e-5)
    np.testing.assert_allclose(diffusivity(d, w, 0.3, 0.01, robust),
                               naive.diffusivity(d, w, 0.3, 0.01, robust), rtol=1e-5)


@pytest.mark.parametrize("robust", [True, False])
def test_smoothness_gradient_matches_finite_differences(robust):
    d = RNG.standard_normal((5, 6))
    w = RNG.random((5, 6))
    grad = smoothness_gradient(d, w, 0.3, 0.1, robust)
    h = 1e-6
    fd = np.zeros_like(d)
    for idx in np.ndindex(d.shape):
        e = np.zeros_like(d)
        e[idx] = h
        fd[idx] = (smoothness(d + e, w, 0.3, 0.1, robust).sum()
                   - smoothness(d - e, w, 0.3, 0.1, robust).sum()) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_squared_gradient_norm_is_the_gradients_bit_for_bit(dtype):
    for shape in [(1, 1), (1, 5), (5, 1), (7, 9)]:
        u = RNG.standard_normal(shape).astype(dtype)
        ux, uy = gradient(u)
        np.testing.assert_array_equal(squared_gradient_norm(u), ux * ux + uy * uy)


def test_the_fused_tgv_kernels_are_numpys_arithmetic_bit_for_bit(dtype):
    # |grad u - w|^2 and div(g w) of the TGV steps, without their temporaries: the same numbers.
    for shape in [(1, 1), (1, 5), (5, 1), (2, 2), (3, 3), (7, 9)]:
        u, wx, wy, g = (RNG.standard_normal(shape).astype(dtype) for _ in range(4))
        ux, uy = gradient(u)
        np.testing.assert_array_equal(squared_gradient_residual(u, wx, wy), (ux - wx) ** 2 + (uy - wy) ** 2)
        np.testing.assert_array_equal(weighted_divergence(g, wx, wy), divergence(g * wx, g * wy))
        for axis, (w, du) in enumerate(((wx, ux), (wy, uy))):
            np.testing.assert_array_equal(weighted_residual(g, w, u, axis), g * (w - du))
