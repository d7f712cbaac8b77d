"""Dependencies that let handlers read like sentences: who calls, with which store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.errors import ApiError
from jobs.catalogue import Catalogue
from jobs.settings import Settings
from jobs.store import Store
from jobs.tenants import AuthenticationFailed, Principal, Role, authenticate

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer lsdih_...`")

# FastAPI runs a plain ``def`` dependency or handler in a worker thread, and each hop to it
# costs more than a short query (the hand-over, and the event loop and the thread taking the
# GIL in turn). A gateway process has one such thread (Settings.gateway_threads), so
# database work is one at a time anyway: dependencies, and the most frequent handlers (start a
# run, show a run), are ``async def`` and do their few short queries on the event loop.
# Handlers that move file contents (uploads, downloads, logs, zips) or may take long stay
# plain ``def``; a queue message is sent from a thread of its own (jobs.dispatch).


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _store(request: Request) -> Store:
    return request.app.state.store


async def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]
CatalogueDep = Annotated[Catalogue, Depends(_catalogue)]


async def _principal(store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    # One indexed query on the event loop (see above); it runs on every request.
    try:
        return authenticate(store, credentials.credentials if credentials else None)
    except AuthenticationFailed as error:
        raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


Caller = Annotated[Principal, Depends(_principal)]


async def _admin(caller: Caller) -> Principal:
    if caller.role != Role.ADMIN:
        raise ApiError(403, "this needs an admin key")
    return caller


async def _staff(caller: Caller) -> Principal:
    if caller.role not in (Role.STAFF, Role.ADMIN):
        raise ApiError(403, "this needs a staff or admin key")
    return caller


AdminCaller = Annotated[Principal, Depends(_admin)]
StaffCaller = Annotated[Principal, Depends(_staff)]
