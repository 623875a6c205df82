"""Cold start: ``--help`` and ``--version`` import nothing heavy, Ctrl-C while modules load, the compile note.

Each test runs a fresh interpreter, as a user's first command does.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from msstereo._jit import cache_dir
from msstereo.cli import main
from msstereo.io import write_png
from msstereo.progress import COMPILE_NOTE
from msstereo.synthetic import synthetic_scene

HEAVY = ("numpy", "numba", "scipy", "skimage", "PIL")


def python(code, **kwargs):
    """Run ``code`` in a fresh interpreter; the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, **kwargs)


def test_help_and_version_import_no_heavy_module():
    code = f"""
import sys
from msstereo.cli import main
for argv in (["--version"], ["--help"], ["match", "--help"], ["eval", "--help"]):
    try:
        main(argv)
    except SystemExit:
        pass
print("heavy:", sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r})))
"""
    run = python(code)
    assert run.returncode == 0, run.stderr
    assert "msstereo 0.1.0" in run.stdout and "SCENE_DIR" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "heavy: []"


def test_the_package_imports_lazily_and_match_stays_the_function():
    run = python(f"""
import sys, msstereo
assert not set({HEAVY!r}) & {{name.split(".")[0] for name in sys.modules}}
import msstereo.match
from msstereo.match import SOLVERS
assert callable(msstereo.match) and msstereo.match is msstereo.match.__globals__["match"]
assert msstereo.Relax is SOLVERS["relax"] and "PDE" in dir(msstereo)
print("ok")
""")
    assert run.stdout.strip() == "ok", run.stderr


def _pair(folder, shape=(24, 32)):
    scene = synthetic_scene("plane", shape=shape, background=2.0)
    paths = []
    for name, image in (("l.png", scene.left), ("r.png", scene.right)):
        write_png(folder / name, np.round(image * 255).astype(np.uint8))
        paths.append(str(folder / name))
    return paths


def _mapped(pid, library):
    """Whether process ``pid`` has loaded a shared library whose path holds ``library``."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see the child's imports")
def test_ctrl_c_while_modules_import_prints_one_line_and_exits_130(tmp_path):
    left, right = _pair(tmp_path)
    # The child gets the default SIGINT disposition even where the test runs with it ignored.
    child = subprocess.Popen(
        [sys.executable, "-m", "msstereo.cli", "match", left, right, "-o", str(tmp_path / "d.pfm")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    # NumPy's extension is mapped once the command has started importing its modules.
    while not _mapped(child.pid, "_multiarray_umath") and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    numba_loaded = _mapped(child.pid, "/numba/")
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err == "msstereo match: error: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.png", "r.png"]
    if numba_loaded:
        pytest.skip("the signal came after the imports (a slow machine): the test proves less")


def test_compiling_is_announced_once_and_only_when_the_cache_is_cold(tmp_path):
    left, right = _pair(tmp_path)
    argv = ["match", left, right, "-o", str(tmp_path / "d.pfm"), "--model", "tv", "--solver", "pde"]
    # This process's cache, filled for these kernels, less the entries of two of them: the
    # command finds two kernels to compile and must say so once (compiling every kernel
    # would test no more, at ten times the cost).
    main(argv + ["--quiet"])
    cache = tmp_path / "numba-cache"
    shutil.copytree(cache_dir(), cache)
    for kernel in ("sor.pack_colours", "sor.unpack_colours"):
        removed = [path.unlink() or path for path in cache.rglob(f"{kernel}-*")]
        assert removed, kernel
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    code = f"import sys; from msstereo.cli import main; sys.exit(main({argv!r}))"
    cold = python(code, env=env)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count(COMPILE_NOTE) == 1
    assert all(any(cache.rglob(f"sor.{name}-*.nbi")) for name in ("pack_colours", "unpack_colours"))
    warm = python(code, env=env)
    assert warm.returncode == 0, warm.stderr
    assert COMPILE_NOTE not in warm.stderr and "level" in warm.stderr


def _kernel(module, name):
    """A new Numba function defined in ``module`` (no disk cache: it compiles on each first call)."""
    import numba
    namespace = {"__name__": module}
    exec(f"def {name}(x):\n    return x + 1\n", namespace)
    return numba.njit(namespace[name])


def test_the_compile_note_is_said_once_for_msstereo_kernels_only(monkeypatch):
    from msstereo import progress
    monkeypatch.setattr(progress, "_compile_noted", False)
    said = []
    with progress.compile_notice(said.append):
        _kernel("elsewhere", "other")(1)
        assert said == []  # not a kernel of msstereo
        first, second = _kernel("msstereo.kernels.fake", "first"), _kernel("msstereo.kernels.fake", "second")
        first(1)
        first(2)  # compiled already
        second(1.0)
    assert said == [COMPILE_NOTE]
    _kernel("msstereo.kernels.fake", "third")(1)  # outside the notice: nothing
    assert said == [COMPILE_NOTE]
