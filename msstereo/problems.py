"""The problems the models pose: one view, or two views coupled by occlusion.

`problem_for` reads the model's structural flags once and chooses:

- `SingleView` (``tv``, ``tv-edge``, ``ms-l2``, ``ms-tv``): the left
  disparity ``d`` (and ``v``) minimizing the energy of eq. 10-12 or 23;
- `TwoViews` (``ms-occ``, ``default``): left and right disparities, each
  with its ``v`` and occlusion level set ``phi``, alternating the views'
  descent steps with the occlusion step (eq. 15-23).

A problem owns its per-view state (`msstereo.energy.ViewState`), builds the
energies of a level, runs the level's outer loop with the solver's steppers,
and finishes the finest level (occlusion fill, weighted median). It knows
nothing of pyramids: `msstereo.pyramid.coarse_to_fine` calls its level solve
and resizes its state between levels.
"""

from dataclasses import dataclass

import numpy as np

from .confidence import confidence
from .energy import ViewState, edge_map, features, stride, view_energy
from .intensity import prepare_pair
from .kernels.filters import gaussian_radius, guide_levels, weighted_median
from .kernels.occlusion import background_fill
from .occlusion import PHI_START, Occlusion, occluded
from .parallel import map_views
from .planes import plane_refinement
from .result import DISCARD
from .sensor import remove_column_parity
from .solvers.loop import outer_loop, solve_view

__all__ = ["problem_for", "SingleView", "TwoViews", "ViewPair", "view_confidences"]

SIGNS = (-1, 1)
"""Warp sign of the left and right views: left ``x`` matches right ``x - d``, right ``x`` left ``x + d``."""


def problem_for(model):
    """The problem that ``model`` poses: `TwoViews` with occlusion, else `SingleView`."""
    if model.occlusion:
        return TwoViews(model, edge_weighted=model.edge_weighted)
    return SingleView(model, joint=model.joint_v, edge_weighted=model.edge_weighted)


class Problem:
    """What both problems share: the images as the model sees them, the view energies, the median.

    Parameters
    ----------
    model : Model
    joint : bool
        Whether the discontinuity function ``v`` is an unknown.
    edge_weighted : bool
        Whether the regularizer weight has the image edge map ``v_I^2``.
    """

    views = 1
    """Views solved side by side at a level."""

    def __init__(self, model, *, joint, edge_weighted):
        self.model, self.joint, self.edge_weighted = model, joint, edge_weighted

    def prepare(self, left, right, dtype, channel_axis):
        """The float images of the pair as the model sees them, and a note on their intensities.

        `msstereo.intensity.prepare_pair`, then the removal of the column
        parity where the model asks for it (`msstereo.sensor`).
        """
        il, ir, note = prepare_pair(left, right, dtype, channel_axis)
        if self.model.column_parity:
            (il, a_l), (ir, a_r) = remove_column_parity(il), remove_column_parity(ir)
            note += (f"; column parity removed, +-({', '.join(f'{x:.2g}' for x in a_l)}) left, "
                     f"+-({', '.join(f'{x:.2g}' for x in a_r)}) right")
        return il, ir, note

    def check_filters(self, shape):
        """Refuse a weighted median wider than the image (before any work)."""
        side = min(shape)
        if self.model.weighted_median > side:
            raise ValueError(f"model parameter 'weighted_median' ({self.model.weighted_median}) is larger than "
                             f"the image's short side ({side} px)")

    def initial_view(self, shape, dtype):
        """A view at the coarsest level: ``d = 0`` and, for joint models, ``v = 1`` (no edges)."""
        return ViewState(d=np.zeros(shape, dtype), v=np.ones(shape, dtype) if self.joint else None)

    def energy_of(self, reference, other, sign, stacks=None):
        """The view's energy at a level, with its image edge map ``v_I`` (or None)."""
        v_image = edge_map(reference, self.model) if self.edge_weighted else None
        energy = view_energy(reference, other, sign, self.model, joint=self.joint,
                             image_weight=None if v_image is None else v_image**2, stacks=stacks)
        return energy, v_image

    def start_view(self, view, energy):
        """The unknowns a level starts from: ``v`` clipped to [0, 1], a zero second-order field."""
        if view.v is not None:
            view.v = np.clip(view.v, 0.0, 1.0)
        view.w = energy.smoothness.initial_w()

    def _median(self, disparities, guides, supports=None):
        """The image-guided weighted median of the finished disparities (model option ``weighted_median``).

        ``supports``: per view, the weight of each pixel's value in the
        medians (`weighted_median`), or None.
        """
        m = self.model

        def median(k):
            d = disparities[k]
            return weighted_median(d, guide_levels(guides[k]), np.ones(d.shape, bool), m.weighted_median,
                                   m.median_color, m.median_space, None if supports is None else supports[k])

        return map_views(median, range(len(disparities)))


class SingleView(Problem):
    """The left disparity alone (eq. 10-12, and eq. 23 without occlusion)."""

    def initial_state(self, shape, dtype):
        return self.initial_view(shape, dtype)

    def _stepper(self, images, state, options, bounds):
        """The level's stepper; the images are not kept beyond it (the energy holds their features)."""
        left, right = images()
        energy, state.v_image = self.energy_of(left, right, SIGNS[0])
        self.start_view(state, energy)
        return options.stepper(energy, bounds, self.views)

    def solve_level(self, images, state, options, bounds, log):
        """Minimize the view's energy at one level, from ``state``; returns the state.

        ``images()`` gives the level's float images ``[left, right]``.
        """
        solve_view(self._stepper(images, state, options, bounds), state, options, log)
        return state

    def finish(self, state, images):
        """The result's fields after the finest level: the weighted median, if any, guided by the left image.

        No confidence: without a right disparity and an occlusion mask the
        features of `msstereo.confidence` lose their strongest part.
        """
        d = state.d
        if self.model.weighted_median:
            (d,) = self._median([d], [images()[0]])
        return dict(disparity=d, v=state.v, v_image=state.v_image)


@dataclass
class ViewPair:
    """The states of the left and right views."""

    left: ViewState
    right: ViewState

    def __iter__(self):
        return iter((self.left, self.right))

    def resized(self, shape):
        """Both views carried to a level of ``shape`` (`ViewState.resized`)."""
        return ViewPair(self.left.resized(shape), self.right.resized(shape))


class TwoViews(Problem):
    """Left and right views with occlusion level sets (eq. 15-23).

    One outer iteration of a level is:

    1. (between iterations) the median filter of the solver on both ``d``;
    2. for each view, one step of the solver on its energy (eq. 23) with the
       data term gated by ``H(phi)``: for ``pde`` a ``v`` step and a warp,
       for ``optimize`` one joint round in ``(d, v)``, for ``relax`` one
       relaxation iteration;
    3. once the solver's disparities are settled (``ready``), the occlusion
       step (`msstereo.occlusion.Occlusion.step`).

    The logged energy is the sum of both views' energies and ``E_occl``:
    ``"warp"`` steps never increase it; ``"occlusion"`` steps may, since the
    new ``e_occl`` changes ``E_occl`` (the scheme alternates two energies,
    it does not descend one).
    """

    views = 2

    def __init__(self, model, *, edge_weighted):
        super().__init__(model, joint=True, edge_weighted=edge_weighted)
        self.occlusion = Occlusion(model)

    def initial_state(self, shape, dtype):
        """Both views: zero disparities, no edges, everything visible."""
        views = [self.initial_view(shape, dtype) for _ in SIGNS]
        for view in views:
            view.phi = np.full(shape, PHI_START, dtype)
        return ViewPair(*views)

    def check_filters(self, shape):
        """Also refuse an occlusion blur wider than the image."""
        super().check_filters(shape)
        side, sigma = min(shape), self.model.sigma
        radius = gaussian_radius(sigma)  # the blur's own radius
        if radius > side:
            raise ValueError(f"model parameter 'sigma' ({sigma:g}) blurs over {radius} px, more "
                             f"than the image's short side ({side} px)")

    def _steppers(self, images, views, options, bounds):
        """The steppers of both views at a level; the images go at the return (the energies hold their features)."""
        left, right = images()
        pairs = ((left, right), (right, left))
        # Read only: both views share them.
        derivatives = stride(self.model.lam) == 3
        stacks = (features(left, derivatives), features(right, derivatives))

        def setup(k):
            energy, _ = self.energy_of(*pairs[k], SIGNS[k], stacks=(stacks[k], stacks[1 - k]))
            self.start_view(views[k], energy)
            return options.stepper(energy, bounds, self.views)

        return map_views(setup, range(2))  # one view per thread: each reads the images and its own fields

    def solve_level(self, images, state, options, bounds, log):
        """Solve both views at one level, from ``state``; returns the state (see the class docstring)."""
        views, occlusion = list(state), self.occlusion
        steppers = self._steppers(images, views, options, bounds)
        # The relax stepper samples its cost volume in start: one per view, side by side.
        map_views(lambda k: steppers[k].start(views[k]), range(2))
        e_blur = [occlusion.blurred_error(views[k].d, views[1 - k].d, SIGNS[k]) for k in range(2)]

        def total():
            # Each view's two terms on its own thread, summed in the serial order.
            parts = map_views(lambda k: (steppers[k].objective(views[k]), occlusion.value(e_blur[k], views[k].phi)),
                              range(2))
            return sum(p[0] for p in parts) + sum(p[1] for p in parts)

        def gate():
            for view, h in zip(views, map_views(lambda k: occlusion.visibility(views[k].phi), range(2))):
                view.h = h

        def step(e, log):
            nonlocal e_blur
            # The views' steps are independent: each reads and writes only its own fields. Their own
            # energies are not logged (`DISCARD`): the total of both views is, below.
            map_views(lambda k: steppers[k].step(views[k], None, DISCARD), range(2))
            e = total()
            log.record(e, "warp")
            if all(stepper.ready for stepper in steppers):
                e_blur = occlusion.step(views, SIGNS)
                gate()
                e = total()
                log.record(e, "occlusion")
            return e

        gate()
        outer_loop(step, total, views, options, log)
        return state

    def finish(self, state, images):
        """The result's fields after the finest level: occlusion, background fill, weighted median, planes, confidence.

        The confidence (`msstereo.confidence`) reads the final disparities of
        both views, the left ``v``, occlusion mask and image. With
        ``median_support="confidence"`` each view's confidence of the maps
        before the median (`view_confidences`) weighs the values in it. With
        ``plane_segments > 0`` the left disparity's doubtful pixels then take
        their segment's plane (`msstereo.planes`), and the confidence is that
        of the refined map.
        """
        masks = [occluded(view.phi) for view in state]
        disparities = [view.d for view in state]
        if self.model.fill == "background":
            disparities = [background_fill(d, mask) for d, mask in zip(disparities, masks)]
        pair = images()
        left, right = state
        if self.model.weighted_median:
            supports = None
            if self.model.median_support == "confidence":
                supports = view_confidences(disparities, [left.v, right.v], masks, pair)
            disparities = self._median(disparities, pair, supports)

        def left_confidence():
            return confidence(disparities[0], disparities[1], left.v, masks[0], pair[0])

        c = left_confidence()
        if self.model.plane_segments > 0:
            disparities[0] = plane_refinement(disparities[0], c, pair[0], self.model.plane_segments,
                                              self.model.plane_confidence)
            c = left_confidence()  # of the map returned: the one it is calibrated on
        return dict(disparity=disparities[0], v=left.v, disparity_right=disparities[1], v_right=right.v,
                    occlusion=masks[0], occlusion_right=masks[1], confidence=c)


def view_confidences(disparities, v, masks, images):
    """`msstereo.confidence.confidence` of the left and the right view.

    The right view's is the left's formula on the pair mirrored left to
    right: there the right view's ``x`` matches the left's ``x + d``, as a
    left pixel ``x`` matches ``x - d`` in the mirrored pair, and every other
    feature is symmetric.
    """
    left = confidence(disparities[0], disparities[1], v[0], masks[0], images[0])
    mirror = np.s_[:, ::-1]
    right = confidence(disparities[1][mirror], disparities[0][mirror], v[1][mirror], masks[1][mirror],
                       images[1][mirror])[mirror]
    return [left, np.ascontiguousarray(right)]
