"""Per-base depth of one sample's BAM (the coverage kernel), its summary and a binned profile."""

import json

from workflows.common.bam_coverage import SUMMARY_COLUMNS, bam_depth, binned_depth, summary_rows, write_depth_table
from workflows.common.rule_logging import logging_to


def main(snakemake):
    with logging_to(snakemake.log[0]) as logger:
        depths = bam_depth(snakemake.input.bam, threads=snakemake.threads)
        write_depth_table(depths, snakemake.output.depth)
        rows = summary_rows(depths)
        with open(snakemake.output.summary, "w", encoding="utf-8") as table:
            table.write("\t".join(SUMMARY_COLUMNS) + "\n")
            for row in rows:
                cells = [row["sequence"], str(row["length"])] + [f"{row[column]:.4f}" for column in SUMMARY_COLUMNS[2:]]
                table.write("\t".join(cells) + "\n")
        document = {
            "sample": snakemake.wildcards.sample,
            "summary": rows,
            "profiles": {sequence.name: binned_depth(sequence.depth) for sequence in depths},
        }
        with open(snakemake.output.profile, "w", encoding="utf-8") as output:
            json.dump(document, output)
        logger.info("mean depth %.2f over %d positions", rows[-1]["mean_depth"], rows[-1]["length"])


main(snakemake)  # noqa: F821 (Snakemake defines it)
