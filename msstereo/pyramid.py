"""Coarse-to-fine driver, independent of energies and solvers.

The driver calls a per-level solver from the coarsest pyramid level to the
finest and carries its state from level to level: the state resizes itself
(``state.resized(shape)``, e.g. `msstereo.energy.ViewState.resized`, which
resamples with `upsample`). The images of a level are made when its solver
asks for them (`downsample` of the pair), so that the driver holds no image
while a level runs: the solver owns what it makes of them.
"""

import functools

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


def coarse_to_fine(pair, solve_level, shapes):
    """Solve from the coarsest pyramid level to the finest.

    Parameters
    ----------
    pair : callable
        ``pair() -> [left, right]``: the float images of the pair at full
        size, ``(M, N, C)``, made anew at each call.
    solve_level : callable
        ``solve_level(level, shape, images, state) -> state``, where
        ``level`` counts from 0 at the coarsest level, ``images()`` gives the
        pair at the level's ``shape`` and ``state`` is the previous level's
        state resized to it (``None`` at the coarsest level: the solver
        initializes it).
    shapes : list of (int, int)
        The levels' shapes, finest first (`pyramid_shapes`).

    Returns
    -------
    The state returned at the finest level.
    """
    state = None
    for level, shape in enumerate(list(shapes)[::-1]):
        if state is not None:
            state = state.resized(shape)
        state = solve_level(level, shape, functools.partial(_images_at, pair, shape), state)
    return state


def _images_at(pair, shape):
    """The pair at ``shape``: each image of ``pair()`` resampled (`downsample`)."""
    return [downsample(image, shape) for image in pair()]
