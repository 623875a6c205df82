"""What the notebooks share: which scenes, at which size, and where figures go.

Two environment variables choose the inputs, so that the test suite can run
every notebook quickly on small images while the stored outputs come from a
full-size run:

``MSSTEREO_NOTEBOOK_SCALE``
    Integer factor by which every scene is shrunk (1, the default: the
    scenes' own size; the tests use 4). Images are block-averaged over
    ``k x k`` blocks; ground truth and masks are sampled at the block
    centres and disparities divided by ``k``; ``ndisp`` becomes
    ``ceil(ndisp / k)``. A quick look, not a benchmark: scores at another
    size are not the published ones.
``MSSTEREO_NOTEBOOK_SCENES``
    Comma-separated scene names (``msstereo.datasets.SCENE_NAMES``), in
    place of a notebook's own list.

Scenes other than Motorcycle (shipped with scikit-image) come from the data
folder named by ``MSSTEREO_DATA`` (``msstereo.datasets.data_dir``; see the
README, or ``msstereo.datasets.fetch``); without it the notebooks fall back
to Motorcycle and say so.
"""

import math
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from skimage.transform import downscale_local_mean

from msstereo.datasets import data_dir, get_scene

#: Where notebooks save the figures that the README shows (full-size runs only).
FIGURES = Path(__file__).resolve().parent / "figures"


def scale():
    """The shrink factor from ``MSSTEREO_NOTEBOOK_SCALE`` (1 by default)."""
    value = int(os.environ.get("MSSTEREO_NOTEBOOK_SCALE", "1"))
    if value < 1:
        raise ValueError(f"MSSTEREO_NOTEBOOK_SCALE must be a positive integer, got {value}")
    return value


def scene_names(default):
    """Scene names from ``MSSTEREO_NOTEBOOK_SCENES``, else `default`."""
    value = os.environ.get("MSSTEREO_NOTEBOOK_SCENES")
    return [name.strip() for name in value.split(",") if name.strip()] if value else list(default)


def shrink(scene, k):
    """`scene` at ``1/k`` of its size (see the module notes); unchanged for ``k == 1``."""
    if k == 1:
        return scene
    rows, cols = scene.shape[0] // k * k, scene.shape[1] // k * k
    centre = k // 2

    def image(array):
        block = (k, k, 1) if array.ndim == 3 else (k, k)
        mean = downscale_local_mean(array[:rows, :cols].astype(np.float64), block)
        return np.round(mean).astype(array.dtype) if array.dtype.kind in "ui" else mean

    def sample(array):
        return None if array is None else array[centre:rows:k, centre:cols:k]

    return replace(
        scene, left=image(scene.left), right=image(scene.right),
        disparity=None if scene.disparity is None else sample(scene.disparity) / k,
        disparity_right=None if scene.disparity_right is None else sample(scene.disparity_right) / k,
        masks={name: sample(mask) for name, mask in scene.masks.items()},
        ndisp=None if scene.ndisp is None else math.ceil(scene.ndisp / k))


def load(names):
    """The named scenes that can be loaded, shrunk by :func:`scale`.

    Returns
    -------
    scenes : dict of str to Scene
        In the order of `names`; Motorcycle in place of all of them when
        none can be loaded.
    notes : list of str
        One line per scene left out, saying why.
    """
    scenes, notes = {}, []
    for name in names:
        if name != "motorcycle" and data_dir() is None:
            notes.append(f"{name}: skipped, no data folder (set MSSTEREO_DATA)")
            continue
        try:
            scenes[name] = shrink(get_scene(name), scale())
        except OSError as error:
            notes.append(f"{name}: skipped, {error}")
    if not scenes:
        notes.append("motorcycle: used instead (shipped with scikit-image)")
        scenes["motorcycle"] = shrink(get_scene("motorcycle"), scale())
    return scenes, notes


def save_figure(figure, name):
    """Save `figure` as ``figures/<name>.png`` if the run is at full size.

    Runs on shrunk scenes (the tests) leave the committed figures alone.
    Returns the path written, or None.
    """
    if scale() != 1:
        return None
    FIGURES.mkdir(exist_ok=True)
    path = FIGURES / f"{name}.png"
    figure.savefig(path, dpi=72, bbox_inches="tight")
    return path
