"""The per-pixel arithmetic of the guided filter between its box filters (`msstereo.aggregate`).

In NumPy each product and sum of the filter's coefficients is a pass over a
chunk of the cost volume and a temporary; here they are two passes, in the
volume's dtype and in NumPy's order of operations, so that the filtered
volume is the same to the bit. Arrays are ``(M, N, L)``: ``L`` disparity
slices, innermost, so the loops over them vectorize; per-channel arrays come
as tuples.
"""

import numpy as np

from .._jit import jit


@jit
def guided_coefficients(mean_p, mean_ip, mean, inv, zero, a, b):
    """``a_c = sum_e inv_ce (mean(I_e p) - mean_e mean_p)`` and ``b = mean_p - sum_c a_c mean_c``.

    Parameters
    ----------
    mean_p : (M, N, L) ndarray
        Window means of the cost slices.
    mean_ip : tuple of (M, N, L) ndarray
        Window means of ``I_c p``, one per guide channel.
    mean, inv : (M, N, C), (M, N, C, C) ndarray
        The guide's window means and ``(Sigma + eps I)^-1``.
    zero : scalar
        0 in the volume's dtype, where the sums start.
    a : tuple of (M, N, L) ndarray
        Out: ``a_c``.
    b : (M, N, L) ndarray
        Out: ``b``.
    """
    m, n, depth = mean_p.shape
    channels = len(mean_ip)
    cov = np.empty((channels, depth), mean_p.dtype)
    acc = np.empty(depth, mean_p.dtype)
    for i in range(m):
        for j in range(n):
            for e in range(channels):
                mean_e = mean[i, j, e]
                ip = mean_ip[e]
                for k in range(depth):
                    cov[e, k] = ip[i, j, k] - mean_e * mean_p[i, j, k]
            for k in range(depth):
                b[i, j, k] = mean_p[i, j, k]
            for c in range(channels):
                for k in range(depth):
                    acc[k] = zero
                for e in range(channels):
                    w = inv[i, j, c, e]
                    for k in range(depth):
                        acc[k] += w * cov[e, k]
                mean_c = mean[i, j, c]
                out = a[c]
                for k in range(depth):
                    out[i, j, k] = acc[k]
                    b[i, j, k] -= acc[k] * mean_c


@jit
def guided_output(mean_a, mean_b, guide, zero, out):
    """``q = sum_c mean(a_c) I_c + mean(b)`` into ``out`` (a slice of the filtered volume)."""
    m, n, depth = mean_b.shape
    q = np.empty(depth, mean_b.dtype)
    for i in range(m):
        for j in range(n):
            for k in range(depth):
                q[k] = zero
            for c in range(len(mean_a)):
                g = guide[i, j, c]
                ma = mean_a[c]
                for k in range(depth):
                    q[k] += ma[i, j, k] * g
            for k in range(depth):
                out[i, j, k] = q[k] + mean_b[i, j, k]
