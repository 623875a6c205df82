"""Accuracy of the banded relax levels against the whole range, where the whole range fits.

Each scene runs the default configuration three ways: as is (the whole range
on one level, since its volumes fit the default budget) and with
``Relax(budget=100)``, which makes the finest level search a band of
``+- band`` px around the solution of a half-size level (whole range there),
for bands of 4 and 2 px: what a pair too large for the whole range gets.
Scores: bad 1 nonocc on Teddy and Cones (v2), bad 1 over the known pixels on
Motorcycle (0.37 MP, ``d_max`` 70). Each run is one child process on one
thread; rows go to ``benchmarks/results/band.jsonl`` as they come, and the
table to ``benchmarks/results/band.md`` (``--table`` remakes it from the
rows).

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.band
    python -m benchmarks.studies.band --table
"""

import argparse
import json
import os
import sys
import time

from .common import RESULTS, command_line, markdown_table, run_module, study_parser, write_markdown

CONFIGS = ({}, {"budget": 100, "band": 4}, {"budget": 100, "band": 2})
SCENES = ("teddy", "cones", "motorcycle")
ROWS = RESULTS / "band.jsonl"


def child(name, config):
    """One scene and configuration in this process; prints a JSON row."""
    import msstereo
    from msstereo.datasets import load_scene, motorcycle
    from msstereo.evaluate import bad_pixels

    if name == "motorcycle":
        scene, d_max = motorcycle(), 70
    else:
        scene = load_scene(os.path.join(os.environ["MSSTEREO_DATA"], "middlebury/v2", name))
        d_max = scene.ndisp
    t0 = time.perf_counter()
    result = msstereo.match(scene.left, scene.right, d_min=0, d_max=d_max, solver=msstereo.Relax(**config),
                            threads=1)
    seconds = time.perf_counter() - t0
    score = {"bad1 all": bad_pixels(result.disparity, scene.disparity, scene.masks["all"], 1.0)}
    if "nonocc" in scene.masks:
        score["bad1 nonocc"] = bad_pixels(result.disparity, scene.disparity, scene.masks["nonocc"], 1.0)
    print(json.dumps({"scene": name, "config": config, "levels": [list(log.shape) for log in result.levels],
                      "seconds": seconds, "score": {k: float(v) for k, v in score.items()}}))


def table(rows):
    """The Markdown table: one row per scene, one column per configuration."""
    cells = []
    for scene in SCENES:
        key = "bad1 all" if scene == "motorcycle" else "bad1 nonocc"
        found = [[r for r in rows if r["scene"] == scene and r["config"] == config] for config in CONFIGS]
        cells.append([scene, key] + [f"{f[-1]['score'][key]:.2f}" if f else "-" for f in found])
    header = ["scene", "score", "whole range", "band +- 4 px", "band +- 2 px"]
    return "\n".join(markdown_table(header, cells, align="llrrr"))


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name)
    parser.add_argument("--table", action="store_true", help="remake band.md from band.jsonl")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], json.loads(args.child[1]))
    if not args.table:
        ROWS.parent.mkdir(exist_ok=True)
        for scene in SCENES:
            for config in CONFIGS:
                out = run_module(__spec__.name, ["--child", scene, json.dumps(config)])
                row = out.stdout.strip().splitlines()[-1]
                print(row, flush=True)
                with open(ROWS, "a") as f:
                    f.write(row + "\n")
    with open(ROWS) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    write_markdown("band", "Banded relax levels against the whole range", command_line(__spec__.name, argv),
                   __doc__.split("\n\n")[1].replace("\n", " "), table(rows))
    print(table(rows))


if __name__ == "__main__":
    sys.exit(main())
