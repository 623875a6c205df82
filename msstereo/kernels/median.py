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
            order = np.argsort(values[:count])
            half = 0.0
            for k in range(count):
                half += weights[k]
            half *= 0.5
            cumulative = 0.0
            for k in range(count):
                cumulative += weights[order[k]]
                if cumulative >= half:
                    out[i, j] = values[order[k]]
                    break
    return out
