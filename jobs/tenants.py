"""Tenants (customer companies), their API keys, and who a presented key belongs to.

A key reads ``lsdih_<12 hex>_<secret>``. The first part is its prefix: public, unique,
shown in listings and used to revoke it. Only the SHA-256 of the whole key is stored —
the secret is 256 random bits, so a fast hash is enough and a database leak gives away
no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from jobs.models import ApiKey, Tenant, utcnow
from jobs.store import Store

KEY_SCHEME = "lsdih"
_PREFIX_PATTERN = re.compile(r"^lsdih_[0-9a-f]{12}$")
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class Role(StrEnum):
    MEMBER = "member"  # its own tenant's files and runs
    STAFF = "staff"  # also every tenant's runs, and the workflow catalogue
    ADMIN = "admin"  # also tenants, keys, quotas and usage


class TenantError(ValueError):
    """A request about tenants or keys that cannot be honoured; the message says why."""


class TenantNotFound(LookupError):
    pass


class KeyNotFound(LookupError):
    pass


class AuthenticationFailed(PermissionError):
    """Missing, malformed, unknown, revoked or expired key (callers answer 401)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant and role behind a valid key."""

    tenant_id: str
    tenant_name: str
    role: Role
    key_prefix: str
    max_active_runs: int  # the tenant's limit when the key was checked

    @property
    def sees_all_tenants(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)


def check_tenant_name(name: str) -> str:
    if not _NAME_PATTERN.fullmatch(name):
        raise TenantError(
            f"invalid tenant name {name!r}: use 1-63 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def create_tenant(
    store: Store, name: str, max_active_runs: int | None = None, storage_quota_bytes: int | None = None
) -> Tenant:
    check_tenant_name(name)
    limits = {"max_active_runs": max_active_runs, "storage_quota_bytes": storage_quota_bytes}
    tenant = Tenant(name=name, **{key: value for key, value in limits.items() if value is not None})
    _check_limits(tenant.max_active_runs, tenant.storage_quota_bytes)
    try:
        with store.session() as session:
            session.add(tenant)
    except IntegrityError:
        raise TenantError(f"a tenant named {name!r} exists already") from None
    return tenant


def _check_limits(max_active_runs: int | None, storage_quota_bytes: int | None) -> None:
    if max_active_runs is not None and max_active_runs < 0:
        raise TenantError("max_active_runs must be 0 or more")
    if storage_quota_bytes is not None and storage_quota_bytes < 0:
        raise TenantError("storage_quota_bytes must be 0 or more")


def get_tenant(store: Store, name: str) -> Tenant:
    if not _NAME_PATTERN.fullmatch(name):
        raise TenantNotFound(f"no tenant named {name!r}")
    with store.session() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.name == name)).first()
    if tenant is None:
        raise TenantNotFound(f"no tenant named {name!r}")
    return tenant


def tenant_by_id(store: Store, tenant_id: str) -> Tenant:
    with store.session() as session:
        tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise TenantNotFound(f"no tenant with id {tenant_id}")
    return tenant


def list_tenants(store: Store) -> list[Tenant]:
    with store.session() as session:
        return list(session.scalars(select(Tenant).order_by(Tenant.name)))


def set_limits(
    store: Store, name: str, max_active_runs: int | None = None, storage_quota_bytes: int | None = None,
    webhook_url: str | None = None,
) -> Tenant:
    """Change what is given; ``webhook_url=""`` removes the default webhook."""
    _check_limits(max_active_runs, storage_quota_bytes)
    tenant = get_tenant(store, name)
    changes = {"max_active_runs": max_active_runs, "storage_quota_bytes": storage_quota_bytes}
    changes = {key: value for key, value in changes.items() if value is not None}
    if webhook_url is not None:
        if webhook_url and not _is_http_url(webhook_url):
            raise TenantError(f"invalid webhook URL {webhook_url!r}: give an http(s) URL")
        changes["webhook_url"] = webhook_url or None
    if changes:
        with store.session() as session:
            session.execute(update(Tenant).where(Tenant.id == tenant.id).values(**changes))
    return get_tenant(store, name)


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """``90d``, ``12h``, ``30m`` from now, or an ISO 8601 date or time (UTC if no zone)."""
    now = now or utcnow()
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if match:
        amount, unit = int(match[1]), match[2]
        return now + timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TenantError(f"invalid expiry {text!r}: give a duration like 90d, 12h or 30m, or an ISO date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment <= now:
        raise TenantError(f"expiry {text!r} is in the past")
    return moment


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    store: Store, tenant_name: str, role: Role | str = Role.MEMBER, expires_at: datetime | None = None, label: str = ""
) -> tuple[ApiKey, str]:
    """Create a key; return its record and the key itself, which is never shown again."""
    try:
        role = Role(role)
    except ValueError:
        raise TenantError(f"invalid role {role!r}: one of {', '.join(Role)}") from None
    tenant = get_tenant(store, tenant_name)
    prefix = f"{KEY_SCHEME}_{secrets.token_hex(6)}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(
        tenant_id=tenant.id, prefix=prefix, secret_hash=_hash(key), role=role.value, label=label, expires_at=expires_at
    )
    with store.session() as session:
        session.add(record)
    record.tenant = tenant
    return record, key


def list_keys(store: Store, tenant_name: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if tenant_name is not None:
        query = query.where(ApiKey.tenant_id == get_tenant(store, tenant_name).id)
    with store.session() as session:
        return list(session.scalars(query))


def revoke_key(store: Store, prefix: str) -> ApiKey:
    """Revoke the key with this prefix (revoking twice keeps the first time)."""
    if not _PREFIX_PATTERN.fullmatch(prefix):
        raise KeyNotFound(f"no key with prefix {prefix!r}")
    with store.session() as session:
        record = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if record is None:
            raise KeyNotFound(f"no key with prefix {prefix!r}")
        if record.revoked_at is None:
            record.revoked_at = utcnow()
    return record


# Built once: building a statement costs about as much as running it.
_KEY_RECORD = (
    select(ApiKey.secret_hash, ApiKey.revoked_at, ApiKey.expires_at, ApiKey.tenant_id, Tenant.name, ApiKey.role,
           Tenant.max_active_runs)
    .join(Tenant, Tenant.id == ApiKey.tenant_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)


def authenticate(store: Store, key: str | None) -> Principal:
    """Return who holds ``key``; raise AuthenticationFailed for anything else.

    The reason is deliberately not told apart for the caller beyond "invalid or expired".
    """
    prefix = (key or "")[: len(KEY_SCHEME) + 13]
    if not key or not _PREFIX_PATTERN.fullmatch(prefix) or key[len(prefix) : len(prefix) + 1] != "_":
        raise AuthenticationFailed("missing or malformed API key")
    with store.reader() as connection:  # every request: no ORM session or objects
        record = connection.execute(_KEY_RECORD, {"prefix": prefix}).first()
    if record is None or not hmac.compare_digest(record.secret_hash, _hash(key)):
        raise AuthenticationFailed("invalid API key")
    if record.revoked_at is not None:
        raise AuthenticationFailed("this API key was revoked")
    if record.expires_at is not None and record.expires_at <= utcnow():
        raise AuthenticationFailed("this API key has expired")
    return Principal(record.tenant_id, record.name, Role(record.role), prefix, record.max_active_runs)

