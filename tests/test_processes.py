"""The command line as processes: signals, writers at once, killed runs, and a reinstall.

Each test runs ``msstereo`` in child processes through a small driver that
replaces the match by a constant disparity (the match is not under test
here), and stops the child at a chosen moment by waiting for a line it
prints there. A run then takes well under a second.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from msstereo import cli
from msstereo.io import read_pfm

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and locks")

DRIVER = r'''
import json, os, sys, time
from types import SimpleNamespace

spec = json.loads(os.environ["DRIVER_SPEC"])
import numpy as np
from msstereo import cli
import msstereo.io as msio


def constant_result(left, right, args, d_max):
    """A result of value ``spec["value"]``; with ``spec["occ"]`` every field of ms-occ."""
    if spec.get("pause") == "match":
        print("paused", flush=True)
        time.sleep(60)
    shape = left.shape[:2]
    d = np.full(shape, float(spec["value"]), np.float32)
    maps = dict(v=None, v_image=None, disparity_right=None, v_right=None, occlusion=None, occlusion_right=None,
                confidence=None)
    if spec.get("occ"):
        half = np.full(shape, 0.5, np.float32)
        maps = dict(v=half, v_image=None, disparity_right=d, v_right=half, occlusion=np.zeros(shape, bool),
                    occlusion_right=np.zeros(shape, bool), confidence=None)
    return SimpleNamespace(disparity=d, seconds=0.5, d_range=(0.0, 8.0), coarse=None, **maps)


cli._run = constant_result
if spec.get("pause") == "stage":
    real_png = msio.write_png
    def slow_png(*args, **kwargs):
        real_png(*args, **kwargs)
        print("paused", flush=True)
        time.sleep(60)
    cli.write_png = slow_png
if spec.get("pause") == "publish" or spec.get("slow_publish"):
    real_replace, calls = os.replace, []
    def slow_replace(src, dst):
        calls.append(dst)
        if len(calls) == 1 and spec.get("pause") == "publish":
            print("paused", flush=True)
            time.sleep(float(spec.get("sleep", 60)))
        if spec.get("slow_publish"):
            time.sleep(0.05)
        return real_replace(src, dst)
    os.replace = slow_replace
if spec.get("barrier"):
    real_publish = msio.OutputSet.publish
    def publish_together(self, *args, **kwargs):
        folder = spec["barrier"]
        open(os.path.join(folder, str(os.getpid())), "w").close()
        deadline = time.time() + 20
        while len(os.listdir(folder)) < 2 and time.time() < deadline:
            time.sleep(0.01)
        return real_publish(self, *args, **kwargs)
    msio.OutputSet.publish = publish_together
sys.exit(cli.main(spec["argv"]))
'''


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def _start(folder, argv, **spec):
    """A driver process running ``msstereo`` with ``argv`` in ``folder``."""
    return subprocess.Popen([sys.executable, "-c", DRIVER], cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=_env(DRIVER_SPEC=json.dumps({"argv": argv, **spec})))


def _wait_paused(process):
    line = process.stdout.readline()
    assert line == "paused\n", (line, process.stderr.read() if process.poll() is not None else "")


def _finish(process, timeout=90):
    """The stderr of ``process`` once it ends; a failure with what it printed if it does not."""
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the run did not end within {timeout} s; stdout {out!r}, stderr {err[-2000:]!r}")


def _pair(folder):
    rng = np.random.default_rng(0)
    for name in ("im0.png", "im1.png"):
        Image.fromarray(rng.integers(0, 255, (12, 16), dtype=np.uint8)).save(folder / name)
    return ["im0.png", "im1.png"]


def _files(folder):
    """Every entry of ``folder``: bytes for files."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _temporaries(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


ALL = {"d.pfm", "d.png", "d.right.pfm", "d.right.png", "d.occlusion.png", "d.occlusion_right.png", "d.v.png",
       "d.v_right.png", ".d.pfm.msstereo.json"}


def _previous_set(folder, monkeypatch, capsys):
    """The files of an earlier ms-occ-like run of value 1, written in this process."""
    inputs = _pair(folder)
    monkeypatch.chdir(folder)

    def constant(left, right, args, d_max):
        d = np.ones(left.shape[:2], np.float32)
        half = np.full(d.shape, 0.5, np.float32)
        return type("R", (), dict(disparity=d, seconds=0.5, d_range=(0.0, 8.0), coarse=None, v=half, v_image=None,
                                  disparity_right=d, v_right=half, occlusion=d < 0, occlusion_right=d < 0,
                                  confidence=None))
    monkeypatch.setattr(cli, "_run", constant)
    assert cli.main(["match", *inputs, "-o", "d.pfm", "--quiet"]) == 0
    capsys.readouterr()
    assert set(_files(folder)) == ALL | {"im0.png", "im1.png"}
    return inputs, _files(folder)


# --------------------------------------------------------------------------
# SIGTERM and Ctrl-C
# --------------------------------------------------------------------------

@pytest.mark.parametrize("signum, moment", [(signal.SIGTERM, "match"), (signal.SIGTERM, "stage"),
                                            (signal.SIGTERM, "publish"), (signal.SIGINT, "publish")],
                         ids=["SIGTERM-match", "SIGTERM-stage", "SIGTERM-publish", "SIGINT-publish"])
def test_a_signal_at_any_moment_leaves_the_old_set_or_the_new_one_and_no_temporary(
        tmp_path, monkeypatch, capsys, moment, signum):
    inputs, before = _previous_set(tmp_path, monkeypatch, capsys)
    child = _start(tmp_path, ["match", *inputs, "-o", "d.pfm", "--quiet"], value=2, pause=moment, sleep=0.5)
    _wait_paused(child)
    child.send_signal(signum)
    err = _finish(child)
    assert child.returncode == {signal.SIGTERM: 143, signal.SIGINT: 130}[signum]
    assert err == f"msstereo match: error: {'terminated' if signum == signal.SIGTERM else 'interrupted'}\n"
    after = _files(tmp_path)
    assert _temporaries(tmp_path) == []
    if moment == "publish":  # the publish in progress completes, then the signal ends the run
        assert set(after) == {"im0.png", "im1.png", "d.pfm", "d.png", ".d.pfm.msstereo.json"}
        assert np.all(read_pfm(tmp_path / "d.pfm") == 2)
    else:
        assert after == before


def test_ctrl_c_and_sigterm_while_the_command_loads_give_one_line(tmp_path):
    # The signal arrives while msstereo.cli imports its modules, before main() runs.
    driver = ("import builtins, os, signal, sys\n"
              "sys.argv = ['msstereo', '--version']\n"
              "target, signum, real = os.environ['AT'], int(os.environ['SIGNUM']), builtins.__import__\n"
              "def hooked(name, *args, **kwargs):\n"
              "    if name == target:\n"
              "        builtins.__import__ = real\n"
              "        os.kill(os.getpid(), signum)\n"
              "    return real(name, *args, **kwargs)\n"
              "builtins.__import__ = hooked\n"
              "from msstereo.cli import main\n"
              "sys.exit(main())\n")
    for at, signum, code, word in (("argparse", signal.SIGINT, 130, "interrupted"),
                                   ("logging", signal.SIGTERM, 143, "terminated")):
        done = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, timeout=30,
                              env=_env(AT=at, SIGNUM=str(int(signum))))
        assert (done.returncode, done.stderr) == (code, f"msstereo: error: {word}\n"), (at, done.stderr[-800:])


# --------------------------------------------------------------------------
# Two writers of one output set, and a writer killed while publishing
# --------------------------------------------------------------------------

def test_two_runs_writing_one_output_at_once_leave_the_last_complete_set(tmp_path):
    inputs = _pair(tmp_path)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    argv = ["match", *[str(tmp_path / name) for name in inputs], "-o", str(tmp_path / "d.pfm"), "--quiet"]
    runs = [_start(tmp_path, argv, value=1, occ=True, barrier=str(barrier), slow_publish=True),
            _start(tmp_path, argv, value=2, barrier=str(barrier), slow_publish=True)]
    for run in runs:
        err = _finish(run)
        assert run.returncode == 0, err
    shutil.rmtree(barrier)
    names = set(_files(tmp_path)) - {"im0.png", "im1.png"}
    value = read_pfm(tmp_path / "d.pfm")[0, 0]
    if value == 1:  # the ms-occ-like run published last: all its files
        assert names == ALL
        assert np.all(read_pfm(tmp_path / "d.right.pfm") == 1)
    else:  # the other one: its two files, and none of the first run's maps
        assert value == 2 and names == {"d.pfm", "d.png", ".d.pfm.msstereo.json"}
    assert _temporaries(tmp_path) == []


def test_a_run_killed_while_publishing_blocks_no_later_run_and_its_temporaries_go(tmp_path, monkeypatch, capsys):
    inputs, before = _previous_set(tmp_path, monkeypatch, capsys)
    child = _start(tmp_path, ["match", *inputs, "-o", "d.pfm", "--quiet"], value=2, occ=True, pause="publish")
    _wait_paused(child)  # it holds the folder's lock, its files staged
    assert _temporaries(tmp_path)
    child.kill()
    _finish(child)
    start = time.perf_counter()
    assert cli.main(["match", *inputs, "-o", "d.pfm", "--quiet"]) == 0  # value 1, in this process
    assert time.perf_counter() - start < 20
    assert _temporaries(tmp_path) == []
    assert set(_files(tmp_path)) == set(before) and np.all(read_pfm(tmp_path / "d.pfm") == 1)


# --------------------------------------------------------------------------
# msstereo batch: the workers leave signals to the command
# --------------------------------------------------------------------------

def test_processes_started_by_a_batch_cluster_ignore_ctrl_c_and_sigterm(default_signals):
    from msstereo.batch import _signals_blocked
    probe = "import signal; print([signal.getsignal(s) == signal.SIG_IGN for s in (signal.SIGINT, signal.SIGTERM)])"
    with _signals_blocked():
        inside = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    outside = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert inside.stdout == "[True, True]\n"
    assert outside.stdout == "[False, False]\n"  # restored for later processes


def test_a_failed_batch_run_is_returned_not_raised_in_the_worker():
    # A task that raises makes its Dask worker log the traceback; a failed run is a row instead.
    from msstereo.batch import Setting, run_task
    from msstereo.datasets import Scene
    flat = np.zeros((16, 16), np.uint8)
    done = run_task(Scene("flat", flat, flat[:, :-1]), Setting("tv", "pde"))
    assert set(done) == {"error"} and done["error"].startswith("ValueError: ")


# --------------------------------------------------------------------------
# Installing, matching, reinstalling editable: no compiled kernel inside the package
# --------------------------------------------------------------------------

def _setuptools_version():
    try:
        from importlib.metadata import version
        return tuple(int(p) for p in version("setuptools").split(".")[:2])
    except Exception:
        return (0, 0)


def test_kernel_cache_stays_out_of_the_installed_package_across_a_reinstall(tmp_path):
    """``pip install .``, a kernel call, ``pip install -e .``: the package still imports.

    Numba's default cache, ``__pycache__`` beside the kernel modules, would put
    files into ``site-packages/msstereo`` that pip does not remove, and the
    leftover folder would then shadow the editable install. The project is
    copied (a build writes into its source folder); the new environment sees
    this one's packages through a ``.pth`` file, so nothing but the build
    backend is downloaded, and only if this environment's is too old.
    """
    source = tmp_path / "src"
    shutil.copytree(REPO / "msstereo", source / "msstereo", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE_TURBO"):
        shutil.copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, timeout=60)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # The test environment's packages, but not its msstereo (installed there, it would shadow the
    # editable install below): a folder of links to everything else, named by a .pth file.
    deps = tmp_path / "deps"
    deps.mkdir()
    for site in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(site).iterdir():
            if entry.name.lower().startswith(("msstereo", "__editable__")) or entry.suffix == ".pth":
                continue
            if not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    Path(purelib, "test_environment.pth").write_text(f"{deps}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR", "PIP_REQUIRE_VIRTUALENV")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = [str(python), "-m", "pip", "install", "--no-deps", "--no-input", "--quiet", "--no-compile"]
    if _setuptools_version() < (77, 0):  # pyproject.toml's build requirement
        subprocess.run([*pip, "setuptools>=77"], env=env, check=True, timeout=300, capture_output=True)
    build = [*pip, "--no-build-isolation"]

    def call_a_kernel():
        done = subprocess.run(
            [python, "-c", "import msstereo, msstereo.kernels.filters as f; "
                           "print(msstereo.__file__, msstereo.__version__, f.gaussian_radius(1.0))"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.split()

    subprocess.run([*build, str(source)], env=env, check=True, timeout=300, capture_output=True)
    installed = Path(purelib) / "msstereo"
    assert call_a_kernel() == [str(installed / "__init__.py"), "0.1.0", "3"]
    assert not [p for p in installed.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert list((tmp_path / "cache" / "msstereo" / "numba").rglob("*.nbi"))
    subprocess.run([*build, "--editable", str(source)], env=env, check=True, timeout=300, capture_output=True)
    assert not installed.exists()  # nothing of the installed copy is left to shadow the editable one
    assert call_a_kernel() == [str(source / "msstereo" / "__init__.py"), "0.1.0", "3"]
