"""The weighted median of the ``default`` model: radius and weights, per scene.

Runs the ``default`` model (solver ``relax``) without its weighted median
once per scene, then applies the weighted median
(`msstereo.kernels.filters.weighted_median`, as `msstereo.match` does with
``weighted_median > 0`` and ``median_support="none"``; the support:
`benchmarks.studies.median_support`) with every setting of a grid to the same left
disparity, and prints bad 1 (nonocc on v2 and 2005, all pixels on
Motorcycle) per scene with the v2 mean. The OpenCV SGBM peer of the same run
is the first row. Saves ``benchmarks/results/weighted_median.md`` unless
``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.weighted_median
"""

import itertools

import numpy as np

from msstereo.batch import score
from msstereo.datasets import SCENE_NAMES, V2_SCENES
from msstereo.kernels.filters import guide_levels, weighted_median
from msstereo.match import as_float_image
from msstereo.models import MODELS

from .common import (command_line, load_scenes, markdown_table, run_peer, run_scene, study_parser,
                     write_markdown)

GRID = {"radius": (4, 6, 8), "median_color": (0.03, 0.05, 0.1), "median_space": (4.0, 8.0)}


def bad1(row):
    """Bad 1 of a score row: nonocc where the scene has masks, else over all pixels."""
    return row.get("bad1 nonocc", row.get("bad1 all"))


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENE_NAMES, save=True)
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    rows = {"sgbm": {name: bad1(run_peer(scene)) for name, scene in scenes.items()}}
    plain = {name: run_scene(scene, "default", "relax", {"weighted_median": 0})[1]
             for name, scene in scenes.items()}
    rows["none"] = {name: bad1(score(scenes[name], r.disparity, r.seconds)) for name, r in plain.items()}
    for radius, color, space in itertools.product(*GRID.values()):
        key = f"radius {radius}, colour {color:g}, space {space:g}"
        rows[key] = {}
        for name, result in plain.items():
            guide = as_float_image(scenes[name].left, "left")
            out = weighted_median(result.disparity, guide_levels(guide), np.ones(result.disparity.shape, bool),
                                  radius, color, space)
            rows[key][name] = bad1(score(scenes[name], out, result.seconds))
        print(key, {k: round(v, 2) for k, v in rows[key].items()}, flush=True)
    names = list(scenes)
    v2 = [n for n in names if n in V2_SCENES]
    with_mean = len(v2) == len(V2_SCENES)
    cells = [[key] + [f"{row[n]:.2f}" for n in names]
             + ([f"{np.mean([row[n] for n in v2]):.2f}"] if with_mean else []) for key, row in rows.items()]
    table = "\n".join(markdown_table(["weighted median", *names] + (["v2 mean"] if with_mean else []), cells))
    print(table)
    if not args.no_save:
        chosen = MODELS["default"]
        write_markdown("weighted_median", "The weighted median of the default model",
                       command_line(__spec__.name, argv),
                       "the `default` model (solver `relax`) without its weighted median, then the weighted "
                       "median with each setting applied to the same disparities, beside OpenCV SGBM of the "
                       "same run. Bad 1 in percent (nonocc; Motorcycle: all pixels). `default` uses radius "
                       f"{chosen.weighted_median}, colour {chosen.median_color:g}, space {chosen.median_space:g}.",
                       table)


if __name__ == "__main__":
    main()
