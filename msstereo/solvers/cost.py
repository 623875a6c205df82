"""The sampled data term of the relaxation solver: cost volume, census mix, aggregation.

`cost_volume` samples a view's data term ``e_d`` (`msstereo.energy.DataTerm`,
the same warp and kernels, so the samples are the energy's own data term) at
a grid of disparities, per pixel over the whole range or over a band; the
options beyond the paper that only a sampled cost can carry are added here:

- a census cost (``census > 0``, `msstereo.kernels.census`), whose
  sub-pixel samples compare signatures of the other view shifted by each
  fractional part instead of interpolating between integer shifts;
- edge-aware aggregation of each slice with the guided filter of He, Sun
  and Tang ("Guided image filtering", ECCV 2010, :DOI:`10.1109/TPAMI.2012.213`)
  with the reference image as guide, as in the cost-volume filtering of
  Hosni, Rhemann, Bleyer, Rother and Gelautz ("Fast cost-volume filtering
  for visual correspondence and beyond", TPAMI 35(2), 2013): inside a window
  the output is an affine function of the guide's colour, so costs are
  averaged over pixels of similar colour and not across colour edges;
- cross-scale aggregation (``aggregate_scales > 0``) after Zhang, Fang, Min,
  Yang, Wang and Huang ("Cross-scale cost aggregation for stereo matching",
  CVPR 2014): costs pooled over ``2^s x 2^s`` blocks are filtered with the
  pooled guide and added back, upsampled, with weight ``decay^s``.
"""

import numpy as np
from scipy.ndimage import uniform_filter

from ..energy import channels, gray
from ..kernels.census import add_census_cost, census_transform
from ..kernels.data_term import data_cost
from ..kernels.filters import add_upsampled, box_mean, guided_coefficients, guided_output
from ..kernels.warp import warp

__all__ = ["cost_volume", "guided_filter", "cross_scale", "in_strips"]

CHUNK = 16
"""Disparity slices filtered at once: bounds the temporaries to a few slices."""

DATA_STRIP_BYTES = 2 * 2**20
"""Bytes of cost volume per strip of rows in which the data term and census are sampled."""

FILTER_STRIP_BYTES = 4 * 2**20
"""Bytes per temporary array of the guided filter when a cost volume is made in strips."""


def cost_volume(data, k0, h, count, base=None, rows=None):
    """A view's data term at the disparities ``k0 + (base + j) h``, ``j < count``, with the model's additions.

    Each slice is ``e_d`` at ``d = k0 + (base + j) h``, plus the census cost
    when the model mixes one in (``census > 0``), aggregated by the guided
    filter of the reference image when the model asks for it
    (``aggregate > 0``, `guided_filter`), at coarser scales too when
    ``aggregate_scales > 0`` (`cross_scale`).

    Parameters
    ----------
    data : DataTerm
        The view's data term (features, sign, model).
    k0, h : float
        First sample of the grid and spacing.
    count : int
        Samples per pixel.
    base : (M, N) int ndarray, optional
        Index on the grid of each pixel's first sample: a band of ``count``
        samples per pixel (`msstereo.solvers.relax`). The aggregation then
        filters slice ``j``, which holds each pixel's own ``j``-th sample:
        where the base differs between neighbours it mixes their costs at
        nearby, not equal, disparities. None: 0 everywhere.
    rows : int, optional
        Work on strips of this many image rows (each row's data term and
        census depend on a few rows around it only), so that the temporaries
        hold a strip, not the image; the volume is the same. None: the whole
        image at once.

    Returns
    -------
    (M, N, count) ndarray
        Samples of a pixel contiguous, as the search reads them.
    """
    m_rows, n = data.shape
    volume = np.empty(data.shape + (count,), data.dtype)
    model = data.model
    # Strips of rows for the data term and census: each row's samples depend on a few rows
    # around it only, and a strip's slices stay in cache while they are written into the
    # volume's per-pixel order.
    step = max(min(m_rows if rows is None else int(rows), DATA_STRIP_BYTES // (n * count * volume.itemsize)), 1)
    # The grid's samples that any pixel uses, for the census of each fractional part.
    grid = count if base is None else int(base.max()) + count
    census = _census_setup(k0 + h * np.arange(grid)) if model.census > 0 else None
    for start in range(0, m_rows, step):
        part = slice(start, min(start + step, m_rows))
        shape = (part.stop - part.start, n)
        whole = step == m_rows
        f_ref = data.f_ref if whole else np.ascontiguousarray(data.f_ref[:, part])
        f_other = data.f_other if whole else np.ascontiguousarray(data.f_other[:, part])
        for j in range(count):
            if base is None:
                d = np.full(shape, k0 + j * h, data.dtype)
            else:
                d = (k0 + (base[part] + j) * h).astype(data.dtype)
            values = warp(f_other, d, data.sign, model.interpolation, False)[0]
            volume[part, :, j] = data_cost(f_ref, values, data.weights, model.eta)
        if census is not None:
            _add_census(data, volume[part], part, census, np.zeros(shape, np.int32) if base is None else base[part])
    if model.aggregate > 0:
        guide = channels(data.f_ref, data.stride)
        if rows is not None:
            # The filter's temporaries are a dozen arrays of one chunk of slices of a strip:
            # strips of about FILTER_STRIP_BYTES per array.
            rows = max(FILTER_STRIP_BYTES // (n * min(count, CHUNK) * volume.itemsize), 2 * model.aggregate)
        volume = cross_scale(guide, volume, model.aggregate, model.aggregate_eps, model.aggregate_scales,
                             model.aggregate_decay, rows)
    return volume


def _census_setup(samples):
    """The fractional parts of the grid's ``samples``, each sample's part and whole shift."""
    whole = np.floor(samples + 1e-6)
    fractions, which = np.unique(np.round(samples - whole, 6), return_inverse=True)
    return fractions, which.astype(np.int64), whole.astype(np.int64)


def _add_census(data, volume, part, census, base):
    """Add the census cost of every sample to the rows ``part`` of the volume (`add_census_cost`).

    The other view is shifted by each distinct fractional part of the
    samples (the data term's warp, at a constant disparity) before its
    census transform: sub-pixel samples then compare real signatures instead
    of interpolating Hamming distances between integer shifts, which would
    lock the disparity to whole pixels. The transforms see ``radius`` rows
    beyond the strip, so a strip's signatures are the whole image's.
    """
    m = data.model
    fractions, which, whole = census
    radius = m.census_window // 2
    lo, hi = max(part.start - radius, 0), min(part.stop + radius, data.shape[0])
    inner = slice(part.start - lo, part.stop - lo)
    ref, other = gray(data.f_ref[:, lo:hi], data.stride), gray(data.f_other[:, lo:hi], data.stride)[None]
    shifted = np.stack([census_transform(warp(other, np.full(ref.shape, f, data.dtype), data.sign,
                                              m.interpolation, False)[0][0], radius)[inner]
                        for f in fractions])
    add_census_cost(volume, np.ascontiguousarray(census_transform(ref, radius)[inner]), shifted,
                    which, whole, data.sign, m.census / ((2 * radius + 1) ** 2 - 1), base)


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
        run over other rows; `in_strips`). None: the whole image at once,
        into a new array.

    Returns
    -------
    (M, N, K) ndarray
        The filtered volume, in the dtype of ``volume`` (``volume`` itself
        when ``rows`` is given).
    """
    if rows is None:
        return _guided_filter(guide, volume, radius, eps)
    return in_strips(lambda g, v: _guided_filter(g, v, radius, eps), guide, volume, max(int(rows), 1), 2 * radius)


def in_strips(filter_rows, guide, volume, rows, margin):
    """``filter_rows(guide, volume)`` of the whole image, computed in place ``rows`` rows at a time.

    ``filter_rows`` returns a new array whose row depends on the rows within
    ``margin`` of it only: each strip is filtered with that margin above and
    below, and its own rows are written back. The rows above a strip are
    already filtered in ``volume``: their unfiltered values are kept aside.
    ``rows`` and ``margin`` multiples of a block size keep every strip's
    first row on a multiple of it (`cross_scale` pools such blocks).
    """
    m = volume.shape[0]
    above = volume[:0].copy()  # the unfiltered rows [lo, start), overwritten in the volume already
    for start in range(0, m, rows):
        stop = min(start + rows, m)
        lo, hi = max(start - margin, 0), min(stop + margin, m)
        strip = np.concatenate([above, volume[start:hi]])  # row lo + r is strip[r], unfiltered
        out = filter_rows(guide[lo:hi], strip)
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
        # The output goes to b, free once its window means are taken: a contiguous chunk, so that
        # the kernel is compiled for one memory layout, whatever the number of slices.
        guided_output(tuple(_box(a_c, radius) for a_c in a), _box(b, radius), guide, zero, b)
        out[:, :, start:start + CHUNK] = b
    return out


def _pool(array, factor):
    """Means over ``factor x factor`` blocks (the last blocks edge-padded)."""
    rows, cols = (-(-n // factor) * factor for n in array.shape[:2])
    pad = [(0, rows - array.shape[0]), (0, cols - array.shape[1])] + [(0, 0)] * (array.ndim - 2)
    array = np.pad(array, pad, mode="edge")
    blocks = array.reshape(rows // factor, factor, cols // factor, factor, *array.shape[2:])
    return np.ascontiguousarray(blocks.mean(axis=(1, 3), dtype=np.float64), array.dtype)


def cross_scale(guide, volume, radius, eps, scales, decay, rows=None):
    """`guided_filter` at the full scale and at ``scales`` coarser ones, combined.

    Parameters
    ----------
    guide, volume, radius, eps
        As for `guided_filter`; every scale uses the same ``radius`` in its
        own pixels.
    scales : int
        Coarser scales added (0: `guided_filter` alone); scale ``s`` pools
        ``2^s x 2^s`` blocks. A scale whose window would be as large as the
        image is left out: nothing local is left to add.
    decay : float
        Weight of a scale relative to the next finer one.
    rows : int, optional
        Filter ``volume`` in place in strips of about ``rows`` rows
        (`in_strips`), as `guided_filter` does: a row depends on the rows
        within ``2^S (2 radius + 2)`` of it only (``S`` the coarsest scale:
        its window, and one coarse row of the bilinear upsampling), and the
        strips start on multiples of ``2^S`` so that they pool the whole
        image's blocks. None: the whole image at once, into a new array.

    Returns
    -------
    (M, N, K) ndarray
        ``sum_s decay^s up_s(GF(pool_s(volume)))`` divided by the sum of the
        weights, so that the cost keeps its scale against the regularizer.
    """
    scales = next((s for s in range(scales, 0, -1) if min(volume.shape[:2]) >= 2 ** s * (2 * radius + 1)), 0)
    if scales == 0:
        return guided_filter(guide, volume, radius, eps, rows)

    def combined(guide, volume):
        return _cross_scale(guide, volume, radius, eps, scales, decay)

    if rows is None:
        return combined(guide, volume)
    block = 2 ** scales
    return in_strips(combined, guide, volume, -(-max(int(rows), 1) // block) * block, block * (2 * radius + 2))


def _cross_scale(guide, volume, radius, eps, scales, decay):
    """`cross_scale` of the whole of ``volume`` with its ``scales`` coarser scales, into a new array."""
    out = _guided_filter(guide, volume, radius, eps)
    total = 1.0
    for s in range(1, scales + 1):
        factor, weight = 2 ** s, decay ** s
        coarse = _guided_filter(_pool(guide, factor), _pool(volume, factor), radius, eps)
        add_upsampled(out, coarse, factor, out.dtype.type(weight))
        total += weight
    out /= total
    return out
