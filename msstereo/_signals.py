"""Ctrl-C held back over work that must not be cut short (imports no third-party module)."""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def interrupts_deferred():
    """Hold Ctrl-C (SIGINT) back until the block ends, then raise it.

    Only in the main thread, where Python delivers signals. Used where an
    interrupt would leave a half-done state: the publishing of an output set
    (`msstereo.io.OutputSet`), and the import of a compiled extension, which
    can turn Ctrl-C into an ImportError (NumPy's does) instead of a
    KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
