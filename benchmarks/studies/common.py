"""What the studies share: the SGBM peer, scenes, scored matches, ``--set``, tables and result files.

The peer
    `sgbm` runs OpenCV's semi-global block matching (Hirschmüller,
    "Stereo processing by semiglobal matching and mutual information", IEEE
    TPAMI 30(2), 2008) as a complete dense matcher: left-padded so that the
    left border gets disparities, left-right checked, and background-filled,
    the same post-processing a variational method gets for free. OpenCV
    (``opencv-python-headless``) is an optional, benchmark-only dependency:
    ``pip install "msstereo[bench]"``.
Scenes and matches
    `load_scenes` (the Middlebury scenes by name, from ``--data`` or
    ``MSSTEREO_DATA``), `run_scene` (an msstereo match over the scene's
    disparity range, scored by `msstereo.batch.score`), `run_peer` (the same
    row for SGBM) and `warm_up` (compile before timing).
Command lines
    `study_parser` (usage ``python -m benchmarks.studies.<name>``, with
    ``--data``, ``--scenes``, ``--name`` and ``--no-save`` where a study
    has them); `parse_settings` sorts ``--set NAME=VALUE`` into model
    parameters, pipeline options of `msstereo.match` and solver options.
Dask
    `add_dask_options` and `run_on_dask`: the matches of a study as tasks
    of `msstereo.batch.run_batch`.
Results
    `markdown_table`, `command_line`, `run_info`, `write_markdown` and
    `json_safe` write ``benchmarks/results/<name>.md`` (and ``.json``) with
    the command that made them; `run_module` runs a study's child process.

Every study imports this module; none changes ``sys.path``.
"""

import argparse
import dataclasses
import inspect
import json
import math
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import msstereo
from msstereo.batch import run_batch, score
from msstereo.datasets import SCENE_NAMES, V2_SCENES, get_scene, left_right_consistent
from msstereo.evaluate import METRIC_KEYS, sparsification_curve
from msstereo.kernels.occlusion import background_fill
from msstereo.match import SOLVERS
from msstereo.models import get_model

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: the studies run from here, as ``python -m benchmarks.studies.<name>``."""

RESULTS = ROOT / "benchmarks" / "results"
"""Where the studies write their tables and figures."""

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""The BLAS and OpenMP thread counts a result records (set by ``benchmarks/studies/__init__.py``)."""


# --------------------------------------------------------------------------
# The SGBM peer
# --------------------------------------------------------------------------


OPENCV_MISSING = 'the SGBM peer needs OpenCV: pip install "msstereo[bench]"'


@dataclass(frozen=True)
class SGBMSettings:
    """Settings of the SGBM peer.

    Attributes
    ----------
    block_size : int
        Matching block side (``blockSize``); 3 as in OpenCV's stereo_match
        sample for the 3-way mode.
    p1, p2 : int
        Smoothness penalties per channel and block pixel: OpenCV's
        ``P1 = p1 * channels * block_size**2`` (disparity changes of one
        level) and ``P2 = p2 * channels * block_size**2`` (larger jumps), the
        usual 8 and 32.
    uniqueness_ratio : int
        Percent by which the best cost must beat the second best
        (``uniquenessRatio``).
    speckle_window_size, speckle_range : int
        OpenCV's speckle filter: connected regions of at most this many
        pixels whose disparities vary by at most ``speckle_range`` are
        invalidated (``speckleWindowSize``, ``speckleRange``).
    pre_filter_cap : int
        Clip of the x-derivative prefilter (``preFilterCap``): 15, what
        OpenCV uses when the parameter is left at its default 0. (63, the
        value of OpenCV's sample, gave 0.5-0.9 points more bad 1 nonocc on
        the v2 scenes and Art, 1 point less on Laundry.)
    lr_tol : float or None
        The pipeline's own left-right check, with a second ``compute`` for the
        right disparity: a left pixel is invalid when
        ``|d_l(x) - d_r(x - d_l(x))| > lr_tol`` (nearest pixel, see
        `msstereo.datasets.left_right_consistent`). None: one ``compute``,
        whose invalid pixels (OpenCV's own check among them) are filled.
    disp12_max_diff : int
        OpenCV's own left-right check (``disp12MaxDiff``, pixels; -1: off).
    threads : int or None
        OpenCV worker threads during the call (restored afterwards); None
        leaves OpenCV's setting, its default threads.

    Notes
    -----
    Fixed, not settable: mode ``STEREO_SGBM_MODE_SGBM_3WAY``, ``minDisparity``
    0, ``numDisparities`` = `num_disparities` (``ndisp`` rounded up to a
    multiple of 16), left padding of ``numDisparities`` columns (edge
    replicated, cropped afterwards), background fill of invalid pixels
    (`msstereo.kernels.occlusion.background_fill`).
    """

    block_size: int = 3
    p1: int = 8
    p2: int = 32
    uniqueness_ratio: int = 10
    speckle_window_size: int = 100
    speckle_range: int = 2
    pre_filter_cap: int = 15
    lr_tol: float | None = 1.0
    disp12_max_diff: int = -1
    threads: int | None = 1

    def describe(self):
        """dict: OpenCV's version and every setting, the fixed ones included, for result files."""
        return {"opencv": _import_cv2().__version__,
                "mode": "STEREO_SGBM_MODE_SGBM_3WAY", "minDisparity": 0,
                "numDisparities": "ndisp rounded up to a multiple of 16",
                "disp12MaxDiff": self.disp12_max_diff,
                "calls": "one compute" if self.lr_tol is None else "two computes and an own left-right check",
                "left padding": "numDisparities columns, edge replicated",
                "fill": "background (smaller nearest valid disparity along the row)",
                **asdict(self)}


#: SGBM as its users call it: one ``compute`` with OpenCV's own left-right check
#: (``disp12MaxDiff=1``) on OpenCV's default threads, then the background fill. The peer of the
#: speed and scale studies.
SGBM_AS_CALLED = SGBMSettings(lr_tol=None, disp12_max_diff=1, threads=None)

#: The accuracy studies' pipeline: two ``compute`` calls (left and right disparity) and an own
#: left-right check on one OpenCV thread. Its disparities are those the accuracy tables score.
SGBM = SGBMSettings()


def num_disparities(ndisp):
    """``ndisp`` rounded up to a multiple of 16, as OpenCV's SGBM requires.

    Parameters
    ----------
    ndisp : int
        Number of disparity levels of the scene.

    Returns
    -------
    int
    """
    return 16 * max(1, -(-int(ndisp) // 16))


def sgbm(left, right, ndisp, settings=SGBM):
    """Left disparity by OpenCV SGBM, left-right checked and background-filled.

    Parameters
    ----------
    left, right : ndarray of uint8, shape (H, W) or (H, W, C)
        Rectified pair (e.g. ``Scene.left`` and ``Scene.right``).
    ndisp : int
        Number of disparity levels: disparities are searched in
        ``[0, num_disparities(ndisp))``.
    settings : SGBMSettings, optional
        Matcher and post-processing settings.

    Returns
    -------
    disparity : ndarray of float32, shape (H, W)
        Left disparity in pixels (OpenCV's fixed point divided by 16). Pixels
        that fail the left-right check or that SGBM leaves invalid hold the
        background fill; only a row without any valid pixel stays NaN.
    seconds : float
        Wall time of the whole pipeline: both matches, check and fill.

    Raises
    ------
    ImportError
        If OpenCV is not installed (``pip install "msstereo[bench]"``).
    ValueError
        If the images are not uint8 or their shapes differ.
    """
    cv2 = _import_cv2()
    if left.dtype != np.uint8 or right.dtype != np.uint8 or left.shape != right.shape:
        raise ValueError(f"expected two uint8 images of one shape, got {left.dtype} {left.shape} "
                         f"and {right.dtype} {right.shape}")
    start = time.perf_counter()
    with _opencv_threads(cv2, settings.threads):
        matcher = _matcher(cv2, settings, num_disparities(ndisp), _channels(left))
        d_left = _padded_disparity(matcher, left, right)
        if settings.lr_tol is not None:
            d_right = _padded_disparity(matcher, right[:, ::-1], left[:, ::-1])[:, ::-1]
    if settings.lr_tol is None:
        invalid = np.isnan(d_left)
    else:
        invalid = ~left_right_consistent(d_left, d_right, settings.lr_tol)
    disparity = background_fill(d_left, invalid)
    return disparity, time.perf_counter() - start


def sgbm_kept(left, right, ndisp):
    """The pixels that SGBM as its users call it (`SGBM_AS_CALLED`) keeps: valid after its own checks.

    One ``compute`` on the left-padded pair with ``disp12MaxDiff=1``; its
    left disparity (unfilled, NaN elsewhere) and the kept pixels, for
    comparing its density with a confidence map's.

    Returns
    -------
    disparity : ndarray of float32, shape (H, W)
    kept : ndarray of bool, shape (H, W)
    """
    cv2 = _import_cv2()
    settings = SGBM_AS_CALLED
    matcher = _matcher(cv2, settings, num_disparities(ndisp), _channels(left))
    disparity = _padded_disparity(matcher, left, right)
    return disparity, np.isfinite(disparity)


DENSITY_KEYS = ("SGBM density", "SGBM bad1 kept", "ours at density")
"""The columns of `at_sgbm_density`."""


def scored_pixels(scene):
    """Non-occluded pixels with ground truth; every pixel with ground truth without a 'nonocc' mask."""
    return scene.known & scene.masks["nonocc"] if "nonocc" in scene.masks else scene.known


def at_sgbm_density(scene, disparity, confidence):
    """Our bad 1 at the density that SGBM's own left-right check keeps, beside SGBM's on what it keeps.

    Over `scored_pixels`: ``SGBM density``, the share of them that SGBM as
    its users call it keeps (`sgbm_kept`), in percent; ``SGBM bad1 kept``,
    its bad 1 on them; ``ours at density``, the bad 1 of the same share of
    our most confident pixels (`msstereo.evaluate.sparsification_curve`).
    """
    mask, truth = scored_pixels(scene), scene.disparity
    sgbm_disparity, kept = sgbm_kept(scene.left, scene.right, scene.ndisp)
    density = (kept & mask).sum() / mask.sum()
    return {"SGBM density": 100.0 * density,
            "SGBM bad1 kept": 100.0 * (np.abs(sgbm_disparity - truth)[kept & mask] > 1.0).mean(),
            "ours at density": float(sparsification_curve(confidence, disparity, truth, mask,
                                                          fractions=[density])[0])}


def _import_cv2():
    """Return the cv2 module; ImportError naming the bench extra if missing."""
    try:
        import cv2
    except ImportError as error:
        raise ImportError(OPENCV_MISSING) from error
    return cv2


@contextmanager
def _opencv_threads(cv2, threads):
    """Run the block with `threads` OpenCV threads (unchanged if None)."""
    if threads is None:
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _channels(image):
    """Number of colour channels of an (H, W) or (H, W, C) image."""
    return 1 if image.ndim == 2 else image.shape[2]


def _matcher(cv2, settings, num_disp, channels):
    """The configured ``cv2.StereoSGBM`` for `num_disp` levels."""
    area = channels * settings.block_size**2
    return cv2.StereoSGBM_create(
        minDisparity=0,
        numDisparities=num_disp,
        blockSize=settings.block_size,
        P1=settings.p1 * area,
        P2=settings.p2 * area,
        disp12MaxDiff=settings.disp12_max_diff,
        preFilterCap=settings.pre_filter_cap,
        uniquenessRatio=settings.uniqueness_ratio,
        speckleWindowSize=settings.speckle_window_size,
        speckleRange=settings.speckle_range,
        mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY,
    )


def _padded_disparity(matcher, left, right):
    """Disparity of `left` in pixels, NaN where SGBM finds none.

    Both images are padded on the left by the matcher's disparity count
    (edge replicated) so that the left border columns, which SGBM leaves
    invalid, lie in the padding; the padding is cropped off the result.
    """
    pad = matcher.getNumDisparities()
    widths = ((0, 0), (pad, 0)) + ((0, 0),) * (left.ndim - 2)
    fixed = matcher.compute(np.pad(left, widths, mode="edge"), np.pad(right, widths, mode="edge"))
    fixed = fixed[:, pad:]
    disparity = fixed.astype(np.float32) / 16.0  # OpenCV's DISP_SCALE: 4 fractional bits
    disparity[fixed < 0] = np.nan  # invalid: (minDisparity - 1) * 16
    return disparity


def sgbm_seconds(left, right, ndisp, repeat, settings=SGBM_AS_CALLED):
    """Median wall time of the SGBM peer's whole pipeline over `repeat` runs (as its users call it).

    The median, since SGBM's runs are short and a shared machine makes some
    of them slow.
    """
    return float(np.median([sgbm(left, right, ndisp, settings)[1] for _ in range(repeat)]))


# --------------------------------------------------------------------------
# Command lines
# --------------------------------------------------------------------------


def study_parser(doc, module, scenes=None, scene_choices=SCENE_NAMES, save=False):
    """The argument parser of a study, with the options that several studies share.

    Parameters
    ----------
    doc : str
        The study's docstring: its first line describes the command.
    module : str
        The study's module (``__spec__.name``), for the usage line.
    scenes : sequence of str, optional
        Default scenes: adds ``--data`` and ``--scenes`` (`add_scene_options`).
    scene_choices : sequence of str
        The scenes ``--scenes`` accepts.
    save : bool or str
        True: adds ``--no-save``; a name: also ``--name`` with that default
        (`add_save_options`).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.splitlines()[0])
    if scenes is not None:
        add_scene_options(parser, scenes, scene_choices)
    if save:
        add_save_options(parser, name=save if isinstance(save, str) else None)
    return parser


# --------------------------------------------------------------------------
# Settings (--set)
# --------------------------------------------------------------------------

# Arguments of msstereo.match that the studies set themselves, never --set.
_OWN_MATCH_ARGUMENTS = {"model", "solver", "d_max", "d_min", "dtype", "progress"}


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
    """set of str: keyword options of `msstereo.match` itself (``factor``, ``min_size``, ...)."""
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


def add_set_option(parser, what="a model parameter, match option or solver option"):
    """``--set NAME=VALUE`` (repeatable), for `parse_settings`."""
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help=f"override {what} (repeatable)")


# --------------------------------------------------------------------------
# Scenes
# --------------------------------------------------------------------------


def add_data_option(parser, holds="middlebury/v2 and middlebury/2005"):
    """``--data``: the data folder, by default ``$MSSTEREO_DATA``."""
    parser.add_argument("--data", default=os.environ.get("MSSTEREO_DATA"),
                        help=f"folder holding {holds} (default: $MSSTEREO_DATA)")


def add_scene_options(parser, default, choices=SCENE_NAMES):
    """``--data`` and ``--scenes`` (names among `choices`, for `load_scenes`)."""
    add_data_option(parser, holds="middlebury/v2" if set(choices) <= set(V2_SCENES) else
                    "middlebury/v2 and middlebury/2005")
    parser.add_argument("--scenes", nargs="+", default=list(default), choices=list(choices), metavar="SCENE",
                        help=f"scenes, any of {', '.join(choices)} (default: {' '.join(default)})")


def load_scenes(names, root):
    """``{name: Scene}``; SystemExit when the data folder is missing or unreadable.

    Motorcycle, which scikit-image ships, needs no data folder.
    """
    if not root and any(name != "motorcycle" for name in names):
        raise SystemExit("no data folder: pass --data or set MSSTEREO_DATA")
    try:
        return {name: get_scene(name, root) for name in dict.fromkeys(names)}
    except OSError as error:
        raise SystemExit(str(error)) from None


# --------------------------------------------------------------------------
# Matches and scores
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


def run_scene(scene, model, solver, params, found_range=False):
    """Match one scene with msstereo, over ``[0, ndisp]`` or the range it finds.

    Parameters
    ----------
    scene : msstereo.datasets.Scene
    model : str or msstereo.Model
    solver : str or solver instance
    params : dict
        Further keywords of `msstereo.match` (model parameters, pipeline
        options).
    found_range : bool
        Give no range: `msstereo.match` finds it from the pair, as for a
        user who passes none (default: the scene's ``[0, ndisp]``).

    Returns
    -------
    row : dict
        Metric columns, ``seconds`` and, for results with an occlusion map,
        ``occ precision`` and ``occ recall`` (`msstereo.batch.score`).
    result : msstereo.StereoResult
    """
    extent = {} if found_range else disparity_range(scene)
    result = msstereo.match(scene.left, scene.right, model=model, solver=solver, **extent, **params)
    return score(scene, result.disparity, result.seconds, result.occlusion), result


def run_peer(scene):
    """Match one scene with the SGBM peer; returns its row (`msstereo.batch.score`)."""
    disparity, seconds = sgbm(scene.left, scene.right, scene.ndisp)
    return score(scene, disparity, seconds)


def compatible(model, solver):
    """Whether `solver` minimizes `model`: options beyond the paper need the global search."""
    return solver.global_search or not get_model(model).search_only


def warm_up(scene, models, solvers, params):
    """Compile every model's and solver's kernels, and load OpenCV, on a crop of `scene`.

    So that the timed matches measure the matching alone, not Numba's
    compilation or the loading of its cache.
    """
    left, right = scene.left[:64, :96], scene.right[:64, :96]
    sgbm(left, right, 16)
    for model in models:
        for solver in solvers.values():
            if compatible(model, solver):
                msstereo.match(left, right, model=model, solver=solver, d_min=0, d_max=16, **params)


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------


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
        ``[scene][setting]``: the columns of `run_scene`'s rows.

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
    columns = [{k: v for k, v in row.items() if k in METRIC_KEYS or k == "seconds"} for row in rows]
    return [columns[start:start + len(settings)] for start in range(0, len(columns), len(settings))]


# --------------------------------------------------------------------------
# Tables and result files
# --------------------------------------------------------------------------


def markdown_row(cells):
    """One line of a Markdown table."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown_table(header, rows, align=None):
    """The lines of a Markdown table.

    Parameters
    ----------
    header : sequence of str
    rows : iterable of sequence
        Cells, already formatted.
    align : str, optional
        One letter per column, ``l`` (left) or ``r`` (right); default: the
        first column left, the others (numbers) right.

    Returns
    -------
    list of str
    """
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align)
    return [markdown_row(header), rule] + [markdown_row(cells) for cells in rows]


def add_save_options(parser, name=None):
    """``--no-save`` and, with a default `name`, ``--name`` (the base name of the saved files)."""
    if name is not None:
        parser.add_argument("--name", default=name, help=f"base name of the saved files (default: {name})")
    parser.add_argument("--no-save", action="store_true", help="print only")


def command_line(module, argv=None):
    """The command that runs study `module` with `argv` (default: this process's arguments)."""
    argv = sys.argv[1:] if argv is None else argv
    return " ".join(["python", "-m", module, *argv])


def machine():
    """CPU model name (from /proc/cpuinfo where there is one), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_info(command):
    """dict: what a result records of its run: date, machine, cores, thread settings, command."""
    return {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "cores": os.cpu_count(),
            "threads": {k: os.environ.get(k) for k in THREAD_VARIABLES}, "command": command}


def json_safe(value):
    """`value` with non-finite floats replaced by None (strict JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_markdown(name, title, command, description, body):
    """Write ``<name>.md`` under `RESULTS`: title and date, the command that made it, a description, the body."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(
        f"# {title}, {time.strftime('%Y-%m-%d')}\n\n`{command}`: {description}\n\n{body}\n")


# --------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------


def run_module(module, args, env=None, check=True):
    """Run study `module` with `args` in a child process, from the repository root.

    A child of its own gives a measurement a fresh process: its own peak
    memory, a cold or warm compile cache, no state of the runs before.

    Parameters
    ----------
    module : str
        e.g. ``"benchmarks.studies.scale"``.
    args : sequence of str
    env : dict, optional
        The child's environment (default: this process's).
    check : bool
        Raise `subprocess.CalledProcessError` when the child fails.

    Returns
    -------
    subprocess.CompletedProcess
        With the child's stdout and stderr as text.
    """
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True)


def last_json_line(text):
    """The last line of a child's output, parsed as JSON."""
    return json.loads(text.strip().splitlines()[-1])
