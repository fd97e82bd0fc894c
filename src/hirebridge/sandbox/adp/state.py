"""In-memory state of the ADP Workforce Now simulator: issued access tokens (and how many token calls were made), the
client's onboarding templates, and the applicants onboarded through ``applicant.onboard`` (each also an associate
that ``/hr/v2/workers`` lists)."""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TOKEN_LIFETIME = 3600  # "the access token is valid for 1 hour" (developers.adp.com, Making your first call)


@dataclass(frozen=True)
class Template:
    """An onboarding template of the fictional client: its code, its name and the fields it requires.

    Codes and names are from ADP's sample meta response (adpllc/marketplace-sample-payloads
    wfn/staffing/applicant-onboard/V2/success/applicant-meta-200.response.json); which fields each one requires is
    the simulator's choice (every real client configures its own templates).
    """

    code: str
    name: str
    required: tuple[str, ...]  # meta paths below /applicantOnboarding, e.g. "applicantWorkerProfile/hireDate"


BASE_REQUIRED = (
    "applicantPersonalProfile/birthName/givenName",
    "applicantPersonalProfile/birthName/familyName",
    "applicantWorkerProfile/hireDate",
)
TEMPLATES = (
    Template("169748818049_1", "Applicant Onboard", BASE_REQUIRED),
    Template("14495_6403", "HR + Payroll (System)", (*BASE_REQUIRED, "applicantPayrollProfile/payrollGroupCode")),
    Template("15336_7354", "HR Only (System)", BASE_REQUIRED),
)
# The meta response's short labels (same sample file), used in "<label> is required." messages.
LABELS = {
    "applicantPersonalProfile/birthName/givenName": "First Name",
    "applicantPersonalProfile/birthName/familyName": "Last Name",
    "applicantWorkerProfile/hireDate": "Hire Date",
    "applicantPayrollProfile/payrollGroupCode": "Company Code",
}
PAYROLL_GROUPS = ("938", "94N", "PG01")


class SimulatorSettings(BaseModel):
    """``PUT /_sandbox/settings``: the switches that are not fault switches. Unset fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    token_lifetime_seconds: int | None = Field(default=None, ge=1, le=86_400)
    # Which documented error body applicant.onboard answers: "v03" = confirmMessage.resourceMessages[].
    # processMessages[].userMessage.messageTxt, "nextgen" = _confirmMessage.messages[].messageText.
    error_style: Literal["v03", "nextgen"] | None = None
    # What a missing or bad bearer token gets: 401 (Making your first call) or 400 "Validation error" (exceptions page).
    bad_token_status: Literal[400, 401] | None = None
    # Whether /hr/v2/workers lists hires still "inprogress" (UNCONFIRMED), and what an empty result answers.
    list_inprogress_workers: bool | None = None
    empty_workers_status: Literal[200, 204] | None = None
    throttle_retry_after: bool | None = None


@dataclass
class Applicant:
    applicant_id: str
    associate_oid: str
    worker_id: str
    template_code: str
    status: str  # "inprogress" or "complete"
    pre_hire: bool
    given_name: str
    family_name: str
    middle_name: str
    hire_date: str
    personal_emails: list[str]
    business_emails: list[str]
    payroll_group: str | None
    created_at: str
    body: dict[str, Any] = field(repr=False, default_factory=dict)


def _associate_oid() -> str:
    """An AOID like ``G3K9BN6ERZT1FDP8``: "G3" and 14 upper-case letters and digits (shape of ADP's samples)."""
    alphabet = string.ascii_uppercase + string.digits
    return "G3" + "".join(secrets.choice(alphabet) for _ in range(14))


class AdpState:
    """Thread-safe: the simulator's routes run in a worker pool, and a read-check-write holds the lock."""

    def __init__(self, token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME) -> None:
        self._lock = threading.RLock()
        self._default_lifetime = token_lifetime_seconds
        self.reset()

    def lock(self) -> threading.RLock:
        return self._lock

    def reset(self) -> None:
        with self._lock:
            self.tokens: dict[str, float] = {}  # token -> monotonic expiry
            self.token_requests = 0
            self.tokens_issued = 0
            self.token_refusals = 0
            self.applicants: list[Applicant] = []
            self._next_applicant = 82846908
            self.settings: dict[str, Any] = {
                "token_lifetime_seconds": self._default_lifetime,
                "error_style": "v03",
                "bad_token_status": 401,
                "list_inprogress_workers": True,
                "empty_workers_status": 204,
                "throttle_retry_after": True,
            }

    def configure(self, update: SimulatorSettings) -> dict[str, Any]:
        with self._lock:
            for key, value in update.model_dump(exclude_none=True).items():
                self.settings[key] = value
            return dict(self.settings)

    # tokens -------------------------------------------------------------------------------------------------------

    def count_token_request(self, *, refused: bool) -> None:
        with self._lock:
            self.token_requests += 1
            if refused:
                self.token_refusals += 1

    def issue_token(self) -> tuple[str, int]:
        lifetime = int(self.settings["token_lifetime_seconds"])
        token = str(uuid.uuid4())  # opaque, UUID-shaped as in ADP's Postman samples ("Bearer 1ddb84c4-7997-...")
        with self._lock:
            self.tokens[token] = time.monotonic() + lifetime
            self.tokens_issued += 1
        return token, lifetime

    def token_status(self, token: str) -> Literal["valid", "expired", "unknown"]:
        with self._lock:
            expiry = self.tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if time.monotonic() < expiry else "expired"

    def expire_tokens(self) -> int:
        with self._lock:
            now = time.monotonic()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)
            return len(self.tokens)

    def token_counters(self) -> dict[str, int]:
        with self._lock:
            now = time.monotonic()
            active = sum(1 for expiry in self.tokens.values() if expiry > now)
            return {
                "token_requests": self.token_requests,
                "tokens_issued": self.tokens_issued,
                "token_requests_refused": self.token_refusals,
                "active_tokens": active,
            }

    # applicants ---------------------------------------------------------------------------------------------------

    def add_applicant(self, **values: Any) -> Applicant:
        with self._lock:
            self._next_applicant += 1
            worker_id = values.pop("worker_id", None) or secrets.token_hex(5).upper()[:9]
            applicant = Applicant(
                applicant_id=f"{self._next_applicant}_1",
                associate_oid=_associate_oid(),
                worker_id=worker_id,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                **values,
            )
            self.applicants.append(applicant)
            return applicant

    def snapshot(self) -> list[Applicant]:
        with self._lock:
            return list(self.applicants)
