"""The discrete energy (`msstereo.energy`): its gradients against finite differences of the energy itself."""

import numpy as np
import pytest

from msstereo.energy import edge_map, features, view_energy
from msstereo.models import Model, get_model

RNG = np.random.default_rng(7)


def small_problem(channels=3, shape=(10, 14), order=3, sign=-1, robust=True):
    reference = RNG.random(shape + (channels,))
    other = RNG.random(shape + (channels,))
    model = Model(beta=0.05, eta_s=0.05, interpolation=order, robust=robust)
    weight = RNG.uniform(0.2, 1.0, shape)
    return view_energy(reference, other, sign, model, joint=False, image_weight=weight)


def central_difference(f, d, h):
    fd = np.zeros_like(d)
    for idx in np.ndindex(d.shape):
        e = np.zeros_like(d)
        e[idx] = h
        fd[idx] = (f(d + e) - f(d - e)) / (2 * h)
    return fd


def test_features_stack_image_and_derivatives():
    image = RNG.random((5, 6, 2))
    f = features(image)
    assert f.shape == (6, 5, 6)
    np.testing.assert_array_equal(f[3], image[:, :, 1])
    np.testing.assert_allclose(f[1][:, 1:-1], (image[:, 2:, 0] - image[:, :-2, 0]) / 2)


@pytest.mark.parametrize("sign", [-1, 1])
def test_data_derivative_matches_finite_differences_of_e_d(sign):
    energy = small_problem(sign=sign)
    # Fractional offsets stay off the integer knots of the interpolant; near the
    # border some matches fall outside, where e_d is flat in d (clamped).
    d = RNG.uniform(0.2, 0.8, energy.shape) + 2.0
    e_d, de_d, outside = energy.data.value(d)
    assert outside.any() and not outside.all()
    assert np.all(de_d[outside] == 0)
    h = 1e-6
    # e_d at a pixel depends on d at that pixel only, so one vector difference does.
    fd = (energy.data.value(d + h)[0] - energy.data.value(d - h)[0]) / (2 * h)
    np.testing.assert_allclose(de_d, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("robust", [True, False])
def test_energy_gradient_matches_finite_differences(order, robust):
    # The gradient the solvers descend is the derivative of the discrete energy
    # they report: relative error at the level of central differences' O(h^2).
    energy = small_problem(order=order, robust=robust)
    d = np.clip(RNG.uniform(0.2, 0.8, energy.shape) + np.arange(energy.shape[1]) % 3, 0, None)
    grad = energy.gradient(d)
    fd = central_difference(energy.value, d, 1e-6)
    assert np.linalg.norm(grad - fd) <= 1e-6 * np.linalg.norm(fd)


def test_edge_map_is_low_on_an_image_edge_and_high_in_flat_parts():
    image = np.full((40, 40, 3), 0.2)
    image[:, 20:, 0] = 0.8  # an edge in the red channel only: |grad I| = 0.3
    # Without diffusion v_I = kappa / (kappa + |grad I|), kappa = alpha_I / (4 eps_I):
    # a small kappa makes the edge map a sharp edge detector...
    v = edge_map(image, get_model("tv-edge", alpha_i=0.02, eps_i=0.5))
    assert v[:, 19:21].max() < 0.1
    assert v[:, :12].min() > 0.9 and v[:, 28:].min() > 0.9
    # ...while the default (kappa = 0.2, tuned on Middlebury) is a soft weight
    # that still halves the smoothing across a black-to-white edge.
    image[:, 20:] = 1.0
    image[:, :20] = 0.0
    v = edge_map(image, get_model("tv-edge"))
    assert v[:, 19:21].max() < 0.35
    assert v[:, :12].min() > 0.9 and v[:, 28:].min() > 0.9


def test_mumford_shah_gradient_in_v_matches_finite_differences():
    model = get_model("ms-tv")
    energy = view_energy(RNG.random((6, 8, 1)), RNG.random((6, 8, 1)), -1, model, joint=True)
    d, v0 = RNG.uniform(0, 2, (6, 8)), RNG.random((6, 8))
    grad = energy.gradient_v(d, v0)
    h = 1e-6
    for idx in [(0, 0), (3, 4), (5, 7)]:
        e = np.zeros_like(v0)
        e[idx] = h
        fd = (energy.value(d, v0 + e) - energy.value(d, v0 - e)) / (2 * h)
        assert grad[idx] == pytest.approx(fd, rel=1e-6)


def _gated_energy(occluded_weight, shape=(6, 8)):
    """A Mumford-Shah energy, a ``v`` and a visibility in (0, 1) (some pixels occluded)."""
    model = get_model("ms-occ", occluded_weight=occluded_weight)
    energy = view_energy(RNG.random(shape + (1,)), RNG.random(shape + (1,)), -1, model, joint=True,
                         image_weight=RNG.uniform(0.1, 1.0, shape))
    return energy, RNG.random(shape), RNG.choice([0.0, 0.3, 1.0], shape)


def test_gated_weight_is_h_w_plus_one_minus_h():
    energy, v, h = _gated_energy("none")
    smoothness = energy.smoothness
    image = smoothness.image_weight
    np.testing.assert_allclose(smoothness.weight(v, h), h * image * v**2 + 1 - h)
    np.testing.assert_allclose(smoothness.weight(np.full(v.shape, 0.5), h), h * image / 4 + 1 - h)
    np.testing.assert_allclose(smoothness.weight(np.full(v.shape, 0.5), np.ones(v.shape)), image / 4)
    # "same" keeps the paper's weight: the visibility gates the data term only.
    same, v, h = _gated_energy("same")
    np.testing.assert_allclose(same.smoothness.weight(v, h), same.smoothness.image_weight * v**2)


@pytest.mark.parametrize("occluded_weight", ["same", "none"])
def test_gated_energy_gradients_match_finite_differences(occluded_weight):
    # With the weight gated by H the d-step, the v-step and the optimizer still
    # descend the one energy that is reported.
    energy, v0, vis = _gated_energy(occluded_weight)
    d = RNG.uniform(0, 2, energy.shape)
    grad_v, grad_d = energy.gradient_v(d, v0, None, vis), energy.gradient(d, v0, vis)
    h = 1e-6
    for idx in [(0, 0), (2, 3), (3, 4), (5, 7)]:
        e = np.zeros_like(v0)
        e[idx] = h
        fd_v = (energy.value(d, v0 + e, None, vis) - energy.value(d, v0 - e, None, vis)) / (2 * h)
        assert grad_v[idx] == pytest.approx(fd_v, rel=1e-6, abs=1e-9)
        fd_d = (energy.value(d + e, v0, None, vis) - energy.value(d - e, v0, None, vis)) / (2 * h)
        assert grad_d[idx] == pytest.approx(fd_d, rel=1e-5, abs=1e-8)
    # Where H = 0 the weight no longer depends on v: its gradient is alpha's term alone.
    occluded = vis == 0
    alpha_only = view_energy(np.zeros(energy.shape + (1,)), np.zeros(energy.shape + (1,)), -1, energy.model,
                             joint=True, image_weight=np.zeros(energy.shape)).gradient_v(d, v0)
    if occluded_weight == "none":
        np.testing.assert_allclose(grad_v[occluded], alpha_only[occluded])
    else:
        assert not np.allclose(grad_v[occluded], alpha_only[occluded])
