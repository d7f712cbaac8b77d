"""Samples from FASTQ file names, read-1/read-2 files paired by their names, and the
profile of a pair read in lockstep.

A file's sample is its name without the FASTQ suffix (.fastq, .fq, with or without .gz).
Two files whose names differ only in the mate mark before that suffix, `_R1`/`_R2` or
`_1`/`_2`, optionally followed by Illumina's `_001`, are read 1 and read 2 of one
sample named without the mark: `liver_S1_L001_R1_001.fastq.gz` and `..._R2_001.fastq.gz`
make sample `liver_S1_L001`; `x_1.fq` and `x_2.fq` make `x`. A file whose mate is not
given stays a single-end sample under its whole name.

A sample sheet overrides the names: a tab-separated file with a header naming the
columns `sample`, `read1` and optionally `read2`, one sample a line, whose file columns
name files given (by file name, or by path as given); every file given must be in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from kernels.fastq_profile import DEFAULT_MAX_READ_LENGTH, Profile
from kernels.fastq_records import FastqFormatError
from workflows.common.sequence_files import SequenceFileError
from workflows.common.sequence_records import BATCH_BYTES, check_pairs, paired_batches

FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")
MATE_MARK = re.compile(r"^(?P<sample>.+)_(?P<letter>R?)(?P<mate>[12])(?P<tail>_001)?$")
SAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # safe in the outputs' paths


class SampleNameError(ValueError):
    """File names that do not give usable, distinct sample names."""


@dataclass(frozen=True)
class Sample:
    name: str
    reads: tuple[str, ...]  # one file, or read 1 and read 2

    @property
    def paired(self) -> bool:
        return len(self.reads) == 2


def file_stem(path: str) -> str:
    """File name without its FASTQ suffix, e.g. 'liver_1' for 'in/liver_1.fq.gz'."""
    name = PurePath(path).name
    for suffix in FASTQ_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    raise SampleNameError(f"reads file {path!r} should end with one of {', '.join(FASTQ_SUFFIXES)}")


def samples_from_files(paths: list[str], pair_by_names: bool = True) -> list[Sample]:
    """The samples of the given files, in the order of their first file.

    Raises SampleNameError for a name without a FASTQ suffix, or two samples (or two
    files of one mate) with one name.
    """
    stems = [file_stem(path) for path in paths]
    mates: dict[tuple[str, str, str], dict[str, str]] = {}
    if pair_by_names:
        for path, stem in zip(paths, stems):
            match = MATE_MARK.match(stem)
            if match:
                key = (match["sample"], match["letter"], match["tail"] or "")
                given = mates.setdefault(key, {})
                if match["mate"] in given:
                    raise SampleNameError(f"reads files {given[match['mate']]!r} and {path!r} are both read "
                                          f"{match['mate']} of sample {match['sample']!r}")
                given[match["mate"]] = path
    paired = {key: given for key, given in mates.items() if len(given) == 2}
    samples: list[Sample] = []
    placed: set[str] = set()
    for path, stem in zip(paths, stems):
        if path in placed:
            continue
        match = MATE_MARK.match(stem) if pair_by_names else None
        key = (match["sample"], match["letter"], match["tail"] or "") if match else None
        if key in paired:
            pair = paired[key]
            samples.append(Sample(match["sample"], (pair["1"], pair["2"])))
            placed.update(pair.values())
        else:
            samples.append(Sample(stem, (path,)))
            placed.add(path)
    seen: dict[str, Sample] = {}
    for sample in samples:
        if sample.name in seen:
            files = " and ".join(repr(path) for path in (*seen[sample.name].reads, *sample.reads))
            raise SampleNameError(f"reads files {files} all give sample {sample.name!r}")
        seen[sample.name] = sample
    return samples


def samples_from_sheet(sheet: Path | str, paths: list[str]) -> list[Sample]:
    """The samples a sample sheet lists, in its order, with the given files it names.

    Raises SampleNameError naming the sheet and line for a missing column, an unsafe or
    repeated sample name, a file not given (or given twice under one name), or a file
    given but not listed.
    """
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(PurePath(path).name, []).append(path)
    with open(sheet, encoding="utf-8") as handle:
        lines = [(number, line.rstrip("\r\n")) for number, line in enumerate(handle, start=1) if line.strip()]
    if not lines:
        raise SampleNameError(f"sample sheet {sheet}: it is empty")
    header = [column.strip() for column in lines[0][1].split("\t")]
    if "sample" not in header or "read1" not in header:
        raise SampleNameError(f"sample sheet {sheet}: the first line must name the columns sample, read1 "
                              f"and optionally read2, separated by tabs (found {header})")
    samples, used = [], set()
    for number, line in lines[1:]:
        fields = dict(zip(header, (field.strip() for field in line.split("\t"))))
        name = fields.get("sample", "")
        where = f"sample sheet {sheet}, line {number}"
        if not SAMPLE_NAME.match(name):
            raise SampleNameError(f"{where}: sample name {name!r} should be letters, digits, '.', '_' or '-'")
        if any(sample.name == name for sample in samples):
            raise SampleNameError(f"{where}: sample {name!r} is listed twice")
        reads = []
        for column in ("read1", "read2"):
            listed = fields.get(column, "")
            if not listed:
                if column == "read1":
                    raise SampleNameError(f"{where}: no read1 file for sample {name!r}")
                continue
            found = [path for path in paths if path == listed] or by_name.get(PurePath(listed).name, [])
            if len(found) != 1:
                problem = "is not among the reads files given" if not found else "matches more than one file given"
                raise SampleNameError(f"{where}: {column} {listed!r} {problem}")
            if found[0] in used:
                raise SampleNameError(f"{where}: {found[0]!r} is listed for a second time")
            used.add(found[0])
            reads.append(found[0])
        samples.append(Sample(name, tuple(reads)))
    unlisted = [path for path in paths if path not in used]
    if unlisted:
        raise SampleNameError(f"sample sheet {sheet}: reads files {', '.join(map(repr, unlisted))} are not listed")
    return samples


def profile_pair(
    path1: Path | str,
    path2: Path | str,
    quality_offset: int | str = "auto",
    max_read_length: int = DEFAULT_MAX_READ_LENGTH,
    block_bytes: int = BATCH_BYTES,
) -> tuple[Profile, Profile]:
    """Profile read 1 and read 2 in lockstep, checking that every pair's names agree.

    Raises SequenceFileError naming the file and record: a format defect, a pair whose
    names differ (both files and both names), or one file running out before the other.
    """
    profiles = (Profile(quality_offset, max_read_length), Profile(quality_offset, max_read_length))
    paths = (str(path1), str(path2))
    for blocks in paired_batches(path1, "fastq", path2, "fastq", block_bytes):
        check_pairs(*(block.parse() for block in blocks))
        for profile, block, path in zip(profiles, blocks, paths):
            try:
                profile.add_records(block.data)
            except FastqFormatError as error:
                raise SequenceFileError(path, str(error), error.record) from None
    return profiles
