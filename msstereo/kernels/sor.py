"""Red-black successive over-relaxation (SOR) on the pixel grid.

The linear systems of the solvers have the form

    a x + b - div(g grad(x0 + x)) = 0

with the divergence and gradient of `msstereo.kernels.grid`: the
lagged-diffusivity equation of the disparity increment (``d``), of the
second-order field ``w`` (TGV), and of the discontinuity function ``v``
(eq. 23, optionally clipped to [0, 1]). Each red-black sweep updates the
pixels of one colour from the other's, so each half-sweep is independent of
the order in which its pixels are visited; the colours are packed row by
row (`pack_colours`) so that the inner loops vectorize, and the rows are
swept as a `wavefront`, which keeps a band of rows in cache and gives the
numbers of the sweep-by-sweep order.
"""

import numpy as np

from .._jit import jit


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
    # Images of fewer than 3 rows or columns take the plain sweep: a kernel of its own, so
    # that a first run compiles only the packed one.
    sweep = _sor_packed if min(dd.shape) >= 3 else _sor_plain
    sweep(dd, d0, a, b, g, sweeps, omega)


@jit
def _sor_plain(dd, d0, a, b, g, sweeps, omega):
    """`sor_increment` pixel by pixel, for any image."""
    m, n = dd.shape
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    _sor_update(dd, d0, a, b, g, omega, i, j)


@jit
def _sor_packed(dd, d0, a, b, g, sweeps, omega):
    """`sor_increment` on colours packed row by row, for images of 3 rows and columns or more."""
    m, n = dd.shape
    # Each colour's pixels packed row by row (`pack_colours`): a row of one colour reads the
    # other at fixed offsets, in loops that the compiler vectorizes. The sums and their
    # order are the plain update's, so the result is the plain red-black sweep's, bit for bit.
    x = pack_colours(dd)
    packed_sor(x, pack_colours(d0), pack_colours(a), pack_colours(b), pack_colours(g), n, sweeps, omega)
    unpack_colours(x, dd, False)


@jit
def packed_sor(x, x0, aa, bb, gg, n, sweeps, omega):
    """The sweeps of `sor_increment` on its arrays packed by `pack_colours`, ``x`` in place.

    ``n`` is the width of the image (at least 3, as its height); the packed
    arrays are read at the image's pixels only. The rows are swept as a
    `wavefront`, which gives the numbers of the sweep-by-sweep order.
    """
    for c, i in wavefront(x.shape[1], sweeps):
        _packed_colour_row(x, x0, aa, bb, gg, c, i, n, omega)


@jit
def _packed_colour_row(x, x0, aa, bb, gg, c, i, n, omega):
    """The updates of colour ``c`` in row ``i`` of a red-black sweep on packed arrays."""
    m = x.shape[1]
    o = 1 - c
    sh, count, lo, hi = packed_span(i, c, m, n)
    if hi > lo:
        # Views that start at each neighbour of packed pixel lo, so the loop
        # indexes all of them alike (the compiler then vectorizes it).
        r, l, h = slice(lo + sh, hi + sh), slice(lo + sh - 1, hi + sh - 1), slice(lo, hi)
        _packed_row(x[c, i, h], x[o, i, r], x[o, i, l], x0[c, i, h], x0[o, i, r], x0[o, i, l],
                    x[o, i + 1, h], x0[o, i + 1, h], x[o, i - 1, h], x0[o, i - 1, h],
                    aa[c, i, h], bb[c, i, h], gg[c, i, h], gg[o, i, l], gg[o, i - 1, h], omega)
    for k in range(lo):
        _packed_update(x, x0, aa, bb, gg, c, i, k, sh, n, omega)
    for k in range(max(hi, lo), count):
        _packed_update(x, x0, aa, bb, gg, c, i, k, sh, n, omega)


def sor_pack(u):
    """``u`` as `SorSystem` sweeps it: `pack_colours` on images of 3 rows and columns or more.

    An array already packed (three dimensions) is returned as it is.
    """
    return pack_colours(u) if u.ndim == 2 and min(u.shape) >= 3 else u


class SorSystem:
    """`sor_increment` with ``d0``, ``a`` and ``b`` fixed over several solves, packed once.

    A lagged-diffusivity loop solves with the same ``d0``, ``a`` and
    (mostly) ``b`` and a new ``g`` each time; `sor_increment` packs all its
    arrays on every call, image-sized arrays that add up on large images.
    Here they are packed once and the increment ``dd`` stays packed from one
    solve to the next. ``a`` may be a number, the same at every pixel. Every
    image argument may be given packed (`sor_pack`), so that a caller can
    let the image go before the sweeps.

    Parameters
    ----------
    d0, a, b : (M, N) ndarray
        As in `sor_increment` (``a`` also a number).
    dd : (M, N) ndarray, optional
        Initial increment (default 0).
    """

    def __init__(self, d0, a, b, dd=None):
        self.shape = d0.shape
        self.packed = min(self.shape) >= 3
        self.d0, self.b = sor_pack(d0), sor_pack(b)
        # (The packed constant differs from a packed image of it past the rows' ends, never read.)
        self.a = np.full(self.d0.shape, a, self.d0.dtype) if np.ndim(a) == 0 else sor_pack(a)
        self.x = np.zeros_like(self.d0) if dd is None else pack_colours(dd) if self.packed else dd.copy()

    def solve(self, g, sweeps, omega, add=None):
        """`sor_increment` of the increment with diffusivity ``g``; with ``b + add`` if ``add`` is given.

        ``add``: a term of ``b`` that changes between solves (TGV's
        divergence); a packed ``add`` is used as scratch (it ends as the
        packed ``b + add``), so that no image-sized ``b`` is kept beside the
        system.
        """
        if not self.packed:
            sor_increment(self.x, self.d0, self.a, self.b if add is None else self.b + add, g, sweeps, omega)
            return
        b = self.b
        if add is not None:
            b = add if add.ndim == 3 else pack_colours(add)
            b += self.b  # packing is a permutation: this is pack(b + add), to the bit
        packed_sor(self.x, self.d0, self.a, b, sor_pack(g), self.shape[1], sweeps, omega)

    def add_increment(self, u):
        """``u += dd`` in place (no image of ``dd`` is made); returns ``u``."""
        if self.packed:
            unpack_colours(self.x, u, True)
        else:
            u += self.x
        return u


@jit
def _packed_row(x, xr, xl, x0, x0r, x0l, xb, x0b, xa, x0a, a, b, g, gl, ga, omega):
    """`_sor_update` of a run of packed pixels of an inner row, all four neighbours present.

    Every argument is a view starting at the run's first pixel: ``x, x0, a, b,
    g`` at the pixels, ``xr, x0r`` (``xl, x0l, gl``) at their right (left)
    neighbours, ``xb, x0b`` below them and ``xa, x0a, ga`` above them.
    """
    for k in range(x.shape[0]):
        centre = x0[k]
        w = g[k]
        num = -b[k] + w * (x0r[k] + xr[k] - centre)
        den = a[k] + w
        w = gl[k]
        num += w * (x0l[k] + xl[k] - centre)
        den += w
        w = g[k]
        num += w * (x0b[k] + xb[k] - centre)
        den += w
        w = ga[k]
        num += w * (x0a[k] + xa[k] - centre)
        den += w
        value = x[k]
        x[k] = value + omega * (num / den - value) if den > 0.0 else value


@jit
def _packed_update(x, x0, a, b, g, c, i, k, sh, n, omega):
    """`_sor_update` of the packed pixel ``(c, i, k)`` (column ``sh + 2 k``), any pixel."""
    m = x.shape[1]
    o = 1 - c
    j = sh + 2 * k
    centre = x0[c, i, k]
    num = -b[c, i, k]
    den = a[c, i, k]
    if j < n - 1:
        w = g[c, i, k]
        num += w * (x0[o, i, k + sh] + x[o, i, k + sh] - centre)
        den += w
    if j > 0:
        w = g[o, i, k + sh - 1]
        num += w * (x0[o, i, k + sh - 1] + x[o, i, k + sh - 1] - centre)
        den += w
    if i < m - 1:
        w = g[c, i, k]
        num += w * (x0[o, i + 1, k] + x[o, i + 1, k] - centre)
        den += w
    if i > 0:
        w = g[o, i - 1, k]
        num += w * (x0[o, i - 1, k] + x[o, i - 1, k] - centre)
        den += w
    if den > 0.0:
        x[c, i, k] += omega * (num / den - x[c, i, k])


@jit
def _sor_update(dd, d0, a, b, g, omega, i, j):
    """The SOR update of pixel ``(i, j)`` of `sor_increment`, any pixel."""
    m, n = dd.shape
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
