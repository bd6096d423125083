"""The customer's account: what they owe and have paid, one stream per customer (ADR 40).

    command         records
    post invoice    the invoice owed; the customer's credit in its currency pays what it can
    receive payment allocations to open instalments, the surplus kept as credit
    credit note     part or all of an invoice reversed; what was paid of it becomes credit
    refund          a credit note, and what was paid of it paid back
    credit limit    what open receivables plus unbilled orders may reach, per currency
    book order      with a limit in its currency, an order counted against it until
                    invoiced (refused above it, unless overridden, the override recorded
                    with its actor); without one, nothing to record
    release order   a cancelled order no longer counted
    remind          an overdue instalment reminded when a level's deadline comes (first,
                    second, final), each level once, a level overtaken by the next skipped

Every decision that moves money between invoices is taken on this one stream, so an allocation
never exceeds what is open, however many payments arrive at once: the loser of a race is
decided again with the winner's allocations in the state. Instalments settle in due-date
order (oldest first, across invoices); a credit note takes its amount off the last ones first.
Each command names its id (payment, credit note, refund), so a retry records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError, RefusedError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_sales_contracts.events import (
    Allocation,
    CreditApplied,
    CreditLimitSet,
    CreditNoteIssued,
    DueInstalment,
    InvoicePosted,
    OrderBooked,
    OrderReleased,
    PaymentReceived,
    PaymentReminderSent,
    RefundPaid,
    ReminderLevel,
)
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.money import exact, rounded
from crm_sales.domain.order import PaymentMethod

ZERO = Decimal(0)
LEVELS = (ReminderLevel.FIRST, ReminderLevel.SECOND, ReminderLevel.FINAL)
# Days past due at which the first, the second and the final reminder go out, unless
# CRM_PAYMENT_REMINDER_DAYS says otherwise.
DEFAULT_REMINDER_DAYS = (7, 21, 45)
# Why an invoice may be credited or refunded, unless CRM_CREDIT_NOTE_REASONS says otherwise.
DEFAULT_CREDIT_NOTE_REASONS = (
    "return",
    "billing error",
    "price adjustment",
    "goodwill",
    "cancelled service",
    "other",
)


def stream_of(customer_id: str) -> str:
    return f"account-{customer_id}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str


class PostInvoice(Command):
    invoice_id: str
    order_id: str
    reference: str
    issued_on: date
    currency: str
    net: Decimal
    tax: Decimal
    total: Decimal
    instalments: tuple[DueInstalment, ...]


class ReceivePayment(Command):
    payment_id: str
    currency: str
    amount: Decimal
    method: PaymentMethod
    received_on: date
    invoice_ids: tuple[str, ...] = ()  # these only, in this order; none: every open one


class Reversal(Command):
    """What a credit note and a refund share: the net of the invoice they reverse."""

    invoice_id: str
    net: Decimal
    reason: str
    reasons: tuple[str, ...]
    return_id: str | None = None


class IssueCreditNote(Reversal):
    credit_note_id: str
    issued_on: date


class RefundInvoice(Reversal):
    refund_id: str
    method: PaymentMethod
    paid_on: date


class SetCreditLimit(Command):
    currency: str
    limit: Decimal | None  # None: no limit


class BookOrder(Command):
    order_id: str
    currency: str
    amount: Decimal  # with tax, as the invoice will be
    override_by: str | None = None  # who allows it above the limit


class ReleaseOrder(Command):
    order_id: str


class RemindPayment(Command):
    """The deadline of reminder `level` (an index of LEVELS) of an instalment has come: it is
    the day `on`; the scheduler raises it on `today` (later, after a stop)."""

    invoice_id: str
    instalment: int
    level: int
    on: date
    today: date
    days: tuple[int, int, int]  # days past due of the first, the second, the final reminder


AccountCommand = (
    PostInvoice
    | ReceivePayment
    | IssueCreditNote
    | RefundInvoice
    | SetCreditLimit
    | BookOrder
    | ReleaseOrder
    | RemindPayment
)


@dataclass(frozen=True)
class Receivable:
    posted: InvoicePosted
    due: tuple[Decimal, ...]  # per instalment: its amount less what credit notes took off
    paid: tuple[Decimal, ...]  # per instalment: allocated, less what credit notes released
    credited_net: Decimal = ZERO
    credited_tax: Decimal = ZERO

    def open(self, instalment: int) -> Decimal:
        return self.due[instalment] - self.paid[instalment]

    @property
    def total_open(self) -> Decimal:
        return sum(self.due, ZERO) - sum(self.paid, ZERO)


@dataclass(frozen=True)
class Account:
    invoices: dict[str, Receivable] = field(default_factory=dict)  # in posting order
    credit: dict[str, Decimal] = field(default_factory=dict)  # per currency
    payments: dict[str, PaymentReceived] = field(default_factory=dict)
    credit_notes: dict[str, CreditNoteIssued] = field(default_factory=dict)
    refunds: dict[str, RefundPaid] = field(default_factory=dict)
    limits: dict[str, Decimal] = field(default_factory=dict)  # per currency
    booked: dict[str, OrderBooked] = field(default_factory=dict)  # unbilled orders, by id
    reminded: dict[tuple[str, int], int] = field(default_factory=dict)  # level sent, by place

    def open_in(self, currency: str) -> Decimal:
        return sum(
            (r.total_open for r in self.invoices.values() if r.posted.currency == currency), ZERO
        )

    def unbilled_in(self, currency: str) -> Decimal:
        """What the orders booked in `currency` still have to be billed."""
        return sum(
            (
                max(b.amount - self.billed(order_id), ZERO)
                for order_id, b in self.booked.items()
                if b.currency == currency
            ),
            ZERO,
        )

    def billed(self, order_id: str) -> Decimal:
        return sum(
            (r.posted.total for r in self.invoices.values() if r.posted.order_id == order_id),
            ZERO,
        )

    def receivable(self, invoice_id: str) -> Receivable:
        found = self.invoices.get(invoice_id)
        if found is None:
            raise NotFoundError(f"no invoice {invoice_id} on this customer's account")
        return found


Slot = tuple[str, int, Decimal]  # invoice, instalment, open amount


def allocate(amount: Decimal, slots: Iterable[Slot]) -> tuple[tuple[Allocation, ...], Decimal]:
    """`amount` spread over the slots in their order, each taking at most what is open; the
    allocations and what is left."""
    allocations: list[Allocation] = []
    left = amount
    for invoice_id, instalment, open_ in slots:
        if left <= 0:
            break
        take = min(left, open_)
        if take > 0:
            allocations.append(
                Allocation(invoice_id=invoice_id, instalment=instalment, amount=take)
            )
            left -= take
    return tuple(allocations), left


def _slots(receivable: Receivable) -> list[Slot]:
    return [
        (receivable.posted.invoice_id, n, receivable.open(n)) for n in range(len(receivable.due))
    ]


def due_order(account: Account, currency: str) -> list[Slot]:
    """Every open instalment in `currency`, oldest due first (posting order breaks ties)."""
    ranked = [
        (r.posted.instalments[n].due_on, place, n, r)
        for place, r in enumerate(account.invoices.values())
        if r.posted.currency == currency
        for n in range(len(r.due))
        if r.open(n) > 0
    ]
    ranked.sort(key=lambda item: item[:3])
    return [(r.posted.invoice_id, n, r.open(n)) for _, _, n, r in ranked]


decide: Decisions[Account, AccountCommand] = Decisions()


@decide.on(PostInvoice)
def post(state: Account, command: PostInvoice) -> list[DomainEvent]:
    known = state.invoices.get(command.invoice_id)
    if known is not None:
        if known.posted.order_id == command.order_id:
            return []  # a retry
        raise ConflictError(f"invoice {command.invoice_id} was posted for another order")
    facts = {name: getattr(command, name) for name in type(command).model_fields}
    posted = InvoicePosted(**facts)
    events: list[DomainEvent] = [posted]
    credit = state.credit.get(command.currency, ZERO)
    if credit > 0:
        fresh = Receivable(posted, tuple(i.amount for i in posted.instalments), _zeros(posted))
        allocations, _ = allocate(credit, _slots(fresh))
        if allocations:
            events.append(
                CreditApplied(
                    invoice_id=command.invoice_id,
                    customer_id=command.customer_id,
                    currency=command.currency,
                    applied_on=command.issued_on,
                    allocations=allocations,
                )
            )
    return events


def _zeros(posted: InvoicePosted) -> tuple[Decimal, ...]:
    return (ZERO,) * len(posted.instalments)


def _named_slots(state: Account, command: ReceivePayment) -> list[Slot]:
    slots: list[Slot] = []
    for invoice_id in dict.fromkeys(command.invoice_ids):
        receivable = state.receivable(invoice_id)
        if receivable.posted.currency != command.currency:
            raise DomainError(
                f"invoice {invoice_id} is in {receivable.posted.currency}, the payment in "
                f"{command.currency}",
                field="invoice_ids",
            )
        if sum(receivable.due, ZERO) == 0:
            raise ConflictError(f"invoice {invoice_id} was reversed: nothing is owed on it")
        if receivable.total_open == 0:
            raise ConflictError(f"invoice {invoice_id} is paid in full")
        slots.extend(_slots(receivable))
    return slots


@decide.on(ReceivePayment)
def receive(state: Account, command: ReceivePayment) -> list[DomainEvent]:
    amount = exact(command.amount, command.currency, "amount")
    if amount <= 0:
        raise DomainError("a payment is of more than nothing", field="amount")
    slots = (
        _named_slots(state, command) if command.invoice_ids else due_order(state, command.currency)
    )
    allocations, surplus = allocate(amount, slots)
    received = PaymentReceived(
        payment_id=command.payment_id,
        customer_id=command.customer_id,
        currency=command.currency,
        amount=amount,
        method=command.method,
        received_on=command.received_on,
        allocations=allocations,
        credited=surplus,
    )
    known = state.payments.get(command.payment_id)
    if known is not None:
        same = (known.amount, known.currency, known.method, known.received_on)
        if same == (amount, command.currency, command.method, command.received_on):
            return []  # a retry: allocated when it was first received
        raise ConflictError(f"payment {command.payment_id} was received with other facts")
    return [received]


def pays_back(state: Account, invoice_id: str, net: Decimal, return_id: str | None) -> bool:
    """Whether reversing `net` of the invoice would pay money back (a refund), rather than
    only reduce what is owed (a credit note): what was paid of the part reversed."""
    probe = _credit_note(state, "probe", invoice_id, net, "probe", date.min, return_id)
    return probe.credited > 0


def _credit_note(
    state: Account,
    credit_note_id: str,
    invoice_id: str,
    net: Decimal,
    reason: str,
    issued_on: date,
    return_id: str | None,
) -> CreditNoteIssued:
    receivable = state.receivable(invoice_id)
    posted = receivable.posted
    net = exact(net, posted.currency, "net")
    if net <= 0:
        raise DomainError("a credit note reverses more than nothing", field="net")
    net_left = posted.net - receivable.credited_net
    if net > net_left:
        raise ConflictError(f"invoice {invoice_id} has {net_left} of its net left to credit")
    if return_id is not None:
        used = next((c for c in state.credit_notes.values() if c.return_id == return_id), None)
        if used is not None:
            raise ConflictError(
                f"return {return_id} was credited already, by {used.credit_note_id}"
            )
    # The reversed net's share of the invoice's tax; the last credit note takes what is left,
    # so a full reversal leaves nothing owed however the shares rounded.
    tax_left = posted.tax - receivable.credited_tax
    share = rounded(posted.tax * net / posted.net, posted.currency) if posted.net else ZERO
    tax = tax_left if net == net_left else min(share, tax_left)
    total, reductions, released = net + tax, [], []
    left = total
    for n in reversed(range(len(receivable.due))):
        take = min(left, receivable.due[n])
        if take <= 0:
            continue
        left -= take
        reductions.append(Allocation(invoice_id=invoice_id, instalment=n, amount=take))
        over = receivable.paid[n] - (receivable.due[n] - take)
        if over > 0:
            released.append(Allocation(invoice_id=invoice_id, instalment=n, amount=over))
    return CreditNoteIssued(
        credit_note_id=credit_note_id,
        invoice_id=invoice_id,
        customer_id=posted.customer_id,
        currency=posted.currency,
        issued_on=issued_on,
        net=net,
        tax=tax,
        total=total,
        reason=reason,
        return_id=return_id,
        reductions=tuple(reductions),
        released=tuple(released),
        credited=sum((r.amount for r in released), ZERO),
    )


def _same_note(known: CreditNoteIssued, invoice_id: str, net: Decimal) -> bool:
    return known.invoice_id == invoice_id and known.net == net


@decide.on(IssueCreditNote)
def credit(state: Account, command: IssueCreditNote) -> list[DomainEvent]:
    reason = required(command.reason, command.reasons, "a credit note")
    known = state.credit_notes.get(command.credit_note_id)
    if known is not None:
        if _same_note(known, command.invoice_id, command.net):
            return []
        raise ConflictError(f"credit note {command.credit_note_id} was issued with other facts")
    return [
        _credit_note(
            state,
            command.credit_note_id,
            command.invoice_id,
            command.net,
            reason,
            command.issued_on,
            command.return_id,
        )
    ]


@decide.on(RefundInvoice)
def refund(state: Account, command: RefundInvoice) -> list[DomainEvent]:
    reason = required(command.reason, command.reasons, "a refund")
    known = state.credit_notes.get(command.refund_id)
    if known is not None:
        if command.refund_id in state.refunds and _same_note(
            known, command.invoice_id, command.net
        ):
            return []
        raise ConflictError(f"refund {command.refund_id} was recorded with other facts")
    note = _credit_note(
        state,
        command.refund_id,
        command.invoice_id,
        command.net,
        reason,
        command.paid_on,
        command.return_id,
    )
    if note.credited == 0:
        raise ConflictError(
            f"nothing of invoice {command.invoice_id} was paid: issue a credit note instead"
        )
    paid = RefundPaid(
        refund_id=command.refund_id,
        customer_id=command.customer_id,
        currency=note.currency,
        amount=note.credited,
        method=command.method,
        paid_on=command.paid_on,
        invoice_id=command.invoice_id,
    )
    return [note, paid]


@decide.on(SetCreditLimit)
def set_limit(state: Account, command: SetCreditLimit) -> list[DomainEvent]:
    limit = None if command.limit is None else exact(command.limit, command.currency, "limit")
    if state.limits.get(command.currency) == limit:
        return []
    return [CreditLimitSet(customer_id=command.customer_id, currency=command.currency, limit=limit)]


@decide.on(BookOrder)
def book(state: Account, command: BookOrder) -> list[DomainEvent]:
    billed = any(r.posted.order_id == command.order_id for r in state.invoices.values())
    if command.order_id in state.booked or billed:
        return []  # a retry: counted already (or invoiced since)
    currency = command.currency
    limit = state.limits.get(currency)
    if limit is None:
        return []  # no limit to keep: an order costs the account nothing (ADR 41)
    # At the currency's own precision, as the refusal shows them.
    open_ = rounded(state.open_in(currency), currency)
    unbilled = rounded(state.unbilled_in(currency), currency)
    exposure = open_ + unbilled + command.amount
    over = exposure > limit
    if over and command.override_by is None:
        raise RefusedError(
            f"customer {command.customer_id}'s credit limit is {limit} {currency}: open "
            f"receivables {open_} + unbilled orders {unbilled} + this order {command.amount} "
            f"= {exposure}; place it with credit_override to go above the limit"
        )
    return [
        OrderBooked(
            customer_id=command.customer_id,
            order_id=command.order_id,
            currency=currency,
            amount=command.amount,
            exposure=exposure,
            limit=limit,
            override_by=command.override_by if over else None,
        )
    ]


@decide.on(ReleaseOrder)
def release(state: Account, command: ReleaseOrder) -> list[DomainEvent]:
    booked = state.booked.get(command.order_id)
    if booked is None:
        return []  # never booked, or released already
    return [
        OrderReleased(
            customer_id=command.customer_id,
            order_id=command.order_id,
            currency=booked.currency,
            amount=booked.amount,
        )
    ]


def reminder_day(due_on: date, level: int, days: tuple[int, int, int]) -> date:
    """The day reminder `level` of an instalment due on `due_on` comes."""
    return due_on + timedelta(days=days[level])


@decide.on(RemindPayment)
def remind(state: Account, command: RemindPayment) -> list[DomainEvent]:
    """Nothing for an instalment paid (or credited) by then, a level sent already, or one the
    next level overtook by the day it is raised (an invoice imported 50 days late gets the
    final reminder, not three at once)."""
    r = state.receivable(command.invoice_id)
    n, level = command.instalment, command.level
    due_on = r.posted.instalments[n].due_on
    overtaken = level + 1 < len(command.days) and (
        reminder_day(due_on, level + 1, command.days) <= command.today
    )
    sent = state.reminded.get((command.invoice_id, n), -1)
    if r.open(n) <= 0 or sent >= level or overtaken:
        return []
    return [
        PaymentReminderSent(
            customer_id=command.customer_id,
            invoice_id=command.invoice_id,
            reference=r.posted.reference,
            instalment=n,
            level=LEVELS[level],
            due_on=due_on,
            open=r.open(n),
            days_past_due=(command.on - due_on).days,
            reminded_on=command.on,
        )
    ]


def _moved(
    invoices: dict[str, Receivable], allocations: Iterable[Allocation], sign: int, paid: bool
) -> dict[str, Receivable]:
    """The invoices with `allocations` added to (sign 1) or taken off (-1) their instalments'
    paid amounts (`paid`) or amounts due."""
    moved = dict(invoices)
    for a in allocations:
        r = moved[a.invoice_id]
        amounts = list(r.paid if paid else r.due)
        amounts[a.instalment] += sign * a.amount
        changed = replace(r, paid=tuple(amounts)) if paid else replace(r, due=tuple(amounts))
        moved[a.invoice_id] = changed
    return moved


def _plus(credit: dict[str, Decimal], currency: str, amount: Decimal) -> dict[str, Decimal]:
    return {**credit, currency: credit.get(currency, ZERO) + amount}


def _evolve_credit(state: Account, event: DomainEvent) -> Account:
    """The customer's credit standing: its limit, the unbilled orders counted against it, the
    refunds paid out of it, the reminders sent."""
    match event:
        case PaymentReminderSent():
            place = (event.invoice_id, event.instalment)
            reminded = {**state.reminded, place: LEVELS.index(event.level)}
            return replace(state, reminded=reminded)
        case RefundPaid():
            return replace(
                state,
                credit=_plus(state.credit, event.currency, -event.amount),
                refunds={**state.refunds, event.refund_id: event},
            )
        case CreditLimitSet():
            limits = {k: v for k, v in state.limits.items() if k != event.currency}
            if event.limit is not None:
                limits[event.currency] = event.limit
            return replace(state, limits=limits)
        case OrderBooked():
            return replace(state, booked={**state.booked, event.order_id: event})
        case OrderReleased():
            booked = {k: v for k, v in state.booked.items() if k != event.order_id}
            return replace(state, booked=booked)
    return state


def evolve(state: Account, event: DomainEvent) -> Account:
    if isinstance(
        event, CreditLimitSet | OrderBooked | OrderReleased | RefundPaid | PaymentReminderSent
    ):
        return _evolve_credit(state, event)
    match event:
        case InvoicePosted():
            fresh = Receivable(event, tuple(i.amount for i in event.instalments), _zeros(event))
            # What is invoiced of a booked order counts as a receivable, no longer as unbilled.
            return replace(state, invoices={**state.invoices, event.invoice_id: fresh})
        case PaymentReceived():
            return replace(
                state,
                invoices=_moved(state.invoices, event.allocations, 1, paid=True),
                credit=_plus(state.credit, event.currency, event.credited),
                payments={**state.payments, event.payment_id: event},
            )
        case CreditApplied():
            spent = sum((a.amount for a in event.allocations), ZERO)
            return replace(
                state,
                invoices=_moved(state.invoices, event.allocations, 1, paid=True),
                credit=_plus(state.credit, event.currency, -spent),
            )
        case CreditNoteIssued():
            invoices = _moved(state.invoices, event.reductions, -1, paid=False)
            invoices = _moved(invoices, event.released, -1, paid=True)
            r = invoices[event.invoice_id]
            invoices[event.invoice_id] = replace(
                r, credited_net=r.credited_net + event.net, credited_tax=r.credited_tax + event.tax
            )
            return replace(
                state,
                invoices=invoices,
                credit=_plus(state.credit, event.currency, event.credited),
                credit_notes={**state.credit_notes, event.credit_note_id: event},
            )
    return state


account_decider: Decider[Account, AccountCommand] = Decider(
    initial_state=Account, decide=decide, evolve=evolve
)
