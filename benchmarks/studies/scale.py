"""Seconds and peak memory of the default configuration from 0.1 to 6 megapixels.

The pair is Middlebury 2014 Motorcycle as scikit-image ships it (741 x 500,
0.37 MP), resized to each size (bicubic, OpenCV) with its disparity range
scaled along: 70 px at 0.37 MP, Middlebury's ``ndisp`` of 280 at full size
(2964 x 2000, 5.9 MP) divided by 4. Each size runs in a child process of its
own, so that the peak resident memory (``ru_maxrss``) is that size's: the
child loads the pair, compiles or loads the kernels on a crop (both the
whole-range and the banded path of ``relax``), then times
``msstereo.match(left, right, d_max=...)`` with the default model and
solver on the default threads. OpenCV SGBM (`benchmarks.studies.common.sgbm`)
is timed on the same pair in another child, for the ratio.

The table gives per size the relax levels (``full`` over the whole range,
``band`` around the coarser solution), seconds, their ratio to the 0.37 MP
run, SGBM's seconds and the ratio to them, the peak memory of the whole
child process (Python, NumPy and Numba included) and bad 1 against the
ground truth resized likewise, the threshold scaled with the size (one pixel
of the 0.37 MP pair), over the pixels where it is known.

With ``--plane-step`` each size's child times the slanted-plane step alone
(`msstereo.planes.plane_refinement` with the default's parameters) on the
left image, the ground truth plus Gaussian noise of 1 px (0 where unknown)
and a uniform random confidence: seconds, CPU seconds, the peak memory
above the resident memory before the step (inputs and libraries loaded)
and the share of pixels it replaced.

Saves ``benchmarks/results/scale.md`` unless ``--no-save``; a size list of
one's own is saved only under a ``--name`` of its own.

Usage::

    python -m benchmarks.studies.scale                 # 0.1, 0.37, 1.5, 3.3, 5.9 MP
    python -m benchmarks.studies.scale --quick         # 0.1 and 0.37 MP
    python -m benchmarks.studies.scale --sizes 0.37 1.5
    python -m benchmarks.studies.scale --sizes 5.93 --name scale_6mp
    python -m benchmarks.studies.scale --sizes 5.93 --no-sgbm --mmap-threshold 1048576
    python -m benchmarks.studies.scale --sizes 5.93 --plane-step --no-save
"""

import argparse
import json
import os
import resource
import sys
import time

import numpy as np

from .common import (command_line, last_json_line, markdown_row, markdown_table, run_module, sgbm,
                     sgbm_seconds, study_parser, write_markdown)

NDISP = 70
"""Disparity range of the 0.37 MP pair: Middlebury's 280 at full size, over 4."""

SCALES = (0.52, 1.0, 2.0, 3.0, 4.0)
"""Linear scales of the default run: 0.1, 0.37, 1.5, 3.3 and 5.9 MP."""

QUICK = (0.52, 1.0)

REFERENCE = 1.0
"""The scale whose seconds the others are divided by (0.37 MP)."""


def pair(scale):
    """Left, right (uint8 RGB), ground truth (inf unknown) and ``d_max`` at a linear ``scale``."""
    import cv2
    from skimage.data import stereo_motorcycle

    left, right, gt = stereo_motorcycle()
    if scale == 1.0:
        return left, right, np.asarray(gt, np.float32), NDISP
    m, n = left.shape[:2]
    size = (round(n * scale), round(m * scale))  # OpenCV: (width, height)
    gt = np.asarray(gt, np.float32)
    gt[~np.isfinite(gt)] = np.inf
    gt = cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST) * np.float32(size[0] / n)
    return (cv2.resize(left, size, interpolation=cv2.INTER_CUBIC),
            cv2.resize(right, size, interpolation=cv2.INTER_CUBIC), gt, NDISP * size[0] / n)


def warm_up():
    """Compile or load every kernel the timed run uses, on a crop: whole range and band."""
    import msstereo

    left, right, _, _ = pair(1.0)
    left, right = left[:96, :128], right[:96, :128]
    for budget in (512.0, 0.0):
        msstereo.match(left, right, d_min=0, d_max=16, solver=msstereo.Relax(iterations=2, budget=budget))


def peak_mib():
    """This process's peak resident memory so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_match(scale):
    """One size in this process: the default match; prints a JSON line."""
    import msstereo

    warm_up()
    left, right, _, d_max = pair(scale)
    t0 = time.perf_counter()
    result = msstereo.match(left, right, d_min=0, d_max=d_max)
    seconds = time.perf_counter() - t0
    _, _, gt, _ = pair(scale)  # loaded after the match: not part of its memory
    known = np.isfinite(gt)
    bad = np.abs(result.disparity - gt)[known] > scale
    levels = [f"{log.shape[1]}x{log.shape[0]}" for log in result.levels]
    shape = left.shape[:2]
    bands = [msstereo.Relax().band_samples(tuple(s), (0.0, d_max * s[1] / shape[1]), 2, 4)
             for s in (log.shape for log in result.levels)]
    print(json.dumps({"scale": scale, "shape": list(shape), "d_max": d_max, "seconds": seconds,
                      "levels": [f"{lv} {'full' if b is None else f'band {b}'}" for lv, b in zip(levels, bands)],
                      "bad": 100.0 * float(bad.mean()),
                      "peak_mib": peak_mib()}))


def resident_mib():
    """This process's resident memory now (MiB), from ``/proc/self/status``; its peak so far elsewhere."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024.0
    except (OSError, StopIteration):
        return peak_mib()


def child_plane_step(scale):
    """The slanted-plane step alone on one size in this process; prints a JSON line."""
    from msstereo.models import get_model
    from msstereo.planes import plane_refinement

    model = get_model("default")
    left, _, gt, _ = pair(scale)
    rng = np.random.default_rng(0)
    image = left.astype(np.float32) / 255
    d = np.where(np.isfinite(gt), gt, 0).astype(np.float32) + rng.normal(0, 1, gt.shape).astype(np.float32)
    confidence = rng.random(gt.shape, dtype=np.float32)
    del left, gt
    args = (model.plane_segments, model.plane_confidence)
    plane_refinement(d[:64, :96], confidence[:64, :96], image[:64, :96], *args)  # load scikit-image
    inputs = resident_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    out = plane_refinement(d, confidence, image, *args)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"shape": list(d.shape), "seconds": seconds, "cpu": cpu,
                      "above_inputs_mib": peak_mib() - inputs,
                      "replaced": 100.0 * float(np.mean(out != d))}))


def plane_step_rows(scales):
    """The table of `child_plane_step` over ``scales``: header and rows."""
    lines = markdown_table(["MP", "size", "seconds", "cpu s", "peak above inputs MiB", "replaced %"], [],
                           align="rlrrrr")
    print("\n".join(lines), flush=True)
    for scale in sorted(scales):
        got = run_child("plane", scale)
        if got is None:
            print(f"scale {scale}: the plane step failed", file=sys.stderr)
            continue
        m, n = got["shape"]
        lines.append(markdown_row([f"{m * n / 1e6:.2f}", f"{n}x{m}", f"{got['seconds']:.1f}", f"{got['cpu']:.1f}",
                                   f"{got['above_inputs_mib']:.0f}", f"{got['replaced']:.2f}"]))
        print(lines[-1], flush=True)
    return lines


def child_sgbm(scale, repeat=3):
    """SGBM on one size in this process: the median of ``repeat`` runs; prints a JSON line."""
    left, right, _, d_max = pair(scale)
    sgbm(left[:64, :96], right[:64, :96], 16)  # load OpenCV
    seconds = sgbm_seconds(left, right, int(np.ceil(d_max)), repeat)
    print(json.dumps({"seconds": seconds,
                      "peak_mib": peak_mib()}))


def run_child(kind, scale, mmap_threshold=None):
    """Run one size in a child process; its JSON line, or None and the error on failure.

    ``mmap_threshold``: glibc's ``MALLOC_MMAP_THRESHOLD_`` of the child (bytes), to compare
    with its default allocator (None: the environment's, as a user's process has).
    """
    env = dict(os.environ)
    if mmap_threshold is not None:
        env["MALLOC_MMAP_THRESHOLD_"] = str(mmap_threshold)
    out = run_module(__spec__.name, [f"--{kind}", repr(scale)], env=env, check=False)
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return None
    return last_json_line(out.stdout)


def main(argv=None):
    parser = study_parser(__doc__, __spec__.name, save="scale")
    parser.add_argument("--sizes", nargs="+", type=float, metavar="MP",
                        help="sizes in megapixels (the nearest scale of the 0.37 MP pair)")
    parser.add_argument("--quick", action="store_true", help="0.1 and 0.37 MP only")
    parser.add_argument("--no-sgbm", action="store_true")
    parser.add_argument("--mmap-threshold", type=int, metavar="BYTES",
                        help="glibc's MALLOC_MMAP_THRESHOLD_ of the match children (default: glibc's own)")
    parser.add_argument("--match", type=float, help=argparse.SUPPRESS)  # child: one size
    parser.add_argument("--plane-step", action="store_true", help="time the slanted-plane step alone (no match)")
    parser.add_argument("--plane", type=float, help=argparse.SUPPRESS)  # child: the plane step on one size
    parser.add_argument("--sgbm", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.match is not None:
        return child_match(args.match)
    if args.sgbm is not None:
        return child_sgbm(args.sgbm)
    if args.plane is not None:
        return child_plane_step(args.plane)
    base = 741 * 500 / 1e6
    scales = QUICK if args.quick else SCALES
    if args.sizes:
        scales = [round(float(np.sqrt(mp / base)), 3) for mp in args.sizes]
    if args.plane_step:
        body = "\n".join(plane_step_rows(scales))
        if not args.no_save and args.name != "scale":
            write_markdown(args.name, "Seconds and peak memory of the slanted-plane step alone by image size",
                           command_line(__spec__.name, argv), __doc__.split("\n\n")[3].replace("\n", " ")
                           + f" Machine: {os.cpu_count()} cores, shared.", body)
        return 0
    header = markdown_table(["MP", "size", "d_max", "relax levels", "seconds", "x 0.37 MP", "sgbm s", "x sgbm",
                             "peak MiB", "bad 1 %"], [], align="rlrlrrrrrr")
    print("\n".join(header), flush=True)
    rows, reference = [], None
    for scale in sorted(scales, key=lambda s: s != REFERENCE):  # the reference first, for the ratios
        got = run_child("match", scale, args.mmap_threshold)
        if got is None:
            print(f"scale {scale}: the match failed", file=sys.stderr)
            continue
        peer = None if args.no_sgbm else run_child("sgbm", scale)
        if scale == REFERENCE:
            reference = got["seconds"]
        m, n = got["shape"]
        ratio = f"{got['seconds'] / reference:.1f}" if reference else "-"
        cells = [f"{m * n / 1e6:.2f}", f"{n}x{m}", f"{got['d_max']:.0f}", ", ".join(got["levels"]),
                 f"{got['seconds']:.1f}", ratio,
                 "-" if peer is None else f"{peer['seconds']:.2f}",
                 "-" if peer is None else f"{got['seconds'] / peer['seconds']:.0f}",
                 f"{got['peak_mib']:.0f}", f"{got['bad']:.2f}"]
        rows.append((m * n, markdown_row(cells)))
        print(rows[-1][1], flush=True)
    body = "\n".join(header + [row for _, row in sorted(rows)])
    if not args.no_save and (not args.sizes or args.name != "scale"):
        write_markdown(args.name, "Seconds and peak memory of the default configuration by image size",
                       command_line(__spec__.name, argv),
                       __doc__.split("\n\n")[1].replace("\n", " ") + " Machine: " +
                       f"{os.cpu_count()} cores, shared; SGBM: median of 3 runs; glibc's allocator "
                       + ("with its default settings." if args.mmap_threshold is None else
                          f"with MALLOC_MMAP_THRESHOLD_={args.mmap_threshold}."), body)


if __name__ == "__main__":
    sys.exit(main())
