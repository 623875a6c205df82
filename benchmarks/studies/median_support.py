"""The weighted median of the ``default`` model weighted by the confidence, or not, per scene.

Runs the ``default`` model (solver ``relax``) without its weighted median
once per scene (the result holds both views' filled disparities, ``v`` and
occlusion masks), then finishes it as `msstereo.match` does with each
``median_support`` and prints bad 1 and bad 0.5 (nonocc on v2 and 2005, all
pixels on Motorcycle) per scene with the v2 mean:

- ``none``: the image-guided weighted median
  (`msstereo.kernels.filters.weighted_median`);
- ``confidence``: the same, each window pixel's value weighted by its
  view's confidence (`msstereo.problems.view_confidences`);
- ``confidence, twice``: that median applied a second time, with the
  confidence of the first one's maps.

The OpenCV SGBM peer of the same run is the first row. Saves
``benchmarks/results/median_support.md`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.median_support
"""

import numpy as np

from msstereo.batch import score
from msstereo.datasets import SCENE_NAMES, V2_SCENES
from msstereo.kernels.filters import guide_levels, weighted_median
from msstereo.models import MODELS
from msstereo.problems import problem_for, view_confidences

from .common import command_line, load_scenes, markdown_table, run_peer, run_scene, study_parser, write_markdown

VARIANTS = {"none": 0, "confidence": 1, "confidence, twice": 2}
"""Row name: passes of the confidence-weighted median (0: one pass without a support)."""

METRICS = ("bad1", "bad0.5")


def metric(row, name):
    """``name`` (bad1, bad0.5) of a score row: nonocc where the scene has masks, else over all pixels."""
    return row.get(f"{name} nonocc", row.get(f"{name} all"))


def images(scene):
    """Both images as ``default`` sees them (`msstereo.problems.Problem.prepare`, as `msstereo.match` calls it)."""
    return problem_for(MODELS["default"]).prepare(scene.left, scene.right, np.float32, -1)[:2]


def finish(result, images, passes):
    """The left map of ``result`` (without a median) after the model's median with ``passes`` supported passes."""
    m = MODELS["default"]
    disparities = [result.disparity, result.disparity_right]
    levels = [guide_levels(image) for image in images]
    for _ in range(max(passes, 1)):
        supports = (view_confidences(disparities, [result.v, result.v_right],
                                     [result.occlusion, result.occlusion_right], images)
                    if passes else [None, None])
        disparities = [weighted_median(d, g, np.ones(d.shape, bool), m.weighted_median, m.median_color,
                                       m.median_space, s) for d, g, s in zip(disparities, levels, supports)]
    return disparities[0]


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENE_NAMES, save=True)
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    rows = {"sgbm": {name: run_peer(scene) for name, scene in scenes.items()}}
    plain = {name: run_scene(scene, "default", "relax", {"weighted_median": 0})[1]
             for name, scene in scenes.items()}
    for key, passes in VARIANTS.items():
        rows[key] = {}
        for name, result in plain.items():
            rows[key][name] = score(scenes[name], finish(result, images(scenes[name]), passes), result.seconds)
        print(key, {n: round(metric(r, "bad1"), 2) for n, r in rows[key].items()}, flush=True)
    names = list(scenes)
    v2 = [n for n in names if n in V2_SCENES]
    with_mean = len(v2) == len(V2_SCENES)

    def cells(row, name):
        return " / ".join(f"{metric(row[name], k):.2f}" for k in METRICS)

    body = [[key] + [cells(row, n) for n in names]
            + ([" / ".join(f"{np.mean([metric(row[n], k) for n in v2]):.2f}" for k in METRICS)] if with_mean else [])
            for key, row in rows.items()]
    table = "\n".join(markdown_table(["median support", *names] + (["v2 mean"] if with_mean else []), body))
    print(table)
    if not args.no_save:
        write_markdown("median_support", "The weighted median of the default model, weighted by the confidence or not",
                       command_line(__spec__.name, argv),
                       "the `default` model (solver `relax`) without its weighted median, then the median of "
                       "each row (`median_support`; radius, colour and space of `default`) applied to the same "
                       "disparities of both views, beside OpenCV SGBM of the same run. Bad 1 / bad 0.5 in "
                       "percent (nonocc; Motorcycle: all pixels).", table)


if __name__ == "__main__":
    main()
