"""Bad input through the API and the command line: the matrix of issue 10.

Every case either asserts the exception type and that its message names the
argument or file, or asserts a sound result (finite, in range, close to the
result of the same pair as uint8). The command-line cases also assert exit
code 2 (130 for Ctrl-C) with one line on stderr, that no input file changed
and that no output file exists unless the whole set was written.

The pair is 32x48 and matched with ``tv`` and ``pde`` so that the cases that
run a match take a fraction of a second.
"""

import math
import os
import re
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import msstereo
from msstereo.cli import main
from msstereo.datasets import load_scene
from msstereo.evaluate import bad_pixels, evaluate_v2
from msstereo.io import read_image, read_pfm, write_pfm
from msstereo.synthetic import synthetic_scene

FAST = dict(model="tv", solver="pde", d_max=8)
CLI_FAST = ["--model", "tv", "--solver", "pde", "--d-max", "8", "--quiet"]
TINY = math.sqrt(float(np.finfo(np.float32).tiny))  # msstereo.checks.TINY


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene("plane", shape=(32, 48), background=3.0)


@pytest.fixture(scope="module")
def pair8(scene):
    return tuple(np.round(image * 255).astype(np.uint8) for image in (scene.left, scene.right))


@pytest.fixture(scope="module")
def reference(pair8):
    """The disparity of the uint8 pair, the yardstick of rescaled inputs."""
    return msstereo.match(*pair8, **FAST).disparity


# --------------------------------------------------------------------------
# API: refused input, each ValueError naming the argument
# --------------------------------------------------------------------------

def _float(image):
    return image.astype(np.float64) / 255


API_ERRORS = [
    # class 3/6: images
    ("shapes differ", lambda l, r: (l, r[:, :-1]), {}, "left and right must have the same shape"),
    ("NaN", lambda l, r: (np.where(l > 100, np.nan, _float(l)), _float(r)), {}, "left contains NaN"),
    ("inf right", lambda l, r: (_float(l), np.where(r > 100, np.inf, _float(r))), {}, "right contains"),
    ("too small", lambda l, r: (l[:4, :4], r[:4, :4]), {}, "left is too small"),
    ("int32", lambda l, r: (l.astype(np.int32), r), {}, "left has unsupported dtype int32"),
    ("bool", lambda l, r: (l > 100, r > 100), {}, "left has unsupported dtype bool"),
    ("complex", lambda l, r: (l.astype(complex), r), {}, "left has unsupported dtype complex"),
    ("uint32", lambda l, r: (l, r.astype(np.uint32)), {}, "right has unsupported dtype uint32"),
    ("4 channels", lambda l, r: (np.dstack([l] * 4), np.dstack([r] * 4)), {}, "left must have 1 or 3 channels"),
    ("1-D", lambda l, r: (l.ravel(), r.ravel()), {}, "left must have shape"),
    ("list", lambda l, r: (l.tolist(), r), {}, "left must be a numpy array"),
    ("uint8 + float in [0, 1e-6]", lambda l, r: (l, _float(r) * 1e-6), {}, "right holds floats"),
    ("uint8 + float 10x darker", lambda l, r: (l, _float(r) * 0.1), {}, "not on one intensity scale"),
    # class 5: tiny positive parameters
    ("eta_s=1e-200", None, {"eta_s": 1e-200}, "model parameter 'eta_s'"),
    ("eta=1e-170", None, {"eta": 1e-170}, "model parameter 'eta'"),
    ("eps_h=1e-200", None, {"model": "ms-occ", "eps_h": 1e-200}, "model parameter 'eps_h'"),
    ("sigma=1e-200", None, {"model": "ms-occ", "sigma": 1e-200}, "model parameter 'sigma'"),
    ("aggregate_eps=1e-30", None, {"aggregate_eps": 1e-30}, "model parameter 'aggregate_eps'"),
    ("beta=1e300", None, {"beta": 1e300}, "model parameter 'beta'"),
    ("Relax theta_end=1e-300", None, {"solver": lambda: msstereo.Relax(theta_end=1e-300)}, "Relax option 'theta_end'"),
    # class 6: parameter types and values
    ("d_max='8'", None, {"d_max": "8"}, "d_max must be a finite number"),
    ("factor='0.5'", None, {"factor": "0.5"}, "factor must be"),
    ("min_size='24'", None, {"min_size": "24"}, "min_size must be"),
    ("eps_occl='0.1'", None, {"eps_occl": "0.1"}, "model parameter 'eps_occl'"),
    ("d_max=True", None, {"d_max": True}, "d_max must be"),
    ("d_min=np.bool_", None, {"d_min": np.bool_(True)}, "d_min must be"),
    ("d_max=nan", None, {"d_max": float("nan")}, "d_max must be"),
    ("d_max <= d_min", None, {"d_min": 9, "d_max": 8}, "d_max must be larger than d_min"),
    ("min_size=nan", None, {"min_size": float("nan")}, "min_size must be"),
    ("min_size=24.5", None, {"min_size": 24.5}, "min_size must be"),
    ("factor=1.5", None, {"factor": 1.5}, "factor must be"),
    ("robust='no'", None, {"robust": "no"}, "model parameter 'robust'"),
    ("weight='x'", None, {"weight": "x"}, "model parameter 'weight'"),
    ("fill='x'", None, {"fill": "x"}, "model parameter 'fill'"),
    ("interpolation=2", None, {"interpolation": 2}, "model parameter 'interpolation'"),
    ("census_window=4", None, {"census_window": 4}, "model parameter 'census_window'"),
    ("aggregate=2.5", None, {"aggregate": 2.5}, "model parameter 'aggregate'"),
    ("phi_steps=True", None, {"phi_steps": True}, "model parameter 'phi_steps'"),
    ("unknown parameter", None, {"gamma": 1.0}, "unknown parameter"),
    ("unknown model", None, {"model": 3}, "unknown model"),
    ("unknown solver", None, {"solver": "nope"}, "unknown solver"),
    ("dtype='foo'", None, {"dtype": "foo"}, "dtype must be float32 or float64"),
    ("dtype=None", None, {"dtype": None}, "dtype must be float32 or float64"),
    ("dtype=int16", None, {"dtype": np.int16}, "dtype must be float32 or float64"),
    ("PDE tol=nan", None, {"solver": lambda: msstereo.PDE(tol=float("nan"))}, "PDE option 'tol'"),
    ("PDE median=True", None, {"solver": lambda: msstereo.PDE(median=True)}, "PDE option 'median'"),
    ("PDE omega=2", None, {"solver": lambda: msstereo.PDE(omega=2)}, "PDE option 'omega'"),
    ("PDE scheme='x'", None, {"solver": lambda: msstereo.PDE(scheme="x")}, "PDE option 'scheme'"),
    ("Optimize max_step=0", None, {"solver": lambda: msstereo.Optimize(max_step=0)}, "Optimize option 'max_step'"),
    ("Relax iterations=3.0", None, {"solver": lambda: msstereo.Relax(iterations=3.0)}, "Relax option 'iterations'"),
    ("census with pde", None, {"census": 1.0}, "needs solver='relax'"),
    # class 7: runaway sizes
    ("PDE median=1000", None, {"solver": lambda: msstereo.PDE(median=1000)}, "PDE option 'median'"),
    ("ms-occ sigma=1e6", None, {"model": "ms-occ", "sigma": 1e6}, "model parameter 'sigma'"),
    ("factor=0.99", None, {"factor": 0.99}, "factor must be"),
    ("Relax step=1e-12", None, {"solver": lambda: msstereo.Relax(step=1e-12)}, "cost volume"),
    ("relax d_max=1e12", None, {"solver": "relax", "d_max": 1e12}, "d_max=1e+12 is beyond 2 image widths"),
    ("d_max=1e300", None, {"d_max": 1e300}, "d_max must be"),
    # class 7: a disparity range beyond the image (48 px wide), and counts beyond their bounds
    ("range wider than the image", None, {"d_min": -10, "d_max": 40},
     "d_max - d_min must be at most the image width (48 px), got d_min=-10, d_max=40"),
    ("d_min far left", None, {"d_min": -1000, "d_max": -990}, "d_min=-1000 is beyond 2 image widths (48 px)"),
    ("d_max far right", None, {"d_min": 990, "d_max": 1000}, "d_min=990 is beyond 2 image widths"),
    ("PDE warps=10**6", None, {"solver": lambda: msstereo.PDE(warps=10**6)},
     "PDE option 'warps' must be an integer in [1, 1000], got 1000000"),
    ("PDE sweeps=10**5", None, {"solver": lambda: msstereo.PDE(sweeps=10**5)}, "PDE option 'sweeps' must be an integer in [1, 1000]"),
    ("PDE backtracks=500", None, {"solver": lambda: msstereo.PDE(backtracks=500)}, "PDE option 'backtracks' must be an integer in [1, 50]"),
    ("Optimize iterations=10**6", None, {"solver": lambda: msstereo.Optimize(iterations=10**6)},
     "Optimize option 'iterations' must be an integer in [1, 1000]"),
    ("Optimize memory=10**5", None, {"solver": lambda: msstereo.Optimize(memory=10**5)}, "Optimize option 'memory' must be an integer in [1, 100]"),
    ("Relax inner=10**4", None, {"solver": lambda: msstereo.Relax(inner=10**4)}, "Relax option 'inner' must be an integer in [1, 100]"),
    ("Relax v_sweeps=10**4", None, {"solver": lambda: msstereo.Relax(v_sweeps=10**4)}, "Relax option 'v_sweeps' must be an integer in [1, 1000]"),
    ("phi_steps=10**6", None, {"phi_steps": 10**6}, "model parameter 'phi_steps' must be an integer in [1, 1000]"),
    ("weighted_median=40", None, {"weighted_median": 40}, "model parameter 'weighted_median' must be an integer in [0, 32]"),
    ("aggregate=10**4", None, {"aggregate": 10**4}, "model parameter 'aggregate' must be an integer in [0, 64]"),
    ("aggregate_scales=100", None, {"aggregate_scales": 100}, "model parameter 'aggregate_scales' must be an integer in [0, 8]"),
    ("progress='yes'", None, {"progress": "yes"}, "progress must be True, False or a callable"),
]


@pytest.mark.parametrize("case, images, kw, message", API_ERRORS, ids=[c[0] for c in API_ERRORS])
def test_api_refuses_bad_input_naming_the_argument(pair8, case, images, kw, message):
    left, right = images(*pair8) if images else pair8
    with pytest.raises(ValueError, match=re.escape(message)):
        kw = {key: value() if callable(value) else value for key, value in kw.items()}
        msstereo.match(left, right, **{**FAST, **kw})


def test_every_count_has_an_upper_bound():
    # Iterations, sweeps, filter sizes: a typo (iterations=60000) is refused, not run for hours.
    from msstereo.checks import Integer
    for cls in (msstereo.Model, msstereo.PDE, msstereo.Optimize, msstereo.Relax):
        for name, spec in cls.FIELD_SPECS.items():
            if isinstance(spec, Integer) and not spec.choices:
                assert spec.high is not None and spec.high <= 1000, (cls.__name__, name)
                with pytest.raises(ValueError, match=re.escape(f"must be an integer in [{spec.low}, {spec.high}]")):
                    spec(spec.high + 1, name)


def test_a_range_up_to_the_width_is_accepted(pair8):
    d = msstereo.match(*pair8, model="tv", solver="pde", d_min=-24, d_max=24).disparity
    assert np.all(np.isfinite(d)) and d.min() >= -24 and d.max() <= 24


# --------------------------------------------------------------------------
# API: input that must give a sound result
# --------------------------------------------------------------------------

API_SOUND = [
    # (case, images, keywords, largest mean difference from the uint8 result)
    ("uint16 holding 8-bit values", lambda l, r: (l.astype(np.uint16), r.astype(np.uint16)), {}, 0.0),
    ("big-endian uint16", lambda l, r: (l.astype(">u2"), r.astype(">u2")), {}, 0.0),
    ("np.matrix", lambda l, r: (np.asmatrix(l), np.asmatrix(r)), {}, 0.0),
    ("float [0, 255] right", lambda l, r: (l, r.astype(np.float32)), {}, 0.01),
    ("float pair in [0, 255]", lambda l, r: (l.astype(np.float64), r.astype(np.float64)), {}, 0.01),
    ("float pair in [0, 1e-6]", lambda l, r: (_float(l) * 1e-6, _float(r) * 1e-6), {}, 0.1),
    ("float64 pair beyond float32", lambda l, r: (_float(l) * 1e300, _float(r) * 1e300), {}, 0.1),
    ("float64 pair spanning the float64 range",
     lambda l, r: ((_float(l) * 2 - 1) * 1.7e308, (_float(r) * 2 - 1) * 1.7e308), {}, 0.1),
    ("12-bit uint16 pair", lambda l, r: (l.astype(np.uint16) * 16, r.astype(np.uint16) * 16), {}, 0.1),
    ("uint8 left + uint16 12-bit right", lambda l, r: (l, r.astype(np.uint16) * 16), {}, 0.1),
    ("beta=np.float32", None, {"beta": np.float32(0.03)}, 0.01),
    ("eta_s at the smallest magnitude", None, {"eta_s": TINY * 1.01}, None),
    ("eta at the largest magnitude", None, {"eta": 9e18}, None),
]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.parametrize("case, images, kw, tolerance", API_SOUND, ids=[c[0] for c in API_SOUND])
def test_api_gives_a_sound_result(pair8, reference, case, images, kw, tolerance):
    left, right = images(*pair8) if images else pair8
    d = msstereo.match(left, right, **{**FAST, **kw}).disparity
    assert d.dtype == np.float32 and d.shape == reference.shape
    assert np.all(np.isfinite(d)) and d.min() >= 0 and d.max() <= 8
    if tolerance is not None:
        assert np.abs(d - reference).mean() <= tolerance


@st.composite
def _image_pairs(draw):
    shape = draw(st.sampled_from([(8, 9), (8, 9, 1), (9, 8, 3)]))
    pair = []
    for _ in range(2):
        dtype = np.dtype(draw(st.sampled_from(["u1", "u2", ">u2", "f4", "f8", "<f8"])))
        if dtype.kind == "f":
            big = float(np.finfo(dtype).max)  # spans up to twice the largest float
            elements = st.floats(-big, big, width=dtype.itemsize * 8)
            scale = draw(st.sampled_from([1.0, 1e-6, 255.0, big]))
            pair.append(draw(hnp.arrays(dtype, shape, elements=elements.map(lambda x: x % scale))))
        else:
            pair.append(draw(hnp.arrays(dtype, shape)))
    return pair


@settings(max_examples=150, deadline=None)
@given(pair=_image_pairs())
def test_any_pair_is_brought_into_the_unit_interval_or_refused(pair):
    from msstereo.intensity import prepare_pair
    try:
        left, right, note = prepare_pair(*pair, np.float32)
    except ValueError as error:
        assert "left" in str(error) or "right" in str(error)
        assert pair[0].dtype.kind != pair[1].dtype.kind or pair[0].dtype.itemsize != pair[1].dtype.itemsize
        return
    for image in (left, right):
        assert image.dtype == np.float32 and np.all(np.isfinite(image))
        assert image.min() >= 0 and image.max() <= 1
    assert note.startswith("intensity")


def test_numpy_integer_parameters_are_stored_as_int(pair8):
    result = msstereo.match(*pair8, model="ms-occ", solver=msstereo.PDE(warps=2, median=np.int64(3)),
                            d_max=8, phi_steps=np.int64(2))
    assert result.model.phi_steps == 2 and type(result.model.phi_steps) is int
    assert type(result.solver.median) is int and np.all(np.isfinite(result.disparity))


# --------------------------------------------------------------------------
# API: files (PFM, images, scene folders) and thresholds
# --------------------------------------------------------------------------

def _png_declaring(width, height):
    """A PNG whose header declares ``width x height`` gray pixels (valid checksums, no data)."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b""))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_chunk_after_data(kind, data):
    """An 8x8 gray PNG followed by a chunk ``kind``: Pillow decodes such chunks only in ``load``."""
    raw = b"".join(b"\x00" + bytes(range(8)) for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(kind, data) + _chunk(b"IEND", b""))


CORRUPT_IMAGES = [
    ("zTXt with an unknown compression (SyntaxError)", _png_with_chunk_after_data(b"zTXt", b"k\x00\x05zz")),
    ("empty iCCP chunk (IndexError)", _png_with_chunk_after_data(b"iCCP", b"")),
    ("truncated gAMA chunk (ValueError)", _png_with_chunk_after_data(b"gAMA", b"\x00")),
    ("declares 20000x20000 pixels", _png_declaring(20000, 20000)),
    ("empty file", b""),
    ("not an image", b"hello"),
    ("PFM magic, bad header", b"Pf\nx y\n-1\n"),
]


@pytest.mark.parametrize("case, data", CORRUPT_IMAGES, ids=[c[0] for c in CORRUPT_IMAGES])
def test_unreadable_image_is_an_oserror_naming_the_file(tmp_path, case, data):
    path = tmp_path / "broken.png"
    path.write_bytes(data)
    with pytest.raises(OSError, match="broken.png"):
        read_image(path)


def test_float_images_are_read_as_floats(tmp_path):
    values = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    Image.fromarray(values, mode="F").save(tmp_path / "f.tiff")
    write_pfm(tmp_path / "f.pfm", values)
    for name in ("f.tiff", "f.pfm"):
        image = read_image(tmp_path / name)
        assert image.dtype == np.float32
        np.testing.assert_array_equal(image, values)


def _pfm(header, rows):
    return header + np.asarray(rows, "<f4")[::-1].tobytes()


@pytest.mark.parametrize("case, data, expected", [
    ("CRLF header", _pfm(b"Pf\r\n3 2\r\n-1\r\n", [[1, 2, 3], [4, 5, 6]]), [[1, 2, 3], [4, 5, 6]]),
    ("height 1, little-endian", _pfm(b"Pf\n3 1\n-1\n", [[1, 2, 3]]), [[1, 2, 3]]),
], ids=["CRLF header", "height 1"])
def test_pfm_reads_exactly_and_writably(tmp_path, case, data, expected):
    (tmp_path / "a.pfm").write_bytes(data)
    array = read_pfm(tmp_path / "a.pfm")
    np.testing.assert_array_equal(array, expected)
    assert array.flags.writeable and array.dtype == np.float32


@pytest.mark.parametrize("case, data, message", [
    ("absurd size", b"Pf\n999999999 999999999\n-1\n" + bytes(16), "truncated"),
    ("0 x 0", b"Pf\n0 0\n-1\n", "empty"),
    ("0 x 1e20", b"Pf\n0 100000000000000000000\n-1\n", "not a PFM file"),
    ("trailing bytes", _pfm(b"Pf\n1 1\n-1\n", [[1]]) + b"junk", "does not match its header"),
    ("NaN scale", b"Pf\n1 1\nnan\n" + bytes(4), "scale"),
], ids=["absurd size", "0 x 0", "0 x 1e20", "trailing bytes", "NaN scale"])
def test_pfm_refuses_bad_headers_naming_the_file(tmp_path, case, data, message):
    (tmp_path / "bad.pfm").write_bytes(data)
    with pytest.raises(OSError, match=f"bad.pfm.*{message}"):
        read_pfm(tmp_path / "bad.pfm")


def test_pfm_reader_does_not_read_a_large_file_before_its_header(tmp_path):
    import tracemalloc
    path = tmp_path / "large.pfm"
    with open(path, "wb") as f:  # 1.5 GB, sparse: no disk space used
        f.write(b"not a pfm")
        f.truncate(1_500_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(OSError, match="large.pfm"):
            read_pfm(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_pfm_reader_refuses_dev_zero():
    with pytest.raises(OSError, match="/dev/zero"):
        read_pfm("/dev/zero")


def test_write_pfm_refuses_values_beyond_float32(tmp_path):
    with pytest.raises(ValueError, match="float32 range"):
        write_pfm(tmp_path / "big.pfm", np.array([[1e300, 1.0]]))
    assert list(tmp_path.iterdir()) == []


def _scene_2014(folder, calib):
    folder.mkdir()
    for name in ("im0.png", "im1.png"):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / name)
    (folder / "calib.txt").write_text(calib)
    return folder


@pytest.mark.parametrize("ndisp", ["inf", "nan", "-5", "2.5", "0"])
def test_calib_ndisp_must_be_a_positive_integer(tmp_path, ndisp):
    folder = _scene_2014(tmp_path / "scene", f"width=8\nndisp={ndisp}\n")
    with pytest.raises(OSError, match=r"calib.txt: ndisp"):
        load_scene(folder)


def test_calib_ndisp_that_is_whole_is_read_as_int(tmp_path):
    assert load_scene(_scene_2014(tmp_path / "scene", "ndisp=64.0\n")).ndisp == 64


@pytest.mark.parametrize("info, message", [("16\n-3\n", "ndisp"), ("nan\n60\n", "scale"), ("0\n60\n", "scale")])
def test_v2_info_must_hold_a_positive_scale_and_ndisp(tmp_path, info, message):
    folder = tmp_path / "v2"
    folder.mkdir()
    for name in ("imL.png", "imR.png", "groundtruth.png"):
        Image.fromarray(np.full((8, 8), 16, np.uint8)).save(folder / name)
    (folder / "info.txt").write_text(info)
    with pytest.raises(OSError, match=f"info.txt.*{message}"):
        load_scene(folder)


def test_scene_scale_is_checked_naming_it(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        load_scene(tmp_path, scale="abc")


@pytest.mark.parametrize("threshold", [float("nan"), -1.0, "1", True, float("inf")])
def test_thresholds_are_checked(threshold):
    gt = np.zeros((4, 4))
    with pytest.raises(ValueError, match="threshold"):
        bad_pixels(gt, gt, threshold=threshold)
    scene = msstereo.datasets.Scene("s", gt, gt, disparity=gt, masks={"all": gt == 0})
    with pytest.raises(ValueError, match="threshold"):
        evaluate_v2(gt, scene, thresholds=(1.0, threshold))


# --------------------------------------------------------------------------
# CLI: one line, exit code, inputs never changed, outputs all or nothing
# --------------------------------------------------------------------------

def snapshot(folder):
    """Every file and folder under ``folder``: bytes for files, None for folders."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err, *needles):
    assert "Traceback" not in err and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture
def files(tmp_path, pair8):
    """``im0.png``, ``im1.png`` (the uint8 pair) in a fresh folder."""
    for name, image in zip(("im0.png", "im1.png"), pair8):
        Image.fromarray(image).save(tmp_path / name)
    return tmp_path


def _setup_pfm_inputs(folder, pair8):
    for name, image in zip(("left.pfm", "right.pfm"), pair8):
        write_pfm(folder / name, image / 255.0)
    return ["left.pfm", "right.pfm"]


def _setup_dir_at(name):
    def setup(folder, pair8):
        (folder / name).mkdir()
        return ["im0.png", "im1.png"]
    return setup


def _setup_dir_input(folder, pair8):
    (folder / "dir.png").mkdir()
    return ["dir.png", "im1.png"]


def _setup_image(name, data):
    def setup(folder, pair8):
        (folder / name).write_bytes(data)
        return [name, "im1.png"]
    return setup


def _setup_side_file_input(folder, pair8):
    (folder / "d.v.png").write_bytes((folder / "im0.png").read_bytes())
    return ["d.v.png", "im1.png"]


def _setup_dark_right(folder, pair8):
    write_pfm(folder / "dark.pfm", pair8[1] / 255.0 * 1e-6)
    return ["im0.png", "dark.pfm"]


def _setup_nan_left(folder, pair8):
    write_pfm(folder / "nan.pfm", np.where(pair8[0] > 100, np.nan, pair8[0] / 255.0))
    return ["nan.pfm", "im1.png"]


def _inputs(folder, pair8):
    return ["im0.png", "im1.png"]


def _beside_scene_files(folder, pair8):
    """The pair inside a 2014 scene folder: its ground truth, calibration and masks beside it."""
    write_pfm(folder / "disp0.pfm", np.full(pair8[0].shape, 3.0))
    write_pfm(folder / "disp0GT.pfm", np.full(pair8[0].shape, 3.0))
    (folder / "calib.txt").write_text("ndisp=8\n")
    Image.fromarray(np.full(pair8[0].shape, 255, np.uint8)).save(folder / "mask0nocc.png")
    Image.fromarray(np.full(pair8[0].shape, 255, np.uint8)).save(folder / "nonocc.png")
    return ["im0.png", "im1.png"]


def _setup_fifo(folder, pair8):
    os.mkfifo(folder / "pipe.png")
    return ["pipe.png", "im1.png"]


CLI_ERRORS = [
    # class 1: outputs that would replace an input
    ("-o named after the left image", _inputs, ["-o", "im0.pfm"], "would overwrite the input"),
    ("-o equal to an input PFM", _setup_pfm_inputs, ["-o", "left.pfm"], "would overwrite the input"),
    ("side file named like an input", _setup_side_file_input, ["-o", "d.pfm"], "would overwrite the input"),
    # class 2: targets that cannot be written, refused before the match
    ("-o is a directory", _setup_dir_at("d.pfm"), ["-o", "d.pfm"], "is a directory"),
    ("directory at OUT.png", _setup_dir_at("d.png"), ["-o", "d.pfm"], "d.png is a directory"),
    ("parent of -o is a file", _inputs, ["-o", "im0.png/d.pfm"], "is not a folder"),
    ("parent of -o is missing", _inputs, ["-o", "missing/d.pfm"], "does not exist"),
    ("-o not .pfm", _inputs, ["-o", "d.txt"], ".pfm"),
    # class 1b: the files of the scene folder the images sit in, and -o against --sdk
    ("-o onto the scene's disp0.pfm", _beside_scene_files, ["-o", "disp0.pfm"], "would overwrite the input"),
    ("-o whose colour map is a scene mask", _beside_scene_files, ["-o", "nonocc.pfm"], "nonocc.png would overwrite"),
    ("--sdk GT beside the images", _beside_scene_files, ["--sdk", "GT", "-o", "d.pfm"], "disp0GT.pfm would overwrite"),
    ("-o and --sdk name one file", _inputs, ["-o", "disp0X.pfm", "--sdk", "X"],
     "-o disp0X.pfm and --sdk name one file"),
    ("name too long for the file system", _inputs, ["-o", "d" * 240 + ".pfm"], "name too long for the file system"),
    # class 3/4: images
    ("corrupt PNG chunk", _setup_image("bad.png", _png_with_chunk_after_data(b"zTXt", b"k\x00\x05zz")), [], "bad.png"),
    ("decompression bomb", _setup_image("bomb.png", _png_declaring(20000, 20000)), [], "bomb.png"),
    ("empty image file", _setup_image("empty.png", b""), [], "empty.png"),
    ("input is a directory", _setup_dir_input, [], "dir.png"),
    ("input is a FIFO", _setup_fifo, [], "pipe.png: cannot read a FIFO"),
    ("NaN in a float image", _setup_nan_left, [], "left contains NaN"),
    ("uint8 + float in [0, 1e-6]", _setup_dark_right, [], "right holds floats"),
    # class 6: --param and options
    ("--param fill=nope", _inputs, ["--param", "fill=nope"], "model parameter 'fill'"),
    ("--param robust=maybe", _inputs, ["--param", "robust=maybe"], "model parameter 'robust'"),
    ("--param phi_steps=2.5", _inputs, ["--param", "phi_steps=2.5"], "model parameter 'phi_steps'"),
    ("--param beta=abc", _inputs, ["--param", "beta=abc"], "model parameter 'beta'"),
    ("--param eta_s=1e-200", _inputs, ["--param", "eta_s=1e-200"], "model parameter 'eta_s'"),
    ("--param gamma=1", _inputs, ["--param", "gamma=1"], "model parameter 'gamma'"),
    ("--param name=x", _inputs, ["--param", "name=x"], "model parameter 'name' cannot be set"),
    # class 7: runaway work, refused before the match
    ("--solver-option warps=5000", _inputs, ["--solver-option", "warps=5000"],
     "PDE option 'warps' must be an integer in [1, 1000], got 5000"),
    ("--solver-option median=99", _inputs, ["--solver-option", "median=99"], "PDE option 'median' must be an integer in [0, 31]"),
    ("--param phi_steps=100000", _inputs, ["--param", "phi_steps=100000"],
     "model parameter 'phi_steps' must be an integer in [1, 1000]"),
    ("--d-max 60", _inputs, ["--d-min", "0", "--d-max", "60"], "d_max - d_min must be at most the image width (48 px)"),
    ("--d-min -500", _inputs, ["--d-min", "-500", "--d-max", "-480"], "d_min=-500 is beyond 2 image widths"),
    ("--d-max nan", _inputs, ["--d-max", "nan"], "d_max"),
    ("--d-max abc", _inputs, ["--d-max", "abc"], "--d-max"),
]


@pytest.fixture
def no_hang():
    """Fail instead of hanging: a read that blocks (a FIFO) raises TimeoutError after 10 s."""
    import signal

    def timeout(*args):
        raise TimeoutError("blocked for 10 s")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case, setup, args, message", CLI_ERRORS, ids=[c[0] for c in CLI_ERRORS])
def test_cli_refuses_bad_input_in_one_line_and_touches_nothing(files, pair8, capsys, monkeypatch, no_hang,
                                                               case, setup, args, message):
    inputs = setup(files, pair8)
    monkeypatch.chdir(files)
    before = snapshot(files)
    argv = ["match", *inputs, *(args if "-o" in args else [*args, "-o", "d.pfm"]), *CLI_FAST]
    if "--d-max" in args:
        argv = ["match", *inputs, "-o", "d.pfm", "--model", "tv", "--solver", "pde", *args, "--quiet"]
    try:
        code, _, err = run(argv, capsys)
    except SystemExit as exit:  # argparse
        code, err = exit.code, capsys.readouterr().err
    assert code == 2
    assert_one_line(err, message)
    assert snapshot(files) == before


def test_cli_reads_negative_numbers_in_exponent_notation(files, capsys, monkeypatch):
    seen = {}

    def spy(left, right, args, d_max):
        seen.update(d_min=args.d_min, d_max=args.d_max)
        raise KeyboardInterrupt
    monkeypatch.setattr("msstereo.cli._run", spy)
    monkeypatch.chdir(files)
    code, _, err = run(["match", "im0.png", "im1.png", "-o", "d.pfm", "--d-min", "-1e1", "--d-max", "-.5E+1"],
                       capsys)
    assert code == 130 and seen == {"d_min": -10.0, "d_max": -5.0}, err


def _scene_2014_with(folder, pair8, **files):
    """A 2014 folder of the pair, with ``files`` (name: bytes or array) replaced or added."""
    folder.mkdir()
    for name, image in zip(("im0.png", "im1.png"), pair8):
        Image.fromarray(image).save(folder / name)
    write_pfm(folder / "disp0.pfm", np.full(pair8[0].shape, 3.0))
    (folder / "calib.txt").write_text("ndisp=8\n")
    for name, content in files.items():
        name = name.replace("_", ".")
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif name.endswith(".pfm"):
            write_pfm(folder / name, content)
        else:
            Image.fromarray(content).save(folder / name)
    return folder


SCENE_ERRORS = [
    ("mask of another size", {"mask0nocc_png": np.full((8, 9), 255, np.uint8)},
     "mask0nocc.png: size 9x8 differs from the left image's 48x32"),
    ("3-channel ground truth", {"disp0_pfm": np.full((32, 48, 3), 3.0)},
     "disp0.pfm: ground truth must have one channel"),
    ("ground truth of another size", {"disp0_pfm": np.full((32, 47), 3.0)}, "disp0.pfm: size 47x32"),
    ("ndisp beyond the width", {"calib_txt": b"ndisp=1e12\n"}, "calib.txt: ndisp 1000000000000 is larger"),
    ("right image of another size", {"im1_png": np.zeros((32, 40), np.uint8)}, "im1.png: size 40x32"),
]


@pytest.mark.parametrize("case, changes, message", SCENE_ERRORS, ids=[c[0] for c in SCENE_ERRORS])
def test_cli_scene_errors_name_the_file_before_the_match(tmp_path, pair8, capsys, monkeypatch, case, changes,
                                                        message):
    def no_match(*args, **kwargs):
        raise AssertionError("the match started")
    monkeypatch.setattr("msstereo.cli._run", no_match)
    folder = _scene_2014_with(tmp_path / "scene", pair8, **changes)
    before = snapshot(tmp_path)
    code, _, err = run(["match", str(folder), "-o", str(tmp_path / "d.pfm"), "--quiet"], capsys)
    assert code == 2
    assert_one_line(err, message)
    assert snapshot(tmp_path) == before


def test_cli_refuses_a_target_name_too_long_before_the_match(files, capsys, monkeypatch):
    def no_match(*args, **kwargs):
        raise AssertionError("the match started")
    monkeypatch.setattr("msstereo.cli._run", no_match)
    monkeypatch.chdir(files)
    code, _, err = run(["match", "im0.png", "im1.png", "-o", "e" * 245 + ".pfm", "--quiet"], capsys)
    assert code == 2
    assert_one_line(err, "name too long for the file system")


def test_cli_eval_names_a_missing_scene_folder(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    write_pfm("d.pfm", np.zeros((4, 4)))
    code, _, err = run(["eval", "d.pfm", "no/such/scene"], capsys)
    assert code == 2
    assert_one_line(err, "no/such/scene: no such scene folder or ground-truth file")


def test_cli_eval_error_map_never_replaces_a_scene_file_beside_a_ground_truth(files, pair8, capsys, monkeypatch):
    monkeypatch.chdir(files)
    _beside_scene_files(files, pair8)
    write_pfm("d.pfm", np.full(pair8[0].shape, 3.0))
    before = snapshot(files)
    code, _, err = run(["eval", "d.pfm", "disp0GT.pfm", "--error-map", "mask0nocc.png"], capsys)
    assert code == 2
    assert_one_line(err, "mask0nocc.png would overwrite the input")
    assert snapshot(files) == before

def test_cli_reads_uint16_float_tiff_and_pfm_pairs_like_uint8(files, pair8, reference, capsys, monkeypatch):
    monkeypatch.chdir(files)
    for name, image in zip("lr", pair8):
        Image.fromarray(image.astype(np.uint16)).save(f"{name}16.png")        # 8-bit values in 16 bits
        Image.fromarray((image / 255).astype(np.float32), mode="F").save(f"{name}.tiff")
        write_pfm(f"{name}.pfm", image / 255.0)
    for left, right, tolerance in (("l16.png", "r16.png", 0.0), ("l.tiff", "r.tiff", 0.01),
                                   ("l.pfm", "r.pfm", 0.01), ("im0.png", "r.pfm", 0.01)):
        code, out, err = run(["match", left, right, "-o", "d.pfm", *CLI_FAST], capsys)
        assert code == 0, err
        assert np.abs(read_pfm("d.pfm") - reference).mean() <= tolerance, (left, right)


def test_cli_param_sets_string_and_boolean_fields(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    argv = ["match", "im0.png", "im1.png", "-o", "d.pfm", *CLI_FAST,
            "--param", "fill=background", "--param", "robust=false", "--param", "phi_steps=3"]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert {"d.pfm", "d.png"} <= set(snapshot(files))


def test_cli_rerun_with_another_model_removes_the_side_files_it_wrote(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    inputs = {k: v for k, v in snapshot(files).items()}
    assert run(["match", "im0.png", "im1.png", "-o", "d.pfm", *CLI_FAST, "--model", "ms-tv"], capsys)[0] == 0
    assert (files / "d.v.png").exists()
    code, out, _ = run(["match", "im0.png", "im1.png", "-o", "d.pfm", *CLI_FAST], capsys)
    assert code == 0 and "removed files of an earlier run" in out and "d.v.png" in out
    after = snapshot(files)
    assert sorted(after) == sorted([*inputs, "d.pfm", "d.png", ".d.pfm.msstereo.json"])
    assert all(after[name] == data for name, data in inputs.items())


def test_cli_keeps_user_files_named_like_side_files(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    mine = {"res.right.pfm": b"my right view", "res.occlusion.png": b"mine"}
    for name, data in mine.items():
        (files / name).write_bytes(data)
    assert run(["match", "im0.png", "im1.png", "-o", "res.pfm", *CLI_FAST, "--model", "ms-tv"], capsys)[0] == 0
    (files / "res.v.png").write_bytes(b"edited after the run")  # the run's file, changed by the user
    code, out, _ = run(["match", "im0.png", "im1.png", "-o", "res.pfm", *CLI_FAST], capsys)
    assert code == 0 and "removed" not in out and "kept files" in out and "res.right.pfm" in out
    after = snapshot(files)
    assert after["res.v.png"] == b"edited after the run"
    assert {name: after[name] for name in ("res.right.pfm", "res.occlusion.png")} == {
        "res.right.pfm": b"my right view", "res.occlusion.png": b"mine"}


def _failing_on_call(n, error):
    """A stand-in for a writer that raises ``error`` on its ``n``-th call and writes otherwise."""
    from msstereo import cli
    real, calls = cli.write_png, []

    def writer(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise error
        return real(*args, **kwargs)
    return writer


@pytest.mark.parametrize("error, code, message", [
    (OSError("disk full"), 2, "disk full"),
    (KeyboardInterrupt(), 130, "interrupted"),
], ids=["write error", "Ctrl-C"])
def test_cli_failure_while_writing_leaves_the_previous_set(files, capsys, monkeypatch, error, code, message):
    monkeypatch.chdir(files)
    argv = ["match", "im0.png", "im1.png", "-o", "d.pfm", *CLI_FAST, "--model", "ms-occ"]
    assert run(argv, capsys)[0] == 0
    before = snapshot(files)
    assert len(before) == 2 + 9 + 1  # the pair, the files of ms-occ (its confidence too), the manifest
    monkeypatch.setattr("msstereo.cli.write_png", _failing_on_call(3, error))
    result, _, err = run([*argv, "--param", "beta=0.2"], capsys)
    assert result == code
    assert_one_line(err, message)
    assert snapshot(files) == before  # no file replaced, no temporary left


@pytest.mark.parametrize("error", [
    KeyboardInterrupt(),
    SystemError("<built-in function> returned a result with an exception set"),
], ids=["KeyboardInterrupt", "SystemError wrapping it (Numba)"])
def test_cli_ctrl_c_during_the_match_prints_one_line_and_exits_130(files, capsys, monkeypatch, error):
    if isinstance(error, SystemError):
        error.__context__ = KeyboardInterrupt()

    def interrupted(*args, **kwargs):
        raise error
    monkeypatch.setattr("msstereo.cli.match", interrupted)
    monkeypatch.chdir(files)
    before = snapshot(files)
    code, _, err = run(["match", "im0.png", "im1.png", "-o", "d.pfm", "--quiet"], capsys)
    assert code == 130
    assert_one_line(err, "interrupted")
    assert snapshot(files) == before
