# Configuration: parameters checked against the schema (defaults filled in), the samples
# (single- or paired-end, from the file names) and where the reference comes from.

import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from workflows.common.samples import reads_by_sample

if config.get("params") is None:
    config["params"] = {}
validate(config["params"], "../schemas/params.schema.yaml")
PARAMS = config["params"]
INPUTS = config.get("inputs") or {}

try:
    READS = reads_by_sample(INPUTS.get("reads"))
except ValueError as error:
    raise WorkflowError(str(error)) from None
SAMPLES = list(READS)

# The reference: a FASTA prepared by this run into reference/, or a registered one.
REFERENCE_FASTA = INPUTS.get("reference")
if isinstance(REFERENCE_FASTA, list):
    if len(REFERENCE_FASTA) != 1:
        raise WorkflowError('config["inputs"]["reference"] must name one FASTA file')
    REFERENCE_FASTA = REFERENCE_FASTA[0]
# A registered reference: the parameter names it, the gateway (or lsdih run) resolves and
# checks it and hands over its prepared folder in config["references"].
REGISTERED = (config.get("references") or {}).get("reference")
if PARAMS.get("reference") and not REGISTERED:
    raise WorkflowError(f"the registered reference {PARAMS['reference']!r} was not resolved (run through lsdih)")
if REGISTERED and REFERENCE_FASTA:
    raise WorkflowError("give either a reference FASTA input or a registered reference (parameter reference), not both")
if REGISTERED:
    REFERENCE_DIR = str(REGISTERED)
    if not Path(REFERENCE_DIR, "reference.json").is_file():
        raise WorkflowError(f"{REFERENCE_DIR!r} is not a prepared reference folder (no reference.json)")
elif REFERENCE_FASTA:
    REFERENCE_DIR = "reference"
else:
    raise WorkflowError(
        "no reference: give a FASTA as the reference input or name a registered one with the parameter reference"
    )

wildcard_constraints:
    sample="|".join(re.escape(sample) for sample in SAMPLES),


def aligner_input(wildcards):
    if PARAMS["trim"]:
        return {"reads": f"work/trimmed/{wildcards.sample}", "reference": REFERENCE_DIR}
    return {"reads": READS[wildcards.sample], "reference": REFERENCE_DIR}


def sample_results(wildcards=None):
    return {
        "alignment": expand("results/samples/{sample}.alignment.json", sample=SAMPLES),
        "coverage": expand("results/samples/{sample}.coverage.json", sample=SAMPLES),
        "vcf": expand("results/samples/{sample}.vcf.gz", sample=SAMPLES),
        "consensus": expand("results/samples/{sample}.consensus.fa", sample=SAMPLES),
    }
