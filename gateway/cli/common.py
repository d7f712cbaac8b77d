"""What every command needs: settings, the store, the catalogue, and error reporting."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from jobs.catalogue import Catalogue
from jobs.settings import Settings, SettingsError, apply_runtime_environment, load_settings
from jobs.store import Store

console = Console(stderr=True, highlight=False)  # progress and errors
out = Console(highlight=False, soft_wrap=True)  # results; paths must never be wrapped


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        loaded = load_settings()
    except SettingsError as error:
        fail(str(error), 2)
    apply_runtime_environment(loaded)
    return loaded


def store(current: Settings) -> Store:
    return Store(current.store_url)


def catalogue() -> Catalogue:
    return Catalogue(settings().extra_workflow_roots)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
