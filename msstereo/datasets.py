"""Stereo scenes with ground truth: Middlebury layouts and a bundled example.

:func:`load_scene` reads a scene folder in one of the Middlebury layouts
(the v2 evaluation folders used for development, and the official 2003,
2005/2006 and 2014 layouts) into a :class:`Scene`; scenes of the 2003 and
2005 layouts without mask files get 'all' and 'nonocc' masks derived from
their left and right ground truth (:func:`consistency_masks`).
:func:`motorcycle` gives the downsampled Middlebury 2014 Motorcycle pair
shipped with scikit-image, so examples run without any data folder, and
:func:`get_scene` loads any of these by name from the data folder.

References
----------
.. [1] D. Scharstein and R. Szeliski, "A taxonomy and evaluation of dense
       two-frame stereo correspondence algorithms", IJCV 47, 2002.
.. [2] D. Scharstein and R. Szeliski, "High-accuracy stereo depth maps using
       structured light", CVPR 2003.
.. [3] D. Scharstein and C. Pal, "Learning conditional random fields for
       stereo", CVPR 2007; H. Hirschmüller and D. Scharstein, "Evaluation of
       cost functions for stereo matching", CVPR 2007 (2005/2006 data).
.. [4] D. Scharstein et al., "High-resolution stereo datasets with
       subpixel-accurate ground truth", GCPR 2014.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checks
from .io import read_calib, read_disparity_png, read_image, read_pfm

__all__ = [
    "Scene", "load_scene", "read_mask", "scene_files", "SCENE_FILES", "data_dir", "v2_scene", "get_scene", "motorcycle",
    "left_right_consistent", "consistency_masks", "V2_SCENES", "SCENES_2005", "SCENE_NAMES",
]

#: Scene names of the Middlebury v2 evaluation.
V2_SCENES = ("tsukuba", "venus", "teddy", "cones")

#: Scene names of the Middlebury 2005 scenes of the data folder (third size).
SCENES_2005 = ("art", "laundry")

#: Every name :func:`get_scene` accepts.
SCENE_NAMES = V2_SCENES + SCENES_2005 + ("motorcycle",)

# Files whose presence identifies each layout: (left image, right image).
_LAYOUT_FILES = {
    "v2": ("imL.png", "imR.png"),
    "2003": ("im2.png", "im6.png"),
    "2005": ("view1.png", "view5.png"),
    "2014": ("im0.png", "im1.png"),
}

_MASK_NAMES = ("nonocc", "all", "disc")

# Every file each layout may read: (left, right, ground truth, right ground truth, others).
_LAYOUT_READS = {
    "v2": ("imL.png", "imR.png", "groundtruth.png", "groundtruth_right.png", "info.txt"),
    "2003": ("im2.png", "im6.png", "disp2.png", "disp6.png"),
    "2005": ("view1.png", "view5.png", "disp1.png", "disp5.png"),
    "2014": ("im0.png", "im1.png", "disp0.pfm", "disp1.pfm", "disp0GT.pfm", "disp1GT.pfm", "calib.txt",
             "mask0nocc.png"),
}

#: Every file name of a Middlebury scene folder in the layouts above: those :func:`load_scene`
#: reads, the masks, and the other files of the published folders (the other views of 2003
#: and 2005, ``dmin.txt``, the 2014 exposure and lighting variants, the y-disparities and the
#: right masks). No output of a run may replace one of them (:func:`scene_files`).
SCENE_FILES = frozenset(
    [name for names in _LAYOUT_READS.values() for name in names]
    + [f"{name}.png" for name in _MASK_NAMES]
    + [f"im{i}.png" for i in range(9)] + [f"view{i}.png" for i in range(7)]
    + ["dmin.txt", "im1E.png", "im1L.png", "disp0y.pfm", "disp1y.pfm", "mask1nocc.png", "occl.png"]
)


@dataclass
class Scene:
    """A rectified stereo pair with optional ground truth.

    Attributes
    ----------
    name : str
        Scene name (the folder name for loaded scenes).
    left, right : ndarray of uint8 or uint16, shape (H, W) or (H, W, 3)
        Left and right images as read.
    disparity : ndarray of float32, shape (H, W), or None
        Left ground-truth disparity in pixels, ``inf`` where unknown.
    disparity_right : ndarray of float32, shape (H, W), or None
        Right ground-truth disparity, if the dataset provides it.
    masks : dict of str to ndarray of bool, shape (H, W)
        Evaluation masks keyed 'nonocc', 'all' and 'disc' (those available).
    ndisp : int or None
        Number of disparity levels: disparities lie in ``[0, ndisp)``.
    path : str or None
        Folder the scene was loaded from.
    layout : {'v2', '2003', '2005', '2014'} or None
        Layout of that folder (:func:`load_scene`).
    files : tuple of str
        The files of the scene's folder named in :data:`SCENE_FILES`
        (images, ground truth, masks, ``info.txt``, ``calib.txt``, ...),
        whichever layout they belong to: what a run must never overwrite
        (:func:`scene_files`).
    vmin, vmax : float or None
        ``calib.txt``'s tight bounds of the ground truth (2014 layout), for
        colour maps only: the Middlebury rules forbid a stereo algorithm to
        use them, so `msstereo.match` searches ``[0, ndisp]``.
    ndisp_source : str or None
        The file that gave `ndisp` (``calib.txt``, ``info.txt``, or the
        ground truth it was derived from), for messages about it.
    ndisp_from_ground_truth : bool
        Whether `ndisp` was derived from the ground truth (2003 and 2005
        layouts, a 2014 folder without ``ndisp`` in ``calib.txt``,
        Motorcycle): fit for scoring and for the studies' comparisons, not
        for matching (`given_ndisp`).
    """

    name: str
    left: np.ndarray
    right: np.ndarray
    disparity: np.ndarray | None = None
    disparity_right: np.ndarray | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    ndisp: int | None = None
    path: str | None = None
    layout: str | None = None
    files: tuple = ()
    vmin: float | None = None
    vmax: float | None = None
    ndisp_source: str | None = None
    ndisp_from_ground_truth: bool = False

    @property
    def given_ndisp(self):
        """int or None: `ndisp` as the scene's own files give it (``info.txt``, ``calib.txt``).

        None when there is none or it was derived from the ground truth: a
        matcher must not see the ground truth, so ``match SCENE_DIR`` then
        finds the range from the pair, as for a user's scene.
        """
        return None if self.ndisp_from_ground_truth else self.ndisp

    @property
    def shape(self):
        """tuple of int: image size (H, W)."""
        return self.left.shape[:2]

    @property
    def known(self):
        """ndarray of bool, shape (H, W), or None: pixels with ground truth.

        Finite ground truth, restricted to the 'all' mask when there is one
        (the v2 'all' mask also drops an image border on Tsukuba and Venus).
        """
        if self.disparity is None:
            return None
        known = np.isfinite(self.disparity)
        if "all" in self.masks:
            known &= self.masks["all"]
        return known

    @property
    def occlusion(self):
        """ndarray of bool, shape (H, W), or None: ground-truth occlusion.

        Pixels with ground truth (:attr:`known`) outside the 'nonocc' mask,
        i.e. left pixels not visible in the right view. This is the reference
        for scoring predicted occlusion maps. None without ground truth or a
        'nonocc' mask.
        """
        if self.disparity is None or "nonocc" not in self.masks:
            return None
        return self.known & ~self.masks["nonocc"]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _require(folder, name, layout):
    """Return ``folder / name``, raising OSError if it does not exist."""
    path = folder / name
    if not path.is_file():
        raise OSError(f"{folder}: missing {name!r} expected in a {layout!r} scene folder")
    return path


def scene_files(folder):
    """The files of ``folder`` that a Middlebury scene folder holds (:data:`SCENE_FILES`).

    Used to protect a scene folder from a run's outputs, also when the run
    reads only two of its images: ``match g/im0.png g/im1.png`` must no
    more replace ``g/disp0.pfm`` or ``g/calib.txt`` than ``match g`` may.

    Parameters
    ----------
    folder : str or os.PathLike
        Any folder; one that is missing or unreadable has none.

    Returns
    -------
    tuple of str
        Paths of the entries of `folder` with those names, sorted.
    """
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return ()
    return tuple(str(Path(folder) / name) for name in sorted(names & SCENE_FILES))


def _fits(array, path, shape):
    """``array`` read from ``path``, or an OSError naming the file if its size is not ``shape``."""
    if array.shape[:2] != tuple(shape):
        raise OSError(f"{path}: size {array.shape[1]}x{array.shape[0]} differs from the left image's "
                      f"{shape[1]}x{shape[0]}")
    return array


def _ground_truth(array, path, shape):
    """A ground-truth map read from ``path``, checked: one channel, the left image's size."""
    if array.ndim != 2:
        raise OSError(f"{path}: ground truth must have one channel, got shape {array.shape}")
    return _fits(array, path, shape)


def _optional(folder, name):
    """Return ``folder / name`` if it exists, else None."""
    path = folder / name
    return path if path.is_file() else None


def read_mask(path):
    """Read a Middlebury mask: only the full value (255) is in the mask.

    In v2 ``disc.png`` 128 marks non-occluded pixels away from
    discontinuities, so anything below 255 is outside.

    Parameters
    ----------
    path : str or os.PathLike
        Gray or RGB image (8 or 16 bits).

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Raises
    ------
    OSError
        Naming the file, if it cannot be read.
    """
    image = read_image(path)
    if image.ndim == 3:
        image = image.min(axis=2)
    return image == np.iinfo(image.dtype).max if image.dtype == np.uint16 else image == 255


def _read_masks(folder, shape, names=_MASK_NAMES):
    """Read the masks ``<name>.png`` present in `folder`, each of the left image's ``shape``."""
    return {name: _fits(read_mask(p), p, shape) for name in names if (p := _optional(folder, f"{name}.png"))}


def left_right_consistent(disparity, disparity_right, tol=1.0):
    """Left pixels whose match in the right view carries the same disparity.

    Left pixel ``x`` with disparity ``d`` matches right pixel ``x - d``
    (Middlebury convention), rounded to the nearest pixel (halves round up,
    toward the right). It is consistent if that pixel lies inside the image,
    its right disparity is finite, and the two agree within `tol`:
    ``|d_l(x) - d_r(round(x - d_l(x)))| <= tol``. Nearest-pixel sampling
    rather than interpolation keeps unknown (non-finite) right values from
    spreading to their neighbours.

    Parameters
    ----------
    disparity, disparity_right : ndarray, shape (H, W)
        Left and right disparity in pixels, both positive; non-finite values
        are unknown (or invalid).
    tol : float, optional
        Largest accepted disagreement in pixels.

    Returns
    -------
    consistent : ndarray of bool, shape (H, W)
        False wherever the left disparity is unknown.

    Raises
    ------
    ValueError
        If the shapes differ or are not 2-D.
    """
    d_left = np.asarray(disparity, dtype=np.float64)
    d_right = np.asarray(disparity_right, dtype=np.float64)
    if d_left.ndim != 2 or d_left.shape != d_right.shape:
        raise ValueError(
            f"expected two (H, W) maps of one shape, got {d_left.shape} and {d_right.shape}"
        )
    rows, cols = np.indices(d_left.shape)
    with np.errstate(invalid="ignore"):
        target = np.floor(cols - d_left + 0.5)
        inside = np.isfinite(target) & (target >= 0) & (target <= d_left.shape[1] - 1)
        at_match = d_right[rows, np.where(inside, target, 0).astype(np.intp)]
        return inside & (np.abs(d_left - at_match) <= tol)


def consistency_masks(disparity, disparity_right, tol=1.0):
    """Evaluation masks 'all' and 'nonocc' from left and right ground truth.

    The rule used for the Middlebury 2005 data, which ships no masks: 'all' is
    every pixel with (finite) left ground truth; 'nonocc' those of them that
    are :func:`left_right_consistent`, i.e. whose match in the right view
    (``x - d``, nearest pixel) has known right ground truth within `tol` of
    the left one.

    Parameters
    ----------
    disparity, disparity_right : ndarray, shape (H, W)
        Left and right ground truth in pixels, non-finite where unknown.
    tol : float, optional
        Largest accepted left-right disagreement in pixels.

    Returns
    -------
    masks : dict
        ``{'all': ndarray of bool, 'nonocc': ndarray of bool}``, each of
        shape (H, W); 'nonocc' is a subset of 'all'.

    Notes
    -----
    A left pixel outside 'nonocc' is occluded in the right view, matches a
    point off the right image, or matches a pixel whose right ground truth
    is unknown; :attr:`Scene.occlusion` counts all three as occluded.
    """
    known = np.isfinite(disparity)
    return {"all": known, "nonocc": known & left_right_consistent(disparity, disparity_right, tol)}


def _ndisp_from_gt(disparity):
    """Disparity level count covering the finite ground truth, or None."""
    if disparity is None:
        return None
    finite = disparity[np.isfinite(disparity)]
    if finite.size == 0:
        return None
    return int(math.ceil(float(finite.max()))) + 1


def _source(path, disparity):
    """The ground-truth file that gives ``ndisp`` (`_ndisp_from_gt`), or None if it gives none."""
    return None if _ndisp_from_gt(disparity) is None else str(path)


def _check_shapes(folder, scene):
    """Raise OSError if the scene's arrays disagree in size."""
    arrays = {"left": scene.left, "right": scene.right}
    if scene.disparity is not None:
        arrays["disparity"] = scene.disparity
    if scene.disparity_right is not None:
        arrays["disparity_right"] = scene.disparity_right
    arrays.update({f"mask {k!r}": v for k, v in scene.masks.items()})
    shapes = {k: v.shape[:2] for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise OSError(f"{folder}: image sizes disagree: {shapes}")
    return scene


def _detect_layout(folder):
    """Return the layout whose image files are present in `folder`."""
    for layout, files in _LAYOUT_FILES.items():
        if all((folder / f).is_file() for f in files):
            return layout
    expected = "; ".join(f"{k}: {' + '.join(v)}" for k, v in _LAYOUT_FILES.items())
    raise OSError(f"{folder}: not a recognised stereo scene folder (expected {expected})")


# --------------------------------------------------------------------------
# Layout readers
# --------------------------------------------------------------------------


def _check_ndisp(value, path):
    """``ndisp`` read from ``path`` as an int >= 1, or an OSError naming the file."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not (isinstance(value, int) and value >= 1):
        raise OSError(f"{path}: ndisp must be a positive integer, got {value!r}")
    return value


def _read_v2_info(path):
    """Return (scale, ndisp) from a v2 ``info.txt``."""
    lines = path.read_text(errors="replace").split()
    try:
        scale, ndisp = float(lines[0]), int(lines[1])
    except (IndexError, ValueError):
        raise OSError(f"{path}: expected the scale on line 1 and ndisp on line 2") from None
    if not (math.isfinite(scale) and scale > 0):
        raise OSError(f"{path}: the scale on line 1 must be a positive number, got {lines[0]!r}")
    return scale, _check_ndisp(ndisp, path)


def _load_v2(folder, scale):
    """Read the v2 evaluation folder layout (see module docs of load_scene)."""
    left = read_image(_require(folder, "imL.png", "v2"))
    shape = left.shape[:2]
    right = _fits(read_image(path := _require(folder, "imR.png", "v2")), path, shape)
    info = _require(folder, "info.txt", "v2")
    info_scale, ndisp = _read_v2_info(info)
    scale = info_scale if scale is None else scale
    gt = _require(folder, "groundtruth.png", "v2")
    disparity = _ground_truth(read_disparity_png(gt, scale), gt, shape)
    right_gt = _optional(folder, "groundtruth_right.png")
    return Scene(
        name=folder.name,
        left=left,
        right=right,
        disparity=disparity,
        disparity_right=_ground_truth(read_disparity_png(right_gt, scale), right_gt, shape) if right_gt else None,
        masks=_read_masks(folder, shape),
        ndisp=ndisp,
        ndisp_source=str(info),
    )


def _load_png_pair(folder, layout, files, scale):
    """Read a layout of two images and two optional scaled disparity PNGs."""
    left_name, right_name, disp_name, disp_right_name = files
    left = read_image(_require(folder, left_name, layout))
    shape = left.shape[:2]
    right = _fits(read_image(path := _require(folder, right_name, layout)), path, shape)
    if scale is None:
        scale = _png_scale(layout, left.shape[1])
    disp = _optional(folder, disp_name)
    disp_right = _optional(folder, disp_right_name)
    disparity = _ground_truth(read_disparity_png(disp, scale), disp, shape) if disp else None
    return Scene(
        name=folder.name,
        left=left,
        right=right,
        disparity=disparity,
        disparity_right=_ground_truth(read_disparity_png(disp_right, scale), disp_right, shape)
        if disp_right else None,
        masks=_read_masks(folder, shape),
        ndisp=_ndisp_from_gt(disparity),
        ndisp_source=_source(disp, disparity),
        ndisp_from_ground_truth=True,
    )


def _derive_masks(scene):
    """Give a scene without masks the :func:`consistency_masks` of its ground truth.

    Scenes with any mask, or without left and right ground truth, are
    returned unchanged.
    """
    if not scene.masks and scene.disparity is not None and scene.disparity_right is not None:
        scene.masks = consistency_masks(scene.disparity, scene.disparity_right)
    return scene


def _png_scale(layout, width):
    """Stored PNG value per pixel of disparity for the 2003 and 2005 layouts.

    2003 (Teddy, Cones, quarter size): disparities are stored times 4 [2]_.
    2005/2006: the stored value is the full-size disparity at every image
    size, so it is divided by the size reduction: 1 for full size
    (~1240-1390 px wide), 2 for half size (~620-695 px), 3 for third size
    (~410-465 px). The size is inferred from the image width.
    """
    if layout == "2003":
        return 4.0
    if width >= 1000:
        return 1.0
    if width >= 550:
        return 2.0
    return 3.0


def _load_2014(folder):
    """Read the Middlebury 2014 layout (im0/im1, disp0 PFM, calib.txt)."""
    left = read_image(_require(folder, "im0.png", "2014"))
    shape = left.shape[:2]
    right = _fits(read_image(path := _require(folder, "im1.png", "2014")), path, shape)
    disp = _optional(folder, "disp0.pfm") or _optional(folder, "disp0GT.pfm")
    disp_right = _optional(folder, "disp1.pfm") or _optional(folder, "disp1GT.pfm")
    disparity = _ground_truth(read_pfm(disp), disp, shape) if disp else None
    calib_path = _optional(folder, "calib.txt")
    calib = read_calib(calib_path) if calib_path else {}
    from_gt = "ndisp" not in calib
    if from_gt:
        ndisp, source = _ndisp_from_gt(disparity), _source(disp, disparity)
    else:
        ndisp, source = _check_ndisp(calib["ndisp"], calib_path), str(calib_path)
    masks = {}
    if disparity is not None:
        masks["all"] = np.isfinite(disparity)
        # MiddEval3 training folders ship mask0nocc.png: 255 = not occluded.
        nocc = _optional(folder, "mask0nocc.png")
        if nocc:
            masks["nonocc"] = _fits(read_mask(nocc), nocc, shape) & masks["all"]
    return Scene(
        name=folder.name,
        left=left,
        right=right,
        disparity=disparity,
        disparity_right=_ground_truth(read_pfm(disp_right), disp_right, shape) if disp_right else None,
        ndisp_source=source,
        ndisp_from_ground_truth=from_gt,
        masks=masks,
        ndisp=ndisp,
        vmin=_bound(calib, "vmin", calib_path),
        vmax=_bound(calib, "vmax", calib_path),
    )


def _bound(calib, key, path):
    """``calib[key]`` as a finite float, None if absent; an OSError naming the file otherwise."""
    if key not in calib:
        return None
    value = calib[key]
    if isinstance(value, str) or not math.isfinite(value):
        raise OSError(f"{path}: {key} must be a finite number, got {value!r}")
    return float(value)


def load_scene(path, *, layout=None, scale=None):
    """Load a stereo scene folder.

    Parameters
    ----------
    path : str or os.PathLike
        Scene folder.
    layout : {'v2', '2003', '2005', '2014'}, optional
        Folder layout; detected from the image file names when omitted:

        - 'v2': ``imL.png``, ``imR.png``, ``groundtruth.png`` (left disparity
          times the scale on line 1 of ``info.txt``, 0 unknown), optional
          ``groundtruth_right.png``, masks ``nonocc.png``, ``all.png``,
          ``disc.png`` (255 = evaluated), ``info.txt`` (line 2: ndisp).
        - '2003' (Teddy, Cones [2]_): ``im2.png`` (left), ``im6.png`` (right),
          ``disp2.png``, ``disp6.png`` (disparity times 4, 0 unknown),
          optional masks as in 'v2'.
        - '2005' (2005 and 2006 datasets [3]_): ``view1.png`` (left),
          ``view5.png`` (right), ``disp1.png``, ``disp5.png`` (0 unknown).
          The stored value is the full-size disparity whatever the image
          size, so it is divided by 1, 2 or 3 for full, half and third size,
          inferred from the image width (>= 1000 px full, >= 550 px half,
          else third). Pass `scale` to override.

          In both '2003' and '2005', a folder with left and right ground
          truth but no mask file gets masks 'all' and 'nonocc' derived by
          :func:`consistency_masks` (no 'disc'); masks are read, not
          derived, as soon as one mask file is present.
        - '2014' [4]_: ``im0.png``, ``im1.png``, ``disp0.pfm`` (or
          ``disp0GT.pfm``), optional ``disp1.pfm``, ``calib.txt`` (ndisp;
          vmin and vmax are kept as `Scene.vmin` and `Scene.vmax`).
          Mask 'all' = finite ground truth; 'nonocc' from ``mask0nocc.png``
          when present.

    scale : float, optional
        Stored PNG value per pixel of disparity, overriding the layout's
        rule (ignored for '2014', whose PFM files hold pixels).

    Returns
    -------
    scene : Scene
        Images, ground truth (``inf`` = unknown), masks, ndisp, the layout
        and the scene files of the folder (`Scene.files`). For
        '2003' and '2005' ndisp is ``ceil(max ground truth) + 1``, or None
        without ground truth (`Scene.ndisp_from_ground_truth`; for matching
        use `Scene.given_ndisp`).

    Raises
    ------
    OSError
        Naming the file: if the folder is missing, matches no layout, lacks
        a required file, or its files cannot be read or hold invalid values
        (an ``ndisp`` that is not a positive integer up to the image width,
        a scale that is not a positive number, a ground truth of more than
        one channel, an image, ground truth or mask whose size is not the
        left image's).
    ValueError
        If `layout` is not one of the names above or `scale` is not positive.
    """
    folder = Path(path)
    if layout is not None and layout not in _LAYOUT_FILES:
        raise ValueError(f"layout must be one of {sorted(_LAYOUT_FILES)}, got {layout!r}")
    if scale is not None:
        scale = checks.positive()(scale, "scale")
    if not folder.is_dir():
        raise OSError(f"{folder}: scene folder not found")
    layout = layout or _detect_layout(folder)
    if layout == "v2":
        scene = _load_v2(folder, scale)
    elif layout in ("2003", "2005"):
        scene = _load_png_pair(folder, layout, _LAYOUT_READS[layout], scale)
    else:
        scene = _load_2014(folder)
    scene.path, scene.layout, scene.files = str(folder), layout, scene_files(folder)
    scene = _check_shapes(folder, scene)
    return _derive_masks(scene) if layout in ("2003", "2005") else scene


# --------------------------------------------------------------------------
# Named scenes
# --------------------------------------------------------------------------


def data_dir():
    """Return the user's data folder, or None.

    Returns
    -------
    folder : pathlib.Path or None
        The folder named by the environment variable ``MSSTEREO_DATA`` if it
        contains ``middlebury/v2``, else None.
    """
    value = os.environ.get("MSSTEREO_DATA")
    if not value:
        return None
    folder = Path(value).expanduser()
    return folder if (folder / "middlebury" / "v2").is_dir() else None


def v2_scene(name, root=None):
    """Load one of the four Middlebury v2 evaluation scenes [1]_ [2]_.

    Parameters
    ----------
    name : {'tsukuba', 'venus', 'teddy', 'cones'}
        Scene name.
    root : str or os.PathLike, optional
        Data folder holding ``middlebury/v2/<name>``; defaults to
        :func:`data_dir`.

    Returns
    -------
    scene : Scene

    Raises
    ------
    ValueError
        If `name` is not a v2 scene.
    OSError
        If no data folder is given or found, or the scene cannot be read.
    """
    if name not in V2_SCENES:
        raise ValueError(f"name must be one of {V2_SCENES}, got {name!r}")
    return load_scene(_data_root(root) / "middlebury" / "v2" / name, layout="v2")


def get_scene(name, root=None):
    """Load a scene by name: the v2 scenes, Art, Laundry or Motorcycle.

    Parameters
    ----------
    name : str
        One of :data:`SCENE_NAMES` (case-insensitive): 'tsukuba', 'venus',
        'teddy', 'cones' (:func:`v2_scene`); 'art', 'laundry' (the third-size
        2005 scenes in ``middlebury/2005/Art`` and ``middlebury/2005/Laundry``
        of the data folder, with masks from :func:`consistency_masks`); or
        'motorcycle' (:func:`motorcycle`, no data folder needed).
    root : str or os.PathLike, optional
        Data folder holding ``middlebury/``; defaults to :func:`data_dir`.

    Returns
    -------
    scene : Scene
        Named `name` in lower case.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`SCENE_NAMES`.
    OSError
        If no data folder is given or found, or the scene cannot be read.
    """
    key = str(name).lower()
    if key not in SCENE_NAMES:
        raise ValueError(f"name must be one of {SCENE_NAMES}, got {name!r}")
    if key == "motorcycle":
        return motorcycle()
    if key in V2_SCENES:
        return v2_scene(key, root)
    scene = load_scene(_data_root(root) / "middlebury" / "2005" / key.capitalize(), layout="2005")
    scene.name = key
    return scene


def _data_root(root):
    """`root` as a Path, or :func:`data_dir`; OSError if neither is given."""
    if root is not None:
        return Path(root)
    found = data_dir()
    if found is None:
        raise OSError(
            "no Middlebury data folder: pass root= or set MSSTEREO_DATA to the "
            "folder holding middlebury/v2"
        )
    return found


def motorcycle():
    """Middlebury 2014 Motorcycle [4]_, downsampled, from scikit-image.

    Returns
    -------
    scene : Scene
        RGB uint8 images of shape (500, 741, 3), left ground truth with
        ``inf`` where unknown (Middlebury sign convention, about 7 to 60 px),
        mask 'all' = finite ground truth, ``ndisp = ceil(max) + 1``.
    """
    from skimage.data import stereo_motorcycle

    left, right, disparity = stereo_motorcycle()
    disparity = np.array(disparity, dtype=np.float32)
    disparity[~np.isfinite(disparity)] = np.inf  # one marker for unknown
    return Scene(
        name="motorcycle",
        left=left,
        right=right,
        disparity=disparity,
        masks={"all": np.isfinite(disparity)},
        ndisp=_ndisp_from_gt(disparity),
        ndisp_from_ground_truth=True,
    )


# --------------------------------------------------------------------------
# Download of the public scenes (msstereo/fetch.py)
# --------------------------------------------------------------------------

from .fetch import FETCH_SCENES, UnverifiedDownloadWarning, fetch  # noqa: E402

__all__ += ["fetch", "FETCH_SCENES", "UnverifiedDownloadWarning"]
