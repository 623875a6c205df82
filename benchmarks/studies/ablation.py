"""Ablation of the options beyond the paper in the ``default`` model.

Runs the ``default`` model with the ``relax`` solver, then the same with one
option switched off at a time (or, for the one left out of it, on), and prints a table of bad-pixel percentages per
scene (and their mean) beside the SGBM peer of the same run. Saves it as
``benchmarks/results/ablation.md`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.ablation --scenes teddy cones
"""


import numpy as np

from msstereo.datasets import V2_SCENES

from .common import (command_line, load_scenes, markdown_table, run_peer, run_scene, study_parser,
                     write_markdown)

VARIANTS = {
    "default": {},
    "paper data term (no census, lam 5)": {"census": 0.0, "lam": 5.0},
    "no aggregation": {"aggregate": 0},
    "no TGV (tgv 0)": {"tgv": 0.0},
    "TGV weight 2 (tgv 2)": {"tgv": 2.0},
    "no column parity (column_parity False)": {"column_parity": False},
    "with cross-scale aggregation (3 scales)": {"aggregate_scales": 3},
    "no image-edge weight (weight v)": {"weight": "v"},
    "no occlusion model": {"occlusion": False},
    "paper's weight in occluded pixels (occluded_weight same)": {"occluded_weight": "same"},
    "no weighted median": {"weighted_median": 0},
}
"""Each variant: the `default` model's parameters that it changes."""

KEYS = ("bad1 nonocc", "bad0.5 nonocc", "bad1 all")


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=V2_SCENES, save=True)
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    rows = {"sgbm": [run_peer(scene) for scene in scenes.values()]}
    for name, params in VARIANTS.items():
        rows[name] = [run_scene(scene, "default", "relax", params)[0] for scene in scenes.values()]
        print(f"{name}: " + "  ".join(f"{k} {np.mean([r[k] for r in rows[name]]):.2f}" for k in KEYS),
              flush=True)
    header = (["variant"] + [f"{key} {scene}" for key in KEYS for scene in scenes]
              + [f"{key} mean" for key in KEYS] + ["seconds mean"])
    cells = [[name] + [f"{r[key]:.2f}" for key in KEYS for r in scene_rows]
             + [f"{np.mean([r[key] for r in scene_rows]):.2f}" for key in KEYS]
             + [f"{np.mean([r['seconds'] for r in scene_rows]):.2f}"]
             for name, scene_rows in rows.items()]
    table = "\n".join(markdown_table(header, cells))
    print(table)
    if not args.no_save:
        write_markdown("ablation", "Ablation of the default model", command_line(__spec__.name, argv),
                       "the `default` model (solver `relax`) with one option beyond the paper switched off "
                       "(or on) at a time, beside OpenCV SGBM of the same run. Bad-pixel percentages.", table)


if __name__ == "__main__":
    main()
