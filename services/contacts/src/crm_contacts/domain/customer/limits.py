"""What users expect one customer's record to hold, at most (ADR 20).

Each command folds the whole record, and a record past these is an import gone wrong or abuse
rather than one customer's profile: the command is refused (422) naming the field and the limit.
Records over a limit from before keep what they have; removing makes room again.
"""

from __future__ import annotations

from crm_contacts_contracts.events import PHONE_KINDS, WEB_KINDS, ContactPointKind
from crm_kernel.domain.errors import DomainError

from crm_contacts.domain.customer.state import Customer

MAX_TAGS = 100
MAX_INTERESTS = 100
MAX_PERSONAL_DATES = 20
MAX_FAMILY_NOTES = 200
# Contact points per family of kinds: (what the message calls them, kinds, limit).
POINT_LIMITS: tuple[tuple[str, frozenset[ContactPointKind], int], ...] = (
    ("e-mail addresses", frozenset({ContactPointKind.EMAIL}), 10),
    ("phone numbers", PHONE_KINDS, 10),
    ("postal addresses", frozenset({ContactPointKind.POSTAL}), 10),
    ("web and social profiles", WEB_KINDS | {ContactPointKind.OTHER_SOCIAL}, 20),
)


def within(count: int, limit: int, what: str, field: str) -> None:
    if count >= limit:
        raise DomainError(
            f"a customer has at most {limit} {what}: this one has {count}; remove one first",
            field=field,
        )


def room_for_point(state: Customer, kind: ContactPointKind) -> None:
    for what, kinds, limit in POINT_LIMITS:
        if kind in kinds:
            held = sum(1 for p in state.points.values() if p.kind in kinds)
            within(held, limit, what, "kind")
