"""Gradient flow dθ/dt = −∇L(θ), the order-0 modified flow of GD (docs/theory/modified-flows.md)."""

from .field import VectorField


def gradient(model) -> VectorField:
    """The gradient flow of ``model``."""
    numeric = model.numeric
    return VectorField("gradient", "gradient flow", lambda theta: -numeric.grad(theta), model)
