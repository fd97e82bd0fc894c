"""The Workday (SOAP, v31.2) simulator on a real socket, driven with raw XML written from Workday's published shapes
(the v31.2 WSDL types as go-workday generated them, Workday's v26.1 WSDL), not from any connector.

Every answer that is not a fault is also checked against the pinned XSD files, as a client would check it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from hirebridge.sandbox.workday.app import create_app
from tests.support.servers import serve

SPECS = Path(__file__).resolve().parents[2] / "src" / "hirebridge" / "specs" / "workday" / "v31.2"
NS = {
    "env": "http://schemas.xmlsoap.org/soap/envelope/",
    "wd": "urn:com.workday/bsvc",
}
TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
STAFFING = "/ccx/service/demo/Staffing/v31.2"
RECRUITING = "/ccx/service/demo/Recruiting/v31.2"


USER, PASSWORD = "ISU_HIREBRIDGE@demo", "sandbox-password"


def envelope(body: str, user: str = USER, password: str = PASSWORD, kind: str = TEXT) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:bsvc="urn:com.workday/bsvc">
 <soapenv:Header>
  <wsse:Security soapenv:mustUnderstand="1"
     xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
   <wsse:UsernameToken>
    <wsse:Username>{user}</wsse:Username>
    <wsse:Password Type="{kind}">{password}</wsse:Password>
   </wsse:UsernameToken>
  </wsse:Security>
 </soapenv:Header>
 <soapenv:Body>{body}</soapenv:Body>
</soapenv:Envelope>"""


def applicant_data(
    first: str = "Jane", last: str = "Doe", email: str = "jane@example.com", applicant_id: str | None = None
) -> str:
    id_xml = f"<bsvc:Applicant_ID>{applicant_id}</bsvc:Applicant_ID>" if applicant_id else ""
    return f"""<bsvc:Applicant_Data>{id_xml}
   <bsvc:Personal_Data>
    <bsvc:Name_Data><bsvc:Legal_Name_Data><bsvc:Name_Detail_Data>
     <bsvc:Country_Reference><bsvc:ID bsvc:type="ISO_3166-1_Alpha-2_Code">US</bsvc:ID></bsvc:Country_Reference>
     <bsvc:First_Name>{first}</bsvc:First_Name><bsvc:Last_Name>{last}</bsvc:Last_Name>
    </bsvc:Name_Detail_Data></bsvc:Legal_Name_Data></bsvc:Name_Data>
    <bsvc:Contact_Data><bsvc:Email_Address_Data>
     <bsvc:Email_Address>{email}</bsvc:Email_Address>
     <bsvc:Usage_Data bsvc:Public="false"><bsvc:Type_Data bsvc:Primary="true"><bsvc:Type_Reference>
      <bsvc:ID bsvc:type="Communication_Usage_Type_ID">HOME</bsvc:ID></bsvc:Type_Reference></bsvc:Type_Data>
     </bsvc:Usage_Data>
    </bsvc:Email_Address_Data></bsvc:Contact_Data>
   </bsvc:Personal_Data>
  </bsvc:Applicant_Data>"""


def put_applicant(data: str, reference: str = "") -> str:
    return f'<bsvc:Put_Applicant_Request bsvc:version="v31.2">{reference}{data}</bsvc:Put_Applicant_Request>'


def applicant_reference(id_type: str, value: str) -> str:
    return f'<bsvc:Applicant_Reference><bsvc:ID bsvc:type="{id_type}">{value}</bsvc:ID></bsvc:Applicant_Reference>'


def get_by_email(email: str) -> str:
    return f"""<bsvc:Get_Applicants_Request bsvc:version="v31.2">
 <bsvc:Request_Criteria><bsvc:Email_Address>{email}</bsvc:Email_Address></bsvc:Request_Criteria>
 <bsvc:Response_Group><bsvc:Include_Reference>true</bsvc:Include_Reference>
  <bsvc:Include_Personal_Information>true</bsvc:Include_Personal_Information></bsvc:Response_Group>
</bsvc:Get_Applicants_Request>"""


def hire(applicant: str, position: str = "P-00101", hire_date: str = "2027-01-04", employee_id: str = "") -> str:
    employee_id_xml = f"<bsvc:Employee_ID>{employee_id}</bsvc:Employee_ID>" if employee_id else ""
    return f"""<bsvc:Hire_Employee_Request bsvc:version="v31.2">
 <bsvc:Business_Process_Parameters><bsvc:Auto_Complete>true</bsvc:Auto_Complete><bsvc:Run_Now>true</bsvc:Run_Now>
 </bsvc:Business_Process_Parameters>
 <bsvc:Hire_Employee_Data>
  {applicant}
  <bsvc:Position_Reference><bsvc:ID bsvc:type="Position_ID">{position}</bsvc:ID></bsvc:Position_Reference>
  <bsvc:Hire_Date>{hire_date}</bsvc:Hire_Date>
  <bsvc:Hire_Employee_Event_Data>{employee_id_xml}
   <bsvc:Hire_Reason_Reference>
    <bsvc:ID bsvc:type="General_Event_Subcategory_ID">Hire_Employee_New_Hire_Fill_Vacancy</bsvc:ID>
   </bsvc:Hire_Reason_Reference>
   <bsvc:Employee_Type_Reference><bsvc:ID bsvc:type="Employee_Type_ID">Regular</bsvc:ID></bsvc:Employee_Type_Reference>
   <bsvc:Position_Details/>
  </bsvc:Hire_Employee_Event_Data>
 </bsvc:Hire_Employee_Data>
</bsvc:Hire_Employee_Request>"""


def call(client: httpx.Client, body: str, path: str = STAFFING, **kwargs: Any) -> httpx.Response:
    return client.post(path, content=envelope(body, **kwargs), headers={"Content-Type": 'text/xml; charset="utf-8"'})


def answer(response: httpx.Response, service: str = "Staffing") -> Any:
    """The element in the Body of a 200 answer, after checking it against the service's pinned XSD."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    payload = root.find("env:Body", NS)[0]
    schema = etree.XMLSchema(etree.parse(str(SPECS / f"{service}.xsd")))
    schema.assertValid(etree.fromstring(etree.tostring(payload)))
    return payload


def fault(response: httpx.Response) -> tuple[str, str, list[tuple[str, str]]]:
    """(faultcode, faultstring, [(Message, Xpath)]) of a SOAP fault answer."""
    assert response.status_code == 500, response.text
    root = etree.fromstring(response.content)
    found = root.find("env:Body/env:Fault", NS)
    errors = [
        (e.findtext("wd:Message", namespaces=NS), e.findtext("wd:Xpath", namespaces=NS))
        for e in found.iterfind("detail/wd:Validation_Fault/wd:Validation_Error", NS)
    ]
    return found.findtext("faultcode"), found.findtext("faultstring"), errors


def ids(reference: Any) -> dict[str, str]:
    return {i.get(f"{{{NS['wd']}}}type"): i.text for i in reference.iterfind("wd:ID", NS)}


def records(client: httpx.Client, kind: str) -> list[dict[str, Any]]:
    return [r for r in client.get("/_sandbox/records").json()["records"] if r["kind"] == kind]


@pytest.fixture
def workday() -> Iterator[httpx.Client]:
    """A fresh simulator (tenant ``demo``, user ``ISU_HIREBRIDGE@demo``) and a plain HTTP client for it."""
    with serve(create_app(seed=11)) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def create(client: httpx.Client, **kwargs: Any) -> dict[str, str]:
    payload = answer(call(client, put_applicant(applicant_data(**kwargs))))
    return ids(payload.find("wd:Applicant_Reference", NS))


# Put_Applicant ----------------------------------------------------------------------------------------------------


def test_put_applicant_creates_a_pre_hire_with_a_wid_and_an_applicant_id(workday: httpx.Client) -> None:
    payload = answer(call(workday, put_applicant(applicant_data())))

    assert etree.QName(payload).localname == "Put_Applicant_Response"
    assert payload.get(f"{{{NS['wd']}}}version") == "v31.2"
    reference = ids(payload.find("wd:Applicant_Reference", NS))
    assert re.fullmatch(r"[0-9a-f]{32}", reference["WID"])
    assert reference["Applicant_ID"]
    [stored] = records(workday, "pre_hire")
    assert (stored["wid"], stored["applicantId"]) == (reference["WID"], reference["Applicant_ID"])
    assert (stored["firstName"], stored["lastName"], stored["emails"]) == ("Jane", "Doe", ["jane@example.com"])


def test_put_applicant_with_an_applicant_id_in_use_updates_that_pre_hire(workday: httpx.Client) -> None:
    first = create(workday, applicant_id="HB-0001")
    second = create(workday, applicant_id="HB-0001", last="Roe")

    assert second == first == {"WID": first["WID"], "Applicant_ID": "HB-0001"}
    [stored] = records(workday, "pre_hire")
    assert (stored["lastName"], stored["emails"]) == ("Roe", ["jane@example.com"])


def test_put_applicant_with_a_reference_updates_only_the_sections_sent(workday: httpx.Client) -> None:
    created = create(workday)
    email_only = """<bsvc:Applicant_Data><bsvc:Personal_Data><bsvc:Contact_Data><bsvc:Email_Address_Data>
      <bsvc:Email_Address>jane.doe@example.org</bsvc:Email_Address>
      <bsvc:Usage_Data><bsvc:Type_Data bsvc:Primary="true"><bsvc:Type_Reference>
       <bsvc:ID bsvc:type="Communication_Usage_Type_ID">WORK</bsvc:ID></bsvc:Type_Reference></bsvc:Type_Data>
      </bsvc:Usage_Data></bsvc:Email_Address_Data></bsvc:Contact_Data></bsvc:Personal_Data></bsvc:Applicant_Data>"""

    payload = answer(call(workday, put_applicant(email_only, applicant_reference("WID", created["WID"]))))

    assert ids(payload.find("wd:Applicant_Reference", NS)) == created
    [stored] = records(workday, "pre_hire")
    assert (stored["firstName"], stored["emails"]) == ("Jane", ["jane.doe@example.org"])


def test_put_applicant_with_an_unknown_reference_is_an_invalid_id_fault(workday: httpx.Client) -> None:
    response = call(workday, put_applicant(applicant_data(), applicant_reference("Applicant_ID", "NOPE-1")))

    code, text, errors = fault(response)
    assert code == "SOAP-ENV:Client.validationError"
    message = "Invalid ID value. 'NOPE-1' is not a valid ID value for type = 'Applicant_ID'"
    assert text == f"Validation error occurred. {message}"
    assert errors == [(message, "/bsvc:Put_Applicant_Request[1]/bsvc:Applicant_Reference[1]")]
    assert records(workday, "pre_hire") == []


def test_a_request_the_schema_refuses_gets_workdays_validation_fault_with_the_xpath(workday: httpx.Client) -> None:
    no_country = applicant_data().replace(
        '<bsvc:Country_Reference><bsvc:ID bsvc:type="ISO_3166-1_Alpha-2_Code">US</bsvc:ID></bsvc:Country_Reference>', ""
    )

    code, text, errors = fault(call(workday, put_applicant(no_country)))

    assert code == "SOAP-ENV:Client.validationError"
    assert text.startswith("Validation error occurred. Element 'First_Name': This element is not expected.")
    [(message, xpath)] = errors
    assert "Expected is ( Country_Reference )" in message
    assert xpath == (
        "/bsvc:Put_Applicant_Request[1]/bsvc:Applicant_Data[1]/bsvc:Personal_Data[1]/bsvc:Name_Data[1]"
        "/bsvc:Legal_Name_Data[1]/bsvc:Name_Detail_Data[1]/bsvc:First_Name[1]"
    )
    assert records(workday, "pre_hire") == []


def test_a_new_pre_hire_needs_a_legal_name_and_a_way_to_reach_them(workday: httpx.Client) -> None:
    bare = "<bsvc:Applicant_Data><bsvc:Applicant_ID>HB-9</bsvc:Applicant_ID></bsvc:Applicant_Data>"

    code, _, errors = fault(call(workday, put_applicant(bare)))

    assert code == "SOAP-ENV:Client.validationError"
    assert [m for m, _ in errors] == [
        "A legal name is required when adding an applicant.  Please include the Legal Name Data element when adding "
        "an applicant to the system for the first time.",
        "At least one email address, phone number or address is required to create a new applicant.",
    ]
    assert {x for _, x in errors} == {"/bsvc:Put_Applicant_Request[1]/bsvc:Applicant_Data[1]"}


def test_a_malformed_email_and_an_unknown_usage_type_are_refused(workday: httpx.Client) -> None:
    data = applicant_data(email="not-an-email").replace(">HOME<", ">PLANET<")

    _, _, errors = fault(call(workday, put_applicant(data)))

    messages = [m for m, _ in errors]
    email_format = (
        "Email addresses must be in the format of 'xxx@yy.com'.  Valid examples: john.doe@aol.com, jane@aol.com."
    )
    assert email_format in messages
    assert "Invalid ID value. 'PLANET' is not a valid ID value for type = 'Communication_Usage_Type_ID'" in messages


# Get_Applicants ---------------------------------------------------------------------------------------------------


def test_get_applicants_by_email_is_exact_and_not_case_sensitive(workday: httpx.Client) -> None:
    jane = create(workday)
    create(workday, first="John", email="john@example.com")

    payload = answer(call(workday, get_by_email("JANE@Example.com")))

    assert payload.findtext("wd:Response_Results/wd:Total_Results", namespaces=NS) == "1"
    [applicant] = payload.findall("wd:Response_Data/wd:Applicant", NS)
    assert ids(applicant.find("wd:Applicant_Reference", NS)) == jane
    assert applicant.findtext("wd:Applicant_Data/wd:Applicant_ID", namespaces=NS) == jane["Applicant_ID"]
    detail = "wd:Applicant_Data/wd:Personal_Data/wd:Name_Data/wd:Legal_Name_Data/wd:Name_Detail_Data/wd:First_Name"
    assert applicant.findtext(detail, namespaces=NS) == "Jane"
    partial = answer(call(workday, get_by_email("jane@example")))
    assert partial.findtext("wd:Response_Results/wd:Total_Results", namespaces=NS) == "0"
    assert partial.findall("wd:Response_Data/wd:Applicant", NS) == []


def test_get_applicants_by_reference_and_an_unknown_reference(workday: httpx.Client) -> None:
    jane = create(workday, applicant_id="HB-0007")
    by_reference = (
        '<bsvc:Get_Applicants_Request bsvc:version="v31.2"><bsvc:Request_References>'
        + applicant_reference("Applicant_ID", "HB-0007")
        + "</bsvc:Request_References></bsvc:Get_Applicants_Request>"
    )

    payload = answer(call(workday, by_reference))
    [applicant] = payload.findall("wd:Response_Data/wd:Applicant", NS)
    assert ids(applicant.find("wd:Applicant_Reference", NS)) == jane

    _, _, errors = fault(call(workday, by_reference.replace("HB-0007", "HB-0008")))
    assert errors == [
        (
            "Invalid ID value. 'HB-0008' is not a valid ID value for type = 'Applicant_ID'",
            "/bsvc:Get_Applicants_Request[1]/bsvc:Request_References[1]/bsvc:Applicant_Reference[1]",
        )
    ]


def test_get_applicants_pages_with_the_response_filter(workday: httpx.Client) -> None:
    for n in range(3):
        create(workday, email=f"p{n}@example.com")
    paged = """<bsvc:Get_Applicants_Request bsvc:version="v31.2"><bsvc:Response_Filter>
      <bsvc:Page>2</bsvc:Page><bsvc:Count>2</bsvc:Count></bsvc:Response_Filter></bsvc:Get_Applicants_Request>"""

    payload = answer(call(workday, paged))

    results = {c.tag.split("}")[1]: c.text for c in payload.find("wd:Response_Results", NS)}
    assert results == {"Total_Results": "3", "Total_Pages": "2", "Page_Results": "1", "Page": "2"}
    _, _, errors = fault(call(workday, paged.replace("<bsvc:Page>2", "<bsvc:Page>0")))
    assert [m for m, _ in errors] == ["Page Number cannot be zero."]


# Hire_Employee ----------------------------------------------------------------------------------------------------


def test_hire_employee_turns_the_pre_hire_into_a_worker_with_its_own_ids(workday: httpx.Client) -> None:
    jane = create(workday)

    payload = answer(call(workday, hire(applicant_reference("WID", jane["WID"]))))

    assert etree.QName(payload).localname == "Hire_Employee_Event_Response"
    employee = ids(payload.find("wd:Employee_Reference", NS))
    assert re.fullmatch(r"[0-9a-f]{32}", employee["WID"])
    assert employee["WID"] != jane["WID"]
    assert employee["Employee_ID"].isdigit()
    assert ids(payload.find("wd:Applicant_Reference", NS)) == jane
    assert ids(payload.find("wd:Position_Reference", NS))["Position_ID"] == "P-00101"
    assert re.fullmatch(r"[0-9a-f]{32}", ids(payload.find("wd:Event_Reference", NS))["WID"])
    [worker] = records(workday, "worker")
    assert (worker["wid"], worker["employeeId"], worker["preHireWid"]) == (
        employee["WID"],
        employee["Employee_ID"],
        jane["WID"],
    )
    assert [p["hired"] for p in records(workday, "pre_hire")] == [True]
    by_worker = f"""<bsvc:Get_Applicants_Request><bsvc:Request_Criteria><bsvc:Worker_Reference>
      <bsvc:ID bsvc:type="Employee_ID">{employee["Employee_ID"]}</bsvc:ID></bsvc:Worker_Reference>
      </bsvc:Request_Criteria></bsvc:Get_Applicants_Request>"""
    [found] = answer(call(workday, by_worker)).findall("wd:Response_Data/wd:Applicant", NS)
    assert ids(found.find("wd:Applicant_Reference", NS)) == jane


def test_hiring_an_already_hired_pre_hire_is_a_validation_fault(workday: httpx.Client) -> None:
    jane = create(workday, applicant_id="HB-0042")
    answer(call(workday, hire(applicant_reference("Applicant_ID", "HB-0042"), employee_id="HB-E-42")))

    response = call(workday, hire(applicant_reference("WID", jane["WID"]), position="P-00102"))

    code, text, errors = fault(response)
    assert code == "SOAP-ENV:Client.validationError"
    assert text == "Validation error occurred. Applicant has already been hired."
    where = "/bsvc:Hire_Employee_Request[1]/bsvc:Hire_Employee_Data[1]"
    assert errors == [("Applicant has already been hired.", where)]
    assert [w["employeeId"] for w in records(workday, "worker")] == ["HB-E-42"]


def test_hire_checks_position_employee_id_and_employee_type(workday: httpx.Client) -> None:
    first, second = create(workday, email="a@example.com"), create(workday, email="b@example.com")
    answer(call(workday, hire(applicant_reference("WID", first["WID"]), employee_id="E-1")))

    request = hire(applicant_reference("WID", second["WID"]), employee_id="E-1").replace(
        '<bsvc:Employee_Type_Reference><bsvc:ID bsvc:type="Employee_Type_ID">Regular</bsvc:ID>'
        "</bsvc:Employee_Type_Reference>",
        "",
    )
    _, _, errors = fault(call(workday, request))

    assert [m for m, _ in errors] == [
        "This position is occupied by someone else as of the Effective Date.",
        "Enter a unique Employee ID. The ID is already in use by Jane Doe.",
        "Employee Type is required for an employee.",
    ]
    assert len(records(workday, "worker")) == 1


def test_a_hire_date_that_is_not_a_date_is_refused_by_the_schema(workday: httpx.Client) -> None:
    jane = create(workday)

    _, _, errors = fault(call(workday, hire(applicant_reference("WID", jane["WID"]), hire_date="next monday")))

    [(message, xpath)] = errors
    assert "'next monday' is not a valid value of the atomic type 'xs:date'" in message
    assert xpath == "/bsvc:Hire_Employee_Request[1]/bsvc:Hire_Employee_Data[1]/bsvc:Hire_Date[1]"


def test_recruiting_serves_the_applicant_operations_but_not_the_hire(workday: httpx.Client) -> None:
    payload = answer(call(workday, put_applicant(applicant_data()), path=RECRUITING), service="Recruiting")
    jane = ids(payload.find("wd:Applicant_Reference", NS))

    code, _, errors = fault(call(workday, hire(applicant_reference("WID", jane["WID"])), path=RECRUITING))

    assert code == "SOAP-ENV:Client.validationError"
    assert "No matching global declaration available for the validation root" in errors[0][0]
    assert records(workday, "worker") == []


def test_hire_into_a_job_requisition_closes_it_and_checks_the_organization(workday: httpx.Client) -> None:
    create(workday, applicant_id="HB-R1")
    by_requisition = hire(applicant_reference("Applicant_ID", "HB-R1")).replace(
        '<bsvc:Position_Reference><bsvc:ID bsvc:type="Position_ID">P-00101</bsvc:ID></bsvc:Position_Reference>',
        '<bsvc:Organization_Reference><bsvc:ID bsvc:type="Organization_Reference_ID">SUP_ORG_ENGINEERING</bsvc:ID>'
        '</bsvc:Organization_Reference><bsvc:Job_Requisition_Reference><bsvc:ID bsvc:type="Job_Requisition_ID">'
        "R-00012</bsvc:ID></bsvc:Job_Requisition_Reference>",
    )

    _, _, errors = fault(call(workday, by_requisition))
    assert [m for m, _ in errors] == [
        "The position or headcount group specified is either not in the organization specified or is not fillable "
        "or the organization is not job management enabled."
    ]

    payload = answer(call(workday, by_requisition.replace("SUP_ORG_ENGINEERING", "SUP_ORG_SALES")))
    assert ids(payload.find("wd:Position_Reference", NS))["Position_ID"] == "P-00202"
    requisitions = {
        r["Job_Requisition_ID"]: r["open"] for r in workday.get("/_sandbox/tenant").json()["jobRequisitions"]
    }
    assert requisitions == {"R-00011": True, "R-00012": False}
