"""Merge the chunk profiles of one sample into results/samples/{sample}.profile.json."""

from fastq_qc_support import as_list, combined, read_sample_document, write_json
from workflows.common.rule_logging import logging_to


def main(snakemake):
    params = snakemake.params
    with logging_to(snakemake.log[0]) as logger:
        chunks = [read_sample_document(path) for path in as_list(snakemake.input)]
        profiles = [combined([chunk["profile_objects"][side] for chunk in chunks])
                    for side in range(len(chunks[0]["profile_objects"]))]
        sample = snakemake.wildcards.sample
        files = list(params.reads)
        for path, profile in zip(files, profiles):
            logger.info("%s: %d reads, quality encoding %s", path, profile.reads, profile.encoding.description)
            if profile.encoding.message:
                logger.warning("%s: %s", path, profile.encoding.message)
        document = {
            "sample": sample,
            "paired": len(profiles) == 2,
            "reads_file": files[0],
            "reads_files": files,
            "chunks": len(chunks),
            "params": {"quality_offset": params.quality_offset, "max_read_length": params.max_read_length},
            "profile": profiles[0].to_dict(),
        }
        if len(profiles) == 2:
            document["read2_profile"] = profiles[1].to_dict()
        write_json(snakemake.output[0], document)
        logger.info("merged %d chunk profiles of %s", len(chunks), sample)


main(snakemake)  # noqa: F821 (Snakemake defines it)
