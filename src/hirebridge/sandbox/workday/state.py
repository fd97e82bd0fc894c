"""In-memory tenant of the Workday simulator: its configuration (organizations, positions, requisitions, reasons,
employee types), the pre-hires (applicants) and the workers hired from them.

The configuration is a small fictional tenant (UNCONFIRMED: every real tenant has its own IDs); ``GET
/_sandbox/tenant`` lists it so that a connection's settings can name real references. Pre-hires keep their
``Applicant_Data`` as the XML that was put (merged per section on update), so a read answers what was written.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from hirebridge.sandbox.workday.soap import BSVC, Element


def new_wid() -> str:
    """A Workday ID: 32 lowercase hex digits (as in ``<wd:ID wd:type="WID">cf1ced2ceea88194f85fca105627ac02``)."""
    return secrets.token_hex(16)


@dataclass
class Position:
    position_id: str
    organization_id: str
    job_profile_id: str
    location_id: str
    time_type_id: str
    wid: str = field(default_factory=new_wid)
    worker_wid: str | None = None


@dataclass
class Requisition:
    requisition_id: str
    position_id: str
    wid: str = field(default_factory=new_wid)
    open: bool = True


@dataclass
class PreHire:
    wid: str
    applicant_id: str
    data: Element  # a wd:Applicant_Data element, without Applicant_ID (rendered from applicant_id)
    created_at: str
    updated_at: str
    worker_wid: str | None = None

    def emails(self) -> list[str]:
        found = self.data.findall(f"{{{BSVC}}}Personal_Data/{{{BSVC}}}Contact_Data/{{{BSVC}}}Email_Address_Data")
        return [(e.findtext(f"{{{BSVC}}}Email_Address") or "").strip() for e in found]

    def name(self) -> tuple[str, str]:
        detail = self.data.find(
            f"{{{BSVC}}}Personal_Data/{{{BSVC}}}Name_Data/{{{BSVC}}}Legal_Name_Data/{{{BSVC}}}Name_Detail_Data"
        )
        if detail is None:
            return "", ""
        return detail.findtext(f"{{{BSVC}}}First_Name") or "", detail.findtext(f"{{{BSVC}}}Last_Name") or ""


@dataclass
class Worker:
    wid: str
    employee_id: str
    pre_hire_wid: str
    position_id: str
    organization_id: str
    hire_date: str
    hire_reason_id: str | None
    employee_type_id: str
    event_wid: str
    completed: bool
    hired_at: str


SEED_ORGANIZATIONS = ("SUP_ORG_ENGINEERING", "SUP_ORG_SALES")
SEED_POSITIONS = (
    ("P-00101", "SUP_ORG_ENGINEERING", "Software_Engineer", "San_Francisco", "Full_time"),
    ("P-00102", "SUP_ORG_ENGINEERING", "Software_Engineer", "San_Francisco", "Full_time"),
    ("P-00103", "SUP_ORG_ENGINEERING", "Engineering_Manager", "New_York", "Full_time"),
    ("P-00104", "SUP_ORG_ENGINEERING", "Software_Engineer", "New_York", "Part_time"),
    ("P-00201", "SUP_ORG_SALES", "Account_Executive", "New_York", "Full_time"),
    ("P-00202", "SUP_ORG_SALES", "Account_Executive", "London", "Full_time"),
    ("P-00203", "SUP_ORG_SALES", "Sales_Manager", "London", "Full_time"),
)
SEED_REQUISITIONS = (("R-00011", "P-00104"), ("R-00012", "P-00202"))
HIRE_REASONS = (
    "Hire_Employee_New_Hire_Fill_Vacancy",
    "Hire_Employee_New_Hire_New_Position",
    "Hire_Employee_Rehire",
)
EMPLOYEE_TYPES = ("Regular", "Fixed_Term", "Temporary")
USAGE_TYPES = ("HOME", "WORK")
FIRST_EMPLOYEE_ID = 21001


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WorkdayState:
    """Thread-safe store. Callers hold ``locked()`` across a read-check-write so concurrent calls serialise."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._init_state()

    def _init_state(self) -> None:
        self.organizations: dict[str, str] = {org: new_wid() for org in SEED_ORGANIZATIONS}
        self.positions: dict[str, Position] = {p[0]: Position(*p) for p in SEED_POSITIONS}
        self.requisitions: dict[str, Requisition] = {r: Requisition(r, p) for r, p in SEED_REQUISITIONS}
        self.hire_reasons: dict[str, str] = {r: new_wid() for r in HIRE_REASONS}
        self.employee_types: dict[str, str] = {t: new_wid() for t in EMPLOYEE_TYPES}
        self.pre_hires: dict[str, PreHire] = {}  # by WID, in creation order
        self.workers: dict[str, Worker] = {}  # by WID
        self._next_applicant = 1
        self._next_employee = FIRST_EMPLOYEE_ID

    def reset(self) -> None:
        with self._lock:
            self._init_state()

    @contextmanager
    def locked(self) -> Iterator[WorkdayState]:
        with self._lock:
            yield self

    # look-ups ---------------------------------------------------------------------------------------------------

    def pre_hire_by(self, id_type: str, value: str) -> PreHire | None:
        for pre_hire in self.pre_hires.values():
            if (id_type == "WID" and pre_hire.wid == value) or (
                id_type == "Applicant_ID" and pre_hire.applicant_id == value
            ):
                return pre_hire
        return None

    def worker_by(self, id_type: str, value: str) -> Worker | None:
        for worker in self.workers.values():
            if (id_type == "WID" and worker.wid == value) or (id_type == "Employee_ID" and worker.employee_id == value):
                return worker
        return None

    def new_applicant_id(self) -> str:
        while True:
            candidate = f"APPLICANT-{self._next_applicant:05d}"
            self._next_applicant += 1
            if self.pre_hire_by("Applicant_ID", candidate) is None:
                return candidate

    def new_employee_id(self) -> str:
        while True:
            candidate = str(self._next_employee)
            self._next_employee += 1
            if self.worker_by("Employee_ID", candidate) is None:
                return candidate

    # writes -----------------------------------------------------------------------------------------------------

    def add_pre_hire(self, applicant_id: str, data: Element) -> PreHire:
        now = _now()
        pre_hire = PreHire(new_wid(), applicant_id, copy.deepcopy(data), now, now)
        self.pre_hires[pre_hire.wid] = pre_hire
        return pre_hire

    def add_worker(self, worker: Worker) -> None:
        self.workers[worker.wid] = worker
        self.pre_hires[worker.pre_hire_wid].worker_wid = worker.wid
        position = self.positions[worker.position_id]
        position.worker_wid = worker.wid

    # admin views ------------------------------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every pre-hire and worker as stored (for ``/_sandbox/records``)."""
        with self._lock:
            out: list[dict[str, Any]] = []
            for p in self.pre_hires.values():
                first, last = p.name()
                out.append(
                    {
                        "kind": "pre_hire",
                        "wid": p.wid,
                        "applicantId": p.applicant_id,
                        "firstName": first,
                        "lastName": last,
                        "emails": p.emails(),
                        "hired": p.worker_wid is not None,
                        "workerWid": p.worker_wid,
                        "createdAt": p.created_at,
                        "updatedAt": p.updated_at,
                        "applicantData": etree.tostring(p.data, encoding="unicode"),
                    }
                )
            for w in self.workers.values():
                pre_hire = self.pre_hires[w.pre_hire_wid]
                out.append(
                    {
                        "kind": "worker",
                        "wid": w.wid,
                        "employeeId": w.employee_id,
                        "preHireWid": w.pre_hire_wid,
                        "applicantId": pre_hire.applicant_id,
                        "positionId": w.position_id,
                        "organizationId": w.organization_id,
                        "hireDate": w.hire_date,
                        "hireReasonId": w.hire_reason_id,
                        "employeeTypeId": w.employee_type_id,
                        "eventWid": w.event_wid,
                        "businessProcessCompleted": w.completed,
                        "hiredAt": w.hired_at,
                    }
                )
            return out

    def tenant(self) -> dict[str, Any]:
        """The tenant's configuration with the IDs a request can reference."""
        with self._lock:
            return {
                "organizations": [{"Organization_Reference_ID": o, "WID": w} for o, w in self.organizations.items()],
                "positions": [
                    {
                        "Position_ID": p.position_id,
                        "WID": p.wid,
                        "Organization_Reference_ID": p.organization_id,
                        "Job_Profile_ID": p.job_profile_id,
                        "Location_ID": p.location_id,
                        "Position_Time_Type_ID": p.time_type_id,
                        "filled": p.worker_wid is not None,
                    }
                    for p in self.positions.values()
                ],
                "jobRequisitions": [
                    {"Job_Requisition_ID": r.requisition_id, "WID": r.wid, "Position_ID": r.position_id, "open": r.open}
                    for r in self.requisitions.values()
                ],
                "hireReasons": [{"General_Event_Subcategory_ID": r, "WID": w} for r, w in self.hire_reasons.items()],
                "employeeTypes": [{"Employee_Type_ID": t, "WID": w} for t, w in self.employee_types.items()],
                "communicationUsageTypes": [{"Communication_Usage_Type_ID": u} for u in USAGE_TYPES],
            }
