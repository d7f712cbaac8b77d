# Configuration: parameters checked against the schema (defaults filled in), and the
# samples made of the reads files. The gateway's runner validates too; checking again
# here keeps `snakemake --configfile` runs of the workflow on its own just as safe.

import re

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from workflows.common.fastq_chunks import chunk_count
from workflows.common.paired_reads import SampleNameError, samples_from_files, samples_from_sheet

if config.get("params") is None:
    config["params"] = {}
validate(config["params"], "../schemas/params.schema.yaml")
PARAMS = config["params"]
TRIM = PARAMS["trim"]
# Adapters and poly-G trimming set rather than detected need no raw profile first: then
# each chunk is profiled and trimmed in one pass over its reads (profile_and_trim_chunk).
SINGLE_PASS = TRIM and PARAMS["adapters"] != "auto" and PARAMS["poly_g"] != "auto"
TRIM_PARAMS = {
    key: PARAMS[key]
    for key in (
        "adapters", "adapters2", "adapter_min_percent", "quality_cutoff", "min_length", "poly_g", "poly_g_min_length",
        "pair_filter", "max_read_length",
    )
}  # fmt: skip


def samples_of(paths, sheet):
    """The samples of the reads files: as the sample sheet lists them if there is one, else
    pairs by name (unless pair_files is false) and one file each for the rest."""
    if not isinstance(paths, list) or not paths:
        raise WorkflowError('config["inputs"]["reads"] must list at least one FASTQ file')
    try:
        if sheet:
            return {sample.name: sample for sample in samples_from_sheet(sheet, paths)}
        return {sample.name: sample for sample in samples_from_files(paths, PARAMS["pair_files"])}
    except (SampleNameError, OSError) as error:
        raise WorkflowError(str(error)) from None


SAMPLE_FILES = samples_of(config.get("inputs", {}).get("reads"), config.get("inputs", {}).get("samples"))
SAMPLES = list(SAMPLE_FILES)
SINGLE_SAMPLES = [name for name, sample in SAMPLE_FILES.items() if not sample.paired]
PAIRED_SAMPLES = [name for name, sample in SAMPLE_FILES.items() if sample.paired]


def planned_chunks(sample):
    # A missing file is reported by Snakemake as a missing input; plan one chunk for it.
    try:
        return chunk_count(sample.reads, int(PARAMS["split_mb"] * 2**20))
    except OSError:
        return 1


CHUNKS = {name: planned_chunks(sample) for name, sample in SAMPLE_FILES.items()}
SPLIT_SAMPLES = [name for name, count in CHUNKS.items() if count > 1]


def _alternatives(names):
    # A pattern that matches no sample name when the list is empty.
    return "|".join(re.escape(name) for name in names) or "(?!)"


wildcard_constraints:
    sample=_alternatives(SAMPLES),
    chunk=r"\d+",


def reads_of_sample(wildcards):
    return list(SAMPLE_FILES[wildcards.sample].reads)


def chunk_source(wildcards):
    """What a chunk job reads: the sample's files themselves, or the folder of its chunks."""
    if CHUNKS[wildcards.sample] == 1:
        return reads_of_sample(wildcards)
    return f"chunks/{wildcards.sample}/reads"


def chunk_files(wildcards):
    """The files of one chunk (one per read of a pair); a sample not split is its own chunk."""
    sample = SAMPLE_FILES[wildcards.sample]
    if CHUNKS[wildcards.sample] == 1:
        return list(sample.reads)
    return [f"chunks/{wildcards.sample}/reads/{wildcards.chunk}_{mate}.fastq" for mate in range(1, len(sample.reads) + 1)]


def chunks_of(pattern):
    """`pattern` ({sample} and {chunk}) for every chunk of the sample."""

    def paths(wildcards):
        return [pattern.format(sample=wildcards.sample, chunk=chunk) for chunk in range(CHUNKS[wildcards.sample])]

    return paths


def trimmed_reads(sample):
    """The trimmed FASTQ files of a sample: {sample}.fastq.gz, or {sample}_R1/_R2 for a pair."""
    if SAMPLE_FILES[sample].paired:
        return [f"results/trimmed/{sample}_R1.fastq.gz", f"results/trimmed/{sample}_R2.fastq.gz"]
    return [f"results/trimmed/{sample}.fastq.gz"]


def sample_documents(wildcards=None):
    """Every sample's profile, and its trimming document when trimming is on."""
    profiles = expand("results/samples/{sample}.profile.json", sample=SAMPLES)
    trimming = expand("results/samples/{sample}.trimming.json", sample=SAMPLES) if TRIM else []
    return {"profiles": profiles, "trimming": trimming}


def profile_memory_mb():
    # The interpreter with numpy and numba, plus a block, the previous block's tail
    # joined to it, and the decompressor's output buffer, for each file of a pair; the
    # per-position counts take about 800 bytes per base of the longest read allowed,
    # the duplication sample and frequent-sequence summary about 2 MB.
    return 400 + 2 * (3 * PARAMS["chunk_mb"] + PARAMS["max_read_length"] * 800 // 2**20)


def trim_memory_mb(threads):
    # Up to two batches of 4 MiB per thread in flight, each with its trimmed copy and
    # its profile of the trimmed reads, plus the compressors' buffers.
    return profile_memory_mb() + threads * 64


def single_pass_memory_mb(threads):
    # Trimming's, plus the raw reads' profiles and the raw batches waiting for them.
    return trim_memory_mb(threads) + 2 * (PARAMS["max_read_length"] * 800 // 2**20) + 32
