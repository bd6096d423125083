"""Return requests (crm_support.domain.return_request, ADR 51) and what sales makes of them
(crm_sales.application.support_returns), figures by hand: requested, approved under an RMA
number, received, resolved by a refund; sales records the returned lines and refunds what
was paid of them (a credit note when nothing was), once, however often the events arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.application import CommandHandlers
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import DEFAULT_RETURN_REASONS
from crm_kernel.relay import Relay
from crm_sales.application.invoicing import Invoicing, Terms
from crm_sales.application.support_returns import SupportReturns
from crm_sales.domain import account, order
from crm_sales.domain.account import DEFAULT_CREDIT_NOTE_REASONS, ReceivePayment, account_decider
from crm_sales.domain.invoice_series import series_decider
from crm_sales.domain.order import FulfilOrder, PlaceOrder, order_decider
from crm_sales_contracts.events import OrderLine, PaymentTermsKind
from crm_support.domain.return_request import (
    DEFAULT_REFUSAL_REASONS,
    ApproveReturn,
    ReceiveReturn,
    RefuseReturn,
    RequestReturn,
    ResolveReturn,
    return_decider,
)
from crm_support_contracts.events import (
    LineQuantity,
    ReturnApproved,
    ReturnResolution,
    ReturnStatus,
)

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher

RID = "0b7e2c1a-1111-4222-8333-444455556666"
META = Metadata(actor="desk")


def request(*lines: tuple[int, int]) -> RequestReturn:
    return RequestReturn(
        return_id=RID, customer_id="c1", order_id="o1", case_id="s1",
        lines=tuple(LineQuantity(line=n, quantity=q) for n, q in lines), reason="Defective",
        reasons=DEFAULT_RETURN_REASONS, note="The switch broke",
    )  # fmt: skip


def run(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for command in commands:
        events += return_decider.decide(return_decider.fold(events), command)
    return events


def test_a_return_goes_from_requested_through_approved_and_received_to_resolved() -> None:
    events = run(request((0, 2)), ApproveReturn(return_id=RID))
    assert isinstance(events[1], ReturnApproved) and events[1].rma == "RMA-0B7E2C1A11"
    assert return_decider.decide(return_decider.fold(events), ApproveReturn(return_id=RID)) == []
    events += return_decider.decide(return_decider.fold(events), ReceiveReturn(return_id=RID))
    done = events + return_decider.decide(
        return_decider.fold(events),
        ResolveReturn(return_id=RID, resolution=ReturnResolution.REFUND),
    )
    state = return_decider.fold(done)
    assert state.status is ReturnStatus.RESOLVED and state.requested is not None
    assert state.requested.reason == "defective"  # the list's spelling


def test_steps_out_of_order_and_receipts_beyond_the_request_are_refused() -> None:
    with pytest.raises(ConflictError, match="is requested: it cannot be received: approve"):
        run(request((0, 2)), ReceiveReturn(return_id=RID))
    approved = (request((0, 2)), ApproveReturn(return_id=RID))
    with pytest.raises(DomainError, match="line 0 was requested 2 times, not 3"):
        run(*approved, ReceiveReturn(return_id=RID, lines=(LineQuantity(line=0, quantity=3),)))
    with pytest.raises(DomainError, match="only a repair is under warranty"):
        run(*approved, ReceiveReturn(return_id=RID),
            ResolveReturn(return_id=RID, resolution=ReturnResolution.REFUND,
                          under_warranty=True))  # fmt: skip
    with pytest.raises(ConflictError, match="is refused: it cannot be approved"):
        run(request((0, 1)), RefuseReturn(return_id=RID, reason="other",
                                          reasons=DEFAULT_REFUSAL_REASONS),
            ApproveReturn(return_id=RID))  # fmt: skip
    with pytest.raises(DomainError, match="name each order line once"):
        run(request((0, 1), (0, 1)))


async def test_sales_records_the_returned_lines_and_refunds_them_once() -> None:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.sales", store=store, keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )  # fmt: skip
    orders, accounts = handlers.of(order_decider), handlers.of(account_decider)
    lamps = OrderLine(sku="LAMP-40", quantity=2, unit_price=Decimal("30.00"))
    bulbs = OrderLine(sku="BULB", quantity=4, unit_price=Decimal("2.50"))
    place = PlaceOrder(order_id="o1", customer_id="c1", currency="EUR", lines=(lamps, bulbs))
    await orders.handle(order.stream_of("o1"), place, META)
    await orders.handle(order.stream_of("o1"), FulfilOrder(order_id="o1"), META)
    invoicing = Invoicing(orders, handlers.of(series_decider), accounts)
    await invoicing.issue("i1", "o1", "F", date(2026, 12, 1), Terms(PaymentTermsKind.IMMEDIATE),
                          META)  # fmt: skip
    paid = ReceivePayment(customer_id="c1", payment_id="p1", currency="EUR",
                          amount=Decimal("70.00"), method="card", received_on=date(2026, 12, 1))  # fmt: skip
    await accounts.handle(account.stream_of("c1"), paid, META)
    # Support: one lamp back, refunded.
    events = run(request((0, 1)), ApproveReturn(return_id=RID), ReceiveReturn(return_id=RID),
                 ResolveReturn(return_id=RID, resolution=ReturnResolution.REFUND))  # fmt: skip
    at = datetime(2026, 12, 5, 10, tzinfo=UTC)
    envelopes = wrap(events, source="crm.support", stream_id=f"return-{RID}",
                     expected_version=0, metadata=Metadata(actor="desk"), now=at)  # fmt: skip
    policy = SupportReturns(orders, accounts, DEFAULT_CREDIT_NOTE_REASONS)
    await policy.learn(envelopes)
    await policy.learn(envelopes)  # delivered again: nothing more
    bought = (await orders.load(order.stream_of("o1")))[0]
    [returned] = bought.returns
    assert (returned.return_id, returned.quantity, returned.net) == (
        f"{RID}-0",
        1,
        Decimal("30.00"),
    )
    state = (await accounts.load(account.stream_of("c1")))[0]
    [refund] = state.refunds.values()
    assert (refund.refund_id, refund.amount) == (f"{RID}-0", Decimal("30.00"))
    assert len(state.credit_notes) == 1
