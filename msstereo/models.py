"""The named models: parameter sets of one energy (Ben-Ari and Sochen, TPAMI 2010, eq. 10-23).

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
| `ms-occ`  | psi    | v^2     | eq. 15-23: left and right views, data |
|           |        |         | term gated by H(phi), occlusion energy|
"""

from dataclasses import dataclass, fields, replace

from . import checks

__all__ = ["Model", "MODELS", "PAPER_MODELS", "get_model"]


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
    column_parity : bool
        Remove from each view the offset of its even columns against its
        odd ones before anything else (beyond the paper; a sensor's fixed
        pattern, which pulls matches towards even disparities:
        `msstereo.sensor`). Any solver.
    weight : {"none", "edge", "v", "edge+v"}
        Regularizer weight ``w``: none, the image edge map ``v_I^2``
        (fixed per pyramid level), ``v^2`` with ``v`` estimated jointly, or
        their product ``v_I^2 v^2`` (beyond the paper: the Mumford-Shah
        discontinuity set, made cheaper where the image has an edge).
    alpha, eps : float
        Weights of ``(v - 1)^2`` and ``|grad v|^2`` (``weight="v"``): the
        paper's ``alpha_hat = alpha / (4 eps)`` and ``eps_hat = alpha eps``
        of eq. 2-3. ``v = 1/2`` where ``beta rho(|grad d|^2) = alpha``, and
        ``sqrt(eps / alpha)`` is the width of its edges in pixels.
    alpha_i, eps_i : float
        ``alpha_I`` and ``eps_I`` of the image edge map (eq. 11,
        ``weight="edge"``): ``v_I = 1/2`` where ``|grad I| = alpha_I / (4 eps_I)``
        and its edges are about ``2 eps_I`` pixels wide.
    occlusion : bool
        Estimate left and right disparities with occlusion level sets
        ``phi`` (eq. 15-23; ``ms-occ``). Requires ``weight="v"``.
    t : float
        Occlusion threshold of eq. 19, in pixels of left-right inconsistency.
    nu : float
        Weight of the occlusion boundary length ``|grad H(phi)|`` (eq. 19).
    sigma : float
        Width of the Gaussian blur of ``e_occl`` (eq. 19), pixels.
    eps_h : float
        Width of the regularized Heaviside ``H_eps`` (eq. 17).
    eps_occl : float
        Saturation of the robust occlusion error (eq. 16): ``-ln(eps_occl)``.
    phi_steps : int
        Level-set flow steps per outer iteration.
    fill : {"regularizer", "background"}
        Disparity of occluded pixels: what the regularizer diffuses in, or
        the smaller of the nearest visible disparities along the row.
    occluded_weight : {"same", "none"}
        Regularizer weight of occluded pixels (beyond the paper): ``"same"``
        keeps ``w`` everywhere (eq. 23); ``"none"`` gates it by the
        visibility, ``H w + 1 - H``, so that a pixel without a data term is
        smoothed from all its neighbours instead of being cut off by the
        edges of ``v`` and ``v_I``, which there follow a disparity that no
        data supports. Occlusion models only.
    census : float
        Weight of a census cost mixed into the data term (beyond the
        paper; 0: off): the Hamming distance of the census signatures of the
        two views over a ``census_window`` square, divided by its number of
        bits. Only the ``relax`` solver, which samples the data term, uses it.
    census_window : int
        Side of the census window: odd, 3 to 7 (a 7x7 signature has 48 bits).
    aggregate : int
        Radius of the guided filter that aggregates the sampled data term
        over pixels of similar colour (beyond the paper; 0: off, the data
        term stays pointwise). ``relax`` only.
    aggregate_eps : float
        Regularization ``eps`` of the guided filter (colour variance, for
        images in [0, 1]).
    aggregate_scales : int
        Coarser scales whose aggregated costs join the full-scale one
        (beyond the paper; 0: off): cross-scale aggregation
        (`msstereo.solvers.cost.cross_scale`), scale ``s`` pooled over
        ``2^s x 2^s`` blocks. Used only when ``aggregate > 0``.
    aggregate_decay : float
        Weight of each scale relative to the next finer one, in (0, 1].
    tgv : float
        Weight of a second-order term relative to ``beta`` (beyond the
        paper; 0: off): total generalized variation of order 2 (Bredies,
        Kunisch and Pock, SIAM J. Imaging Sci. 3(3), 2010), ``beta w
        rho(|grad d - w|^2) + beta tgv psi(|grad w|^2)`` with a vector field
        ``w``, so that slanted surfaces are not flattened into staircases.
        ``relax`` only.
    weighted_median : int
        Radius of an image-guided weighted median applied to the finished
        disparities, after the occlusion fill (beyond the paper; 0: off):
        each pixel takes the weighted median of its window, weighted by
        colour similarity and distance (`msstereo.kernels.filters.weighted_median`), which
        removes the fill's streaks and isolated mismatches and keeps depth
        edges at colour edges. Any solver.
    median_color, median_space : float
        Widths of its colour weight (image units, [0, 1]) and distance
        weight (pixels).
    median_support : {"none", "confidence"}
        What else weighs a window pixel's value in the weighted median:
        nothing, or the confidence of that value (`msstereo.confidence`, of
        the view's disparities before the median; beyond the paper), so
        that mismatches and the fill of wrongly flagged pixels sway their
        neighbours' medians less. ``"confidence"`` needs the occlusion
        models, whose two views the confidence reads.
    plane_segments : float
        Scale of the colour segmentation of the slanted-plane refinement
        (beyond the paper; 0: off): after the weighted median, the pixels
        of confidence below ``plane_confidence`` take the robust plane that
        the confident pixels of their segment of the left image fit
        (`msstereo.planes`). Larger: larger segments. Occlusion models only,
        whose result has a confidence.
    plane_confidence : float
        Confidence at and above which a pixel fits its segment's plane, and
        below which it takes it, in (0, 1).

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
    column_parity: bool = False
    weight: str = "none"
    alpha: float = 0.1
    eps: float = 0.04
    alpha_i: float = 0.05
    eps_i: float = 1.0
    occlusion: bool = False
    t: float = 1.0
    nu: float = 0.2
    sigma: float = 0.5
    eps_h: float = 1.0
    eps_occl: float = 0.005
    phi_steps: int = 10
    fill: str = "regularizer"
    occluded_weight: str = "same"
    census: float = 0.0
    census_window: int = 7
    aggregate: int = 0
    aggregate_eps: float = 1e-4
    aggregate_scales: int = 0
    aggregate_decay: float = 0.8
    tgv: float = 0.0
    weighted_median: int = 0
    median_color: float = 0.05
    median_space: float = 4.0
    median_support: str = "none"
    plane_segments: float = 0.0
    plane_confidence: float = 0.5

    @property
    def edge_weighted(self):
        """Whether the regularizer weight has the image edge map ``v_I^2``."""
        return self.weight in ("edge", "edge+v")

    @property
    def search_only(self):
        """Parameters beyond the paper that only the ``relax`` solver can minimize (set ones)."""
        return tuple(name for name in ("census", "aggregate", "tgv") if getattr(self, name) > 0)

    @property
    def joint_v(self):
        """Whether the regularizer weight has a jointly estimated ``v^2``."""
        return self.weight in ("v", "edge+v")

    FIELD_SPECS = {
        "name": checks.Text(settable=False), "lam": checks.Real(), "eta": checks.positive(), "beta": checks.Real(),
        "eta_s": checks.positive(), "robust": checks.Flag(), "interpolation": checks.Integer(choices=(1, 3)),
        "column_parity": checks.Flag(),
        "weight": checks.Choice(("none", "edge", "v", "edge+v")), "alpha": checks.positive(),
        "eps": checks.Real(), "alpha_i": checks.positive(), "eps_i": checks.positive(),
        "occlusion": checks.Flag(), "t": checks.Real(), "nu": checks.Real(), "sigma": checks.Real(),
        "eps_h": checks.positive(), "eps_occl": checks.Real(0.0, 1.0, open_low=True, open_high=True),
        "phi_steps": checks.Integer(1, 1000), "fill": checks.Choice(("regularizer", "background")),
        "occluded_weight": checks.Choice(("same", "none")),
        "census": checks.Real(), "census_window": checks.Integer(choices=(3, 5, 7)),
        "aggregate": checks.Integer(0, 64), "aggregate_eps": checks.positive(),
        "aggregate_scales": checks.Integer(0, 8), "aggregate_decay": checks.Real(0.0, 1.0, open_low=True),
        "tgv": checks.Real(),
        "weighted_median": checks.Integer(0, 32), "median_color": checks.positive(),
        "median_space": checks.positive(), "median_support": checks.Choice(("none", "confidence")),
        "plane_segments": checks.Real(0.0, 10000.0),
        "plane_confidence": checks.Real(0.0, 1.0, open_low=True, open_high=True),
    }
    """What each field accepts (`msstereo.checks`); the command line parses ``--param`` with it.

    The counts and radii have upper bounds (``phi_steps`` 1000, ``aggregate`` 64,
    ``aggregate_scales`` 8, ``weighted_median`` 32: a window of 65 x 65 pixels per pixel), so
    that a typo is refused instead of running for hours. ``name`` names the model and is not
    a parameter to set."""

    def __post_init__(self):
        checks.check_fields(self, self.FIELD_SPECS, "model parameter")
        if self.occlusion and not self.joint_v:
            raise ValueError("occlusion=True needs weight='v' or 'edge+v' (the ms-occ model)")
        if self.median_support == "confidence" and not self.occlusion:
            raise ValueError("median_support='confidence' needs occlusion=True: the confidence reads both views")
        if self.plane_segments > 0 and not self.occlusion:
            raise ValueError("plane_segments > 0 needs occlusion=True: the refinement reads the confidence")


_MS_TV = dict(weight="v", alpha=0.03, eps=0.04, beta=0.05)

MODELS = {
    "tv": Model(name="tv"),
    "tv-edge": Model(name="tv-edge", weight="edge", alpha_i=0.4, eps_i=0.5, beta=0.06),
    "ms-l2": Model(name="ms-l2", weight="v", robust=False, alpha=0.01, beta=0.1),
    "ms-tv": Model(name="ms-tv", **_MS_TV),
    "ms-occ": Model(name="ms-occ", occlusion=True, fill="background", t=0.7, phi_steps=40, **_MS_TV),
    "default": Model(name="default", occlusion=True, fill="background", t=0.8, sigma=0.3, phi_steps=10,
                     weight="edge+v", alpha_i=0.4, eps_i=0.5, beta=0.1, alpha=0.06, eps=0.04,
                     lam=0.0, census=1.0, census_window=5, aggregate=2, aggregate_scales=1, aggregate_decay=0.3,
                     weighted_median=8, occluded_weight="none", column_parity=True, tgv=4.0,
                     median_support="confidence", plane_segments=100.0),
}
"""Default parameters of each named model, tuned on the four Middlebury v2
scenes (grids and results: ``benchmarks/results/tuning.md``)."""

PAPER_MODELS = ("tv", "tv-edge", "ms-l2", "ms-tv", "ms-occ")
"""The paper's energies: every solver minimizes them. ``default`` adds options
beyond the paper that only ``relax`` can minimize (`Model.search_only`)."""


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
