"""Trimming inside a QC run: the workflow's parameters as cutadapt options for
`workflows.common.trimming.trim`, and the profile of the trimmed reads taken from the
bytes as they are written (no second reading of the output). When the adapters are
decided without the raw reads' profile, `profile_and_trim` profiles the raw reads in
the same pass too, as fastp does: the input is read once.

The trimmed reads are exactly those of `lsdih trim` (so of cutadapt) with the options
that `trimming_options` builds: `-a` for each read-1 adapter, `-A` for each read-2
adapter, `-q CUTOFF`, `--quality-base` of the decided encoding, `--trim-poly-g`, `-m`
and `--pair-filter`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from kernels.fastq_profile import Profile, TrimmedProfiles
from kernels.fastq_records import FastqFormatError, complete_records_end
from kernels.quality_encoding import QualityEncoding, detect_quality_encoding
from kernels.read_trimming import DESTINATION_OUTPUT
from workflows.common.adapter_kits import AdapterChoice
from workflows.common.sequence_files import InOrderThread, SequenceFileError, read_head
from workflows.common.trimming import TrimOptions, trim

ENCODING_HEAD_BYTES = 1 << 20  # the reads that decide the quality encoding before a single pass


@dataclass(frozen=True)
class TrimSettings:
    """The workflow's trimming parameters (0 turns a step off)."""

    quality_cutoff: int = 20
    min_length: int = 20
    poly_g: bool = False
    poly_g_min_length: int = 10
    pair_filter: str = "any"


def trimming_options(
    inputs: list[str | Path],
    outputs: list[str | Path],
    adapters: AdapterChoice,
    settings: TrimSettings,
    encoding: QualityEncoding,
    cores: int = 1,
) -> TrimOptions:
    """cutadapt's options for one file (or a pair) and its output(s)."""
    if not 1 <= len(inputs) == len(outputs) <= 2:
        raise ValueError("one input and one output, or two of each for a pair")
    paired = len(inputs) == 2
    return TrimOptions(
        inputs=tuple(Path(path) for path in inputs),
        output=Path(outputs[0]),
        paired_output=Path(outputs[1]) if paired else None,
        adapters=tuple(("back", sequence) for sequence in adapters.read1),
        adapters2=tuple(("back", sequence) for sequence in adapters.read2) if paired else (),
        quality_cutoff=str(settings.quality_cutoff) if settings.quality_cutoff else None,
        quality_base=encoding.offset,
        poly_g_min_length=settings.poly_g_min_length if settings.poly_g else None,
        minimum_length=str(settings.min_length) if settings.min_length else None,
        pair_filter=settings.pair_filter if paired else None,
        cores=cores,
    )


def trim_and_profile(options: TrimOptions, encoding: QualityEncoding,
                     max_read_length: int) -> tuple[dict, list[Profile]]:
    """Trim; return the statistics (`TrimStatistics.to_dict()` plus the bases removed
    as adapter, `adapter_trimmed_bases`) and the profiles of the reads written, one per
    read of a pair. The profiles read the qualities in the raw reads' `encoding`.

    The written batches are profiled in a thread of their own, in order (the same
    profiles as in the caller's thread), while the next batches are trimmed."""
    sides = 2 if options.paired else 1
    profiles = [Profile(encoding.name, max_read_length) for _ in range(sides)]
    kept_bases = [0, 0]

    def profile(chunks):
        for side, chunk in enumerate(chunks):
            profiles[side].add_records(chunk)

    def observe(chunks, kept):
        profiling.put(chunks)
        for side in range(sides):
            kept_bases[side] += kept[side]

    try:
        with InOrderThread(profile, "profile-trimmed") as profiling:
            statistics = trim(options, observe).to_dict()
    except FastqFormatError as error:  # cannot happen for reads the trimmer wrote; say so if it does
        raise AssertionError(f"the trimmed reads do not profile: {error}") from error
    return _with_adapter_bases(statistics, kept_bases), profiles


def _with_adapter_bases(statistics: dict, kept_bases: list[int]) -> dict:
    """`statistics` plus `adapter_trimmed_bases`: what trimming removed that quality and
    poly-G trimming did not."""
    removed = [statistics["bases"][side] - kept_bases[side] - statistics["quality_trimmed_bases"][side]
               - statistics["poly_g_trimmed_bases"][side] for side in (0, 1)]
    statistics["adapter_trimmed_bases"] = sum(removed)
    return statistics


def _head_encoding(path: Path, quality_offset: int | str) -> QualityEncoding:
    head = read_head(path, ENCODING_HEAD_BYTES)
    try:
        return detect_quality_encoding([head[: complete_records_end(head)]], quality_offset)
    except FastqFormatError as error:
        raise SequenceFileError(path, str(error), error.record) from None


def profile_and_trim(options: TrimOptions, quality_offset: int | str,
                     max_read_length: int) -> tuple[list[Profile], dict, list[Profile]]:
    """In one pass over the input: the profiles of the raw reads (one per read of a pair,
    as `profile_pair` gives them), and what `trim_and_profile` returns.

    Each trimmed batch is profiled in a thread of its own, in order, raw and trimmed
    reads together (`TrimmedProfiles`: the trimmed profile costs little more than
    the reads trimming changed), while the next batch is trimmed.

    Trimming needs the quality encoding first: it is decided from the first
    ENCODING_HEAD_BYTES of read 1 (`options.quality_base` is not used). Should the whole
    input decide otherwise (its first reads held no low quality), the input is trimmed
    again with the encoding of the whole, so the result is always that of profiling
    first and trimming after."""
    sides = 2 if options.paired else 1
    encoding = _head_encoding(options.inputs[0], quality_offset)
    while True:
        profiles = [TrimmedProfiles(Profile(quality_offset, max_read_length), Profile(encoding.name, max_read_length))
                    for _ in range(sides)]
        kept_bases = [0, 0]

        def profile(trimmed):
            batches, windows, destination = trimmed
            written = destination == DESTINATION_OUTPUT
            for side, (batch, (keep_start, keep_stop)) in enumerate(zip(batches, windows)):
                kept_bases[side] += int((keep_stop - keep_start).sum())
                records = batch.records
                try:
                    profiles[side].add(records.buffer, records.sequence_start, records.sequence_end,
                                       records.quality_start, keep_start, keep_stop, written)
                except FastqFormatError as error:
                    raise SequenceFileError(options.inputs[side], str(error), error.record) from None

        with InOrderThread(profile, "profile") as profiling:
            statistics = trim(replace(options, quality_base=encoding.offset),
                              on_trimmed=lambda *trimmed: profiling.put(trimmed)).to_dict()
        raw, trimmed = (list(side) for side in zip(*(pair.finish() for pair in profiles)))
        if raw[0].encoding.name == encoding.name:
            return raw, _with_adapter_bases(statistics, kept_bases), trimmed
        encoding = raw[0].encoding
