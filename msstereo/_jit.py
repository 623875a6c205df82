"""Numba settings, set in one place for every kernel.

``cache=True`` keeps compiled kernels on disk between runs (tests and CI start
cold only once); ``fastmath`` stays off so that energies and their gradients
agree with the NumPy references to round-off. ``error_model="numpy"`` lets a
division by zero give inf or nan, as in NumPy, instead of testing every
divisor and raising: the same numbers wherever nothing is divided by zero
(divisors are positive or tested in the kernels), and less code to compile,
about a tenth of a first run's compile time (`benchmarks/cold_start.py`).

Kernels are serial. Row-parallel versions (``parallel=True``) were measured on
two cores: no faster on a lone run (0.89 s against 0.87 s on Cones) and three
times slower when two processes shared the cores (OpenMP threads spin while
waiting), which is the common case in notebooks and benchmark sweeps. The
cores are used one level up instead: the kernels release the GIL, and the two
views of the occlusion models run on two threads (`msstereo.parallel`).
"""

import numba

jit = numba.njit(cache=True, nogil=True, error_model="numpy")
"""Kernel decorator."""
