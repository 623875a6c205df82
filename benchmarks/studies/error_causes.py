"""Where the default model's errors are: its bad pixels broken down by cause, per scene.

Runs the ``default`` model (solver ``relax``) on each scene and sorts its
bad pixels (``|d - d_gt| > 1``) into classes defined from the ground truth
and the left image alone (never from the result), so that a class says
where the scene is hard, not where the matcher failed:

occluded
    Pixels with ground truth outside 'nonocc' (`msstereo.datasets.Scene.occlusion`:
    half-occluded, or matching off the right image). The model fills them
    (background fill of its occlusion mask, then the weighted median).
    Motorcycle has no 'nonocc' mask: its occluded pixels are derived from
    the left ground truth (`occluded_by_gt`): pixel ``x`` is occluded when
    a pixel ``x' > x`` of its row lands at least 1 px left of it in the
    right view, ``x' - d(x') < x - d(x) - 1``, or its match ``x - d(x)``
    is off the image.
disc (near discontinuities)
    Non-occluded pixels of the v2 'disc' mask. Scenes without one get the
    v2 rule (Scharstein and Szeliski, IJCV 2002) on their ground truth
    (`near_jumps`): pixels whose 4-neighbour ground-truth difference
    exceeds `JUMP` px, dilated by a `DISC_WINDOW` square, minus the
    occluded pixels.
textureless (large textureless regions)
    The IJCV 2002 rule, then a size: the squared horizontal gradient of the
    gray left image (0-255 levels, central differences), averaged over a
    3 x 3 window, is below `TEXTURE_SQ` (4 levels squared) over a whole
    `LARGE` x `LARGE` window around the pixel.
repetitive (repetitive texture)
    Textured pixels (not textureless by the 3 x 3 rule) whose `PATCH` x
    `PATCH` patch of the gray left image has a copy elsewhere in its row
    within the disparity range: the zero-mean normalized cross-correlation
    with the patch shifted by ``s`` pixels (``2 <= |s| <= ndisp``) peaks at
    ``s`` (a local maximum over ``s``) at `NCC_REPEAT` or more after
    falling below `NCC_DIP` between 0 and ``s``, so that a smooth ramp,
    whose correlation never dips, is not counted.
slanted (slanted surfaces)
    Pixels whose ground-truth gradient has a norm of at least `SLANT` px
    per px; each component is the difference ``(d(x + h) - d(x - h)) / 2h``
    with ``h = SLANT_SPAN`` (so that the 1 px steps of integer ground
    truth are no slant), over spans that are known and hold no jump.
other
    Non-occluded bad pixels in none of the classes above.

The first table attributes each non-occluded bad pixel to the first of
disc, textureless, repetitive, slanted, other that holds it, so the columns
add up to bad 1 nonocc (in percent of the non-occluded pixels); occluded
bad pixels are counted beside it, in percent of all pixels with ground
truth, split into those the model's occlusion mask holds (filled) and the
others. The second gives, class by class (overlapping), its share of the
pixels and its bad 1 rate. The third the sub-pixel errors, non-occluded:
the shares with an error in (0.5, 1] and in (1, 2] px, and the mean signed
error ``d - d_gt`` over the pixels within 1 px (a bias of the sub-pixel
refinement). Motorcycle, without a 'nonocc' mask, is scored outside the
derived occlusion. Saves ``benchmarks/results/error_causes.md`` unless
``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.error_causes
"""

import numpy as np
from scipy import ndimage

from msstereo.datasets import SCENE_NAMES

from .common import command_line, load_scenes, markdown_table, run_scene, study_parser, write_markdown

JUMP = 2.0
"""A ground-truth step larger than this (px, between 4-neighbours) is a discontinuity."""

DISC_WINDOW = 9
"""Side of the square that dilates the jumps into the 'disc' region (as the v2 masks)."""

TEXTURE_SQ = 4.0
"""Threshold of the 3 x 3 mean squared horizontal gradient (gray levels squared) of a textureless pixel."""

LARGE = 9
"""Side of the window that must be textureless throughout for a pixel to be in a large textureless region."""

PATCH = 9
"""Side of the patches compared for repetitive texture."""

NCC_REPEAT, NCC_DIP = 0.8, 0.3
"""Correlation of a repeated patch, and the dip below which the correlation must fall before it."""

SLANT = 0.2
"""Ground-truth gradient norm (px per px) of a slanted surface."""

SLANT_SPAN = 3
"""Half-span of the slope's central difference: a step of 1 px (integer ground truth) is no slant."""

CLASSES = ("disc", "textureless", "repetitive", "slanted")
"""The causes of non-occluded errors, in the order of attribution."""


def gray(image):
    """The left image as gray levels 0-255 (float64), the mean of its channels."""
    image = np.asarray(image, dtype=np.float64)
    image = image.mean(axis=2) if image.ndim == 3 else image
    return image * (255.0 / 65535.0 if image.max() > 255 else 1.0)


def occluded_by_gt(gt):
    """Left pixels hidden in the right view, from the left ground truth alone (see the module docstring)."""
    n = gt.shape[1]
    target = np.arange(n) - np.where(np.isfinite(gt), gt, -np.inf)  # unknown: never hides anything
    # Smallest landing point of the pixels to the right of each pixel.
    right_min = np.minimum.accumulate(target[:, ::-1], axis=1)[:, ::-1]
    right_min = np.concatenate([right_min[:, 1:], np.full((gt.shape[0], 1), np.inf)], axis=1)
    with np.errstate(invalid="ignore"):
        return np.isfinite(gt) & ((right_min < target - 1.0) | (target < 0))


def near_jumps(gt):
    """Pixels within half of `DISC_WINDOW` of a ground-truth jump larger than `JUMP` px."""
    jump = np.zeros(gt.shape, bool)
    with np.errstate(invalid="ignore"):
        for axis in (0, 1):
            step = np.abs(np.diff(gt, axis=axis)) > JUMP
            lo = [slice(None)] * 2
            hi = [slice(None)] * 2
            lo[axis], hi[axis] = slice(None, -1), slice(1, None)
            jump[tuple(lo)] |= step
            jump[tuple(hi)] |= step
    return ndimage.binary_dilation(jump, np.ones((DISC_WINDOW, DISC_WINDOW), bool))


def textureless(g):
    """(textureless by the 3 x 3 rule, in a large textureless region)."""
    gx = np.zeros_like(g)
    gx[:, 1:-1] = (g[:, 2:] - g[:, :-2]) / 2
    flat = ndimage.uniform_filter(gx**2, 3, mode="nearest") < TEXTURE_SQ
    return flat, ndimage.minimum_filter(flat, LARGE, mode="nearest")


def _shift(a, s):
    """``a(x + s)`` along the rows, nan off the image."""
    out = np.full_like(a, np.nan)
    if s > 0:
        out[:, :-s] = a[:, s:]
    else:
        out[:, -s:] = a[:, :s]
    return out


def repetitive(g, flat, ndisp):
    """Textured pixels whose patch repeats in its row within ``ndisp`` px (see the module docstring)."""
    box = lambda a: ndimage.uniform_filter(a, PATCH, mode="nearest")  # noqa: E731
    mean = box(g)
    var = np.maximum(box(g * g) - mean**2, 1e-6)
    found = np.zeros(g.shape, bool)
    for sign in (-1, 1):
        dipped = np.zeros(g.shape, bool)
        ncc = [np.zeros_like(g)] * 2  # the correlations at the two shifts before
        for s in range(1, int(ndisp) + 2):
            gs, ms, vs = (_shift(a, sign * s) for a in (g, mean, var))
            c = box(np.nan_to_num(g * gs)) - mean * ms  # products off the image count as 0
            c = np.nan_to_num(c / np.sqrt(var * vs), nan=-1.0)
            peak = (ncc[1] >= NCC_REPEAT) & (ncc[1] >= ncc[0]) & (ncc[1] >= c) & dipped
            if s - 1 >= 2:
                found |= peak
            dipped |= c < NCC_DIP
            ncc = [ncc[1], c]
    return found & ~flat


def slanted(gt):
    """Pixels on a surface slanted by at least `SLANT` px per px (see the module docstring)."""
    h = SLANT_SPAN
    grads = []
    with np.errstate(invalid="ignore"):
        for axis in (0, 1):
            g = np.moveaxis(gt, axis, 1)
            step = np.abs(np.diff(g, axis=1)) > JUMP
            step |= ~np.isfinite(np.diff(g, axis=1))
            # A jump or an unknown anywhere in the span x - h ... x + h (steps x - h ... x + h - 1): no slope.
            step = np.pad(step, ((0, 0), (0, 1)), constant_values=True).astype(np.uint8)
            broken = ndimage.maximum_filter1d(step, 2 * h, axis=1, mode="nearest") > 0
            slope = np.full(g.shape, 0.0)
            slope[:, h:-h] = (g[:, 2 * h:] - g[:, :-2 * h]) / (2 * h)
            grads.append(np.moveaxis(np.where(broken, 0.0, slope), 1, axis))
        return np.hypot(*grads) >= SLANT


def classes(scene):
    """``{name: mask}`` of every class of the module docstring, and the evaluated non-occluded pixels."""
    gt = scene.disparity
    known = scene.known
    occluded = scene.occlusion if scene.occlusion is not None else known & occluded_by_gt(gt)
    nonocc = known & ~occluded
    disc = scene.masks["disc"] if "disc" in scene.masks else near_jumps(gt)
    g = gray(scene.left)
    flat, large_flat = textureless(g)
    return {"occluded": occluded, "disc": disc & nonocc, "textureless": large_flat,
            "repetitive": repetitive(g, flat, scene.ndisp), "slanted": slanted(gt)}, nonocc


def breakdown(scene, result):
    """The three rows of one scene (see the module docstring)."""
    error = np.abs(result.disparity.astype(np.float64) - scene.disparity)
    error[~np.isfinite(result.disparity)] = np.inf
    masks, nonocc = classes(scene)
    bad = (error > 1.0) & scene.known
    n_nonocc, n_known = nonocc.sum(), scene.known.sum()
    attribution, left = {}, bad & nonocc
    for name in CLASSES:
        attribution[name] = 100.0 * (left & masks[name]).sum() / n_nonocc
        left &= ~masks[name]
    attribution["other"] = 100.0 * left.sum() / n_nonocc
    occ = masks["occluded"]
    filled = occ & result.occlusion if result.occlusion is not None else np.zeros_like(occ)
    attribution["bad1 nonocc"] = 100.0 * (bad & nonocc).sum() / n_nonocc
    attribution["occ filled"] = 100.0 * (bad & filled).sum() / n_known
    attribution["occ missed"] = 100.0 * (bad & occ & ~filled).sum() / n_known
    attribution["occ share"] = 100.0 * occ.sum() / n_known
    membership = {}
    for name in ("occluded",) + CLASSES:
        inside = masks[name] & scene.known & (nonocc if name != "occluded" else True)
        share = 100.0 * inside.sum() / (n_known if name == "occluded" else n_nonocc)
        rate = 100.0 * (bad & inside).sum() / max(inside.sum(), 1)
        membership[name] = (share, rate)
    within = nonocc & (error <= 1.0)
    signed = (result.disparity - scene.disparity)[within]
    subpixel = {"(0.5, 1]": 100.0 * (nonocc & (error > 0.5) & (error <= 1.0)).sum() / n_nonocc,
                "(1, 2]": 100.0 * (nonocc & (error > 1.0) & (error <= 2.0)).sum() / n_nonocc,
                "bias": float(signed.mean()), "|error| mean": float(error[within].mean())}
    return attribution, membership, subpixel


def tables(rows):
    """The three Markdown tables of ``{scene: breakdown}``."""
    first = markdown_table(
        ["scene", "bad1 nonocc", *CLASSES, "other", "occluded share", "occ bad, filled", "occ bad, not filled"],
        [[name, *(f"{a[k]:.2f}" for k in ("bad1 nonocc", *CLASSES, "other", "occ share", "occ filled",
                                          "occ missed"))] for name, (a, _, _) in rows.items()])
    second = markdown_table(
        ["scene", *(f"{k}: share / bad1" for k in ("occluded",) + CLASSES)],
        [[name, *(f"{m[k][0]:.1f} / {m[k][1]:.1f}" for k in ("occluded",) + CLASSES)]
         for name, (_, m, _) in rows.items()])
    third = markdown_table(
        ["scene", "error in (0.5, 1]", "error in (1, 2]", "mean d - gt (within 1 px)", "mean error (within 1 px)"],
        [[name, f"{s['(0.5, 1]']:.2f}", f"{s['(1, 2]']:.2f}", f"{s['bias']:+.3f}", f"{s['|error| mean']:.3f}"]
         for name, (_, _, s) in rows.items()])
    return ("Bad 1 nonocc attributed to the first class that holds the pixel (percent of the non-occluded "
            "pixels; the columns disc to other add up to bad1 nonocc); occluded pixels in percent of all "
            "pixels with ground truth, their bad ones split by whether the model's occlusion mask (and so "
            "its background fill) holds them:\n\n" + "\n".join(first)
            + "\n\nClasses one by one (overlapping): share of the pixels (occluded: of all with ground truth; "
            "the others: of the non-occluded) / bad 1 inside the class, percent:\n\n" + "\n".join(second)
            + "\n\nSub-pixel errors, non-occluded (percent of the pixels; mean signed and absolute error, px, "
            "over the pixels within 1 px):\n\n" + "\n".join(third))


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENE_NAMES, save=True)
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    rows = {}
    for name, scene in scenes.items():
        rows[name] = breakdown(scene, run_scene(scene, "default", "relax", {})[1])
        print(name, {k: round(v, 2) for k, v in rows[name][0].items()}, flush=True)
    body = tables(rows)
    print(body)
    if not args.no_save:
        write_markdown("error_causes", "Where the default model's errors are", command_line(__spec__.name, argv),
                       "the `default` model (solver `relax`) on each scene, its bad 1 pixels sorted by cause; the "
                       "classes are defined in the study's docstring from the ground truth and the left image.",
                       body)


if __name__ == "__main__":
    main()
