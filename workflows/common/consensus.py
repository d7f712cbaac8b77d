"""A consensus sequence per reference sequence: the called alleles applied, positions
with too little coverage masked as N.

Rules, chosen to be predictable rather than clever:
- a position whose depth is below `min_depth` becomes N (a variant touching it is not
  applied); the caller should count reads with a deletion as covering the deleted bases
  (`samtools depth -J`), or no deletion could ever be applied;
- a variant is applied when its genotype holds a non-reference allele: the highest such
  allele index of the genotype (so `0/1` and `1/1` both apply ALT 1, as `bcftools
  consensus` does without `--haplotype`);
- a variant whose REF span touches a masked position, or overlaps a variant already
  applied, is left out; its REF must equal the reference there (else it is an error);
- case is not kept: the output is upper case.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

N_CODE = ord("N")
LINE_WIDTH = 60


@dataclass(frozen=True)
class ConsensusSequence:
    name: str
    sequence: str
    applied: int
    masked_positions: int

    @property
    def n_count(self) -> int:
        return self.sequence.count("N")


def _chosen_allele(record, sample) -> int | None:
    if sample is None:
        return 1
    alleles = [allele for allele in (record.samples[sample].get("GT") or ()) if allele]
    return max(alleles) if alleles else None


def consensus_sequence(reference: bytes, depth: np.ndarray, variants, min_depth: int, name: str) -> ConsensusSequence:
    """Build one sequence; `variants` are (0-based start, REF, ALT) sorted by start."""
    if depth.shape[0] != len(reference):
        raise ValueError(f"{name}: {depth.shape[0]} depth values for {len(reference)} bases")
    masked = depth < min_depth
    base = np.frombuffer(reference.upper(), dtype=np.uint8).copy()
    base[masked] = N_CODE
    pieces: list[bytes] = []
    done = applied = 0
    for start, ref, alt in variants:
        end = start + len(ref)
        if start < done or end > len(reference) or masked[start:end].any():
            continue
        if reference[start:end].upper() != ref.upper().encode("ascii"):
            raise ValueError(f"{name}:{start + 1}: REF {ref} differs from the reference {reference[start:end].decode()}")
        pieces.append(base[done:start].tobytes())
        pieces.append(alt.upper().encode("ascii"))
        done = end
        applied += 1
    pieces.append(base[done:].tobytes())
    return ConsensusSequence(name, b"".join(pieces).decode("ascii"), applied, int(masked.sum()))


def consensus_sequences(
    reference_fasta: Path | str, vcf: Path | str, depths: dict[str, np.ndarray], min_depth: int
) -> list[ConsensusSequence]:
    """One consensus per reference sequence, in the order of `depths`."""
    chosen: dict[str, list[tuple[int, str, str]]] = {name: [] for name in depths}
    with pysam.VariantFile(str(vcf)) as calls:
        sample = next(iter(calls.header.samples), None)
        for record in calls:
            allele = _chosen_allele(record, sample)
            if allele is None or record.chrom not in chosen or not record.alts:
                continue
            alternate = record.alleles[allele]
            if alternate.startswith("<") or alternate == "*":
                continue  # symbolic alleles and overlapping deletions carry no bases
            chosen[record.chrom].append((record.start, record.ref, alternate))
    result = []
    with pysam.FastaFile(str(reference_fasta)) as reference:
        for name, depth in depths.items():
            variants = sorted(chosen[name])
            sequence = reference.fetch(name).encode("ascii")
            result.append(consensus_sequence(sequence, depth, variants, min_depth, name))
    return result


def write_fasta(sequences: list[ConsensusSequence], sample: str, path: Path | str) -> None:
    """FASTA with records named `SAMPLE` (one reference sequence) or `SAMPLE|SEQUENCE`."""
    with open(path, "w", encoding="ascii") as output:
        for sequence in sequences:
            name = sample if len(sequences) == 1 else f"{sample}|{sequence.name}"
            output.write(f">{name} reference={sequence.name} applied_variants={sequence.applied}\n")
            text = sequence.sequence
            for offset in range(0, len(text), LINE_WIDTH):
                output.write(text[offset : offset + LINE_WIDTH] + "\n")
