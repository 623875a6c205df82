"""Download and cache the public Middlebury stereo scenes.

:func:`fetch` downloads one scene of the Middlebury v2 evaluation, the 2005
or 2006 data sets (two views, any of the three sizes) or the 2014 data set
into a local data folder, in a layout that :func:`msstereo.datasets.load_scene`
reads, and returns the scene's folder. Files already there are not
downloaded again. It needs pooch (``pip install "msstereo[data]"``), a small
download-and-cache library kept out of the core dependencies because
matching never touches the network.

Integrity: a file is checked against a pinned SHA-256 hash where this
project knows one, and downloaded unverified, with an
:class:`UnverifiedDownloadWarning` that gives its hash, where it does not.
The pinned hashes (:data:`PINNED_SHA256`) are those of the copies of the
Middlebury files that the project's tests run on: the 24 files of the v2
evaluation folders and the images and ground truth of Art and Laundry in
the third-size 2005 two-view archives. They were taken from those copies,
not from a download made by this project, and no other file's hash is
known here, so the 2005 and 2006 archives, the other 2005 scenes and
sizes, the 2006 scenes and the 2014 files are unverified.

References
----------
.. [1] D. Scharstein and R. Szeliski, "A taxonomy and evaluation of dense
       two-frame stereo correspondence algorithms", IJCV 47, 2002 (v2).
.. [2] D. Scharstein and C. Pal, "Learning conditional random fields for
       stereo", CVPR 2007; H. Hirschmüller and D. Scharstein, "Evaluation of
       cost functions for stereo matching", CVPR 2007 (2005, 2006).
.. [3] D. Scharstein et al., "High-resolution stereo datasets with
       subpixel-accurate ground truth", GCPR 2014 (2014).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ._signals import EXIT_CODES, signal_of, signals_raise

__all__ = ["fetch", "main", "MIDDLEBURY_URL", "FETCH_SCENES", "DATA_FOLDER", "PINNED_SHA256",
           "UnverifiedDownloadWarning"]

#: Root of the public Middlebury stereo pages; ``base_url`` of :func:`fetch` replaces it.
MIDDLEBURY_URL = "https://vision.middlebury.edu/stereo/"

# v2: the evaluation folder's files, and (scale, ndisp) of the info.txt that
# load_scene reads (written by fetch: the evaluation folders do not hold one).
_V2_FILES = ("imL.png", "imR.png", "groundtruth.png", "nonocc.png", "all.png", "disc.png")
_V2_INFO = {"tsukuba": (16, 15), "venus": (8, 19), "teddy": (4, 59), "cones": (4, 59)}

# 2014: the files of a scene folder that load_scene uses (the folders hold more).
_2014_FILES = ("im0.png", "im1.png", "disp0.pfm", "disp1.pfm", "calib.txt")

#: Scenes with public ground truth, per data set.
FETCH_SCENES = {
    "v2": tuple(_V2_INFO),
    "2005": ("Art", "Books", "Dolls", "Laundry", "Moebius", "Reindeer"),
    "2006": ("Aloe", "Baby1", "Baby2", "Baby3", "Bowling1", "Bowling2", "Cloth1", "Cloth2",
             "Cloth3", "Cloth4", "Flowerpots", "Lampshade1", "Lampshade2", "Midd1", "Midd2",
             "Monopoly", "Plastic", "Rocks1", "Rocks2", "Wood1", "Wood2"),
    "2014": ("Adirondack", "Backpack", "Bicycle1", "Cable", "Classroom1", "Couch", "Flowers",
             "Jadeplant", "Mask", "Motorcycle", "Piano", "Pipes", "Playroom", "Playtable",
             "Recycle", "Shelves", "Shopvac", "Sticks", "Storage", "Sword1", "Sword2",
             "Umbrella", "Vintage"),
}

#: The scenes that the tests and benchmarks read from a data folder, as ``(dataset, scene)``
#: (third size for 2005): what ``python -m msstereo.fetch`` downloads by default.
DATA_FOLDER = tuple(("v2", scene) for scene in FETCH_SCENES["v2"]) + (("2005", "Art"), ("2005", "Laundry"))

_SIZES = {"full": "FullSize", "half": "HalfSize", "third": "ThirdSize"}
_CALIBRATIONS = ("perfect", "imperfect")

#: SHA-256 of the files whose content this project knows, keyed by the path
#: under :data:`MIDDLEBURY_URL` (``ARCHIVE#NAME`` for a file of a scene
#: archive): the copies its tests run on (see the module notes).
PINNED_SHA256 = {
    "eval/newEval/tsukuba/imL.png": "e29144841f4e2200e88eb6ad928cfa3ee0c55ccac0a28532c9293c4a5e0b284d",
    "eval/newEval/tsukuba/imR.png": "fb4e8b1561c177a9aba23693bd576d0e06f5778b8d44e1c1cc5c5dd35d5fd1d4",
    "eval/newEval/tsukuba/groundtruth.png": "d59622b3a43249bbc93beec2e326df6428580a63d13cbf64da4a5659dfee270b",
    "eval/newEval/tsukuba/nonocc.png": "826a3b8521c9fdcb8f05401e4676262c68d85251adbae1507e2c984c19d5b211",
    "eval/newEval/tsukuba/all.png": "17630759fd7f99aba9b8d17ec66973974b30a938c9c542ce8ec4f497e3ea64ca",
    "eval/newEval/tsukuba/disc.png": "5cc99c325e09f24f5f812ccd8022ea25014a2f85a84731c899199e26d3c16cfc",
    "eval/newEval/venus/imL.png": "f5b442838ca32a3f31ceab7322898afce4c6ecb185529a5589a440024e12b636",
    "eval/newEval/venus/imR.png": "f5b4b94e1b59b68120061ca65aa23ada1529cc93d17b9a4f5d048cc511256cc7",
    "eval/newEval/venus/groundtruth.png": "706cb85034e3595a45d0b9d6e4af657ebcc489ee0e6c2892dfcf0b5dc7906a7e",
    "eval/newEval/venus/nonocc.png": "fb2db205bb6a83e00fd360a1b7580886d2c65b6c2f4a0f43b36dc710d2eb2db6",
    "eval/newEval/venus/all.png": "47415362ed6c2ca7bd61d52f7cc68e858098b581b591dc0cb0fc019e331a70ba",
    "eval/newEval/venus/disc.png": "b449e1cdc7ed573f1c98e4359102b97a51761da8d3bc675cad45b3969005990d",
    "eval/newEval/teddy/imL.png": "092142723fd63f1f4867daaf66d85e8228a4fe2c704becd0091b7b599e618f00",
    "eval/newEval/teddy/imR.png": "b13366171eaa15cbb30c1cfb6bb0d18bec7a3977c92c49a641245dc40f75ec9b",
    "eval/newEval/teddy/groundtruth.png": "695e92dd08819e82e22a0001cd5a34e67859246475db5df38a0ab55e66d1f412",
    "eval/newEval/teddy/nonocc.png": "f51cd8acc9ad7b584ffa7e129c02c1aafbc46ddf56afadb0b3ff6fe4dfe331f4",
    "eval/newEval/teddy/all.png": "8c9cd34e66966d08bd7913d740de89ff3274b509eb827eb94583443c10f884d6",
    "eval/newEval/teddy/disc.png": "f5df7617f730529b0c8500c87f197da02e9c501b0ea462efa330bc1d83098be8",
    "eval/newEval/cones/imL.png": "e9875cec273b9c7a36ab8a0556b5c8451dd90cf50b5c8f30f4ab3bc8f201da92",
    "eval/newEval/cones/imR.png": "a3795d564445b1e041a88fec490d4140efec87c9a4c64c1b56f7240c3a4fc727",
    "eval/newEval/cones/groundtruth.png": "d082b192d7893ef597dfaa9af5c7fea9cb0196808be42d40b80fbf47bb96f561",
    "eval/newEval/cones/nonocc.png": "0fd35104fcc1acb21840a5a87187d571584fff3bf0b01bb5a087bc4a1e324d0f",
    "eval/newEval/cones/all.png": "d9a367fe82b2da6d1c91a8287804bace86b878bcac8bafcc43d011d11268be37",
    "eval/newEval/cones/disc.png": "b512f4ee425202a501dea3ca4aa666a33c541484d334659e705de9132bcc8008",
    "data/scenes2005/ThirdSize/zip-2views/Art-2views.zip#view1.png":
        "d93ce29a1279744004ac89e74c27e8ffed53a582da4d096b4237b3bf038058a0",
    "data/scenes2005/ThirdSize/zip-2views/Art-2views.zip#view5.png":
        "07c4b0d49aaa59c9dbda9d386dfe3ddd2608b4201c496f643e1f6222c7b4a0a1",
    "data/scenes2005/ThirdSize/zip-2views/Art-2views.zip#disp1.png":
        "24ef7fd6d3985abd3ef58d980ce55596d4ddc49dac8358ce8c07082c8fde4820",
    "data/scenes2005/ThirdSize/zip-2views/Art-2views.zip#disp5.png":
        "c6bb20b05048730fd591b0ff4a64c4cc0d2b6c91bab415f1e5f676a22d71992f",
    "data/scenes2005/ThirdSize/zip-2views/Laundry-2views.zip#view1.png":
        "27c1de72671ff8f5470ef9ac88a2c3e3e835dfe693416798e9ab129e28c6e604",
    "data/scenes2005/ThirdSize/zip-2views/Laundry-2views.zip#view5.png":
        "f5c4f7dd1cb95863f8496fadcede00aaf16627cbf5ca5fd5e60bf6151ef30463",
    "data/scenes2005/ThirdSize/zip-2views/Laundry-2views.zip#disp1.png":
        "b250a2d74182fe49e39e4087517c1b1fb99842cbb0ac2477e10ee48603497640",
    "data/scenes2005/ThirdSize/zip-2views/Laundry-2views.zip#disp5.png":
        "1d3223790291cf56a7567810d053d181041ded93fdc73a943dc112214ad8efd0",
}

POOCH_MISSING = 'msstereo.datasets.fetch needs pooch: pip install "msstereo[data]"'


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded without a pinned hash to check it against."""


def _pooch():
    """The pooch module, or ImportError naming the extra to install."""
    try:
        import pooch
    except ImportError as error:
        raise ImportError(POOCH_MISSING) from error
    return pooch


def _choose(value, choices, what):
    """`value` matched case-insensitively against `choices`; ValueError listing them."""
    found = {str(c).lower(): c for c in choices}.get(str(value).lower())
    if found is None:
        raise ValueError(f"{what} must be one of {tuple(choices)}, got {value!r}")
    return found


def default_root():
    """The folder :func:`fetch` writes to when not given one.

    Returns
    -------
    pathlib.Path
        ``$MSSTEREO_CACHE`` if set, else the user's cache folder for
        msstereo (``~/.cache/msstereo`` on Linux, via pooch).
    """
    value = os.environ.get("MSSTEREO_CACHE")
    return Path(value).expanduser() if value else Path(_pooch().os_cache("msstereo"))


def fetch(dataset, scene, *, size="third", calibration="perfect", root=None,
          base_url=MIDDLEBURY_URL, progress=False):
    """Download one public Middlebury scene (once) and return its folder.

    Parameters
    ----------
    dataset : {'v2', '2005', '2006', '2014'}
        The Middlebury v2 evaluation (Tsukuba, Venus, Teddy, Cones at the
        evaluation's sizes, with its masks) [1]_, the 2005 or 2006 two-view
        data sets [2]_, or the 2014 data set [3]_.
    scene : str
        A name of :data:`FETCH_SCENES` ``[dataset]``, case-insensitive
        (e.g. ``'tsukuba'``, ``'Art'``, ``'Adirondack'``).
    size : {'third', 'half', 'full'}, optional
        Image size of the 2005 and 2006 scenes (third: about 450 px wide).
    calibration : {'perfect', 'imperfect'}, optional
        Rectification of the 2014 scenes.
    root : str or os.PathLike, optional
        Data folder to write into; :func:`default_root` by default. Scenes
        go to ``middlebury/v2/<scene>``, ``middlebury/<year>/<Scene>``
        (third size; ``middlebury/<year>-<size>/<Scene>`` for the others)
        and ``middlebury/2014/<Scene>-<calibration>``, so a root holding
        the v2 scenes and third-size Art and Laundry serves as
        ``MSSTEREO_DATA`` for :func:`msstereo.datasets.get_scene`, the
        tests and the benchmarks.
    base_url : str, optional
        Where the files are served: the Middlebury site by default, or a
        mirror with the same paths.
    progress : bool, optional
        Show download progress bars (needs tqdm).

    Returns
    -------
    folder : pathlib.Path
        The scene folder, for :func:`msstereo.datasets.load_scene`. The v2
        folders get an ``info.txt`` (scale and ``ndisp``); Teddy and Cones
        have no right ground truth there (the evaluation has none).

    Raises
    ------
    ValueError
        If a name is unknown, or a downloaded file does not match its
        pinned hash.
    ImportError
        If pooch is not installed.
    OSError
        If a download fails or an archive lacks the scene's files.

    Warns
    -----
    UnverifiedDownloadWarning
        For each file or archive downloaded without a pinned hash, with its
        SHA-256.

    Examples
    --------
    >>> from msstereo.datasets import fetch, load_scene
    >>> scene = load_scene(fetch("v2", "tsukuba"))         # doctest: +SKIP
    >>> art = load_scene(fetch("2005", "art", size="half"))  # doctest: +SKIP
    """
    dataset = _choose(dataset, FETCH_SCENES, "dataset")
    scene = _choose(scene, FETCH_SCENES[dataset], f"a {dataset} scene")
    size = _choose(size, _SIZES, "size")
    calibration = _choose(calibration, _CALIBRATIONS, "calibration")
    pooch = _pooch()
    root = Path(root).expanduser() if root is not None else default_root()
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    downloader = pooch.HTTPDownloader(progressbar=progress)
    with _no_empty_folders(root / "middlebury"):
        if dataset == "v2":
            return _fetch_v2(pooch, scene, root / "middlebury" / "v2" / scene, base_url, downloader)
        if dataset == "2014":
            folder = root / "middlebury" / "2014" / f"{scene}-{calibration}"
            source = f"data/scenes2014/datasets/{scene}-{calibration}/"
            for name in _2014_FILES:
                _download(pooch, source + name, folder, base_url, downloader)
            return folder
        subdir = dataset if size == "third" else f"{dataset}-{size}"
        archive = f"data/scenes{dataset}/{_SIZES[size]}/zip-2views/{scene}-2views.zip"
        return _fetch_archive(pooch, archive, root / "middlebury" / subdir / scene, base_url, downloader)


@contextmanager
def _no_empty_folders(top):
    """Remove the empty folders under ``top`` (and ``top``) that the block made or emptied.

    A failed or interrupted download, or an unpacked archive, leaves no
    empty folder behind. Folders that existed before are kept, except the
    empty ones under ``top/downloads``, which holds this module's archives
    only while they are unpacked.
    """
    before = {str(p) for p in top.rglob("*") if p.is_dir()} | ({str(top)} if top.is_dir() else set())
    try:
        yield
    finally:
        if top.is_dir():
            downloads = top / "downloads"
            made = [p for p in top.rglob("*") if p.is_dir() and (str(p) not in before or downloads in p.parents
                                                                   or p == downloads)]
            if str(top) not in before:
                made.append(top)
            for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
                try:
                    folder.rmdir()  # only if empty
                except OSError:
                    pass


def _fetch_v2(pooch, scene, folder, base_url, downloader):
    """The v2 evaluation files of `scene` and its info.txt, in `folder`."""
    for name in _V2_FILES:
        _download(pooch, f"eval/newEval/{scene}/{name}", folder, base_url, downloader)
    scale, ndisp = _V2_INFO[scene]
    (folder / "info.txt").write_text(f"{scale}\n{ndisp}\n")
    return folder


def _download(pooch, source, folder, base_url, downloader, fname=None):
    """Download ``base_url + source`` into `folder` unless a good copy is there.

    Pinned files are checked by pooch (a stale copy is downloaded again);
    others are taken as they come, with a warning giving their hash.
    """
    fname = fname or PurePosixPath(source).name
    known = PINNED_SHA256.get(source)
    existed = (Path(folder) / fname).is_file()
    try:
        path = pooch.retrieve(base_url + source, known_hash=f"sha256:{known}" if known else None,
                              fname=fname, path=folder, downloader=downloader)
    except ValueError as error:  # pooch: hash mismatch
        raise ValueError(f"{base_url + source}: the download does not match the pinned hash "
                         f"({error})") from None
    if known is None and not existed:
        _warn_unverified(pooch, base_url + source, path)
    return Path(path)


def _warn_unverified(pooch, url, path):
    warnings.warn(f"{url}: no pinned hash, the download is not verified "
                  f"(SHA-256 {pooch.file_hash(str(path))})", UnverifiedDownloadWarning, stacklevel=4)


def _fetch_archive(pooch, archive, folder, base_url, downloader):
    """A 2005/2006 two-view scene: download its archive, unpack the scene into `folder`.

    The archive is deleted once unpacked, and also when it cannot be
    unpacked (a corrupt or truncated download, kept from an earlier run or
    not): it is this module's own file, and kept it would fail every later
    run the same way. An unpacked scene with both views is not downloaded
    again. Pinned files of the scene are checked every time.
    """
    if not ((folder / "view1.png").is_file() and (folder / "view5.png").is_file()):
        downloads = folder.parent.parent / "downloads" / folder.parent.name
        path = _download(pooch, archive, downloads, base_url, downloader)
        try:
            _unpack_scene(path, folder, marker="view1.png")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            path.unlink(missing_ok=True)
            raise OSError(f"{base_url + archive}: the downloaded archive is corrupt ({error}); it was "
                          f"removed, so the next run downloads it again") from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        path.unlink()
    _check_pinned(archive, folder)
    return folder


def _unpack_scene(archive, folder, marker):
    """Unpack the archive folder holding `marker` into `folder` (replacing it)."""
    with zipfile.ZipFile(archive) as handle:
        members = [info for info in handle.infolist() if not info.is_dir()]
        found = [PurePosixPath(i.filename) for i in members if PurePosixPath(i.filename).name == marker]
        if not found:
            raise OSError(f"{archive}: no {marker} in the archive")
        prefix = found[0].parent.parts
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            for info in members:
                parts = PurePosixPath(info.filename).parts
                if parts[:len(prefix)] != prefix:
                    continue
                relative = parts[len(prefix):]
                if any(part in ("..", "") for part in relative) or ":" in info.filename:
                    raise OSError(f"{archive}: unsafe member name {info.filename!r}")
                target = partial.joinpath(*relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                with handle.open(info) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)  # no half-unpacked scene
            raise
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def _check_pinned(archive, folder):
    """Compare the pinned files of `archive` in `folder`; remove the folder on a mismatch."""
    pooch = _pooch()
    for key, expected in PINNED_SHA256.items():
        source, _, name = key.partition("#")
        if source != archive:
            continue
        path = folder / name
        got = pooch.file_hash(str(path)) if path.is_file() else "missing"
        if got != expected:
            shutil.rmtree(folder, ignore_errors=True)
            raise ValueError(f"{archive}: {name} has SHA-256 {got}, not the pinned {expected}; "
                             f"the unpacked scene was removed")


def main(argv=None):
    """``python -m msstereo.fetch [DATASET [SCENE ...]]``: download scenes, print their folders.

    Without a data set, downloads :data:`DATA_FOLDER`, so that ``--root``
    can serve as ``MSSTEREO_DATA`` for the tests and benchmarks; with one
    and no scenes, every scene of it. Returns the exit status: 0, 1 with
    one line on stderr for an error, 130 for Ctrl-C and 143 for SIGTERM
    (one line, and no partial file or folder).
    """
    parser = argparse.ArgumentParser(
        prog="python -m msstereo.fetch", description="Download and cache public Middlebury scenes.")
    parser.add_argument("dataset", nargs="?", choices=list(FETCH_SCENES),
                        help="data set (default: the v2 scenes and 2005 Art and Laundry, the scenes "
                             "the tests and benchmarks read)")
    parser.add_argument("scenes", nargs="*", help="scene names (default: every scene of the data set)")
    parser.add_argument("--size", default="third", choices=list(_SIZES), help="2005 and 2006 size")
    parser.add_argument("--calibration", default="perfect", choices=_CALIBRATIONS, help="2014 rectification")
    parser.add_argument("--root", help="data folder (default: $MSSTEREO_CACHE, else the user cache folder)")
    parser.add_argument("--base-url", default=MIDDLEBURY_URL, help="a mirror of the Middlebury site")
    args = parser.parse_args(argv)
    if args.dataset is None:
        jobs = DATA_FOLDER
    else:
        jobs = [(args.dataset, scene) for scene in args.scenes or FETCH_SCENES[args.dataset]]
    with signals_raise():
        try:
            for dataset, scene in jobs:
                print(fetch(dataset, scene, size=args.size, calibration=args.calibration, root=args.root,
                            base_url=args.base_url))
        except KeyboardInterrupt as interrupt:  # SIGTERM too
            code = EXIT_CODES[signal_of(interrupt)]
            print(f"error: {'terminated' if code == 143 else 'interrupted'}", file=sys.stderr)
            return code
        except (ValueError, OSError, ImportError) as error:
            print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
