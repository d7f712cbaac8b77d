"""What the fastq-qc scripts share. Snakemake puts this folder on the script's sys.path."""

from __future__ import annotations

import json
from pathlib import Path

from kernels.fastq_profile import Profile
from kernels.quality_encoding import QualityEncoding
from workflows.common.adapter_kits import AdapterChoice, PolyGChoice, choose_adapters, choose_poly_g
from workflows.common.fastq_chunks import renumbered
from workflows.common.qc_metrics import adapter_content, overrepresented_sequences
from workflows.common.qc_trimming import TrimSettings, trimming_options
from workflows.common.trimming import TrimOptions
from workflows.common.rule_logging import InputError
from workflows.common.sequence_files import SequenceFileError

# Columns of results/summary.tsv and of the report's table, with their headings: first
# those of version 0.2, in their places, from the raw reads (for a pair, of both files
# together: reads counts the reads of both, as fastp does); then the trimming columns.
PROFILE_COLUMNS = {
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
    "layout": "Layout",
}
TRIMMING_COLUMNS = {
    "adapters_trimmed": "Adapters trimmed",
    "poly_g_trimmed": "Poly-G trimmed",
    "reads_with_adapter_percent": "Reads with adapter %",
    "reads_after": "Reads after trimming",
    "bases_after": "Bases after trimming",
    "reads_passed_percent": "Reads kept %",
    "bases_passed_percent": "Bases kept %",
    "q30_percent_after": "Q30 % after trimming",
    "mean_length_after": "Mean length after trimming",
}
SUMMARY_COLUMNS = {**PROFILE_COLUMNS, **TRIMMING_COLUMNS}


def as_list(files) -> list[str]:
    """A named input or output of Snakemake as a list: one file comes as a string."""
    return [files] if isinstance(files, str) else list(files)


def write_json(path, document) -> None:
    with open(path, "w", encoding="utf-8") as output:
        json.dump(document, output, indent=1)
        output.write("\n")


def chunk_first_record(files: list[str], reads: list[str], chunk: int) -> int:
    """Records of the sample's files before this chunk: 0 for a sample not split, else
    from the plan split_sample.py wrote next to the chunk files."""
    if files == reads:
        return 0
    with open(Path(files[0]).parent / "plan.json", encoding="utf-8") as handle:
        return json.load(handle)["chunks"][chunk][0]


def input_error(error: SequenceFileError, files: list[str], reads: list[str], first_record: int) -> InputError:
    """The error of a chunk file, told of the sample's own file, numbered as in it."""
    if files == reads:
        return InputError(str(error))
    original = reads[files.index(error.path)] if error.path in files else error.path
    return InputError(str(renumbered(error, original, first_record)))


def profile_document(sample: str, chunk: int, profiles: list[Profile]) -> dict:
    """What a chunk's raw profile job writes: chunks/{sample}/profile_{chunk}.json."""
    document = {"sample": sample, "chunk": chunk, "profile": profiles[0].to_dict()}
    if len(profiles) == 2:
        document["read2_profile"] = profiles[1].to_dict()
    return document


def trimming_choices(params, raw: list[Profile]) -> tuple[AdapterChoice, PolyGChoice, TrimSettings]:
    """The adapters, poly-G trimming and trimming settings of a sample from the rule's
    params and the raw reads' profiles (one, or two for a pair)."""
    adapters = choose_adapters(params.adapters, params.adapters2, raw, params.adapter_min_percent)
    poly_g = choose_poly_g(params.poly_g, raw, params.adapter_min_percent)
    settings = TrimSettings(params.quality_cutoff, params.min_length, poly_g.enabled, params.poly_g_min_length,
                            params.pair_filter)
    return adapters, poly_g, settings


def chunk_trim_options(files: list[str], folder: Path, choices, encoding: QualityEncoding, threads: int,
                       logger) -> TrimOptions:
    """Log a chunk's trimming decisions; its trimming options, writing into `folder`."""
    adapters, poly_g, settings = choices
    logger.info("adapters: %s", adapters.decision)
    logger.info("%s", poly_g.decision)
    outputs = [folder / f"{mate}.fastq.gz" for mate in range(1, len(files) + 1)]
    return trimming_options(files, outputs, adapters, settings, encoding, threads)


def log_trimmed(logger, statistics: dict, pairs: bool, seconds: float, encoding: QualityEncoding | None = None) -> None:
    read_in = f" (quality encoding {encoding.description})" if encoding else ""
    logger.info("%d %s in%s, %d written, %d too short, in %.2f s", statistics["reads"], "pairs" if pairs else "reads",
                read_in, statistics["written"], statistics["too_short"], seconds)


def trimming_document(sample: str, chunk: int, reads: list[str], choices, encoding: QualityEncoding,
                      statistics: dict, profiles: list[Profile]) -> dict:
    """What a chunk's trimming job writes: chunks/{sample}/trimmed_{chunk}/trimming.json."""
    adapters, poly_g, settings = choices
    paired = len(reads) == 2
    document = {
        "sample": sample,
        "chunk": chunk,
        "paired": paired,
        "reads_files": reads,
        "adapters": adapters.to_dict(),
        "poly_g": poly_g.to_dict(),
        "settings": {
            "quality_cutoff": settings.quality_cutoff,
            "quality_base": encoding.offset,
            "min_length": settings.min_length,
            "poly_g_min_length": settings.poly_g_min_length,
            "pair_filter": settings.pair_filter if paired else None,
        },
        "statistics": statistics,
        "profile": profiles[0].to_dict(),
    }
    if len(profiles) == 2:
        document["read2_profile"] = profiles[1].to_dict()
    return document


def read_sample_document(path) -> dict:
    """A document of profile_sample.py or trim_sample.py, with its profiles (one, or two
    for a pair) rebuilt under "profile_objects"."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    document["profile_objects"] = [
        Profile.from_dict(document[key]) for key in ("profile", "read2_profile") if key in document
    ]
    return document


def read_sample_documents(profile_paths: list[str], trimming_paths: list[str]) -> list[dict]:
    """One entry per sample, in the order given: the raw profile document, with the
    trimming document (or None) under "trimming"."""
    documents = [read_sample_document(path) for path in profile_paths]
    trimming = [read_sample_document(path) for path in trimming_paths] or [None] * len(documents)
    for document, trimmed in zip(documents, trimming):
        if trimmed is not None and trimmed["sample"] != document["sample"]:
            raise ValueError(f"trimming document of {trimmed['sample']} given for {document['sample']}")
        document["trimming"] = trimmed
    return documents


def combined(profiles: list[Profile]) -> Profile:
    """One profile of all the given ones (both files of a pair), leaving them unchanged."""
    total = Profile.from_dict(profiles[0].to_dict())
    for profile in profiles[1:]:
        total.merge(profile)
    return total


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def summary_values(document: dict) -> dict:
    """The values of SUMMARY_COLUMNS for one sample (see read_sample_documents)."""
    profiles = document["profile_objects"]
    profile = combined(profiles)
    values = profile.summary()
    values["overrepresented_sequences"] = sum(len(overrepresented_sequences(each)) for each in profiles)
    values["adapter_percent"] = max(
        (curve[-1] for each in profiles for curve in adapter_content(each).values() if curve), default=None
    )
    values["layout"] = "paired" if len(profiles) == 2 else "single"
    trimming = document.get("trimming")
    if trimming is None:
        values.update(dict.fromkeys(TRIMMING_COLUMNS))
        return values
    statistics = trimming["statistics"]
    after = combined(trimming["profile_objects"])
    after_summary = after.summary()
    adapters = trimming["adapters"]
    sides = len(profiles)
    values.update({
        "adapters_trimmed": adapters["kit"] or ",".join(adapters["read1"]) or "none",
        "poly_g_trimmed": "yes" if trimming["poly_g"]["enabled"] else "no",
        "reads_with_adapter_percent": _percent(sum(statistics["with_adapters"][:sides]), statistics["reads"] * sides),
        "reads_after": after.reads,
        "bases_after": after.bases,
        "reads_passed_percent": _percent(after.reads, profile.reads),
        "bases_passed_percent": _percent(after.bases, profile.bases),
        "q30_percent_after": after_summary["q30_percent"],
        "mean_length_after": after_summary["mean_length"],
    })  # fmt: skip
    return values
