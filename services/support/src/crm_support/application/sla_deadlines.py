"""Raising SLA breaches when they happen (ADR 48, on the kernel's deadline scheduler, ADR 44).

Support's own events set each running target's deadline, one per case and target, moved when
the resolution clock resumes and cancelled when the target is reached or its clock paused.
When one comes, the case decides RaiseBreach with the deadline as the fact's occurred time:
the breach and its escalation are recorded once, and nothing if the deadline went stale (the
clock paused, the target met) or a step recorded the breach first. A scheduler stopped between
the command and forgetting the deadline raises it again on restart, and the case records
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.ports.deadlines import Deadline, DeadlineStore
from crm_support_contracts.events import (
    CaseClosed,
    CaseMarkedDuplicate,
    CaseRejected,
    CaseSlaApplied,
    CaseSlaPaused,
    CaseSlaResumed,
    CaseTargetBreached,
    CaseTargetReached,
    SlaTarget,
)

from crm_support.domain import case
from crm_support.domain.case import Case, CaseCommand, RaiseBreach

KIND = "case-sla-breach"
ACTOR = "policy:case-sla-breach"
T = SlaTarget
ENDED = {e.event_type for e in (CaseClosed, CaseRejected, CaseMarkedDuplicate)}


def key_of(case_id: str, target: SlaTarget) -> str:
    return f"{KIND}:{case_id}:{target.value}"


def _deadline(case_id: str, target: SlaTarget, due: datetime) -> Deadline:
    data = {"case_id": case_id, "target": target.value, "due_at": due.isoformat()}
    return Deadline(key=key_of(case_id, target), kind=KIND, due_at=due, data=data)


def effects_of(envelope: EventEnvelope) -> list[tuple[str, Deadline | None]]:
    """What one event does to its case's deadlines: (key, the deadline, or None: cancelled)."""
    if envelope.type in ENDED:
        return [(key_of(envelope.data["case_id"], target), None) for target in T]
    event = envelope.event() if envelope.type in WATCHED else None
    match event:
        case CaseSlaApplied():
            dues = ((T.FIRST_RESPONSE, event.first_response_due_at),
                    (T.RESOLUTION, event.resolution_due_at))  # fmt: skip
            return [
                (key_of(event.case_id, target), _deadline(event.case_id, target, due))
                for target, due in dues
                if due is not None
            ]
        case CaseSlaResumed():
            resumed = _deadline(event.case_id, T.RESOLUTION, event.resolution_due_at)
            return [(resumed.key, resumed)]
        case CaseSlaPaused():
            return [(key_of(event.case_id, T.RESOLUTION), None)]
        case CaseTargetReached() | CaseTargetBreached():
            return [(key_of(event.case_id, event.target), None)]
    return []


def changes_of(envelopes: Iterable[EventEnvelope]) -> tuple[list[Deadline], list[str]]:
    """The deadlines to set and the keys to cancel: the last word on a key wins."""
    last: dict[str, Deadline | None] = {}
    for envelope in envelopes:
        last.update(effects_of(envelope))
    setting = [found for found in last.values() if found is not None]
    return setting, sorted(key for key, found in last.items() if found is None)


WATCHED = {
    e.event_type
    for e in (CaseSlaApplied, CaseSlaResumed, CaseSlaPaused, CaseTargetReached, CaseTargetBreached)
}


class SlaDeadlines:
    def __init__(self, cases: CommandHandler[Case, CaseCommand], deadlines: DeadlineStore) -> None:
        self._cases = cases
        self._deadlines = deadlines

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        setting, cancelling = changes_of(envelopes)
        if cancelling:
            await self._deadlines.cancel(cancelling)
        if setting:
            await self._deadlines.set_many(setting)

    async def breach(self, deadline: Deadline) -> None:
        due = datetime.fromisoformat(deadline.data["due_at"])  # exact: the store keeps ms
        command = RaiseBreach(
            case_id=deadline.data["case_id"], target=SlaTarget(deadline.data["target"]), due_at=due
        )
        metadata = Metadata(actor=ACTOR, occurred_at=due)
        await self._cases.handle(case.stream_of(command.case_id), command, metadata)
