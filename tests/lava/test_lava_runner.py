"""Starting and stopping the out-of-process Lava runner: missing interpreter, crash, timeout,
and no process of the runner's group left behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from spikesim.backends.lava.environment import python_path
from spikesim.backends.lava.exchange import Connection, Job, read_jobs, write_jobs
from spikesim.backends.lava.launcher import LavaRunnerError, run_jobs
from spikesim.errors import BackendUnavailableError


def _live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are still alive (zombies count as gone)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _assert_group_gone(pgid: int) -> None:
    deadline = time.monotonic() + 5.0
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _live_members(pgid) == [], f"processes of the runner's group {pgid} are still alive"


def _job(steps: int, delays=None, tag="floating_pt", dst="p") -> Job:
    return Job(
        tag, steps, 1,
        sources={"in": np.ones((2, steps))},
        neurons={"p": {"du": np.asarray(1.0), "dv": np.asarray(0.1), "vth": np.asarray(10.0),
                       "bias_mant": np.zeros(2), "bias_exp": np.zeros(2), "v": np.zeros(2)}},
        connections=[Connection("in", dst, np.eye(2), delays)],
        probes=[("p", "v")],
    )


def test_jobs_file_round_trip(tmp_path):
    job = _job(4, delays=np.array([[0, 1], [2, 0]]))
    write_jobs(tmp_path / "jobs.h5", [job, _job(3)])
    back = read_jobs(tmp_path / "jobs.h5")
    assert [j.steps for j in back] == [4, 3]
    np.testing.assert_array_equal(back[0].connections[0].delays, job.connections[0].delays)
    assert back[0].probes == [("p", "v")]


def test_missing_interpreter_is_a_clear_error(tmp_path):
    with pytest.raises(BackendUnavailableError, match="does not exist.*make lava-env"):
        run_jobs([_job(3)], tmp_path / "no-venv" / "bin" / "python", timeout_s=10)


@pytest.mark.lava
def test_runner_crash_carries_stderr_and_leaves_nothing(lava_env):
    with pytest.raises(LavaRunnerError, match=r"(?s)exited with code \d+.*KeyError: 'nowhere'") as info:
        run_jobs([_job(3, dst="nowhere")], python_path(), timeout_s=120)
    _assert_group_gone(info.value.pgid)


@pytest.mark.lava
def test_worker_exception_hang_is_killed(lava_env):
    """Lava's fixed-point DelayDense rejects delays > 63 inside a running worker, and the
    runtime then hangs without output (lava-nc 0.10.0): the timeout must end it cleanly."""
    job = _job(3, delays=np.array([[64, 0], [0, 0]]), tag="fixed_pt")
    job.sources["in"] = job.sources["in"].astype(np.int32)
    job.neurons["p"].update(du=np.asarray(0), dv=np.asarray(0), vth=np.asarray(10), v=np.zeros(2, np.int64),
                            bias_mant=np.zeros(2, np.int64), bias_exp=np.zeros(2, np.int64))
    job.connections[0].weights = np.eye(2, dtype=np.int64)
    with pytest.raises(LavaRunnerError, match="timed out after 8.0 s") as info:
        run_jobs([job], python_path(), timeout_s=8.0)
    _assert_group_gone(info.value.pgid)


@pytest.mark.lava
def test_timeout_kills_the_whole_group(lava_env):
    start = time.monotonic()
    with pytest.raises(LavaRunnerError, match="timed out after 4.0 s") as info:
        run_jobs([_job(10_000_000)], python_path(), timeout_s=4.0)
    assert time.monotonic() - start < 30
    _assert_group_gone(info.value.pgid)
    assert os.getpgid(0) != info.value.pgid  # the runner had its own group, not ours
