"""The two views of the occlusion model, side by side on two threads.

``ms-occ`` and ``default`` estimate a left and a right disparity whose steps
within an outer iteration are independent (they meet only in the occlusion
step that follows). The kernels release the GIL (``nogil``) and so do
NumPy's array operations, so the two views run concurrently on two threads
with no change to the result. Row-parallel kernels (``numba.prange``) were
measured first and lost: on two cores their thread launches and code
generation made the SOR sweeps slower than serial (0.48 s on two threads
against 0.42 s serial for 30 Teddy-size calls).
"""

import contextlib
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["using_threads", "map_views"]

_THREADS = contextvars.ContextVar("msstereo_threads", default=None)


@contextlib.contextmanager
def using_threads(count):
    """Let `map_views` use at most ``count`` threads inside the block (None: the machine's cores)."""
    token = _THREADS.set(count)
    try:
        yield
    finally:
        _THREADS.reset(token)


def map_views(function, views):
    """``[function(view) for view in views]``, on one thread per view when threads allow."""
    views = list(views)
    workers = min(len(views), _THREADS.get() or os.cpu_count() or 1)
    if workers < 2:
        return [function(view) for view in views]
    with ThreadPoolExecutor(workers, thread_name_prefix="msstereo-view") as pool:
        return list(pool.map(function, views))
