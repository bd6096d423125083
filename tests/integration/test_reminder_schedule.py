"""The payment reminder schedule on the real store (ADR 42): an invoice posted moves a
customer's day earlier and never later (`$min` upserts, redelivered or out of order); the
policy moves it on only if nothing moved it meanwhile, and takes it off when nothing is left."""

from __future__ import annotations

from datetime import date

from crm_sales.adapters.reminder_schedule import MongoReminderSchedule

from tests.support import mongo


async def test_the_day_only_moves_earlier_on_posting_and_on_after_looking(infra, unique) -> None:
    client = mongo(infra)
    schedule = MongoReminderSchedule(client[f"t_{unique}"])
    await schedule.expect("c1", date(2026, 4, 8))
    await schedule.expect("c1", date(2026, 5, 1))  # a later invoice: the day stays
    await schedule.expect("c1", date(2026, 4, 8))  # redelivered
    await schedule.expect("c2", date(2026, 4, 20))
    assert await schedule.due(date(2026, 4, 10), 10) == [("c1", date(2026, 4, 8))]
    await schedule.expect("c1", date(2026, 4, 2))  # an earlier one arrives meanwhile
    await schedule.moved("c1", date(2026, 4, 8), date(2026, 4, 22))  # so this does not apply
    assert await schedule.due(date(2026, 4, 30), 10) == [
        ("c1", date(2026, 4, 2)), ("c2", date(2026, 4, 20)),
    ]  # fmt: skip
    await schedule.moved("c1", date(2026, 4, 2), date(2026, 4, 22))
    await schedule.moved("c2", date(2026, 4, 20), None)  # nothing left to remind
    assert await schedule.due(date(2026, 12, 31), 10) == [("c1", date(2026, 4, 22))]
    await client.drop_database(f"t_{unique}")
    await client.close()
