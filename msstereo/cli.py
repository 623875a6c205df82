"""Command line: ``msstereo demo``, ``msstereo match``, ``msstereo eval``."""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .datasets import load_scene, motorcycle
from .evaluate import evaluate_v2, evaluate_v3
from .io import read_disparity_png, read_image, read_pfm, write_pfm, write_png
from .match import DEFAULT_MODEL, DEFAULT_SOLVER, SOLVERS, match
from .models import MODELS, Model
from .viz import colorize


def _parse_params(pairs):
    """``["beta=0.03"]`` -> ``{"beta": 0.03}``, typed by the `Model` field."""
    types = {name: f.type for name, f in Model.__dataclass_fields__.items()}
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in types or key == "name":
            raise ValueError(f"--param takes NAME=VALUE with NAME a model parameter "
                             f"({', '.join(sorted(set(types) - {'name'}))}), got {pair!r}")
        kind = types[key]
        params[key] = value.lower() in ("1", "true", "yes") if kind in (bool, "bool") else \
            (int(value) if kind in (int, "int") else float(value))
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


def _run(left, right, args, d_max):
    return match(left, right, model=args.model, solver=args.solver, d_min=args.d_min,
                 d_max=args.d_max if args.d_max is not None else d_max,
                 progress=not args.quiet, **_parse_params(args.param))


def _check_output(out):
    """Fail before any work if the output cannot be written."""
    out = Path(out)
    if out.suffix.lower() != ".pfm":
        raise ValueError(f"output must be a .pfm file, got {out}")
    if not out.parent.is_dir():
        raise OSError(f"output folder {out.parent} does not exist")
    return out


def _save(result, out, vmax=None, vmin=0.0):
    """Write what the model estimated; returns the paths written.

    Always the left disparity as ``OUT.pfm`` and a colour-mapped ``OUT.png``;
    ``ms-occ`` adds the right disparity (``OUT.right.pfm`` and ``.png``) and
    the occlusion masks (``OUT.occlusion.png``, ``OUT.occlusion_right.png``:
    255 = occluded); discontinuity maps are gray PNGs, 0 = edge, 255 = none
    (``OUT.v.png``, ``OUT.v_right.png``, ``OUT.v_image.png``).
    """
    written = []

    def disparity(path, field):
        write_pfm(path, field)
        write_png(path.with_suffix(".png"), colorize(field, vmin, vmax))
        written.extend([path, path.with_suffix(".png")])

    def gray(name, field):
        written.append(out.with_suffix(f".{name}.png"))
        write_png(written[-1], np.round(np.clip(field, 0, 1) * 255).astype(np.uint8))

    disparity(out, result.disparity)
    if result.disparity_right is not None:
        disparity(out.with_suffix(".right.pfm"), result.disparity_right)
    for name in ("occlusion", "occlusion_right", "v", "v_right", "v_image"):
        field = getattr(result, name)
        if field is not None:
            gray(name, field.astype(np.float32))
    return written


def _print_metrics(title, scores):
    print(title)
    for key, value in scores.items():
        if isinstance(value, dict):
            print(f"  {key:7s} " + "  ".join(f"bad{t:g} {v:6.2f}%" for t, v in value.items()))
        else:
            print(f"  {key:7s} {value:.3f}")


def cmd_demo(args):
    out = _check_output(args.output)
    scene = motorcycle()
    print(f"Middlebury 2014 Motorcycle (scikit-image), {scene.shape[1]}x{scene.shape[0]}, "
          f"model {args.model}, solver {args.solver}", file=sys.stderr)
    result = _run(scene.left, scene.right, args, scene.ndisp)
    written = _save(result, out, scene.ndisp)
    _print_metrics("Middlebury v3 metrics against the ground truth (percent, pixels):",
                   evaluate_v3(result.disparity, scene.disparity))
    print(f"time: {result.seconds:.2f} s\nwrote {', '.join(map(str, written))}")


def cmd_match(args):
    out = _check_output(args.output)
    left, right = read_image(args.left), read_image(args.right)
    result = _run(left, right, args, None)
    written = _save(result, out, args.d_max, args.d_min)
    print(f"time: {result.seconds:.2f} s\nwrote {', '.join(map(str, written))}")


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


def build_parser():
    parser = argparse.ArgumentParser(
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
    return parser


def main(argv=None):
    """Entry point of the ``msstereo`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError) as error:
        print(f"msstereo {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
