"""What makes two customers look alike: the same e-mail, the same phone number (of any kind),
or a similar name among one organisation's contacts. Advisory: reported, never refused."""

from __future__ import annotations

import difflib

from crm_contacts_contracts.events import DuplicateReason
from crm_contacts_contracts.events import lookup_kind as lookup_kind  # one home: the contract
from crm_kernel.text import collapse_spaces, without_accents

NAME_SIMILARITY = 0.85
# The reason a match gives: a code, never the e-mail or phone that matched (it outlives erasure).
REASONS = {"email": DuplicateReason.SAME_EMAIL, "phone": DuplicateReason.SAME_PHONE}


def similar(a: str, b: str) -> bool:
    x, y = collapse_spaces(without_accents(a)), collapse_spaces(without_accents(b))
    if not x or not y:
        return False  # an unknown name resembles nothing
    return difflib.SequenceMatcher(None, x, y).ratio() >= NAME_SIMILARITY
