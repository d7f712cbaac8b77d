"""Search one sample's spectrum file against the proteins: results/psms/{sample}.psms.tsv,
the best PSM of each spectrum with q-values within the file."""

import time

from search_support import search_parameters

from workflows.common.peptide_search import SequenceFileError, search_files, write_psm_table
from workflows.common.rule_logging import InputError, logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        spectra, proteins = snakemake.input.spectra, snakemake.input.proteins
        logger.info("searching %s (sample %s) against %s", spectra, snakemake.wildcards.sample, proteins)
        parameters = search_parameters(snakemake.params.search)
        started = time.perf_counter()
        try:
            # The batch search kernel releases the GIL: the rule's threads search at once.
            rows = search_files(proteins, [spectra], parameters, threads=snakemake.threads)
        except SequenceFileError as error:
            raise InputError(str(error)) from None
        logger.info("%d PSMs in %.2f s (%d threads)", len(rows), time.perf_counter() - started, snakemake.threads)
        write_psm_table(rows, snakemake.output[0])


main(snakemake)  # noqa: F821 (Snakemake defines it)
