"""Occlusion handling of the paper (Ben-Ari and Sochen, TPAMI 2010, eq. 15-19).

A pixel is visible when the other view sees it and the two disparity maps
agree there; the left-right consistency residual ``u`` (eq. 15) measures the
disagreement, the robust occlusion error ``e_occl`` (eq. 16) turns it into a
bounded cost, and a Chan-Vese level set ``phi`` (eq. 19, ``phi >= 0``:
visible) segments its Gaussian-blurred version into visible and occluded
regions. Occluded disparities can then be filled from the background.

Everything here works on ``(M, N)`` float32 or float64 arrays and returns
the input dtype; sums (energies) and filter accumulations are carried out in
float64 so that float32 runs only lose the storage precision.

The discrete occlusion energy is written in ``H(phi)`` with the forward
differences and matching divergence of `msstereo.kernels.grid`, so that
`occlusion_energy_gradient` is the exact gradient of `occlusion_energy` and
the explicit flow of `level_set_step` is a true descent step.
"""

import math

import numpy as np

from .._jit import inner, jit
from .grid import divergence_at, gradient
from .penalty import psi
from .warp import warp

__all__ = [
    "EPS_OCCL", "ETA_OCCL",
    "consistency_residual", "occlusion_error",
    "heaviside", "heaviside_field", "dirac", "occlusion_energy", "occlusion_energy_gradient",
    "level_set_step", "level_set_flow", "error_bound", "stable_step", "background_fill",
]

EPS_OCCL = 0.005
"""``eps_occl`` of eq. 16: the error saturates at ``-ln(0.005) ~ 5.3`` px."""

ETA_OCCL = 1e-2
"""``eta`` of ``psi`` in the length term ``nu psi(|grad H(phi)|^2)`` of eq. 19.

``H`` lies in [0, 1] and changes by about 0.1-0.5 per pixel across a
smeared interface (``eps_H`` of about one pixel), so with ``eta = 1e-2``
``psi`` is within 0.5% of ``|grad H|`` wherever ``|grad H| >= 0.1``: the
length is measured where it matters. Away from the interface ``psi = eta``
is a constant that does not move the minimizer. The stable explicit step
(`stable_step`) grows linearly with ``eta``, so ``1e-2`` buys a ten times
larger step than the ``1e-3`` used for disparities, at no visible cost in
the segmentation.
"""


# ---------------------------------------------------------------------------
# Consistency residual and occlusion error (eq. 15-16)
# ---------------------------------------------------------------------------

def consistency_residual(d_ref, d_other, sign, order):
    """Left-right consistency residual ``u`` (eq. 15).

    ``u(x) = d_ref(x) - d_other(x + sign * d_ref(x))``, i.e.
    ``u_l = d_l(x) - d_r(g_l(x))`` with ``sign = -1`` and
    ``u_r = d_r(x) - d_l(g_r(x))`` with ``sign = +1`` (Middlebury
    convention: both maps positive). It is zero where the
    pixel is seen by both cameras and the maps agree.

    Parameters
    ----------
    d_ref : (M, N) ndarray
        Disparity of the reference view.
    d_other : (M, N) ndarray
        Disparity of the other view, sampled along the row with `warp`.
    sign : int
        ``-1`` for the left view, ``+1`` for the right view.
    order : int
        Interpolation order of `warp` (1 linear, 3 cubic).

    Returns
    -------
    u : (M, N) ndarray
        Residual, in pixels.
    outside : (M, N) bool ndarray
        Pixels whose match falls outside the other image (occluded by
        definition; ``u`` there uses the clamped sample).
    """
    # A thin Python wrapper around the `warp` kernel: numba 0.68 segfaulted
    # when a disk-cached @jit caller passing both ``sign`` and ``order`` at
    # run time to `warp` was reloaded, so the call stays at Python level, as
    # in `msstereo.energy`.
    # Both contiguous (a mirrored view's maps are not): one specialization of `warp` to compile.
    d_ref = np.ascontiguousarray(d_ref)
    values, _, outside = warp(np.ascontiguousarray(d_other)[None], d_ref, sign, order, False)
    u = values[0]
    np.subtract(d_ref, u, out=u)  # in place: an image-sized array less per view and step
    return u, outside


@jit
def occlusion_error(u, outside, eps_occl):
    """Robust occlusion error (eq. 16).

    ``e_occl = -ln(eps_occl + (1 - eps_occl) exp(-|u|))``: about
    ``(1 - eps_occl) |u|`` for small ``u``, never above ``|u|``, and
    saturating at ``-ln(eps_occl)``. Pixels whose match is outside the other
    image get the saturated value: they are occluded by definition.

    Parameters
    ----------
    u : (M, N) ndarray
        Consistency residual.
    outside : (M, N) bool ndarray
        Matches outside the other image.
    eps_occl : float
        Saturation parameter in (0, 1), e.g. `EPS_OCCL`.

    Returns
    -------
    (M, N) ndarray
    """
    m, n = u.shape
    e = np.empty_like(u)
    saturated = -math.log(eps_occl)
    for i in range(m):
        for j in range(n):
            if outside[i, j]:
                e[i, j] = saturated
            else:
                e[i, j] = -math.log(eps_occl + (1.0 - eps_occl) * math.exp(-abs(float(u[i, j]))))
    return e


# ---------------------------------------------------------------------------
# Level set: Heaviside, energy (eq. 19), its gradient and flow
# ---------------------------------------------------------------------------

# Cephes' arctan (S. L. Moshier, atan.c): a reduction to |x| <= 0.66, then a rational function.
_T3P8 = 2.41421356237309504880  # tan(3 pi / 8)
_MOREBITS = 6.123233995736765886130e-17  # pi / 2 - float(pi / 2)
_ATAN_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1,
           -1.228866684490136173410e2, -6.485021904942025371773e1)
_ATAN_Q = (2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2,
           4.853903996359136964868e2, 1.945506571482613964425e2)


@jit
def _arctan(x):
    """``arctan(x)`` of a float64, within 1 ulp of libm's.

    Written without branches or checked divisions (selects and `np.divide`),
    so that loops over pixels vectorize: the level-set flow evaluates ``H``
    at every pixel of every step, and libm's scalar ``atan`` was three
    quarters of its time.
    """
    p0, p1, p2, p3, p4 = _ATAN_P
    q0, q1, q2, q3, q4 = _ATAN_Q
    a = abs(x)
    big = a > _T3P8
    mid = a > 0.66
    r = np.divide(-1.0, a) if big else (np.divide(a - 1.0, a + 1.0) if mid else a)
    base = np.pi / 2 if big else (np.pi / 4 if mid else 0.0)
    extra = _MOREBITS if big else (0.5 * _MOREBITS if mid else 0.0)
    z = r * r
    z = np.divide(z * ((((p0 * z + p1) * z + p2) * z + p3) * z + p4),
                  ((((z + q0) * z + q1) * z + q2) * z + q3) * z + q4)
    y = base + ((r * z + r) + extra)
    return y if x >= 0.0 else -y


@jit
def heaviside(phi, eps_h):
    """Regularized Heaviside ``H_eps(phi) = 1/2 (1 + 2/pi arctan(phi / eps_h))`` of a scalar.

    In float64 (numba's rule for a float32 times a float); `heaviside_field`
    applies it to an array.
    """
    return 0.5 * (1.0 + (2.0 / np.pi) * _arctan(np.divide(phi, eps_h)))


@jit
def dirac(phi, eps_h):
    """Regularized Dirac ``delta_eps = H_eps' = (1 / (pi eps_h)) / (1 + (phi / eps_h)^2)``."""
    # np.divide: IEEE division without numba's zero check, so loops over pixels vectorize.
    z = np.divide(phi, eps_h)
    return np.divide(1.0 / (np.pi * eps_h), 1.0 + z * z)


@jit
def heaviside_field(phi, eps_h):
    """`heaviside` of every pixel of ``phi``, in its dtype."""
    m, n = phi.shape
    h = np.empty_like(phi)
    for i in range(m):
        for j in range(n):
            h[i, j] = heaviside(phi[i, j], eps_h)
    return h


@jit
def occlusion_energy(e_blur, phi, t, nu, eps_h, eta=ETA_OCCL):
    """Discrete occlusion energy ``E_occl(phi)`` of eq. 19.

    ``sum_x e_blur H(phi) + t (1 - H(phi)) + nu psi(|grad H(phi)|^2)``:
    a Chan-Vese segmentation of the blurred error ``e_blur`` into visible
    (``phi >= 0``, cost ``e_blur``) and occluded (cost ``t``) pixels, with
    the length of the interface measured as the total variation of ``H``
    (forward differences, ``psi(s2) = sqrt(s2 + eta^2)``).

    Parameters
    ----------
    e_blur : (M, N) ndarray
        Blurred occlusion error ``e_occl * G_sigma``.
    phi : (M, N) ndarray
        Level set, ``>= 0`` on visible pixels.
    t : float
        Occlusion threshold, in pixels of inconsistency (about 1).
    nu : float
        Weight of the interface length.
    eps_h : float
        Width of the regularized Heaviside, in units of ``phi``.
    eta : float
        ``eta`` of ``psi`` (default `ETA_OCCL`).

    Returns
    -------
    float
        Summed in float64.
    """
    h = heaviside_field(phi, eps_h)
    hx, hy = gradient(h)
    m, n = phi.shape
    total = 0.0
    for i in range(m):
        for j in range(n):
            hij = float(h[i, j])
            s2 = float(hx[i, j]) ** 2 + float(hy[i, j]) ** 2
            total += e_blur[i, j] * hij + t * (1.0 - hij) + nu * psi(s2, eta)
    return total


@inner
def _flow_pass(phi, e_blur, t, nu, eps_h, eta, tau, h, px, py, g):
    """``g = dE_occl/dphi`` into ``g`` and, if ``tau > 0``, ``phi -= tau * g`` in place.

    The one implementation of the gradient of `occlusion_energy`, for
    `occlusion_energy_gradient`, `level_set_step` and `level_set_flow`. It
    writes into the caller's buffers ``h``, ``px``, ``py`` and ``g`` (the
    dtype of ``phi``) so that many steps allocate nothing, and it rounds
    ``H``, the normalized gradient of ``H``, the curvature and ``g`` to
    that dtype as the unfused formula (`msstereo.kernels.grid`) does, so
    the result does not depend on how many steps are fused.
    """
    m, n = phi.shape
    for i in range(m):
        for j in range(n):
            h[i, j] = heaviside(phi[i, j], eps_h)
    # Forward differences of H, as `grid.gradient`, kept in the dtype (numba's float() of a
    # float32 is a float32, so psi's argument is summed in it as in `occlusion_energy`):
    # the rows but the last, then the last (zero difference below), each without tests
    # in its loop, which then vectorizes.
    for i in range(m - 1):
        _unit_gradient(h[i], h[i + 1], px[i], py[i], eta)
    _unit_gradient(h[m - 1], h[m - 1], px[m - 1], py[m - 1], eta)
    # Curvature, `grid.divergence` of (px, py) rounded to the dtype through ``g``, then
    # g and the step: inner rows in a loop without tests, the border pixels one by one.
    for i in range(m):
        if 0 < i < m - 1 and n > 2:
            _flow_row(phi[i, 1:n - 1], e_blur[i, 1:n - 1], t, nu, eps_h, tau, px[i, 1:n - 1],
                      px[i, 0:n - 2], py[i, 1:n - 1], py[i - 1, 1:n - 1], g[i, 1:n - 1])
            # Columns 0 and n - 1, by a loop: a literal column 0 would compile a second
            # specialization of `_flow_pixel`.
            for j in range(0, n, n - 1):
                _flow_pixel(phi, e_blur, t, nu, eps_h, tau, px, py, g, i, j)
        else:
            for j in range(n):
                _flow_pixel(phi, e_blur, t, nu, eps_h, tau, px, py, g, i, j)


@inner
def _unit_gradient(h0, h1, px, py, eta):
    """``grad H / psi(|grad H|^2)`` along a row ``h0`` with the next row ``h1`` (``h0`` itself
    for the last row: zero difference), and a zero difference past the last column."""
    n = h0.shape[0]
    for j in range(n - 1):
        hx = h0[j + 1] - h0[j]
        hy = h1[j] - h0[j]
        inv = np.divide(1.0, psi(float(hx) ** 2 + float(hy) ** 2, eta))
        px[j] = hx * inv
        py[j] = hy * inv
    hx = h0[n - 1] - h0[n - 1]
    hy = h1[n - 1] - h0[n - 1]
    inv = np.divide(1.0, psi(float(hx) ** 2 + float(hy) ** 2, eta))
    px[n - 1] = hx * inv
    py[n - 1] = hy * inv


@inner
def _flow_row(phi, e_blur, t, nu, eps_h, tau, px, px_left, py, py_up, g):
    """`_flow_pixel` along inner pixels of an inner row, from views at the pixels, their
    left neighbours (``px_left``) and upper neighbours (``py_up``)."""
    for j in range(phi.shape[0]):
        g[j] = 0.0 + px[j] - px_left[j] + py[j] - py_up[j]
        g[j] = dirac(float(phi[j]), eps_h) * (e_blur[j] - t - nu * g[j])
        if tau > 0.0:
            phi[j] = phi[j] - tau * g[j]


@inner
def _flow_pixel(phi, e_blur, t, nu, eps_h, tau, px, py, g, i, j):
    """Curvature, ``g`` and the step at pixel ``(i, j)``, any pixel (see `_flow_pass`)."""
    g[i, j] = divergence_at(px, py, i, j)
    g[i, j] = dirac(float(phi[i, j]), eps_h) * (e_blur[i, j] - t - nu * g[i, j])
    if tau > 0.0:
        # phi[i, j] is read only here, after px, py of the whole field are made.
        phi[i, j] = phi[i, j] - tau * g[i, j]


@jit
def occlusion_energy_gradient(e_blur, phi, t, nu, eps_h, eta=ETA_OCCL):
    """Exact gradient of `occlusion_energy` in ``phi``.

    By the chain rule through ``H`` and ``div = -grad^T`` (`grid`),
    ``dE/dphi = delta_eps(phi) (e_blur - t - nu div(grad H / psi(|grad H|^2)))``.
    Minus this is the paper's flow (eq. 19) with ``grad H(phi)`` in place of
    ``grad phi``: the two normals agree, and this form is the descent
    direction of the discrete energy.

    Parameters
    ----------
    e_blur, phi, t, nu, eps_h, eta
        As in `occlusion_energy`.

    Returns
    -------
    (M, N) ndarray
        In the dtype of ``phi``.
    """
    h = np.empty_like(phi)
    px = np.empty_like(phi)
    py = np.empty_like(phi)
    g = np.empty_like(phi)
    _flow_pass(phi, e_blur, t, nu, eps_h, eta, 0.0, h, px, py, g)
    return g


@jit
def level_set_step(phi, e_blur, t, nu, eps_h, eta, tau):
    """One explicit step of the gradient flow of eq. 19.

    ``phi <- phi - tau * dE_occl/dphi``. This is the paper's flow
    ``phi_tau = delta_eps(phi) [t - e_blur + nu div(grad phi / |grad phi|)]``
    written with ``grad H(phi)`` (and ``psi``) in place of ``grad phi``, so
    that it is exactly the negative gradient of the discrete energy
    `occlusion_energy`; with ``tau <= stable_step(...)`` the energy does not
    increase.

    Parameters
    ----------
    phi : (M, N) ndarray
        Level set (not modified).
    e_blur, t, nu, eps_h, eta
        As in `occlusion_energy`.
    tau : float
        Step size, e.g. `stable_step`.

    Returns
    -------
    (M, N) ndarray
        The new level set, in the dtype of ``phi``.
    """
    return level_set_flow(phi, e_blur, t, nu, eps_h, eta, tau, 1)


@jit
def level_set_flow(phi, e_blur, t, nu, eps_h, eta, tau, steps):
    """``steps`` explicit steps of `level_set_step`, fused.

    The same numbers as calling `level_set_step` ``steps`` times, without
    an array allocated per step (the flow of ``ms-occ`` takes tens of steps
    per outer iteration, each a few passes over the image).

    Parameters
    ----------
    phi, e_blur, t, nu, eps_h, eta, tau
        As in `level_set_step` (``tau > 0``).
    steps : int

    Returns
    -------
    (M, N) ndarray
        The new level set (``phi`` is not modified).
    """
    out = phi.copy()
    h = np.empty_like(phi)
    px = np.empty_like(phi)
    py = np.empty_like(phi)
    g = np.empty_like(phi)
    for _ in range(steps):
        _flow_pass(out, e_blur, t, nu, eps_h, eta, tau, h, px, py, g)
    return out


def error_bound(t, eps_occl=EPS_OCCL):
    """A bound on ``|e_blur - t|`` for any threshold ``t``: ``max(S, |t|, |S - t|)``, ``S = -ln(eps_occl)``.

    The robust error (eq. 16) lies in ``[0, S]`` and its Gaussian blur, a
    convex combination, too; so ``|e_blur - t|`` is at most ``max(|t|, |S - t|)``.
    The bound is ``S`` for every ``t`` in ``[0, S]``, where ``|e_blur - t| <= S``
    already holds, and grows with ``t`` outside that range.
    """
    saturated = -math.log(eps_occl)
    return max(saturated, abs(t), abs(saturated - t))


def stable_step(nu, eps_h, eta=ETA_OCCL, data_bound=-math.log(EPS_OCCL)):
    """Step size for which `level_set_step` never increases `occlusion_energy`.

    Write ``E(phi) = G(H(phi))`` with ``G(h) = sum (e_blur - t) h +
    nu sum psi(|grad h|^2)``. Its Hessian is
    ``D G''(H) D + diag(delta'(phi) G'(H))`` with ``D = diag(delta(phi))``, and:

    - ``|delta| <= 1 / (pi eps_h)`` and
      ``|delta'| <= 3 sqrt(3) / (8 pi eps_h^2)`` (at ``phi = eps_h / sqrt(3)``);
    - ``||G''|| <= 8 nu / eta``: the Hessian of ``sqrt(|q|^2 + eta^2)`` in
      ``q`` is at most ``1 / eta`` and ``||grad||^2 < 8`` for forward
      differences on a 2-D grid (the bound of the explicit TV step);
    - ``|G'(H)| <= data_bound + 4 nu``: ``|e_blur - t| <= data_bound`` and
      the divergence of a field with components in [-1, 1] is at most 4.

    So the gradient is ``L``-Lipschitz with
    ``L = 8 nu / (pi^2 eps_h^2 eta) + 3 sqrt(3) (data_bound + 4 nu) / (8 pi eps_h^2)``,
    and by the descent lemma ``E(phi - tau g) <= E(phi) - tau (1 - L tau / 2) |g|^2``.
    We return ``tau = 1 / L`` (half the largest admissible ``2 / L``), which
    guarantees a decrease of at least ``|g|^2 / (2 L)`` per step.

    Parameters
    ----------
    nu, eps_h, eta : float
        As in `occlusion_energy`.
    data_bound : float
        Bound on ``|e_blur - t|``: `error_bound` of the model's ``t`` and
        ``eps_occl``. The default ``-ln(EPS_OCCL) ~ 5.3`` holds only for
        ``t`` in ``[0, -ln(EPS_OCCL)]``.

    Returns
    -------
    float
    """
    lipschitz = (8.0 * nu / (math.pi ** 2 * eps_h ** 2 * eta)
                 + 3.0 * math.sqrt(3.0) * (data_bound + 4.0 * nu) / (8.0 * math.pi * eps_h ** 2))
    return 1.0 / lipschitz


# ---------------------------------------------------------------------------
# Background fill
# ---------------------------------------------------------------------------

@jit
def background_fill(d, occluded):
    """Fill occluded pixels with the background disparity along the row.

    Each occluded pixel takes the smaller of the nearest visible disparities
    to its left and to its right in the same row (an occluded region belongs
    to the surface behind, which has the smaller disparity); only one side
    is used when the other has no visible pixel, and a row without any
    visible pixel is left unchanged. The rule is the same for the left and
    the right view.

    Parameters
    ----------
    d : (M, N) ndarray
        Disparity (not modified).
    occluded : (M, N) bool ndarray

    Returns
    -------
    (M, N) ndarray
        Filled copy of ``d``.
    """
    m, n = d.shape
    out = d.copy()
    for i in range(m):
        # Nearest visible value to the left of each pixel, then sweep back from the right.
        left = np.empty(n, dtype=d.dtype)
        has_left = np.zeros(n, dtype=np.bool_)
        seen = False
        last = d[i, 0]
        for j in range(n):
            if not occluded[i, j]:
                seen = True
                last = d[i, j]
            elif seen:
                left[j] = last
                has_left[j] = True
        seen = False
        for j in range(n - 1, -1, -1):
            if not occluded[i, j]:
                seen = True
                last = d[i, j]
            elif seen:
                out[i, j] = min(last, left[j]) if has_left[j] else last
            elif has_left[j]:
                out[i, j] = left[j]
    return out
