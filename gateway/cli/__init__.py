"""The ``lsdih`` command line: for researchers (run), centre staff (workflows) and operators.

The commands are assembled in `gateway.cli.commands`; `main` sends ``lsdih trim`` straight to
its own module: a per-file tool in pipelines, it then skips importing the store, the
catalogue and the web server, about half of its start-up.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    if sys.argv[1:2] == ["trim"]:
        from gateway.cli.trim import main as trim

        sys.exit(trim(sys.argv[2:]))
    from gateway.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":  # `from gateway.cli import app`, without importing it for `lsdih trim`
        from gateway.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
