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
from .sor import pack_colours, packed_span, unpack_colours, wavefront


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
    a valid descent step of an alternating scheme.

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
    # As in `regularizer.sor_increment`: the plain sweep, for images of fewer than 3 rows or
    # columns, is a kernel of its own, not compiled on a first run.
    sweep = _packed_sweeps if min(v.shape) >= 3 else _plain_sweeps
    sweep(v, a, kappa, e, sweeps, omega)


@jit
def _plain_sweeps(v, a, kappa, e, sweeps, omega):
    """`solve_discontinuity` pixel by pixel, for any image."""
    m, n = v.shape
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    _update(v, a, kappa, e, omega, i, j)


@jit
def _packed_sweeps(v, a, kappa, e, sweeps, omega):
    """`solve_discontinuity` on colours packed row by row, for images of 3 rows and columns or more."""
    m, n = v.shape
    # Each colour packed row by row (`grid.pack_colours`), as in `regularizer.sor_increment`:
    # the same sums in the same order, in loops that vectorize.
    # The rows as a `grid.wavefront` (the same numbers, every sweep over a band of rows in cache).
    x, aa = pack_colours(v), pack_colours(a)
    for c, i in wavefront(m, sweeps):
        _packed_colour_row(x, aa, kappa, e, omega, c, i, n)
    unpack_colours(x, v, False)


@jit
def _packed_colour_row(x, aa, kappa, e, omega, c, i, n):
    """The updates of colour ``c`` in row ``i`` of a projected red-black sweep on packed arrays."""
    m = x.shape[1]
    o = 1 - c
    sh, count, lo, hi = packed_span(i, c, m, n)
    if hi > lo:
        h = slice(lo, hi)
        _packed_row(x[c, i, h], x[o, i, lo + sh:hi + sh], x[o, i, lo + sh - 1:hi + sh - 1],
                    x[o, i + 1, h], x[o, i - 1, h], aa[c, i, h], kappa, e, omega)
    for k in range(lo):
        _packed_update(x, aa, kappa, e, omega, c, i, k, sh, n)
    for k in range(max(hi, lo), count):
        _packed_update(x, aa, kappa, e, omega, c, i, k, sh, n)


@jit
def _packed_row(x, xr, xl, xb, xa, a, kappa, e, omega):
    """`_update` of a run of packed pixels of an inner row (views from the run's start:
    the pixels, their right, left, lower and upper neighbours, and ``a``)."""
    for k in range(x.shape[0]):
        num = kappa + e * xr[k]
        den = a[k] + kappa + e
        num += e * xl[k]
        den += e
        num += e * xb[k]
        den += e
        num += e * xa[k]
        den += e
        # den > 0 always (kappa > 0, a >= 0); the test spares the division numba's zero check,
        # which would keep the loop from vectorizing.
        if den > 0.0:
            value = x[k] + omega * (num / den - x[k])
            x[k] = min(max(value, 0.0), 1.0)


@jit
def _packed_update(x, a, kappa, e, omega, c, i, k, sh, n):
    """`_update` of the packed pixel ``(c, i, k)`` (column ``sh + 2 k``), any pixel."""
    m = x.shape[1]
    o = 1 - c
    j = sh + 2 * k
    num = kappa
    den = a[c, i, k] + kappa
    if j < n - 1:
        num += e * x[o, i, k + sh]
        den += e
    if j > 0:
        num += e * x[o, i, k + sh - 1]
        den += e
    if i < m - 1:
        num += e * x[o, i + 1, k]
        den += e
    if i > 0:
        num += e * x[o, i - 1, k]
        den += e
    value = x[c, i, k] + omega * (num / den - x[c, i, k])
    x[c, i, k] = min(max(value, 0.0), 1.0)


@jit
def _update(v, a, kappa, e, omega, i, j):
    """The projected SOR update of pixel ``(i, j)`` of `solve_discontinuity`."""
    m, n = v.shape
    num = kappa
    den = a[i, j] + kappa
    if j < n - 1:
        num += e * v[i, j + 1]
        den += e
    if j > 0:
        num += e * v[i, j - 1]
        den += e
    if i < m - 1:
        num += e * v[i + 1, j]
        den += e
    if i > 0:
        num += e * v[i - 1, j]
        den += e
    value = v[i, j] + omega * (num / den - v[i, j])
    v[i, j] = min(max(value, 0.0), 1.0)


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
