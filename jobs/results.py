"""What a run produced and logged, as the gateway serves it.

Only files the workflow's manifest declares as outputs, and the logs its tasks name, can
be reached: a request names an output by its listed relative path, and that path is
looked up in the listing, never joined onto the run folder as given.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.catalogue import Catalogue
from jobs.models import Run, Task
from jobs.workspace import CONTROL_DIR, collect_outputs, driver_log_path
from reference.digests import file_sha256

_CHECKSUM_CACHE = "checksums.json"
_ZIP_CHUNK = 1 << 20
_ALREADY_COMPRESSED = (".gz", ".bgz", ".bam", ".zip", ".png", ".cram", ".bz2", ".xz", ".zst")


class OutputNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Output:
    path: str  # relative to the run folder, as listed
    size: int
    sha256: str
    format: str
    absolute: Path

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "format": self.format}


def list_outputs(catalogue: Catalogue, run: Run) -> list[Output]:
    """The run's declared outputs that exist, with checksums (cached by size and mtime)."""
    workdir = Path(run.workdir)
    try:
        workflow = catalogue.get(run.workflow)
    except LookupError:
        return []
    found, _ = collect_outputs(workflow, workdir)
    cache_path = workdir / CONTROL_DIR / _CHECKSUM_CACHE
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    outputs, changed = [], False
    for item in found:
        absolute = workdir / item["path"]
        stat = absolute.stat()
        key = f"{stat.st_size}:{stat.st_mtime_ns}"
        cached = cache.get(item["path"])
        if not cached or cached[0] != key:
            cached = cache[item["path"]] = [key, file_sha256(absolute)]
            changed = True
        outputs.append(Output(item["path"], stat.st_size, cached[1], item["format"], absolute))
    if changed and cache_path.parent.is_dir():
        temporary = cache_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(cache))
        temporary.replace(cache_path)
    return outputs


def find_output(catalogue: Catalogue, run: Run, path: str) -> Output:
    for output in list_outputs(catalogue, run):
        if output.path == path:
            return output
    raise OutputNotFound(f"run {run.id} has no output {path!r}")


def report_of(catalogue: Catalogue, run: Run) -> Output:
    """The run's HTML report: its first declared output in HTML."""
    for output in list_outputs(catalogue, run):
        if output.format == "html":
            return output
    raise OutputNotFound(f"run {run.id} has no HTML report (yet)")


class _Sink:
    """A write-only stream zipfile can write to; the bytes are taken out as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_outputs(outputs: list[Output], folder: str) -> Iterator[bytes]:
    """Stream a zip of ``outputs`` under ``folder/`` without holding any file in memory."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:  # type: ignore[arg-type]
        for output in outputs:
            method = zipfile.ZIP_STORED if output.path.endswith(_ALREADY_COMPRESSED) else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo.from_file(output.absolute, f"{folder}/{output.path}")
            info.compress_type = method
            with open(output.absolute, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(_ZIP_CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def task_log_path(run: Run, task: Task) -> Path | None:
    """The task's first log file, if the rule declares one and it is inside the run folder."""
    workdir = Path(run.workdir).resolve()
    for log in task.logs or []:
        path = (workdir / log).resolve()
        if path.is_relative_to(workdir):
            return path
    return None


def run_log_path(run: Run) -> Path:
    return driver_log_path(Path(run.workdir))


def read_range(path: Path | None, start: int, length: int | None) -> tuple[bytes, int]:
    """Bytes ``start`` .. ``start + length`` of a log (to its end when ``length`` is None)
    and the log's total size; a missing log reads as empty."""
    if path is None or not path.is_file():
        return b"", 0
    size = path.stat().st_size
    start = max(0, min(start if start >= 0 else size + start, size))
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(length if length is not None else size - start)
    return data, size


def log_size(path: Path | None) -> int:
    try:
        return os.path.getsize(path) if path is not None else 0
    except OSError:
        return 0
