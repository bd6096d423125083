"""The deadline scheduler: one mechanism for every context's timed policies (ADR 44), such as
sales' payment reminders, and support's SLA breaches and auto-close to come.

A policy sets deadlines from the context's events (at least once: a deadline is kept by its
key, so a redelivery sets the same one). The scheduler raises each when it comes: it calls the
deadline's handler, which decides a command on the subject's stream with the deadline as the
fact's occurred time, then forgets the deadline. The decider records the fact once (asked
again, it finds it recorded), so a scheduler stopped between the command and forgetting the
deadline raises it again on restart without doubling it, and two instances racing decide once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import structlog

from crm_kernel.ports.deadlines import Deadline, DeadlineStore

log = structlog.get_logger(__name__)

Handler = Callable[[Deadline], Awaitable[None]]
BATCH = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeadlineScheduler:
    def __init__(
        self,
        store: DeadlineStore,
        handlers: Mapping[str, Handler],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store, self._handlers, self._clock = store, dict(handlers), clock

    async def raise_due(self) -> int:
        """Raise every deadline due by now, earliest first; how many were raised. One whose
        handler fails stays for the next round, and does not hold up the others."""
        raised = 0
        for deadline in await self._store.due(self._clock(), BATCH):
            handler = self._handlers.get(deadline.kind)
            if handler is None:
                log.warning("deadline of no known kind kept", kind=deadline.kind)
                continue
            try:
                await handler(deadline)
            except Exception:
                log.exception("deadline handler failed", kind=deadline.kind, key=deadline.key)
                continue
            await self._store.done(deadline)
            raised += 1
        return raised

    async def run(self, every_s: float) -> None:
        """Raise what is due every `every_s` seconds, until cancelled."""
        while True:
            try:
                await self.raise_due()
            except Exception:
                log.exception("deadline round failed")
            await asyncio.sleep(every_s)
