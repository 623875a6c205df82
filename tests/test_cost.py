"""The sampled data term of relax (`msstereo.solvers.cost`): cost volume, census mix, aggregation."""

import numpy as np
import pytest

import naive
from msstereo.energy import DataTerm, features
from msstereo.kernels.search import interpolated_cost, winner_take_all
from msstereo.models import get_model
from msstereo.solvers.cost import cost_volume, cross_scale, guided_filter
from msstereo.solvers.relax import grid_index_dtype
from msstereo.synthetic import texture
from naive import banded, wavy_cost

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------------------
# The aggregation of the cost volume against the naive references
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("channels, radius", [(3, 2), (1, 1)])
def test_guided_filter_matches_naive(channels, radius):
    guide = RNG.random((12, 14, channels))
    guide[:, 7:] += 0.5  # an edge, so that a != 0 somewhere
    volume = RNG.random((12, 14, 3)).astype(np.float32)
    got = guided_filter(guide, volume, radius, 1e-2)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, naive.guided_filter(guide, volume, radius, 1e-2), rtol=1e-5, atol=1e-6)


def test_guided_filter_slices_are_independent_and_constants_are_kept():
    guide = RNG.random((10, 12, 3))
    volume = RNG.random((10, 12, 37))  # more slices than one chunk
    volume[:, :, 5] = 0.7
    got = guided_filter(guide, volume, 2, 1e-3)
    for k in (0, 15, 16, 36):
        alone = guided_filter(guide, volume[:, :, k:k + 1], 2, 1e-3)[:, :, 0]
        np.testing.assert_allclose(got[:, :, k], alone, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[:, :, 5], 0.7, rtol=1e-10)


@pytest.mark.parametrize("shape, scales, decay", [((21, 26), 2, 0.7), ((16, 16), 1, 1.0), ((9, 30), 3, 0.5)])
def test_cross_scale_matches_naive(shape, scales, decay):
    guide = RNG.random(shape + (3,))
    guide[:, shape[1] // 2:] += 0.5
    volume = RNG.random(shape + (3,)).astype(np.float32)
    got = cross_scale(guide, volume, 1, 1e-2, scales, decay)
    assert got.dtype == np.float32
    # (9, 30) with 3 scales: the 8x8 blocks' 3-block window spans the image, so that scale is left out.
    used = min(scales, max(s for s in range(scales + 1) if 2 ** s * 3 <= min(shape)))
    np.testing.assert_allclose(got, naive.cross_scale(guide, volume, 1, 1e-2, used, decay), rtol=1e-5, atol=1e-6)


def test_cross_scale_keeps_constants_and_reduces_to_the_guided_filter():
    guide = RNG.random((40, 44, 3))
    volume = RNG.random((40, 44, 20))
    volume[:, :, 3] = 0.25
    np.testing.assert_array_equal(cross_scale(guide, volume, 2, 1e-3, 0, 0.8), guided_filter(guide, volume, 2, 1e-3))
    # The weights are normalized: a constant slice keeps its value at every scale.
    np.testing.assert_allclose(cross_scale(guide, volume, 2, 1e-3, 2, 0.8)[:, :, 3], 0.25, rtol=1e-10)


def test_cross_scale_settles_a_cost_that_noise_hides_from_a_fine_window():
    # Two fronto-parallel halves under cost noise four times the margin of the true sample:
    # the coarse scales see wider windows and their winners are right far more often.
    rows, cols, count = 64, 64, 16
    truth = np.where(np.arange(cols) < cols // 2, 5, 11)[None, :].repeat(rows, 0)
    k = np.arange(count)[None, None, :]
    volume = 0.05 * np.minimum(np.abs(k - truth[:, :, None]), 3) + 0.2 * RNG.standard_normal((rows, cols, count))
    guide = np.full((rows, cols, 1), 0.5)
    wrong = [np.mean(np.argmin(cross_scale(guide, volume, 2, 1e-3, s, 0.8), axis=2) != truth) for s in (0, 3)]
    assert wrong[1] < 0.5 * wrong[0], wrong



def gray_pair(shape=(9, 30), shift=3.0):
    x = np.arange(shape[1])[None, :] + np.zeros(shape)
    y = np.arange(shape[0])[:, None] + np.zeros(shape)
    right = texture(x, y, 5)
    left = texture(x - shift, y, 5)
    return left[..., None], right[..., None]


@pytest.mark.parametrize("k0, h", [(0.0, 1.0), (-1.25, 0.5)])
def test_cost_volume_is_the_sampled_data_term_plus_census(k0, h):
    left, right = gray_pair()
    count = 9
    model = get_model("tv", census=0.8, census_window=5)
    volume = cost_volume(DataTerm.of_images(left, right, -1, model), k0, h, count)
    assert volume.shape == left.shape[:2] + (count,)
    f_ref, f_other = features(left), features(right)
    weights = np.array([1.0, model.lam, model.lam])
    census_ref = naive.census_transform(left[..., 0], 2)
    for j in range(count):
        k = k0 + j * h
        values, slopes, _ = naive.warp(f_other, np.full(left.shape[:2], k), -1, model.interpolation)
        e_d, _ = naive.data_term(f_ref, values, slopes, weights, -1, model.eta)
        # The census of the other view shifted by the sample's fractional part, at the whole shift.
        whole = int(np.floor(k + 1e-6))
        frac, _, _ = naive.warp(right[None, ..., 0], np.full(left.shape[:2], k - whole), -1,
                                model.interpolation)
        census = naive.census_transform(frac[0], 2)
        bits = naive.add_census_cost(np.zeros(left.shape[:2] + (1,)), census_ref, census[None],
                                     [0], [whole], -1, model.census / 24)[..., 0]
        np.testing.assert_allclose(volume[:, :, j], e_d + bits, rtol=1e-10, atol=1e-12)


def test_cost_volume_is_aggregated_by_the_guided_filter():
    rgb = [np.repeat(image, 3, axis=2) * [1.0, 0.8, 0.6] for image in gray_pair()]
    plain = cost_volume(DataTerm.of_images(*rgb, -1, get_model("tv")), 0.0, 1.0, 6)
    model = get_model("tv", aggregate=2, aggregate_eps=1e-3)
    filtered = cost_volume(DataTerm.of_images(*rgb, -1, model), 0.0, 1.0, 6)
    np.testing.assert_allclose(filtered, guided_filter(rgb[0], plain, 2, 1e-3), rtol=1e-12, atol=1e-12)


def test_an_int16_base_gives_the_int32_bases_numbers():
    m, n, grid, count, k0, h = 7, 10, 30, 5, -1.25, 0.5
    rng = np.random.default_rng(12)
    cost, _ = wavy_cost(rng, m, n, count)
    base = rng.integers(0, grid - count + 1, (m, n)).astype(np.int32)
    a = k0 + h * (base + rng.uniform(0.0, count - 1, (m, n)))
    short = base.astype(np.int16)
    np.testing.assert_array_equal(winner_take_all(cost, k0, h, short), winner_take_all(cost, k0, h, base))
    np.testing.assert_array_equal(interpolated_cost(cost, a, k0, h, short), interpolated_cost(cost, a, k0, h, base))
    left, right = gray_pair((11, 30))
    data = DataTerm.of_images(left, right, -1, get_model("tv", census=0.8, census_window=5))
    wide = np.resize(base, left.shape[:2])  # the base's values tiled over the pair
    np.testing.assert_array_equal(cost_volume(data, k0, h, count, wide.astype(np.int16), rows=3),
                                  cost_volume(data, k0, h, count, wide, rows=3))
    assert grid_index_dtype(2**15 - 1) == np.int16 and grid_index_dtype(2**15) == np.int32


@pytest.mark.parametrize("rows", [None, 1, 3])
def test_cost_volume_with_a_base_holds_the_whole_ranges_samples(rows):
    # Data term and census per pixel, in strips of rows or not: the same numbers as the
    # whole range's volume at each pixel's own samples.
    left, right = gray_pair((11, 30))
    model = get_model("tv", census=0.8, census_window=5)
    data = DataTerm.of_images(left, right, -1, model)
    grid, count, k0, h = 15, 5, -1.25, 0.5
    whole = cost_volume(data, k0, h, grid)
    base = np.random.default_rng(2).integers(0, grid - count + 1, left.shape[:2]).astype(np.int32)
    np.testing.assert_array_equal(cost_volume(data, k0, h, count, base, rows=rows), banded(whole, base, count))
    np.testing.assert_array_equal(cost_volume(data, k0, h, grid, rows=rows), whole)


def test_cost_volume_with_a_base_is_aggregated_slice_by_slice():
    rgb = [np.repeat(image, 3, axis=2) * [1.0, 0.8, 0.6] for image in gray_pair((11, 30))]
    base = np.random.default_rng(3).integers(0, 4, rgb[0].shape[:2]).astype(np.int32)
    plain = cost_volume(DataTerm.of_images(*rgb, -1, get_model("tv")), 0.0, 1.0, 6, base)
    model = get_model("tv", aggregate=2, aggregate_eps=1e-3)
    filtered = cost_volume(DataTerm.of_images(*rgb, -1, model), 0.0, 1.0, 6, base, rows=4)
    np.testing.assert_allclose(filtered, guided_filter(rgb[0], plain, 2, 1e-3), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rows", [1, 3, 4, 5, 13])
def test_guided_filter_in_strips_of_rows_is_the_whole_images(rows):
    guide = RNG.random((13, 10, 3))
    volume = RNG.random((13, 10, 4))
    want = guided_filter(guide, volume, 2, 1e-3)
    got = guided_filter(guide, volume.copy(), 2, 1e-3, rows=rows)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rows, scales", [(1, 1), (3, 1), (5, 2), (8, 2), (40, 1)])
def test_cross_scale_in_strips_of_rows_is_the_whole_images(rows, scales):
    # Strips start on the coarsest scale's blocks and keep the rows each row depends on.
    guide = RNG.random((37, 23, 3))
    volume = RNG.random((37, 23, 4))
    want = cross_scale(guide, volume, 1, 1e-3, scales, 0.6)
    got = cross_scale(guide, volume.copy(), 1, 1e-3, scales, 0.6, rows=rows)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_cost_volume_in_strips_is_aggregated_at_every_scale():
    rgb = [np.repeat(image, 3, axis=2) * [1.0, 0.8, 0.6] for image in gray_pair((26, 30))]
    model = get_model("tv", aggregate=1, aggregate_eps=1e-3, aggregate_scales=1, aggregate_decay=0.3)
    data = DataTerm.of_images(*rgb, -1, model)
    np.testing.assert_allclose(cost_volume(data, 0.0, 1.0, 6, rows=4), cost_volume(data, 0.0, 1.0, 6),
                               rtol=1e-10, atol=1e-12)


def test_derivative_features_are_left_out_without_gradient_constancy():
    # lambda = 0: the data term and the volume are the same as with the zero-weight derivatives.
    left, right = gray_pair()
    model = get_model("tv", lam=0.0, census=0.5, census_window=3)
    lean = DataTerm.of_images(left, right, -1, model)
    assert lean.f_ref.shape[0] == 1
    padded = DataTerm(features(left), features(right), -1, model)
    padded.weights = np.array([1.0, 0.0, 0.0])
    padded.stride = 3
    d = np.full(left.shape[:2], 2.5)
    np.testing.assert_array_equal(lean.value(d)[0], padded.value(d)[0])
    np.testing.assert_array_equal(cost_volume(lean, 0.0, 0.5, 9), cost_volume(padded, 0.0, 0.5, 9))
