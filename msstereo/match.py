"""`match`: validate a stereo pair, choose the problem for the model, run the pyramid."""

import inspect
import logging
import time

import numpy as np

from . import checks
from .coarse import CoarsePass, estimate_range
from .intensity import MIN_SIZE, as_float_image
from .models import get_model
from .parallel import using_threads
from .problems import problem_for
from .progress import reporter, reporting
from .pyramid import coarse_to_fine
from .result import LevelLog, StereoResult, range_line
from .solvers import SOLVERS, check_model, check_parameters, get_solver  # noqa: F401 (msstereo.match.SOLVERS)

__all__ = ["match", "as_float_image", "MIN_SIZE", "DEFAULT_MODEL", "DEFAULT_SOLVER"]

LOG = logging.getLogger("msstereo")
"""Where `match` says how it scaled the images' intensities (level INFO)."""

DEFAULT_MODEL = "default"
"""The most accurate model measured (``docs/results.md``)."""

DEFAULT_SOLVER = "relax"
"""The most accurate solver measured: the global search needs no pyramid."""

MAX_FACTOR = 0.95
"""Largest pyramid `factor`: closer to 1 the pyramid has hundreds of levels."""


def match(left, right, *, model=DEFAULT_MODEL, solver=DEFAULT_SOLVER, d_min=None, d_max=None,
          factor=0.75, min_size=24, dtype=np.float32, channel_axis=-1, progress=False, threads=None,
          **params):
    """Estimate the left disparity of a rectified stereo pair.

    Parameters
    ----------
    left, right : (M, N[, C]) ndarray
        Rectified images, gray or RGB (channels on `channel_axis`), uint8,
        uint16 (any byte order) or float, brought onto [0, 1] by what they
        hold (`msstereo.intensity`):
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
          with a quadratic relaxation, on the finest level (the paper's
          models start it from a level of half the size, `Relax.warm_levels`);
        - ``"pde"`` (`PDE`): the paper's Euler-Lagrange scheme, coarse to
          fine;
        - ``"optimize"`` (`Optimize`): L-BFGS-B on the discrete energy and
          its exact gradient, coarse to fine.

        Or an options instance, e.g. ``msstereo.Relax(iterations=50)``.
    d_min, d_max : float or None, optional
        Smallest and largest disparity searched, in pixels of the
        full-resolution pair (negative values are allowed; Middlebury's
        ``ndisp`` is a ``d_max`` with ``d_min=0``). None (the default): found
        from the pair itself (`msstereo.coarse`: a winner-take-all match of
        both views of the pair shrunk to a short side of about 100 px, over
        disparities of up to 0.6 of its width either way, whose confident
        matches give the range, with a margin); a bound given is kept and
        only the other one is found. The range searched is
        ``result.d_range``, and ``result.coarse`` the pass that found it.
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
        level, the wall time, the intensity map and the disparity range.

    Raises
    ------
    ValueError
        Before any work, naming the argument: images of different shapes,
        unsupported dtypes, NaN, images smaller than `MIN_SIZE`, a pair that
        cannot be put on one intensity scale; unknown models, solvers or
        parameters and values that `msstereo.checks` refuses (numpy scalars
        are accepted); a disparity range that is not finite, has
        ``d_max <= d_min``, is wider than the image or has a bound beyond two
        image widths; a median filter (or weighted median) or an occlusion blur wider than
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
    check_parameters(params, model, options, _match_options())
    model = get_model(model, **params)
    check_model(options, model)
    options = options.for_model(model)  # e.g. relax's iterations: the loop, the progress and the result see them
    if channel_axis is not None:
        channel_axis = checks.Integer(-3, 2)(channel_axis, "channel_axis")
    problem = problem_for(model)

    def pair():
        """The float images of the pair as the model sees them, made anew at each call:
        nothing here keeps them while a level runs."""
        return list(problem.prepare(left, right, dtype, channel_axis)[:2])

    first = problem.prepare(left, right, dtype, channel_axis)  # validates the pair before any work
    shape, work_dtype, intensity = first[0].shape[:2], first[0].dtype, first[2]
    d_min, d_max = _disparity_range(d_min, d_max, shape[1])
    factor = _number(factor, "factor", 0.0, MAX_FACTOR, open_low=True)
    min_size = checks.Integer(2)(min_size, "min_size")
    options.check_filters(shape)
    problem.check_filters(shape)
    if threads is not None:
        threads = checks.Integer(1)(threads, "threads")
    coarse = None
    if d_min is None or d_max is None:  # every argument checked: the first work is the range's
        coarse = CoarsePass.of_pair(first[0], first[1], (d_min, d_max))
        d_min, d_max = _disparity_range(*estimate_range(coarse, d_min, d_max), shape[1])
        LOG.info(range_line((d_min, d_max), coarse))
    del first
    options.check_memory(shape, (d_min, d_max), problem.views, work_dtype.itemsize)
    shapes = options.level_shapes(shape, factor, min_size, (d_min, d_max), problem.views, work_dtype.itemsize)
    report = reporter(progress, shapes[::-1], options.outer_iterations, options.preparing)
    LOG.info(intensity)
    logs = []

    def solve_level(level, shape_k, images, state):
        t0 = time.perf_counter()
        log = LevelLog(level, shape_k, energy_name=options.energy_name)
        if report:
            report.start_level(log)
        state = problem.initial_state(shape_k, work_dtype) if state is None else state
        scale = shape_k[1] / shape[1]
        state = problem.solve_level(images, state, options, (d_min * scale, d_max * scale), log)
        log.seconds = time.perf_counter() - t0
        logs.append(log)
        if report:
            report.end_level(log)
        return state

    with reporting(report), using_threads(threads):
        state = coarse_to_fine(pair, solve_level, shapes)
        fields = problem.finish(state, pair)
    return StereoResult(seconds=time.perf_counter() - t_start, model=model, solver=options, levels=logs,
                        intensity=intensity.removeprefix("intensity: "), d_range=(d_min, d_max), coarse=coarse,
                        **fields)


def _number(value, name, low=-checks.HUGE, high=checks.HUGE, open_low=False):
    """``value`` as a finite float in range, or a ValueError naming ``name`` (`msstereo.checks`)."""
    return checks.Real(low, high, open_low=open_low)(value, name)


RANGE_WIDTHS = 2
"""Largest ``|d_min|`` and ``|d_max|``, in image widths (`_disparity_range`)."""


def _disparity_range(d_min, d_max, width):
    """The given bounds of ``(d_min, d_max)`` validated; None (to be found) stays None.

    A range wider than the image, or a bound beyond `RANGE_WIDTHS` widths,
    is refused: no pixel has a match that far away (a left pixel ``x``
    matches a right pixel ``x - d`` inside the image), and the search would
    only cost time and memory (a cost volume grows with the range).
    """
    bounds = {"d_min": d_min, "d_max": d_max}
    for name, value in bounds.items():
        if value is None:
            continue
        value = bounds[name] = _number(value, name)
        if abs(value) > RANGE_WIDTHS * width:
            raise ValueError(f"{name}={value:g} is beyond {RANGE_WIDTHS} image widths ({width} px): no pixel "
                             f"matches that far away")
    d_min, d_max = bounds.values()
    if d_min is None or d_max is None:
        return d_min, d_max
    if d_max <= d_min:
        raise ValueError(f"d_max must be larger than d_min, got d_min={d_min:g}, d_max={d_max:g}")
    if d_max - d_min > width:
        raise ValueError(f"d_max - d_min must be at most the image width ({width} px), got d_min={d_min:g}, "
                         f"d_max={d_max:g}: no pixel has matches that far apart")
    return d_min, d_max


def _match_options():
    """The keyword options of `match` (what ``**params`` is not)."""
    return [name for name, p in inspect.signature(match).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]
