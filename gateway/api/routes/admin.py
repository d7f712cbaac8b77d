"""/v1/tenants and /v1/keys: operators manage tenants, their limits and API keys (admin);
/v1/tenant: a tenant's own settings (any key of it)."""

from __future__ import annotations

from fastapi import APIRouter, status

from gateway.api.deps import AdminCaller, Caller, StoreDep
from gateway.api.errors import ApiError, responses
from gateway.api.schemas import (
    KeyCreate, KeyCreated, KeyPublic, KeysPublic, OwnTenant, OwnTenantUpdate, TenantCreate, TenantLimits,
    TenantPublic, TenantsPublic,
)
from jobs.files import storage_used
from jobs.models import ApiKey, Tenant
from jobs.tenants import (
    KeyNotFound, TenantError, TenantNotFound, create_key, create_tenant, get_tenant, list_keys, list_tenants,
    parse_expiry, revoke_key, set_limits, tenant_by_id,
)

router = APIRouter(prefix="/v1", tags=["administration"])


def tenant_public(store, tenant: Tenant) -> TenantPublic:
    return TenantPublic(id=tenant.id, name=tenant.name, max_active_runs=tenant.max_active_runs,
                        storage_quota_bytes=tenant.storage_quota_bytes, webhook_url=tenant.webhook_url,
                        storage_used_bytes=storage_used(store, tenant.id), created_at=tenant.created_at)


def key_public(key: ApiKey) -> dict:
    return {"prefix": key.prefix, "tenant": key.tenant.name, "role": key.role, "label": key.label,
            "created_at": key.created_at, "expires_at": key.expires_at, "revoked_at": key.revoked_at}


@router.get("/tenants", response_model=TenantsPublic, summary="List tenants", responses=responses(401, 403))
def tenants(_: AdminCaller, store: StoreDep) -> TenantsPublic:
    return TenantsPublic(tenants=[tenant_public(store, tenant) for tenant in list_tenants(store)])


@router.post("/tenants", status_code=status.HTTP_201_CREATED, response_model=TenantPublic, summary="Create a tenant",
             responses=responses(401, 403, 409, 422))
def new_tenant(body: TenantCreate, _: AdminCaller, store: StoreDep) -> TenantPublic:
    try:
        tenant = create_tenant(store, body.name, body.max_active_runs, body.storage_quota_bytes)
    except TenantError as error:
        raise ApiError(409 if "exists" in str(error) else 422, str(error)) from None
    return tenant_public(store, tenant)


@router.get("/tenants/{name}", response_model=TenantPublic, summary="Show a tenant", responses=responses(401, 403, 404))
def tenant(name: str, _: AdminCaller, store: StoreDep) -> TenantPublic:
    try:
        return tenant_public(store, get_tenant(store, name))
    except TenantNotFound as error:
        raise ApiError(404, str(error)) from None


@router.patch("/tenants/{name}", response_model=TenantPublic, summary="Change a tenant's limits",
              responses=responses(401, 403, 404, 422))
def tenant_limits(name: str, body: TenantLimits, _: AdminCaller, store: StoreDep) -> TenantPublic:
    try:
        tenant = set_limits(store, name, body.max_active_runs, body.storage_quota_bytes, body.webhook_url)
    except TenantNotFound as error:
        raise ApiError(404, str(error)) from None
    except TenantError as error:
        raise ApiError(422, str(error)) from None
    return tenant_public(store, tenant)


@router.get("/tenant", response_model=OwnTenant, summary="The caller's tenant", tags=["tenant"],
            responses=responses(401))
def own_tenant(caller: Caller, store: StoreDep) -> OwnTenant:
    """Limits, storage use, default webhook and the secret that signs webhook calls."""
    tenant = tenant_by_id(store, caller.tenant_id)
    return OwnTenant(**tenant_public(store, tenant).model_dump(), webhook_secret=tenant.webhook_secret)


@router.patch("/tenant", response_model=OwnTenant, summary="Set the caller's tenant's default webhook",
              tags=["tenant"], responses=responses(401, 422))
def update_own_tenant(body: OwnTenantUpdate, caller: Caller, store: StoreDep) -> OwnTenant:
    try:
        set_limits(store, caller.tenant_name, webhook_url=body.webhook_url)
    except TenantError as error:
        raise ApiError(422, str(error)) from None
    return own_tenant(caller, store)


@router.get("/keys", response_model=KeysPublic, summary="List API keys", responses=responses(401, 403, 404))
def keys(_: AdminCaller, store: StoreDep, tenant: str | None = None) -> KeysPublic:
    """Prefixes, roles and validity of keys (never the keys themselves)."""
    try:
        return KeysPublic(keys=[KeyPublic(**key_public(key)) for key in list_keys(store, tenant)])
    except TenantNotFound as error:
        raise ApiError(404, str(error)) from None


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=KeyCreated, summary="Create an API key",
             responses=responses(401, 403, 404, 422))
def new_key(body: KeyCreate, _: AdminCaller, store: StoreDep) -> KeyCreated:
    """The response holds the key itself, shown this once; only its hash is kept."""
    try:
        expires_at = parse_expiry(body.expires) if body.expires else None
        record, key = create_key(store, body.tenant, body.role, expires_at, body.label)
    except TenantError as error:
        raise ApiError(422, str(error)) from None
    except TenantNotFound as error:
        raise ApiError(404, str(error)) from None
    return KeyCreated(**key_public(record), key=key)


@router.post("/keys/{prefix}/revoke", response_model=KeyPublic, summary="Revoke an API key",
             responses=responses(401, 403, 404))
def revoke(prefix: str, _: AdminCaller, store: StoreDep) -> KeyPublic:
    try:
        return KeyPublic(**key_public(revoke_key(store, prefix)))
    except KeyNotFound as error:
        raise ApiError(404, str(error)) from None
