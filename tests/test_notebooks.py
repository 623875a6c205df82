"""The notebooks in notebooks/: stored with their full-size outputs, and runnable.

Each notebook is executed with nbclient on a Jupyter kernel at 1/4 size on
Tsukuba alone (the settings of notebooks/common.py), or on Motorcycle when
the Middlebury data folder is absent: the test runs the notebook's code, the
stored outputs hold the results.
"""

import importlib.util
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def figures(name, scenes):
    """Figures notebook `name` draws at least on `scenes` scenes (models: one per scene and the default model)."""
    return {"models.ipynb": scenes + 1, "solvers.ipynb": 2, "sgbm.ipynb": 2}[name]


def _outputs(notebook, kind):
    """Every output of `kind` in the code cells: 'text' (streams), 'image' (JPEG or PNG) or a MIME type."""
    kinds = ("image/jpeg", "image/png") if kind == "image" else (kind,)
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "text" and "text" in output:
                found.append(output["text"])
            found += [output["data"][k] for k in kinds if k in output.get("data", {})]
    return found


def _data_root():
    value = os.environ.get("MSSTEREO_DATA")
    fallback = NOTEBOOKS.parents[1] / "shared" / "data"
    return value or (str(fallback) if (fallback / "middlebury" / "v2").is_dir() else None)


def test_the_three_notebooks_are_there():
    assert [p.name for p in PATHS] == ["models.ipynb", "sgbm.ipynb", "solvers.ipynb"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_stored_notebook_keeps_its_full_size_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "run every cell before committing"
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert len(_outputs(notebook, "image")) >= figures(path.name, 2)  # Tsukuba and Art (models, sgbm)
    assert "scale 1/1" in "".join(_outputs(notebook, "text"))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_runs_on_small_inputs(path, monkeypatch):
    monkeypatch.setenv("MSSTEREO_NOTEBOOK_SCALE", "4")
    monkeypatch.setenv("MSSTEREO_NOTEBOOK_SCENES", "tsukuba")
    root = _data_root()
    if root:
        monkeypatch.setenv("MSSTEREO_DATA", root)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # execute() raises CellExecutionError, with the traceback, if any cell fails.
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text = "".join(_outputs(notebook, "text"))
    assert "scale 1/4" in text
    assert ("tsukuba" if root else "motorcycle") in text
    assert len(_outputs(notebook, "image")) >= figures(path.name, 1)
    tables = "".join(_outputs(notebook, "text/markdown"))
    assert "|---|" in tables and ("nonocc" if root else "all") in tables
    if path.name == "sgbm.ipynb" and importlib.util.find_spec("cv2"):
        assert "| SGBM |" in tables


def test_shrink_averages_images_and_scales_disparities(monkeypatch):
    monkeypatch.syspath_prepend(str(NOTEBOOKS))
    import common

    from msstereo.synthetic import synthetic_scene

    scene = synthetic_scene("step", shape=(64, 96), background=4.0, foreground=8.0)
    scene.left = np.round(255 * scene.left).astype(np.uint8)
    small = common.shrink(scene, 4)
    assert small.shape == (16, 24) and small.left.dtype == np.uint8 and small.ndisp == -(-scene.ndisp // 4)
    assert small.left[0, 0] == np.round(scene.left[:4, :4].mean())
    np.testing.assert_allclose(small.right[1, 2], scene.right[4:8, 8:12].mean())
    np.testing.assert_array_equal(small.disparity, scene.disparity[2::4, 2::4] / 4)
    assert set(small.masks) == set(scene.masks)
    assert common.shrink(scene, 1) is scene
    monkeypatch.setenv("MSSTEREO_NOTEBOOK_SCALE", "0")
    with pytest.raises(ValueError, match="positive"):
        common.scale()
