"""Starting the Lava runner out of process: one call for many jobs, a timeout, no orphans.

The runner starts in its own session, so it and every process Lava forks share one process
group; that group is killed when the runner times out and after it exits (a crashed runner
can leave Lava workers behind). Output goes to files, not pipes: a leftover worker holding a
pipe open would block reading it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

from spikesim.backends.lava.exchange import Job, JobResult, read_results, write_jobs
from spikesim.errors import BackendUnavailableError, SpikesimError

STDERR_TAIL_CHARS = 4000


class LavaRunnerError(SpikesimError, RuntimeError):
    """The Lava runner failed, crashed or timed out; the message carries its stderr.

    ``pgid`` is the runner's process group, killed whole before this error is raised.
    """

    def __init__(self, message: str, pgid: int) -> None:
        super().__init__(message)
        self.pgid = pgid


def kill_group(pgid: int) -> None:
    """SIGKILL every process of group ``pgid``; nothing to do if it is already gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace").strip() if path.exists() else ""
    return text[-STDERR_TAIL_CHARS:] or "(no stderr)"


def run_jobs(jobs: list[Job], python: Path, timeout_s: float) -> list[JobResult]:
    """Run ``jobs`` in one runner process with interpreter ``python``; returns their results.

    Raises BackendUnavailableError if ``python`` is missing, LavaRunnerError if the runner
    exits non-zero, is killed after ``timeout_s`` seconds, or writes no complete result.
    """
    python = Path(python)
    if not python.exists():
        raise BackendUnavailableError(f"lava backend: interpreter {python} does not exist (run `make lava-env`)")
    with tempfile.TemporaryDirectory(prefix="spikesim-lava-") as tmp:
        folder = Path(tmp)
        jobs_path, results_path = folder / "jobs.h5", folder / "results.h5"
        write_jobs(jobs_path, jobs)
        command = [str(python), "-m", "spikesim.backends.lava.runner", str(jobs_path), str(results_path)]
        with open(folder / "stdout", "wb") as out, open(folder / "stderr", "wb") as err:
            proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=tmp)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
            raise LavaRunnerError(
                f"lava runner timed out after {timeout_s} s running {len(jobs)} job(s) and was killed "
                f"with its process group; stderr:\n{_tail(folder / 'stderr')}", proc.pid
            ) from None
        finally:
            kill_group(proc.pid)
        if code != 0:
            raise LavaRunnerError(
                f"lava runner ({python}) exited with code {code}; stderr:\n{_tail(folder / 'stderr')}", proc.pid
            )
        try:
            return read_results(results_path, len(jobs))
        except (OSError, ValueError, KeyError) as error:
            raise LavaRunnerError(
                f"lava runner wrote no complete result ({error}); stderr:\n{_tail(folder / 'stderr')}", proc.pid
            ) from error
