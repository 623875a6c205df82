"""The paper's numeric scheme: descent on the Euler-Lagrange equation of ``d``.

One pyramid level is a sequence of warps. In each warp the
data term is linearized around the current disparity and the Euler-Lagrange
equation of that model is solved for the increment ``dd`` by a lagged
diffusivity fixed point (``inner`` times) with red-black SOR sweeps. The
increment is clamped to ``+-max_step`` pixels and ``d`` to ``[d_min, d_max]``, and
accepted with a backtracking line search on the true (non-linearized) discrete
energy, so no warp increases the energy. The explicit scheme
(``d <- d - tau dE/dd``) is kept for checking.

Between warps an optional median filter (Sun, Roth and Black, "Secrets of
optical flow estimation and their principles", CVPR 2010) removes outliers of
the warping scheme; it is a heuristic outside the energy and is logged as its
own step, so the energy history shows what it costs.
"""

from dataclasses import dataclass

import numpy as np

from .. import checks
from ..kernels.sor import sor_increment
from . import SolverOptions

__all__ = ["PDE", "PDEStep"]


@dataclass(frozen=True)
class PDE(SolverOptions):
    """Options of the PDE solver.

    Parameters
    ----------
    warps : int
        Most warps (outer iterations) per pyramid level; a level usually
        stops earlier on ``tol``. Coarse levels, which are cheap, need the
        most: the disparity must travel there.
    inner : int
        Lagged-diffusivity fixed-point iterations per warp.
    sweeps : int
        Red-black SOR sweeps per fixed-point iteration (explicit scheme:
        gradient steps per warp).
    omega : float
        SOR over-relaxation factor, in (0, 2).
    max_step : float
        Largest change of ``d`` in one warp, in pixels of the level.
    median : int
        Size of the median filter applied between warps; 0 disables it.
    tol : float
        A level stops when the energy at the end of a warp (median included)
        differs from the previous one by less than ``tol`` times its value.
    backtracks : int
        Halvings of the step tried before a warp is declared stalled.
    scheme : {"semi-implicit", "explicit"}
        Lagged diffusivity with SOR, or explicit gradient descent.
    v_sweeps : int
        Projected SOR sweeps of the ``v`` step before each warp (models with
        a discontinuity function ``v``).
    """

    warps: int = 50
    inner: int = 3
    sweeps: int = 10
    omega: float = 1.8
    max_step: float = 1.0
    median: int = 5
    tol: float = 1e-3
    backtracks: int = 6
    scheme: str = "semi-implicit"
    v_sweeps: int = 10

    name = "pde"


    FIELD_SPECS = {
        "warps": checks.Integer(1), "inner": checks.Integer(1), "sweeps": checks.Integer(1),
        "omega": checks.Real(0.0, 2.0, open_low=True, open_high=True), "max_step": checks.positive(),
        "median": checks.Integer(0), "tol": checks.Real(), "backtracks": checks.Integer(1),
        "scheme": checks.Choice(("semi-implicit", "explicit")), "v_sweeps": checks.Integer(1),
    }
    """What each option accepts (`msstereo.checks`)."""


def _semi_implicit_direction(energy, d, bounds, options):
    """Increment of one warp: lagged diffusivity + SOR on the linearized data term."""
    R, J12, J11 = energy.quadratic_model(d)
    dd = np.zeros_like(d)
    for _ in range(options.inner):
        a, b, g = energy.lagged_weights(R, J12, J11, dd, d)
        sor_increment(dd, d, a, b, g, options.sweeps, options.omega)
    return _project(d, dd, bounds, options.max_step)


def _project(d, dd, bounds, max_step):
    """Clamp an increment to ``+-max_step`` and ``d + dd`` to ``[d_min, d_max]``."""
    dd = np.clip(dd, -max_step, max_step)
    return np.clip(d + dd, *bounds) - d


def _backtrack(energy, d, direction, e0, halvings):
    """First of ``d + t * direction``, ``t = 1, 1/2, ...`` that does not raise the energy."""
    t = 1.0
    for _ in range(halvings + 1):
        trial = d + t * direction
        e = energy.energy(trial)
        if e <= e0:
            return trial, e
        t *= 0.5
    return None, e0


def _explicit_warp(energy, d, e0, bounds, options):
    """``sweeps`` projected gradient steps with backtracking (for checking); ``(d, e)`` or None."""
    m = energy.model
    # The TV stability bound tau <= eta_s / (4 beta), then halve as needed.
    tau = m.eta_s / (4.0 * max(m.beta, 1e-12))
    moved = False
    for _ in range(options.sweeps):
        # The gradient may come in float64: keep d in the working precision.
        step = (-tau * energy.gradient(d)).astype(d.dtype, copy=False)
        direction = _project(d, step, bounds, options.max_step)
        trial, e = _backtrack(energy, d, direction, e0, options.backtracks)
        if trial is None:
            break
        d, e0, moved = trial, e, True
    return (d, e0) if moved else None


class PDEStep:
    """One view's descent steps at one level: a ``v`` step (joint models), then a warp.

    Parameters
    ----------
    energy : DisparityEnergy or MumfordShahEnergy
        The level's energy; for a `MumfordShahEnergy` each warp is preceded
        by a ``v`` step and the final ``v`` stays in ``energy.v``.
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    options : PDE
    """

    def __init__(self, energy, bounds, options):
        self.energy, self.bounds, self.options = energy, bounds, options
        self.joint = hasattr(energy, "solve_v")

    ready = True
    """Every step is a descent on the model's own energy: occlusions can be detected from the first."""

    def start(self, d):
        """The level's initial disparity, inside the bounds."""
        return np.clip(d, *self.bounds)

    def objective(self, d):
        """The model's energy."""
        return self.energy.energy(d)

    def step(self, d, e, log):
        """One warp from ``d`` of energy ``e`` (None: unknown); ``(d, e)`` or None if stalled."""
        energy, options = self.energy, self.options
        if self.joint:
            # Alternation: v by its linear equation, then d.
            energy.solve_v(d, options.v_sweeps, options.omega)
            e = energy.energy(d)
            log.record(e, "v")
        elif e is None:
            e = energy.energy(d)
        if options.scheme == "explicit":
            return _explicit_warp(energy, d, e, self.bounds, options)
        trial, e_new = _backtrack(energy, d, _semi_implicit_direction(energy, d, self.bounds, options),
                                  e, options.backtracks)
        return None if trial is None else (trial, e_new)


PDE.step_class = PDEStep
