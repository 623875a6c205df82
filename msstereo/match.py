"""`match`: validate a stereo pair, pick model and solver, run the pyramid."""

import sys
import time

import numpy as np

from .energy import DisparityEnergy, MumfordShahEnergy, edge_map
from .models import get_model
from .occlusion import fill_occlusions, initial_occlusion_state, occlusion_masks, solve_occlusion_level
from .pyramid import coarse_to_fine, pyramid_shapes
from .result import LevelLog, StereoResult
from .solvers.loop import solve_view
from .solvers.optimize import Optimize
from .solvers.pde import PDE
from .solvers.relax import Relax

__all__ = ["match", "as_float_image", "MIN_SIZE", "DEFAULT_MODEL", "DEFAULT_SOLVER"]

MIN_SIZE = 8
"""Smallest accepted image side, in pixels: below it there is no pyramid and
hardly a gradient to match."""

SOLVERS = {"pde": PDE, "optimize": Optimize, "relax": Relax}

DEFAULT_MODEL = "default"
"""The most accurate model measured (``benchmarks/results/middlebury_default.md``)."""

DEFAULT_SOLVER = "relax"
"""The most accurate solver measured: the global search needs no pyramid."""


def as_float_image(image, name, dtype=np.float32):
    """Validate an image and convert it to ``(M, N, C)`` floats in [0, 1].

    Parameters
    ----------
    image : array_like, shape (M, N) or (M, N, C)
        Gray or colour image: uint8, uint16 or float.
    name : str
        Argument name, for error messages.
    dtype : dtype
        float32 or float64.

    Returns
    -------
    (M, N, C) ndarray of ``dtype``
        uint8 and uint16 are divided by their maximum; floats are kept
        (the caller rescales a pair jointly if it leaves [0, 1]).

    Raises
    ------
    ValueError
        Wrong type, dtype, dimensions, size, or non-finite values.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (M, N) or (M, N, C), got {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3):
        raise ValueError(f"{name} must have 1 or 3 channels, got {image.shape[2]} "
                         "(drop an alpha channel first)")
    if min(image.shape[:2]) < MIN_SIZE:
        raise ValueError(f"{name} is too small: {image.shape[:2]}, need at least "
                         f"{MIN_SIZE}x{MIN_SIZE} pixels")
    if image.dtype == np.uint8:
        out = image.astype(dtype) / dtype(255)
    elif image.dtype == np.uint16:
        out = image.astype(dtype) / dtype(65535)
    elif image.dtype.kind == "f":
        if not np.all(np.isfinite(image)):
            raise ValueError(f"{name} contains NaN or infinite values")
        out = image.astype(dtype)
    else:
        raise ValueError(f"{name} has unsupported dtype {image.dtype}; use uint8, uint16 or float")
    return np.ascontiguousarray(out.reshape(out.shape[:2] + (-1,)))


def _prepare_pair(left, right, dtype):
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    dtype = np.dtype(dtype).type
    il = as_float_image(left, "left", dtype)
    ir = as_float_image(right, "right", dtype)
    if il.shape != ir.shape or np.shape(left) != np.shape(right):
        raise ValueError(f"left and right must have the same shape, got {np.shape(left)} "
                         f"and {np.shape(right)}")
    lo, hi = min(il.min(), ir.min()), max(il.max(), ir.max())
    if lo < 0 or hi > 1:
        # Float input outside [0, 1]: scale both images by the same map so that
        # brightness constancy still holds between them.
        span = hi - lo if hi > lo else 1.0
        il, ir = (il - lo) / span, (ir - lo) / span
    return il, ir


def _progress_printer(progress):
    if callable(progress):
        return progress
    if progress:
        return lambda line: print(line, file=sys.stderr, flush=True)
    return None


def _number(value, name):
    """``value`` as a finite float, or a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _disparity_range(d_min, d_max, width):
    """Validated ``(d_min, d_max)``; ``d_max`` defaults to ``d_min`` plus a third of the width."""
    d_min = _number(d_min, "d_min")
    d_max = d_min + width / 3.0 if d_max is None else _number(d_max, "d_max")
    if d_max <= d_min:
        raise ValueError(f"d_max must be larger than d_min, got d_min={d_min:g}, d_max={d_max:g}")
    return d_min, d_max


def match(left, right, *, model=DEFAULT_MODEL, solver=DEFAULT_SOLVER, d_min=0.0, d_max=None,
          factor=0.75, min_size=24, dtype=np.float32, progress=False, **params):
    """Estimate the left disparity of a rectified stereo pair.

    Parameters
    ----------
    left, right : (M, N[, C]) ndarray
        Rectified images, gray or RGB, uint8, uint16 or float in [0, 1]
        (float pairs outside [0, 1] are rescaled jointly).
    model : str or Model, optional
        Energy to minimize (see `msstereo.models`): ``"default"`` (the most
        accurate: ``ms-occ`` with an image-edge weight, a census cost and
        edge-aware aggregation of the data term), or the paper's models
        ``"tv"`` (robust data term and TV, paper eq. 10), ``"tv-edge"`` (TV
        weighted by the image edge map, eq. 11-12), ``"ms-l2"`` and
        ``"ms-tv"`` (Mumford-Shah with a jointly estimated discontinuity
        function ``v``, eq. 23 without occlusion), ``"ms-occ"`` (both views
        with occlusion level sets, eq. 15-23).
    solver : str or PDE or Optimize or Relax, optional
        ``"relax"`` (default): a global search of the data term with a
        quadratic relaxation, no pyramid; ``"pde"``: the paper's
        Euler-Lagrange scheme, coarse to fine; ``"optimize"``: L-BFGS-B on
        the discrete energy, coarse to fine; or an options instance.
    d_min : float, optional
        Smallest disparity in pixels of the full-resolution pair (default 0;
        negative values are allowed).
    d_max : float, optional
        Largest disparity in pixels of the full-resolution pair (Middlebury's
        ``ndisp``). Defaults to ``d_min`` plus a third of the image width.
    factor : float, optional
        Pyramid size ratio between levels (0.5 to 0.9 are sensible).
    min_size : int, optional
        Short side of the coarsest pyramid level, about 16-32.
    dtype : {np.float32, np.float64}, optional
        Working precision; the disparity is returned in it.
    progress : bool or callable, optional
        Print one line per pyramid level to stderr, or pass each line to a
        callable.
    **params
        Overrides of the model's parameters (see `Model`), e.g. ``beta=0.03``.

    Returns
    -------
    StereoResult
        ``disparity`` (M, N), the parameters used, the energy history per
        level and the wall time.

    Raises
    ------
    ValueError
        For images of different shapes, unsupported dtypes, NaN, images
        smaller than `MIN_SIZE`, unknown models, solvers or parameters, a
        disparity range that is not finite or has ``d_max <= d_min``, and
        options beyond the paper (``census``, ``aggregate``, ``tgv``) with a
        solver other than ``relax``.

    Notes
    -----
    The method is R. Ben-Ari and N. Sochen, "Stereo matching with
    Mumford-Shah regularization and occlusion handling", IEEE TPAMI 32(11),
    2010, :DOI:`10.1109/TPAMI.2010.32`.

    Examples
    --------
    >>> from skimage.data import stereo_motorcycle
    >>> import msstereo
    >>> left, right, gt = stereo_motorcycle()
    >>> result = msstereo.match(left, right, d_max=64)  # doctest: +SKIP
    >>> result.disparity.shape  # doctest: +SKIP
    (500, 741)
    """
    t_start = time.perf_counter()
    model = get_model(model, **params)
    options = _get_solver(solver)
    il, ir = _prepare_pair(left, right, dtype)
    shape = il.shape[:2]
    d_min, d_max = _disparity_range(d_min, d_max, shape[1])
    nlevels = len(pyramid_shapes(shape, factor, min_size, options.levels))
    say = _progress_printer(progress)
    logs = []
    v_image = None  # edge map v_I of the latest level (tv-edge): the finest one is returned

    def solve_level(level, left_k, right_k, state):
        nonlocal v_image
        t0 = time.perf_counter()
        log = LevelLog(level, left_k.shape[:2])
        state = _initial_state(log.shape, il.dtype, model) if state is None else state
        scale = left_k.shape[1] / shape[1]
        bounds = (d_min * scale, d_max * scale)
        if model.occlusion:
            state = solve_occlusion_level(left_k, right_k, state, model, options, bounds, log)
        else:
            v_image = edge_map(left_k, model) if model.edge_weighted else None
            energy = _level_energy(left_k, right_k, model, state, v_image)
            state["d"] = solve_view(options, energy, state["d"], bounds, log)
            if model.joint_v:
                state["v"] = energy.v
        log.seconds = time.perf_counter() - t0
        logs.append(log)
        if say:
            say(f"level {level + 1}/{nlevels} {log.shape[0]}x{log.shape[1]}: "
                f"{log.iterations} steps, E {log.energy[-1]:.6g}, {log.seconds:.2f} s")
        return state

    disparity_fields = ("d_l", "d_r") if model.occlusion else ("d",)
    state = coarse_to_fine(il, ir, solve_level, factor=factor, min_size=min_size,
                           levels=options.levels, disparity_fields=disparity_fields)
    if model.occlusion:
        masks = occlusion_masks(state)
        state = fill_occlusions(state, model)
        return StereoResult(disparity=state["d_l"], model=model, solver=options, levels=logs,
                            seconds=time.perf_counter() - t_start, v=state["v_l"],
                            disparity_right=state["d_r"], v_right=state["v_r"],
                            occlusion=masks["l"], occlusion_right=masks["r"])
    return StereoResult(disparity=state["d"], model=model, solver=options, levels=logs,
                        seconds=time.perf_counter() - t_start, v=state.get("v"),
                        v_image=v_image)


def _initial_state(shape, dtype, model):
    """Coarsest-level start: ``d = 0`` and, for joint models, ``v = 1`` (no edges)."""
    if model.occlusion:
        return initial_occlusion_state(shape, dtype)
    state = {"d": np.zeros(shape, dtype)}
    if model.joint_v:
        state["v"] = np.ones(shape, dtype)
    return state


def _level_energy(left_k, right_k, model, state, v_image=None):
    """The model's energy of the left view at one level.

    ``v_image`` is the level's edge map of edge-weighted models, computed here if not given.
    """
    if model.edge_weighted and v_image is None:
        v_image = edge_map(left_k, model)
    image_weight = None if v_image is None else v_image**2
    if model.joint_v:
        return MumfordShahEnergy(left_k, right_k, -1, model, np.clip(state["v"], 0.0, 1.0), image_weight)
    return DisparityEnergy(left_k, right_k, -1, model, image_weight)


def _get_solver(solver):
    if isinstance(solver, tuple(SOLVERS.values())):
        return solver
    if isinstance(solver, str) and solver in SOLVERS:
        return SOLVERS[solver]()
    raise ValueError(f"unknown solver {solver!r}; choose one of {sorted(SOLVERS)}")
