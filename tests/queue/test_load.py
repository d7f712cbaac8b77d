"""Load: 10,000 queued runs (plus duplicate messages) through a real broker and real
Celery worker threads; every run is claimed exactly once and none is lost.

The worker task here claims and finishes a run without executing Snakemake, so what is
measured is the queue and the claims at volume; execution is what the other tests of
this folder cover, run by run.
"""

from __future__ import annotations

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, insert, select

from jobs import leases
from jobs.models import Run, utcnow
from jobs.queue import QUEUE_NAME, app, configure
from jobs.settings import load_settings
from jobs.states import RunState
from jobs.store import Store
from tests.conftest import _port_open, _unavailable

pytestmark = pytest.mark.slow
CLAIMS: dict[str, int] = {}
CLAIMS_LOCK = threading.Lock()
STORE: dict[str, Store] = {}


@app.task(name="lsdih.test.claim_and_finish")
def claim_and_finish(run_id: str) -> None:
    store = STORE["store"]
    if leases.claim(store, run_id, f"load-test/{threading.get_ident()}", 60):
        with CLAIMS_LOCK:
            CLAIMS[run_id] = CLAIMS.get(run_id, 0) + 1
        store.transition(run_id, RunState.INITIALIZING)
        store.transition(run_id, RunState.RUNNING)
        store.transition(run_id, RunState.COMPLETE)


@pytest.mark.parametrize("broker_url, runs", [
    pytest.param("redis://127.0.0.1:6379/12", 10_000, marks=pytest.mark.services, id="redis-10000"),
    pytest.param("", 200, id="embedded-200"),
])
def test_every_queued_run_is_claimed_exactly_once(broker_url, runs, lsdih_home, monkeypatch):
    if broker_url:
        if not _port_open("127.0.0.1", 6379):
            _unavailable("Redis is not reachable on 127.0.0.1:6379", "LSDIH_REQUIRE_SERVICES")
        import redis

        redis.Redis.from_url(broker_url).flushdb()
        monkeypatch.setenv("LSDIH_BROKER_URL", broker_url)
    settings = load_settings()
    store = Store(settings.store_url)
    STORE["store"] = store
    CLAIMS.clear()
    now = utcnow()
    ids = [f"{number:032x}" for number in range(runs)]
    with store.session() as session:
        session.execute(insert(Run), [
            {"id": run_id, "workflow": "toy", "workflow_version": "1.2.3", "state": "QUEUED", "params": {},
             "inputs": {}, "tags": {}, "workdir": "/nonexistent", "executor": "local", "cores": 1, "attempt": 0,
             "jobs_done": 0, "jobs_total": 0, "created_at": now, "enqueued_at": now} for run_id in ids])
    configure(settings)
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for run_id in ids + ids[: runs // 10]:  # every tenth run's message arrives twice
            app.send_task("lsdih.test.claim_and_finish", args=[run_id], queue=QUEUE_NAME, producer=producer)
    with start_worker(app, pool="threads", concurrency=8, perform_ping_check=False, loglevel="WARNING",
                      queues=[QUEUE_NAME], shutdown_timeout=30):
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with store.session() as session:
                finished = session.scalar(select(func.count()).select_from(Run).where(Run.state == "COMPLETE"))
            if finished == runs:
                break
            time.sleep(0.5)
    seconds = time.monotonic() - started
    with store.session() as session:
        states = dict(session.execute(select(Run.state, func.count()).group_by(Run.state)).all())
    assert states == {"COMPLETE": runs}, states
    assert len(CLAIMS) == runs and set(CLAIMS.values()) == {1}
    print(f"{runs} runs ({runs + runs // 10} messages) claimed in {seconds:.1f} s")


def test_a_new_broker_url_is_really_used(tmp_path):
    """After the app was used with one broker, configuring another sends there."""
    from jobs.settings import Settings

    first, second = Settings(home=tmp_path / "one"), Settings(home=tmp_path / "two")
    for settings in (first, second):
        configure(settings)
        with app.producer_or_acquire() as producer:
            app.send_task("lsdih.test.claim_and_finish", args=["x"], queue=QUEUE_NAME, producer=producer)
            assert str(settings.home / "queue.db") in producer.connection.as_uri()
