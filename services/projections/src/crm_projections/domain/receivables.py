"""The receivables read model: one document per customer account (ADR 40), keeping each of
its events with both times, so the account can be read as it stood at any time.

What is overdue depends on the day it is read for, so it is worked out when read
(`standing`), never folded from the clock: an instalment is overdue on a day after its due
date while not fully allocated; its days past due count to that day, or to the day it was
settled if that came late (a late payment). Open amounts age in buckets by days past due:
current (not yet due), 1-30, 31-60, 61-90, 91+. An invoice's payment state comes from its
allocations: not paid, partially paid, paid, or reversed (credited to nothing).

The sales context decided every allocation (which instalment, how much): this only sums them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import (
    Allocation,
    CreditApplied,
    CreditLimitSet,
    CreditNoteIssued,
    InvoicePosted,
    OrderBooked,
    OrderReleased,
    PaymentReceived,
    PaymentReminderSent,
    RefundPaid,
)

from crm_projections.domain import change_history
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_decimal

Document = dict[str, Any]
ZERO = Decimal(0)
BUCKETS = ("current", "1-30", "31-60", "61-90", "91+")
EVENTS: tuple[type[DomainEvent], ...] = (
    InvoicePosted,
    PaymentReceived,
    CreditApplied,
    CreditNoteIssued,
    RefundPaid,
    CreditLimitSet,
    OrderBooked,
    OrderReleased,
    PaymentReminderSent,
)
_BY_TYPE = {cls.event_type: cls for cls in EVENTS}

BLANK: Document = {"customer_id": None, "status": None}
FOLDS = Folds()


def _kept(changes: Document, event: DomainEvent, envelope: EventEnvelope) -> None:
    """An account event is kept whole: the standing on a day is summed from them when read."""
    changes.update(
        {
            "customer_id": envelope.data["customer_id"],
            "status": "open",
            "event": {"type": envelope.type, "data": event.model_dump(mode="json")},
        }
    )


for _event_class in EVENTS:
    FOLDS.on(_event_class)(_kept)

MODEL = change_history.HistoryModel("account", "customer_id", FOLDS, BLANK)
changes_of, key, empty, fold = MODEL.changes_of, MODEL.key, MODEL.empty, MODEL.fold


def events_of(entries: Iterable[Document]) -> list[DomainEvent]:
    """The typed events kept in the entries, in the entries' order."""
    return [
        _BY_TYPE[entry["set"]["event"]["type"]].model_validate(entry["set"]["event"]["data"])
        for entry in entries
    ]


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "91+"


@dataclass
class _Instalment:
    due_on: date
    amount: Decimal
    reduced: Decimal = ZERO
    paid: Decimal = ZERO
    last_moved: date | None = None  # the latest day money or a credit note touched it
    reminders: list[str] = field(default_factory=list)  # the levels sent, in order

    @property
    def due(self) -> Decimal:
        return self.amount - self.reduced

    @property
    def open(self) -> Decimal:
        return self.due - self.paid

    def settled_late(self) -> bool:
        return (
            self.open == 0
            and self.paid > 0
            and self.last_moved is not None
            and self.last_moved > self.due_on
        )

    def days_past_due(self, day: date) -> int:
        """Up to `day` while open; up to the day it was settled if that was late."""
        if self.open > 0:
            return max((day - self.due_on).days, 0)
        if self.last_moved is None or not self.settled_late():
            return 0
        return (self.last_moved - self.due_on).days


@dataclass
class _Invoice:
    posted: InvoicePosted
    instalments: list[_Instalment]
    credited: Decimal = ZERO
    credited_net: Decimal = ZERO

    @property
    def paid(self) -> Decimal:
        return sum((i.paid for i in self.instalments), ZERO)

    @property
    def open(self) -> Decimal:
        return sum((i.open for i in self.instalments), ZERO)

    @property
    def state(self) -> str:
        if sum((i.due for i in self.instalments), ZERO) == 0:
            return "reversed"
        if self.open == 0:
            return "paid"
        return "partially_paid" if self.paid > 0 else "not_paid"


@dataclass
class _Ledger:
    invoices: dict[str, _Invoice] = field(default_factory=dict)
    credit: dict[str, Decimal] = field(default_factory=dict)
    refunded: dict[str, Decimal] = field(default_factory=dict)
    credited_net: dict[str, Decimal] = field(default_factory=dict)  # not tied to a return
    limits: dict[str, Decimal] = field(default_factory=dict)
    booked: dict[str, OrderBooked] = field(default_factory=dict)  # orders, until cancelled
    billed: dict[str, Decimal] = field(default_factory=dict)  # invoiced, per order
    overrides: int = 0  # orders placed above the limit by an override

    def move(self, allocations: Iterable[Allocation], on: date, *, paid: int, reduced: int) -> None:
        for a in allocations:
            invoice = self.invoices.get(a.invoice_id)
            if invoice is None:  # an event of an invoice this reading does not include yet
                continue
            instalment = invoice.instalments[a.instalment]
            instalment.paid += paid * a.amount
            instalment.reduced += reduced * a.amount
            instalment.last_moved = max(instalment.last_moved or on, on)


def _plus(amounts: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    amounts[currency] = amounts.get(currency, ZERO) + amount


def _ledger(events: Iterable[DomainEvent]) -> _Ledger:
    ledger = _Ledger()
    for event in events:
        match event:
            case InvoicePosted():
                instalments = [_Instalment(i.due_on, i.amount) for i in event.instalments]
                ledger.invoices[event.invoice_id] = _Invoice(event, instalments)
                _plus(ledger.billed, event.order_id, event.total)  # a receivable now
            case PaymentReceived():
                ledger.move(event.allocations, event.received_on, paid=1, reduced=0)
                _plus(ledger.credit, event.currency, event.credited)
            case CreditApplied():
                ledger.move(event.allocations, event.applied_on, paid=1, reduced=0)
                spent = sum((a.amount for a in event.allocations), ZERO)
                _plus(ledger.credit, event.currency, -spent)
            case CreditNoteIssued():
                ledger.move(event.reductions, event.issued_on, paid=0, reduced=1)
                ledger.move(event.released, event.issued_on, paid=-1, reduced=0)
                _plus(ledger.credit, event.currency, event.credited)
                if event.invoice_id in ledger.invoices:
                    ledger.invoices[event.invoice_id].credited += event.total
                if event.return_id is None:
                    _plus(ledger.credited_net, event.currency, event.net)
            case RefundPaid():
                _plus(ledger.credit, event.currency, -event.amount)
                _plus(ledger.refunded, event.currency, event.amount)
            case _:
                _credit_limit(ledger, event)
    return ledger


def _credit_limit(ledger: _Ledger, event: DomainEvent) -> None:
    match event:
        case CreditLimitSet():
            ledger.limits.pop(event.currency, None)
            if event.limit is not None:
                ledger.limits[event.currency] = event.limit
        case OrderBooked():
            ledger.booked[event.order_id] = event
            ledger.overrides += event.override_by is not None
        case OrderReleased():
            ledger.booked.pop(event.order_id, None)
        case PaymentReminderSent():
            invoice = ledger.invoices.get(event.invoice_id)
            if invoice is not None:
                invoice.instalments[event.instalment].reminders.append(event.level.value)


def _unbilled(ledger: _Ledger) -> dict[str, Decimal]:
    unbilled: dict[str, Decimal] = {}
    for order_id, booked in ledger.booked.items():
        left = booked.amount - ledger.billed.get(order_id, ZERO)
        _plus(unbilled, booked.currency, max(left, ZERO))
    return unbilled


def _amounts(amounts: dict[str, Decimal]) -> dict[str, str]:
    return {c: json_decimal(v) for c, v in sorted(amounts.items()) if v != 0}


@dataclass(frozen=True)
class Standing:
    """A customer's account on a day: what is open, overdue and aging, per currency; their
    credit; how often and how late they paid; each invoice with its payment state."""

    day: str
    open: dict[str, str]
    overdue: dict[str, str]
    ageing: dict[str, dict[str, str]]  # currency -> bucket -> open amount
    credit: dict[str, str]
    refunded: dict[str, str]
    credited_net: dict[str, str]  # credit notes' nets not tied to a return: off revenue
    late_payments: int  # instalments settled after their due date
    worst_days_past_due: int
    credit_limit: dict[str, str]
    unbilled: dict[str, str]  # orders booked against the limit, not invoiced yet
    overrides: int  # orders placed above the limit by an override
    invoices: list[Document]


def standing(events: Iterable[DomainEvent], day: date) -> Standing:
    ledger = _ledger(events)
    open_: dict[str, Decimal] = {}
    overdue: dict[str, Decimal] = {}
    ageing: dict[str, dict[str, Decimal]] = {}
    late = worst = 0
    invoices: list[Document] = []
    for invoice in ledger.invoices.values():
        posted, currency = invoice.posted, invoice.posted.currency
        rows: list[Document] = []
        for n, instalment in enumerate(invoice.instalments):
            days = instalment.days_past_due(day)
            worst = max(worst, days)
            late += instalment.settled_late()
            if instalment.open > 0:
                _plus(open_, currency, instalment.open)
                aged = ageing.setdefault(currency, {})
                _plus(aged, bucket(days), instalment.open)
                if days > 0:
                    _plus(overdue, currency, instalment.open)
            rows.append(
                {
                    "instalment": n,
                    "due_on": instalment.due_on.isoformat(),
                    "amount": json_decimal(instalment.due),
                    "paid": json_decimal(instalment.paid),
                    "open": json_decimal(instalment.open),
                    "days_past_due": days,
                    "paid_late": instalment.settled_late(),
                    "reminders": list(instalment.reminders),
                }
            )
        invoices.append(
            {
                "invoice_id": posted.invoice_id,
                "reference": posted.reference,
                "order_id": posted.order_id,
                "issued_on": posted.issued_on.isoformat(),
                "currency": currency,
                "total": json_decimal(posted.total),
                "credited": json_decimal(invoice.credited),
                "paid": json_decimal(invoice.paid),
                "open": json_decimal(invoice.open),
                "state": invoice.state,
                "instalments": rows,
            }
        )
    return Standing(
        day=day.isoformat(),
        open=_amounts(open_),
        overdue=_amounts(overdue),
        ageing={
            c: {b: json_decimal(buckets.get(b, ZERO)) for b in BUCKETS}
            for c, buckets in sorted(ageing.items())
        },
        credit=_amounts(ledger.credit),
        refunded=_amounts(ledger.refunded),
        credited_net=_amounts(ledger.credited_net),
        late_payments=late,
        worst_days_past_due=worst,
        credit_limit={c: json_decimal(v) for c, v in sorted(ledger.limits.items())},
        unbilled=_amounts(_unbilled(ledger)),
        overrides=ledger.overrides,
        invoices=sorted(invoices, key=lambda i: (i["issued_on"], i["reference"])),
    )


def entries(doc: Document, at: str | None, basis: change_history.Basis) -> list[Document]:
    """The account's entries: all (None), or those of `at` on the basis, in that time's order."""
    return MODEL.entries(doc, at, basis)
