"""Given events / when command / then events (or a refusal), for the quote and product
deciders: revisions, sending, expiry from the command's own day, acceptance of the latest
revision only, and the catalogue's changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent, personal_fields
from crm_sales.domain.pricing import LineAsked
from crm_sales.domain.product import (
    AddProduct,
    ChangeProduct,
    DeactivateProduct,
    ReactivateProduct,
    product_decider,
)
from crm_sales.domain.product import stream_of as product_stream
from crm_sales.domain.quote import (
    AcceptQuote,
    DraftQuote,
    RejectQuote,
    ReviseQuote,
    SendQuote,
    Status,
    quote_decider,
)
from crm_sales_contracts.events import (
    ProductAdded,
    ProductChanged,
    ProductDeactivated,
    ProductReactivated,
    QuoteAccepted,
    QuoteDrafted,
    QuoteRejected,
    QuoteSent,
)

D = Decimal
LAMP = LineAsked(sku="LAMP-1", name="Desk lamp", quantity=2, list_price=D("50"), tax_rate=D("21"))
DRAFT = DraftQuote(
    quote_id="q1", customer_id="c1", title="Lamps for the office", currency="EUR", lines=(LAMP,)
)
REASONS = ("price", "timing", "competitor")


def then(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return quote_decider.decide(quote_decider.fold(given), command)


def history(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for command in commands:
        events += then(events, command)
    return events


SENT_ON = date(2026, 3, 2)
SENT = history(DRAFT, SendQuote(quote_id="q1", on=SENT_ON))


def test_a_draft_is_revision_one_priced_and_a_retry_records_nothing() -> None:
    [drafted] = then([], DRAFT)
    assert isinstance(drafted, QuoteDrafted) and drafted.revision == 1
    assert (drafted.totals.net, drafted.totals.tax, drafted.totals.total) == (
        D("100.00"),
        D("21.00"),
        D("121.00"),
    )
    assert drafted.validity_days == 30
    assert then([drafted], DRAFT) == []
    with pytest.raises(ConflictError, match="drafted already"):
        then([drafted], DRAFT.model_copy(update={"title": "Other"}))


def test_sending_opens_the_quote_for_its_validity_and_a_resend_records_nothing() -> None:
    sent = SENT[-1]
    assert isinstance(sent, QuoteSent)
    assert (sent.revision, sent.sent_on, sent.valid_until) == (1, SENT_ON, date(2026, 4, 1))
    assert then(SENT, SendQuote(quote_id="q1", on=date(2026, 3, 5))) == []


def test_a_quote_of_zero_validity_days_never_expires() -> None:
    events = history(
        DRAFT.model_copy(update={"validity_days": 0}), SendQuote(quote_id="q1", on=SENT_ON)
    )
    assert events[-1].valid_until is None  # type: ignore[attr-defined]
    [accepted] = then(events, AcceptQuote(quote_id="q1", on=date(2030, 1, 1), order_id="o1"))
    assert isinstance(accepted, QuoteAccepted)


def test_revising_a_draft_redrafts_it_and_revising_a_sent_quote_drafts_the_next() -> None:
    double = LAMP.model_copy(update={"quantity": 4})
    [redrafted] = then(history(DRAFT), ReviseQuote(quote_id="q1", lines=(double,)))
    assert isinstance(redrafted, QuoteDrafted)
    assert (redrafted.revision, redrafted.totals.total) == (1, D("242.00"))
    [second] = then(SENT, ReviseQuote(quote_id="q1", title="Lamps, revised"))
    assert isinstance(second, QuoteDrafted)
    assert (second.revision, second.title, second.lines) == (2, "Lamps, revised", SENT[0].lines)  # type: ignore[attr-defined]
    assert quote_decider.fold([*SENT, second]).status is Status.DRAFT
    assert then(history(DRAFT), ReviseQuote(quote_id="q1", title="Lamps for the office")) == []


def test_only_a_sent_latest_revision_in_time_is_accepted_and_the_order_is_named() -> None:
    with pytest.raises(ConflictError, match="is a draft: send it before it is accepted"):
        then(history(DRAFT), AcceptQuote(quote_id="q1", on=SENT_ON, order_id="o1"))
    [accepted] = then(SENT, AcceptQuote(quote_id="q1", on=date(2026, 4, 1), order_id="o1"))
    assert isinstance(accepted, QuoteAccepted)
    assert (accepted.revision, accepted.order_id, accepted.totals.total) == (1, "o1", D("121.00"))
    assert accepted.lines == SENT[0].lines  # type: ignore[attr-defined]
    assert then([*SENT, accepted], AcceptQuote(quote_id="q1", on=SENT_ON, order_id="o1")) == []
    with pytest.raises(ConflictError, match="was accepted: it is closed"):
        then([*SENT, accepted], ReviseQuote(quote_id="q1", title="again"))


def test_a_quote_accepted_after_its_last_valid_day_is_expired() -> None:
    with pytest.raises(ConflictError, match="expired on 2026-04-01: revise it and send it again"):
        then(SENT, AcceptQuote(quote_id="q1", on=date(2026, 4, 2), order_id="o1"))
    # A new revision, sent later, runs its validity from its own sending.
    revised = history(
        *[DRAFT, SendQuote(quote_id="q1", on=SENT_ON)],
        ReviseQuote(quote_id="q1", title="Lamps, again"),
        SendQuote(quote_id="q1", on=date(2026, 4, 10)),
    )
    [accepted] = then(revised, AcceptQuote(quote_id="q1", on=date(2026, 4, 20), order_id="o1"))
    assert accepted.revision == 2  # type: ignore[attr-defined]


def test_an_older_revision_cannot_be_accepted_or_rejected() -> None:
    events = history(
        DRAFT,
        SendQuote(quote_id="q1", on=SENT_ON),
        ReviseQuote(quote_id="q1", title="v2"),
        SendQuote(quote_id="q1", on=SENT_ON),
    )
    with pytest.raises(ConflictError, match="revision 1 of quote q1 is not the latest: revision 2"):
        then(events, AcceptQuote(quote_id="q1", on=SENT_ON, order_id="o1", revision=1))
    with pytest.raises(ConflictError, match="not the latest"):
        then(events, RejectQuote(quote_id="q1", reason="price", reasons=REASONS, revision=1))


def test_a_rejection_needs_a_listed_reason_and_its_note_is_personal() -> None:
    with pytest.raises(DomainError, match="one of: price, timing, competitor"):
        then(SENT, RejectQuote(quote_id="q1", reason="meh", reasons=REASONS))
    [rejected] = then(
        SENT, RejectQuote(quote_id="q1", reason="PRICE", reasons=REASONS, note=" too dear ")
    )
    assert isinstance(rejected, QuoteRejected)
    assert (rejected.reason, rejected.note) == ("price", "too dear")
    assert personal_fields(QuoteRejected) == ("note",)
    with pytest.raises(ConflictError, match="was rejected"):
        then([*SENT, rejected], AcceptQuote(quote_id="q1", on=SENT_ON, order_id="o1"))


def test_a_quote_never_drafted_is_not_found_and_lines_are_required() -> None:
    with pytest.raises(NotFoundError, match="draft it first"):
        then([], SendQuote(quote_id="q1", on=SENT_ON))
    with pytest.raises(DomainError, match="at least one line"):
        then([], DRAFT.model_copy(update={"lines": ()}))
    with pytest.raises(DomainError, match="title must not be blank"):
        then([], DRAFT.model_copy(update={"title": "  "}))


def products(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return product_decider.decide(product_decider.fold(given), command)


ADD = AddProduct(
    sku="LAMP-1",
    name="Desk  lamp",
    category="Lighting",
    prices={"EUR": D("50"), "JPY": D("7800")},
    tax_rate=D("21"),
)


def test_a_product_is_added_changed_deactivated_and_reactivated() -> None:
    [added] = products([], ADD)
    assert isinstance(added, ProductAdded)
    assert (added.name, added.prices) == ("Desk lamp", {"EUR": D("50.00"), "JPY": D("7800")})
    assert products([added], ADD) == []
    [changed] = products([added], ChangeProduct(sku="LAMP-1", tax_rate=D("10")))
    assert isinstance(changed, ProductChanged)
    assert (changed.name, changed.tax_rate, changed.prices) == ("Desk lamp", D("10"), added.prices)
    assert products([added], ChangeProduct(sku="LAMP-1", name="Desk lamp")) == []
    [off] = products([added], DeactivateProduct(sku="LAMP-1"))
    assert isinstance(off, ProductDeactivated)
    assert products([added, off], DeactivateProduct(sku="LAMP-1")) == []
    assert not product_decider.fold([added, off]).active
    [on] = products([added, off], ReactivateProduct(sku="LAMP-1"))
    assert isinstance(on, ProductReactivated)
    assert product_decider.fold([added, off, on, changed]).active


def test_a_product_needs_prices_in_its_currencies_units_and_must_exist_to_change() -> None:
    with pytest.raises(DomainError, match="more decimals than JPY's 0"):
        products([], ADD.model_copy(update={"prices": {"JPY": D("7800.5")}}))
    with pytest.raises(DomainError, match="at least one currency"):
        products([], ADD.model_copy(update={"prices": {}}))
    with pytest.raises(NotFoundError, match="add it first"):
        products([], ChangeProduct(sku="LAMP-1", name="x"))
    with pytest.raises(ConflictError, match="in the catalogue already"):
        products(products([], ADD), ADD.model_copy(update={"name": "Other"}))


def test_a_sku_of_any_characters_names_a_valid_stream() -> None:
    assert product_stream("LAMP-1") == "product-LAMP-1"
    assert product_stream("lamp/1 x") == "product-lamp_2f_1_20_x"
