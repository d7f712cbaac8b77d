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

from kernels.fastq_profile import Profile
from kernels.fastq_records import FastqFormatError, complete_records_end
from kernels.quality_encoding import QualityEncoding, detect_quality_encoding
from workflows.common.adapter_kits import AdapterChoice
from workflows.common.sequence_files import InOrderThread, SequenceFileError, read_head
from workflows.common.trimming import InputObserver, TrimOptions, trim

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


def trim_and_profile(options: TrimOptions, encoding: QualityEncoding, max_read_length: int,
                     on_input: InputObserver | None = None) -> tuple[dict, list[Profile]]:
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

    profiling = InOrderThread(profile, "profile-trimmed")

    def observe(chunks, kept):
        profiling.put(chunks)
        for side in range(sides):
            kept_bases[side] += kept[side]

    try:
        statistics = trim(options, observe, on_input).to_dict()
    except BaseException:
        profiling.close(raise_error=False)
        raise
    try:
        profiling.close()
    except FastqFormatError as error:  # cannot happen for reads the trimmer wrote; say so if it does
        raise AssertionError(f"the trimmed reads do not profile: {error}") from error
    removed = [statistics["bases"][side] - kept_bases[side] - statistics["quality_trimmed_bases"][side]
               - statistics["poly_g_trimmed_bases"][side] for side in (0, 1)]
    statistics["adapter_trimmed_bases"] = sum(removed)
    return statistics, profiles


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

    Trimming needs the quality encoding first: it is decided from the first
    ENCODING_HEAD_BYTES of read 1 (`options.quality_base` is not used). Should the whole
    input decide otherwise (its first reads held no low quality), the input is trimmed
    again with the encoding of the whole, so the result is always that of profiling
    first and trimming after."""
    sides = 2 if options.paired else 1
    encoding = _head_encoding(options.inputs[0], quality_offset)
    while True:
        raw = [Profile(quality_offset, max_read_length) for _ in range(sides)]

        def profile(chunks):
            for side, chunk in enumerate(chunks):
                try:
                    raw[side].add_records(chunk)
                except FastqFormatError as error:
                    raise SequenceFileError(options.inputs[side], str(error), error.record) from None

        profiling = InOrderThread(profile, "profile-raw")
        try:
            statistics, trimmed = trim_and_profile(replace(options, quality_base=encoding.offset), encoding,
                                                   max_read_length, profiling.put)
        except BaseException:
            profiling.close(raise_error=False)
            raise
        profiling.close()
        if raw[0].encoding.name == encoding.name:
            return raw, statistics, trimmed
        encoding = raw[0].encoding
