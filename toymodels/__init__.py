"""toymodels: symbolic toy losses, their derivations, and the dynamics of gradient descent."""

from . import diagnostics, errors, flows, optim, plot, zoo
from .integrate import integrate
from .model import Model
from .simulate import simulate
from .solution import Solution
from .trajectory import Trajectory

__all__ = ["Model", "Solution", "Trajectory", "diagnostics", "errors", "flows", "integrate", "optim", "plot", "simulate", "zoo"]
__version__ = "0.1.0"
