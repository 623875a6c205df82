"""The weighted smoothness term ``beta * w * rho(|grad d|^2)`` and its solvers.

``w`` is 1 for ``tv``, the image edge map ``v_I^2`` for ``tv-edge`` and the
discontinuity function ``v^2`` for the Mumford-Shah models; ``rho`` is ``psi``
(TV) or the square (L2). Gradients are the forward differences of
`msstereo.kernels.grid`, so the term's exact gradient is
``-div(2 beta w rho' grad d)``.
"""

import numpy as np

from .._jit import jit
from .grid import divergence, gradient, squared_gradient_norm
from .penalty import rho, rho_prime


@jit
def penalty(s2, weight, beta, eta, robust):
    """Per-pixel ``beta * w * rho(s2)`` of a squared gradient norm ``s2``."""
    out = np.empty_like(s2)
    m, n = s2.shape
    for i in range(m):
        for j in range(n):
            out[i, j] = beta * weight[i, j] * rho(s2[i, j], eta, robust)
    return out


@jit
def penalty_prime(s2, weight, beta, eta, robust):
    """Per-pixel lagged diffusivity ``beta * w * rho'(s2)``."""
    g = np.empty_like(s2)
    m, n = s2.shape
    for i in range(m):
        for j in range(n):
            g[i, j] = beta * weight[i, j] * rho_prime(s2[i, j], eta, robust)
    return g


@jit
def smoothness(d, weight, beta, eta, robust):
    """Per-pixel smoothness energy ``beta * w * rho(|grad d|^2)``.

    Parameters
    ----------
    d : (M, N) ndarray
        Disparity.
    weight : (M, N) ndarray
        Regularizer weight ``w``.
    beta, eta : float
        Weight of the term and ``eta`` of ``psi``.
    robust : bool
        ``rho = psi`` if true, ``rho(s2) = s2`` otherwise.

    Returns
    -------
    (M, N) ndarray
    """
    return penalty(squared_gradient_norm(d), weight, beta, eta, robust)


@jit
def diffusivity(d, weight, beta, eta, robust):
    """Lagged diffusivity ``g = beta * w * rho'(|grad d|^2)``, per pixel."""
    return penalty_prime(squared_gradient_norm(d), weight, beta, eta, robust)


@jit
def smoothness_gradient(d, weight, beta, eta, robust):
    """Exact gradient of ``sum smoothness(d)`` in ``d``: ``-div(2 g grad d)``."""
    g = diffusivity(d, weight, beta, eta, robust)
    ux, uy = gradient(d)
    return -divergence(2.0 * g * ux, 2.0 * g * uy)


