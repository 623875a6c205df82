"""Slanted-plane refinement: doubtful pixels take the plane of their colour segment.

Depth edges and slanted surfaces hold most of the bad pixels of the
finished disparity, and the confidence (`msstereo.confidence`) ranks many of
them low. A colour segment of the left image seldom crosses a depth edge
and a small one is close to a plane, so its confident pixels tell the
disparity of its doubtful ones better than their own values do, as in the
segment-based matchers (Klaus, Sormann and Karner, "Segment-based stereo
matching using belief propagation and a self-adapting dissimilarity
measure", ICPR 2006, :DOI:`10.1109/ICPR.2006.1033`; Bleyer and Gelautz,
"A layered stereo matching algorithm using image segmentation and global
visibility constraints", ISPRS J. 59(3), 2005):

1. segment the left image (Felzenszwalb and Huttenlocher, "Efficient
   graph-based image segmentation", IJCV 59(2), 2004,
   :DOI:`10.1023/B:VISI.0000022288.19776.77`, ``skimage.segmentation.felzenszwalb``
   with scale `Model.plane_segments`);
2. fit each segment a plane ``d = a (x - x_s) + b (y - y_s) + c`` to its
   pixels of confidence at least `Model.plane_confidence`, by iteratively
   reweighted least squares with Cauchy weights ``1 / (1 + (r / SCALE)^2)``
   of the residual ``r`` (`fit_planes`), so that a few confident mismatches
   do not tilt it;
3. keep the planes that their confident pixels support (`supported`): at
   least a share `MIN_SHARE` of the segment's pixels confident, a share
   `MIN_INLIERS` of those within 1 px of the plane, slopes under `MAX_SLOPE`;
4. give the pixels of confidence below `Model.plane_confidence` in those
   segments their plane's disparity.

An image with a side longer than `TILE` goes through these steps in tiles
(`tiles`), one after the other: scikit-image's segmentation holds about 330
bytes per pixel (its edge graph in float64 and int64), and the fit a few
float64 arrays per pixel. No segment then crosses a tile's
border. The segmentation is local (a segment grows from its most similar
neighbours), so only the segments that a border cuts change, and a cut
segment's parts each fit their own plane. An image within one tile is
refined whole.

Confident pixels keep their values, so the step cannot flatten a surface's
detail where the matcher is sure of it.
"""

import numpy as np
from skimage.segmentation import felzenszwalb

__all__ = ["segments", "tiles", "fit_planes", "supported", "plane_refinement"]

SCALE = 0.5
"""Residual (px) at which a pixel's Cauchy weight in the plane fit is one half."""

FIT_ROUNDS = 3
"""Reweighting rounds of the plane fit after the unweighted one."""

MIN_SHARE = 0.3
"""Least share of a segment's pixels confident enough to fit its plane."""

MIN_PIXELS = 8
"""Least number of confident pixels that fit a plane (three would determine one)."""

MIN_INLIERS = 0.7
"""Least share of the fitting pixels within 1 px of the plane for it to be used."""

MAX_SLOPE = 1.0
"""Largest disparity slope (px per px) along either axis of a plane that is used."""

RIDGE = 1e-3
"""Ridge on the slopes, per unit of weight: a thin segment's plane falls back to a constant."""

MIN_SEGMENT = 20
"""Least size (pixels) of a segment of `segments`."""

SMOOTHING = 0.5
"""Width (px) of the Gaussian that smooths the image before `segments`: noise does not split segments."""

TILE = 768
"""Longest side (px) of the tiles refined one at a time (`tiles`; the Middlebury scenes fit in one)."""


def segments(image, scale):
    """Felzenszwalb-Huttenlocher segments of the left image, labels from 0.

    Parameters
    ----------
    image : (M, N[, C]) ndarray
        The left image as the model sees it, float in [0, 1].
    scale : float
        The segmentation's scale (larger: larger segments).

    Returns
    -------
    (M, N) int32 ndarray
    """
    labels = felzenszwalb(image, scale=scale, sigma=SMOOTHING, min_size=MIN_SEGMENT,
                          channel_axis=-1 if image.ndim == 3 else None)
    return labels.astype(np.int32)


def tiles(shape, side=None):
    """Slices of the fewest near-equal tiles of ``shape`` with no side longer than ``side`` (`TILE`)."""
    side = TILE if side is None else side

    def cuts(length):
        edges = np.linspace(0, length, -(-length // side) + 1).round().astype(int)
        return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]

    return [(rows, cols) for rows in cuts(shape[0]) for cols in cuts(shape[1])]


def fit_planes(labels, d, weight):
    """Per segment the robust least-squares plane of ``d`` (module docstring, step 2).

    Parameters
    ----------
    labels : (M, N) int ndarray
        Segment of each pixel, 0 to ``K - 1``.
    d : (M, N) ndarray
        Disparity.
    weight : (M, N) ndarray
        Weight of each pixel in its segment's fit (0: not used).

    Returns
    -------
    plane : (M, N) float64 ndarray
        Each pixel's disparity on its segment's plane.
    coefficients : (K, 3) float64 ndarray
        Per segment ``(a, b, c)``: slopes along ``x`` and ``y`` and the value
        at the segment's centroid.
    """
    k = labels.max() + 1
    lab = labels.ravel()
    m, n = d.shape
    y, x = (c.ravel() for c in np.mgrid[0:m, 0:n].astype(np.float64))
    count = np.maximum(np.bincount(lab, minlength=k), 1)
    # Coordinates about each segment's centroid: a well-conditioned 3 x 3 system per segment.
    x -= (np.bincount(lab, x, k) / count)[lab]
    y -= (np.bincount(lab, y, k) / count)[lab]
    d = d.ravel().astype(np.float64)
    w0 = weight.ravel().astype(np.float64)
    w = w0
    for _ in range(FIT_ROUNDS + 1):
        def total(values):
            return np.bincount(lab, w * values, k)

        sw, sx, sy = total(1.0), total(x), total(y)
        normal = np.empty((k, 3, 3))
        normal[:, 0, 0] = total(x * x) + RIDGE * sw
        normal[:, 1, 1] = total(y * y) + RIDGE * sw
        normal[:, 0, 1] = normal[:, 1, 0] = total(x * y)
        normal[:, 0, 2] = normal[:, 2, 0] = sx
        normal[:, 1, 2] = normal[:, 2, 1] = sy
        normal[:, 2, 2] = sw
        normal += 1e-9 * np.eye(3)  # a segment without weight: a zero plane, not a singular system
        rhs = np.stack([total(x * d), total(y * d), total(d)], axis=1)
        coefficients = np.linalg.solve(normal, rhs[..., None])[..., 0]
        plane = coefficients[lab, 0] * x + coefficients[lab, 1] * y + coefficients[lab, 2]
        w = w0 / (1.0 + ((d - plane) / SCALE) ** 2)
    return plane.reshape(m, n), coefficients


def supported(labels, d, plane, coefficients, fitting):
    """Per segment whether its plane is used (module docstring, step 3).

    ``fitting``: the pixels that fitted the planes (confident).
    """
    k = len(coefficients)
    lab = labels.ravel()
    size = np.bincount(lab, minlength=k)
    fitted = np.bincount(lab, fitting.ravel(), k)
    inliers = np.bincount(lab, (fitting & (np.abs(d - plane) < 1.0)).ravel(), k)
    return ((fitted >= np.maximum(MIN_SHARE * size, MIN_PIXELS)) & (inliers >= MIN_INLIERS * fitted)
            & (np.abs(coefficients[:, :2]) < MAX_SLOPE).all(axis=1))


def plane_refinement(d, confidence, image, scale, threshold):
    """The disparity with its doubtful pixels on their segment's plane (see the module docstring).

    Parameters
    ----------
    d : (M, N) ndarray
        Finished left disparity.
    confidence : (M, N) ndarray
        Its confidence (`msstereo.confidence.confidence`), in [0, 1].
    image : (M, N[, C]) ndarray
        The left image as the model sees it.
    scale : float
        Scale of the segmentation (`segments`).
    threshold : float
        Pixels of confidence at least this fit the planes; those below take them.

    Returns
    -------
    (M, N) ndarray
        A copy of ``d``, in its dtype.
    """
    out = d.copy()
    for tile in tiles(d.shape):
        refine_tile(out[tile], confidence[tile], image[tile], scale, threshold)
    return out


def refine_tile(d, confidence, image, scale, threshold):
    """Steps 1-4 of the module docstring on one tile, in place in ``d``."""
    labels = segments(image, scale)
    fitting = confidence >= threshold
    plane, coefficients = fit_planes(labels, d, fitting)
    replaced = supported(labels, d, plane, coefficients, fitting)[labels] & ~fitting
    d[replaced] = plane[replaced]
