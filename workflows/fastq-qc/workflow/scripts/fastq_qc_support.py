"""What the fastq-qc scripts share. Snakemake puts this folder on the script's sys.path."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator

# Columns of results/summary.tsv and of the report's table, with their headings.
SUMMARY_COLUMNS = {
    "reads": "Reads",
    "bases": "Bases",
    "gc_percent": "GC %",
    "mean_quality": "Mean quality",
    "q20_percent": "Q20 %",
    "q30_percent": "Q30 %",
    "n_percent": "N %",
}


@contextlib.contextmanager
def logging_to(log_path: str) -> Iterator[logging.Logger]:
    """Log to the rule's log file, with any exception's traceback, which the gateway
    shows users when a job fails."""
    logging.basicConfig(
        filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    logger = logging.getLogger("fastq-qc")
    try:
        yield logger
    except InputError as error:
        logger.error("%s", error)  # the user's data is at fault: no traceback
        raise SystemExit(1) from None
    except Exception:
        logger.exception("failed")
        raise


class InputError(ValueError):
    """Bad input data, reported to the user as one line naming the file and record."""


def read_sample_profiles(paths: list[str]) -> list[dict]:
    """Return the documents written by profile_sample.py, in the order given."""
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            documents.append(json.load(handle))
    return documents


def formatted_metric(value: int | float | None) -> str:
    """Integers as they are, fractions with two decimals, a missing value as NA."""
    if value is None:
        return "NA"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"
