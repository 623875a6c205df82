"""Warping of images by a disparity field along the rows of a rectified pair.

Rectified images only move along ``x``, so warping is 1-D interpolation in
each row: linear (``order=1``, the row cut of bilinear) or cubic (``order=3``,
Keys' convolution kernel with ``a = -1/2``, the row cut of bicubic). Besides
the values, the kernel returns the exact ``x``-derivative of the interpolant at
the sample point, so that the derivative of the data term in ``d`` is the
derivative of the very energy that is evaluated (discretize, then optimize).

Coordinates are clamped to ``[0, N - 1]``; where a sample falls outside, the
clamped interpolant is constant in ``x`` and its derivative is zero, and the
pixel is flagged in the returned ``outside`` mask.
"""

import numpy as np

from .._jit import inner, jit


@inner
def _keys(t):
    """Weights and their derivatives of Keys' cubic for fractional offset t."""
    # Catmull-Rom (a = -1/2) weights for the samples at -1, 0, 1, 2.
    t2 = t * t
    t3 = t2 * t
    w0 = -0.5 * t3 + t2 - 0.5 * t
    w1 = 1.5 * t3 - 2.5 * t2 + 1.0
    w2 = -1.5 * t3 + 2.0 * t2 + 0.5 * t
    w3 = 0.5 * t3 - 0.5 * t2
    g0 = -1.5 * t2 + 2.0 * t - 0.5
    g1 = 4.5 * t2 - 5.0 * t
    g2 = -4.5 * t2 + 4.0 * t + 0.5
    g3 = 1.5 * t2 - t
    return w0, w1, w2, w3, g0, g1, g2, g3


@jit
def warp(features, d, sign, order, with_slopes=True):
    """Sample every feature image at ``x + sign * d(x)`` along its row.

    Parameters
    ----------
    features : (K, M, N) ndarray
        Images to warp (e.g. the right image and its derivatives).
    d : (M, N) ndarray
        Disparity of the reference view.
    sign : int
        ``-1`` for the left view (``g_l = (x - d_l, y)``), ``+1`` for the
        right view (``g_r = (x + d_r, y)``).
    order : int
        1 for linear, 3 for cubic interpolation.
    with_slopes : bool
        Whether to compute ``slopes`` (a sampled cost needs the values only:
        half the arithmetic). Pass it always: a call that omits it compiles
        a specialization of its own.

    Returns
    -------
    values : (K, M, N) ndarray
        Warped features.
    slopes : (K, M, N) ndarray
        ``d/dx`` of each interpolant at the sample point (0 where clamped);
        the derivative in ``d`` is ``sign * slopes``. Empty (shape
        ``(1, 1, 0)``) without ``with_slopes``.
    outside : (M, N) bool ndarray
        Samples that fall outside ``[0, N - 1]``.
    """
    k_count, m, n = features.shape
    values = np.empty_like(features)
    slopes = np.empty((k_count, m, n) if with_slopes else (1, 1, 0), features.dtype)
    outside = np.empty((m, n), dtype=np.bool_)  # every pixel written: no zero fill to compile
    # Interpolation taps and weights of one row, then every feature along that row: the
    # features are (K, M, N), so a pixel's K samples lie far apart while a row's are close.
    left = np.empty(n, dtype=np.int64)
    weight = np.empty((8, n))
    flat = np.empty(n, dtype=np.bool_)
    for i in range(m):
        # Without branches (clamping an inside sample changes nothing), so that it vectorizes.
        last = max(n - 2.0, 0.0)
        for j in range(n):
            xs = j + sign * d[i, j]
            clamped = (xs < 0.0) | (xs > n - 1)
            outside[i, j] = clamped
            flat[j] = clamped
            xs = min(max(xs, 0.0), n - 1.0)
            x0 = min(np.floor(xs), last)
            left[j] = int(x0)
            t = xs - x0
            if order == 1:
                weight[0, j] = t
            else:
                w0, w1, w2, w3, g0, g1, g2, g3 = _keys(t)
                weight[0, j], weight[1, j], weight[2, j], weight[3, j] = w0, w1, w2, w3
                weight[4, j], weight[5, j], weight[6, j], weight[7, j] = g0, g1, g2, g3
        # Where the taps move with j (left[j] = j + shift, no clamping, e.g. a constant d as
        # when a cost volume is sampled), the cubic loop reads the row at fixed offsets and
        # vectorizes; elsewhere it gathers pixel by pixel. The same sums either way.
        lo, hi, shift = _regular_run(left, flat, n) if order == 3 else (0, 0, 0)
        for k in range(k_count):
            f = features[k, i]
            slope_row = slopes[k, i] if with_slopes else slopes[0, 0]  # (an empty row: never written)
            if hi > lo:
                _cubic_run(f[lo + shift - 1:hi + shift + 2], weight[0, lo:hi], weight[1, lo:hi],
                           weight[2, lo:hi], weight[3, lo:hi], values[k, i, lo:hi])
                if with_slopes:
                    _cubic_run(f[lo + shift - 1:hi + shift + 2], weight[4, lo:hi], weight[5, lo:hi],
                               weight[6, lo:hi], weight[7, lo:hi], slope_row[lo:hi])
            if order == 1:
                for j in range(n):
                    x0 = left[j]
                    x1 = min(x0 + 1, n - 1)
                    a = f[x0]
                    b = f[x1]
                    values[k, i, j] = a + weight[0, j] * (b - a)
                    if with_slopes:
                        slope_row[j] = 0.0 if flat[j] else b - a
            else:
                _cubic_gather(f, left, flat, weight, values[k, i], slope_row, with_slopes, range(lo))
                _cubic_gather(f, left, flat, weight, values[k, i], slope_row, with_slopes, range(hi, n))
    return values, slopes, outside


@inner
def _regular_run(left, flat, n):
    """The run ``[lo, hi)`` around the middle column where ``left[j] = j + shift`` with all
    four cubic taps inside the row and no clamping; ``(0, 0, 0)`` if it is shorter than 8
    (one test of the middle's neighbours tells a disparity that varies)."""
    mid = n // 2
    shift = left[mid] - mid
    lo = mid
    while lo > 0 and not flat[lo - 1] and left[lo - 1] - (lo - 1) == shift and left[lo - 1] >= 1:
        lo -= 1
    hi = mid
    while hi < n and not flat[hi] and left[hi] - hi == shift and 1 <= left[hi] <= n - 3:
        hi += 1
    if hi - lo < 8:
        return 0, 0, 0
    # The run's columns left of the middle: their last tap is inside since the middle's is.
    return lo, hi, shift


@inner
def _cubic_run(f, w0, w1, w2, w3, out):
    """``out[t] = sum_k w_k[t] f[t + k]`` along a run: ``f[t:t + 4]`` are the taps of output ``t``.

    With the value weights the cubic values, with the derivative weights the slopes.
    """
    for t in range(out.shape[0]):
        out[t] = w0[t] * f[t] + w1[t] * f[t + 1] + w2[t] * f[t + 2] + w3[t] * f[t + 3]


@inner
def _cubic_gather(f, left, flat, weight, values, slopes, with_slopes, columns):
    """Cubic values (and slopes) of the ``columns`` (a range) of a row, tap by tap."""
    # A range, not its bounds: a literal 0 bound would compile a second specialization.
    n = f.shape[0]
    for j in columns:
        x0 = left[j]
        f0 = f[max(x0 - 1, 0)]
        f1 = f[x0]
        f2 = f[min(x0 + 1, n - 1)]
        f3 = f[min(x0 + 2, n - 1)]
        values[j] = weight[0, j] * f0 + weight[1, j] * f1 + weight[2, j] * f2 + weight[3, j] * f3
        if not with_slopes:
            continue
        if flat[j]:
            slopes[j] = 0.0
        else:
            slopes[j] = weight[4, j] * f0 + weight[5, j] * f1 + weight[6, j] * f2 + weight[7, j] * f3
