"""Run one job command so that it cannot outlive the Dask worker that started it.

Usage: python -I -S supervisor.py WORKER_PID COMMAND

The worker starts this script in a new session, so the script leads a process group
that holds the nested Snakemake and every rule process it starts. A parent-death signal
(Linux ``prctl(PR_SET_PDEATHSIG)``) only reaches the direct child and SIGKILL cannot be
caught, so the script asks for SIGTERM on the worker's death and answers it by
SIGKILLing its whole group; a SIGKILL straight to the nested Snakemake would orphan
the rule's own processes.

Standard library only, and started by path rather than as part of the package, so it
costs one bare interpreter start (~30 ms) instead of the package's imports.
"""

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def kill_process_group(signum=None, frame=None) -> None:
    """SIGKILL this script's process group, the script included."""
    os.killpg(0, signal.SIGKILL)


def request_parent_death_signal(signum: int) -> None:
    """Have the kernel send ``signum`` to this process when its parent thread exits."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")


def exit_status(return_code: int) -> int:
    """Map a Popen return code to a shell-style exit status (128 + signal if killed)."""
    return 128 - return_code if return_code < 0 else return_code


def main(argv: list[str]) -> int:
    worker_pid, command = int(argv[1]), argv[2]
    signal.signal(signal.SIGTERM, kill_process_group)
    if sys.platform.startswith("linux"):
        request_parent_death_signal(signal.SIGTERM)
    # The worker may have died between our fork and the prctl call, in which case no
    # signal will ever come: we were re-parented already.
    if os.getppid() != worker_pid:
        return 128 + signal.SIGTERM
    job = subprocess.Popen(["/bin/sh", "-c", command])
    return exit_status(job.wait())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
