"""Coarse-to-fine driver, independent of energies and solvers.

The driver builds an anti-aliased pyramid of the image pair, calls a per-level
solver from the coarsest level to the finest, and carries the solver's state
(a dict of arrays) from level to level: fields named in ``disparity_fields``
are resampled and multiplied by the ratio of the widths, the others only
resampled.
"""

import numpy as np
from skimage.transform import resize

__all__ = ["pyramid_shapes", "downsample", "upsample", "coarse_to_fine"]


def pyramid_shapes(shape, factor=0.5, min_size=24, levels=None):
    """Shapes of the pyramid levels, finest first.

    Parameters
    ----------
    shape : tuple of int
        ``(M, N)`` of the finest level.
    factor : float
        Size ratio between consecutive levels, in (0, 1).
    min_size : int
        The coarsest level is the last whose short side is at least
        ``min_size`` (the finest level is always kept).
    levels : int, optional
        Keep at most this many levels, the finest ones (None: all).

    Returns
    -------
    list of (int, int)
    """
    if not 0.0 < factor < 1.0:
        raise ValueError(f"pyramid factor must be in (0, 1), got {factor!r}")
    if min_size < 2:
        raise ValueError(f"min_size must be >= 2, got {min_size!r}")
    m, n = shape
    shapes = [(m, n)]
    k = 1
    while True:
        level = (max(1, round(m * factor**k)), max(1, round(n * factor**k)))
        if min(level) < min_size or level == shapes[-1] or len(shapes) == levels:
            return shapes
        shapes.append(level)
        k += 1


def downsample(image, shape):
    """Anti-aliased resampling of an ``(M, N[, C])`` image to ``shape``.

    The Gaussian pre-filter is scikit-image's default for the scale,
    ``sigma = (scale - 1) / 2``.
    """
    if image.shape[:2] == tuple(shape):
        return image
    out = resize(image, tuple(shape) + image.shape[2:], order=1, mode="edge",
                 anti_aliasing=True, preserve_range=True)
    return out.astype(image.dtype, copy=False)


def upsample(field, shape, is_disparity=False):
    """Bilinear resampling of a state field to ``shape``.

    A disparity is also multiplied by the ratio of the widths, since it is
    measured in pixels of its own level.
    """
    out = resize(field, tuple(shape), order=1, mode="edge", anti_aliasing=False,
                 preserve_range=True).astype(field.dtype, copy=False)
    if is_disparity:
        out *= shape[1] / field.shape[1]
    return out


def coarse_to_fine(images, solve_level, *, factor=0.5, min_size=24, levels=None,
                   disparity_fields=("d",), shapes=None):
    """Solve from the coarsest pyramid level to the finest.

    Parameters
    ----------
    images : list of (M, N, C) ndarray
        Float images of the pair, ``[left, right]``. The list is emptied
        when the finest level starts: its images are then held by
        ``solve_level``'s list alone, and the solver can let them go once it
        has made what it needs of them (on a large pair they are hundreds of
        MB that the iterations do not read).
    solve_level : callable
        ``solve_level(level, images_k, state) -> state``, where ``level``
        counts from 0 at the coarsest level, ``images_k`` is the list
        ``[left_k, right_k]`` of the images at that level (the solver may
        empty it) and ``state`` is the dict of fields from the previous
        level, upsampled (``None`` at the coarsest level: the solver
        initializes it).
    factor, min_size, levels
        See `pyramid_shapes`.
    disparity_fields : tuple of str
        State fields measured in pixels, rescaled between levels.
    shapes : list of (int, int), optional
        The levels' shapes, finest first, instead of `pyramid_shapes`.

    Returns
    -------
    dict
        The state returned at the finest level.
    """
    if shapes is None:
        shapes = pyramid_shapes(images[0].shape[:2], factor, min_size, levels)
    shapes = list(shapes)[::-1]
    state = None
    for level, shape in enumerate(shapes):
        if state is not None:
            state = {key: upsample(value, shape, key in disparity_fields)
                     for key, value in state.items()}
        images_k = [downsample(image, shape) for image in images]
        if level == len(shapes) - 1:
            images.clear()  # the finest level's images are images_k (downsample keeps them)
        state = solve_level(level, images_k, state)
    return state
