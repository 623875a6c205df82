"""Colour display of disparity maps without a plotting dependency."""

from __future__ import annotations

import numpy as np

__all__ = ["colorize"]

# Polynomial fit (degree 5 per channel, lowest order first) of Google's
# "Turbo" colormap by A. Mikhailov (2019, Apache-2.0): perceptually ordered
# dark blue -> cyan -> green -> yellow -> red, and far more compact than a
# 256-entry table.
_TURBO_COEFFS = np.array(
    [
        [0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943],
        [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],
        [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973],
    ]
)


def _turbo_lut(n=256):
    """Return the Turbo colormap sampled at `n` levels as uint8, shape (n, 3)."""
    x = np.linspace(0.0, 1.0, n)
    powers = x[:, None] ** np.arange(6)
    rgb = np.clip(powers @ _TURBO_COEFFS.T, 0.0, 1.0)
    return np.round(rgb * 255).astype(np.uint8)


_LUT = _turbo_lut()


def colorize(disparity, vmin=None, vmax=None):
    """Map a disparity map to RGB colours with the Turbo colormap.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Disparity map; non-finite values (unknown) are drawn black.
    vmin, vmax : float, optional
        Values mapped to the two ends of the colormap; values outside are
        clipped. Default to the minimum and maximum finite values.

    Returns
    -------
    image : ndarray of uint8, shape (H, W, 3)
        RGB image, ready for :func:`msstereo.io.write_png`.

    Raises
    ------
    ValueError
        If `disparity` is not a real 2-D array.
    """
    disparity = np.asarray(disparity)
    if disparity.ndim != 2 or disparity.dtype.kind not in "fiub":
        raise ValueError(
            f"disparity must be a real (H, W) array, got shape {disparity.shape} "
            f"and dtype {disparity.dtype}"
        )
    disparity = disparity.astype(np.float64)
    finite = np.isfinite(disparity)
    values = disparity[finite]
    if vmin is None:
        vmin = float(values.min()) if values.size else 0.0
    if vmax is None:
        vmax = float(values.max()) if values.size else 1.0
    # A constant map would divide by zero; give it the bottom colour.
    span = vmax - vmin if vmax > vmin else 1.0
    levels = np.zeros(disparity.shape, dtype=np.intp)
    scaled = np.clip((values - vmin) / span, 0.0, 1.0)
    levels[finite] = np.round(scaled * (len(_LUT) - 1)).astype(np.intp)
    image = _LUT[levels]
    image[~finite] = 0
    return image
