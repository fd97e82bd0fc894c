"""Request parsing shared by both API surfaces: size-bounded JSON bodies and pydantic errors as field errors.

Every JSON body is decoded by ``decode_json``, which answers a field error instead of letting bad input reach a
handler or the database: nesting deeper than ``MAX_JSON_DEPTH``, integers longer than Python converts
(``ValueError``), ``NaN``/``Infinity``, and text (values and keys) with U+0000 (PostgreSQL cannot store it) or a
lone UTF-16 surrogate (not Unicode; it cannot be encoded). ``text_problem`` is the same check for text that does
not come from JSON (forms, Basic credentials, paths and query strings).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from hirebridge.errors import AppError, FieldError, PayloadTooLarge, ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)


def field_path(loc: tuple[int | str, ...]) -> str:
    """('work_experiences', 3, 'start_date') -> 'work_experiences[3].start_date'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


_REASONS = {
    "missing": "is required",
    "string_too_long": "is too long (at most {max_length} characters)",
    "string_too_short": "is too short (at least {min_length} characters)",
    "too_long": "has too many items (at most {max_length})",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "uuid_parsing": "must be a UUID",
    "uuid_type": "must be a UUID",
    "enum": "must be one of: {expected}",
    "literal_error": "must be one of: {expected}",
}


MAX_JSON_DEPTH = 64
MAX_FIELD_ERRORS = 20
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be accepted as text, or None: U+0000 or a lone surrogate anywhere in it."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (U+0000)"
    return "must be valid Unicode (it contains a lone UTF-16 surrogate)"


class _NotJson(ValueError):
    """A constant or number JSON does not have (NaN, Infinity, a float too large for a double)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:20]} is too large")
    return value


def check_json_values(data: Any, code: str = "MALFORMED_JSON") -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` and bad text anywhere in ``data``, naming each field."""
    problems: list[FieldError] = []
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack and len(problems) < MAX_FIELD_ERRORS:
        value, loc = stack.pop()
        if len(loc) > MAX_JSON_DEPTH:
            raise ValidationFailed(
                [FieldError(field_path(loc[:1]), f"is nested too deeply (at most {MAX_JSON_DEPTH} levels)")],
                code=code,
            )
        if isinstance(value, str):
            reason = text_problem(value)
            if reason is not None:
                problems.append(FieldError(field_path(loc), reason))
        elif isinstance(value, dict):
            for key, item in value.items():
                key_reason = text_problem(key)
                if key_reason is not None:
                    problems.append(FieldError(field_path(loc) if loc else "body", f"has a key that {key_reason}"))
                    continue
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, index)) for index, item in enumerate(value))
    if problems:
        raise ValidationFailed(sorted(problems, key=lambda p: p.field), code=code)


def decode_json(raw: bytes, code: str = "MALFORMED_JSON") -> Any:
    """``raw`` as JSON, with every way it can be unusable answered as a field error (``code`` is the error code)."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ValidationFailed([FieldError("body", f"is not valid JSON{position}")], code=code) from None
    except RecursionError:
        reason = f"is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
        raise ValidationFailed([FieldError("body", reason)], code=code) from None
    except _NotJson as exc:
        raise ValidationFailed([FieldError("body", f"is not valid JSON: {exc}")], code=code) from None
    except ValueError:
        # int() refuses strings of more than sys.get_int_max_str_digits() (4300) digits.
        reason = "is not valid JSON: a number has too many digits"
        raise ValidationFailed([FieldError("body", reason)], code=code) from None
    check_json_values(data, code)
    return data


def reason_for(error: Any) -> str:
    kind = error.get("type", "")
    # 100.0 reads as "100" to a person; bounds declared as floats keep their fraction only when they have one.
    ctx = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in (error.get("ctx") or {}).items()}
    template = _REASONS.get(kind)
    if template is not None:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            return template
    message = str(error.get("msg", "is invalid"))
    # pydantic prefixes custom errors with "Value error, "; keep the reason only.
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def validation_failed(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> ValidationFailed:
    fields = [FieldError(field_path(prefix + tuple(e["loc"])), reason_for(e)) for e in exc.errors()]
    return ValidationFailed(fields)


async def read_json_body(request: Request, max_bytes: int) -> Any:
    """The decoded JSON body, or a clear error: too large, wrong content type, malformed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"Request body is larger than {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"Request body is larger than {max_bytes} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw and content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise AppError("UNSUPPORTED_MEDIA_TYPE", f"Content-Type must be application/json, not '{content_type}'.", 415)
    if not raw.strip():
        raise ValidationFailed([FieldError("body", "is required (a JSON object)")], code="MALFORMED_JSON")
    return decode_json(raw)


def parse_model(model: type[ModelT], data: Any) -> ModelT:
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc) from None
