"""In-memory company of the Personio simulator: API credentials and their stable tokens, the auth endpoint's
per-minute limit, the company's offices/departments/subcompanies and custom attributes, and the employees."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TOKEN_LIFETIME = 86_400  # "stable, for a period of 24 hours" (developer.personio.de/reference/auth)
AUTH_LIMIT_PER_MINUTE = 60  # "a rate limit of 60 requests per minute" (same page)
AUTH_COOL_DOWN_SECONDS = 60  # "If this rate limit is exceeded there is a 60 second cool-down period" (same page)
EMPLOYEES_LIMIT_PER_MINUTE = 300  # GET Employees: 300/min (changelog "Rate Limits on GET Employees endpoint")


@dataclass(frozen=True)
class CustomAttribute:
    """A custom (dynamic) employee attribute: sent and read as ``dynamic_<uid>``."""

    uid: int
    label: str
    type: Literal["standard", "date", "list", "tags", "decimal"] = "standard"
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"dynamic_{self.uid}"


# The labels and types of the api-docs' attributes example (personio-personnel-data-api-oa3.yaml, GET
# /company/employees/attributes); the uids are the simulator's.
DEFAULT_ATTRIBUTES = (
    CustomAttribute(1001, "IBAN"),
    CustomAttribute(1002, "Marital status", "list", ("married", "single")),
    CustomAttribute(1003, "Language Skills", "tags", ("English", "French", "Spanish", "German")),
    CustomAttribute(1004, "Anniversary Date", "date"),
)
DEFAULT_OFFICES = ("Munich", "Berlin", "Madrid")
DEFAULT_DEPARTMENTS = ("Customer Support", "IT", "Engineering")
DEFAULT_SUBCOMPANIES = ("CS Demo GmbH", "ACME")


class SimulatorSettings(BaseModel):
    """``PUT /_sandbox/settings``. Unset fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    token_lifetime_seconds: int | None = Field(default=None, ge=1, le=7 * 86_400)
    auth_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    auth_cool_down_seconds: float | None = Field(default=None, ge=0, le=3600)
    employees_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)


@dataclass
class Employee:
    id: int
    values: dict[str, Any]  # first_name, last_name, email, ... and dynamic_<uid>
    created_at: str
    meta: list[str] = field(default_factory=list)
    modified_at: str | None = None  # set by an update (PATCH)


class _Window:
    """Calls in the last 60 seconds, and (for the auth endpoint) a cool-down once the limit was exceeded."""

    def __init__(self) -> None:
        self.calls: deque[float] = deque()
        self.exceeded_at: float | None = None

    def take(self, limit: int, cool_down: float) -> bool:
        now = time.monotonic()
        if self.exceeded_at is not None and now < self.exceeded_at + cool_down:
            return False
        while self.calls and self.calls[0] <= now - 60:
            self.calls.popleft()
        if len(self.calls) >= limit:
            if self.exceeded_at is None or now >= self.exceeded_at + cool_down:
                self.exceeded_at = now
            return False
        self.calls.append(now)
        return True


class PersonioState:
    def __init__(self, attributes: tuple[CustomAttribute, ...] = DEFAULT_ATTRIBUTES) -> None:
        self._lock = threading.RLock()
        self._default_attributes = attributes
        self.reset()

    def lock(self) -> threading.RLock:
        return self._lock

    def reset(self) -> None:
        with self._lock:
            self.attributes: dict[str, CustomAttribute] = {a.key: a for a in self._default_attributes}
            self.offices = list(DEFAULT_OFFICES)
            self.departments = list(DEFAULT_DEPARTMENTS)
            self.subcompanies = list(DEFAULT_SUBCOMPANIES)
            self.employees: list[Employee] = []
            self._next_id = 81723  # the api-docs' example id
            self.token: tuple[str, float] | None = None  # the stable token and its monotonic expiry
            self.auth_requests = 0
            self.auth_refused = 0
            self.tokens_issued = 0
            self.auth_window = _Window()
            self.employees_window = _Window()
            self.settings: dict[str, Any] = {
                "token_lifetime_seconds": TOKEN_LIFETIME,
                "auth_limit_per_minute": AUTH_LIMIT_PER_MINUTE,
                "auth_cool_down_seconds": AUTH_COOL_DOWN_SECONDS,
                "employees_limit_per_minute": EMPLOYEES_LIMIT_PER_MINUTE,
            }

    def configure(self, update: SimulatorSettings) -> dict[str, Any]:
        with self._lock:
            self.settings.update(update.model_dump(exclude_none=True))
            return dict(self.settings)

    # auth ---------------------------------------------------------------------------------------------------------

    def take_auth_slot(self) -> bool:
        with self._lock:
            self.auth_requests += 1
            allowed = self.auth_window.take(
                int(self.settings["auth_limit_per_minute"]), float(self.settings["auth_cool_down_seconds"])
            )
            if not allowed:
                self.auth_refused += 1
            return allowed

    def count_refusal(self) -> None:
        with self._lock:
            self.auth_refused += 1

    def stable_token(self) -> tuple[str, int]:
        """The credentials' token: the same one until it expires, then a new one ("stable ... for 24 hours")."""
        with self._lock:
            now = time.monotonic()
            if self.token is None or self.token[1] <= now:
                lifetime = int(self.settings["token_lifetime_seconds"])
                self.token = ("papi-" + secrets.token_urlsafe(32), now + lifetime)
                self.tokens_issued += 1
            return self.token[0], max(1, round(self.token[1] - now))

    def token_status(self, token: str) -> Literal["valid", "expired", "unknown"]:
        with self._lock:
            if self.token is None or not secrets.compare_digest(token.encode(), self.token[0].encode()):
                return "unknown"
            return "valid" if time.monotonic() < self.token[1] else "expired"

    def expire_token(self) -> bool:
        with self._lock:
            if self.token is None:
                return False
            self.token = (self.token[0], time.monotonic())
            return True

    def token_counters(self) -> dict[str, int]:
        with self._lock:
            active = self.token is not None and self.token[1] > time.monotonic()
            return {
                "auth_requests": self.auth_requests,
                "auth_requests_refused": self.auth_refused,
                "tokens_issued": self.tokens_issued,
                "active_tokens": int(active),
            }

    def take_employees_slot(self) -> bool:
        with self._lock:
            return self.employees_window.take(int(self.settings["employees_limit_per_minute"]), 0)

    # employees ----------------------------------------------------------------------------------------------------

    def add_employee(self, values: dict[str, Any], meta: list[str], created_at: str) -> Employee:
        with self._lock:
            self._next_id += 1
            employee = Employee(self._next_id, values, created_at, meta)
            self.employees.append(employee)
            return employee

    def snapshot(self) -> list[Employee]:
        with self._lock:
            return list(self.employees)
