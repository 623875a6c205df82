"""The relaxation solver: a global search of the data term, no warping.

The model's energy ``E(d) = sum H e_d(d) + R(d)`` (``R``: the model's
regularizer, with ``v`` for the Mumford-Shah models; ``H``: the visibility
of ``ms-occ``) is relaxed by decoupling the data term through an auxiliary
disparity ``a`` (the quadratic relaxation of Steinbruecker, Pock and
Cremers, "Large displacement optical flow computation without warping",
ICCV 2009; for stereo, Kuschk and Cremers, ICCV Workshops 2013):

    E_theta(d, a) = sum_x H C(x, a) + (d - a)^2 / (2 theta) + R(d),

with ``theta`` decreasing geometrically, so that ``a`` and ``d`` meet at the
end. ``C`` is the model's data term sampled every ``step`` pixels over the
whole disparity range (`msstereo.solvers.cost.cost_volume`,
quadratic between samples). Where that volume does not fit the memory
budget (`Relax.budget`: large images), the solver runs coarse to fine on
levels of half the size down to one where it fits, and each finer level
samples only a band around the coarser solution (`Relax.band_samples`).
A model with a pointwise data term (the paper's models) also runs on
`Relax.warm_levels` coarser levels over the whole range: each finer level
starts ``d`` from the coarser solution instead of the winner-take-all of
its own samples (`RelaxStep.start`), and a median filter of ``d`` runs
between iterations (`Relax.median`), as between the warps of the PDE
scheme.
One outer iteration is

1. the ``a``-step (`msstereo.kernels.search.search`): per pixel an
   exhaustive search of ``H C(a) + (d - a)^2 / (2 theta)`` over the samples,
   refined in the best segment; global per pixel, so no pyramid is needed
   and disparities far from zero are reached from the first iteration;
2. the ``d``-step: the model's regularizer with the coupling as its data
   term, ``min_d sum (d - a)^2 / (2 theta) + R(d)``, by lagged diffusivity
   with red-black SOR (the kernels of the PDE solver) at Young's optimal
   factor for each lagged system, which follows the coupling's weight
   ``1 / (2 theta)`` along the schedule;
3. with a second-order regularizer (``tgv > 0``), the step of its vector
   field ``w`` (`msstereo.energy.Smoothness.solve_w`);
4. for the Mumford-Shah models the ``v`` step of the PDE solver (projected
   SOR on its linear equation).

For a fixed ``theta`` none of these steps increases ``E_theta``: the
search keeps the current ``a`` unless it finds better, and the other two are
the majorize-minimize and SOR steps of the PDE solver on a quadratic
coupling instead of the linearized data term.
"""

import math
import os
from dataclasses import dataclass, replace

import numpy as np

from .. import checks
from ..kernels.grid import weighted_divergence
from ..kernels.sor import SorSystem, sor_pack, young_omega
from .cost import cost_volume
from ..kernels.search import interpolated_cost, search, winner_take_all
from . import SolverOptions

__all__ = ["Relax", "RelaxStep"]

MODEL_DERIVED = ("iterations", "warm_levels", "median", "sweeps", "young", "v_sweeps")
"""`Relax` fields that None derives from the model's family (`Relax.for_model`): ``NAME_aggregated`` or ``NAME_pointwise``."""

MAX_WARM_LEVELS = 4
"""Most `Relax.warm_levels`: each halves the size, and below ``2 COARSEST`` px none is added anyway."""


@dataclass(frozen=True)
class Relax(SolverOptions):
    """Options of the relaxation solver.

    Parameters
    ----------
    iterations : int or None
        Outer iterations (steps of the ``theta`` schedule). None: from the
        model (`for_model`), `iterations_aggregated` for a model whose data
        term is aggregated (``aggregate > 0``), `iterations_pointwise`
        otherwise.
    iterations_aggregated : int
        The iterations of a model with an aggregated data term (``default``).
    iterations_pointwise : int
        The iterations of a model with a pointwise data term (the paper's
        models).
    warm_levels : int or None
        Levels of half the size each, coarser than the finest, solved over
        the whole range before it, each finer one starting from the coarser
        solution (`RelaxStep.start`); only levels whose short side is at
        least ``2 COARSEST``. None: from the model (`for_model`),
        `warm_levels_aggregated` or `warm_levels_pointwise`. A pointwise data
        term's winner-take-all is noisy, and on a repetitive texture its
        modes are a period apart: started from it, a region of ``d`` can
        settle on the wrong mode, the more so the wider the range searched.
        The coarser level's smoothed images have fewer such modes (a
        texture too fine for it has none left, and its error is then
        carried up). An aggregated data term's winner-take-all is already
        a smooth draft.
    warm_levels_aggregated, warm_levels_pointwise : int
        `warm_levels` of a model with an aggregated or a pointwise data term.
    theta_start : float
        ``theta * beta`` at the first iteration: ``theta`` must scale with
        ``1 / beta`` so that the coupling starts weak against the
        regularizer, whatever its weight.
    theta_end : float
        ``theta`` at the last iteration (pixels squared per unit of cost).
    step : float
        Spacing of the disparity samples of the search, in pixels.
    inner : int
        Lagged-diffusivity iterations of each ``d``-step.
    w_inner : int
        Lagged-diffusivity iterations of each step of the second-order
        field ``w`` (``tgv > 0``). ``w`` is stepped once per outer iteration,
        so one lagged iteration is enough.
    sweeps : int or None
        Red-black SOR sweeps per lagged-diffusivity iteration of ``d``.
        None: from the model (`for_model`), `sweeps_aggregated` or
        `sweeps_pointwise`.
    sweeps_aggregated, sweeps_pointwise : int
        `sweeps` of a model with an aggregated or a pointwise data term.
    young : bool or None
        Whether the ``d``-step's SOR runs at Young's optimal factor for each
        lagged system (`msstereo.kernels.sor.young_omega`) instead of
        `omega`. The coupling ``1 / (2 theta)`` on the diagonal grows along
        the schedule, and with it the best factor falls from near 2 to near
        1: a fixed factor near 2 leaves the error of the late iterations
        decaying only as ``omega - 1`` per sweep, where Young's factor
        removes it in a few sweeps. None: from the model (`for_model`),
        `young_aggregated` or `young_pointwise`.
    young_aggregated, young_pointwise : bool
        `young` of a model with an aggregated or a pointwise data term.
    w_sweeps : int
        Red-black SOR sweeps per lagged-diffusivity iteration of each
        component of ``w``: ``w`` starts each step from the last one's and
        moves little, so a few sweeps follow it.
    omega : float
        SOR over-relaxation factor, in (0, 2): of the ``w`` and ``v`` steps,
        and of the ``d``-step without `young`.
    v_sweeps : int or None
        Projected SOR sweeps of the ``v`` step (Mumford-Shah models). None:
        from the model (`for_model`), `v_sweeps_aggregated` or
        `v_sweeps_pointwise`.
    v_sweeps_aggregated, v_sweeps_pointwise : int
        `v_sweeps` of a model with an aggregated or a pointwise data term.
    median : int or None
        Size of the median filter of ``d`` between iterations (0: none).
        None: from the model (`for_model`), `median_aggregated` or
        `median_pointwise`.
    median_aggregated, median_pointwise : int
        `median` of a model with an aggregated or a pointwise data term.
        With a pointwise one, the ``d``-step alone leaves the search's
        isolated mismatches wherever the Mumford-Shah ``v`` (which the
        first, noisy ``d`` pulls down) has switched the smoothness off; the
        PDE scheme filters between its warps for the same reason (`PDE`).
    tol : float
        Relative energy change that ends the level early (0: run every
        iteration; the energy changes with ``theta`` anyway).
    occlusion_after : float
        Share of the iterations after which the disparities are taken to
        be settled (`RelaxStep.ready`): ``ms-occ`` starts its occlusion
        steps there, since while ``theta`` is large ``d`` is an
        over-smoothed draft whose left-right inconsistencies are not
        occlusions.
    budget : float
        Memory for the cost volumes of one level (every view), MiB. A level
        whose whole-range volumes need more searches a band instead, and
        the solver runs coarse to fine (`level_shapes`): levels of half the
        size each down to one whose whole range fits, then each finer level
        searches ``d +- band`` around the coarser solution, upsampled.
    band : float
        Half-width of that band, pixels of the level.

    Notes
    -----
    ``theta`` must scale with ``1 / beta`` so that the coupling starts weak
    against the regularizer: ``theta_start * beta`` of a few and less leaves
    the search's mismatches in the result. The choices of the defaults are
    measured in ``docs/results.md``.

    Memory: the cost volume holds ``M N K`` floats per view, ``K`` the number
    of samples (Teddy: 450 x 375 x 119 float32, 80 MB; the occlusion models
    keep one per view). Where the volumes over the whole range exceed the
    budget, a level searches a band of ``2 band / step + 1`` samples per
    pixel around the coarser level's solution. The band is used only where
    the whole range does not fit: a pixel whose coarse solution is off by
    more than the band cannot reach its disparity.
    """

    iterations: int | None = None
    iterations_aggregated: int = 60
    iterations_pointwise: int = 150
    warm_levels: int | None = None
    warm_levels_aggregated: int = 0
    warm_levels_pointwise: int = 1
    theta_start: float = 50.0
    theta_end: float = 0.05
    step: float = 0.5
    inner: int = 3
    w_inner: int = 1
    sweeps: int | None = None
    sweeps_aggregated: int = 4
    sweeps_pointwise: int = 10
    young: bool | None = None
    young_aggregated: bool = True
    young_pointwise: bool = False
    w_sweeps: int = 1
    omega: float = 1.8
    v_sweeps: int | None = None
    v_sweeps_aggregated: int = 3
    v_sweeps_pointwise: int = 10
    median: int | None = None
    median_aggregated: int = 0
    median_pointwise: int = 3
    tol: float = 0.0
    occlusion_after: float = 0.7
    budget: float = 512.0
    band: float = 3.0

    name = "relax"
    outer_field = "iterations"
    global_search = True
    energy_name = "E_theta"  # the relaxed energy (module docstring): it grows as theta shrinks
    preparing = "the images and the energy's terms, sampling the cost volume"

    FIELD_SPECS = {
        "iterations": checks.Optional(checks.Integer(1, 1000)), "iterations_aggregated": checks.Integer(1, 1000),
        "iterations_pointwise": checks.Integer(1, 1000),
        "warm_levels": checks.Optional(checks.Integer(0, MAX_WARM_LEVELS)),
        "warm_levels_aggregated": checks.Integer(0, MAX_WARM_LEVELS),
        "warm_levels_pointwise": checks.Integer(0, MAX_WARM_LEVELS),
        "theta_start": checks.positive(), "theta_end": checks.positive(),
        "step": checks.positive(), "inner": checks.Integer(1, 100), "w_inner": checks.Integer(1, 100),
        "sweeps": checks.Optional(checks.Integer(1, 1000)), "sweeps_aggregated": checks.Integer(1, 1000),
        "sweeps_pointwise": checks.Integer(1, 1000), "w_sweeps": checks.Integer(1, 1000),
        "young": checks.Optional(checks.Flag()), "young_aggregated": checks.Flag(),
        "young_pointwise": checks.Flag(),
        "omega": checks.Real(0.0, 2.0, open_low=True, open_high=True),
        "v_sweeps": checks.Optional(checks.Integer(1, 1000)), "v_sweeps_aggregated": checks.Integer(1, 1000),
        "v_sweeps_pointwise": checks.Integer(1, 1000),
        "median": checks.Optional(checks.Integer(0, 31)), "median_aggregated": checks.Integer(0, 31),
        "median_pointwise": checks.Integer(0, 31), "tol": checks.Real(), "occlusion_after": checks.Real(0.0, 1.0),
        "budget": checks.Real(0.0), "band": checks.positive(),
    }
    """What each option accepts (`msstereo.checks`).

    The counts have upper bounds, so that a typo is refused before any work instead of running
    for hours: ``iterations``, ``sweeps`` and ``v_sweeps`` (each with its two model-derived counts)
    and ``w_sweeps`` 1000, ``inner`` and ``w_inner`` 100, ``median`` 31, ``warm_levels``
    `MAX_WARM_LEVELS` (each with its two model-derived values)."""

    def for_model(self, model):
        """These options with the fields of `MODEL_DERIVED` set from ``model`` where None.

        The aggregated data term (``aggregate > 0``) gives the search a
        smooth ``a`` from the first iterations; a pointwise one (the paper's
        models) a noisy one, which the ``d``-step smooths only as ``theta``
        shrinks, so its schedule needs more, finer steps, a start from a
        coarser level and a median filter; the smoothing steps of the
        aggregated family are the shorter ones, at Young's factor (the
        values are measured in ``docs/results.md``).
        """
        family = "aggregated" if model.aggregate > 0 else "pointwise"
        derived = {name: getattr(self, f"{name}_{family}") for name in MODEL_DERIVED if getattr(self, name) is None}
        return replace(self, **derived) if derived else self

    def thetas(self, beta):
        """The ``theta`` of every iteration: geometric from ``theta_start / beta`` to ``theta_end``."""
        start = self.theta_start / beta if beta > 0 else self.theta_start
        if self.iterations == 1:
            return np.array([self.theta_end])
        return start * (self.theta_end / start) ** (np.arange(self.iterations) / (self.iterations - 1))

    def band_samples(self, shape, bounds, views, itemsize):
        """Samples per pixel of the band searched at a level, or None for the whole range.

        A band where the whole range's volumes (``views`` of them, floats of
        ``itemsize`` bytes) exceed `budget`, the band is narrower than the
        range and the level has a coarser one to centre it on (short side at
        least ``2 COARSEST``).
        """
        count = disparity_samples(bounds, self.step)[2]
        samples = 2 * math.ceil(self.band / self.step - 1e-9) + 1
        full = shape[0] * shape[1] * count * views * itemsize
        if full <= self.budget * 2**20 or samples >= count or min(shape) < 2 * COARSEST:
            return None
        return samples

    def band_grid(self, bounds):
        """First sample, spacing and count of the grid of a banded level: exactly ``step`` apart.

        Not stretched to end on ``d_max`` as `disparity_samples` is (the top
        sample may fall short of it by less than ``step``): the census of a
        sample depends on its fractional part, and a spacing of exactly 0.5
        px has two, where a stretched one has as many as samples, each a
        shifted census image (gigabytes on a large level).
        """
        lo, hi = bounds
        return float(lo), float(self.step), max(3, math.floor((hi - lo) / self.step + 1e-9) + 1)

    def level_shapes(self, shape, factor, min_size, bounds, views, itemsize):
        """The finest level, then levels of half the size while the finer one searches a band or is warm.

        A warm level is one of the `warm_levels` finest that has a coarser
        level to start from (short side at least ``2 COARSEST``).
        ``factor`` and ``min_size`` (the pyramid of the other solvers) are
        not used: every level runs all the iterations, so few levels are
        cheaper, and a band of ``+- band`` px holds a coarse solution off by
        up to ``band / 2`` px of its own level.
        """
        shapes = [tuple(shape)]
        while True:
            level = shapes[-1]
            scale = level[1] / shape[1]
            banded = self.band_samples(level, (bounds[0] * scale, bounds[1] * scale), views, itemsize) is not None
            warm = len(shapes) <= (self.warm_levels or 0) and min(level) >= 2 * COARSEST
            if not (banded or warm):
                return shapes
            k = len(shapes)
            shapes.append((max(1, round(shape[0] * LEVEL_SCALE**k)), max(1, round(shape[1] * LEVEL_SCALE**k))))

    def check_memory(self, shape, bounds, views, itemsize):
        """Refuse cost volumes larger than the machine's memory (`volume_bytes`), naming what to change.

        A pair whose short side is under ``2 COARSEST`` has no coarser
        level to search a band around, so the budget and the band cannot
        help: only the range and the step can.
        """
        needed, memory = self.volume_bytes(shape, bounds, views, itemsize), _physical_memory()
        if needed > memory:
            count = disparity_samples(bounds, self.step)[2]
            if min(shape) < 2 * COARSEST:
                fix = (f"a pair whose short side is {min(shape)} px has no coarser level to search a band around, "
                       f"so narrow [d_min, d_max] or raise Relax(step=...)")
            else:
                fix = ("narrow [d_min, d_max], raise Relax(step=...) or lower Relax(budget=...) or "
                       "Relax(band=...)")
            raise ValueError(f"the cost volumes of {shape[0]}x{shape[1]} pixels, {count} disparity "
                             f"samples over the range and {views} view(s) need {needed / 2**30:.3g} GiB "
                             f"at their largest level, more than this machine has ({memory / 2**30:.3g} "
                             f"GiB): {fix}")

    def volume_bytes(self, shape, bounds, views, itemsize):
        """Bytes of the cost volumes of one level (every view) at their peak, the largest over `level_shapes`.

        A banded level is made in strips of rows, whose temporaries are a
        small part of its volumes, and a level within the budget needs a few
        budgets at most. A level beyond the budget without a coarser one
        (short side under ``2 COARSEST``: a pair a few pixels high) searches
        the whole range and cannot be cut into thin strips: while its
        volumes are aggregated, each view also holds a copy of its strip
        and the filtered output, each up to a whole volume, so it counts
        `THIN_LEVEL_VOLUMES` volumes.
        """
        largest = 0
        for level in self.level_shapes(shape, None, None, bounds, views, itemsize):
            scale = level[1] / shape[1]
            level_bounds = (bounds[0] * scale, bounds[1] * scale)
            samples = self.band_samples(level, level_bounds, views, itemsize)
            banded = samples is not None
            if not banded:
                samples = disparity_samples(level_bounds, self.step)[2]
            size = level[0] * level[1] * samples * views * itemsize
            if not banded and size > self.budget * 2**20 and min(level) < 2 * COARSEST:
                size *= THIN_LEVEL_VOLUMES
            largest = max(largest, size)
        return largest


def _physical_memory():
    """Bytes of memory of this machine (inf where unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return float("inf")


COARSEST = 24
"""Short side, pixels, below which a relax level has no coarser one (`Relax.band_samples`)."""

THIN_LEVEL_VOLUMES = 3
"""Volumes per view that a level beyond the budget without a coarser one holds at its peak
(`Relax.volume_bytes`): the volume, and while it is aggregated a copy of its strip and the
filtered output, each as large as the volume when the image has too few rows for strips."""

LEVEL_SCALE = 0.5
"""Size ratio between the levels of a banded relax run (`Relax.level_shapes`)."""

STRIP_BYTES = 16 * 2**20
"""Bytes of cost volume per strip of rows in which a banded volume, or one above half the
budget, is made (bounds the temporaries of the data term, census and aggregation)."""


def disparity_samples(bounds, step):
    """First sample, spacing and count covering ``[d_min, d_max]`` at about ``step``.

    At least three samples, so that the cost has a parabola everywhere.
    """
    lo, hi = bounds
    count = max(3, math.ceil((hi - lo) / step - 1e-9) + 1)
    return float(lo), (hi - lo) / (count - 1), count


def grid_index_dtype(count):
    """The smallest of int16 and int32 that holds the indices of a grid of ``count`` samples.

    The base of a banded level is image-sized: int16 halves it for any grid
    below 32768 samples (16384 px at the default step).
    """
    return np.int16 if count <= np.iinfo(np.int16).max else np.int32


class RelaxStep:
    """One view's relaxation iterations at one level.

    Parameters
    ----------
    energy : ViewEnergy
        The level's energy: its data term is sampled once into the cost
        volume, which the iterations read instead; its regularizer (and ``v``) is the
        ``d``-step's.
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    options : Relax
    views : int
        Views solved side by side at the level: their volumes share the budget.

    Attributes
    ----------
    a : (M, N) ndarray
        The auxiliary disparity.
    theta : float
        The coupling parameter of the next iteration.
    """

    def __init__(self, energy, bounds, options, views=1):
        self.energy, self.options = energy, options
        self.bounds = bounds
        self.k0, self.h, self.count = disparity_samples(bounds, options.step)
        # Bytes of one sample of every view's volume: the budget counts them all.
        self._views, self._itemsize = views, np.dtype(energy.dtype).itemsize
        self.band = options.band_samples(energy.shape, bounds, self._views, self._itemsize)
        if self.band is not None:
            self.k0, self.h, self.count = options.band_grid(bounds)
            self.band = min(self.band, self.count)
        self.cost = self.floor = self.base = None
        self.schedule = options.thetas(energy.model.beta)
        self.iteration = 0
        self.a = None
        self._data_key = None
        self._visible = None

    @property
    def theta(self):
        return float(self.schedule[min(self.iteration, len(self.schedule) - 1)])

    @property
    def ready(self):
        """Whether ``d`` is settled enough for occlusion detection (see `Relax`)."""
        return self.iteration >= self.options.occlusion_after * self.options.iterations

    def _gate(self, h):
        """The visibility ``h``, or all ones (kept, not made anew on every call)."""
        if h is None and self._visible is None:
            self._visible = np.ones(self.energy.shape, self.energy.dtype)
        return self._visible if h is None else h

    def start(self, s):
        """Sample the cost volume; start from its winner-take-all disparity (``theta`` = infinity).

        Over the whole range the incoming ``s.d`` is not used, unless it is
        a coarser level's solution (``s.coarser``: a level below a warm one,
        `Relax.warm_levels`): then ``d`` starts from it, clipped to the
        range, and only ``a`` from the winner-take-all. At a banded
        level (`Relax.band_samples`) ``s.d`` is the coarser level's solution,
        upsampled, and each pixel's samples are the ``band`` samples of the
        grid centred on it (shifted inwards at the ends of the range). The
        energy's data term goes once the volume holds it: the iterations
        read the data from the volume only.
        """
        shape = self.energy.shape
        samples = self.count if self.band is None else self.band
        rows = max(STRIP_BYTES // (shape[1] * samples * self._itemsize), 16)
        index = grid_index_dtype(self.count)
        data = self.energy.data
        self.energy = self.energy.without_data()
        if self.band is None:
            self.base = np.zeros(shape, index)
            # Small volumes at once: strips change the aggregation by round-off.
            if shape[0] * shape[1] * self.count * self._views * self._itemsize <= self.options.budget * 2**20 / 2:
                rows = None
            self.cost = cost_volume(data, self.k0, self.h, self.count, rows=rows)
        else:
            # floor((d - k0) / h + 0.5) - band // 2, clipped: in place, the level is large.
            first = s.d - self.k0
            first /= self.h
            first += 0.5
            np.floor(first, out=first)
            first -= self.band // 2
            self.base = np.clip(first, 0, self.count - self.band, out=first).astype(index)
            del first
            self.cost = cost_volume(data, self.k0, self.h, self.band, self.base, rows=rows)
        del data
        # A band's few samples give each pixel's least cost in the search itself (`search`).
        self.floor = self.cost.min(axis=2) if self.band is None else None
        self.a = winner_take_all(self.cost, self.k0, self.h, self.base)
        if self.band is None and s.coarser:
            s.d = np.clip(s.d, *self.bounds).astype(self.a.dtype, copy=False)
        else:
            s.d = self.a.copy()

    def _data(self, h, cost_at_a=None):
        """``sum H C(a)``, kept until ``a`` or the visibility ``h`` changes.

        ``cost_at_a``: ``C(a)`` per pixel where the caller has it (the
        search's), summed instead of a pass over the volume.
        """
        key = (self.a, h)
        kept = self._data_key is not None and all(x is y for x, y in zip(key, self._data_key))
        if cost_at_a is None and kept:
            return self._data_sum
        data = cost_at_a
        if data is None:
            data = interpolated_cost(self.cost, self.a, self.k0, self.h, self.base)
        data *= self._gate(h)
        self._data_key, self._data_sum = key, float(data.sum(dtype=np.float64))
        return self._data_sum

    def objective(self, s):
        """The relaxed energy ``E_theta(d, a)`` at the current ``theta``."""
        coupling = s.d - self.a  # (d - a)^2 / (2 theta), in place
        coupling *= coupling
        coupling /= 2.0 * self.theta
        return self._data(s.h) + float(coupling.sum(dtype=np.float64)) + self.energy.regularization(s.d, s.v, s.w,
                                                                                                     s.h)

    def step(self, s, e, log):
        """One iteration (search, smoothing, ``w``, ``v``) at the current ``theta``; returns ``E_theta``.

        The search is logged as ``"search"`` and, for the Mumford-Shah
        models and TGV, the smoothing as ``"smooth"`` before their ``v`` and
        ``w`` steps (the caller logs the result); ``theta`` then moves on to
        the next value of the schedule. For a log that keeps nothing
        (`msstereo.result.DISCARD`) no energy is computed and the result is
        NaN.
        """
        theta, options, energy = self.theta, self.options, self.energy
        self.a, cost_at_a = search(self.cost, self.floor, s.d, self.a, self._gate(s.h), theta, self.k0, self.h,
                                   self.base)
        # Summed now, not kept: only a new visibility (the occlusion step) needs a pass over the volume.
        self._data(s.h, cost_at_a)
        del cost_at_a
        if log.keeps:  # energies only for a log that keeps them
            log.record(self.objective(s), "search")
        s.d = self._smooth(s, theta)
        if log.keeps and (energy.joint or s.w is not None):
            log.record(self.objective(s), "smooth")
        if s.w is not None:
            energy.solve_w(s.d, s.v, s.w, s.h, options.w_inner, options.w_sweeps, options.omega)
        if energy.joint:
            # v after d: v of the raw first search would mark every noisy pixel an edge.
            s.v = energy.step_v(s.d, s.v, s.w, s.h, options.v_sweeps, options.omega)
        e = self.objective(s) if log.keeps else math.nan  # at this iteration's theta
        self.iteration += 1
        return e

    def _smooth(self, s, theta):
        """The ``d``-step: lagged diffusivity + SOR on ``(d - a)^2 / (2 theta) + R(d)``.

        The result is clipped to the bounds: with ``a`` inside them, clipping
        lowers the coupling and no difference of neighbours grows, so for
        the first-order regularizers it never raises the energy (with a TGV
        field ``|grad d - w|`` may grow where the clip acts; it acts only
        where SOR overshoots the range, which ``a`` never leaves).
        """
        d, w = s.d, s.w
        c = 0.5 / theta
        b = d - self.a
        b *= c
        # d, c and b are the same in every lagged-diffusivity iteration: packed for SOR once.
        system = SorSystem(d, c, b)
        del b
        # The weight is fixed during the step (v and the visibility are).
        weight = self.energy.smoothness.weight(s.v, s.h)
        for _ in range(self.options.inner):
            g = self.energy.smoothness.diffusivity(system.add_increment(d.copy()), weight, w)
            # With a second-order field the term is g |grad d - w|^2: its -div(g w) joins b.
            add = None if w is None else sor_pack(weighted_divergence(g, w[0], w[1]))
            g = sor_pack(g)
            omega = young_omega(c, g) if self.options.young else self.options.omega
            system.solve(g, self.options.sweeps, omega, add)
            del g, add
        del weight
        dd = system.add_increment(d.copy())
        return np.clip(dd, *self.bounds, out=dd)


Relax.step_class = RelaxStep
