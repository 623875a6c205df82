"""The three solvers side by side on the four Middlebury v2 scenes.

For each model and scene, runs `msstereo.compare.compare_solvers` (the
paper's PDE scheme and the optimization view, L-BFGS-B, on the same energy
and pyramid, and the relaxation's global search on the finest level) and
prints a table: bad 0.5/1/2 in ``nonocc``, bad 1 in ``all`` and ``disc``,
the model's energy ``E`` of each solver's maps at the finest level
(`msstereo.compare.model_energy`: the same energy for every solver, not the
relaxed ``E_theta`` that ``relax`` logs), seconds, descent steps (PDE warps,
optimize rounds, relax iterations) and iterations (PDE warps, L-BFGS-B
iterations, relax iterations); then tables of each other solver relative to
PDE per scene, and the v2 means per model and solver. Saves them under
``benchmarks/results/`` (``compare_solvers.md`` and ``.json``; the JSON also
holds the finest level's logged energy-versus-time history of every run)
and, if matplotlib is installed, one energy-versus-time figure per scene
(``compare_solvers_<model>_<scene>.png``).

Usage::

    python -m benchmarks.studies.compare_solvers --data ../shared/data --models ms-tv
    python -m benchmarks.studies.compare_solvers --models tv ms-tv --solvers pde relax --scenes venus --no-save
    python -m benchmarks.studies.compare_solvers --models tv --set iterations=40 --no-save

The data folder is the one holding ``middlebury/v2`` (default: the
``MSSTEREO_DATA`` environment variable). ``--set`` takes model parameters,
pipeline options of `msstereo.match` and options of any solver (``warps``,
``median`` and ``tol`` go to every solver that has them).
"""

import json
import sys

import numpy as np

import msstereo
from msstereo.compare import compare_solvers
from msstereo.datasets import V2_SCENES
from msstereo.evaluate import V2_COLUMNS, V2_KEYS
from msstereo.match import SOLVERS

from .common import (RESULTS, add_set_option, command_line, describe_model, load_scenes, make_solvers,
                     markdown_row, markdown_table, parse_settings, run_info, study_parser)

KEYS = list(V2_KEYS) + ["energy", "logged energy", "seconds", "descent steps", "iterations"]


def run_scene(scene, model, solvers, params):
    """Every solver on one scene: ``{solver: row}`` and the comparison dict."""
    out = compare_solvers(scene.left, scene.right, model=model, solvers=solvers, d_min=0, d_max=scene.ndisp,
                          gt=scene, **params)
    rows = {}
    for name, entry in out.items():
        row = {f"bad{thr:g} {mask}": entry["errors"][mask][thr] for mask, thr in V2_COLUMNS}
        row.update({"energy": entry["energy"], "logged energy": entry["logged_energy"], "seconds": entry["seconds"],
                    "descent steps": entry["descent_steps"], "iterations": entry["iterations"]})
        rows[name] = row
    return rows, out


def _fmt(key, value, bold=False):
    """A table cell: counts as integers, the energy to six digits, the rest to two decimals."""
    text = f"{value:.0f}" if key in ("descent steps", "iterations") else (
        f"{value:.6g}" if key.endswith("energy") else f"{value:.2f}")
    return f"**{text}**" if bold else text


def format_table(rows):
    """Markdown table of ``{(model, scene, solver): row}``; solvers side by side, mean rows."""
    lines = markdown_table(["model", "scene", "solver", *KEYS], [], align="lll" + "r" * len(KEYS))
    models = list(dict.fromkeys(m for m, _, _ in rows))
    solvers = list(dict.fromkeys(s for _, _, s in rows))
    for model in models:
        scenes = list(dict.fromkeys(sc for m, sc, _ in rows if m == model))
        for scene in scenes:
            for solver in solvers:
                row = rows[(model, scene, solver)]
                lines.append(markdown_row([model, scene, solver, *(_fmt(k, row[k]) for k in KEYS)]))
        for solver in solvers:
            mean = {k: np.mean([rows[(model, sc, solver)][k] for sc in scenes]) for k in KEYS}
            lines.append(markdown_row([model, "**mean**", solver, *(_fmt(k, mean[k], bold=True) for k in KEYS)]))
    return "\n".join(lines)


def format_means(rows, base="pde"):
    """Markdown table of the v2 means per model and solver: bad 1 nonocc and disc, energy, worst scene against ``base``."""
    header = ["model", "solver", "bad1 nonocc", "bad1 disc", "energy", f"bad1 nonocc - {base}, worst scene"]
    cells = []
    for model, solver in dict.fromkeys((m, s) for m, _, s in rows):
        scenes = [sc for m, sc, s in rows if (m, s) == (model, solver)]
        mean = {k: np.mean([rows[(model, sc, solver)][k] for sc in scenes]) for k in ("bad1 nonocc", "bad1 disc",
                                                                                   "energy")}
        worst = "-"
        if solver != base and all((model, sc, base) in rows for sc in scenes):
            gaps = {sc: rows[(model, sc, solver)]["bad1 nonocc"] - rows[(model, sc, base)]["bad1 nonocc"]
                    for sc in scenes}
            scene = max(gaps, key=gaps.get)
            worst = f"{gaps[scene]:+.2f} ({scene})"
        cells.append([model, solver, f"{mean['bad1 nonocc']:.2f}", f"{mean['bad1 disc']:.2f}",
                      _fmt("energy", mean["energy"]), worst])
    return "\n".join(markdown_table(header, cells, align="llrrrr"))


def format_relative(rows, base="pde", other="optimize"):
    """Markdown table of ``other`` relative to ``base`` per (model, scene)."""
    header = ["model", "scene", f"energy {other} / {base} - 1 (%)", f"time {other} / {base}",
              f"bad1 nonocc {other} - {base}", f"bad0.5 nonocc {other} - {base}", f"bad1 disc {other} - {base}"]
    cells = []
    for model, scene in dict.fromkeys((m, sc) for m, sc, _ in rows):
        a, b = rows[(model, scene, base)], rows[(model, scene, other)]
        cells.append([model, scene, f"{100 * (b['energy'] / a['energy'] - 1):+.2f}",
                      f"{b['seconds'] / a['seconds']:.1f}", f"{b['bad1 nonocc'] - a['bad1 nonocc']:+.2f}",
                      f"{b['bad0.5 nonocc'] - a['bad0.5 nonocc']:+.2f}",
                      f"{b['bad1 disc'] - a['bad1 disc']:+.2f}"])
    return "\n".join(markdown_table(header, cells, align="llrrrrr"))


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
    parser = study_parser(__doc__, __spec__.name, scenes=V2_SCENES, scene_choices=V2_SCENES,
                          save="compare_solvers")
    parser.add_argument("--models", nargs="+", default=["ms-tv"],
                        help=f"models to run (default: ms-tv; any of {sorted(msstereo.MODELS)})")
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=list(SOLVERS),
                        help="solvers to compare (default: all; pde first, the base of the relative tables)")
    add_set_option(parser, what="a model parameter, match option or option of any solver")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.models) - set(msstereo.MODELS))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; choose from {sorted(msstereo.MODELS)}")

    names = list(dict.fromkeys(args.solvers))
    model_params, solver_params = parse_settings(args.set, names)
    solvers = tuple(make_solvers(names, solver_params).values())
    scenes = load_scenes(args.scenes, args.data)
    # Compile the kernels of every model and solver before timing anything.
    first = next(iter(scenes.values()))
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
    base = names[0]
    relative = "\n\n".join(format_relative(rows, base=base, other=other) for other in names[1:])
    means = format_means(rows, base=base)
    print(table)
    print()
    print(relative)
    print()
    print(means)
    if not figures:
        print("matplotlib not installed: no energy-vs-time figures (the histories are in the JSON)",
              file=sys.stderr)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        meta = {**run_info(command_line(__spec__.name, argv)), "solvers": [repr(s) for s in solvers],
                "settings": args.set, "models": {m: describe_model(m, model_params) for m in args.models},
                "figures": figures}
        (RESULTS / f"{args.name}.md").write_text(
            f"# Solvers compared on Middlebury v2, {meta['date']}\n\n{table}\n\n"
            f"Relative to {base}:\n\n{relative}\n\nMeans per model and solver:\n\n{means}\n\n"
            "`energy` is the model's discrete energy E of each solver's maps at the finest level "
            "(`msstereo.compare.model_energy`: the same energy for every solver; for ms-occ both views' "
            "energies with the returned occlusion masks as the visibility, without E_occl); `logged "
            "energy` is what the solver logged last (E_theta for relax); `descent steps` are PDE warps, "
            "optimize rounds (one L-BFGS-B run each) and relax iterations, `iterations` PDE warps, "
            "L-BFGS-B iterations and relax iterations.\n\n"
            f"Settings: `{json.dumps(meta)}`\n")
        (RESULTS / f"{args.name}.json").write_text(json.dumps(
            {"meta": meta,
             "rows": [{"model": m, "scene": s, "solver": v, **row} for (m, s, v), row in rows.items()],
             "finest_level_history": histories}, indent=1))


if __name__ == "__main__":
    main()
