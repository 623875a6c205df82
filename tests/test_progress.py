"""Progress of a match: a bar on a terminal, plain lines otherwise; BLAS threads of the optimizer."""

import io
import sys

import numpy as np
import pytest

import msstereo
from msstereo.synthetic import synthetic_scene


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def relax_tv(progress, iterations=10):
    scene = synthetic_scene("plane", shape=(24, 32), background=2.0)
    return msstereo.match(scene.left, scene.right, model="tv", solver=msstereo.Relax(iterations=iterations),
                          d_max=6, progress=progress)


def test_a_bar_on_a_terminal(monkeypatch):
    from msstereo.progress import Bar
    terminal, shown = Terminal(), []
    real = Bar.iteration

    def iteration(self, log):
        real(self, log)
        shown.append((self.bar.n, self.bar.postfix))
    monkeypatch.setattr(Bar, "iteration", iteration)
    monkeypatch.setattr(sys, "stderr", terminal)
    result = relax_tv(True)
    text = terminal.getvalue()
    assert "msstereo:" in text and "100%" in text
    assert text.rstrip().endswith(result.levels[0].line(1))  # it ends on the level's line
    # Between redraws the bar follows every iteration of the level.
    assert [n for n, _ in shown] == pytest.approx(list(range(10, 110, 10)))
    assert [postfix.split(",")[0] for _, postfix in shown] == [f"level 1/1 24x32: iteration {i}/10"
                                                               for i in range(1, 11)]


def test_plain_lines_when_stderr_is_not_a_terminal(capsys):
    result = relax_tv(True)
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == result.levels[0].line(1)
    assert [line.split(",")[0] for line in err[:-1]] == [f"level 1/1 24x32: iteration {i}/10" for i in range(1, 10)]


def test_lines_every_tenth_of_the_finest_level_to_a_callable():
    lines = []
    result = relax_tv(lines.append, iterations=40)
    iterations = [line.split(",")[0].rsplit(" ", 1)[1] for line in lines[:-1]]
    assert iterations == [f"{i}/40" for i in range(4, 40, 4)]
    assert lines[-1] == result.levels[0].line(1)


def test_no_output_without_progress(capsys):
    relax_tv(False)
    assert capsys.readouterr() == ("", "")


def test_optimize_runs_l_bfgs_b_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    from msstereo.solvers import optimize
    real, threads = optimize.minimize, []

    def spy(*args, **kwargs):
        threads.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return real(*args, **kwargs)
    monkeypatch.setattr(optimize, "minimize", spy)
    scene = synthetic_scene("plane", shape=(24, 32))
    with threadpool_limits(limits=2, user_api="blas"):  # what a two-core machine runs by default
        msstereo.match(scene.left, scene.right, model="tv", solver=msstereo.Optimize(warps=2, iterations=3),
                       d_max=6)
        assert all(pool["num_threads"] == 2 for pool in threadpool_info() if pool["user_api"] == "blas")
    if not threads:
        pytest.skip("no BLAS thread pool found in this process")
    assert set(threads) == {1}
