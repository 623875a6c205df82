"""How much of the cost volume a band of per-tile ranges keeps, and how much of the work it saves.

A band on a shared disparity grid: the image is cut into square tiles, and
each tile searches one range, the least and largest disparity of the coarse
pass (`msstereo.coarse.CoarsePass`, over the scene's ``0..ndisp``) under the
tile and ``pad`` coarse pixels around it, widened by ``margin`` coarse
pixels each way and clipped to ``0..ndisp``. Its volume is aggregated as
today's, on the tile's own range, so that no slice mixes disparities. No
match is run: the study measures, for the left view and the default model's
grid (``step`` 0.5 px),

- ``kept``: the samples of the tiles' ranges over those of the whole range
  (the cost volume's and the early searches' share);
- ``work``: the same with each tile's window grown by the rows and columns
  its aggregation reads (``2 aggregate + census_window // 2`` px each side,
  10 px for ``default``), which a tile computes again: the share of today's
  data term, census and guided filter that the band would cost;
- ``truth inside``: the share of the ground truth (nonocc; Motorcycle: every
  known pixel) that lies in its tile's range, i.e. that the search can reach.

Saves ``benchmarks/results/band_tiles.md`` unless ``--no-save``.

Usage::

    export MSSTEREO_DATA=../shared/data
    python -m benchmarks.studies.band_tiles
"""

import math

import numpy as np

from msstereo.coarse import CoarsePass
from msstereo.intensity import prepare_pair
from msstereo.models import MODELS

from .common import command_line, load_scenes, markdown_table, scored_pixels, study_parser, write_markdown

SCENES = ("tsukuba", "venus", "teddy", "cones", "art", "laundry", "motorcycle")
TILES = (48, 64, 96)
MARGINS = (1, 2)
PAD = 1
STEP = 0.5


def overlap(model):
    """Pixels each side that a tile's aggregation reads beyond it: the guided filter's two boxes and the census."""
    return 2 * model.aggregate + model.census_window // 2


def tile_ranges(coarse, shape, ndisp, tile, margin, pad=PAD):
    """Per tile ``(first, last)`` disparity, full-size pixels on the grid of `STEP`, as an array ``(rows, cols, 2)``."""
    rows, cols = -(-shape[0] // tile), -(-shape[1] // tile)
    small = coarse.disparity.shape
    ratio = (small[0] / shape[0], small[1] / shape[1])
    out = np.empty((rows, cols, 2))
    for a in range(rows):
        for b in range(cols):
            r0 = max(math.floor(a * tile * ratio[0]) - pad, 0)
            r1 = min(math.ceil(min((a + 1) * tile, shape[0]) * ratio[0]) + pad, small[0])
            c0 = max(math.floor(b * tile * ratio[1]) - pad, 0)
            c1 = min(math.ceil(min((b + 1) * tile, shape[1]) * ratio[1]) + pad, small[1])
            under = coarse.disparity[r0:r1, c0:c1]
            lo, hi = (float(under.min()) - margin) / coarse.scale, (float(under.max()) + margin) / coarse.scale
            out[a, b] = (max(math.floor(lo / STEP) * STEP, 0.0), min(math.ceil(hi / STEP) * STEP, float(ndisp)))
    return out


def measure(scene, coarse, tile, margin, reach):
    """``kept``, ``work`` and ``truth inside`` (module docstring) of one tiling."""
    shape = scene.disparity.shape
    ranges = tile_ranges(coarse, shape, scene.ndisp, tile, margin)
    samples = (ranges[..., 1] - ranges[..., 0]) / STEP + 1
    whole = shape[0] * shape[1] * (scene.ndisp / STEP + 1)
    kept = work = 0.0
    first = np.empty(shape)
    last = np.empty(shape)
    for a in range(ranges.shape[0]):
        for b in range(ranges.shape[1]):
            rows = slice(a * tile, min((a + 1) * tile, shape[0]))
            cols = slice(b * tile, min((b + 1) * tile, shape[1]))
            area = (rows.stop - rows.start) * (cols.stop - cols.start)
            window = ((min(rows.stop + reach, shape[0]) - max(rows.start - reach, 0))
                      * (min(cols.stop + reach, shape[1]) - max(cols.start - reach, 0)))
            kept += area * samples[a, b]
            work += window * samples[a, b]
            first[rows, cols], last[rows, cols] = ranges[a, b]
    mask = scored_pixels(scene)
    truth = scene.disparity[mask]
    inside = (truth >= first[mask] - STEP / 2) & (truth <= last[mask] + STEP / 2)
    return kept / whole, work / whole, 100.0 * float(inside.mean()), float(samples.max() / (scene.ndisp / STEP + 1))


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, scenes=SCENES, save="band_tiles")
    args = parser.parse_args(argv)
    model = MODELS["default"]
    reach = overlap(model)
    rows = []
    for name, scene in load_scenes(args.scenes, args.data).items():
        left, right = prepare_pair(scene.left, scene.right, np.float32)[:2]
        coarse = CoarsePass.of_pair(left, right, (0, scene.ndisp))
        for tile in TILES:
            for margin in MARGINS:
                kept, work, inside, widest = measure(scene, coarse, tile, margin, reach)
                rows.append([name, f"{1 / coarse.scale:.1f}", tile, margin, f"{kept:.2f}", f"{widest:.2f}",
                             f"{work:.2f}", f"{inside:.2f}"])
                print(" ".join(str(c) for c in rows[-1]), flush=True)
    body = "\n".join(markdown_table(["scene", "px per coarse px", "tile px", "margin (coarse px)", "kept",
                                     "widest tile", "work", "truth inside %"], rows))
    print(body)
    if not args.no_save:
        what, columns = __doc__.split("\n\n")[1:3]
        write_markdown(args.name, "Per-tile bands on a shared grid: the share of the cost volume kept",
                       command_line(__spec__.name, argv), what.replace("\n", " "), columns + "\n\n" + body)


if __name__ == "__main__":
    main()
