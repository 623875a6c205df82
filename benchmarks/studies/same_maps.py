"""Check that a change keeps every map of `msstereo.match` bit for bit.

A restructuring must not change a number. This script runs a fixed set of
matches (model, solver and scene, with ``d_max`` the scene's ``ndisp`` and a
fixed thread count) and either saves their maps or compares them with maps
saved before the change: the disparities, occlusion masks and discontinuity
functions of both views, the image edge map, and the energy history.
NaN compares equal to NaN; nothing else may differ.

Usage, with the data folder of the Middlebury scenes in ``MSSTEREO_DATA``::

    git worktree add /tmp/before <commit before the change>
    PYTHONPATH=/tmp/before python benchmarks/studies/same_maps.py save /tmp/maps   # that commit's msstereo
    python benchmarks/studies/same_maps.py check /tmp/maps                         # this checkout's

The maps are not committed: they are made from the commit before the change.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

CASES = (
    ("tsukuba", "default", "relax"),
    ("laundry", "default", "relax"),
    ("motorcycle", "default", "relax"),
    ("tsukuba", "ms-occ", "pde"),
    ("tsukuba", "ms-tv", "optimize"),
    ("tsukuba", "tv-edge", "relax"),
)
"""(scene, model, solver) of every match compared."""

FIELDS = ("disparity", "disparity_right", "occlusion", "occlusion_right", "v", "v_right", "v_image")
"""The maps of a `msstereo.StereoResult` that are compared (those that are not None)."""

THREADS = 2


def _case_name(case):
    return "_".join(case)


def run_case(case):
    """The maps of one case, by field name, plus its energy history as ``energy``."""
    import msstereo
    from msstereo.datasets import get_scene

    name, model, solver = case
    scene = get_scene(name)
    result = msstereo.match(scene.left, scene.right, model=model, solver=solver, d_min=0, d_max=scene.ndisp,
                            threads=THREADS)
    maps = {field: np.asarray(getattr(result, field)) for field in FIELDS
            if getattr(result, field) is not None}
    maps["energy"] = np.concatenate([np.asarray(log.energy, np.float64) for log in result.levels])
    return maps


def save(folder, cases):
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        t0 = time.perf_counter()
        np.savez(folder / f"{_case_name(case)}.npz", **run_case(case))
        print(f"saved {_case_name(case)} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


def check(folder, cases):
    failures = 0
    for case in cases:
        path = folder / f"{_case_name(case)}.npz"
        if not path.is_file():
            print(f"{_case_name(case)}: no saved maps in {folder}", flush=True)
            failures += 1
            continue
        before = dict(np.load(path))
        t0 = time.perf_counter()
        after = run_case(case)
        differ = sorted(key for key in before.keys() | after.keys()
                        if key not in before or key not in after
                        or before[key].shape != after[key].shape
                        or not np.array_equal(before[key], after[key], equal_nan=before[key].dtype.kind == "f"))
        verdict = "same" if not differ else "DIFFERENT: " + ", ".join(differ)
        print(f"{_case_name(case)}: {verdict} ({time.perf_counter() - t0:.1f} s)", flush=True)
        failures += bool(differ)
    print(f"{len(cases) - failures} of {len(cases)} cases the same")
    return 1 if failures else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("folder", type=Path, help="where the maps are saved, or were saved before")
    parser.add_argument("--cases", nargs="+", metavar="SCENE/MODEL/SOLVER",
                        help="a subset of the cases, e.g. tsukuba/default/relax")
    args = parser.parse_args(argv)
    cases = CASES if not args.cases else [tuple(c.split("/")) for c in args.cases]
    return (save if args.action == "save" else check)(args.folder, cases)


if __name__ == "__main__":
    sys.exit(main())
