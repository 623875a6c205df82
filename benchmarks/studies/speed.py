"""Seconds per scene of msstereo's models and solvers beside OpenCV SGBM, as ratios.

For each Middlebury v2 scene the timings run in ``--rounds`` rounds (after a
warm-up that compiles the kernels on a crop): in each round SGBM as its
users call it (`benchmarks.studies.common.SGBM_AS_CALLED`: one ``compute``
with OpenCV's own left-right check, on OpenCV's default threads) is timed as
the median of ``--repeat`` runs, and the accuracy studies' two-``compute``
pipeline on one thread for a second row, then each configuration once, and the ratio is taken within the round,
so that SGBM and the match it is compared with see the same load (the
machine is shared and noisy: ratios, not seconds, compare across runs). The
table gives the median seconds and ratio over the rounds with the ratio's
range, and the bad 1 nonocc of the match, so that a faster configuration is
seen to be as accurate. ``--profile`` adds, for the first configuration on
the first scene, the kernels that take the time (cProfile, by internal time,
on one thread).

Saves ``benchmarks/results/speed.md`` (``--name``) unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.speed                       # default/relax, ms-occ/pde, tv/pde
    python -m benchmarks.studies.speed --configs default/relax --scenes teddy --profile
    python -m benchmarks.studies.speed --configs default/relax ms-occ/pde --threads 1 2 --name threads
"""

import cProfile
import io
import os
import pstats

import numpy as np

from msstereo.datasets import V2_SCENES
from msstereo.match import SOLVERS

from .common import (SGBM, command_line, load_scenes, markdown_row, markdown_table, run_scene, sgbm_seconds,
                     study_parser, warm_up, write_markdown)

CONFIGS = ("default/relax", "ms-occ/pde", "tv/pde")


def label(config):
    """``model / solver``, and the thread count where one was set."""
    model, solver, threads = config
    return f"{model} / {solver}" + ("" if threads is None else f", {threads} thread{'s' * (threads > 1)}")


def profile_table(scene, model, solver, top=12):
    """The `top` functions by internal time of one match, as text."""
    profiler = cProfile.Profile()
    # One thread: cProfile sees only the calling thread, not the views' worker threads.
    profiler.runcall(run_scene, scene, model, solver, {"threads": 1})
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=V2_SCENES, save="speed")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), metavar="MODEL/SOLVER")
    parser.add_argument("--repeat", type=int, default=5, help="SGBM runs per scene and round (median)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of SGBM and every configuration")
    parser.add_argument("--threads", nargs="+", type=int, default=[None], metavar="N",
                        help="thread counts of `match` to time each configuration with (default: its own)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    configs = [tuple(c.split("/")) + (threads,) for c in args.configs for threads in args.threads]
    load_start = os.getloadavg()
    scenes = load_scenes(args.scenes, args.data)
    first = next(iter(scenes.values()))
    warm_up(first, sorted({m for m, _, _ in configs}), {s: SOLVERS[s]() for _, s, _ in configs}, {})
    lines = markdown_table(["scene", "method", "seconds", "x sgbm", "x sgbm, range", "bad1 nonocc"], [],
                           align="llrrlr")
    ratios = {c: [] for c in configs}
    for name, scene in scenes.items():
        peer, pipeline, seconds, bad = [], [], {c: [] for c in configs}, {}
        for _ in range(args.rounds):
            peer.append(sgbm_seconds(scene.left, scene.right, scene.ndisp, args.repeat))
            pipeline.append(sgbm_seconds(scene.left, scene.right, scene.ndisp, args.repeat, SGBM))
            for config in configs:
                model, solver, threads = config
                row, _ = run_scene(scene, model, solver, {} if threads is None else {"threads": threads})
                seconds[config].append(row["seconds"])
                bad[config] = row["bad1 nonocc"]  # the same in every round: a match is deterministic
        lines.append(markdown_row([name, "sgbm", f"{np.median(peer):.3f}", "1.0", "-", "-"]))
        within = np.array(pipeline) / np.array(peer)
        lines.append(markdown_row([name, "sgbm, two computes, one thread", f"{np.median(pipeline):.3f}",
                                   f"{np.median(within):.1f}", f"{within.min():.1f}-{within.max():.1f}", "-"]))
        for config in configs:
            within = np.array(seconds[config]) / np.array(peer)
            ratios[config].append(float(np.median(within)))
            lines.append(markdown_row([name, label(config), f"{np.median(seconds[config]):.2f}",
                                       f"{ratios[config][-1]:.0f}", f"{within.min():.0f}-{within.max():.0f}",
                                       f"{bad[config]:.2f}"]))
            print(lines[-1], flush=True)
    lines.append("")
    lines += markdown_table(["method", "x sgbm, mean over the scenes", "x sgbm, largest"],
                            [[label(c), f"{np.mean(r):.0f}", f"{max(r):.0f}"] for c, r in ratios.items()])
    # The ratios assume an otherwise idle machine: other jobs on the cores stretch the long
    # matches far more than SGBM's short runs, so the load is part of the result.
    lines.append("")
    lines.append("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in load_start)
                 + "; at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
                 + f"; {os.cpu_count()} cores.")
    report = "\n".join(lines)
    if args.profile:
        model, solver, _ = configs[0]
        report += (f"\n\nProfile of {model} / {solver} on {next(iter(scenes))}, one thread (by internal time):\n\n```\n"
                   + profile_table(first, model, solver) + "```\n")
    print(report)
    if not args.no_save:
        write_markdown(args.name, "Seconds per scene beside OpenCV SGBM", command_line(__spec__.name, argv),
                       f"{args.rounds} rounds after a warm-up, each of SGBM as its users call it (one "
                       "`compute` with `disp12MaxDiff=1` on OpenCV's default threads, then the background fill; "
                       f"the median of {args.repeat} runs), of the accuracy studies' two-`compute` pipeline on "
                       "one thread (second row) "
                       "and one run of each configuration; `seconds` is the median over the rounds, `x sgbm` "
                       "the median of the ratios within a round, and its range. Two cores, one process; "
                       "`match` on its default threads (the two views of the occlusion models side by side) "
                       "unless a thread count is given.",
                       report)


if __name__ == "__main__":
    main()
