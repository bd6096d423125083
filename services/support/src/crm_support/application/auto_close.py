"""Closing resolved cases by themselves (ADR 46, on the kernel's deadline scheduler, ADR 44):
a case resolved sets a deadline CRM_CASE_AUTO_CLOSE_DAYS after its resolution happened; when
it comes, the case is closed, unless it was reopened (or closed) since that resolution."""

from __future__ import annotations

from datetime import timedelta

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.ports.deadlines import Deadline, DeadlineStore
from crm_support_contracts.events import CaseResolved

from crm_support.domain import case
from crm_support.domain.case import Case, CaseCommand, CloseResolved

KIND = "case-auto-close"
ACTOR = "policy:case-auto-close"


class AutoClose:
    def __init__(
        self, cases: CommandHandler[Case, CaseCommand], deadlines: DeadlineStore, days: int
    ) -> None:
        self._cases = cases
        self._deadlines = deadlines
        self._after = timedelta(days=days)

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        """Set the auto-close deadline of each resolution."""
        found: list[Deadline] = []
        for envelope in envelopes:
            if envelope.type != CaseResolved.event_type:
                continue
            resolved = envelope.event()
            assert isinstance(resolved, CaseResolved)
            found.append(
                Deadline(
                    key=f"{KIND}:{resolved.case_id}:{resolved.resolution}",
                    kind=KIND,
                    due_at=envelope.occurred_at + self._after,
                    data={"case_id": resolved.case_id, "resolution": resolved.resolution},
                )
            )
        await self._deadlines.set_many(found)

    async def close(self, deadline: Deadline) -> None:
        command = CloseResolved(
            case_id=deadline.data["case_id"], resolution=deadline.data["resolution"]
        )
        metadata = Metadata(actor=ACTOR, occurred_at=deadline.due_at)
        await self._cases.handle(case.stream_of(command.case_id), command, metadata)
