"""The JAX engine against hand-written jitted JAX scripts doing the same work (issue 12).

``python -m benchmarks engine`` prints JAX's device and dtype, then per workload the warm time of
toymodels (engine, and the NumPy path where it is the "before"), the warm time of a short JAX
script a researcher would write (jax.grad, vmap, lax.scan, jit; vectorized loss written by hand),
their ratio, and compile times separately (first call minus warm call). The same command on a
machine where JAX sees a GPU takes the same figures there. Targets: ratio ≤ 1.5 for the first
four workloads; derive + compile of tanh_net width 50 ≤ 3 s on the engine; NumPy ``simulate``
≤ 1.5× a hand-written NumPy loop.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import toymodels as tm
from toymodels import backend, diagnostics
from toymodels.jax_model import engine
from toymodels.zoo.networks import initial_weights

from .timing import best_time


def _first_and_warm(function, repeat=3):
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    warm = best_time(function, repeat=repeat)
    return first, warm


def _ready(tree):
    return jax.block_until_ready(tree)


def _line(label, ours, script, extra=""):
    (ours_first, ours_warm), (script_first, script_warm) = ours, script
    return (f"  {label}: toymodels {ours_warm * 1e3:.1f} ms, JAX script {script_warm * 1e3:.1f} ms, "
            f"ratio {ours_warm / script_warm:.2f} (target ≤ 1.5); compile: toymodels "
            f"{max(ours_first - ours_warm, 0):.2f} s, script {max(script_first - script_warm, 0):.2f} s{extra}")


def _tanh_loss(width, data):
    """½·mean(Σ_j a_j tanh(w_j x + b_j) − y)², θ = (w, b, a): the script's hand-written loss.
    The data stay NumPy float64 arrays, so they enter the trace in double precision."""
    x, y = data[:, 0], data[:, 1]

    def loss(theta):
        w, b, a = theta[:width], theta[width:2 * width], theta[2 * width:]
        return 0.5 * jnp.mean((jnp.tanh(x[:, None] * w + b) @ a - y) ** 2)
    return loss


def device_and_dtype():
    with backend.x64():
        dtype = (jnp.ones(1) * 1.0).dtype
    device = jax.devices()[0]
    return f"JAX {jax.__version__} on {device.platform} ({device.device_kind}); engine dtype {dtype}"


def eos_measurement():
    """GD on tanh_net (width 10, 20 samples, d = 30), 1 start × 20,000 steps, the loss at every
    step and the sharpness every 100 steps (201 states)."""
    width, steps, lr = 10, 20_000, 0.5
    m = tm.zoo.get("tanh_net", width=width, n=20)
    x0 = initial_weights(m, 0)

    def ours(b):
        run = tm.simulate(m, tm.optim.GD(lr), x0, steps, record=("loss",), backend=b, progress=False)
        return run, diagnostics.sharpness(m, run.x[::100], backend=b)

    loss = _tanh_loss(width, m.data)

    @jax.jit
    def script(theta0):
        def step(theta, _):
            value, grad = jax.value_and_grad(loss)(theta)
            return theta - lr * grad, (theta, value)
        final, (thetas, losses) = jax.lax.scan(step, theta0, None, length=steps)
        thetas = jnp.concatenate([thetas, final[None]])
        losses = jnp.concatenate([losses, loss(final)[None]])
        return thetas, losses, jnp.linalg.eigvalsh(jax.vmap(jax.hessian(loss))(thetas[::100]))[:, -1]

    with backend.x64():
        theta0 = jnp.asarray(x0)
        script_times = _first_and_warm(lambda: _ready(script(theta0)))
        thetas, losses, sharp = (np.asarray(a) for a in script(theta0))
    engine_times = _first_and_warm(lambda: ours("jax"))
    numpy_warm = best_time(lambda: ours("numpy"), repeat=1)
    run, values = ours("jax")
    # at the edge of stability (sharpness ≈ 2/lr) rounding differences grow, so the runs are
    # compared over their first 100 steps, and the sharpness of the script's own states
    early = np.max(np.abs(run.x[:101] - thetas[:101]))
    sharp_error = np.max(np.abs(diagnostics.sharpness(m, thetas[::100], backend="jax") - sharp))
    return (_line("EoS run, tanh_net d=30, 20,000 steps, loss every step, sharpness every 100", engine_times,
                  script_times) + f"; NumPy path {numpy_warm * 1e3:.0f} ms ({numpy_warm / script_times[1]:.0f}× the "
            f"script); max |state difference| over the first 100 steps {early:.1e}, sharpness {sharp_error:.1e}")


def many_starts():
    """GD on two_layer_scalar, 10⁴ starts × 1,000 steps, final states only."""
    m = tm.zoo.get("two_layer_scalar", y=1)
    x0 = np.random.default_rng(0).uniform(0.5, 2.0, size=(10_000, 2))
    steps, lr = 1_000, 0.1

    def ours(b):
        return tm.simulate(m, tm.optim.GD(lr), x0, steps, record=(), save_every=steps, backend=b,
                           progress=False).final

    def loss(theta):
        return 0.5 * (theta[0] * theta[1] - 1.0) ** 2

    @jax.jit
    def script(x):
        grad = jax.vmap(jax.grad(loss))
        return jax.lax.fori_loop(0, steps, lambda _, x: x - lr * grad(x), x)

    engine_times = _first_and_warm(lambda: ours("jax"))
    with backend.x64():
        start = jnp.asarray(x0)
        script_times = _first_and_warm(lambda: _ready(script(start)))
        error = np.max(np.abs(ours("jax") - np.asarray(script(start))))
    numpy_warm = best_time(lambda: ours("numpy"), repeat=3)

    gradient = m.numeric.grad

    def hand_numpy():  # the bare NumPy loop on the same compiled gradient
        x = x0.copy()
        for _ in range(steps):
            x = x - lr * gradient(x)
        return x

    hand = best_time(hand_numpy, repeat=3)
    return "\n".join([
        _line("GD, two_layer_scalar, 10⁴ starts × 1,000 steps", engine_times, script_times)
        + f"; max |difference| {error:.1e}",
        f"  NumPy simulate {numpy_warm * 1e3:.1f} ms vs a hand-written NumPy loop {hand * 1e3:.1f} ms: ratio "
        f"{numpy_warm / hand:.2f} (target ≤ 1.5)"])


def hessians():
    """Full and per-sample Hessians of tanh_net (d = 30, 20 samples) at 1,000 states."""
    width = 10
    m = tm.zoo.get("tanh_net", width=width, n=20)
    theta = initial_weights(m, 3, count=1000)
    loss = _tanh_loss(width, m.data)
    x, y = m.data[:, 0], m.data[:, 1]

    def sample_loss(t, xi, yi):
        w, b, a = t[:width], t[width:2 * width], t[2 * width:]
        return 0.5 * (jnp.tanh(xi * w + b) @ a - yi) ** 2

    def sum_form(t):  # the same loss with Σ_j a_j·tanh instead of a matrix product
        w, b, a = t[:width], t[width:2 * width], t[2 * width:]
        return 0.5 * jnp.mean(((a * jnp.tanh(x[:, None] * w + b)).sum(-1) - y) ** 2)

    full = jax.jit(jax.vmap(jax.hessian(loss)))
    full_sum = jax.jit(jax.vmap(jax.hessian(sum_form)))
    per_sample = jax.jit(jax.vmap(lambda t: jax.vmap(jax.hessian(sample_loss), (None, 0, 0))(t, x, y)))
    lines = []
    with backend.x64():
        states = jnp.asarray(theta)
        for label, script, ours in (
                ("full Hessians", full, lambda b: diagnostics.hessian(m, theta, backend=b)),
                ("per-sample Hessians", per_sample, lambda b: diagnostics.per_sample_hessians(m, theta, backend=b))):
            engine_times = _first_and_warm(lambda: ours("jax"))
            script_times = _first_and_warm(lambda: _ready(script(states)))
            error = np.max(np.abs(ours("jax") - np.asarray(script(states))))
            numpy_warm = best_time(lambda: ours("numpy"), repeat=3)
            lines.append(_line(f"{label}, tanh_net d=30 at 1,000 states", engine_times, script_times)
                         + f"; NumPy path {numpy_warm * 1e3:.0f} ms; max |difference| {error:.1e}")
            if script is full:
                full_warm = engine_times[1]
        summed = best_time(lambda: _ready(full_sum(states)), repeat=3)
        lines.append(f"    (the full-Hessian script written with Σ_j a_j·tanh instead of a matrix product: "
                     f"{summed * 1e3:.1f} ms, ratio {full_warm / summed:.2f})")
    return "\n".join(lines)


def sharpness_large():
    """λ1 of tanh_net width 50 (d = 150) at 16 states: batched Lanczos on HVPs (ours, to a residual
    ≤ 1e-12‖H‖) vs a hand-written jitted batched power iteration (200 iterations, shifted)."""
    width = 50
    m = tm.zoo.get("tanh_net", width=width, n=20, frequency=2.0)
    theta = initial_weights(m, 1, scale=0.5, count=16)
    loss = _tanh_loss(width, m.data)
    iterations = 200

    @jax.jit
    def script(states, v0):
        def hvp(t, v):
            return jax.jvp(jax.grad(loss), (t,), (v,))[1]
        batched = jax.vmap(hvp)
        shift = 10.0  # ≥ |λ_min| at these states, so the shifted top eigenvalue is the largest

        def body(_, v):
            w = batched(states, v) + shift * v
            return w / jnp.linalg.norm(w, axis=-1, keepdims=True)
        v = jax.lax.fori_loop(0, iterations, body, v0)
        return jnp.sum(v * batched(states, v), axis=-1)

    with backend.x64():
        states = jnp.asarray(theta)
        v0 = jnp.asarray(np.random.default_rng(0).standard_normal((16, m.dim)))
        script_times = _first_and_warm(lambda: _ready(script(states, v0)))
        power = np.asarray(script(states, v0))
    hess = m.numeric.hvp(theta[:, None, :], np.eye(m.dim)[None])
    exact = np.linalg.eigvalsh(0.5 * (hess + np.swapaxes(hess, -1, -2)))[:, -1]
    engine_times = _first_and_warm(lambda: diagnostics.sharpness(m, theta, method="lanczos", backend="jax"))
    numpy_warm = best_time(lambda: diagnostics.sharpness(m, theta, method="lanczos", backend="numpy"), repeat=3)
    ours = diagnostics.sharpness(m, theta, method="lanczos", backend="jax")
    return (_line("sharpness, tanh_net d=150 at 16 states", engine_times, script_times)
            + f"; NumPy batched Lanczos {numpy_warm * 1e3:.0f} ms; relative error vs eigvalsh: ours "
            f"{np.max(np.abs(ours - exact) / exact):.1e}, power iteration {np.max(np.abs(power - exact) / exact):.1e}")


def derive_and_compile():
    """tanh_net width 50 (d = 150): from a fresh model to compiled gradient, HVP and dense sharpness.
    NumPy path: symbolic derivatives lambdified; engine: compiled loss + autodiff, jitted."""
    fresh = lambda: tm.zoo.get("tanh_net", width=50, n=20)  # noqa: E731  (a new model: nothing cached)
    theta = initial_weights(fresh(), 0, count=4)
    start = time.perf_counter()
    j = engine(fresh())
    j.call("grad", theta), j.call("hvp", theta, theta), j.call("sharpness", theta)
    ours = time.perf_counter() - start
    loss = _tanh_loss(50, fresh().data)
    start = time.perf_counter()
    with backend.x64():
        states = jnp.asarray(theta)
        _ready(jax.jit(jax.vmap(jax.grad(loss)))(states))
        _ready(jax.jit(jax.vmap(lambda t: jnp.linalg.eigvalsh(jax.hessian(loss)(t))[-1]))(states))
    script = time.perf_counter() - start
    start = time.perf_counter()
    m = fresh()
    m.numeric.grad(theta), m.numeric.hvp(theta, theta), m.numeric.sharpness(theta)
    numpy_path = time.perf_counter() - start
    return (f"  derive + compile tanh_net width 50 (d=150), gradient, HVP and sharpness: engine {ours:.2f} s "
            f"(target ≤ 3 s), JAX script {script:.2f} s, NumPy path (symbolic) {numpy_path:.1f} s")


def engine_vs_scripts():
    return "\n".join(["engine vs hand-written jitted JAX scripts (" + device_and_dtype() + "):",
                      eos_measurement(), many_starts(), hessians(), sharpness_large(), derive_and_compile()])


BENCHMARKS = [engine_vs_scripts]
