"""Prepare the run's reference FASTA into reference/ (bgzip, faidx, minimap2 index, digests)."""

from pathlib import Path

from reference.errors import FastaFormatError
from reference.prepare import prepare_reference
from workflows.common.rule_logging import InputError, logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        output = Path(snakemake.output[0])
        if output.is_dir() and not any(output.iterdir()):
            output.rmdir()  # the preparation renames a finished folder into place
        try:
            prepared = prepare_reference(Path(snakemake.input[0]), output, presets=(snakemake.params.preset,))
        except FastaFormatError as error:
            raise InputError(str(error)) from None
        for sequence in prepared.sequences:
            logger.info("%s: %d bases, MD5 %s, %s", sequence["name"], sequence["length"], sequence["md5"], sequence["refget"])
        logger.info("collection digest %s", prepared.collection_digest)


main(snakemake)  # noqa: F821 (Snakemake defines it)
