"""Trim one sample's reads as cutadapt would (TruSeq adapters, 3' quality, minimum length)
into work/trimmed/{sample}/1.fastq (and 2.fastq for pairs)."""

import json
from pathlib import Path

from workflows.common.rule_logging import InputError, logging_to
from workflows.common.sequence_files import SequenceFileError
from workflows.common.trimming import TrimOptions, trim

TRUSEQ_ADAPTER = "AGATCGGAAGAGC"  # the common start of the TruSeq read 1 and read 2 adapters


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        inputs = tuple(Path(path) for path in snakemake.input)
        folder = Path(snakemake.output[0])
        folder.mkdir(parents=True, exist_ok=True)
        paired = len(inputs) == 2
        options = TrimOptions(
            inputs=inputs,
            output=folder / "1.fastq",
            paired_output=folder / "2.fastq" if paired else None,
            adapters=(("back", TRUSEQ_ADAPTER),),
            adapters2=(("back", TRUSEQ_ADAPTER),) if paired else (),
            quality_cutoff=str(snakemake.params.quality),
            minimum_length=str(snakemake.params.min_length),
        )
        try:
            statistics = trim(options)
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        logger.info("trimming: %s", json.dumps(statistics.to_dict()))


main(snakemake)  # noqa: F821 (Snakemake defines it)
