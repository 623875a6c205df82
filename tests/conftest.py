"""Shared fixtures (the Middlebury data folder, Python's own signal handlers) and the order of the test files."""

import os
import signal
from pathlib import Path

import pytest

from msstereo.datasets import load_scene

_REPO = Path(__file__).resolve().parents[1]


def _find_data_root():
    """Return the data folder holding middlebury/v2, or None."""
    value = os.environ.get("MSSTEREO_DATA")
    if value:
        return Path(value).expanduser()
    fallback = _REPO.parent / "shared" / "data"
    return fallback if (fallback / "middlebury" / "v2").is_dir() else None


@pytest.fixture(scope="session")
def data_root():
    """pathlib.Path of the folder holding ``middlebury/v2``; skip if absent."""
    root = _find_data_root()
    if root is None or not (root / "middlebury" / "v2").is_dir():
        pytest.skip("Middlebury data not found: set MSSTEREO_DATA to the folder holding middlebury/v2")
    return root


@pytest.fixture(scope="session")
def v2_scene_loader(data_root):
    """Callable loading a v2 scene by name, cached for the session."""
    cache = {}

    def load(name):
        if name not in cache:
            cache[name] = load_scene(data_root / "middlebury" / "v2" / name)
        return cache[name]

    return load


@pytest.fixture
def default_signals():
    """Python's own Ctrl-C (``KeyboardInterrupt``) and SIGTERM (the default action) during the test.

    A test of what msstereo does with these signals starts from them, whatever
    the process running it had before (a test run earlier in the same process
    has left Ctrl-C ignored); the previous handlers come back after.
    """
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


#: Files of long tests, handed to the workers first and in this order: whole solves at full
#: size (they compile the package's kernels), and beside them processes and short solves that
#: compile little (signals, a reinstall, the command line, the asv suite); then the notebooks,
#: whose kernels, in processes of their own, find most of the package compiled by then.
FIRST = ("test_middlebury.py", "test_processes.py", "test_cold_start.py", "test_bad_input.py",
         "test_benchmarks.py", "test_cli.py", "test_notebooks.py")


def pytest_configure(config):
    """Hand the test files to pytest-xdist's workers in collection order (see `pytest_collection_modifyitems`).

    ``--dist loadfile`` otherwise hands out the files with the most tests
    first, which leaves the few long tests to the end, when one worker runs
    them while the other waits.
    """
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items):
    """The files of `FIRST` first, so that their long tests overlap the many short ones."""
    def rank(item):
        name = item.path.name
        return FIRST.index(name) if name in FIRST else len(FIRST)

    items.sort(key=rank)
