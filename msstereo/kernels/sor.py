"""Red-black successive over-relaxation (SOR) on the pixel grid.

The linear systems of the solvers have the form

    a x + b - div(g grad(x0 + x)) = 0

with the divergence and gradient of `msstereo.kernels.grid`: the
lagged-diffusivity equation of the disparity increment (``d``) and of the
second-order field ``w`` (TGV), and the equation of the discontinuity
functions ``(a + kappa) v - e lap(v) = kappa`` (eq. 11 and 23,
`msstereo.kernels.discontinuity`), which is the form with ``x = v``,
``x0 = 0``, coefficient ``a + kappa``, ``b = -kappa`` and ``g = e``, each
update clipped to [0, 1]. Each red-black sweep updates the pixels of one
colour from the other's, so each half-sweep is independent of the order in
which its pixels are visited; the colours are packed row by row
(`pack_colours`) so that the inner loops vectorize, and the rows are swept
as a `wavefront`, which keeps a band of rows in cache and gives the numbers
of the sweep-by-sweep order.

Each coefficient ``x0, a, b, g`` is an image, a number (the same at every
pixel) or a pair ``(image, number)``, read at a pixel as ``image + number``
(`at`). The kernels are compiled for the kinds they are given, so every sum
runs in the precision of its operands, in the same order for every kind:
the d and w systems, whose coefficients are images of the working dtype,
sum in that dtype (float32 included); the v equation, whose ``kappa`` and
``e`` are float numbers, sums in float64, ``a + kappa`` first. With
``x0 = 0`` the neighbour's ``0 + x - 0`` is ``x`` itself.
"""

import numpy as np
from numba import types
from numba.extending import overload

from .._jit import inner, jit


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
    ``2 sweeps`` times.

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


def at(c, index):
    """Coefficient ``c`` at the pixel ``index``.

    ``c[index]`` of an image, a number as it is, ``c[0][index] + c[1]`` of
    an ``(image, number)`` pair. In the kernels the kind is chosen when they
    are compiled, so each kind compiles to its bare arithmetic.
    """
    if isinstance(c, tuple):
        return c[0][index] + c[1]
    return c[index] if np.ndim(c) else c


def over(c, index):
    """Coefficient ``c`` over a run of pixels (``index`` with a slice), for `at` along the run.

    The view ``c[index]`` of an image, a number as it is, ``(c[0][index],
    c[1])`` of an ``(image, number)`` pair.
    """
    if isinstance(c, tuple):
        return c[0][index], c[1]
    return c[index] if np.ndim(c) else c


def clipped(value, clip):
    """``value`` clipped to ``clip = (lo, hi)``, or as it is where ``clip`` is None."""
    return value if clip is None else min(max(value, clip[0]), clip[1])


def _kind(c):
    """``"image"``, ``"number"`` or ``"pair"``: the kind of a coefficient's numba type."""
    if isinstance(c, types.Array):
        return "image"
    if isinstance(c, types.Number):
        return "number"
    if isinstance(c, types.BaseTuple) and len(c) == 2 and isinstance(c[0], types.Array):
        return "pair"
    raise TypeError(f"a coefficient is an array, a number or an (array, number) pair, not {c}")


# Small functions that LLVM inlines, so the inner loops still vectorize (inlining them in
# numba's IR instead, inline="always", costs compile time at each of their many calls).
@overload(at)
def _at(c, index):
    return {"image": lambda c, index: c[index], "number": lambda c, index: c,
            "pair": lambda c, index: c[0][index] + c[1]}[_kind(c)]


@overload(over)
def _over(c, index):
    return {"image": lambda c, index: c[index], "number": lambda c, index: c,
            "pair": lambda c, index: (c[0][index], c[1])}[_kind(c)]


@overload(clipped)
def _clipped(value, clip):
    if isinstance(clip, (types.NoneType, types.Omitted)):
        return lambda value, clip: value
    return lambda value, clip: min(max(value, clip[0]), clip[1])


def sor_increment(dd, d0, a, b, g, sweeps, omega, clip=None):
    """Red-black SOR for ``a dd + b - div(g grad(d0 + dd)) = 0``, in place.

    For the disparity increment of one warp, the Euler-Lagrange equation of
    the warp's quadratic model, with the data weight folded into ``a`` and
    ``b`` and the smoothness diffusivity ``g`` held fixed (lagged). The
    matrix is symmetric positive definite when ``a >= 0`` and ``g > 0``, so
    SOR converges for ``0 < omega < 2``. With ``clip`` each update is
    clipped, a projected SOR (`discontinuity.solve_discontinuity`).

    Parameters
    ----------
    dd : (M, N) ndarray
        Increment, updated in place.
    d0, a, b, g : (M, N) ndarray, number or (ndarray, number)
        Coefficients of any kind (`at`): the disparity at the warp,
        ``psi'(s_d^2) J11``, ``psi'(s_d^2) J12``, and the diffusivity of the
        edges to the right and below each pixel.
    sweeps : int
        Red-black sweeps.
    omega : float
        Over-relaxation factor.
    clip : (float, float), optional
        Bounds of every updated value.
    """
    if min(dd.shape) < 3:
        # The plain sweep is a kernel of its own, so that a first run compiles only the packed one.
        _sor_plain(dd, d0, a, b, g, sweeps, omega, clip)
        return
    # Each colour's pixels packed row by row (`pack_colours`): a row of one colour reads the
    # other at fixed offsets, in loops that the compiler vectorizes. The sums and their
    # order are the plain update's, so the result is the plain red-black sweep's, bit for bit.
    x = pack_colours(dd)
    packed_sor(x, sor_pack(d0), sor_pack(a), sor_pack(b), sor_pack(g), dd.shape[1], sweeps, omega, clip)
    unpack_colours(x, dd, False)


@jit
def _sor_plain(dd, d0, a, b, g, sweeps, omega, clip):
    """`sor_increment` pixel by pixel, for any image."""
    m, n = dd.shape
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    _sor_update(dd, d0, a, b, g, omega, clip, i, j)


@jit
def packed_sor(x, x0, aa, bb, gg, n, sweeps, omega, clip=None):
    """The sweeps of `sor_increment` on its images packed by `pack_colours`, ``x`` in place.

    ``n`` is the width of the image (at least 3, as its height); the packed
    arrays are read at the image's pixels only; ``clip`` as in
    `sor_increment`. The rows are swept as a `wavefront`, which gives the
    numbers of the sweep-by-sweep order.
    """
    for c, i in wavefront(x.shape[1], sweeps):
        _packed_colour_row(x, x0, aa, bb, gg, c, i, n, omega, clip)


@inner
def _packed_colour_row(x, x0, aa, bb, gg, c, i, n, omega, clip):
    """The updates of colour ``c`` in row ``i`` of a red-black sweep on packed arrays."""
    m = x.shape[1]
    o = 1 - c
    sh, count, lo, hi = packed_span(i, c, m, n)
    if hi > lo:
        # Views that start at each neighbour of packed pixel lo, so the loop
        # indexes all of them alike (the compiler then vectorizes it).
        r, l, h = slice(lo + sh, hi + sh), slice(lo + sh - 1, hi + sh - 1), slice(lo, hi)
        _packed_row(x[c, i, h], x[o, i, r], x[o, i, l], over(x0, (c, i, h)), over(x0, (o, i, r)),
                    over(x0, (o, i, l)), x[o, i + 1, h], over(x0, (o, i + 1, h)), x[o, i - 1, h],
                    over(x0, (o, i - 1, h)), over(aa, (c, i, h)), over(bb, (c, i, h)), over(gg, (c, i, h)),
                    over(gg, (o, i, l)), over(gg, (o, i - 1, h)), omega, clip)
    for k in range(lo):
        _packed_update(x, x0, aa, bb, gg, c, i, k, sh, n, omega, clip)
    for k in range(max(hi, lo), count):
        _packed_update(x, x0, aa, bb, gg, c, i, k, sh, n, omega, clip)


def young_omega(a, g, stride=4):
    """Young's optimal SOR factor for ``a x - div(g grad x) = b``, from its estimated Jacobi spectral radius.

    For a consistently ordered matrix (red-black on the 5-point stencil)
    with Jacobi iteration radius ``rho``, SOR converges fastest at
    ``omega = 2 / (1 + sqrt(1 - rho^2))``, at the rate ``omega - 1`` per
    sweep (Young, "Iterative solution of large linear systems", 1971,
    ch. 6). ``rho`` is estimated as the median over every ``stride``-th
    row and column of the local radius ``4 g / (a + 4 g)``: the diffusivity
    varies across the image, and the median follows the smooth regions,
    where the slowest error modes live. A strong diagonal (the coupling
    ``a = 1 / (2 theta)`` when ``theta`` is small) gives a factor near 1,
    where a fixed factor near 2 would leave an error decaying only as
    ``omega - 1``.

    Parameters
    ----------
    a : number or ndarray
        The diagonal term, at every pixel or per pixel (an image or packed
        as `g`).
    g : ndarray
        The diffusivity, an image or packed (`pack_colours`).
    """
    index = (Ellipsis, slice(None, None, stride), slice(None, None, stride))
    g = g[index]
    a = a[index] if np.ndim(a) else a
    spread = 4.0 * g
    rho = float(np.median(spread / (a + spread)))
    return 2.0 / (1.0 + np.sqrt(max(0.0, 1.0 - rho * rho)))


def sor_pack(u):
    """Coefficient ``u`` as the packed sweeps read it: `pack_colours` of an image of 3 rows and columns or more.

    An array already packed (three dimensions) and a number are returned as
    they are; of an ``(image, number)`` pair the image is packed.
    """
    if isinstance(u, tuple):
        return sor_pack(u[0]), u[1]
    return pack_colours(u) if np.ndim(u) == 2 and min(u.shape) >= 3 else u


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
        # A number becomes an image of the working dtype, so that the sums stay in that dtype.
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
        packed_sor(self.x, self.d0, self.a, b, sor_pack(g), self.shape[1], sweeps, omega, None)

    def add_increment(self, u):
        """``u += dd`` in place (no image of ``dd`` is made); returns ``u``."""
        if self.packed:
            unpack_colours(self.x, u, True)
        else:
            u += self.x
        return u


@inner
def _packed_row(x, xr, xl, x0, x0r, x0l, xb, x0b, xa, x0a, a, b, g, gl, ga, omega, clip):
    """`_sor_update` of a run of packed pixels of an inner row, all four neighbours present.

    Every argument is a run (`over`) starting at the run's first pixel: ``x,
    x0, a, b, g`` at the pixels, ``xr, x0r`` (``xl, x0l, gl``) at their right
    (left) neighbours, ``xb, x0b`` below them and ``xa, x0a, ga`` above them.
    """
    for k in range(x.shape[0]):
        centre = at(x0, k)
        w = at(g, k)
        num = -at(b, k) + w * (at(x0r, k) + xr[k] - centre)
        den = at(a, k) + w
        w = at(gl, k)
        num += w * (at(x0l, k) + xl[k] - centre)
        den += w
        w = at(g, k)
        num += w * (at(x0b, k) + xb[k] - centre)
        den += w
        w = at(ga, k)
        num += w * (at(x0a, k) + xa[k] - centre)
        den += w
        value = x[k]
        # A pixel with den = 0 (a = 0 and no diffusivity; never in v's equation, kappa > 0)
        # keeps its value, as in `_sor_update`.
        x[k] = clipped(value + omega * (num / den - value), clip) if den > 0.0 else value


@inner
def _packed_update(x, x0, a, b, g, c, i, k, sh, n, omega, clip):
    """`_sor_update` of the packed pixel ``(c, i, k)`` (column ``sh + 2 k``), any pixel."""
    m = x.shape[1]
    o = 1 - c
    j = sh + 2 * k
    centre = at(x0, (c, i, k))
    num = -at(b, (c, i, k))
    den = at(a, (c, i, k))
    if j < n - 1:
        w = at(g, (c, i, k))
        num += w * (at(x0, (o, i, k + sh)) + x[o, i, k + sh] - centre)
        den += w
    if j > 0:
        w = at(g, (o, i, k + sh - 1))
        num += w * (at(x0, (o, i, k + sh - 1)) + x[o, i, k + sh - 1] - centre)
        den += w
    if i < m - 1:
        w = at(g, (c, i, k))
        num += w * (at(x0, (o, i + 1, k)) + x[o, i + 1, k] - centre)
        den += w
    if i > 0:
        w = at(g, (o, i - 1, k))
        num += w * (at(x0, (o, i - 1, k)) + x[o, i - 1, k] - centre)
        den += w
    if den > 0.0:
        x[c, i, k] = clipped(x[c, i, k] + omega * (num / den - x[c, i, k]), clip)


@inner
def _sor_update(dd, d0, a, b, g, omega, clip, i, j):
    """The SOR update of pixel ``(i, j)`` of `sor_increment`, any pixel."""
    m, n = dd.shape
    centre = at(d0, (i, j))
    num = -at(b, (i, j))
    den = at(a, (i, j))
    if j < n - 1:
        w = at(g, (i, j))
        num += w * (at(d0, (i, j + 1)) + dd[i, j + 1] - centre)
        den += w
    if j > 0:
        w = at(g, (i, j - 1))
        num += w * (at(d0, (i, j - 1)) + dd[i, j - 1] - centre)
        den += w
    if i < m - 1:
        w = at(g, (i, j))
        num += w * (at(d0, (i + 1, j)) + dd[i + 1, j] - centre)
        den += w
    if i > 0:
        w = at(g, (i - 1, j))
        num += w * (at(d0, (i - 1, j)) + dd[i - 1, j] - centre)
        den += w
    if den > 0.0:
        dd[i, j] = clipped(dd[i, j] + omega * (num / den - dd[i, j]), clip)
