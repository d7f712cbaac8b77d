"""``lsdih config``: the effective settings and where each value came from."""

from __future__ import annotations

import typer
from rich.table import Table

from gateway.cli.common import out, print_json, settings
from jobs.settings import ENV_PREFIX, config_file_path


def show_config(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Print the effective settings (environment LSDIH_*, config file, defaults)."""
    current = settings()
    values = {name: getattr(current, name) for name in type(current).model_fields}
    derived = {"store_url": current.store_url, "numba_cache": current.numba_cache, "config_file": config_file_path()}
    if as_json:
        print_json({**values, **derived})
        return
    table = Table("setting", "value", "source", title="lsdih settings")
    for name, value in values.items():
        table.add_row(ENV_PREFIX + name.upper(), "" if value is None else str(value), current.source_of(name))
    for name, value in derived.items():
        table.add_row(f"({name})", str(value), "derived")
    out.print(table)
