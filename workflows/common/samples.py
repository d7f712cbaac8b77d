"""align-variants's samples: its ``reads`` input grouped into single-end files and
read-1/read-2 pairs by file name, with the naming rules fastq-qc uses
(:func:`workflows.common.paired_reads.samples_from_files`)."""

from __future__ import annotations

from workflows.common.paired_reads import samples_from_files


def reads_by_sample(paths) -> dict[str, list[str]]:
    """Map each sample to its files: [reads] or [read 1, read 2], in the order first seen."""
    if not isinstance(paths, list) or not paths:
        raise ValueError('config["inputs"]["reads"] must list at least one FASTQ file')
    return {sample.name: list(sample.reads) for sample in samples_from_files([str(path) for path in paths])}
