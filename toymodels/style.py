"""One figure style for every toymodels figure.

Colours are the Okabe–Ito palette (Okabe & Ito 2008), which stays distinguishable under the
common colour-vision deficiencies; every series also has its own line style or marker, so the
figures survive greyscale printing. Flows and optimizers are named as the papers name them
and always drawn the same way, so a reader learns the legend once.
"""

from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7"}

#: How each named series is drawn, wherever it appears.
SERIES = {
    "GD": dict(color=OKABE_ITO["black"], marker="o", markersize=3.5, linestyle="none"),
    "gradient flow": dict(color=OKABE_ITO["sky"], linestyle=":", linewidth=2.0),
    "IGR flow": dict(color=OKABE_ITO["orange"], linestyle="--", linewidth=1.6),
    "order-2 BEA flow": dict(color=OKABE_ITO["green"], linestyle="-.", linewidth=1.6),
    "principal flow": dict(color=OKABE_ITO["vermillion"], linestyle="-", linewidth=1.6),
    "PF + non-principal term": dict(color=OKABE_ITO["purple"], linestyle=(0, (5, 1, 1, 1)), linewidth=1.6),
    "normalized GD": dict(color=OKABE_ITO["black"], marker=".", markersize=3, linestyle="none"),
    "GD on √(L − min L)": dict(color=OKABE_ITO["blue"], marker="x", markersize=3, linestyle="none"),
    "SGD": dict(color=OKABE_ITO["green"], linestyle="-", linewidth=0.9),
    "limiting flow": dict(color=OKABE_ITO["vermillion"], linestyle=(0, (6, 1.5)), linewidth=1.8),
    "manifold Γ": dict(color=OKABE_ITO["sky"], linestyle="-", linewidth=3.0, alpha=0.6),
    "2/η": dict(color=OKABE_ITO["black"], linestyle=(0, (4, 2)), linewidth=1.0),
    "min λ1 on Γ": dict(color=OKABE_ITO["black"], linestyle=(0, (1, 2)), linewidth=1.0),
    "MiniBS": dict(color=OKABE_ITO["vermillion"], linestyle="-", linewidth=1.4),
    "batch sharpness": dict(color=OKABE_ITO["blue"], linestyle="--", linewidth=1.4),
    "λmax(H)": dict(color=OKABE_ITO["black"], linestyle=":", linewidth=1.6),
    "theory": dict(color=OKABE_ITO["vermillion"], linestyle=(0, (10, 3)), linewidth=1.2),
    "central flow": dict(color=OKABE_ITO["vermillion"], linestyle="-", linewidth=1.8),
    "GD, time-averaged": dict(color=OKABE_ITO["blue"], marker="D", markersize=5, linestyle="none"),
}

#: A cycle for series without a name of their own (for example one line per learning rate).
CYCLE = [dict(color=OKABE_ITO[c], linestyle=ls, marker=m, markersize=3, markevery=0.1)
         for c, ls, m in (("blue", "-", "o"), ("orange", "--", "s"), ("green", "-.", "^"),
                          ("vermillion", ":", "D"), ("purple", "-", "v"), ("sky", "--", "P"),
                          ("black", "-.", "X"))]

RC = {"figure.dpi": 100, "font.size": 10, "axes.titlesize": 10,
      "axes.labelsize": 10, "legend.fontsize": 8.5, "legend.frameon": False, "axes.grid": True,
      "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
      "savefig.bbox": "tight", "pdf.fonttype": 42, "mathtext.fontset": "dejavusans"}


def series(name, **overrides) -> dict:
    """Keyword arguments of ``plot`` for the named series, with ``label`` set to its name."""
    return {**SERIES[name], "label": name, **overrides}


def cycle(i, **overrides) -> dict:
    """Keyword arguments of ``plot`` for the i-th series without a name of its own."""
    return {**CYCLE[i % len(CYCLE)], **overrides}


@contextmanager
def paper_style():
    """Matplotlib settings of every toymodels figure."""
    with mpl.rc_context(RC):
        yield


def conventions_note(fig, text):
    """A small grey line above the axes stating conventions (loss scaling, time unit), under the
    figure's title if it has one; as a suptitle it takes part in the constrained layout, so
    nothing overlaps it."""
    title = fig.get_suptitle()
    fig.suptitle(f"{title}\n{text}" if title else text, fontsize=7.5, color="0.35")


def new(ncols=1, nrows=1, width=None, height=None, **kwargs):
    """``plt.subplots`` with constrained layout (no clipped labels), sized to the grid:
    6.4 in wide for one column, 3.6 in per column otherwise, 4.2 in tall per row."""
    width = width or (6.4 if ncols == 1 else 3.6 * ncols)
    height = height or 4.2 * nrows
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)
