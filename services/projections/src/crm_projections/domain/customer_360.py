"""The customer_360 read model: a pure fold of every context's events about one customer.

Each part is changed only by its own context's events. Folding is
idempotent (the last applied version of every source stream is kept, and an
event at or below it changes nothing) and order-tolerant across streams:
counts and sums commute, and lists are kept sorted by event time and id, so
a live fold and a replay give the same document.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

SCHEMA_VERSION = 1

Document = dict[str, Any]


def empty(customer_id: str) -> Document:
    return {
        "_id": customer_id,
        "customer_id": customer_id,
        "schema_version": SCHEMA_VERSION,
        "profile": None,
        "sales": {
            "orders_count": 0,
            "revenue_by_currency": {},
            "first_purchase_at": None,
            "last_purchase_at": None,
            "orders": [],
            "products": [],
            "payment_methods": [],
        },
        "marketing": {
            "responses": [],
            "campaigns": [],
            "conversions": 0,
            "unsubscribes": 0,
        },
        "support": {"open_cases": 0, "complaints": 0, "returns": 0, "cases": []},
        "applied": {},
        "events_applied": 0,
        "last_event_at": None,
    }


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    """The document with `envelopes` applied; the input is not changed."""
    doc = copy.deepcopy(document)
    for envelope in envelopes:
        if envelope.stream_version <= doc["applied"].get(envelope.stream_id, 0):
            continue  # redelivered or replayed: applied already
        apply = _FOLDS.get(envelope.type)
        if apply is not None:
            apply(doc, envelope)
        doc["applied"][envelope.stream_id] = envelope.stream_version
        doc["events_applied"] += 1
        doc["last_event_at"] = _latest(doc["last_event_at"], _at(envelope))
    return doc


def _at(envelope: EventEnvelope) -> str:
    return envelope.occurred_at.isoformat()


def _latest(a: str | None, b: str) -> str:
    return b if a is None or b > a else a


def _earliest(a: str | None, b: str) -> str:
    return b if a is None or b < a else a


def _insert_sorted(items: list[Any], item: Any, key: str) -> None:
    items.append(item)
    items.sort(key=lambda i: (i[key], i.get("id", "")))


def _add_unique(items: list[str], value: str | None) -> None:
    if value is not None and value not in items:
        items.append(value)
        items.sort()


def _customer_registered(doc: Document, e: EventEnvelope) -> None:
    d = e.data
    doc["profile"] = {
        "kind": d["kind"],
        "customer_type": d["customer_type"],
        "name": d["name"],
        "email": d.get("email"),
        "phone": d.get("phone"),
        "registered_at": _at(e),
    }


def _order_placed(doc: Document, e: EventEnvelope) -> None:
    d, sales = e.data, doc["sales"]
    sales["orders_count"] += 1
    revenue = sales["revenue_by_currency"]
    revenue[d["currency"]] = str(Decimal(revenue.get(d["currency"], "0")) + Decimal(d["total"]))
    sales["first_purchase_at"] = _earliest(sales["first_purchase_at"], _at(e))
    sales["last_purchase_at"] = _latest(sales["last_purchase_at"], _at(e))
    order = {
        "id": d["order_id"],
        "placed_at": _at(e),
        "total": d["total"],
        "currency": d["currency"],
        "payment_method": d.get("payment_method"),
        "items": sum(line["quantity"] for line in d["lines"]),
    }
    _insert_sorted(sales["orders"], order, "placed_at")
    for line in d["lines"]:
        _add_unique(sales["products"], line["sku"])
    _add_unique(sales["payment_methods"], d.get("payment_method"))


def _campaign_response(doc: Document, e: EventEnvelope) -> None:
    d, marketing = e.data, doc["marketing"]
    response = {
        "id": str(e.event_id),
        "campaign_id": d["campaign_id"],
        "response": d["response"],
        "channel": d["channel"],
        "responded_at": d["responded_at"],
    }
    _insert_sorted(marketing["responses"], response, "responded_at")
    _add_unique(marketing["campaigns"], d["campaign_id"])
    if d["response"] == "converted":
        marketing["conversions"] += 1
    if d["response"] == "unsubscribed":
        marketing["unsubscribes"] += 1


def _case_opened(doc: Document, e: EventEnvelope) -> None:
    d, support = e.data, doc["support"]
    support["open_cases"] += 1
    if d["kind"] == "complaint":
        support["complaints"] += 1
    if d["kind"] == "return":
        support["returns"] += 1
    case = {
        "id": d["case_id"],
        "opened_at": _at(e),
        "kind": d["kind"],
        "priority": d["priority"],
        "subject": d["subject"],
        "status": "open",
    }
    _insert_sorted(support["cases"], case, "opened_at")


_FOLDS = {
    "crm.contacts.CustomerRegistered.v1": _customer_registered,
    "crm.sales.OrderPlaced.v1": _order_placed,
    "crm.campaigns.CampaignResponseRecorded.v1": _campaign_response,
    "crm.support.CaseOpened.v1": _case_opened,
}


def public_view(document: Document) -> Document:
    """What readers see: the document without the projector's bookkeeping."""
    return {k: v for k, v in document.items() if k not in {"_id", "_rev", "applied"}}
