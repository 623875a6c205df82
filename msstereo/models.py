"""The named models: parameter sets of one energy (``../docs/method.md``, section 2).

Every model is the same discrete energy

    E(d) = sum_x e_d(x) + beta * w(x) * rho(|grad d(x)|^2)

with a choice of regularizer penalty ``rho`` and weight ``w``; no model has a
code path of its own.
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

    def __post_init__(self):
        for f in ("lam", "eta", "beta", "eta_s"):
            value = getattr(self, f)
            if not (isinstance(value, (int, float)) and value >= 0 and value < float("inf")):
                raise ValueError(f"model parameter {f!r} must be a finite number >= 0, got {value!r}")
        if self.eta <= 0 or self.eta_s <= 0:
            raise ValueError("model parameters 'eta' and 'eta_s' must be > 0")
        if self.interpolation not in (1, 3):
            raise ValueError(f"interpolation must be 1 (linear) or 3 (cubic), got {self.interpolation!r}")


MODELS = {
    "tv": Model(name="tv"),
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
