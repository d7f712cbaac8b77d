"""The Celery app that carries run ids from the gateway to the workers.

Only ``run_id`` travels; the database says what to do with it, so a lost, duplicated or
late message is harmless: a worker must claim the run (``jobs.leases``) before running
it, and the reconciler re-sends what the broker lost. The broker is an embedded SQLite
file by default (no server), Redis or RabbitMQ via ``LSDIH_BROKER_URL``.
"""

from __future__ import annotations

from celery import Celery

from jobs import embedded_broker
from jobs.settings import Settings

EXECUTE_RUN = "lsdih.execute_run"
QUEUE_NAME = "lsdih-runs"

app = Celery("lsdih")
_configured_for: str | None = None


def broker_url(settings: Settings) -> str:
    return settings.broker_url or embedded_broker.url(str(settings.home / "queue.db"))


def configure(settings: Settings) -> Celery:
    """Point the app at the settings' broker (again only when it changed)."""
    global _configured_for
    url = broker_url(settings)
    if _configured_for != url:
        if _configured_for is not None:
            _forget_connections()
        embedded = url.startswith(embedded_broker.SCHEME)
        if embedded:
            settings.home.mkdir(parents=True, exist_ok=True)
        app.conf.update(
            broker_url=url,
            broker_connection_retry_on_startup=True,
            task_default_queue=QUEUE_NAME,
            task_serializer="json",
            accept_content=["json"],
            task_ignore_result=True,
            # A message is acknowledged when its run ended, not when it was taken, and one
            # worker process takes one message at a time: runs are long and few.
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            # Redis redelivers an unacknowledged message after this: longer than any run.
            # (The embedded transport hands its options to SQLAlchemy: a lock timeout.)
            broker_transport_options=(
                {"connect_args": {"timeout": 30}} if embedded else {"visibility_timeout": 7 * 24 * 3600}
            ),
            worker_hijack_root_logger=False,
            # A request must not hang on a broker that is down: the run is recorded
            # before it is sent, and the reconciler sends it once the broker is back.
            task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        )
        _configured_for = url
    return app


def _forget_connections() -> None:
    """Drop the pools of connections to the previous broker (as Celery does after a
    fork): once made, they would keep sending there whatever the configuration says.
    One process meets several brokers only in tests and benchmarks."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def enqueue(settings: Settings, run_id: str) -> None:
    configure(settings).send_task(EXECUTE_RUN, args=[run_id], queue=QUEUE_NAME)
