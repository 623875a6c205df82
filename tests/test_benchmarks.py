"""The benchmarks: the asv suite runs, the studies parse and tabulate, the SGBM peer matches.

The studies are imported as modules of the repository (``benchmarks.studies``),
as ``python -m benchmarks.studies.<name>`` runs them; nothing here runs a
study on real data. Each asv benchmark runs once, on its smallest parameter,
so that a benchmark broken by a change fails here rather than in a later
``asv run``.
"""

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import numpy as np
import pytest

from msstereo.synthetic import synthetic_scene

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` without `python -m` does not put the working folder on the path
    sys.path.append(str(ROOT))

import benchmarks.asv_bench  # noqa: E402
from benchmarks.studies import common, middlebury  # noqa: E402

STUDIES = ("ablation", "band", "band_tiles", "cold_start", "compare_solvers", "confidence", "error_causes",
           "faster", "median_support", "middlebury", "scale", "speed", "tune", "weighted_median")
"""The study modules with a command line (``same_maps`` too has one, but is no study of its own)."""

ASV_PREFIXES = ("time_", "timeraw_", "mem_", "peakmem_", "track_")
"""The method prefixes by which asv finds a benchmark."""


def _uint8(image):
    return np.round(255 * image).astype(np.uint8)


# --------------------------------------------------------------------------
# The asv suite
# --------------------------------------------------------------------------


def _asv_classes():
    """``(module name, class)`` of every class of the suite with a benchmark method."""
    found = []
    for info in pkgutil.iter_modules(benchmarks.asv_bench.__path__):
        module = importlib.import_module(f"{benchmarks.asv_bench.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and any(m.startswith(ASV_PREFIXES) for m in dir(cls)):
                found.append(pytest.param(cls, id=f"{info.name}.{name}"))
    return found


def test_the_asv_suite_has_the_match_and_kernel_benchmarks():
    names = {param.id for param in _asv_classes()}
    assert {"match.Match", "kernels.SorIncrement", "kernels.Search", "kernels.WeightedMedian", "kernels.Warp",
            "kernels.BoxMean"} <= names
    from benchmarks.asv_bench.match import Match
    assert set(Match.params[0]) == {"default/relax", "ms-occ/pde", "ms-tv/optimize", "tv/relax"}
    assert {"time_match", "peakmem_match"} <= set(dir(Match))


@pytest.mark.parametrize("cls", _asv_classes())
def test_every_asv_benchmark_runs_on_its_smallest_parameter(cls, monkeypatch):
    # The first value of each parameter: the smallest image, the quickest configuration.
    values = [axis[0] for axis in getattr(cls, "params", [])]
    monkeypatch.setattr(cls, "params", [[value] for value in values], raising=False)
    benchmark = cls()
    if hasattr(benchmark, "setup_cache"):
        assert benchmark.setup_cache() is None  # a cache would be passed to every method first
    if hasattr(benchmark, "setup"):
        benchmark.setup(*values)
    method = next(m for m in sorted(dir(cls)) if m.startswith(ASV_PREFIXES))
    getattr(benchmark, method)(*values)
    if hasattr(benchmark, "teardown"):
        benchmark.teardown(*values)


def test_the_asv_configuration_names_the_suite_and_keeps_its_output_out_of_git():
    text = (ROOT / "asv.conf.json").read_text()
    assert '"benchmark_dir": "benchmarks/asv_bench"' in text
    for key in ("env_dir", "results_dir", "html_dir"):
        assert f'"{key}": ".asv/' in text
    assert "/.asv/" in (ROOT / ".gitignore").read_text().splitlines()


# --------------------------------------------------------------------------
# The studies' command lines
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", STUDIES)
def test_each_study_runs_as_a_module_of_the_repository(name, capsys):
    study = importlib.import_module(f"benchmarks.studies.{name}")
    with pytest.raises(SystemExit) as exit_:
        study.main(["--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m benchmarks.studies.{name}")
    # The usage lines of the docstring run the module, never a file path.
    assert f"python -m benchmarks.studies.{name}" in study.__doc__
    assert f"benchmarks/{name}.py" not in study.__doc__


def test_command_line_and_markdown_table():
    assert common.command_line("benchmarks.studies.speed", ["--scenes", "teddy"]) == (
        "python -m benchmarks.studies.speed --scenes teddy")
    assert common.markdown_table(["scene", "bad", "note"], [["teddy", "1.00", "x"]], align="lrl") == [
        "| scene | bad | note |", "|---|---:|---|", "| teddy | 1.00 | x |"]
    assert common.markdown_table(["a", "b"], [])[1] == "|---|---:|"


def test_middlebury_metadata_records_the_module_command():
    pytest.importorskip("cv2")  # SGBM.describe names OpenCV's version
    meta = middlebury.metadata(["--models", "tv"], ["tv"], {"pde": common.make_solvers(["pde"], {})["pde"]}, {})
    assert meta["command"] == "python -m benchmarks.studies.middlebury --models tv"
    assert set(meta["threads"]) == set(common.THREAD_VARIABLES)


# --------------------------------------------------------------------------
# The SGBM peer
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ndisp, expected", [(1, 16), (15, 16), (16, 16), (17, 32), (59, 64), (76, 80)])
def test_num_disparities(ndisp, expected):
    assert common.num_disparities(ndisp) == expected


def test_sgbm_recovers_a_step_and_fills_the_border():
    pytest.importorskip("cv2")
    scene = synthetic_scene("step", shape=(64, 96), background=4.0, foreground=9.0)
    gray = (_uint8(scene.left), _uint8(scene.right))
    for left, right in (gray, tuple(np.repeat(im[..., None], 3, axis=2) for im in gray)):
        disparity, seconds = common.sgbm(left, right, scene.ndisp)
        assert disparity.shape == scene.shape and disparity.dtype == np.float32
        assert seconds > 0
        # Left padding and background fill: every pixel, the left border included, has a value.
        assert np.isfinite(disparity).all()
        nonocc = scene.masks["nonocc"]
        error = np.abs(disparity - scene.disparity)
        assert np.mean(error[nonocc] > 1) < 0.05
        # The occluded border columns take the background, not the foreground.
        assert np.all(disparity[:, :3] < 6)


def test_sgbm_as_its_users_call_it_computes_once_and_fills_what_it_leaves_invalid(monkeypatch):
    # The speed peer: one compute with OpenCV's own left-right check, on OpenCV's threads.
    pytest.importorskip("cv2")
    scene = synthetic_scene("step", shape=(48, 96), background=4.0, foreground=10.0)
    left, right = (np.round(image * 255).astype(np.uint8) for image in (scene.left, scene.right))
    calls = []
    padded = common._padded_disparity
    monkeypatch.setattr(common, "_padded_disparity", lambda *args: calls.append(1) or padded(*args))
    disparity, seconds = common.sgbm(left, right, scene.ndisp, common.SGBM_AS_CALLED)
    assert len(calls) == 1 and seconds > 0
    assert common.SGBM_AS_CALLED.describe()["disp12MaxDiff"] == 1
    assert not np.isnan(disparity).any()
    far = scene.masks["nonocc"] & ~scene.masks["disc"]
    assert np.median(np.abs(disparity - scene.disparity)[far]) < 0.5
    common.sgbm(left, right, scene.ndisp, common.SGBM)
    assert len(calls) == 3  # the accuracy studies' pipeline: two computes


def test_sgbm_rejects_non_uint8():
    pytest.importorskip("cv2")
    image = np.zeros((32, 48), dtype=np.float32)
    with pytest.raises(ValueError, match="uint8"):
        common.sgbm(image, image, 16)


def test_sgbm_without_opencv_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` raise ImportError
    image = np.zeros((32, 48), dtype=np.uint8)
    with pytest.raises(ImportError, match=r'pip install "msstereo\[bench\]"'):
        common.sgbm(image, image, 16)


# --------------------------------------------------------------------------
# Settings and tables
# --------------------------------------------------------------------------


def test_parse_settings_routes_each_name():
    params, options = common.parse_settings(
        ["beta=0.03", "factor=0.8", "median=0", "robust=false"], ["pde", "optimize"])
    assert params == {"beta": 0.03, "factor": 0.8, "robust": False}
    assert options == {"pde": {"median": 0}, "optimize": {"median": 0}}
    solvers = common.make_solvers(["pde"], options)
    assert solvers["pde"].median == 0
    with pytest.raises(SystemExit, match="unknown setting 'foo'"):
        common.parse_settings(["foo=1"])
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        common.parse_settings(["beta"])
    with pytest.raises(SystemExit, match="unknown solver"):
        common.parse_settings([], ["simplex"])


def _row(method, scene, value, disc=True):
    row = {"method": method, "model": None, "solver": None, "scene": scene,
           "group": middlebury.GROUP_OF[scene], "seconds": value, "x sgbm": 1.0}
    row.update({key: value for key in middlebury.V2_KEYS if disc or "disc" not in key})
    return row


def test_group_means_and_table():
    rows = [_row("sgbm", "tsukuba", 1.0), _row("sgbm", "venus", 3.0),
            _row("sgbm", "art", 5.0, disc=False), _row("sgbm", "laundry", 7.0, disc=False)]
    means = middlebury.group_means(rows)
    assert [(m["group"], m["bad1 nonocc"]) for m in means] == [("v2", 2.0), ("2005", 6.0)]
    assert "bad1 disc" in means[0] and "bad1 disc" not in means[1]
    table = middlebury.format_table(rows, means, middlebury.V2_KEYS)
    lines = table.splitlines()
    assert lines[1] == "|---|---|" + "---:|" * (len(middlebury.V2_KEYS) + 2)
    assert [line.split(" | ")[1] for line in lines[2:]] == [
        "tsukuba", "venus", "**mean v2**", "art", "laundry", "**mean 2005**"]
    assert lines[-1].count(" - ") == 1  # no disc for the 2005 mean
    assert "occ precision" not in lines[0]


def test_scale_pairs_scale_the_images_the_truth_and_the_range():
    pytest.importorskip("cv2")
    from benchmarks.studies import scale

    left, right, gt, d_max = scale.pair(1.0)
    assert left.shape == (500, 741, 3) and d_max == scale.NDISP
    small_left, small_right, small_gt, small_d_max = scale.pair(0.5)
    assert small_left.shape == small_right.shape == (250, 370, 3) and small_left.dtype == np.uint8
    assert small_d_max == pytest.approx(scale.NDISP * 370 / 741)
    known = np.isfinite(small_gt)
    assert 0.5 < known.mean() and np.nanmax(small_gt[known]) == pytest.approx(
        np.nanmax(gt[np.isfinite(gt)]) * 370 / 741, rel=0.02)


# --------------------------------------------------------------------------
# Per-tile bands
# --------------------------------------------------------------------------


def test_band_tiles_search_each_tiles_coarse_range_and_count_what_it_keeps_and_reaches():
    from types import SimpleNamespace

    from benchmarks.studies import band_tiles
    # A 32 x 64 pair at 10 px on the left half and 30 px on the right, its coarse pass at half size.
    truth = np.full((32, 64), 10.0)
    truth[:, 32:] = 30.0
    coarse = SimpleNamespace(scale=0.5, disparity=truth[::2, ::2] * 0.5)
    ranges = band_tiles.tile_ranges(coarse, truth.shape, 40, tile=16, margin=1)
    # A margin of 1 coarse px is 2 px; the tiles beside the step see both sides through the pad.
    assert ranges.shape == (2, 4, 2)
    assert ranges[0].tolist() == [[8.0, 12.0], [8.0, 32.0], [8.0, 32.0], [28.0, 32.0]]
    assert (ranges[1] == ranges[0]).all()
    scene = SimpleNamespace(disparity=truth, known=np.isfinite(truth), masks={"nonocc": np.ones(truth.shape, bool)},
                            ndisp=40)
    kept, work, inside, widest = band_tiles.measure(scene, coarse, 16, 1, reach=0)
    samples = 2 * 16 * 16 * (9 + 49 + 49 + 9)  # the tiles' samples every 0.5 px
    assert kept == work == pytest.approx(samples / (32 * 64 * 81))
    assert inside == 100.0 and widest == pytest.approx(49 / 81)
    # Each tile recomputes the border its aggregation reads: more work for the same samples.
    assert band_tiles.measure(scene, coarse, 16, 1, reach=4)[1] > kept
    # Truth that the coarse pass missed (20 px in the top-left tile, which searches 8..12) is out of reach.
    truth[:16, :16] = 20.0
    assert band_tiles.measure(scene, coarse, 16, 1, reach=0)[2] == pytest.approx(100.0 * (1 - 256 / 2048))


# --------------------------------------------------------------------------
# Error causes and the confidence study
# --------------------------------------------------------------------------


def test_error_causes_derive_the_occlusion_and_the_depth_edges_of_a_known_step():
    from benchmarks.studies import error_causes
    scene = synthetic_scene("step", shape=(48, 72), background=2.0, foreground=8.0)
    derived = error_causes.occluded_by_gt(scene.disparity)
    # The band left of the box that the right camera does not see, and the left border (x - 2 < 0).
    # The derivation keeps 1 px of slack, as the 'nonocc' rule of the 2005 scenes.
    truth = scene.occlusion
    assert (derived <= truth).all() and (truth & ~derived).sum() <= truth.sum() / 5
    near = error_causes.near_jumps(scene.disparity)
    outline = scene.masks["disc"]
    assert near[outline].all() and not near[:, -10:].any()


def test_error_causes_find_slants_textureless_and_repeated_patches():
    from benchmarks.studies import error_causes
    slanted = synthetic_scene("slanted", shape=(32, 48), background=2.0, slope=(0.3, 0.0))
    assert error_causes.slanted(slanted.disparity)[4:-4, 4:-4].all()
    flat = synthetic_scene("plane", shape=(32, 48), background=2.0)
    assert not error_causes.slanted(flat.disparity).any()
    image = 255 * np.tile(0.5 + 0.5 * np.sin(2 * np.pi * np.arange(96) / 8), (40, 1))
    image[:, 60:] = 128  # a textureless block
    fine, large = error_causes.textureless(image)
    assert large[:, 66:].all() and not fine[:, :50].any()
    repeated = error_causes.repetitive(image, fine, ndisp=16)
    assert repeated[10:30, 10:50].all() and not repeated[:, 66:].any()
    noise = np.random.default_rng(0).uniform(0, 255, (40, 96))
    assert error_causes.repetitive(noise, error_causes.textureless(noise)[0], ndisp=16).mean() < 0.01


def test_the_confidence_fit_recovers_a_known_logistic_model_and_writes_it(tmp_path, monkeypatch):
    from benchmarks.studies import confidence as study
    from msstereo.confidence import FEATURES
    rng = np.random.default_rng(0)
    # Weights of the signs the fit is bounded to (`study.SIGNS`), then one of the wrong sign.
    truth = {name: study.SIGNS[name] * float(w) for name, w in zip(FEATURES, rng.uniform(0.2, 2, len(FEATURES)))}

    def samples_of(truth):
        samples = []
        for _ in range(2):
            x = rng.normal(size=(40000, len(FEATURES)))
            p = 1 / (1 + np.exp(-(0.5 + x @ np.array([truth[name] for name in FEATURES]))))
            samples.append((x, rng.random(len(p)) < p))
        return samples

    weights, bias = study.fit(samples_of(truth), l2=0.0)
    assert max(abs(weights[k] - truth[k]) for k in FEATURES) < 0.1 and abs(bias - 0.5) < 0.1
    wrong = {**truth, "texture": -1.0}
    bounded, _ = study.fit(samples_of(wrong), l2=0.0)
    assert bounded["texture"] == 0.0
    monkeypatch.setattr(study, "CALIBRATION", tmp_path / "_calibration.py")
    study.write_calibration(weights, bias, "the command")
    written = {}
    exec((tmp_path / "_calibration.py").read_text(), written)
    assert written["WEIGHTS"] == pytest.approx(weights, rel=1e-5) and written["BIAS"] == pytest.approx(bias, rel=1e-5)


def test_sgbm_kept_is_the_unfilled_map_of_sgbm_as_called():
    pytest.importorskip("cv2")
    scene = synthetic_scene("step", shape=(48, 96), background=4.0, foreground=10.0)
    left, right = _uint8(scene.left), _uint8(scene.right)
    disparity, kept = common.sgbm_kept(left, right, scene.ndisp)
    assert kept.dtype == bool and (kept == np.isfinite(disparity)).all()
    filled, _ = common.sgbm(left, right, scene.ndisp, common.SGBM_AS_CALLED)
    np.testing.assert_array_equal(filled[kept], disparity[kept])
    assert kept[scene.masks["nonocc"]].mean() > 0.8
