"""When each customer's account is next to be looked at for payment reminders, in the sales
database (ADR 42): `{_id: customer id, next_on: ISO day}`. An invoice posted moves the day
earlier (`$min`, so a redelivery or an older invoice changes nothing); the policy moves it on
after looking, only if no invoice moved it meanwhile."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


class MongoReminderSchedule:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._days = db["payment_reminder_schedule"]

    async def expect(self, customer_id: str, on: date) -> None:
        # A duplicate key: another writer inserted it at the same moment; $min it again.
        for _ in range(2):
            with contextlib.suppress(DuplicateKeyError):
                await self._days.update_one(
                    {"_id": customer_id}, {"$min": {"next_on": on.isoformat()}}, upsert=True
                )
                return

    async def due(self, today: date, limit: int) -> list[tuple[str, date]]:
        """The accounts whose day has come, earliest first."""
        found = await self._days.find(
            {"next_on": {"$lte": today.isoformat()}}, sort=[("next_on", 1)], limit=limit
        ).to_list()
        return [(doc["_id"], date.fromisoformat(doc["next_on"])) for doc in found]

    async def moved(self, customer_id: str, was: date, now: date | None) -> None:
        """The account's next day `now` (None: nothing left to remind), if it is still `was`."""
        still = {"_id": customer_id, "next_on": was.isoformat()}
        if now is None:
            await self._days.delete_one(still)
        else:
            await self._days.update_one(still, {"$set": {"next_on": now.isoformat()}})
