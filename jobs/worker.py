"""The queue worker: claim a run, execute it, and look after runs others lost.

``lsdih worker`` starts a Celery worker (thread pool: each run is a supervised driver
subprocess, so a worker thread mostly waits) with a housekeeping thread beside it that
reconciles, sends webhooks and records that the worker is alive.
"""

from __future__ import annotations

import logging
import threading
import time
from enum import Enum

import httpx

from jobs import leases
from jobs.models import Worker, utcnow
from jobs.queue import EXECUTE_RUN, app, configure
from jobs.reconciler import reconcile
from jobs.webhooks import deliver_due
from jobs.driver_launch import DriverLauncher
from jobs.runner import driver_environment, execute_run
from jobs.settings import Settings, apply_runtime_environment, get_settings
from jobs.states import RunState
from jobs.store import RunNotFound, Store

log = logging.getLogger("lsdih.worker")
CLAIM_RETRY_SECONDS = 5
_launcher: DriverLauncher | None = None  # this worker process's spare drivers (run_worker)


def heartbeat(store: Store, name: str) -> None:
    with store.session() as session:
        worker = session.get(Worker, name)
        if worker is None:
            session.add(Worker(name=name))
        else:
            worker.last_seen = utcnow()


def forget_worker(store: Store, name: str) -> None:
    with store.session() as session:
        worker = session.get(Worker, name)
        if worker is not None:
            session.delete(worker)


class Outcome(Enum):
    EXECUTED = "executed"
    TENANT_BUSY = "tenant busy"  # try again later
    NOT_CLAIMABLE = "not claimable"  # gone, taken, or no longer QUEUED: drop the message


def execute_queued(store: Store, settings: Settings, run_id: str, owner: str) -> Outcome:
    """Claim ``run_id`` and run it to its end under the lease."""
    if not leases.claim(store, run_id, owner, settings.lease_seconds):
        try:
            run = store.get_run(run_id)
        except RunNotFound:
            return Outcome.NOT_CLAIMABLE
        free = run.lease_owner is None or (run.lease_expires_at and run.lease_expires_at < utcnow())
        if run.run_state == RunState.QUEUED and free:
            leases.mark_enqueued(store, run_id)  # its message is alive: no need to resend it
            return Outcome.TENANT_BUSY
        return Outcome.NOT_CLAIMABLE
    try:
        execute_run(store, run_id, settings, launcher=_launcher)
    finally:
        leases.release(store, run_id, owner)
    return Outcome.EXECUTED


@app.task(name=EXECUTE_RUN, bind=True, max_retries=None)
def execute_run_task(self, run_id: str) -> str:
    settings = get_settings()
    outcome = execute_queued(Store(settings.store_url), settings, run_id, f"{leases.worker_identity()}/{self.request.id}")
    if outcome == Outcome.TENANT_BUSY:
        raise self.retry(countdown=CLAIM_RETRY_SECONDS)
    return outcome.value


def _housekeeping(settings: Settings, name: str, stop: threading.Event) -> None:
    """Beside the worker: send due webhooks every second; reconcile and say this worker
    is alive every ``reconcile_seconds``."""
    store = Store(settings.store_url)
    last_reconcile = 0.0
    with httpx.Client() as client:
        while not stop.is_set():
            try:
                if time.monotonic() - last_reconcile >= settings.reconcile_seconds:
                    last_reconcile = time.monotonic()
                    heartbeat(store, name)
                    report = reconcile(store, settings)
                    if report.changed:
                        log.info("reconciler: %s", report)
                deliver_due(store, settings, client)
            except Exception:  # noqa: BLE001 - keep looking after runs whatever one pass hit
                log.exception("housekeeping pass failed")
            stop.wait(1.0)


def run_worker(settings: Settings, concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """Serve the queue until stopped (Ctrl-C / SIGTERM finish the runs in hand first)."""
    global _launcher
    apply_runtime_environment(settings)
    configure(settings)
    concurrency = concurrency or settings.worker_concurrency
    _launcher = DriverLauncher(spares=min(concurrency, settings.warm_drivers))
    _launcher.warm_up(driver_environment(settings))
    stop = threading.Event()
    name = f"lsdih-{leases.worker_identity()}"
    threading.Thread(target=_housekeeping, args=(settings, name, stop), name="housekeeping", daemon=True).start()
    try:
        app.worker_main([
            "worker", f"--concurrency={concurrency}", "--pool=threads",
            f"--loglevel={loglevel}", "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"--hostname={name}",
        ])
    finally:
        stop.set()
        _launcher.close()
        forget_worker(Store(settings.store_url), name)
