"""Shared fixtures: the Middlebury data folder used by data-dependent tests, Python's own signal handlers."""

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
