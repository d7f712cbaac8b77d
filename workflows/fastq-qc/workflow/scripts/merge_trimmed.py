"""Join the trimmed chunks of one sample: the gzip files concatenated in chunk order
(one multi-member gzip file per read of a pair) under results/trimmed/, and the chunk
documents merged (counts added, profiles merged) into results/samples/{sample}.trimming.json."""

from pathlib import Path

from fastq_qc_support import as_list, combined, read_sample_document, write_json
from workflows.common.fastq_chunks import concatenate
from workflows.common.rule_logging import logging_to

SUMMED = ("reads", "too_short", "too_long", "untrimmed", "written", "adapter_trimmed_bases")
SUMMED_BY_READ = ("bases", "quality_trimmed_bases", "poly_g_trimmed_bases", "with_adapters", "written_bases")


def merged_statistics(parts: list[dict]) -> dict:
    statistics = dict(parts[0])
    for key in SUMMED:
        statistics[key] = sum(part[key] for part in parts)
    for key in SUMMED_BY_READ:
        statistics[key] = [sum(part[key][side] for part in parts) for side in (0, 1)]
    return statistics


def main(snakemake):
    folders = [Path(path) for path in as_list(snakemake.input)]
    targets = as_list(snakemake.output.trimmed)
    with logging_to(snakemake.log[0]) as logger:
        for mate, target in enumerate(targets, start=1):
            concatenate([folder / f"{mate}.fastq.gz" for folder in folders], Path(target))
        chunks = [read_sample_document(folder / "trimming.json") for folder in folders]
        document = {key: value for key, value in chunks[0].items() if key not in ("chunk", "profile_objects")}
        document["chunks"] = len(chunks)
        document["trimmed_files"] = targets
        document["statistics"] = merged_statistics([chunk["statistics"] for chunk in chunks])
        for side, key in enumerate(("profile", "read2_profile")[: len(targets)]):
            document[key] = combined([chunk["profile_objects"][side] for chunk in chunks]).to_dict()
        write_json(snakemake.output.document, document)
        logger.info("joined %d trimmed chunks of %s", len(chunks), snakemake.wildcards.sample)


main(snakemake)  # noqa: F821 (Snakemake defines it)
