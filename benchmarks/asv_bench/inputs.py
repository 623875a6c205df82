"""The inputs of the suite: a small Motorcycle pair and fixed random arrays.

Every input is made the same way on every run (a fixed crop, a fixed seed),
so that two commits are timed on the same numbers.
"""

import numpy as np

MOTORCYCLE_D_MAX = 32
"""``d_max`` of `motorcycle_pair`: Motorcycle's disparities (7 to 60 px at 741 x 500), halved, rounded up."""


def motorcycle_pair():
    """A 120 x 160 Motorcycle pair: rows 140-379 and columns 220-539, every second pixel.

    Returns
    -------
    left, right : ndarray of uint8, shape (120, 160, 3)

    Notes
    -----
    Half the resolution of a 240 x 320 region (the tank, the engine and the
    fork: fine texture, shiny metal and depth edges), so that the disparities,
    and with them the work per pixel, are those of a whole downsampled
    scene rather than of a small piece of the full-size one. A match takes
    a few seconds.
    """
    from skimage.data import stereo_motorcycle

    left, right, _ = stereo_motorcycle()
    window = (slice(140, 380, 2), slice(220, 540, 2))
    return np.ascontiguousarray(left[window]), np.ascontiguousarray(right[window])


def rng():
    """A NumPy generator with a fixed seed: the same random inputs on every run."""
    return np.random.default_rng(20100101)


def image_shape(rows):
    """``(rows, 4 rows / 3)``: the 4:3 image of a kernel benchmark with `rows` rows."""
    return rows, rows * 4 // 3
