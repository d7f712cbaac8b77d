"""The numbers a QC report shows, drawn from a `kernels.fastq_profile.Profile`, and a
fastp-like JSON document of them that MultiQC's fastp module can read.

Definitions (where fastp or FastQC define the same thing, the same way):

- Q20/Q30 bases: bases with Phred score >= 20 / >= 30; rates are shares of all bases.
- `gc_content` in the fastp document: (G + C) / all bases, N included, as fastp computes
  it; the report's and summary's GC % leaves N out, as FastQC does.
- Per position, the box plot of FastQC: mean, and the 10th, 25th, 50th, 75th and 90th
  percentiles by the nearest-rank rule (the smallest score with at least
  ceil(p/100 x n) of the n scores at or below it), exact from the histograms.
- Base composition per position: share of each of A, C, G, T, N among the bases there
  (fastp's `content_curves`, as fractions).
- Adapter content: FastQC's cumulative share of all reads carrying the adapter's first
  12 bases at or before each position (`kernels.adapter_content`).
- Duplication: FastQC's levels (1..9, >10, >50, >100, >500, >1k, >5k, >10k copies) as
  shares of distinct sequences and of reads, from the distinct sample of
  `kernels.sequence_duplication`; `rate` is its duplicate-read estimate (fastp's own
  figure is a Bloom-filter count over whole reads; see that module).
- Overrepresented sequences: keys (whole read up to 75 bases, else the first 50) held
  by more than 0.1% of the reads, as FastQC reports them, and by at least two reads, with
  the known adapters they share 12 bases with as possible sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kernels.adapter_content import ADAPTERS, cumulative_adapter_content, possible_adapter_sources
from kernels.fastq_profile import BASE_LABELS, DEFAULT_MAX_READ_LENGTH, Profile, profile_fastq_blocks
from kernels.fastq_records import FastqFormatError
from workflows.common.sequence_files import BLOCK_BYTES, SequenceFileError, read_blocks

PERCENTILES = (10, 25, 50, 75, 90)
OVERREPRESENTED_SHARE = 0.001
DUPLICATION_LEVELS = (
    ("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4", 4, 4), ("5", 5, 5), ("6", 6, 6), ("7", 7, 7),
    ("8", 8, 8), ("9", 9, 9), (">10", 10, 49), (">50", 50, 99), (">100", 100, 499),
    (">500", 500, 999), (">1k", 1000, 4999), (">5k", 5000, 9999), (">10k", 10000, None),
)  # fmt: skip
FASTP_DUPLICATION_LEVELS = 100  # reads by copies 1..99, then one entry for 100 copies or more


def profile_file(
    path: Path | str,
    quality_offset: int | str = "auto",
    max_read_length: int = DEFAULT_MAX_READ_LENGTH,
    block_bytes: int = BLOCK_BYTES,
) -> Profile:
    """Profile a FASTQ file (plain or gzip) in bounded blocks.

    Raises SequenceFileError naming the file, and the record and line for a bad one.
    """
    try:
        return profile_fastq_blocks(read_blocks(path, block_bytes), quality_offset, max_read_length)
    except FastqFormatError as error:
        raise SequenceFileError(path, str(error), error.record, error.line) from None
    except OSError as error:
        raise SequenceFileError(path, f"cannot be read: {error.strerror or error}") from None


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def percentile_rows(histograms: np.ndarray, percent: int) -> np.ndarray:
    """Nearest-rank `percent`-th percentile of each row of score histograms (-1 for an
    empty row)."""
    totals = histograms.sum(axis=1)
    ranks = np.maximum(1, -(-percent * totals // 100))
    cumulative = np.cumsum(histograms, axis=1)
    found = (cumulative >= ranks[:, None]).argmax(axis=1)
    return np.where(totals > 0, found, -1)


def quality_box_plot(profile: Profile) -> dict[str, list]:
    """Per position (from 1): mean and the PERCENTILES of the Phred scores."""
    histograms = profile.position_quality_histograms()
    counts = histograms.sum(axis=1)
    sums = histograms @ np.arange(histograms.shape[1])
    plot = {"position": list(range(1, len(counts) + 1)), "mean": (sums / np.maximum(counts, 1)).tolist()}
    for percent in PERCENTILES:
        plot[f"p{percent}"] = percentile_rows(histograms, percent).tolist()
    return plot


def base_composition(profile: Profile) -> dict[str, list[float]]:
    """Per position: the share (0..1) of each base among the bases there, and of G+C."""
    counts = profile.position_bases[: profile.longest_read]
    totals = np.maximum(counts.sum(axis=1), 1)
    composition = {base: (counts[:, column] / totals).tolist() for column, base in enumerate(BASE_LABELS)}
    composition["GC"] = ((counts[:, 1] + counts[:, 2]) / totals).tolist()
    return composition


def length_distribution(profile: Profile) -> dict[int, int]:
    return {int(length): int(profile.length_histogram[length]) for length in np.flatnonzero(profile.length_histogram)}


def adapter_content(profile: Profile) -> dict[str, list[float]]:
    """Per adapter: FastQC's cumulative percentage of reads by position."""
    longest = profile.longest_read
    return {
        adapter.key: cumulative_adapter_content(profile.adapter_first_positions[row, :longest], profile.reads).tolist()
        for row, adapter in enumerate(ADAPTERS)
    }


def duplication_levels(profile: Profile) -> dict:
    """FastQC's duplication levels from the sample, and the duplicate-read estimate."""
    sample = profile.duplication
    copies = sample.copies_histogram()
    distinct = int(copies.sum())
    reads = int((copies * np.arange(copies.size)).sum())
    levels = []
    for label, low, high in DUPLICATION_LEVELS:
        selected = slice(low, None if high is None else high + 1)
        level_distinct = int(copies[selected].sum())
        level_reads = int((copies[selected] * np.arange(copies.size)[selected]).sum())
        levels.append(
            {
                "level": label,
                "percent_of_distinct": 100.0 * level_distinct / distinct if distinct else 0.0,
                "percent_of_reads": 100.0 * level_reads / reads if reads else 0.0,
            }
        )
    rate = sample.duplicate_rate()
    return {
        "rate": rate,
        "sampling_level": sample.level,
        "sampled_reads": sample.sampled_reads,
        "sampled_distinct": sample.distinct_sampled,
        "considered_reads": sample.considered_reads,
        "levels": levels,
        "copies_histogram": copies.tolist(),
    }


def overrepresented_sequences(profile: Profile, share: float = OVERREPRESENTED_SHARE) -> list[dict]:
    """Sequences above `share` of the reads (and seen at least twice), most frequent first."""
    frequent = profile.frequent
    counted = frequent.counted_reads
    found = [
        {
            "sequence": sequence,
            "count": count,
            "percent": 100.0 * count / counted,
            "count_at_most": count + frequent.lowered,
            "possible_source": ", ".join(possible_adapter_sources(sequence)) or "No Hit",
        }
        for sequence, count in frequent.entries().items()
        if count >= 2 and count > share * counted
    ]
    return sorted(found, key=lambda entry: (-entry["count"], entry["sequence"]))


def _fastp_read_section(profile: Profile) -> dict:
    """fastp's `read1_before_filtering`: totals and curves by position."""
    box = quality_box_plot(profile)
    composition = base_composition(profile)
    return {
        "total_reads": profile.reads,
        "total_bases": profile.bases,
        "q20_bases": profile.bases_at_least(20),
        "q30_bases": profile.bases_at_least(30),
        "total_cycles": profile.longest_read,
        "quality_curves": {"mean": box["mean"]},
        "content_curves": {key: composition[key] for key in ("A", "T", "C", "G", "N", "GC")},
        "overrepresented_sequences": {entry["sequence"]: entry["count"] for entry in overrepresented_sequences(profile)},
        "adapter_content": adapter_content(profile),
    }


def _fastp_summary(profiles: list[Profile]) -> dict:
    reads = sum(profile.reads for profile in profiles)
    bases = sum(profile.bases for profile in profiles)
    q20 = sum(profile.bases_at_least(20) for profile in profiles)
    q30 = sum(profile.bases_at_least(30) for profile in profiles)
    summary = {
        "total_reads": reads,
        "total_bases": bases,
        "q20_bases": q20,
        "q30_bases": q30,
        "q20_rate": _share(q20, bases),
        "q30_rate": _share(q30, bases),
    }
    for number, profile in enumerate(profiles, start=1):
        summary[f"read{number}_mean_length"] = profile.bases // profile.reads if profile.reads else 0
    summary["gc_content"] = _share(sum(profile.gc_bases for profile in profiles), bases)
    return summary


def fastp_trimming_sections(statistics: dict, adapters: tuple[list[str], list[str]]) -> dict:
    """fastp's `filtering_result` and `adapter_cutting` from trimming statistics
    (`workflows.common.trimming.TrimStatistics.to_dict()` plus `adapter_trimmed_bases`).

    fastp counts reads, not pairs: a pair too short counts as two reads. Reads are never
    dropped for quality or Ns here, only for length, so those counts are 0.
    """
    sides = 2 if statistics["paired"] else 1
    document = {
        "filtering_result": {
            "passed_filter_reads": statistics["written"] * sides,
            "low_quality_reads": 0,
            "too_many_N_reads": 0,
            "too_short_reads": statistics["too_short"] * sides,
            "too_long_reads": statistics["too_long"] * sides,
        },
        "adapter_cutting": {
            "adapter_trimmed_reads": sum(statistics["with_adapters"][:sides]),
            "adapter_trimmed_bases": statistics["adapter_trimmed_bases"],
            "read1_adapter_sequence": ",".join(adapters[0]) or "unspecified",
        },
    }
    if sides == 2:
        document["adapter_cutting"]["read2_adapter_sequence"] = ",".join(adapters[1]) or "unspecified"
    return document


def fastp_like_report(
    profiles: list[Profile],
    paths: list[str | Path],
    trimmed_profiles: list[Profile] | None = None,
    trimming: dict | None = None,
) -> dict:
    """A document shaped like fastp's JSON report for one file or a pair (read1/read2).

    Without `trimmed_profiles` only the `before_filtering` parts are there. With them
    (profiles of the reads written after trimming) come `after_filtering`, the
    `readN_after_filtering` sections and, from `trimming` (`fastp_trimming_sections`),
    `filtering_result` and `adapter_cutting`. `command` names the first input after -i,
    which is where MultiQC's fastp module looks for the sample name."""
    if not 1 <= len(profiles) == len(paths) <= 2:
        raise ValueError("one or two profiles, each with its path")
    if trimmed_profiles is not None and len(trimmed_profiles) != len(profiles):
        raise ValueError("as many trimmed profiles as profiles")
    cycles = " + ".join(f"{profile.longest_read} cycles" for profile in profiles)
    duplication = duplication_levels(profiles[0])
    copies = duplication["copies_histogram"]
    histogram = [copies[level] * level for level in range(1, min(len(copies), FASTP_DUPLICATION_LEVELS))]
    if len(copies) > FASTP_DUPLICATION_LEVELS:
        histogram.append(sum(copies[level] * level for level in range(FASTP_DUPLICATION_LEVELS, len(copies))))
    summary = {
        "sequencing": f"{'single' if len(profiles) == 1 else 'paired'} end ({cycles})",
        "before_filtering": _fastp_summary(profiles),
    }
    if trimmed_profiles is not None:
        summary["after_filtering"] = _fastp_summary(trimmed_profiles)
    document = {"summary": summary}
    if trimmed_profiles is not None and trimming is not None:
        document.update(trimming)
    document["duplication"] = {"rate": duplication["rate"] or 0.0, "histogram": histogram}
    for number, profile in enumerate(profiles, start=1):
        document[f"read{number}_before_filtering"] = _fastp_read_section(profile)
    for number, profile in enumerate(trimmed_profiles or [], start=1):
        document[f"read{number}_after_filtering"] = _fastp_read_section(profile)
    document["quality_encoding"] = [profile.encoding.to_dict() for profile in profiles]
    document["command"] = "lsdih fastq-qc -i " + " -I ".join(str(path) for path in paths)
    return document


def sample_metrics(profile: Profile) -> dict:
    """Everything the HTML report draws for one file."""
    return {
        "summary": profile.summary(),
        "quality_encoding": profile.encoding.to_dict(),
        "quality_box_plot": quality_box_plot(profile),
        "base_composition": base_composition(profile),
        "gc_distribution": profile.gc_histogram.tolist(),
        "length_distribution": length_distribution(profile),
        "adapter_content": adapter_content(profile),
        "duplication": duplication_levels(profile),
        "overrepresented_sequences": overrepresented_sequences(profile),
    }
