"""The ``msstereo`` command line, run in-process."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from msstereo.cli import main
from msstereo.io import read_pfm, write_png
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


def test_demo_runs_on_motorcycle_and_scores_it(tmp_path, capsys):
    out = tmp_path / "m.pfm"
    assert main(["demo", "-o", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "bad2" in text and "time:" in text
    assert read_pfm(out).shape == (500, 741)


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
    assert names == sorted(["d.pfm", "d.png", "left.png", "right.png", *maps])


def test_match_saves_both_views_and_occlusions_for_ms_occ(pair_files, tmp_path):
    assert main(["match", *pair_files, "-o", str(tmp_path / "d.pfm"), "--model", "ms-occ", "--quiet"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"d.pfm", "d.png", "d.right.pfm", "d.right.png", "d.occlusion.png",
            "d.occlusion_right.png", "d.v.png", "d.v_right.png"} <= names
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
    code = main(["match", str(folder / "left.img"), str(folder / "right.png"), "-o", str(folder / "d.pfm"),
                 "--model", "tv", "--solver", "pde", "--d-max", "2", "--quiet"])
    err = capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {name: after[name] for name in before} == before
    if code == 0:  # a mutation that still decodes to a 9x9 image
        assert set(after) - set(before) >= {"d.pfm", "d.png"}
    else:
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert "left" in err, err  # the file (left.img) or the argument its pixels became
        assert after == before
