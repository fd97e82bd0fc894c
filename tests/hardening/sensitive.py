"""What the log-grep test needs: every log record of the test run in one file, and every sensitive value the suite
used, collected where it is used rather than listed by hand.

- ``LogFile`` installs a log record factory, so it sees every record any logger creates (the service's in-process
  server and workers included, and uvicorn's loggers, which do not propagate to the root) and writes it, formatted
  with its traceback, to a file.
- ``SENSITIVE`` is filled by ``observe_httpx``: every request an ``httpx`` transport sends in this process (the
  tests' clients and the service's own outbound calls to simulators and webhook receivers) and its JSON answer are
  read for credentials (Basic and Bearer credentials, ``client_secret``, ``access_token``, webhook secrets, API
  keys) and personal data (emails, phone numbers, and the names of people: ``firstName``/``last_name``..., and
  ``name`` in an object that also holds an email or phone, or in the body of ``candidate.create``), the password and
  email fields of HTML forms (the console's sign-in), and session cookies (``SESSION_COOKIES``, sent or set).
  Fixtures that issue credentials register them too (``SENSITIVE.add``), as do the console's browser tests for
  what Chromium sends.
- ``find_leaks`` greps the file for all of them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

SECRET_KEYS = {"accesstoken", "clientsecret", "secret", "secrettoken", "apikey", "password", "token", "refreshtoken"}
PERSON_KEYS = {
    "email",
    "emailaddress",
    "primaryemailaddress",
    "emailaddresses",
    "workemail",
    "homeemail",
    "personalemail",
    "phone",
    "phonenumber",
    "primaryphonenumber",
    "phonenumbers",
    "mobilephone",
    "homephone",
    "workphone",
    "firstname",
    "lastname",
    "surname",
    "preferredname",
    "middlename",
    "fullname",
    "displayname",
}
# Values too common to be evidence of a leak when found in a log line.
IGNORED = {"none", "null", "true", "false", "test", "string", "example", "sandbox"}
MIN_LENGTH = 3
# Cookies whose value signs someone in (the console's session): registered wherever they are sent or set.
SESSION_COOKIES = {"hb_console"}
CREDENTIAL_KINDS = {"bearer token", "basic password", "api key", "client secret"}
MIN_CREDENTIAL_LENGTH = 8


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


class Registry:
    """Sensitive values seen during the run, each with what it is (for the failure message)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, value: object) -> None:
        if not isinstance(value, str):
            return
        value = value.strip()
        if len(value) < MIN_LENGTH or value.lower() in IGNORED:
            return
        # A test's deliberately wrong credential ("Bearer abc") is no one's secret and matches ordinary words.
        if kind in CREDENTIAL_KINDS and len(value) < MIN_CREDENTIAL_LENGTH:
            return
        # An email or phone field holding something else (a test's "email": "not-an-email") is no one's address.
        if "email" in kind and "@" not in value:
            return
        if "phone" in kind and sum(c.isdigit() for c in value) < 5:
            return
        with self._lock:
            self._values.setdefault(value, kind)

    def items(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._values.items())

    def __len__(self) -> int:
        return len(self._values)

    def collect_json(self, data: Any, *, person: bool = False) -> None:
        """Secrets and personal data anywhere in a decoded JSON document. ``person``: the top-level object is a
        person even without an email or phone (the body of ``candidate.create``)."""
        stack: list[tuple[Any, bool]] = [(data, person)]
        while stack:
            value, is_person = stack.pop()
            if isinstance(value, list):
                stack.extend((item, False) for item in value)
                continue
            if not isinstance(value, dict):
                continue
            keys = {_norm(str(k)) for k in value}
            if is_person or keys & PERSON_KEYS:
                for key in ("name", "Name"):
                    self.add("name", value.get(key))
            for key, item in value.items():
                normalized = _norm(str(key))
                if normalized in SECRET_KEYS or normalized in PERSON_KEYS:
                    self._add_leaves(normalized, item)
                else:
                    stack.append((item, False))

    def collect_cookies(self, headers: list[str]) -> None:
        """Session cookies in ``Cookie`` or ``Set-Cookie`` header values."""
        for header in headers:
            jar: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):
                jar.load(header)
            for name in SESSION_COOKIES & set(jar):
                self.add("session cookie", jar[name].value)

    def _add_leaves(self, kind: str, value: Any) -> None:
        if isinstance(value, str):
            self.add(kind, value)
        elif isinstance(value, dict):
            # Personio-style attributes ({"label", "value", "type", "universal_id"}) hold the person's data in
            # "value" only; the rest is the vendor's vocabulary ("standard"), not personal data.
            for item in [value["value"]] if "value" in value else value.values():
                self._add_leaves(kind, item)
        elif isinstance(value, list):
            for item in value:
                self._add_leaves(kind, item)

    def collect_request(self, request: httpx.Request) -> None:
        path = request.url.path
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            self.add("bearer token", credentials)
        elif scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            if path.endswith("/oauth2/token"):
                self.add("client secret", password)  # the user is the client id, which is not a secret
            else:
                self.add("api key", user)  # the ATS API's key; HRIS simulators' keys and tokens too
                self.add("basic password", password)
        for name in ("x-api-key", "x-auth-token"):
            self.add(name, request.headers.get(name))
        self.collect_cookies(request.headers.get_list("cookie"))
        content_type = request.headers.get("content-type", "")
        if "x-www-form-urlencoded" in content_type:
            # HTML forms (the console's sign-in): their password fields.
            with contextlib.suppress(httpx.RequestNotRead, UnicodeDecodeError, ValueError):
                for key, value in parse_qsl(request.content.decode("utf-8"), max_num_fields=200):
                    if _norm(key) in SECRET_KEYS or "email" in _norm(key):
                        self.add(f"form {_norm(key)}", value)
        if "json" in content_type:
            try:
                body = json.loads(request.content)
            except (ValueError, RecursionError, httpx.RequestNotRead):
                return
            self.collect_json(body, person=path.endswith(("candidate.create", "candidate.update")))


SENSITIVE = Registry()


def observe_httpx(registry: Registry) -> Callable[[], None]:
    """Read every request sent and JSON answer received through ``httpx.HTTPTransport``; returns the undo."""
    original = httpx.HTTPTransport.handle_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        registry.collect_request(request)
        response = original(self, request)
        registry.collect_cookies(response.headers.get_list("set-cookie"))
        declared = response.headers.get("content-length", "")
        is_json = "json" in response.headers.get("content-type", "")
        if not is_json or not declared.isdigit() or int(declared) > 4_000_000:
            return response
        # Read the body here and hand the client an unread copy, so callers that stream it still can.
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        with contextlib.suppress(ValueError, RecursionError, httpx.DecodingError):
            registry.collect_json(httpx.Response(response.status_code, headers=response.headers, content=raw).json())
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]

    def undo() -> None:
        httpx.HTTPTransport.handle_request = original  # type: ignore[method-assign]

    return undo


class LogFile:
    """Every log record created in this process, formatted, appended to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a", encoding="utf-8", errors="backslashreplace")
        self._lock = threading.Lock()
        self._formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        self._previous = logging.getLogRecordFactory()

    def install(self) -> None:
        previous = self._previous

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            self.write(record)
            return record

        logging.setLogRecordFactory(factory)

    def write(self, record: logging.LogRecord) -> None:
        try:
            line = self._formatter.format(record)
        except Exception as exc:  # a bad format string in some library must not break the test run
            line = f"{record.name} {record.levelname} unformattable record ({type(exc).__name__}): {record.msg!r}"
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def uninstall(self) -> None:
        logging.setLogRecordFactory(self._previous)
        with self._lock:
            self._file.close()


@dataclass(frozen=True)
class Leak:
    kind: str
    value: str
    line_number: int
    line: str

    def describe(self) -> str:
        masked = self.value if self.kind in NAME_KINDS else self.value[:3] + "..."
        shown = self.line.replace(self.value, f"<{self.kind}>")[:300]
        return f"  line {self.line_number}: a {self.kind} ({masked}) in: {shown}"


NAME_KINDS = {"name", "firstname", "lastname", "surname", "preferredname", "middlename", "fullname", "displayname"}
_WORD = re.compile(r"\w")


def _positions(text: str, value: str) -> Iterator[int]:
    """Where ``value`` occurs in ``text`` as a whole word, so the name ``Ann`` does not match ``Annotated`` nor the
    test token ``abc`` a request id's hex digits."""
    start = 0
    while (found := text.find(value, start)) != -1:
        start = found + 1
        end = found + len(value)
        if (found > 0 and _WORD.match(text[found - 1])) or (end < len(text) and _WORD.match(text[end])):
            continue
        yield found


def find_leaks(log_path: Path, registry: Registry, limit: int = 50) -> list[Leak]:
    """The first place each registered value occurs in the log (at most ``limit`` of them)."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    leaks: list[Leak] = []
    for value, kind in registry.items():
        for position in _positions(text, value):
            line_start = text.rfind("\n", 0, position) + 1
            line_end = text.find("\n", position)
            line = text[line_start : line_end if line_end != -1 else len(text)]
            leaks.append(Leak(kind, value, text.count("\n", 0, position) + 1, line))
            break
        if len(leaks) >= limit:
            break
    return sorted(leaks, key=lambda leak: leak.line_number)
