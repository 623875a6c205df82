"""Middlebury error metrics for disparity maps.

The bad-pixel percentage of Scharstein and Szeliski [1]_ (Middlebury v2,
masks 'nonocc', 'all', 'disc') and the metrics of the Middlebury v3 (2014)
evaluation [2]_ (bad0.5 ... bad4, avgerr, rms, invalid). A prediction that is
not finite (``inf``, ``nan``) has no disparity: it always counts as bad.

Every score is a plain Python ``float`` (never a NumPy scalar), so that the
results print, compare and serialize (`json`, CSV) as the numbers they are.

The result tables (`msstereo.batch` and the benchmark studies) name their
columns here, so that every table spells a metric the same way:
`metric_columns` and `occlusion_columns` give one scene's row, keyed by
`V2_KEYS`, `V3_KEYS` and `OCCLUSION_KEYS`.

A confidence map (`msstereo.StereoResult.confidence`) is scored by how well
it is calibrated (`reliability`, `calibration_error`: among pixels of
confidence near ``c``, a share ``c`` should be right) and how well it ranks
the pixels (`sparsification_curve`, `sparsification_area`: bad pixels among
the most confident ones, as in Hu and Mordohai [3]_).

References
----------
.. [1] D. Scharstein and R. Szeliski, "A taxonomy and evaluation of dense
       two-frame stereo correspondence algorithms", IJCV 47(1-3), 2002.
.. [2] D. Scharstein et al., "High-resolution stereo datasets with
       subpixel-accurate ground truth", GCPR 2014; Middlebury Stereo
       Evaluation - Version 3, vision.middlebury.edu/stereo/eval3.
.. [3] X. Hu and P. Mordohai, "A quantitative evaluation of confidence
       measures for stereo vision", IEEE TPAMI 34(11), 2012,
       :DOI:`10.1109/TPAMI.2012.46`.
"""

from __future__ import annotations

import numpy as np

from . import checks

__all__ = ["bad_pixels", "evaluate_v2", "evaluate_v3", "evaluate_v3_masks", "evaluate_scene",
           "occlusion_scores", "metric_columns", "occlusion_columns", "V2_COLUMNS", "V2_KEYS",
           "V3_KEYS", "OCCLUSION_KEYS", "METRIC_KEYS", "reliability", "calibration_error",
           "sparsification_curve", "sparsification_area", "SPARSIFICATION_FRACTIONS"]

#: Thresholds (pixels) of the v3 bad-pixel metrics.
V3_THRESHOLDS = (0.5, 1.0, 2.0, 4.0)

#: Masks of the v3 evaluation, in the order of its tables.
V3_MASKS = ("nonocc", "all")

#: (mask, threshold) of the Middlebury v2 bad-pixel columns of a result table: bad 0.5, 1 and
#: 2 on 'nonocc' (v2 ranks with bad 1 there), bad 1 on 'all' and 'disc'.
V2_COLUMNS = (("nonocc", 0.5), ("nonocc", 1.0), ("nonocc", 2.0), ("all", 1.0), ("disc", 1.0))

#: Column names of `V2_COLUMNS`: ``"bad<threshold> <mask>"``, e.g. ``"bad1 nonocc"``.
V2_KEYS = tuple(f"bad{thr:g} {mask}" for mask, thr in V2_COLUMNS)

#: Middlebury v3 columns over every pixel with ground truth, for scenes without a 'nonocc' mask:
#: the bad-pixel percentages of `V3_THRESHOLDS`, then ``avgerr`` and ``rms`` (`evaluate_v3`).
V3_KEYS = tuple(f"bad{thr:g} all" for thr in V3_THRESHOLDS) + ("avgerr all", "rms all")

#: Columns of a predicted occlusion mask, in percent (`occlusion_columns`).
OCCLUSION_KEYS = ("occ precision", "occ recall")

#: Every metric column a result row may have, in table order (each name once).
METRIC_KEYS = tuple(dict.fromkeys(V2_KEYS + V3_KEYS)) + OCCLUSION_KEYS


def _as_map(array, name):
    """Return `array` as a 2-D float64 array, checking its shape."""
    array = np.asarray(array)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got shape {array.shape}")
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be real-valued, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _check_same_shape(a, a_name, b, b_name):
    """Raise ValueError naming both shapes if they differ."""
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(
            f"{a_name} shape {a.shape} does not match {b_name} shape {b.shape}"
        )


def _evaluated(disparity, gt, mask):
    """Check inputs and return (disparity, gt, evaluated-pixel mask)."""
    disparity = _as_map(disparity, "disparity")
    gt = _as_map(gt, "gt")
    _check_same_shape(disparity, "disparity", gt, "gt")
    evaluated = np.isfinite(gt)
    if mask is not None:
        mask = np.asarray(mask)
        _check_same_shape(mask, "mask", gt, "gt")
        if mask.ndim != 2:
            raise ValueError(f"mask must be a 2-D (H, W) array, got shape {mask.shape}")
        evaluated &= mask.astype(bool)
    return disparity, gt, evaluated


def _threshold(value):
    """A bad-pixel threshold as a float >= 0, or a ValueError naming it (`msstereo.checks`)."""
    return checks.Real()(value, "threshold")


def _bad_percent(error, evaluated, threshold):
    """Percentage of evaluated pixels whose error exceeds `threshold`.

    `error` is ``inf`` where the prediction is not finite, so those pixels
    are always bad.
    """
    count = int(np.count_nonzero(evaluated))
    if count == 0:
        return float("nan")
    return 100.0 * int(np.count_nonzero(error[evaluated] > threshold)) / count


def _abs_error(disparity, gt):
    """|disparity - gt|, ``inf`` where the prediction is not finite."""
    with np.errstate(invalid="ignore"):
        error = np.abs(disparity - gt)
    error[~np.isfinite(disparity)] = np.inf
    return error


def bad_pixels(disparity, gt, mask=None, threshold=1.0):
    """Percentage of bad pixels [1]_.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Predicted disparity; non-finite values count as bad.
    gt : array_like, shape (H, W)
        Ground truth; pixels where it is not finite are ignored.
    mask : array_like of bool, shape (H, W), optional
        Pixels to evaluate (for example a 'nonocc' mask); all by default.
    threshold : float, optional
        A pixel is bad if ``|disparity - gt| > threshold``.

    Returns
    -------
    percent : float
        Bad pixels in percent of the evaluated pixels; nan if none is
        evaluated.

    Raises
    ------
    ValueError
        If the arrays are not 2-D, their shapes differ, or `threshold` is
        not a finite number >= 0.
    """
    threshold = _threshold(threshold)
    disparity, gt, evaluated = _evaluated(disparity, gt, mask)
    return _bad_percent(_abs_error(disparity, gt), evaluated, threshold)


def evaluate_v2(disparity, scene, thresholds=(0.5, 1.0, 2.0)):
    """Bad-pixel percentages on the Middlebury v2 masks [1]_.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Predicted left disparity.
    scene : Scene
        Scene with ground truth and masks 'nonocc', 'all' and/or 'disc'.
    thresholds : sequence of float, optional
        Error thresholds in pixels (v2 ranks with 1.0).

    Returns
    -------
    scores : dict
        ``{mask_name: {threshold: percent}}`` for each mask in the scene.

    Raises
    ------
    ValueError
        If the scene has no ground truth, the shapes differ, or a threshold
        is not a finite number >= 0.
    """
    thresholds = [_threshold(t) for t in (thresholds if np.iterable(thresholds) else [thresholds])]
    if scene.disparity is None:
        raise ValueError(f"scene {scene.name!r} has no ground-truth disparity")
    disparity, gt, _ = _evaluated(disparity, scene.disparity, None)
    error = _abs_error(disparity, gt)
    scores = {}
    for name in ("nonocc", "all", "disc"):
        if name not in scene.masks:
            continue
        _, _, evaluated = _evaluated(disparity, gt, scene.masks[name])
        scores[name] = {float(t): _bad_percent(error, evaluated, t) for t in thresholds}
    return scores


def evaluate_v3(disparity, gt, mask=None):
    """Middlebury v3 (2014) error metrics [2]_.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Predicted disparity; non-finite values are invalid predictions.
    gt : array_like, shape (H, W)
        Ground truth; evaluated where finite (and inside `mask`).
    mask : array_like of bool, shape (H, W), optional
        Extra restriction of the evaluated pixels (e.g. non-occluded).

    Returns
    -------
    scores : dict
        'bad0.5', 'bad1', 'bad2', 'bad4': percent of evaluated pixels with
        error above the threshold, invalid predictions counted as bad;
        'avgerr', 'rms': mean absolute and root-mean-square error over
        evaluated pixels with a valid prediction; 'invalid': percent of
        evaluated pixels without a valid prediction. Values are nan when
        there is nothing to average.

    Raises
    ------
    ValueError
        If the arrays are not 2-D or their shapes differ.
    """
    disparity, gt, evaluated = _evaluated(disparity, gt, mask)
    error = _abs_error(disparity, gt)
    scores = {f"bad{t:g}": _bad_percent(error, evaluated, t) for t in V3_THRESHOLDS}
    valid = evaluated & np.isfinite(disparity)
    count, n_valid = int(np.count_nonzero(evaluated)), int(np.count_nonzero(valid))
    valid_error = error[valid]
    scores["avgerr"] = float(valid_error.mean()) if n_valid else float("nan")
    scores["rms"] = float(np.sqrt(np.mean(valid_error**2))) if n_valid else float("nan")
    scores["invalid"] = 100.0 * (count - n_valid) / count if count else float("nan")
    return scores


def evaluate_v3_masks(disparity, gt, masks):
    """`evaluate_v3` on each of several masks, 'nonocc' and 'all' first, as Middlebury lists them.

    Parameters
    ----------
    disparity, gt : array_like, shape (H, W)
        Prediction and ground truth (see `evaluate_v3`).
    masks : dict of str to array_like of bool
        Evaluated pixels by mask name, e.g. a scene's ``masks``; empty:
        'all' (every pixel with ground truth).

    Returns
    -------
    scores : dict
        ``{mask_name: evaluate_v3 scores}``.

    Raises
    ------
    ValueError
        If the arrays are not 2-D or their shapes differ.
    """
    masks = dict(masks) or {"all": None}
    order = [name for name in V3_MASKS if name in masks] + sorted(set(masks) - set(V3_MASKS))
    return {name: evaluate_v3(disparity, gt, masks[name]) for name in order}


def evaluate_scene(disparity, scene):
    """Score a disparity against a scene as Middlebury does for its dataset.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Predicted left disparity.
    scene : Scene
        Scene with ground truth (`msstereo.datasets.load_scene`).

    Returns
    -------
    version : {'v2', 'v3'}
        'v2' for scenes of the v2, 2003 and 2005 layouts with a 'nonocc'
        mask (bad-pixel percentages per mask, `evaluate_v2`), 'v3' for the
        2014 layout and scenes without one (`evaluate_v3` on 'nonocc',
        from ``mask0nocc.png``, and on 'all', `evaluate_v3_masks`).
    scores : dict
        ``{mask_name: scores}``.

    Raises
    ------
    ValueError
        If the scene has no ground truth or the shapes differ.
    """
    if scene.disparity is None:
        raise ValueError(f"scene {scene.name!r} has no ground-truth disparity")
    if getattr(scene, "layout", None) != "2014" and "nonocc" in scene.masks:
        return "v2", evaluate_v2(disparity, scene)
    return "v3", evaluate_v3_masks(disparity, scene.disparity, scene.masks)


def occlusion_scores(predicted, scene):
    """Precision and recall of a predicted occlusion mask.

    Parameters
    ----------
    predicted : array_like of bool, shape (H, W)
        Pixels predicted occluded (left pixels not visible in the right view).
    scene : Scene
        Scene whose :attr:`Scene.occlusion` is the reference.

    Returns
    -------
    scores : dict
        'precision': fraction of predicted-occluded pixels that are occluded;
        'recall': fraction of occluded pixels that are predicted. Both in
        [0, 1], counted over pixels with ground truth (:attr:`Scene.known`);
        nan when the denominator is zero.

    Raises
    ------
    ValueError
        If the scene has no ground-truth occlusion or the shapes differ.
    """
    reference = scene.occlusion
    if reference is None:
        raise ValueError(
            f"scene {scene.name!r} has no ground-truth occlusion "
            "(needs a disparity and a 'nonocc' mask)"
        )
    predicted = np.asarray(predicted)
    _check_same_shape(predicted, "predicted", reference, "scene occlusion")
    if predicted.ndim != 2:
        raise ValueError(f"predicted must be a 2-D (H, W) array, got shape {predicted.shape}")
    known = scene.known
    predicted = predicted.astype(bool) & known
    hits = int(np.count_nonzero(predicted & reference))
    n_predicted, n_reference = int(np.count_nonzero(predicted)), int(np.count_nonzero(reference))
    return {
        "precision": hits / n_predicted if n_predicted else float("nan"),
        "recall": hits / n_reference if n_reference else float("nan"),
    }


def metric_columns(disparity, scene):
    """The metric columns of one scene's row in a result table.

    Scenes with a 'nonocc' mask (Middlebury v2, 2003 and 2005) get the v2
    bad-pixel percentages of `V2_COLUMNS` on the masks they have; the others
    (2014, Motorcycle) get the v3 metrics over every pixel with ground
    truth (`V3_KEYS`), since they have no occlusion mask to rank with.

    Parameters
    ----------
    disparity : array_like, shape (H, W)
        Predicted left disparity.
    scene : Scene
        Scene with ground truth.

    Returns
    -------
    columns : dict
        ``{column name: value}``, names from `V2_KEYS` (in that order, the
        masks the scene has) or `V3_KEYS`; bad-pixel values in percent.

    Raises
    ------
    ValueError
        If the scene has no ground truth or the shapes differ.
    """
    if "nonocc" in scene.masks:
        scores = evaluate_v2(disparity, scene)
        return {f"bad{thr:g} {mask}": scores[mask][thr] for mask, thr in V2_COLUMNS if mask in scores}
    if scene.disparity is None:
        raise ValueError(f"scene {scene.name!r} has no ground-truth disparity")
    scores = evaluate_v3(disparity, scene.disparity, scene.masks.get("all"))
    return {f"{metric} all": value for metric, value in scores.items() if f"{metric} all" in V3_KEYS}


def occlusion_columns(predicted, scene):
    """The occlusion columns of one scene's row: `occlusion_scores` in percent.

    Parameters
    ----------
    predicted : array_like of bool, shape (H, W)
        Pixels predicted occluded.
    scene : Scene
        Scene with a ground-truth occlusion (:attr:`Scene.occlusion`).

    Returns
    -------
    columns : dict
        ``{"occ precision": percent, "occ recall": percent}`` (`OCCLUSION_KEYS`).

    Raises
    ------
    ValueError
        If the scene has no ground-truth occlusion or the shapes differ.
    """
    scores = occlusion_scores(predicted, scene)
    return {"occ precision": 100 * scores["precision"], "occ recall": 100 * scores["recall"]}


#: Fractions of the most confident pixels at which a sparsification curve is read: 5 %, 10 %, ..., 100 %.
SPARSIFICATION_FRACTIONS = tuple(k / 20 for k in range(1, 21))


def _confidence_scored(confidence, disparity, gt, mask, threshold):
    """The confidence and the rightness (error within `threshold`) of the evaluated pixels, flat."""
    threshold = _threshold(threshold)
    disparity, gt, evaluated = _evaluated(disparity, gt, mask)
    confidence = _as_map(confidence, "confidence")
    _check_same_shape(confidence, "confidence", gt, "gt")
    if not np.all((confidence >= 0) & (confidence <= 1)):
        raise ValueError("confidence must lie in [0, 1] (no NaN)")
    right = _abs_error(disparity, gt) <= threshold
    return confidence[evaluated], right[evaluated]


def reliability(confidence, disparity, gt, mask=None, threshold=1.0, bins=10):
    """The reliability diagram of a confidence map: per confidence bin, its share of right pixels.

    Parameters
    ----------
    confidence : array_like, shape (H, W)
        Values in [0, 1], higher = more likely right.
    disparity, gt, mask :
        As in `bad_pixels`.
    threshold : float, optional
        A pixel is right if ``|disparity - gt| <= threshold``.
    bins : int, optional
        Equal bins over [0, 1], the last one closed (a confidence of 1 falls in it).

    Returns
    -------
    diagram : dict of ndarray, each of length `bins`
        'count': evaluated pixels per bin; 'confidence': their mean
        confidence; 'right': their share of right pixels (both nan in an
        empty bin).

    Raises
    ------
    ValueError
        If the shapes differ, `confidence` leaves [0, 1], or `bins` < 1.
    """
    bins = checks.Integer(1)(bins, "bins")
    conf, right = _confidence_scored(confidence, disparity, gt, mask, threshold)
    which = np.minimum((conf * bins).astype(np.intp), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, minlength=bins) / count
        share = np.bincount(which, right, minlength=bins) / count
    return {"count": count, "confidence": mean_conf, "right": share}


def calibration_error(confidence, disparity, gt, mask=None, threshold=1.0, bins=10):
    """Expected calibration error of a confidence map (Naeini et al., AAAI 2015).

    ``ECE = sum_b n_b / n |right_b - conf_b|`` over the bins of `reliability`:
    the gap between the confidence and the share of right pixels, weighted
    by the pixels of each bin. 0 for a perfectly calibrated map.

    Parameters
    ----------
    confidence, disparity, gt, mask, threshold, bins :
        As in `reliability`.

    Returns
    -------
    float
        In [0, 1]; nan if no pixel is evaluated.
    """
    diagram = reliability(confidence, disparity, gt, mask, threshold, bins)
    count = diagram["count"]
    if not count.sum():
        return float("nan")
    filled = count > 0
    gap = np.abs(diagram["right"][filled] - diagram["confidence"][filled])
    return float(np.sum(count[filled] * gap) / count.sum())


def sparsification_curve(confidence, disparity, gt, mask=None, threshold=1.0,
                         fractions=SPARSIFICATION_FRACTIONS):
    """Bad pixels among the most confident fraction of the evaluated pixels [3]_.

    The evaluated pixels are ranked by decreasing confidence and, for each
    fraction ``f``, the ``round(f n)`` first (at least one) are scored.
    Pixels of equal confidence have no order: a fraction that ends inside
    such a group takes the group's share of bad pixels for its part of it
    (the mean over the group's orders), so that a map of one value scores
    its overall bad-pixel rate at every fraction.

    Parameters
    ----------
    confidence, disparity, gt, mask :
        As in `reliability`.
    threshold : float, optional
        A pixel is bad if ``|disparity - gt| > threshold``.
    fractions : sequence of float, optional
        In (0, 1]; default `SPARSIFICATION_FRACTIONS`.

    Returns
    -------
    ndarray of float
        Bad pixels in percent of the kept pixels, one per fraction; nan if
        no pixel is evaluated.

    Raises
    ------
    ValueError
        As `reliability`, or for a fraction outside (0, 1].
    """
    fractions = [checks.Real(0.0, 1.0, open_low=True)(f, "fractions") for f in np.atleast_1d(fractions)]
    conf, right = _confidence_scored(confidence, disparity, gt, mask, threshold)
    n = conf.size
    if n == 0:
        return np.full(len(fractions), np.nan)
    order = np.argsort(-conf, kind="stable")
    ranked = -conf[order]  # increasing
    bad_before = np.concatenate([[0], np.cumsum(~right[order])])
    kept = np.array([max(1, round(f * n)) for f in fractions])
    start = np.searchsorted(ranked, ranked[kept - 1], side="left")  # the tie group of the last kept pixel
    end = np.searchsorted(ranked, ranked[kept - 1], side="right")
    bad = bad_before[start] + (kept - start) * (bad_before[end] - bad_before[start]) / (end - start)
    return 100.0 * bad / kept


def sparsification_area(confidence, disparity, gt, mask=None, threshold=1.0,
                        fractions=SPARSIFICATION_FRACTIONS):
    """The area under the sparsification curve: its mean over `fractions`, in percent.

    Lower is better; ranking by the true error gives the optimal area
    (``confidence = 1 - error / max(error)`` for instance).

    Parameters
    ----------
    confidence, disparity, gt, mask, threshold, fractions :
        As in `sparsification_curve`.

    Returns
    -------
    float
    """
    return float(np.mean(sparsification_curve(confidence, disparity, gt, mask, threshold, fractions)))
