"""Timing whole commands and printing the results as tables."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Measurement:
    label: str
    seconds: float


def measure(label: str, command: list[str], cwd: Path, log: Path) -> Measurement:
    """Wall time of ``command``; its output goes to ``log``, which a failure names."""
    started = time.perf_counter()
    with open(log, "wb") as output:
        completed = subprocess.run(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, env=os.environ.copy())
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{label}: exited with {completed.returncode}; see {log}")
    return Measurement(label, seconds)


@dataclass
class Usage:
    """What one command cost: wall and CPU seconds, and the peak RSS of its largest process."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def run_measured(command: list[str] | str, label: str | None = None) -> Usage:
    """Run a command (a string: a bash pipeline, with pipefail) with its output discarded;
    wait4() gives its CPU time and peak RSS. Raises with the end of its stderr on failure.
    A child's peak RSS counts what it inherits at fork: call from a small process."""
    argv = ["bash", "-o", "pipefail", "-c", command] if isinstance(command, str) else command
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{label or str(command)[:200]} failed ({code}): {error[-3000:]}")
    return Usage(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def print_table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [tuple(f"{c:.2f}" if isinstance(c, float) else str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, tuple("-" * w for w in widths), *cells]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


def save_json(path: Path | None, document: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(document, indent=2, default=asdict))
