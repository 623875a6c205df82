"""msstereo.batch: scenes x settings as Dask tasks, on one local cluster of two workers.

The scenes are tiny synthetic pairs written to scene folders, so every
number can be checked against a serial `msstereo.match` of the same folder.
"""

import csv
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import msstereo
from msstereo.batch import Setting, expand, run_batch
from msstereo.cli import main
from msstereo.datasets import load_scene
from msstereo.evaluate import evaluate_v2, evaluate_v3
from msstereo.io import read_pfm, write_pfm, write_png
from msstereo.synthetic import synthetic_scene

SHAPE = (32, 48)
NO_DASK = 'dask.distributed is not installed: pip install "msstereo[batch]"'


def _uint8(image):
    return np.round(image * 255).astype(np.uint8)


def write_v2(folder, seed=0):
    """A synthetic step scene in the v2 layout (images, scaled ground truth, masks, info.txt)."""
    scene = synthetic_scene("step", shape=SHAPE, background=2.0, foreground=5.0, seed=seed)
    folder.mkdir()
    write_png(folder / "imL.png", _uint8(scene.left))
    write_png(folder / "imR.png", _uint8(scene.right))
    write_png(folder / "groundtruth.png", np.round(scene.disparity * 4).astype(np.uint8))
    for name, mask in scene.masks.items():
        write_png(folder / f"{name}.png", np.where(mask, 255, 0).astype(np.uint8))
    (folder / "info.txt").write_text(f"4\n{scene.ndisp}\n")
    return folder


def write_2014(folder, ground_truth=True, seed=1):
    """A synthetic plane in the 2014 layout; without ground truth only the images and calib.txt."""
    scene = synthetic_scene("plane", shape=SHAPE, background=3.0, seed=seed)
    folder.mkdir()
    write_png(folder / "im0.png", _uint8(scene.left))
    write_png(folder / "im1.png", _uint8(scene.right))
    if ground_truth:
        write_pfm(folder / "disp0.pfm", scene.disparity)
    (folder / "calib.txt").write_text("ndisp=8\n")
    return folder


def snapshot(folders):
    """{path: bytes} of what ``folders`` hold (subfolders by name): a batch must not change inputs."""
    return {p: p.read_bytes() if p.is_file() else "folder"
            for folder in folders for p in sorted(Path(folder).iterdir())}


@pytest.fixture(scope="module")
def client():
    """A client of one local cluster (two worker processes) shared by the module's tests."""
    distributed = pytest.importorskip("distributed", reason=NO_DASK)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def dask_installed():
    pytest.importorskip("distributed", reason=NO_DASK)


@pytest.fixture
def scenes(tmp_path):
    """Three scene folders: v2 with masks, 2014 with ground truth, 2014 without."""
    root = tmp_path / "scenes"
    root.mkdir()
    return [write_v2(root / "step"), write_2014(root / "plane"),
            write_2014(root / "bare", ground_truth=False, seed=2)]


def test_every_scene_and_setting_written_and_scored_like_a_serial_match(client, scenes, tmp_path):
    before = snapshot(scenes)
    lines = []
    out = tmp_path / "out"
    rows = run_batch(scenes, ["tv"], ["pde", msstereo.Relax(iterations=5)], out_dir=out,
                     scheduler=client, progress=lines.append)
    assert [(r["scene"], r["solver"]) for r in rows] == [
        (s, solver) for s in ("step", "plane", "bare") for solver in ("pde", "relax")]
    for row in rows:
        scene = load_scene(scenes[["step", "plane", "bare"].index(row["scene"])])
        disparity = read_pfm(out / row["file"])
        # The worker's result is the serial one, to the bit.
        np.testing.assert_array_equal(disparity, row["setting"].run(scene).disparity)
        assert row["seconds"] > 0 and "error" not in row
        if row["scene"] == "step":
            scores = evaluate_v2(disparity, scene)
            assert row["bad1 nonocc"] == scores["nonocc"][1.0] and row["bad1 disc"] == scores["disc"][1.0]
            assert row["bad1 nonocc"] < 25
        elif row["scene"] == "plane":
            assert row["bad2 all"] == evaluate_v3(disparity, scene.disparity)["bad2"]
            assert "bad1 nonocc" not in row
        else:
            assert not any(key.startswith("bad") for key in row)
    assert rows[1]["overrides"] == {"iterations": 5} and rows[0]["file"] == "step/tv-pde.pfm"
    assert snapshot(scenes) == before

    with open(out / "results.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["file"] for r in table] == [r["file"] for r in rows]
    assert [r["iterations"] for r in table] == ["", "5"] * 3
    assert float(table[0]["bad1 nonocc"]) == pytest.approx(rows[0]["bad1 nonocc"])
    assert table[2]["bad1 nonocc"] == "" and table[5]["bad2 all"] == ""
    markdown = (out / "results.md").read_text().splitlines()
    assert sum(line.startswith("| ") for line in markdown) == 1 + len(rows)
    assert len(lines) == len(rows) + 1 and lines[-1].startswith(f"{len(rows)} runs in")
    assert sorted(line.split("]")[0] for line in lines[:-1]) == [f"[{k}/6" for k in range(1, 7)]


def test_the_metric_columns_are_those_of_evaluate_and_batch_imports_no_private_name():
    import ast

    import msstereo.batch
    import msstereo.evaluate

    for name in ("V2_COLUMNS", "V2_KEYS", "V3_KEYS", "OCCLUSION_KEYS", "METRIC_KEYS"):
        assert getattr(msstereo.batch, name) is getattr(msstereo.evaluate, name)
    tree = ast.parse(Path(msstereo.batch.__file__).read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names]
    assert imported and not [name for name in imported if name.startswith("_")]


def test_grids_expand_as_a_product():
    settings = expand(["tv", "ms-tv"], ["pde", "relax"], params_grid={"beta": [0.02, 0.05]},
                      solver_grid={"iterations": [5, 10]})
    # pde has no 'iterations': 2 betas; relax: 2 betas x 2 iteration counts; for each model.
    assert len(settings) == 2 * (2 + 4)
    assert len({s.label() for s in settings}) == len(settings)
    assert settings[2].overrides() == {"beta": 0.02, "iterations": 5}
    assert settings[2].label() == "tv-relax-beta=0.02-iterations=5"
    assert expand("tv", "pde", {"beta": 0.03, "factor": [0.6]})[0].params == (("beta", 0.03), ("factor", 0.6))


def test_grid_runs_on_the_cluster_in_order(client, scenes, tmp_path):
    rows = run_batch(scenes[:1], "tv", "pde", params_grid={"beta": [0.01, 0.08]},
                     solver_grid={"warps": [2, 6]}, out_dir=tmp_path / "out", scheduler=client,
                     progress=False)
    assert [r["overrides"] for r in rows] == [{"warps": w, "beta": b} for w in (2, 6) for b in (0.01, 0.08)]
    files = {r["file"] for r in rows}
    assert len(files) == 4 and all((tmp_path / "out" / f).is_file() for f in files)
    # The settings really differ: the disparities do too.
    assert len({read_pfm(tmp_path / "out" / f).tobytes() for f in files}) == 4


def test_a_failed_run_is_reported_and_the_others_written(client, scenes, tmp_path):
    # An occlusion blur wider than the scene's 32 px passes the parameter's own check and fails
    # the run's.
    rows = run_batch(scenes[:1], "ms-occ", "pde", params_grid={"sigma": [0.5, 20.0]},
                     out_dir=tmp_path / "out", scheduler=client, progress=False)
    assert "file" in rows[0] and "error" not in rows[0]
    assert "file" not in rows[1] and "'sigma' (20) blurs over 60 px" in rows[1]["error"]
    text = (tmp_path / "out" / "results.csv").read_text()
    assert "ValueError" in text and text.count("\n") == 3


def test_explicit_settings_and_loaded_scenes_without_output(client):
    scene = synthetic_scene("plane", shape=SHAPE, background=3.0)
    settings = [Setting("tv", "pde", {"beta": 0.03}), Setting("tv-edge", msstereo.PDE(warps=3))]
    rows = run_batch([scene], settings=settings, scheduler=client, progress=False)
    assert [r["setting"] for r in rows] == settings and not any("file" in r for r in rows)
    for row, setting in zip(rows, settings):
        serial = evaluate_v2(setting.run(scene).disparity, scene)
        assert row["bad0.5 nonocc"] == serial["nonocc"][0.5] and row["bad1 all"] == serial["all"][1.0]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"models": ["tvx"]}, ValueError, "unknown model 'tvx'"),
    ({"solvers": ["simplex"]}, ValueError, "unknown solver 'simplex'"),
    ({"params_grid": {"gamma": [1]}}, ValueError, "gamma"),
    ({"params_grid": {"beta": [-1.0]}}, ValueError, "model parameter 'beta'"),
    ({"params_grid": {"beta": []}}, ValueError, "params_grid['beta'] has no values"),
    ({"params_grid": {"factor": [1.5]}}, ValueError, "factor"),
    ({"solver_grid": {"iterations": [5]}}, ValueError, "solver_grid: 'iterations'"),
    ({"solvers": ["pde"], "models": ["default"]}, ValueError, "need solver 'relax'"),
    ({"workers": 0}, ValueError, "workers"),
    ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, ValueError, "cannot go with scheduler"),
    ({"scenes": "MISSING"}, OSError, "missing: scene folder not found"),
    ({"scenes": "TWICE"}, ValueError, "two scenes are named 'step'"),
    ({"out_dir": "FILE"}, OSError, "is a file"),
    ({"out_dir": "SCENES"}, OSError, "is the scene folder of 'step'"),
])
def test_bad_input_is_refused_before_any_work(dask_installed, scenes, tmp_path, kwargs, error, message):
    (tmp_path / "file").write_text("")
    (tmp_path / "twice").mkdir()
    write_v2(tmp_path / "twice" / "step")
    places = {"MISSING": tmp_path / "missing", "TWICE": [scenes[0], tmp_path / "twice" / "step"],
              "FILE": tmp_path / "file", "SCENES": scenes[0].parent}
    kwargs = {"scenes": scenes[:1], "models": ["tv"], "solvers": ["pde"], "out_dir": tmp_path / "out",
              **{k: places.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}}
    before = snapshot([tmp_path, *scenes])
    with pytest.raises(error, match=re.escape(message)):
        run_batch(kwargs.pop("scenes"), progress=False, **kwargs)
    assert snapshot([tmp_path, *scenes]) == before  # nothing written, no folder made


def test_without_dask_the_function_says_how_to_install_it(monkeypatch, scenes):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` raise ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "msstereo[batch]"')):
        run_batch(scenes, "tv", "pde")


# --------------------------------------------------------------------------
# The benchmarks routed through the batch
# --------------------------------------------------------------------------


@pytest.fixture
def benchmarks(monkeypatch):
    """The middlebury and tune studies, with a stand-in for the SGBM peer (OpenCV is optional)."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # `pytest` without `python -m` does not put the working folder on the path
        monkeypatch.syspath_prepend(root)
    from benchmarks.studies import middlebury, tune
    monkeypatch.setattr(middlebury, "run_peer", lambda scene: {"bad1 nonocc": 50.0, "seconds": 0.01})
    return middlebury, tune


def _named_scenes():
    """Two tiny synthetic scenes under the names of v2 scenes (the benchmarks group by name)."""
    scenes = {}
    for seed, name in enumerate(("tsukuba", "venus")):
        scenes[name] = synthetic_scene("step", shape=SHAPE, background=2.0, foreground=5.0, seed=seed)
        scenes[name].name = name
    return scenes


def _without_times(rows):
    return [{k: v for k, v in row.items() if k not in ("seconds", "x sgbm")} for row in rows]


def test_middlebury_benchmark_on_dask_gives_the_serial_rows(client, benchmarks):
    middlebury, _ = benchmarks
    scenes, solvers = _named_scenes(), {"pde": msstereo.PDE(), "relax": msstereo.Relax(iterations=5)}
    arguments = (scenes, ["tv"], solvers, {"beta": 0.03})
    serial = middlebury.run_benchmark(*arguments)
    on_dask = middlebury.run_benchmark(*arguments, scheduler=client.scheduler.address)
    assert [r["method"] for r in on_dask] == ["sgbm", "tv / pde", "tv / relax"] * 2
    assert _without_times(on_dask) == _without_times(serial)
    assert all(r["seconds"] > 0 for r in on_dask)
    assert "x sgbm" in middlebury.format_table(on_dask, middlebury.group_means(on_dask), middlebury.V2_KEYS)


def test_tune_settings_on_dask_give_the_serial_lines(client, benchmarks):
    _, tune = benchmarks
    scenes = _named_scenes()
    settings = [{"model": "tv", "beta": 0.05, "warps": 4}, {"model": "ms-tv", "factor": 0.6}]
    serial = list(tune.run_settings(settings, scenes))
    on_dask = list(tune.run_settings(settings, scenes, scheduler=client.scheduler.address))
    assert [list(rows) for rows in on_dask] == [["tsukuba", "venus"]] * 2
    assert [_without_times(rows.values()) for rows in on_dask] == [_without_times(rows.values()) for rows in serial]
    assert tune.describe(settings[0], on_dask[0]).split(" s ")[0] == tune.describe(settings[0], serial[0]).split(" s ")[0]


# --------------------------------------------------------------------------
# msstereo batch
# --------------------------------------------------------------------------


def test_command_runs_the_grid_and_prints_the_table(client, scenes, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["batch", *map(str, scenes[:2]), "-o", str(out), "--model", "tv", "--solver", "pde",
            "--param", "beta=0.02,0.05", "--param", "warps=4", "--scheduler", client.scheduler.address]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "[4/4]" in captured.err and "| scene | model | solver | beta | warps |" in captured.out
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pfm")) == sorted(
        f"{s}/tv-pde-beta={b}-warps=4.pfm" for s in ("step", "plane") for b in (0.02, 0.05))
    assert (out / "results.csv").read_text().count("\n") == 5


@pytest.mark.parametrize("args, message", [
    (["--model", "tvx"], "unknown model 'tvx'"),
    (["--param", "beta=0.02,x"], "model parameter 'beta' must be"),
    (["--param", "iterations=5", "--solver", "pde"], "--param takes NAME=VALUE"),
    (["--workers", "0"], "workers must be"),
])
def test_command_reports_bad_options_on_one_line(dask_installed, scenes, tmp_path, capsys, args, message):
    assert main(["batch", str(scenes[0]), "-o", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_command_ends_with_exit_code_2_when_a_run_failed(client, scenes, tmp_path, capsys):
    args = ["batch", str(scenes[0]), "-o", str(tmp_path / "out"), "--model", "ms-occ", "--solver", "pde",
            "--param", "sigma=0.5,20", "--scheduler", client.scheduler.address, "--quiet"]
    assert main(args) == 2
    assert "1 of 2 runs failed" in capsys.readouterr().err
    assert (tmp_path / "out" / "step" / "ms-occ-pde-sigma=0.5.pfm").is_file()


def test_without_dask_the_command_says_how_to_install_it(monkeypatch, scenes, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["batch", str(scenes[0]), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "msstereo[batch]"' in err
    assert not (tmp_path / "out").exists()
