"""A lead's contact points as duplicates are matched on (ADR 28): its e-mail lower-cased and
its phone in E.164, in the kernel's spelling (crm_kernel.contact_points), which is contacts'
too, so a lead's e-mail is known again among customers'."""

from __future__ import annotations

from crm_kernel.contact_points import normalise_email, normalise_phone
from crm_kernel.domain.errors import DomainError
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import LeadDuplicateReason

# The lookups a lead's points go to, and the reason a match gives (a code, never the value).
EMAIL, PHONE = "email", "phone"
REASONS = {EMAIL: LeadDuplicateReason.SAME_EMAIL, PHONE: LeadDuplicateReason.SAME_PHONE}
_NORMALISERS = {EMAIL: normalise_email, PHONE: normalise_phone}


def normalised(field: str, value: str) -> str:
    """`value` of the lead's `field` ("email" or "phone") in its normal form; 422 naming the
    field if it is no e-mail or phone number."""
    try:
        return _NORMALISERS[field](value)
    except ValueError as error:
        raise DomainError(str(error), field=field) from None


def points_of(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    """(lookup, normal value) for each contact point the lead gives, as its capture stores
    it (white space collapsed, then normalised)."""
    given = ((EMAIL, email), (PHONE, phone))
    return [
        (kind, normalised(kind, collapse_spaces(value)))
        for kind, value in given
        if value is not None
    ]
