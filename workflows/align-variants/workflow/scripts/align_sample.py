"""Align one sample's reads (single-end or pairs) to the prepared reference with mappy,
into a BAM sorted by coordinate and indexed, and record the read counts."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reference.errors import ReferenceDataError
from reference.prepare import quick_check
from workflows.common.alignment import (
    AlignmentSettings,
    ReferenceSequence,
    align_reads,
    load_aligner,
    reference_arrays,
    sort_and_index,
)
from workflows.common.rule_logging import InputError, logging_to
from workflows.common.fastq_validation import count_valid_fastq_records
from workflows.common.sequence_files import SequenceFileError


def checked_reads(paths: list[str]) -> list[int]:
    """Validate each FASTQ file (mappy's parser forgives too much), the two files of a
    pair side by side (ISA-L and the kernel release the GIL); mates must match in count."""
    try:
        with ThreadPoolExecutor(len(paths)) as pool:
            counts = list(pool.map(count_valid_fastq_records, paths))
    except SequenceFileError as error:
        raise InputError(str(error)) from None
    if len(set(counts)) > 1:
        raise InputError(f"{paths[0]} holds {counts[0]} reads but its mate file {paths[1]} holds {counts[1]}")
    return counts


def read_files(snakemake) -> list[str]:
    if snakemake.params.trimmed:
        folder = Path(snakemake.input.reads)
        return [str(path) for path in sorted(folder.glob("*.fastq"))]
    return list(snakemake.input.reads)


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        sample = snakemake.wildcards.sample
        preset = snakemake.params.preset
        prepared = quick_check(Path(snakemake.input.reference))
        sequences = [ReferenceSequence(entry["name"], entry["length"], entry["md5"]) for entry in prepared.sequences]
        try:
            index = prepared.minimap2_index(preset)
        except ReferenceDataError:
            index = prepared.fasta
            logger.warning("no prebuilt %s index in %s; building one in memory", preset, prepared.folder)
        aligner = load_aligner(index, preset)
        reads = read_files(snakemake)
        logger.info("%s: %s valid FASTQ records", ", ".join(reads), checked_reads(reads))
        logger.info("aligning %s (sample %s) with preset %s", ", ".join(reads), sample, preset)
        unsorted = Path(snakemake.output.bam).with_suffix(".unsorted.bam")  # removed once sorted
        try:
            counts = align_reads(
                aligner, reference_arrays(prepared.fasta, sequences), sequences, reads, unsorted, sample,
                AlignmentSettings(preset=preset, threads=snakemake.threads),
            )  # fmt: skip
        except ValueError as error:  # mismatched mates, unreadable FASTQ
            unsorted.unlink(missing_ok=True)
            raise InputError(str(error)) from None
        logger.info("%s", counts)
        try:
            sort_and_index(unsorted, snakemake.output.bam, snakemake.threads)
        finally:
            unsorted.unlink(missing_ok=True)
        logger.info("sorted and indexed %s", snakemake.output.bam)
        document = {"sample": sample, "reads_files": reads, "preset": preset, **counts.to_dict()}
        with open(snakemake.output.counts, "w", encoding="utf-8") as output:
            json.dump(document, output, indent=1)
            output.write("\n")


main(snakemake)  # noqa: F821 (Snakemake defines it)
