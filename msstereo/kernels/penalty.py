"""The modified L1 norm ``psi`` of the paper (eq. 4) and the L2 alternative."""

import numpy as np

from .._jit import jit


@jit
def psi(s2, eta):
    """``psi(s^2) = sqrt(s^2 + eta^2)``: robust, differentiable L1 (eq. 4)."""
    return np.sqrt(s2 + eta * eta)


@jit
def psi_prime(s2, eta):
    """``d psi / d(s^2) = 1 / (2 psi)``: the lagged diffusivity of ``psi``."""
    return 0.5 / np.sqrt(s2 + eta * eta)


@jit
def rho(s2, eta, robust):
    """Gradient penalty of the regularizer: ``psi`` (TV, Shah) or ``s^2`` (L2, Ambrosio-Tortorelli)."""
    return psi(s2, eta) if robust else s2


@jit
def rho_prime(s2, eta, robust):
    """``d rho / d(s^2)``."""
    # psi_prime computes in float64 anyway: one specialization for float32 and float64 ``s2``.
    return psi_prime(np.float64(s2), eta) if robust else 1.0
