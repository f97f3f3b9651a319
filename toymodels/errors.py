"""The error hierarchy of toymodels.

Every error the package raises on purpose derives from :class:`ToyModelError`, so a
caller can catch the package's own complaints without swallowing programming errors.
Each message says what was wrong and what to do about it.
"""


class ToyModelError(Exception):
    """Base class of every error raised on purpose by toymodels."""


class ModelSpecError(ToyModelError, ValueError):
    """A model definition is malformed (non-scalar loss, unknown symbols, bad data)."""


class ParseError(ModelSpecError):
    """A loss string was rejected by the safe parser."""


class UnknownNameError(ToyModelError, KeyError):
    """An unknown zoo entry, parameter, claim or metric was requested."""

    def __str__(self):  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else ""


class InvalidInputError(ToyModelError, ValueError):
    """A numeric argument is out of range or has the wrong shape."""


class UnsupportedError(ToyModelError):
    """A construction that this model does not support (e.g. sqrt_loss without a known minimum)."""


class SingularError(ToyModelError, ArithmeticError):
    """A mathematically singular case (e.g. eta*lambda = 1 in the principal flow)."""


class LimitMapError(SingularError):
    """The limit map Φ(θ) of gradient flow is undefined or was not reached (gradient flow to a
    saddle, a step-size collapse, no convergence in time)."""


class OutputError(ToyModelError, OSError):
    """A result could not be written where asked (a missing folder, no permission, a full disk)."""
