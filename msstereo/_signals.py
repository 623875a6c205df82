"""Ctrl-C and SIGTERM: held back over work that must not be cut short, or turned into exceptions.

Imports no third-party module, so that the command line can use it before
anything heavy is loaded.

- `Terminated`: what SIGTERM (``kill``, ``timeout``) raises while
  `signals_raise` is in force: a `KeyboardInterrupt`, so that every
  clean-up that Ctrl-C runs (temporary files removed, output sets left
  untouched) runs for it too.
- `interrupts_deferred`: Ctrl-C and SIGTERM held back over a block (the
  publishing of an output set, the import of a compiled extension), then
  delivered.
- `exit_on_signal`: until the command line has set up its own handling,
  Ctrl-C or SIGTERM ends the process with one line and no traceback.
"""

import os
import signal
import threading
from contextlib import contextmanager

__all__ = ["Terminated", "signals_raise", "interrupts_deferred", "exit_on_signal", "signal_of",
           "EXIT_CODES", "SIGNALS"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals handled: Ctrl-C, and what ``kill`` and ``timeout`` send."""

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit code of the command line for each signal: 128 plus its number, as a shell reports it."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as a `KeyboardInterrupt` so that the same clean-up runs for both."""

    signum = signal.SIGTERM


def _main_thread():
    return threading.current_thread() is threading.main_thread()


def signal_of(error):
    """The signal behind ``error`` (a `KeyboardInterrupt`): SIGTERM for `Terminated`, else SIGINT."""
    return getattr(error, "signum", signal.SIGINT)


def _restore(signum, handler):
    """Put ``handler`` back for ``signum`` (one set outside Python, None here, as the default)."""
    signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _raise_for(signum, frame):
    """Signal handler: Ctrl-C as `KeyboardInterrupt`, SIGTERM as `Terminated`."""
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextmanager
def signals_raise():
    """Turn Ctrl-C and SIGTERM into exceptions (`KeyboardInterrupt`, `Terminated`) within the block.

    Without it SIGTERM ends Python at once, between any two steps, leaving
    temporary files and half-published output sets; with it, the clean-up
    of ``finally`` blocks and context managers runs. Only in the main
    thread, where Python delivers signals; the previous handlers are
    restored on leaving.
    """
    if not _main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_for) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            _restore(signum, handler)


@contextmanager
def interrupts_deferred():
    """Hold Ctrl-C (SIGINT) and SIGTERM back until the block ends, then deliver them.

    Only in the main thread, where Python delivers signals. Used where an
    interrupt would leave a half-done state: the publishing of an output set
    (`msstereo.io.OutputSet`), and the import of a compiled extension, which
    can turn Ctrl-C into an ImportError (NumPy's does) instead of a
    KeyboardInterrupt. A signal that arrived is sent again once the previous
    handlers are back, so it does what it would have done: a
    `KeyboardInterrupt` for Ctrl-C by default, `Terminated` under
    `signals_raise`, the end of the process for SIGTERM otherwise.
    """
    if not _main_thread():
        yield
        return
    caught = []
    previous = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum))
                for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            _restore(signum, handler)
    for signum in dict.fromkeys(caught):
        signal.raise_signal(signum)


def _exit_at_once(signum, frame):
    """Signal handler while the command's modules load: one line and the signal's exit code."""
    word = "terminated" if signum == signal.SIGTERM else "interrupted"
    os.write(2, f"msstereo: error: {word}\n".encode())
    os._exit(EXIT_CODES[signum])


def exit_on_signal():
    """Make Ctrl-C and SIGTERM end the process with one line, until the command line takes over.

    For the moments before `msstereo.cli.main` runs, while the command's
    own modules load: nothing has been written yet, so ending at once is
    safe, and Python would otherwise print a traceback of the import.
    Only in the main thread.
    """
    if _main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _exit_at_once)


