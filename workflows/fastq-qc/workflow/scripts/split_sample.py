"""Cut one sample's reads (both files of a pair, in lockstep) into record-aligned plain
FASTQ chunks, chunks/{sample}/reads/{chunk}_{mate}.fastq, and write the plan (records,
each chunk's first record and end) to plan.json there."""

from pathlib import Path

from fastq_qc_support import write_json
from workflows.common.fastq_chunks import split_fastq
from workflows.common.rule_logging import InputError, logging_to
from workflows.common.sequence_files import SequenceFileError


def main(snakemake):
    reads = list(snakemake.input)
    folder = Path(snakemake.output[0])
    chunks = snakemake.params.chunks
    with logging_to(snakemake.log[0]) as logger:
        folder.mkdir(parents=True, exist_ok=True)
        chunk_paths = [[folder / f"{chunk}_{mate}.fastq" for mate in range(1, len(reads) + 1)] for chunk in range(chunks)]
        try:
            plan = split_fastq(reads, chunk_paths)
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        write_json(folder / "plan.json", {"reads_files": reads, **plan})
        logger.info("%d %s cut into %d chunks", plan["records"], "pairs" if len(reads) == 2 else "reads", chunks)


main(snakemake)  # noqa: F821 (Snakemake defines it)
