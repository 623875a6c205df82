"""Reading and writing stereo data: PFM, PNG images and disparity maps, calibration.

Disparity maps are float32 arrays of shape (H, W) in pixels, with the
Middlebury sign convention (left disparity >= 0; left pixel ``x`` matches
right pixel ``x - d``) and ``np.inf`` marking unknown values, as in the
Middlebury 2014 PFM files.

Every writer validates its input first and then writes to a temporary file
in the destination directory that is moved into place with
:func:`os.replace`, so a failed write never leaves a partial file behind.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "read_pfm",
    "write_pfm",
    "read_image",
    "read_disparity_png",
    "write_disparity_png",
    "write_png",
    "read_calib",
]


# --------------------------------------------------------------------------
# Atomic writing
# --------------------------------------------------------------------------


@contextmanager
def _atomic_path(path):
    """Yield a temporary path next to `path`; move it into place on success.

    The temporary file lives in the same directory so that :func:`os.replace`
    is an atomic rename on the same file system. It is created by an ordinary
    exclusive open, not :func:`tempfile.mkstemp`, so that the result gets the
    permissions of any new file under the user's umask rather than 0600.
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
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


# --------------------------------------------------------------------------
# PFM
# --------------------------------------------------------------------------

# A PFM header is three whitespace-separated tokens after the magic; the
# single whitespace byte after the scale token starts the raster.
_PFM_HEADER = re.compile(rb"\A(P[Ff])\s+(\d+)\s+(\d+)\s+(\S+)\s")


def read_pfm(path):
    """Read a Portable Float Map (PFM) file.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    array : ndarray of float32, shape (H, W) or (H, W, 3)
        Gray ('Pf') or colour ('PF') image, top row first. Non-finite values
        (such as ``inf`` for unknown disparities) are preserved.

    Raises
    ------
    OSError
        If the file cannot be read, its header is malformed or its data is
        truncated.

    Notes
    -----
    A negative scale in the header means little-endian data, a positive one
    big-endian. Rows are stored bottom-to-top in the file.
    """
    path = Path(path)
    with open(path, "rb") as f:
        data = f.read()
    match = _PFM_HEADER.match(data[:256])
    if match is None:
        raise OSError(f"{path}: not a PFM file (bad magic or malformed header)")
    magic, width, height, scale = match.groups()
    width, height = int(width), int(height)
    try:
        scale = float(scale)
    except ValueError:
        raise OSError(f"{path}: malformed PFM scale {scale!r}") from None
    if scale == 0 or not np.isfinite(scale):
        raise OSError(f"{path}: invalid PFM scale {scale}")
    channels = 3 if magic == b"PF" else 1
    dtype = np.dtype("<f4" if scale < 0 else ">f4")
    count = width * height * channels
    raster = data[match.end():]
    if len(raster) < count * 4:
        raise OSError(
            f"{path}: truncated PFM data: expected {count * 4} bytes for "
            f"{width}x{height}x{channels}, found {len(raster)}"
        )
    array = np.frombuffer(raster, dtype=dtype, count=count)
    shape = (height, width) if channels == 1 else (height, width, 3)
    # Flip to top-to-bottom and return native-endian, writable float32.
    return np.ascontiguousarray(array.reshape(shape)[::-1], dtype=np.float32)


def _check_pfm_array(array):
    """Return `array` as float32 after checking it can be stored as PFM."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"array must be real-valued, got dtype {array.dtype}")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"array must have shape (H, W) or (H, W, 3), got {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"array must not be empty, got shape {array.shape}")
    return array.astype(np.float32, copy=False)


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
        If `array` is not real, has the wrong shape, or `byteorder` is invalid.
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
    """Convert a Pillow image to a uint8/uint16 (H, W) or (H, W, 3) array."""
    mode = image.mode
    if mode == "P":
        image = image.convert("L" if _palette_is_gray(image) else "RGB")
    elif mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image)
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise OSError(f"integer image values outside the 16-bit range in mode {mode}")
        return array.astype(np.uint16)
    elif mode in ("1", "L", "LA"):
        image = image.convert("L")
    elif mode != "RGB":
        # RGBA, CMYK, YCbCr, ...: drop alpha / convert colour spaces.
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def read_image(path):
    """Read an image file (PNG, PPM, ...) with Pillow.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    image : ndarray of uint8 or uint16, shape (H, W) or (H, W, 3)
        Gray or RGB image; alpha is dropped. Palette images decode to gray
        when every palette entry they use is gray, else to RGB. 16-bit images
        give uint16.

    Raises
    ------
    OSError
        If the file is missing or cannot be decoded.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            return _to_array(image)
    except OSError as exc:
        if str(path) in str(exc):
            raise
        raise OSError(f"{path}: cannot read image: {exc}") from exc


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
        If the file cannot be read or a line is malformed.
    """
    path = Path(path)
    calib = {}
    with open(path, encoding="ascii", errors="replace") as f:
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
