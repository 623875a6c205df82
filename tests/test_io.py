"""Tests for msstereo.io: PFM, PNG images, disparity PNGs, calibration, output sets."""

import json
import os
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from msstereo.io import (
    OutputSet,
    check_targets,
    read_calib,
    read_disparity_png,
    read_image,
    read_pfm,
    write_disparity_png,
    write_pfm,
    write_png,
)


def _sample(shape):
    rng = np.random.default_rng(0)
    array = rng.normal(scale=50, size=shape).astype(np.float32)
    array.flat[0] = np.inf
    array.flat[1] = -0.0
    array.flat[2] = -np.inf
    return array


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("shape", [(5, 7), (4, 6, 3)])
def test_pfm_round_trip_bit_exact(tmp_path, byteorder, shape):
    array = _sample(shape)
    path = tmp_path / "a.pfm"
    write_pfm(path, array, byteorder=byteorder)
    back = read_pfm(path)
    assert back.dtype == np.float32
    assert back.shape == shape
    assert back.tobytes() == array.tobytes()  # bit-exact, -0.0 and inf kept
    assert np.isposinf(back.flat[0])
    assert np.signbit(back.flat[1])


def test_pfm_header_records_byte_order(tmp_path):
    write_pfm(tmp_path / "le.pfm", np.ones((2, 3)), byteorder="<")
    write_pfm(tmp_path / "be.pfm", np.ones((2, 3)), byteorder=">")
    assert (tmp_path / "le.pfm").read_bytes().startswith(b"Pf\n3 2\n-1\n")
    assert (tmp_path / "be.pfm").read_bytes().startswith(b"Pf\n3 2\n1\n")


def test_pfm_hand_made_big_endian_bottom_to_top(tmp_path):
    # Image rows top to bottom: [1, 2, 3], [4, 5, inf]; file stores the bottom row first.
    rows_in_file = np.array([[4, 5, np.inf], [1, 2, 3]], dtype=">f4")
    path = tmp_path / "hand.pfm"
    path.write_bytes(b"Pf\n3  2\n 1.0\n" + rows_in_file.tobytes())
    back = read_pfm(path)
    expected = np.array([[1, 2, 3], [4, 5, np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(back, expected)
    assert back.dtype == np.float32 and back.dtype.isnative


def test_pfm_hand_made_colour_little_endian(tmp_path):
    data = np.arange(2 * 2 * 3, dtype="<f4").reshape(2, 2, 3)
    path = tmp_path / "rgb.pfm"
    path.write_bytes(b"PF 2 2 -1.0\n" + data.tobytes())
    np.testing.assert_array_equal(read_pfm(path), data[::-1])


def test_pfm_truncated_raises_oserror_naming_file(tmp_path):
    path = tmp_path / "short.pfm"
    write_pfm(path, np.ones((4, 4), dtype=np.float32))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(OSError, match="short.pfm.*truncated"):
        read_pfm(path)


def test_pfm_bad_magic(tmp_path):
    path = tmp_path / "bad.pfm"
    path.write_bytes(b"P5\n2 2\n255\n" + bytes(4))
    with pytest.raises(OSError, match="bad.pfm"):
        read_pfm(path)


def test_pfm_missing_file(tmp_path):
    with pytest.raises(OSError, match="nothere.pfm"):
        read_pfm(tmp_path / "nothere.pfm")


@pytest.mark.parametrize(
    "array",
    [np.ones((2, 2), dtype=complex), np.ones((2, 2, 2)), np.ones((2, 2, 2, 3)), np.ones(4)],
)
def test_pfm_write_rejects_bad_input_and_creates_nothing(tmp_path, array):
    with pytest.raises(ValueError):
        write_pfm(tmp_path / "x.pfm", array)
    assert list(tmp_path.iterdir()) == []


def test_pfm_write_replaces_existing_file(tmp_path):
    path = tmp_path / "x.pfm"
    write_pfm(path, np.zeros((3, 3)))
    write_pfm(path, np.full((2, 2), 7.0))
    np.testing.assert_array_equal(read_pfm(path), np.full((2, 2), 7.0))
    assert [p.name for p in tmp_path.iterdir()] == ["x.pfm"]


@pytest.mark.parametrize("bits", [8, 16])
def test_disparity_png_round_trip(tmp_path, bits):
    scale = 4 if bits == 8 else 64
    disparity = np.array([[0.25, 1.5, np.inf], [10.0, np.nan, 3.75]], dtype=np.float32)
    path = tmp_path / "d.png"
    write_disparity_png(path, disparity, scale, bits=bits)
    stored = read_image(path)
    assert stored.dtype == (np.uint8 if bits == 8 else np.uint16)
    back = read_disparity_png(path, scale)
    assert back.dtype == np.float32 and back.shape == disparity.shape
    expected = disparity.copy()
    expected[~np.isfinite(expected)] = np.inf
    np.testing.assert_array_equal(back, expected)


@pytest.mark.parametrize(
    "disparity, bits",
    [(np.array([[-1.0, 2.0]]), 16), (np.array([[64.0, 1.0]]), 8), (np.ones((2, 2, 3)), 16)],
)
def test_disparity_png_invalid_creates_nothing(tmp_path, disparity, bits):
    with pytest.raises(ValueError):
        write_disparity_png(tmp_path / "d.png", disparity, 4, bits=bits)
    assert list(tmp_path.iterdir()) == []


def test_disparity_png_bad_scale(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        write_disparity_png(tmp_path / "d.png", np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match="bits"):
        write_disparity_png(tmp_path / "d.png", np.ones((2, 2)), 1, bits=12)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="scale"):
        read_disparity_png(tmp_path / "d.png", -1)


def test_read_image_gray_palette_decodes_to_gray_values(tmp_path):
    values = np.array([[0, 64], [128, 255]], dtype=np.uint8)
    palette_image = Image.fromarray(np.array([[0, 1], [2, 3]], dtype=np.uint8), mode="P")
    palette = [0, 0, 0, 64, 64, 64, 128, 128, 128, 255, 255, 255]
    palette_image.putpalette(palette + [7, 8, 9] * 252)  # unused entries not gray
    palette_image.save(tmp_path / "p.png")
    image = read_image(tmp_path / "p.png")
    assert image.dtype == np.uint8 and image.shape == (2, 2)
    np.testing.assert_array_equal(image, values)


def test_read_image_colour_palette_decodes_to_rgb(tmp_path):
    palette_image = Image.fromarray(np.array([[0, 1]], dtype=np.uint8), mode="P")
    palette_image.putpalette([255, 0, 0, 0, 0, 255])
    palette_image.save(tmp_path / "c.png")
    image = read_image(tmp_path / "c.png")
    np.testing.assert_array_equal(image, [[[255, 0, 0], [0, 0, 255]]])


def test_read_image_rgba_drops_alpha_and_16_bit(tmp_path):
    rgba = np.zeros((2, 3, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 10
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.shape == (2, 3, 3) and image.dtype == np.uint8
    assert np.all(image[..., 0] == 200)

    deep = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    image16 = read_image(tmp_path / "d.png")
    assert image16.dtype == np.uint16
    np.testing.assert_array_equal(image16, deep)


def test_read_image_errors(tmp_path):
    with pytest.raises(OSError, match="missing.png"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(OSError, match="junk.png"):
        read_image(tmp_path / "junk.png")


def test_write_png_round_trip_and_validation(tmp_path):
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    write_png(tmp_path / "rgb.png", rgb)
    np.testing.assert_array_equal(read_image(tmp_path / "rgb.png"), rgb)
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "bad.png", rgb.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        write_png(tmp_path / "bad.png", np.zeros((2, 3, 4), dtype=np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rgb.png"]


def test_read_calib(tmp_path):
    text = (
        "cam0=[3997.684 0 1176.728; 0 3997.684 1011.728; 0 0 1]\n"
        "cam1=[3997.684 0 1307.839; 0 3997.684 1011.728; 0 0 1]\n"
        "doffs=131.111\nbaseline=193.001\nwidth=2964\nheight=1988\nndisp=280\n"
        "isint=0\nvmin=31\nvmax=257\ndyavg=0.918\ndymax=1.516\n"
    )
    (tmp_path / "calib.txt").write_text(text)
    calib = read_calib(tmp_path / "calib.txt")
    assert calib["cam0"].shape == (3, 3)
    np.testing.assert_allclose(calib["cam1"][0], [3997.684, 0, 1307.839])
    assert calib["ndisp"] == 280 and isinstance(calib["ndisp"], int)
    assert calib["baseline"] == pytest.approx(193.001)
    assert isinstance(calib["doffs"], float)


def test_written_files_get_ordinary_permissions(tmp_path):
    # An atomic writer must not leave the 0600 mode of a private temp file.
    reference = tmp_path / "plain.bin"
    reference.write_bytes(b"")
    write_pfm(tmp_path / "d.pfm", np.zeros((2, 3), np.float32))
    assert (tmp_path / "d.pfm").stat().st_mode == reference.stat().st_mode


# --------------------------------------------------------------------------
# Output sets: checked first, published all at once or not at all
# --------------------------------------------------------------------------

def _files(folder):
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}


def _stage_all(outputs, content):
    for target in outputs.targets:
        outputs.stage(target).write_bytes(content + target.name.encode())


def test_output_set_publishes_every_file_and_removes_no_file_it_did_not_write(tmp_path):
    (tmp_path / "stale.png").write_bytes(b"the user's")
    (tmp_path / "in.png").write_bytes(b"input")
    targets = [tmp_path / "a.pfm", tmp_path / "a.png"]
    with OutputSet(targets, inputs=[tmp_path / "in.png"]) as outputs:
        _stage_all(outputs, b"new ")
        assert sorted(_files(tmp_path)) != ["a.pfm", "a.png", "in.png", "stale.png"]  # staged under other names
        written, removed = outputs.publish(remove=[tmp_path / "stale.png", tmp_path / "in.png"])
    assert written == targets and removed == []
    assert _files(tmp_path) == {"a.pfm": b"new a.pfm", "a.png": b"new a.png", "in.png": b"input",
                                "stale.png": b"the user's"}


def test_output_set_removes_only_what_its_manifest_records_unchanged(tmp_path):
    """A file named like an output is removed only if an earlier set wrote it and nobody changed it since."""
    names = ["a.pfm", "a.v.png", "a.right.pfm", "a.occlusion.png"]
    targets, manifest = [tmp_path / name for name in names], tmp_path / ".a.manifest"
    with OutputSet(targets[:3], manifest=manifest) as outputs:  # writes a.pfm, a.v.png, a.right.pfm
        _stage_all(outputs, b"first ")
        assert outputs.publish() == (targets[:3], [])
    (tmp_path / "a.right.pfm").write_bytes(b"edited by the user")
    (tmp_path / "a.occlusion.png").write_bytes(b"made by the user")
    with OutputSet(targets, manifest=manifest) as outputs:
        outputs.stage(targets[0]).write_bytes(b"second")
        written, removed = outputs.publish(remove=targets[1:])
    assert written == targets[:1] and removed == [tmp_path / "a.v.png"]
    assert _files(tmp_path) == {"a.pfm": b"second", "a.right.pfm": b"edited by the user",
                                "a.occlusion.png": b"made by the user", ".a.manifest": manifest.read_bytes()}
    assert list(json.loads(manifest.read_text())["files"]) == ["a.pfm"]


def test_output_set_refuses_a_target_named_twice(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(OSError, match="named twice"):
        OutputSet([tmp_path / "a.pfm", tmp_path / "sub" / ".." / "a.pfm"])
    assert sorted(_files(tmp_path)) == ["sub"]


def test_a_name_too_long_for_the_file_system_is_refused_before_any_work(tmp_path):
    target = tmp_path / ("d" * 240 + ".pfm")  # fits alone, not with its temporary suffix
    with pytest.raises(OSError, match="name too long"):
        check_targets([target])
    with pytest.raises(OSError, match="name too long"):
        check_targets([tmp_path / ("d" * 300 + ".pfm")])
    assert _files(tmp_path) == {}


def test_publishing_removes_temporaries_of_ended_processes_and_nothing_else(tmp_path):
    import subprocess
    import sys
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    dead, alive, hexa = int(ended.stdout), os.getppid(), "0123456789abcdef" * 2
    kept = [f".a.pfm.msstereo-{alive}-{hexa}.tmp", ".a.pfm.tmp", f".a.pfm.msstereo-{dead}-xyz.tmp",
            f".b.pfm.msstereo-{dead}-{hexa}.tmp", f"a.pfm.msstereo-{dead}-{hexa}.tmp"]
    for name in [*kept, f".a.pfm.msstereo-{dead}-{hexa}.tmp"]:
        (tmp_path / name).write_bytes(b"x")
    with OutputSet([tmp_path / "a.pfm"]) as outputs:
        outputs.stage(tmp_path / "a.pfm").write_bytes(b"new")
        outputs.publish()
    assert sorted(_files(tmp_path)) == sorted([*kept, "a.pfm"])


def test_a_staged_file_is_written_in_place_by_the_atomic_writers(tmp_path, monkeypatch):
    # A temporary of the temporary would be left behind by a run killed while writing it.
    import msstereo.io as io
    moves = []
    monkeypatch.setattr(io.os, "replace", lambda src, dst, real=io.os.replace: moves.append(dst) or real(src, dst))
    with OutputSet([tmp_path / "a.pfm", tmp_path / "a.png"]) as outputs:
        write_pfm(outputs.stage(tmp_path / "a.pfm"), np.zeros((2, 3)))
        write_png(outputs.stage(tmp_path / "a.png"), np.zeros((2, 3), np.uint8))
        assert moves == []
        outputs.publish()
    assert sorted(_files(tmp_path)) == ["a.pfm", "a.png"] and moves == [tmp_path / "a.pfm", tmp_path / "a.png"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
@pytest.mark.parametrize("reader", [read_image, read_pfm, read_calib], ids=lambda f: f.__name__)
def test_readers_refuse_a_fifo_without_blocking(tmp_path, reader):
    import signal
    os.mkfifo(tmp_path / "pipe.png")

    def timeout(*args):
        raise TimeoutError("blocked on the FIFO")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(5)
    try:
        with pytest.raises(OSError, match="pipe.png: cannot read a FIFO"):
            reader(tmp_path / "pipe.png")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_output_set_leaves_targets_untouched_when_the_block_fails(tmp_path):
    (tmp_path / "a.pfm").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with OutputSet([tmp_path / "a.pfm", tmp_path / "a.png"]) as outputs:
            outputs.stage(tmp_path / "a.pfm").write_bytes(b"new")
            raise KeyboardInterrupt
    assert _files(tmp_path) == {"a.pfm": b"old"}


def test_output_set_restores_the_previous_files_when_a_move_fails(tmp_path, monkeypatch):
    import msstereo.io as io
    for name in ("a.pfm", "a.png"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    before = _files(tmp_path)
    outputs = OutputSet([tmp_path / "a.pfm", tmp_path / "a.png"])
    _stage_all(outputs, b"new ")
    real, calls = io.os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("a.png") and len(calls) < 5:  # the second file's move, not its restore
            raise OSError("no space left")
        return real(src, dst)
    monkeypatch.setattr(io.os, "replace", replace)
    with pytest.raises(OSError, match="no space"):
        outputs.publish()
    monkeypatch.setattr(io.os, "replace", real)
    assert len(calls) > 2 and _files(tmp_path) == before


def test_output_set_completes_publishing_before_ctrl_c(tmp_path, monkeypatch, default_signals):
    import os
    import signal

    import msstereo.io as io
    outputs = OutputSet([tmp_path / "a.pfm", tmp_path / "a.png"])
    _stage_all(outputs, b"new ")
    real = io.os.replace

    def replace(src, dst):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the first file moves
        return real(src, dst)
    monkeypatch.setattr(io.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        outputs.publish()
    assert _files(tmp_path) == {"a.pfm": b"new a.pfm", "a.png": b"new a.png"}


def test_check_targets_refuses_inputs_directories_and_missing_folders(tmp_path):
    (tmp_path / "in.png").write_bytes(b"input")
    (tmp_path / "link.png").symlink_to(tmp_path / "in.png")
    (tmp_path / "dir.png").mkdir()
    for target, message in ((tmp_path / "link.png", "would overwrite the input"),
                            (tmp_path / "dir.png", "is a directory"),
                            (tmp_path / "in.png" / "a.pfm", "is not a folder"),
                            (tmp_path / "no" / "a.pfm", "does not exist")):
        with pytest.raises(OSError, match=message):
            check_targets([target], inputs=[tmp_path / "in.png"])
    check_targets([tmp_path / "new.pfm"], inputs=[tmp_path / "in.png"])
    assert sorted(_files(tmp_path)) == ["dir.png", "in.png", "link.png"]


# --------------------------------------------------------------------------
# Property-based: the PFM reader on hostile input, round trips
# --------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Headers of the right shape with random sizes, whitespace and scales, to reach past the magic.
_HEADERS = st.from_regex(
    rb"\AP[fF][ \t\r\n]{1,2}\d{1,9}[ \n]\d{1,9}[ \r\n]{1,2}-?\d{1,3}(\.\d)?[\r\n]{1,2}\Z")


def _read_within_bounds(path, size):
    """read_pfm's outcome: an array, or OSError; never another error or a large allocation."""
    tracemalloc.start()
    try:
        try:
            array = read_pfm(path)
        except OSError:
            array = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Beyond the file's own bytes (read once, copied once), only a small constant.
    assert peak <= 2 * size + 65536, (peak, size)
    if array is not None:
        assert array.dtype == np.float32 and array.flags.writeable and array.flags.c_contiguous
        assert array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)
        assert array.size * 4 <= size
    return array


@FUZZ
@given(data=st.one_of(st.binary(max_size=600), st.tuples(_HEADERS, st.binary(max_size=200)).map(b"".join)))
def test_pfm_reader_on_random_bytes(tmp_path, data):
    path = tmp_path / "fuzz.pfm"
    path.write_bytes(data)
    _read_within_bounds(path, len(data))


@st.composite
def _mutated_pfm(draw):
    array = draw(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=5)))
    colour = draw(st.booleans())
    header = f"{'PF' if colour else 'Pf'}\n{array.shape[1]} {array.shape[0]}\n-1\n"
    if colour:
        array = np.repeat(array[:, :, None], 3, axis=2)
    data = bytearray(header.encode() + array.tobytes())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["set", "delete", "insert"]))
        if kind == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@FUZZ
@given(data=_mutated_pfm())
def test_pfm_reader_on_mutated_files(tmp_path, data):
    path = tmp_path / "mutated.pfm"
    path.write_bytes(data)
    _read_within_bounds(path, len(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=hnp.arrays(np.float32, st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                                              st.tuples(st.integers(1, 4), st.integers(1, 4), st.just(3)))),
       byteorder=st.sampled_from("<>"))
def test_pfm_round_trip_is_exact(tmp_path, array, byteorder):
    write_pfm(tmp_path / "rt.pfm", array, byteorder=byteorder)
    back = read_pfm(tmp_path / "rt.pfm")
    assert back.shape == array.shape and back.tobytes() == array.tobytes()
