"""Parameter sweeps on the four Middlebury v2 scenes: one line of means per setting.

Each setting is a JSON object of model parameters and PDE options (and
``"model"``, ``"factor"``, ``"min_size"``), one per line of a JSONL file or
given on the command line::

    python -m benchmarks.studies.tune '{"model": "ms-tv", "alpha": 0.03}' '{"model": "tv", "beta": 0.05}'
    python -m benchmarks.studies.tune --file grid.jsonl
    python -m benchmarks.studies.tune --workers 2 --file grid.jsonl     # as Dask tasks (msstereo[batch])

With ``--workers N`` (a local Dask cluster) or ``--scheduler ADDRESS`` (a
running ``dask.distributed`` scheduler) every setting on every scene is a
task of `msstereo.batch.run_batch`, and the lines are printed at the end,
in the order of the settings.

The grids behind the default parameters, with their results, are in
``benchmarks/results/tuning.md``.
"""

import json
from pathlib import Path

import numpy as np

import msstereo
from msstereo.batch import Setting
from msstereo.datasets import V2_SCENES

from .common import add_dask_options, add_data_option, load_scenes, run_on_dask, run_scene, study_parser


def split_setting(setting):
    """A setting -> (model name, match keyword arguments, PDE options)."""
    setting = dict(setting)
    name = setting.pop("model", "tv")
    solver_fields = set(msstereo.PDE.__dataclass_fields__)
    solver = msstereo.PDE(**{k: v for k, v in setting.items() if k in solver_fields})
    params = {k: v for k, v in setting.items() if k not in solver_fields}
    return name, params, solver


def describe(setting, rows):
    """One line: the setting, mean scores, per-scene bad 1 nonocc (and occlusion P/R)."""
    mean = {k: np.nanmean([r.get(k, np.nan) for r in rows.values()]) for k in next(iter(rows.values()))}
    line = (f"{json.dumps(setting):60s} b1 {mean['bad1 nonocc']:5.2f} b.5 {mean['bad0.5 nonocc']:5.2f} "
            f"b2 {mean['bad2 nonocc']:5.2f} all {mean['bad1 all']:5.2f} disc {mean['bad1 disc']:5.2f} "
            f"s {mean['seconds']:.2f} | " + " ".join(f"{n[:4]} {r['bad1 nonocc']:5.2f}" for n, r in rows.items()))
    if "occ precision" in mean:
        line += f" | occ P {mean['occ precision']:.1f} R {mean['occ recall']:.1f}"
    return line


def run_settings(settings, scenes, scheduler=None, workers=None):
    """Score every setting on every scene: per setting, ``{scene name: row}``.

    Serially (a generator, so each line can be printed as its setting
    ends), or with `scheduler` or `workers` as Dask tasks
    (`benchmarks.studies.common.run_on_dask`).
    """
    split = [split_setting(setting) for setting in settings]
    if scheduler is None and workers is None:
        for name, params, solver in split:
            yield {n: run_scene(scene, name, solver, params)[0] for n, scene in scenes.items()}
        return
    by_scene = run_on_dask(scenes, [Setting(name, solver, params) for name, params, solver in split],
                           scheduler, workers)
    for j in range(len(settings)):
        yield {n: rows[j] for n, rows in zip(scenes, by_scene)}


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name)
    parser.add_argument("settings", nargs="*", help="JSON objects")
    parser.add_argument("--file", help="JSONL file of settings")
    add_data_option(parser, holds="middlebury/v2")
    add_dask_options(parser)
    args = parser.parse_args(argv)
    settings = [json.loads(s) for s in args.settings]
    if args.file:
        settings += [json.loads(line) for line in Path(args.file).read_text().splitlines() if line.strip()]
    scenes = load_scenes(V2_SCENES, args.data)
    for setting, rows in zip(settings, run_settings(settings, scenes, args.scheduler, args.workers)):
        print(describe(setting, rows), flush=True)


if __name__ == "__main__":
    main()
