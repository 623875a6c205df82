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
    assert "msstereo:" in text and "100%" in text and PREPARING in text
    assert text.rstrip().endswith(result.levels[0].line(1))  # it ends on the level's line
    # Between redraws the bar follows every iteration of the level.
    assert [n for n, _ in shown] == pytest.approx(list(range(10, 110, 10)))
    assert [postfix.split(",")[0] for _, postfix in shown] == [f"level 1/1 24x32: iteration {i}/10"
                                                               for i in range(1, 11)]


PREPARING = "level 1/1 24x32: preparing the images and the energy's terms, sampling the cost volume"


def test_plain_lines_when_stderr_is_not_a_terminal(capsys):
    result = relax_tv(True)
    err = [line for line in capsys.readouterr().err.splitlines() if line != "compiling kernels, first run only"]
    assert err[0] == f"{PREPARING}, then up to 10 iterations"
    assert err[-1] == result.levels[0].line(1)
    assert [line.split(",")[0] for line in err[1:-1]] == [f"level 1/1 24x32: iteration {i}/10" for i in range(1, 10)]


def test_lines_every_tenth_of_the_finest_level_to_a_callable():
    lines = []
    result = relax_tv(lines.append, iterations=40)
    iterations = [line.split(",")[0].rsplit(" ", 1)[1] for line in lines[1:-1]]
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


def test_the_first_line_says_what_the_level_prepares_before_its_iterations(monkeypatch):
    lines = []
    result = relax_tv(lines.append)
    assert lines[0] == f"{PREPARING}, then up to 10 iterations"
    # The same numbers as a match without progress: the lines only read the logs.
    quiet = relax_tv(False)
    np.testing.assert_array_equal(result.disparity, quiet.disparity)
    assert result.levels[0].energy == quiet.levels[0].energy
    # A pyramid: the first level and the finest one say it, the others (a fraction of a second) do not.
    scene = synthetic_scene("plane", shape=(40, 48))
    lines = []
    result = msstereo.match(scene.left, scene.right, model="tv", solver="pde", d_max=6, factor=0.6, min_size=12,
                            progress=lines.append)
    preparing = [line for line in lines if "preparing" in line]
    assert preparing == [f"level {k}/3 {m}x{n}: preparing the images and the energy's terms, then up to 50 iterations"
                         for k, (m, n) in ((1, (14, 17)), (3, (40, 48)))]
    assert lines.index(preparing[1]) == lines.index(result.levels[1].line(3)) + 1  # as the finest level starts

    # The bar says it at every level.
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    msstereo.match(scene.left, scene.right, model="tv", solver="pde", d_max=6, factor=0.6, min_size=12, progress=True)
    assert all(f"level {k}/3 {m}x{n}: preparing" in terminal.getvalue()
               for k, (m, n) in ((1, (14, 17)), (2, (24, 29)), (3, (40, 48))))


def test_relax_lines_label_the_relaxed_energy():
    lines = []
    result = relax_tv(lines.append)
    energies = [line.split(", ")[1] for line in lines if ": iteration " in line]
    assert energies and all(e.startswith("E_theta ") for e in energies)
    assert ", E_theta " in result.levels[0].line(1) and ", E_theta " in result.summary()
    scene = synthetic_scene("plane", shape=(24, 32), background=2.0)
    lines = []
    pde = msstereo.match(scene.left, scene.right, model="tv", solver=msstereo.PDE(tol=0.0, warps=10), d_max=6,
                         progress=lines.append)
    energies = [line.split(", ")[1] for line in lines if ": iteration " in line]
    assert energies and all(e.startswith("E ") for e in energies)
    assert ", E " in pde.levels[-1].line(1) and "E_theta" not in pde.summary()
