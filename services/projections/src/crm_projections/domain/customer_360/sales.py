"""The sales section: orders, revenue per currency, products and payment methods, the leads
the customer came from (the first is its origin), and its opportunities with the weighted
value of those still open, per currency."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from statistics import median
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_sales_contracts.events import (
    CreditLimitSet,
    CreditNoteIssued,
    InvoicePosted,
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadErased,
    LeadPossibleDuplicateFound,
    LeadQualified,
    LeadRecycled,
    LeadWorkStarted,
    OrderBooked,
    OrderCancelled,
    OrderFulfilled,
    OrderLineReturned,
    OrderPlaced,
    PaymentReceived,
    QuoteDrafted,
)

from crm_projections.domain import opportunities, pipeline
from crm_projections.domain.customer_360.lists import add_unique, unite, upsert
from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import earliest, json_decimal, latest, occurred

Document = dict[str, Any]
FOLDS = Folds()


def blank() -> Document:
    return {
        "sales": {
            "orders_count": 0,
            "revenue_by_currency": {},
            "first_purchase_at": None,
            "last_purchase_at": None,
            "orders": [],
            "products": [],
            "quantities": {},
            "payment_methods": [],
            "origin": None,
            "leads": [],
            "opportunities": [],
            "open_pipeline": {},
            # Whether the customer has an account (invoices, a credit limit) and quotes: the
            # view reads them from their read models only then (one query each, per read).
            "has_account": False,
            "has_quotes": False,
        }
    }


def _add(amounts: dict[str, str], currency: str, amount: Decimal) -> None:
    amounts[currency] = str(Decimal(amounts.get(currency, "0")) + amount)


@FOLDS.on(OrderPlaced)
def _order_placed(doc: Document, event: OrderPlaced, envelope: EventEnvelope) -> None:
    sales, at = doc["sales"], occurred(envelope)
    sales["orders_count"] += 1
    _add(sales["revenue_by_currency"], event.currency, event.total)
    sales["first_purchase_at"] = earliest(sales["first_purchase_at"], at)
    sales["last_purchase_at"] = latest(sales["last_purchase_at"], at)
    skus = _counted((line.sku, line.quantity) for line in event.lines)
    order = {
        "id": event.order_id,
        "placed_at": at,
        "total": json_decimal(event.total),
        "currency": event.currency,
        "payment_method": event.payment_method,
        "items": sum(line.quantity for line in event.lines),
        "skus": skus,
    }
    sales["orders"] = upsert(sales["orders"], order, "placed_at", "id")
    _count(sales, skus.items(), 1)
    for line in event.lines:
        sales["products"] = add_unique(sales["products"], line.sku)
    sales["payment_methods"] = add_unique(sales["payment_methods"], event.payment_method)


def _counted(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sku, quantity in pairs:
        counts[sku] = counts.get(sku, 0) + quantity
    return dict(sorted(counts.items()))


def _count(sales: Document, pairs: Iterable[tuple[str, int]], sign: int) -> None:
    """What the customer bought, per product: ordered, less cancelled and returned."""
    quantities = sales.setdefault("quantities", {})
    for sku, quantity in pairs:
        left = quantities.get(sku, 0) + sign * quantity
        if left:
            quantities[sku] = left
        else:
            quantities.pop(sku, None)
    sales["quantities"] = dict(sorted(quantities.items()))


def _order(sales: Document, order_id: str) -> Document | None:
    return next((o for o in sales["orders"] if o["id"] == order_id), None)


# An order's later steps (issue 13) add their keys to its entry when they happen, so orders
# that never had one keep the shape they always had.
@FOLDS.on(OrderFulfilled)
def _order_fulfilled(doc: Document, event: OrderFulfilled, envelope: EventEnvelope) -> None:
    order = _order(doc["sales"], event.order_id)
    if order is not None:
        order["fulfilled_items"] = order.get("fulfilled_items", 0) + sum(
            line.quantity for line in event.lines
        )
        order["status"] = "fulfilled" if event.complete else "partially_fulfilled"


@FOLDS.on(OrderCancelled)
def _order_cancelled(doc: Document, event: OrderCancelled, envelope: EventEnvelope) -> None:
    sales = doc["sales"]
    order = _order(sales, event.order_id)
    if order is not None:
        order["status"] = "cancelled"
        _count(sales, order.get("skus", {}).items(), -1)
    _add(sales["revenue_by_currency"], event.currency, -event.total)


@FOLDS.on(OrderLineReturned)
def _line_returned(doc: Document, event: OrderLineReturned, envelope: EventEnvelope) -> None:
    """A return takes its share of the line's net off the revenue it counted."""
    sales = doc["sales"]
    order = _order(sales, event.order_id)
    if order is not None:
        order["returned_items"] = order.get("returned_items", 0) + event.quantity
        order["returned_net"] = json_decimal(Decimal(order.get("returned_net", "0")) + event.net)
    _add(sales["revenue_by_currency"], event.currency, -event.net)
    _count(sales, [(event.sku, event.quantity)], -1)


def _has_account(doc: Document, event: Any, envelope: EventEnvelope) -> None:
    doc["sales"]["has_account"] = True


for _account_event in (InvoicePosted, CreditLimitSet, OrderBooked):
    FOLDS.on(_account_event)(_has_account)


@FOLDS.on(QuoteDrafted)
def _has_quotes(doc: Document, event: QuoteDrafted, envelope: EventEnvelope) -> None:
    doc["sales"]["has_quotes"] = True


@FOLDS.on(CreditNoteIssued)
def _credited(doc: Document, event: CreditNoteIssued, envelope: EventEnvelope) -> None:
    """A credit note (or a refund's) takes its net off revenue, unless it is for a return,
    whose net the return took off already: a refunded return is subtracted once."""
    if event.return_id is None:
        _add(doc["sales"]["revenue_by_currency"], event.currency, -event.net)


@FOLDS.on(PaymentReceived)
def _paid(doc: Document, event: PaymentReceived, envelope: EventEnvelope) -> None:
    sales = doc["sales"]
    sales["payment_methods"] = add_unique(sales["payment_methods"], event.method.value)


@FOLDS.on(LeadConverted)
def _lead_converted(doc: Document, event: LeadConverted, envelope: EventEnvelope) -> None:
    """Where the customer came from: the lead, its channel and campaign (no personal data)."""
    sales = doc["sales"]
    lead = {
        "id": event.lead_id,
        "converted_at": occurred(envelope),
        "channel": event.channel.value,
        "campaign_id": event.campaign_id,
        "owner": event.owner,
    }
    _with_leads(sales, upsert(sales.get("leads", []), lead, "converted_at", "id"))


def _with_leads(sales: Document, leads: list[Document]) -> None:
    sales["leads"] = leads
    sales["origin"] = leads[0] if leads else None


# What the 360 view shows of a deal (its name, personal, is in the opportunities read model).
DEAL_FIELDS = (
    "stage",
    "status",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "expected_close",
    "owner",
)


def _deal_changed(doc: Document, event: Any, envelope: EventEnvelope) -> None:
    sales = doc["sales"]
    changes = opportunities.changes_of(envelope) or {}
    deals = {d["id"]: d for d in sales.get("opportunities", [])}
    deal = deals.get(event.opportunity_id, {"id": event.opportunity_id})
    deal |= {k: v for k, v in changes.items() if k in DEAL_FIELDS}
    deals[deal["id"]] = deal
    _with_deals(sales, list(deals.values()))


for _event_class in opportunities.FOLDS.event_classes:
    FOLDS.on(_event_class)(_deal_changed)


def _with_deals(sales: Document, deals: list[Document]) -> None:
    """The deals in id order, each open one's weighted amount, and their sum per currency."""
    pipeline_by_currency: dict[str, Decimal] = {}
    for deal in deals:
        if deal.get("status") == "open":
            deal["weighted_amount"] = str(pipeline.weighted(deal))
            currency = deal["currency"]
            pipeline_by_currency[currency] = pipeline_by_currency.get(
                currency, Decimal(0)
            ) + pipeline.weighted(deal)
        else:
            deal.pop("weighted_amount", None)
    sales["opportunities"] = sorted(deals, key=lambda d: str(d["id"]))
    sales["open_pipeline"] = {c: str(v) for c, v in sorted(pipeline_by_currency.items())}


def derived(sales: Document) -> Document:
    """What the view adds to the section: the average order value per currency (net revenue
    over the orders not cancelled, at the revenue's precision) and the usual interval between
    purchases (the median of the days between consecutive orders; None before a second)."""
    kept = [o for o in sales["orders"] if o.get("status") != "cancelled"]
    average: dict[str, str] = {}
    for currency, revenue in sales["revenue_by_currency"].items():
        count = sum(1 for o in kept if o["currency"] == currency)
        if count:
            amount = Decimal(revenue)
            average[currency] = str((amount / count).quantize(amount, rounding=ROUND_HALF_UP))
    times = sorted(datetime.fromisoformat(o["placed_at"]) for o in kept)
    gaps = [(b - a).total_seconds() / 86_400 for a, b in pairwise(times)]
    return {
        "average_order_value": average,
        "purchase_interval_days": round(median(gaps), 1) if gaps else None,
    }


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["sales"], merged["sales"]
    mine["orders_count"] += theirs["orders_count"]
    for currency, amount in theirs["revenue_by_currency"].items():
        _add(mine["revenue_by_currency"], currency, Decimal(amount))
    mine["first_purchase_at"] = earliest(mine["first_purchase_at"], theirs["first_purchase_at"])
    mine["last_purchase_at"] = latest(mine["last_purchase_at"], theirs["last_purchase_at"])
    mine["orders"] = unite(mine["orders"], theirs["orders"], "placed_at", "id")
    mine["products"] = sorted({*mine["products"], *theirs["products"]})
    for flag in ("has_account", "has_quotes"):
        mine[flag] = mine.get(flag, False) or theirs.get(flag, False)
    _count(mine, theirs.get("quantities", {}).items(), 1)
    mine["payment_methods"] = sorted({*mine["payment_methods"], *theirs["payment_methods"]})
    leads = unite(mine.get("leads", []), theirs.get("leads", []), "converted_at", "id")
    _with_leads(mine, leads)
    _with_deals(mine, unite(mine.get("opportunities", []), theirs.get("opportunities", []), "id"))


# A lead is no customer until it converts (ADR 26): its events go to the timeline of the id
# it will have, not into a 360 document (which would list every lead as a pending customer).
LEAD_EVENTS = (
    LeadCaptured,
    LeadAssigned,
    LeadWorkStarted,
    LeadQualified,
    LeadDisqualified,
    LeadRecycled,
    LeadErased,
    LeadPossibleDuplicateFound,
)
SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb, not_yet_a_customer=LEAD_EVENTS)
