"""The worker's side of the warm launcher (launcher_server.py): start it, hand it jobs.

One launcher per worker process and interpreter, started by the first job that can use
it and kept for the worker's life. It is keyed by the job's whole environment too,
since the interpreter reads some of it only at start (PYTHONPATH, the locale, ...);
that environment rarely changes in a worker's life. Relative PYTHONPATH entries (an
empty one means '.') resolve against the directory the interpreter starts in, so with
those the launcher starts in the job's working directory and is keyed by it as well.
"""

import json
import logging
import os
import socket
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO

SERVER = Path(__file__).with_name("launcher_server.py")
# Importing Snakemake on a loaded machine or a cold network file system is slow.
START_TIMEOUT_SECONDS = 120
# From handing a job over to its supervisor leading its session: a fork or two.
HANDOVER_TIMEOUT_SECONDS = 60

logger = logging.getLogger(__name__)

_launchers_lock = threading.Lock()
# None marks a launcher that failed to start: its jobs take the cold path.
_launchers: dict[tuple, "WarmLauncher | None"] = {}


class LauncherUnavailable(Exception):
    """The launcher could not start a job, which must then be started cold."""


class LauncherDied(Exception):
    """The launcher process died while the job ran, and the job with it."""


class WarmLauncher:
    def __init__(self, python: str, environment: dict[str, str], directory: str | None = None):
        control, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with server_end:
            try:
                self.process = subprocess.Popen(
                    [python, str(SERVER), str(server_end.fileno())],
                    pass_fds=(server_end.fileno(),),
                    cwd=directory,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    # stderr is the worker's: the launcher writes there only if it fails.
                )
            except OSError:
                control.close()
                raise
        control.settimeout(START_TIMEOUT_SECONDS)
        try:
            ready = control.recv(16)
        except OSError as error:  # TimeoutError included
            ready = error
        if ready != b"ready":
            control.close()
            self.process.kill()
            self.process.wait()
            raise LauncherUnavailable(f"{python} {SERVER.name} did not start: {ready!r}")
        control.settimeout(None)
        self.control = control
        self.send_lock = threading.Lock()

    def start(
        self, arguments: list[str], workdir: str, environment: dict[str, str], log: BinaryIO
    ) -> "LaunchedJob":
        """Have the launcher fork a nested Snakemake run; return once it leads its own
        process group, so that killing the group by its pid takes the job down."""
        connection, their_end = socket.socketpair()
        job = LaunchedJob(connection)
        try:
            with their_end, self.send_lock:
                socket.send_fds(self.control, [b"job"], [their_end.fileno(), log.fileno()])
            request = {"arguments": arguments, "workdir": workdir, "environment": environment}
            connection.sendall(json.dumps(request).encode())
            connection.shutdown(socket.SHUT_WR)
            connection.settimeout(HANDOVER_TIMEOUT_SECONDS)
            first = job.replies.readline()
            connection.settimeout(None)
        except TimeoutError as error:
            job.close()
            # A supervisor might still start the job later; only ending the launcher,
            # and with it its jobs, rules that out before the job starts cold.
            self.process.kill()
            raise LauncherUnavailable("the launcher did not answer") from error
        except OSError as error:
            job.close()
            raise LauncherUnavailable(f"the launcher is gone: {error}") from error
        if not first.startswith(b"started "):
            job.close()
            raise LauncherUnavailable(f"the job did not start: {first!r}")
        job.pid = int(first.split()[1])
        return job

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the launcher, and so any job it still runs."""
        self.control.close()
        self.process.wait()


def usage_record(cpu_seconds: float, max_rss_kb: int, blocks_in: int, blocks_out: int) -> dict:
    """What a finished job used, from its rusage (Linux counts I/O in 512-byte blocks,
    and only what reached the disk: reads served from the page cache are not counted)."""
    return {"cpu_seconds": round(cpu_seconds, 3), "max_rss_mb": round(max_rss_kb / 1024, 1),
            "read_bytes": blocks_in * 512, "written_bytes": blocks_out * 512}


class LaunchedJob:
    """A job run by a launcher; ``pid`` is its supervisor's, which leads its group."""

    def __init__(self, connection: socket.socket):
        self.pid: int | None = None
        self.usage: dict | None = None
        self.connection = connection
        self.replies = connection.makefile("rb")

    def wait(self) -> int:
        """Wait for the job to end; return its status as Popen.wait would."""
        try:
            last = self.replies.readline()
        finally:
            self.close()
        if not last.startswith(b"exit "):
            raise LauncherDied("the warm launcher process of this worker died while the job ran")
        fields = last.split()
        if len(fields) == 6:
            self.usage = usage_record(float(fields[2]), int(fields[3]), int(fields[4]), int(fields[5]))
        return int(fields[1])

    def close(self) -> None:
        self.replies.close()
        self.connection.close()


def launcher_for(python: str, environment: dict[str, str], workdir: str) -> WarmLauncher | None:
    """Return this process's launcher for a job of this interpreter, environment and
    working directory, starting it if needed; None if the job must start cold."""
    python_path = environment.get("PYTHONPATH")
    relative = python_path is not None and not all(
        os.path.isabs(entry) for entry in python_path.split(os.pathsep)
    )
    directory = workdir if relative else None
    key = (python, directory, tuple(sorted(environment.items())))
    with _launchers_lock:
        launcher = _launchers.get(key)
        if key not in _launchers or (launcher is not None and not launcher.alive()):
            if launcher is not None:
                launcher.close()
            try:
                launcher = WarmLauncher(python, environment, directory)
            except (OSError, LauncherUnavailable) as error:
                logger.warning(
                    "Cannot start the warm launcher (%s); jobs of this worker start a "
                    "new Python process each.", error
                )
                launcher = None
            _launchers[key] = launcher
        return launcher


def close_launchers() -> None:
    """End every launcher of this process (and their jobs)."""
    with _launchers_lock:
        launchers = [launcher for launcher in _launchers.values() if launcher is not None]
        _launchers.clear()
    for launcher in launchers:
        launcher.close()
