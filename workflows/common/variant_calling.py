"""Variant calling with bcftools, run in-process through pysam (no shell).

The steps are those a bioinformatician types, each writing an uncompressed BCF into a
scratch folder instead of a pipe:

    bcftools mpileup -f REF -q MIN_MQ -Q MIN_BQ -d MAX_DEPTH -a FORMAT/AD,FORMAT/DP BAM
    bcftools call -m -v [--ploidy 1]
    bcftools norm -f REF                       (left-align and normalise indels)
    bcftools view -i 'QUAL>=MIN_QUAL && INFO/DP>=MIN_DEPTH' -Oz   (then bcftools index -t)

Every argument is a separate argv element and every number comes from a validated
parameter, so nothing is interpreted by a shell.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pysam
import pysam.bcftools


@dataclass(frozen=True)
class CallSettings:
    """Defaults are bcftools' own, so that results equal the hand-typed pipeline's."""

    min_base_quality: int = 1
    min_mapping_quality: int = 0
    max_depth: int = 250
    ploidy: int = 2
    min_depth: int = 0
    min_qual: float = 0.0


@dataclass(frozen=True)
class Variant:
    """One called allele: 1-based position, REF, ALT, genotype, QUAL, depth."""

    sequence: str
    position: int
    reference: str
    alternate: str
    genotype: str
    quality: float | None
    depth: int | None

    @property
    def kind(self) -> str:
        if len(self.reference) != len(self.alternate):
            return "indel"
        return "SNV" if len(self.reference) == 1 else "MNV"


def _bcftools(command: str, *arguments: str) -> None:
    getattr(pysam.bcftools, command)(*arguments, catch_stdout=False)


def filter_expression(settings: CallSettings) -> str:
    return f"QUAL>={settings.min_qual:g} && INFO/DP>={settings.min_depth:d}"


def call_variants(
    bam: Path | str, reference_fasta: Path | str, output: Path | str, settings: CallSettings = CallSettings()
) -> list[Variant]:
    """Call, normalise and filter variants of a sorted, indexed BAM into `output`
    (.vcf.gz, with a .tbi index next to it); return the variants written."""
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="calls-", dir=output.parent) as scratch:
        pileup, calls, normalised = (str(Path(scratch) / name) for name in ("pileup.bcf", "calls.bcf", "norm.bcf"))
        _bcftools(
            "mpileup", "--fasta-ref", str(reference_fasta),
            "--min-MQ", str(settings.min_mapping_quality), "--min-BQ", str(settings.min_base_quality),
            "--max-depth", str(settings.max_depth), "--annotate", "FORMAT/AD,FORMAT/DP",
            "--output-type", "u", "--output", pileup, str(bam),
        )  # fmt: skip
        ploidy = ["--ploidy", "1"] if settings.ploidy == 1 else []
        _bcftools("call", "--multiallelic-caller", "--variants-only", *ploidy, "--output-type", "u", "--output", calls, pileup)
        _bcftools("norm", "--fasta-ref", str(reference_fasta), "--output-type", "u", "--output", normalised, calls)
        _bcftools("view", "--include", filter_expression(settings), "--output-type", "z", "--output", str(output), normalised)
    _bcftools("index", "--tbi", "--force", str(output))
    return read_variants(output)


def read_variants(vcf: Path | str) -> list[Variant]:
    """Each ALT allele of each record of a one-sample VCF, genotype as `0/1`, `1`, ..."""
    variants = []
    with pysam.VariantFile(str(vcf)) as calls:
        sample = next(iter(calls.header.samples), None)
        for record in calls:
            genotype = "."
            if sample is not None:
                alleles = record.samples[sample].get("GT") or ()
                separator = "|" if record.samples[sample].phased else "/"
                genotype = separator.join("." if allele is None else str(allele) for allele in alleles) or "."
            depth = record.info.get("DP")
            for alternate in record.alts or ():
                variants.append(Variant(record.chrom, record.pos, record.ref, alternate, genotype, record.qual, depth))
    return variants
