"""The runs behind the manifold.* claims (Arora, Li, Panigrahi, ICML 2022, arXiv:2205.09745;
docs/theory/manifold.md).

One start per model; normalized GD and GD on √(L − min L) each run once per model with the
learning rates η = 0.08·2^{−j} as one batch (j = 0…4 quick, 0…5 full), for K = T/η_min²
steps, T the comparison slow time. The first HEAD_STEPS steps are saved at every step (the
edge-of-stability cycle), the rest every two steps (λ1 over two-step windows, and the states
at k = T/η² for the flow comparison). The sweeps are declared shared runs: every manifold claim
reads the same runs, so the wrong constants are rejected on exactly the data of the claims they
protect. A second start per model (``CALIBRATION_STARTS``; the quick η, at the comparison time
T of the mode) calibrates the constants C that the theorems leave open; no claim judges it.

Start time of the flows: as in the theorems, X(0) = Φ(θ0) at T = 0. The approach phase
(the iterate travelling to within one step of Γ) takes k0 = O(1/η) steps, i.e. slow time
η²k0 = O(η), and so contributes to the O(η) error; k0 and η²k0 are reported.
"""

from dataclasses import dataclass

import numpy as np

from .. import zoo
from ..flows import manifold_flow, solve_on_manifold
from ..limit_map import limit_map
from ..manifold import normal_offset
from ..optim import NormalizedGD, SqrtLossGD
from ..simulate import simulate
from ..status import FINISHED
from ..verify import fit_order, shared_run

MODELS = ("two_layer_scalar", "arora_valley", "rosenbrock_valley", "zhu_minimal")
#: Starts: off Γ (by 0.01–0.2), away from the minimizer of λ1 on Γ, so the flow has far to go.
STARTS = {"two_layer_scalar": (2.0, 0.51), "arora_valley": (1.5, 0.2), "rosenbrock_valley": (1.0, 1.1),
          "zhu_minimal": (1.6, 0.9, 1.1, 0.65)}
#: Other starts, off Γ on the other side or by other amounts, whose sweeps calibrate C.
CALIBRATION_STARTS = {"two_layer_scalar": (1.6, 0.7), "arora_valley": (1.2, 0.15),
                      "rosenbrock_valley": (-0.8, 0.55), "zhu_minimal": (1.3, 1.2, 0.8, 0.75)}
#: min of λ1 on Γ and where it is attained (λ1 = a² + b² ≥ 2|ab|; 2(1 + x²); 2(1 + 4x²);
#: Σ 1/w_i² ≥ 4 by AM–GM on ∏w = 1).
LAMBDA1_MIN = {"two_layer_scalar": (2.0, "a = b = ±1"), "arora_valley": (2.0, "x = 0"),
               "rosenbrock_valley": (2.0, "x = 0"), "zhu_minimal": (4.0, "|w_i| = 1")}
ETA_MAX = 0.08
HEAD_STEPS = 400
FIGURE_TIME = 5.0  # slow time span of the λ1 figure and the flow paths stored for figures

#: The optimizers and their limiting flows: (optimizer class, coefficient, objective).
OPTIMIZERS = {"ngd": (NormalizedGD, 0.25, "log_lambda1"), "sqrt": (SqrtLossGD, 0.125, "lambda1")}
LABELS = {"ngd": "normalized GD", "sqrt": "GD on √(L − min L)"}
FLOWS = [(c, f) for c in (0.25, 0.125) for f in ("log_lambda1", "lambda1")]


def flow_name(coefficient, objective):
    return f"−{'¼' if coefficient == 0.25 else '⅛'} P⊥∇{'log λ1' if objective == 'log_lambda1' else 'λ1'}"


def learning_rates(quick):
    return ETA_MAX / 2.0 ** np.arange(5 if quick else 6)


def slow_time(quick):
    """Comparison time T; k = T/η² is a whole, even number of steps for every η."""
    return 0.32 if quick else 0.64


def compare_steps(eta, time):
    return np.rint(time / eta**2).astype(int)


@dataclass
class Sweep:
    """One optimizer on one model, η swept as a batch: λ1(Φ(θ_k)) along the run and what the
    claims and figures need of the states (the full state history is not kept)."""

    model: object
    optimizer: str
    eta: np.ndarray  # (n,)
    time: float  # comparison slow time T
    steps: np.ndarray  # (m,) saved step counts (every step to HEAD_STEPS, then every two)
    valid: np.ndarray  # (m, n) saved state reached before the start stopped
    status: np.ndarray  # (n,) "finished", or "converged" when an iterate hit ∇L = 0 exactly
    lambda1_phi: np.ndarray  # (m, n) λ1(∇²L(Φ(θ_k)))
    phi_compare: np.ndarray  # (n, d) Φ(θ_k) at k = T/η²
    phi_largest_eta: np.ndarray  # (m, d) Φ(θ_k) of the run with the largest η (figures)
    head_x: np.ndarray  # (HEAD_STEPS + 1, n, d) the first iterates
    head_sharpness: np.ndarray  # (HEAD_STEPS + 1, n) λ1(∇²L(θ_k))
    head_lr: np.ndarray  # (HEAD_STEPS, n) the lr used on ∇L: η/‖∇L‖ or η/(2√(L − L*))
    head_offset: np.ndarray  # (HEAD_STEPS + 1, n) signed distance to Γ along u1
    flows: dict  # (coefficient, objective) -> Solution of the flow from Φ(θ0)

    def index(self, k):
        return int(np.searchsorted(self.steps, k))

    @property
    def compare_steps(self):
        return compare_steps(self.eta, self.time)

    def flow_at_time(self, flow):
        """X(T) of ``flow`` = (coefficient, objective) at the comparison time T."""
        sol = self.flows[flow]
        return sol.x[np.searchsorted(sol.t, self.time)]

    def errors(self, flow):
        """‖Φ(θ_k) − X(T)‖₂ at k = T/η² for each η, against ``flow`` = (coefficient, objective)."""
        rows = [self.index(k) for k in self.compare_steps]
        ok = self.valid[rows, np.arange(len(self.eta))]
        return np.where(ok, np.linalg.norm(self.phi_compare - self.flow_at_time(flow), axis=-1), np.inf)

    def approach_steps(self):
        """k0 per η: the first step at which |offset along u1| ≤ one step length."""
        inside = np.abs(self.head_offset) <= self.step_length(slice(0, HEAD_STEPS + 1))
        return np.where(inside.any(axis=0), np.argmax(inside, axis=0), -1)

    def step_length(self, rows):
        """Distance moved per step near Γ: η (NGD), η√(λ1(Φ)/2) (GD on √L)."""
        if self.optimizer == "ngd":
            return np.broadcast_to(self.eta, self.lambda1_phi[rows].shape)
        return self.eta * np.sqrt(self.lambda1_phi[rows] / 2)


def _merge(head, tail):
    """Join a run saved at every step with its continuation saved every two steps."""
    steps = np.r_[head.steps, head.steps[-1] + tail.steps[1:]]
    x = np.concatenate([head.x, tail.x[1:]])
    head_ok = head.status == FINISHED
    valid = np.concatenate([head.valid, tail.valid[1:] & head_ok[None]])
    status = np.where(head_ok, tail.status, head.status)
    return steps, x, valid, status


def start(name, calibration):
    return np.array((CALIBRATION_STARTS if calibration else STARTS)[name], dtype=float)


@shared_run("manifold sweeps")
def sweep(name, optimizer, quick, calibration=False) -> Sweep:
    """The run of ``optimizer`` ("ngd" or "sqrt") on zoo model ``name`` from its start, or from
    its calibration start: then over the quick η (a quarter of the steps) at the same T."""
    model = zoo.get(name)
    cls, _, _ = OPTIMIZERS[optimizer]
    eta, time = learning_rates(quick or calibration), slow_time(quick)
    total = int(round(time / eta[-1] ** 2))
    x0 = np.tile(start(name, calibration), (len(eta), 1))
    head = simulate(model, cls(eta), x0, HEAD_STEPS, record=("sharpness",))
    tail = simulate(model, cls(eta), head.final, total - HEAD_STEPS, record=(), save_every=2)
    steps, x, valid, status = _merge(head, tail)
    phi = limit_map(model, x)
    rows = np.searchsorted(steps, compare_steps(eta, time))
    return Sweep(model, optimizer, eta, time, steps, valid, status, model.numeric.sharpness(phi),
                 phi[rows, np.arange(len(eta))], phi[:, 0], head.x, head["sharpness"], head.lr,
                 normal_offset(model, head.x), limiting_flows(name, calibration))


@shared_run("manifold limiting flows")
def limiting_flows(name, calibration=False):
    """The four candidate flows from Φ(θ0), as Solutions in slow time, shared by both optimizers.

    The right flows of the two optimizers are saved on a grid up to FIGURE_TIME (every save
    time is a step of the integrator, so the grid is coarse); the wrong ones at the comparison
    times only.
    """
    model = zoo.get(name)
    x0 = start(name, calibration)
    compare = sorted({slow_time(True), slow_time(False)})
    flows = {}
    for coefficient, objective in FLOWS:
        right = (coefficient, objective) in [(c, f) for _, c, f in OPTIMIZERS.values()]
        end = FIGURE_TIME if right else compare[-1]
        grid = np.unique(np.r_[np.linspace(0, end, 26) if right else 0.0, compare])
        flows[(coefficient, objective)] = solve_on_manifold(manifold_flow(model, coefficient, objective),
                                                            x0, end, saveat=grid)
    return flows


def fitted_slope(eta, err):
    """Slope of log err against log η, and whether it is clean: every point within a factor 2
    of the fitted power law (the error may be far below its bound and change sign)."""
    slope, _, intercept = fit_order(eta, err)
    clean = bool(np.all(np.abs(np.log(err) - (slope * np.log(eta) + intercept)) <= np.log(2)))
    return slope, clean
