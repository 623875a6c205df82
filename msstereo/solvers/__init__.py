"""Per-level solvers: the paper's PDE scheme and the optimization view."""

from scipy.ndimage import median_filter


def median_step(d, size):
    """Median filter of a disparity between warps (Sun, Roth and Black, CVPR 2010).

    A heuristic outside the energy: it removes the isolated outliers of the
    warping scheme, which the energy does not penalize enough to avoid.
    """
    return median_filter(d, size=size, mode="nearest")
