"""Sweeps: grids, the Zarr store with its completion mask, resuming, and dask.distributed with a
worker killed mid-sweep (a real LocalCluster with two worker processes of one thread each)."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from toymodels.errors import InvalidInputError, UnknownNameError
from toymodels.status import ALL, DIVERGED, FINISHED
from toymodels.sweep import Grid, Simulation, load, sweep
from toymodels.sweep.store import done_mask

CELLS = Simulation("two_layer_scalar", "gd", steps=400, x0=(2.0, 0.1),
                   summaries=("status", "stop_step", "final_loss", "final_sharpness", "peak_loss"))
AXES = {"lr": np.linspace(0.05, 1.0, 12), "y": [0.5, 1.0]}


def serial():
    return sweep(CELLS, AXES, chunks={"lr": 3})


def same_results(a, b):
    for name in CELLS.outputs:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_grid_chunks_cover_every_cell_once():
    grid = Grid({"a": np.arange(7), "b": [1.0, 2.0, 3.0]}, chunks={"a": 3})
    assert grid.chunk_shape == (3, 3) and grid.n_chunks == (3, 1)
    hits = np.zeros(grid.shape, dtype=int)
    for index in grid.chunk_indices():
        block = grid.block(index)
        hits[block.slices] += 1
        np.testing.assert_array_equal(block.values["a"].reshape(block.shape), np.arange(7)[block.slices[0], None]
                                      * np.ones(3))
    assert (hits == 1).all()
    with pytest.raises(InvalidInputError, match="repeats"):
        Grid({"lr": [0.1, 0.1]})
    with pytest.raises(InvalidInputError, match="chunks name no axis"):
        Grid({"lr": [0.1]}, chunks={"eta": 1})


def test_cells_match_simulate_and_are_labelled():
    from toymodels import optim, simulate, zoo

    ds = serial()
    assert ds.final_sharpness.dims == ("lr", "y") and ds.attrs["model"] == "two_layer_scalar"
    assert ds.final_sharpness.attrs["units"] == "1/lr" and ds.status.attrs["flag_meanings"].split() == list(ALL)
    model = zoo.get("two_layer_scalar", y=1.0)
    run = simulate(model, optim.GD(AXES["lr"]), np.tile([2.0, 0.1], (12, 1)), 400, record=("loss",))
    np.testing.assert_array_equal(ds.final_loss.sel(y=1.0).values, model.numeric.loss(run.final))
    np.testing.assert_array_equal(ds.stop_step.sel(y=1.0).values, run.stop_step)
    codes = ds.status.sel(y=1.0).values
    assert [ALL[c] for c in codes] == list(run.status) and {FINISHED, DIVERGED} <= set(run.status)


def test_unknown_axis_and_missing_lr_are_clear_errors():
    with pytest.raises(UnknownNameError, match="eta is not a parameter"):
        sweep(CELLS, {"eta": [0.1]})
    with pytest.raises(InvalidInputError, match="learning rate is neither"):
        sweep(CELLS, {"y": [1.0]})


class Interrupting:
    """CELLS, but Ctrl-C after ``after`` blocks; counts the blocks it computes."""

    def __init__(self, after=None):
        self.after, self.computed = after, 0
        self.outputs, self.attrs, self.describe = CELLS.outputs, CELLS.attrs, CELLS.describe

    def __call__(self, block):
        if self.after is not None and self.computed == self.after:
            raise KeyboardInterrupt
        self.computed += 1
        return CELLS(block)


def test_store_resumes_without_recomputing_finished_chunks(tmp_path):
    store = tmp_path / "runs.zarr"
    with pytest.raises(KeyboardInterrupt):
        sweep(Interrupting(after=3), AXES, chunks={"lr": 3}, store=store)
    partial = load(store)
    assert int(partial.done.sum()) == 3 * 3 * 2  # three chunks of 3 × 2 cells
    assert np.isnan(partial.final_loss.values[~partial.done.values]).all()
    again = Interrupting()
    resumed = sweep(again, AXES, chunks={"lr": 3}, store=store)
    assert again.computed == 1 and bool(resumed.done.all())  # 4 chunks in all, 3 were finished
    same_results(resumed, serial())
    with pytest.raises(InvalidInputError, match="different sweep"):
        sweep(CELLS, AXES, chunks={"lr": 4}, store=store)
    assert int(sweep(CELLS, AXES, chunks={"lr": 4}, store=store, overwrite=True).done.sum()) == 24


SLOW = Simulation("two_layer_scalar", "gd", steps=1500, x0=(2.0, 0.1), summaries=("status", "final_sharpness"))
SLOW_AXES = {"lr": np.linspace(0.05, 0.9, 24)}


def test_killed_worker_loses_no_finished_cell_and_its_cells_are_retried(tmp_path):
    """A cluster this test starts, addressed by its scheduler address; one worker is SIGKILLed
    once the first chunk is in the store, while the other chunks are running or waiting."""
    distributed = pytest.importorskip("distributed")
    store = tmp_path / "runs.zarr"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killed = {}

        def kill_after_first_chunk():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    done = done_mask(store)
                except Exception:  # the store is not created yet
                    done = np.zeros(1, dtype=bool)
                if done.any():
                    killed["finished before"] = int(done.sum())
                    os.kill(pids[0], signal.SIGKILL)
                    return
                time.sleep(0.02)

        watcher = threading.Thread(target=kill_after_first_chunk)
        watcher.start()
        result = sweep(SLOW, SLOW_AXES, chunks={"lr": 2}, store=store, scheduler=cluster.scheduler_address)
        watcher.join()
    assert 0 < killed["finished before"] < 24
    assert bool(result.done.all())
    reference = sweep(SLOW, SLOW_AXES, chunks={"lr": 2})
    np.testing.assert_array_equal(result.final_sharpness.values, reference.final_sharpness.values)
    np.testing.assert_array_equal(result.status.values, reference.status.values)


def test_cli_sweep_on_a_local_cluster_then_resumed(tmp_path, capsys):
    """The README's command: a grid on a LocalCluster of two workers; the same command again finds
    every chunk done and computes nothing."""
    from toymodels.cli import main

    store = tmp_path / "grid.zarr"
    command = ["sweep", "two_layer_scalar", "--axis", "lr=0.1:1.0:8", "--axis", "y=0.5,1", "--x0", "2,0.1",
               "--steps", "300", "--chunk", "lr=2", "--store", str(store)]
    assert main(command + ["--workers", "2"]) == 0
    assert "16 of 16 cells done" in capsys.readouterr().out
    first = load(store)
    assert main(command) == 0  # in this process; nothing left to compute
    same = load(store)
    np.testing.assert_array_equal(first.final_sharpness.values, same.final_sharpness.values)
    assert first.attrs["created"] == same.attrs["created"]
    reference = sweep(Simulation("two_layer_scalar", "gd", steps=300, x0=(2.0, 0.1)),
                      {"lr": np.linspace(0.1, 1.0, 8), "y": [0.5, 1]}, chunks={"lr": 2})
    np.testing.assert_array_equal(first.final_loss.values, reference.final_loss.values)


@pytest.mark.parametrize("args, message", [
    (["--axis", "lr"], "NAME=START:STOP:COUNT"), (["--axis", "lr=0.1:1"], "START:STOP:COUNT"),
    (["--axis", "lr=0.1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give one"),
    ([], "at least one --axis")])
def test_cli_sweep_bad_input_is_explained(args, message, capsys):
    from toymodels.cli import main

    assert main(["sweep", "two_layer_scalar", *args]) == 2
    assert message in capsys.readouterr().err


def test_seed_is_the_runs_seed_and_model_dot_names_the_models_parameter():
    """linear_regression has a data parameter "seed": the bare axis "seed" seeds the run (GD ignores
    it), "model.seed" changes the data."""
    cells = Simulation("linear_regression", "gd", steps=3, x0=(0.0, 0.0), fixed={"lr": 0.1},
                       summaries=("final_loss",))
    by_run_seed = sweep(cells, {"seed": [0, 1]}).final_loss.values
    by_data_seed = sweep(cells, {"model.seed": [0, 1]}).final_loss.values
    assert by_run_seed[0] == by_run_seed[1] and by_data_seed[0] != by_data_seed[1]


def test_integration_cells_match_integrate_and_line_up_with_gd():
    """Gradient flow to t = k·lr over a grid of lr and start coordinate b: the final states equal
    integrate's; the principal flow at t = kη sits far closer to GD's k-th iterate than gradient flow
    (Rosca et al., TMLR 2023; docs/theory/principal-flow.md)."""
    from toymodels import flows, integrate, zoo
    from toymodels.sweep import Integration

    axes = {"lr": [0.01, 0.02, 0.04], "b": [0.2, 0.5]}
    flow = sweep(Integration("two_layer_scalar", "gradient", steps=50, x0=(1.5, 0.0)), axes)
    model = zoo.get("two_layer_scalar")
    direct = integrate(flows.gradient(model), np.array([[1.5, 0.2], [1.5, 0.5]]), 50 * 0.04, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(flow.final_state.sel(lr=0.04).values, direct.final)
    assert (flow.status.values == ALL.index(FINISHED)).all()
    principal = sweep(Integration("two_layer_scalar", "principal", steps=50, x0=(1.5, 0.0)), axes)
    gd = sweep(Simulation("two_layer_scalar", "gd", steps=50, x0=(1.5, 0.0), summaries=("final_loss",)), axes)
    # the PF follows GD far more closely than gradient flow does (Rosca et al., TMLR 2023)
    assert (np.abs(gd.final_loss - principal.final_loss) < 0.1 * np.abs(gd.final_loss - flow.final_loss)).all()


def test_a_grid_that_does_not_fit_in_memory_goes_to_a_local_cluster_by_default(tmp_path):
    small = serial()
    assert small.attrs["executed"] == "in this process"
    with pytest.raises(InvalidInputError, match="give a store"):
        sweep(CELLS, AXES, chunks={"lr": 3}, in_process_bytes=100)
    big = sweep(CELLS, AXES, chunks={"lr": 3}, store=tmp_path / "runs.zarr", in_process_bytes=100)
    assert big.attrs["executed"].startswith("on a LocalCluster of")
    same_results(big, small)
