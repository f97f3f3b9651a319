"""The :class:`VectorField`: a batched right-hand side dθ/dt = f(θ) with its labels."""

from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)  # identity: fields hold functions and a dict
class VectorField:
    """dθ/dt = ``function(θ)`` for θ of shape (..., d), with what a figure or report needs.

    ``complex`` is True when the field takes complex values at real θ (the principal flow
    past ηλ = 1), so it must be integrated with a complex state. A multi-valued field also has
    ``continued(θ, reference) -> (dθ/dt, branch)``, which evaluates it on the branch nearest
    ``reference`` (the ``branch`` returned at an earlier point of the same path; None for the
    default branch); :func:`toymodels.integrate` carries the branch along each trajectory,
    which is analytic continuation along the path. ``lr`` is the learning rate
    the flow models (None for gradient flow); time is flow time t, one GD step = lr
    (docs/theory/conventions.md), unless ``time_unit`` says otherwise (the manifold flows use T = η²k).
    """

    name: str
    label: str
    function: object
    model: object
    lr: float | None = None
    complex: bool = False
    time_unit: str = "flow time t; one GD step = lr units"
    meta: dict = field(default_factory=dict)
    continued: object = None

    def __call__(self, theta):
        return self.function(theta)
