"""Numba settings, set in one place for every kernel.

``cache=True`` keeps compiled kernels on disk between runs (tests and CI start
cold only once); ``fastmath`` stays off so that energies and their gradients
agree with the NumPy references to round-off.

Kernels are serial unless the environment variable ``MSSTEREO_PARALLEL=1`` is
set when msstereo is imported: on two cores the row-parallel kernels gained
about 25% on a lone run but ran three times slower when two processes shared
the cores (OpenMP threads spin while waiting), the common case in notebooks
and benchmark sweeps.
"""

import os

import numba

PARALLEL = os.environ.get("MSSTEREO_PARALLEL", "0") == "1"

jit = numba.njit(cache=True, nogil=True)
"""Serial kernel decorator."""

pjit = numba.njit(cache=True, nogil=True, parallel=PARALLEL)
"""Row-parallel kernel decorator (when enabled): every ``prange`` iteration writes its own rows."""

prange = numba.prange
