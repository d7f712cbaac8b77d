"""The warm launcher: imports Snakemake once, then forks one nested Snakemake run per job.

Usage: python launcher_server.py CONTROL_FD   (started by launcher.py in a Dask worker)

A nested run started from scratch spends most of its second on the interpreter start
and on importing Snakemake. This process pays that once per worker process and forks
the runs from itself. It forks rather than the worker because a Dask worker has
threads: a fork copies only the forking thread, and any lock another thread held at
that moment stays locked forever in the child. This process has a single thread, which
it checks before reporting ready.

Each job is a pair of processes, as in the cold path (supervisor.py, /bin/sh, Snakemake):
- the supervisor, forked here: leads a new session, so the worker can kill the job's
  whole process group; asks for SIGTERM when this process dies and answers it by
  SIGKILLing that group (the worker's death closes the control socket and ends this
  process, so no job outlives its worker); forks the run and exits with its status.
- the run, forked by the supervisor: Snakemake's ``main()`` in the job's directory,
  environment and log, on its own, since Snakemake installs a SIGTERM handler of its
  own that waits for running jobs and would leave the rule's processes behind.

Protocol, all over Unix sockets. The control socket (SOCK_SEQPACKET) carries b"ready"
once to the worker and then, per job, a message with two file descriptors: the job's
socket and its log file. On the job's socket the worker sends a JSON request
{"arguments", "workdir", "environment"} and shuts down its writing side; the
supervisor answers "started PID" once it leads its session, and this process
"exit STATUS" once the supervisor has been reaped (STATUS as Popen.returncode).

Standard library only (besides the Snakemake it preloads) and started by path, so it
works with whatever interpreter the job command names.
"""

import sys

# `python -c`, the cold path, puts the current directory first on sys.path; for the
# runs that is the job's working directory, which they chdir to.
sys.path[0] = ""

import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

PR_SET_PDEATHSIG = 1

# What a nested run imports, loaded here once (measured: what a run imported beyond
# `snakemake.cli`). Only the first is required.
PRELOAD = (
    "snakemake.cli",
    "snakemake.report.html_reporter",  # the report plugin registry loads it, and numpy
    "snakemake.profiles",
    "snakemake.storage",
    "smart_open",
    "platformdirs",
    "argparse_dataclass",
    "graphlib",
)


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            if name == PRELOAD[0]:
                raise


def settle_threads() -> bool:
    """Return whether this process is down to one thread, forking once if needed.

    Importing numpy starts OpenBLAS's thread pool; OpenBLAS stops it before any fork
    (a pthread_atfork handler) and restarts it only for its next computation, which
    never comes here. A throwaway fork, whose child exits at once, lets such libraries
    park their threads; a thread that remains would make every later fork unsafe.
    """
    if thread_count() > 1:
        with warnings.catch_warnings():
            # Python 3.12 warns of every fork with threads; this child only exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)
    return thread_count() == 1


def thread_count() -> int:
    """Return the threads of this process, native ones included where /proc tells."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def serve(control: socket.socket) -> dict | None:
    """Fork a job for every request until the worker goes; return None then, or, in a
    forked run, that job's request."""
    # A terminal's Ctrl-C reaches the worker's process group, this process included;
    # the worker decides what happens to its jobs. The runs get the worker's handling.
    worker_sigint = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_reader, wake_writer = socket.socketpair()
    wake_reader.setblocking(False)
    wake_writer.setblocking(False)
    # A SIGCHLD handler that does nothing still writes to the wakeup fd, which ends the
    # poll below: children are reaped in the loop, not in a handler.
    signal.set_wakeup_fd(wake_writer.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    jobs: dict[int, socket.socket] = {}
    server = os.getpid()
    poller = select.poll()
    poller.register(control, select.POLLIN)
    poller.register(wake_reader, select.POLLIN)
    control.sendall(b"ready")
    while True:
        for fd, _ in poller.poll():
            if fd == wake_reader.fileno():
                drain(wake_reader)
                report_exits(jobs)
                continue
            message, fds, _, _ = socket.recv_fds(control, 16, 2)
            if not message:  # the worker is gone: so are its jobs
                for pid in jobs:
                    kill_group_or_process(pid)
                return None
            if len(fds) != 2:
                for received in fds:
                    os.close(received)
                continue
            job, log_fd = socket.socket(fileno=fds[0]), fds[1]
            inherited = [control, wake_reader, wake_writer, *jobs.values()]
            sys.stderr.flush()
            try:
                pid = os.fork()
            except OSError as error:  # the worker sees the job's socket close unanswered
                print(f"launcher_server: cannot fork: {error}", file=sys.stderr)
                job.close()
                os.close(log_fd)
                continue
            if pid == 0:
                # Returns in the run only; the supervisor exits in there.
                return supervise(job, log_fd, inherited, server, worker_sigint)
            os.close(log_fd)
            jobs[pid] = job


def drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except BlockingIOError:
        pass


def report_exits(jobs: dict[int, socket.socket]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        job = jobs.pop(pid, None)
        if job is not None:
            # The supervisor's usage includes the run it forked and waited for.
            measured = f"{usage.ru_utime + usage.ru_stime:.3f} {usage.ru_maxrss} {usage.ru_inblock} {usage.ru_oublock}"
            try:
                job.sendall(f"exit {os.waitstatus_to_exitcode(status)} {measured}\n".encode())
            except OSError:
                pass  # the worker stopped waiting for this job
            job.close()


def kill_group_or_process(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:  # not a group leader yet
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def supervise(job: socket.socket, log_fd: int, inherited: list, server: int, worker_sigint):
    """In a freshly forked child: become the job's supervisor, fork its run and return
    the job's request there; exit here with the run's status."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, worker_sigint)
        for sock in inherited:
            sock.close()
        request = json.loads(read_to_end(job))
        os.setsid()
        signal.signal(signal.SIGTERM, kill_own_group)
        request_parent_death_signal(signal.SIGTERM)
        if os.getppid() != server:  # it died before the request above took effect
            os._exit(128 + signal.SIGTERM)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(devnull)
        os.close(log_fd)
        job.sendall(f"started {os.getpid()}\n".encode())
        job.close()
        run = os.fork()
        if run == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            return request
        code = os.waitstatus_to_exitcode(os.waitpid(run, 0)[1])
        # As /bin/sh reports a command killed by a signal in the cold path.
        os._exit(128 - code if code < 0 else code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        os._exit(70)  # EX_SOFTWARE


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def kill_own_group(signum=None, frame=None) -> None:
    os.killpg(0, signal.SIGKILL)


def request_parent_death_signal(signum: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")


def run_snakemake(request: dict) -> None:
    """Be the nested Snakemake run of one job, as ``python -c QUICK_EXIT_ENTRY ARGS``
    is: Snakemake's main() ends in SystemExit, which the interpreter turns into this
    process's exit status, as it would there."""
    os.chdir(request["workdir"])
    os.environ.clear()
    os.environ.update(request["environment"])
    sys.argv = ["snakemake", *request["arguments"]]
    sys.modules["__main__"] = types.ModuleType("__main__")
    # `random` reseeds itself in a forked child; numpy's global generator, seeded
    # when this process imported it, would repeat the same numbers in every run.
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    from snakemake.cli import main

    try:
        main()
    finally:
        # The quick exit of nested_command.py: do not wait out the job rate limiter's
        # timer.
        for thread in threading.enumerate():
            if isinstance(thread, threading.Timer):
                thread.cancel()


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[1]))
    preload()
    if not settle_threads():
        print(
            f"launcher_server: {thread_count()} threads after preloading; cannot fork safely",
            file=sys.stderr,
        )
        return 1
    # Keep the garbage collector from traversing (and so copying) the preloaded objects
    # in every forked run: a run takes 0.3 s instead of 0.12 s without this. Frozen
    # objects are never collected, so a file left open in a global of a preloaded
    # module is not flushed at a run's exit; the run's own objects (the Snakefile's
    # globals among them) are torn down as in a new process.
    gc.collect()
    gc.freeze()
    request = serve(control)
    if request is not None:
        # A forked run, with the stack of this process unwound.
        run_snakemake(request)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
