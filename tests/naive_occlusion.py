"""Naive NumPy references for the occlusion kernels: short, obvious, slow.

Inputs are cast to float64 and results returned in float64.
"""

import numpy as np

import naive


def consistency_residual(d_ref, d_other, sign, order):
    d_ref = np.asarray(d_ref, float)
    values, _, outside = naive.warp(np.asarray(d_other, float)[None], d_ref, sign, order)
    return d_ref - values[0], outside


def occlusion_error(u, outside, eps_occl):
    e = -np.log(eps_occl + (1 - eps_occl) * np.exp(-np.abs(np.asarray(u, float))))
    return np.where(outside, -np.log(eps_occl), e)


def gaussian_blur(image, sigma):
    image = np.asarray(image, float)
    if sigma == 0:
        return image.copy()
    r = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * np.arange(-r, r + 1) ** 2 / sigma**2)
    k /= k.sum()
    # Separable: columns (axis 0) first, then rows, with edge replication.
    p = np.pad(image, ((r, r), (0, 0)), mode="edge")
    cols = sum(k[q] * p[q:q + image.shape[0]] for q in range(2 * r + 1))
    p = np.pad(cols, ((0, 0), (r, r)), mode="edge")
    return sum(k[q] * p[:, q:q + image.shape[1]] for q in range(2 * r + 1))


def heaviside(phi, eps_h):
    return 0.5 * (1 + 2 / np.pi * np.arctan(np.asarray(phi, float) / eps_h))


def dirac(phi, eps_h):
    return eps_h / (np.pi * (eps_h**2 + np.asarray(phi, float) ** 2))


def occlusion_energy(e_blur, phi, t, nu, eps_h, eta):
    h = heaviside(phi, eps_h)
    hx, hy = naive.gradient(h)
    e_blur = np.asarray(e_blur, float)
    return float(np.sum(e_blur * h + t * (1 - h) + nu * np.sqrt(hx**2 + hy**2 + eta**2)))


def occlusion_energy_gradient(e_blur, phi, t, nu, eps_h, eta):
    h = heaviside(phi, eps_h)
    hx, hy = naive.gradient(h)
    norm = np.sqrt(hx**2 + hy**2 + eta**2)
    curvature = naive.divergence(hx / norm, hy / norm)
    return dirac(phi, eps_h) * (np.asarray(e_blur, float) - t - nu * curvature)


def background_fill(d, occluded):
    out = np.array(d, float)
    for i, j in zip(*np.nonzero(occluded)):
        visible = np.nonzero(~occluded[i])[0]
        left = visible[visible < j]
        right = visible[visible > j]
        candidates = ([d[i, left[-1]]] if left.size else []) + ([d[i, right[0]]] if right.size else [])
        if candidates:
            out[i, j] = min(candidates)
    return out
