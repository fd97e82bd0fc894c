"""Candidates' resumes sent as ``resume_base64``: decoded strictly, bounded, stored, never logged.

Decoding happens before anything is written, so a bad resume rejects the whole request (400 naming
``resume_base64``). Standard base64 only (RFC 4648 section 4, padding required); line breaks are tolerated, as
MIME encoders wrap lines. The file goes into ``StoredFile.content``, or under ``settings.resume_dir`` when one is
configured (the row then keeps the path). The content type is taken from the file's first bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from hirebridge.core.models import StoredFile
from hirebridge.db.types import new_id
from hirebridge.errors import FieldError, ValidationFailed
from hirebridge.settings import Settings

FIELD = "resume_base64"


@dataclass(frozen=True)
class Resume:
    content: bytes
    content_type: str
    sha256: str


def _invalid(reason: str) -> ValidationFailed:
    return ValidationFailed([FieldError(FIELD, reason)], code="INVALID_RESUME")


def sniff_content_type(content: bytes) -> str:
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"PK\x03\x04"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if content.startswith(b"{\\rtf"):
        return "application/rtf"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def decode_resume(value: str, max_bytes: int) -> Resume:
    """The decoded file, or a 400 that names ``resume_base64`` and says what is wrong (never echoing it)."""
    compact = value.replace("\r", "").replace("\n", "")
    if not compact:
        raise _invalid("is empty; leave it out when there is no resume")
    # 4 base64 characters carry 3 bytes: refuse an oversized file before decoding it.
    if len(compact) // 4 * 3 > max_bytes + 2:
        raise _invalid(f"is too large: the decoded file must be at most {max_bytes} bytes")
    try:
        content = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(
            "is not valid base64: use the standard alphabet (A-Z, a-z, 0-9, +, /) with '=' padding"
        ) from None
    if not content:
        raise _invalid("is empty; leave it out when there is no resume")
    if len(content) > max_bytes:
        raise _invalid(f"is too large: the decoded file must be at most {max_bytes} bytes")
    return Resume(content, sniff_content_type(content), hashlib.sha256(content).hexdigest())


def store_resume(
    session: Session, settings: Settings, organization_id: str, candidate_id: str, resume: Resume
) -> StoredFile:
    file_id = new_id()
    stored = StoredFile(
        id=file_id,
        organization_id=organization_id,
        candidate_id=candidate_id,
        purpose="resume",
        content_type=resume.content_type,
        size_bytes=len(resume.content),
        sha256=resume.sha256,
    )
    if settings.resume_dir is not None:
        directory = Path(settings.resume_dir) / organization_id
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / file_id
        path.write_bytes(resume.content)
        path.chmod(0o600)
        stored.path = str(path)
    else:
        stored.content = resume.content
    session.add(stored)
    return stored
