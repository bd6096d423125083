"""Reasons from a configured list (why a lead was disqualified, a deal lost, a case rejected):
codes a business chooses, matched in any letter case and recorded as configured."""

from __future__ import annotations

from crm_kernel.domain.errors import DomainError

# Why goods come back, unless CRM_RETURN_REASONS says otherwise: one list for sales (a returned
# order line) and support (a return request), so a line reads the same in both contexts.
DEFAULT_RETURN_REASONS = (
    "defective",
    "damaged in transit",
    "wrong item",
    "not as described",
    "no longer needed",
    "other",
)


def listed(reason: str, reasons: tuple[str, ...]) -> str | None:
    """The configured spelling of `reason`, None if it is not on the list."""
    wanted = reason.strip().casefold()
    return next((r for r in reasons if r.casefold() == wanted), None)


def required(reason: str, reasons: tuple[str, ...], what: str) -> str:
    """The configured spelling of `reason`; a 422 on `reason` listing the choices if it is not
    on the list (`what`: "a lost deal", "a return")."""
    found = listed(reason, reasons)
    if found is None:
        raise DomainError(f"{what} needs a reason, one of: {', '.join(reasons)}", field="reason")
    return found
