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

from dataclasses import dataclass, replace

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
        "warps": checks.Integer(1, 1000), "inner": checks.Integer(1, 100), "sweeps": checks.Integer(1, 1000),
        "omega": checks.Real(0.0, 2.0, open_low=True, open_high=True), "max_step": checks.positive(),
        "median": checks.Integer(0, 31), "tol": checks.Real(), "backtracks": checks.Integer(1, 50),
        "scheme": checks.Choice(("semi-implicit", "explicit")), "v_sweeps": checks.Integer(1, 1000),
    }
    """What each option accepts (`msstereo.checks`).

    The counts have upper bounds, so that a typo is refused before any work instead of running
    for hours: ``warps``, ``sweeps`` and ``v_sweeps`` 1000, ``inner`` 100, ``median`` 31 (a
    31 x 31 window), ``backtracks`` 50 (a step halved 50 times is below float64's resolution)."""


def _semi_implicit_direction(energy, s, bounds, options):
    """Increment of one warp: lagged diffusivity + SOR on the linearized data term."""
    d = s.d
    R, J12, J11 = energy.data.quadratic_model(d)
    dd = np.zeros_like(d)
    for _ in range(options.inner):
        a, b, g = energy.lagged_weights(R, J12, J11, dd, d, s.v, s.h)
        sor_increment(dd, d, a, b, g, options.sweeps, options.omega)
    return _project(d, dd, bounds, options.max_step)


def _project(d, dd, bounds, max_step):
    """Clamp an increment to ``+-max_step`` and ``d + dd`` to ``[d_min, d_max]``."""
    dd = np.clip(dd, -max_step, max_step)
    return np.clip(d + dd, *bounds) - d


def _backtrack(energy, s, direction, e0, halvings):
    """First of ``d + t * direction``, ``t = 1, 1/2, ...`` that does not raise the energy."""
    t = 1.0
    for _ in range(halvings + 1):
        trial = s.d + t * direction
        e = energy.value(trial, s.v, None, s.h)
        if e <= e0:
            return trial, e
        t *= 0.5
    return None, e0


def _explicit_warp(energy, s, e0, bounds, options):
    """``sweeps`` projected gradient steps with backtracking (for checking); ``(d, e)`` or None."""
    m = energy.model
    # The TV stability bound tau <= eta_s / (4 beta), then halve as needed.
    tau = m.eta_s / (4.0 * max(m.beta, 1e-12))
    d, moved = s.d, False
    for _ in range(options.sweeps):
        # The gradient may come in float64: keep d in the working precision.
        step = (-tau * energy.gradient(d, s.v, s.h)).astype(d.dtype, copy=False)
        direction = _project(d, step, bounds, options.max_step)
        trial, e = _backtrack(energy, replace(s, d=d), direction, e0, options.backtracks)
        if trial is None:
            break
        d, e0, moved = trial, e, True
    return (d, e0) if moved else (None, e0)


class PDEStep:
    """One view's descent steps at one level: a ``v`` step (joint models), then a warp.

    Parameters
    ----------
    energy : ViewEnergy
        The level's energy; for a joint energy each warp is preceded by a
        ``v`` step.
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    options : PDE
    views : int
        Views at the level (not used: the scheme keeps no volume).
    """

    def __init__(self, energy, bounds, options, views=1):
        self.energy, self.bounds, self.options = energy, bounds, options

    ready = True
    """Every step is a descent on the model's own energy: occlusions can be detected from the first."""

    def start(self, s):
        """The level's initial disparity, inside the bounds."""
        s.d = np.clip(s.d, *self.bounds)

    def objective(self, s):
        """The model's energy."""
        return self.energy.value(s.d, s.v, None, s.h)

    def step(self, s, e, log):
        """One warp from ``s.d`` of energy ``e`` (None: unknown); the new energy, or None if stalled."""
        energy, options = self.energy, self.options
        if energy.joint:
            # Alternation: v by its linear equation, then d.
            s.v = energy.step_v(s.d, s.v, None, s.h, options.v_sweeps, options.omega)
            e = self.objective(s)
            log.record(e, "v")
        elif e is None:
            e = self.objective(s)
        if options.scheme == "explicit":
            trial, e_new = _explicit_warp(energy, s, e, self.bounds, options)
        else:
            trial, e_new = _backtrack(energy, s, _semi_implicit_direction(energy, s, self.bounds, options),
                                      e, options.backtracks)
        if trial is None:
            return None
        s.d = trial
        return e_new


PDE.step_class = PDEStep
