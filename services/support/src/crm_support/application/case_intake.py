"""Cases from the call centre and the e-mail platform, off the ingest topic (ADR 47): the case's
id comes from the sender's `(source, external_id)`, so a redelivered message finds its case
opened and records nothing; a second message with the same ids but another customer or kind
is refused to the rejected topic: the sender's ids name one case. A new case is opened (and
routed) as over HTTP."""

from __future__ import annotations

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError

from crm_support.application.case_opening import CaseOpening
from crm_support.domain import case
from crm_support.domain.case import Case, CaseCommand, OpenCase


class CaseIntake:
    def __init__(self, cases: CommandHandler[Case, CaseCommand], opening: CaseOpening) -> None:
        self._cases = cases
        self._opening = opening

    async def take(self, command: OpenCase, metadata: Metadata) -> CommandResult | None:
        """The case opened, or None when the message was taken already."""
        stream = case.stream_of(command.case_id)
        state, _ = await self._cases.load(stream)
        if not state.opened:
            return (await self._opening.open(command, metadata)).result
        if (state.customer_id, state.kind) != (command.customer_id, command.kind):
            raise DomainError(
                f"case {command.case_id} was opened already for another customer or kind: the "
                "sender's source and external_id name one case",
                field="external_id",
            )
        return None
