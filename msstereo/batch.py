"""Many pairs at once: every scene x model x solver (and parameter grid) as Dask tasks.

`run_batch` matches each scene with each `Setting` (a model, a solver and
keyword arguments of `msstereo.match`) on a Dask cluster: a local one of
worker processes by default (the kernels hold the GIL for part of their
time, so threads would not run them side by side), or a running
``dask.distributed`` scheduler whose workers have msstereo installed. Each
disparity is written as a PFM file as soon as it arrives, and a table of
metrics (where the scene has ground truth) and seconds ends the run, each
file through an `msstereo.io.OutputSet`: checked before any work, never an
input, never half-written.

Dask is an optional extra: ``pip install "msstereo[batch]"``. The command
line is ``msstereo batch SCENE_DIR... -o OUT_DIR`` (`command`).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from . import checks
from .datasets import Scene, load_scene
from .evaluate import (METRIC_KEYS, OCCLUSION_KEYS, V2_COLUMNS, V2_KEYS, V3_KEYS, metric_columns,
                       occlusion_columns)
from .io import OutputSet, write_pfm
from .match import DEFAULT_MODEL, DEFAULT_SOLVER, MAX_FACTOR, match
from .models import MODELS, Model, get_model
from .solvers import get_solver

# The metric columns are msstereo.evaluate's (V2_COLUMNS, V2_KEYS, V3_KEYS, OCCLUSION_KEYS,
# METRIC_KEYS), named here too since the rows of a batch are keyed by them.
__all__ = ["Setting", "expand", "run_batch", "score", "write_table", "command",
           "V2_COLUMNS", "V2_KEYS", "V3_KEYS", "OCCLUSION_KEYS", "METRIC_KEYS", "TABLE_FILES"]

INSTALL = 'pip install "msstereo[batch]"'
"""How to get the optional dependency of this module."""

#: The table of a batch in its output folder.
TABLE_FILES = ("results.csv", "results.md")

#: Keyword options of `msstereo.match` a setting may set besides model parameters.
PIPELINE_OPTIONS = {"factor": checks.Real(0.0, MAX_FACTOR, open_low=True), "min_size": checks.Integer(2)}

#: Worker processes share the cores: one thread each for every threaded library.
WORKER_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "NUMBA_NUM_THREADS")}


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def _printer(progress):
    """A function taking one progress line: `progress` itself, a print to stderr, or nothing."""
    if callable(progress):
        return progress
    return (lambda line: print(line, file=sys.stderr, flush=True)) if progress else (lambda line: None)


def _differences(obj, base):
    """Fields of dataclass `obj` whose values differ from those of `base`."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)
            if f.name != "name" and getattr(obj, f.name) != getattr(base, f.name)}


def _file_stem(parts):
    """A file-name-safe stem of ``parts``; long ones end in a hash so they stay unique."""
    stem = re.sub(r"[^A-Za-z0-9._=+-]", "_", "-".join(parts))
    if len(stem) > 120:
        stem = f"{stem[:100]}-{hashlib.sha1(stem.encode()).hexdigest()[:12]}"
    return stem


@dataclass(frozen=True)
class Setting:
    """One configuration of a batch: a model, a solver and keywords of `msstereo.match`.

    Parameters
    ----------
    model : str or Model
        A name of `msstereo.MODELS` or a `Model`.
    solver : str or solver options
        ``"pde"``, ``"optimize"``, ``"relax"`` or an instance
        (`msstereo.PDE`, ...); stored as an instance.
    params : dict or tuple of (str, value) pairs
        Model parameters and the pipeline options ``factor`` and
        ``min_size`` of `msstereo.match`; stored as a tuple of pairs.

    Raises
    ------
    ValueError
        Naming the argument: an unknown model, solver or parameter, or a
        value its spec refuses (`msstereo.checks`).
    """

    model: str | Model = DEFAULT_MODEL
    solver: object = DEFAULT_SOLVER
    params: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "solver", get_solver(self.solver))
        params = dict(self.params)
        for key in PIPELINE_OPTIONS.keys() & params:
            params[key] = PIPELINE_OPTIONS[key](params[key], key)
        object.__setattr__(self, "params", tuple(params.items()))
        self.resolved_model()  # checks the model and its parameters

    def resolved_model(self):
        """The `Model` with this setting's model parameters applied."""
        return get_model(self.model, **{k: v for k, v in self.params if k not in PIPELINE_OPTIONS})

    @property
    def model_name(self):
        """str: the model's name."""
        return self.model if isinstance(self.model, str) else self.model.name

    @property
    def solver_name(self):
        """str: the solver's name (``"pde"``, ``"optimize"``, ``"relax"``)."""
        return self.solver.name

    @property
    def compatible(self):
        """bool: whether the solver can minimize the model (options beyond the paper need ``relax``)."""
        return self.solver.global_search or not self.resolved_model().search_only

    def overrides(self):
        """dict: what differs from the named model's and the solver's defaults, by name."""
        found = dict(self.params)
        found.update(_differences(self.solver, type(self.solver)()))
        if isinstance(self.model, Model) and self.model.name in MODELS:
            found.update(_differences(self.model, MODELS[self.model.name]))
        return found

    def label(self):
        """str: a file-name-safe name, e.g. ``tv-pde-beta=0.03``."""
        return _file_stem([self.model_name, self.solver_name,
                           *(f"{k}={v}" for k, v in self.overrides().items())])

    def run(self, scene):
        """`msstereo.match` on ``scene`` over its disparity range ``[0, ndisp]`` (when known)."""
        extent = {} if scene.ndisp is None else {"d_min": 0.0, "d_max": scene.ndisp}
        # One thread per task: the cluster runs one worker per core (two view threads per
        # process on shared cores measured 20 % slower than one).
        return match(scene.left, scene.right, model=self.model, solver=self.solver, threads=1,
                     **extent, **dict(self.params))


def _values(values, name):
    """A grid axis as a list; a lone value (a string too) is a list of one."""
    if isinstance(values, (list, tuple, range, np.ndarray)):
        values = list(values)
        if not values:
            raise ValueError(f"{name} has no values")
        return values
    return [values]


def _product(grid, name):
    """Every combination of a ``{name: values}`` grid, as dicts; ``[{}]`` for no grid."""
    if not grid:
        return [{}]
    if not isinstance(grid, Mapping):
        raise ValueError(f"{name} must be a dict of name -> list of values, got {grid!r}")
    axes = [_values(values, f"{name}[{key!r}]") for key, values in grid.items()]
    return [dict(zip(grid, combination)) for combination in itertools.product(*axes)]


def _sequence(values, name):
    """``values`` as a non-empty list; a lone name, path or object is a list of one."""
    lone = isinstance(values, (str, bytes, os.PathLike)) or not np.iterable(values)
    values = [values] if lone else list(values)
    if not values:
        raise ValueError(f"{name} is empty")
    return values


def expand(models=(DEFAULT_MODEL,), solvers=(DEFAULT_SOLVER,), params_grid=None, solver_grid=None):
    """The settings of every model x solver x parameter combination.

    Parameters
    ----------
    models : sequence of str or Model
    solvers : sequence of str or solver options
    params_grid : dict, optional
        Model parameter (or ``factor``, ``min_size``) -> list of values.
    solver_grid : dict, optional
        Solver option -> list of values; each solver takes the options it
        has (every option must belong to one of `solvers`).

    Returns
    -------
    list of Setting
        Model-major, then solver, solver options and model parameters.

    Raises
    ------
    ValueError
        Naming the argument, for unknown names and refused values.
    """
    solvers = [get_solver(s) for s in _sequence(solvers, "solvers")]
    solver_grid = dict(solver_grid or {})
    for key in solver_grid:
        if not any(key in s.FIELD_SPECS for s in solvers):
            raise ValueError(f"solver_grid: {key!r} is not an option of the solvers "
                             f"{[s.name for s in solvers]}")
    param_sets = _product(params_grid, "params_grid")
    settings = []
    for model in _sequence(models, "models"):
        for solver in solvers:
            own = {k: v for k, v in solver_grid.items() if k in solver.FIELD_SPECS}
            for options in _product(own, "solver_grid"):
                settings += [Setting(model, replace(solver, **options), params) for params in param_sets]
    return settings


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------


def score(scene, disparity, seconds, occlusion=None):
    """One row of scores: metrics where the scene has ground truth, seconds, occlusion P/R.

    Parameters
    ----------
    scene : Scene
    disparity : ndarray, shape (H, W)
    seconds : float
    occlusion : ndarray of bool, shape (H, W), optional
        Predicted occlusion; scored (precision and recall in percent) when
        the scene has a ground-truth occlusion.

    Returns
    -------
    dict
        `V2_KEYS` (masks the scene has) for scenes with a 'nonocc' mask,
        else `V3_KEYS`; none without ground truth; then ``seconds`` and
        `OCCLUSION_KEYS`.
    """
    row = {} if scene.disparity is None else metric_columns(disparity, scene)
    row["seconds"] = seconds
    if occlusion is not None and scene.occlusion is not None:
        row.update(occlusion_columns(occlusion, scene))
    return row


# --------------------------------------------------------------------------
# Tasks (run on the workers)
# --------------------------------------------------------------------------

_WARM = set()
"""(model, solver class) pairs whose kernels this process has compiled or loaded."""


def _warm_up(scene, setting):
    """Compile the kernels of a setting on a crop, once per process, so seconds time the match alone."""
    key = (setting.model_name, type(setting.solver))
    if key in _WARM:
        return
    _WARM.add(key)
    crop = (slice(0, 64), slice(0, 96))
    try:
        match(scene.left[crop], scene.right[crop], model=setting.model, solver=setting.solver,
              d_max=16, **dict(setting.params))
    except ValueError:
        pass  # a setting the crop cannot take: the run itself says what is wrong


def run_task(scene, setting):
    """Match one scene with one setting; its scores and disparity (a Dask task).

    Returns
    -------
    dict
        ``scores`` (`score`) and ``disparity`` (float32, (H, W)); or
        ``error``, the type and message of what the run raised: returned,
        not raised, so that the worker logs no traceback of its own.
    """
    try:
        _warm_up(scene, setting)
        result = setting.run(scene)
        return {"scores": score(scene, result.disparity, result.seconds, result.occlusion),
                "disparity": result.disparity}
    except Exception as error:  # one failed run must not lose the others
        return {"error": _error_text(error)}


def _error_text(error):
    """``Type: message`` on one line."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


# --------------------------------------------------------------------------
# Scenes and output files
# --------------------------------------------------------------------------


def _load_scenes(scenes):
    """``scenes`` (folders or `Scene` objects) as Scenes with distinct names."""
    loaded = [s if isinstance(s, Scene) else load_scene(s) for s in _sequence(scenes, "scenes")]
    seen = {}
    for scene in loaded:
        if scene.name in seen:
            raise ValueError(f"scenes: two scenes are named {scene.name!r} ({seen[scene.name]} and "
                             f"{scene.path}); their outputs would collide")
        seen[scene.name] = scene.path
    return loaded


def _inputs(scene):
    """The files of a scene's folder, which no output may replace."""
    return [p for p in Path(scene.path).iterdir() if p.is_file()] if scene.path else []


def _same_folder(a, b):
    """Whether two existing folders are one."""
    return a.is_dir() and b.is_dir() and os.path.samefile(a, b)


class _Outputs:
    """The PFM file of every task and the table of a batch, checked before any work.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Made (with its parents) if missing; one subfolder per scene.
    scenes : list of Scene
    settings : list of Setting

    Raises
    ------
    OSError
        Naming the path: `out_dir` is a file, a scene's output folder is
        the scene's own folder, or a target cannot be written
        (`msstereo.io.check_targets`).
    ValueError
        If two settings would write one file.
    """

    def __init__(self, out_dir, scenes, settings):
        self.root = Path(out_dir)
        if self.root.exists() and not self.root.is_dir():
            raise OSError(f"output folder {self.root} is a file")
        folders = {scene.name: self.root / scene.name for scene in scenes}
        for scene in scenes:
            if scene.path and _same_folder(folders[scene.name], Path(scene.path)):
                raise OSError(f"output folder {folders[scene.name]} is the scene folder of "
                              f"{scene.name!r}: choose another output folder")
        self.paths = [folders[scene.name] / f"{s.label()}.pfm" for scene in scenes for s in settings]
        if len(set(self.paths)) < len(self.paths):
            raise ValueError("settings: two settings would write the same file (a setting given twice?)")
        inputs = [path for scene in scenes for path in _inputs(scene)]
        with _created_folders([self.root, *folders.values()]):
            self.sets = [OutputSet([path], inputs) for path in self.paths]
            self.table = OutputSet([self.root / name for name in TABLE_FILES], inputs)

    def write(self, index, disparity):
        """Publish the disparity of task ``index``; its path relative to the output folder."""
        path = self.paths[index]
        with self.sets[index] as outputs:
            write_pfm(outputs.stage(path), disparity)
            outputs.publish()
        return path.relative_to(self.root).as_posix()


@contextmanager
def _created_folders(folders):
    """Make missing ``folders``; remove those made (while empty) if the block fails."""
    made = []
    try:
        for folder in folders:
            if not folder.exists():
                folder.mkdir(parents=True)
                made.append(folder)
        yield
    except BaseException:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------


def _columns(rows):
    """Table columns: labels, the settings' overrides, the metrics present, seconds, file, error."""
    overrides = dict.fromkeys(k for row in rows for k in row["overrides"])
    metrics = [k for k in METRIC_KEYS if any(k in row for row in rows)]
    tail = [k for k in ("seconds", "file", "error") if any(k in row for row in rows)]
    return ["scene", "model", "solver", *overrides, *metrics, *tail]


def _cell(row, column):
    """The value of a column in a row (overrides included), or None."""
    return row["overrides"].get(column) if column in row["overrides"] else row.get(column)


def _markdown_text(value):
    """A Markdown cell: two decimals for reals, ``-`` for nothing."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")


def _markdown(rows, columns):
    """The table as Markdown, with a line on its units."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_markdown_text(_cell(row, c)) for c in columns) + " |" for row in rows]
    return ("# msstereo batch\n\n" + "\n".join(lines) + "\n\nBad-pixel columns and occlusion "
            "precision/recall in percent (Middlebury v2 masks where the scene has a `nonocc` mask, "
            "else v3 metrics over every pixel with ground truth); `seconds`: the match's wall time.\n")


def write_table(rows, outputs):
    """Write ``rows`` as CSV and Markdown (`TABLE_FILES`) through one `OutputSet`.

    Parameters
    ----------
    rows : list of dict
        Rows of `run_batch`.
    outputs : OutputSet
        Whose targets are the two files, in the order of `TABLE_FILES`.

    Returns
    -------
    list of Path
        The files written.
    """
    columns = _columns(rows)
    csv_path, md_path = outputs.targets
    with outputs:
        with open(outputs.stage(csv_path), "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows([["" if (v := _cell(row, c)) is None else v for c in columns] for row in rows])
        outputs.stage(md_path).write_text(_markdown(rows, columns), encoding="utf-8")
        written, _ = outputs.publish()
    return written


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------


def _distributed():
    """The ``distributed`` module, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise ImportError(f"msstereo batch needs Dask: {INSTALL}") from None
    return distributed


def _check_cluster(distributed, scheduler, workers):
    """Refuse a bad `workers` count, or one given with a scheduler (whose workers are its own)."""
    if workers is not None:
        checks.Integer(1)(workers, "workers")
        if scheduler is not None:
            raise ValueError("workers sets the size of the local cluster; it cannot go with scheduler")
    if not (scheduler is None or isinstance(scheduler, (str, distributed.Client))):
        raise ValueError(f"scheduler must be an address or a distributed.Client, got {scheduler!r}")


@contextmanager
def _client(distributed, scheduler, workers, tasks, say):
    """A Dask client: of `scheduler` (a Client or an address), else of a new local cluster.

    The local cluster has `workers` processes (default: one per core, at
    most one per task) of one thread each; it is closed on leaving.
    """
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    with ExitStack() as stack:
        if scheduler is None:
            workers = workers or max(1, min(os.cpu_count() or 1, tasks))
            say(f"starting a local Dask cluster: {workers} worker processes, one thread each")
            # Workers' warnings (tasks cancelled by Ctrl-C, say) would bury the one-line errors.
            with _signals_blocked():
                scheduler = stack.enter_context(distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    env=WORKER_ENV, silence_logs=logging.ERROR))
        yield stack.enter_context(distributed.Client(scheduler))


@contextmanager
def _signals_blocked():
    """Ignore Ctrl-C and SIGTERM while the local cluster starts its worker processes.

    A terminal's Ctrl-C (and ``timeout``'s SIGTERM) goes to every process of
    the command, the workers too, which would print tracebacks of their
    own. Processes started while a signal is ignored keep ignoring it (and
    Python then leaves it so), so only this process sees the signals, and
    it ends the cluster in its one-line exit. The price: a Ctrl-C in the
    second or two the cluster takes to start is lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _headline(row):
    """The progress text of a finished row."""
    if "error" in row:
        return f"failed: {row['error']}"
    key = next((k for k in ("bad1 nonocc", "bad1 all") if k in row), None)
    metric = f"{key} {row[key]:.2f}%, " if key else ""
    return f"{metric}{row['seconds']:.2f} s"


def _base_row(scene, setting):
    """The labels of a task's row."""
    return {"scene": scene.name, "model": setting.model_name, "solver": setting.solver_name,
            "overrides": setting.overrides(), "setting": setting}


def _collect(future, row, index, outputs):
    """Complete a task's row from its future, writing the disparity; errors become the row's."""
    try:
        done = future.result()
    except Exception as error:  # one failed run must not lose the others
        row["error"] = _error_text(error)
        return row
    if "error" in done:
        row["error"] = done["error"]
        return row
    row.update(done["scores"])
    if outputs is not None:
        row["file"] = outputs.write(index, done["disparity"])
    return row


def _run(client, distributed, jobs, outputs, say):
    """Submit every (scene, setting) job, collect rows as they finish, in job order."""
    shared = {}
    futures = {}
    for index, (scene, setting) in enumerate(jobs):
        if scene.name not in shared:  # each scene travels to the cluster once
            shared[scene.name] = client.scatter(scene)
        futures[client.submit(run_task, shared[scene.name], setting, pure=False)] = index
    rows = [_base_row(scene, setting) for scene, setting in jobs]
    for count, future in enumerate(distributed.as_completed(futures), 1):
        index = futures[future]
        row = _collect(future, rows[index], index, outputs)
        future.release()  # the disparity is written: free it on the worker
        what = " ".join([row["scene"], row["model"], "/", row["solver"],
                         *(f"{k}={v}" for k, v in row["overrides"].items())])
        say(f"[{count}/{len(jobs)}] {what}: {_headline(row)}")
    return rows


def run_batch(scenes, models=(DEFAULT_MODEL,), solvers=(DEFAULT_SOLVER,), *, params_grid=None,
              solver_grid=None, settings=None, out_dir=None, scheduler=None, workers=None,
              progress=True):
    """Match every scene with every setting as Dask tasks; rows of scores and seconds.

    Parameters
    ----------
    scenes : sequence of str, os.PathLike or Scene
        Scene folders (any layout of `msstereo.datasets.load_scene`) or
        loaded scenes, with distinct names. Each is matched over
        ``[0, ndisp]`` when its ``ndisp`` is known, else over the default
        range of `msstereo.match`.
    models, solvers : sequence
        Model names or `Model` objects; solver names or instances
        (`msstereo.Relax(iterations=5)`).
    params_grid : dict, optional
        Model parameter (or ``factor``, ``min_size``) -> list of values,
        expanded as a product.
    solver_grid : dict, optional
        Solver option -> list of values, expanded as a product for each
        solver that has the option.
    settings : sequence of Setting, optional
        Explicit settings instead of the product of the four arguments
        above (which must then be left at their defaults).
    out_dir : str or os.PathLike, optional
        Where to write ``<scene>/<setting label>.pfm`` per task and the
        table (`TABLE_FILES`); made if missing. None: write nothing.
    scheduler : str or distributed.Client, optional
        Address of a running ``dask.distributed`` scheduler, or a client;
        None: a local cluster of worker processes, closed at the end.
    workers : int, optional
        Worker processes of the local cluster (default: one per core, at
        most one per task).
    progress : bool or callable, optional
        One line per finished task (and per skipped setting) to stderr, or
        to a callable.

    Returns
    -------
    list of dict
        One row per scene and setting, scene-major in the order given:
        ``scene``, ``model``, ``solver``, ``overrides`` (what the setting
        changes from the defaults), ``setting``, the `score` columns,
        ``file`` (relative to `out_dir`) or ``error`` (type and message of
        a run that raised; the others go on).

    Raises
    ------
    ImportError
        Without Dask, saying how to install it.
    ValueError
        Before any work, naming the argument: unknown models, solvers or
        parameters, refused values, scenes of one name, no setting a
        solver can run.
    OSError
        Before any work, naming the path: a missing or unreadable scene
        folder, an output folder that is a file or a scene's own folder, a
        target that cannot be written.

    Notes
    -----
    ``seconds`` is `msstereo.match`'s own wall time; each worker process
    first compiles the kernels of a model and solver on a crop of the
    scene, so it is not counted. Settings whose solver cannot minimize the
    model (options beyond the paper with ``pde`` or ``optimize``) are
    skipped with a progress line.
    """
    distributed = _distributed()
    _check_cluster(distributed, scheduler, workers)
    say = _printer(progress)
    runnable = _runnable(_settings(models, solvers, params_grid, solver_grid, settings), say)
    loaded = _load_scenes(scenes)
    outputs = None if out_dir is None else _Outputs(out_dir, loaded, runnable)
    jobs = [(scene, setting) for scene in loaded for setting in runnable]
    start = time.perf_counter()
    with _client(distributed, scheduler, workers, len(jobs), say) as client:
        rows = _run(client, distributed, jobs, outputs, say)
    if outputs is not None:
        write_table(rows, outputs.table)
    say(f"{len(rows)} runs in {time.perf_counter() - start:.1f} s")
    return rows


def _settings(models, solvers, params_grid, solver_grid, settings):
    """The settings of `run_batch`: the product of its grids, or the explicit list."""
    if settings is None:
        return expand(models, solvers, params_grid, solver_grid)
    if (params_grid or solver_grid or _sequence(models, "models") != [DEFAULT_MODEL]
            or _sequence(solvers, "solvers") != [DEFAULT_SOLVER]):
        raise ValueError("settings replaces models, solvers, params_grid and solver_grid: "
                         "give one or the other")
    settings = _sequence(settings, "settings")
    for setting in settings:
        if not isinstance(setting, Setting):
            raise ValueError(f"settings must hold Setting objects, got {setting!r}")
    return settings


def _runnable(settings, say):
    """The settings whose solver can minimize their model; a line for each other one."""
    for s in settings:
        if not s.compatible:
            say(f"skipped {s.model_name} / {s.solver_name}: options {list(s.resolved_model().search_only)} "
                f"of the model need solver 'relax'")
    runnable = [s for s in settings if s.compatible]
    if not runnable:
        raise ValueError("settings: no solver of the batch can minimize its models (options beyond "
                         "the paper need solver 'relax')")
    return runnable


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_grid(pairs, solvers):
    """``["beta=0.02,0.05", "iterations=50"]`` -> ``(params_grid, solver_grid)``.

    A name is a model parameter or else an option of one of `solvers`;
    each comma-separated value is parsed by its field's spec
    (`msstereo.checks`).

    Raises
    ------
    ValueError
        For a pair without ``=``, an unknown name or a refused value.
    """
    classes = [type(get_solver(s)) for s in solvers]
    params, options = {}, {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        owner = next((cls for cls in classes if key in cls.FIELD_SPECS), None)
        if not sep or key == "name" or (key not in Model.FIELD_SPECS and owner is None):
            raise ValueError(f"--param takes NAME=VALUE[,VALUE...] with NAME a model parameter or an "
                             f"option of the solvers {list(solvers)}, got {pair!r}")
        if key in Model.FIELD_SPECS:
            params[key] = [checks.parse_field(Model, key, v, "model parameter") for v in text.split(",")]
        else:
            options[key] = [checks.parse_field(owner, key, v, "solver option") for v in text.split(",")]
    return params, options


def command(args):
    """``msstereo batch``: `run_batch` on scene folders; prints the table.

    Raises
    ------
    OSError
        Without Dask (the command line reports it on one line, exit code 2).
    ValueError
        For bad arguments, and after the table is written if a run failed.
    """
    try:
        _distributed()
    except ImportError as error:
        raise OSError(str(error)) from None  # the CLI reports OSError as one line, exit code 2
    models = args.model or [DEFAULT_MODEL]
    solvers = args.solver or [DEFAULT_SOLVER]
    params_grid, solver_grid = parse_grid(args.param, solvers)
    rows = run_batch(args.scenes, models, solvers, params_grid=params_grid, solver_grid=solver_grid,
                     out_dir=args.output, scheduler=args.scheduler, workers=args.workers,
                     progress=not args.quiet)
    out = Path(args.output)
    print((out / TABLE_FILES[1]).read_text(encoding="utf-8").strip())
    print(f"wrote {sum('file' in row for row in rows)} disparities under {out}, "
          f"table {', '.join(str(out / name) for name in TABLE_FILES)}")
    failed = [row for row in rows if "error" in row]
    if failed:
        raise ValueError(f"{len(failed)} of {len(rows)} runs failed (see the table), the first: "
                         f"{failed[0]['scene']} {failed[0]['model']} / {failed[0]['solver']}: "
                         f"{failed[0]['error']}")
