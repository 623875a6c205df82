"""Accuracy and speed of msstereo models and solvers against OpenCV SGBM on Middlebury scenes.

One run scores every requested model with every requested solver, and the
SGBM peer (``benchmarks/peers.py``), on the four Middlebury v2 scenes
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

Motorcycle has ground truth but no masks: it gets a table of its own with
Middlebury v3 metrics over every pixel with ground truth. Means are plain
means of the per-scene values. Progress goes to stderr, the tables to
stdout; unless ``--no-save``, Markdown and JSON are written to
``benchmarks/results/<name>.md`` and ``.json`` with a settings line (date,
machine, cores, model and solver reprs, SGBM settings).

Usage::

    export MSSTEREO_DATA=../shared/data      # holds middlebury/v2 and middlebury/2005
    python benchmarks/middlebury.py --models tv ms-tv ms-occ
    python benchmarks/middlebury.py --models tv --scenes tsukuba art --set beta=0.03 --no-save
    python benchmarks/middlebury.py --models ms-tv --solvers pde optimize --scenes teddy motorcycle

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

import os

# OpenBLAS, OpenMP and MKL threads spinning on a shared two-core machine made
# BLAS-heavy solvers several times slower (see compare_solvers.py); the
# kernels are serial anyway. Set before numpy is imported; an explicit
# setting in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import msstereo  # noqa: E402
from msstereo.batch import OCCLUSION_KEYS, V2_COLUMNS, V2_KEYS, V3_KEYS, Setting, run_batch, score  # noqa: E402
from msstereo.datasets import SCENES_2005, V2_SCENES, get_scene  # noqa: E402
from msstereo.match import SOLVERS  # noqa: E402
from msstereo.models import get_model  # noqa: E402
from peers import SGBM, sgbm  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

#: (mask, threshold) of the v2 bad-pixel columns; the metric columns are msstereo.batch's.
COLUMNS = V2_COLUMNS
TIME_KEYS = ("seconds", "x sgbm")
VALUE_KEYS = V2_KEYS + V3_KEYS + TIME_KEYS + OCCLUSION_KEYS

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

# Arguments of msstereo.match that the benchmark sets itself, never --set.
_OWN_MATCH_ARGUMENTS = {"model", "solver", "d_max", "d_min", "dtype", "progress"}


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def parse_value(text):
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, else the string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def model_fields():
    """set of str: parameters of `msstereo.Model` that ``--set`` may change."""
    return {f.name for f in dataclasses.fields(msstereo.Model)} - {"name"}


def pipeline_fields():
    """set of str: keyword options of `msstereo.match` itself (``factor``, ``min_size``)."""
    parameters = inspect.signature(msstereo.match).parameters.values()
    keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return keywords - _OWN_MATCH_ARGUMENTS


def solver_class(name):
    """The options dataclass of solver `name` in ``msstereo.match.SOLVERS``.

    Raises
    ------
    SystemExit
        For an unknown solver name.
    """
    if name not in SOLVERS:
        raise SystemExit(f"unknown solver {name!r}; choose from {sorted(SOLVERS)}")
    return SOLVERS[name]


def parse_settings(pairs, solvers=("pde",)):
    """Sort ``--set NAME=VALUE`` pairs into match keywords and solver options.

    Parameters
    ----------
    pairs : list of str
        ``NAME=VALUE`` strings; values go through `parse_value`.
    solvers : sequence of str
        Names of the solvers of the run: a solver option goes to each of
        them whose dataclass has the field.

    Returns
    -------
    params : dict
        Model parameters and `msstereo.match` pipeline options, passed to
        ``match(**params)``.
    solver_options : dict
        ``{solver name: {option: value}}`` for every name in `solvers`.

    Raises
    ------
    SystemExit
        For a pair without ``=``, an unknown solver, or a name that is
        neither a model parameter, a pipeline option nor an option of one
        of the solvers.
    """
    match_fields = model_fields() | pipeline_fields()
    classes = {name: solver_class(name) for name in solvers}
    params, solver_options = {}, {name: {} for name in solvers}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes NAME=VALUE, got {pair!r}")
        targets = [name for name, cls in classes.items() if key in cls.__dataclass_fields__]
        if key in match_fields:
            params[key] = parse_value(text)
        elif targets:
            for name in targets:
                solver_options[name][key] = parse_value(text)
        else:
            raise SystemExit(f"unknown setting {key!r}: not a model parameter, match option "
                             f"or option of the solvers {list(solvers)}")
    return params, solver_options


def make_solvers(names, solver_options):
    """``{name: solver instance}`` with the options from `parse_settings`."""
    return {name: solver_class(name)(**solver_options.get(name, {})) for name in names}


def describe_model(model, params):
    """repr of `model` with the model parameters among `params` applied."""
    fields = model_fields()
    return repr(get_model(model, **{k: v for k, v in params.items() if k in fields}))


# --------------------------------------------------------------------------
# Runs and scores
# --------------------------------------------------------------------------


def disparity_range(scene):
    """Keywords of `msstereo.match` for the scene's disparity range.

    ``d_max`` is the scene's ``ndisp``; ``d_min=0`` is passed too when
    `msstereo.match` takes it.
    """
    extent = {"d_max": scene.ndisp}
    if "d_min" in inspect.signature(msstereo.match).parameters:
        extent["d_min"] = 0
    return extent


def run_scene(scene, model, solver, params):
    """Match one scene with msstereo.

    Parameters
    ----------
    scene : msstereo.datasets.Scene
    model : str or msstereo.Model
    solver : str or solver instance
    params : dict
        Further keywords of `msstereo.match` (model parameters, pipeline
        options).

    Returns
    -------
    row : dict
        Metric columns, ``seconds`` and, for results with an occlusion map,
        ``occ precision`` and ``occ recall``.
    result : msstereo.StereoResult
    """
    result = msstereo.match(scene.left, scene.right, model=model, solver=solver,
                            **disparity_range(scene), **params)
    return score(scene, result.disparity, result.seconds, result.occlusion), result


def run_peer(scene):
    """Match one scene with the SGBM peer; returns its row."""
    disparity, seconds = sgbm(scene.left, scene.right, scene.ndisp)
    return score(scene, disparity, seconds)


def warm_up(scene, models, solvers, params):
    """Compile every model's and solver's kernels, and load OpenCV, on a crop of `scene`."""
    left, right = scene.left[:64, :96], scene.right[:64, :96]
    sgbm(left, right, 16)
    for model in models:
        for solver in solvers.values():
            if compatible(model, solver):
                msstereo.match(left, right, model=model, solver=solver, d_max=16, **params)


def compatible(model, solver):
    """Whether `solver` minimizes `model`: options beyond the paper need the global search."""
    return solver.global_search or not msstereo.models.get_model(model).search_only


def method_name(model, solver):
    """Row label of a model and solver: ``"tv / pde"``."""
    return f"{model} / {solver}"


def progress(scene, method, row):
    """One progress line on stderr."""
    cells = "  ".join(f"{key} {value:.2f}" for key, value in row.items())
    print(f"{scene:10s} {method:18s} {cells}", file=sys.stderr, flush=True)


def run_benchmark(scenes, models, solvers, params, scheduler=None, workers=None):
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

    Returns
    -------
    rows : list of dict
        One per (method, scene), SGBM first on each scene: ``method``,
        ``model``, ``solver``, ``scene``, ``group`` and the columns of
        `score` plus ``x sgbm``.
    """
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
                row, _ = run_scene(scene, model, solver, params)
                rows.append(_record(name, method_name(model, solver_name), model, solver_name,
                                    row, peer))
    return rows


def run_on_dask(scenes, settings, scheduler=None, workers=None):
    """Score every scene with every setting as Dask tasks (`msstereo.batch.run_batch`).

    Parameters
    ----------
    scenes : dict of str to Scene
    settings : list of msstereo.batch.Setting
        Each a solver that can minimize its model.
    scheduler, workers : optional
        A scheduler's address, or the worker processes of a local cluster.

    Returns
    -------
    list of list of dict
        ``[scene][setting]``: the columns of `score`.

    Raises
    ------
    SystemExit
        Without Dask, for bad settings (a solver that cannot minimize its
        model), or when a run failed.
    """
    for setting in settings:
        if not setting.compatible:
            raise SystemExit(f"model {setting.model_name} needs solver 'relax', got {setting.solver_name}")
    try:
        rows = run_batch(list(scenes.values()), settings=settings, scheduler=scheduler, workers=workers)
    except (ImportError, ValueError) as error:  # no Dask, bad settings: one line, as for --set
        raise SystemExit(str(error)) from None
    for row in rows:
        if "error" in row:
            raise SystemExit(f"{row['scene']} {row['model']} / {row['solver']}: {row['error']}")
    columns = [{k: v for k, v in row.items() if k in VALUE_KEYS} for row in rows]
    return [columns[start:start + len(settings)] for start in range(0, len(columns), len(settings))]


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
    keys += [k for k in OCCLUSION_KEYS if any(k in row for row in rows)]
    lines = ["| method | scene | " + " | ".join(keys) + " |", "|---|---|" + "---:|" * len(keys)]
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


def machine():
    """CPU model name (from /proc/cpuinfo where there is one), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def metadata(argv, models, solvers, params, dask=None):
    """The settings line of a result: date, machine, exact models, solvers and peer.

    `dask` (the scheduler and worker count of a run on Dask) is recorded
    when given.
    """
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "cores": os.cpu_count(),
        "threads": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "MKL_NUM_THREADS")},
        "command": " ".join(["benchmarks/middlebury.py", *argv]),
        "models": {model: describe_model(model, params) for model in models},
        "solvers": {name: repr(solver) for name, solver in solvers.items()},
        "match": {**{k: v for k, v in params.items() if k in pipeline_fields()},
                  "d_min passed": "d_min" in inspect.signature(msstereo.match).parameters},
        "sgbm": SGBM.describe(),
    }
    if dask is not None:
        meta["dask"] = dask
    return meta


def _json_safe(value):
    """`value` with non-finite floats replaced by None (strict JSON)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_markdown(name, title, description, body):
    """Write ``<name>.md`` under `RESULTS`: title and date, the command that made it, a description, the body."""
    command = " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(
        f"# {title}, {time.strftime('%Y-%m-%d')}\n\n`{command}`: {description}\n\n{body}\n")


def save(name, report, meta, rows, means):
    """Write ``<name>.md`` and ``<name>.json`` under `RESULTS`."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(
        f"# msstereo and OpenCV SGBM on Middlebury scenes, {meta['date']}\n\n{report}\n\n"
        "Bad-pixel columns and occlusion precision/recall in percent; `x sgbm` is the time over "
        "SGBM's on the same scene in the same run; means are plain means of the scene rows.\n\n"
        f"Settings: `{json.dumps(meta)}`\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(
        _json_safe({"meta": meta, "rows": rows, "means": means}), indent=1))


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv):
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MSSTEREO_DATA"),
                        help="folder holding middlebury/v2 and middlebury/2005 "
                             "(default: $MSSTEREO_DATA)")
    parser.add_argument("--models", nargs="+", default=list(msstereo.MODELS),
                        choices=list(msstereo.MODELS), help="models to run (default: all)")
    parser.add_argument("--solvers", nargs="+", default=["pde"],
                        help=f"solvers to run each model with (default: pde; any of {sorted(SOLVERS)})")
    parser.add_argument("--scenes", nargs="+", default=list(DEFAULT_SCENES), choices=list(GROUP_OF),
                        help="scenes (default: the v2 scenes, art and laundry)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter, match option or solver option (repeatable)")
    parser.add_argument("--name", default="middlebury", help="base name of the saved files")
    parser.add_argument("--no-save", action="store_true", help="print only")
    add_dask_options(parser)
    return parser.parse_args(argv)


def add_dask_options(parser):
    """``--workers`` and ``--scheduler``: run the msstereo matches as Dask tasks."""
    parser.add_argument("--workers", type=int, default=None,
                        help="run the matches on a local Dask cluster of this many worker processes")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the matches on a running dask.distributed scheduler")


def dask_settings(args):
    """The scheduler and workers of a run on Dask, or None for a serial run."""
    if args.scheduler is None and args.workers is None:
        return None
    return {"scheduler": args.scheduler or "local cluster", "workers": args.workers}


def load_scenes(names, root):
    """``{name: Scene}``; SystemExit when the data folder is missing or unreadable."""
    if not root and any(name != "motorcycle" for name in names):
        raise SystemExit("no data folder: pass --data or set MSSTEREO_DATA")
    try:
        return {name: get_scene(name, root) for name in dict.fromkeys(names)}
    except OSError as error:
        raise SystemExit(str(error)) from None


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

    rows = run_benchmark(scenes, args.models, solvers, params, args.scheduler, args.workers)
    means = group_means(rows)
    report = format_report(rows, means)
    print(report)
    if not args.no_save:
        save(args.name, report, metadata(argv, args.models, solvers, params, dask_settings(args)), rows, means)


if __name__ == "__main__":
    main()
