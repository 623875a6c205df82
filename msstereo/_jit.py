"""Numba settings, set in one place for every kernel.

``cache=True`` keeps compiled kernels on disk between runs (tests and CI start
cold only once); ``fastmath`` stays off so that energies and their gradients
agree with the NumPy references to round-off. ``error_model="numpy"`` lets a
division by zero give inf or nan, as in NumPy, instead of testing every
divisor and raising: the same numbers wherever nothing is divided by zero
(divisors are positive or tested in the kernels), and less code to compile.

The cache lives in a per-user folder (`cache_dir`), never inside the
installed package: Numba's default, a ``__pycache__`` folder beside each
kernel module, puts files into ``site-packages/msstereo`` that no installer
recorded, so uninstalling leaves ``site-packages/msstereo/kernels/__pycache__``
behind, and Python then imports that leftover folder as an empty namespace
package ``msstereo`` in place of an editable install (``cannot import name
'__version__' from 'msstereo' (unknown location)``). The folder is set
before Numba is imported here and before any kernel is decorated, both in
``NUMBA_CACHE_DIR`` (which Numba reads again when it compiles, and which
worker processes inherit) and in Numba's configuration (for a Numba imported
earlier by the caller).

Kernels are serial: the cores are used one level up, where the kernels release
the GIL and the two views of the occlusion models run on two threads
(`msstereo.parallel`); OpenMP threads of row-parallel kernels spin while
waiting, which costs most when processes share the cores (measurements in
``docs/results.md``).
"""

import os
from pathlib import Path


def cache_dir():
    """The folder of the compiled kernels: ``NUMBA_CACHE_DIR`` if set, else a per-user folder.

    Returns
    -------
    pathlib.Path
        ``$NUMBA_CACHE_DIR`` when it is set and not empty; else
        ``$XDG_CACHE_HOME/msstereo/numba``, or ``~/.cache/msstereo/numba``
        without ``XDG_CACHE_HOME`` (``%LOCALAPPDATA%\\msstereo\\numba`` on
        Windows).
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    if not base:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no home folder: a per-user folder in the temporary one
            import tempfile
            base = Path(tempfile.gettempdir()) / f"cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return Path(base) / "msstereo" / "numba"


os.environ["NUMBA_CACHE_DIR"] = str(cache_dir())

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is set)

numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")

jit = numba.njit(**_OPTIONS)
"""Kernel decorator."""

inner = numba.njit(no_cpython_wrapper=True, no_cfunc_wrapper=True, **_OPTIONS)
"""Decorator of a kernel that only other kernels call.

Without the CPython wrapper, which boxes the arguments and results of each
compiled signature for calls from Python, a first run compiles less (no
call from Python ever uses it). Calling such a kernel from Python fails.
"""
