"""Trim one chunk of a sample (a sample not split is one chunk) with the adapters and
poly-G trimming decided from the sample's merged raw profile; write the trimmed reads
(1.fastq.gz, and 2.fastq.gz for a pair) and trimming.json (the decisions, the counts
and the profiles of the trimmed reads) to chunks/{sample}/trimmed_{chunk}/."""

import time
from pathlib import Path

from fastq_qc_support import chunk_first_record, read_sample_document, write_json
from workflows.common.adapter_kits import choose_adapters, choose_poly_g
from workflows.common.fastq_chunks import renumbered
from workflows.common.qc_trimming import TrimSettings, trim_and_profile, trimming_options
from workflows.common.rule_logging import InputError, logging_to
from workflows.common.sequence_files import SequenceFileError


def main(snakemake):
    params = snakemake.params
    files, reads = list(params.files), list(params.reads)
    chunk = int(snakemake.wildcards.chunk)
    folder = Path(snakemake.output[0])
    with logging_to(snakemake.log[0]) as logger:
        folder.mkdir(parents=True, exist_ok=True)
        first_record = chunk_first_record(files, reads, chunk)
        raw = read_sample_document(snakemake.input.profile)["profile_objects"]
        encoding = raw[0].encoding
        adapters = choose_adapters(params.adapters, params.adapters2, raw, params.adapter_min_percent)
        poly_g = choose_poly_g(params.poly_g, raw, params.adapter_min_percent)
        logger.info("adapters: %s", adapters.decision)
        logger.info("%s", poly_g.decision)
        settings = TrimSettings(params.quality_cutoff, params.min_length, poly_g.enabled, params.poly_g_min_length,
                                params.pair_filter)
        outputs = [folder / f"{mate}.fastq.gz" for mate in range(1, len(files) + 1)]
        options = trimming_options(files, outputs, adapters, settings, encoding, snakemake.threads)
        started = time.perf_counter()
        try:
            statistics, profiles = trim_and_profile(options, encoding, params.max_read_length)
        except SequenceFileError as error:
            original = reads[files.index(error.path)] if error.path in files else error.path
            raise InputError(str(renumbered(error, original, first_record) if files != reads else error)) from None
        logger.info("%d %s in, %d written, %d too short, in %.2f s", statistics["reads"],
                    "pairs" if len(files) == 2 else "reads", statistics["written"], statistics["too_short"],
                    time.perf_counter() - started)
        document = {
            "sample": snakemake.wildcards.sample,
            "chunk": chunk,
            "paired": len(files) == 2,
            "reads_files": reads,
            "adapters": adapters.to_dict(),
            "poly_g": poly_g.to_dict(),
            "settings": {
                "quality_cutoff": settings.quality_cutoff,
                "quality_base": encoding.offset,
                "min_length": settings.min_length,
                "poly_g_min_length": settings.poly_g_min_length,
                "pair_filter": settings.pair_filter if len(files) == 2 else None,
            },
            "statistics": statistics,
            "profile": profiles[0].to_dict(),
        }
        if len(profiles) == 2:
            document["read2_profile"] = profiles[1].to_dict()
        write_json(folder / "trimming.json", document)


main(snakemake)  # noqa: F821 (Snakemake defines it)
