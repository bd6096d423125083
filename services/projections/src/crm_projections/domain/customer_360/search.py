"""The derived `search` part of a customer_360 document, and how a search spells its terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_contacts_contracts.events import PHONE_KINDS
from crm_kernel.text import without_accents

from crm_projections.domain.customer_360.profile import registration

Document = dict[str, Any]


def terms(text: str) -> list[str]:
    """Lower-case words without accents: what a name search matches on."""
    letters = "".join(c if c.isalnum() else " " for c in without_accents(text))
    return sorted(set(letters.split()))


def digits(phone: str) -> str:
    return "+" + "".join(c for c in phone if c.isdigit())


def search_fields(doc: Document) -> Document:
    """The fields the customer search filters on, derived from the rest of the document."""
    profile = doc["profile"] or {}
    points = doc["contact"]["points"]
    readable = not doc["erased"]
    return {
        "name_terms": terms(profile.get("name") or "") if readable else [],
        "emails": sorted({p["value"] for p in points if p["kind"] == "email"}) if readable else [],
        "phones": sorted({digits(p["value"]) for p in points if p["kind"] in PHONE_KINDS})
        if readable
        else [],
        "customer_type": profile.get("customer_type"),
        "owner": profile.get("owner"),
        "tags": profile.get("tags", []),
        "lifecycle": profile.get("lifecycle"),
        "registration": registration(doc),
    }


@dataclass(frozen=True)
class CustomerCriteria:
    """A customer search on the `search` part: every given field must match. Customers come
    in id order, after `after_id`, at most `limit`."""

    limit: int
    name_terms: list[str] | None = None
    email: str | None = None
    phone: str | None = None  # as `digits` spells it
    customer_type: str | None = None
    owner: str | None = None
    tag: str | None = None
    lifecycle: str | None = None
    registration: str | None = None
    after_id: str | None = None
