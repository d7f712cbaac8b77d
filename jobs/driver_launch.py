"""Starting a run's driver process: cold, or warm from a spare started ahead of need.

A cold driver is a fresh ``python -m jobs.driver RUN_ID``. Before it can move its run to
RUNNING it spends most of a second (several on a busy machine) importing Snakemake,
SQLAlchemy and the catalogue and opening the database. A queue worker therefore keeps
spares: ``python -m jobs.driver --warm`` processes that have done all of that and wait
on their stdin for one line naming a run, its folder and its log. Each spare serves one
run and then exits, like a cold driver, so no state leaks from one run into the next. A
spare whose worker dies reads end-of-file and exits; a spare that died, or was started
with another environment, is replaced by a cold start.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Mapping

# The replacement spare waits a little so that its imports do not compete for the CPU
# with the driver that has just been handed a run.
REPLENISH_DELAY_SECONDS = 0.5


def cold_start(run_id: str, workdir: Path, log_path: Path, environment: Mapping[str, str]) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "jobs.driver", run_id],
            cwd=workdir, env=dict(environment), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def handoff_line(run_id: str, workdir: Path, log_path: Path) -> bytes:
    """What a spare reads: tab-separated run id, folder and log (none holds a tab or a newline)."""
    fields = (run_id, str(workdir), str(log_path))
    if any("\t" in field or "\n" in field for field in fields):
        raise ValueError(f"cannot hand run {run_id} to a spare driver: a path holds a tab or a newline")
    return ("\t".join(fields) + "\n").encode()


def parse_handoff(line: str) -> tuple[str, Path, Path]:
    run_id, workdir, log_path = line.rstrip("\n").split("\t")
    return run_id, Path(workdir), Path(log_path)


class DriverLauncher:
    """Spare warm drivers for one worker process; ``start`` is safe from several threads."""

    def __init__(self, spares: int = 1):
        self._wanted = spares
        self._spares: list[tuple[subprocess.Popen, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._closed = False

    def start(self, run_id: str, workdir: Path, log_path: Path, environment: Mapping[str, str]) -> subprocess.Popen:
        environment = dict(environment)
        line = handoff_line(run_id, workdir, log_path)
        process = self._take(environment)
        if process is not None:
            try:
                process.stdin.write(line)
                process.stdin.close()
            except (BrokenPipeError, OSError):
                process.wait()
                process = None
        self._replenish_later(environment)
        return process if process is not None else cold_start(run_id, workdir, log_path, environment)

    def warm_up(self, environment: Mapping[str, str]) -> None:
        """Start the spares now (a worker calls this when it starts)."""
        self._fill(dict(environment))

    def spare_pids(self) -> list[int]:
        with self._lock:
            return [process.pid for process, _ in self._spares]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for process, _ in spares:
            process.stdin.close()  # end-of-file: the spare exits by itself
        for process, _ in spares:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _take(self, environment: dict[str, str]) -> subprocess.Popen | None:
        with self._lock:
            while self._spares:
                process, spawned_with = self._spares.pop()
                if process.poll() is None and spawned_with == environment:
                    return process
                _discard(process)
        return None

    def _replenish_later(self, environment: dict[str, str]) -> None:
        timer = threading.Timer(REPLENISH_DELAY_SECONDS, self._fill, args=(environment,))
        timer.daemon = True
        timer.start()

    def _fill(self, environment: dict[str, str]) -> None:
        with self._lock:
            while not self._closed and len(self._spares) < self._wanted:
                process = subprocess.Popen(
                    [sys.executable, "-m", "jobs.driver", "--warm"],
                    env=environment, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True,
                )
                self._spares.append((process, environment))


def _discard(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.stdin.close()
        process.terminate()
    process.wait()
