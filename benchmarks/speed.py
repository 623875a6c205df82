"""Seconds per scene of msstereo's models and solvers beside OpenCV SGBM, as ratios.

For each Middlebury v2 scene, SGBM (``benchmarks/peers.py``) is timed as the
median of ``--repeat`` runs, then each configuration once (after a warm-up
that compiles the kernels on a crop), and the table gives the seconds, their
ratio to SGBM's from the same run (the machine is shared and noisy: ratios,
not seconds, compare across runs) and the bad 1 nonocc of the same match, so
that a faster configuration is seen to be as accurate. ``--profile`` adds,
for the first configuration on the first scene, the kernels that take the
time (cProfile, by internal time, on one thread).

Saves ``benchmarks/results/speed.md`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python benchmarks/speed.py                       # default/relax, ms-occ/pde, tv/pde
    python benchmarks/speed.py --configs default/relax --scenes teddy --profile
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402

import numpy as np  # noqa: E402

from middlebury import load_scenes, run_scene, warm_up, write_markdown  # noqa: E402
from msstereo.match import SOLVERS  # noqa: E402
from peers import sgbm  # noqa: E402

CONFIGS = ("default/relax", "ms-occ/pde", "tv/pde")


def sgbm_seconds(scene, repeat):
    """Median wall time of the SGBM peer's whole pipeline over `repeat` runs."""
    return float(np.median([sgbm(scene.left, scene.right, scene.ndisp)[1] for _ in range(repeat)]))


def profile_table(scene, model, solver, top=12):
    """The `top` functions by internal time of one match, as text."""
    profiler = cProfile.Profile()
    # One thread: cProfile sees only the calling thread, not the views' worker threads.
    profiler.runcall(run_scene, scene, model, solver, {"threads": 1})
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MSSTEREO_DATA"))
    parser.add_argument("--scenes", nargs="+", default=["tsukuba", "venus", "teddy", "cones"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), metavar="MODEL/SOLVER")
    parser.add_argument("--repeat", type=int, default=5, help="SGBM runs per scene (median)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    configs = [tuple(c.split("/")) for c in args.configs]
    load_start = os.getloadavg()
    scenes = load_scenes(args.scenes, args.data)
    first = next(iter(scenes.values()))
    warm_up(first, sorted({m for m, _ in configs}), {s: SOLVERS[s]() for _, s in configs}, {})
    lines = ["| scene | method | seconds | x sgbm | bad1 nonocc |", "|---|---|---:|---:|---:|"]
    ratios = {c: [] for c in configs}
    for name, scene in scenes.items():
        peer = sgbm_seconds(scene, args.repeat)
        lines.append(f"| {name} | sgbm | {peer:.3f} | 1.0 | - |")
        for model, solver in configs:
            row, _ = run_scene(scene, model, solver, {})
            ratios[(model, solver)].append(row["seconds"] / peer)
            lines.append(f"| {name} | {model} / {solver} | {row['seconds']:.2f} | "
                         f"{ratios[(model, solver)][-1]:.0f} | {row['bad1 nonocc']:.2f} |")
            print(lines[-1], flush=True)
    lines.append("")
    lines.append("| method | x sgbm, mean over the scenes | x sgbm, largest |")
    lines.append("|---|---:|---:|")
    for (model, solver), r in ratios.items():
        lines.append(f"| {model} / {solver} | {np.mean(r):.0f} | {max(r):.0f} |")
    # The ratios assume an otherwise idle machine: other jobs on the cores stretch the long
    # matches far more than SGBM's short runs, so the load is part of the result.
    lines.append("")
    lines.append("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in load_start)
                 + "; at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
                 + f"; {os.cpu_count()} cores.")
    report = "\n".join(lines)
    if args.profile:
        model, solver = configs[0]
        report += (f"\n\nProfile of {model} / {solver} on {next(iter(scenes))}, one thread (by internal time):\n\n```\n"
                   + profile_table(first, model, solver) + "```\n")
    print(report)
    if not args.no_save:
        write_markdown("speed", "Seconds per scene beside OpenCV SGBM",
                       f"SGBM is the median of {args.repeat} runs, each configuration one run after a warm-up; "
                       "`x sgbm` is the ratio in the same run. Two cores, one process; `match` on its default "
                       "threads (the two views of the occlusion models side by side).", report)


if __name__ == "__main__":
    main()
