"""Where commands print: results to stdout, progress and errors to stderr.

Kept apart from `gateway.cli.common` so that ``lsdih trim`` can print without importing
the store and the catalogue.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console(stderr=True, highlight=False)  # progress and errors
out = Console(highlight=False, soft_wrap=True)  # results; paths must never be wrapped


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)
