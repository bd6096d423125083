"""A section of the customer_360 document: the part one context's events change.

Each section owns its keys of a new document (`blank`), the folds of its events, its share of
a merge (`absorb`: the merged customer's part folded into the survivor's) and, if it holds
personal values, how they read once the customer is erased (`scrub`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_kernel.domain.events import DomainEvent

from crm_projections.domain.folds import Folds

Document = dict[str, Any]


def _nothing_personal(document: Document) -> None:
    return None


@dataclass(frozen=True)
class Section:
    blank: Callable[[], Document]
    folds: Folds
    # (survivor, merged): the survivor's part with the merged one's folded in, in place.
    absorb: Callable[[Document, Document], None]
    scrub: Callable[[Document], None] = _nothing_personal
    # Events of this context that are about no customer yet, though they carry the id one
    # will have (a lead's): they make and change no 360 document.
    not_yet_a_customer: tuple[type[DomainEvent], ...] = ()
