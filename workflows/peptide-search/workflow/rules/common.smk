# Configuration: parameters checked against the schema (defaults filled in), the checks
# a schema cannot state, and the sample of each spectrum file. The gateway's runner
# validates too; checking again here keeps `snakemake --configfile` runs just as safe.

import re
from pathlib import Path, PurePath

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

SPECTRUM_SUFFIXES = (".mgf", ".mzml")

if config.get("params") is None:
    config["params"] = {}
validate(config["params"], "../schemas/params.schema.yaml")
PARAMS = config["params"]
# What a search depends on: a new FDR threshold reruns the merge and what follows only.
# (The database's name is left out: the search depends on the FASTA file, its input.)
SEARCH_PARAMS = {name: value for name, value in PARAMS.items() if name not in ("fdr_threshold", "database")}

if PARAMS["min_length"] > PARAMS["max_length"]:
    raise WorkflowError("params: min_length must not exceed max_length")
if PARAMS["isotope_errors"][0] > PARAMS["isotope_errors"][1]:
    raise WorkflowError("params: isotope_errors must be [lowest, highest]")
if PARAMS["fragment_min_mz"] >= PARAMS["fragment_max_mz"]:
    raise WorkflowError("params: fragment_min_mz must be below fragment_max_mz")


def sample_name(path):
    """File name without its spectrum suffix (any case) and .gz, e.g. 'run1' for
    'in/run1.mzML' or 'in/run1.mgf.gz'."""
    name = PurePath(path).name
    if name.lower().endswith(".gz"):
        name = name[: -len(".gz")]
    for suffix in SPECTRUM_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    raise WorkflowError(f"spectrum file {path!r} should end with .mgf or .mzML (or those with .gz)")


def as_list(value):
    return [] if value is None else value if isinstance(value, list) else [value]


def spectra_by_sample(inputs):
    """Map each sample name to its spectrum file (MGF or mzML, mixed); two files may not
    share a sample name, whatever their format."""
    paths = as_list(inputs.get("spectra"))
    if not paths:
        raise WorkflowError('config["inputs"]["spectra"] must list at least one MGF or mzML file')
    spectra = {}
    for path in paths:
        sample = sample_name(path)
        if sample in spectra:
            raise WorkflowError(
                f"spectrum files {spectra[sample]!r} and {path!r} both give sample {sample!r}"
            )
        spectra[sample] = path
    return spectra


INPUTS = config.get("inputs", {})
SPECTRA = spectra_by_sample(INPUTS)
SAMPLES = list(SPECTRA)


def protein_fasta(inputs, params, references):
    """The FASTA to search: the proteins input, or the registered protein database the
    parameter database names, whose prepared folder the gateway (or lsdih run) resolved,
    checked and handed over in config["references"]; exactly one of the two."""
    given = inputs.get("proteins")
    if isinstance(given, list):
        if len(given) != 1:
            raise WorkflowError('config["inputs"]["proteins"] must name one FASTA file')
        given = given[0]
    if given is not None and not isinstance(given, str):
        raise WorkflowError('config["inputs"]["proteins"] must name one FASTA file')
    registered = references.get("database")
    if params.get("database") and not registered:
        raise WorkflowError(
            f"the registered protein database {params['database']!r} was not resolved (run through lsdih)"
        )
    if given and registered:
        raise WorkflowError(
            "give either a proteins FASTA input or a registered protein database (parameter database), not both"
        )
    if registered:
        # reference.fa.gz is BGZF, which the search reads as the gzip it also is.
        fasta = Path(registered, "reference.fa.gz")
        if not Path(registered, "reference.json").is_file() or not fasta.is_file():
            raise WorkflowError(
                f"{str(registered)!r} is not a prepared reference folder (no reference.json or reference.fa.gz)"
            )
        return str(fasta)
    if not given:
        raise WorkflowError(
            "no proteins: give a FASTA as the proteins input or name a registered protein database "
            "with the parameter database"
        )
    return given


PROTEINS = protein_fasta(INPUTS, PARAMS, config.get("references") or {})


wildcard_constraints:
    sample="|".join(re.escape(sample) for sample in SAMPLES),


def spectra_of_sample(wildcards):
    return SPECTRA[wildcards.sample]


def search_memory_mb():
    # The interpreter with numpy, numba and pyteomics, plus the peptide index: some 100
    # bytes per modified form; a human proteome digested by trypsin with one missed
    # cleavage and oxidation gives a few million forms with their decoys.
    return 1500 + 500 * PARAMS["max_variable_mods"] * len(PARAMS["variable_modifications"])
