"""The kernel's deadline scheduler (crm_kernel.deadline_scheduler, ADR 44): due deadlines are
raised earliest first and forgotten; one whose handler fails stays for the next round without
holding up the others; one of no known kind is kept; one not due yet waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_kernel.deadline_scheduler import DeadlineScheduler
from crm_kernel.ports.deadlines import Deadline

from tests.unit.sales.test_payment_reminders import Deadlines

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def at(key: str, minutes: int, kind: str = "k") -> Deadline:
    return Deadline(key=key, kind=kind, due_at=NOW + timedelta(minutes=minutes), data={"n": key})


async def test_due_deadlines_are_raised_in_order_and_failures_kept() -> None:
    store = Deadlines()
    await store.set_many([at("late", -1), at("early", -30), at("broken", -10), at("soon", 5),
                          at("odd", -5, kind="unknown")])  # fmt: skip
    raised: list[str] = []

    async def handle(deadline: Deadline) -> None:
        if deadline.key == "broken":
            raise RuntimeError("the stream's store went away")
        raised.append(deadline.key)

    scheduler = DeadlineScheduler(store, {"k": handle}, clock=lambda: NOW)
    assert await scheduler.raise_due() == 2
    assert raised == ["early", "late"]
    assert sorted(store.kept) == ["broken", "odd", "soon"]
    await store.set_many([at("late", 30)])  # set again: moved, not raised now
    assert await scheduler.raise_due() == 0 and "late" in store.kept
