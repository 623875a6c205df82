"""The disparity range found from the pair (`msstereo.coarse`) against the ground truth and the scene's ndisp.

Two tables. Ranges: for each scene as given, for a shifted crop whose
disparities are all negative (left view cropped ``s`` px further right than
the right view, ``s`` = the largest true disparity plus 10 px: every
disparity drops by ``s``) and for one whose disparities are all beyond 100
px (the right view cropped 100 px further right: every disparity grows by
100), the range `msstereo.coarse.estimate_range` finds, the share of the
ground-truth disparities of the nonocc pixels (Motorcycle: every known
pixel) inside it, how far it reaches beyond their extent on either side
against the allowance ``max(8 px, 25 %)`` of that extent, and the pass's
seconds. Matches: each scene with the default model and solver over
``[0, ndisp]`` (the scene's) and without a range, alternating, three runs
each on one thread; medians of bad 1 nonocc (Motorcycle: bad 1 over the
known pixels) and of seconds, the time ratio, the time over that of SGBM
as its users call it in the same round (``x sgbm``), and the coarse pass's share
of the run without a range. Seconds are indicative on a shared machine.
Rows go to ``benchmarks/results/auto_range.jsonl`` as they come (several
processes may share the scenes); ``--table`` makes ``auto_range.md`` from
them.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.auto_range
    python -m benchmarks.studies.auto_range --ranges-only --no-save
    python -m benchmarks.studies.auto_range --table
"""

import json
import sys

import numpy as np

import msstereo
from msstereo.batch import score
from msstereo.coarse import CoarsePass, estimate_range
from msstereo.datasets import SCENE_NAMES
from msstereo.intensity import prepare_pair

from .common import (RESULTS, command_line, json_safe, load_scenes, markdown_table, run_info, scored_pixels,
                     sgbm_seconds, study_parser, write_markdown)

NEGATIVE_CLEARANCE = 10
"""Pixels by which the largest disparity of the negative crop stays below 0."""

BEYOND = 100
"""Pixels added to every disparity by the crop whose disparities are all beyond 100 px."""

ROWS = RESULTS / "auto_range.jsonl"


def variants(scene):
    """``(label, left, right, disparity, evaluated)`` of the scene as given and of its two shifted crops.

    Cropping the left view at ``[a, a + w)`` and the right one at
    ``[b, b + w)`` changes every disparity by ``b - a``; a pixel stays
    evaluated where its match is still inside the right crop.
    """
    truth, evaluated = scene.disparity.astype(np.float64), scored_pixels(scene)
    yield "as given", scene.left, scene.right, truth, evaluated
    width = scene.shape[1]
    largest = int(np.ceil(truth[evaluated].max()))
    for label, shift in (("all negative", -(largest + NEGATIVE_CLEARANCE)), (f"all beyond {BEYOND} px", BEYOND)):
        a, b, w = max(-shift, 0), max(shift, 0), width - abs(shift)
        d = truth[:, a:a + w] + (b - a)
        x = np.arange(w)[None, :]
        kept = evaluated[:, a:a + w] & (x - d >= 0) & (x - d <= w - 1)
        yield label, scene.left[:, a:a + w], scene.right[:, b:b + w], d, kept


def range_row(name, label, left, right, truth, evaluated):
    """One row of the ranges table (`estimate_range` on the pair, scored against ``truth``)."""
    il, ir, _ = prepare_pair(left, right, np.float32)
    coarse = CoarsePass.of_pair(il, ir)
    low, high = estimate_range(coarse)
    values = truth[evaluated]
    lo_true, hi_true = float(values.min()), float(values.max())
    allowance = max(8.0, 0.25 * (hi_true - lo_true))
    held = 100.0 * float(np.mean((values >= low) & (values <= high)))
    beyond = (lo_true - low, high - hi_true)
    return {"scene": name, "pair": label, "true": [lo_true, hi_true], "found": [low, high], "held %": held,
            "beyond": list(beyond), "allowance": allowance, "seconds": coarse.seconds,
            "pass": held >= 99.5 and max(beyond) <= allowance}


def ranges_table(rows):
    header = ["scene", "pair", "true extent", "found", "held %", "beyond below", "beyond above", "allowance",
              "pass s", "ok"]
    cells = [[r["scene"], r["pair"], f"{r['true'][0]:.2f}..{r['true'][1]:.2f}",
              f"{r['found'][0]:.2f}..{r['found'][1]:.2f}", f"{r['held %']:.2f}", f"{r['beyond'][0]:.2f}",
              f"{r['beyond'][1]:.2f}", f"{r['allowance']:.2f}", f"{r['seconds']:.3f}",
              "yes" if r["pass"] else "**no**"] for r in rows]
    return "\n".join(markdown_table(header, cells, align="llllrrrrrl"))


def _key(scene):
    return "bad1 nonocc" if "nonocc" in scene.masks else "bad1 all"


def match_rows(scene, repeat):
    """Medians over ``repeat`` alternating runs of the scene with its ndisp and without a range.

    Each round also times SGBM as its users call it (`sgbm_seconds`, the
    median of 5 runs): ``x sgbm`` is the median over the rounds of the
    match's seconds over SGBM's of the same round.
    """
    runs = {"ndisp": [], "found": []}
    peer = []
    ranges = {"ndisp": (0.0, scene.ndisp), "found": (None, None)}
    for _ in range(repeat):
        peer.append(sgbm_seconds(scene.left, scene.right, scene.ndisp, 5))
        for config, (d_min, d_max) in ranges.items():
            result = msstereo.match(scene.left, scene.right, d_min=d_min, d_max=d_max, threads=1)
            row = score(scene, result.disparity, result.seconds)
            runs[config].append({"bad1": row[_key(scene)], "seconds": result.seconds, "range": list(result.d_range),
                                 "coarse": None if result.coarse is None else result.coarse.seconds})
    out = {"scene": scene.name, "score": _key(scene)}
    for config, rows in runs.items():
        out[config] = {"bad1": float(np.median([r["bad1"] for r in rows])),
                       "seconds": float(np.median([r["seconds"] for r in rows])),
                       "range": rows[-1]["range"], "runs": rows,
                       "x sgbm": float(np.median([r["seconds"] / p for r, p in zip(rows, peer)]))}
    out["sgbm seconds"] = float(np.median(peer))
    coarse = [r["coarse"] / r["seconds"] for r in runs["found"]]
    out["coarse share %"] = 100.0 * float(np.median(coarse))
    out["coarse seconds"] = float(np.median([r["coarse"] for r in runs["found"]]))
    return out


def matches_table(rows):
    """One row per scene; ``width ratio``: the found range's width over ``ndisp``'s, which the cost volume
    and the search scale with (the seconds of a shared machine vary more than that between runs)."""
    header = ["scene", "score", "sgbm s", "ndisp range", "bad 1 (ndisp)", "s (ndisp)", "x sgbm (ndisp)",
              "found range", "bad 1 (found)", "s (found)", "x sgbm (found)", "difference", "time ratio",
              "width ratio", "pass s", "pass share %", "ok"]
    cells = []
    for r in rows:
        nd, fd = r["ndisp"], r["found"]
        diff, ratio = fd["bad1"] - nd["bad1"], fd["seconds"] / nd["seconds"]
        width = (fd["range"][1] - fd["range"][0]) / (nd["range"][1] - nd["range"][0])
        peer = r.get("sgbm seconds")  # rows saved before the peer was timed have none
        times = [f"{x['x sgbm']:.0f}" if peer else "-" for x in (nd, fd)]
        cells.append([r["scene"], r["score"], f"{peer:.3f}" if peer else "-", f"0..{nd['range'][1]:g}",
                      f"{nd['bad1']:.2f}", f"{nd['seconds']:.2f}", times[0],
                      f"{fd['range'][0]:.2f}..{fd['range'][1]:.2f}", f"{fd['bad1']:.2f}", f"{fd['seconds']:.2f}",
                      times[1],
                      f"{diff:+.2f}", f"{ratio:.2f}", f"{width:.2f}", f"{r['coarse seconds']:.3f}",
                      f"{r['coarse share %']:.1f}", "yes" if diff <= 0.3 and ratio <= 1.3 else "**no**"])
    return "\n".join(markdown_table(header, cells, align="llrlrrrlrrrrrrrrl"))


def _append(kind, row):
    with open(ROWS, "a") as f:
        f.write(json.dumps(json_safe({"kind": kind, **row})) + "\n")


def _table(argv):
    """``auto_range.md`` from the rows saved, the last row of each scene and pair, in `SCENE_NAMES` order."""
    rows = [json.loads(line) for line in ROWS.read_text().splitlines() if line.strip()]
    order = {name: k for k, name in enumerate(SCENE_NAMES)}
    ranges = sorted({(r["scene"], r["pair"]): r for r in rows if r["kind"] == "range"}.values(),
                    key=lambda r: order[r["scene"]])
    matches = sorted({r["scene"]: r for r in rows if r["kind"] == "match"}.values(), key=lambda r: order[r["scene"]])
    repeat = len(matches[0]["found"]["runs"]) if matches else 0
    body = ["## Ranges found against the ground truth", "", ranges_table(ranges)]
    if matches:
        body += ["", "## default / relax without a range against the scene's ndisp (medians of "
                 f"{repeat} alternating runs, 1 thread)", "", matches_table(matches)]
    command = command_line(__spec__.name, argv)
    body += ["", f"Run: `{json.dumps(run_info(command))}`"]
    write_markdown("auto_range", "The disparity range found from the pair", command,
                   __doc__.split("\n\n")[1].replace("\n", " "), "\n".join(body))
    print("\n".join(body))


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENE_NAMES, save=True)
    parser.add_argument("--ranges-only", action="store_true", help="the ranges table alone (no matches)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each match (default: 3)")
    parser.add_argument("--table", action="store_true", help="remake auto_range.md from auto_range.jsonl")
    args = parser.parse_args(argv)
    if args.table:
        return _table(argv)
    scenes = load_scenes(args.scenes, args.data)
    # Compile once before anything is timed.
    first = next(iter(scenes.values()))
    CoarsePass.of_pair(*prepare_pair(first.left, first.right, np.float32)[:2])
    for name, scene in scenes.items():
        for variant in variants(scene):
            row = range_row(name, *variant)
            print(json.dumps(row), flush=True)
            if not args.no_save:
                _append("range", row)
    if not args.ranges_only:
        msstereo.match(first.left[:64, :96], first.right[:64, :96], d_min=0, d_max=16, threads=1)
        for name, scene in scenes.items():
            row = match_rows(scene, args.repeat)
            print(json.dumps(row), flush=True)
            if not args.no_save:
                _append("match", row)
    if not args.no_save:
        _table(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
