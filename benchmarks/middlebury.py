"""Accuracy and speed of msstereo models on the four Middlebury v2 scenes.

Prints a table of bad-pixel percentages (bad 0.5/1/2 in ``nonocc``, bad 1 in
``all`` and ``disc``) and seconds per scene, and saves it under
``benchmarks/results/`` as Markdown and JSON.

Usage::

    python benchmarks/middlebury.py --data ../shared/data --models tv
    python benchmarks/middlebury.py --models tv --set beta=0.03 --set lam=4 --no-save

The data folder is the one holding ``middlebury/v2`` (default: the
``MSSTEREO_DATA`` environment variable).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import msstereo
from msstereo.datasets import v2_scene
from msstereo.evaluate import evaluate_v2, occlusion_scores

SCENES = ("tsukuba", "venus", "teddy", "cones")
COLUMNS = (("nonocc", 0.5), ("nonocc", 1.0), ("nonocc", 2.0), ("all", 1.0), ("disc", 1.0))
RESULTS = Path(__file__).resolve().parent / "results"


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


def parse_settings(pairs):
    """``["beta=0.03", "median=0"]`` -> model and solver keyword dicts."""
    model_fields = set(msstereo.Model.__dataclass_fields__)
    solver_fields = set(msstereo.PDE.__dataclass_fields__)
    model_params, solver_params = {}, {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes NAME=VALUE, got {pair!r}")
        if key in model_fields:
            model_params[key] = parse_value(value)
        elif key in solver_fields:
            solver_params[key] = parse_value(value)
        elif key in ("factor", "min_size"):
            model_params[key] = parse_value(value)
        else:
            raise SystemExit(f"unknown setting {key!r}")
    return model_params, solver_params


def run_scene(scene, model, solver, params):
    """Match one scene; returns its row of the table and the result."""
    result = msstereo.match(scene.left, scene.right, model=model, solver=solver,
                            d_max=scene.ndisp, **params)
    scores = evaluate_v2(result.disparity, scene)
    row = {f"bad{thr:g} {mask}": scores[mask][thr] for mask, thr in COLUMNS}
    row["seconds"] = result.seconds
    if result.occlusion is not None:
        occ = occlusion_scores(result.occlusion, scene)
        row["occ precision"], row["occ recall"] = 100 * occ["precision"], 100 * occ["recall"]
    return row, result


def _cell(value, bold=False):
    if value is None:
        return "-"
    return f"**{value:.2f}**" if bold else f"{value:.2f}"


def format_table(rows):
    """Markdown table of ``{(model, scene): row}``, with a mean row per model."""
    keys = [f"bad{thr:g} {mask}" for mask, thr in COLUMNS] + ["seconds"]
    keys += [k for k in ("occ precision", "occ recall") if any(k in row for row in rows.values())]
    lines = ["| model | scene | " + " | ".join(keys) + " |",
             "|---|---|" + "---:|" * len(keys)]
    models = list(dict.fromkeys(model for model, _ in rows))
    for model in models:
        scene_rows = [(scene, row) for (m, scene), row in rows.items() if m == model]
        for scene, row in scene_rows:
            lines.append(f"| {model} | {scene} | " + " | ".join(_cell(row.get(k)) for k in keys) + " |")
        mean = {k: np.mean([row[k] for _, row in scene_rows]) if k in scene_rows[0][1] else None
                for k in keys}
        lines.append(f"| {model} | **mean** | " + " | ".join(_cell(mean[k], bold=True) for k in keys) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MSSTEREO_DATA"),
                        help="folder holding middlebury/v2 (default: $MSSTEREO_DATA)")
    parser.add_argument("--models", nargs="+", default=list(msstereo.MODELS),
                        help="models to run (default: all)")
    parser.add_argument("--solver", default="pde", help="solver name")
    parser.add_argument("--scenes", nargs="+", default=list(SCENES), choices=SCENES)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter or solver option (repeatable)")
    parser.add_argument("--name", default="middlebury_v2", help="base name of the saved table")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not args.data:
        raise SystemExit("no data folder: pass --data or set MSSTEREO_DATA")

    model_params, solver_params = parse_settings(args.set)
    solver = msstereo.PDE(**solver_params) if args.solver == "pde" else args.solver
    scenes = {name: v2_scene(name, args.data) for name in args.scenes}
    # Compile the kernels before timing anything.
    msstereo.match(scenes[args.scenes[0]].left[:64, :64], scenes[args.scenes[0]].right[:64, :64])

    rows = {}
    for model in args.models:
        for name, scene in scenes.items():
            row, _ = run_scene(scene, model, solver, model_params)
            rows[(model, name)] = row
            print(f"{model:8s} {name:8s} " + "  ".join(f"{k} {v:6.2f}" for k, v in row.items()),
                  file=sys.stderr, flush=True)
    table = format_table(rows)
    print(table)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
                "cores": os.cpu_count(), "solver": repr(solver), "settings": args.set,
                "models": {m: repr(msstereo.models.get_model(m, **{k: v for k, v in model_params.items()
                                                                    if k not in ("factor", "min_size")}))
                           for m in args.models}}
        (RESULTS / f"{args.name}.md").write_text(
            f"# Middlebury v2, {meta['date']}\n\n{table}\n\nSettings: `{json.dumps(meta)}`\n")
        (RESULTS / f"{args.name}.json").write_text(json.dumps(
            {"meta": meta, "rows": [{"model": m, "scene": s, **row} for (m, s), row in rows.items()]},
            indent=1))


if __name__ == "__main__":
    main()
