"""The optimization view: the discrete energy as a loss for L-BFGS-B.

The level's energy (`msstereo.energy.ViewEnergy`) is treated as a smooth
function of the pixel-grid unknowns and handed to scipy's bound-constrained
quasi-Newton method, ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``,
with the bounds ``d_min <= d <= d_max`` and, for the Mumford-Shah models,
``0 <= v <= 1``. Energy and gradient are those of the energy (its
Numba kernels: discretize-then-optimize); nothing is re-derived here.

Joint ``(d, v)``
    For the Mumford-Shah models the unknown is ``x = concat(d, v)``, and
    ``d`` and ``v`` are minimized *jointly*, not alternately as the PDE
    solver does: the energy and both parts of its gradient are evaluated at
    the trial ``(d, v)`` (`msstereo.energy.ViewEnergy.value`, ``gradient``,
    ``gradient_v``).

Precision
    scipy works on float64 vectors. The energy is evaluated in the energy
    object's own precision (the working ``dtype`` of `msstereo.match`,
    float32 by default): a trial ``x`` is cast to it, the kernels run, and
    the gradient is cast back to float64. The returned ``d`` has the dtype
    of the input ``d``. Evaluating at the cast point keeps the energy and
    gradient that the optimizer sees exactly those that the logs report.

A round
    A level is at most ``warps`` *rounds*; a round is one L-BFGS-B run of at
    most ``iterations`` iterations, started from the current state with an
    empty curvature memory. Rounds are the counterpart of the PDE solver's
    warps, so the two solvers share their outer loop point by point: the
    same median filter between rounds (option ``median``, logged as
    ``"median"``; it changes ``d`` outside the optimizer, so its curvature
    pairs would be stale anyway, which is why each round restarts
    L-BFGS-B), the same stopping rule (a level stops when a round changes
    the energy by less than ``tol`` times its value) and the same cap.
    Unlike a PDE warp, a round does not linearize the data term: every
    evaluation warps the other image at the trial ``d``, which is what
    "the exact gradient of the discrete energy" means.

Logging
    Each round is logged as ``"warp"`` (so `LevelLog.iterations` counts
    rounds, the outer descent steps, as it counts warps for the PDE solver).
    Each L-BFGS-B iteration is also logged, as ``"iter"``, from scipy's
    callback, whose ``intermediate_result.fun`` is the energy already
    computed at the accepted iterate: the logging costs no extra energy
    evaluation, and it gives the energy-versus-time curve its fine
    resolution. A round's ``"warp"`` entry repeats the energy of its last
    ``"iter"`` entry (it marks where the round ended). Both kinds never
    increase the energy: L-BFGS-B's line search enforces a sufficient
    decrease, and a round whose result is worse than its start (a line
    search failure on round-off) is discarded and ends the level.

Default ``iterations``
    40: short rounds restart the curvature memory too often and, with the
    median filter at every round boundary, stop on ``tol`` before the energy
    settles; long rounds lower the energy little for their time (the
    measurements are in ``docs/results.md``).

Performance note
    scipy's L-BFGS-B does its vector algebra through BLAS on vectors too
    short for threads to pay, and BLAS threads spinning on a shared machine
    slow it many times over: each round runs with BLAS limited to one thread
    (``threadpoolctl``), whatever the environment says. Each round also
    pays scipy's set-up of the bounds, a Python loop over the variables.
"""

import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, minimize
from threadpoolctl import ThreadpoolController

from .. import checks
from . import SolverOptions

__all__ = ["Optimize", "OptimizeStep"]


@dataclass(frozen=True)
class Optimize(SolverOptions):
    """Options of the optimization-view solver (L-BFGS-B on the discrete energy).

    Parameters
    ----------
    warps : int
        Most rounds per pyramid level (a round is one L-BFGS-B run, see the
        module docstring); a level usually stops earlier on ``tol``. Same
        default as `PDE`.
    iterations : int
        Most L-BFGS-B iterations per round.
    memory : int
        Number of curvature pairs L-BFGS-B keeps (scipy's ``maxcor``).
    median : int
        Size of the median filter applied to ``d`` between rounds; 0
        disables it. Same default as `PDE`.
    tol : float
        A level stops when the energy at the end of a round differs from
        the previous round's by less than ``tol`` times its value. Same
        default as `PDE`.
    max_step : float or None
        If set, each round also bounds ``d`` to within ``+-max_step`` pixels
        of its value at the start of the round (a box trust region, the
        counterpart of the PDE solver's per-warp clamp); None (default)
        leaves only ``d_min <= d <= d_max``.
    """

    warps: int = 50
    iterations: int = 40
    memory: int = 10
    median: int = 5
    tol: float = 1e-3
    max_step: float | None = None

    name = "optimize"

    FIELD_SPECS = {
        "warps": checks.Integer(1, 1000), "iterations": checks.Integer(1, 1000), "memory": checks.Integer(1, 100),
        "median": checks.Integer(0, 31), "tol": checks.Real(), "max_step": checks.Optional(checks.positive()),
    }
    """What each option accepts (`msstereo.checks`).

    The counts have upper bounds, so that a typo is refused before any work instead of running
    for hours or filling the memory: ``warps`` and ``iterations`` 1000, ``memory`` 100 (pairs of
    vectors of the image's size), ``median`` 31."""


class JointObjective:
    """The level's energy as a function of a flat float64 vector, for scipy.

    Parameters
    ----------
    energy : ViewEnergy
        The level's energy; for a joint energy the vector is
        ``concat(d, v)``, else ``d``.
    h : (M, N) ndarray or None
        The visibility of the view (occlusion models), fixed during a round.
    """

    def __init__(self, energy, h=None):
        self.energy, self.h = energy, h
        self.joint = energy.joint
        self.shape = tuple(energy.shape)
        self.size = int(np.prod(self.shape))
        self.evaluations = 0

    def pack(self, d, v=None):
        """Flat float64 vector of the unknowns."""
        parts = [np.asarray(d, np.float64).ravel()]
        if self.joint:
            parts.append(np.asarray(v, np.float64).ravel())
        return np.concatenate(parts)

    def unpack(self, x):
        """``(d, v)`` in the energy's dtype (``v`` is None without one)."""
        dtype = self.energy.dtype
        d = np.ascontiguousarray(x[:self.size].reshape(self.shape), dtype=dtype)
        v = np.ascontiguousarray(x[self.size:].reshape(self.shape), dtype=dtype) if self.joint else None
        return d, v

    def __call__(self, x):
        """Energy and its exact gradient (float64 vector) at ``x``."""
        self.evaluations += 1
        d, v = self.unpack(x)
        energy, h = self.energy, self.h
        if not self.joint:
            return energy.value(d, None, None, h), energy.gradient(d, None, h).astype(np.float64).ravel()
        grad = np.concatenate([energy.gradient(d, v, h).ravel(), energy.gradient_v(d, v, None, h).ravel()])
        return energy.value(d, v, None, h), grad.astype(np.float64)


class OptimizeStep:
    """One view's L-BFGS-B rounds at one level (see the module docstring).

    Parameters
    ----------
    energy : ViewEnergy
        The level's energy.
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    options : Optimize
    views : int
        Views at the level (not used).
    """

    def __init__(self, energy, bounds, options, views=1):
        self.energy, self.options = energy, options
        n = int(np.prod(energy.shape))
        size = 2 * n if energy.joint else n
        self.lower = np.full(size, float(bounds[0]))
        self.upper = np.full(size, float(bounds[1]))
        self.lower[n:], self.upper[n:] = 0.0, 1.0

    ready = True
    """Every step is a descent on the model's own energy: occlusions can be detected from the first."""

    def start(self, s):
        """The initial ``d`` (and ``v``) clipped to the bounds."""
        if self.energy.joint:
            s.v = np.ascontiguousarray(np.clip(s.v, 0.0, 1.0), dtype=self.energy.dtype)
        s.d = np.clip(np.asarray(s.d, self.energy.dtype), float(self.lower[0]), float(self.upper[0]))

    def objective(self, s):
        """The model's energy."""
        return self.energy.value(s.d, s.v, None, s.h)

    def step(self, s, e, log):
        """One round from ``s`` of energy ``e``; the new energy, or None if it failed to descend.

        Each L-BFGS-B iteration is logged as ``"iter"``.
        """
        options, objective = self.options, JointObjective(self.energy, s.h)
        n = objective.size
        e_start = self.objective(s) if e is None else e
        x0 = objective.pack(s.d, s.v)
        lo, hi = self.lower, self.upper
        if options.max_step is not None:
            lo, hi = lo.copy(), hi.copy()
            lo[:n] = np.maximum(lo[:n], x0[:n] - options.max_step)
            hi[:n] = np.minimum(hi[:n], x0[:n] + options.max_step)
        with _blas_threads().limit(limits=1, user_api="blas"):  # see "Performance note"
            res = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
                           callback=lambda intermediate_result: log.record(intermediate_result.fun, "iter"),
                           options={"maxiter": options.iterations, "maxcor": options.memory})
        if not res.fun <= e_start:
            return None  # a failed round (round-off in the line search): keep the state
        d_new, v_new = objective.unpack(res.x)  # L-BFGS-B keeps x feasible
        s.d = d_new.astype(s.d.dtype, copy=False)
        if objective.joint:
            s.v = v_new
        return float(res.fun)


Optimize.step_class = OptimizeStep


@functools.cache
def _blas_threads():
    """The BLAS thread pools of this process, found once (a search costs milliseconds per round)."""
    return ThreadpoolController()
