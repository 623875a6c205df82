"""msstereo: variational stereo matching with Mumford-Shah regularization and occlusion handling.

The method is R. Ben-Ari and N. Sochen, "Stereo matching with Mumford-Shah
regularization and occlusion handling", IEEE TPAMI 32(11), 2010.

The names below are imported on first use (PEP 562), so that importing the
package, and ``msstereo --help`` or ``--version``, loads neither NumPy nor
Numba, SciPy or scikit-image.
"""

import importlib
import sys
import types

# The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

_LAZY = {
    "match": ".match", "Model": ".models", "MODELS": ".models", "PDE": ".solvers.pde",
    "Optimize": ".solvers.optimize", "Relax": ".solvers.relax", "StereoResult": ".result",
    "LevelLog": ".result",
}
"""Public name: the submodule that defines it."""

__all__ = ["match", "Model", "MODELS", "PDE", "Optimize", "Relax", "StereoResult", "LevelLog"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package, keeping ``msstereo.match`` the function when its submodule is imported.

    Importing a submodule binds it on the package under its name; for
    ``msstereo.match`` that would hide the function of the same name, which
    an eager ``from .match import match`` used to bind over it.
    """

    def __setattr__(self, name, value):
        if name == "match" and isinstance(value, types.ModuleType):
            value = value.match
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
