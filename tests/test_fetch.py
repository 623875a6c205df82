"""msstereo.datasets.fetch against a local HTTP server on the loopback address.

The server serves a folder built in tmp_path with the Middlebury site's
paths: the project's copies of the v2 and 2005 files where the pinned hashes
are checked, synthetic scenes where the files are unpinned. No test reaches
the outside network.
"""

import functools
import hashlib
import http.server
import shutil
import sys
import threading
import zipfile

import numpy as np
import pytest

from msstereo.datasets import FETCH_SCENES, UnverifiedDownloadWarning, fetch, get_scene, load_scene
from msstereo.fetch import PINNED_SHA256
from msstereo.io import write_pfm, write_png
from msstereo.synthetic import synthetic_scene


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # record requests instead of printing them
        self.server.requests.append(self.path)


@pytest.fixture
def site(tmp_path):
    """(folder served, base URL, list of request paths) of a server on 127.0.0.1."""
    folder = tmp_path / "site"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/", server.requests
    server.shutdown()
    server.server_close()
    thread.join(5)


def _zip(path, files):
    """Write a zip archive of ``{member name: bytes}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def _v2_site(folder, data_root, scene):
    target = folder / "eval" / "newEval" / scene
    target.mkdir(parents=True)
    for name in ("imL.png", "imR.png", "groundtruth.png", "nonocc.png", "all.png", "disc.png"):
        shutil.copy(data_root / "middlebury" / "v2" / scene / name, target / name)
    return target


def _png_bytes(tmp_path, image):
    path = tmp_path / "tmp.png"
    write_png(path, image)
    return path.read_bytes()


def _uint8(image):
    return np.round(255 * image).astype(np.uint8)


def test_v2_scene_is_downloaded_checked_against_pinned_hashes_and_cached(site, data_root, tmp_path):
    folder, url, requests = site
    _v2_site(folder, data_root, "venus")
    scene_folder = fetch("v2", "Venus", root=tmp_path / "data", base_url=url)
    assert scene_folder == tmp_path / "data" / "middlebury" / "v2" / "venus"
    assert sorted(requests) == sorted(f"/eval/newEval/venus/{name}" for name in
                                      ("imL.png", "imR.png", "groundtruth.png", "nonocc.png",
                                       "all.png", "disc.png"))
    fetched, reference = load_scene(scene_folder), get_scene("venus", data_root)
    assert fetched.ndisp == reference.ndisp == 19
    np.testing.assert_array_equal(fetched.left, reference.left)
    np.testing.assert_array_equal(fetched.disparity, reference.disparity)
    assert set(fetched.masks) == {"nonocc", "all", "disc"}
    # A second call finds good copies and downloads nothing.
    fetch("v2", "venus", root=tmp_path / "data", base_url=url)
    assert len(requests) == 6
    # The served files are the pinned ones, byte for byte.
    digest = hashlib.sha256((scene_folder / "imL.png").read_bytes()).hexdigest()
    assert digest == PINNED_SHA256["eval/newEval/venus/imL.png"]


def test_v2_file_that_differs_from_its_pinned_hash_is_refused(site, tmp_path):
    folder, url, _ = site
    target = folder / "eval" / "newEval" / "tsukuba"
    target.mkdir(parents=True)
    for name in ("imL.png", "imR.png", "groundtruth.png", "nonocc.png", "all.png", "disc.png"):
        (target / name).write_bytes(b"not the Middlebury file")
    with pytest.raises(ValueError, match="pinned hash"):
        fetch("v2", "tsukuba", root=tmp_path / "data", base_url=url)
    assert not (tmp_path / "data" / "middlebury" / "v2" / "tsukuba" / "imL.png").exists()


def test_2005_archive_is_unpacked_and_its_pinned_files_checked(site, data_root, tmp_path):
    folder, url, requests = site
    source = data_root / "middlebury" / "2005" / "Art"
    files = {f"Art/{p.name}": p.read_bytes() for p in source.iterdir()}
    files["Art/dmin.txt"] = b"200\n"
    _zip(folder / "data/scenes2005/ThirdSize/zip-2views/Art-2views.zip", files)
    root = tmp_path / "data"
    with pytest.warns(UnverifiedDownloadWarning, match="SHA-256 [0-9a-f]{64}"):
        scene_folder = fetch("2005", "art", root=root, base_url=url)
    assert scene_folder == root / "middlebury" / "2005" / "Art"
    assert requests == ["/data/scenes2005/ThirdSize/zip-2views/Art-2views.zip"]
    assert not list((root / "middlebury" / "downloads").rglob("*.zip"))  # archive removed
    fetched, reference = get_scene("art", root), get_scene("art", data_root)
    np.testing.assert_array_equal(fetched.disparity, reference.disparity)
    np.testing.assert_array_equal(fetched.masks["nonocc"], reference.masks["nonocc"])
    fetch("2005", "Art", root=root, base_url=url)
    assert len(requests) == 1


def test_2005_archive_whose_pinned_file_differs_is_refused(site, tmp_path):
    folder, url, _ = site
    files = {f"Laundry/{name}": b"changed" for name in ("view1.png", "view5.png", "disp1.png",
                                                         "disp5.png")}
    _zip(folder / "data/scenes2005/ThirdSize/zip-2views/Laundry-2views.zip", files)
    with pytest.warns(UnverifiedDownloadWarning), pytest.raises(ValueError, match="not the pinned"):
        fetch("2005", "laundry", root=tmp_path / "data", base_url=url)
    assert not (tmp_path / "data" / "middlebury" / "2005" / "Laundry").exists()


def test_2006_half_size_archive_unpinned_with_a_warning(site, tmp_path):
    folder, url, _ = site
    scene = synthetic_scene("step", shape=(48, 640), background=2.0, foreground=5.0)
    disparity = np.round(2 * scene.disparity).astype(np.uint8)  # half size: stored times 2
    files = {"view1.png": _png_bytes(tmp_path, _uint8(scene.left)),
             "view5.png": _png_bytes(tmp_path, _uint8(scene.right)),
             "disp1.png": _png_bytes(tmp_path, disparity)}
    _zip(folder / "data/scenes2006/HalfSize/zip-2views/Aloe-2views.zip",
         {f"Aloe/{name}": data for name, data in files.items()})
    with pytest.warns(UnverifiedDownloadWarning, match="Aloe-2views.zip: no pinned hash"):
        scene_folder = fetch("2006", "ALOE", size="half", root=tmp_path / "data", base_url=url)
    assert scene_folder == tmp_path / "data" / "middlebury" / "2006-half" / "Aloe"
    loaded = load_scene(scene_folder)
    np.testing.assert_allclose(loaded.disparity, disparity / 2.0)


def test_2014_scene_files_unpinned_with_a_warning_each(site, tmp_path):
    folder, url, requests = site
    scene = synthetic_scene("step", shape=(40, 56))
    served = folder / "data" / "scenes2014" / "datasets" / "Piano-imperfect"
    served.mkdir(parents=True)
    write_png(served / "im0.png", _uint8(scene.left))
    write_png(served / "im1.png", _uint8(scene.right))
    write_pfm(served / "disp0.pfm", scene.disparity.astype(np.float32))
    write_pfm(served / "disp1.pfm", scene.disparity.astype(np.float32))
    (served / "calib.txt").write_text("ndisp=12\nwidth=56\nheight=40\n")
    with pytest.warns(UnverifiedDownloadWarning) as record:
        scene_folder = fetch("2014", "piano", calibration="imperfect", root=tmp_path / "data",
                             base_url=url.rstrip("/"))
    assert len(record) == 5 and len(requests) == 5
    loaded = load_scene(scene_folder)
    assert scene_folder.name == "Piano-imperfect" and loaded.ndisp == 12
    np.testing.assert_array_equal(loaded.disparity, scene.disparity.astype(np.float32))


def test_an_archive_member_leaving_the_scene_folder_is_refused(site, tmp_path):
    folder, url, _ = site
    _zip(folder / "data/scenes2006/ThirdSize/zip-2views/Wood1-2views.zip",
         {"view1.png": b"x", "../escape.txt": b"x"})
    with pytest.warns(UnverifiedDownloadWarning), pytest.raises(OSError, match="unsafe"):
        fetch("2006", "wood1", root=tmp_path / "data", base_url=url)
    assert not list(tmp_path.rglob("escape.txt"))


@pytest.mark.parametrize("args, kwargs, message", [
    (("2003", "teddy"), {}, "dataset must be one of"),
    (("2005", "computer"), {}, "2005 scene must be one of"),
    (("2006", "aloe"), {"size": "quarter"}, "size must be one of"),
    (("2014", "piano"), {"calibration": "exact"}, "calibration must be one of"),
])
def test_unknown_names_are_refused_before_any_download(args, kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        fetch(*args, root=tmp_path, base_url="http://127.0.0.1:9/", **kwargs)


def test_fetch_needs_pooch_and_says_which_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pooch", None)
    with pytest.raises(ImportError, match=r"msstereo\[data\]"):
        fetch("v2", "tsukuba", root=tmp_path)


def test_every_dataset_lists_its_scenes_and_pins_only_known_files():
    assert set(FETCH_SCENES) == {"v2", "2005", "2006", "2014"}
    assert [len(FETCH_SCENES[d]) for d in ("v2", "2005", "2006", "2014")] == [4, 6, 21, 23]
    assert len(PINNED_SHA256) == 32
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in PINNED_SHA256.values())


def test_command_line_fills_a_data_folder_the_benchmarks_can_read(site, data_root, tmp_path, capsys):
    """``python -m msstereo.fetch --root DIR`` then ``MSSTEREO_DATA=DIR``: every scene loads."""
    from msstereo.fetch import main

    folder, url, _ = site
    for scene in ("tsukuba", "venus", "teddy", "cones"):
        _v2_site(folder, data_root, scene)
    for scene in ("Art", "Laundry"):
        source = data_root / "middlebury" / "2005" / scene
        _zip(folder / f"data/scenes2005/ThirdSize/zip-2views/{scene}-2views.zip",
             {f"{scene}/{p.name}": p.read_bytes() for p in source.iterdir()})
    root = tmp_path / "data"
    with pytest.warns(UnverifiedDownloadWarning):  # the two archives
        assert main(["--root", str(root), "--base-url", url]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6
    for name in ("tsukuba", "venus", "teddy", "cones", "art", "laundry"):
        np.testing.assert_array_equal(get_scene(name, root).left, get_scene(name, data_root).left)
    assert main(["2005", "computer", "--root", str(root), "--base-url", url]) == 1
    assert "2005 scene must be one of" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Corrupt downloads, interruptions: one line, no debris, nothing kept that fails again
# --------------------------------------------------------------------------

def _debris(root):
    """Folders left empty, half-unpacked scenes and archives in the data folder ``root``."""
    top = root / "middlebury"
    return sorted(str(p.relative_to(root)) for p in top.rglob("*")
                  if p.name.endswith((".partial", ".zip")) or (p.is_dir() and not any(p.iterdir())))


def _aloe_archive(tmp_path):
    scene = synthetic_scene("step", shape=(24, 40), background=2.0, foreground=5.0)
    files = {"view1.png": _png_bytes(tmp_path, _uint8(scene.left)),
             "view5.png": _png_bytes(tmp_path, _uint8(scene.right))}
    return {f"Aloe/{name}": data for name, data in files.items()}


def test_a_corrupt_cached_archive_is_removed_and_reported_in_one_line(site, tmp_path, capsys):
    from msstereo.fetch import main
    folder, url, requests = site
    served = folder / "data/scenes2006/ThirdSize/zip-2views/Aloe-2views.zip"
    _zip(served, _aloe_archive(tmp_path))
    root = tmp_path / "data"
    cached = root / "middlebury" / "downloads" / "2006" / "Aloe-2views.zip"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK\x03\x04 an interrupted download")  # kept by an earlier run
    argv = ["2006", "aloe", "--root", str(root), "--base-url", url]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "archive is corrupt" in err, err
    assert requests == [] and not cached.exists() and _debris(root) == []
    with pytest.warns(UnverifiedDownloadWarning):  # the next run downloads it again, and unpacks it
        assert main(argv) == 0
    assert len(requests) == 1 and (root / "middlebury" / "2006" / "Aloe" / "view5.png").is_file()
    assert _debris(root) == []


def test_an_archive_that_fails_while_unpacking_leaves_no_half_scene(site, tmp_path):
    folder, url, _ = site
    served = folder / "data/scenes2006/ThirdSize/zip-2views/Aloe-2views.zip"
    _zip(served, _aloe_archive(tmp_path))
    data = bytearray(served.read_bytes())
    at = data.index(b"IDAT") + 8  # inside the first member's data: its CRC no longer matches
    data[at] ^= 0xFF
    served.write_bytes(bytes(data))
    root = tmp_path / "data"
    with pytest.warns(UnverifiedDownloadWarning), pytest.raises(OSError, match="archive is corrupt"):
        fetch("2006", "aloe", root=root, base_url=url)
    assert _debris(root) == [] and not (root / "middlebury" / "2006" / "Aloe").exists()


def test_a_refused_download_leaves_no_empty_folder(site, tmp_path):
    folder, url, _ = site
    (folder / "eval" / "newEval" / "tsukuba").mkdir(parents=True)
    (folder / "eval" / "newEval" / "tsukuba" / "imL.png").write_bytes(b"not the Middlebury file")
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="pinned hash"):
        fetch("v2", "tsukuba", root=root, base_url=url)
    assert not (root / "middlebury").exists()


@pytest.mark.parametrize("interrupt, code, word", [(KeyboardInterrupt(), 130, "interrupted"),
                                                   (None, 143, "terminated")], ids=["Ctrl-C", "SIGTERM"])
def test_ctrl_c_or_sigterm_during_fetch_prints_one_line(monkeypatch, tmp_path, capsys, interrupt, code, word):
    import os
    import signal

    import msstereo.fetch as module

    def download(*args, **kwargs):
        if interrupt is None:
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            raise interrupt
        for _ in range(1000):  # the signal arrives between two steps
            pass
        raise AssertionError("not interrupted")
    monkeypatch.setattr(module, "fetch", download)
    assert module.main(["v2", "tsukuba", "--root", str(tmp_path)]) == code
    assert capsys.readouterr().err == f"error: {word}\n"
