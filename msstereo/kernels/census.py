"""The census transform and its Hamming cost (Zabih and Woodfill, ECCV 1994).

A pixel's census signature has one bit per neighbour in a square window,
set where the neighbour is darker than the centre; the cost of matching two
pixels is the number of bits in which their signatures differ. It depends
on the order of intensities only, so it is robust to gain and bias between
the views, which the data term of eq. 4-5 is not. The ``relax`` solver mixes
it into its sampled data term (`msstereo.solvers.cost.cost_volume`).
"""

import numpy as np

from .._jit import jit


@jit
def census_transform(gray, radius):
    """Census signature of every pixel: one bit per neighbour darker than the centre.

    Parameters
    ----------
    gray : (M, N) ndarray
        Intensity image.
    radius : int
        Half-size of the square window (3 for 7x7: 48 bits); at most 3,
        since the signature is one 64-bit word. Neighbours outside the image
        are clamped to the border.

    Returns
    -------
    (M, N) uint64 ndarray
    """
    m, n = gray.shape
    out = np.empty((m, n), dtype=np.uint64)  # every pixel written: no zero fill to compile
    one = np.uint64(1)
    for i in range(m):
        for j in range(n):
            centre = gray[i, j]
            bits = np.uint64(0)
            for di in range(-radius, radius + 1):
                ii = min(max(i + di, 0), m - 1)
                for dj in range(-radius, radius + 1):
                    if di == 0 and dj == 0:
                        continue
                    jj = min(max(j + dj, 0), n - 1)
                    bits = bits << one
                    if gray[ii, jj] < centre:
                        bits = bits | one
            out[i, j] = bits
    return out


_M1 = np.uint64(0x5555555555555555)


_M2 = np.uint64(0x3333333333333333)


_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)


_H01 = np.uint64(0x0101010101010101)


@jit
def _popcount(x):
    """Set bits of a uint64 (SWAR: a fixed dozen operations, no loop)."""
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> np.uint64(56))


@jit
def add_census_cost(cost, census_ref, census_other, which, shifts, sign, scale, base):
    """Add ``scale`` times the census Hamming distance to a cost volume, in place.

    Sample ``s`` of pixel ``x`` is sample ``j = base[x] + s`` of the grid; it
    compares the reference pixel ``x`` with the pixel
    ``x + sign * shifts[j]`` of the signature image ``census_other[which[j]]``:
    the census of the other view already shifted by the sample's fractional
    part, so that every sample is an exact census cost at its own, possibly
    fractional, disparity. Shifts past the border are clamped, as the warp of
    the data term clamps them.

    Parameters
    ----------
    cost : (M, N, K) ndarray
        Cost volume, updated in place.
    census_ref : (M, N) uint64 ndarray
        Signatures of the reference view (`census_transform`).
    census_other : (F, M, N) uint64 ndarray
        Signatures of the other view shifted by each fractional part.
    which, shifts : (J,) int ndarray
        Per sample of the grid, the fractional part's index and the integer shift.
    sign : int
        ``-1`` for the left view, ``+1`` for the right view.
    scale : float
        Weight of the census term divided by the number of bits.
    base : (M, N) int ndarray
        Index on the grid of each pixel's first sample (all 0: the grid's
        first ``K`` samples).
    """
    m, n, count = cost.shape
    for i in range(m):
        for j in range(n):
            ref = census_ref[i, j]
            b = base[i, j]
            for s in range(count):
                jj = min(max(j + sign * shifts[b + s], 0), n - 1)
                cost[i, j, s] += scale * _popcount(ref ^ census_other[which[b + s], i, jj])
