# %% [markdown]
# # From a typed loss to a figure: GD at the edge of stability and the principal flow
#
# A loss typed as text, its derivations, GD where it oscillates across the valley of minima,
# the principal flow (PF) that follows it (docs/theory/principal-flow.md), and one figure.
# Run it as a script (`python examples/edge_of_stability.py` writes edge_of_stability.png), or
# open it as a notebook with jupytext (the `# %%` lines are its cells). The tests run it.

# %%
import matplotlib.pyplot as plt
import numpy as np

import toymodels as tm

# %% [markdown]
# ## The loss and its derivations
# A two-layer scalar network with a small quartic term: the minima are no longer the hyperbola
# ab = 1 alone, so nothing here is in the zoo. In a notebook, `m` alone displays as LaTeX.

# %%
m = tm.Model.from_string("(a*b - 1)**2/2 + (a - b)**4/40", params="a b")
print(m.latex(parts=("loss", "gradient", "hessian")))
eigenvalues = m.eigensystem().eigenvalues          # closed form: a 2x2 Hessian
print("λ1 at (2, 0.5):", float(max(v.subs(dict(zip(m.params, (2, 0.5)))) for v in eigenvalues)))

# %% [markdown]
# ## GD at the edge
# Learning rate 0.5; from a start where the sharpness is just above 2/η = 4, GD does not
# diverge: it oscillates across the valley and drifts along it to a minimum flatter than 2/η.

# %%
lr, x0 = 0.5, np.array([1.89, 0.58])
run = tm.simulate(m, tm.optim.GD(lr), x0, 300, record=["loss", "sharpness"])
print(f"η·λ1 at the start: {lr * run['sharpness'][0]:.2f}; at the end: {lr * run['sharpness'][-1]:.3f}; "
      f"status: {run.status}")

# %% [markdown]
# ## The principal flow and the IGR flow over the first steps
# GD step k is flow time t = kη; the PF is complex past ηλ = 1, so it starts from a complex state.

# %%
steps = 8
fine = np.linspace(0, steps * lr, 8 * steps + 1)
pf = tm.integrate(tm.flows.principal(m, lr), x0.astype(complex), fine[-1], saveat=fine)
igr = tm.integrate(tm.flows.modified(m, lr, order=1), x0, fine[-1], saveat=fine)
on_steps = slice(0, None, 8)                       # the saved times t = kη
pf_error = np.linalg.norm(pf.x[on_steps].real - run.x[: steps + 1], axis=-1)
igr_error = np.linalg.norm(igr.x[on_steps] - run.x[: steps + 1], axis=-1)
print("distance to GD at t = kη, PF: ", pf_error.round(4))
print("distance to GD at t = kη, IGR:", igr_error.round(4))

# %% [markdown]
# ## One figure: paths over the contours, sharpness against 2/η, and the loss

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), layout="constrained")
tm.plot.paths(m, run, pf, igr, ax=axes[0], until=fine[-1])
axes[0].legend(loc="upper right", fontsize=7)
tm.plot.sharpness(run, axes=axes[1:])
axes[1].legend(loc="lower right")
fig.savefig("edge_of_stability.png", dpi=120)

# %% [markdown]
# What the figure shows is checked here, so the example fails if it stops being true.

# %%
assert run.status == "finished" and lr * run["sharpness"][0] > 2   # it starts beyond the edge
assert np.all(pf_error[1:] < 0.3 * igr_error[1:])  # the PF follows GD's oscillation, IGR cannot
assert lr * run["sharpness"][-1] < 2               # and GD ends at a minimum below the edge
