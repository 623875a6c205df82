"""The fixed pattern of alternate columns, removed from each view before matching.

A sensor that reads its even and odd columns through two amplifiers adds a
constant offset to one set of columns against the other. Both views of a
pair taken with one camera carry the same pattern at the same columns, so it
matches itself at even disparities and mismatches at odd ones: in a weak
texture, where the pattern is a large part of the signal, the matching cost
is pulled towards even disparities. Tsukuba has such a pattern, even columns
about 1.6/255 brighter than odd ones in both views (``docs/results.md``).

The offset is estimated per view and channel. With ``+a`` on even and ``-a``
on odd columns, the second difference along the row,
``I(x) - (I(x - 1) + I(x + 1)) / 2``, is the image's own plus ``2a`` at even
and ``-2a`` at odd columns; the image's part averages out over many pixels
alike at both parities, so ``a`` is a quarter of the difference of the two
means.
"""

import numpy as np

__all__ = ["remove_column_parity"]


def remove_column_parity(image):
    """``image`` without the offset of its even columns against its odd ones (a new array).

    Parameters
    ----------
    image : (M, N, C) ndarray
        A float image, ``N >= 4``.

    Returns
    -------
    image : (M, N, C) ndarray
        Same dtype; ``a`` subtracted from the even columns and added to the
        odd ones, so the mean brightness stays (up to one column when ``N``
        is odd). Not clipped: an offset of a few thousandths that leaves
        ``[0, 1]`` harms nothing, a clip would bias the bright and dark ends.
    offset : (C,) float64 ndarray
        The ``a`` removed, per channel, in the image's units.
    """
    x = np.asarray(image, dtype=np.float64)
    second = x[:, 1:-1] - 0.5 * (x[:, :-2] + x[:, 2:])  # column 1 ... N - 2
    even, odd = second[:, 1::2], second[:, 0::2]  # columns 2, 4, ... and 1, 3, ...
    offset = (even.mean(axis=(0, 1)) - odd.mean(axis=(0, 1))) / 4.0
    out = np.array(image, copy=True)
    out[:, 0::2] -= offset.astype(out.dtype)
    out[:, 1::2] += offset.astype(out.dtype)
    return out, offset
