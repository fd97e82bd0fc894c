"""SOAP 1.1 for the Workday connector: the envelope, one call, and the one place a Workday answer becomes an error.

Workday answers a fault with HTTP 500 whatever its cause, so the verdict comes from ``faultcode`` (SOAP 1.1 section
4.4; Workday's codes as in go-workday commit 37fb1de ``pkg/wws/soap.go`` and the faults its users quote):
- ``Client.validationError``: the data was refused; ``detail/wd:Validation_Fault/wd:Validation_Error`` holds Workday's
  ``Message``, ``Detail_Message`` and ``Xpath`` -> ``WorkdayValidationError`` (a RejectedError).
- ``Client.authenticationError``: user, password or tenant wrong -> AuthError.
- ``Server`` (``wd:Processing_Fault``), a bare 5xx, 504 -> retryable; a write's outcome is then unknown.
- 429 or 503 with ``Retry-After``: throttled (Workday publishes no limits; both are seen) -> retryable after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from lxml import etree

from hirebridge.connectors.errors import (
    AuthError,
    RejectedError,
    RetryableError,
    clip,
    from_transport_error,
    parse_retry_after,
    server_error,
)
from hirebridge.connectors.workday.auth import WorkdayCredentials, security_header
from hirebridge.connectors.workday.mapping import BSVC

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    message: str
    xpath: str | None


class WorkdayValidationError(RejectedError):
    """``Client.validationError``: Workday refused the data; ``problems`` are its messages with their XPaths."""

    def __init__(self, message: str, problems: list[Problem], *, http_status: int | None = None) -> None:
        super().__init__(message, http_status=http_status)
        self.problems = problems

    def says(self, text: str) -> bool:
        return any(text in problem.message for problem in self.problems)


def envelope(credentials: WorkdayCredentials, request: etree._Element, *, password: str | None = None) -> bytes:
    """The SOAP 1.1 envelope: the WS-Security header, then the request element as the Body's only child."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "wd": BSVC})
    header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    header.append(security_header(credentials, password=password))
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(request)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def call(http: httpx.Client, url: str, body: bytes, *, write: bool) -> etree._Element:
    """POST one envelope; the answer's request element (the Body's first child), or the error it amounts to."""
    try:
        response = http.post(url, content=body, headers={"Content-Type": CONTENT_TYPE, "SOAPAction": '""'})
    except httpx.TransportError as exc:
        raise from_transport_error(exc, write=write) from exc
    except httpx.InvalidURL as exc:
        raise RejectedError(f"the connection's base URL is not valid: {exc}") from exc
    raise_for_response(response, write=write)
    answer = _body_child(_parse(response.content))
    if answer is None:
        raise RetryableError("Workday answered 200 without a SOAP body", http_status=response.status_code)
    return answer


def raise_for_response(response: httpx.Response, *, write: bool) -> None:
    """Sort a Workday answer into the error tree; ``write`` says whether the call may have changed data."""
    status = response.status_code
    if status == 200:
        return
    fault = _fault(response)
    if fault is not None:
        code, text, detail = fault
        local_code = code.rsplit(":", 1)[-1]
        if local_code == "Client.validationError":
            problems = _problems(detail)
            shown = "; ".join(
                f"{p.message} (at {p.xpath})" if p.xpath else p.message for p in problems[:MAX_ERRORS_SHOWN]
            )
            message = clip(f"Workday refused the data: {shown or text}")
            raise WorkdayValidationError(message, problems, http_status=status)
        if local_code == "Client.authenticationError":
            raise AuthError(
                clip(f"Workday did not accept the integration user, password or tenant: {text}"), http_status=status
            )
        if local_code.startswith("Client"):
            raise RejectedError(clip(f"Workday refused the request ({local_code}): {text}"), http_status=status)
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryableError(
            f"Workday is throttling or unavailable (HTTP {status})", http_status=status, retry_after=retry_after
        )
    if status >= 500:
        raise server_error(response, write=write)
    if status in (401, 403):
        raise AuthError(f"Workday refused the credentials (HTTP {status})", http_status=status)
    if status == 404:
        raise RejectedError(
            "Workday has no such service (HTTP 404); check the base URL and the tenant name", http_status=status
        )
    raise RejectedError(f"Workday refused the request (HTTP {status})", http_status=status)


def _parse(content: bytes) -> etree._Element | None:
    if not content or not content.lstrip().startswith(b"<") or b"<!DOCTYPE" in content[:4096].upper():
        return None
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _body_child(env: etree._Element | None) -> etree._Element | None:
    if env is None or env.tag != f"{{{SOAP_ENV}}}Envelope":
        return None
    body = env.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        return None
    return next((child for child in body if isinstance(child.tag, str)), None)


def _fault(response: httpx.Response) -> tuple[str, str, etree._Element | None] | None:
    """(faultcode, faultstring, detail) of a SOAP fault answer, or None if the answer is not one."""
    child = _body_child(_parse(response.content))
    if child is None or child.tag != f"{{{SOAP_ENV}}}Fault":
        return None
    code = (child.findtext("faultcode") or "").strip()
    text = (child.findtext("faultstring") or "").strip()
    return code, text, child.find("detail")


def _problems(detail: etree._Element | None) -> list[Problem]:
    if detail is None:
        return []
    problems = []
    for error in detail.iter(f"{{{BSVC}}}Validation_Error"):
        message = (error.findtext(f"{{{BSVC}}}Message") or error.findtext(f"{{{BSVC}}}Detail_Message") or "").strip()
        xpath = (error.findtext(f"{{{BSVC}}}Xpath") or "").strip() or None
        if message:
            problems.append(Problem(clip(message, 500), clip(xpath, 500) if xpath else None))
    return problems
