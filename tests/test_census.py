"""The census kernels (`msstereo.kernels.census`) against the naive references of `naive.py`."""

import numpy as np
import pytest

import naive
from msstereo.kernels.census import _popcount, add_census_cost, census_transform
from naive import full

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("radius", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_census_transform_matches_naive(radius, dtype):
    # Few grey levels: many ties (a tie is not "darker") and clamped borders.
    gray = RNG.integers(0, 4, (7, 9)).astype(dtype)
    got = census_transform(gray, radius)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, naive.census_transform(gray, radius))


def test_census_transform_bit_order():
    # One darker neighbour, the top-left one: the first bit of the row-major order.
    gray = np.ones((5, 5))
    gray[1, 1] = 0.0
    assert int(census_transform(gray, 1)[2, 2]) == 1 << 7
    gray = np.ones((5, 5))
    gray[3, 3] = 0.0  # the last neighbour: the least significant bit
    assert int(census_transform(gray, 1)[2, 2]) == 1


def test_popcount_matches_python():
    values = [0, 1, 2**63, 2**64 - 1, 0x5555555555555555, 0xF0F0F0F0F0F0F0F0]
    values += [int(x) for x in RNG.integers(0, 2**63, 50, dtype=np.uint64)]
    for x in values:
        assert _popcount(np.uint64(x)) == bin(x).count("1")


@pytest.mark.parametrize("sign", [-1, 1])
def test_add_census_cost_matches_naive(sign):
    m, n, count = 5, 11, 6
    census_ref = RNG.integers(0, 2**48, (m, n), dtype=np.uint64)
    census_other = RNG.integers(0, 2**48, (2, m, n), dtype=np.uint64)
    which = np.array([0, 1, 0, 1, 0, 1], np.int64)
    shifts = np.array([0, 0, 3, 3, 13, -2], np.int64)  # some past the border: clamped
    cost = RNG.random((m, n, count))
    want = naive.add_census_cost(cost, census_ref, census_other, which, shifts, sign, 0.25)
    add_census_cost(cost, census_ref, census_other, which, shifts, sign, 0.25, full(cost))
    np.testing.assert_allclose(cost, want, rtol=1e-12)


def test_add_census_cost_with_a_base_matches_naive():
    m, n, count, grid = 5, 11, 3, 7
    census_ref = RNG.integers(0, 2**48, (m, n), dtype=np.uint64)
    census_other = RNG.integers(0, 2**48, (2, m, n), dtype=np.uint64)
    which = np.array([0, 1, 0, 1, 0, 1, 0], np.int64)
    shifts = np.array([0, 0, 3, 3, 13, -2, 5], np.int64)
    base = RNG.integers(0, grid - count + 1, (m, n)).astype(np.int32)
    cost = RNG.random((m, n, count))
    want = naive.add_census_cost(cost, census_ref, census_other, which, shifts, -1, 0.25, base)
    add_census_cost(cost, census_ref, census_other, which, shifts, -1, 0.25, base)
    np.testing.assert_allclose(cost, want, rtol=1e-12)
