"""toymodels: symbolic toy losses, their derivations, and the dynamics of gradient descent."""

from . import errors, optim, zoo
from .model import Model
from .simulate import simulate
from .trajectory import Trajectory

__all__ = ["Model", "Trajectory", "errors", "optim", "simulate", "zoo"]
__version__ = "0.1.0"
