"""The nested Snakemake command that runs one job on a worker.

``format_job_exec`` starts the job as ``python -m snakemake ...``. Snakemake's
scheduler arms a one-second re-evaluation ``threading.Timer`` (its default
``--max-jobs-per-timespan 100/1s``) in every scheduling round; the timer is not a
daemon thread, so each nested run then waits up to a second at exit, doing nothing:
about 0.9 s of the 2.2 s a trivial job takes on a two-core machine. The entry point
below is the same ``main()`` with that timer cancelled once the run is over. (The
option cannot be turned off from the command line: its timespan is whole seconds,
and 0 makes the scheduler spin.)
"""

import shlex

QUICK_EXIT_ENTRY = """\
import sys, threading
from snakemake.cli import main
sys.argv[0] = "snakemake"
try:
    main()
finally:
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
"""


def with_quick_exit(command: str, python: str) -> str:
    """Return ``command`` with its ``PYTHON -m snakemake`` replaced by the quick-exit
    entry point; a command of another shape is returned unchanged."""
    module_call = f"{python} -m snakemake "
    return command.replace(module_call, f"{python} -c {shlex.quote(QUICK_EXIT_ENTRY)} ", 1)
