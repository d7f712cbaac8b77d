"""Handing a QUEUED run to something that executes it (``LSDIH_DISPATCHER``).

- ``queue`` (default): a message carrying the run id to the workers (``lsdih worker``);
  see ``jobs.queue``, ``jobs.leases`` and ``jobs.reconciler``.
- ``process``: a detached supervisor process of its own, ``python -m jobs.execute
  RUN_ID``, which outlives the request that started it; no worker needed, no recovery
  if the machine goes down.
- ``none``: the run stays QUEUED (to measure the gateway alone).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from jobs.settings import Settings
from jobs.store import Store

from jobs.workspace import runs_root

log = logging.getLogger("lsdih.dispatch")


def dispatch(settings: Settings, run_id: str, enqueued_marked: bool = False) -> None:
    """Hand the run over; ``enqueued_marked``: the caller recorded ``enqueued_at`` already."""
    if settings.dispatcher == "none":
        return
    if settings.dispatcher == "queue":
        from jobs.leases import mark_enqueued
        from jobs.queue import enqueue  # Celery is imported only where the queue is used

        if not enqueued_marked:
            mark_enqueued(Store(settings.store_url), run_id)  # first: a lost send is resent
        try:
            enqueue(settings, run_id)
        except Exception as error:  # noqa: BLE001 - the broker is down: the run is safe anyway
            log.warning("run %s recorded but not sent to the queue (%s); the reconciler will send it",
                        run_id, error)
        return
    workdir = runs_root(settings.home) / run_id
    supervisor_log = workdir / "lsdih" / "supervisor.log"
    supervisor_log.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **settings.as_environment(), "LSDIH_DATABASE_URL": settings.store_url}
    with open(supervisor_log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.execute", run_id],
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Reap it when it ends so no zombie stays behind in a long-lived gateway.
    threading.Thread(target=process.wait, name=f"reap-{run_id}", daemon=True).start()
