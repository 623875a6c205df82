"""Naive NumPy references for the Numba kernels: short, obvious, slow.

Also the cost volumes that the tests of the search kernels and of the
relaxation solver share.
"""

import numpy as np
import scipy.sparse as sp

from msstereo.solvers.relax import grid_index_dtype


def gradient(u):
    ux = np.zeros_like(u)
    uy = np.zeros_like(u)
    ux[:, :-1] = np.diff(u, axis=1)
    uy[:-1, :] = np.diff(u, axis=0)
    return ux, uy


def divergence(px, py):
    # -grad^T p, written as the transpose of the forward-difference matrix.
    m, n = px.shape
    dx = sp.diags([-np.ones(n), np.ones(n - 1)], [0, 1], shape=(n, n)).tolil()
    dx[n - 1, n - 1] = 0
    dy = sp.diags([-np.ones(m), np.ones(m - 1)], [0, 1], shape=(m, m)).tolil()
    dy[m - 1, m - 1] = 0
    return -(px @ dx.toarray()) - (dy.toarray().T @ py)


def central_gradient(u):
    p = np.pad(u, 1, mode="edge")
    return 0.5 * (p[1:-1, 2:] - p[1:-1, :-2]), 0.5 * (p[2:, 1:-1] - p[:-2, 1:-1])


def keys(s):
    """Keys' cubic convolution kernel (a = -1/2) and its derivative at offset s."""
    a = np.abs(s)
    if a <= 1:
        w, dw = 1.5 * a**3 - 2.5 * a**2 + 1, 4.5 * a**2 - 5 * a
    elif a < 2:
        w, dw = -0.5 * a**3 + 2.5 * a**2 - 4 * a + 2, -1.5 * a**2 + 5 * a - 4
    else:
        w, dw = 0.0, 0.0
    return w, dw * np.sign(s)


def warp(features, d, sign, order):
    k_count, m, n = features.shape
    values = np.zeros_like(features)
    slopes = np.zeros_like(features)
    outside = np.zeros((m, n), bool)
    for i in range(m):
        for j in range(n):
            xs = j + sign * d[i, j]
            outside[i, j] = xs < 0 or xs > n - 1
            xc = min(max(xs, 0.0), n - 1.0)
            for k in range(k_count):
                row = features[k, i]
                if order == 1:
                    values[k, i, j] = np.interp(xc, np.arange(n), row)
                    x0 = min(int(np.floor(xc)), n - 2)
                    slopes[k, i, j] = 0.0 if outside[i, j] else row[x0 + 1] - row[x0]
                else:
                    x0 = min(int(np.floor(xc)), n - 2)
                    v = g = 0.0
                    for q in range(x0 - 1, x0 + 3):
                        w, dw = keys(xc - q)
                        v += w * row[min(max(q, 0), n - 1)]
                        g += dw * row[min(max(q, 0), n - 1)]
                    values[k, i, j] = v
                    slopes[k, i, j] = 0.0 if outside[i, j] else g
    return values, slopes, outside


def data_term(fl, values, slopes, weights, sign, eta):
    r = values - fl
    s2 = np.einsum("k,kij->ij", weights, r * r)
    e = np.sqrt(s2 + eta**2)
    de = np.einsum("k,kij->ij", weights, r * sign * slopes) / e
    return e, de


def smoothness(d, weight, beta, eta, robust):
    ux, uy = gradient(d)
    s2 = ux**2 + uy**2
    return beta * weight * (np.sqrt(s2 + eta**2) if robust else s2)


def diffusivity(d, weight, beta, eta, robust):
    ux, uy = gradient(d)
    s2 = ux**2 + uy**2
    return beta * weight * (0.5 / np.sqrt(s2 + eta**2) if robust else np.ones_like(s2))


def lagged_system(d0, a, b, g):
    """Sparse matrix and right-hand side of ``a dd + b - div(g grad(d0 + dd)) = 0``."""
    m, n = d0.shape
    idx = np.arange(m * n).reshape(m, n)
    rows, cols, vals = [], [], []
    for (i0, j0), (i1, j1) in [((slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                               ((slice(0, -1), slice(None)), (slice(1, None), slice(None)))]:
        p, q, w = idx[i0, j0].ravel(), idx[i1, j1].ravel(), g[i0, j0].ravel()
        rows += [p, q, p, q]
        cols += [p, q, q, p]
        vals += [w, w, -w, -w]
    laplacian = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(m * n, m * n))
    matrix = sp.diags(a.ravel()) + laplacian
    rhs = -b.ravel() - laplacian @ d0.ravel()
    return matrix, rhs


def red_black_sor(dd, d0, a, b, g, sweeps, omega):
    """Red-black SOR on ``a dd + b - div(g grad(d0 + dd)) = 0`` in plain Python, pixel by pixel.

    All red pixels (``i + j`` even) of a sweep, then all black ones; each
    update sums right, left, below, above in that order in the arrays'
    dtype (``omega`` in float64), so a compiled kernel doing the same
    arithmetic must agree bit for bit.
    """
    dd = dd.copy()
    m, n = dd.shape
    omega = np.float64(omega)
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    num, den = -b[i, j], a[i, j]
                    for ni, nj, w in ((i, j + 1, g[i, j]), (i, j - 1, g[i, j - 1] if j else 0),
                                      (i + 1, j, g[i, j]), (i - 1, j, g[i - 1, j] if i else 0)):
                        if 0 <= ni < m and 0 <= nj < n:
                            num = num + w * (d0[ni, nj] + dd[ni, nj] - d0[i, j])
                            den = den + w
                    if den > 0:
                        dd[i, j] = dd[i, j] + omega * (num / den - dd[i, j])
    return dd


def projected_red_black_sor(v, a, kappa, e, sweeps, omega):
    """Projected red-black SOR on ``(a + kappa) v - e lap(v) = kappa`` in plain Python.

    The sweep order and sums of `red_black_sor` (right, left, below, above),
    each update clipped to [0, 1]; ``kappa``, ``e`` and ``omega`` are float64.
    """
    v = v.copy()
    m, n = v.shape
    kappa, e, omega = np.float64(kappa), np.float64(e), np.float64(omega)
    for _ in range(sweeps):
        for colour in range(2):
            for i in range(m):
                for j in range((i + colour) % 2, n, 2):
                    num, den = kappa, a[i, j] + kappa
                    for ni, nj in ((i, j + 1), (i, j - 1), (i + 1, j), (i - 1, j)):
                        if 0 <= ni < m and 0 <= nj < n:
                            num = num + e * v[ni, nj]
                            den = den + e
                    value = v[i, j] + omega * (num / den - v[i, j])
                    v[i, j] = min(max(value, 0.0), 1.0)
    return v


def discontinuity_energy(v, a, kappa, e):
    vx, vy = gradient(v)
    return np.sum(a * v**2 + kappa * (v - 1) ** 2 + e * (vx**2 + vy**2))


def discontinuity_system(a, kappa, e):
    """Sparse ``(a + kappa) - e lap`` and right-hand side ``kappa`` of the v equation."""
    m, n = a.shape
    matrix, _ = lagged_system(np.zeros((m, n)), a + kappa, np.zeros((m, n)), np.full((m, n), e))
    return matrix, np.full(m * n, kappa)


def color_gradient_norm(image):
    total = 0
    for c in range(image.shape[2]):
        ix, iy = central_gradient(image[:, :, c])
        total = total + ix**2 + iy**2
    return np.sqrt(total)


# ---------------------------------------------------------------------------
# Cost volumes of the tests of the search kernels and of the relaxation solver
# ---------------------------------------------------------------------------

def full(cost):
    """The base of a volume over the whole range: every pixel's first sample is the grid's (the solver's index type)."""
    return np.zeros(cost.shape[:2], grid_index_dtype(cost.shape[2]))


def banded(cost, base, count):
    """The ``count`` samples of a whole-range volume from each pixel's ``base``."""
    return np.take_along_axis(cost, base[..., None] + np.arange(count), axis=2)


def wavy_cost(rng, m, n, count, depth=1.5):
    """Sums of cosines with several local minima per pixel, and a deep one at a random sample."""
    s = np.arange(count)
    cost = (1.0 + 0.4 * np.cos(2 * np.pi * s / rng.uniform(3, 9, (m, n, 1)) + rng.uniform(0, 6.3, (m, n, 1)))
            + 0.3 * np.cos(2 * np.pi * s / rng.uniform(2, 5, (m, n, 1)) + rng.uniform(0, 6.3, (m, n, 1))))
    star = rng.integers(0, count, (m, n))
    star[0, :2] = [0, count - 1]  # the minimum at either end of the range, too
    cost[np.arange(m)[:, None], np.arange(n)[None, :], star] -= depth
    return cost, star


# ---------------------------------------------------------------------------
# Relaxation solver: census cost, sampled-cost interpolation, guided filter
# ---------------------------------------------------------------------------

def census_transform(gray, radius):
    """Signature bits in row-major window order (centre skipped), first one most significant."""
    m, n = gray.shape
    out = np.zeros((m, n), dtype=np.uint64)
    for i in range(m):
        for j in range(n):
            bits = []
            for di in range(-radius, radius + 1):
                for dj in range(-radius, radius + 1):
                    if di == 0 and dj == 0:
                        continue
                    ii = min(max(i + di, 0), m - 1)
                    jj = min(max(j + dj, 0), n - 1)
                    bits.append(int(gray[ii, jj] < gray[i, j]))
            out[i, j] = np.uint64(int("".join(map(str, bits)), 2))
    return out


def popcount(x):
    return bin(int(x)).count("1")


def add_census_cost(cost, census_ref, census_other, which, shifts, sign, scale, base=None):
    """Sample s of pixel (i, j) is the grid's sample base[i, j] + s (base None: 0)."""
    out = cost.astype(np.float64)
    m, n, count = cost.shape
    for i in range(m):
        for j in range(n):
            b = 0 if base is None else int(base[i, j])
            for s in range(count):
                jj = min(max(j + sign * int(shifts[b + s]), 0), n - 1)
                out[i, j, s] += scale * popcount(int(census_ref[i, j]) ^ int(census_other[which[b + s], i, jj]))
    return out


def interpolated_cost(cost, a, k0, h):
    """The parabola through the sample nearest ``a`` (clamped to have two neighbours), by polyfit."""
    m, n, count = cost.shape
    out = np.empty(a.shape)
    for i in range(m):
        for j in range(n):
            c = int(np.floor((a[i, j] - k0) / h + 0.5))
            c = min(max(c, 1), count - 2)
            xs = k0 + h * np.arange(c - 1, c + 2)
            coef = np.polyfit(xs, cost[i, j, c - 1:c + 2].astype(np.float64), 2)
            out[i, j] = np.polyval(coef, a[i, j])
    return out


def guided_filter(guide, volume, radius, eps):
    """He et al.'s guided filter, per pixel: windows of edge-replicated padding ('nearest')."""
    guide = np.asarray(guide, np.float64)
    m, n, channels = guide.shape
    r = radius

    def window(array, i, j):
        # The (2r+1)^2 pixels around (i, j) of the edge-padded array.
        pad = np.pad(array, [(r, r), (r, r)] + [(0, 0)] * (array.ndim - 2), mode="edge")
        return pad[i:i + 2 * r + 1, j:j + 2 * r + 1].reshape((2 * r + 1) ** 2, *array.shape[2:])

    out = np.empty(volume.shape)
    for k in range(volume.shape[2]):
        p = volume[:, :, k].astype(np.float64)
        a = np.empty((m, n, channels))
        b = np.empty((m, n))
        for i in range(m):
            for j in range(n):
                colours = window(guide, i, j)          # (w, C)
                values = window(p, i, j)               # (w,)
                mu = colours.mean(axis=0)
                sigma = colours.T @ colours / len(colours) - np.outer(mu, mu)
                cov = colours.T @ values / len(values) - mu * values.mean()
                a[i, j] = np.linalg.solve(sigma + eps * np.eye(channels), cov)
                b[i, j] = values.mean() - a[i, j] @ mu
        for i in range(m):
            for j in range(n):
                out[i, j, k] = window(a, i, j).mean(axis=0) @ guide[i, j] + window(b, i, j).mean()
    return out


def cross_scale(guide, volume, radius, eps, scales, decay):
    """Guided filter at scales 2^s: block means (edge-padded), bilinear back at pixel centres."""
    m, n = volume.shape[:2]
    out = guided_filter(guide, volume, radius, eps)
    total = 1.0
    for s in range(1, scales + 1):
        f = 2 ** s
        rows, cols = -(-m // f), -(-n // f)
        pooled = []
        for array in (np.asarray(guide, np.float64), np.asarray(volume, np.float64)):
            small = np.empty((rows, cols) + array.shape[2:])
            for i in range(rows):
                for j in range(cols):
                    ii = np.minimum(np.arange(i * f, i * f + f), m - 1)
                    jj = np.minimum(np.arange(j * f, j * f + f), n - 1)
                    small[i, j] = array[np.ix_(ii, jj)].mean(axis=(0, 1))
            pooled.append(small)
        coarse = guided_filter(pooled[0], pooled[1], radius, eps)
        # Fine pixel centre i + 1/2 sits at coarse coordinate (i + 1/2) / f - 1/2.
        for i in range(m):
            y = min(max((i + 0.5) / f - 0.5, 0.0), rows - 1)
            y0 = int(np.floor(y))
            y1, fy = min(y0 + 1, rows - 1), y - y0
            for j in range(n):
                x = min(max((j + 0.5) / f - 0.5, 0.0), cols - 1)
                x0 = int(np.floor(x))
                x1, fx = min(x0 + 1, cols - 1), x - x0
                out[i, j] += decay ** s * ((1 - fy) * ((1 - fx) * coarse[y0, x0] + fx * coarse[y0, x1])
                                           + fy * ((1 - fx) * coarse[y1, x0] + fx * coarse[y1, x1]))
        total += decay ** s
    return out / total


def weighted_median(d, image, mask, radius, sigma_color, sigma_space, support=None):
    # Per pixel: window values in increasing order, the first whose cumulative weight reaches half.
    support = np.ones(d.shape) if support is None else support
    m, n = d.shape
    out = d.copy()
    for i, j in zip(*np.nonzero(mask)):
        a0, a1 = max(i - radius, 0), min(i + radius + 1, m)
        b0, b1 = max(j - radius, 0), min(j + radius + 1, n)
        ys, xs = np.mgrid[a0:a1, b0:b1]
        # The guide in 8-bit levels: a Gaussian of each channel's difference, times one of distance.
        w = np.exp(-((ys - i) ** 2 + (xs - j) ** 2) / (2 * sigma_space**2))
        for c in range(image.shape[2]):
            step = (image[a0:a1, b0:b1, c].astype(int) - int(image[i, j, c])) / 255
            w = w * np.exp(-step**2 / (2 * sigma_color**2))
        w = w * support[a0:a1, b0:b1]
        values = d[a0:a1, b0:b1].ravel()
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(w.ravel()[order])
        out[i, j] = values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]
    return out


def calibration_error(confidence, right, bins):
    # Pixel by pixel into its bin (the last bin holds 1), then the weighted gaps.
    counts, conf_sum, right_sum = [0] * bins, [0.0] * bins, [0.0] * bins
    for c, r in zip(confidence.ravel(), right.ravel()):
        b = next(k for k in range(bins) if c < (k + 1) / bins or k == bins - 1)
        counts[b] += 1
        conf_sum[b] += c
        right_sum[b] += r
    return sum(abs(right_sum[b] - conf_sum[b]) for b in range(bins) if counts[b]) / sum(counts)


def sparsification_curve(confidence, right, fractions):
    # Every order of the pixels that ranks them by decreasing confidence, averaged (tiny inputs only).
    import itertools
    confidence, bad = confidence.ravel(), ~right.ravel()
    orders = [p for p in itertools.permutations(range(confidence.size))
              if all(confidence[p[i]] >= confidence[p[i + 1]] for i in range(len(p) - 1))]
    n = confidence.size
    return [100.0 * np.mean([bad[list(p[:max(1, round(f * n))])].mean() for p in orders]) for f in fractions]
