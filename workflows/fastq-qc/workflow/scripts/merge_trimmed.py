"""Join the trimmed chunks of one sample: the gzip files concatenated in chunk order
(one multi-member gzip file per read of a pair) under results/trimmed/, and the chunk
documents merged (counts added, profiles merged) into results/samples/{sample}.trimming.json.
Chunks profiled and trimmed in one pass decided alone; the sample's merged raw profile
then gives the decisions recorded, and must agree with every chunk's quality encoding."""

from pathlib import Path

from fastq_qc_support import as_list, combined, read_sample_document, trimming_choices, write_json
from workflows.common.fastq_chunks import concatenate
from workflows.common.rule_logging import InputError, logging_to

SUMMED = ("reads", "too_short", "too_long", "untrimmed", "written", "adapter_trimmed_bases")
SUMMED_BY_READ = ("bases", "quality_trimmed_bases", "poly_g_trimmed_bases", "with_adapters", "written_bases")


def merged_statistics(parts: list[dict]) -> dict:
    statistics = dict(parts[0])
    for key in SUMMED:
        statistics[key] = sum(part[key] for part in parts)
    for key in SUMMED_BY_READ:
        statistics[key] = [sum(part[key][side] for part in parts) for side in (0, 1)]
    return statistics


def decide_for_sample(document: dict, chunks: list[dict], sample_profile: dict, params) -> None:
    raw = sample_profile["profile_objects"]
    adapters, poly_g, _ = trimming_choices(params, raw)
    document["adapters"], document["poly_g"] = adapters.to_dict(), poly_g.to_dict()
    encoding = raw[0].encoding
    for chunk in chunks:
        used = chunk["profile_objects"][0].encoding
        if used.name != encoding.name:
            raise InputError(
                f"sample {document['sample']}: chunk {chunk['chunk'] + 1} of {len(chunks)} was trimmed as "
                f"{used.description}, the quality encoding of its own reads, but the sample as a whole is "
                f"{encoding.description}; set the quality_offset parameter")


def main(snakemake):
    folders = [Path(path) for path in as_list(snakemake.input.chunks)]
    targets = as_list(snakemake.output.trimmed)
    with logging_to(snakemake.log[0]) as logger:
        chunks = [read_sample_document(folder / "trimming.json") for folder in folders]
        document = {key: value for key, value in chunks[0].items() if key not in ("chunk", "profile_objects")}
        document["chunks"] = len(chunks)
        document["trimmed_files"] = targets
        document["statistics"] = merged_statistics([chunk["statistics"] for chunk in chunks])
        if snakemake.input.profile:
            decide_for_sample(document, chunks, read_sample_document(snakemake.input.profile), snakemake.params)
        for mate, target in enumerate(targets, start=1):
            concatenate([folder / f"{mate}.fastq.gz" for folder in folders], Path(target))
        for side, key in enumerate(("profile", "read2_profile")[: len(targets)]):
            document[key] = combined([chunk["profile_objects"][side] for chunk in chunks]).to_dict()
        write_json(snakemake.output.document, document)
        logger.info("joined %d trimmed chunks of %s", len(chunks), snakemake.wildcards.sample)


main(snakemake)  # noqa: F821 (Snakemake defines it)
