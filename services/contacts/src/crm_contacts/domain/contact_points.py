"""Normalised contact points: one spelling per value, so duplicates can be found. The
spellings of e-mails, phones and web addresses are the kernel's (crm_kernel.contact_points),
shared with sales' leads; the kinds of contact point are contacts' own."""

from __future__ import annotations

import phonenumbers
from crm_contacts_contracts.events import PHONE_KINDS, WEB_KINDS, ContactPointKind
from crm_kernel.contact_points import normalise_email, normalise_phone, normalise_url, parse_phone
from crm_kernel.text import collapse_spaces


def phone_kind(value: str) -> ContactPointKind:
    number_type = phonenumbers.number_type(parse_phone(value))
    mobile = number_type in (phonenumbers.PhoneNumberType.MOBILE,)
    return ContactPointKind.MOBILE if mobile else ContactPointKind.LANDLINE


def normalise(kind: ContactPointKind, value: str) -> str:
    """The normal form of a contact point, or ValueError saying what is wrong."""
    if kind is ContactPointKind.EMAIL:
        return normalise_email(value)
    if kind in PHONE_KINDS:
        return normalise_phone(value)
    if kind in WEB_KINDS:
        return normalise_url(value)
    text = collapse_spaces(value)
    if not text:
        raise ValueError("must not be blank")
    return text
