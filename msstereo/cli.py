"""Command line: ``msstereo demo``, ``msstereo match``, ``msstereo eval``.

Bad input ends the command with one line on stderr and exit code 2, Ctrl-C
with one line and 130. Output files are one `msstereo.io.OutputSet`: every
file is checked before the match starts (none may replace an input), and
the set is published at once or not at all.
"""

import argparse
import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import __version__
from .datasets import load_scene, motorcycle
from .evaluate import evaluate_v2, evaluate_v3
from .checks import parse_field
from .io import OutputSet, read_disparity_png, read_image, read_pfm, write_pfm, write_png
from .match import DEFAULT_MODEL, DEFAULT_SOLVER, LOG, SOLVERS, match
from .models import MODELS, Model
from .viz import colorize


def _parse_params(pairs):
    """``["beta=0.03", "fill=background"]`` -> ``{"beta": 0.03, "fill": "background"}``.

    Each value is parsed by the spec of its `Model` field (`msstereo.checks`),
    so errors name the parameter.
    """
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key == "name":
            raise ValueError(f"--param takes NAME=VALUE with NAME a model parameter, got {pair!r}")
        params[key] = parse_field(Model, key, value, "model parameter")
    return params


def _add_match_options(parser):
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS),
                        help=f"energy model (default: {DEFAULT_MODEL})")
    parser.add_argument("--solver", default=DEFAULT_SOLVER, choices=sorted(SOLVERS),
                        help=f"solver (default: {DEFAULT_SOLVER})")
    parser.add_argument("--d-min", type=float, default=0.0,
                        help="smallest disparity in pixels, may be negative (default: 0)")
    parser.add_argument("--d-max", type=float, default=None,
                        help="largest disparity in pixels (default: the scene's, or d-min plus a third of the width)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter, e.g. --param beta=0.03 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


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
    with _log_to_stderr(not args.quiet):
        return match(left, right, model=args.model, solver=args.solver, d_min=args.d_min,
                     d_max=args.d_max if args.d_max is not None else d_max,
                     progress=not args.quiet, **_parse_params(args.param))


OUTPUT_FILES = (
    (".pfm", "disparity", "pfm"), (".png", "disparity", "colour"),
    (".right.pfm", "disparity_right", "pfm"), (".right.png", "disparity_right", "colour"),
    (".occlusion.png", "occlusion", "gray"), (".occlusion_right.png", "occlusion_right", "gray"),
    (".v.png", "v", "gray"), (".v_right.png", "v_right", "gray"), (".v_image.png", "v_image", "gray"),
)
"""The files of a result beside ``OUT.pfm``: suffix, `StereoResult` field, how it is stored."""


def _output_set(out, inputs=()):
    """``OUT.pfm`` and the `OutputSet` of every file named after it, checked before any work.

    Every file a model may write is checked, whatever the model, so that no
    run can name its outputs after an input.
    """
    out = Path(out)
    if out.suffix.lower() != ".pfm":
        raise ValueError(f"output must be a .pfm file, got {out}")
    return out, OutputSet([out.with_suffix(suffix) for suffix, _, _ in OUTPUT_FILES], inputs)


def _save(result, out, outputs, vmax=None, vmin=0.0):
    """Write what the model estimated as one set; returns ``(written, removed, left)``.

    Always the left disparity as ``OUT.pfm`` and a colour-mapped ``OUT.png``;
    ``ms-occ`` adds the right disparity (``OUT.right.pfm`` and ``.png``) and
    the occlusion masks (``OUT.occlusion.png``, ``OUT.occlusion_right.png``:
    255 = occluded); discontinuity maps are gray PNGs, 0 = edge, 255 = none
    (``OUT.v.png``, ``OUT.v_right.png``, ``OUT.v_image.png``). Files of the
    set that an earlier run left and this one does not write are removed
    (inputs never); ``left`` are those that could not be.
    """
    staged = []
    with outputs:
        for suffix, name, kind in OUTPUT_FILES:
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
        stale = [target for target in outputs.targets if target not in staged]
        written, removed = outputs.publish(remove=stale)
    return written, removed, [path for path in stale if path.exists()]


def _report_files(written, removed, left):
    print(f"wrote {', '.join(map(str, written))}")
    if removed:
        print(f"removed stale files of an earlier run: {', '.join(map(str, removed))}")
    if left:
        print(f"left files of an earlier run or inputs: {', '.join(map(str, left))}")


def _print_metrics(title, scores):
    print(title)
    for key, value in scores.items():
        if isinstance(value, dict):
            print(f"  {key:7s} " + "  ".join(f"bad{t:g} {v:6.2f}%" for t, v in value.items()))
        else:
            print(f"  {key:7s} {value:.3f}")


def cmd_demo(args):
    out, outputs = _output_set(args.output)
    scene = motorcycle()
    print(f"Middlebury 2014 Motorcycle (scikit-image), {scene.shape[1]}x{scene.shape[0]}, "
          f"model {args.model}, solver {args.solver}", file=sys.stderr)
    result = _run(scene.left, scene.right, args, scene.ndisp)
    files = _save(result, out, outputs, scene.ndisp)
    _print_metrics("Middlebury v3 metrics against the ground truth (percent, pixels):",
                   evaluate_v3(result.disparity, scene.disparity))
    print(f"time: {result.seconds:.2f} s")
    _report_files(*files)


def cmd_match(args):
    out, outputs = _output_set(args.output, inputs=(args.left, args.right))
    left, right = read_image(args.left), read_image(args.right)
    result = _run(left, right, args, None)
    files = _save(result, out, outputs, args.d_max, args.d_min)
    print(f"time: {result.seconds:.2f} s")
    _report_files(*files)


def _read_disparity(path, scale):
    path = Path(path)
    if path.suffix.lower() == ".pfm":
        return read_pfm(path)
    return read_disparity_png(path, scale)


def cmd_eval(args):
    disparity = _read_disparity(args.disparity, args.scale)
    scene = load_scene(args.scene)
    if scene.disparity is None:
        raise ValueError(f"scene {args.scene} has no ground truth")
    if "nonocc" in scene.masks:
        scores = evaluate_v2(disparity, scene)
        _print_metrics(f"Middlebury v2 bad pixels (percent), {scene.name}:", scores)
    else:
        scores = evaluate_v3(disparity, scene.disparity, scene.masks.get("all"))
        _print_metrics(f"Middlebury v3 metrics, {scene.name}:", scores)
    if args.json:
        print(json.dumps(scores, default=float))


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the usage stays in ``--help``)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = _Parser(
        prog="msstereo",
        description="Variational stereo matching with Mumford-Shah regularization "
                    "(Ben-Ari and Sochen, TPAMI 2010).")
    parser.add_argument("--version", action="version", version=f"msstereo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="match Middlebury 2014 Motorcycle shipped with scikit-image")
    demo.add_argument("-o", "--output", default="motorcycle.pfm", help="output PFM (default: motorcycle.pfm)")
    _add_match_options(demo)
    demo.set_defaults(func=cmd_demo)

    m = sub.add_parser("match", help="match a rectified pair of image files")
    m.add_argument("left", help="left image file")
    m.add_argument("right", help="right image file")
    m.add_argument("-o", "--output", required=True, help="output PFM; a colour PNG is written beside it")
    _add_match_options(m)
    m.set_defaults(func=cmd_match)

    e = sub.add_parser("eval", help="score a disparity file against a scene's ground truth")
    e.add_argument("disparity", help="disparity as PFM, or PNG with --scale")
    e.add_argument("scene", help="scene folder (Middlebury v2, 2003, 2005/2006 or 2014 layout)")
    e.add_argument("--scale", type=float, default=1.0, help="scale of a PNG disparity (default 1)")
    e.add_argument("--json", action="store_true", help="also print the scores as JSON")
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
    from .batch import command
    command(args)


def _interrupted(error):
    """Whether ``error`` comes from Ctrl-C (Numba may wrap it in a SystemError)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _fail(command, message, code):
    """Print one line to stderr and return the exit code."""
    print(f"msstereo {command}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def main(argv=None):
    """Entry point of the ``msstereo`` console script.

    Returns 0 on success, 2 for bad input (one line on stderr: a
    ValueError, an OSError or a lack of memory) and 130 for Ctrl-C; no
    output file is written unless the whole set is.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted", 130)
    except (ValueError, OSError) as error:
        return _fail(args.command, error, 2)
    except MemoryError as error:
        return _fail(args.command, f"out of memory {error}", 2)
    except SystemError as error:
        if not _interrupted(error):
            raise
        return _fail(args.command, "interrupted", 130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
