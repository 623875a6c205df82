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

References
----------
.. [1] D. Scharstein and R. Szeliski, "A taxonomy and evaluation of dense
       two-frame stereo correspondence algorithms", IJCV 47(1-3), 2002.
.. [2] D. Scharstein et al., "High-resolution stereo datasets with
       subpixel-accurate ground truth", GCPR 2014; Middlebury Stereo
       Evaluation - Version 3, vision.middlebury.edu/stereo/eval3.
"""

from __future__ import annotations

import numpy as np

from . import checks

__all__ = ["bad_pixels", "evaluate_v2", "evaluate_v3", "evaluate_v3_masks", "evaluate_scene",
           "occlusion_scores", "metric_columns", "occlusion_columns", "V2_COLUMNS", "V2_KEYS",
           "V3_KEYS", "OCCLUSION_KEYS", "METRIC_KEYS"]

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
