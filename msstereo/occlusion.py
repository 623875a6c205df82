"""The occlusion energy of the full model and its level-set step (paper eq. 15-19).

The left and right disparities are coupled only through the left-right
consistency residual ``u`` (eq. 15): the robust error ``e_occl`` (eq. 16),
blurred by ``G_sigma``, is segmented by a Chan-Vese level set ``phi`` into
visible (``phi >= 0``) and occluded pixels, the minimizer of

    E_occl(phi) = sum_x (e_occl * G_sigma) H(phi) + t (1 - H(phi)) + nu |grad H(phi)|    (eq. 19)

at fixed ``e_occl``. ``H(phi)`` then gates each view's data term (eq. 23),
so occluded pixels take their disparity from the regularizer.

``phi`` follows its gradient flow with every solver: ``E_occl`` depends on
``phi`` only through ``H(phi)``, whose arctan tails make ``phi`` itself
unbounded (a quasi-Newton method drives it towards +-infinity where the
gradient vanishes), while the flow is cheap and is the paper's scheme. Its
step `tau` provably never increases ``E_occl`` (`stable_step`).
"""

from .kernels.filters import gaussian_blur
from .kernels.occlusion import (ETA_OCCL, consistency_residual, error_bound, heaviside_field, level_set_flow,
                                occlusion_energy, occlusion_error, stable_step)
from .parallel import map_views

__all__ = ["Occlusion", "PHI_START"]

PHI_START = 1.0
"""Initial level set: every pixel visible, close enough to 0 for the flow to turn it."""


class Occlusion:
    """The occlusion energy ``E_occl`` of one view and its level-set flow (eq. 15-19).

    Parameters
    ----------
    model : Model
        Supplies ``t``, ``nu``, ``sigma``, ``eps_h``, ``eps_occl``,
        ``phi_steps`` and the warp's ``interpolation``.

    Attributes
    ----------
    tau : float
        The flow's step, from the model's own ``t`` and ``eps_occl``
        (`msstereo.kernels.occlusion.error_bound`), so that it bounds the
        data part of the flow for every threshold.
    """

    def __init__(self, model):
        self.model = model
        self.tau = stable_step(model.nu, model.eps_h, ETA_OCCL, error_bound(model.t, model.eps_occl))

    def blurred_error(self, d_ref, d_other, sign):
        """``e_occl * G_sigma`` of a view (eq. 16, 19) from its disparity and the other view's."""
        m = self.model
        u, outside = consistency_residual(d_ref, d_other, sign, m.interpolation)
        return gaussian_blur(occlusion_error(u, outside, m.eps_occl), m.sigma)

    def value(self, e_blur, phi):
        """``E_occl(phi)`` at the blurred error ``e_blur`` (eq. 19)."""
        m = self.model
        return occlusion_energy(e_blur, phi, m.t, m.nu, m.eps_h)

    def visibility(self, phi):
        """``H(phi)``, the gate of the view's data term (eq. 17, 23)."""
        return heaviside_field(phi, self.model.eps_h)

    def flow(self, phi, e_blur):
        """``phi_steps`` explicit steps of the level-set flow of ``E_occl`` at fixed ``e_blur``: a new ``phi``."""
        m = self.model
        return level_set_flow(phi, e_blur, m.t, m.nu, m.eps_h, ETA_OCCL, self.tau, m.phi_steps)

    def step(self, views, signs):
        """The occlusion step of both views: new blurred errors from their disparities, then the flow.

        The views read both disparities and write only their own ``phi``:
        they run side by side (`map_views`), with the result of a serial
        run. Returns the blurred errors, view by view.
        """
        def view_step(k):
            e_blur = self.blurred_error(views[k].d, views[1 - k].d, signs[k])
            return e_blur, self.flow(views[k].phi, e_blur)

        outs = map_views(view_step, range(len(views)))
        for view, (_, phi) in zip(views, outs):
            view.phi = phi
        return [e_blur for e_blur, _ in outs]


def occluded(phi):
    """Occluded pixels, ``H(phi) < 1/2``, i.e. ``phi < 0``."""
    return phi < 0

