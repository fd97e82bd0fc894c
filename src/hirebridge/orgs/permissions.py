"""Ashby's API key permissions: one read and one write permission per module."""

from __future__ import annotations

MODULES = ("candidates", "jobs", "offers", "organization", "apiKeys", "hiringProcessMetadata")
ALL_PERMISSIONS: tuple[str, ...] = tuple(f"{module}{mode}" for module in MODULES for mode in ("Read", "Write"))
