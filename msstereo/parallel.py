"""The two views of the occlusion model, side by side on two threads.

``ms-occ`` and ``default`` estimate a left and a right disparity whose steps
within an outer iteration are independent (they meet only in the occlusion
step that follows). The kernels release the GIL (``nogil``) and so do
NumPy's array operations, so the two views run concurrently on two threads
with no change to the result.

Inside `using_threads` each view keeps one thread for the whole block. With
glibc every thread allocates from a heap (arena) of its own and a freed
array stays in the heap that made it: fresh threads per call would take the
free heaps in turn, so that every heap came to hold the temporaries of both
views, which on a large pair is a large share of resident memory.
"""

import contextlib
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["using_threads", "map_views"]

_THREADS = contextvars.ContextVar("msstereo_threads", default=None)

_WORKERS = contextvars.ContextVar("msstereo_workers", default=None)
"""The view threads of the innermost `using_threads` block: one single-thread pool per view."""


@contextlib.contextmanager
def using_threads(count):
    """Let `map_views` use at most ``count`` threads inside the block (None: the machine's cores).

    View ``k`` of every `map_views` call in the block runs on the block's thread ``k``.
    """
    workers = []
    tokens = _THREADS.set(count), _WORKERS.set(workers)
    try:
        yield
    finally:
        _WORKERS.reset(tokens[1])
        _THREADS.reset(tokens[0])
        for pool in workers:
            pool.shutdown()


def _thread_count(views):
    """Threads for ``views``: one per view, at most the allowed threads."""
    return min(len(views), _THREADS.get() or os.cpu_count() or 1)


def map_views(function, views):
    """``[function(view) for view in views]``, on one thread per view when threads allow."""
    views = list(views)
    count = _thread_count(views)
    if count < 2:
        return [function(view) for view in views]
    workers = _WORKERS.get()
    if workers is None:  # outside `using_threads`: threads for this call only
        with ThreadPoolExecutor(count, thread_name_prefix="msstereo-view") as pool:
            return list(pool.map(function, views))
    while len(workers) < count:
        workers.append(ThreadPoolExecutor(1, thread_name_prefix=f"msstereo-view{len(workers)}"))
    futures = [workers[k % count].submit(function, view) for k, view in enumerate(views)]
    return [future.result() for future in futures]
