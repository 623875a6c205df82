"""The discrete energy: its gradient against finite differences of the energy itself."""

import numpy as np
import pytest

from msstereo.energy import DisparityEnergy, features
from msstereo.models import Model

RNG = np.random.default_rng(7)


def small_problem(channels=3, shape=(10, 14), order=3, sign=-1, robust=True):
    reference = RNG.random(shape + (channels,))
    other = RNG.random(shape + (channels,))
    model = Model(beta=0.05, eta_s=0.05, interpolation=order, robust=robust)
    weight = RNG.uniform(0.2, 1.0, shape)
    return DisparityEnergy(reference, other, sign, model, weight)


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
    e_d, de_d, outside = energy.data(d)
    assert outside.any() and not outside.all()
    assert np.all(de_d[outside] == 0)
    h = 1e-6
    # e_d at a pixel depends on d at that pixel only, so one vector difference does.
    fd = (energy.data(d + h)[0] - energy.data(d - h)[0]) / (2 * h)
    np.testing.assert_allclose(de_d, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("order", [1, 3])
@pytest.mark.parametrize("robust", [True, False])
def test_energy_gradient_matches_finite_differences(order, robust):
    # The gradient the solvers descend is the derivative of the discrete energy
    # they report: relative error at the level of central differences' O(h^2).
    energy = small_problem(order=order, robust=robust)
    d = np.clip(RNG.uniform(0.2, 0.8, energy.shape) + np.arange(energy.shape[1]) % 3, 0, None)
    grad = energy.gradient(d)
    fd = central_difference(energy.energy, d, 1e-6)
    assert np.linalg.norm(grad - fd) <= 1e-6 * np.linalg.norm(fd)
