"""Secret-looking values out of recorded HTTP exchanges: any JSON member, form field, URL query parameter or XML
element whose name says secret, password, token, API key, authorization, private key or assertion becomes
``[redacted]``. Token requests carry client secrets in their bodies and their answers carry access tokens; attempt
records are shown to API callers and operators, so the transport records every exchange through ``redact_exchange``.
A body with nothing to redact is kept as it was sent, byte for byte.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hirebridge.connectors.base import REDACTED

_SECRET_NAME = re.compile(r"secret|password|passwd|token|api[_-]?key|authorization|private[_-]?key|assertion", re.I)
_NOT_SECRET = re.compile(r"token_?type", re.I)  # OAuth's "token_type": "Bearer" says what, not which
_SECRET_XML = re.compile(
    rb"(<(?:[\w-]+:)?(?:[\w-]*(?:Password|Secret|Token))\b[^>]*>)[^<]*(</)",
    re.I,
)


def _is_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.fullmatch(name)


def redact_exchange(exchange: dict[str, Any]) -> dict[str, Any]:
    """A recorded exchange with every secret-looking value of its bodies (and URL query) replaced by REDACTED."""
    shown = dict(exchange)
    for key in ("request_body", "response_body"):
        value = shown.get(key)
        if isinstance(value, str):
            shown[key] = redact_text(value)
    url = shown.get("url")
    if isinstance(url, str):
        shown["url"] = redact_url(url)
    return shown


def redact_url(url: str) -> str:
    """The URL with secret-looking query parameters redacted (kept as it was when there are none)."""
    if "?" not in url:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, True)
    if not any(_is_secret(k) for k, _ in pairs):
        return url
    query = [(k, REDACTED if _is_secret(k) else v) for k, v in pairs]
    return parts._replace(query=urlencode(query, safe="$/'= ")).geturl()


def redact_text(text: str) -> str:
    """JSON with secret members redacted, a form body with secret fields redacted, or XML with secret elements."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass  # clipped JSON: fall through to the textual rules
        else:
            redacted = redact_value(parsed)
            return text if redacted == parsed else json.dumps(redacted, separators=(",", ":"), ensure_ascii=False)
    if stripped.startswith("<"):
        return _SECRET_XML.sub(rb"\1[redacted]\2", text.encode()).decode("utf-8", errors="replace")
    if "=" in stripped and " " not in stripped:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs and any(_is_secret(k) for k, _ in pairs):
            return urlencode([(k, REDACTED if _is_secret(k) else v) for k, v in pairs])
    return re.sub(r'("[^"]*(?:secret|password|token|key)[^"]*"\s*:\s*)"[^"]*"', rf'\1"{REDACTED}"', text, flags=re.I)


def redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret(str(k)) and not isinstance(v, dict | list) else redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value
