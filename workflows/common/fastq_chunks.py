"""Large FASTQ inputs cut into record-aligned chunks that separate jobs profile and trim.

The plan is deterministic: a sample whose largest file is over `split_bytes` on disk
(compressed or not) gets ceil(size / split_bytes) chunks, so the number of jobs is
known when the workflow's DAG is built. `split_fastq` then reads the file (both files
of a pair, in lockstep) twice: once to validate every record, check the names of every
pair and count the records R, and once to write chunk k, records k*R//n up to
(k+1)*R//n - 1, as plain FASTQ. Counting first is what makes the chunks even and their
number fixed in advance; the extra read is a decompression, far cheaper than the
profiling and trimming it spreads over jobs.

Chunk results merge back exactly: profiles add up (`Profile.merge`), trimming counts
add up, and the trimmed gzip files of the chunks, concatenated in order, are one valid
multi-member gzip file holding the reads of the unsplit run in the same order.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from kernels.sequence_records import fastq_cut
from workflows.common.sequence_files import SequenceFileError
from workflows.common.sequence_records import BATCH_BYTES, check_pairs, paired_batches, record_batches

RECORD_AND_LINE = re.compile(r"record (\d+) \(line (\d+)\)")


def chunk_count(paths: list[str | Path], split_bytes: int) -> int:
    """How many chunks a sample's files are cut into (1: not split; `split_bytes` 0: never)."""
    size = max(os.path.getsize(path) for path in paths)
    if split_bytes <= 0 or size <= split_bytes:
        return 1
    return math.ceil(size / split_bytes)


def chunk_bounds(records: int, chunks: int) -> list[tuple[int, int]]:
    """(first record, end) of each chunk, 0-based, the end excluded."""
    return [(index * records // chunks, (index + 1) * records // chunks) for index in range(chunks)]


def _blocks(paths: list[str | Path], batch_bytes: int) -> Iterator[tuple]:
    if len(paths) == 2:
        return paired_batches(paths[0], "fastq", paths[1], "fastq", batch_bytes)
    return ((block,) for block in record_batches(paths[0], "fastq", batch_bytes))


def count_checked_records(paths: list[str | Path], batch_bytes: int = BATCH_BYTES) -> int:
    """Validate the records of a file (or pair, names checked) and return how many there
    are (pairs for a pair). Raises SequenceFileError naming the file and record."""
    records = 0
    for blocks in _blocks(paths, batch_bytes):
        parsed = [block.parse() for block in blocks]
        if len(parsed) == 2:
            check_pairs(*parsed)
        records += len(parsed[0])
    return records


def split_fastq(paths: list[str | Path], chunk_paths: list[list[Path]], batch_bytes: int = BATCH_BYTES) -> dict:
    """Write the records of `paths` (one file or a pair) into len(chunk_paths) chunks:
    chunk_paths[k] lists chunk k's file for each input. Return the plan: records and
    each chunk's (first record, end)."""
    records = count_checked_records(paths, batch_bytes)
    bounds = chunk_bounds(records, len(chunk_paths))
    handles = [[open(path, "wb") for path in paths_of_chunk] for paths_of_chunk in chunk_paths]
    try:
        chunk = position = 0
        for blocks in _blocks(paths, batch_bytes):
            data = [block.data for block in blocks]
            offsets = [0] * len(data)
            available = blocks[0].count if blocks[0].count is not None else records - position
            while available:
                while position >= bounds[chunk][1]:
                    chunk += 1
                take = min(available, bounds[chunk][1] - position)
                for side, buffer in enumerate(data):
                    _, end = fastq_cut(buffer[offsets[side]:], take)
                    handles[chunk][side].write(memoryview(buffer[offsets[side]:offsets[side] + end]))
                    offsets[side] += end
                position += take
                available -= take
    finally:
        for files in handles:
            for handle in files:
                handle.close()
    return {"records": records, "chunks": [list(bound) for bound in bounds]}


def renumbered(error: SequenceFileError, path: str | Path, first_record: int) -> SequenceFileError:
    """An error found in a chunk that starts after `first_record` records of `path`,
    numbered as in that file (4 lines a record: the chunk holds validated records)."""
    def shifted(match: re.Match) -> str:
        return f"record {int(match[1]) + first_record} (line {int(match[2]) + 4 * first_record})"

    message = str(error)[len(error.path) + 2:]
    record = None if error.record is None else error.record + first_record
    line = None if error.line is None else error.line + 4 * first_record
    return SequenceFileError(path, RECORD_AND_LINE.sub(shifted, message, count=1), record, line)


def concatenate(parts: list[Path], target: Path) -> None:
    """Write the files `parts` one after the other into `target` (one part: a hard link
    where the file system allows it, so nothing is copied; its time is set to now, so
    that the target is newer than what it was made from)."""
    if len(parts) == 1:
        try:
            os.link(parts[0], target)
        except OSError:
            pass  # no hard links here: copy
        else:
            os.utime(target)
            return
    with open(target, "wb") as output:
        for part in parts:
            with open(part, "rb") as source:
                shutil.copyfileobj(source, output, 1 << 20)
