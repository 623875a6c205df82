"""Joint weighted median of a disparity map, guided by the image.

The weighted median of the values ``d(y)`` in a window around ``x`` with
weights ``w(x, y) = exp(-|I(x) - I(y)|^2 / (2 sigma_c^2) - |x - y|^2 / (2
sigma_s^2))`` is the minimizer of ``sum_y w(x, y) |d(x) - d(y)|``: the
non-local term of Sun, Roth and Black ("Secrets of optical flow estimation
and their principles", CVPR 2010, :DOI:`10.1109/CVPR.2010.5539939`), applied
once to a finished map. Pixels of the same colour vote, so it removes the
streaks that a row-wise fill leaves and the specks left by the search while
keeping depth edges where colour edges are (the cost-volume filtering of
Hosni et al., TPAMI 35(2), 2013, ends the same way).
"""

import math

import numpy as np

from .._jit import jit


@jit
def _select_weighted(values, weights, below, half):
    """The smallest of ``values`` at which ``below`` plus the cumulative weight reaches ``half``.

    Cumulative weight: of the values up to and including it, in increasing
    order. Quickselect with a three-way partition (linear on average, in
    place): no sort of the whole window.
    """
    lo, hi = 0, values.shape[0] - 1
    while True:
        pivot = values[(lo + hi) // 2]
        # Partition [lo, hi] into < pivot, == pivot, > pivot (Dutch flag), summing their weights.
        lt, k, gt = lo, lo, hi
        w_less = w_equal = 0.0
        while k <= gt:
            v = values[k]
            if v < pivot:
                values[k], values[lt] = values[lt], v
                weights[k], weights[lt] = weights[lt], weights[k]
                w_less += weights[lt]
                lt += 1
                k += 1
            elif v > pivot:
                values[k], values[gt] = values[gt], v
                weights[k], weights[gt] = weights[gt], weights[k]
                gt -= 1
            else:
                w_equal += weights[k]
                k += 1
        if below + w_less >= half and lt > lo:
            hi = lt - 1
        elif below + w_less + w_equal >= half:
            return pivot
        else:
            below += w_less + w_equal
            lo = gt + 1
            if lo > hi:  # round-off left the half unreached: the largest value
                return values[hi]


@jit
def _select_near(values, weights, guess_1, guess_2):
    """The weighted median of ``values`` with weights ``exp(weights)``, found first near two guesses.

    The smallest value whose cumulative weight (values in increasing order)
    reaches half the total. Each guess ``g`` is tested by the weights below
    and at it: the answer is ``g``, below it or above it. The guesses are
    the medians of the pixel's left and upper neighbours, which share most
    of its window, so that the two tests usually leave a few values between
    them for the quickselect (`_select_weighted`) instead of the window.
    ``weights`` holds the exponents and is turned into the weights here, in
    the pass that sums them for the tests (each sum a chain of additions
    that the exponentials' latency hides). With both, the filter of a
    Teddy view (17 x 17 windows) takes 0.84 s instead of 1.07 s. Values in
    ``values`` and ``weights`` are reordered.
    """
    count = values.shape[0]
    half = below_1 = at_1 = below_2 = at_2 = 0.0
    for k in range(count):  # no branches: both guesses in one pass
        v, w = values[k], math.exp(weights[k])
        weights[k] = w
        half += w
        below_1 += w if v < guess_1 else 0.0
        at_1 += w if v == guess_1 else 0.0
        below_2 += w if v < guess_2 else 0.0
        at_2 += w if v == guess_2 else 0.0
    half *= 0.5
    # The answer lies in (lo, hi]: the weight up to lo (``below``) falls short of half, the
    # weight below hi reaches it.
    lo, hi, below = -np.inf, np.inf, 0.0
    for guess, w_less, w_equal in ((guess_1, below_1, at_1), (guess_2, below_2, at_2)):
        if w_less >= half:
            hi = min(hi, guess)
        elif w_less + w_equal >= half:
            return guess
        elif guess > lo:
            lo, below = guess, w_less + w_equal
    kept = 0
    for k in range(count):
        v = values[k]
        if lo < v < hi:
            values[kept], weights[kept] = v, weights[k]
            kept += 1
    if kept == 0:  # only by round-off, the two tests disagreeing: the whole window (not reordered)
        return _select_weighted(values, weights, 0.0, half)
    return _select_weighted(values[:kept], weights[:kept], below, half)


@jit
def weighted_median(d, image, mask, radius, sigma_color, sigma_space):
    """Joint weighted median of ``d`` at the pixels of ``mask``.

    Parameters
    ----------
    d : (M, N) ndarray
        Disparity.
    image : (M, N, C) ndarray
        Guide image, values in [0, 1].
    mask : (M, N) bool ndarray
        Pixels to filter; the others are copied.
    radius : int
        Window radius: the neighbours ``y`` with ``|y - x|_inf <= radius``
        inside the image (no border padding).
    sigma_color, sigma_space : float
        Widths of the colour and distance weights (image units and pixels).

    Returns
    -------
    (M, N) ndarray
        The filtered copy: at each masked pixel the smallest window value
        whose cumulative weight (values in increasing order) reaches half
        the window's total weight.
    """
    m, n = d.shape
    channels = image.shape[2]
    side = 2 * radius + 1
    spatial = np.empty((side, side))
    for a in range(side):
        for b in range(side):
            spatial[a, b] = ((a - radius) ** 2 + (b - radius) ** 2) / (2.0 * sigma_space ** 2)
    inv_color = 1.0 / (2.0 * sigma_color ** 2)
    values = np.empty(side * side)
    weights = np.empty(side * side)
    out = d.copy()
    for i in range(m):
        a0, a1 = max(i - radius, 0), min(i + radius + 1, m)
        for j in range(n):
            if not mask[i, j]:
                continue
            b0, b1 = max(j - radius, 0), min(j + radius + 1, n)
            width = b1 - b0
            centre = image[i, j]
            count = 0
            for a in range(a0, a1):
                # Row slices, read contiguously, and the centre's colour read once; the exponents
                # here, the exponentials in the selection's first pass (`_select_near`). The
                # same numbers as one loop per weight.
                guide = image[a, b0:b1]
                near = spatial[a - i + radius, b0 - j + radius:b1 - j + radius]
                row_values = values[count:count + width]
                row_weights = weights[count:count + width]
                if channels == 3:  # unrolled: the same sums in the same order, a few % faster in all
                    for b in range(width):
                        x0 = guide[b, 0] - centre[0]
                        x1 = guide[b, 1] - centre[1]
                        x2 = guide[b, 2] - centre[2]
                        row_values[b] = d[a, b0 + b]
                        row_weights[b] = -(0.0 + x0 * x0 + x1 * x1 + x2 * x2) * inv_color - near[b]
                else:
                    for b in range(width):
                        c = 0.0
                        for k in range(channels):
                            diff = guide[b, k] - centre[k]
                            c += diff * diff
                        row_values[b] = d[a, b0 + b]
                        row_weights[b] = -c * inv_color - near[b]
                count += width
            # Guesses: the left and upper neighbours' medians where they are made, else d itself.
            guess_1 = out[i, j - 1] if j > 0 and mask[i, j - 1] else d[i, j]
            guess_2 = out[i - 1, j] if i > 0 and mask[i - 1, j] else d[i, j]
            # Views, not a count: a count passed on is typed first as the literal 0 (its
            # initial value), which would compile a second specialization.
            out[i, j] = _select_near(values[:count], weights[:count], guess_1, guess_2)
    return out


# The median of 25 values by a selection network: Batcher's odd-even merge sort of 32 wires
# (the 7 missing inputs taken as 3 times -inf and 4 times +inf, so the median is the 16th
# smallest) with every comparator that cannot reach that output removed: 118 comparators of
# straight-line min/max, kept in registers. A comparator network selects the k-th smallest
# of any input if it does so for all 0-1 inputs (Knuth, TAOCP 3, 5.3.4); this one was checked
# on all 2^25 of them, and the tests compare it with scipy on random and tied values.
@jit
def _median25(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12,
               x13, x14, x15, x16, x17, x18, x19, x20, x21, x22, x23, x24):
    """The median (13th smallest) of 25 values."""
    x0, x1 = min(x0, x1), max(x0, x1)
    x2, x3 = min(x2, x3), max(x2, x3)
    x4, x5 = min(x4, x5), max(x4, x5)
    x6, x7 = min(x6, x7), max(x6, x7)
    x8, x9 = min(x8, x9), max(x8, x9)
    x10, x11 = min(x10, x11), max(x10, x11)
    x12, x13 = min(x12, x13), max(x12, x13)
    x14, x15 = min(x14, x15), max(x14, x15)
    x16, x17 = min(x16, x17), max(x16, x17)
    x18, x19 = min(x18, x19), max(x18, x19)
    x20, x21 = min(x20, x21), max(x20, x21)
    x22, x23 = min(x22, x23), max(x22, x23)
    x0, x2 = min(x0, x2), max(x0, x2)
    x1, x3 = min(x1, x3), max(x1, x3)
    x4, x6 = min(x4, x6), max(x4, x6)
    x5, x7 = min(x5, x7), max(x5, x7)
    x8, x10 = min(x8, x10), max(x8, x10)
    x9, x11 = min(x9, x11), max(x9, x11)
    x12, x14 = min(x12, x14), max(x12, x14)
    x13, x15 = min(x13, x15), max(x13, x15)
    x16, x18 = min(x16, x18), max(x16, x18)
    x17, x19 = min(x17, x19), max(x17, x19)
    x20, x22 = min(x20, x22), max(x20, x22)
    x21, x23 = min(x21, x23), max(x21, x23)
    x1, x2 = min(x1, x2), max(x1, x2)
    x5, x6 = min(x5, x6), max(x5, x6)
    x9, x10 = min(x9, x10), max(x9, x10)
    x13, x14 = min(x13, x14), max(x13, x14)
    x17, x18 = min(x17, x18), max(x17, x18)
    x21, x22 = min(x21, x22), max(x21, x22)
    x0, x4 = min(x0, x4), max(x0, x4)
    x1, x5 = min(x1, x5), max(x1, x5)
    x2, x6 = min(x2, x6), max(x2, x6)
    x3, x7 = min(x3, x7), max(x3, x7)
    x8, x12 = min(x8, x12), max(x8, x12)
    x9, x13 = min(x9, x13), max(x9, x13)
    x10, x14 = min(x10, x14), max(x10, x14)
    x11, x15 = min(x11, x15), max(x11, x15)
    x16, x20 = min(x16, x20), max(x16, x20)
    x17, x21 = min(x17, x21), max(x17, x21)
    x18, x22 = min(x18, x22), max(x18, x22)
    x19, x23 = min(x19, x23), max(x19, x23)
    x2, x4 = min(x2, x4), max(x2, x4)
    x3, x5 = min(x3, x5), max(x3, x5)
    x10, x12 = min(x10, x12), max(x10, x12)
    x11, x13 = min(x11, x13), max(x11, x13)
    x18, x20 = min(x18, x20), max(x18, x20)
    x19, x21 = min(x19, x21), max(x19, x21)
    x1, x2 = min(x1, x2), max(x1, x2)
    x3, x4 = min(x3, x4), max(x3, x4)
    x5, x6 = min(x5, x6), max(x5, x6)
    x9, x10 = min(x9, x10), max(x9, x10)
    x11, x12 = min(x11, x12), max(x11, x12)
    x13, x14 = min(x13, x14), max(x13, x14)
    x17, x18 = min(x17, x18), max(x17, x18)
    x19, x20 = min(x19, x20), max(x19, x20)
    x21, x22 = min(x21, x22), max(x21, x22)
    x0, x8 = min(x0, x8), max(x0, x8)
    x1, x9 = min(x1, x9), max(x1, x9)
    x2, x10 = min(x2, x10), max(x2, x10)
    x3, x11 = min(x3, x11), max(x3, x11)
    x4, x12 = min(x4, x12), max(x4, x12)
    x5, x13 = min(x5, x13), max(x5, x13)
    x6, x14 = min(x6, x14), max(x6, x14)
    x7, x15 = min(x7, x15), max(x7, x15)
    x19, x24 = min(x19, x24), max(x19, x24)
    x4, x8 = min(x4, x8), max(x4, x8)
    x5, x9 = min(x5, x9), max(x5, x9)
    x6, x10 = min(x6, x10), max(x6, x10)
    x7, x11 = min(x7, x11), max(x7, x11)
    x20, x16 = min(x20, x16), max(x20, x16)
    x21, x17 = min(x21, x17), max(x21, x17)
    x22, x18 = min(x22, x18), max(x22, x18)
    x23, x24 = min(x23, x24), max(x23, x24)
    x2, x4 = min(x2, x4), max(x2, x4)
    x3, x5 = min(x3, x5), max(x3, x5)
    x6, x8 = min(x6, x8), max(x6, x8)
    x7, x9 = min(x7, x9), max(x7, x9)
    x10, x12 = min(x10, x12), max(x10, x12)
    x11, x13 = min(x11, x13), max(x11, x13)
    x19, x21 = min(x19, x21), max(x19, x21)
    x22, x16 = min(x22, x16), max(x22, x16)
    x23, x17 = min(x23, x17), max(x23, x17)
    x1, x2 = min(x1, x2), max(x1, x2)
    x3, x4 = min(x3, x4), max(x3, x4)
    x5, x6 = min(x5, x6), max(x5, x6)
    x7, x8 = min(x7, x8), max(x7, x8)
    x9, x10 = min(x9, x10), max(x9, x10)
    x11, x12 = min(x11, x12), max(x11, x12)
    x13, x14 = min(x13, x14), max(x13, x14)
    x19, x20 = min(x19, x20), max(x19, x20)
    x21, x22 = min(x21, x22), max(x21, x22)
    x23, x16 = min(x23, x16), max(x23, x16)
    x17, x18 = min(x17, x18), max(x17, x18)
    x19 = max(x3, x19)
    x20 = max(x4, x20)
    x21 = max(x5, x21)
    x22 = max(x6, x22)
    x23 = max(x7, x23)
    x8 = min(x8, x16)
    x9 = min(x9, x17)
    x10 = min(x10, x18)
    x11 = min(x11, x24)
    x0 = max(x8, x0)
    x1 = max(x9, x1)
    x2 = max(x10, x2)
    x19 = max(x11, x19)
    x12 = min(x12, x20)
    x13 = min(x13, x21)
    x14 = min(x14, x22)
    x15 = min(x15, x23)
    x0 = max(x12, x0)
    x1 = max(x13, x1)
    x14 = min(x14, x2)
    x15 = min(x15, x19)
    x0 = max(x14, x0)
    x15 = min(x15, x1)
    x15 = min(x15, x0)
    return x15


@jit
def median5(d):
    """5x5 median filter with edge replication.

    The same result as ``scipy.ndimage.median_filter(d, size=5, mode="nearest")``
    (a median is an order statistic: any exact selection returns the same
    value), several times faster: the default median step of the PDE solver.

    Parameters
    ----------
    d : (M, N) ndarray

    Returns
    -------
    (M, N) ndarray
    """
    m, n = d.shape
    out = np.empty_like(d)
    for i in range(m):
        r0, r1, r3, r4 = max(i - 2, 0), max(i - 1, 0), min(i + 1, m - 1), min(i + 2, m - 1)
        for j in range(n):
            c0, c1, c3, c4 = max(j - 2, 0), max(j - 1, 0), min(j + 1, n - 1), min(j + 2, n - 1)
            out[i, j] = _median25(
                d[r0, c0], d[r0, c1], d[r0, j], d[r0, c3], d[r0, c4],
                d[r1, c0], d[r1, c1], d[r1, j], d[r1, c3], d[r1, c4],
                d[i, c0], d[i, c1], d[i, j], d[i, c3], d[i, c4],
                d[r3, c0], d[r3, c1], d[r3, j], d[r3, c3], d[r3, c4],
                d[r4, c0], d[r4, c1], d[r4, j], d[r4, c3], d[r4, c4])
    return out
