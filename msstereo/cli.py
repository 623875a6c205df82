"""Command line: ``msstereo demo``, ``msstereo match``, ``msstereo eval``, ``msstereo batch``.

Bad input ends the command with one line on stderr and exit code 2, Ctrl-C
with one line and 130, SIGTERM (``kill``, ``timeout``) with one line and
143, also while the modules load: from the first line of this module, when
it runs as the command. Output files are one `msstereo.io.OutputSet`: every
file is checked before the match starts (none may replace an input or a
file of a scene folder that an input sits in), and the set is published at
once or not at all.

This module imports no NumPy, Numba, SciPy or scikit-image: the commands
import what they use (`_load`), so that ``--help`` and ``--version`` are
instant. The names they use stay attributes of this module (PEP 562
``__getattr__``), so that tests can replace them.
"""

import os
import sys

from ._signals import exit_on_signal

if __name__ == "__main__" or os.path.basename((sys.argv or [""])[0]) in ("msstereo", "msstereo.exe",
                                                                         "msstereo-script.py"):
    # Run as the command (``python -m msstereo.cli`` or the console script): until `main` takes
    # over, Ctrl-C and SIGTERM end the process with one line, not a traceback of these imports.
    exit_on_signal()

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

from . import __version__  # noqa: E402
from ._signals import EXIT_CODES, interrupts_deferred, signal_of, signals_raise  # noqa: E402

MODEL_NAMES = ("default", "ms-l2", "ms-occ", "ms-tv", "tv", "tv-edge")
"""`msstereo.models.MODELS`, named here so that ``--help`` needs no import (a test keeps them equal)."""

SOLVER_NAMES = ("optimize", "pde", "relax")
"""`msstereo.match.SOLVERS`, likewise."""

DEFAULT_MODEL, DEFAULT_SOLVER = "default", "relax"
"""`msstereo.match.DEFAULT_MODEL` and `DEFAULT_SOLVER`, likewise."""

_LAZY = {
    "np": ("numpy", None), "match": (".match", "match"), "LOG": (".match", "LOG"),
    "SOLVERS": (".match", "SOLVERS"), "Model": (".models", "Model"), "parse_field": (".checks", "parse_field"),
    "settable": (".checks", "settable"),
    "load_scene": (".datasets", "load_scene"), "motorcycle": (".datasets", "motorcycle"),
    "scene_files": (".datasets", "scene_files"),
    "read_mask": (".datasets", "read_mask"), "evaluate_scene": (".evaluate", "evaluate_scene"),
    "evaluate_v3_masks": (".evaluate", "evaluate_v3_masks"), "OutputSet": (".io", "OutputSet"),
    "read_disparity_png": (".io", "read_disparity_png"), "read_image": (".io", "read_image"),
    "read_pfm": (".io", "read_pfm"), "write_pfm": (".io", "write_pfm"), "write_png": (".io", "write_png"),
    "colorize": (".viz", "colorize"), "error_map": (".viz", "error_map"),
    "error_colors": (".viz", "error_colors"), "error_legend": (".viz", "error_legend"),
}
"""Heavy names the commands use: (module, attribute; None for the module itself)."""


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = importlib.import_module(module, __package__)
    globals()[name] = value = value if attribute is None else getattr(value, attribute)
    return value


def _load(*names):
    """Import the heavy names a command uses, unless already set (e.g. replaced by a test).

    Ctrl-C is held back until the imports are done: inside a compiled
    extension's import it would come out as an ImportError, not as Ctrl-C.
    """
    with interrupts_deferred():
        for name in names:
            if name not in globals():
                __getattr__(name)


def _parse_pairs(pairs, cls, label, option, other=None):
    """``["beta=0.03", "fill=background"]`` -> ``{"beta": 0.03, "fill": "background"}``.

    Each value is parsed by the spec of its field of ``cls`` (its
    ``FIELD_SPECS``, `msstereo.checks.parse_field`), so errors name the
    field, and an unknown name is refused with the nearest settable one, as
    `msstereo.match` refuses an unknown keyword. ``other``: ``(cls, label,
    option)`` of the other kind of NAME=VALUE, named when the name is one of
    its fields (``--param iterations=50`` is a solver option).
    """
    _load("parse_field", "settable")
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"{option} takes NAME=VALUE with NAME a {label}, got {pair!r}")
        if other is not None and key not in cls.FIELD_SPECS and key in settable(other[0].FIELD_SPECS):
            raise ValueError(f"{option} {pair}: {key!r} is a {other[1]}, not a {label}: give {other[2]} {pair}")
        values[key] = parse_field(cls, key, value, label)
    return values


def _add_match_options(parser):
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=MODEL_NAMES,
                        help=f"energy model (default: {DEFAULT_MODEL})")
    parser.add_argument("--solver", default=DEFAULT_SOLVER, choices=SOLVER_NAMES,
                        help=f"solver (default: {DEFAULT_SOLVER})")
    parser.add_argument("--d-min", type=float, default=0.0,
                        help="smallest disparity in pixels, may be negative (default: 0)")
    parser.add_argument("--d-max", type=float, default=None,
                        help="largest disparity in pixels (default: the scene's ndisp, or d-min plus a "
                             "third of the width)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter, e.g. --param beta=0.03 (repeatable)")
    parser.add_argument("--solver-option", action="append", default=[], metavar="NAME=VALUE",
                        help="set an option of the solver, e.g. --solver-option iterations=50 "
                             "(repeatable; see msstereo.Relax, PDE, Optimize)")
    parser.add_argument("--factor", type=float, default=0.75,
                        help="pyramid size ratio between levels, pde and optimize (default: 0.75)")
    parser.add_argument("--min-size", type=int, default=24,
                        help="short side of the coarsest pyramid level (default: 24)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for the left and right views of the occlusion models (ms-occ and "
                             "the default model), which then run side by side; the result does not depend "
                             "on it (default: the machine's cores; use 1 when other processes share the "
                             "cores)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar or lines, no note on compiling")


@contextmanager
def _log_to_stderr(enabled):
    """Print the library's INFO messages (how the intensities were scaled) while matching."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    level = LOG.level
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    try:
        yield
    finally:
        LOG.removeHandler(handler)
        LOG.setLevel(level)


def _run(left, right, args, d_max):
    """`msstereo.match` with the command's options; ``d_max`` unless ``--d-max`` is given."""
    _load("match", "LOG", "Model", "SOLVERS")
    kind = SOLVERS[args.solver]
    solver_label = f"{kind.__name__} option"
    params = _parse_pairs(args.param, Model, "model parameter", "--param", (kind, solver_label, "--solver-option"))
    solver = kind(**_parse_pairs(args.solver_option, kind, solver_label, "--solver-option",
                                 (Model, "model parameter", "--param")))
    with _log_to_stderr(not args.quiet):
        return match(left, right, model=args.model, solver=solver, d_min=args.d_min,
                     d_max=args.d_max if args.d_max is not None else d_max, factor=args.factor,
                     min_size=args.min_size, progress=not args.quiet, threads=args.threads, **params)


OUTPUT_FILES = (
    (".pfm", "disparity", "pfm"), (".png", "disparity", "colour"),
    (".right.pfm", "disparity_right", "pfm"), (".right.png", "disparity_right", "colour"),
    (".occlusion.png", "occlusion", "gray"), (".occlusion_right.png", "occlusion_right", "gray"),
    (".v.png", "v", "gray"), (".v_right.png", "v_right", "gray"), (".v_image.png", "v_image", "gray"),
    (".confidence.png", "confidence", "gray"),
)
"""The files of a result beside ``OUT.pfm``: suffix, `StereoResult` field, how it is stored."""

SDK_NAME = re.compile(r"[A-Za-z0-9_]{1,64}\Z")
"""An algorithm name of the Middlebury SDK's files (``disp0NAME.pfm``, ``timeNAME.txt``)."""


def _sdk_files(folder, name):
    """``(folder/disp0NAME.pfm, folder/timeNAME.txt)``, the files the Middlebury SDK reads."""
    if not SDK_NAME.match(name):
        raise ValueError(f"--sdk takes an algorithm name of letters, digits and underscores, got {name!r}")
    return Path(folder) / f"disp0{name}.pfm", Path(folder) / f"time{name}.txt"


def manifest_path(out):
    """The manifest of the files written after ``OUT.pfm``: ``.OUT.pfm.msstereo.json`` beside it.

    It records the files of the set that a run wrote (`msstereo.io.OutputSet`),
    so that a later run removes those it does not write again, and no file
    that it did not write.
    """
    return out.with_name(f".{out.name}.msstereo.json")


def _output_set(out, sdk=None, inputs=()):
    """``OUT.pfm`` (or None) and the `OutputSet` of every file named after it and of ``sdk``.

    Every file a model may write is checked before any work, whatever the
    model, so that no run can name its outputs after an input; ``-o`` and
    ``--sdk`` may not name one file.
    """
    _load("OutputSet")
    targets = list(sdk or ())
    manifest = None
    if out is not None:
        out = Path(out)
        if out.suffix.lower() != ".pfm":
            raise ValueError(f"output must be a .pfm file, got {out}")
        files = [out.with_suffix(suffix) for suffix, _, _ in OUTPUT_FILES]
        for path in sdk or ():
            if any(_same_path(path, own) for own in files):
                raise ValueError(f"-o {out} and --sdk name one file, {path}: give -o another name")
        targets, manifest = files + targets, manifest_path(out)
    return out, OutputSet(targets, inputs, manifest=manifest)


def _same_path(a, b):
    """Whether two paths name one file, existing or not."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _beside(*paths):
    """The files of the scene folders that ``paths`` sit in (`msstereo.datasets.scene_files`)."""
    _load("scene_files")
    folders = dict.fromkeys(os.path.abspath(Path(p).parent) for p in paths)
    return [f for folder in folders for f in scene_files(folder)]


def _save(result, out, outputs, vmax=None, vmin=0.0, sdk=None):
    """Write what the model estimated as one set; returns ``(written, removed, left)``.

    Beside ``OUT.pfm`` (if ``out`` is given): always a colour-mapped
    ``OUT.png``; ``ms-occ`` adds the right disparity (``OUT.right.pfm`` and
    ``.png``) and the occlusion masks (``OUT.occlusion.png``,
    ``OUT.occlusion_right.png``: 255 = occluded); discontinuity maps are gray
    PNGs, 0 = edge, 255 = none (``OUT.v.png``, ``OUT.v_right.png``,
    ``OUT.v_image.png``); the confidence of two-view models is a gray PNG,
    0 to 255 for 0 to 1 (``OUT.confidence.png``). ``sdk``: the Middlebury
    SDK's disparity and time files. Files named after ``OUT.pfm`` that an earlier run wrote (its
    manifest, `manifest_path`, records them) and this one does not write are
    removed, unless changed since; ``left`` are the files of the set this
    run neither wrote nor removed: files it did not write, or inputs.
    """
    _load("np", "write_pfm", "write_png", "colorize")
    staged = []
    with outputs:
        for suffix, name, kind in OUTPUT_FILES if out is not None else ():
            field = getattr(result, name)
            if field is None:
                continue
            staged.append(out.with_suffix(suffix))
            tmp = outputs.stage(staged[-1])
            if kind == "pfm":
                write_pfm(tmp, field)
            elif kind == "colour":
                write_png(tmp, colorize(field, vmin, vmax))
            else:
                write_png(tmp, np.round(np.clip(field.astype(np.float32), 0, 1) * 255).astype(np.uint8))
        if sdk is not None:
            write_pfm(outputs.stage(sdk[0]), result.disparity)
            outputs.stage(sdk[1]).write_text(f"{result.seconds:.3f}\n")
            staged += list(sdk)
        stale = [target for target in outputs.targets if target not in staged]
        written, removed = outputs.publish(remove=stale)
    return written, removed, [path for path in stale if path.exists()]


def _report_files(written, removed, left):
    print(f"wrote {', '.join(map(str, written))}")
    if removed:
        print(f"removed files of an earlier run that this one did not write: {', '.join(map(str, removed))}")
    if left:
        print(f"kept files named like outputs that msstereo did not write (or changed since): "
              f"{', '.join(map(str, left))}")


def _print_scores(name, version, scores, file=None):
    """Print the scores of `msstereo.evaluate.evaluate_scene`, one line per mask (to stdout or ``file``)."""
    file = sys.stdout if file is None else file
    what = "bad pixels (percent)" if version == "v2" else "metrics (percent; avgerr and rms in pixels)"
    print(f"Middlebury {version} {what}, {name}:", file=file)
    for mask, values in scores.items():
        parts = []
        for key, value in values.items():
            if version == "v2":
                parts.append(f"bad{key:g} {value:6.2f}%")
            else:
                parts.append(f"{key} {value:6.2f}{'' if key in ('avgerr', 'rms') else '%'}")
        print(f"  {mask:7s} " + "  ".join(parts), file=file)


def _json_scores(scores):
    """``scores`` as JSON text: keys as strings, numbers as numbers, NaN and infinities as null.

    JSON has no NaN (a mask without evaluated pixels has NaN scores), so
    that ``json.loads`` and every other JSON reader take the document.
    """
    def plain(value):
        if isinstance(value, dict):
            return {str(key): plain(item) for key, item in value.items()}
        value = float(value)
        return value if math.isfinite(value) else None
    return json.dumps(plain(scores), allow_nan=False)


DEMO_FOLDER = "motorcycle"
"""The folder ``demo`` writes into by default, in the current directory, made if missing."""


def cmd_demo(args):
    _load("motorcycle", "evaluate_scene")
    made = None
    out = args.output
    if out is None:
        folder = Path(DEMO_FOLDER)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} is not a folder: give another output with -o OUT.pfm")
        if not folder.exists():
            folder.mkdir()
            made = folder
        out = folder / "motorcycle.pfm"
    try:
        out, outputs = _output_set(out)
        scene = motorcycle()
        print(f"Middlebury 2014 Motorcycle (scikit-image), {scene.shape[1]}x{scene.shape[0]}, "
              f"model {args.model}, solver {args.solver}", file=sys.stderr)
        result = _run(scene.left, scene.right, args, scene.ndisp)
        files = _save(result, out, outputs, result.d_range[1], result.d_range[0])
    except BaseException:
        if made is not None:  # the folder this run made, empty: no output was written
            try:
                made.rmdir()
            except OSError:
                pass
        raise
    _print_scores(scene.name, *evaluate_scene(result.disparity, scene))
    print(f"time: {result.seconds:.2f} s")
    _report_files(*files)


def _scene_input(args):
    """The scene of ``match SCENE_DIR``, said on stderr with the disparity range it gives."""
    _load("load_scene")
    if not Path(args.left).is_dir():
        raise ValueError(f"{args.left} is not a scene folder: give LEFT RIGHT images or a SCENE_DIR")
    scene = load_scene(args.left)
    if args.d_max is None and scene.ndisp is not None and scene.ndisp > scene.shape[1]:
        # No pixel can have a disparity of the width or more: the file is wrong, not the solver.
        raise OSError(f"{scene.ndisp_source}: ndisp {scene.ndisp} is larger than the image width "
                      f"({scene.shape[1]} px), which no disparity can reach; give --d-max")
    if not args.quiet:
        extent = (f"disparities 0..{scene.ndisp} (the scene's ndisp)" if scene.ndisp is not None
                  else "no ndisp: disparities 0 to a third of the width")
        print(f"scene {scene.name} ({scene.layout} layout), {scene.shape[1]}x{scene.shape[0]}, {extent}",
              file=sys.stderr)
    return scene


def cmd_match(args):
    if args.output is None and args.sdk is None:
        raise ValueError("give an output: -o OUT.pfm, --sdk NAME, or both")
    folder = args.left if args.right is None else Path(args.left).parent
    sdk = None if args.sdk is None else _sdk_files(folder, args.sdk)
    if args.right is None:
        scene = _scene_input(args)
        out, outputs = _output_set(args.output, sdk, scene.files)
        left, right, ndisp = scene.left, scene.right, scene.ndisp
    else:
        for path in (args.left, args.right):
            if Path(path).is_dir():
                raise ValueError(f"{path} is a folder: give a scene folder alone, or two image files")
        # Outputs are checked before the images are read, so a bad target costs nothing; the
        # files of a scene folder the images sit in are inputs too, though this run reads two.
        inputs = (args.left, args.right, *_beside(args.left, args.right))
        out, outputs = _output_set(args.output, sdk, inputs)
        _load("read_image")
        left, right, scene, ndisp = read_image(args.left), read_image(args.right), None, None
    result = _run(left, right, args, ndisp)
    # The PNGs map the searched range (given, the scene's, or match's default) onto the colours.
    files = _save(result, out, outputs, result.d_range[1], result.d_range[0], sdk)
    if scene is not None and scene.disparity is not None:
        _load("evaluate_scene")
        _print_scores(scene.name, *evaluate_scene(result.disparity, scene))
    print(f"time: {result.seconds:.2f} s")
    _report_files(*files)


def _read_disparity(path, scale, option):
    """A disparity map from a PFM, or from a PNG given its ``scale`` (named by ``option``)."""
    _load("read_pfm", "read_disparity_png")
    path = Path(path)
    if path.suffix.lower() == ".pfm":
        return read_pfm(path)
    if scale is None:
        raise ValueError(f"{path} is not a PFM: give the stored value per pixel of disparity with {option}")
    return read_disparity_png(path, scale)


def _reference(args):
    """``(name, ground truth, masks, scene or None, files)`` of ``eval``'s SCENE_DIR or GT file."""
    _load("np", "load_scene", "read_mask")
    reference = Path(args.reference)
    if not reference.exists():
        raise OSError(f"{reference}: no such scene folder or ground-truth file")
    if reference.is_dir():
        if args.mask is not None:
            raise ValueError("--mask goes with a ground-truth file; a scene folder has its own masks")
        scene = load_scene(reference)
        if scene.disparity is None:
            raise ValueError(f"scene {reference} has no ground truth")
        return scene.name, scene.disparity, scene.masks, scene, scene.files
    gt = _read_disparity(reference, args.gt_scale, "--gt-scale")
    if gt.ndim != 2:
        raise ValueError(f"{reference}: ground truth must be one channel, got shape {gt.shape}")
    masks = {"all": np.isfinite(gt)}
    files = [reference]
    if args.mask is not None:
        nonocc = read_mask(args.mask)
        if nonocc.shape != gt.shape:
            raise ValueError(f"--mask {args.mask}: shape {nonocc.shape} differs from the ground truth's "
                             f"{gt.shape}")
        masks = {"nonocc": nonocc & masks["all"], **masks}
        files.append(args.mask)
    return reference.name, gt, masks, None, files


def cmd_eval(args):
    """``msstereo eval``: the scores as a table on stdout, or with ``--json`` as one JSON document there.

    With ``--json`` stdout holds that document alone (for ``| python -m
    json.tool`` and other readers): the table and the line on the error map
    go to stderr.
    """
    _load("evaluate_scene", "evaluate_v3_masks", "write_png")
    if not 0 < args.threshold < float("inf"):
        raise ValueError(f"--threshold must be a positive number, got {args.threshold!r}")
    name, gt, masks, scene, files = _reference(args)
    outputs = None
    if args.error_map is not None:
        target = Path(args.error_map)
        if target.suffix.lower() != ".png":
            raise ValueError(f"--error-map must be a .png file, got {target}")
        inputs = [args.disparity, *files, *_beside(args.disparity, *files)]
        outputs = _output_set(None, [target], inputs)[1]
    disparity = _read_disparity(args.disparity, args.scale, "--scale")
    if scene is not None:
        version, scores = evaluate_scene(disparity, scene)
    else:
        version, scores = "v3", evaluate_v3_masks(disparity, gt, masks)
    table = sys.stderr if args.json else sys.stdout
    _print_scores(name, version, scores, table)
    if args.json:
        print(_json_scores(scores))
    if outputs is not None:
        mask = masks.get("nonocc", masks.get("all"))
        with outputs:
            write_png(outputs.stage(outputs.targets[0]), _error_image(disparity, gt, mask, args.threshold))
            written, _ = outputs.publish()
        print(f"wrote {written[0]} (bad pixels above {args.threshold:g} px in colour, not evaluated pale blue; "
              f"legend below)", file=table)


def _error_image(disparity, gt, mask, threshold):
    """RGB uint8 error map of ``disparity`` against ``gt`` over ``mask``, its legend below.

    The map's pixels are `msstereo.viz.error_colors` of `msstereo.viz.error_map`,
    as `msstereo.viz.show_error` draws them; the strip below is
    `msstereo.viz.error_legend` (a map narrower than the legend is widened
    on its right in the legend's dark gray).
    """
    _load("np", "error_map", "error_colors", "error_legend")
    rgb = error_colors(error_map(disparity, gt, mask), threshold)
    legend = error_legend(rgb.shape[1], threshold)
    top = np.empty((rgb.shape[0], legend.shape[1], 3), np.uint8)
    top[:] = legend[0, 0]  # the legend's background
    top[:, :rgb.shape[1]] = rgb
    return np.concatenate([top, legend])


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the usage stays in ``--help``).

    Negative numbers in any float notation (``--d-min -1e1``, ``-.5E+1``)
    are values, not options: argparse alone takes only ``-1`` and ``-1.5``
    for numbers and reads ``-1e1`` as an unknown option, i.e. a missing value.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
"""A negative number as an argument: ``-1``, ``-1.5``, ``-.5``, ``-1e1``, ``-2.5E-3``."""


def build_parser():
    parser = _Parser(
        prog="msstereo",
        description="Variational stereo matching with Mumford-Shah regularization "
                    "(Ben-Ari and Sochen, TPAMI 2010).")
    parser.add_argument("--version", action="version", version=f"msstereo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="match Middlebury 2014 Motorcycle shipped with scikit-image")
    demo.add_argument("-o", "--output", default=None,
                      help=f"output PFM; a colour PNG and the model's maps are written beside it (default: "
                           f"{DEMO_FOLDER}/motorcycle.pfm, in a folder {DEMO_FOLDER} of the current directory, "
                           f"made if missing)")
    _add_match_options(demo)
    demo.set_defaults(func=cmd_demo)

    m = sub.add_parser("match", help="match a rectified pair of image files, or a scene folder",
                       description="Match LEFT RIGHT image files, or the pair of a Middlebury scene folder "
                                   "(v2, 2003, 2005/2006 or 2014 layout), whose ndisp gives the disparity "
                                   "range unless --d-max is given.")
    m.add_argument("left", metavar="LEFT|SCENE_DIR", help="left image file, or a scene folder")
    m.add_argument("right", metavar="RIGHT", nargs="?", help="right image file (none with a scene folder)")
    m.add_argument("-o", "--output", help="output PFM; a colour PNG and the model's maps are written beside it")
    m.add_argument("--sdk", metavar="NAME",
                   help="also write the Middlebury SDK's disp0NAME.pfm and timeNAME.txt (seconds) into "
                        "the scene folder (or the folder of LEFT)")
    _add_match_options(m)
    m.set_defaults(func=cmd_match)

    e = sub.add_parser("eval", help="score a disparity file against a scene's or a file's ground truth")
    e.add_argument("disparity", help="disparity as PFM, or PNG with --scale")
    e.add_argument("reference", metavar="SCENE_DIR|GT",
                   help="scene folder (Middlebury v2, 2003, 2005/2006 or 2014 layout), or a ground-truth "
                        "PFM (PNG with --gt-scale)")
    e.add_argument("--scale", type=float, default=1.0,
                   help="stored value per pixel of disparity of a PNG disparity (default: 1)")
    e.add_argument("--gt-scale", type=float, default=None, help="the same for a PNG ground truth")
    e.add_argument("--mask", help="with a ground-truth file: its nonocc mask (255 = evaluated), e.g. "
                                  "mask0nocc.png")
    e.add_argument("--error-map", metavar="ERR.png",
                   help="write the error map: bad pixels in colour, not evaluated pale blue, a legend below")
    e.add_argument("--threshold", type=float, default=1.0, help="bad-pixel threshold of the error map (px)")
    e.add_argument("--json", action="store_true",
                   help="print the scores as one JSON document on stdout (NaN as null), the table on stderr")
    e.set_defaults(func=cmd_eval)
    _add_batch(sub)
    return parser


def _add_batch(sub):
    """The ``batch`` subcommand (`msstereo.batch`)."""
    b = sub.add_parser("batch", help="match scene folders with every model, solver and parameter value "
                                     "as Dask tasks; one table",
                       description="Run every SCENE_DIR x --model x --solver x --param value as a Dask task "
                                   "(a local cluster, or --scheduler); write OUT_DIR/SCENE/*.pfm and "
                                   "OUT_DIR/results.csv and .md. Needs pip install \"msstereo[batch]\".")
    b.add_argument("scenes", nargs="+", metavar="SCENE_DIR", help="scene folders (Middlebury layouts)")
    b.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="output folder, made if missing")
    b.add_argument("--model", action="append", help=f"model (repeatable; default: {DEFAULT_MODEL})")
    b.add_argument("--solver", action="append", help=f"solver (repeatable; default: {DEFAULT_SOLVER})")
    b.add_argument("--param", action="append", default=[], metavar="NAME=V1[,V2...]",
                   help="values of a model parameter or solver option, multiplied out (repeatable)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="a running dask.distributed scheduler")
    b.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    b.add_argument("--quiet", action="store_true", help="no progress lines")
    b.set_defaults(func=cmd_batch)


def cmd_batch(args):
    """``msstereo batch``: `msstereo.batch.command`, imported (with Dask) for this command only."""
    with interrupts_deferred():  # as in _load
        from .batch import command
    command(args)


def _interrupted(error):
    """The Ctrl-C or SIGTERM (a `KeyboardInterrupt`) behind ``error``, or None.

    Numba may wrap it in a SystemError.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _stopped(command, interrupt):
    """One line for Ctrl-C (exit code 130) or SIGTERM (143)."""
    signum = signal_of(interrupt)
    return _fail(command, "terminated" if EXIT_CODES[signum] == 143 else "interrupted", EXIT_CODES[signum])


def _fail(command, message, code):
    """Print one line to stderr and return the exit code."""
    where = f"msstereo {command}" if command else "msstereo"
    print(f"{where}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def main(argv=None):
    """Entry point of the ``msstereo`` console script.

    Returns 0 on success, 2 for bad input (one line on stderr: a
    ValueError, an OSError or a lack of memory), 130 for Ctrl-C and 143
    for SIGTERM (one line each), while modules import too; no output file
    is written unless the whole set is, and no temporary file is left.
    """
    command = None
    with signals_raise():
        try:
            args = build_parser().parse_args(argv)
            command = args.command
            args.func(args)
        except KeyboardInterrupt as interrupt:  # Terminated (SIGTERM) too
            return _stopped(command, interrupt)
        except (ValueError, OSError) as error:
            return _fail(command, error, 2)
        except MemoryError as error:
            return _fail(command, f"out of memory {error}", 2)
        except SystemError as error:
            interrupt = _interrupted(error)
            if interrupt is None:
                raise
            return _stopped(command, interrupt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
