"""Trimming inside a QC run: the workflow's parameters as cutadapt options for
`workflows.common.trimming.trim`, and the profile of the trimmed reads taken from the
bytes as they are written (no second reading of the output).

The trimmed reads are exactly those of `lsdih trim` (so of cutadapt) with the options
that `trimming_options` builds: `-a` for each read-1 adapter, `-A` for each read-2
adapter, `-q CUTOFF`, `--quality-base` of the decided encoding, `--trim-poly-g`, `-m`
and `--pair-filter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kernels.fastq_profile import Profile
from kernels.fastq_records import FastqFormatError
from kernels.quality_encoding import QualityEncoding
from workflows.common.adapter_kits import AdapterChoice
from workflows.common.sequence_files import InOrderThread
from workflows.common.trimming import TrimOptions, trim


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


def trim_and_profile(options: TrimOptions, encoding: QualityEncoding, max_read_length: int) -> tuple[dict, list[Profile]]:
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
        statistics = trim(options, observe).to_dict()
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
