"""The three Workday operations the simulator answers, after the request passed the pinned schema.

Each one checks what Workday checks beyond the schema (the wd:Validation messages that Workday's WSDL lists in
appinfo, copied into the XSD files) and answers the v31.2 response element. Sources per behaviour: ``app``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

from lxml import etree

from hirebridge.sandbox.workday.soap import (
    BSVC,
    VERSION,
    Element,
    Problem,
    ValidationFault,
    q,
    sequence_order,
    xpath_of,
)
from hirebridge.sandbox.workday.state import USAGE_TYPES, PreHire, WorkdayState, Worker

T = TypeVar("T")

LEGAL_NAME_REQUIRED = (
    "A legal name is required when adding an applicant.  Please include the Legal Name Data element when adding an "
    "applicant to the system for the first time."
)
CONTACT_REQUIRED = "At least one email address, phone number or address is required to create a new applicant."
EMAIL_FORMAT = "Email addresses must be in the format of 'xxx@yy.com'.  Valid examples: john.doe@aol.com, jane@aol.com."
ALREADY_HIRED = "Applicant has already been hired."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = {
    "ISO_3166-1_Alpha-2_Code": re.compile(r"^[A-Z]{2}$"),
    "ISO_3166-1_Alpha-3_Code": re.compile(r"^[A-Z]{3}$"),
    "ISO_3166-1_Numeric-3_Code": re.compile(r"^[0-9]{3}$"),
}
# Applicant_Data sections merged child by child on update; everything else a Put sends replaces what was there.
_MERGE = {"Applicant_Data": "Pre_Hire_Data_WWSType", "Personal_Data": "Personal_Information_DataType",
          "Contact_Data": "Contact_Information_DataType"}  # fmt: skip
_RESPONSE_GROUP = {
    "Personal_Data": "Include_Personal_Information",
    "Qualification_Data": "Include_Qualification_Profile",
    "Recruiting_Data": "Include_Recruiting_Information",
    "Resume_Data": "Include_Resume",
    "Background_Check_Data": "Include_Background_Check",
    "External_Integration_ID_Data": "Include_External_Integration_ID_Data",
}


def _local(el: Element) -> str:
    return etree.QName(el).localname


def _text(el: Element | None, name: str) -> str | None:
    if el is None:
        return None
    found = el.find(q(name))
    return None if found is None or found.text is None else found.text.strip()


def _flag(el: Element | None, name: str) -> bool | None:
    value = _text(el, name)
    return None if value is None else value in ("true", "1")


def invalid_id(value: str, id_type: str, where: Element) -> Problem:
    return Problem(f"Invalid ID value. '{value}' is not a valid ID value for type = '{id_type}'", xpath_of(where))


def resolve(ref: Element, lookups: dict[str, Callable[[str], T | None]], problems: list[Problem]) -> T | None:
    """The object a ``*_Reference`` names; each ID that names nothing is an "Invalid ID value" problem."""
    found: T | None = None
    for id_el in ref.findall(q("ID")):
        id_type, value = id_el.get(q("type"), ""), (id_el.text or "").strip()
        lookup = lookups.get(id_type)
        hit = lookup(value) if lookup is not None else None
        if hit is None:
            problems.append(invalid_id(value, id_type, ref))
            return None
        found = found or hit
    return found


def pre_hire_lookups(state: WorkdayState) -> dict[str, Callable[[str], PreHire | None]]:
    return {
        "WID": lambda v: state.pre_hire_by("WID", v),
        "Applicant_ID": lambda v: state.pre_hire_by("Applicant_ID", v),
    }


def _has_ids(ref: Element | None) -> bool:
    return ref is not None and ref.find(q("ID")) is not None


def reference(name: str, ids: list[tuple[str, str]], descriptor: str | None = None) -> Element:
    ref = etree.Element(q(name), nsmap={"wd": BSVC})
    if descriptor:
        ref.set(q("Descriptor"), descriptor)
    for id_type, value in ids:
        etree.SubElement(ref, q("ID"), {q("type"): id_type}).text = value
    return ref


def _copy_into(parent: Element, el: Element) -> Element:
    """Copy ``el`` under ``parent`` so that it takes the answer's ``wd`` prefix instead of the request's."""
    attrib = {str(k): str(v) for k, v in el.attrib.items()}
    out = etree.SubElement(parent, el.tag, attrib)
    out.text = el.text
    for child in el:
        if isinstance(child.tag, str):
            _copy_into(out, child)
    return out


def _merge(old: Element | None, new: Element, type_name: str) -> Element:
    """``new`` laid over ``old``: a child name ``new`` sends replaces that name's children (deeper for _MERGE)."""
    groups: dict[str, list[Element]] = {}
    for child in old if old is not None else []:
        groups.setdefault(_local(child), []).append(child)
    sent: dict[str, list[Element]] = {}
    for child in new:
        if isinstance(child.tag, str):
            sent.setdefault(_local(child), []).append(child)
    for name, children in sent.items():
        deeper = _MERGE.get(name)
        if deeper and name in groups and len(children) == 1:
            children = [_merge(groups[name][0], children[0], deeper)]
        groups[name] = children
    out = etree.Element(new.tag, {str(k): str(v) for k, v in new.attrib.items()}, nsmap={"wd": BSVC})
    order = sequence_order(type_name)
    for name in sorted(groups, key=lambda n: order.index(n) if n in order else len(order)):
        for child in groups[name]:
            _copy_into(out, child)
    return out


def _check_personal_data(data: Element, problems: list[Problem]) -> None:
    for detail in data.iter(q("Name_Detail_Data")):
        country = detail.find(q("Country_Reference"))
        for id_el in country.findall(q("ID")) if country is not None else []:
            id_type, value = id_el.get(q("type"), ""), (id_el.text or "").strip()
            pattern = _COUNTRY.get(id_type)
            if pattern is None or not pattern.match(value):
                problems.append(invalid_id(value, id_type, country))  # type: ignore[arg-type]
        if not _text(detail, "First_Name"):
            problems.append(Problem("First Name (or Local First Name if configured) is required for this country.",
                                    xpath_of(detail)))  # fmt: skip
        if not _text(detail, "Last_Name"):
            problems.append(Problem("Last Name (or Local Last Name if configured) is required for this country.",
                                    xpath_of(detail)))  # fmt: skip
    for email in data.iter(q("Email_Address_Data")):
        address = email.find(q("Email_Address"))
        if address is not None and not _EMAIL.match((address.text or "").strip()):
            problems.append(Problem(EMAIL_FORMAT, xpath_of(address)))
    for usage_type in data.iter(q("Type_Reference")):
        for id_el in usage_type.findall(q("ID")):
            id_type, value = id_el.get(q("type"), ""), (id_el.text or "").strip()
            if id_type != "Communication_Usage_Type_ID" or value not in USAGE_TYPES:
                problems.append(invalid_id(value, id_type, usage_type))


def _descriptor(pre_hire: PreHire) -> str:
    return " ".join(part for part in pre_hire.name() if part)


def put_applicant(state: WorkdayState, req: Element, descriptors: bool) -> Element:
    """Add a pre-hire, or update the one named by Applicant_Reference or by an Applicant_ID already in use."""
    problems: list[Problem] = []
    data = req.find(q("Applicant_Data"))
    assert data is not None  # required by the schema, checked before
    ref = req.find(q("Applicant_Reference"))
    applicant_id = _text(data, "Applicant_ID") or None
    with state.locked():
        target: PreHire | None = None
        if _has_ids(ref):
            assert ref is not None
            target = resolve(ref, pre_hire_lookups(state), problems)
        if target is None and not problems and applicant_id:
            target = state.pre_hire_by("Applicant_ID", applicant_id)
        elif (
            target is not None
            and applicant_id
            and applicant_id != target.applicant_id
            and state.pre_hire_by("Applicant_ID", applicant_id) is not None
        ):
            where = data.find(q("Applicant_ID"))
            message = f"The Applicant ID '{applicant_id}' is already in use by another pre-hire."
            problems.append(Problem(message, xpath_of(where if where is not None else data)))
        _check_personal_data(data, problems)
        if target is None and not problems:
            personal = data.find(q("Personal_Data"))
            if personal is None or personal.find(f"{q('Name_Data')}/{q('Legal_Name_Data')}") is None:
                problems.append(Problem(LEGAL_NAME_REQUIRED, xpath_of(data)))
            contact = personal.find(q("Contact_Data")) if personal is not None else None
            kinds = ("Email_Address_Data", "Phone_Data", "Address_Data")
            if contact is None or not any(contact.find(q(k)) is not None for k in kinds):
                problems.append(Problem(CONTACT_REQUIRED, xpath_of(data)))
        if problems:
            raise ValidationFault(problems)
        sent = copy.deepcopy(data)
        for el in sent.findall(q("Applicant_ID")):
            sent.remove(el)
        if target is None:
            target = state.add_pre_hire(
                applicant_id or state.new_applicant_id(), _merge(None, sent, _MERGE["Applicant_Data"])
            )
        else:
            target.data = _merge(target.data, sent, _MERGE["Applicant_Data"])
            target.applicant_id = applicant_id or target.applicant_id
            target.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
        answer = etree.Element(q("Put_Applicant_Response"), {q("version"): VERSION}, nsmap={"wd": BSVC})
        answer.append(_applicant_reference(target, descriptors))
        return answer


def _applicant_reference(pre_hire: PreHire, descriptors: bool) -> Element:
    ids = [("WID", pre_hire.wid), ("Applicant_ID", pre_hire.applicant_id)]
    return reference("Applicant_Reference", ids, _descriptor(pre_hire) if descriptors else None)


def _page_and_count(req: Element, problems: list[Problem]) -> tuple[int, int]:
    flt = req.find(q("Response_Filter"))
    page_text, count_text = _text(flt, "Page"), _text(flt, "Count")
    page = math.floor(float(page_text)) if page_text else 1
    count = math.floor(float(count_text)) if count_text else 100
    if page_text and page == 0:
        problems.append(Problem("Page Number cannot be zero.", xpath_of(flt.find(q("Page")))))  # type: ignore[union-attr,arg-type]
    elif page < 0:
        problems.append(Problem("Page must be a positive number.", xpath_of(flt.find(q("Page")))))  # type: ignore[union-attr,arg-type]
    if not 1 <= count <= 999:
        problems.append(Problem("Count must be between 1 and 999.", xpath_of(flt.find(q("Count")))))  # type: ignore[union-attr,arg-type]
    return max(page, 1), count


def get_applicants(state: WorkdayState, req: Element, descriptors: bool) -> Element:
    """Pre-hires by reference, by criteria (all must match), or all of them; paged by Response_Filter."""
    problems: list[Problem] = []
    page, count = _page_and_count(req, problems)
    refs = req.find(q("Request_References"))
    criteria = req.find(q("Request_Criteria"))
    with state.locked():
        lookups = pre_hire_lookups(state)
        if refs is not None:
            found = [resolve(r, lookups, problems) for r in refs.findall(q("Applicant_Reference"))]
            matches = [p for p in found if p is not None]
        else:
            matches = list(state.pre_hires.values())
            if criteria is not None:
                matches = _criteria(state, criteria, matches, problems)
        if problems:
            raise ValidationFault(problems)
        total = len(matches)
        pages = math.ceil(total / count)
        shown = matches[(page - 1) * count : page * count]
        answer = etree.Element(q("Get_Applicants_Response"), {q("version"): VERSION}, nsmap={"wd": BSVC})
        for echoed in (refs, criteria):
            if echoed is not None:
                _copy_into(answer, echoed)
        flt = etree.SubElement(answer, q("Response_Filter"))
        etree.SubElement(flt, q("As_Of_Effective_Date")).text = date.today().isoformat()
        etree.SubElement(flt, q("As_Of_Entry_DateTime")).text = datetime.now(UTC).isoformat(timespec="seconds")
        etree.SubElement(flt, q("Page")).text = str(page)
        etree.SubElement(flt, q("Count")).text = str(count)
        group = req.find(q("Response_Group"))
        if group is not None:
            _copy_into(answer, group)
        results = etree.SubElement(answer, q("Response_Results"))
        for name, value in (("Total_Results", total), ("Total_Pages", pages), ("Page_Results", len(shown)),
                            ("Page", page)):  # fmt: skip
            etree.SubElement(results, q(name)).text = str(value)
        data = etree.SubElement(answer, q("Response_Data"))
        for pre_hire in shown:
            data.append(_applicant(pre_hire, group, descriptors))
        return answer


def _criteria(
    state: WorkdayState, criteria: Element, pre_hires: list[PreHire], problems: list[Problem]
) -> list[PreHire]:
    """Every criterion sent must match ("the result set will become more limited with every criterium")."""
    email = _text(criteria, "Email_Address")
    if email is not None:
        wanted = email.casefold()  # "The search index used to query on this value is not case-sensitive."
        pre_hires = [p for p in pre_hires if any(e.casefold() == wanted for e in p.emails())]
    worker_ref = criteria.find(q("Worker_Reference"))
    if _has_ids(worker_ref):
        assert worker_ref is not None
        worker_lookups: dict[str, Callable[[str], Worker | None]] = {
            "WID": lambda v: state.worker_by("WID", v),
            "Employee_ID": lambda v: state.worker_by("Employee_ID", v),
        }
        worker = resolve(worker_ref, worker_lookups, problems)
        pre_hires = [p for p in pre_hires if worker is not None and p.wid == worker.pre_hire_wid]
    former = criteria.find(q("Former_Worker_Reference"))
    if _has_ids(former):
        assert former is not None
        resolve(former, {}, problems)  # the simulated tenant has no former workers
    return pre_hires


def _applicant(pre_hire: PreHire, group: Element | None, descriptors: bool) -> Element:
    applicant = etree.Element(q("Applicant"), nsmap={"wd": BSVC})
    if group is None or _flag(group, "Include_Reference") is not False:
        applicant.append(_applicant_reference(pre_hire, descriptors))
    data = etree.SubElement(applicant, q("Applicant_Data"))
    etree.SubElement(data, q("Applicant_ID")).text = pre_hire.applicant_id
    for child in pre_hire.data:
        flag = _RESPONSE_GROUP.get(_local(child))
        if group is None or (flag is not None and _flag(group, flag)):
            _copy_into(data, child)
    return applicant
