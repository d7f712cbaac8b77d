"""Sending the webhook calls that runs owe (see ``jobs.events``).

Each call is a POST of the JSON event with these headers::

    X-LSDIH-Event: run.completed | run.failed | run.canceled
    X-LSDIH-Delivery: <delivery id>
    X-LSDIH-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the tenant's secret>

A receiver recomputes the HMAC with its tenant's secret (``GET /v1/tenant``) and rejects
old timestamps. A failed call (network error or a status other than 2xx) is retried
with exponential back-off (``webhook_backoff_seconds``: 10 s, 20 s, 40 s, ...) up to
``webhook_max_attempts``; every
attempt is visible at ``GET /v1/runs/{id}/webhooks``. Addresses on private or loopback
networks are refused unless ``LSDIH_WEBHOOK_ALLOW_PRIVATE`` (they would let a tenant
probe the hub's own network).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from jobs.models import Run, Tenant, WebhookDelivery, utcnow
from jobs.settings import Settings
from jobs.store import Store

CLAIM_SECONDS = 60  # a delivery being sent is not picked up again for this long
TIMEOUT_SECONDS = 10


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _private_address(url: str) -> str | None:
    """The private or loopback address ``url``'s host resolves to, if any."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return None  # the POST itself will fail and say so
    for address in addresses:
        parsed = ipaddress.ip_address(address.split("%")[0])
        if parsed.is_private or parsed.is_loopback or parsed.is_link_local or parsed.is_reserved:
            return address
    return None


def _claim(store: Store, delivery: WebhookDelivery) -> bool:
    with store.session() as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery.id, WebhookDelivery.attempts == delivery.attempts,
                   WebhookDelivery.status == "pending")
            .values(attempts=delivery.attempts + 1, next_attempt_at=utcnow() + timedelta(seconds=CLAIM_SECONDS))
        )
        return result.rowcount == 1


def _send(delivery: WebhookDelivery, secret: str, settings: Settings, client: httpx.Client) -> tuple[int | None, str | None]:
    if not settings.webhook_allow_private:
        address = _private_address(delivery.url)
        if address:
            return None, f"refused: {urlsplit(delivery.url).hostname} is a private address ({address})"
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lsdih-webhooks",
        "X-LSDIH-Event": delivery.payload.get("event", ""),
        "X-LSDIH-Delivery": str(delivery.id),
        "X-LSDIH-Signature": signature(secret, int(time.time()), body),
    }
    try:
        response = client.post(delivery.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:500]
    return response.status_code, None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def deliver_due(store: Store, settings: Settings, client: httpx.Client, limit: int = 20) -> int:
    """Send the deliveries that are due; return how many were attempted."""
    with store.session() as session:
        due = list(session.execute(
            select(WebhookDelivery, Tenant.webhook_secret)
            .join(Run, Run.id == WebhookDelivery.run_id)
            .outerjoin(Tenant, Tenant.id == Run.tenant_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)
        ).all())
    attempted = 0
    for delivery, secret in due:
        if not _claim(store, delivery):
            continue  # another worker took it
        attempted += 1
        code, error = _send(delivery, secret or "", settings, client)
        attempts = delivery.attempts + 1
        values: dict = {"last_status_code": code, "last_error": error}
        if error is None:
            values.update(status="delivered", delivered_at=utcnow(), next_attempt_at=None)
        elif attempts >= settings.webhook_max_attempts:
            values.update(status="failed", next_attempt_at=None)
        else:
            values.update(next_attempt_at=utcnow() + timedelta(seconds=settings.webhook_backoff_seconds * 2 ** (attempts - 1)))
        with store.session() as session:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values))
    return attempted


def deliveries_of(store: Store, run_id: str) -> list[WebhookDelivery]:
    with store.session() as session:
        return list(session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.run_id == run_id).order_by(WebhookDelivery.id)
        ))
