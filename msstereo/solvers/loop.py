"""The per-level outer loop shared by every solver and model.

A level is a sequence of outer iterations. Each one is: the median filter
of the disparities (between iterations only), then one descent ``step``
given by the caller: a PDE warp, an L-BFGS-B round, a relaxation
iteration, or for the occlusion models one such step of each view followed
by the occlusion step. The loop logs the start, the median steps and what
the step returns, and stops on the iteration cap, on a step that cannot
descend, or when an iteration changes the energy by less than ``tol`` times
its value.
"""

from . import median_step

__all__ = ["outer_loop", "solve_view"]


def outer_loop(step, objective, views, options, log):
    """Run the outer iterations of one pyramid level.

    Parameters
    ----------
    step : callable
        ``step(e, log) -> float or None``: one descent step on ``views`` (in
        place) from energy ``e``; it logs its own entries (the last one its
        result) and returns the energy after it, or None when it could not
        descend.
    objective : callable
        ``objective() -> float``: the energy that the steps descend, logged
        at the start and after the median filter.
    views : sequence of ViewState
        The level's views, whose disparities ``d`` are median filtered.
    options
        Solver options with ``outer_iterations``, ``median`` and ``tol``.
    log : LevelLog
    """
    e = objective()
    log.record(e, "start")
    for iteration in range(options.outer_iterations):
        e_prev = e
        if options.median and iteration > 0:
            # Between iterations only, so that every level ends on a descent step.
            for view in views:
                view.d = median_step(view.d, options.median)
            log.record(objective(), "median")
        e = step(log.energy[-1], log)
        if e is None:
            break
        if abs(e_prev - e) <= options.tol * abs(e_prev):
            break


def solve_view(stepper, state, options, log):
    """Minimize one view's energy at one level, updating ``state`` in place.

    Parameters
    ----------
    stepper
        The view's stepper (``options.stepper(energy, bounds)``).
    state : ViewState
        The view's unknowns, from the coarser level or the start.
    options : PDE, Optimize or Relax
    log : LevelLog
    """
    stepper.start(state)

    def step(e, log):
        e = stepper.step(state, e, log)
        if e is not None:
            log.record(e, "warp")
        return e

    outer_loop(step, lambda: stepper.objective(state), [state], options, log)
