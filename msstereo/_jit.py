"""Numba settings, set in one place for every kernel.

``cache=True`` keeps compiled kernels on disk between runs (tests and CI start
cold only once); ``fastmath`` stays off so that energies and their gradients
agree with the NumPy references to round-off.
"""

import numba

jit = numba.njit(cache=True, nogil=True)
"""Serial kernel decorator."""

pjit = numba.njit(cache=True, nogil=True, parallel=True)
"""Row-parallel kernel decorator: every ``prange`` iteration writes its own rows."""

prange = numba.prange
