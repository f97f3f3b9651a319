"""The network and start shared by the edge-of-stability claims on data (no claim here).

A one-hidden-layer tanh network of width 10 (d = 30) on n = 20 samples of y = sin(2πx), from a
LeCun-style start at scale 0.5 (seed 1). Found by a scan over width, target frequency and init
scale: with this harder target and small start the sharpness starts far below 2/η and rises
steadily (progressive sharpening, Cohen et al., ICLR 2021) for η from 0.25 to 1; wider
targets or larger starts sharpen too little within a few thousand steps. The model is built
once per process (a declared shared run), so its compiled functions are shared by the claims.
"""

from .. import zoo
from ..verify import shared_run
from ..zoo.networks import initial_weights

NETWORK = {"width": 10, "n": 20, "frequency": 2.0, "noise": 0.0, "seed": 0}
START = {"seed": 1, "scale": 0.5}
DESCRIPTION = ("tanh_net(width=10, n=20, frequency=2): ½(Σ_j a_j tanh(w_j x + b_j) − y)² on 20 samples of "
               "y = sin(2πx), start: LeCun-style N(0, 0.5²/fan_in) weights, seed 1")


@shared_run("the EoS tanh network")
def network():
    """The shared tanh network (compiled once per process)."""
    return zoo.get("tanh_net", **NETWORK)


def start():
    """The shared start θ0 (d,)."""
    return initial_weights(network(), START["seed"], scale=START["scale"])
