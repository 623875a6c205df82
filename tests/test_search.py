"""The relaxation solver's search kernels (`msstereo.kernels.search`).

The sampled cost between samples, the winner-take-all start, and the
``a``-step: a global search of ``H C(a) + (d - a)^2 / (2 theta)``, over the
whole range or a band of samples from each pixel's base.
"""

import numpy as np
import pytest

import naive
from msstereo.kernels.search import interpolated_cost, search, winner_take_all
from msstereo.solvers.relax import grid_index_dtype
from naive import banded, full, wavy_cost

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolated_cost_is_exact_at_samples_and_a_parabola_between(dtype):
    m, n, count = 4, 5, 7
    k0, h = -1.5, 0.5
    cost = RNG.random((m, n, count)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for j in range(count):
        a = np.full((m, n), k0 + j * h, dtype)
        np.testing.assert_allclose(interpolated_cost(cost, a, k0, h, full(cost)), cost[:, :, j], **tol)
    # In between and a little past both ends (the end parabolas extend).
    a = RNG.uniform(k0 - 0.2, k0 + (count - 1) * h + 0.2, (m, n)).astype(dtype)
    np.testing.assert_allclose(interpolated_cost(cost, a, k0, h, full(cost)),
                               naive.interpolated_cost(cost, a.astype(np.float64), k0, h), **tol)


def test_winner_take_all_is_the_argmin_sample():
    cost = RNG.random((6, 7, 9))
    k0, h = -2.0, 0.75
    np.testing.assert_array_equal(winner_take_all(cost, k0, h, full(cost)), k0 + h * np.argmin(cost, axis=2))


# ---------------------------------------------------------------------------
# The a-step: a global search of H C(a) + (d - a)^2 / (2 theta)
# ---------------------------------------------------------------------------

def relaxed(cost, gate, d, theta, k0, h, a):
    """The per-pixel relaxed data term H C(a) + (d - a)^2 / (2 theta).

    C by `interpolated_cost` (checked against the naive parabola above): the dense
    grids below evaluate it thousands of times.
    """
    return gate * interpolated_cost(cost, np.asarray(a, np.float64), k0, h, full(cost)) + (d - a) ** 2 / (2 * theta)


def test_search_finds_the_global_minimum_when_the_coupling_vanishes():
    m, n, count, k0, h = 8, 10, 41, -4.0, 0.5
    cost, star = wavy_cost(np.random.default_rng(0), m, n, count)
    samples = k0 + h * np.arange(count)
    # d and a at the far end of the range from the minimum: a local descent would stop on the way.
    d = np.where(star < count // 2, samples[-1], samples[0])
    a, _ = search(cost, cost.min(axis=2), d, d.copy(), np.ones((m, n)), 1e12, k0, h, full(cost))
    assert np.abs(a - samples[star]).max() <= h / 2


def test_search_is_exact_in_the_best_segment_and_never_worse():
    m, n, count, k0, h, theta = 10, 12, 21, -2.0, 0.5, 0.8
    rng = np.random.default_rng(1)
    cost, _ = wavy_cost(rng, m, n, count)
    samples = k0 + h * np.arange(count)
    gate = rng.uniform(0.2, 1.0, (m, n))
    gate[0, 2:6] = 0.0  # no data: only the coupling
    d = rng.uniform(samples[1], samples[-2], (m, n))
    a0 = rng.uniform(samples[0], samples[-1], (m, n))
    a, cost_at_a = search(cost, cost.min(axis=2), d, a0, gate, theta, k0, h, full(cost))
    # The search's C(a) is interpolated_cost's at the new a, to the bit.
    np.testing.assert_array_equal(cost_at_a, interpolated_cost(cost, a, k0, h, full(cost)))
    f = relaxed(cost, gate, d, theta, k0, h, a)
    at_samples = gate[..., None] * cost + (d[..., None] - samples) ** 2 / (2 * theta)
    # Global over the samples, and never worse than the current a.
    assert np.all(f <= at_samples.min(axis=2) + 1e-12)
    assert np.all(f <= relaxed(cost, gate, d, theta, k0, h, a0) + 1e-12)
    # Within the best sample's segment [k - h/2, k + h/2) the refinement is the exact minimum:
    # no point of a dense grid there does better. (The parabola of the best sample k has
    # f(k) <= f(k +- h), so its minimizer lies inside the segment and is never clamped.)
    best = at_samples.argmin(axis=2)
    interior = (best > 0) & (best < count - 1)
    t = np.linspace(-0.5, 0.5, 2001)[:-1]
    in_segment = np.min([relaxed(cost, gate, d, theta, k0, h, samples[best] + s * h) for s in t], axis=0)
    assert interior.mean() >= 0.8  # measured: every pixel
    assert np.all(f[interior] <= in_segment[interior] + 1e-12)
    # Where there is no data, a is d itself.
    np.testing.assert_allclose(a[0, 2:6], d[0, 2:6], atol=1e-12)
    # The search is global up to the sampling only: a lower value may lie in another segment,
    # whose sample is not the best (measured: 18 of 120 pixels here, by up to 0.08); a current
    # a there is kept.
    grid = np.linspace(samples[0], samples[-1], 4001)
    values = np.stack([relaxed(cost, gate, d, theta, k0, h, np.full((m, n), x)) for x in grid], axis=2)
    a_grid = grid[values.argmin(axis=2)]
    lower = values.min(axis=2) < f - 1e-9
    assert lower.any()
    kept, _ = search(cost, cost.min(axis=2), d, a_grid, gate, theta, k0, h, full(cost))
    np.testing.assert_array_equal(kept[lower], a_grid[lower])


@pytest.mark.parametrize("theta", [1e-3, 0.05, 0.8, 10.0, 1e6])
def test_search_limited_by_the_cost_floor_equals_the_exhaustive_scan(theta):
    # A floor far below every cost makes the admissible interval the whole range.
    m, n, count, k0, h = 12, 14, 61, -5.0, 0.5
    rng = np.random.default_rng(3)
    cost, _ = wavy_cost(rng, m, n, count)
    gate = rng.uniform(0.0, 1.0, (m, n))
    d = rng.uniform(k0 - 1.0, k0 + h * count + 1.0, (m, n))  # beyond the ends too
    a0 = rng.uniform(k0, k0 + h * (count - 1), (m, n))
    limited = search(cost, cost.min(axis=2), d, a0, gate, theta, k0, h, full(cost))
    exhaustive = search(cost, np.full((m, n), -1e9), d, a0, gate, theta, k0, h, full(cost))
    np.testing.assert_array_equal(limited[0], exhaustive[0])
    np.testing.assert_array_equal(limited[1], exhaustive[1])


# ---------------------------------------------------------------------------
# A band of samples from each pixel's base
# ---------------------------------------------------------------------------

def test_kernels_with_a_base_are_the_kernels_at_each_pixels_first_sample():
    # Pixels are independent: with a per-pixel base, each pixel is what the kernel gives
    # over the same samples with the grid starting at its own first sample, k0 + base h.
    m, n, grid, count, k0, h, theta = 8, 9, 25, 9, -2.0, 0.5, 0.3
    rng = np.random.default_rng(5)
    full_cost, _ = wavy_cost(rng, m, n, grid)
    base = rng.integers(0, grid - count + 1, (m, n)).astype(grid_index_dtype(grid))
    cost = banded(full_cost, base, count)
    floor = cost.min(axis=2)
    d = k0 + h * (base + rng.uniform(-1.0, count, (m, n)))
    a0 = k0 + h * (base + rng.uniform(0.0, count - 1, (m, n)))
    gate = rng.uniform(0.2, 1.0, (m, n))
    got = {"search": search(cost, floor, d, a0, gate, theta, k0, h, base)[0],
           "wta": winner_take_all(cost, k0, h, base),
           "cost": interpolated_cost(cost, a0, k0, h, base)}
    for b in np.unique(base):
        at = base == b
        start = k0 + b * h  # exact in binary: the same samples
        want = {"search": search(cost, floor, d, a0, gate, theta, start, h, full(cost))[0],
                "wta": winner_take_all(cost, start, h, full(cost)),
                "cost": interpolated_cost(cost, a0, start, h, full(cost))}
        for key in got:
            np.testing.assert_array_equal(got[key][at], want[key][at], err_msg=key)
    # The whole range is base 0.
    np.testing.assert_array_equal(winner_take_all(full_cost, k0, h, full(full_cost)),
                                  k0 + h * full_cost.argmin(axis=2))


@pytest.mark.parametrize("theta", [1e-3, 0.3, 1e6])
def test_search_without_a_floor_finds_each_pixels_least_cost_itself(theta):
    # A banded level keeps no floor: the search then takes each pixel's least sample, the
    # same numbers as with cost.min(axis=2), also with an int32 base (`grid_index_dtype`
    # of a grid beyond 32767 samples). In float32, as the solver calls it.
    m, n, grid, count, k0, h = 9, 11, 40, 13, -3.0, 0.5
    rng = np.random.default_rng(11)
    full_cost, _ = wavy_cost(rng, m, n, grid)
    base = rng.integers(0, grid - count + 1, (m, n)).astype(grid_index_dtype(grid))
    cost = banded(full_cost, base, count).astype(np.float32)
    d = (k0 + h * (base + rng.uniform(-1.0, count, (m, n)))).astype(np.float32)
    a0 = (k0 + h * (base + rng.uniform(0.0, count - 1, (m, n)))).astype(np.float32)
    gate = rng.uniform(0.0, 1.0, (m, n)).astype(np.float32)
    want = search(cost, cost.min(axis=2), d, a0, gate, theta, k0, h, base)
    for got in (search(cost, None, d, a0, gate, theta, k0, h, base),
                search(cost, None, d, a0, gate, theta, k0, h, base.astype(np.int32))):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
