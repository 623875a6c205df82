"""The optimization view: the discrete energy as a loss for L-BFGS-B.

The level's energy (`msstereo.energy.DisparityEnergy`, or
`MumfordShahEnergy` for the ``ms-*`` models) is treated as a smooth function
of the pixel-grid unknowns and handed to scipy's bound-constrained
quasi-Newton method, ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``,
with the bounds ``d_min <= d <= d_max`` and, for the Mumford-Shah models,
``0 <= v <= 1``. Energy and gradient are those of the energy object (its
Numba kernels: discretize-then-optimize); nothing is re-derived here.

Joint ``(d, v)``
    For a `MumfordShahEnergy` the unknown is ``x = concat(d, v)`` and ``d``
    and ``v`` are minimized *jointly*, not alternately as the PDE solver
    does: at a trial ``x`` the energy's ``v`` is set to the trial ``v``
    (`MumfordShahEnergy.set_v`), so that ``energy(d)`` is the joint energy
    ``energy_v(d, v)`` and ``gradient(d)`` uses the weight ``v^2`` of the
    trial ``v``; the ``v`` part of the gradient is ``gradient_v(d)``. At the
    end of the level ``energy.v`` holds the final ``v``.

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
    40. Measured with ``ms-tv`` on Tsukuba and Teddy (final energy at the
    finest level, seconds; PDE: 5201, 1.1 s and 19037, 1.3 s):

    ==========  ===============  ===============
    iterations  Tsukuba          Teddy
    ==========  ===============  ===============
    10          5559, 12 s       19456, 15 s
    20          5284, 8 s        18920, 16 s
    40          5060, 13 s       18681, 14 s
    80          4955, 25 s       18478, 26 s
    ==========  ===============  ===============

    Short rounds restart the curvature memory too often and, with the median
    filter at every round boundary, run into the ``warps`` cap (at 10) or stop
    on ``tol`` before the energy settles; 40 is the smallest that ends below
    the PDE solver's energy on both scenes, at about the time of 20; 80
    lowers the energy by another 1-2% for twice the time. A box trust region
    (``max_step=1``, the PDE clamp) did not help (5101 and 18759).

Performance note
    scipy's L-BFGS-B does its vector algebra through BLAS; with OpenBLAS
    threads on a shared two-core machine its own overhead was seven times
    larger (and dominated the Numba energy and gradient) than with
    ``OPENBLAS_NUM_THREADS=1``, which ``benchmarks/compare_solvers.py``
    therefore sets. Each round also pays scipy's set-up of the bounds, a
    Python loop over the variables: about 0.5 s at Tsukuba's finest level
    (2 x 110592 unknowns), the flat first segment of every round in the
    energy-versus-time figures.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, minimize

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
        "warps": checks.Integer(1), "iterations": checks.Integer(1), "memory": checks.Integer(1),
        "median": checks.Integer(0), "tol": checks.Real(), "max_step": checks.Optional(checks.positive()),
    }
    """What each option accepts (`msstereo.checks`)."""


class JointObjective:
    """The level's energy as a function of a flat float64 vector, for scipy.

    Parameters
    ----------
    energy : DisparityEnergy or MumfordShahEnergy
        The level's energy; for a `MumfordShahEnergy` (it has ``solve_v``)
        the vector is ``concat(d, v)``, else ``d``.

    Notes
    -----
    `__call__` sets the energy's ``v`` to the trial ``v``: call `unpack` and
    ``energy.set_v`` on the final vector afterwards.
    """

    def __init__(self, energy):
        self.energy = energy
        self.joint = hasattr(energy, "solve_v")
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
        energy = self.energy
        if not self.joint:
            return energy.energy(d), energy.gradient(d).astype(np.float64).ravel()
        # energy(d) after set_v(v) is energy_v(d, v); gradient(d) then has the weight v^2.
        energy.set_v(v)
        grad = np.concatenate([energy.gradient(d).ravel(), energy.gradient_v(d).ravel()])
        return energy.energy(d), grad.astype(np.float64)


class OptimizeStep:
    """One view's L-BFGS-B rounds at one level (see the module docstring).

    Parameters
    ----------
    energy : DisparityEnergy or MumfordShahEnergy
        The level's energy; for a `MumfordShahEnergy` the final ``v`` stays
        in ``energy.v``.
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    options : Optimize
    """

    def __init__(self, energy, bounds, options):
        self.energy, self.options = energy, options
        self.objective_x = JointObjective(energy)
        n = self.objective_x.size
        size = 2 * n if self.objective_x.joint else n
        self.lower = np.full(size, float(bounds[0]))
        self.upper = np.full(size, float(bounds[1]))
        self.lower[n:], self.upper[n:] = 0.0, 1.0

    ready = True
    """Every step is a descent on the model's own energy: occlusions can be detected from the first."""

    def start(self, d):
        """The initial ``d`` (and ``v``) clipped to the bounds."""
        if self.objective_x.joint:
            self.energy.set_v(np.clip(self.energy.v, 0.0, 1.0))
        return np.clip(np.asarray(d, self.energy.dtype), float(self.lower[0]), float(self.upper[0]))

    def objective(self, d):
        """The model's energy."""
        return self.energy.energy(d)

    def step(self, d, e, log):
        """One round from ``d`` of energy ``e``; ``(d, e)``, or None if it failed to descend.

        Each L-BFGS-B iteration is logged as ``"iter"``.
        """
        energy, options, objective = self.energy, self.options, self.objective_x
        n = objective.size
        v = energy.v if objective.joint else None
        e_start = energy.energy(d) if e is None else e
        x0 = objective.pack(d, v)
        lo, hi = self.lower, self.upper
        if options.max_step is not None:
            lo, hi = lo.copy(), hi.copy()
            lo[:n] = np.maximum(lo[:n], x0[:n] - options.max_step)
            hi[:n] = np.minimum(hi[:n], x0[:n] + options.max_step)
        res = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
                       callback=lambda intermediate_result: log.record(intermediate_result.fun, "iter"),
                       options={"maxiter": options.iterations, "maxcor": options.memory})
        if objective.joint:
            energy.set_v(v)  # the stored v is the state's until a round is accepted
        if not res.fun <= e_start:
            return None  # a failed round (round-off in the line search): keep the state
        d_new, v_new = objective.unpack(res.x)  # L-BFGS-B keeps x feasible
        if objective.joint:
            energy.set_v(v_new)
        return d_new.astype(d.dtype, copy=False), float(res.fun)


Optimize.step_class = OptimizeStep
