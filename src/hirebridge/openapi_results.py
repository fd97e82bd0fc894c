"""The ``results`` schemas of the ATS API's answers, as named OpenAPI components (used by ``hirebridge.openapi``).

Each model describes an object as ``hirebridge.ats.serializers`` (and the HRIS and webhook endpoints) answer it.
Only ``id`` is promised to be present; the other fields are described with their types so that a generated client
reads them, and tolerates the fields an object gains or leaves out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema


class _Object(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContactInfo(_Object):
    value: str | None = None
    type: str | None = None
    isPrimary: bool | None = None


class CustomField(_Object):
    id: str | None = None
    title: str | None = None
    value: Any = None
    isPrivate: bool | None = None


class FileHandle(_Object):
    id: str | None = None
    name: str | None = None
    handle: str | None = None


class CandidateLocation(_Object):
    id: str | None = None
    locationSummary: str | None = None
    locationComponents: list[Any] | None = None


class Candidate(_Object):
    id: str
    createdAt: str | None = None
    updatedAt: str | None = None
    name: str | None = None
    primaryEmailAddress: ContactInfo | None = None
    emailAddresses: list[ContactInfo] | None = None
    primaryPhoneNumber: ContactInfo | None = None
    phoneNumbers: list[ContactInfo] | None = None
    position: str | None = None
    company: str | None = None
    applicationIds: list[str] | None = None
    resumeFileHandle: FileHandle | None = None
    fileHandles: list[FileHandle] | None = None
    customFields: list[CustomField] | None = None
    location: CandidateLocation | None = None


class Job(_Object):
    id: str
    title: str | None = None
    status: str | None = None
    employmentType: str | None = None
    locationName: str | None = None
    departmentName: str | None = None
    customFields: list[CustomField] | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
    openedAt: str | None = None
    closedAt: str | None = None


class ApplicationCandidate(_Object):
    id: str
    name: str | None = None
    primaryEmailAddress: ContactInfo | None = None
    primaryPhoneNumber: ContactInfo | None = None


class InterviewStage(_Object):
    id: str | None = None
    title: str | None = None
    type: str | None = None


class ArchiveReason(_Object):
    id: str | None = None
    text: str | None = None


class ApplicationJob(_Object):
    id: str
    title: str | None = None


class Application(_Object):
    id: str
    createdAt: str | None = None
    updatedAt: str | None = None
    status: str | None = None
    customFields: list[CustomField] | None = None
    candidate: ApplicationCandidate | None = None
    currentInterviewStage: InterviewStage | None = None
    archiveReason: ArchiveReason | None = None
    job: ApplicationJob | None = None


class Salary(_Object):
    currencyCode: str | None = None
    value: float | None = None


class OfferVersion(_Object):
    id: str | None = None
    startDate: str | None = None
    salary: Salary | None = None
    createdAt: str | None = None
    customFields: list[CustomField] | None = None


class Offer(_Object):
    id: str
    decidedAt: str | None = None
    applicationId: str | None = None
    acceptanceStatus: str | None = None
    offerStatus: str | None = None
    latestVersion: OfferVersion | None = None


class Webhook(_Object):
    id: str
    enabled: bool | None = None
    requestUrl: str | None = None
    webhookType: str | None = None
    secretToken: str | None = None
    hasSecretToken: bool | None = None


class WebhookDeleted(_Object):
    webhookId: str


class ApiKey(_Object):
    title: str | None = None
    createdAt: str | None = None
    scopes: list[str] | None = None
    permissions: list[str] | None = None


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


RESULTS: tuple[type[BaseModel], ...] = (
    Candidate,
    Job,
    Application,
    Offer,
    Webhook,
    WebhookDeleted,
    ApiKey,
    HrisPush,
    HrisConnection,
    HrisConnectionDeleted,
)
NAMES = frozenset(model.__name__ for model in RESULTS)


def schemas(ref_template: str) -> dict[str, Any]:
    """The components: every results schema and the schemas they refer to."""
    _, definitions = models_json_schema([(model, "serialization") for model in RESULTS], ref_template=ref_template)
    result: dict[str, Any] = definitions.get("$defs", {})
    return result
