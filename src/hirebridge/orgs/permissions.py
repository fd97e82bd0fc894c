"""API key permissions: Ashby's (one read and one write permission per module) and hirebridge's own extensions."""

from __future__ import annotations

MODULES = ("candidates", "jobs", "offers", "organization", "apiKeys", "hiringProcessMetadata")
# hirebridge extensions, not Ashby's: hrisPassthroughWrite lets a key send any request to its organization's HRIS
# connections as they are (hrisConnection.request), so it is a permission of its own.
EXTENSIONS = ("hrisPassthroughWrite",)
ALL_PERMISSIONS: tuple[str, ...] = (
    *(f"{module}{mode}" for module in MODULES for mode in ("Read", "Write")),
    *EXTENSIONS,
)
