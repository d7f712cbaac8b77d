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


def print_table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [tuple(f"{c:.2f}" if isinstance(c, float) else str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, tuple("-" * w for w in widths), *cells]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


def save_json(path: Path | None, document: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(document, indent=2, default=asdict))
