"""SOAP 1.1 plumbing of the Workday simulator: safe parsing, the pinned XSDs, Workday-style XPaths, envelopes, faults.

The schemas are the files under ``src/hirebridge/specs/workday/v31.2`` (the vendor's types, shared with nothing else
in this package but read from the same files as anyone else who validates Workday messages). Nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

VERSION = "v31.2"
BSVC = "urn:com.workday/bsvc"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"  # noqa: S105 - a URI
SPECS = Path(__file__).resolve().parents[2] / "specs" / "workday" / VERSION
SERVICES = ("Staffing", "Recruiting")
MAX_BODY_BYTES = 1024 * 1024
MAX_ERRORS = 20

Element = etree._Element


@dataclass(frozen=True)
class Problem:
    """One wd:Validation_Error: what is wrong and where (an XPath into the request element)."""

    message: str
    xpath: str


class ValidationFault(Exception):
    """The request would not pass Workday's validation: answered as ``SOAP-ENV:Client.validationError``."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)[:MAX_ERRORS]
        super().__init__(self.problems[0].message if self.problems else "Validation error")


class ClientFault(Exception):
    """A request that is not a usable SOAP message at all (not XML, no Body): ``SOAP-ENV:Client``."""


@cache
def service_schema(service: str) -> etree.XMLSchema:
    """The pinned schema of one service (Staffing or Recruiting), loaded once from the repository's XSD files."""
    if service not in SERVICES:
        raise KeyError(service)
    return etree.XMLSchema(etree.parse(str(SPECS / f"{service}.xsd")))


@cache
def envelope_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPECS / "soap-envelope.xsd")))


@cache
def sequence_order(type_name: str) -> tuple[str, ...]:
    """Child element names of a bsvc complex type, in schema order (used to keep merged data valid)."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for name in ("bsvc-applicants.xsd", "bsvc-common.xsd", "bsvc-hire.xsd"):
        doc = etree.parse(str(SPECS / name))
        for ct in doc.getroot().iter(f"{xs}complexType"):
            if ct.get("name") == type_name:
                return tuple(str(el.get("name")) for el in ct.iter(f"{xs}element"))
    raise KeyError(type_name)


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
)


def parse(raw: bytes) -> Element:
    """Parse a request body: bounded, no DTD, no entities, no network."""
    if len(raw) > MAX_BODY_BYTES:
        raise ClientFault(f"The request is larger than {MAX_BODY_BYTES} bytes")
    if b"<!DOCTYPE" in raw[:4096].upper():
        raise ClientFault("A DOCTYPE is not allowed in a SOAP message")
    try:
        return etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ClientFault(f"The request is not well-formed XML: {exc.msg[:200]}") from None


def q(local: str) -> str:
    return f"{{{BSVC}}}{local}"


def xpath_of(el: Element) -> str:
    """Workday's XPath form: the request's own prefixes and a position on every step.

    As in Workday's faults (``/bsvc:Launch_Integration_Event_Request[1]/bsvc:...[3]/bsvc:..._Reference[1]``, from a
    Workday Studio test harness; see docs/simulators.md). An element without a prefix is written ``wd:``.
    """
    steps: list[str] = []
    node: Element | None = el
    while node is not None and etree.QName(node).namespace != SOAP_ENV:
        parent = node.getparent()
        same = [s for s in parent if s.tag == node.tag] if parent is not None else [node]
        steps.append(f"{node.prefix or 'wd'}:{etree.QName(node).localname}[{same.index(node) + 1}]")
        node = parent
    return "/" + "/".join(reversed(steps))


_NS_IN_MESSAGE = re.compile(r"\{[^}]*\}")


def schema_problems(schema: etree.XMLSchema, request: Element) -> list[Problem]:
    """Validate a request element against a schema; each error becomes a Problem pointing at its element."""
    doc = etree.fromstring(etree.tostring(request), _PARSER)
    if schema.validate(doc):
        return []
    prefixes = {p: uri for p, uri in doc.nsmap.items() if p}
    problems = []
    errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
    for error in errors[:MAX_ERRORS]:
        target = _resolve(doc, error.path, prefixes, error.line)
        xpath = xpath_of(_twin(request, doc, target)) if target is not None else xpath_of(request)
        problems.append(Problem(_NS_IN_MESSAGE.sub("", error.message), xpath))
    return problems


def _resolve(doc: Element, path: str | None, prefixes: dict[str, str], line: int) -> Element | None:
    if path:
        try:
            found = doc.getroottree().xpath(path, namespaces=prefixes)
        except etree.XPathError:
            found = []
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return found[0]
    for el in doc.iter():
        if isinstance(el.tag, str) and getattr(el, "sourceline", None) == line:
            return el
    return None


def _twin(original: Element, copy: Element, target: Element) -> Element:
    """The element of ``original`` at the same place as ``target`` in ``copy``."""
    chain: list[int] = []
    node = target
    while node is not copy:
        parent = node.getparent()
        if parent is None:
            return original
        chain.append(list(parent).index(node))
        node = parent
    out = original
    for index in reversed(chain):
        out = list(out)[index]
    return out


# answers -------------------------------------------------------------------------------------------------------


def envelope(payload: Element) -> bytes:
    """A success envelope around a response element (prefix ``env``, as Workday answers)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    body.append(payload)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def _fault(code: str, text: str, detail: Element | None = None) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault", nsmap={"wd": BSVC})
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = text
    if detail is not None:
        etree.SubElement(fault, "detail").append(detail)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def validation_fault(problems: list[Problem]) -> bytes:
    detail = etree.Element(q("Validation_Fault"), nsmap={"wd": BSVC})
    for problem in problems:
        error = etree.SubElement(detail, q("Validation_Error"))
        etree.SubElement(error, q("Message")).text = problem.message
        etree.SubElement(error, q("Detail_Message")).text = problem.message
        etree.SubElement(error, q("Xpath")).text = problem.xpath
    first = problems[0].message if problems else "Validation error"
    return _fault("SOAP-ENV:Client.validationError", f"Validation error occurred. {first}", detail)


def authentication_fault() -> bytes:
    return _fault("SOAP-ENV:Client.authenticationError", "invalid username or password")


def client_fault(text: str) -> bytes:
    return _fault("SOAP-ENV:Client", text)


def processing_fault(text: str) -> bytes:
    detail = etree.Element(q("Processing_Fault"), nsmap={"wd": BSVC})
    etree.SubElement(detail, q("Detail_Message")).text = text
    return _fault("SOAP-ENV:Server", text, detail)


def credentials(env: Element) -> tuple[str, str, str | None] | None:
    """(username, password, password Type) from ``wsse:Security/wsse:UsernameToken``, or None when absent."""
    token = env.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return None
    user = token.find(f"{{{WSSE}}}Username")
    password = token.find(f"{{{WSSE}}}Password")
    if user is None or password is None:
        return None
    return (user.text or "").strip(), password.text or "", password.get("Type")


def request_element(env: Element) -> Element:
    """The one element inside ``Body`` (document/literal wrapped), after the envelope passed its schema."""
    if env.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ClientFault("The request is not a SOAP 1.1 Envelope")
    schema = envelope_schema()
    if not schema.validate(env):
        errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
        error = errors[0] if errors else None
        text = _NS_IN_MESSAGE.sub("", error.message) if error is not None else "invalid envelope"
        raise ValidationFault([Problem(text, (error.path if error is not None else None) or "/")])
    body = env.find(f"{{{SOAP_ENV}}}Body")
    children = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(children) != 1:
        raise ClientFault(f"The SOAP Body must hold exactly one request element, found {len(children)}")
    return children[0]
