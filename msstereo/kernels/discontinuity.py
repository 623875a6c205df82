"""Ambrosio-Tortorelli discontinuity functions: the edge map ``v_I`` and ``v``.

Both minimize the same quadratic in ``v`` (paper eq. 2-3, 11, 23):

    A(v) = sum a v^2 + kappa (v - 1)^2 + e |grad v|^2

with ``a = |grad I|``, ``kappa = alpha_I / (4 eps_I)``, ``e = alpha_I eps_I`` for
the image edge map (eq. 11) and ``a = beta rho(|grad d|^2)``, ``kappa = alpha``,
``e = eps`` for the disparity discontinuity function (eq. 23). Its
Euler-Lagrange equation ``(a + kappa) v - e lap(v) = kappa`` is linear and
elliptic; by the maximum principle its solution lies in [0, 1]: ``v ~ 0``
where ``a`` is large (edges), ``~ 1`` where it is small.
"""

import numpy as np

from .._jit import jit
from .grid import divergence, gradient
from .sor import sor_increment


@jit
def discontinuity_energy(v, a, kappa, e):
    """``A(v) = sum a v^2 + kappa (v - 1)^2 + e |grad v|^2`` (float64 sum).

    The forward differences of `gradient` pixel by pixel (the clamped
    neighbour gives its zero at the last column and row), without its arrays.
    """
    total = 0.0
    m, n = v.shape
    for i in range(m):
        below = min(i + 1, m - 1)
        for j in range(n):
            vx = v[i, min(j + 1, n - 1)] - v[i, j]
            vy = v[below, j] - v[i, j]
            total += (a[i, j] * v[i, j] ** 2 + kappa * (v[i, j] - 1.0) ** 2
                      + e * (vx ** 2 + vy ** 2))
    return total


@jit
def discontinuity_gradient(v, a, kappa, e):
    """Exact gradient of `discontinuity_energy` in ``v``."""
    vx, vy = gradient(v)
    return 2.0 * (a * v + kappa * (v - 1.0)) - 2.0 * e * divergence(vx, vy)


def solve_discontinuity(v, a, kappa, e, sweeps, omega):
    """Projected red-black SOR on ``(a + kappa) v - e lap(v) = kappa``, in place.

    Each half-sweep minimizes `discontinuity_energy` over one colour of
    pixels (relaxed by ``omega``, then clipped to [0, 1]); for ``0 < omega < 2``
    no half-sweep increases the energy, so a few sweeps from a warm start are
    a valid descent step of an alternating scheme. The equation is
    `sor.sor_increment`'s ``a x + b - div(g grad(x0 + x)) = 0`` with ``x = v``,
    ``x0 = 0``, coefficient ``a + kappa``, ``b = -kappa`` and ``g = e``;
    ``kappa`` and ``e`` are numbers, so the updates sum in float64 whatever
    the dtype of ``v``.

    Parameters
    ----------
    v : (M, N) ndarray
        Discontinuity function in [0, 1], updated in place.
    a : (M, N) ndarray
        Edge strength (>= 0).
    kappa, e : float
        Weights of ``(v - 1)^2`` and ``|grad v|^2``.
    sweeps : int
    omega : float
    """
    sor_increment(v, 0.0, (a, kappa), -kappa, e, sweeps, omega, (0.0, 1.0))


@jit
def color_gradient_norm(features, channels):
    """``|grad I| = sqrt(sum_c I_cx^2 + I_cy^2)`` from a feature stack.

    ``features`` is the ``(3 C, M, N)`` stack of `msstereo.energy.features`
    (each channel followed by its two derivatives): the colour edge strength
    sums the channels, so an edge in any channel counts.
    """
    _, m, n = features.shape
    out = np.zeros((m, n), dtype=features.dtype)
    for i in range(m):
        for j in range(n):
            s = 0.0
            for c in range(channels):
                s += features[3 * c + 1, i, j] ** 2 + features[3 * c + 2, i, j] ** 2
            out[i, j] = np.sqrt(s)
    return out
