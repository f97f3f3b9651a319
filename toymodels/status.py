"""The one vocabulary of per-start statuses, shared by runs (:class:`~toymodels.trajectory.Trajectory`)
and integrations (:class:`~toymodels.solution.Solution`).

As in Diffrax (Kidger), an expected failure is the status of the start it happened to, never an
exception for the whole batch. Statuses are plain strings, so they survive ``.npz`` files and JSON.
"""

#: Every step was taken (a run) or the final time was reached (an integration).
FINISHED = "finished"
#: A run stopped early at a stationary point, or its gradient norm fell to ``tol``.
CONVERGED = "converged"
#: The state left the bound ``max_norm`` or a value became non-finite.
DIVERGED = "diverged"
#: The start met a mathematically singular point (e.g. ηλ = 1 in the principal flow, a λ1 that
#: is not simple on Γ, a rank-deficient constraint Jacobian).
SINGULAR = "singular"
#: The adaptive step size fell below its minimum where the field is finite.
STEP_SIZE_COLLAPSE = "step_size_collapse"
#: The step budget of an integration was spent before the final time.
MAX_STEPS = "max_steps"
#: The limit map Φ was not reached: gradient flow stopped at a saddle or did not converge in time.
NOT_CONVERGED = "not_converged"

ALL = (FINISHED, CONVERGED, DIVERGED, SINGULAR, STEP_SIZE_COLLAPSE, MAX_STEPS, NOT_CONVERGED)
