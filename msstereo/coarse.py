"""A coarse matching pass over a generous range, and the disparity range it finds.

`CoarsePass` matches both views of a shrunk pair (short side about
`COARSE_SIDE` px) by winner-take-all over a range that any rectified pair
can have, negative disparities included, with the project's sampled cost
(`msstereo.solvers.cost.cost_volume`: a census cost aggregated by the guided
filter, `COARSE_MODEL`). It keeps per pixel what later stages may reuse:

- ``disparity`` and ``disparity_right``, sub-pixel (a parabola through the
  best sample and its neighbours), in coarse pixels;
- ``consistent``: the left-right check ``|d_L(x) - d_R(x - d_L(x))| <= 1``;
- ``margin``: the cost gap between the best sample and the best one outside
  its neighbours, how distinct the minimum is.

`estimate_range` takes robust percentiles of the confident matches (both
tests passed) left after small clusters of coherent false matches are
dropped, widens them by a margin and scales them to the full pair: the range
`msstereo.match` searches when ``d_min`` or ``d_max`` is None.

A left pixel ``x`` matches right ``x - d`` inside the image only if
``x - (N - 1) <= d <= x``, so every disparity of a pair lies in
``(-N, N)``; a surface is matched over a useful part of the image only for
``|d|`` up to about half the width: the pass searches a little beyond,
``|d| <= 0.6 N`` (`SEARCH_WIDTHS`). Samples whose match falls off the other image get no
cost (they cannot win), so border pixels do not match the clamped border.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from .energy import DataTerm
from .models import Model
from .pyramid import downsample
from .solvers.cost import cost_volume

__all__ = ["CoarsePass", "estimate_range", "COARSE_SIDE", "COARSE_MODEL"]

COARSE_SIDE = 96
"""Short side, pixels, of the shrunk pair of the coarse pass (never enlarged)."""

SEARCH_WIDTHS = 0.6
"""Half-width of the range the coarse pass searches, in image widths: ``[-0.6 W, 0.6 W]``."""

COARSE_MODEL = Model(name="coarse", lam=0.0, census=1.0, census_window=5, aggregate=3)
"""The cost of the coarse pass: the default model's data term (census mixed into the
robust brightness term, guided-filter aggregation) with a window for the shrunk pair."""

CONSISTENCY = 1.0
"""Left-right tolerance of a confident match, coarse pixels."""

BORDER = 2
"""Coarse pixels at each side of the other view whose matches are not trusted: a pixel whose
match lies beyond the image takes the nearest disparity that stays inside."""

MIN_MARGIN = 0.05
"""Least cost gap of a confident match between its best sample and the best outside its
neighbours (costs of `COARSE_MODEL`: about 0 to 2)."""

TAIL = 0.5
"""Percent of the confident matches left out at each end of the range (outliers)."""

PAD_PIXELS = 1.0
"""Margin added to each end of the percentiles, coarse pixels (the coarse pixel's own blur)."""

PAD_SHARE = 0.1
"""Margin added to each end of the percentiles, share of their spread."""


@dataclass
class CoarsePass:
    """Both views of a shrunk pair matched over a generous range (module docstring).

    Attributes
    ----------
    scale : float
        Coarse width over full width: a coarse disparity ``d`` is ``d / scale``
        full-size pixels.
    bounds : (int, int)
        The range searched, coarse pixels (`search_bounds`).
    given : (float or None, float or None)
        The bounds ``(d_min, d_max)`` known before the pass, full-size
        pixels; None: to be found.
    disparity, disparity_right : (m, n) ndarray
        Winner-take-all disparities of the left and right views, coarse
        pixels, refined by the parabola through the best sample and its
        neighbours (left ``x`` matches right ``x - d``, right ``x`` left
        ``x + d``).
    consistent : (m, n) bool ndarray
        Left pixels whose right match points back within `CONSISTENCY`.
    margin : (m, n) ndarray
        Per left pixel, the least cost among the samples at least two away
        from the best one, minus the best cost: large where the minimum is
        distinct, 0 in textureless or repetitive regions.
    seconds : float
        Wall time of the pass.
    """

    scale: float
    bounds: tuple
    given: tuple
    disparity: np.ndarray
    disparity_right: np.ndarray
    consistent: np.ndarray
    margin: np.ndarray
    seconds: float

    @classmethod
    def of_pair(cls, left, right, bounds=(None, None), side=COARSE_SIDE):
        """The coarse pass of a pair of ``(M, N, C)`` float images in [0, 1].

        Parameters
        ----------
        left, right : (M, N, C) ndarray
            The pair, as `msstereo.intensity.prepare_pair` makes it; matched
            in gray (the mean of the channels).
        bounds : (float or None, float or None)
            ``(d_min, d_max)`` known in full-size pixels, None where unknown
            (`search_bounds`).
        side : int
            Short side of the shrunk pair (a smaller pair is not enlarged);
            neither side of the shrunk pair exceeds ``2 side`` (`coarse_shape`).
        """
        t0 = time.perf_counter()
        small = coarse_shape(left.shape[:2], side)
        scale = small[1] / left.shape[1]
        left, right = (downsample(image.mean(axis=2, keepdims=True), small) for image in (left, right))
        lo, hi = search_bounds(small[1], scale, bounds)
        d_left, margin = _winner(left, right, -1, lo, hi)
        d_right, _ = _winner(right, left, 1, lo, hi)
        return cls(scale, (lo, hi), tuple(bounds), d_left, d_right, _consistent(d_left, d_right), margin,
                   time.perf_counter() - t0)

    def confident(self, min_margin=MIN_MARGIN):
        """Left pixels whose match is left-right consistent and whose minimum is distinct."""
        return self.consistent & (self.margin >= min_margin)


def coarse_shape(shape, side=COARSE_SIDE):
    """The shrunk pair's ``(m, n)``: short side ``side``, neither side above ``2 side``.

    The cap bounds the cost volume (``m n`` pixels times about ``n``
    samples) for elongated pairs; a capped side is shrunk more than the
    other, which changes only the aggregation windows' aspect: disparities
    scale with the width alone.
    """
    factor = min(1.0, side / min(shape))
    return tuple(max(1, min(round(s * factor), 2 * side)) for s in shape)


def search_bounds(width, scale, bounds):
    """The coarse range searched, ``(lo, hi)`` in whole coarse pixels.

    A bound given (full-size pixels) is kept, scaled and rounded outwards;
    an unknown one is ``-+ SEARCH_WIDTHS`` of the ``width``, or that far
    beyond the given bound when the given one is past it. Both stay within
    ``+-(width - 1)``, where every disparity of the pair lies.
    """
    given_lo, given_hi = bounds
    reach = math.floor(SEARCH_WIDTHS * (width - 1))
    lo = None if given_lo is None else math.floor(given_lo * scale)
    hi = None if given_hi is None else math.ceil(given_hi * scale)
    if lo is None:
        lo = -reach if hi is None else min(-reach, hi - reach)
    if hi is None:
        hi = max(reach, lo + reach)
    edge = width - 1
    lo, hi = max(lo, -edge), min(hi, edge)
    return lo, max(hi, lo + 2)


def _winner(reference, other, sign, lo, hi):
    """Sub-pixel winner-take-all disparity of a view over the integers ``lo..hi``, and its margin.

    Samples whose match falls off the other image (``x + sign d`` outside
    the row) cannot win: a border pixel would otherwise match the clamped
    border of the other view.
    """
    data = DataTerm.of_images(reference, other, sign, COARSE_MODEL)
    count = hi - lo + 1
    volume = cost_volume(data, float(lo), 1.0, count)
    n = volume.shape[1]
    target = np.arange(n)[:, None] + sign * np.arange(lo, hi + 1)[None, :]
    volume[:, (target < 0) | (target > n - 1)] = np.inf
    best = np.argmin(volume, axis=2)[..., None]
    c0, cm, cp = (np.take_along_axis(volume, np.clip(best + k, 0, count - 1), 2)[..., 0] for k in (0, -1, 1))
    with np.errstate(invalid="ignore"):
        curvature = cm - 2 * c0 + cp  # NaN or inf next to a sample that cannot win: no refinement
        t = np.where(np.isfinite(curvature) & (curvature > 0), 0.5 * (cm - cp) / curvature, 0.0)
    disparity = lo + best[..., 0] + np.clip(t, -0.5, 0.5)
    return disparity.astype(reference.dtype), _margin(volume, best, c0)


def _margin(volume, best, c0):
    """Least cost at least two samples away from ``best``, minus the best cost ``c0`` (0 if none).

    Overwrites the best sample and its neighbours in ``volume``.
    """
    count = volume.shape[2]
    for k in (-1, 0, 1):
        np.put_along_axis(volume, np.clip(best + k, 0, count - 1), np.inf, 2)
    with np.errstate(invalid="ignore"):  # inf - inf: a pixel without a sample inside the other view
        margin = volume.min(axis=2) - c0
    margin[~np.isfinite(margin)] = 0.0
    return margin


def _consistent(d_left, d_right, tol=CONSISTENCY):
    """Left pixels whose right match ``x - d_L`` has ``d_R`` within ``tol`` of ``d_L``."""
    n = d_left.shape[1]
    x = np.arange(n)[None, :]
    target = np.rint(x - d_left).astype(np.int64)
    inside = (target >= BORDER) & (target <= n - 1 - BORDER)
    back = np.take_along_axis(d_right, np.clip(target, 0, n - 1), 1)
    return inside & (np.abs(back - d_left) <= tol)


GAP = 2.0
"""Coarse pixels without a confident match that separate two clusters of disparities."""

MIN_CLUSTER = 0.05
"""Least share of the confident matches that a cluster other than the largest needs to count."""


def _main_clusters(values, gap=GAP, share=MIN_CLUSTER):
    """The ``values`` in clusters (runs without a gap wider than ``gap``) that hold ``share`` of them, or the largest.

    Coherent false matches (repetitive texture, strips of one view that the
    other does not see) sit apart from the scene's disparities in small
    clusters, which percentiles alone would count.
    """
    values = np.sort(values)
    parts = np.split(values, np.nonzero(np.diff(values) > gap)[0] + 1)
    largest = max(part.size for part in parts)
    return np.concatenate([part for part in parts if part.size >= share * values.size or part.size == largest])


def estimate_range(coarse, d_min=None, d_max=None, tail=TAIL):
    """The disparity range ``(d_min, d_max)`` of the full-size pair from its coarse pass.

    The confident matches (`CoarsePass.confident`; every pixel's match if
    none is confident, a textureless pair) are cut into clusters
    (`_main_clusters`); the ``tail`` and ``100 - tail`` percentiles of the
    clusters kept, each widened by `PAD_PIXELS` coarse pixels and
    `PAD_SHARE` of their spread, clipped to the range searched, scaled
    to full-size pixels and rounded outwards to whole pixels, are the range.
    A bound given (not None) is kept, and the other one found is a whole
    number of pixels away from it, at least `PAD_PIXELS` coarse pixels.
    Whole widths matter: the ``relax`` grid of such a range is exactly its
    ``step`` apart, so its census shifts the other view by two fractional
    parts, where a stretched grid has one per sample, each a census
    transform (`msstereo.solvers.cost.cost_volume`).

    Returns
    -------
    (float, float)
        ``d_min < d_max``, full-size pixels.
    """
    confident = coarse.confident()
    values = _main_clusters(coarse.disparity[confident] if confident.any() else coarse.disparity.ravel())
    low, high = np.percentile(values, [tail, 100.0 - tail])
    pad = PAD_PIXELS + PAD_SHARE * (high - low)
    low, high = (float(np.clip(x, *coarse.bounds)) / coarse.scale for x in (low - pad, high + pad))
    least = PAD_PIXELS / coarse.scale
    # At most the image's width less a pixel (wider ranges are refused), a whole number of pixels.
    widest = math.floor(coarse.disparity.shape[1] / coarse.scale) - 1
    if d_min is not None and d_max is not None:
        return float(d_min), float(d_max)
    if d_min is not None:
        return float(d_min), d_min + min(math.ceil(max(high - d_min, least)), widest)
    if d_max is not None:
        return d_max - min(math.ceil(max(d_max - low, least)), widest), float(d_max)
    low, high = math.floor(low), math.ceil(high)
    excess = max(high - low - widest, 0)  # a pair without confident matches, whose matches spread
    return float(low + excess // 2), float(high - (excess - excess // 2))
