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
"""

import numpy as np
from scipy.ndimage import uniform_filter

__all__ = ["guided_filter"]

CHUNK = 16
"""Disparity slices filtered at once: bounds the temporaries to a few slices."""


def _box(array, radius):
    """Mean over the ``(2r+1) x (2r+1)`` window of each slice (edge-replicating border)."""
    size = (2 * radius + 1, 2 * radius + 1) + (1,) * (array.ndim - 2)
    return uniform_filter(array, size=size, mode="nearest")


def _inverse_covariance(guide, radius, eps):
    """Per-pixel ``(Sigma + eps I)^-1`` of the guide's colours in the window, and their means."""
    mean = _box(guide, radius)
    channels = guide.shape[2]
    cov = np.empty(guide.shape[:2] + (channels, channels), np.float64)
    for a in range(channels):
        for b in range(a, channels):
            cov[:, :, a, b] = cov[:, :, b, a] = (
                _box(guide[:, :, a] * guide[:, :, b], radius) - mean[:, :, a] * mean[:, :, b])
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
    out = np.empty_like(volume)
    for start in range(0, volume.shape[2], CHUNK):
        p = np.ascontiguousarray(volume[:, :, start:start + CHUNK])
        mean_p = _box(p, radius)
        # cov(I_c, p) per channel, then a = (Sigma + eps)^-1 cov and b = mean_p - a . mean_I.
        cov_ip = [_box(guide[:, :, c, None] * p, radius) - mean[:, :, c, None] * mean_p
                  for c in range(channels)]
        b, q = mean_p, np.zeros_like(p)
        for c in range(channels):
            a_c = sum(inv[:, :, c, e, None] * cov_ip[e] for e in range(channels))
            b -= a_c * mean[:, :, c, None]
            q += _box(a_c, radius) * guide[:, :, c, None]
        out[:, :, start:start + CHUNK] = q + _box(b, radius)
    return out
