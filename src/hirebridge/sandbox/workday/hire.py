"""``Hire_Employee``: a pre-hire becomes an employee with its own WID and Employee_ID. Sources: ``app``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from lxml import etree

from hirebridge.sandbox.workday.operations import ALREADY_HIRED, _text, reference, resolve
from hirebridge.sandbox.workday.soap import BSVC, VERSION, Element, Problem, ValidationFault, q, xpath_of
from hirebridge.sandbox.workday.state import Position, PreHire, Requisition, WorkdayState, Worker, new_wid

NOT_IN_ORGANIZATION = (
    "The position or headcount group specified is either not in the organization specified or is not fillable or the "
    "organization is not job management enabled."
)
ORGANIZATION_REQUIRED = (
    "The supervisory organization must be entered or be derivable from the Position Reference or Headcount Reference."
)
POSITION_OCCUPIED = "This position is occupied by someone else as of the Effective Date."
REQUISITION_NOT_OPEN = "The job requisition is not open."
HIRE_DATE_REQUIRED = "The Hire Date is required."
EMPLOYEE_TYPE_REQUIRED = "Employee Type is required for an employee."
FIRST_DAY_BEFORE_HIRE = "First day of work cannot be earlier than hire date."
NOT_MODELLED = "sandbox: hiring from {0} is not simulated; send Applicant_Reference to an existing pre-hire."


T = TypeVar("T")


def _known(table: dict[str, str]) -> Callable[[str], str | None]:
    return lambda v: v if v in table else None


def _by_wid(table: dict[str, str]) -> Callable[[str], str | None]:
    return lambda v: next((key for key, wid in table.items() if wid == v), None)


def _lookups(table: dict[str, T], wid_of: Callable[[T], str], id_type: str) -> dict[str, Callable[[str], T | None]]:
    return {
        id_type: table.get,
        "WID": lambda v: next((item for item in table.values() if wid_of(item) == v), None),
    }


def hire_employee(state: WorkdayState, req: Element) -> Element:
    problems: list[Problem] = []
    data = req.find(q("Hire_Employee_Data"))
    assert data is not None  # required by the schema
    where = xpath_of(data)
    params = req.find(q("Business_Process_Parameters"))
    completed = _text(params, "Auto_Complete") in ("true", "1")
    with state.locked():
        pre_hire = _who(state, data, problems)
        if pre_hire is not None and pre_hire.worker_wid is not None:
            problems.append(Problem(ALREADY_HIRED, where))
        requisition: Requisition | None = None
        position: Position | None = None
        req_ref = data.find(q("Job_Requisition_Reference"))
        if req_ref is not None:
            requisition = resolve(req_ref, _lookups(state.requisitions, lambda r: r.wid, "Job_Requisition_ID"),
                                  problems)  # fmt: skip
            if requisition is not None and not requisition.open:
                problems.append(Problem(REQUISITION_NOT_OPEN, xpath_of(req_ref)))
            position = state.positions[requisition.position_id] if requisition is not None else None
        pos_ref = data.find(q("Position_Reference"))
        if pos_ref is not None:
            position = resolve(pos_ref, _lookups(state.positions, lambda p: p.wid, "Position_ID"), problems)
        org_ref = data.find(q("Organization_Reference"))
        organization: str | None = None
        if org_ref is not None:
            orgs = state.organizations
            organization = resolve(org_ref, {"Organization_Reference_ID": _known(orgs), "WID": _by_wid(orgs)}, problems)
        elif position is not None:
            organization = position.organization_id
        elif req_ref is None and pos_ref is None:
            problems.append(Problem(ORGANIZATION_REQUIRED, where))
        if position is None and req_ref is None and pos_ref is None:
            problems.append(Problem(NOT_IN_ORGANIZATION, where))
        if position is not None and organization is not None and position.organization_id != organization:
            problems.append(Problem(NOT_IN_ORGANIZATION, where))
        if position is not None and position.worker_wid is not None:
            problems.append(Problem(POSITION_OCCUPIED, where))
        hire_date = _text(data, "Hire_Date")
        if not hire_date:
            problems.append(Problem(HIRE_DATE_REQUIRED, where))
        event = data.find(q("Hire_Employee_Event_Data"))
        assert event is not None  # required by the schema
        employee_id, reason, employee_type = _event(state, event, hire_date, problems)
        if problems or pre_hire is None or position is None or organization is None or employee_type is None:
            raise ValidationFault(problems)
        worker = Worker(
            wid=new_wid(),
            employee_id=employee_id or state.new_employee_id(),
            pre_hire_wid=pre_hire.wid,
            position_id=position.position_id,
            organization_id=organization,
            hire_date=str(hire_date),
            hire_reason_id=reason,
            employee_type_id=employee_type,
            event_wid=new_wid(),
            completed=completed,
            hired_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        state.add_worker(worker)
        for open_requisition in state.requisitions.values():
            if open_requisition.position_id == position.position_id:
                open_requisition.open = False
        answer = etree.Element(q("Hire_Employee_Event_Response"), {q("version"): VERSION}, nsmap={"wd": BSVC})
        answer.append(reference("Event_Reference", [("WID", worker.event_wid)]))
        answer.append(reference("Employee_Reference", [("WID", worker.wid), ("Employee_ID", worker.employee_id)]))
        answer.append(reference("Position_Reference", [("WID", position.wid), ("Position_ID", position.position_id)]))
        answer.append(
            reference("Applicant_Reference", [("WID", pre_hire.wid), ("Applicant_ID", pre_hire.applicant_id)])
        )
        return answer


def _who(state: WorkdayState, data: Element, problems: list[Problem]) -> PreHire | None:
    ref = data.find(q("Applicant_Reference"))
    if ref is None:
        chosen = next(c for c in data if isinstance(c.tag, str))
        problems.append(Problem(NOT_MODELLED.format(etree.QName(chosen).localname), xpath_of(chosen)))
        return None
    return resolve(ref, {"WID": lambda v: state.pre_hire_by("WID", v),
                         "Applicant_ID": lambda v: state.pre_hire_by("Applicant_ID", v)}, problems)  # fmt: skip


def _event(
    state: WorkdayState, event: Element, hire_date: str | None, problems: list[Problem]
) -> tuple[str | None, str | None, str | None]:
    """(Employee_ID asked for, hire reason ID, employee type ID) from Hire_Employee_Event_Data."""
    employee_id = _text(event, "Employee_ID") or None
    if employee_id is not None:
        holder = state.worker_by("Employee_ID", employee_id)
        if holder is not None:
            first, last = state.pre_hires[holder.pre_hire_wid].name()
            problems.append(Problem(f"Enter a unique Employee ID. The ID is already in use by {first} {last}.".strip(),
                                    xpath_of(event.find(q("Employee_ID")))))  # type: ignore[arg-type]  # fmt: skip
    reason: str | None = None
    reason_ref = event.find(q("Hire_Reason_Reference"))
    if reason_ref is not None:
        reasons = state.hire_reasons
        reason = resolve(reason_ref, {"General_Event_Subcategory_ID": _known(reasons),
                                      "Event_Classification_Subcategory_ID": _known(reasons),
                                      "WID": _by_wid(reasons)}, problems)  # fmt: skip
    employee_type: str | None = None
    type_ref = event.find(q("Employee_Type_Reference"))
    if type_ref is None or type_ref.find(q("ID")) is None:
        problems.append(Problem(EMPLOYEE_TYPE_REQUIRED, xpath_of(event)))
    else:
        types = state.employee_types
        employee_type = resolve(type_ref, {"Employee_Type_ID": _known(types), "WID": _by_wid(types)}, problems)
    first_day = _text(event, "First_Day_of_Work")
    if first_day and hire_date and first_day < hire_date:
        problems.append(Problem(FIRST_DAY_BEFORE_HIRE, xpath_of(event.find(q("First_Day_of_Work")))))  # type: ignore[arg-type]
    return employee_id, reason, employee_type
