"""The named models: parameter sets of one energy (``../docs/method.md``, section 2).

Every model is the same discrete energy

    E(d, v) = sum_x e_d(x) + beta * w(x) * rho(|grad d(x)|^2)
              [+ alpha (v - 1)^2 + eps |grad v|^2    when w = v^2]

with a choice of regularizer penalty ``rho`` (``psi`` or the square) and
weight ``w`` (1, the image edge map ``v_I^2``, or the jointly estimated
discontinuity function ``v^2``); no model has a code path of its own.

| model     | rho    | w       | paper                                 |
|-----------|--------|---------|---------------------------------------|
| `tv`      | psi    | 1       | eq. 10                                |
| `tv-edge` | psi    | v_I^2   | eq. 11-12                             |
| `ms-l2`   | square | v^2     | eq. 23 without occlusion (A.-T., eq. 2)|
| `ms-tv`   | psi    | v^2     | eq. 23 without occlusion (Shah, eq. 3) |
"""

from dataclasses import dataclass, fields, replace

__all__ = ["Model", "MODELS", "get_model"]


@dataclass(frozen=True)
class Model:
    """Parameters of a disparity energy.

    Parameters
    ----------
    name : str
        Name of the model.
    lam : float
        Weight ``lambda`` of gradient constancy in the data term (eq. 5), for
        images scaled to [0, 1].
    eta : float
        ``eta`` of the data term's ``psi`` (eq. 4), in intensity units.
    beta : float
        Weight of the regularizer (eq. 10).
    eta_s : float
        ``eta`` of the regularizer's ``psi``, in pixels of disparity change
        per pixel; it sets how smooth TV is near zero gradient.
    robust : bool
        Regularizer penalty ``rho``: ``psi`` (TV) if true, the square (L2)
        otherwise.
    interpolation : int
        Warping interpolation along rows: 1 linear, 3 cubic. Part of the
        discrete energy, so both solvers see the same one.
    weight : {"none", "edge", "v"}
        Regularizer weight ``w``: none, the image edge map ``v_I^2``
        (fixed per pyramid level), or ``v^2`` with ``v`` estimated jointly.
    alpha, eps : float
        Weights of ``(v - 1)^2`` and ``|grad v|^2`` (``weight="v"``): the
        paper's ``alpha_hat = alpha / (4 eps)`` and ``eps_hat = alpha eps``
        of eq. 2-3. ``v = 1/2`` where ``beta rho(|grad d|^2) = alpha``, and
        ``sqrt(eps / alpha)`` is the width of its edges in pixels.
    alpha_i, eps_i : float
        ``alpha_I`` and ``eps_I`` of the image edge map (eq. 11,
        ``weight="edge"``): ``v_I = 1/2`` where ``|grad I| = alpha_I / (4 eps_I)``
        and its edges are about ``2 eps_I`` pixels wide.

    Notes
    -----
    ``lambda`` is spelled ``lam`` because ``lambda`` is a Python keyword.
    """

    name: str = "tv"
    lam: float = 5.0
    eta: float = 1e-3
    beta: float = 0.03
    eta_s: float = 0.01
    robust: bool = True
    interpolation: int = 3
    weight: str = "none"
    alpha: float = 0.01
    eps: float = 0.04
    alpha_i: float = 0.05
    eps_i: float = 1.0

    def __post_init__(self):
        if self.weight not in ("none", "edge", "v"):
            raise ValueError(f"weight must be 'none', 'edge' or 'v', got {self.weight!r}")
        for f in ("lam", "eta", "beta", "eta_s", "alpha", "eps", "alpha_i", "eps_i"):
            value = getattr(self, f)
            if not (isinstance(value, (int, float)) and value >= 0 and value < float("inf")):
                raise ValueError(f"model parameter {f!r} must be a finite number >= 0, got {value!r}")
        for f in ("eta", "eta_s", "alpha", "alpha_i", "eps_i"):
            if getattr(self, f) <= 0:
                raise ValueError(f"model parameter {f!r} must be > 0, got {getattr(self, f)!r}")
        if self.interpolation not in (1, 3):
            raise ValueError(f"interpolation must be 1 (linear) or 3 (cubic), got {self.interpolation!r}")


MODELS = {
    "tv": Model(name="tv"),
    "tv-edge": Model(name="tv-edge", weight="edge"),
    "ms-l2": Model(name="ms-l2", weight="v", robust=False),
    "ms-tv": Model(name="ms-tv", weight="v"),
}
"""Default parameters of each named model, tuned on the Middlebury v2 scenes
(see ``benchmarks/results/``)."""


def get_model(model, **params):
    """Resolve a model name or `Model` and apply parameter overrides.

    Parameters
    ----------
    model : str or Model
        A key of `MODELS` or a `Model` instance.
    **params
        Fields of `Model` to override.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        For an unknown model name or parameter.
    """
    if isinstance(model, Model):
        base = model
    elif isinstance(model, str) and model in MODELS:
        base = MODELS[model]
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")
    names = {f.name for f in fields(Model)} - {"name"}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for model {base.name!r}; valid: {sorted(names)}")
    return replace(base, **params)
