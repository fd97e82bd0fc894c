"""What every connector's ``passthrough`` shares: the check that a caller's path stays under the vendor's API base,
and the send of a passthrough call to a JSON API.

A passthrough path is relative to the API base (``/employees/123?fields=firstName``) and is refused, naming
``path``, unless it is plainly that: it starts with one ``/``; holds only URL path characters (anything else
percent-encoded), no ``.`` or ``..`` segment (nor ``..;x``, which servlet containers read as ``..``), no empty
segment, no fragment; and no percent-escape in the path decodes to ``/``, ``\\``, ``.``, ``%``, a control character
or the start of an overlong UTF-8 form (an encoded way out of the base, or a double encoding that a server might
decode twice). The joined URL is parsed again and must keep the base's scheme, host, port and
path prefix, so no spelling of another host or an absolute URL can get through.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from hirebridge.connectors.base import PASSTHROUGH_METHODS, PassthroughRefused, PassthroughRequest
from hirebridge.connectors.transport import encode_json, send

MAX_PATH_CHARS = 2000
MAX_BODY_BYTES = 1_000_000

_PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
_QUERY_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*")
_ESCAPE = re.compile(r"%(.{0,2})")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
# Also 0xC0 and 0xC1, which start only overlong UTF-8 forms (%c0%ae, a '.' that some servers decode).
_FORBIDDEN_ESCAPED = frozenset(b"/\\.%") | frozenset(range(0x20)) | {0x7F, 0xC0, 0xC1}


def _refuse(reason: str) -> PassthroughRefused:
    return PassthroughRefused("path", reason)


def check_path(path: str) -> tuple[str, str | None]:
    """(the path, the query or None) of a caller's path relative to the API base; PassthroughRefused if it is not
    plainly one (see the module's docstring)."""
    if not path:
        raise _refuse("is required")
    if len(path) > MAX_PATH_CHARS:
        raise _refuse(f"is longer than {MAX_PATH_CHARS} characters")
    if not path.startswith("/") or path.startswith("//"):
        raise _refuse("must start with a single '/': it is relative to the HRIS's API base, not a URL")
    if "#" in path:
        raise _refuse("must not hold a fragment ('#')")
    raw_path, has_query, query = path.partition("?")
    if not _PATH_CHARS.fullmatch(raw_path):
        raise _refuse("may hold only URL path characters; percent-encode anything else")
    for escape in _ESCAPE.finditer(raw_path):
        if not _HEX2.fullmatch(escape.group(1)):
            raise _refuse("holds a '%' that is not a percent-escape")
        if int(escape.group(1), 16) in _FORBIDDEN_ESCAPED:
            raise _refuse("must not percent-encode '/', '\\', '.', '%', control characters or overlong UTF-8")
    segments = raw_path.split("/")[1:]
    # "..;x" is ".." to servlet containers (Tomcat drops a segment's ";" parameters before resolving it).
    if any(segment.split(";", 1)[0] in (".", "..") for segment in segments):
        raise _refuse("must not hold '.' or '..' segments: it must stay under the HRIS's API base")
    if any(segment == "" for segment in segments[:-1]):
        raise _refuse("must not hold an empty segment ('//')")
    if has_query:
        if not _QUERY_CHARS.fullmatch(query):
            raise _refuse("has a query with characters that must be percent-encoded")
        if any(not _HEX2.fullmatch(escape.group(1)) for escape in _ESCAPE.finditer(query)):
            raise _refuse("has a query with a '%' that is not a percent-escape")
    return raw_path, (query if has_query else None)


def api_url(api_base: str, path: str) -> str:
    """``api_base`` (the vendor's API base URL, no trailing slash needed) joined with a caller's ``path``; refused,
    naming ``path``, when the result would not be under the base."""
    raw_path, query = check_path(path)
    base = httpx.URL(api_base.rstrip("/"))
    joined = f"{str(base).rstrip('/')}{raw_path}" + (f"?{query}" if query is not None else "")
    try:
        url = httpx.URL(joined)
    except httpx.InvalidURL:
        raise _refuse("does not make a valid URL under the HRIS's API base") from None
    prefix = base.raw_path.split(b"?", 1)[0].rstrip(b"/") + b"/"
    if (
        url.scheme != base.scheme
        or url.host != base.host
        or url.port != base.port
        or url.userinfo
        or not (url.raw_path.split(b"?", 1)[0] + b"/").startswith(prefix)
    ):
        raise _refuse("must stay under the HRIS's API base")
    return str(url)


def check_method(request: PassthroughRequest, allowed: tuple[str, ...] = PASSTHROUGH_METHODS) -> None:
    if request.method not in allowed:
        raise PassthroughRefused("method", f"must be one of {', '.join(allowed)}")


def send_json(
    http: httpx.Client,
    request: PassthroughRequest,
    *,
    api_base: str,
    auth: httpx.Auth | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A passthrough call to a JSON API: the body (any JSON value, or None for none) is sent as JSON; the answer is
    returned whatever its status. ``auth``/``headers`` carry the connection's credentials."""
    check_method(request)
    url = api_url(api_base, request.path)
    body: Any = request.body
    if body is not None:
        if request.method == "GET":
            raise PassthroughRefused("body", "must be empty for a GET")
        if len(encode_json(body)) > MAX_BODY_BYTES:
            raise PassthroughRefused("body", f"must be at most {MAX_BODY_BYTES} bytes as JSON")
    return send(http, request.method, url, write=request.method != "GET", auth=auth, json_body=body, headers=headers)
