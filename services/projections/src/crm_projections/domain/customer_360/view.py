"""What readers of the customer_360 view see: the document without the projector's
bookkeeping, plus the figures derived from it."""

from __future__ import annotations

from typing import Any

from crm_projections.domain.customer_360.interactions import average_response_seconds
from crm_projections.domain.customer_360.profile import (
    CONSENT_CHANNELS,
    may_contact,
    registration,
    shown_duplicates,
)
from crm_projections.domain.customer_360.sales import derived

Document = dict[str, Any]
BOOKKEEPING = {"_id", "_rev", "applied", "search"}
NO_CONTACT = {"marketing": False, "service": False}


def public_view(document: Document) -> Document:
    view = {k: v for k, v in document.items() if k not in BOOKKEEPING}
    if "profile" in document:  # not a tombstone
        view["registration"] = registration(document)
    part = view.get("interactions")
    if part is not None:
        view["interactions"] = {**part, "average_response_seconds": average_response_seconds(part)}
    consent = view.get("consent")
    if consent is not None:
        view["may_contact"] = {
            # An erased customer may be contacted on no channel for no purpose.
            ch: dict(NO_CONTACT) if document.get("erased") else may_contact(consent, ch)
            for ch in CONSENT_CHANNELS
        }
    profile = view.get("profile")
    if profile is not None:
        view["profile"] = shown_duplicates(profile)
    sales = view.get("sales")
    if sales is not None:
        view["sales"] = {**sales, **derived(sales)}
    return view
