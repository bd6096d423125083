"""The order aggregate: commands, state, one decision per command, and evolve.

    command   from                          to / records
    place     (none yet)                    placed
    fulfil    placed, partly fulfilled      these quantities delivered (default: the rest)
    cancel    placed, nothing delivered     cancelled, with a listed reason: terminal
              nor invoiced
    return    delivered quantities          a return line (reason listed), once per return id
    invoice   quantities not invoiced yet   these quantities billed by an invoice (default:
                                            the rest), their share of the nets and the tax

A quantity beyond what is left to deliver or to return is a 409 naming the line and what is
left; so is any command on a cancelled order. A returned line's net is its share of the line's
net (rounded half up), so returns reduce revenue by what the line counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_sales_contracts.events import (
    Currency,
    LineQuantity,
    OrderCancelled,
    OrderFulfilled,
    OrderInvoiced,
    OrderLine,
    OrderLineReturned,
    OrderPlaced,
    PaymentMethodKind,
    PricedLine,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict

from crm_sales.domain.money import rounded

# The lists a cancellation's and a return's reason come from, unless the settings say otherwise
# (CRM_ORDER_CANCELLATION_REASONS, CRM_RETURN_REASONS).
DEFAULT_CANCELLATION_REASONS = (
    "customer request",
    "out of stock",
    "payment failed",
    "duplicate",
    "other",
)


def stream_of(order_id: str) -> str:
    return f"order-{order_id}"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# How the customer paid, matched in any letter case ("PayPal") and kept in lower case.
PaymentMethod = Annotated[PaymentMethodKind, BeforeValidator(_lower)]


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    currency: Currency
    payment_method: PaymentMethod | None = None
    # From an accepted quote: its lines as priced, copied (never a reference to the quote).
    quote_id: str | None = None
    quote_revision: int | None = None
    priced: tuple[PricedLine, ...] = ()


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str


class LineToFulfil(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    quantity: int


class FulfilOrder(Command):
    lines: tuple[LineToFulfil, ...] | None = None  # None: every line's rest


class CancelOrder(Command):
    reason: str
    reasons: tuple[str, ...]


class ReturnLine(Command):
    return_id: str
    line: int
    quantity: int
    reason: str
    reasons: tuple[str, ...]


class RecordInvoice(Command):
    """These quantities (None: every line's rest) are billed by this invoice (ADR 39)."""

    invoice_id: str
    lines: tuple[LineToFulfil, ...] | None = None


OrderCommand = PlaceOrder | FulfilOrder | CancelOrder | ReturnLine | RecordInvoice


@dataclass(frozen=True)
class Order:
    placed: OrderPlaced | None = None
    fulfilled: tuple[int, ...] = ()  # per line, how many were delivered
    returned: tuple[int, ...] = ()  # per line, how many came back
    returns: frozenset[OrderLineReturned] = frozenset()
    cancelled: bool = False
    invoices: tuple[OrderInvoiced, ...] = ()
    invoiced: tuple[int, ...] = ()  # per line, how many were billed
    invoiced_net: tuple[Decimal, ...] = ()  # per line, the nets billed
    invoiced_tax: tuple[Decimal, ...] = ()

    def invoice(self, invoice_id: str) -> OrderInvoiced | None:
        return next((i for i in self.invoices if i.invoice_id == invoice_id), None)

    def line_tax(self, line: int) -> Decimal:
        assert self.placed is not None
        return self.placed.priced[line].tax if self.placed.priced else Decimal(0)

    def billed_by(self, line: int, quantity: int) -> tuple[Decimal, Decimal]:
        """The net and tax of the line's first `quantity` units, rounded half up; all of them
        make the line's own, so a line billed in parts adds up to it exactly."""
        assert self.placed is not None
        ordered, currency = self.placed.lines[line].quantity, self.placed.currency
        if quantity == ordered:
            return self.line_net(line), self.line_tax(line)
        share = Decimal(quantity) / ordered
        net = rounded(self.line_net(line) * share, currency)
        return net, rounded(self.line_tax(line) * share, currency)

    def line_net(self, line: int) -> Decimal:
        """What the line counts as revenue: its priced net, else quantity x unit price."""
        assert self.placed is not None
        if self.placed.priced:
            return self.placed.priced[line].net
        ordered = self.placed.lines[line]
        return ordered.unit_price * ordered.quantity


decide: Decisions[Order, OrderCommand] = Decisions()


@decide.on(PlaceOrder)
def place(state: Order, command: PlaceOrder) -> list[DomainEvent]:
    if state.placed is not None and command.quote_id is None:
        raise ConflictError(f"order {command.order_id} was placed already")
    if not command.lines:
        raise DomainError("an order needs at least one line", field="lines")
    if command.priced:
        total = sum((line.net for line in command.priced), start=Decimal(0))
        tax: Decimal | None = sum((line.tax for line in command.priced), start=Decimal(0))
    else:
        total, tax = sum((ln.unit_price * ln.quantity for ln in command.lines), Decimal(0)), None
    facts = {name: getattr(command, name) for name in type(command).model_fields}
    placed = OrderPlaced(**facts, total=total, tax=tax)
    if state.placed is not None:
        if state.placed.quote_id == command.quote_id:
            return []  # the accepted quote's order (its id comes from the quote), asked again
        raise ConflictError(f"order {command.order_id} was placed already")
    return [placed]


def _placed(state: Order, command: Command) -> None:
    if state.placed is None:
        raise NotFoundError(f"no order {command.order_id}: place it first")
    if state.cancelled:
        raise ConflictError(f"order {command.order_id} was cancelled: it is closed")


def _line(state: Order, line: int, command: Command) -> OrderLine:
    assert state.placed is not None
    if not 0 <= line < len(state.placed.lines):
        raise DomainError(
            f"order {command.order_id} has lines 0 to {len(state.placed.lines) - 1}", field="line"
        )
    return state.placed.lines[line]


def _asked(
    state: Order, asked: tuple[LineToFulfil, ...] | None, left: list[int], command: Command
) -> dict[int, int]:
    """The quantities asked for per line (None: every line's rest), each checked against its
    line."""
    items = (
        [LineToFulfil(line=n, quantity=q) for n, q in enumerate(left) if q]
        if asked is None
        else list(asked)
    )
    wanted: dict[int, int] = {}
    for item in items:
        _line(state, item.line, command)
        wanted[item.line] = wanted.get(item.line, 0) + item.quantity
    return wanted


@decide.on(FulfilOrder, guard=_placed)
def fulfil(state: Order, command: FulfilOrder) -> list[DomainEvent]:
    assert state.placed is not None
    lines = state.placed.lines
    left = [ordered.quantity - done for ordered, done in zip(lines, state.fulfilled, strict=True)]
    delivered = _asked(state, command.lines, left, command)
    for line, quantity in delivered.items():
        if quantity > left[line]:
            raise ConflictError(
                f"line {line} of order {command.order_id} has {left[line]} left to deliver, "
                f"not {quantity}"
            )
    if not delivered:
        return []  # delivered in full already: nothing left
    after = [done + delivered.get(n, 0) for n, done in enumerate(state.fulfilled)]
    return [
        OrderFulfilled(
            order_id=command.order_id,
            customer_id=state.placed.customer_id,
            lines=tuple(
                LineQuantity(line=n, sku=lines[n].sku, quantity=q)
                for n, q in sorted(delivered.items())
            ),
            complete=all(a == o.quantity for a, o in zip(after, lines, strict=True)),
        )
    ]


@decide.on(CancelOrder)
def cancel(state: Order, command: CancelOrder) -> list[DomainEvent]:
    reason = required(command.reason, command.reasons, "a cancellation")
    if state.cancelled:
        return []  # cancelled already: a retry
    _placed(state, command)
    assert state.placed is not None
    if any(state.fulfilled):
        raise ConflictError(
            f"order {command.order_id} was delivered in part: return its lines instead"
        )
    if state.invoices:
        raise ConflictError(
            f"order {command.order_id} was invoiced ({state.invoices[0].invoice_id}): credit "
            "it instead"
        )
    placed = state.placed
    return [
        OrderCancelled(
            order_id=command.order_id,
            customer_id=placed.customer_id,
            reason=reason,
            total=placed.total,
            currency=placed.currency,
        )
    ]


@decide.on(ReturnLine, guard=_placed)
def return_line(state: Order, command: ReturnLine) -> list[DomainEvent]:
    assert state.placed is not None
    ordered = _line(state, command.line, command)
    reason = required(command.reason, command.reasons, "a return")
    net = rounded(
        state.line_net(command.line) * command.quantity / ordered.quantity, state.placed.currency
    )
    returned = OrderLineReturned(
        order_id=command.order_id,
        customer_id=state.placed.customer_id,
        return_id=command.return_id,
        line=command.line,
        sku=ordered.sku,
        quantity=command.quantity,
        net=net,
        currency=state.placed.currency,
        reason=reason,
    )
    known = next((r for r in state.returns if r.return_id == command.return_id), None)
    if known is not None:
        if known == returned:
            return []  # the same return line, recorded already
        raise ConflictError(f"return {command.return_id} was recorded with other facts")
    left = state.fulfilled[command.line] - state.returned[command.line]
    if command.quantity > left:
        raise ConflictError(
            f"line {command.line} of order {command.order_id} has {left} delivered and not "
            f"returned, not {command.quantity}"
        )
    return [returned]


@decide.on(RecordInvoice, guard=_placed)
def record_invoice(state: Order, command: RecordInvoice) -> list[DomainEvent]:
    assert state.placed is not None
    placed = state.placed
    if state.invoice(command.invoice_id) is not None:
        return []  # a retry
    left = [o.quantity - done for o, done in zip(placed.lines, state.invoiced, strict=True)]
    billed = _asked(state, command.lines, left, command)
    for line, quantity in billed.items():
        if quantity > left[line]:
            raise ConflictError(
                f"line {line} of order {command.order_id} has {left[line]} left to invoice, "
                f"not {quantity}"
            )
    if not billed:
        raise ConflictError(f"order {command.order_id} is invoiced in full already")
    nets, taxes = [], []
    for line, quantity in sorted(billed.items()):
        net, tax = state.billed_by(line, state.invoiced[line] + quantity)
        nets.append(net - state.invoiced_net[line])
        taxes.append(tax - state.invoiced_tax[line])
    return [
        OrderInvoiced(
            order_id=command.order_id,
            customer_id=placed.customer_id,
            invoice_id=command.invoice_id,
            lines=tuple(
                LineQuantity(line=n, sku=placed.lines[n].sku, quantity=q)
                for n, q in sorted(billed.items())
            ),
            net=sum(nets, Decimal(0)),
            tax=sum(taxes, Decimal(0)),
        )
    ]


def _invoiced(state: Order, event: OrderInvoiced) -> Order:
    """The order with the invoice's quantities and amounts billed (no lines: all of it)."""
    assert state.placed is not None
    lines = state.placed.lines
    items = event.lines or tuple(
        LineQuantity(line=n, sku=o.sku, quantity=o.quantity - state.invoiced[n])
        for n, o in enumerate(lines)
    )
    invoiced, nets, taxes = list(state.invoiced), list(state.invoiced_net), list(state.invoiced_tax)
    for item in items:
        invoiced[item.line] += item.quantity
        nets[item.line], taxes[item.line] = state.billed_by(item.line, invoiced[item.line])
    return replace(
        state,
        invoices=(*state.invoices, event),
        invoiced=tuple(invoiced),
        invoiced_net=tuple(nets),
        invoiced_tax=tuple(taxes),
    )


def _added(counts: tuple[int, ...], line: int, quantity: int) -> tuple[int, ...]:
    return tuple(c + quantity if n == line else c for n, c in enumerate(counts))


def evolve(state: Order, event: DomainEvent) -> Order:
    match event:
        case OrderPlaced():
            zeros, nothing = (0,) * len(event.lines), (Decimal(0),) * len(event.lines)
            return Order(
                placed=event,
                fulfilled=zeros,
                returned=zeros,
                invoiced=zeros,
                invoiced_net=nothing,
                invoiced_tax=nothing,
            )
        case OrderFulfilled():
            fulfilled = state.fulfilled
            for item in event.lines:
                fulfilled = _added(fulfilled, item.line, item.quantity)
            return replace(state, fulfilled=fulfilled)
        case OrderCancelled():
            return replace(state, cancelled=True)
        case OrderInvoiced():
            return _invoiced(state, event)
        case OrderLineReturned():
            return replace(
                state,
                returned=_added(state.returned, event.line, event.quantity),
                returns=state.returns | {event},
            )
    return state


order_decider: Decider[Order, OrderCommand] = Decider(
    initial_state=Order, decide=decide, evolve=evolve
)
