"""Edge-aware aggregation of a cost volume with the guided filter.

Each disparity slice of the cost volume is smoothed by the guided filter of
He, Sun and Tang ("Guided image filtering", ECCV 2010, :DOI:`10.1109/TPAMI.2012.213`)
with the reference image as guide, as in the cost-volume filtering of
Hosni, Rhemann, Bleyer, Rother and Gelautz ("Fast cost-volume filtering for
visual correspondence and beyond", TPAMI 35(2), 2013). Inside a window the
output is an affine function of the guide's colour, so costs are averaged
over pixels of similar colour and not across colour edges: the support of a
pixel's cost stays on its own surface, which is what keeps depth edges from
fattening.

`cross_scale` adds the same filter applied at coarser scales, after the
cross-scale cost aggregation of Zhang, Fang, Min, Yang, Wang and Huang
("Cross-scale cost aggregation for stereo matching", CVPR 2014): costs
pooled over ``2^s x 2^s`` blocks are filtered with the pooled guide and
added back, upsampled, with weight ``decay^s``. A coarse scale sees a
window ``2^s`` times wider at the same cost per pixel, which settles
low-texture and repetitive areas that a fine window alone cannot.
"""

import numpy as np
from scipy.ndimage import uniform_filter, zoom

from .kernels.filters import box_mean, guided_coefficients, guided_output

__all__ = ["guided_filter", "cross_scale"]

CHUNK = 16
"""Disparity slices filtered at once: bounds the temporaries to a few slices."""


def _box(array, radius):
    """Mean over the ``(2r+1) x (2r+1)`` window of each slice (edge-replicating border)."""
    # scipy's uniform_filter, bit for bit, in a kernel that vectorizes across the slices.
    slices = np.ascontiguousarray(array).reshape(array.shape[:2] + (-1,))
    return box_mean(slices, radius).reshape(array.shape)


def _guide_box(array, radius):
    """`_box` of the guide's float64 statistics, by scipy itself.

    A few slices once per filter: not worth compiling the float64 version
    of the kernel on a first run, when the cost volume is float32.
    """
    size = (2 * radius + 1, 2 * radius + 1) + (1,) * (array.ndim - 2)
    return uniform_filter(array, size=size, mode="nearest")


def _inverse_covariance(guide, radius, eps):
    """Per-pixel ``(Sigma + eps I)^-1`` of the guide's colours in the window, and their means."""
    mean = _guide_box(guide, radius)
    channels = guide.shape[2]
    cov = np.empty(guide.shape[:2] + (channels, channels), np.float64)
    for a in range(channels):
        for b in range(a, channels):
            cov[:, :, a, b] = cov[:, :, b, a] = (
                _guide_box(guide[:, :, a] * guide[:, :, b], radius) - mean[:, :, a] * mean[:, :, b])
    cov += eps * np.eye(channels)
    return np.linalg.inv(cov), mean


def guided_filter(guide, volume, radius, eps, rows=None):
    """Filter every slice of ``volume`` with the guided filter of ``guide``.

    Parameters
    ----------
    guide : (M, N, C) ndarray
        Guide image (the reference view), gray or colour, in [0, 1].
    volume : (M, N, K) ndarray
        Cost volume, filtered slice by slice.
    radius : int
        Window radius, pixels (the window is ``2 radius + 1`` wide).
    eps : float
        Regularization of the affine fit: edges with a colour variance well
        above ``eps`` are kept.
    rows : int, optional
        Filter ``volume`` in place, ``rows`` image rows at a time, so that
        the temporaries hold a strip instead of the whole image (large
        images). The output of a row depends on the rows within
        ``2 radius`` of it only, so each strip is filtered with that margin
        and the result is the whole image's up to round-off (the box sums
        run over other rows). None: the whole image at once, into a new
        array.

    Returns
    -------
    (M, N, K) ndarray
        The filtered volume, in the dtype of ``volume`` (``volume`` itself
        when ``rows`` is given).
    """
    m = volume.shape[0]
    if rows is None:
        return _guided_filter(guide, volume, radius, eps)
    rows, margin = max(int(rows), 1), 2 * radius
    above = volume[:0].copy()  # the unfiltered rows [lo, start), overwritten in the volume already
    for start in range(0, m, rows):
        stop = min(start + rows, m)
        lo, hi = max(start - margin, 0), min(stop + margin, m)
        strip = np.concatenate([above, volume[start:hi]])  # row lo + r is strip[r], unfiltered
        out = _guided_filter(guide[lo:hi], strip, radius, eps)
        above = strip[max(stop - margin, 0) - lo:stop - lo].copy()
        volume[start:stop] = out[start - lo:stop - lo]
    return volume


def _guided_filter(guide, volume, radius, eps):
    """`guided_filter` of the whole of ``volume`` at once, into a new array."""
    guide64 = np.asarray(guide, np.float64)
    inv, mean = _inverse_covariance(guide64, radius, eps)
    # The per-slice work runs in the volume's precision (float32 halves the memory traffic).
    dtype = volume.dtype
    inv, mean, guide = (np.ascontiguousarray(x, dtype) for x in (inv, mean, guide64))
    channels = guide.shape[2]
    zero = dtype.type(0)
    out = np.empty_like(volume)
    for start in range(0, volume.shape[2], CHUNK):
        p = np.ascontiguousarray(volume[:, :, start:start + CHUNK])
        mean_ip = tuple(_box(guide[:, :, c, None] * p, radius) for c in range(channels))
        # a = (Sigma + eps)^-1 cov(I, p) and b = mean_p - a . mean_I, then their window means.
        a, b = tuple(np.empty_like(p) for _ in range(channels)), np.empty_like(p)
        guided_coefficients(_box(p, radius), mean_ip, mean, inv, zero, a, b)
        del mean_ip
        guided_output(tuple(_box(a_c, radius) for a_c in a), _box(b, radius), guide, zero,
                      out[:, :, start:start + CHUNK])
    return out


def _pool(array, factor):
    """Means over ``factor x factor`` blocks (the last blocks edge-padded)."""
    rows, cols = (-(-n // factor) * factor for n in array.shape[:2])
    pad = [(0, rows - array.shape[0]), (0, cols - array.shape[1])] + [(0, 0)] * (array.ndim - 2)
    array = np.pad(array, pad, mode="edge")
    blocks = array.reshape(rows // factor, factor, cols // factor, factor, *array.shape[2:])
    return np.ascontiguousarray(blocks.mean(axis=(1, 3), dtype=np.float64), array.dtype)


def _add_upsampled(out, coarse, factor, weight):
    """``out += weight * coarse`` upsampled bilinearly by ``factor`` (pixel areas aligned)."""
    rows, cols = out.shape[:2]
    for start in range(0, out.shape[2], CHUNK):
        fine = zoom(coarse[:, :, start:start + CHUNK], (factor, factor, 1), order=1, mode="nearest",
                    grid_mode=True)
        out[:, :, start:start + CHUNK] += weight * fine[:rows, :cols]


def cross_scale(guide, volume, radius, eps, scales, decay):
    """`guided_filter` at the full scale and at ``scales`` coarser ones, combined.

    Parameters
    ----------
    guide, volume, radius, eps
        As for `guided_filter`; every scale uses the same ``radius`` in its
        own pixels.
    scales : int
        Coarser scales added (0: `guided_filter` alone); scale ``s`` pools
        ``2^s x 2^s`` blocks.
    decay : float
        Weight of a scale relative to the next finer one.

    Returns
    -------
    (M, N, K) ndarray
        ``sum_s decay^s up_s(GF(pool_s(volume)))`` divided by the sum of the
        weights, so that the cost keeps its scale against the regularizer.
    """
    out = guided_filter(guide, volume, radius, eps)
    total = 1.0
    for s in range(1, scales + 1):
        factor, weight = 2 ** s, decay ** s
        if min(volume.shape[:2]) < factor * (2 * radius + 1):
            break  # a window as large as the image: nothing local left to add
        coarse = guided_filter(_pool(guide, factor), _pool(volume, factor), radius, eps)
        _add_upsampled(out, coarse, factor, weight)
        total += weight
    out /= total
    return out
