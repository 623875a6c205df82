"""Accuracy and speed of msstereo models and solvers against OpenCV SGBM on Middlebury scenes.

One run scores every requested model with every requested solver, and the
SGBM peer (`benchmarks.studies.common.sgbm`), on the four Middlebury v2 scenes
(Tsukuba, Venus, Teddy, Cones), the third-size 2005 scenes Art and Laundry
and, on request, the downsampled 2014 Motorcycle of scikit-image.

Columns per scene, with a mean row per group of scenes (v2, 2005):

- bad 0.5/1/2 in ``nonocc`` and bad 1 in ``all`` and ``disc``, in percent.
  The 2005 scenes have no ``disc`` mask (shown ``-``); their ``all`` and
  ``nonocc`` masks come from the left and right ground truth
  (`msstereo.datasets.consistency_masks`).
- ``seconds``: wall time of the match (for SGBM of its whole pipeline), and
  ``x sgbm``: that time over SGBM's on the same scene in the same run.
- ``occ precision`` and ``occ recall`` in percent, where the result has an
  occlusion map (``ms-occ``).
- ``SGBM density``, ``SGBM bad1 kept`` and ``ours at density``, where the
  result has a confidence map (``default``, ``ms-occ``; serial runs): the
  share of the non-occluded pixels that SGBM's own left-right check keeps,
  its bad 1 on them, and ours on that share of our most confident pixels
  (`benchmarks.studies.common.at_sgbm_density`).

Motorcycle has ground truth but no masks: it gets a table of its own with
Middlebury v3 metrics over every pixel with ground truth. Means are plain
means of the per-scene values. Progress goes to stderr, the tables to
stdout; unless ``--no-save``, Markdown and JSON are written to
``benchmarks/results/<name>.md`` and ``.json`` with a settings line (date,
machine, cores, command, model and solver reprs, SGBM settings).

Usage::

    export MSSTEREO_DATA=../shared/data      # holds middlebury/v2 and middlebury/2005
    python -m benchmarks.studies.middlebury --models tv ms-tv ms-occ
    python -m benchmarks.studies.middlebury --models tv --scenes tsukuba art --set beta=0.03 --no-save
    python -m benchmarks.studies.middlebury --models ms-tv --solvers pde optimize --scenes teddy motorcycle
    python -m benchmarks.studies.middlebury --models tv ms-tv --solvers relax --found-range  # no range given

``--set NAME=VALUE`` (repeatable) overrides a model parameter (a field of
`msstereo.Model`), a pipeline option of `msstereo.match` (``factor``,
``min_size``) or an option of the named solvers (a field of the solver's
class in ``msstereo.match.SOLVERS``; it goes to every named solver that has
it).

``--workers N`` (a local Dask cluster of N worker processes) or
``--scheduler ADDRESS`` (a running ``dask.distributed`` scheduler) runs the
msstereo matches as Dask tasks (`msstereo.batch.run_batch`,
``pip install "msstereo[batch]"``); SGBM still runs here, first, alone. The
tables are the same; the seconds are then those of workers sharing the
machine. Without either option everything runs serially in this process.
"""

import json
import sys

import numpy as np

import msstereo
from msstereo.batch import Setting
from msstereo.datasets import SCENES_2005, V2_SCENES
from msstereo.evaluate import OCCLUSION_KEYS, V2_KEYS, V3_KEYS
from msstereo.match import SOLVERS

from .common import (DENSITY_KEYS, RESULTS, SGBM, add_dask_options, add_set_option, at_sgbm_density, command_line,
                     compatible, dask_settings, describe_model, json_safe, load_scenes, make_solvers, markdown_table,
                     parse_settings, pipeline_fields, run_info, run_on_dask, run_peer, run_scene, study_parser,
                     warm_up)

TIME_KEYS = ("seconds", "x sgbm")
VALUE_KEYS = V2_KEYS + V3_KEYS + TIME_KEYS + OCCLUSION_KEYS + DENSITY_KEYS

#: Scene groups, each with its own mean rows.
GROUPS = {"v2": V2_SCENES, "2005": SCENES_2005, "2014": ("motorcycle",)}
GROUP_OF = {scene: group for group, scenes in GROUPS.items() for scene in scenes}
DEFAULT_SCENES = V2_SCENES + SCENES_2005

#: Tables of the report: (title, groups, metric columns).
TABLES = (
    ("Middlebury v2 and 2005", ("v2", "2005"), V2_KEYS),
    ("Middlebury 2014 Motorcycle (scikit-image, 741x500): v3 metrics over all pixels with "
     "ground truth", ("2014",), V3_KEYS),
)

PEER = "sgbm"


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------


def method_name(model, solver):
    """Row label of a model and solver: ``"tv / pde"``."""
    return f"{model} / {solver}"


def progress(scene, method, row):
    """One progress line on stderr."""
    cells = "  ".join(f"{key} {value:.2f}" for key, value in row.items())
    print(f"{scene:10s} {method:18s} {cells}", file=sys.stderr, flush=True)


def run_benchmark(scenes, models, solvers, params, scheduler=None, workers=None, found_range=False):
    """SGBM and every model with every solver on every scene.

    Parameters
    ----------
    scenes : dict of str to Scene
    models : list of str
    solvers : dict of str to solver instance
    params : dict
        Further keywords of `msstereo.match`.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler: the msstereo
        matches run there as tasks (`run_on_dask`).
    workers : int, optional
        Without `scheduler`: the matches run on a local Dask cluster of this
        many worker processes. Neither: everything runs in this process.
    found_range : bool
        Match without a range (`msstereo.match` finds it; serial runs only).

    Returns
    -------
    rows : list of dict
        One per (method, scene), SGBM first on each scene: ``method``,
        ``model``, ``solver``, ``scene``, ``group`` and the columns of
        `score` plus ``x sgbm``.
    """
    if found_range and (scheduler is not None or workers is not None):
        raise SystemExit("--found-range runs serially: not with --workers or --scheduler")
    if scheduler is not None or workers is not None:
        return _run_benchmark_on_dask(scenes, models, solvers, params, scheduler, workers)
    rows = []
    for name, scene in scenes.items():
        print(f"{name}: {scene.shape[1]}x{scene.shape[0]}, ndisp {scene.ndisp}",
              file=sys.stderr, flush=True)
        peer = run_peer(scene)
        rows.append(_record(name, PEER, None, None, peer, peer))
        for model in models:
            for solver_name, solver in solvers.items():
                if not compatible(model, solver):
                    continue
                row, result = run_scene(scene, model, solver, params, found_range)
                if result.confidence is not None:
                    row.update(at_sgbm_density(scene, result.disparity, result.confidence))
                rows.append(_record(name, method_name(model, solver_name), model, solver_name,
                                    row, peer))
    return rows


def _run_benchmark_on_dask(scenes, models, solvers, params, scheduler, workers):
    """`run_benchmark` with the msstereo matches as Dask tasks; SGBM first, here, alone."""
    peers = {}
    for name, scene in scenes.items():
        print(f"{name}: {scene.shape[1]}x{scene.shape[0]}, ndisp {scene.ndisp}", file=sys.stderr, flush=True)
        peers[name] = run_peer(scene)
    methods = [(model, name) for model in models for name, solver in solvers.items()
               if compatible(model, solver)]
    settings = [Setting(model, solvers[name], params) for model, name in methods]
    rows = []
    for (name, scene), results in zip(scenes.items(), run_on_dask(scenes, settings, scheduler, workers)):
        peer = peers[name]
        rows.append(_record(name, PEER, None, None, peer, peer))
        rows += [_record(name, method_name(model, solver), model, solver, row, peer)
                 for (model, solver), row in zip(methods, results)]
    return rows


def _record(scene, method, model, solver, row, peer):
    """Label a scene row, add its time over SGBM's, and print its progress line."""
    row = {**row, "x sgbm": row["seconds"] / peer["seconds"]}
    progress(scene, method, row)
    return {"method": method, "model": model, "solver": solver, "scene": scene,
            "group": GROUP_OF[scene], **row}


# --------------------------------------------------------------------------
# Means and tables
# --------------------------------------------------------------------------


def group_means(rows):
    """Mean rows per (method, group) for groups with at least two scenes.

    A column is averaged when every scene of the group has it (so the 2005
    means have no ``bad1 disc``); the mean row's ``scene`` is ``"mean"``.
    """
    means = []
    for method in dict.fromkeys(row["method"] for row in rows):
        for group in GROUPS:
            members = [r for r in rows if r["method"] == method and r["group"] == group]
            if len(members) < 2:
                continue
            mean = {k: members[0][k] for k in ("method", "model", "solver", "group")}
            mean["scene"] = "mean"
            mean.update({key: float(np.mean([r[key] for r in members])) for key in VALUE_KEYS
                         if all(key in r for r in members)})
            means.append(mean)
    return means


def _cell(value, bold=False):
    """A table cell: two decimals, ``-`` for a missing value."""
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return f"**{text}**" if bold else text


def _table_line(row, keys):
    """One Markdown line of a scene or mean row."""
    bold = row["scene"] == "mean"
    label = f"**mean {row['group']}**" if bold else row["scene"]
    return f"| {row['method']} | {label} | " + " | ".join(_cell(row.get(k), bold) for k in keys) + " |"


def format_table(rows, means, keys):
    """Markdown table: per method, each group's scene rows then its mean row.

    Parameters
    ----------
    rows, means : list of dict
        Scene rows (`run_benchmark`) and mean rows (`group_means`) of the
        groups of this table.
    keys : sequence of str
        Metric columns; ``seconds``, ``x sgbm`` and, when some row has
        them, the occlusion columns follow.

    Returns
    -------
    str
    """
    keys = list(keys) + list(TIME_KEYS)
    keys += [k for k in OCCLUSION_KEYS + DENSITY_KEYS if any(k in row for row in rows)]
    lines = markdown_table(["method", "scene", *keys], [], align="ll" + "r" * len(keys))
    for method in dict.fromkeys(row["method"] for row in rows):
        for group in GROUPS:
            members = [r for r in rows + means if r["method"] == method and r["group"] == group]
            lines += [_table_line(row, keys) for row in members]
    return "\n".join(lines)


def format_report(rows, means):
    """Markdown: one titled table per entry of `TABLES` that has rows."""
    sections = []
    for title, groups, keys in TABLES:
        selected = [r for r in rows if r["group"] in groups]
        if selected:
            table = format_table(selected, [m for m in means if m["group"] in groups], keys)
            sections.append(f"## {title}\n\n{table}")
    return "\n\n".join(sections)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def metadata(argv, models, solvers, params, dask=None, found_range=False):
    """The settings line of a result: date, machine, command, exact models, solvers, range and peer.

    `dask` (the scheduler and worker count of a run on Dask) is recorded
    when given.
    """
    meta = {
        **run_info(command_line(__spec__.name, argv)),
        "models": {model: describe_model(model, params) for model in models},
        "solvers": {name: repr(solver) for name, solver in solvers.items()},
        "match": {**{k: v for k, v in params.items() if k in pipeline_fields()},
                  "range": "found by match from the pair" if found_range else "0 to the scene's ndisp"},
        "sgbm": SGBM.describe(),
    }
    if dask is not None:
        meta["dask"] = dask
    return meta


def save(name, report, meta, rows, means):
    """Write ``<name>.md`` and ``<name>.json`` under `RESULTS`."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(
        f"# msstereo and OpenCV SGBM on Middlebury scenes, {meta['date']}\n\n{report}\n\n"
        "Bad-pixel columns and occlusion precision/recall in percent; `x sgbm` is the time over "
        "SGBM's on the same scene in the same run; means are plain means of the scene rows.\n\n"
        f"Settings: `{json.dumps(meta)}`\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(
        json_safe({"meta": meta, "rows": rows, "means": means}), indent=1))


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv):
    """Command-line options (see the module docstring)."""
    parser = study_parser(__doc__, __spec__.name, scenes=DEFAULT_SCENES, scene_choices=list(GROUP_OF),
                          save="middlebury")
    parser.add_argument("--models", nargs="+", default=list(msstereo.MODELS),
                        choices=list(msstereo.MODELS), help="models to run (default: all)")
    parser.add_argument("--solvers", nargs="+", default=["pde"],
                        help=f"solvers to run each model with (default: pde; any of {sorted(SOLVERS)})")
    parser.add_argument("--found-range", action="store_true",
                        help="give msstereo no range, as a user without ndisp (default: 0..ndisp)")
    add_set_option(parser)
    add_dask_options(parser)
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark; see the module docstring."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    params, solver_options = parse_settings(args.set, args.solvers)
    solvers = make_solvers(args.solvers, solver_options)
    scenes = load_scenes(args.scenes, args.data)
    try:
        warm_up(next(iter(scenes.values())), args.models, solvers, params)
    except ImportError as error:
        raise SystemExit(str(error)) from None

    rows = run_benchmark(scenes, args.models, solvers, params, args.scheduler, args.workers, args.found_range)
    means = group_means(rows)
    report = format_report(rows, means)
    print(report)
    if not args.no_save:
        meta = metadata(argv, args.models, solvers, params, dask_settings(args), args.found_range)
        save(args.name, report, meta, rows, means)


if __name__ == "__main__":
    main()
