"""What `msstereo.match` returns: the disparity and a record of how it was found."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LevelLog", "StereoResult", "DISCARD"]


@dataclass
class LevelLog:
    """Energy history of one pyramid level.

    Attributes
    ----------
    level : int
        0 at the coarsest level.
    shape : tuple of int
        ``(M, N)`` of the level.
    energy : list of float
        Energy after each logged step, starting with the level's initial
        state.
    steps : list of str
        What each entry of ``energy`` follows: ``"start"``; ``"warp"``, a
        descent step (a PDE warp, an L-BFGS-B round, or for ``ms-occ`` one
        such step of each view), never increasing the energy; ``"iter"``,
        one L-BFGS-B iteration (``optimize``); ``"v"``, the ``v`` step of a
        Mumford-Shah model (``pde``), never increasing the energy;
        ``"median"``, the median filter, a heuristic outside the energy that
        may increase it; ``"search"`` and ``"smooth"``, the ``a``-step and
        the ``d``-step of a ``relax`` iteration (its ``v`` step ends with
        the ``"warp"`` entry), never increasing the relaxed energy at a
        fixed ``theta``; ``"occlusion"``, the new ``e_occl`` and the
        level-set flow of ``ms-occ``, which may increase the logged total.
    times : list of float
        Wall time of each entry of ``energy``, in seconds since the level
        started (for energy-versus-time comparisons of solvers).
    seconds : float
        Wall time of the level.
    energy_name : str
        What ``energy`` is, as `line` labels it: ``"E"``, the model's
        energy, or ``"E_theta"``, the relaxed energy of ``relax``
        (`msstereo.solvers.SolverOptions.energy_name`), which grows while
        ``theta`` shrinks.
    """

    level: int
    shape: tuple
    energy: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    times: list = field(default_factory=list)
    seconds: float = 0.0
    energy_name: str = "E"
    _t0: float = field(default_factory=time.perf_counter, repr=False)
    # Told of every entry while the level runs (progress reports); None once it is done.
    _listener: object = field(default=None, repr=False, compare=False)

    keeps = True
    """Whether the log keeps its entries: steppers compute energies only for a log that does (`DISCARD`)."""

    def record(self, energy, step):
        """Log the energy after a step of kind ``step``."""
        self.energy.append(float(energy))
        self.steps.append(step)
        self.times.append(time.perf_counter() - self._t0)
        if self._listener is not None:
            self._listener(self)

    @property
    def iterations(self):
        """Number of descent steps taken."""
        return self.steps.count("warp")

    def line(self, count):
        """``level 2/3 40x48: 12 steps, E 123.4, 0.05 s``: numbered from 1 of ``count`` levels.

        The one format of the progress lines of `msstereo.match` and of
        `StereoResult.summary`, so that both count levels alike. The energy
        is labelled by `energy_name` (``E_theta 123.4`` for ``relax``), so
        that the relaxed energy, which rises while ``theta`` shrinks, is not
        read as the model's energy diverging.
        """
        energy = f"{self.energy[-1]:.6g}" if self.energy else "none"
        return (f"level {self.level + 1}/{count} {self.shape[0]}x{self.shape[1]}: "
                f"{self.iterations} steps, {self.energy_name} {energy}, {self.seconds:.2f} s")


class _Discard:
    """A log that keeps nothing (`DISCARD`)."""

    keeps = False

    def record(self, energy, step):
        """Drop the entry."""


DISCARD = _Discard()
"""The log of steps whose energies nobody reads: the views of ``ms-occ``, whose total is
logged instead. Steppers skip the energies they would compute only to log them."""


@dataclass
class StereoResult:
    """Result of `msstereo.match`.

    Attributes
    ----------
    disparity : (M, N) ndarray
        Left disparity in pixels (Middlebury convention: left pixel ``x``
        matches right pixel ``x - d``), float32 unless float64 was asked for.
    model : Model
        Energy parameters used.
    solver : object
        Solver options used.
    levels : list of LevelLog
        Energy history per pyramid level, coarsest first.
    seconds : float
        Wall time of the whole match.
    v : (M, N) ndarray or None
        Disparity discontinuity function in [0, 1] (models ``ms-*``): about 0
        on depth edges, 1 elsewhere.
    v_image : (M, N) ndarray or None
        Image edge map ``v_I`` in [0, 1] (model ``tv-edge``).
    disparity_right : (M, N) ndarray or None
        Right disparity (``ms-occ``): right pixel ``x`` matches left ``x + d``.
    v_right : (M, N) ndarray or None
        Discontinuity function of the right view (``ms-occ``).
    occlusion, occlusion_right : (M, N) bool ndarray or None
        Half-occluded pixels of the left and right views, ``H(phi) < 1/2``
        (``ms-occ``).
    intensity : str or None
        How the images' values were brought onto [0, 1], e.g. ``"uint8
        holding 8-bit values, (x - 0) / 255"``.
    confidence : (M, N) float32 ndarray or None
        Probability that each left disparity is within 1 px of the truth,
        calibrated on the Middlebury v2 scenes (`msstereo.confidence`);
        threshold it to keep the pixels to trust. Two-view models
        (``ms-occ``, ``default``) under every solver; None for the others.
    d_range : (float, float) or None
        The disparity range ``(d_min, d_max)`` that was searched (the colour
        range of the CLI's PNGs, `msstereo.viz.colorize`).
    """

    disparity: np.ndarray
    model: object
    solver: object
    levels: list
    seconds: float
    v: np.ndarray | None = None
    v_image: np.ndarray | None = None
    disparity_right: np.ndarray | None = None
    v_right: np.ndarray | None = None
    occlusion: np.ndarray | None = None
    occlusion_right: np.ndarray | None = None
    intensity: str | None = None
    d_range: tuple | None = None
    confidence: np.ndarray | None = None

    @property
    def energy(self):
        """Final energy at the finest level."""
        return self.levels[-1].energy[-1]

    def __repr__(self):
        """One line: shape, disparity range, model, solver, energy, time, other fields."""
        disparity = np.asarray(self.disparity)
        finite = disparity[np.isfinite(disparity)]
        extent = f" in [{finite.min():.4g}, {finite.max():.4g}]" if finite.size else ""
        shape = "x".join(str(s) for s in disparity.shape)
        energy = self.levels[-1].energy[-1] if self.levels and self.levels[-1].energy else None
        others = [name for name in ("v", "v_image", "disparity_right", "v_right", "occlusion",
                                    "occlusion_right", "confidence") if getattr(self, name) is not None]
        return (f"StereoResult(disparity={shape} {disparity.dtype}{extent}, "
                f"model={getattr(self.model, 'name', self.model)!r}, "
                f"solver={getattr(self.solver, 'name', self.solver)!r}, levels={len(self.levels)}, "
                f"energy={'None' if energy is None else format(energy, '.6g')}, "
                f"seconds={self.seconds:.2f}, fields={others})")

    def summary(self):
        """Model, solver, time and intensity map, then one line per level as `match` reports it."""
        lines = [f"model {self.model.name}, solver {self.solver.name}, {self.seconds:.2f} s"]
        if self.intensity:
            lines.append(f"  intensity: {self.intensity}")
        lines += [f"  {log.line(len(self.levels))}" for log in self.levels]
        return "\n".join(lines)
