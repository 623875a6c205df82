"""A calibrated confidence per pixel: the probability that the left disparity is within 1 px.

Two-view models (``ms-occ``, ``default``) know, besides the disparity, the
right view's disparity, the occlusion mask and the discontinuity function
``v``; the left image tells where matching has little to go on. Each pixel
gets a few features of these (`features`):

- ``consistency``: ``log(1 + |u|)``, ``u = d_l(x) - d_r(x - d_l(x))`` the
  left-right residual of eq. 15 (linear interpolation), `OUTSIDE` px where
  the match falls off the right image;
- ``occluded``: the model's occlusion mask (its pixels hold the background
  fill, not a match);
- ``near_occlusion``: ``exp(-r / NEAR)``, ``r`` the distance to the nearest
  occluded pixel: the borders of occlusions are where the fill and the
  level set are least sure;
- ``discontinuity``: ``1 - v``, the model's own depth edges;
- ``texture``: ``log(mean |grad I|^2 + TEXTURE_FLOOR)`` over a `WINDOW` x
  `WINDOW` window of the gray left image: little texture, little evidence;
- ``spread``: ``log(1 + |d - mean d|)`` over a 3 x 3 window, and
  ``range``: ``log(1 + max d - min d)`` over a `WINDOW` x `WINDOW`
  window: disparities that disagree with their neighbours.

A logistic regression maps them to a probability,
``c = 1 / (1 + exp(-(b + sum_k w_k f_k)))``, with the weights ``w`` and the
bias ``b`` of `msstereo._calibration`, fitted on the Middlebury v2 scenes
(right = within 1 px of the ground truth, non-occluded pixels) by
``python -m benchmarks.studies.confidence --write``, which regenerates that
module. The map is graded (continuous features) and, on the scenes it was
fitted on, calibrated: among pixels of confidence near ``c``, a share of
about ``c`` is right (`msstereo.evaluate.calibration_error`); how well it
ranks the pixels, on those scenes and others, is in ``docs/results.md``.

Single-view models have no right disparity and no occlusion mask, the two
strongest features: they return no confidence (None).

References
----------
X. Hu and P. Mordohai, "A quantitative evaluation of confidence measures for
stereo vision", IEEE TPAMI 34(11), 2012, :DOI:`10.1109/TPAMI.2012.46`.
"""

import numpy as np
from scipy.ndimage import distance_transform_edt, maximum_filter, minimum_filter, uniform_filter
from scipy.special import expit

from . import _calibration
from .kernels.occlusion import consistency_residual

__all__ = ["FEATURES", "features", "confidence", "calibrated"]

FEATURES = ("consistency", "occluded", "near_occlusion", "discontinuity", "texture", "spread", "range")
"""The features of `features`, in the order of the calibration's weights."""

OUTSIDE = 10.0
"""Left-right residual (px) of a pixel whose match falls off the right image."""

NEAR = 3.0
"""Decay length (px) of ``near_occlusion``."""

WINDOW = 5
"""Side of the windows of ``texture`` and ``range``."""

TEXTURE_FLOOR = 1e-5
"""Added to the mean squared gradient before the logarithm (intensities in [0, 1]): flat is finite."""


def features(disparity, disparity_right, v, occlusion, image):
    """The features of each pixel of the left view (see the module docstring).

    Parameters
    ----------
    disparity, disparity_right : (M, N) ndarray
        Left and right disparities (`msstereo.StereoResult`).
    v : (M, N) ndarray
        The left view's discontinuity function, in [0, 1].
    occlusion : (M, N) bool ndarray
        The left view's occlusion mask.
    image : (M, N[, C]) ndarray
        The left image as the model sees it, float in [0, 1].

    Returns
    -------
    dict of str to (M, N) float32 ndarray
        Keyed by `FEATURES`, in that order.
    """
    d = np.asarray(disparity, np.float32)
    u, outside = consistency_residual(d, np.asarray(disparity_right, np.float32), -1, 1)
    residual = np.abs(u)
    residual[outside] = OUTSIDE
    gray = image.mean(axis=2) if image.ndim == 3 else image
    gy, gx = np.gradient(gray.astype(np.float32))
    near = (np.exp(-distance_transform_edt(~occlusion) / NEAR) if occlusion.any()
            else np.zeros(d.shape))
    out = {
        "consistency": np.log1p(residual),
        "occluded": occlusion,
        "near_occlusion": near,
        "discontinuity": 1.0 - np.asarray(v),
        "texture": np.log(uniform_filter(gx * gx + gy * gy, WINDOW, mode="nearest") + TEXTURE_FLOOR),
        "spread": np.log1p(np.abs(d - uniform_filter(d, 3, mode="nearest"))),
        "range": np.log1p(maximum_filter(d, WINDOW, mode="nearest") - minimum_filter(d, WINDOW, mode="nearest")),
    }
    return {name: np.asarray(out[name], np.float32) for name in FEATURES}


def calibrated(values, weights=None, bias=None):
    """The logistic map of features to a probability, float32 in [0, 1].

    Parameters
    ----------
    values : dict of str to (M, N) ndarray
        `features`.
    weights : dict of str to float, optional
        Per feature; default: the fitted ``msstereo._calibration.WEIGHTS``.
    bias : float, optional
        Default: the fitted ``msstereo._calibration.BIAS``.

    Returns
    -------
    (M, N) float32 ndarray
    """
    weights = _calibration.WEIGHTS if weights is None else weights
    bias = _calibration.BIAS if bias is None else bias
    z = np.full(next(iter(values.values())).shape, bias, np.float32)
    for name in FEATURES:
        z += np.float32(weights[name]) * values[name]
    return expit(z).astype(np.float32, copy=False)  # no overflow for any z


def confidence(disparity, disparity_right, v, occlusion, image):
    """The calibrated confidence of each left pixel: `calibrated` `features` (see the module docstring)."""
    return calibrated(features(disparity, disparity_right, v, occlusion, image))
