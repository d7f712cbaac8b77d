"""What every command needs: settings, the store, the catalogue, and error reporting."""

from __future__ import annotations

import json
import sys
from typing import Any

from gateway.cli.output import console, fail, out
from jobs.catalogue import Catalogue
from jobs.settings import Settings, SettingsError, apply_runtime_environment, load_settings
from jobs.store import Store

__all__ = ["catalogue", "console", "fail", "out", "print_json", "settings", "store"]


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
