"""The quotes read model (crm_projections.domain.quotes): a quote's latest revision, its
status on a day (a sent quote past its last valid day reads as expired), as it stood at a time,
and a day's summary, figures by hand; folding again or out of order changes nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_projections.domain import quotes
from crm_projections.domain.wire_values import instant
from crm_sales.domain.pricing import LineAsked, price_line, totals_of
from crm_sales_contracts.events import QuoteAccepted, QuoteDrafted, QuoteRejected, QuoteSent

D = Decimal
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def drafted(quote_id: str, revision: int, quantity: int, currency: str = "EUR") -> QuoteDrafted:
    line = price_line(
        LineAsked(sku="L", name="Lamp", quantity=quantity, list_price=D("50"), tax_rate=D("21")),
        currency,
        0,
    )
    return QuoteDrafted(
        quote_id=quote_id, customer_id="c1", revision=revision, title="Lamps", currency=currency,
        lines=(line,), totals=totals_of((line,)), validity_days=30,
    )  # fmt: skip


def sent(quote_id: str, revision: int, on: date, days: int = 30) -> QuoteSent:
    return QuoteSent(
        quote_id=quote_id, customer_id="c1", revision=revision, sent_on=on,
        valid_until=on + timedelta(days=days),
    )  # fmt: skip


def stream(quote_id: str, events: list, start: datetime = T0) -> list[EventEnvelope]:
    out: list[EventEnvelope] = []
    for n, event in enumerate(events):
        out += wrap([event], source="crm.sales", stream_id=f"quote-{quote_id}",
                    expected_version=n, metadata=Metadata(actor="t"),
                    now=start + timedelta(days=n))  # fmt: skip
    return out


def folded(envelopes: list[EventEnvelope], quote_id: str = "q1") -> dict:
    return quotes.fold(quotes.empty(quote_id), envelopes)


def test_a_quote_shows_its_latest_revision_and_expires_on_the_day_after_its_last_valid_day() -> (
    None
):
    events = stream("q1", [drafted("q1", 1, 2), sent("q1", 1, date(2026, 3, 3)),
                           drafted("q1", 2, 3), sent("q1", 2, date(2026, 3, 5), days=10)])  # fmt: skip
    quote = quotes.now(folded(events))
    assert quote is not None
    assert (quote["revision"], quote["net"], quote["total"], quote["valid_until"]) == (
        2, "150.00", "181.50", "2026-03-15",
    )  # fmt: skip
    assert quotes.status_on(quote, date(2026, 3, 15)) == "sent"
    assert quotes.status_on(quote, date(2026, 3, 16)) == "expired"


def test_a_quote_as_it_stood_before_its_revision_and_before_it_existed() -> None:
    events = stream("q1", [drafted("q1", 1, 2), sent("q1", 1, date(2026, 3, 3)),
                           drafted("q1", 2, 3)])  # fmt: skip
    doc = folded(events)
    then = quotes.as_of(doc, instant(T0 + timedelta(days=1, hours=1)))
    assert then is not None and (then["revision"], then["status"]) == (1, "sent")
    assert quotes.as_of(doc, instant(T0 - timedelta(hours=1))) is None


def test_folding_again_or_out_of_order_changes_nothing() -> None:
    events = stream("q1", [drafted("q1", 1, 2), sent("q1", 1, date(2026, 3, 3)),
                           QuoteAccepted(quote_id="q1", customer_id="c1", revision=1, order_id="o1",
                                         currency="EUR", lines=drafted("q1", 1, 2).lines,
                                         totals=drafted("q1", 1, 2).totals)])  # fmt: skip
    doc = folded(events)
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    assert folded(shuffled) == doc
    assert quotes.fold(doc, events) == doc
    assert (doc["status"], doc["order_id"]) == ("accepted", "o1")


def test_the_summary_of_a_day() -> None:
    day = date(2026, 3, 20)
    docs = [
        # open, valid until 03-25 (5 more days): expiring; net 100.00
        folded(stream("q1", [drafted("q1", 1, 2), sent("q1", 1, date(2026, 3, 15), days=10)]), "q1"),
        # open, valid until 04-14: not expiring; net 150.00
        folded(stream("q2", [drafted("q2", 1, 3), sent("q2", 1, date(2026, 3, 15))]), "q2"),
        # expired on 03-20 (valid until 03-19)
        folded(stream("q3", [drafted("q3", 1, 1), sent("q3", 1, date(2026, 3, 9), days=10)]), "q3"),
        folded(stream("q4", [drafted("q4", 1, 1), sent("q4", 1, date(2026, 3, 10)),
                             QuoteRejected(quote_id="q4", customer_id="c1", revision=1,
                                           reason="price")]), "q4"),
        folded(stream("q5", [drafted("q5", 1, 1, "JPY")]), "q5"),
    ]  # fmt: skip
    found = [q for d in docs if (q := quotes.now(d))]
    summary = quotes.summary(found, day)
    assert (summary.drafts, summary.open, summary.expiring) == (1, 2, 1)
    assert summary.open_net == {"EUR": "250.00"} and summary.expiring_net == {"EUR": "100.00"}
    assert (summary.accepted, summary.rejected, summary.expired) == (0, 1, 1)
    assert summary.acceptance_rate == 0.0
    assert quotes.summary([], day).acceptance_rate is None
