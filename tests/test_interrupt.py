"""Ctrl-C in a real `toymodels reproduce`: the first stops the workers within seconds, keeps what
finished in the cache, prints one line and exits 130; a second never hangs. Sent to the main
process alone and to the whole process group (as a terminal's Ctrl-C is)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: A fast claim that finishes first, and a claim area that runs over a minute (full mode).
CLAIMS = ["gd.quadratic_stability", "manifold.ngd_flow"]


def _children(pid):
    """PIDs of the live (not zombie) processes whose parent is ``pid``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and not fields.get("State", "").startswith("Z"):
            found.append(int(status.parent.name))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


def _wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
@pytest.mark.parametrize("to_group", [False, True], ids=["main process", "process group"])
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_reproduce_promptly_and_keeps_finished_claims(tmp_path, to_group, presses):
    log = tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "toymodels", "reproduce", "--jobs", "2", "--out",
               str(tmp_path / "out"), "--only", *CLAIMS]
    with open(log, "w") as stderr:
        # As from a terminal: SIGINT not ignored, even when this test runs where it is (a background
        # job of a non-interactive shell ignores SIGINT, exec keeps an ignored signal ignored, and
        # Python keeps that); a caught signal is reset to its default by exec. No preexec_fn: it
        # would make subprocess fork this (JAX-threaded) process through os.fork's hooks.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            main = subprocess.Popen(command, stdout=stderr, stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, "PYTHONWARNINGS": "error"})
        finally:
            signal.signal(signal.SIGINT, previous)
    try:
        assert _wait_for(lambda: "PASS  gd.quadratic_stability" in log.read_text(), 60), log.read_text()
        workers = _children(main.pid)
        assert len(workers) >= 2 and main.poll() is None  # 2 workers (+ multiprocessing's resource tracker)
        send = (lambda: os.killpg(main.pid, signal.SIGINT)) if to_group else (lambda: main.send_signal(signal.SIGINT))
        pressed = time.monotonic()
        send()
        if presses == 2:
            time.sleep(0.3)  # during the clean-up
            if main.poll() is None:
                send()
        main.wait(timeout=10)
        took = time.monotonic() - pressed
    finally:
        if main.poll() is None:
            os.killpg(main.pid, signal.SIGKILL)
            main.wait()
    text = log.read_text()
    assert main.returncode == 130, text
    # Stopped at once (typically 0.3–1.2 s here), not when the running claim ends (a minute on):
    # a generous bound, so that a loaded machine does not fail it.
    assert took < 5.0, took
    # every child is gone (multiprocessing's resource tracker exits once the main process has)
    assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 2.0), [
        Path(f"/proc/{pid}/cmdline").read_bytes() for pid in workers if _alive(pid)]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    lines = [line for line in text.splitlines() if line.startswith("toymodels: interrupted")]
    assert len(lines) == 1 and "1 claims finished and are cached, 1 not run" in lines[0], text
    assert not (tmp_path / "out" / "REPORT.md").exists()  # no partial report replaces a report
    # the finished claim is answered from the cache; the interrupted one is run again
    again = subprocess.run(command[:-2] + ["gd.*"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "1 claims from the cache" in again.stdout, again.stdout + again.stderr


def test_reproduce_shows_running_claims_their_inner_progress_and_the_writing_phase(tmp_path):
    # before: "0/20" for a minute and then silence while the figures and the report were written
    command = [sys.executable, "-m", "toymodels", "reproduce", "--quick", "--jobs", "2", "--out",
               str(tmp_path), "--only", *CLAIMS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = done.stderr
    # the running claim and its loop: "manifold.ngd_flow ngd on two_layer_scalar 8398/12400" from
    # a NumPy loop, "... ngd on two_layer_scalar: 12400 steps on the JAX engine" from the engine
    assert re.search(r"manifold\.ngd_flow \w+ on \w+(:| \d+/)", shown), shown[-2000:]
    assert "figures:" in shown and "writing REPORT.md" in done.stdout + shown
