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
from concurrent.futures import ThreadPoolExecutor

from jobs.settings import Settings
from jobs.store import Store

from jobs.workspace import runs_root

log = logging.getLogger("lsdih.dispatch")


_SENDERS: dict[int, ThreadPoolExecutor] = {}


def _sender() -> ThreadPoolExecutor:
    """This process's one thread that sends queue messages, so that a slow or unreachable
    broker never holds up the request that recorded the run (made anew in a forked child,
    where the parent's thread does not exist). Its pending sends finish before exit."""
    pid = os.getpid()
    if pid not in _SENDERS:
        _SENDERS[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lsdih-send")
    return _SENDERS[pid]


def _send(settings: Settings, run_id: str) -> None:
    from jobs.queue import enqueue  # Celery is imported only where the queue is used

    try:
        enqueue(settings, run_id)
    except Exception as error:  # noqa: BLE001 - the broker is down: the run is safe anyway
        log.warning("run %s recorded but not sent to the queue (%s); the reconciler will send it", run_id, error)


def dispatch(settings: Settings, run_id: str, enqueued_marked: bool = False) -> None:
    """Hand the run over; ``enqueued_marked``: the caller recorded ``enqueued_at`` already.
    The queue's message is sent in the background: the run is recorded as enqueued first,
    and the reconciler resends any message that was lost."""
    if settings.dispatcher == "none":
        return
    if settings.dispatcher == "queue":
        from jobs.leases import mark_enqueued

        if not enqueued_marked:
            mark_enqueued(Store(settings.store_url), run_id)  # first: a lost send is resent
        _sender().submit(_send, settings, run_id)
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
