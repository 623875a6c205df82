"""Progress of a match: a bar on a terminal, plain lines in logs, and the first-run compile note.

`msstereo.match` reports through one of two reporters, chosen from its
``progress`` argument by `reporter`:

- `Bar`: a tqdm progress bar on stderr when stderr is a terminal. The work
  of a run is its outer iterations (relaxation iterations, warps or
  L-BFGS-B rounds), each level weighted by its pixels, so that the bar
  moves through the finest level as well as across the levels;
- `Lines`: plain lines (to stderr, or to a callable): one per level, and
  on the finest level, where most of the time goes, one every tenth of its
  iteration cap.

Both say what a level prepares before its first iteration (its images and
energy terms, and for ``relax`` the cost volume, seconds on a large pair)
as soon as it starts: the bar at every level, the lines at the first level
and at the finest one, so that a run says what it does from its start. Both
count levels from 1, as `msstereo.StereoResult.summary` does, and label the
energy as the level's log does (`msstereo.result.LevelLog.line`): ``E``, the
model's energy, or ``E_theta``, the relaxed energy of ``relax``, which rises
while ``theta`` shrinks.
"""

import functools
import sys
from contextlib import contextmanager

__all__ = ["reporter", "reporting", "compile_notice", "Bar", "Lines", "COMPILE_NOTE"]

COMPILE_NOTE = "compiling kernels, first run only"
"""Said once per process when Numba compiles a kernel that is not in its on-disk cache."""

LINES_PER_LEVEL = 10
"""Plain lines on the finest level: one every tenth of its iteration cap."""

_compile_noted = False


def reporter(progress, shapes, cap, preparing):
    """The reporter that ``progress`` of `msstereo.match` asks for, or None.

    Parameters
    ----------
    progress : bool or callable
        False: none; a callable: `Lines` passed to it; True: a `Bar` when
        stderr is a terminal, else `Lines` on stderr.
    shapes : list of (int, int)
        Shapes of the pyramid levels, coarsest first.
    cap : int
        Most outer iterations per level (the solver's ``outer_iterations``).
    preparing : str
        What a level computes before its first iteration (the solver's
        ``preparing``), said as it starts.

    Raises
    ------
    ValueError
        If ``progress`` is none of these (a string such as ``"yes"`` is
        not taken for True).
    """
    import numpy as np  # loaded already by the match that calls this

    if not (isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise ValueError(f"progress must be True, False or a callable taking a line, got {progress!r}")
    if not progress:
        return None
    if callable(progress):
        return Lines(progress, shapes, cap, preparing)
    if _is_terminal(sys.stderr):
        return Bar(shapes, cap, preparing)
    return Lines(lambda line: print(line, file=sys.stderr, flush=True), shapes, cap, preparing)


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class _Reporter:
    """What both reporters share: level weights and the hook into each level's log."""

    def __init__(self, shapes, cap, preparing):
        pixels = [m * n for m, n in shapes]
        self.weights = [p / sum(pixels) for p in pixels]
        self.count, self.cap, self.preparing = len(shapes), cap, preparing
        self.done = 0.0  # share of the work in finished levels

    def start_level(self, log):
        """Follow the entries of ``log`` (a `LevelLog`) while its level runs; say what it prepares."""
        log._listener = self._record
        self.level_started(log)

    def _level(self, log):
        """``level 2/3 40x48``."""
        return f"level {log.level + 1}/{self.count} {log.shape[0]}x{log.shape[1]}"

    def preparation(self, log):
        """``level 1/1 500x741: preparing the images and ..., then up to 60 iterations``."""
        return f"{self._level(log)}: preparing {self.preparing}, then up to {self.cap} iterations"

    def end_level(self, log):
        """The level of ``log`` is done (its ``seconds`` set)."""
        log._listener = None
        self.done += self.weights[log.level]
        self.level_done(log)

    def _record(self, log):
        if log.steps[-1] == "warp":  # one per outer iteration, whatever the solver
            self.iteration(log)

    def fraction(self, log):
        """Share of the run's work done once ``log``'s level has its current iterations."""
        return self.done + self.weights[log.level] * min(log.iterations / self.cap, 1.0)

    def where(self, log):
        """``level 2/3 40x48: iteration 7/50, E 123.4`` (``E_theta`` for ``relax``, as `LevelLog.line`)."""
        return (f"{self._level(log)}: iteration {log.iterations}/{self.cap}, "
                f"{log.energy_name} {log.energy[-1]:.6g}")

    def close(self):
        """End the report."""


class Lines(_Reporter):
    """Plain progress lines, passed to ``say``: for logs and for callers that collect them."""

    def __init__(self, say, shapes, cap, preparing):
        super().__init__(shapes, cap, preparing)
        self.say = say
        self.every = max(1, cap // LINES_PER_LEVEL)

    def level_started(self, log):
        # The first level and the finest one: the others of a pyramid take a fraction of a second.
        if log.level in (0, self.count - 1):
            self.say(self.preparation(log))

    def iteration(self, log):
        finest = log.level == self.count - 1
        if finest and log.iterations % self.every == 0 and log.iterations < self.cap:
            self.say(f"{self.where(log)}, {log.times[-1]:.2f} s")

    def level_done(self, log):
        self.say(log.line(self.count))

    def note(self, line):
        """A line of its own (the compile note)."""
        self.say(line)


class Bar(_Reporter):
    """A tqdm bar on stderr over the work of the run, in percent, with the level and iteration."""

    def __init__(self, shapes, cap, preparing):
        from tqdm import tqdm

        super().__init__(shapes, cap, preparing)
        self.tqdm = tqdm
        self.bar = tqdm(total=100, desc="msstereo", file=sys.stderr, mininterval=0.2,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}")

    def level_started(self, log):
        self.bar.set_postfix_str(self.preparation(log), refresh=True)

    def _to(self, fraction, postfix):
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(max(0.0, 100.0 * fraction - self.bar.n))

    def iteration(self, log):
        self._to(self.fraction(log), self.where(log))

    def level_done(self, log):
        self._to(self.done, log.line(self.count))

    def note(self, line):
        """A line above the bar."""
        self.tqdm.write(line, file=sys.stderr)

    def close(self):
        self.bar.close()


@contextmanager
def compile_notice(say):
    """Call ``say(COMPILE_NOTE)`` when Numba starts compiling an msstereo kernel, once per process.

    Numba fires its ``numba:compile`` event only when a kernel is not found
    in its on-disk cache (a cache hit loads it without the event), so the
    note appears on a fresh install, after an upgrade, or with a new
    ``NUMBA_CACHE_DIR``, and never on a warm cache.
    """
    from numba.core import event

    with event.install_listener("numba:compile", _compile_listener()(say)):
        yield


@functools.cache
def _compile_listener():
    """The listener class (made on first use, so that importing this module imports no Numba)."""
    from numba.core import event

    class CompileListener(event.Listener):
        def __init__(self, say):
            self.say = say

        def on_start(self, event):
            global _compile_noted
            module = getattr(event.data["dispatcher"].py_func, "__module__", "") or ""
            if not _compile_noted and module.startswith("msstereo."):
                _compile_noted = True
                self.say(COMPILE_NOTE)

        def on_end(self, event):
            pass

    return CompileListener


@contextmanager
def reporting(report):
    """Run the work of a match under ``report`` (None: silently): the compile note, then close it."""
    if report is None:
        yield
        return
    try:
        with compile_notice(report.note):
            yield
    finally:
        report.close()
