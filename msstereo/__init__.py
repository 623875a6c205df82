"""msstereo: variational stereo matching with Mumford-Shah regularization and occlusion handling.

The method is R. Ben-Ari and N. Sochen, "Stereo matching with Mumford-Shah
regularization and occlusion handling", IEEE TPAMI 32(11), 2010.
"""

# The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

from .match import match
from .models import MODELS, Model
from .result import LevelLog, StereoResult
from .solvers.optimize import Optimize
from .solvers.pde import PDE
from .solvers.relax import Relax

__all__ = ["match", "Model", "MODELS", "PDE", "Optimize", "Relax", "StereoResult", "LevelLog"]
