"""Request parsing shared by both API surfaces: size-bounded JSON bodies and pydantic errors as field errors."""

from __future__ import annotations

import json
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
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ValidationFailed([FieldError("body", f"is not valid JSON{position}")], code="MALFORMED_JSON") from None


def parse_model(model: type[ModelT], data: Any) -> ModelT:
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc) from None
