"""The quote aggregate: what a customer is offered, revision by revision.

    command   latest revision   to / records
    draft     (none yet)        revision 1, a draft
    revise    draft             the same revision, redrafted
              sent              revision N+1, a draft (the sent one stays as sent)
    send      draft             sent: immutable, open until sent_on + validity days
    accept    sent, in time     accepted: places the order named in the command
    reject    sent              rejected, with a reason from the configured list

Only the latest revision is sent, accepted or rejected; a command naming an older one is a 409
saying which is the latest. A quote is expired when the day it is accepted on is after its
`valid_until`: decided from the command's own day (when it happened), never from a timer, so
a replay decides the same. Accepted and rejected quotes are closed: every command is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import (
    PricedLine,
    QuoteAccepted,
    QuoteDrafted,
    QuoteRejected,
    QuoteSent,
)
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.pricing import LineAsked, price_line, totals_of

DEFAULT_VALIDITY_DAYS = 30  # Odoo's quotation_validity_days
# Why a quote is turned down, unless CRM_QUOTE_REJECTION_REASONS says otherwise (codes: the
# customer's own words go in the note, which is personal).
DEFAULT_REJECTION_REASONS = ("price", "timing", "competitor", "scope", "no budget", "other")


def stream_of(quote_id: str) -> str:
    return f"quote-{quote_id}"


class Status(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote_id: str


class DraftQuote(Command):
    customer_id: str
    opportunity_id: str | None = None
    title: str
    currency: str
    lines: tuple[LineAsked, ...]
    validity_days: int = DEFAULT_VALIDITY_DAYS


class ReviseQuote(Command):
    """What changes; what is not given stays as the latest revision has it."""

    title: str | None = None
    lines: tuple[LineAsked, ...] | None = None
    validity_days: int | None = None


class SendQuote(Command):
    on: date


class AcceptQuote(Command):
    on: date
    order_id: str
    revision: int | None = None  # None: the latest


class RejectQuote(Command):
    reason: str
    reasons: tuple[str, ...]
    note: str | None = None
    revision: int | None = None


QuoteCommand = DraftQuote | ReviseQuote | SendQuote | AcceptQuote | RejectQuote


@dataclass(frozen=True)
class Quote:
    latest: QuoteDrafted | None = None  # None: never drafted
    status: Status = Status.DRAFT
    valid_until: date | None = None  # of the latest sent revision
    order_id: str | None = None
    reason: str | None = None

    @property
    def revision(self) -> int:
        return self.latest.revision if self.latest else 0


def _drafted(state: Quote, command: Command) -> None:
    if state.latest is None:
        raise NotFoundError(f"no quote {command.quote_id}: draft it first")


def _open(state: Quote, command: Command) -> None:
    _drafted(state, command)
    if state.status in (Status.ACCEPTED, Status.REJECTED):
        raise ConflictError(f"quote {command.quote_id} was {state.status}: it is closed")


def _latest(state: Quote, command: AcceptQuote | RejectQuote) -> None:
    if command.revision is not None and command.revision != state.revision:
        raise ConflictError(
            f"revision {command.revision} of quote {command.quote_id} is not the latest: "
            f"revision {state.revision} is"
        )


def _sent(state: Quote, command: AcceptQuote | RejectQuote, verb: str) -> None:
    _latest(state, command)
    if state.status is not Status.SENT:
        raise ConflictError(
            f"revision {state.revision} of quote {command.quote_id} is a draft: send it "
            f"before it is {verb}"
        )


def _title(title: str) -> str:
    text = collapse_spaces(title)
    if not text:
        raise DomainError("title must not be blank", field="title")
    return text


def _lines(asked: tuple[LineAsked, ...], currency: str) -> tuple[PricedLine, ...]:
    if not asked:
        raise DomainError("a quote needs at least one line", field="lines")
    return tuple(price_line(line, currency, n) for n, line in enumerate(asked))


def _drafted_as(base: QuoteDrafted, **changes: Any) -> QuoteDrafted:
    """`base` with `changes`, its totals summed again from its lines."""
    kept = {name: getattr(base, name) for name in type(base).model_fields if name != "totals"}
    fields = kept | changes
    return QuoteDrafted(**fields, totals=totals_of(fields["lines"]))


decide: Decisions[Quote, QuoteCommand] = Decisions()


@decide.on(DraftQuote)
def draft(state: Quote, command: DraftQuote) -> list[DomainEvent]:
    lines = _lines(command.lines, command.currency)
    drafted = QuoteDrafted(
        quote_id=command.quote_id,
        customer_id=command.customer_id,
        revision=1,
        opportunity_id=command.opportunity_id,
        title=_title(command.title),
        currency=command.currency,
        lines=lines,
        totals=totals_of(lines),
        validity_days=command.validity_days,
    )
    if state.latest is not None:
        if state.latest == drafted:
            return []  # a retry
        raise ConflictError(f"quote {command.quote_id} was drafted already: revise it")
    return [drafted]


@decide.on(ReviseQuote, guard=_open)
def revise(state: Quote, command: ReviseQuote) -> list[DomainEvent]:
    assert state.latest is not None
    sent = state.status is Status.SENT
    base = state.latest
    changes: dict[str, Any] = {"revision": base.revision + 1 if sent else base.revision}
    if command.title is not None:
        changes["title"] = _title(command.title)
    if command.lines is not None:
        changes["lines"] = _lines(command.lines, base.currency)
    if command.validity_days is not None:
        changes["validity_days"] = command.validity_days
    drafted = _drafted_as(base, **changes)
    if not sent and drafted == state.latest:
        return []
    return [drafted]


@decide.on(SendQuote, guard=_open)
def send(state: Quote, command: SendQuote) -> list[DomainEvent]:
    assert state.latest is not None
    if state.status is Status.SENT:
        return []  # sent already: a retry
    days = state.latest.validity_days
    return [
        QuoteSent(
            quote_id=command.quote_id,
            customer_id=state.latest.customer_id,
            revision=state.revision,
            sent_on=command.on,
            valid_until=command.on + timedelta(days=days) if days else None,
        )
    ]


@decide.on(AcceptQuote, guard=_drafted)
def accept(state: Quote, command: AcceptQuote) -> list[DomainEvent]:
    assert state.latest is not None
    if state.status is Status.ACCEPTED and state.order_id == command.order_id:
        return []  # a retry
    _open(state, command)
    _sent(state, command, "accepted")
    if state.valid_until is not None and command.on > state.valid_until:
        raise ConflictError(
            f"quote {command.quote_id} expired on {state.valid_until}: revise it and send it again"
        )
    latest = state.latest
    return [
        QuoteAccepted(
            quote_id=command.quote_id,
            customer_id=latest.customer_id,
            revision=latest.revision,
            order_id=command.order_id,
            opportunity_id=latest.opportunity_id,
            currency=latest.currency,
            lines=latest.lines,
            totals=latest.totals,
        )
    ]


@decide.on(RejectQuote, guard=_drafted)
def reject(state: Quote, command: RejectQuote) -> list[DomainEvent]:
    assert state.latest is not None
    reason = required(command.reason, command.reasons, "a rejection")
    note = None if command.note is None else command.note.strip() or None
    if state.status is Status.REJECTED and state.reason == reason:
        return []  # a retry
    _open(state, command)
    _sent(state, command, "rejected")
    return [
        QuoteRejected(
            quote_id=command.quote_id,
            customer_id=state.latest.customer_id,
            revision=state.revision,
            reason=reason,
            note=note,
        )
    ]


def evolve(state: Quote, event: DomainEvent) -> Quote:
    match event:
        case QuoteDrafted():
            return replace(state, latest=event, status=Status.DRAFT, valid_until=None)
        case QuoteSent():
            return replace(state, status=Status.SENT, valid_until=event.valid_until)
        case QuoteAccepted():
            return replace(state, status=Status.ACCEPTED, order_id=event.order_id)
        case QuoteRejected():
            return replace(state, status=Status.REJECTED, reason=event.reason)
    return state


quote_decider: Decider[Quote, QuoteCommand] = Decider(
    initial_state=Quote, decide=decide, evolve=evolve
)


def order_id_of(quote_id: str, revision: int) -> str:
    """The order an accepted revision places: the same id however often it is accepted."""
    return str(uuid5(QUOTE_ORDERS, f"{quote_id}#{revision}"))


QUOTE_ORDERS = UUID("6f0c1f9e-4a53-4d0e-9a57-1c2b3d4e5f60")
