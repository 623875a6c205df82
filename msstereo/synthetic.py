"""Synthetic stereo scenes with exact disparity and occlusion, for tests and studies.

The surfaces carry a seeded band-limited texture (a sum of random plane
waves), evaluated exactly at every pixel's point on the surface, so the pair
has no interpolation error of its own: what a solver gets wrong is its own.
"""

import numpy as np
from scipy.ndimage import binary_dilation

from .datasets import Scene

__all__ = ["synthetic_scene", "texture"]


def texture(x, y, seed, waves=24, wavelengths=(3.0, 24.0)):
    """Band-limited random texture in [0, 1] at real coordinates ``(x, y)``.

    Parameters
    ----------
    x, y : ndarray
        Coordinates (any matching shapes).
    seed : int
        Seed of the random plane waves.
    waves : int
        Number of plane waves.
    wavelengths : (float, float)
        Range of their wavelengths, in pixels.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(np.broadcast(x, y).shape)
    for _ in range(waves):
        k = 2 * np.pi / rng.uniform(*wavelengths)
        theta = rng.uniform(0, np.pi)
        out += rng.uniform(0.5, 1.0) * np.sin(k * (np.cos(theta) * x + np.sin(theta) * y)
                                              + rng.uniform(0, 2 * np.pi))
    return 0.5 + 0.5 * out / np.abs(out).max()


def synthetic_scene(kind="step", shape=(64, 96), *, background=2.0, foreground=6.0,
                    slope=(0.0, 0.0), box=None, seed=0):
    """A rectified pair of textured planes with exact ground truth.

    Parameters
    ----------
    kind : {"plane", "slanted", "step"}
        A fronto-parallel plane at ``background``; a slanted plane
        ``background + slope[0] * x + slope[1] * y`` (left coordinates); or
        the background plane (slanted if ``slope`` is set) with a
        fronto-parallel rectangle at ``foreground`` in front of it.
    shape : (int, int)
        ``(M, N)`` of the images.
    background, foreground : float
        Disparities in pixels (``foreground > background`` for a box in
        front).
    slope : (float, float)
        Disparity change per pixel along ``x`` and ``y`` of the background.
    box : (int, int, int, int), optional
        Foreground rectangle ``(top, bottom, left, right)`` in left-image
        pixels; by default the middle third of the image.
    seed : int
        Texture seed.

    Returns
    -------
    Scene
        Float64 gray images in [0, 1]; ``disparity`` and
        ``disparity_right`` exact; masks ``all`` (every pixel),
        ``nonocc`` (left pixels visible in the right view) and ``disc``
        (pixels within 3 px of the foreground's outline).
    """
    if kind not in ("plane", "slanted", "step"):
        raise ValueError(f"kind must be 'plane', 'slanted' or 'step', got {kind!r}")
    m, n = shape
    y, x = np.mgrid[0:m, 0:n].astype(float)
    sx, sy = slope if kind != "plane" else (0.0, 0.0)
    if not 0 <= sx < 1:
        raise ValueError(f"slope along x must be in [0, 1), got {sx}")

    # Background: left pixel x sees surface point x_r = x - d_b(x) of the right image.
    d_left = background + sx * x + sy * y
    # Right pixel x_r sees the point whose left x solves x - d_b(x) = x_r.
    x_from_right = (x + background + sy * y) / (1 - sx)
    d_right = x_from_right - x
    left = texture(x - d_left, y, seed)
    right = texture(x, y, seed)
    fg_left = np.zeros(shape, bool)
    fg_right = np.zeros(shape, bool)
    if kind == "step":
        top, bottom, x0, x1 = box if box is not None else (m // 3, 2 * m // 3, n // 3, 2 * n // 3)
        fg_left[top:bottom, x0:x1] = True
        # The box seen from the right camera is shifted left by `foreground`.
        fg_right[top:bottom] = (x[top:bottom] + foreground >= x0) & (x[top:bottom] + foreground < x1)
        left[fg_left] = texture(x - foreground, y, seed + 1)[fg_left]
        right[fg_right] = texture(x, y, seed + 1)[fg_right]
        d_left[fg_left] = foreground
        d_right[fg_right] = foreground
    # A left pixel is occluded when its match is off the image or hidden by the box.
    match_x = np.rint(x - d_left).astype(int)
    visible = (x - d_left >= 0) & (x - d_left <= n - 1)
    hidden = np.zeros(shape, bool)
    rows = np.nonzero(visible)
    hidden[rows] = fg_right[rows[0], np.clip(match_x[rows], 0, n - 1)] & ~fg_left[rows]
    nonocc = visible & ~hidden
    disc = np.zeros(shape, bool)
    if kind == "step":
        outline = fg_left ^ np.roll(fg_left, 1, 1) | fg_left ^ np.roll(fg_left, 1, 0)
        disc = binary_dilation(outline, iterations=3)
    return Scene(name=f"synthetic-{kind}", left=left, right=right,
                 disparity=d_left.astype(np.float32), disparity_right=d_right.astype(np.float32),
                 masks={"all": np.ones(shape, bool), "nonocc": nonocc, "disc": disc & nonocc},
                 ndisp=int(np.ceil(max(d_left.max(), d_right.max()))) + 1, ndisp_from_ground_truth=True)
