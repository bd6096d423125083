"""The quotes read model: one document per quote, with what each of its events set, so quotes
can be read as they stood at any time (ADR 38), as the opportunities are (ADR 30).

A quote's current fields are its latest revision's: drafting a revision reopens it as a
draft; sending records the day it was sent and its last valid day; accepting and rejecting
close it. Whether a sent quote has expired depends on the day it is read for, so it is
decided when read (`status_on`), never folded from the clock. The title stays as it
travelled, sealed under the customer's key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_sales_contracts.events import QuoteAccepted, QuoteDrafted, QuoteRejected, QuoteSent

from crm_projections.domain import change_history
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_decimal, occurred

Document = dict[str, Any]
Quote = dict[str, Any]
EXPIRING_WITHIN_DAYS = 7  # "expiring this week": open, and valid for at most 7 more days

BLANK: Quote = {
    "quote_id": None,
    "customer_id": None,
    "opportunity_id": None,
    "title": None,
    "revision": None,
    "currency": None,
    "net": None,
    "total": None,
    "status": None,
    "drafted_at": None,
    "sent_on": None,
    "valid_until": None,
    "closed_at": None,
    "order_id": None,
    "rejection_reason": None,
}
FOLDS = Folds()


@FOLDS.on(QuoteDrafted)
def _drafted(changes: Quote, event: QuoteDrafted, envelope: EventEnvelope) -> None:
    changes.update(
        {
            "quote_id": event.quote_id,
            "customer_id": event.customer_id,
            "opportunity_id": event.opportunity_id,
            "title": event.title,
            "revision": event.revision,
            "currency": event.currency,
            "net": json_decimal(event.totals.net),
            "total": json_decimal(event.totals.total),
            "status": "draft",
            "drafted_at": occurred(envelope),
            "sent_on": None,
            "valid_until": None,
        }
    )


@FOLDS.on(QuoteSent)
def _sent(changes: Quote, event: QuoteSent, envelope: EventEnvelope) -> None:
    valid = None if event.valid_until is None else event.valid_until.isoformat()
    changes.update({"status": "sent", "sent_on": event.sent_on.isoformat(), "valid_until": valid})


@FOLDS.on(QuoteAccepted)
def _accepted(changes: Quote, event: QuoteAccepted, envelope: EventEnvelope) -> None:
    changes.update(
        {"status": "accepted", "order_id": event.order_id, "closed_at": occurred(envelope)}
    )


@FOLDS.on(QuoteRejected)
def _rejected(changes: Quote, event: QuoteRejected, envelope: EventEnvelope) -> None:
    changes.update(
        {"status": "rejected", "rejection_reason": event.reason, "closed_at": occurred(envelope)}
    )


MODEL = change_history.HistoryModel("quote", "quote_id", FOLDS, BLANK)
changes_of, key, empty, fold = MODEL.changes_of, MODEL.key, MODEL.empty, MODEL.fold
now, as_of = MODEL.now, MODEL.as_of


def status_on(quote: Quote, day: date) -> str:
    """The quote's status on `day`: a sent quote past its last valid day has expired."""
    valid = quote["valid_until"]
    if quote["status"] == "sent" and valid is not None and date.fromisoformat(valid) < day:
        return "expired"
    return str(quote["status"])


@dataclass(frozen=True)
class Summary:
    """What a sales manager reads of the quotes on a day, amounts per currency (nets)."""

    drafts: int
    open: int
    open_net: dict[str, str]
    expiring: int  # open, valid for at most EXPIRING_WITHIN_DAYS more days
    expiring_net: dict[str, str]
    accepted: int
    rejected: int
    expired: int
    acceptance_rate: float | None  # accepted / (accepted + rejected + expired)


def summary(quotes: Iterable[Quote], day: date) -> Summary:
    counts = {"draft": 0, "sent": 0, "accepted": 0, "rejected": 0, "expired": 0}
    open_net: dict[str, Decimal] = {}
    expiring_net: dict[str, Decimal] = {}
    expiring = 0
    soon = day + timedelta(days=EXPIRING_WITHIN_DAYS)
    for quote in quotes:
        status = status_on(quote, day)
        counts[status] += 1
        if status != "sent":
            continue
        net = Decimal(quote["net"])
        open_net[quote["currency"]] = open_net.get(quote["currency"], Decimal(0)) + net
        valid = quote["valid_until"]
        if valid is not None and date.fromisoformat(valid) <= soon:
            expiring += 1
            expiring_net[quote["currency"]] = expiring_net.get(quote["currency"], Decimal(0)) + net
    decided = counts["accepted"] + counts["rejected"] + counts["expired"]
    return Summary(
        drafts=counts["draft"],
        open=counts["sent"],
        open_net={c: json_decimal(v) for c, v in sorted(open_net.items())},
        expiring=expiring,
        expiring_net={c: json_decimal(v) for c, v in sorted(expiring_net.items())},
        accepted=counts["accepted"],
        rejected=counts["rejected"],
        expired=counts["expired"],
        acceptance_rate=round(counts["accepted"] / decided, 4) if decided else None,
    )
