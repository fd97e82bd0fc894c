"""In-memory state of the BambooHR simulator: one company's employees and the account settings tests can change.

Thread-safe: every read and write holds one lock, and a create checks the employee limit and the uniqueness of
``workEmail`` and inserts under that same lock, so two concurrent creates of one email cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from hirebridge.sandbox.bamboohr.fields import BambooError, Values

ErrorHeaderSpelling = Literal["standard", "typo", "both"]


@dataclass
class Settings:
    enforce_unique_work_email: bool = True
    employee_limit: int | None = None
    error_header_spelling: ErrorHeaderSpelling = "standard"
    directory_sharing: bool = True
    # The employee tied to the API key, which employee id 0 names [openapi get-employee]; None: the key has none.
    api_user_employee_id: int | None = None
    # "Using an unknown API key repeatedly will result in the API disabling access ... 403 Forbidden" (old docs).
    bad_key_lockout_after: int | None = None
    bad_key_lockout_seconds: float = 60.0


@dataclass
class Employee:
    id: int
    values: dict[str, str]
    last_changed: dt.datetime

    def status(self, today: dt.date) -> str:
        """``status`` as written, else Inactive for a future hire (docs: "Future hires have a status of Inactive")."""
        explicit = self.values.get("status")
        if explicit:
            return explicit
        hire = self.values.get("hireDate")
        if hire and dt.date.fromisoformat(hire) > today:
            return "Inactive"
        return "Active"

    def is_future_hire(self, today: dt.date) -> bool:
        hire = self.values.get("hireDate")
        return bool(hire) and dt.date.fromisoformat(hire or "") > today

    def value(self, field_id: str, today: dt.date) -> str | None:
        v = self.values
        first, last = v.get("firstName", ""), v.get("lastName", "")
        computed: dict[str, str | None] = {
            "id": str(self.id),
            "displayName": f"{v.get('preferredName') or first} {last}".strip(),
            "fullName1": f"{first} {last}".strip(),
            "fullName2": f"{last}, {first}",
            "bestEmail": v.get("workEmail") or v.get("homeEmail"),
            "lastChanged": self.last_changed.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "status": self.status(today),
        }
        if field_id in computed:
            return computed[field_id]
        return v.get(field_id)

    def record(self, today: dt.date) -> dict[str, Any]:
        """What the admin surface lists: the id, the stored fields, the status and when it last changed."""
        return {
            "id": str(self.id),
            **self.values,
            "status": self.status(today),
            "lastChanged": self.value("lastChanged", today),
        }


class BambooState:
    def __init__(
        self,
        *,
        seed: int | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._lock = threading.Lock()
        self._now = now
        self._first_id = random.Random(seed).randint(100, 4999)  # any number: connectors must read Location
        self._employees: dict[int, Employee] = {}
        self._next_id = self._first_id
        self._settings = Settings()
        self._bad_keys: list[float] = []
        self._locked_until = 0.0

    # Settings -------------------------------------------------------------------------------------------------

    def settings(self) -> Settings:
        with self._lock:
            return replace(self._settings)

    def configure(self, **changes: Any) -> Settings:
        with self._lock:
            self._settings = replace(self._settings, **changes)
            return replace(self._settings)

    def today(self) -> dt.date:
        return self._now().date()

    # API-key lockout ------------------------------------------------------------------------------------------

    def note_bad_key(self, monotonic_now: float) -> None:
        with self._lock:
            s = self._settings
            if s.bad_key_lockout_after is None:
                return
            window = s.bad_key_lockout_seconds
            self._bad_keys = [t for t in self._bad_keys if monotonic_now - t < window] + [monotonic_now]
            if len(self._bad_keys) >= s.bad_key_lockout_after:
                self._locked_until = monotonic_now + window
                self._bad_keys.clear()

    def locked_out(self, monotonic_now: float) -> bool:
        with self._lock:
            return monotonic_now < self._locked_until

    # Employees ------------------------------------------------------------------------------------------------

    def _email_taken(self, email: str | None, except_id: int | None) -> bool:
        if not email or not self._settings.enforce_unique_work_email:
            return False
        wanted = email.casefold()
        return any(
            e.id != except_id and (e.values.get("workEmail") or "").casefold() == wanted
            for e in self._employees.values()
        )

    def create(self, values: Values) -> Employee:
        with self._lock:
            limit = self._settings.employee_limit
            if limit is not None and len(self._employees) >= limit:
                raise BambooError(429, "The account has reached its employee limit. No more employees can be added")
            if self._email_taken(values.get("workEmail"), None):
                raise BambooError(409, "Duplicate email: an employee with this workEmail already exists")
            employee = Employee(
                id=self._next_id,
                values={k: v for k, v in values.items() if v is not None},
                last_changed=self._now(),
            )
            self._employees[employee.id] = employee
            self._next_id += 1
            return replace(employee, values=dict(employee.values))

    def update(self, employee_id: int, values: Values) -> Employee | None:
        with self._lock:
            current = self._employees.get(employee_id)
            if current is None:
                return None
            if "workEmail" in values and self._email_taken(values["workEmail"], employee_id):
                raise BambooError(409, "Duplicate email: another employee has this workEmail")
            for key, value in values.items():
                if value is None:
                    current.values.pop(key, None)
                else:
                    current.values[key] = value
            current.last_changed = self._now()
            return replace(current, values=dict(current.values))

    def get(self, employee_id: int) -> Employee | None:
        with self._lock:
            found = self._employees.get(employee_id)
            return replace(found, values=dict(found.values)) if found else None

    def all(self) -> list[Employee]:
        with self._lock:
            return [replace(e, values=dict(e.values)) for _, e in sorted(self._employees.items())]

    def records(self) -> list[dict[str, Any]]:
        today = self.today()
        return [e.record(today) for e in self.all()]

    def reset(self) -> None:
        with self._lock:
            self._employees.clear()
            self._next_id = self._first_id
            self._settings = Settings()
            self._bad_keys.clear()
            self._locked_until = 0.0
