"""Reading and writing stereo data: PFM, PNG images and disparity maps, calibration.

Disparity maps are float32 arrays of shape (H, W) in pixels, with the
Middlebury sign convention (left disparity >= 0; left pixel ``x`` matches
right pixel ``x - d``) and ``np.inf`` marking unknown values, as in the
Middlebury 2014 PFM files.

Readers open regular files only: a FIFO, a device or a folder is refused
before anything is read from it (a FIFO would block forever).

Every writer validates its input first and then writes to a temporary file
in the destination directory that is moved into place with
:func:`os.replace`, so a failed write never leaves a partial file behind.
Temporary files are named ``.NAME.msstereo-PID-RANDOM.tmp`` after their
target ``NAME`` and the process writing them; a later output set with that
target removes those of processes that no longer run (a run killed by
SIGKILL or a power cut), and no other file.
:class:`OutputSet` does the same for a set of files that belong together:
all targets are checked before any work, and published at once or not at
all.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import stat
import uuid
import warnings
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
from PIL import Image

from ._signals import interrupts_deferred

try:
    import fcntl
except ImportError:  # Windows: publishing is not locked
    fcntl = None

__all__ = [
    "read_pfm",
    "write_pfm",
    "read_image",
    "read_disparity_png",
    "write_disparity_png",
    "write_png",
    "read_calib",
    "check_targets",
    "OutputSet",
]


# --------------------------------------------------------------------------
# Reading regular files only
# --------------------------------------------------------------------------


def _kind(mode):
    """What a file of ``mode`` (``st_mode``) is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_regular(path):
    """``path`` opened for binary reading, or an OSError naming it if it is not a regular file.

    The file is opened without blocking and checked through its descriptor,
    so a FIFO cannot block the reader and a file swapped after a check is
    still refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f"{path}: cannot read {_kind(mode)}; give a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# --------------------------------------------------------------------------
# Atomic writing
# --------------------------------------------------------------------------

_TEMPORARY = re.compile(r"\.(?P<name>.+)\.msstereo-(?P<pid>\d+)-[0-9a-f]{32}\.tmp\Z", re.DOTALL)
"""The name of a temporary file of this module (`_temporary_name`)."""


@contextmanager
def _atomic_path(path):
    """Yield a temporary path next to `path`; move it into place on success.

    The temporary file lives in the same directory so that :func:`os.replace`
    is an atomic rename on the same file system. It is created by an ordinary
    exclusive open, not :func:`tempfile.mkstemp`, so that the result gets the
    permissions of any new file under the user's umask rather than 0600. A
    `path` that is itself a temporary file of this module (a file staged by
    `OutputSet`) is written directly: its owner moves it into place.
    """
    path = Path(path)
    if _TEMPORARY.match(path.name):
        yield path
        return
    tmp = _temporary_name(path)
    open(tmp, "xb").close()
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _temporary_name(path):
    """A hidden, unused name beside ``path`` (same folder, so renames are atomic).

    ``.NAME.msstereo-PID-RANDOM.tmp``: the target's name, so that a later
    run can find the temporary files of its targets, and the writing
    process, so that it removes only those of processes that have ended.
    """
    return path.parent / f".{path.name}.msstereo-{os.getpid()}-{uuid.uuid4().hex}.tmp"


def _alive(pid):
    """Whether process ``pid`` runs (or may run: unknown counts as running)."""
    if os.name == "nt":  # os.kill would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_orphans(targets):
    """Delete the temporary files of ``targets`` left by processes that no longer run.

    Only names of the exact pattern of `_temporary_name` for one of these
    targets are considered, so no file of the user's can be taken for one.
    Returns the paths removed.
    """
    removed, folders = [], {}
    for target in map(Path, targets):
        folders.setdefault(target.parent, set()).add(target.name)
    for folder, names in folders.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            found = _TEMPORARY.match(entry.name)
            if found is None or found["name"] not in names:
                continue
            pid = int(found["pid"])
            if pid == os.getpid() or _alive(pid):
                continue
            with suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def check_targets(targets, inputs=()):
    """Refuse output paths that cannot be written or would replace an input.

    Parameters
    ----------
    targets : iterable of str or os.PathLike
        Files to be written.
    inputs : iterable of str or os.PathLike
        Files that must never be replaced (the inputs of the run).

    Raises
    ------
    OSError
        Naming the path: a folder that is missing or is a file, a target
        that is a directory or not a regular file, a target that is one of
        the inputs (also through a link), a target named twice, a name too
        long for the file system (with the temporary name it is written
        under), or a folder where no file can be created.

    Notes
    -----
    Each target's temporary name is created and deleted once, so that
    every refusal a write could meet in its folder comes now, before any
    work, rather than after it.
    """
    inputs = [Path(p) for p in inputs]
    seen = []
    for target in map(Path, targets):
        folder = target.parent
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise OSError(f"output folder {folder} {what}")
        if target.is_dir():
            raise OSError(f"output {target} is a directory")
        if target.exists() and not target.is_file():
            raise OSError(f"output {target} is not a regular file")
        for source in inputs:
            if _same_file(target, source):
                raise OSError(f"output {target} would overwrite the input {source}")
        for other in seen:
            if _same_file(target, other):
                raise OSError(f"output {target} is named twice (also as {other})")
        seen.append(target)
        _probe(target)


def _probe(target):
    """Create and delete the temporary name of ``target``: an OSError now if a write would fail."""
    probe = _temporary_name(target)
    try:
        open(probe, "xb").close()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OSError(f"output {target}: name too long for the file system ({len(target.name)} "
                          f"characters, {len(probe.name)} with its temporary suffix)") from None
        raise OSError(f"cannot write in output folder {target.parent}: {exc.strerror or exc}") from None
    os.unlink(probe)


def _same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file (links and ``..`` included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


@contextmanager
def _locked(folders):
    """Hold an exclusive lock (``flock``) on each of ``folders`` over the block.

    Publishes into one folder thus never interleave, whichever process
    makes them. The lock is the folder's own (no lock file): the system
    releases it when the process ends, however it ends, so a killed run
    leaves no lock behind. Where the file system has no locks, the block
    runs unlocked.
    """
    descriptors = []
    try:
        for folder in sorted({os.path.realpath(f) for f in folders}):
            if fcntl is None:
                break
            try:
                descriptors.append(os.open(folder, os.O_RDONLY))
                fcntl.flock(descriptors[-1], fcntl.LOCK_EX)
            except OSError:
                pass
        yield
    finally:
        for fd in descriptors:
            os.close(fd)


def _signature(path):
    """``[size, mtime_ns, inode]`` of ``path``: what tells a file this module wrote from a later one."""
    info = os.stat(path, follow_symlinks=False)
    return [info.st_size, info.st_mtime_ns, info.st_ino]


class OutputSet:
    """Files written as one set: checked first, staged, then published together.

    Each file is written to a temporary name in its target folder
    (`stage`); `publish` then moves all of them into place with
    :func:`os.replace` while Ctrl-C and SIGTERM are held back, restoring the
    previous files if a move fails. Until `publish`, no target is touched,
    and leaving a ``with`` block by an exception (Ctrl-C included) removes
    the staged files.

    Two processes may write one set at once: each stages its own files,
    and publishes hold a lock on the target folders, so the last set
    published wins, whole. Temporary files of the targets left by
    processes that have ended are removed when a set is published.

    Parameters
    ----------
    targets : iterable of str or os.PathLike
        Every file the set may write; checked at once by `check_targets`.
    inputs : iterable of str or os.PathLike
        Files that no target may replace.
    manifest : str or os.PathLike, optional
        A file, published with the set, that records the files of its
        folder this set wrote (size, modification time and inode). Only a
        file recorded there by an earlier set and unchanged since can be
        removed by `publish`: without a manifest, none is.

    Raises
    ------
    OSError
        From `check_targets`.
    """

    def __init__(self, targets, inputs=(), manifest=None):
        self.targets = [Path(t) for t in targets]
        self.inputs = [Path(p) for p in inputs]
        self.manifest = None if manifest is None else Path(manifest)
        check_targets(self.targets + ([self.manifest] if self.manifest else []), self.inputs)
        self._staged = {}

    def stage(self, target):
        """A new temporary file beside ``target`` (one of `targets`) to write it to."""
        target = Path(target)
        if target not in self.targets:
            raise ValueError(f"{target} is not a target of this output set")
        tmp = _temporary_name(target)
        open(tmp, "xb").close()
        self._staged[target] = tmp
        return tmp

    def publish(self, remove=()):
        """Move every staged file into place; then delete the files of ``remove`` this tool wrote.

        A file of ``remove`` is deleted only if the manifest of an earlier
        set records it and it has not changed since (a file the user made or
        edited is kept), it is not an input, and this set did not write it.
        All of it happens under the lock of the target folders: first the
        temporary files of the targets left by ended processes are removed,
        then the files (and a new manifest recording them) are moved into
        place.

        Returns
        -------
        written, removed : list of Path
            The published targets, and those of ``remove`` that were
            deleted.
        """
        folders = {target.parent for target in self._staged}
        if self.manifest is not None:
            folders.add(self.manifest.parent)
        with _locked(folders), interrupts_deferred():
            staged = list(self._staged)
            check_targets(staged + ([self.manifest] if self.manifest else []), self.inputs)
            _remove_orphans(self.targets + ([self.manifest] if self.manifest else []))
            recorded = self._recorded()
            if self.manifest is not None:
                self._stage_manifest()
            moved, backups = [], []
            try:
                for target, tmp in self._staged.items():
                    if target.exists():
                        backups.append((target, _temporary_name(target)))
                        os.replace(target, backups[-1][1])
                    os.replace(tmp, target)
                    moved.append(target)
            except BaseException:
                self._roll_back(moved, backups)
                raise
            for _, backup in backups:
                os.unlink(backup)
            written = [target for target in moved if target in staged]
            self._staged = {}
            removed = [path for path in map(Path, remove)
                       if path not in written and self._remove(path, recorded)]
        return written, removed

    def _recorded(self):
        """The files the manifest records, by name: ``{name: signature}`` (empty if unreadable)."""
        if self.manifest is None:
            return {}
        try:
            with _open_regular(self.manifest) as f:
                files = json.loads(f.read(1 << 20).decode("utf-8"))["files"]
            return {str(name): list(value) for name, value in files.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def _stage_manifest(self):
        """Stage the manifest: the signature of every staged file in its folder, as it will be."""
        folder = self.manifest.parent
        files = {target.name: _signature(tmp) for target, tmp in self._staged.items()
                 if _same_file(target.parent, folder)}
        text = json.dumps({"written by": "msstereo", "files": files}, indent=1) + "\n"
        tmp = _temporary_name(self.manifest)
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        self._staged[self.manifest] = tmp

    def _roll_back(self, moved, backups):
        """Undo a partial publish; a previous file that cannot be restored stays at its backup name."""
        for target in moved:
            with suppress(OSError):
                os.unlink(target)
        for target, backup in backups:
            with suppress(OSError):
                os.replace(backup, target)
        self.discard()

    def _remove(self, path, recorded):
        """Delete ``path`` if the manifest records it unchanged and it is not an input; whether it was."""
        if not path.is_file() or any(_same_file(path, source) for source in self.inputs):
            return False
        if self.manifest is None or not _same_file(path.parent, self.manifest.parent):
            return False
        try:
            if recorded.get(path.name) != _signature(path):
                return False
            os.unlink(path)
        except OSError:
            return False
        return True

    def discard(self):
        """Delete the staged files; the targets stay as they were."""
        for tmp in self._staged.values():
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        self._staged = {}

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.discard()
        return False


# --------------------------------------------------------------------------
# PFM
# --------------------------------------------------------------------------

# A PFM header is the magic and three whitespace-separated tokens; one
# whitespace byte (or CR LF) after the scale token starts the raster. The
# token lengths are bounded so that a hostile header cannot ask for more.
_PFM_HEADER = re.compile(rb"\A(P[Ff])\s+(\d{1,10})\s+(\d{1,10})\s+(\S{1,64})")
_PFM_HEADER_BYTES = 256
_PFM_GAPS = (b"\n", b"\r", b" ", b"\t", b"\r\n")


def _pfm_header(path, head):
    """``(channels, height, width, dtype, end)`` of a PFM header, ``end`` after the scale token."""
    match = _PFM_HEADER.match(head)
    if match is None:
        raise OSError(f"{path}: not a PFM file (bad magic or malformed header)")
    magic, width, height, scale = match.groups()
    width, height = int(width), int(height)
    if width == 0 or height == 0:
        raise OSError(f"{path}: empty PFM image ({width}x{height})")
    try:
        scale = float(scale)
    except ValueError:
        raise OSError(f"{path}: malformed PFM scale {scale!r}") from None
    if scale == 0 or not np.isfinite(scale):
        raise OSError(f"{path}: invalid PFM scale {scale}")
    channels = 3 if magic == b"PF" else 1
    return channels, height, width, np.dtype("<f4" if scale < 0 else ">f4"), match.end()


def read_pfm(path):
    """Read a Portable Float Map (PFM) file.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    array : ndarray of float32, shape (H, W) or (H, W, 3)
        Gray ('Pf') or colour ('PF') image, top row first, native byte
        order, writable. Non-finite values (such as ``inf`` for unknown
        disparities) are preserved.

    Raises
    ------
    OSError
        If the file cannot be read or is not a regular file, its header is
        malformed or declares an empty image, or its size disagrees with the
        header.

    Notes
    -----
    A negative scale in the header means little-endian data, a positive one
    big-endian. Rows are stored bottom-to-top in the file. The header is
    parsed and checked against the file size before any data is read, so a
    file that is not a PFM, or declares more data than it holds, costs no
    memory. The raster is the last ``4 W H C`` bytes of the file, after one
    whitespace byte or CR LF.
    """
    path = Path(path)
    with _open_regular(path) as f:
        return _read_pfm(f, path)


def _read_pfm(f, path):
    """The array of the PFM file open as ``f`` (named ``path`` in messages); see `read_pfm`."""
    channels, height, width, dtype, end = _pfm_header(path, f.read(_PFM_HEADER_BYTES))
    count = width * height * channels
    start = os.fstat(f.fileno()).st_size - count * 4
    if start <= end:
        raise OSError(f"{path}: truncated PFM data: expected {count * 4} bytes for "
                      f"{width}x{height}x{channels}, found {max(start + count * 4 - end - 1, 0)}")
    f.seek(end)
    gap = f.read(start - end) if start - end <= 2 else b"?"
    if gap not in _PFM_GAPS:
        raise OSError(f"{path}: PFM size does not match its header: {start - end} bytes between "
                      f"the header and {count * 4} bytes of {width}x{height}x{channels} data")
    raster = f.read(count * 4)
    if len(raster) != count * 4:
        raise OSError(f"{path}: truncated PFM data (the file changed while read)")
    shape = (height, width) if channels == 1 else (height, width, 3)
    # Flip to top-to-bottom in a new native-endian array (always writable).
    out = np.empty(shape, np.float32)
    out[...] = np.frombuffer(raster, dtype=dtype).reshape(shape)[::-1]
    return out


def _check_pfm_array(array):
    """Return `array` as float32 after checking it can be stored as PFM."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"array must be real-valued, got dtype {array.dtype}")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"array must have shape (H, W) or (H, W, 3), got {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"array must not be empty, got shape {array.shape}")
    with np.errstate(over="ignore"):
        out = array.astype(np.float32, copy=False)
    if array.dtype.kind == "f" and np.any(np.isinf(out) & np.isfinite(array)):
        raise ValueError(f"array has finite values beyond the float32 range (largest magnitude "
                         f"{np.abs(array[np.isfinite(array)]).max():g}), which PFM would store as "
                         "inf, the marker of unknown values")
    return out


def write_pfm(path, array, *, byteorder="<"):
    """Write an array to a Portable Float Map (PFM) file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; replaced atomically.
    array : array_like, shape (H, W) or (H, W, 3)
        Real-valued image, stored as float32 ('Pf' for gray, 'PF' for colour).
    byteorder : {'<', '>'}, optional
        Little- ('<', the usual choice) or big-endian ('>') data.

    Raises
    ------
    ValueError
        If `array` is not real, has the wrong shape, has finite values that
        float32 cannot hold, or `byteorder` is invalid.
    """
    if byteorder not in ("<", ">"):
        raise ValueError(f"byteorder must be '<' or '>', got {byteorder!r}")
    array = _check_pfm_array(array)
    height, width = array.shape[:2]
    magic = "PF" if array.ndim == 3 else "Pf"
    scale = -1.0 if byteorder == "<" else 1.0
    header = f"{magic}\n{width} {height}\n{scale:g}\n".encode("ascii")
    raster = np.ascontiguousarray(array[::-1], dtype=np.dtype(byteorder + "f4"))
    with _atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(header)
            f.write(raster.tobytes())


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def _palette_is_gray(image):
    """Whether every palette entry used by a 'P' image has R == G == B."""
    used = np.unique(np.asarray(image))
    palette = image.getpalette() or []
    rgb = np.asarray(palette, dtype=np.int64).reshape(-1, 3)
    # Indices beyond the stored palette decode to black, which is gray.
    used = used[used < len(rgb)]
    entries = rgb[used]
    return bool(np.all((entries[:, 0] == entries[:, 1]) & (entries[:, 1] == entries[:, 2])))


def _to_array(image):
    """Convert a Pillow image to a uint8/uint16/float32 (H, W) or (H, W, 3) array."""
    mode = image.mode
    if mode == "P":
        image = image.convert("L" if _palette_is_gray(image) else "RGB")
    elif mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image)
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise OSError(f"integer image values outside the 16-bit range in mode {mode}")
        return array.astype(np.uint16)
    elif mode == "F":
        return np.asarray(image, dtype=np.float32).copy()
    elif mode in ("1", "L", "LA"):
        image = image.convert("L")
    elif mode != "RGB":
        # RGBA, CMYK, YCbCr, ...: drop alpha / convert colour spaces.
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def read_image(path):
    """Read an image file (PNG, TIFF, PPM, PFM, ...).

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    image : ndarray of uint8, uint16 or float32, shape (H, W) or (H, W, 3)
        Gray or RGB image; alpha is dropped. Palette images decode to gray
        when every palette entry they use is gray, else to RGB. 16-bit
        images give uint16; float images (32-bit float TIFF, PFM) give
        float32 with their values unchanged.

    Raises
    ------
    OSError
        Naming the file, if it is missing, is not a regular file (a FIFO, a
        device, a folder) or cannot be decoded, whatever the decoder
        raised, or if it declares more pixels than Pillow's
        decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``).
    """
    path = Path(path)
    try:
        with _open_regular(path) as f:
            if f.read(2) in (b"Pf", b"PF"):
                f.seek(0)
                return _read_pfm(f, path)
            f.seek(0)
            with warnings.catch_warnings():
                # Pillow warns of damaged metadata (EXIF, TIFF tags) that it skips: the pixels
                # decide, and a file that does not decode is refused in one line without them.
                warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
                # A file declaring a huge image is refused, not decoded with a warning.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(f) as image:
                    image.load()
                    return _to_array(image)
    except OSError as exc:
        if str(path) in str(exc):
            raise
        raise OSError(f"{path}: cannot read image: {exc}") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise OSError(f"{path}: image too large to decode: {exc}") from exc
    except Exception as exc:
        # Pillow reports corrupt data as SyntaxError, ValueError, struct.error, ...
        raise OSError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from exc


def _write_pil(path, image):
    """Save a Pillow image as PNG atomically."""
    with _atomic_path(path) as tmp:
        image.save(tmp, format="PNG")


def write_png(path, image):
    """Write a uint8 gray or RGB image as PNG.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; replaced atomically.
    image : ndarray of uint8, shape (H, W) or (H, W, 3)
        Image to store, for example the output of :func:`msstereo.viz.colorize`.

    Raises
    ------
    ValueError
        If `image` is not uint8 or has the wrong shape.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"image must have dtype uint8, got {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"image must have shape (H, W) or (H, W, 3), got {image.shape}")
    _write_pil(path, Image.fromarray(np.ascontiguousarray(image)))


# --------------------------------------------------------------------------
# Disparity PNG
# --------------------------------------------------------------------------


def _check_scale(scale):
    """Return `scale` as a positive finite float."""
    scale = float(scale)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")
    return scale


def read_disparity_png(path, scale):
    """Read a disparity map stored as a scaled integer PNG.

    Parameters
    ----------
    path : str or os.PathLike
        PNG file (8- or 16-bit gray, or palette with gray entries).
    scale : float
        Stored value per pixel of disparity (Middlebury v2: Tsukuba 16,
        Venus 8, Teddy and Cones 4).

    Returns
    -------
    disparity : ndarray of float32, shape (H, W)
        Stored value divided by `scale`; stored 0 (unknown) becomes ``inf``.

    Raises
    ------
    ValueError
        If `scale` is not positive or the file is not a single-channel image.
    OSError
        If the file cannot be read.
    """
    scale = _check_scale(scale)
    stored = read_image(path)
    if stored.dtype.kind != "u":
        raise ValueError(f"{path}: disparity PNG must hold integers, got {stored.dtype}")
    if stored.ndim != 2:
        raise ValueError(f"{path}: disparity PNG must be single-channel, got shape {stored.shape}")
    disparity = stored.astype(np.float32) / np.float32(scale)
    disparity[stored == 0] = np.inf
    return disparity


def write_disparity_png(path, disparity, scale, *, bits=16):
    """Write a disparity map as a scaled integer PNG.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; replaced atomically.
    disparity : array_like, shape (H, W)
        Disparities in pixels; non-finite values are stored as 0 (unknown).
    scale : float
        Multiplier applied before rounding to integers.
    bits : {8, 16}, optional
        Bit depth of the PNG.

    Raises
    ------
    ValueError
        If `disparity` is not a real 2-D array, `scale` is not positive,
        `bits` is not 8 or 16, or a finite value is negative or too large
        for the bit depth once scaled.

    Notes
    -----
    A finite disparity that rounds to 0 becomes indistinguishable from
    "unknown" when read back; Middlebury data share this limitation.
    """
    scale = _check_scale(scale)
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, got {bits}")
    disparity = np.asarray(disparity)
    if disparity.ndim != 2 or disparity.dtype.kind not in "fiu":
        raise ValueError(
            f"disparity must be a real (H, W) array, got shape {disparity.shape} "
            f"and dtype {disparity.dtype}"
        )
    finite = np.isfinite(disparity)
    stored = np.zeros(disparity.shape, dtype=np.float64)
    stored[finite] = np.round(disparity[finite].astype(np.float64) * scale)
    limit = 2**bits - 1
    if np.any(stored < 0):
        raise ValueError("disparity has negative finite values, which a PNG cannot store")
    if np.any(stored > limit):
        raise ValueError(
            f"disparity * scale reaches {stored.max():g}, beyond the {bits}-bit limit {limit}"
        )
    if bits == 8:
        image = Image.fromarray(stored.astype(np.uint8), mode="L")
    else:
        image = Image.fromarray(stored.astype(np.uint16))
    _write_pil(path, image)


# --------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------


def _parse_number(text):
    """Parse an int if possible, else a float."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _parse_matrix(text):
    """Parse a MATLAB-style matrix ``[a b c; d e f; ...]`` into a float array."""
    rows = [row.split() for row in text.strip()[1:-1].split(";")]
    return np.array([[float(v) for v in row] for row in rows if row], dtype=np.float64)


def read_calib(path):
    """Read a Middlebury 2014 ``calib.txt`` file.

    Parameters
    ----------
    path : str or os.PathLike
        Calibration file with one ``key=value`` pair per line.

    Returns
    -------
    calib : dict
        Values keyed by name: matrices such as ``cam0`` and ``cam1`` as
        float arrays of shape (3, 3), numbers (``doffs``, ``baseline``,
        ``width``, ``height``, ``ndisp``, ``vmin``, ...) as int or float,
        anything else as a string.

    Raises
    ------
    OSError
        If the file cannot be read, is not a regular file or a line is
        malformed.
    """
    path = Path(path)
    calib = {}
    with io.TextIOWrapper(_open_regular(path), encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise OSError(f"{path}:{number}: expected 'key=value', got {line!r}")
            key, value = key.strip(), value.strip()
            try:
                if value.startswith("["):
                    calib[key] = _parse_matrix(value)
                else:
                    calib[key] = _parse_number(value)
            except ValueError:
                calib[key] = value
    return calib
