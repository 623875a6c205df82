"""Peer stereo matchers that the benchmarks compare msstereo against.

:func:`sgbm` runs OpenCV's semi-global block matching (Hirschmüller,
"Stereo processing by semiglobal matching and mutual information", IEEE
TPAMI 30(2), 2008) as a complete dense matcher: left-padded so that the left
border gets disparities, left-right checked, and background-filled, the same
post-processing a variational method gets for free. OpenCV
(``opencv-python-headless``) is an optional, benchmark-only dependency:
``pip install "msstereo[bench]"``.
"""

import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

from msstereo.datasets import left_right_consistent
from msstereo.kernels.occlusion import background_fill

__all__ = ["SGBMSettings", "SGBM", "sgbm", "num_disparities"]

OPENCV_MISSING = 'the SGBM peer needs OpenCV: pip install "msstereo[bench]"'


@dataclass(frozen=True)
class SGBMSettings:
    """Settings of the SGBM peer.

    Attributes
    ----------
    block_size : int
        Matching block side (``blockSize``); 3 as in OpenCV's stereo_match
        sample for the 3-way mode.
    p1, p2 : int
        Smoothness penalties per channel and block pixel: OpenCV's
        ``P1 = p1 * channels * block_size**2`` (disparity changes of one
        level) and ``P2 = p2 * channels * block_size**2`` (larger jumps), the
        usual 8 and 32.
    uniqueness_ratio : int
        Percent by which the best cost must beat the second best
        (``uniquenessRatio``).
    speckle_window_size, speckle_range : int
        OpenCV's speckle filter: connected regions of at most this many
        pixels whose disparities vary by at most ``speckle_range`` are
        invalidated (``speckleWindowSize``, ``speckleRange``).
    pre_filter_cap : int
        Clip of the x-derivative prefilter (``preFilterCap``): 15, what
        OpenCV uses when the parameter is left at its default 0. (63, the
        value of OpenCV's sample, gave 0.5-0.9 points more bad 1 nonocc on
        the v2 scenes and Art, 1 point less on Laundry.)
    lr_tol : float
        Left-right check: a left pixel is invalid when
        ``|d_l(x) - d_r(x - d_l(x))| > lr_tol`` (nearest pixel, see
        `msstereo.datasets.left_right_consistent`). OpenCV's own check
        (``disp12MaxDiff``) is off.
    threads : int or None
        OpenCV worker threads during the call (restored afterwards); 1 like
        msstereo's serial kernels, None leaves OpenCV's setting.

    Notes
    -----
    Fixed, not settable: mode ``STEREO_SGBM_MODE_SGBM_3WAY``, ``minDisparity``
    0, ``numDisparities`` = `num_disparities` (``ndisp`` rounded up to a
    multiple of 16), left padding of ``numDisparities`` columns (edge
    replicated, cropped afterwards), background fill of invalid pixels
    (`msstereo.kernels.occlusion.background_fill`).
    """

    block_size: int = 3
    p1: int = 8
    p2: int = 32
    uniqueness_ratio: int = 10
    speckle_window_size: int = 100
    speckle_range: int = 2
    pre_filter_cap: int = 15
    lr_tol: float = 1.0
    threads: int | None = 1

    def describe(self):
        """dict: OpenCV's version and every setting, the fixed ones included, for result files."""
        return {"opencv": _import_cv2().__version__,
                "mode": "STEREO_SGBM_MODE_SGBM_3WAY", "minDisparity": 0,
                "numDisparities": "ndisp rounded up to a multiple of 16",
                "disp12MaxDiff": "off (own left-right check)",
                "left padding": "numDisparities columns, edge replicated",
                "fill": "background (smaller nearest valid disparity along the row)",
                **asdict(self)}


#: Default settings of :func:`sgbm`.
SGBM = SGBMSettings()


def num_disparities(ndisp):
    """``ndisp`` rounded up to a multiple of 16, as OpenCV's SGBM requires.

    Parameters
    ----------
    ndisp : int
        Number of disparity levels of the scene.

    Returns
    -------
    int
    """
    return 16 * max(1, -(-int(ndisp) // 16))


def sgbm(left, right, ndisp, settings=SGBM):
    """Left disparity by OpenCV SGBM, left-right checked and background-filled.

    Parameters
    ----------
    left, right : ndarray of uint8, shape (H, W) or (H, W, C)
        Rectified pair (e.g. ``Scene.left`` and ``Scene.right``).
    ndisp : int
        Number of disparity levels: disparities are searched in
        ``[0, num_disparities(ndisp))``.
    settings : SGBMSettings, optional
        Matcher and post-processing settings.

    Returns
    -------
    disparity : ndarray of float32, shape (H, W)
        Left disparity in pixels (OpenCV's fixed point divided by 16). Pixels
        that fail the left-right check or that SGBM leaves invalid hold the
        background fill; only a row without any valid pixel stays NaN.
    seconds : float
        Wall time of the whole pipeline: both matches, check and fill.

    Raises
    ------
    ImportError
        If OpenCV is not installed (``pip install "msstereo[bench]"``).
    ValueError
        If the images are not uint8 or their shapes differ.
    """
    cv2 = _import_cv2()
    if left.dtype != np.uint8 or right.dtype != np.uint8 or left.shape != right.shape:
        raise ValueError(f"expected two uint8 images of one shape, got {left.dtype} {left.shape} "
                         f"and {right.dtype} {right.shape}")
    start = time.perf_counter()
    with _opencv_threads(cv2, settings.threads):
        matcher = _matcher(cv2, settings, num_disparities(ndisp), _channels(left))
        d_left = _padded_disparity(matcher, left, right)
        d_right = _padded_disparity(matcher, right[:, ::-1], left[:, ::-1])[:, ::-1]
    invalid = ~left_right_consistent(d_left, d_right, settings.lr_tol)
    disparity = background_fill(d_left, invalid)
    return disparity, time.perf_counter() - start


def _import_cv2():
    """Return the cv2 module; ImportError naming the bench extra if missing."""
    try:
        import cv2
    except ImportError as error:
        raise ImportError(OPENCV_MISSING) from error
    return cv2


@contextmanager
def _opencv_threads(cv2, threads):
    """Run the block with `threads` OpenCV threads (unchanged if None)."""
    if threads is None:
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _channels(image):
    """Number of colour channels of an (H, W) or (H, W, C) image."""
    return 1 if image.ndim == 2 else image.shape[2]


def _matcher(cv2, settings, num_disp, channels):
    """The configured ``cv2.StereoSGBM`` for `num_disp` levels."""
    area = channels * settings.block_size**2
    return cv2.StereoSGBM_create(
        minDisparity=0,
        numDisparities=num_disp,
        blockSize=settings.block_size,
        P1=settings.p1 * area,
        P2=settings.p2 * area,
        disp12MaxDiff=-1,
        preFilterCap=settings.pre_filter_cap,
        uniquenessRatio=settings.uniqueness_ratio,
        speckleWindowSize=settings.speckle_window_size,
        speckleRange=settings.speckle_range,
        mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY,
    )


def _padded_disparity(matcher, left, right):
    """Disparity of `left` in pixels, NaN where SGBM finds none.

    Both images are padded on the left by the matcher's disparity count
    (edge replicated) so that the left border columns, which SGBM leaves
    invalid, lie in the padding; the padding is cropped off the result.
    """
    pad = matcher.getNumDisparities()
    widths = ((0, 0), (pad, 0)) + ((0, 0),) * (left.ndim - 2)
    fixed = matcher.compute(np.pad(left, widths, mode="edge"), np.pad(right, widths, mode="edge"))
    fixed = fixed[:, pad:]
    disparity = fixed.astype(np.float32) / 16.0  # OpenCV's DISP_SCALE: 4 fractional bits
    disparity[fixed < 0] = np.nan  # invalid: (minDisparity - 1) * 16
    return disparity
