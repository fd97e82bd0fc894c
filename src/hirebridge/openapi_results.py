"""The ``results`` schemas of the ATS API's answers, as named OpenAPI components (used by ``hirebridge.openapi``).

Ashby's objects (``Candidate``, ``Application``, ``Job``, ``Offer``, ``WebhookSetting``...) are the JSON Schemas
derived from Ashby's published OpenAPI document (``hirebridge.ats.ashby_schemas``), so the document promises what
Ashby promises. The objects hirebridge adds (HRIS pushes and connections) are described here as the HRIS endpoints
answer them (``ats.pushes.push_json``, ``hris.connections.connection_json``), and so are the partner API's answers
(``partner.jobs.job_body``, ``partner.candidates.candidate_body``, ``partner.webhooks_api.webhook_body``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from hirebridge.ats import ashby_schemas

REF = "#/components/schemas/{model}"


class _Object(BaseModel):
    model_config = ConfigDict(extra="allow")


class HrisPushAttempt(_Object):
    number: int | None = None
    outcome: str | None = None
    httpStatus: int | None = None


class HrisPush(_Object):
    """hirebridge extension: a push of a hire to an HRIS (``candidate.pushToHris``, ``hrisPush.*``)."""

    id: str
    applicationId: str | None = None
    candidateId: str | None = None
    hrisConnectionId: str | None = None
    system: str | None = None
    systemName: str | None = None
    integrationPartnerId: str | None = None
    state: str | None = None
    operation: str | None = None
    remoteId: str | None = None
    attempts: int | None = None
    errorMessage: str | None = None
    outcomeUnknown: bool | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
    finishedAt: str | None = None
    attemptLog: list[HrisPushAttempt] | None = None


class HrisConnection(_Object):
    """hirebridge extension: an organization's connection to an HRIS; credentials are never answered."""

    id: str
    system: str | None = None
    systemName: str | None = None
    name: str | None = None
    baseUrl: str | None = None
    credentialFields: list[str] | None = None
    integrationPartnerId: str | None = None
    isSelfServe: bool | None = None
    requiresAcceptedOffer: bool | None = None
    rateLimitPerSecond: float | None = None
    fieldMapping: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    isEnabled: bool | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class HrisConnectionDeleted(_Object):
    hrisConnectionId: str


class HrisPreparedRequest(_Object):
    method: str
    url: str
    path: str
    headers: dict[str, str]
    body: Any = None


class HrisPushPreview(_Object):
    """hirebridge extension: the request a push would send (``hrisPush.preview``, ``ats.hris_preview``)."""

    hrisConnectionId: str
    system: str
    operation: Literal["create", "update", "none"]
    remoteId: str | None = None
    request: HrisPreparedRequest | None = None


class HrisRequestAnswer(_Object):
    """hirebridge extension: the HRIS's answer to one passthrough call (``hrisConnection.request``)."""

    requestId: str = Field(description="The call's record in the connection's request log (hrisConnection.requestLog).")
    hrisConnectionId: str
    system: str
    method: str
    url: str = Field(description="The URL called: the vendor's API base and the path given.")
    status: int = Field(description="The HRIS's HTTP status, whatever it is: its answer is data, not an error.")
    headers: dict[str, str] = Field(description="The answer's headers that are safe to show, lower-case names.")
    bodyFormat: Literal["json", "text", "base64", "empty"]
    body: Any = Field(default=None, description="JSON as a value, text as a string, other bytes in base64.")
    bodyTruncated: bool = Field(description="Whether the body was cut at the answer limit (then it is text).")
    bodyBytes: int = Field(description="The size of the HRIS's whole body in bytes.")


class HrisRequestLogEntry(_Object):
    """hirebridge extension: one passthrough call on record (``hrisConnection.requestLog``), credentials redacted."""

    requestId: str
    method: str | None = None
    path: str | None = None
    requestedBy: str | None = None
    startedAt: str | None = None
    finishedAt: str | None = None
    durationMs: int | None = None
    outcome: str | None = None
    httpStatus: int | None = None
    message: str | None = None
    exchanges: list[dict[str, Any]] | None = None


class ApiKey(_Object):
    """hirebridge extension: an ATS API key as ``apiKey.list`` and ``apiKey.revoke`` answer it (never the key)."""

    id: str
    keyPrefix: str = Field(description="The key's first characters, to tell keys apart.")
    title: str
    permissions: list[str]
    scopes: list[str] = Field(description="The permissions in Ashby's scope spelling (candidates:read).")
    isActive: bool
    createdAt: str | None = None
    revokedAt: str | None = None


class ApiKeyCreated(ApiKey):
    """hirebridge extension: ``apiKey.create``'s answer, the only one that holds the key."""

    key: str = Field(description="The API key: the Basic auth username. Shown once; only its digest is stored.")


class HrisConnectionTest(_Object):
    """hirebridge extension: the outcome of ``hrisConnection.test``'s harmless authenticated call to the HRIS."""

    hrisConnectionId: str
    system: str
    ok: bool
    category: Literal["ok", "credentials", "throttled", "unavailable", "rejected", "unsupported"]
    httpStatus: int | None = Field(default=None, description="The HRIS's last HTTP status, if it answered.")
    latencyMs: int
    message: str = Field(description="What the HRIS answered: its own message when it refused.")
    testedAt: str | None = None


# --- the partner API's answers (Pulsifi's wire shapes: every key is always sent, null when there is no value) ----


class PartnerToken(_Object):
    access_token: str
    scope: str
    expires_in: str = Field(description="Seconds, as a string (as Pulsifi documents it).")
    token_type: Literal["bearer"]


class PartnerJob(_Object):
    id: str
    title: str
    status: Literal["draft", "active", "closed"]
    ext_job_id: str
    external_job_id: str
    description: str | None
    location: str | None
    questionnaire: list[dict[str, Any]] | None
    published_at: str | None
    closed_at: str | None
    created_at: str | None
    updated_at: str | None


class PartnerCandidate(_Object):
    candidate_id: str
    ext_job_id: str | None
    ext_candidate_id: str | None
    ext_application_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    status: str
    invitation_link: str
    invitation_expired_at: str | None
    created_at: str | None


class PartnerResults(_Object):
    report_pdf_link: str | None
    report_profile_link: str | None
    scores: list[dict[str, Any]]


class PartnerCandidateDetails(PartnerCandidate):
    job_id: str
    opened_at: str | None
    started_at: str | None
    completed_at: str | None
    results: PartnerResults | None


class PartnerWebhook(_Object):
    id: str
    partner_id: str
    name: str
    url: str
    events: list[str]
    status: Literal["active", "inactive"]
    has_secret: bool
    is_deleted: bool
    created_at: str | None
    created_by: str | None
    updated_at: str | None


class PartnerWebhookList(_Object):
    total_count: int
    result: list[PartnerWebhook]


class PartnerTestDelivery(_Object):
    webhook_id: str
    delivery_id: str


class PartnerTestEvent(_Object):
    event: str
    event_id: str
    deliveries: list[PartnerTestDelivery]


EXTENSIONS: tuple[type[BaseModel], ...] = (
    HrisPush,
    HrisConnection,
    HrisConnectionDeleted,
    HrisPushPreview,
    HrisRequestAnswer,
    HrisRequestLogEntry,
    HrisConnectionTest,
    ApiKey,
    ApiKeyCreated,
    PartnerToken,
    PartnerJob,
    PartnerCandidate,
    PartnerCandidateDetails,
    PartnerWebhook,
    PartnerWebhookList,
    PartnerTestEvent,
)
# Ashby's envelopes are built per operation by hirebridge.openapi (and its error body from the error renderer).
_ENVELOPES = frozenset({"SuccessResponse", "ListResponse", "ErrorResponse"})


def _ashby() -> dict[str, Any]:
    components: dict[str, Any] = ashby_schemas.document()["components"]["schemas"]
    return {name: schema for name, schema in components.items() if name not in _ENVELOPES}


NAMES = frozenset(_ashby()) | frozenset(model.__name__ for model in EXTENSIONS)


def ashby_results(operation: str) -> str | None:
    """The results component Ashby's document gives ``operation`` (``CandidateList`` for lists), if it has one."""
    entry = ashby_schemas.document()["operations"].get(operation)
    return str(entry["results"]) if entry is not None else None


def schemas(ref_template: str) -> dict[str, Any]:
    """The components: every results schema and the schemas they refer to."""
    _, definitions = models_json_schema([(model, "serialization") for model in EXTENSIONS], ref_template=ref_template)
    own: dict[str, Any] = definitions.get("$defs", {})
    ashby = _ashby()
    clash = sorted(set(own) & set(ashby))
    if clash:
        raise ValueError(f"results schemas named like Ashby's: {clash}")
    return ashby | own
