"""The confidence map of the default model: fit its calibration on v2, check it on every scene.

Runs the ``default`` model (solver ``relax``) on each scene and computes
the features of `msstereo.confidence` from its result. The logistic
calibration is fitted on the Middlebury v2 scenes among them (non-occluded
pixels, right = within 1 px of the ground truth, each scene weighted
alike, a small L2 penalty `L2` on the weights), then every scene is scored
(`msstereo.evaluate`), non-occluded (Motorcycle: every pixel with ground
truth):

- ``ECE``: expected calibration error, 10 bins, of the map as fitted here
  and of the map that the installed constants (``msstereo._calibration``)
  give; ``ECE out``: of the map fitted on the other v2 scenes only
  (leave one out, v2 scenes), a check that the fit does not only memorize;
- ``largest tie``: the largest share of pixels that share one value;
- ``AUC``: area under the sparsification curve (mean bad 1 of the most
  confident 5 %, 10 %, ..., 100 %), of the map, of the plain left-right
  check ``exp(-|d(x) - d_r(x - d(x))|)`` from the same result (linear
  interpolation; matches off the right image get 0) and of the optimal
  ranking (right pixels first), and the ratio map / plain, also of the map
  that the installed constants give (``ratio installed``);
- ``SGBM density``: the share of the pixels that OpenCV SGBM as its users
  call it keeps (`benchmarks.studies.common.sgbm_kept`: one ``compute`` with
  ``disp12MaxDiff=1``), SGBM's bad 1 on them, and ours on the same number
  of our most confident pixels.

``--write`` rewrites ``msstereo/_calibration.py`` with the fitted
constants, so that a change of the matcher needs only this command to
recalibrate. Saves ``benchmarks/results/confidence.md`` and, with
matplotlib, ``confidence_reliability.png`` (reliability diagrams) and
``confidence_sparsification.png`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.confidence --write
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from msstereo import confidence as conf
from msstereo.datasets import SCENE_NAMES, V2_SCENES
from msstereo.evaluate import calibration_error, reliability, sparsification_area, sparsification_curve
from msstereo.kernels.occlusion import consistency_residual
from msstereo.models import get_model
from msstereo.problems import problem_for

from .common import (DENSITY_KEYS, RESULTS, ROOT, at_sgbm_density, command_line, load_scenes, markdown_table,
                     run_scene, scored_pixels, study_parser, write_markdown)

L2 = 1e-3
"""L2 penalty on the weights of the fit (per scene-weighted pixel sum of one)."""

SIGNS = {"consistency": -1, "occluded": -1, "near_occlusion": -1, "discontinuity": -1, "texture": 1,
         "spread": -1, "range": -1}
"""The sign each feature's weight is bounded to, from what the feature means (`msstereo.confidence`):
only texture is evidence for a match. Unbounded, the fit on v2 gave texture a small negative weight,
which ranked the guesses in a textureless band above the textured pixels around them
(``tests/test_confidence.py``)."""

CALIBRATION = ROOT / "msstereo" / "_calibration.py"
"""The module of the fitted constants, which ``--write`` regenerates."""


def scene_features(scene, result):
    """`msstereo.confidence.features` of a result, with the left image as the model saw it."""
    image = problem_for(get_model("default")).prepare(scene.left, scene.right, result.disparity.dtype, -1)[0]
    return conf.features(result.disparity, result.disparity_right, result.v, result.occlusion, image)


def fit(samples, l2=L2):
    """Logistic regression of rightness on the features, each scene weighted alike, weights of `SIGNS`.

    Parameters
    ----------
    samples : list of (X, y)
        Per scene: features (pixels x `msstereo.confidence.FEATURES`) and rightness.

    Returns
    -------
    weights : dict of str to float
    bias : float
    """
    X = np.concatenate([np.c_[x, np.ones(len(x))] for x, _ in samples]).astype(np.float64)
    y = np.concatenate([y for _, y in samples]).astype(np.float64)
    w = np.concatenate([np.full(len(y), 1.0 / len(y)) for _, y in samples])
    ridge = np.r_[np.ones(X.shape[1] - 1), 0.0]

    def loss(b):
        z = X @ b
        p = expit(z)
        value = np.sum(w * (np.logaddexp(0.0, z) - y * z)) + l2 * np.sum(ridge * b * b)
        return value, X.T @ (w * (p - y)) + 2 * l2 * ridge * b

    bounds = [(0.0, None) if SIGNS[name] > 0 else (None, 0.0) for name in conf.FEATURES] + [(None, None)]
    b = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds).x
    return dict(zip(conf.FEATURES, map(float, b[:-1]))), float(b[-1])


def samples_of(features, scene, disparity):
    """(X, y) of a scene's scored pixels."""
    scored = scored_pixels(scene)
    X = np.stack([features[name][scored] for name in conf.FEATURES], axis=1)
    return X, np.abs(disparity - scene.disparity)[scored] <= 1.0


def plain_check(result):
    """``exp(-|u|)`` of the left-right residual, 0 where the match falls off the right image."""
    u, outside = consistency_residual(result.disparity, result.disparity_right, -1, 1)
    return np.where(outside, 0.0, np.exp(-np.abs(u))).astype(np.float32)


def write_calibration(weights, bias, command):
    """Rewrite ``msstereo/_calibration.py`` with the fitted constants."""
    items = ",\n           ".join(f'"{k}": {v:.6g}' for k, v in weights.items())
    CALIBRATION.write_text(
        f'"""The fitted constants of `msstereo.confidence`, written by ``{command}``."""\n\n'
        f"WEIGHTS = {{{items}}}\n"
        f'"""Logistic weight of each feature of `msstereo.confidence.FEATURES`."""\n\n'
        f"BIAS = {bias:.6g}\n"
        f'"""Logistic bias."""\n')


def score_scene(scene, result, c, c_installed, c_out):
    """One scene's row (see the module docstring)."""
    d, gt, m = result.disparity, scene.disparity, scored_pixels(scene)
    right = (np.abs(d - gt) <= 1.0).astype(np.float32)
    plain = plain_check(result)
    row = {"ECE": calibration_error(c, d, gt, m), "ECE installed": calibration_error(c_installed, d, gt, m),
           "ECE out": calibration_error(c_out, d, gt, m) if c_out is not None else float("nan"),
           "largest tie": 100.0 * np.unique(c, return_counts=True)[1].max() / c.size,
           "AUC": sparsification_area(c, d, gt, m), "AUC plain": sparsification_area(plain, d, gt, m),
           "AUC optimal": sparsification_area(right, d, gt, m),
           "AUC installed": sparsification_area(c_installed, d, gt, m)}
    row["ratio"] = row["AUC"] / row["AUC plain"]
    row["ratio installed"] = row["AUC installed"] / row["AUC plain"]
    return {**row, **at_sgbm_density(scene, d, c)}


COLUMNS = ("ECE", "ECE installed", "ECE out", "largest tie", "AUC", "AUC plain", "AUC optimal", "ratio",
           "ratio installed", *DENSITY_KEYS)


def plot(results, maps, scenes, names):
    """Reliability diagrams and sparsification curves of the v2 scenes and the others; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k:", label="calibrated")
    for name in names:
        r, s = results[name], scenes[name]
        diagram = reliability(maps[name], r.disparity, s.disparity, scored_pixels(s))
        keep = diagram["count"] > 0
        # Marker area grows with the bin's share of the pixels: the sparse low bins are noisy.
        share = diagram["count"][keep] / diagram["count"].sum()
        line, = ax.plot(diagram["confidence"][keep], diagram["right"][keep], "-", label=name)
        ax.scatter(diagram["confidence"][keep], diagram["right"][keep], s=10 + 300 * np.sqrt(share),
                   color=line.get_color())
    ax.set(xlabel="confidence (bin mean)", ylabel="share within 1 px",
           title="Reliability, default model (marker: pixels in the bin)")
    ax.legend()
    fig.savefig(RESULTS / "confidence_reliability.png", dpi=100)
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.8 * rows), squeeze=False)
    fractions = np.arange(1, 21) / 20
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        r, s = results[name], scenes[name]
        m = scored_pixels(s)
        for label, c in (("confidence", maps[name]), ("plain check", plain_check(r)),
                         ("optimal", (np.abs(r.disparity - s.disparity) <= 1).astype(np.float32))):
            ax.plot(100 * fractions, sparsification_curve(c, r.disparity, s.disparity, m, fractions=fractions),
                    label=label)
        ax.set(title=name, xlabel="most confident, %")
    for row in axes:
        row[0].set_ylabel("bad 1, %")
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "confidence_sparsification.png", dpi=100)
    return True


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENE_NAMES, save=True)
    parser.add_argument("--write", action="store_true", help="rewrite msstereo/_calibration.py with the fit")
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    results, feats, samples = {}, {}, {}
    for name, scene in scenes.items():
        results[name] = run_scene(scene, "default", "relax", {})[1]
        feats[name] = scene_features(scene, results[name])
        samples[name] = samples_of(feats[name], scene, results[name].disparity)
        print(name, "matched", flush=True)
    v2 = [n for n in scenes if n in V2_SCENES]
    if not v2:
        raise SystemExit("the fit needs at least one v2 scene")
    weights, bias = fit([samples[n] for n in v2])
    print("weights", {k: round(v, 4) for k, v in weights.items()}, "bias", round(bias, 4))
    rows, maps = {}, {}
    for name, scene in scenes.items():
        maps[name] = conf.calibrated(feats[name], weights, bias)
        others = [n for n in v2 if n != name]
        c_out = conf.calibrated(feats[name], *fit([samples[n] for n in others])) if others else None
        rows[name] = score_scene(scene, results[name], maps[name], results[name].confidence, c_out)
        print(name, {k: round(v, 3) for k, v in rows[name].items()}, flush=True)
    cells = [[name] + [f"{rows[name][k]:.3f}" if k.startswith("ECE") or k == "ratio" else f"{rows[name][k]:.2f}"
                       for k in COLUMNS] for name in scenes]
    body = "\n".join(markdown_table(["scene", *COLUMNS], cells))
    body += ("\n\nFitted weights (`msstereo.confidence.FEATURES`): "
             + ", ".join(f"{k} {v:.4g}" for k, v in weights.items()) + f"; bias {bias:.4g}.")
    print(body)
    command = command_line(__spec__.name, argv)
    if args.write:
        write_calibration(weights, bias, "python -m benchmarks.studies.confidence --write")
        print(f"wrote {CALIBRATION}")
    if not args.no_save:
        write_markdown("confidence", "The confidence map of the default model", command,
                       "the `default` model (solver `relax`); its confidence calibrated on the v2 scenes, scored "
                       "non-occluded (Motorcycle: all pixels). ECE: expected calibration error, 10 bins; "
                       "AUC: mean bad 1 (percent) of the most confident 5 %, ..., 100 %; SGBM: as its users call "
                       "it, and ours at the density it keeps. Columns defined in the study's docstring.", body)
        plot(results, maps, scenes, list(scenes))


if __name__ == "__main__":
    main()
