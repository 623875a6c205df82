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
def _select_weighted_median(values, weights, count):
    """The smallest of ``values[:count]`` whose cumulative weight reaches half the total.

    Quickselect with a three-way partition (linear on average, in place):
    no sort of the whole window.
    """
    half = 0.0
    for k in range(count):
        half += weights[k]
    half *= 0.5
    below = 0.0  # weight of the values known to be smaller than those in [lo, hi]
    lo, hi = 0, count - 1
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
        for j in range(n):
            if not mask[i, j]:
                continue
            count = 0
            for a in range(max(i - radius, 0), min(i + radius + 1, m)):
                for b in range(max(j - radius, 0), min(j + radius + 1, n)):
                    c = 0.0
                    for k in range(channels):
                        diff = image[a, b, k] - image[i, j, k]
                        c += diff * diff
                    values[count] = d[a, b]
                    weights[count] = math.exp(-c * inv_color - spatial[a - i + radius, b - j + radius])
                    count += 1
            out[i, j] = _select_weighted_median(values, weights, count)
    return out
