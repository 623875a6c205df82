"""The global search of the relaxed data term and the census cost.

The relaxation solver (`msstereo.solvers.relax`) decouples the data term
from the regularizer through an auxiliary disparity ``a``:

    E_theta(d, a) = sum_x H(x) C(x, a(x)) + (d - a)^2 / (2 theta) + R(d)

where ``C`` is the data cost sampled at the disparities ``k_j = k_0 + j h``
of a grid and ``H`` an optional visibility gate. The cost volume
``(M, N, K)`` holds ``K`` consecutive samples of the grid per pixel, from the
pixel's ``base``: sample ``s`` of pixel ``x`` is at ``k_0 + (base(x) + s) h``.
A base of 0 everywhere is the whole range; a base that follows a coarse
solution is a band around it, for images whose whole range does not fit in
memory (`msstereo.solvers.relax.Relax`). Between the samples ``C`` is the
parabola through the nearest sample and its two neighbours
(`interpolated_cost`): exact at the samples and defined everywhere (it may
jump half-way between samples, where the nearest sample changes), so the
relaxed energy is a well-defined function of ``a`` and the ``a``-step can be
tested as a minimization of it.

The ``a``-step (`search`) is exhaustive over the samples, hence global per
pixel up to the sampling, refined inside the best sample's segment by the
exact minimizer of parabola plus coupling, and never worse than the current
``a``.
"""

import math

import numpy as np

from .._jit import inner, jit
from .prefetch import prefetch

AHEAD = 8
"""Pixels ahead whose costs the search asks the caches for (`prefetch`): far enough for the load
to arrive before the pixel is reached, near enough for it to stay in cache."""


@inner
def _prefetch_ahead(cost, i, j, disparity, k0, h, base):
    """Ask the caches for the samples near ``disparity`` of pixel ``(i, j + AHEAD)``, if any (`prefetch`)."""
    ahead = j + AHEAD
    if ahead < cost.shape[1]:
        near = int((disparity[i, ahead] - k0) / h) - base[i, ahead]
        prefetch(cost, i, ahead, min(max(near, 0), cost.shape[2] - 1))


@inner
def _parabola(cost, i, j, a, k0, h, b):
    """``C(x, a)``: the parabola through the sample nearest ``a`` and its neighbours.

    ``b``: the pixel's first sample, ``k0 + b h`` (its `base`). ``a`` is float64 at
    every call (it meets ``k0`` first, so a float32 ``a`` gives the same numbers): one
    specialization to compile.
    """
    count = cost.shape[2]
    c = int(np.floor((a - k0) / h + 0.5)) - b
    c = min(max(c, 1), count - 2)
    t = (a - (k0 + (b + c) * h)) / h
    cm = cost[i, j, c - 1]
    c0 = cost[i, j, c]
    cp = cost[i, j, c + 1]
    return c0 + 0.5 * t * (cp - cm) + 0.5 * t * t * (cp - 2.0 * c0 + cm)


@jit
def interpolated_cost(cost, a, k0, h, base):
    """``C(x, a(x))`` per pixel from a cost volume (at least three samples).

    Parameters
    ----------
    cost : (M, N, K) ndarray
        Cost at the disparities ``k0 + (base + j) h``, ``K >= 3``.
    a : (M, N) ndarray
        Disparity at which to evaluate it.
    k0, h : float
        First sample of the grid and sample spacing.
    base : (M, N) int ndarray
        Index on the grid of each pixel's first sample (all 0: every pixel
        has the whole range; see the module's docstring).

    Returns
    -------
    (M, N) ndarray
        Exact at the samples; between them, quadratic interpolation.
    """
    m, n = a.shape
    out = np.empty_like(a)
    for i in range(m):
        for j in range(n):
            _prefetch_ahead(cost, i, j, a, k0, h, base)
            out[i, j] = _parabola(cost, i, j, np.float64(a[i, j]), k0, h, base[i, j])
    return out


@inner
def _least(cost, i, j):
    """The least of the pixel's samples (``cost[i, j].min()``)."""
    least = cost[i, j, 0]
    for s in range(1, cost.shape[2]):
        least = min(least, cost[i, j, s])
    return least


@jit
def search(cost, floor, d, a, gate, theta, k0, h, base):
    """The ``a``-step: per pixel, minimize ``H C(a) + (d - a)^2 / (2 theta)``.

    Every sample that can win is tried (global up to the sampling); the best
    one is refined inside its segment ``[k - h/2, k + h/2]`` by the exact
    minimizer of the interpolating parabola plus the coupling, and the
    result is kept only where it beats the current ``a``, so the relaxed
    energy never increases.

    A sample ``k`` can only beat the sample nearest ``d`` (value ``f_0``) if
    ``H floor + (d - k)^2 / (2 theta) < f_0``, ``floor`` being the pixel's
    least cost: the scan is limited to that interval, which is the whole
    range while ``theta`` is large and a few samples around ``d`` once it is
    small. The result is the exhaustive scan's, up to exact ties.

    Parameters
    ----------
    cost : (M, N, K) ndarray
        Cost volume, ``K >= 3``.
    floor : (M, N) ndarray or None
        Least cost of each pixel over its samples (``cost.min(axis=2)``);
        None: found per pixel from its samples, which saves an image-sized
        array where each pixel has only a few (a band).
    d : (M, N) ndarray
        Current disparity of the regularizer.
    a : (M, N) ndarray
        Current auxiliary disparity.
    gate : (M, N) ndarray
        Weight ``H`` of the data cost per pixel (1: visible).
    theta : float
        Coupling parameter, > 0.
    k0, h : float
        First sample of the grid and sample spacing.
    base : (M, N) int ndarray
        Index on the grid of each pixel's first sample.

    Returns
    -------
    a : (M, N) ndarray
        The new ``a``.
    cost_at_a : (M, N) ndarray
        ``C(x, a(x))`` at the new ``a``: `interpolated_cost`'s numbers, made
        here while the pixel's samples are in cache, so that the relaxed
        energy needs no second pass over the volume.
    """
    m, n, count = cost.shape
    inv = 0.5 / theta
    out = np.empty_like(a)
    cost_at_a = np.empty_like(a)
    for i in range(m):
        for j in range(n):
            _prefetch_ahead(cost, i, j, d, k0, h, base)
            g = gate[i, j]
            dv = d[i, j]
            b = base[i, j]
            if floor is None:
                least = _least(cost, i, j)
            else:
                least = floor[i, j]
            # Sample s of the pixel is k0 + (b + s) h; b = 0 is the whole range.
            near = min(max(int(np.floor((dv - k0) / h + 0.5)) - b, 0), count - 1)
            r = dv - (k0 + (b + near) * h)
            reach = math.sqrt(max(g * (cost[i, j, near] - least) + inv * r * r, 0.0) / inv)
            lo = int(max(np.ceil((dv - reach - k0) / h) - b, 0.0))
            hi = int(min(np.floor((dv + reach - k0) / h) - b, count - 1.0))
            best = np.inf
            jb = 0
            for s in range(min(lo, near), max(hi, near) + 1):
                r = dv - (k0 + (b + s) * h)
                f = g * cost[i, j, s] + inv * r * r
                if f < best:
                    best = f
                    jb = s
            a_best = k0 + (b + jb) * h
            if 0 < jb < count - 1:
                # total(t) = g C(k + t h) + (r - t h)^2 / (2 theta), |t| <= 1/2: a quadratic in t.
                cm = g * cost[i, j, jb - 1]
                c0 = g * cost[i, j, jb]
                cp = g * cost[i, j, jb + 1]
                r = dv - a_best
                curvature = cp - 2.0 * c0 + cm + 2.0 * inv * h * h
                slope = 0.5 * (cp - cm) - 2.0 * inv * h * r
                if curvature > 0.0:
                    t = min(max(-slope / curvature, -0.5), 0.5)
                else:
                    t = -0.5 if slope > 0.0 else 0.5
                cand = a_best + t * h
                rc = dv - cand
                f = g * _parabola(cost, i, j, cand, k0, h, b) + inv * rc * rc
                if f < best:
                    best = f
                    a_best = cand
            ra = dv - a[i, j]
            kept = _parabola(cost, i, j, np.float64(a[i, j]), k0, h, b)
            if g * kept + inv * ra * ra <= best:
                out[i, j] = a[i, j]
                cost_at_a[i, j] = kept
            else:
                out[i, j] = a_best  # in a's dtype: C is evaluated at the stored value
                cost_at_a[i, j] = _parabola(cost, i, j, np.float64(out[i, j]), k0, h, b)
    return out, cost_at_a


@jit
def winner_take_all(cost, k0, h, base):
    """Per pixel, the sample of least cost (the ``a``-step for ``theta = inf``); arguments of `search`."""
    m, n, count = cost.shape
    out = np.empty((m, n), dtype=cost.dtype)
    for i in range(m):
        for j in range(n):
            best = np.inf
            jb = 0
            for s in range(count):
                if cost[i, j, s] < best:
                    best = cost[i, j, s]
                    jb = s
            out[i, j] = k0 + (base[i, j] + jb) * h
    return out


# ---------------------------------------------------------------------------
# Census cost
# ---------------------------------------------------------------------------


