"""The discrete energy of one view at one pyramid level, as terms without hidden state.

For the view whose disparity is ``d`` (paper eq. 10-12 and 23):

    E(d, v, w) = sum_x H e_d(d)                                  data term, eq. 4-5
                 + beta W rho(|grad d - w|^2)                    smoothness, eq. 10-12, 23
                 + beta tgv psi(|grad w|^2)                      second order (tgv > 0)
                 + alpha (v - 1)^2 + eps |grad v|^2              discontinuity, eq. 23

with the weight ``W = v_I^2 v^2`` (each factor where the model has it: the
image edge map ``v_I`` of eq. 11, the discontinuity function ``v``) and the
visibility ``H = H(phi)`` of the occlusion model (1 without one). The
unknowns ``d``, ``v``, ``w`` and the visibility ``h`` are arguments of every
method; the terms hold only what is fixed at a level: the images' features,
the edge map and the model's parameters.

`DataTerm`, `Smoothness` and `Discontinuity` are the terms; `ViewEnergy` is
their sum, the single source of truth that every solver descends: the PDE
scheme through `ViewEnergy.lagged_weights` and `ViewEnergy.value`, the
optimization view through `ViewEnergy.value` and its exact gradients, the
relaxation through the sampled data term (`msstereo.solvers.cost`) and the
regularizer steps `Smoothness.solve_w` and `ViewEnergy.step_v`.
"""

from dataclasses import dataclass, replace

import numpy as np

from .kernels.data_term import data_term, lagged_data_weights, linearize
from .kernels.discontinuity import (color_gradient_norm, discontinuity_energy, discontinuity_gradient,
                                    solve_discontinuity)
from .kernels.grid import central_gradient, squared_gradient_norm, squared_gradient_residual, weighted_residual
from .kernels.regularizer import penalty, penalty_prime, smoothness_gradient
from .kernels.sor import SorSystem, sor_pack
from .kernels.warp import warp
from .pyramid import upsample

__all__ = ["ViewState", "DataTerm", "Smoothness", "Discontinuity", "ViewEnergy", "edge_map", "features"]


@dataclass
class ViewState:
    """The unknowns of one view at one level, and what is derived from them.

    Attributes
    ----------
    d : (M, N) ndarray
        Disparity.
    v : (M, N) ndarray or None
        Discontinuity function in [0, 1] (Mumford-Shah models).
    phi : (M, N) ndarray or None
        Occlusion level set, ``>= 0`` where visible (occlusion models).
    h : (M, N) ndarray or None
        The visibility ``H(phi)`` that gates the data term (made from
        ``phi`` by the occlusion step; None: every pixel visible).
    w : (2, M, N) ndarray or None
        The second-order field of TGV (``tgv > 0``), which starts from 0 at
        every level.
    v_image : (M, N) ndarray or None
        The image edge map ``v_I`` of the level's weight, kept for the
        result (it is fixed, not an unknown).
    coarser : bool
        Whether ``d`` is a coarser level's solution (`resized`), not the
        initial state of the coarsest level.
    """

    d: np.ndarray
    v: np.ndarray | None = None
    phi: np.ndarray | None = None
    h: np.ndarray | None = None
    w: np.ndarray | None = None
    v_image: np.ndarray | None = None
    coarser: bool = False

    def resized(self, shape):
        """The unknowns carried to a level of ``shape`` (`msstereo.pyramid.upsample`).

        ``d`` is rescaled to the new level's pixels; ``v`` and ``phi`` are
        resampled; what a level derives or starts afresh is not carried.
        """
        return ViewState(d=upsample(self.d, shape, is_disparity=True),
                         v=None if self.v is None else upsample(self.v, shape),
                         phi=None if self.phi is None else upsample(self.phi, shape), coarser=True)


def features(image, derivatives=True):
    """Stack each channel with its central-difference derivatives.

    Parameters
    ----------
    image : (M, N, C) ndarray
        Float image.
    derivatives : bool
        False: the channels alone, for a data term without gradient
        constancy (``lambda = 0``), whose derivative features would carry
        weight 0.

    Returns
    -------
    (3 C, M, N) or (C, M, N) ndarray
        ``[I_1, I_1x, I_1y, I_2, ...]``, or ``[I_1, I_2, ...]``.
    """
    out = []
    for c in range(image.shape[2]):
        channel = np.ascontiguousarray(image[:, :, c])
        out.append(channel)
        if derivatives:
            out += central_gradient(channel)
    return np.stack(out)


def stride(lam):
    """Features per channel of the stacks for gradient-constancy weight ``lam`` (`features`)."""
    return 3 if lam != 0 else 1


def channels(features, step=3):
    """The ``(M, N, C)`` image back from its feature stack (`features`, ``step`` features per channel)."""
    return np.ascontiguousarray(features[0::step].transpose(1, 2, 0))


def gray(features, step=3):
    """Mean intensity of a feature stack's channels, for the census."""
    return np.ascontiguousarray(channels(features, step).mean(axis=2))


def feature_weights(count, lam, dtype):
    """Weights ``1, lambda, lambda`` per channel (eq. 5) for ``count`` channels; ``1`` without derivatives."""
    return np.tile(np.array([1.0, lam, lam][:stride(lam)], dtype=dtype), count)


class DataTerm:
    """The robust data term ``e_d = psi(s_d^2)`` of eq. 4-5, between a view and the other one.

    Parameters
    ----------
    f_ref, f_other : (K, M, N) ndarray
        The `features` of the view whose disparity is sought and of the
        other view (with derivatives only if ``model.lam != 0``). Read only:
        the two views of the occlusion model share them.
    sign : int
        ``-1`` when the reference is the left image (``g_l = (x - d, y)``),
        ``+1`` when it is the right one.
    model : Model
        Supplies ``lam``, ``eta`` and the warp's ``interpolation``.

    Notes
    -----
    The warp of the other view and ``e_d`` are memoized for the last ``d``
    they were asked for (pure functions of ``d``): a PDE warp evaluates the
    energy and its quadratic model several times at the same ``d``.
    """

    def __init__(self, f_ref, f_other, sign, model):
        self.f_ref, self.f_other = f_ref, f_other
        self.sign, self.model = int(sign), model
        self.stride = stride(model.lam)
        self.dtype = f_ref.dtype
        self.shape = f_ref.shape[1:]
        self.weights = feature_weights(f_ref.shape[0] // self.stride, model.lam, self.dtype)
        self._warped = self._data_of = None

    @classmethod
    def of_images(cls, reference, other, sign, model):
        """The data term of ``reference`` against ``other``, ``(M, N, C)`` float images."""
        derivatives = stride(model.lam) == 3
        return cls(features(reference, derivatives), features(other, derivatives), sign, model)

    def warp(self, d):
        """The other view's features and their slopes at ``g(x)``, and the outside mask (`warp`)."""
        if self._warped is None or not np.array_equal(self._warped[0], d):
            self._warped = (d.copy(), warp(self.f_other, d, self.sign, self.model.interpolation, True))
        return self._warped[1]

    def value(self, d):
        """``e_d`` and ``de_d/dd`` per pixel, and the outside mask."""
        values, slopes, outside = self.warp(d)
        if self._data_of is None or self._data_of[0] is not values:
            self._data_of = (values, data_term(self.f_ref, values, slopes, self.weights, self.sign,
                                               self.model.eta))
        e_d, de_d = self._data_of[1]
        return e_d, de_d, outside

    def quadratic_model(self, d):
        """Coefficients of ``s_d^2(d + dd) = R + 2 J12 dd + J11 dd^2`` at ``d`` (Gauss-Newton)."""
        values, slopes, _ = self.warp(d)
        return linearize(self.f_ref, values, slopes, self.weights, self.sign)

    def lagged_weights(self, R, J12, J11, dd):
        """Lagged coefficients ``a, b`` of the quadratic model at the increment ``dd``."""
        return lagged_data_weights(R, J12, J11, dd, self.model.eta)


class Smoothness:
    """The smoothness term ``beta W rho(|grad d - w|^2) + beta tgv psi(|grad w|^2)`` (eq. 10-12, 23).

    ``rho`` is ``psi`` (TV) or the square (L2); the weight is ``W = v_I^2
    v^2`` with the factors the model has. The second-order part (total
    generalized variation of order 2, Bredies, Kunisch and Pock, SIAM J.
    Imaging Sci. 3(3), 2010, beyond the paper) penalizes ``grad d - w``
    instead of ``grad d``, so slanted planes cost only at their edges.

    Parameters
    ----------
    model : Model
        Supplies ``beta``, ``eta_s``, ``robust``, ``tgv`` and ``occluded_weight``.
    image_weight : (M, N) ndarray or None
        ``v_I^2`` of the edge-weighted models; None: 1.
    shape : (int, int)
    dtype : dtype
        The working precision.
    """

    def __init__(self, model, image_weight, shape, dtype):
        self.model, self.shape, self.dtype = model, tuple(shape), np.dtype(dtype)
        self.image_weight = None if image_weight is None else image_weight.astype(self.dtype)
        # The factor 1 of the models without an edge map, made once for the level's products.
        self._unit = np.ones(self.shape, self.dtype) if image_weight is None else None

    def _image_weight(self):
        return self._unit if self.image_weight is None else self.image_weight

    def weight_gate(self, h):
        """``H`` where it gates the weight (``occluded_weight="none"``: occluded pixels keep no edges), else None."""
        return h if self.model.occluded_weight == "none" else None

    def weight(self, v=None, h=None):
        """``W = v_I^2 v^2``, or ``H W + 1 - H`` where the visibility gates it (`weight_gate`)."""
        if v is None:
            weight = self._image_weight()
        else:
            weight = self._image_weight() * v
            weight *= v
        gate = self.weight_gate(h)
        if gate is not None:
            weight = gate * weight
            weight += 1 - gate
        return weight.astype(self.dtype, copy=False)

    def initial_w(self):
        """The second-order field at the start of a level: 0, or None without one (``tgv = 0``)."""
        return np.zeros((2,) + self.shape, self.dtype) if self.model.tgv > 0 else None

    @staticmethod
    def first_order(d, w=None):
        """``|grad d - w|^2`` per pixel (``|grad d|^2`` without a second-order field)."""
        if w is None:
            return squared_gradient_norm(d)
        return squared_gradient_residual(d, w[0], w[1])

    def per_pixel(self, d, weight, w=None):
        """``beta W rho(|grad d - w|^2)`` per pixel."""
        m = self.model
        return penalty(self.first_order(d, w), weight, m.beta, m.eta_s, m.robust)

    def second_order(self, w):
        """``beta tgv sum psi(|grad w|^2)`` (0 without a second-order field)."""
        if w is None:
            return 0.0
        m = self.model
        s2 = _squared_field_gradient(w)
        return float(penalty(s2, np.ones_like(s2), m.beta * m.tgv, m.eta_s, True).sum(dtype=np.float64))

    def value(self, d, weight, w=None):
        """The term's energy (float64 sums)."""
        return float(self.per_pixel(d, weight, w).sum(dtype=np.float64)) + self.second_order(w)

    def diffusivity(self, d, weight, w=None):
        """Lagged diffusivity ``beta W rho'(|grad d - w|^2)`` of the first-order part at ``d``."""
        m = self.model
        return penalty_prime(self.first_order(d, w), weight, m.beta, m.eta_s, m.robust)

    def gradient(self, d, weight):
        """Exact gradient in ``d`` of the first-order term without ``w``: ``-div(2 beta W rho' grad d)``."""
        m = self.model
        return smoothness_gradient(d, weight, m.beta, m.eta_s, m.robust)

    def edge_strength(self, d, h=None, w=None):
        """``beta v_I^2 [H] rho(|grad d - w|^2)``: what ``v^2`` multiplies in the term."""
        m = self.model
        gate = self.weight_gate(h)
        weight = self._image_weight() if gate is None else self._image_weight() * gate
        return penalty(self.first_order(d, w), weight, m.beta, m.eta_s, m.robust)

    def solve_w(self, d, weight, w, inner, sweeps, omega):
        """Descend in the second-order field ``w`` with ``d`` fixed, in place (lagged diffusivity + SOR).

        Each component solves ``g1 (w - grad d) - div(g0 grad w) = 0`` with
        the lagged diffusivities ``g1`` of the first-order and ``g0`` of the
        second-order part: a majorize-minimize step, which never increases
        the energy.
        """
        m = self.model
        for _ in range(inner):
            g1 = self.diffusivity(d, weight, w)
            s2 = _squared_field_gradient(w)
            # Both components sweep with the same g0 and g1 (as a): packed once.
            g0 = sor_pack(penalty_prime(s2, np.ones_like(s2), m.beta * m.tgv, m.eta_s, True))
            del s2
            a = sor_pack(g1)
            for k in range(2):
                system = SorSystem(w[k], a, weighted_residual(g1, w[k], d, k))
                system.solve(g0, sweeps, omega)
                system.add_increment(w[k])
                del system


def _squared_field_gradient(w):
    """``|grad w_x|^2 + |grad w_y|^2`` per pixel."""
    s2 = squared_gradient_norm(w[0])
    s2 += squared_gradient_norm(w[1])
    return s2


class Discontinuity:
    """``sum alpha (v - 1)^2 + eps |grad v|^2``, the Ambrosio-Tortorelli terms of ``v`` (eq. 2-3, 23).

    With ``d`` fixed the energy is quadratic in ``v``,
    ``sum a v^2 + alpha (v - 1)^2 + eps |grad v|^2`` with the edge strength
    ``a`` of `Smoothness.edge_strength`, and its minimizer over [0, 1] is the
    solution of the linear equation ``(a + alpha) v - eps lap(v) = alpha``
    (eq. 23), found by projected SOR.
    """

    def __init__(self, model):
        self.alpha, self.eps = model.alpha, model.eps

    def value(self, v):
        """The term's energy (float64 sum)."""
        return discontinuity_energy(v, np.zeros_like(v), self.alpha, self.eps)

    def gradient(self, v, strength):
        """Exact gradient in ``v`` of ``sum strength v^2`` plus the term."""
        return discontinuity_gradient(v, strength, self.alpha, self.eps)

    def step(self, v, strength, sweeps, omega):
        """``sweeps`` projected SOR sweeps on eq. 23 from ``v``; a new array, never a higher energy."""
        v = v.copy()
        solve_discontinuity(v, strength, self.alpha, self.eps, sweeps, omega)
        return v


@dataclass(frozen=True)
class ViewEnergy:
    """The energy of one view at one level: the sum of its terms.

    Attributes
    ----------
    data : DataTerm or None
        None where a solver reads the data term from its own samples
        (`msstereo.solvers.relax`).
    smoothness : Smoothness
    discontinuity : Discontinuity or None
        None for the models without a discontinuity function ``v``.
    """

    data: DataTerm | None
    smoothness: Smoothness
    discontinuity: Discontinuity | None

    @property
    def model(self):
        return self.smoothness.model

    @property
    def shape(self):
        return self.smoothness.shape

    @property
    def dtype(self):
        return self.smoothness.dtype

    @property
    def joint(self):
        """Whether ``v`` is an unknown of the energy."""
        return self.discontinuity is not None

    def without_data(self):
        """The energy without its data term, for a solver that reads the data from its own samples."""
        return replace(self, data=None)

    def value(self, d, v=None, w=None, h=None):
        """``E(d, v, w)`` with the visibility ``h`` (float64 sums)."""
        e_d, _, _ = self.data.value(d)
        return float(_gated(e_d, h).sum(dtype=np.float64)) + self.regularization(d, v, w, h)

    def regularization(self, d, v=None, w=None, h=None):
        """The energy without its data term."""
        e = self.smoothness.value(d, self.smoothness.weight(v, h), w)
        if self.discontinuity is not None:
            e += self.discontinuity.value(v)
        return e

    def gradient(self, d, v=None, h=None):
        """Exact gradient of `value` in ``d`` (first-order models), shape (M, N)."""
        _, de_d, _ = self.data.value(d)
        return _gated(de_d, h) + self.smoothness.gradient(d, self.smoothness.weight(v, h))

    def gradient_v(self, d, v, w=None, h=None):
        """Exact gradient of `value` in ``v``."""
        return self.discontinuity.gradient(v, self.smoothness.edge_strength(d, h, w))

    def diffusivity(self, d, v=None, w=None, h=None):
        """Lagged diffusivity of the smoothness term at ``d``."""
        return self.smoothness.diffusivity(d, self.smoothness.weight(v, h), w)

    def lagged_weights(self, R, J12, J11, dd, d, v=None, h=None):
        """Lagged data coefficients (gated by ``h``) and smoothness diffusivity at ``d + dd``."""
        a, b = self.data.lagged_weights(R, J12, J11, dd)
        return _gated(a, h), _gated(b, h), self.diffusivity(d + dd, v, None, h)

    def step_v(self, d, v, w=None, h=None, sweeps=10, omega=1.8):
        """The ``v`` step with ``d`` (and ``w``) fixed (`Discontinuity.step`): the new ``v``."""
        strength = self.smoothness.edge_strength(d, h, w)
        return self.discontinuity.step(v, strength, sweeps, omega)

    def solve_w(self, d, v, w, h, inner, sweeps, omega):
        """The step of the second-order field ``w``, in place (`Smoothness.solve_w`)."""
        self.smoothness.solve_w(d, self.smoothness.weight(v, h), w, inner, sweeps, omega)


def _gated(data, h):
    """A data-term array times the visibility ``h``, if any."""
    return data if h is None else data * h


def view_energy(reference, other, sign, model, *, joint, image_weight=None, stacks=None):
    """The `ViewEnergy` of one view.

    Parameters
    ----------
    reference, other : (M, N, C) ndarray
        Float images of the view and of the other view.
    sign : int
        ``-1`` for the left view, ``+1`` for the right one.
    model : Model
    joint : bool
        Whether the discontinuity function ``v`` is an unknown.
    image_weight : (M, N) ndarray, optional
        ``v_I^2`` of the edge-weighted models.
    stacks : (ndarray, ndarray), optional
        The `features` of both images if already made (the two views of the
        occlusion model share them).
    """
    data = (DataTerm.of_images(reference, other, sign, model) if stacks is None
            else DataTerm(*stacks, sign, model))
    return ViewEnergy(data, Smoothness(model, image_weight, reference.shape[:2], reference.dtype),
                      Discontinuity(model) if joint else None)


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
