# Configuration: parameters checked against the schema (defaults filled in), and the
# sample of each reads file. The gateway's runner validates too; checking again here
# keeps `snakemake --configfile` runs of the workflow on its own just as safe.

import re
from pathlib import PurePath

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")

if config.get("params") is None:
    config["params"] = {}
validate(config["params"], "../schemas/params.schema.yaml")
PARAMS = config["params"]


def sample_name(path):
    """File name without its FASTQ suffix, e.g. 'liver_1' for 'in/liver_1.fq.gz'."""
    name = PurePath(path).name
    for suffix in FASTQ_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    raise WorkflowError(
        f"reads file {path!r} should end with one of {', '.join(FASTQ_SUFFIXES)}"
    )


def reads_by_sample(paths):
    """Map each sample name to its reads file; two files may not share a name."""
    if not isinstance(paths, list) or not paths:
        raise WorkflowError('config["inputs"]["reads"] must list at least one FASTQ file')
    reads = {}
    for path in paths:
        sample = sample_name(path)
        if sample in reads:
            raise WorkflowError(
                f"reads files {reads[sample]!r} and {path!r} both give sample {sample!r}"
            )
        reads[sample] = path
    return reads


READS = reads_by_sample(config.get("inputs", {}).get("reads"))
SAMPLES = list(READS)


wildcard_constraints:
    sample="|".join(re.escape(sample) for sample in SAMPLES),


def reads_of_sample(wildcards):
    return READS[wildcards.sample]


def profile_memory_mb():
    # The interpreter with numpy and numba, plus a block, the previous block's tail
    # joined to it, and the decompressor's output buffer; the per-position counts take
    # about 800 bytes per base of the longest read allowed, the duplication sample and
    # frequent-sequence summary about 2 MB.
    return 400 + 3 * PARAMS["chunk_mb"] + PARAMS["max_read_length"] * 800 // 2**20
