"""The robust data term with brightness and gradient constancy (paper eq. 4-5).

The features of a view are, per colour channel, the image and its two
derivatives, weighted ``1, lambda, lambda``:

    s_d^2 = sum_k w_k (F_r,k(g) - F_l,k(x))^2,     e_d = psi(s_d^2).

Around the current warp, ``s_d^2`` is a quadratic in the disparity increment
``dd``: ``s_d^2(dd) = R + 2 J12 dd + J11 dd^2`` with the warped slopes, exact
for the Gauss-Newton model and, at ``dd = 0``, giving the exact derivative
``de_d/dd = J12 / e_d`` of the discrete energy.
"""

import numpy as np

from .._jit import inner, jit
from .penalty import psi, psi_prime


@jit
def linearize(fl, values, slopes, weights, sign):
    """Coefficients of ``s_d^2(dd) = R + 2 J12 dd + J11 dd^2`` per pixel.

    Parameters
    ----------
    fl : (K, M, N) ndarray
        Features of the reference view at ``x``.
    values, slopes : (K, M, N) ndarray
        Features of the other view warped to ``g(x)`` and their ``x``-slopes
        (from `msstereo.kernels.warp.warp`).
    weights : (K,) ndarray
        Feature weights (1 for intensities, ``lambda`` for derivatives).
    sign : int
        ``-1`` for the left view, ``+1`` for the right view: ``dg/dd = sign``.

    Returns
    -------
    R, J12, J11 : (M, N) ndarray
    """
    return _residual_terms(fl, values, slopes, weights, sign, True)


@inner
def _residual_terms(fl, values, slopes, weights, sign, with_slopes):
    """`linearize`'s ``R, J12, J11``; without ``with_slopes`` only ``R`` (the ``J`` empty, ``slopes`` unread)."""
    k_count, m, n = fl.shape
    R = np.zeros((m, n), dtype=fl.dtype)
    shape = (m, n) if with_slopes else (0, 0)
    J12 = np.zeros(shape, dtype=fl.dtype)
    J11 = np.zeros(shape, dtype=fl.dtype)
    for i in range(m):
        for k in range(k_count):
            w = weights[k]
            if w == 0.0:
                # Adds +-0 to sums that start at +0 (lambda = 0: the derivative features).
                continue
            for j in range(n):
                r = values[k, i, j] - fl[k, i, j]
                R[i, j] += w * r * r
                if with_slopes:
                    a = sign * slopes[k, i, j]
                    J12[i, j] += w * r * a
                    J11[i, j] += w * a * a
    return R, J12, J11


@jit
def data_cost(fl, values, weights, eta):
    """Data term ``e_d = psi(s_d^2)`` alone (`data_term` without its derivative or slopes).

    ``s_d^2`` is `linearize`'s ``R``, so the cost is `data_term`'s ``e_d`` to
    the bit: what a sampled cost volume needs of the data term.
    """
    R = _residual_terms(fl, values, values, weights, 1, False)[0]
    m, n = R.shape
    for i in range(m):
        for j in range(n):
            R[i, j] = psi(R[i, j], eta)
    return R


@jit
def data_term(fl, values, slopes, weights, sign, eta):
    """Data term ``e_d`` (eq. 4-5) and its derivative in ``d`` (section 1).

    Parameters are those of `linearize`, plus ``eta`` of ``psi``.

    Returns
    -------
    e_d, de_d : (M, N) ndarray
        ``e_d = psi(s_d^2)`` and ``de_d/dd = J12 / e_d``.
    """
    R, J12, _ = linearize(fl, values, slopes, weights, sign)
    e_d = np.empty_like(R)
    de_d = np.empty_like(R)
    m, n = R.shape
    for i in range(m):
        for j in range(n):
            e = psi(R[i, j], eta)
            e_d[i, j] = e
            de_d[i, j] = J12[i, j] / e
    return e_d, de_d


@jit
def lagged_data_weights(R, J12, J11, dd, eta):
    """Data coefficients ``a, b`` of `msstereo.kernels.sor.sor_increment` at increment ``dd``.

    The quadratic model ``s_d^2(dd)`` enters ``psi`` (concave in ``s^2``); its
    lagged weight ``psi'(s_d^2(dd))`` turns the Euler-Lagrange equation into
    ``a dd + b - div(...) = 0`` with ``a = psi' J11`` and ``b = psi' J12``.
    """
    a = np.empty_like(R)
    b = np.empty_like(R)
    m, n = R.shape
    for i in range(m):
        for j in range(n):
            x = dd[i, j]
            s2 = max(R[i, j] + x * (2.0 * J12[i, j] + J11[i, j] * x), 0.0)
            wd = psi_prime(s2, eta)
            a[i, j] = wd * J11[i, j]
            b[i, j] = wd * J12[i, j]
    return a, b
