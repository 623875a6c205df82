"""The comparison studies in notebooks/ run end to end on small inputs."""

import runpy
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MSSTEREO_NOTEBOOK_SHAPE", "48,72")
    runpy.run_path(str(path), run_name="__main__")
    assert "bad1" in capsys.readouterr().out
