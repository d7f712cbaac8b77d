"""``python -m jobs.execute RUN_ID``: run one QUEUED run to its end (see jobs.dispatch)."""

from __future__ import annotations

import sys

from jobs.runner import execute_run
from jobs.settings import apply_runtime_environment, load_settings
from jobs.store import Store


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m jobs.execute RUN_ID", file=sys.stderr)
        return 2
    settings = load_settings()
    apply_runtime_environment(settings)
    run = execute_run(Store(settings.store_url), argv[0], settings)
    print(f"run {run.id} ended {run.state}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
