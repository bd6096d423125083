"""An owner's activities as their calendar shows them: the activities read model keeps the
event's free texts as they travelled, sealed under the customer's key (every free text is
personal data), so an erasure makes them unreadable there too; the feed opens them."""

from __future__ import annotations

from typing import Any

from crm_contacts_contracts.events import ActivityScheduled
from crm_kernel.domain.events import personal_fields
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import decrypt_value

from crm_projections.application.ports import ActivityFeed

Document = dict[str, Any]
SEALED = personal_fields(ActivityScheduled)


async def owners_activities(
    feed: ActivityFeed, keys: KeyStore, owner: str, limit: int
) -> list[Document]:
    """The owner's activities, their title and location readable (ERASED once the customer
    is erased; a value kept in clear by an early event stays as it was)."""
    activities = await feed.of_owner(owner, limit)
    found = await keys.get_many({a["customer_id"] for a in activities})
    return [_readable(a, found.get(a["customer_id"])) for a in activities]


def _readable(activity: Document, key: bytes | None) -> Document:
    customer = activity["customer_id"]
    opened = {
        field: decrypt_value(key, customer, field, activity[field])
        for field in SEALED
        if field in activity
    }
    return {**activity, **opened}
