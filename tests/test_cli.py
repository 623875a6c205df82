"""The ``msstereo`` command line, run in-process."""

import dataclasses
import io
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from msstereo.cli import main
from msstereo.io import read_pfm, write_pfm, write_png
from msstereo.synthetic import synthetic_scene


def write_pair(folder, scene):
    """The scene's images as 8-bit ``left.png`` and ``right.png`` in ``folder``; their paths."""
    paths = []
    for name, image in (("left.png", scene.left), ("right.png", scene.right)):
        write_png(folder / name, np.round(image * 255).astype(np.uint8))
        paths.append(str(folder / name))
    return paths


@pytest.fixture
def pair_files(tmp_path):
    return write_pair(tmp_path, synthetic_scene("plane", shape=(40, 56), background=3.0))


def test_match_writes_pfm_and_png(pair_files, tmp_path, capsys):
    out = tmp_path / "d.pfm"
    assert main(["match", *pair_files, "-o", str(out), "--d-max", "8", "--param", "beta=0.03"]) == 0
    d = read_pfm(out)
    assert d.shape == (40, 56) and abs(np.median(d) - 3.0) < 0.1
    assert (tmp_path / "d.png").exists()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("extra, found", [(["--d-min", "0", "--d-max", "8"], "given"),
                                          (["--d-max", "8"], "d_min found"), ([], "d_min and d_max found")])
def test_match_colours_map_the_searched_range(pair_files, tmp_path, capsys, monkeypatch, extra, found):
    # Given or found, the PNG's colours span the searched range, which the result line names.
    import msstereo
    from msstereo.viz import colorize
    results = []
    monkeypatch.setattr("msstereo.cli.match", lambda *a, **k: results.append(msstereo.match(*a, **k)) or results[-1])
    out = tmp_path / "d.pfm"
    assert main(["match", *pair_files, "-o", str(out), "--model", "tv", "--solver", "pde", "--quiet", *extra]) == 0
    (result,) = results
    d_min, d_max = result.d_range
    assert d_max == 8.0 if extra else 3.0 < d_max < 8.0  # the plane is at 3 px
    assert d_min == 0.0 if found == "given" else -2.0 < d_min < 3.0
    png = np.asarray(Image.open(tmp_path / "d.png").convert("RGB"))
    np.testing.assert_array_equal(png, colorize(read_pfm(out), d_min, d_max))
    assert f"disparities {d_min:.4g}..{d_max:.4g} px ({found}" in capsys.readouterr().out


def test_match_searches_the_given_disparity_range(tmp_path):
    paths = write_pair(tmp_path, synthetic_scene("plane", shape=(40, 96), background=30.0))
    out = tmp_path / "d.pfm"
    assert main(["match", *paths, "-o", str(out), "--d-min", "25", "--d-max", "40", "--quiet"]) == 0
    d = read_pfm(out)
    assert abs(np.median(d[:, 40:]) - 30.0) < 0.1 and d.min() >= 25.0


@pytest.mark.parametrize("args, message", [
    (["--param", "gamma=1"], "model parameter"),
    (["--d-min", "9", "--d-max", "8"], "d_max must be larger than d_min"),
    (["--solver", "pde"], "needs solver='relax'"),
    (["-o", "OUT/missing/d.pfm"], "does not exist"),
    (["-o", "OUT/d.txt"], ".pfm"),
])
def test_match_reports_bad_options_and_writes_nothing(pair_files, tmp_path, capsys, args, message):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "d.pfm")]
    assert main(["match", *pair_files, *args]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["left.png", "right.png"]


def test_unreadable_image_is_an_error(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    assert main(["match", str(bad), str(bad), "-o", str(tmp_path / "d.pfm")]) == 2
    assert "bad.png" in capsys.readouterr().err


def test_demo_runs_on_motorcycle_and_scores_it(tmp_path, capsys, monkeypatch):
    from msstereo import cli
    from msstereo.datasets import motorcycle
    scene = motorcycle()
    assert scene.shape == (500, 741)
    # The demo's steps on a sixteenth of the scene (the engine), with its ground truth and range;
    # the match of the whole scene is the studies' to time and score.
    part = (slice(190, 315), slice(280, 465))
    piece = dataclasses.replace(scene, left=scene.left[part], right=scene.right[part],
                                disparity=scene.disparity[part],
                                masks={name: mask[part] for name, mask in scene.masks.items()})
    monkeypatch.setattr(cli, "motorcycle", lambda: piece)
    out = tmp_path / "m.pfm"
    assert main(["demo", "-o", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "bad2" in text and "time:" in text
    assert read_pfm(out).shape == (125, 185)


def test_eval_scores_a_v2_result(data_root, tmp_path, capsys):
    from msstereo.datasets import load_scene
    from msstereo.io import write_pfm
    folder = data_root / "middlebury" / "v2" / "venus"
    write_pfm(tmp_path / "gt.pfm", load_scene(folder).disparity)
    assert main(["eval", str(tmp_path / "gt.pfm"), str(folder)]) == 0
    assert "nonocc" in capsys.readouterr().out


@pytest.mark.parametrize("model, maps", [("ms-tv", ["d.v.png"]), ("tv-edge", ["d.v_image.png"])])
def test_match_saves_discontinuity_maps(pair_files, tmp_path, model, maps):
    assert main(["match", *pair_files, "-o", str(tmp_path / "d.pfm"), "--model", model, "--quiet"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([".d.pfm.msstereo.json", "d.pfm", "d.png", "left.png", "right.png", *maps])


def test_match_saves_both_views_and_occlusions_for_ms_occ(pair_files, tmp_path):
    assert main(["match", *pair_files, "-o", str(tmp_path / "d.pfm"), "--model", "ms-occ", "--quiet"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"d.pfm", "d.png", "d.right.pfm", "d.right.png", "d.occlusion.png",
            "d.occlusion_right.png", "d.v.png", "d.v_right.png", "d.confidence.png"} <= names
    assert read_pfm(tmp_path / "d.right.pfm").shape == (40, 56)


# --------------------------------------------------------------------------
# Property-based: image files a hostile user could pass to ``match``
# --------------------------------------------------------------------------

def _valid_image_files():
    """Small valid files of each reader's formats: the seeds of the mutations."""
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, (12, 16), dtype=np.uint8)
    files = {}
    for fmt, image in (("PNG", Image.fromarray(gray)), ("PNG", Image.fromarray(gray.astype(np.uint16) * 200)),
                       ("TIFF", Image.fromarray((gray / 255).astype(np.float32), mode="F")),
                       ("PPM", Image.fromarray(np.dstack([gray] * 3)))):
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        files[f"{fmt}-{image.mode}"] = buffer.getvalue()
    files["PFM"] = b"Pf\n16 12\n-1\n" + (gray / 255).astype("<f4").tobytes()
    return files


SEEDS = _valid_image_files()


@st.composite
def _hostile_image(draw):
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["set", "delete", "insert", "truncate"]))
        if kind == "set":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at:]
        if not data:
            break
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_hostile_image())
def test_match_on_hostile_image_files_fails_in_one_line(tmp_path, capsys, data):
    # The right image is 9x9: whatever the left decodes to, the match stops at
    # the shape check (or runs on 9x9 pixels), so each example is fast.
    folder = tmp_path / "case"
    folder.mkdir(exist_ok=True)
    for path in folder.iterdir():
        path.unlink()
    (folder / "left.img").write_bytes(data)
    Image.fromarray(np.zeros((9, 9), np.uint8)).save(folder / "right.png")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with warnings.catch_warnings(record=True) as caught:  # a warning would be a line more on stderr
        warnings.simplefilter("always")
        code = main(["match", str(folder / "left.img"), str(folder / "right.png"), "-o", str(folder / "d.pfm"),
                     "--model", "tv", "--solver", "pde", "--d-max", "2", "--quiet"])
    assert not caught, [str(w.message) for w in caught]
    err = capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {name: after[name] for name in before} == before
    if code == 0:  # a mutation that still decodes to a 9x9 image
        assert set(after) - set(before) >= {"d.pfm", "d.png"}
    else:
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert "left" in err, err  # the file (left.img) or the argument its pixels became
        assert after == before


# --------------------------------------------------------------------------
# The Middlebury workflow: scene folders, evaluation, SDK output
# --------------------------------------------------------------------------

FAST = ["--model", "tv", "--solver", "relax", "--solver-option", "iterations=10", "--quiet"]


def write_2014_scene(folder, scene, ndisp, calib_extra=""):
    """``scene`` as a Middlebury 2014 folder: images, ``disp0GT.pfm``, ``calib.txt``, ``mask0nocc.png``."""
    from msstereo.io import write_pfm
    folder.mkdir()
    for name, image in (("im0.png", scene.left), ("im1.png", scene.right)):
        write_png(folder / name, np.round(image * 255).astype(np.uint8))
    write_pfm(folder / "disp0GT.pfm", scene.disparity)
    (folder / "calib.txt").write_text(f"ndisp={ndisp}\nvmin=1\nvmax={ndisp - 1}\n{calib_extra}")
    # As MiddEval3 stores it: 255 visible in the right view, 128 occluded.
    write_png(folder / "mask0nocc.png", np.where(scene.masks["nonocc"], 255, 128).astype(np.uint8))
    return folder


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_match_scene_dir_takes_the_disparity_range_from_calib(tmp_path, capsys):
    # At 40 px the plane is beyond the default range (a third of the 96 px width): only
    # the scene's ndisp lets the search reach it.
    folder = write_2014_scene(tmp_path / "Plane", synthetic_scene("plane", shape=(40, 96), background=40.0), 48)
    inputs = snapshot(folder)
    out = tmp_path / "d.pfm"
    assert main(["match", str(folder), "-o", str(out), *FAST]) == 0
    d = read_pfm(out)
    assert abs(np.median(d[:, 48:]) - 40.0) < 0.1 and d.max() <= 48
    text = capsys.readouterr().out
    assert "Middlebury v3" in text and "nonocc" in text  # scored against the scene's ground truth
    assert snapshot(folder) == inputs


def test_match_scene_dir_takes_no_range_from_the_ground_truth(tmp_path, capsys, monkeypatch):
    # A 2005 folder has no ndisp of its own: its ground truth, here claiming 50 px for a plane at 3 px,
    # is for scoring only, and the range is found from the pair.
    import msstereo
    from msstereo.datasets import load_scene
    scene = synthetic_scene("plane", shape=(40, 96), background=3.0)
    folder = tmp_path / "Plane"
    folder.mkdir()
    for name, image in (("view1.png", scene.left), ("view5.png", scene.right)):
        write_png(folder / name, np.round(image * 255).astype(np.uint8))
    write_png(folder / "disp1.png", np.full((40, 96), 150, np.uint8))  # 50 px at the 2005 scale of 3
    loaded = load_scene(folder)
    assert loaded.ndisp == 51 and loaded.ndisp_from_ground_truth and loaded.given_ndisp is None
    results = []
    monkeypatch.setattr("msstereo.cli.match", lambda *a, **k: results.append(msstereo.match(*a, **k)) or results[-1])
    assert main(["match", str(folder), "-o", str(tmp_path / "d.pfm"), *FAST[:-1]]) == 0
    out, err = capsys.readouterr()
    assert "the range is found from the pair" in err
    d_min, d_max = results[0].d_range
    assert -2.0 < d_min < 3.0 < d_max < 8.0
    assert f"disparities {d_min:.4g}..{d_max:.4g} px (d_min and d_max found from the pair" in out


def test_match_scene_dir_in_the_v2_layout_reads_ndisp_from_info(tmp_path, capsys):
    scene = synthetic_scene("plane", shape=(40, 96), background=40.0)
    folder = tmp_path / "plane"
    folder.mkdir()
    for name, image in (("imL.png", scene.left), ("imR.png", scene.right)):
        write_png(folder / name, np.round(image * 255).astype(np.uint8))
    write_png(folder / "groundtruth.png", np.full((40, 96), 160, np.uint8))  # 40 px at scale 4
    (folder / "info.txt").write_text("4\n48\n")
    assert main(["match", str(folder), "-o", str(tmp_path / "d.pfm"), *FAST[:-1]]) == 0
    err = capsys.readouterr().err
    assert "v2 layout" in err and "0..48" in err
    assert abs(np.median(read_pfm(tmp_path / "d.pfm")[:, 48:]) - 40.0) < 0.1


def test_match_scene_dir_never_writes_over_the_scene_files(tmp_path, capsys):
    folder = write_2014_scene(tmp_path / "s", synthetic_scene("plane", shape=(40, 56), background=3.0), 8)
    inputs = snapshot(folder)
    assert main(["match", str(folder), "-o", str(folder / "disp0GT.pfm"), *FAST]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert main(["match", str(folder), "--sdk", "GT", *FAST]) == 2
    assert "disp0GT.pfm" in capsys.readouterr().err
    assert main(["match", str(folder / "im0.png"), "-o", str(tmp_path / "d.pfm"), *FAST]) == 2
    assert "not a scene folder" in capsys.readouterr().err
    assert snapshot(folder) == inputs and sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_match_writes_the_sdk_files_into_the_scene_folder(tmp_path, capsys):
    folder = write_2014_scene(tmp_path / "s", synthetic_scene("plane", shape=(40, 56), background=3.0), 8)
    inputs = snapshot(folder)
    assert main(["match", str(folder), "--sdk", "MS_1", *FAST]) == 0
    after = snapshot(folder)
    assert sorted(set(after) - set(inputs)) == ["disp0MS_1.pfm", "timeMS_1.txt"]
    assert all(after[name] == data for name, data in inputs.items())
    assert abs(np.median(read_pfm(folder / "disp0MS_1.pfm")) - 3.0) < 0.1
    assert 0 < float(after["timeMS_1.txt"].decode()) < 60
    # With -o as well, one set: the SDK pair and OUT.pfm and its colour map.
    assert main(["match", str(folder), "--sdk", "MS_1", "-o", str(tmp_path / "d.pfm"), *FAST]) == 0
    assert (tmp_path / "d.png").exists()
    assert main(["match", str(folder), "--sdk", "../x", *FAST]) == 2
    assert "letters, digits and underscores" in capsys.readouterr().err


def _eval_json(argv, capsys):
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_of_a_2014_folder_reports_nonocc_from_its_mask_and_all(tmp_path, capsys):
    scene = synthetic_scene("step", shape=(40, 56))
    folder = write_2014_scene(tmp_path / "Step", scene, scene.ndisp)
    estimate = np.where(scene.masks["nonocc"], scene.disparity, scene.disparity + 5)  # wrong where occluded
    write_pfm(tmp_path / "d.pfm", estimate)
    scores = _eval_json([str(tmp_path / "d.pfm"), str(folder)], capsys)
    occluded = 100 * (~scene.masks["nonocc"]).mean()
    assert list(scores) == ["nonocc", "all"] and 0 < occluded < 20
    assert scores["nonocc"]["bad1"] == 0.0 and scores["all"]["bad1"] == pytest.approx(occluded)


def test_eval_against_a_bare_ground_truth_file(tmp_path, capsys):
    scene = synthetic_scene("step", shape=(40, 56))
    folder = write_2014_scene(tmp_path / "Step", scene, scene.ndisp)
    estimate = scene.disparity.copy()
    estimate[:4] += 2.0  # 10 % of the rows wrong everywhere
    write_pfm(tmp_path / "d.pfm", estimate)
    gt = str(folder / "disp0GT.pfm")
    scores = _eval_json([str(tmp_path / "d.pfm"), gt], capsys)
    assert list(scores) == ["all"] and scores["all"]["bad1"] == pytest.approx(10.0)
    scores = _eval_json([str(tmp_path / "d.pfm"), gt, "--mask", str(folder / "mask0nocc.png")], capsys)
    expected = 100 * scene.masks["nonocc"][:4].sum() / scene.masks["nonocc"].sum()
    assert list(scores) == ["nonocc", "all"] and scores["nonocc"]["bad1"] == pytest.approx(expected)
    assert main(["eval", str(tmp_path / "d.pfm"), str(folder / "mask0nocc.png")]) == 2
    assert "--gt-scale" in capsys.readouterr().err


def test_eval_writes_an_error_map_on_request(tmp_path, capsys):
    scene = synthetic_scene("step", shape=(40, 56))
    folder = write_2014_scene(tmp_path / "Step", scene, scene.ndisp)
    estimate = scene.disparity.copy()
    estimate[0, 20] = np.inf  # no estimate: bad
    estimate[1, 21] += 3.0  # bad
    write_pfm(tmp_path / "d.pfm", estimate)
    inputs = snapshot(folder)
    err = tmp_path / "err.png"
    assert main(["eval", str(tmp_path / "d.pfm"), str(folder), "--error-map", str(err)]) == 0
    image = np.asarray(Image.open(err))[:40, :56]
    occluded = np.argwhere(~scene.masks["nonocc"])[0]
    assert tuple(image[tuple(occluded)]) == (199, 222, 242)  # not evaluated: pale blue
    assert scene.masks["nonocc"][:6, 10:22].all()
    assert tuple(image[5, 10]) == (255, 255, 255)  # exact: white
    assert tuple(image[0, 20]) == (128, 0, 38)  # missing: the darkest red
    r, g, b = image[1, 21].astype(int)
    assert r > g > b or r > b > g  # wrong by 3 thresholds: red
    assert main(["eval", str(tmp_path / "d.pfm"), str(folder), "--error-map", str(folder / "im0.png")]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert snapshot(folder) == inputs


def test_solver_options_factor_and_min_size_from_the_command_line(pair_files, tmp_path, capsys, monkeypatch):
    import msstereo
    from msstereo import cli
    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return msstereo.match(*args, **kwargs)
    monkeypatch.setattr(cli, "match", spy)
    argv = ["match", *pair_files, "-o", str(tmp_path / "d.pfm"), "--model", "tv", "--solver", "pde",
            "--solver-option", "warps=3", "--solver-option", "median=0", "--factor", "0.5", "--min-size", "10",
            "--threads", "1", "--quiet"]
    assert main(argv) == 0
    assert seen["solver"] == msstereo.PDE(warps=3, median=0)
    assert seen["factor"] == 0.5 and seen["min_size"] == 10 and seen["threads"] == 1
    for option, message in ((["--solver-option", "iterations=5"], "unknown PDE option 'iterations'"),
                            (["--solver-option", "warps=0"], "PDE option 'warps' must be an integer in [1, 1000]"),
                            (["--solver-option", "warps"], "--solver-option takes NAME=VALUE"),
                            (["--factor", "0.99"], "factor"),
                            (["--threads", "0"], "threads")):
        assert main([*argv, *option]) == 2
        assert message in capsys.readouterr().err


def test_the_names_in_the_help_are_the_library_s():
    from msstereo import cli
    from msstereo.match import DEFAULT_MODEL, DEFAULT_SOLVER, SOLVERS
    from msstereo.models import MODELS
    assert cli.MODEL_NAMES == tuple(sorted(MODELS)) and cli.SOLVER_NAMES == tuple(sorted(SOLVERS))
    assert (cli.DEFAULT_MODEL, cli.DEFAULT_SOLVER) == (DEFAULT_MODEL, DEFAULT_SOLVER)


# --------------------------------------------------------------------------
# What a new user meets: eval --json, misspelt names, the demo's folder, the legend, help
# --------------------------------------------------------------------------

def test_eval_json_is_the_only_output_and_has_no_nan(tmp_path, capsys):
    scene = synthetic_scene("step", shape=(40, 56))
    folder = write_2014_scene(tmp_path / "Step", scene, scene.ndisp)
    write_pfm(tmp_path / "d.pfm", np.full(scene.shape, np.inf, np.float32))  # no estimate: avgerr is NaN
    argv = ["eval", str(tmp_path / "d.pfm"), str(folder), "--json", "--error-map", str(tmp_path / "e.png")]
    assert main(argv) == 0
    out, err = capsys.readouterr()

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")
    scores = json.loads(out, parse_constant=no_constants)  # the whole of stdout is one document
    assert scores["all"]["bad1"] == 100.0 and scores["all"]["avgerr"] is None and scores["all"]["rms"] is None
    assert "Middlebury v3" in err and "wrote" in err  # the table and the file line go to stderr


def test_a_misspelt_param_names_the_nearest_one_in_one_line(pair_files, tmp_path, capsys, monkeypatch):
    import msstereo

    def no_match(*args, **kwargs):
        raise AssertionError("the match started")
    monkeypatch.setattr("msstereo.cli.match", no_match)
    argv = ["match", *pair_files, "-o", str(tmp_path / "d.pfm"), "--quiet"]
    for extra, message in ((["--param", "bta=0.1"], "unknown model parameter 'bta'; did you mean 'beta'?"),
                           (["--param", "name=x"], "model parameter 'name' cannot be set"),
                           (["--param", "iterations=50"], "'iterations' is a Relax option, not a model parameter: "
                                                          "give --solver-option iterations=50"),
                           (["--solver-option", "beta=0.1"], "give --param beta=0.1"),
                           (["--solver-option", "iteratons=5"], "did you mean 'iterations'?")):
        assert main([*argv, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert main([*argv, "--param", "gamma=1"]) == 2  # nothing near: the list, without 'name'
    err = capsys.readouterr().err
    assert "valid: aggregate, " in err and ", median_space, median_support, nu, " in err
    # The API's hint is the same.
    with pytest.raises(ValueError, match="did you mean 'beta'"):
        msstereo.match(np.zeros((16, 16)), np.zeros((16, 16)), bta=0.1)


def _constant_run(left, right, args, ndisp=None):
    """A stand-in for the match: disparity 3 everywhere (the match is not under test)."""
    from types import SimpleNamespace
    d = np.full(left.shape[:2], 3.0, np.float32)
    return SimpleNamespace(disparity=d, seconds=0.5, d_range=(0.0, 8.0), coarse=None, v=None, v_image=None,
                           disparity_right=None, v_right=None, occlusion=None, occlusion_right=None,
                           confidence=None)


def test_demo_writes_into_a_folder_of_its_own(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("msstereo.cli._run", _constant_run)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("a file of the user's")
    assert main(["demo", "--quiet"]) == 0
    assert "bad2" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt", "motorcycle"]
    assert {"motorcycle.pfm", "motorcycle.png"} <= {p.name for p in (tmp_path / "motorcycle").iterdir()}
    assert read_pfm(tmp_path / "motorcycle" / "motorcycle.pfm").shape == (500, 741)
    assert main(["demo", "--quiet"]) == 0  # again, into the folder it made
    # A run that is stopped or fails leaves no folder behind; -o still names the file.
    (tmp_path / "motorcycle").rename(tmp_path / "first")

    for error, code in ((KeyboardInterrupt(), 130), (ValueError("bad input"), 2)):
        def failing(*args):
            raise error
        monkeypatch.setattr("msstereo.cli._run", failing)
        assert main(["demo", "--quiet"]) == code
        assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "mine.txt"]
    monkeypatch.setattr("msstereo.cli._run", _constant_run)
    assert main(["demo", "--quiet", "-o", "m.pfm"]) == 0 and (tmp_path / "m.png").exists()
    assert "motorcycle/motorcycle.pfm" in _help(["demo"], capsys)


def test_the_error_map_has_a_legend_below_the_unchanged_map(tmp_path, capsys):
    from msstereo.viz import LEGEND_HEIGHT, LEGEND_MIN_WIDTH, error_colors, error_map
    scene = synthetic_scene("step", shape=(40, 56))
    folder = write_2014_scene(tmp_path / "Step", scene, scene.ndisp)
    estimate = scene.disparity + np.linspace(0, 6, 56)[None, :]  # every error from 0 to 6 px
    estimate[0, 20] = np.inf
    write_pfm(tmp_path / "d.pfm", estimate)
    for threshold, width in ((1.0, 56), (2.0, 300)):
        if width > 56:  # a map wider than the legend keeps its width
            estimate = np.tile(estimate, (1, 6))[:, :width]
            gt = np.tile(scene.disparity, (1, 6))[:, :width]
            write_pfm(tmp_path / "d.pfm", estimate)
            write_pfm(tmp_path / "gt.pfm", gt)
            reference, mask = str(tmp_path / "gt.pfm"), None
        else:
            reference, gt, mask = str(folder), scene.disparity, scene.masks["nonocc"]
        err = tmp_path / f"err{width}.png"
        assert main(["eval", str(tmp_path / "d.pfm"), reference, "--error-map", str(err),
                     "--threshold", str(threshold)]) == 0
        image = np.asarray(Image.open(err))
        assert image.shape == (40 + LEGEND_HEIGHT, max(width, LEGEND_MIN_WIDTH), 3)
        np.testing.assert_array_equal(image[:40, :width], error_colors(error_map(estimate, gt, mask), threshold))
        strip = {tuple(c) for c in image[40:].reshape(-1, 3)}
        ramp = {tuple(c) for c in error_colors(np.linspace(0, 4 * threshold, 400)[None, :], threshold)[0]}
        assert (199, 222, 242) in strip and (128, 0, 38) in strip  # not evaluated, no estimate
        assert len(strip & ramp) > 50  # the colour bar, in the map's colours
    assert "legend" in capsys.readouterr().out


def _help(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_the_threads_help_says_what_the_option_does(capsys):
    text = _help(["match"], capsys)
    assert ("threads for the left and right views of the occlusion models (ms-occ and the default model)"
            in text)
    assert "default: the machine's cores; use 1 when other processes share the cores" in text
