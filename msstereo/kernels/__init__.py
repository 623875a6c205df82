"""Numba kernels on the pixel grid (private: called by the solvers)."""
