"""Image filters: Gaussian blur, box mean, the guided filter's arithmetic, the weighted median.

Each filter is a Numba kernel that reproduces a reference to the bit or to
round-off (scipy's ``gaussian_filter`` and ``uniform_filter``, NumPy's order of
operations for the guided filter, an exact selection for the medians), tested
against it in ``tests/test_filters.py``.

- `gaussian_blur`: the blur ``e_occl * G_sigma`` of the occlusion energy (eq. 19).
- `box_mean`: the window means of the guided filter, per cost-volume slice.
- `guided_coefficients`, `guided_output`: the per-pixel arithmetic of the
  guided filter of He, Sun and Tang (ECCV 2010) between its box filters
  (`msstereo.solvers.cost.guided_filter`).
- `weighted_median`: the image-guided weighted median of the finished
  disparities (Sun, Roth and Black, CVPR 2010, :DOI:`10.1109/CVPR.2010.5539939`);
  `median5`: the 5x5 median between warps.
- `add_upsampled`: a coarser scale's cost added to the finer one
  (`msstereo.solvers.cost.cross_scale`).
"""

import math

import numpy as np

from .._jit import inner, jit


@jit
def gaussian_radius(sigma):
    """Radius ``ceil(3 sigma)`` of the truncated Gaussian of `gaussian_blur`.

    ``ceil`` keeps at least three standard deviations on each side. The
    same kernel is ``scipy.ndimage.gaussian_filter(..., truncate=r / sigma)``
    (scipy's radius is ``int(truncate * sigma + 0.5)``, which gives back
    ``r``) or ``radius=r``.
    """
    return int(math.ceil(3.0 * sigma))


@inner
def _gaussian_weights(sigma, radius):
    """Normalized 1-D Gaussian weights on ``-radius..radius``, as scipy builds them."""
    w = np.empty(2 * radius + 1)
    scale = -0.5 / (sigma * sigma)
    total = 0.0
    for k in range(-radius, radius + 1):
        w[k + radius] = math.exp(scale * k * k)
        total += w[k + radius]
    for k in range(2 * radius + 1):
        w[k] /= total
    return w


@inner
def _blur_axis0(image, w, radius):
    """Correlate along axis 0 with edge replication (scipy mode 'nearest')."""
    m, n = image.shape
    out = np.empty_like(image)
    for i in range(m):
        for j in range(n):
            acc = 0.0
            for k in range(-radius, radius + 1):
                acc += w[k + radius] * image[min(max(i + k, 0), m - 1), j]
            out[i, j] = acc
    return out


@inner
def _blur_axis1_inplace(image, w, radius):
    """`_blur_axis0` along axis 1, in place: each row is copied first (the same sums)."""
    m, n = image.shape
    row = np.empty(n, image.dtype)
    for i in range(m):
        # A loop, not ``row[:] = image[i]``: a slice assignment makes Numba compile its
        # shape-mismatch message (string formatting) on first use.
        for j in range(n):
            row[j] = image[i, j]
        for j in range(n):
            acc = 0.0
            for k in range(-radius, radius + 1):
                acc += w[k + radius] * row[min(max(j + k, 0), n - 1)]
            image[i, j] = acc


@jit
def gaussian_blur(image, sigma):
    """Separable Gaussian blur ``G_sigma * image`` of eq. 19.

    Kernel truncated at ``radius = ceil(3 sigma)`` (`gaussian_radius`),
    normalized to sum 1, with the edge-replicating ('nearest') boundary so
    that an occluded band at the image border is not diluted by an
    imaginary zero outside. Axis 0 is filtered first and the intermediate is
    stored in the input dtype, as ``scipy.ndimage.gaussian_filter`` does, so
    both agree to round-off.

    Parameters
    ----------
    image : (M, N) ndarray
    sigma : float
        Standard deviation in pixels; 0 returns a copy.

    Returns
    -------
    (M, N) ndarray
    """
    if sigma < 0.0:
        raise ValueError("sigma must be non-negative")
    if sigma == 0.0:
        return image.copy()
    radius = gaussian_radius(sigma)
    w = _gaussian_weights(sigma, radius)
    out = _blur_axis0(image, w, radius)
    _blur_axis1_inplace(out, w, radius)
    return out


@inner
def _running_mean(u, radius, out):
    """Mean of ``u`` over ``2 radius + 1`` rows centred on each row, rows clamped at the ends.

    Every column is one line of ``scipy.ndimage.uniform_filter1d(..., axis=0,
    mode="nearest")`` with its arithmetic (a running sum in float64 of the
    line's values, divided by the size), so the result is scipy's bit for
    bit; the columns are updated together, a contiguous loop that vectorizes.
    """
    m, p = u.shape
    size = float(2 * radius + 1)
    total = np.zeros(p)
    for row in range(-radius, radius + 1):
        src = min(max(row, 0), m - 1)
        for q in range(p):
            total[q] += u[src, q]
    for q in range(p):
        out[0, q] = total[q] / size
    for i in range(1, m):
        add = min(i + radius, m - 1)
        sub = max(i - radius - 1, 0)
        for q in range(p):
            total[q] += np.float64(u[add, q]) - np.float64(u[sub, q])
            out[i, q] = total[q] / size


@jit
def box_mean(u, radius):
    """Mean of each slice over the ``(2 radius + 1)^2`` window, edge replicated.

    ``scipy.ndimage.uniform_filter(u, size=(2 r + 1, 2 r + 1, 1), mode="nearest")``
    bit for bit (rows, then columns, the intermediate stored in the dtype
    of ``u``, as scipy does), several times faster on a cost volume.

    Parameters
    ----------
    u : (M, N, L) ndarray
        C-contiguous.
    radius : int

    Returns
    -------
    (M, N, L) ndarray
    """
    m, n, depth = u.shape
    rows = np.empty_like(u)
    _running_mean(u.reshape(m, n * depth), radius, rows.reshape(m, n * depth))
    out = np.empty_like(u)
    for i in range(m):
        _running_mean(rows[i], radius, out[i])
    return out


@jit
def guided_coefficients(mean_p, mean_ip, mean, inv, zero, a, b):
    """``a_c = sum_e inv_ce (mean(I_e p) - mean_e mean_p)`` and ``b = mean_p - sum_c a_c mean_c``.

    Parameters
    ----------
    mean_p : (M, N, L) ndarray
        Window means of the cost slices.
    mean_ip : tuple of (M, N, L) ndarray
        Window means of ``I_c p``, one per guide channel.
    mean, inv : (M, N, C), (M, N, C, C) ndarray
        The guide's window means and ``(Sigma + eps I)^-1``.
    zero : scalar
        0 in the volume's dtype, where the sums start.
    a : tuple of (M, N, L) ndarray
        Out: ``a_c``.
    b : (M, N, L) ndarray
        Out: ``b``.
    """
    m, n, depth = mean_p.shape
    channels = len(mean_ip)
    cov = np.empty((channels, depth), mean_p.dtype)
    acc = np.empty(depth, mean_p.dtype)
    for i in range(m):
        for j in range(n):
            for e in range(channels):
                mean_e = mean[i, j, e]
                ip = mean_ip[e]
                for k in range(depth):
                    cov[e, k] = ip[i, j, k] - mean_e * mean_p[i, j, k]
            for k in range(depth):
                b[i, j, k] = mean_p[i, j, k]
            for c in range(channels):
                for k in range(depth):
                    acc[k] = zero
                for e in range(channels):
                    w = inv[i, j, c, e]
                    for k in range(depth):
                        acc[k] += w * cov[e, k]
                mean_c = mean[i, j, c]
                out = a[c]
                for k in range(depth):
                    out[i, j, k] = acc[k]
                    b[i, j, k] -= acc[k] * mean_c


@jit
def guided_output(mean_a, mean_b, guide, zero, out):
    """``q = sum_c mean(a_c) I_c + mean(b)`` into ``out`` (a chunk of slices of the filtered volume)."""
    m, n, depth = mean_b.shape
    q = np.empty(depth, mean_b.dtype)
    for i in range(m):
        for j in range(n):
            for k in range(depth):
                q[k] = zero
            for c in range(len(mean_a)):
                g = guide[i, j, c]
                ma = mean_a[c]
                for k in range(depth):
                    q[k] += ma[i, j, k] * g
            for k in range(depth):
                out[i, j, k] = q[k] + mean_b[i, j, k]


@inner
def _upsampling_taps(size, coarse_size, factor):
    """Per fine index of an axis, the two coarse taps and their weights of `add_upsampled`.

    Pixel areas aligned: fine ``i`` sits at coarse ``(i + 1/2) / factor - 1/2``,
    taps clamped into the coarse axis; the weights ``1 - x`` and ``1 - (1 - x)``
    as scipy computes its linear spline's.
    """
    first = np.empty(size, np.int64)
    second = np.empty(size, np.int64)
    weights = np.empty((size, 2))
    for i in range(size):
        c = (i + 0.5) * (1.0 / factor) - 0.5
        start = math.floor(c)
        w = 1.0 - (c - start)
        weights[i, 0], weights[i, 1] = w, 1.0 - w
        first[i] = min(max(start, 0), coarse_size - 1)
        second[i] = min(max(start + 1, 0), coarse_size - 1)
    return first, second, weights


@jit
def add_upsampled(out, coarse, factor, weight):
    """``out += weight * up(coarse)``: each slice upsampled bilinearly by ``factor``.

    ``up`` is ``scipy.ndimage.zoom(coarse, (factor, factor, 1), order=1,
    mode="nearest", grid_mode=True)`` cut to ``out``'s rows and columns, bit
    for bit for a power-of-two ``factor`` (the taps' coordinates and weights
    are then exact, and the four products are summed in double precision in
    scipy's order, then rounded to the dtype of ``out``), without the zoomed
    volume in memory.

    Parameters
    ----------
    out : (M, N, L) ndarray
        Updated in place.
    coarse : (m, n, L) ndarray
        With ``factor m >= M`` and ``factor n >= N``.
    factor : int
    weight : scalar of the dtype of ``out``
        So that the product is taken in that precision, as NumPy takes a
        Python float times an array.
    """
    rows, cols, depth = out.shape
    r0, r1, wr = _upsampling_taps(rows, coarse.shape[0], factor)
    c0, c1, wc = _upsampling_taps(cols, coarse.shape[1], factor)
    fine = np.empty(depth, out.dtype)
    for i in range(rows):
        for j in range(cols):
            a, b, c, d = coarse[r0[i], c0[j]], coarse[r0[i], c1[j]], coarse[r1[i], c0[j]], coarse[r1[i], c1[j]]
            for k in range(depth):
                t = 0.0
                t += float(a[k]) * wr[i, 0] * wc[j, 0]
                t += float(b[k]) * wr[i, 0] * wc[j, 1]
                t += float(c[k]) * wr[i, 1] * wc[j, 0]
                t += float(d[k]) * wr[i, 1] * wc[j, 1]
                fine[k] = t
            for k in range(depth):
                out[i, j, k] += weight * fine[k]


@inner
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
    """The weighted median of ``values`` with positive ``weights``, found first near two guesses.

    The smallest value whose cumulative weight (values in increasing order)
    reaches half the total. Each guess ``g`` is tested by the weights below
    and at it: the answer is ``g``, below it or above it. The guesses are
    the medians of the pixel's left and upper neighbours, which share most
    of its window, so that the two tests usually leave a few values between
    them for the quickselect (`_select_weighted`) instead of the window.
    Values in ``values`` and ``weights`` are reordered.
    """
    count = values.shape[0]
    half = below_1 = at_1 = below_2 = at_2 = 0.0
    for k in range(count):  # no branches: both guesses in one pass
        v, w = values[k], weights[k]
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


GUIDE_LEVELS = 255
"""Steps of the weighted median's guide per unit of intensity (`guide_levels`)."""


def guide_levels(image):
    """The weighted median's guide: ``image`` in [0, 1] rounded to 8-bit levels, ``(M, N, C)`` uint8.

    The colour weight is then a product of one table entry per channel
    (`weighted_median`), with no exponential per window pixel; 8 bits are
    the precision of the images the weight compares (a level is 0.4 % of
    the range, a tenth of the default ``median_color``).

    Made in strips of `GUIDE_STRIP` rows: the float64 arithmetic then holds
    a strip, not up to three float64 copies of the image per view (24 bytes
    per pixel and channel, both views' medians side by side).
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, None]
    levels = np.empty(image.shape, np.uint8)
    for top in range(0, image.shape[0], GUIDE_STRIP):
        strip = np.asarray(image[top:top + GUIDE_STRIP], np.float64)
        levels[top:top + GUIDE_STRIP] = np.rint(np.clip(strip, 0.0, 1.0) * GUIDE_LEVELS)
    return levels


GUIDE_STRIP = 64
"""Rows per strip of `guide_levels`."""


@inner
def _median_tables(radius, sigma_color, sigma_space):
    """The weights of `weighted_median`: per colour step ``exp(-(q / 255)^2 / (2 sigma_c^2))``, per offset in space."""
    colour = np.empty(GUIDE_LEVELS + 1)
    for q in range(GUIDE_LEVELS + 1):
        x = q / GUIDE_LEVELS
        colour[q] = math.exp(-x * x / (2.0 * sigma_color ** 2))
    side = 2 * radius + 1
    spatial = np.empty((side, side))
    for a in range(side):
        for b in range(side):
            spatial[a, b] = math.exp(-((a - radius) ** 2 + (b - radius) ** 2) / (2.0 * sigma_space ** 2))
    return colour, spatial


@jit
def weighted_median(d, guide, mask, radius, sigma_color, sigma_space, support=None):
    """Joint weighted median of ``d`` at the pixels of ``mask``.

    The weight of a window pixel ``y`` for the centre ``x`` is

        w(x, y) = s(y) exp(-|y - x|^2 / (2 sigma_space^2)) prod_c exp(-(I_c(y) - I_c(x))^2 / (2 sigma_color^2)),

    the Gaussian of distance times the Gaussian of colour difference (one
    factor per channel, read from a table of the 256 differences of 8-bit
    levels), times the ``support`` ``s(y)`` of the pixel's own value (1
    without one): a value that is likely wrong (a low confidence) then
    has less say in its neighbours' medians.

    Parameters
    ----------
    d : (M, N) ndarray
        Disparity.
    guide : (M, N, C) uint8 ndarray
        Guide image in 8-bit levels (`guide_levels`).
    mask : (M, N) bool ndarray
        Pixels to filter; the others are copied.
    radius : int
        Window radius: the neighbours ``y`` with ``|y - x|_inf <= radius``
        inside the image (no border padding).
    sigma_color, sigma_space : float
        Widths of the colour and distance weights (image units and pixels).
    support : (M, N) ndarray, optional
        Non-negative weight of each pixel's value as a candidate of the
        medians around it (None: 1 everywhere).

    Returns
    -------
    (M, N) ndarray
        The filtered copy: at each masked pixel the smallest window value
        whose cumulative weight (values in increasing order) reaches half
        the window's total weight.
    """
    m, n = d.shape
    channels = guide.shape[2]
    colour, spatial = _median_tables(radius, sigma_color, sigma_space)
    side = 2 * radius + 1
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
            centre = guide[i, j]
            count = 0
            for a in range(a0, a1):
                row = guide[a, b0:b1]
                near = spatial[a - i + radius, b0 - j + radius:b1 - j + radius]
                for b in range(width):
                    w = near[b]
                    for c in range(channels):
                        w *= colour[abs(np.int32(row[b, c]) - np.int32(centre[c]))]
                    if support is not None:  # pruned at compile time where there is none
                        w *= support[a, b0 + b]
                    values[count + b] = d[a, b0 + b]
                    weights[count + b] = w
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
@inner
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
