# %% [markdown]
# # Models and solvers on a synthetic scene with known disparity and occlusion
#
# A textured box 6 px in front of a background plane at 2 px: every model of msstereo and
# every solver, scored against the exact ground truth, in particular near the depth step and in
# the occluded band. The file is a notebook in Jupyter's "percent" format (open it with
# jupytext, VS Code or Spyder, or run it as a script); the test suite runs it on a small scene.
# Set `MSSTEREO_NOTEBOOK_SHAPE="120,180"` for a larger one.

# %%
import os

import numpy as np
from scipy.ndimage import binary_dilation

import msstereo
from msstereo.compare import compare_solvers
from msstereo.synthetic import synthetic_scene

shape = tuple(int(s) for s in os.environ.get("MSSTEREO_NOTEBOOK_SHAPE", "64,96").split(","))
scene = synthetic_scene("step", shape=shape, background=2.0, foreground=6.0, seed=0)
occluded = ~scene.masks["nonocc"]
near_step = binary_dilation(scene.masks["disc"], iterations=2) & scene.masks["nonocc"]

# %% [markdown]
# ## Every model with the paper's scheme and with the global search
# Bad-1 percentages: all pixels, visible pixels within a few pixels of the step, occluded pixels.
# The `default` model has options beyond the paper that only `relax` minimizes.

# %%
rows = []
for name in msstereo.MODELS:
    for solver in ("pde", "relax"):
        if solver == "pde" and msstereo.models.get_model(name).search_only:
            continue
        result = msstereo.match(scene.left, scene.right, model=name, solver=solver, d_max=scene.ndisp)
        bad = np.abs(result.disparity - scene.disparity) > 1
        rows.append((name, solver, 100 * bad.mean(), 100 * bad[near_step].mean(),
                     100 * bad[occluded].mean(), result.seconds))
print(f"{'model':8s} {'solver':7s} {'bad1 all':>9s} {'near step':>10s} {'occluded':>9s} {'seconds':>8s}")
for name, solver, all_, near, occ, sec in rows:
    print(f"{name:8s} {solver:7s} {all_:9.2f} {near:10.2f} {occ:9.2f} {sec:8.2f}")

# %% [markdown]
# ## The three solvers on the same energy (`ms-tv`)
# Final energy at the finest level, time and error: the optimizer usually reaches a lower
# energy than the PDE scheme, which is faster; lower energy is not always lower error. The
# energy of `relax` is its relaxed energy at the last `theta` (data term sampled, plus the
# coupling), so it compares with the others only roughly.

# %%
comparison = compare_solvers(scene.left, scene.right, model="ms-tv", d_max=scene.ndisp, gt=scene)
for solver, entry in comparison.items():
    print(f"{solver:9s} energy {entry['energy']:10.3f}  seconds {entry['seconds']:6.2f}  "
          f"bad1 nonocc {entry['errors']['nonocc'][1.0]:5.2f}")
