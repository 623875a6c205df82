"""`match`: validate a stereo pair, pick model and solver, run the pyramid."""

import difflib
import inspect
import logging
import math
import os
import time

import numpy as np

from . import checks
from .energy import DisparityEnergy, MumfordShahEnergy, edge_map
from .kernels.filters import weighted_median
from .models import Model, get_model
from .occlusion import fill_occlusions, initial_occlusion_state, occlusion_masks, solve_occlusion_level
from .parallel import map_views, using_threads
from .progress import reporter, reporting
from .pyramid import coarse_to_fine
from .result import LevelLog, StereoResult
from .sensor import remove_column_parity
from .solvers import SOLVERS, check_model, get_solver
from .solvers.loop import solve_view
from .solvers.relax import disparity_samples

__all__ = ["match", "as_float_image", "MIN_SIZE", "DEFAULT_MODEL", "DEFAULT_SOLVER"]

LOG = logging.getLogger("msstereo")
"""Where `match` says how it scaled the images' intensities (level INFO)."""

MIN_SIZE = 8
"""Smallest accepted image side, in pixels: below it there is no pyramid and
hardly a gradient to match."""

DEFAULT_MODEL = "default"
"""The most accurate model measured (``benchmarks/results/middlebury_default.md``)."""

DEFAULT_SOLVER = "relax"
"""The most accurate solver measured: the global search needs no pyramid."""


BIT_DEPTHS = (8, 10, 12, 14, 16)
"""Bit depths that integer data (and floats holding whole numbers) is taken to have:
the smallest that holds the brightest value sets the full scale, ``2^bits - 1``."""

MAX_FACTOR = 0.95
"""Largest pyramid `factor`: closer to 1 the pyramid has hundreds of levels."""


def _check_image(image, name, channel_axis=-1):
    """``image`` as a plain ``(M, N, C)`` array of a supported dtype, or a ValueError naming ``name``.

    A 3-D image has its channels on ``channel_axis`` (None: it may not be 3-D).
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(image).__name__}")
    image = np.asarray(image)  # np.matrix and other subclasses index differently
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (M, N) or (M, N, C), got {image.shape}")
    if image.ndim == 3:
        if channel_axis is None:
            raise ValueError(f"{name} has shape {image.shape}, but channel_axis=None says the images "
                             "are gray (M, N); give the axis of its channels")
        image = np.moveaxis(image, channel_axis, -1)
        if image.shape[2] not in (1, 3):
            raise ValueError(f"{name} must have 1 or 3 channels on channel_axis={channel_axis}, got "
                             f"{image.shape[2]} (drop an alpha channel first)")
    if min(image.shape[:2]) < MIN_SIZE:
        raise ValueError(f"{name} is too small: {image.shape[:2]}, need at least "
                         f"{MIN_SIZE}x{MIN_SIZE} pixels")
    kind = image.dtype.kind
    if not (kind == "f" or (kind == "u" and image.dtype.itemsize <= 2)):
        raise ValueError(f"{name} has unsupported dtype {image.dtype}; use uint8, uint16 or float")
    if kind == "f" and not np.all(np.isfinite(image)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return image.reshape(image.shape[:2] + (-1,))


def _bit_depth(peak):
    """The smallest of `BIT_DEPTHS` whose full scale holds ``peak``, or None."""
    return next((bits for bits in BIT_DEPTHS if peak <= 2**bits - 1), None)


def _intensity_map(images, stretch=True):
    """``(offset, span, what)``: the affine map ``(x - offset) / span`` of ``images`` onto [0, 1].

    One map for all of ``images`` (of one kind), chosen from what they hold:
    integers are divided by the full scale of their bit depth (`BIT_DEPTHS`:
    a uint16 pair holding 8-bit values is divided by 255, not 65535); floats
    in [0, 1] are kept unless the whole pair is darker than one 8-bit level;
    floats holding whole numbers beyond 1 are integer data (``[0, 255]`` is
    divided by 255); any other floats are stretched from their minimum and
    maximum onto [0, 1] (None if not ``stretch``).
    """
    lo = min(float(x.min()) for x in images)
    hi = max(float(x.max()) for x in images)
    if images[0].dtype.kind == "u":
        bits = _bit_depth(hi)
        return 0.0, 2.0**bits - 1, f"{images[0].dtype} holding {bits}-bit values"
    if lo >= 0 and 1 / 255 <= hi <= 1:
        return 0.0, 1.0, "floats in [0, 1]"
    if lo >= 0 and hi > 1 and (bits := _bit_depth(hi)) and all(np.all(x == np.round(x)) for x in images):
        return 0.0, 2.0**bits - 1, f"floats holding {bits}-bit whole numbers"
    if not stretch:
        return None
    return lo, (hi - lo if hi > lo else 1.0), f"floats in [{lo:.3g}, {hi:.3g}], stretched"


def _halved_beyond_range(images):
    """Float images whose span overflows float64 (values near its limits), halved, and whether.

    The stretch of `_intensity_map` does not see a common scale, so halving
    both images changes nothing but keeps ``max - min`` finite.
    """
    if all(x.dtype.kind == "f" for x in images):
        span = max(float(x.max()) for x in images) - min(float(x.min()) for x in images)
        if not math.isfinite(span):
            return [x.astype(np.float64) / 2 for x in images], True
    return images, False


def _to_unit(image, offset, span, dtype):
    """``(image - offset) / span`` in ``dtype``, contiguous."""
    if image.dtype.kind == "u":
        out = image.astype(dtype) / dtype(span)  # exact integers: the working precision suffices
    elif offset == 0 and span == 1:
        out = image.astype(dtype)
    else:
        # In float64, so that float64 input beyond the float32 range does not become inf.
        out = ((image.astype(np.float64) - offset) / span).astype(dtype)
    return np.ascontiguousarray(out)


def _working_dtype(dtype):
    """``dtype`` as np.float32 or np.float64, or a ValueError."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    # (np.dtype(None) is float64, and a dtype compares equal to None: test it first.)
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return resolved.type


def as_float_image(image, name, dtype=np.float32):
    """Validate an image and convert it to ``(M, N, C)`` floats in [0, 1].

    Parameters
    ----------
    image : array_like, shape (M, N) or (M, N, C)
        Gray or colour image: uint8, uint16 (any byte order) or float.
    name : str
        Argument name, for error messages.
    dtype : dtype
        float32 or float64.

    Returns
    -------
    (M, N, C) ndarray of ``dtype``
        The image on the intensity scale of `_intensity_map`.

    Raises
    ------
    ValueError
        Wrong type, dtype, dimensions, size, or non-finite values.
    """
    (image,), _ = _halved_beyond_range([_check_image(image, name)])
    offset, span, _ = _intensity_map([image])
    return _to_unit(image, offset, span, _working_dtype(dtype))


def _container(image):
    """What kind of data an image holds: integer images by dtype, floats all alike."""
    return "float" if image.dtype.kind == "f" else image.dtype.newbyteorder("=")


def _prepare_pair(left, right, dtype, channel_axis=-1):
    """Both images on one intensity scale in [0, 1], and a line ``"intensity: ..."`` saying how.

    Images of one kind share one map (`_intensity_map`), so that brightness
    constancy holds between them. Images of different kinds (uint8 and
    uint16, or an integer and a float image) are each divided by their own
    full scale; a float image that is neither in [0, 1] nor whole numbers has
    none, and a pair whose mean brightness then differs more than 4 times is
    not on one scale: both are refused.
    """
    dtype = _working_dtype(dtype)
    il, ir = _check_image(left, "left", channel_axis), _check_image(right, "right", channel_axis)
    if il.shape != ir.shape:
        raise ValueError(f"left and right must have the same shape, got {np.shape(left)} "
                         f"and {np.shape(right)}")
    if _container(il) == _container(ir):
        (il, ir), halved = _halved_beyond_range([il, ir])
        offset, span, what = _intensity_map([il, ir])
        note = f"intensity: {what}, ({'x / 2' if halved else 'x'} - {offset:g}) / {span:g}"
        return _to_unit(il, offset, span, dtype), _to_unit(ir, offset, span, dtype), note
    maps = [_intensity_map([image], stretch=False) for image in (il, ir)]
    for name, image, found in zip(("left", "right"), (il, ir), maps):
        if found is None:
            raise ValueError(f"left ({il.dtype}) and right ({ir.dtype}) cannot be put on one "
                             f"intensity scale: {name} holds floats in [{image.min():.3g}, "
                             f"{image.max():.3g}], which have no full scale of their own (neither in "
                             "[0, 1] with a maximum of at least 1/255 nor whole numbers); give both "
                             "one dtype and range")
    out = [_to_unit(image, offset, span, dtype) for image, (offset, span, _) in zip((il, ir), maps)]
    means = [max(float(x.mean()), 1 / 255) for x in out]
    if max(means) > 4 * min(means):
        raise ValueError(f"left ({il.dtype}, {maps[0][2]}) and right ({ir.dtype}, {maps[1][2]}) are "
                         f"not on one intensity scale: mean brightness {means[0]:.3g} against "
                         f"{means[1]:.3g}; give both one dtype and range")
    note = (f"intensity: left {maps[0][2]}, x / {maps[0][1]:g}; "
            f"right {maps[1][2]}, x / {maps[1][1]:g}")
    return out[0], out[1], note


def _number(value, name, low=-checks.HUGE, high=checks.HUGE, open_low=False):
    """``value`` as a finite float in range, or a ValueError naming ``name`` (`msstereo.checks`)."""
    return checks.Real(low, high, open_low=open_low)(value, name)


def _disparity_range(d_min, d_max, width):
    """Validated ``(d_min, d_max)``; ``d_max`` defaults to ``d_min`` plus a third of the width."""
    d_min = _number(d_min, "d_min")
    d_max = d_min + width / 3.0 if d_max is None else _number(d_max, "d_max")
    if d_max <= d_min:
        raise ValueError(f"d_max must be larger than d_min, got d_min={d_min:g}, d_max={d_max:g}")
    return d_min, d_max


def _check_work(shape, model, options, d_range, dtype):
    """Refuse filter sizes beyond the image and a cost volume beyond the machine's memory."""
    side = min(shape)
    median = getattr(options, "median", 0)
    if median > side:
        raise ValueError(f"{type(options).__name__} option 'median' ({median}) is larger than the "
                         f"image's short side ({side} px)")
    if model.weighted_median > side:
        raise ValueError(f"model parameter 'weighted_median' ({model.weighted_median}) is larger than "
                         f"the image's short side ({side} px)")
    radius = math.ceil(3 * model.sigma)
    if model.occlusion and radius > side:
        raise ValueError(f"model parameter 'sigma' ({model.sigma:g}) blurs over {radius} px, more "
                         f"than the image's short side ({side} px)")
    if options.global_search:
        views = 2 if model.occlusion else 1
        needed = options.volume_bytes(shape, d_range, views, np.dtype(dtype).itemsize)
        if needed > _physical_memory():
            count = disparity_samples(d_range, options.step)[2]
            raise ValueError(f"the cost volumes of {shape[0]}x{shape[1]} pixels, {count} disparity "
                             f"samples over the range and {views} view(s) need {needed / 2**30:.3g} GiB "
                             f"at their largest level, more than this machine has: narrow [d_min, d_max], "
                             f"raise Relax(step=...) or lower Relax(budget=...) or Relax(band=...)")


def _physical_memory():
    """Bytes of memory of this machine (inf where unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return float("inf")


def match(left, right, *, model=DEFAULT_MODEL, solver=DEFAULT_SOLVER, d_min=0.0, d_max=None,
          factor=0.75, min_size=24, dtype=np.float32, channel_axis=-1, progress=False, threads=None,
          **params):
    """Estimate the left disparity of a rectified stereo pair.

    Parameters
    ----------
    left, right : (M, N[, C]) ndarray
        Rectified images, gray or RGB (channels on `channel_axis`), uint8,
        uint16 (any byte order) or float, brought onto [0, 1] by what they
        hold (`_intensity_map`):
        integers by the full scale of their bit depth (8 to 16 bits, so a
        uint16 pair holding 8-bit values is divided by 255), floats in
        [0, 1] as they are, floats holding whole numbers as integers, other
        floats stretched jointly from their minimum and maximum. A pair of
        different dtypes is scaled image by image and refused if it then
        does not share one scale. The map used is logged (`LOG`, level INFO)
        and kept in ``result.intensity``.
    model : str or Model, optional
        Energy to minimize (see `msstereo.models`; equation numbers are
        those of the paper cited in the Notes):

        - ``"default"``: the most accurate measured, ``ms-occ`` with an
          image-edge weight, a census cost, edge-aware aggregation of the
          data term, a second-order regularizer and a weighted median
          (``relax`` only);
        - ``"tv"``: robust data term and total variation (eq. 10);
        - ``"tv-edge"``: TV weighted by the image edge map (eq. 11-12);
        - ``"ms-l2"``, ``"ms-tv"``: Mumford-Shah with a jointly estimated
          discontinuity function ``v``, quadratic or TV inside regions
          (eq. 23 without occlusion);
        - ``"ms-occ"``: both views, each with ``v`` and an occlusion level
          set (eq. 15-23).

        Or a `Model` instance.
    solver : str or PDE or Optimize or Relax, optional
        - ``"relax"`` (default, `Relax`): a global search of the data term
          with a quadratic relaxation, on the finest level only;
        - ``"pde"`` (`PDE`): the paper's Euler-Lagrange scheme, coarse to
          fine;
        - ``"optimize"`` (`Optimize`): L-BFGS-B on the discrete energy and
          its exact gradient, coarse to fine.

        Or an options instance, e.g. ``msstereo.Relax(iterations=50)``.
    d_min : float, optional
        Smallest disparity in pixels of the full-resolution pair (default 0;
        negative values are allowed).
    d_max : float, optional
        Largest disparity in pixels of the full-resolution pair (Middlebury's
        ``ndisp``). Defaults to ``d_min`` plus a third of the image width.
    factor : float, optional
        Pyramid size ratio between levels, in (0, `MAX_FACTOR`] (0.5 to 0.9
        are sensible).
    min_size : int, optional
        Short side of the coarsest pyramid level, about 16-32 (at least 2).
    dtype : {np.float32, np.float64}, optional
        Working precision; the disparity is returned in it.
    channel_axis : int or None, optional
        Axis of the colour channels of 3-D images, as in scikit-image
        (default -1, the last); None: the images are gray, 2-D. Ignored for
        2-D images.
    progress : bool or callable, optional
        True: a progress bar on stderr when it is a terminal, else plain
        lines (one per pyramid level, and one every tenth of the finest
        level's iterations); a callable receives those lines instead. Both
        say once per process when Numba compiles kernels that are not in
        its cache yet (`msstereo.progress`).
    threads : int, optional
        Threads for the occlusion models (``ms-occ``, ``default``), whose
        left and right views then run side by side (`msstereo.parallel`;
        more than 2 gives nothing more); the result does not depend on it.
        Default: the machine's cores. Use 1 when other processes share them.
    **params
        Overrides of the model's parameters (see `Model`), e.g. ``beta=0.03``.
        A keyword that is neither a match option nor a model parameter is
        refused with the nearest name; solver options go to the solver,
        e.g. ``solver=msstereo.Relax(iterations=50)``.

    Returns
    -------
    StereoResult
        ``disparity`` (M, N), the parameters used, the energy history per
        level, the wall time and the intensity map.

    Raises
    ------
    ValueError
        Before any work, naming the argument: images of different shapes,
        unsupported dtypes, NaN, images smaller than `MIN_SIZE`, a pair that
        cannot be put on one intensity scale; unknown models, solvers or
        parameters and values that `msstereo.checks` refuses (numpy scalars
        are accepted); a disparity range that is not finite or has
        ``d_max <= d_min``; a median filter (or weighted median) or an occlusion blur wider than
        the image, a ``relax`` cost volume larger than the machine's memory;
        and options beyond the paper (``census``, ``aggregate``, ``tgv``)
        with a solver other than ``relax``.

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
    options = get_solver(solver)
    _check_params(params, model, options)
    model = get_model(model, **params)
    check_model(options, model)
    if channel_axis is not None:
        channel_axis = checks.Integer(-3, 2)(channel_axis, "channel_axis")

    def make_pair():
        """The float images of the pair as the model sees them, and the note on their intensities."""
        il, ir, note = _prepare_pair(left, right, dtype, channel_axis)
        if model.column_parity:
            (il, a_l), (ir, a_r) = remove_column_parity(il), remove_column_parity(ir)
            note += (f"; column parity removed, +-({', '.join(f'{x:.2g}' for x in a_l)}) left, "
                     f"+-({', '.join(f'{x:.2g}' for x in a_r)}) right")
        return il, ir, note

    # A list that `coarse_to_fine` empties: no reference here keeps the images through the levels.
    *images, intensity = make_pair()
    shape, work_dtype = images[0].shape[:2], images[0].dtype
    d_min, d_max = _disparity_range(d_min, d_max, shape[1])
    factor = _number(factor, "factor", 0.0, MAX_FACTOR, open_low=True)
    min_size = checks.Integer(2)(min_size, "min_size")
    _check_work(shape, model, options, (d_min, d_max), work_dtype)
    if threads is not None:
        threads = checks.Integer(1)(threads, "threads")
    shapes = options.level_shapes(shape, factor, min_size, (d_min, d_max), 2 if model.occlusion else 1,
                                  work_dtype.itemsize)
    report = reporter(progress, shapes[::-1], options.outer_iterations)
    LOG.info(intensity)
    logs = []
    v_image = None  # edge map v_I of the latest level (tv-edge): the finest one is returned

    def solve_level(level, images_k, state):
        nonlocal v_image
        t0 = time.perf_counter()
        log = LevelLog(level, images_k[0].shape[:2])
        if report:
            report.start_level(log)
        state = _initial_state(log.shape, work_dtype, model) if state is None else state
        scale = log.shape[1] / shape[1]
        bounds = (d_min * scale, d_max * scale)
        if model.occlusion:
            state = solve_occlusion_level(images_k, state, model, options, bounds, log)
        else:
            v_image = edge_map(images_k[0], model) if model.edge_weighted else None
            energy = _level_energy(*images_k, model, state, v_image)
            images_k.clear()  # the energy holds what it needs of them
            state["d"] = solve_view(options, energy, state["d"], bounds, log)
            if model.joint_v:
                state["v"] = energy.v
        log.seconds = time.perf_counter() - t0
        logs.append(log)
        if report:
            report.end_level(log)
        return state

    disparity_fields = ("d_l", "d_r") if model.occlusion else ("d",)
    with reporting(report), using_threads(threads):
        state = coarse_to_fine(images, solve_level, shapes=shapes, disparity_fields=disparity_fields)
        masks = occlusion_masks(state) if model.occlusion else None
        state = _finish(state, model, lambda: make_pair()[:2])
    common = dict(model=model, solver=options, levels=logs, intensity=intensity.removeprefix("intensity: "),
                  d_range=(d_min, d_max))
    if model.occlusion:
        return StereoResult(disparity=state["d_l"], seconds=time.perf_counter() - t_start,
                            v=state["v_l"], disparity_right=state["d_r"], v_right=state["v_r"],
                            occlusion=masks["l"], occlusion_right=masks["r"], **common)
    return StereoResult(disparity=state["d"], seconds=time.perf_counter() - t_start,
                        v=state.get("v"), v_image=v_image, **common)


def _match_options():
    """The keyword options of `match` (what ``**params`` is not)."""
    return [name for name, p in inspect.signature(match).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]


def _check_params(params, model, options):
    """Refuse a keyword of `match` that is neither one of its options nor a model parameter.

    Kept apart from the model's own check so that the message says which of
    the two was meant: the nearest name of either, or the solver whose
    option it is.
    """
    parameters = sorted(set(Model.FIELD_SPECS) - {"name"})
    unknown = sorted(set(params) - set(parameters))
    if not unknown:
        return
    key = unknown[0]
    start = (f"unknown parameter {key!r}: not a match option nor a parameter of model "
             f"{getattr(model, 'name', model)!r}")
    owners = [cls for cls in SOLVERS.values() if key in cls.FIELD_SPECS]
    if owners:
        owner = type(options) if type(options) in owners else owners[0]
        raise ValueError(f"{start}, but an option of solver {owner.name!r}: pass "
                         f"solver=msstereo.{owner.__name__}({key}=...)")
    close = difflib.get_close_matches(key, _match_options() + parameters, n=1, cutoff=0.7)
    hint = (f"; did you mean {close[0]!r}?" if close else
            f"; match options: {', '.join(_match_options())}; model parameters: {', '.join(parameters)}")
    raise ValueError(start + hint)


def _finish(state, model, make_pair):
    """What follows the finest level: the occlusion fill, then the weighted median (model options).

    ``make_pair()`` gives the float images of the pair, the median's guides:
    made anew, since the levels do not keep them (`coarse_to_fine`).
    """
    if model.occlusion:
        state = fill_occlusions(state, model)
    if model.weighted_median:
        il, ir = make_pair()
        guides = {"d": il, "d_l": il, "d_r": ir}
        keys = sorted(guides.keys() & state.keys())
        filtered = map_views(lambda key: weighted_median(state[key], guides[key], np.ones(state[key].shape, bool),
                                                         model.weighted_median, model.median_color,
                                                         model.median_space), keys)
        state.update(zip(keys, filtered))
    return state


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
