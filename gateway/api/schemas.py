"""Request and response bodies of the native API, split by role (Create / Public / Page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jobs.states import RunState


class FilePublic(BaseModel):
    id: str
    name: str = Field(description="The name the client gave; metadata only.")
    size: int
    sha256: str
    format: str = Field(description="fastq, fasta, mgf or mzml, told from the content.")
    compressed: bool = Field(description="Whether the content is gzip-compressed.")
    created_at: datetime


class FilesPage(BaseModel):
    files: list[FilePublic]
    next_page_token: str | None = Field(None, description="Pass as page_token for the next page; absent at the end.")


class InputPublic(BaseModel):
    name: str
    format: str | list[str] = Field(description="The format the input takes, or the list of formats it accepts (each file may be any of them).")
    formats: list[str] = Field(description="The accepted formats as a list, also for an input of one format.")
    multiple: bool
    paired: bool
    optional: bool
    or_reference: str | None = Field(
        None, description="A parameter naming a registered reference that may stand in for this input; "
        "exactly one of the two is then given.")
    description: str


class OutputPublic(BaseModel):
    path: str
    format: str
    description: str


class WorkflowPublic(BaseModel):
    name: str
    version: str
    title: str
    description: str
    inputs: list[InputPublic]
    outputs: list[OutputPublic]
    params_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the parameters.")


class WorkflowsPublic(BaseModel):
    workflows: list[WorkflowPublic]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: str = Field(description="Catalogue workflow: NAME or NAME@VERSION.", max_length=150,
                          examples=["fastq-qc"])
    version: str | None = Field(None, description="Version to insist on (same as NAME@VERSION).", max_length=40)
    inputs: dict[str, list[str]] = Field(
        description="Input name -> ids of uploaded files, e.g. {\"reads\": [\"<file id>\"]}.", max_length=20
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters, checked against the workflow's schema.")
    tags: dict[str, str] = Field(default_factory=dict, description="Free labels to find runs by (filter tag=key:value).")
    webhook_url: str | None = Field(None, description="Called when the run ends (see the events API).", max_length=2000)


class Progress(BaseModel):
    jobs_done: int
    jobs_total: int


class RunPublic(BaseModel):
    id: str
    workflow: str
    workflow_version: str
    state: RunState
    progress: Progress
    params: dict[str, Any]
    inputs: dict[str, list[str]] = Field(description="Input name -> file ids.")
    tags: dict[str, Any]
    webhook_url: str | None
    attempt: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    tenant: str | None = Field(None, description="Owner tenant id (shown to staff).")
    provenance: dict[str, Any] = Field(
        default_factory=dict,
        description="Registered data the run used: `references` maps each reference parameter to the "
        "`NAME@VERSION` used, its collection digest and each sequence's name, length, MD5 and refget id.",
    )


class RunsPage(BaseModel):
    runs: list[RunPublic]
    next_page_token: str | None = None


class TaskPublic(BaseModel):
    id: int
    attempt: int
    jobid: int
    rule: str
    wildcards: dict[str, Any]
    state: str
    threads: int
    exit_code: int | None
    message: str | None
    start_time: datetime | None
    end_time: datetime | None
    log_size: int = Field(description="Bytes in the task's log so far.")


class TasksPublic(BaseModel):
    tasks: list[TaskPublic]


class OutputFile(BaseModel):
    path: str
    size: int
    sha256: str
    format: str


class OutputsPublic(BaseModel):
    outputs: list[OutputFile]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=63)
    max_active_runs: int | None = Field(None, ge=0, le=10_000)
    storage_quota_bytes: int | None = Field(None, ge=0)


class TenantLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_active_runs: int | None = Field(None, ge=0, le=10_000)
    storage_quota_bytes: int | None = Field(None, ge=0)
    webhook_url: str | None = Field(None, max_length=2000, description="Default webhook; \"\" removes it.")


class OwnTenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: str | None = Field(None, max_length=2000,
                                    description="Where run events go when a run names no webhook; \"\" removes it.")


class TenantPublic(BaseModel):
    id: str
    name: str
    max_active_runs: int
    storage_quota_bytes: int
    storage_used_bytes: int
    webhook_url: str | None = None
    created_at: datetime


class OwnTenant(TenantPublic):
    webhook_secret: str = Field(description="Key of the HMAC-SHA256 signatures on webhook calls.")


class TenantsPublic(BaseModel):
    tenants: list[TenantPublic]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(max_length=63)
    role: str = Field("member", pattern="^(member|staff|admin)$")
    expires: str | None = Field(None, description="90d, 12h, 30m or an ISO 8601 time.", max_length=40)
    label: str = Field("", max_length=200)


class KeyPublic(BaseModel):
    prefix: str
    tenant: str
    role: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The key itself. Shown this once only.")


class KeysPublic(BaseModel):
    keys: list[KeyPublic]
