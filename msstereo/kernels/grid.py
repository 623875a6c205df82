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


@jit
def pack_colours(u):
    """The red and black pixels of ``u``, each packed row by row, for red-black sweeps.

    ``out[c, i, k] = u[i, (i + c) % 2 + 2 k]`` (0 past the end of a row):
    colour ``c`` of row ``i`` starts at column ``s = (i + c) % 2``, and its
    pixel ``k`` has the other colour's pixels ``k + s - 1`` and ``k + s`` of
    the same row to its left and right and pixel ``k`` of the rows above
    and below, so a sweep of one colour reads the other at fixed offsets
    along contiguous rows, which the compiler vectorizes.

    Returns
    -------
    (2, M, (N + 1) // 2) ndarray
    """
    m, n = u.shape
    out = np.zeros((2, m, (n + 1) // 2), dtype=u.dtype)
    for c in range(2):
        for i in range(m):
            sh = (i + c) % 2
            for k in range((n - sh + 1) // 2):
                out[c, i, k] = u[i, sh + 2 * k]
    return out


@jit
def unpack_colours(packed, u, add):
    """The inverse of `pack_colours`, written into ``u`` (``add``: added to ``u``, in place)."""
    m, n = u.shape
    for c in range(2):
        for i in range(m):
            sh = (i + c) % 2
            for k in range((n - sh + 1) // 2):
                if add:
                    u[i, sh + 2 * k] += packed[c, i, k]
                else:
                    u[i, sh + 2 * k] = packed[c, i, k]


@jit
def wavefront(m, sweeps):
    """The ``(colour, row)`` half-sweeps of ``sweeps`` red-black sweeps over ``m`` rows, as a wavefront.

    At step ``t`` the red row ``t - 4 s`` (colour 0) and the black row
    ``t - 4 s - 2`` of every sweep ``s``. A red row reads the black rows next
    to it from the sweep before, which are done and not yet redone, and a
    black row the red rows of its own sweep, likewise: every update reads
    the very values of the sweep-by-sweep order, so the result is the same
    to the bit, while all the sweeps run over a band of ``4 sweeps`` rows
    that stays in cache instead of passing over the whole image
    ``2 sweeps`` times (a 6 MP set of 10 sweeps in 0.09-0.11 s instead of
    0.12-0.16 s; Teddy's size, all in cache either way, about 4 % slower).

    Returns
    -------
    (2 m sweeps, 2) int ndarray
        Colour and row of each half-sweep of a row, in order.
    """
    order = np.empty((2 * m * sweeps, 2), np.int64)
    k = 0
    for t in range(m + 4 * sweeps - 2):
        for s in range(sweeps):
            for c in range(2):
                i = t - 4 * s - 2 * c
                if 0 <= i < m:
                    order[k, 0], order[k, 1] = c, i
                    k += 1
    return order


@jit
def packed_span(i, c, m, n):
    """Where a red-black sweep of colour ``c`` finds row ``i`` of a `pack_colours` array.

    Returns ``(sh, count, lo, hi)``: the row's first column ``sh``, its
    number of pixels of the colour, and the packed pixels ``lo .. hi - 1``
    whose four neighbours are all inside the image (columns 1 .. n - 2 of
    an inner row; none on the first and last rows), which a sweep updates
    in one vectorized run and the others one by one.
    """
    sh = (i + c) % 2
    count = (n - sh + 1) // 2
    if i == 0 or i == m - 1:
        return sh, count, 0, 0
    return sh, count, 1 - sh, (n - 2 - sh) // 2 + 1


@jit
def _running_mean(u, radius, out):
    """Mean of ``u`` over ``2 radius + 1`` rows centred on each row, rows clamped at the ends.

    Every column is one line of ``scipy.ndimage.uniform_filter1d(..., axis=0,
    mode="nearest")`` with its arithmetic (a running sum in float64 of the
    line's values, divided by the size), so the result is scipy's bit for
    bit; the columns are updated together, a contiguous loop that vectorizes.
    """
    m, p = u.shape
    size = float(2 * radius + 1)
    total = np.zeros(p)
    for row in range(-radius, radius + 1):
        src = min(max(row, 0), m - 1)
        for q in range(p):
            total[q] += u[src, q]
    for q in range(p):
        out[0, q] = total[q] / size
    for i in range(1, m):
        add = min(i + radius, m - 1)
        sub = max(i - radius - 1, 0)
        for q in range(p):
            total[q] += np.float64(u[add, q]) - np.float64(u[sub, q])
            out[i, q] = total[q] / size


@jit
def box_mean(u, radius):
    """Mean of each slice over the ``(2 radius + 1)^2`` window, edge replicated.

    ``scipy.ndimage.uniform_filter(u, size=(2 r + 1, 2 r + 1, 1), mode="nearest")``
    bit for bit (rows, then columns, the intermediate stored in the dtype
    of ``u``, as scipy does), several times faster on a cost volume.

    Parameters
    ----------
    u : (M, N, L) ndarray
        C-contiguous.
    radius : int

    Returns
    -------
    (M, N, L) ndarray
    """
    m, n, depth = u.shape
    rows = np.empty_like(u)
    _running_mean(u.reshape(m, n * depth), radius, rows.reshape(m, n * depth))
    out = np.empty_like(u)
    for i in range(m):
        _running_mean(rows[i], radius, out[i])
    return out

