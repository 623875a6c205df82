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


@jit
def sor_increment(dd, d0, a, b, g, sweeps, omega):
    """Red-black SOR for the lagged-diffusivity equation of one warp, in place.

    Solves ``a dd + b - div(g grad(d0 + dd)) = 0`` for ``dd``: the
    Euler-Lagrange equation of the warp's quadratic model, with the data
    weight folded into ``a`` and ``b`` and the smoothness diffusivity ``g``
    held fixed (lagged). The matrix is symmetric positive definite when
    ``a >= 0`` and ``g > 0``, so SOR converges for ``0 < omega < 2``.

    Parameters
    ----------
    dd : (M, N) ndarray
        Increment, updated in place.
    d0 : (M, N) ndarray
        Disparity at the warp.
    a, b : (M, N) ndarray
        ``psi'(s_d^2) J11`` and ``psi'(s_d^2) J12``.
    g : (M, N) ndarray
        Diffusivity of the edges to the right and below each pixel.
    sweeps : int
        Red-black sweeps.
    omega : float
        Over-relaxation factor.
    """
    m, n = dd.shape
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    num = -b[i, j]
                    den = a[i, j]
                    if j < n - 1:
                        w = g[i, j]
                        num += w * (d0[i, j + 1] + dd[i, j + 1] - d0[i, j])
                        den += w
                    if j > 0:
                        w = g[i, j - 1]
                        num += w * (d0[i, j - 1] + dd[i, j - 1] - d0[i, j])
                        den += w
                    if i < m - 1:
                        w = g[i, j]
                        num += w * (d0[i + 1, j] + dd[i + 1, j] - d0[i, j])
                        den += w
                    if i > 0:
                        w = g[i - 1, j]
                        num += w * (d0[i - 1, j] + dd[i - 1, j] - d0[i, j])
                        den += w
                    if den > 0.0:
                        dd[i, j] += omega * (num / den - dd[i, j])
