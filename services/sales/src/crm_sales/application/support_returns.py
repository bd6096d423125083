"""What sales does with support's returns (ADR 51), read from support's published events: no
call to support, no import of its service.

- `ReturnReceived`: each line received is a returned order line (`return_id` `<return>-<line>`),
  so revenue is net of it; a retry records nothing (the order knows the return line).
- `ReturnResolved` by a refund: each of those lines is reversed on the invoice that billed it,
  for the net the return took off the order: a refund of what was paid of it, or a credit note
  when nothing was (`<return>-<line>` again, and the account credits a return once).

Support approved the reason from the same list (CRM_RETURN_REASONS), so the order takes it as
given. A line sales refuses (never delivered, returned already otherwise, an order never
invoiced for a refund) is logged with its reason and skipped: the fact stays in support's
history, and redelivering it would not change the answer.
"""

from __future__ import annotations

from datetime import date

import structlog
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.domain.errors import DomainError
from crm_kernel.domain.reasons import listed
from crm_sales_contracts.events import OrderInvoiced, PaymentMethodKind
from crm_support_contracts.events import (
    ReturnReceived,
    ReturnResolution,
    ReturnResolved,
)

from crm_sales.application.crediting import Crediting
from crm_sales.domain import account, order
from crm_sales.domain.account import (
    Account,
    AccountCommand,
    IssueCreditNote,
    RefundInvoice,
    pays_back,
)
from crm_sales.domain.order import Order, OrderCommand, ReturnLine

log = structlog.get_logger(__name__)
ACTOR = "policy:support-returns"
LEARNT_FROM = frozenset({ReturnReceived.event_type, ReturnResolved.event_type})


def line_return_id(return_id: str, line: int) -> str:
    return f"{return_id}-{line}"


def billing(orders: Order, line: int) -> str | None:
    """The first invoice that billed the order's line (None: never invoiced)."""
    for invoiced in orders.invoices:
        if _bills(invoiced, line):
            return invoiced.invoice_id
    return None


def _bills(invoiced: OrderInvoiced, line: int) -> bool:
    return not invoiced.lines or any(billed.line == line for billed in invoiced.lines)


class SupportReturns:
    def __init__(
        self,
        orders: CommandHandler[Order, OrderCommand],
        accounts: CommandHandler[Account, AccountCommand],
        credit_note_reasons: tuple[str, ...],
    ) -> None:
        self._orders, self._accounts = orders, accounts
        self._crediting = Crediting(accounts, orders)
        self._reason = listed("return", credit_note_reasons) or credit_note_reasons[0]
        self._reasons = credit_note_reasons

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        for envelope in envelopes:
            if envelope.type not in LEARNT_FROM:
                continue
            event = envelope.event()
            metadata = Metadata(
                actor=ACTOR,
                occurred_at=envelope.occurred_at,
                correlation_id=envelope.correlation_id,
                causation_id=str(envelope.event_id),
            )
            if isinstance(event, ReturnReceived):
                await self._received(event, metadata)
            elif isinstance(event, ReturnResolved) and event.resolution is ReturnResolution.REFUND:
                await self._refunded(event, metadata, envelope.occurred_at.date())

    async def _received(self, event: ReturnReceived, metadata: Metadata) -> None:
        stream = order.stream_of(event.order_id)
        for line in event.lines:
            command = ReturnLine(
                order_id=event.order_id, return_id=line_return_id(event.return_id, line.line),
                line=line.line, quantity=line.quantity, reason=event.reason,
                reasons=(event.reason,),
            )  # fmt: skip
            try:
                await self._orders.handle(stream, command, metadata)
            except DomainError as refused:
                _refused(event.return_id, stream, refused)

    async def _refunded(self, event: ReturnResolved, metadata: Metadata, on: date) -> None:
        bought, _ = await self._orders.load(order.stream_of(event.order_id))
        stream = account.stream_of(event.customer_id)
        for line in event.lines:
            invoice_id = billing(bought, line.line)
            if invoice_id is None:
                log.warning("return not refunded: its order was never invoiced",
                            return_id=event.return_id, order_id=event.order_id)  # fmt: skip
                continue
            returned = line_return_id(event.return_id, line.line)
            try:
                command = await self._reversal(event, invoice_id, returned, on)
                await self._accounts.handle(stream, command, metadata)
            except DomainError as refused:
                _refused(event.return_id, stream, refused)

    async def _reversal(
        self, event: ReturnResolved, invoice_id: str, returned: str, on: date
    ) -> AccountCommand:
        """A refund of what was paid of the line's net, else a credit note; the same again
        for a retry (the account then records nothing)."""
        net = await self._crediting.net_to_credit(event.customer_id, invoice_id, None, returned)
        state, _ = await self._accounts.load(account.stream_of(event.customer_id))
        facts = {
            "customer_id": event.customer_id, "invoice_id": invoice_id, "net": net,
            "reason": self._reason, "reasons": self._reasons, "return_id": returned,
        }  # fmt: skip
        if returned in state.refunds or (
            returned not in state.credit_notes and pays_back(state, invoice_id, net, returned)
        ):
            return RefundInvoice(
                **facts, refund_id=returned, method=PaymentMethodKind.TRANSFER, paid_on=on
            )
        return IssueCreditNote(**facts, credit_note_id=returned, issued_on=on)


def _refused(return_id: str, stream: str, refused: DomainError) -> None:
    log.warning("support's return refused by sales", return_id=return_id, stream=stream,
                why=refused.message)  # fmt: skip
