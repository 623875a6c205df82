"""The three solvers side by side on the four Middlebury v2 scenes.

For each model and scene, runs `msstereo.compare.compare_solvers` (the
paper's PDE scheme and the optimization view, L-BFGS-B, on the same energy
and pyramid, and the relaxation's global search on the finest level) and
prints a table: bad 0.5/1/2 in ``nonocc``, bad 1 in ``all`` and ``disc``,
final energy at the finest level (for ``relax`` its relaxed energy, which
compares only roughly), seconds, descent steps (PDE warps, optimize rounds,
relax iterations) and iterations (PDE warps, L-BFGS-B iterations, relax
iterations); then tables of optimize and relax relative to PDE per scene. Saves both under
``benchmarks/results/`` (``compare_solvers.md`` and ``.json``; the JSON also
holds the finest level's energy-versus-time history of every run) and, if
matplotlib is installed, one energy-versus-time figure per scene
(``compare_solvers_<model>_<scene>.png``).

Usage::

    python benchmarks/compare_solvers.py --data ../shared/data --models ms-tv
    python benchmarks/compare_solvers.py --models tv ms-tv --scenes venus --set iterations=40 --no-save

The data folder is the one holding ``middlebury/v2`` (default: the
``MSSTEREO_DATA`` environment variable). ``--set`` takes model parameters
and options of either solver (``warps``, ``median`` and ``tol`` go to both).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# scipy's L-BFGS-B does its vector algebra through BLAS: spinning OpenBLAS
# threads made it seven times slower on a shared two-core machine. Set before
# numpy is imported; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import msstereo  # noqa: E402
from msstereo.compare import compare_solvers  # noqa: E402
from msstereo.match import SOLVERS  # noqa: E402
from msstereo.datasets import V2_SCENES, v2_scene  # noqa: E402
from middlebury import COLUMNS, RESULTS, parse_value  # noqa: E402

SOLVER_CLASSES = dict(SOLVERS)
METRICS = [f"bad{thr:g} {mask}" for mask, thr in COLUMNS]
KEYS = METRICS + ["energy", "seconds", "descent steps", "iterations"]


def parse_settings(pairs):
    """``["beta=0.03", "iterations=40"]`` -> model keywords and per-solver option dicts."""
    model_fields = set(msstereo.Model.__dataclass_fields__)
    model_params = {}
    solver_params = {name: {} for name in SOLVER_CLASSES}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes NAME=VALUE, got {pair!r}")
        if key in model_fields or key in ("factor", "min_size"):
            model_params[key] = parse_value(value)
            continue
        hit = False
        for name, cls in SOLVER_CLASSES.items():
            if key in cls.__dataclass_fields__:
                solver_params[name][key] = parse_value(value)
                hit = True
        if not hit:
            raise SystemExit(f"unknown setting {key!r}")
    return model_params, solver_params


def run_scene(scene, model, solvers, params):
    """Both solvers on one scene: ``{solver: row}`` and the comparison dict."""
    out = compare_solvers(scene.left, scene.right, model=model, solvers=solvers, d_max=scene.ndisp,
                          gt=scene, **params)
    rows = {}
    for name, entry in out.items():
        row = {f"bad{thr:g} {mask}": entry["errors"][mask][thr] for mask, thr in COLUMNS}
        row.update({"energy": entry["energy"], "seconds": entry["seconds"],
                    "descent steps": entry["descent_steps"], "iterations": entry["iterations"]})
        rows[name] = row
    return rows, out


def _fmt(key, value, bold=False):
    text = f"{value:.0f}" if key in ("descent steps", "iterations") else (
        f"{value:.6g}" if key == "energy" else f"{value:.2f}")
    return f"**{text}**" if bold else text


def format_table(rows):
    """Markdown table of ``{(model, scene, solver): row}``; solvers side by side, mean rows."""
    lines = ["| model | scene | solver | " + " | ".join(KEYS) + " |",
             "|---|---|---|" + "---:|" * len(KEYS)]
    models = list(dict.fromkeys(m for m, _, _ in rows))
    solvers = list(dict.fromkeys(s for _, _, s in rows))
    for model in models:
        scenes = list(dict.fromkeys(sc for m, sc, _ in rows if m == model))
        for scene in scenes:
            for solver in solvers:
                row = rows[(model, scene, solver)]
                lines.append(f"| {model} | {scene} | {solver} | "
                             + " | ".join(_fmt(k, row[k]) for k in KEYS) + " |")
        for solver in solvers:
            mean = {k: np.mean([rows[(model, sc, solver)][k] for sc in scenes]) for k in KEYS}
            lines.append(f"| {model} | **mean** | {solver} | "
                         + " | ".join(_fmt(k, mean[k], bold=True) for k in KEYS) + " |")
    return "\n".join(lines)


def format_relative(rows, base="pde", other="optimize"):
    """Markdown table of ``other`` relative to ``base`` per (model, scene)."""
    lines = [f"| model | scene | energy {other} / {base} - 1 (%) | time {other} / {base} "
             f"| bad1 nonocc {other} - {base} | bad0.5 nonocc {other} - {base} "
             f"| bad1 disc {other} - {base} |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for model, scene in dict.fromkeys((m, sc) for m, sc, _ in rows):
        a, b = rows[(model, scene, base)], rows[(model, scene, other)]
        lines.append(f"| {model} | {scene} | {100 * (b['energy'] / a['energy'] - 1):+.2f} "
                     f"| {b['seconds'] / a['seconds']:.1f} "
                     f"| {b['bad1 nonocc'] - a['bad1 nonocc']:+.2f} "
                     f"| {b['bad0.5 nonocc'] - a['bad0.5 nonocc']:+.2f} "
                     f"| {b['bad1 disc'] - a['bad1 disc']:+.2f} |")
    return "\n".join(lines)


def finest_history(entry):
    """Energy vs seconds of the finest level (the energy that the table compares)."""
    level = entry["levels"][-1]
    return {"times": level["times"], "energy": level["energy"], "steps": level["steps"]}


def plot_energy_vs_time(model, scene, out, path):
    """Energy vs cumulative time per level and at the finest level; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, entry in out.items():
        h = entry["history"]
        line, = axes[0].plot(h["time"], h["energy"], label=name, lw=1)
        level = entry["levels"][-1]
        axes[1].plot(level["times"], level["energy"], color=line.get_color(), label=name, lw=1)
    axes[0].set(title=f"{model}, {scene}: all levels", xlabel="seconds", ylabel="energy of the level",
                yscale="log")
    axes[1].set(title="finest level", xlabel="seconds since the level started", ylabel="energy")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MSSTEREO_DATA"),
                        help="folder holding middlebury/v2 (default: $MSSTEREO_DATA)")
    parser.add_argument("--models", nargs="+", default=["ms-tv"],
                        help=f"models to run (default: ms-tv; any of {sorted(msstereo.MODELS)})")
    parser.add_argument("--scenes", nargs="+", default=list(V2_SCENES), choices=V2_SCENES)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model parameter or solver option (repeatable)")
    parser.add_argument("--name", default="compare_solvers", help="base name of the saved files")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not args.data:
        raise SystemExit("no data folder: pass --data or set MSSTEREO_DATA")
    unknown = sorted(set(args.models) - set(msstereo.MODELS))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; choose from {sorted(msstereo.MODELS)}")

    model_params, solver_params = parse_settings(args.set)
    solvers = tuple(cls(**solver_params[name]) for name, cls in SOLVER_CLASSES.items())
    scenes = {name: v2_scene(name, args.data) for name in args.scenes}
    # Compile the kernels of every model and solver before timing anything.
    first = scenes[args.scenes[0]]
    for model in args.models:
        compare_solvers(first.left[:48, :64], first.right[:48, :64], model=model, solvers=solvers)

    rows, histories, figures = {}, [], []
    for model in args.models:
        for name, scene in scenes.items():
            scene_rows, out = run_scene(scene, model, solvers, model_params)
            for solver, row in scene_rows.items():
                rows[(model, name, solver)] = row
                print(f"{model:8s} {name:8s} {solver:8s} "
                      + "  ".join(f"{k} {_fmt(k, v)}" for k, v in row.items()), file=sys.stderr, flush=True)
                histories.append({"model": model, "scene": name, "solver": solver,
                                  **finest_history(out[solver])})
            if not args.no_save:
                RESULTS.mkdir(exist_ok=True)
                path = RESULTS / f"{args.name}_{model}_{name}.png"
                if plot_energy_vs_time(model, name, out, path):
                    figures.append(path.name)
    table = format_table(rows)
    relative = "\n\n".join(format_relative(rows, other=other) for other in SOLVER_CLASSES if other != "pde")
    print(table)
    print()
    print(relative)
    if not figures:
        print("matplotlib not installed: no energy-vs-time figures (the histories are in the JSON)",
              file=sys.stderr)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
                "cores": os.cpu_count(),
                "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"), "solvers": [repr(s) for s in solvers], "settings": args.set,
                "models": {m: repr(msstereo.models.get_model(m, **{k: v for k, v in model_params.items()
                                                                    if k not in ("factor", "min_size")}))
                           for m in args.models},
                "figures": figures}
        (RESULTS / f"{args.name}.md").write_text(
            f"# Solvers compared on Middlebury v2, {meta['date']}\n\n{table}\n\n"
            f"Optimize and relax relative to PDE:\n\n{relative}\n\n"
            "`energy` is the final energy at the finest level (the same discrete energy for both "
            "solvers); `descent steps` are PDE warps and optimize rounds (one L-BFGS-B run each), "
            "`iterations` PDE warps and L-BFGS-B iterations.\n\n"
            f"Settings: `{json.dumps(meta)}`\n")
        (RESULTS / f"{args.name}.json").write_text(json.dumps(
            {"meta": meta,
             "rows": [{"model": m, "scene": s, "solver": v, **row} for (m, s, v), row in rows.items()],
             "finest_level_history": histories}, indent=1))


if __name__ == "__main__":
    main()
