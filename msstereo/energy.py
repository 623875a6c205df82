"""The discrete disparity energy of one view at one pyramid level.

`DisparityEnergy` is the single source of truth that both solvers minimize:
it evaluates the energy, its exact gradient, and the quadratic model of the
data term around a warp, all from the kernels in `msstereo.kernels`.
"""

import numpy as np

from .aggregate import CHUNK, cross_scale, guided_filter
from .kernels.data_term import data_cost, data_term, lagged_data_weights, linearize
from .kernels.discontinuity import (color_gradient_norm, discontinuity_energy,
                                    discontinuity_gradient, solve_discontinuity)
from .kernels.grid import (central_gradient, squared_gradient_norm, squared_gradient_residual,
                          weighted_residual)
from .kernels.regularizer import penalty, penalty_prime, smoothness_gradient
from .kernels.sor import SorSystem, sor_pack
from .kernels.census import add_census_cost, census_transform
from .kernels.warp import warp


FILTER_STRIP_BYTES = 4 * 2**20
"""Bytes per temporary array of the guided filter when a cost volume is made in strips."""


def features(image, derivatives=True):
    """Stack each channel with its central-difference derivatives.

    Parameters
    ----------
    image : (M, N, C) ndarray
        Float image.
    derivatives : bool
        False: the channels alone, for a data term without gradient
        constancy (``lambda = 0``), whose derivative features would carry
        weight 0 (a third of the memory and of the warps).

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


def feature_weights(channels, lam, dtype):
    """Weights ``1, lambda, lambda`` per channel (eq. 5); ``1`` per channel without derivatives."""
    return np.tile(np.array([1.0, lam, lam][:stride(lam)], dtype=dtype), channels)


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
    stacks : (ndarray, ndarray), optional
        The `features` of ``reference`` and ``other``, if already made
        (with derivatives only if ``model.lam != 0``): the two views of the
        occlusion model share them (read only), which matters on large
        images.

    Attributes
    ----------
    visibility : (M, N) ndarray or None
        ``H(phi)`` of the occlusion model (eq. 23): it gates the data term, so
        occluded pixels take their disparity from the regularizer alone.
        None (the default) means every pixel is visible. With
        ``model.occluded_weight == "none"`` it gates the regularizer weight
        too: ``w`` becomes ``H w + 1 - H`` (see `Model`).
    weight : (M, N) ndarray
        The regularizer weight in effect (``w``, or its gated form).

    w : (2, M, N) ndarray or None
        The vector field of the second-order regularizer (``tgv > 0``,
        beyond the paper): the first-order term penalizes ``grad d - w``
        instead of ``grad d``, and ``beta * tgv * psi(|grad w|^2)`` is added,
        so slanted planes (``grad d`` constant) cost only at their edges.
        None for the first-order models.
    """

    _visibility = None

    def __init__(self, reference, other, sign, model, weight=None, stacks=None):
        self.model = model
        self.sign = int(sign)
        self.dtype = reference.dtype
        # Without gradient constancy the derivative features are left out: their weight is 0.
        self.stride = stride(model.lam)
        derivatives = self.stride == 3
        self.f_ref, self.f_other = ((features(reference, derivatives), features(other, derivatives))
                                    if stacks is None else stacks)
        self.weights = feature_weights(reference.shape[2], model.lam, self.dtype)
        self.shape = reference.shape[:2]
        self._fixed_weight = np.ones(self.shape, self.dtype) if weight is None else weight.astype(self.dtype)
        self.weight = self._fixed_weight  # every pixel visible so far: nothing gates it
        self.w = np.zeros((2,) + self.shape, self.dtype) if model.tgv > 0 else None

    @property
    def visibility(self):
        return self._visibility

    @visibility.setter
    def visibility(self, h):
        self._visibility = h
        self._set_weight()

    @property
    def _weight_gate(self):
        """``H`` where it gates the regularizer weight (``occluded_weight="none"``), else None."""
        return self._visibility if self.model.occluded_weight == "none" else None

    def _model_weight(self):
        """The model's weight ``w``, before the visibility gates it."""
        return self._fixed_weight

    def _set_weight(self):
        """The weight in effect, ``H w + 1 - H`` or ``w``: made anew, not kept beside ``w`` (large levels)."""
        self.weight = None  # not read in making the new one: let it go first (large levels)
        weight = self._model_weight()
        h = self._weight_gate
        if h is not None:
            weight = h * weight
            weight += 1 - h
        self.weight = weight.astype(self.dtype, copy=False)

    _warped = None
    _data_of = None

    def _warp(self, d):
        # Kept for the last d: a PDE warp evaluates the energy and its quadratic model at the
        # same d several times (after v, the line search, the logs), and only d changes them.
        if self._warped is None or not np.array_equal(self._warped[0], d):
            self._warped = (d.copy(), warp(self.f_other, d, self.sign, self.model.interpolation, True))
        return self._warped[1]

    def data(self, d):
        """Data term ``e_d`` and ``de_d/dd`` per pixel, and the outside mask."""
        values, slopes, outside = self._warp(d)
        # Kept with the warp it comes from (a new warp makes new arrays).
        if self._data_of is None or self._data_of[0] is not values:
            self._data_of = (values, data_term(self.f_ref, values, slopes, self.weights, self.sign,
                                               self.model.eta))
        e_d, de_d = self._data_of[1]
        return e_d, de_d, outside

    def first_order(self, d):
        """``|grad d - w|^2`` per pixel (``|grad d|^2`` without a second-order field)."""
        if self.w is None:
            return squared_gradient_norm(d)
        return squared_gradient_residual(d, self.w[0], self.w[1])

    def smoothness(self, d):
        """Per-pixel regularizer ``beta * w * rho(|grad d - w|^2)`` (first-order part)."""
        m = self.model
        return penalty(self.first_order(d), self.weight, m.beta, m.eta_s, m.robust)

    def second_order(self):
        """``beta * tgv * sum psi(|grad w|^2)`` (0 without a second-order field)."""
        if self.w is None:
            return 0.0
        m = self.model
        s2 = self._squared_w_gradient()
        return float(penalty(s2, np.ones_like(s2), m.beta * m.tgv, m.eta_s, True).sum(dtype=np.float64))

    def _squared_w_gradient(self):
        """``|grad w_x|^2 + |grad w_y|^2`` per pixel (one temporary beside the result)."""
        s2 = squared_gradient_norm(self.w[0])
        s2 += squared_gradient_norm(self.w[1])
        return s2

    def solve_w(self, d, inner, sweeps, omega):
        """Descend in the second-order field ``w`` with ``d`` fixed (lagged diffusivity + SOR).

        Each component solves ``g1 (w - grad d) - div(g0 grad w) = 0`` with the
        lagged diffusivities ``g1`` of the first-order and ``g0`` of the
        second-order term: the majorize-minimize step of `sor_increment`,
        which never increases the energy.
        """
        m = self.model
        for _ in range(inner):
            g1 = self.diffusivity(d)
            s2 = self._squared_w_gradient()
            # Both components sweep with the same g0 and g1 (as a): packed once, and the image
            # of g0 let go before the sweeps: on a large image each temporary counts twice (two views).
            g0 = sor_pack(penalty_prime(s2, np.ones_like(s2), m.beta * m.tgv, m.eta_s, True))
            del s2
            a = sor_pack(g1)
            for k in range(2):
                w_k = self.w[k]
                # `sor_increment` through `SorSystem`: the coupling is packed and let go before the sweeps.
                system = SorSystem(w_k, a, weighted_residual(g1, w_k, d, k))
                system.solve(g0, sweeps, omega)
                system.add_increment(w_k)
                del system  # its packed arrays go before the next component's are made

    def _gate(self, data):
        """Data-term array times the visibility ``H(phi)``, if any."""
        return data if self.visibility is None else data * self.visibility

    def energy(self, d):
        """Total energy (float64 sum over the pixels)."""
        e_d, _, _ = self.data(d)
        return float(self._gate(e_d).sum(dtype=np.float64)) + self.regularization(d)

    def regularization(self, d):
        """The energy without the data term: ``sum beta * w * rho(|grad d|^2)`` (and its TGV part)."""
        return float(self.smoothness(d).sum(dtype=np.float64)) + self.second_order()

    def diffusivity(self, d):
        """Lagged diffusivity ``beta * w * rho'(|grad d - w|^2)`` of the first-order term at ``d``."""
        m = self.model
        return penalty_prime(self.first_order(d), self.weight, m.beta, m.eta_s, m.robust)

    def cost_volume(self, k0, h, count, base=None, rows=None):
        """The data term at the disparities ``k0 + (base + j) h``, ``j < count``.

        Each slice is `data` at ``d = k0 + (base + j) h`` (the same warp and
        ``e_d`` kernels, so the sampled cost is the energy's own data term),
        plus the census cost of `msstereo.kernels.census.add_census_cost`
        when the model mixes one in (``census > 0``), aggregated by the
        guided filter of the reference image when the model asks for it
        (``aggregate > 0``, `msstereo.aggregate.guided_filter`), at coarser
        scales too when ``aggregate_scales > 0`` (`msstereo.aggregate.cross_scale`).

        Parameters
        ----------
        k0, h : float
            First sample of the grid and spacing.
        count : int
            Samples per pixel.
        base : (M, N) int ndarray, optional
            Index on the grid of each pixel's first sample: a band of
            ``count`` samples per pixel (`msstereo.solvers.relax`). The
            aggregation then filters slice ``j``, which holds each pixel's
            own ``j``-th sample: where the base differs between neighbours it
            mixes their costs at nearby, not equal, disparities (measured in
            `msstereo.solvers.relax.Relax`). None: 0 everywhere.
        rows : int, optional
            Work on strips of this many image rows (each row's data term and
            census depend on a few rows around it only), so that the
            temporaries hold a strip, not the image; the volume is the same.
            None: the whole image at once.

        Returns
        -------
        (M, N, count) ndarray
            Samples of a pixel contiguous, as the search reads them.
        """
        m_rows, n = self.shape
        volume = np.empty(self.shape + (count,), self.dtype)
        model = self.model
        step = m_rows if rows is None else max(int(rows), 1)
        # The grid's samples that any pixel uses, for the census of each fractional part.
        grid = count if base is None else int(base.max()) + count
        census = self._census_setup(k0 + h * np.arange(grid)) if model.census > 0 else None
        for start in range(0, m_rows, step):
            part = slice(start, min(start + step, m_rows))
            shape = (part.stop - part.start, n)
            whole = rows is None
            f_ref = self.f_ref if whole else np.ascontiguousarray(self.f_ref[:, part])
            f_other = self.f_other if whole else np.ascontiguousarray(self.f_other[:, part])
            for j in range(count):
                if base is None:
                    d = np.full(shape, k0 + j * h, self.dtype)
                else:
                    d = (k0 + (base[part] + j) * h).astype(self.dtype)
                values = warp(f_other, d, self.sign, model.interpolation, False)[0]
                volume[part, :, j] = data_cost(f_ref, values, self.weights, model.eta)
            if census is not None:
                self._add_census(volume[part], part, census,
                                 np.zeros(shape, np.int32) if base is None else base[part])
        if model.aggregate > 0:
            if rows is None or model.aggregate_scales > 0:
                # The coarse scales pool the whole image: no strips (the option is off by default).
                volume = cross_scale(channels(self.f_ref, self.stride), volume, model.aggregate,
                                     model.aggregate_eps, model.aggregate_scales, model.aggregate_decay)
            else:
                # The filter's temporaries are a dozen arrays of one chunk of slices of a strip:
                # strips of about FILTER_STRIP_BYTES per array.
                rows = max(FILTER_STRIP_BYTES // (n * min(count, CHUNK) * volume.itemsize), 2 * model.aggregate)
                guided_filter(channels(self.f_ref, self.stride), volume, model.aggregate, model.aggregate_eps, rows)
        return volume

    def drop_features(self):
        """Let go of the feature stacks (and the last warp): the data term can no longer be evaluated.

        For a solver that has sampled the data term into a cost volume and
        reads it there only (`msstereo.solvers.relax`): on a large image the
        stacks of both views are hundreds of MiB the iterations do not need.
        """
        self.f_ref = self.f_other = self._warped = self._data_of = None

    def gradient(self, d):
        """Exact gradient of `energy` in ``d``, shape (M, N)."""
        m = self.model
        _, de_d, _ = self.data(d)
        return self._gate(de_d) + smoothness_gradient(d, self.weight, m.beta, m.eta_s, m.robust)

    def quadratic_model(self, d):
        """Coefficients of ``s_d^2(d + dd) = R + 2 J12 dd + J11 dd^2`` at ``d``."""
        values, slopes, _ = self._warp(d)
        return linearize(self.f_ref, values, slopes, self.weights, self.sign)

    def _census_setup(self, samples):
        """The fractional parts of the grid's ``samples``, each sample's part and whole shift."""
        whole = np.floor(samples + 1e-6)
        fractions, which = np.unique(np.round(samples - whole, 6), return_inverse=True)
        return fractions, which.astype(np.int64), whole.astype(np.int64)

    def _add_census(self, volume, part, census, base):
        """Add the census cost of every sample to the rows ``part`` of the volume (`add_census_cost`).

        The other view is shifted by each distinct fractional part of the
        samples (the data term's warp, at a constant disparity) before its
        census transform: sub-pixel samples then compare real signatures
        instead of interpolating Hamming distances between integer shifts,
        which would lock the disparity to whole pixels. The transforms see
        ``radius`` rows beyond the strip, so a strip's signatures are the
        whole image's.
        """
        m = self.model
        fractions, which, whole = census
        radius = m.census_window // 2
        lo, hi = max(part.start - radius, 0), min(part.stop + radius, self.shape[0])
        inner = slice(part.start - lo, part.stop - lo)
        ref, other = gray(self.f_ref[:, lo:hi], self.stride), gray(self.f_other[:, lo:hi], self.stride)[None]
        shifted = np.stack([census_transform(warp(other, np.full(ref.shape, f, self.dtype), self.sign,
                                                  m.interpolation, False)[0][0], radius)[inner]
                            for f in fractions])
        add_census_cost(volume, np.ascontiguousarray(census_transform(ref, radius)[inner]), shifted,
                        which, whole, self.sign, m.census / ((2 * radius + 1) ** 2 - 1), base)

    def lagged_weights(self, R, J12, J11, dd, d):
        """Lagged data coefficients and smoothness diffusivity at ``d + dd``."""
        a, b = lagged_data_weights(R, J12, J11, dd, self.model.eta)
        return self._gate(a), self._gate(b), self.diffusivity(d + dd)


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
    image_weight : (M, N) ndarray, optional
        A fixed factor of the regularizer weight, ``v_I^2`` for the
        edge-weighted Mumford-Shah models (``weight="edge+v"``): the weight
        is then ``v_I^2 v^2``. 1 if omitted.
    stacks : (ndarray, ndarray), optional
        As for `DisparityEnergy`.
    """

    def __init__(self, reference, other, sign, model, v, image_weight=None, stacks=None):
        super().__init__(reference, other, sign, model, stacks=stacks)
        self.image_weight = self._fixed_weight if image_weight is None else image_weight.astype(self.dtype)
        self._fixed_weight = None  # the weight is v_I^2 v^2 (`_model_weight`)
        self.set_v(v)

    def _model_weight(self):
        weight = self.image_weight * self.v
        weight *= self.v
        return weight

    def set_v(self, v):
        """Replace ``v`` (and the regularizer weight ``v_I^2 v^2``)."""
        self.v = np.ascontiguousarray(v, dtype=self.dtype)
        self._set_weight()

    def edge_strength(self, d):
        """``a = beta v_I^2 [H] rho(|grad d - w|^2)``: what ``v^2`` multiplies (``H`` if it gates ``w``)."""
        m = self.model
        h = self._weight_gate
        weight = self.image_weight if h is None else self.image_weight * h
        return penalty(self.first_order(d), weight, m.beta, m.eta_s, m.robust)

    def regularization(self, d):
        m = self.model
        zero = np.zeros_like(self.v)
        return super().regularization(d) + discontinuity_energy(self.v, zero, m.alpha, m.eps)

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
        strength = self.edge_strength(d)
        # The weight of the old v is not read again (`set_v` makes the new one): let it go
        # while the sweeps and their packed copies run, the peak of a large level.
        self.weight = None
        solve_discontinuity(v, strength, m.alpha, m.eps, sweeps, omega)
        self.set_v(v)
        return v


def image_weight(image, model):
    """``v_I^2`` of an edge-weighted model (`edge_map`), else None."""
    return edge_map(image, model) ** 2 if model.edge_weighted else None


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
