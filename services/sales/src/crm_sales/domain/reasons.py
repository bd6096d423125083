"""Reasons from a configured list (why a lead was disqualified, why a deal was lost): codes a
business chooses, matched in any letter case and recorded as configured."""

from __future__ import annotations


def listed(reason: str, reasons: tuple[str, ...]) -> str | None:
    """The configured spelling of `reason`, None if it is not on the list."""
    wanted = reason.strip().casefold()
    return next((r for r in reasons if r.casefold() == wanted), None)
