"""Capturing a lead, over HTTP or from the ingest topic, and reporting what it looks like
(ADR 28): open leads and existing customers with the same normalised e-mail or phone, found in
sales' blind index, are recorded on the lead's stream and answered; never refused."""

from __future__ import annotations

from dataclasses import dataclass, replace

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError
from crm_sales_contracts.events import LeadDuplicateReason, LeadLookalike

from crm_sales.application.ports import LeadLookup
from crm_sales.domain.lead import (
    OPEN,
    CaptureLead,
    Lead,
    LeadCommand,
    RecordLeadDuplicates,
    prospect_id_of,
    stream_of,
)
from crm_sales.domain.lead_points import REASONS, points_of

RECORD_ATTEMPTS = 3


@dataclass(frozen=True)
class LeadDuplicate:
    other: LeadLookalike
    other_id: str
    reason: LeadDuplicateReason


@dataclass(frozen=True)
class CaptureOutcome:
    """The capture's result and the lookalikes it revealed (reported, not refused)."""

    result: CommandResult
    possible_duplicates: list[LeadDuplicate]


class LeadCapture:
    def __init__(self, leads: CommandHandler[Lead, LeadCommand], index: LeadLookup) -> None:
        self._leads = leads
        self._index = index

    async def capture(self, command: CaptureLead, metadata: Metadata) -> CaptureOutcome:
        """A second capture of the lead is refused (409), as any second capture over HTTP."""
        result = await self._leads.handle(stream_of(command.lead_id), command, metadata)
        return await self._report(command, metadata, result)

    async def ingest(self, command: CaptureLead, metadata: Metadata) -> CaptureOutcome:
        """From the ingest topic, where the lead's id comes from the sender's: a lead captured
        already is a redelivery and records nothing more than a report cut short."""
        stream = stream_of(command.lead_id)
        state, version = await self._leads.load(stream)
        if state.status is None:
            return await self.capture(command, metadata)
        unchanged = CommandResult(stream, version, position=0, event_ids=[], state=state)
        if state.erased or state.status not in OPEN:  # erased, or closed since: no report
            return CaptureOutcome(unchanged, [])
        return await self._report(command, metadata, unchanged)

    async def _report(
        self, command: CaptureLead, metadata: Metadata, result: CommandResult
    ) -> CaptureOutcome:
        lead_id = command.lead_id
        found: dict[str, LeadDuplicate] = {}
        for kind, value in points_of(command.email, command.phone):
            alike = await self._index.lookalikes(kind, value)
            for other in alike.leads:
                if other != lead_id and other not in found and await self._open(other):
                    found[other] = LeadDuplicate(LeadLookalike.LEAD, other, REASONS[kind])
            for customer in alike.customers:
                if customer != prospect_id_of(lead_id):
                    found.setdefault(
                        customer, LeadDuplicate(LeadLookalike.CUSTOMER, customer, REASONS[kind])
                    )
            await self._index.add_lead(lead_id, kind, value)
        if found:
            reported = tuple((d.other, d.other_id, d.reason) for d in found.values())
            recorded = await self._record(
                RecordLeadDuplicates(lead_id=lead_id, found=reported), metadata
            )
            if recorded.event_ids:  # the answer names every event, and the last position
                result = replace(recorded, event_ids=[*result.event_ids, *recorded.event_ids])
        return CaptureOutcome(result, list(found.values()))

    async def _record(self, command: RecordLeadDuplicates, metadata: Metadata) -> CommandResult:
        """The capture is recorded already: a command that reached the lead in between (an
        assignment) must not turn it into a 409, so the report is decided again on top."""
        for attempt in range(RECORD_ATTEMPTS):
            try:
                return await self._leads.handle(stream_of(command.lead_id), command, metadata)
            except ConflictError:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _open(self, lead_id: str) -> bool:
        """Only open leads count: a disqualified or erased one (or, later, a converted one,
        which is a customer then) is no duplicate to report."""
        state, _ = await self._leads.load(stream_of(lead_id))
        return state.status in OPEN and not state.erased
