"""Per-level solvers: the paper's PDE scheme, the optimization view and the relaxation.

Every solver's options object makes a *stepper* per view and level,
``options.stepper(energy, bounds, views)``, which descends a
`msstereo.energy.ViewEnergy` in the unknowns of a `msstereo.energy.ViewState`
that its caller owns and passes to every call:

- ``start(state)``: set the level's initial disparity ``state.d``;
- ``objective(state)``: the energy its steps descend;
- ``step(state, e, log)``: one descent step from energy ``e`` (None:
  unknown), updating ``state.d`` (and ``v``, ``w``) in place; it returns the
  energy after the step, NaN when ``log`` keeps nothing
  (`msstereo.result.DISCARD`, the energy is not computed), or None when it
  could not descend (the state's ``d`` is then unchanged);
- ``ready``: whether ``d`` is settled enough for the occlusion models to
  detect occlusions from it.

`msstereo.solvers.loop.outer_loop` runs the steps of a level.
"""

from scipy.ndimage import median_filter

from .. import checks
from ..kernels.filters import median5
from ..models import Model
from ..pyramid import pyramid_shapes


def median_step(d, size):
    """Median filter of a disparity between warps (Sun, Roth and Black, CVPR 2010).

    A heuristic outside the energy: it removes the isolated outliers of the
    warping scheme, which the energy does not penalize enough to avoid.
    The default 5x5 window runs by `msstereo.kernels.filters.median5`, the
    same numbers as scipy's filter in a tenth of the time.
    """
    if size == 5:
        return median5(d)
    return median_filter(d, size=size, mode="nearest")


class SolverOptions:
    """What the per-level loop and `msstereo.match` ask of a solver's options.

    The option dataclasses of the solvers derive from it and set
    ``step_class`` (their stepper), ``outer_field`` (the field that caps the
    outer iterations), ``global_search`` (whether they search the sampled data
    term, so that options beyond the paper can be minimized), ``levels``
    (pyramid levels used, the finest ones; None: all) and ``FIELD_SPECS``
    (what each option accepts, checked on construction).
    """

    step_class = None
    outer_field = "warps"
    global_search = False
    levels = None

    FIELD_SPECS = {}
    """What each option accepts (`msstereo.checks`), by field name; set by each solver."""

    energy_name = "E"
    """What the energy its steps log is called in progress lines (`msstereo.result.LevelLog.line`)."""

    preparing = "the images and the energy's terms"
    """What a level computes before its first iteration, said by the progress lines as it starts."""

    def __post_init__(self):
        # One validation path for every solver: the specs check and normalize the fields.
        checks.check_fields(self, self.FIELD_SPECS, f"{type(self).__name__} option")

    @property
    def outer_iterations(self):
        """Cap of the outer iterations per level, for `msstereo.solvers.loop.outer_loop`."""
        return getattr(self, self.outer_field)

    def level_shapes(self, shape, factor, min_size, bounds, views, itemsize):
        """Shapes of the pyramid levels the solver runs, finest first.

        The pyramid of `msstereo.pyramid.pyramid_shapes`, its finest
        ``levels``; the disparity range ``bounds`` of the finest level, the
        number of ``views`` and the ``itemsize`` of the working floats are
        for solvers whose levels depend on memory (`msstereo.Relax`).
        """
        return pyramid_shapes(shape, factor, min_size, self.levels)

    def for_model(self, model):
        """These options with the fields derived from ``model`` set (`msstereo.Relax.for_model`); here none."""
        return self

    def stepper(self, energy, bounds, views=1):
        """The descent steps of one view at one level, after `check_model`, with the options `for_model`.

        ``views``: how many views solve side by side at the level (they
        share the memory budget of a solver that has one).
        """
        check_model(self, energy.model)
        return self.step_class(energy, bounds, self.for_model(energy.model), views)

    def check_filters(self, shape):
        """Refuse a median filter wider than the image's short side (before any work)."""
        side = min(shape)
        median = getattr(self, "median", 0)
        if median > side:
            raise ValueError(f"{type(self).__name__} option 'median' ({median}) is larger than the "
                             f"image's short side ({side} px)")

    def check_memory(self, shape, bounds, views, itemsize):
        """Refuse work beyond the machine's memory (before any work); nothing to check by default."""


def check_model(options, model):
    """Refuse a model whose energy the solver cannot descend.

    The census cost and the aggregation of the data term are defined on
    sampled disparities, without the Gauss-Newton model or gradient that
    ``pde`` and ``optimize`` need; only the search of ``relax`` uses them.
    The second-order field of ``tgv`` is an unknown that only the
    alternation of ``relax`` updates.
    """
    if model.search_only and not options.global_search:
        name = model.search_only[0]
        raise ValueError(f"model parameter {name!r} of model {model.name!r} needs solver='relax', got "
                         f"solver={options.name!r} (the paper's models tv, tv-edge, ms-l2, ms-tv and "
                         f"ms-occ run with every solver)")


# The solvers, after `SolverOptions`, which their modules import from here.
from .optimize import Optimize  # noqa: E402
from .pde import PDE  # noqa: E402
from .relax import Relax  # noqa: E402

SOLVERS = {"pde": PDE, "optimize": Optimize, "relax": Relax}
"""The solvers by name: their options classes."""


def check_parameters(params, model, options, match_options):
    """Refuse a keyword of `msstereo.match` that is neither one of its options nor a model parameter.

    Kept apart from the model's own check (`get_model`) so that the message
    says which of the two was meant: the nearest name of either, or the
    solver whose option it is.

    Parameters
    ----------
    params : dict
        The keywords of `msstereo.match` beyond its options.
    model : str or Model
        The model asked for (for the message).
    options : SolverOptions
        The solver's options.
    match_options : list of str
        The names of `msstereo.match`'s own options.
    """
    parameters = checks.settable(Model.FIELD_SPECS)
    unknown = sorted(set(params) - set(parameters))
    if not unknown:
        return
    key = unknown[0]
    start = (f"unknown parameter {key!r}: not a match option nor a parameter of model "
             f"{getattr(model, 'name', model)!r}")
    owners = [cls for cls in SOLVERS.values() if key in cls.FIELD_SPECS]
    if owners:
        owner = type(options) if type(options) in owners else owners[0]
        raise ValueError(f"{start}, but an option of solver {owner.name!r}: pass "
                         f"solver=msstereo.{owner.__name__}({key}=...)")
    hint = checks.did_you_mean(key, match_options + parameters)
    raise ValueError(start + (f"; {hint}" if hint else f"; match options: {', '.join(match_options)}; "
                                                      f"model parameters: {', '.join(parameters)}"))


def get_solver(solver):
    """The options of ``solver``: a name of `SOLVERS` (its defaults) or an options instance, as it is.

    Raises
    ------
    ValueError
        For anything else, naming the choices.
    """
    if isinstance(solver, tuple(SOLVERS.values())):
        return solver
    if isinstance(solver, str) and solver in SOLVERS:
        return SOLVERS[solver]()
    raise ValueError(f"unknown solver {solver!r}; choose one of {sorted(SOLVERS)}")
