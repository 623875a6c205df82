"""Finite differences on the unit pixel grid.

The regularizers use forward differences with a Neumann boundary (the
difference across the last column or row is zero) and the matching divergence
``div = -grad^T``, so that ``<grad u, p> = -<u, div p>`` holds exactly: the
discrete energies and the gradients the solvers descend are then each other's
exact derivatives.

The data term uses central differences of the images instead: they are
symmetric, so the gradient images of ``I_l`` and ``I_r`` are not shifted by
half a pixel against the intensities they are compared with.
"""

import numpy as np

from .._jit import jit


@jit
def gradient(u):
    """Forward-difference gradient ``(u_x, u_y)`` with Neumann boundary.

    Parameters
    ----------
    u : (M, N) ndarray

    Returns
    -------
    ux, uy : (M, N) ndarray
        ``ux[i, j] = u[i, j+1] - u[i, j]`` (0 in the last column), likewise
        ``uy`` along rows (0 in the last row).
    """
    m, n = u.shape
    ux = np.zeros_like(u)
    uy = np.zeros_like(u)
    for i in range(m):
        for j in range(n - 1):
            ux[i, j] = u[i, j + 1] - u[i, j]
        if i < m - 1:
            for j in range(n):
                uy[i, j] = u[i + 1, j] - u[i, j]
    return ux, uy


@jit
def divergence(px, py):
    """Backward-difference divergence, exactly minus the adjoint of `gradient`.

    Parameters
    ----------
    px, py : (M, N) ndarray
        Vector field; ``px[:, -1]`` and ``py[-1, :]`` are ignored, as the
        gradient is zero there.

    Returns
    -------
    (M, N) ndarray
        ``px[i, j] - px[i, j-1] + py[i, j] - py[i-1, j]``, without the terms
        that fall outside the image or on the ignored entries.
    """
    m, n = px.shape
    div = np.empty_like(px)
    for i in range(m):
        if 0 < i < m - 1 and n > 2:
            # Inner pixels: `divergence_at`'s sums in its order, without its tests (they vectorize).
            div[i, 0] = divergence_at(px, py, i, 0)
            for j in range(1, n - 1):
                div[i, j] = 0.0 + px[i, j] - px[i, j - 1] + py[i, j] - py[i - 1, j]
            div[i, n - 1] = divergence_at(px, py, i, n - 1)
        else:
            for j in range(n):
                div[i, j] = divergence_at(px, py, i, j)
    return div


@jit
def divergence_at(px, py, i, j):
    """`divergence` at the pixel ``(i, j)`` alone (any pixel, borders included)."""
    m, n = px.shape
    acc = 0.0
    if j < n - 1:
        acc += px[i, j]
    if j > 0:
        acc -= px[i, j - 1]
    if i < m - 1:
        acc += py[i, j]
    if i > 0:
        acc -= py[i - 1, j]
    return acc


@jit
def forward_differences(u, i, j):
    """`gradient` at the pixel ``(i, j)``: the differences to the clamped neighbours (0 at the end)."""
    m, n = u.shape
    return u[i, min(j + 1, n - 1)] - u[i, j], u[min(i + 1, m - 1), j] - u[i, j]


@jit
def squared_gradient_norm(u):
    """``|grad u|^2`` with the forward differences of `gradient`.

    One pass, without the gradient's arrays (an image-sized float each, on
    every call of the solvers' inner loops); the difference to the clamped
    neighbour is `gradient`'s zero at the last column and row, so the
    values are its ``ux * ux + uy * uy`` bit for bit.
    """
    m, n = u.shape
    out = np.empty_like(u)
    for i in range(m):
        for j in range(n):
            ux, uy = forward_differences(u, i, j)
            out[i, j] = ux * ux + uy * uy
    return out


@jit
def squared_gradient_residual(u, wx, wy):
    """``|grad u - w|^2``: NumPy's ``(ux - wx)**2 + (uy - wy)**2`` of `gradient`, bit for bit.

    One pass without the gradient's and the differences' arrays (five
    image-sized temporaries on every call of the TGV solver).
    """
    m, n = u.shape
    out = np.empty_like(u)
    for i in range(m):
        for j in range(n):
            ux, uy = forward_differences(u, i, j)
            rx = ux - wx[i, j]
            ry = uy - wy[i, j]
            out[i, j] = rx * rx + ry * ry
    return out


@jit
def weighted_residual(g, w, u, axis):
    """``(w - u_x) * g`` (``axis`` 0) or ``(w - u_y) * g`` (``axis`` 1), `gradient`'s differences.

    NumPy's ``w - gradient(u)[axis]`` times ``g``, bit for bit, without the
    gradient's two arrays.
    """
    m, n = u.shape
    out = np.empty_like(u)
    for i in range(m):
        for j in range(n):
            out[i, j] = (w[i, j] - forward_differences(u, i, j)[axis]) * g[i, j]
    return out


@jit
def weighted_divergence(g, px, py):
    """``divergence(g * px, g * py)`` without the products' arrays, bit for bit.

    Each product is rounded to the arrays' dtype before the sum, as NumPy's
    would be.
    """
    m, n = px.shape
    div = np.empty_like(px)
    for i in range(m):
        inner = 0 < i < m - 1
        for j in range(n):
            if inner and 0 < j < n - 1:  # the tests of the border below, all true
                div[i, j] = (0.0 + g[i, j] * px[i, j] - g[i, j - 1] * px[i, j - 1] + g[i, j] * py[i, j]
                             - g[i - 1, j] * py[i - 1, j])
                continue
            acc = 0.0
            if j < n - 1:
                acc += g[i, j] * px[i, j]
            if j > 0:
                acc -= g[i, j - 1] * px[i, j - 1]
            if i < m - 1:
                acc += g[i, j] * py[i, j]
            if i > 0:
                acc -= g[i - 1, j] * py[i - 1, j]
            div[i, j] = acc
    return div


@jit
def central_gradient(u):
    """Central-difference gradient of an image, one-sided halves at the border.

    Parameters
    ----------
    u : (M, N) ndarray

    Returns
    -------
    ux, uy : (M, N) ndarray
        ``(u[i, j+1] - u[i, j-1]) / 2`` with indices clamped to the image.
    """
    m, n = u.shape
    ux = np.empty_like(u)
    uy = np.empty_like(u)
    for i in range(m):
        i0 = max(i - 1, 0)
        i1 = min(i + 1, m - 1)
        for j in range(n):
            j0 = max(j - 1, 0)
            j1 = min(j + 1, n - 1)
            ux[i, j] = 0.5 * (u[i, j1] - u[i, j0])
            uy[i, j] = 0.5 * (u[i1, j] - u[i0, j])
    return ux, uy


