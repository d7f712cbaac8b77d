"""Merge the samples' PSMs: q-values over all files together (results/psms.tsv), the
peptides at the FDR threshold (results/peptides.tsv) and the parsimonious protein groups
at the threshold by picked-protein competition (results/proteins.tsv)."""

from workflows.common.peptide_search import (
    PEPTIDE_COLUMNS,
    accepted_peptides,
    assign_q_values,
    read_psm_table,
    write_psm_table,
    write_table,
)
from workflows.common.protein_groups import PROTEIN_COLUMNS, accepted_proteins
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        fdr = snakemake.params.fdr
        rows = [row for path in snakemake.input for row in read_psm_table(path)]
        rows = assign_q_values(rows)
        write_psm_table(rows, snakemake.output.psms)
        peptides = accepted_peptides(rows, fdr)
        write_table(peptides, PEPTIDE_COLUMNS, snakemake.output.peptides)
        proteins = accepted_proteins(rows, peptides, fdr)
        write_table(proteins, PROTEIN_COLUMNS, snakemake.output.proteins)
        logger.info(
            "%d PSMs from %d files; at FDR %g: %d peptides (%d decoys), %d proteins",
            len(rows), len(snakemake.input), fdr, len(peptides), sum(p["decoy"] for p in peptides), len(proteins),
        )  # fmt: skip


main(snakemake)  # noqa: F821 (Snakemake defines it)
