"""Logging of a rule script to its Snakemake log file, shared by the workflows' scripts.

The gateway shows users the failing rule's log. Bad input (``InputError``) is logged as
one line naming the file and record, without a traceback; anything else is logged with
its traceback, since then the fault is ours.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class InputError(ValueError):
    """Bad input data, reported to the user as one line naming the file and record."""


@contextlib.contextmanager
def logging_to(log_path: str) -> Iterator[logging.Logger]:
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logger = logging.getLogger("lsdih.rule")
    try:
        yield logger
    except InputError as error:
        logger.error("%s", error)  # the user's data is at fault: no traceback
        raise SystemExit(1) from None
    except Exception:
        logger.exception("failed")
        raise
