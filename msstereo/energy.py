"""The discrete disparity energy of one view at one pyramid level.

`DisparityEnergy` is the single source of truth that both solvers minimize:
it evaluates the energy, its exact gradient, and the quadratic model of the
data term around a warp, all from the kernels in `msstereo.kernels`.
"""

import numpy as np

from .kernels.data_term import data_term, lagged_data_weights, linearize
from .kernels.discontinuity import (color_gradient_norm, discontinuity_energy,
                                    discontinuity_gradient, solve_discontinuity)
from .kernels.grid import central_gradient
from .kernels.regularizer import diffusivity, smoothness, smoothness_gradient
from .kernels.warp import warp


def features(image):
    """Stack each channel with its central-difference derivatives.

    Parameters
    ----------
    image : (M, N, C) ndarray
        Float image.

    Returns
    -------
    (3 C, M, N) ndarray
        ``[I_1, I_1x, I_1y, I_2, ...]``.
    """
    out = []
    for c in range(image.shape[2]):
        channel = np.ascontiguousarray(image[:, :, c])
        ix, iy = central_gradient(channel)
        out += [channel, ix, iy]
    return np.stack(out)


def feature_weights(channels, lam, dtype):
    """Weights ``1, lambda, lambda`` per channel (eq. 5)."""
    return np.tile(np.array([1.0, lam, lam], dtype=dtype), channels)


class DisparityEnergy:
    """``E(d) = sum e_d + beta * w * rho(|grad d|^2)`` for one view at one level.

    Parameters
    ----------
    reference, other : (M, N, C) ndarray
        Float images of the view whose disparity is sought and of the other
        view.
    sign : int
        ``-1`` when ``reference`` is the left image (``g_l = (x - d, y)``),
        ``+1`` when it is the right one.
    model : Model
        Energy parameters.
    weight : (M, N) ndarray, optional
        Regularizer weight ``w`` (``v_I^2`` or ``v^2``); 1 if omitted.

    Attributes
    ----------
    visibility : (M, N) ndarray or None
        ``H(phi)`` of the occlusion model (eq. 23): it gates the data term, so
        occluded pixels take their disparity from the regularizer alone.
        None (the default) means every pixel is visible.
    """

    visibility = None

    def __init__(self, reference, other, sign, model, weight=None):
        self.model = model
        self.sign = int(sign)
        self.dtype = reference.dtype
        self.f_ref = features(reference)
        self.f_other = features(other)
        self.weights = feature_weights(reference.shape[2], model.lam, self.dtype)
        self.shape = reference.shape[:2]
        self.weight = np.ones(self.shape, self.dtype) if weight is None else weight.astype(self.dtype)

    def _warp(self, d):
        return warp(self.f_other, d, self.sign, self.model.interpolation)

    def data(self, d):
        """Data term ``e_d`` and ``de_d/dd`` per pixel, and the outside mask."""
        values, slopes, outside = self._warp(d)
        e_d, de_d = data_term(self.f_ref, values, slopes, self.weights, self.sign, self.model.eta)
        return e_d, de_d, outside

    def smoothness(self, d):
        """Per-pixel regularizer ``beta * w * rho(|grad d|^2)``."""
        m = self.model
        return smoothness(d, self.weight, m.beta, m.eta_s, m.robust)

    def smoothness_unweighted(self, d):
        """Per-pixel ``beta * rho(|grad d|^2)``, without the weight ``w``."""
        m = self.model
        return smoothness(d, np.ones_like(d), m.beta, m.eta_s, m.robust)

    def _gate(self, data):
        """Data-term array times the visibility ``H(phi)``, if any."""
        return data if self.visibility is None else data * self.visibility

    def energy(self, d):
        """Total energy (float64 sum over the pixels)."""
        e_d, _, _ = self.data(d)
        return float(self._gate(e_d).sum(dtype=np.float64) + self.smoothness(d).sum(dtype=np.float64))

    def gradient(self, d):
        """Exact gradient of `energy` in ``d``, shape (M, N)."""
        m = self.model
        _, de_d, _ = self.data(d)
        return self._gate(de_d) + smoothness_gradient(d, self.weight, m.beta, m.eta_s, m.robust)

    def quadratic_model(self, d):
        """Coefficients of ``s_d^2(d + dd) = R + 2 J12 dd + J11 dd^2`` at ``d``."""
        values, slopes, _ = self._warp(d)
        return linearize(self.f_ref, values, slopes, self.weights, self.sign)

    def lagged_weights(self, R, J12, J11, dd, d):
        """Lagged data coefficients and smoothness diffusivity at ``d + dd``."""
        m = self.model
        a, b = lagged_data_weights(R, J12, J11, dd, m.eta)
        g = diffusivity(d + dd, self.weight, m.beta, m.eta_s, m.robust)
        return self._gate(a), self._gate(b), g


class MumfordShahEnergy(DisparityEnergy):
    """``E(d, v) = sum e_d + beta v^2 rho(|grad d|^2) + alpha (v - 1)^2 + eps |grad v|^2``.

    The disparity energy of eq. 23 without occlusion: `DisparityEnergy` with
    weight ``v^2`` plus the Ambrosio-Tortorelli terms of ``v``.

    Parameters
    ----------
    reference, other, sign, model
        As for `DisparityEnergy`.
    v : (M, N) ndarray
        Initial discontinuity function in [0, 1].
    """

    def __init__(self, reference, other, sign, model, v):
        super().__init__(reference, other, sign, model)
        self.set_v(v)

    def set_v(self, v):
        """Replace ``v`` (and the regularizer weight ``v^2``)."""
        self.v = np.ascontiguousarray(v, dtype=self.dtype)
        self.weight = self.v * self.v

    def edge_strength(self, d):
        """``a = beta rho(|grad d|^2)``: what ``v^2`` multiplies."""
        return self.smoothness_unweighted(d)

    def energy(self, d):
        m = self.model
        zero = np.zeros_like(self.v)
        return super().energy(d) + discontinuity_energy(self.v, zero, m.alpha, m.eps)

    def energy_v(self, d, v):
        """Joint energy at ``(d, v)``, leaving the stored ``v`` as it was."""
        stored = self.v
        self.set_v(v)
        try:
            return self.energy(d)
        finally:
            self.set_v(stored)

    def gradient_v(self, d):
        """Exact gradient of `energy` in ``v``."""
        m = self.model
        return discontinuity_gradient(self.v, self.edge_strength(d), m.alpha, m.eps)

    def solve_v(self, d, sweeps, omega):
        """Descend in ``v`` with ``d`` fixed: projected SOR on its linear equation."""
        m = self.model
        v = self.v.copy()
        solve_discontinuity(v, self.edge_strength(d), m.alpha, m.eps, sweeps, omega)
        self.set_v(v)
        return v


def edge_map(image, model, sweeps=200, omega=1.9):
    """Image edge map ``v_I`` of eq. 11, for the `tv-edge` weight ``v_I^2``.

    Minimizes ``sum |grad I| v^2 + alpha_I (eps_I |grad v|^2 + (v - 1)^2 / (4 eps_I))``
    over ``v`` in [0, 1] by projected SOR from ``v = 1``; ``|grad I|`` sums the
    colour channels.

    Parameters
    ----------
    image : (M, N, C) ndarray
        Float image in [0, 1].
    model : Model
        Supplies ``alpha_i`` and ``eps_i``.
    sweeps, omega
        SOR sweeps and relaxation (200 sweeps converge on images of a few
        hundred pixels to well below the accuracy that matters here).

    Returns
    -------
    (M, N) ndarray
        ``v_I``: about 0 on image edges, about 1 in flat regions.
    """
    strength = color_gradient_norm(features(image), image.shape[2])
    v = np.ones(image.shape[:2], image.dtype)
    solve_discontinuity(v, strength, model.alpha_i / (4 * model.eps_i), model.alpha_i * model.eps_i,
                        sweeps, omega)
    return v
