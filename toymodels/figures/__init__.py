"""Figures drawn from the runs a claim produced: a registry, one style, and atomic saving.

A figure is a function ``draw(artifacts) -> matplotlib.figure.Figure`` registered with
:func:`figure` under a name and the id of the claim whose verdict artifacts it draws. It never
re-runs a simulation: everything it plots is in the artifacts (or is a closed form of the
model, such as loss contours). ``toymodels reproduce`` renders every figure of every claim it
ran and saves each as PNG and PDF. Every module of this package is imported below, so a new
group of figures is a new module.
"""

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt

from ..atomic import atomic_path
from ..style import paper_style

FORMATS = ("png", "pdf")


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure: its file name, the claim it belongs to, a caption, the drawing."""

    name: str
    claim: str
    caption: str
    draw: object


_FIGURES: dict[str, FigureSpec] = {}


def figure(name, claim, caption):
    """Decorator registering ``draw(artifacts) -> Figure`` as figure ``name`` of claim ``claim``."""

    def register(draw):
        if name in _FIGURES:
            raise ValueError(f"figure {name!r} is registered twice")
        _FIGURES[name] = FigureSpec(name, claim, caption, draw)
        return draw

    return register


def all_figures() -> list[FigureSpec]:
    """Every registered figure, sorted by name."""
    return [_FIGURES[k] for k in sorted(_FIGURES)]


def for_claim(claim_id) -> list[FigureSpec]:
    """The figures drawn from the artifacts of claim ``claim_id``."""
    return [spec for spec in all_figures() if spec.claim == claim_id]


def render(spec, artifacts):
    """Draw ``spec`` from ``artifacts`` in the paper style; the caller closes the figure."""
    with paper_style():
        return spec.draw(artifacts)


def save(fig, folder, name) -> list[Path]:
    """Write ``fig`` as ``folder/name.png`` and ``.pdf`` atomically and close it."""
    paths = []
    try:
        for fmt in FORMATS:
            path = Path(folder) / f"{name}.{fmt}"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=200 if fmt == "png" else None, bbox_inches="tight")
            paths.append(path)
    finally:
        plt.close(fig)
    return paths


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
