"""Normalised e-mails, phone numbers and web addresses: one spelling per value, so that the
same contact point is known again wherever it is given (contacts' customers, sales' leads)."""

from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalise_email(value: str) -> str:
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address: {error}") from None
    return checked.normalized.lower()


def parse_phone(value: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "not a valid phone number: use international format with the country code, "
            "e.g. +34 612 345 678"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country code")
    return number


def normalise_phone(value: str) -> str:
    """E.164, e.g. +34612345678. Numbers must carry their country code."""
    return phonenumbers.format_number(parse_phone(value), phonenumbers.PhoneNumberFormat.E164)


def normalise_url(value: str) -> str:
    text = value.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc:
        raise ValueError("not a valid web address, e.g. https://example.com")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}" + (
        f"?{parts.query}" if parts.query else ""
    )
