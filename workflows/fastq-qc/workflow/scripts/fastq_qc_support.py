"""What the fastq-qc scripts share. Snakemake puts this folder on the script's sys.path."""

from __future__ import annotations

import json

from kernels.fastq_profile import Profile
from workflows.common.qc_metrics import adapter_content, overrepresented_sequences

# Columns of results/summary.tsv and of the report's table, with their headings; the
# first seven are those of version 0.1 and keep their place.
SUMMARY_COLUMNS = {
    "reads": "Reads",
    "bases": "Bases",
    "gc_percent": "GC %",
    "mean_quality": "Mean quality",
    "q20_percent": "Q20 %",
    "q30_percent": "Q30 %",
    "n_percent": "N %",
    "min_length": "Shortest",
    "mean_length": "Mean length",
    "max_length": "Longest",
    "q20_bases": "Q20 bases",
    "q30_bases": "Q30 bases",
    "duplicate_percent": "Duplicates % (estimate)",
    "quality_encoding": "Quality encoding",
    "overrepresented_sequences": "Overrepresented sequences",
    "adapter_percent": "Adapter %",
}






def read_sample_profiles(paths: list[str]) -> list[dict]:
    """Return the documents written by profile_sample.py, in the order given, each with
    its profile rebuilt under "profile_object"."""
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        document["profile_object"] = Profile.from_dict(document["profile"])
        documents.append(document)
    return documents


def summary_values(profile: Profile) -> dict:
    """The values of SUMMARY_COLUMNS for one sample."""
    values = profile.summary()
    values["overrepresented_sequences"] = len(overrepresented_sequences(profile))
    curves = adapter_content(profile)
    values["adapter_percent"] = max((curve[-1] for curve in curves.values() if curve), default=None)
    return values


def formatted_metric(value: int | float | str | None) -> str:
    """Integers and text as they are, fractions with two decimals, a missing value as NA."""
    if value is None:
        return "NA"
    if isinstance(value, (int, str)):
        return str(value)
    return f"{value:.2f}"
