"""The guide's faster configuration of ``default`` against the default, timed beside SGBM as its users call it.

The faster configuration (`FASTER`, the guide's "Faster, a little less
accurate") is ``default`` under ``Relax(iterations=30,
occlusion_after=0.55, theta_start=70)`` with ``weighted_median=5``. Per
scene and round: SGBM as its users call it (`common.sgbm_seconds`: one
``compute`` with ``disp12MaxDiff=1`` on OpenCV's default threads, the
median of 5 runs), then the default, then the faster configuration, over
the scene's ``0..ndisp``; medians over the rounds of the seconds, each
over SGBM's of the same rounds, the faster one's over the default's, and
bad 1 (nonocc; Motorcycle: all pixels). Saves
``benchmarks/results/faster.md`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.faster --rounds 3
"""

import numpy as np

import msstereo
from msstereo.batch import score
from msstereo.datasets import V2_SCENES

from .common import (command_line, disparity_range, load_scenes, markdown_table, sgbm_seconds, study_parser,
                     write_markdown)

FASTER = dict(solver=msstereo.Relax(iterations=30, occlusion_after=0.55, theta_start=70), weighted_median=5)
"""Keywords of `msstereo.match` of the faster configuration."""

SGBM_REPEAT = 5
"""SGBM runs per scene and round (their median: its runs are short)."""


def bad1(scene, result):
    """Bad 1 nonocc, or over all pixels where the scene has no masks."""
    row = score(scene, result.disparity, result.seconds)
    return row.get("bad1 nonocc", row.get("bad1 all"))


def scene_row(scene, rounds):
    """Medians over ``rounds`` of SGBM's, the default's and the faster configuration's seconds, and bad 1."""
    extent = disparity_range(scene)
    seconds = {"sgbm": [], "default": [], "faster": []}
    errors = {}
    for _ in range(rounds):
        seconds["sgbm"].append(sgbm_seconds(scene.left, scene.right, scene.ndisp, SGBM_REPEAT))
        for name, keywords in (("default", {}), ("faster", FASTER)):
            result = msstereo.match(scene.left, scene.right, **extent, **keywords)
            seconds[name].append(result.seconds)
            errors[name] = bad1(scene, result)  # deterministic
    return {name: float(np.median(values)) for name, values in seconds.items()}, errors


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=V2_SCENES, save=True)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of SGBM and both configurations")
    args = parser.parse_args(argv)
    scenes = load_scenes(args.scenes, args.data)
    first = next(iter(scenes.values()))
    msstereo.match(first.left[:64, :96], first.right[:64, :96], d_min=0, d_max=16, **FASTER)  # compile first
    cells = []
    for name, scene in scenes.items():
        seconds, errors = scene_row(scene, args.rounds)
        cells.append([name, f"{seconds['sgbm']:.3f}", f"{seconds['default']:.2f}",
                      f"{seconds['default'] / seconds['sgbm']:.0f}", f"{errors['default']:.2f}",
                      f"{seconds['faster']:.2f}", f"{seconds['faster'] / seconds['sgbm']:.0f}",
                      f"{errors['faster']:.2f}", f"{seconds['faster'] / seconds['default']:.2f}"])
        print(" | ".join(cells[-1]), flush=True)
    header = ["scene", "SGBM s", "default s", "x SGBM", "bad 1", "faster s", "x SGBM", "bad 1", "faster / default"]
    table = "\n".join(markdown_table(header, cells, align="lrrrrrrrr"))
    print(table)
    if not args.no_save:
        write_markdown("faster", "The faster configuration of default beside the default and SGBM",
                       command_line(__spec__.name, argv), __doc__.split("\n\n")[1].replace("\n", " "), table)


if __name__ == "__main__":
    main()
