"""Samples from FASTQ file names: single-end files and R1/R2 pairs.

The sample name is the file name without its FASTQ suffix. Two files whose names then
end in `_R1`/`_R2` (or `_1`/`_2`) after the same stem are the reads of one paired-end
sample named by that stem; any other file is a single-end sample under its whole name.
"""

from __future__ import annotations

import re
from pathlib import PurePath

FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")
MATE_PATTERN = re.compile(r"^(?P<stem>.+)_R?(?P<mate>[12])$")


def fastq_stem(path: str) -> str:
    """File name without its FASTQ suffix, e.g. 'liver_R1' for 'in/liver_R1.fq.gz'."""
    name = PurePath(path).name
    for suffix in FASTQ_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    raise ValueError(f"reads file {path!r} should end with one of {', '.join(FASTQ_SUFFIXES)}")


def reads_by_sample(paths) -> dict[str, list[str]]:
    """Map each sample to its files: [reads] or [read 1, read 2], in the order first seen."""
    if not isinstance(paths, list) or not paths:
        raise ValueError('config["inputs"]["reads"] must list at least one FASTQ file')
    mates: dict[str, dict[str, str]] = {}
    stems = {}
    for path in paths:
        stem = fastq_stem(str(path))
        match = MATE_PATTERN.match(stem)
        key, mate = (match["stem"], match["mate"]) if match else (stem, "0")
        stems.setdefault(key, stem)
        group = mates.setdefault(key, {})
        if mate in group:
            if mate == "0":
                raise ValueError(f"reads files {group[mate]!r} and {path!r} both give sample {key!r}")
            raise ValueError(f"reads files {group[mate]!r} and {path!r} are the same mate of sample {key!r}")
        group[mate] = str(path)
    samples: dict[str, list[str]] = {}
    for key, group in mates.items():
        if set(group) == {"1", "2"}:
            entries = {key: [group["1"], group["2"]]}
        else:
            entries = {fastq_stem(path): [path] for path in group.values()}
        for sample, files in entries.items():
            if sample in samples:
                raise ValueError(f"reads files {samples[sample]} and {files} both give sample {sample!r}")
            samples[sample] = files
    return samples
