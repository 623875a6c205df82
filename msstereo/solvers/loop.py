"""The per-level outer loop shared by every solver and model.

A level is a sequence of outer iterations. Each one is: the median filter
of the disparities (between iterations only), then one descent ``step``
given by the caller: a PDE warp, an L-BFGS-B round, a relaxation
iteration, or for ``ms-occ`` one such step of each view followed by the
occlusion step. The loop logs the start, the median steps and what the step
returns, and stops on the iteration cap, on a step that cannot descend, or
when an iteration changes the energy by less than ``tol`` times its value.
"""

from . import median_step

__all__ = ["outer_loop", "solve_view"]


def outer_loop(step, objective, state, disparity_keys, options, log):
    """Run the outer iterations of one pyramid level.

    Parameters
    ----------
    step : callable
        ``step(e, log) -> float or None``: one descent step on ``state`` (in
        place) from energy ``e``; it logs its own entries (the last one its
        result) and returns the energy after it, or None when it could not
        descend.
    objective : callable
        ``objective() -> float``: the energy of ``state`` that the steps
        descend, logged at the start and after the median filter.
    state : dict
        The level's fields; those in ``disparity_keys`` are median filtered.
    disparity_keys : sequence of str
    options
        Solver options with ``outer_iterations``, ``median`` and ``tol``.
    log : LevelLog

    Returns
    -------
    dict
        ``state``.
    """
    e = objective()
    log.record(e, "start")
    for iteration in range(options.outer_iterations):
        e_prev = e
        if options.median and iteration > 0:
            # Between iterations only, so that every level ends on a descent step.
            for key in disparity_keys:
                state[key] = median_step(state[key], options.median)
            log.record(objective(), "median")
        e = step(log.energy[-1], log)
        if e is None:
            break
        if abs(e_prev - e) <= options.tol * abs(e_prev):
            break
    return state


def solve_view(options, energy, d, bounds, log):
    """Minimize one view's energy at one level; returns the new ``d``.

    Parameters
    ----------
    options : PDE, Optimize or Relax
        Solver options (they make the stepper).
    energy : DisparityEnergy or MumfordShahEnergy
        The level's energy; a `MumfordShahEnergy` keeps the final ``v``.
    d : (M, N) ndarray
        Initial disparity (not modified).
    bounds : (float, float)
        ``(d_min, d_max)`` at this level.
    log : LevelLog
    """
    stepper = options.stepper(energy, bounds)
    state = {"d": stepper.start(d)}

    def step(e, log):
        out = stepper.step(state["d"], e, log)
        if out is None:
            return None
        state["d"], e = out
        log.record(e, "warp")
        return e

    outer_loop(step, lambda: stepper.objective(state["d"]), state, ("d",), options, log)
    return state["d"]
