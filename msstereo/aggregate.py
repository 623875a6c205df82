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

from .kernels.grid import box_mean

__all__ = ["guided_filter"]

CHUNK = 16
"""Disparity slices filtered at once: bounds the temporaries to a few slices."""


def _box(array, radius):
    """Mean over the ``(2r+1) x (2r+1)`` window of each slice (edge-replicating border)."""
    # scipy's uniform_filter, bit for bit, in a kernel that vectorizes across the slices.
    slices = np.ascontiguousarray(array).reshape(array.shape[:2] + (-1,))
    return box_mean(slices, radius).reshape(array.shape)


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


def guided_filter(guide, volume, radius, eps):
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

    Returns
    -------
    (M, N, K) ndarray
        The filtered volume, in the dtype of ``volume``.
    """
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
