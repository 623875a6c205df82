"""First-call seconds of `msstereo.match`: cold (empty Numba cache) and warm, in fresh processes.

Each repeat gives every source tree an empty ``NUMBA_CACHE_DIR`` and runs two
child processes on it: the cold one (a fresh install: every kernel is
compiled) and then the warm one (a new process with the cache filled). Each
child times its first ``default`` match, then an ``ms-occ``/``pde`` match
(which compiles only the kernels that ``default`` did not), on a small crop
of Motorcycle (the compile time does not depend on the image size). Wall
and CPU seconds (all threads of the child) are the medians over the
repeats; the trees take turns in each repeat, so that the load of a shared
machine falls on them alike. The count of functions compiled (Numba's
``numba:compile`` events: kernels and Numba's own overloads, once per
signature) does not depend on the load.

Saves ``benchmarks/results/cold_start.md`` unless ``--no-save``.

Usage::

    python -m benchmarks.studies.cold_start                           # this checkout
    git worktree add /tmp/before <commit>
    python -m benchmarks.studies.cold_start --trees before=/tmp/before after=.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .common import RESULTS, command_line, last_json_line, markdown_row, markdown_table, study_parser

RUNS = (("default", "relax"), ("ms-occ", "pde"))
"""Matches of a child, in order: the default model, then ms-occ/pde after it."""

CHILD = """
import json, sys, time
from numba.core import event
import msstereo
from skimage import data


class Compiles(event.Listener):
    count = 0

    def on_start(self, ev):
        pass

    def on_end(self, ev):
        Compiles.count += 1


event.register("numba:compile", Compiles())
left, right, _ = data.stereo_motorcycle()
left, right = left[300:400, 300:450], right[300:400, 300:450]
times = []
for model, solver in json.loads(sys.argv[1]):
    wall, cpu, count = time.perf_counter(), time.process_time(), Compiles.count
    msstereo.match(left, right, d_min=0, d_max=64, model=model, solver=solver)
    times.append((time.perf_counter() - wall, time.process_time() - cpu, Compiles.count - count))
print(json.dumps(times))
"""

RESULT = RESULTS / "cold_start.md"


def child_times(tree, cache):
    """(wall, cpu) seconds and the functions compiled, of each match of `RUNS` in a new process of ``tree`` on ``cache``.

    The functions are those Numba compiles in the match (kernels, and Numba's
    own overloads that they call, once per signature).

    The child runs in ``tree``: ``python -c`` puts its working folder first on
    ``sys.path``, so that is where ``msstereo`` is imported from.
    """
    tree = Path(tree).resolve()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(RUNS)], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return last_json_line(out)


def measure(trees, repeat):
    """{label: array (repeat, cold/warm, run, wall/cpu/compiled)}: seconds and functions compiled."""
    times = {label: [] for label in trees}
    for r in range(repeat):
        for label, tree in trees.items():
            with tempfile.TemporaryDirectory() as cache:
                times[label].append([child_times(tree, cache) for _ in ("cold", "warm")])
            print(f"repeat {r + 1}/{repeat} {label}: {times[label][-1]}", file=sys.stderr)
    return {label: np.array(t) for label, t in times.items()}


def table(times):
    """Markdown table of the medians, a row per tree and match."""
    lines = markdown_table(["tree", "match", "cold wall s", "cold CPU s", "warm wall s", "warm CPU s",
                            "compiled (cold)"], [], align="llrrrrr")
    for label, t in times.items():
        median = np.median(t, axis=0)
        for k, (model, solver) in enumerate(RUNS):
            name = f"{model}/{solver}" + (" after default" if k else "")
            cells = [f"{median[state, k, unit]:.2f}" for state in (0, 1) for unit in (0, 1)]
            lines.append(markdown_row([label, name, *cells, f"{median[0, k, 2]:.0f}"]))
    return "\n".join(lines)


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, save=True)
    parser.add_argument("--trees", nargs="+", default=["this=."], metavar="LABEL=PATH",
                        help="source trees to compare (PYTHONPATH of the children)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    trees = dict(item.split("=", 1) for item in args.trees)
    text = table(measure(trees, args.repeat))
    print(text)
    if not args.no_save:
        RESULT.write_text(f"Medians of {args.repeat} repeats (`{command_line(__spec__.name, argv)}`):\n\n{text}\n")


if __name__ == "__main__":
    main()
