"""One pyramid level of the full model ``ms-occ`` (paper eq. 15-23).

Left and right disparities are estimated symmetrically, each with its own
discontinuity function ``v`` and occlusion level set ``phi``; the two views are
coupled only through the consistency residual ``u``. One outer iteration is:

1. (between iterations) the median filter of the solver on both ``d``;
2. for each view, one step of the solver on ``E_L(d, v)`` (eq. 23) with the
   data term gated by ``H(phi)``: for ``pde`` a ``v`` step and a warp, for
   ``optimize`` one joint round in ``(d, v)``;
3. the occlusion step: ``u``, ``e_occl`` (eq. 16) and its blur from the new
   disparities, then ``phi_steps`` explicit steps of the level-set flow of
   ``E_occl`` (eq. 19) at fixed ``e_occl``, with a step size that provably
   does not increase ``E_occl``.

``phi`` follows its flow with either solver: ``E_occl`` is minimized in
``phi`` only through ``H(phi)``, whose arctan tails make ``phi`` itself
unbounded (a quasi-Newton method drives it towards +-infinity where the
gradient vanishes), while the flow is cheap and is the paper's scheme.

The logged energy is the sum of both views' ``E_L`` and ``E_occl``: steps
``"warp"`` never increase it; ``"occlusion"`` steps may, since the new
``e_occl`` changes ``E_occl`` (the paper's scheme alternates two energies,
it does not descend one).
"""

import numpy as np

from .energy import MumfordShahEnergy, features, image_weight, stride
from .kernels.filters import gaussian_blur
from .kernels.occlusion import (ETA_OCCL, background_fill, consistency_residual,
                                heaviside_field, level_set_flow, occlusion_energy, occlusion_error,
                                stable_step)
from .parallel import map_views
from .result import DISCARD
from .solvers.loop import outer_loop

__all__ = ["solve_occlusion_level", "initial_occlusion_state", "occlusion_step"]

PHI_START = 1.0
"""Initial level set: every pixel visible, close enough to 0 for the flow to turn it."""

VIEWS = (("l", -1), ("r", 1))
"""State suffix and warp sign of the left and right views."""


def initial_occlusion_state(shape, dtype):
    """Coarsest-level state: zero disparities, no edges, everything visible."""
    state = {}
    for view, _ in VIEWS:
        state[f"d_{view}"] = np.zeros(shape, dtype)
        state[f"v_{view}"] = np.ones(shape, dtype)
        state[f"phi_{view}"] = np.full(shape, PHI_START, dtype)
    return state


def _blurred_error(state, model, view, sign):
    """``e_occl * G_sigma`` of one view from the current disparities."""
    other = "r" if view == "l" else "l"
    u, outside = consistency_residual(state[f"d_{view}"], state[f"d_{other}"], sign, model.interpolation)
    return gaussian_blur(occlusion_error(u, outside, model.eps_occl), model.sigma)


def blurred_occlusion_errors(state, model):
    """``e_occl * G_sigma`` of both views from their current disparities."""
    return {view: _blurred_error(state, model, view, sign) for view, sign in VIEWS}


def occlusion_step(state, model):
    """Recompute the blurred ``e_occl`` and run the level-set flow of both views.

    The views read both disparities and write only their own ``phi``: they
    run side by side (`map_views`), with the result of a serial run.
    """
    tau = stable_step(model.nu, model.eps_h)

    def view_step(view_sign):
        view, sign = view_sign
        e_blur = _blurred_error(state, model, view, sign)
        phi = level_set_flow(state[f"phi_{view}"], e_blur, model.t, model.nu, model.eps_h, ETA_OCCL, tau,
                             model.phi_steps)
        return e_blur, phi

    outs = map_views(view_step, VIEWS)
    for (view, _), (_, phi) in zip(VIEWS, outs):
        state[f"phi_{view}"] = phi
    return {view: e_blur for (view, _), (e_blur, _) in zip(VIEWS, outs)}


def _view_solvers(left, right, state, model, options, bounds):
    """The energy and the stepper of each view at one level, by view name.

    The feature stacks live in the energies only, so that a solver can let
    them go (`msstereo.energy.DisparityEnergy.drop_features`).
    """
    images = {"l": (left, right), "r": (right, left)}
    # Read only: both views share them.
    stacks = {"l": features(left, stride(model.lam) == 3), "r": features(right, stride(model.lam) == 3)}

    def setup(view_sign):
        # The energy (its image edge map) and the stepper of one view.
        view, sign = view_sign
        other = "r" if view == "l" else "l"
        energy = MumfordShahEnergy(*images[view], sign, model, np.clip(state[f"v_{view}"], 0, 1),
                                   image_weight(images[view][0], model), stacks=(stacks[view], stacks[other]))
        return energy, options.stepper(energy, bounds)

    # One view per thread: each reads the images and its own fields only.
    made = dict(zip((view for view, _ in VIEWS), map_views(setup, VIEWS)))
    return {view: e for view, (e, _) in made.items()}, {view: s for view, (_, s) in made.items()}


def solve_occlusion_level(images, state, model, options, bounds, log):
    """Solve ``ms-occ`` at one pyramid level.

    Parameters
    ----------
    images : list of (M, N, C) ndarray
        ``[left, right]``, the images of the level: emptied once the views'
        energies hold what they need of them, so that they are freed unless
        the caller keeps them (`msstereo.pyramid.coarse_to_fine`).
    state : dict
        ``d_l, d_r, v_l, v_r, phi_l, phi_r`` from the coarser level (or
        `initial_occlusion_state`); updated and returned.
    model : Model
        An occlusion model.
    options : PDE, Optimize or Relax
        Solver of the ``(d, v)`` blocks: one stepper per view; its
        ``median``, ``tol`` and iteration cap drive the outer iterations.
    bounds : (float, float)
        ``(d_min, d_max)`` of the disparities at this level.
    log : LevelLog
        Receives the total energy after each block.

    Returns
    -------
    dict
        The updated state.
    """
    names = [view for view, _ in VIEWS]
    energies, steppers = _view_solvers(*images, state, model, options, bounds)
    images.clear()  # the energies hold what the iterations need of them
    # The relax stepper samples its cost volume in start: one per view, side by side.
    starts = map_views(lambda view: steppers[view].start(state[f"d_{view}"]), names)
    for view, d in zip(names, starts):
        state[f"d_{view}"] = d
    del starts, d  # the state holds the disparities: no list keeps the first ones through the level
    e_blur = blurred_occlusion_errors(state, model)

    def total():
        # Each view's two terms on its own thread, summed in the serial order.
        parts = map_views(lambda view: (steppers[view].objective(state[f"d_{view}"]),
                                        occlusion_energy(e_blur[view], state[f"phi_{view}"], model.t,
                                                         model.nu, model.eps_h)), names)
        return sum(p[0] for p in parts) + sum(p[1] for p in parts)

    def gate():
        visibility = map_views(lambda view: heaviside_field(state[f"phi_{view}"], model.eps_h), names)
        for view, h in zip(names, visibility):
            energies[view].visibility = h

    def step(e, log):
        nonlocal e_blur
        # The views' steps are independent: each reads and writes only its own fields. Their own
        # energies are not logged (`DISCARD`): the total of both views is, below.
        outs = map_views(lambda view: steppers[view].step(state[f"d_{view}"], None, DISCARD), names)
        for view, out in zip(names, outs):
            if out is not None:
                state[f"d_{view}"] = out[0]
            state[f"v_{view}"] = energies[view].v
        e = total()
        log.record(e, "warp")
        if all(stepper.ready for stepper in steppers.values()):
            e_blur = occlusion_step(state, model)
            gate()
            e = total()
            log.record(e, "occlusion")
        return e

    gate()
    return outer_loop(step, total, state, [f"d_{view}" for view, _ in VIEWS], options, log)


def occlusion_masks(state):
    """Boolean occlusion maps ``H(phi) < 1/2`` (i.e. ``phi < 0``) of both views."""
    return {view: state[f"phi_{view}"] < 0 for view, _ in VIEWS}


def fill_occlusions(state, model):
    """Background fill of the occluded pixels of both disparities, if the model asks for it."""
    if model.fill != "background":
        return state
    masks = occlusion_masks(state)
    for view, _ in VIEWS:
        state[f"d_{view}"] = background_fill(state[f"d_{view}"], masks[view])
    return state
