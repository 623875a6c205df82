"""Point-by-point comparison of solvers on one stereo pair: the same discrete energy, three minimizers.

`compare_solvers` runs `msstereo.match` with each solver on the same input,
model and pyramid and collects what the two views of the method are compared
on: the model's energy of each solver's maps (`model_energy`), wall time,
iterations, the energy history against iterations and against time, and
(with a ground truth) the error.

The energy compared is the model's own discrete energy ``E`` at the finest
level, evaluated on the maps each solver returns, not what its steps logged:
``relax`` logs its relaxed energy ``E_theta``, which holds the sampled data
term at the auxiliary ``a`` and the coupling ``(d - a)^2 / (2 theta)``. With
the same ``E``, a solver that ends lower with a worse map points at the
model, one that ends higher at the solver.
"""

import numpy as np

from .evaluate import bad_pixels, evaluate_v2
from .match import match
from .problems import SIGNS, problem_for

__all__ = ["compare_solvers", "history", "model_energy"]


def model_energy(left, right, result, channel_axis=-1):
    """The model's discrete energy ``E`` of a result's maps at the finest level (float64 sum).

    The energy of `msstereo.energy.ViewEnergy.value` for the images as
    `msstereo.match` prepares them, at ``result.disparity`` and ``result.v``.
    For a single-view model (``tv``, ``tv-edge``, ``ms-l2``, ``ms-tv``) it is
    the energy that ``pde`` and ``optimize`` log at the end of the finest
    level. For ``ms-occ`` it is the sum of both views' energies with the
    returned occlusion masks as the visibility (``H = 0`` where occluded) over
    the returned, filled disparities; the occlusion energy ``E_occl`` is left
    out, since the result does not hold the level sets ``phi``.

    Parameters
    ----------
    left, right : (M, N[, C]) ndarray
        The pair given to `msstereo.match`.
    result : StereoResult
        Its result (any solver).
    channel_axis : int or None
        As given to `msstereo.match`.

    Raises
    ------
    ValueError
        For a model with terms beyond the paper (`Model.search_only`), which
        only ``relax``'s sampled data term holds.
    """
    model = result.model
    if model.search_only:
        raise ValueError(f"model {model.name!r} has terms that only relax's samples hold "
                         f"({', '.join(model.search_only)}): it has no energy to compare")
    problem = problem_for(model)
    il, ir, _ = problem.prepare(left, right, result.disparity.dtype, channel_axis)
    views = [(il, ir, result.disparity, result.v, result.occlusion),
             (ir, il, result.disparity_right, result.v_right, result.occlusion_right)]
    total = 0.0
    for sign, (reference, other, d, v, occluded) in zip(SIGNS, views):
        if d is None:
            break
        energy, _ = problem.energy_of(reference, other, sign)
        h = None if occluded is None else (~occluded).astype(d.dtype)
        total += energy.value(d, v, None, h)
    return total


def _iteration_kind(log):
    """The step name that counts one iteration in ``log`` (see `history`)."""
    return "iter" if "iter" in log.steps else "warp"


def history(levels):
    """Concatenated energy history of a match, per level and over the whole run.

    Parameters
    ----------
    levels : list of LevelLog
        ``StereoResult.levels``, coarsest first.

    Returns
    -------
    dict
        ``"energy"``, ``"iteration"``, ``"time"``, ``"level"``, ``"step"``:
        1-D arrays with one entry per logged step of every level, in order.
        ``iteration`` is the cumulative number of descent iterations so far
        (PDE: warps; optimize: L-BFGS-B iterations, the ``"iter"`` entries;
        the ``"warp"`` entry closing a round then repeats the iteration count
        of its last ``"iter"``); ``time`` is the cumulative wall time in
        seconds since the first level started (each level's ``times`` plus
        the seconds of the levels before it). Energies of different levels
        are of different problems (the pixel count grows): compare solvers
        level by level, or at the finest level.
    """
    energy, iteration, times, level, steps = [], [], [], [], []
    count, offset = 0, 0.0
    for log in levels:
        kind = _iteration_kind(log)
        for e, step, t in zip(log.energy, log.steps, log.times):
            if step == kind:
                count += 1
            energy.append(e)
            iteration.append(count)
            times.append(offset + t)
            level.append(log.level)
            steps.append(step)
        offset += log.seconds
    return {"energy": np.asarray(energy, float), "iteration": np.asarray(iteration, int),
            "time": np.asarray(times, float), "level": np.asarray(level, int),
            "step": np.asarray(steps, dtype=object)}


def _level_summary(log):
    kind = _iteration_kind(log)
    iteration = np.cumsum([step == kind for step in log.steps])
    return {"level": log.level, "shape": tuple(log.shape), "energy": list(log.energy),
            "steps": list(log.steps), "times": list(log.times),
            "iteration": iteration.tolist(), "final_energy": log.energy[-1],
            "seconds": log.seconds, "descent_steps": log.iterations,
            "iterations": int(iteration[-1]) if len(iteration) else 0}


def _errors(disparity, gt):
    """Error metrics of ``disparity`` against a Scene or a ground-truth array."""
    if hasattr(gt, "masks"):
        return {mask: {float(t): v for t, v in scores.items()}
                for mask, scores in evaluate_v2(disparity, gt).items()}
    gt = np.asarray(gt, float)
    return {"all": {t: bad_pixels(disparity, gt, threshold=t) for t in (0.5, 1.0, 2.0)}}


def compare_solvers(left, right, *, model="ms-tv", solvers=("pde", "optimize", "relax"), d_max=None,
                    gt=None, **match_kwargs):
    """Run `msstereo.match` with each solver on the same input and compare.

    Parameters
    ----------
    left, right : (M, N[, C]) ndarray
        Rectified stereo pair (see `msstereo.match`).
    model : str or Model, optional
        Energy minimized by every solver.
    solvers : sequence of str or solver options, optional
        Solvers to run, by name (keys of ``msstereo.match.SOLVERS``) or as
        option instances (e.g. ``Optimize(iterations=40)``). Two entries with
        the same ``name`` overwrite each other in the result.
    d_max : float, optional
        Largest disparity (see `msstereo.match`).
    gt : Scene or (M, N) ndarray, optional
        Ground truth: a `Scene` (scored with `evaluate_v2` on its masks) or
        a disparity array (non-finite = unknown; bad pixels over all known
        pixels).
    **match_kwargs
        Further arguments of `msstereo.match` (``factor``, ``dtype``, model
        parameters...), the same for every solver.

    Returns
    -------
    dict
        One entry per solver, keyed by its ``name``, each a dict with

        ``"result"``
            The `StereoResult`.
        ``"energy"``
            The model's energy of the returned maps (`model_energy`), the
            same ``E`` for every solver.
        ``"logged_energy"``
            The last energy the solver logged at the finest level: ``E``
            for ``pde`` and ``optimize``, ``E_theta`` for ``relax``.
        ``"seconds"``
            Total wall time of the match.
        ``"descent_steps"``
            PDE warps or optimize rounds (``"warp"`` entries), all levels.
        ``"iterations"``
            Descent iterations, all levels: PDE warps, L-BFGS-B iterations.
        ``"history"``
            The concatenated history of every level (see `history`):
            energy vs cumulative iteration and vs cumulative wall time.
        ``"levels"``
            Per level, coarsest first: ``level``, ``shape``, ``energy``,
            ``steps``, ``times`` (seconds since the level started),
            ``iteration`` (cumulative within the level), ``final_energy``,
            ``seconds``, ``descent_steps``, ``iterations``.
        ``"errors"``
            Only with ``gt``: ``{mask: {threshold: percent bad}}``.

    Raises
    ------
    ValueError
        As `msstereo.match` (unknown solver, model, bad input).

    Examples
    --------
    >>> from msstereo.synthetic import synthetic_scene
    >>> scene = synthetic_scene("step", shape=(40, 56))
    >>> out = compare_solvers(scene.left, scene.right, d_max=scene.ndisp,
    ...                       gt=scene)  # doctest: +SKIP
    >>> out["pde"]["energy"], out["relax"]["energy"]  # doctest: +SKIP
    """
    out = {}
    for solver in solvers:
        result = match(left, right, model=model, solver=solver, d_max=d_max, **match_kwargs)
        levels = [_level_summary(log) for log in result.levels]
        entry = {"result": result, "energy": model_energy(left, right, result, match_kwargs.get("channel_axis", -1)),
                 "logged_energy": result.energy, "seconds": result.seconds,
                 "descent_steps": sum(level["descent_steps"] for level in levels),
                 "iterations": sum(level["iterations"] for level in levels),
                 "history": history(result.levels), "levels": levels}
        if gt is not None:
            entry["errors"] = _errors(result.disparity, gt)
        out[result.solver.name] = entry
    return out
