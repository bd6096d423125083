"""The customer_360 read model: a pure fold of every context's events about one customer.

Each part is changed only by its own context's events. Folding is idempotent (the last
applied version of every source stream is kept, and an event at or below it changes
nothing) and order-tolerant across streams: counts and sums commute, lists are kept sorted,
and scalars come from one stream each (ordered within its partition). So a live fold and a
replay give the same document. Structure: docs/read-models.md (schema_version 2).
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_contacts_contracts.events import duplicate_reason
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED

SCHEMA_VERSION = 2

Document = dict[str, Any]
Fold = Callable[[Document, EventEnvelope], None]

CONSENT_CHANNELS = ("email", "sms", "phone", "whatsapp", "post")


def empty(customer_id: str) -> Document:
    doc = _blank(customer_id)
    doc["search"] = search_fields(doc)
    return doc


def _blank(customer_id: str) -> Document:
    return {
        "_id": customer_id,
        "customer_id": customer_id,
        "schema_version": SCHEMA_VERSION,
        "profile": None,
        "contact": {"points": [], "preferred_channel": None},
        "consent": {},
        "sales": {
            "orders_count": 0,
            "revenue_by_currency": {},
            "first_purchase_at": None,
            "last_purchase_at": None,
            "orders": [],
            "products": [],
            "payment_methods": [],
        },
        "marketing": {"responses": [], "campaigns": [], "conversions": 0, "unsubscribes": 0},
        "support": {"open_cases": 0, "complaints": 0, "returns": 0, "cases": []},
        "interactions": {
            "count": 0,
            "by_channel": {},
            "inbound": 0,
            "outbound": 0,
            "last_at": None,
            "last_channel": None,
            "answered": 0,
            "response_seconds_total": 0,
        },
        "merged_into": None,
        "merged_from": [],
        "erased": False,
        "applied": {},
        "events_applied": 0,
        "last_event_at": None,
    }


def empty_profile() -> Document:
    return {
        "kind": None,
        "customer_type": None,
        "name": None,
        "registered_at": None,
        "owner": None,
        "acquisition": None,
        "lifecycle": "prospect",
        "reactivations": 0,
        "personal_dates": [],
        "family_notes": [],
        "interests": [],
        "tags": [],
        "organisations": [],
        "possible_duplicates": [],
    }


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    """The document with `envelopes` applied; the input is not changed."""
    doc = copy.deepcopy(document)
    for envelope in envelopes:
        if envelope.stream_version <= doc["applied"].get(envelope.stream_id, 0):
            continue  # redelivered or replayed: applied already
        if doc.get("tombstone"):
            # Only a merge reaches a tombstone (every other event is redirected first).
            raise ValueError(f"{envelope.type} reached the tombstone of merged {doc['_id']}")
        apply = FOLDS.get(envelope.type)
        if apply is not None:
            apply(doc, envelope)
        doc["applied"][envelope.stream_id] = envelope.stream_version
        doc["events_applied"] += 1
        doc["last_event_at"] = _latest(doc["last_event_at"], _at(envelope))
    if doc.get("tombstone"):
        return doc
    if doc["erased"]:
        scrub_personal_data(doc)  # whatever reached an erased customer after its erasure
    doc["search"] = search_fields(doc)
    return doc


def terms(text: str) -> list[str]:
    """Lower-case words without accents: what a name search matches on."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalnum() else " " for c in plain if not unicodedata.combining(c))
    return sorted(set(letters.split()))


def digits(phone: str) -> str:
    return "+" + "".join(c for c in phone if c.isdigit())


def registration(doc: Document) -> str:
    """`pending` until contacts' registration is folded, then `registered`: other contexts may
    name a customer before it (a shop's order first, DESIGN §5). Derived from folded events
    only, so a rebuild gives the same."""
    return "registered" if (doc["profile"] or {}).get("registered_at") else "pending"


def search_fields(doc: Document) -> Document:
    """The fields the customer search filters on, derived from the rest of the document."""
    profile = doc["profile"] or {}
    points = doc["contact"]["points"]
    readable = not doc["erased"]
    return {
        "name_terms": terms(profile.get("name") or "") if readable else [],
        "emails": sorted({p["value"] for p in points if p["kind"] == "email"}) if readable else [],
        "phones": sorted(
            {digits(p["value"]) for p in points if p["kind"] in ("mobile", "landline", "whatsapp")}
        )
        if readable
        else [],
        "customer_type": profile.get("customer_type"),
        "owner": profile.get("owner"),
        "tags": profile.get("tags", []),
        "lifecycle": profile.get("lifecycle"),
        "registration": registration(doc),
    }


# --- helpers -------------------------------------------------------------------------------


def _at(envelope: EventEnvelope) -> str:
    return envelope.occurred_at.isoformat()


def _latest(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def _earliest(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _sort(items: list[Any], *keys: str) -> list[Any]:
    return sorted(items, key=lambda i: tuple(str(i.get(k) or "") for k in keys))


def _upsert(items: list[Document], item: Document, *keys: str) -> list[Document]:
    """Replace the item with the same `id`, or add it; keep the list sorted."""
    return _sort([i for i in items if i.get("id") != item.get("id")] + [item], *keys)


def _upsert_into(profile: Document, key: str, item: Document) -> None:
    """`_upsert` into one of the profile's lists, kept in that list's order."""
    profile[key] = _upsert(profile[key], item, *PROFILE_LISTS[key])


def _add_unique(items: list[str], value: str | None) -> list[str]:
    return sorted({*items, value}) if value is not None else items


def _profile(doc: Document) -> Document:
    if doc["profile"] is None:
        doc["profile"] = empty_profile()
    profile: Document = doc["profile"]
    return profile


# --- contacts ------------------------------------------------------------------------------


def _registered(doc: Document, e: EventEnvelope) -> None:
    d, profile = e.data, _profile(doc)
    profile.update(
        kind=d["kind"],
        customer_type=d["customer_type"],
        name=d["name"],
        registered_at=_at(e),
        owner=d.get("owner"),
    )
    if d.get("acquisition_channel"):
        profile["acquisition"] = {"channel": d["acquisition_channel"], "detail": None}
    for kind, value in (("email", d.get("email")), ("mobile", d.get("phone"))):
        if value:  # early v1 registrations carried e-mail and phone themselves
            point = {
                "id": f"registration-{kind}",
                "kind": kind,
                "value": value,
                "label": None,
                "verified": False,
                "primary": True,
            }
            doc["contact"]["points"] = _upsert(doc["contact"]["points"], point, "kind", "id")


def _renamed(doc: Document, e: EventEnvelope) -> None:
    _profile(doc)["name"] = e.data["name"]


def _point_added(doc: Document, e: EventEnvelope) -> None:
    d = e.data
    point = {
        "id": d["point_id"],
        "kind": d["kind"],
        "value": d["value"],
        "label": d.get("label"),
        "verified": False,
        "primary": False,
    }
    doc["contact"]["points"] = _upsert(doc["contact"]["points"], point, "kind", "id")


def _points_where(doc: Document, point_id: str) -> list[Document]:
    return [p for p in doc["contact"]["points"] if p["id"] == point_id]


def _point_verified(doc: Document, e: EventEnvelope) -> None:
    for point in _points_where(doc, e.data["point_id"]):
        point["verified"] = True


def _primary_set(doc: Document, e: EventEnvelope) -> None:
    for point in doc["contact"]["points"]:
        if point["kind"] == e.data["kind"]:
            point["primary"] = point["id"] == e.data["point_id"]


def _point_removed(doc: Document, e: EventEnvelope) -> None:
    doc["contact"]["points"] = [
        p for p in doc["contact"]["points"] if p["id"] != e.data["point_id"]
    ]


def _preferred(doc: Document, e: EventEnvelope) -> None:
    doc["contact"]["preferred_channel"] = e.data["channel"]


def _owner(doc: Document, e: EventEnvelope) -> None:
    _profile(doc)["owner"] = e.data["owner"]


def _acquisition(doc: Document, e: EventEnvelope) -> None:
    _profile(doc)["acquisition"] = {"channel": e.data["channel"], "detail": e.data.get("detail")}


def _personal_date(doc: Document, e: EventEnvelope) -> None:
    profile, d = _profile(doc), e.data
    item = {"id": str(e.event_id), "kind": d["kind"], "label": d.get("label"), "date": d["date"]}
    _upsert_into(profile, "personal_dates", item)


def _family_note(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    item = {"id": str(e.event_id), "at": _at(e), "note": e.data["note"]}
    _upsert_into(profile, "family_notes", item)


def _interest(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    item = {"id": str(e.event_id), "kind": e.data["kind"], "value": e.data["value"]}
    _upsert_into(profile, "interests", item)


def _tag_added(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["tags"] = _add_unique(profile["tags"], e.data["tag"])


def _tag_removed(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["tags"] = [t for t in profile["tags"] if t != e.data["tag"]]


def _linked(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    item = {"id": e.data["organisation_id"], "role": e.data["role"], "since": _at(e)}
    _upsert_into(profile, "organisations", item)


def _unlinked(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    oid = e.data["organisation_id"]
    profile["organisations"] = [o for o in profile["organisations"] if o["id"] != oid]


def _lifecycle(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["lifecycle"] = e.data["lifecycle"]
    if e.data["lifecycle"] == "active" and e.data["previous"] in ("inactive", "closed"):
        profile["reactivations"] += 1


def _consent(given: bool) -> Fold:
    def apply(doc: Document, e: EventEnvelope) -> None:
        d = e.data
        channel = doc["consent"].setdefault(d["channel"], {})
        at = d["given_at"] if given else d["withdrawn_at"]
        current = channel.get(d["purpose"])
        if current is None or current["at"] <= at:  # the latest statement counts
            channel[d["purpose"]] = {
                "status": "opt_in" if given else "opt_out",
                "at": at,
                "source": d["source"],
            }

    return apply


def _duplicate(doc: Document, e: EventEnvelope) -> None:
    profile = _profile(doc)
    other = e.data["other_customer_id"]
    if other == doc["_id"] or other in doc["merged_from"]:
        # Already one customer: whether the report folds before or after the merge (topics
        # interleave differently live and in a rebuild), the view must not list it.
        return
    # A code; early events held free text naming the e-mail or phone, read as its code.
    item = {"id": other, "reason": duplicate_reason(e.data["reason"]).value}
    _upsert_into(profile, "possible_duplicates", item)


def _merged(doc: Document, e: EventEnvelope) -> None:
    doc["merged_into"] = e.data["survivor_id"]
    # Where the merge stands in its stream: all its tombstone keeps of `applied` (see there).
    doc["merge_position"] = [e.stream_id, e.stream_version]


def _erased(doc: Document, e: EventEnvelope) -> None:
    doc["erased"] = True
    scrub_personal_data(doc)


def scrub_personal_data(doc: Document) -> None:
    """Replace every personal value in the document by ERASED."""
    profile = doc["profile"]
    if profile is not None:
        profile["name"] = ERASED
        for item in profile["personal_dates"]:
            item["date"] = ERASED
        for item in profile["family_notes"]:
            item["note"] = ERASED
        for item in profile["interests"]:
            item["value"] = ERASED
        for item in profile["possible_duplicates"]:  # documents folded before reasons were codes
            item["reason"] = duplicate_reason(item["reason"]).value
    for point in doc["contact"]["points"]:
        point["value"] = ERASED


def _interaction(doc: Document, e: EventEnvelope) -> None:
    d, part = e.data, doc["interactions"]
    part["count"] += 1
    part["by_channel"][d["channel"]] = part["by_channel"].get(d["channel"], 0) + 1
    part[d["direction"]] += 1
    _note_last(part, d["occurred_at"], d["channel"])
    if d.get("answered_at"):
        _answered(part, d["occurred_at"], d["answered_at"])


def _note_last(part: Document, at: str | None, channel: str | None) -> None:
    """Keep the latest interaction (ties broken by channel, so any order gives one answer)."""
    if at is None:
        return
    if part["last_at"] is None or (at, channel) > (part["last_at"], part["last_channel"]):
        part["last_at"], part["last_channel"] = at, channel


def _interaction_answered(doc: Document, e: EventEnvelope) -> None:
    _answered(doc["interactions"], e.data["interaction_occurred_at"], e.data["answered_at"])


def _answered(part: Document, occurred: str, answered: str) -> None:
    seconds = (datetime.fromisoformat(answered) - datetime.fromisoformat(occurred)).total_seconds()
    part["answered"] += 1
    part["response_seconds_total"] += max(0, int(seconds))


# --- sales, campaigns, support -------------------------------------------------------------


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
    sales["orders"] = _upsert(sales["orders"], order, "placed_at", "id")
    for line in d["lines"]:
        sales["products"] = _add_unique(sales["products"], line["sku"])
    sales["payment_methods"] = _add_unique(sales["payment_methods"], d.get("payment_method"))


def _campaign_response(doc: Document, e: EventEnvelope) -> None:
    d, marketing = e.data, doc["marketing"]
    response = {
        "id": str(e.event_id),
        "campaign_id": d["campaign_id"],
        "response": d["response"],
        "channel": d["channel"],
        "responded_at": d["responded_at"],
    }
    marketing["responses"] = _upsert(marketing["responses"], response, "responded_at", "id")
    marketing["campaigns"] = _add_unique(marketing["campaigns"], d["campaign_id"])
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
    support["cases"] = _upsert(support["cases"], case, "opened_at", "id")


FOLDS: dict[str, Fold] = {
    "crm.contacts.CustomerRegistered.v1": _registered,
    "crm.contacts.CustomerRenamed.v1": _renamed,
    "crm.contacts.ContactPointAdded.v1": _point_added,
    "crm.contacts.ContactPointVerified.v1": _point_verified,
    "crm.contacts.PrimaryContactPointSet.v1": _primary_set,
    "crm.contacts.ContactPointRemoved.v1": _point_removed,
    "crm.contacts.PreferredChannelSet.v1": _preferred,
    "crm.contacts.OwnerAssigned.v1": _owner,
    "crm.contacts.AcquisitionChannelRecorded.v1": _acquisition,
    "crm.contacts.PersonalDateRecorded.v1": _personal_date,
    "crm.contacts.FamilyNoteRecorded.v1": _family_note,
    "crm.contacts.InterestAdded.v1": _interest,
    "crm.contacts.TagAdded.v1": _tag_added,
    "crm.contacts.TagRemoved.v1": _tag_removed,
    "crm.contacts.LinkedToOrganisation.v1": _linked,
    "crm.contacts.LinkToOrganisationEnded.v1": _unlinked,
    "crm.contacts.LifecycleChanged.v1": _lifecycle,
    "crm.contacts.ConsentGiven.v1": _consent(given=True),
    "crm.contacts.ConsentWithdrawn.v1": _consent(given=False),
    "crm.contacts.PossibleDuplicateFound.v1": _duplicate,
    "crm.contacts.CustomerMerged.v1": _merged,
    "crm.contacts.CustomerErased.v1": _erased,
    "crm.contacts.InteractionLogged.v1": _interaction,
    "crm.contacts.InteractionAnswered.v1": _interaction_answered,
    "crm.sales.OrderPlaced.v1": _order_placed,
    "crm.campaigns.CampaignResponseRecorded.v1": _campaign_response,
    "crm.support.CaseOpened.v1": _case_opened,
}


# --- merges --------------------------------------------------------------------------------


# Each list of the profile and the keys its fold keeps it sorted by.
PROFILE_LISTS: dict[str, tuple[str, ...]] = {
    "personal_dates": ("kind", "id"),
    "family_notes": ("at", "id"),
    "interests": ("kind", "id"),
    "organisations": ("id",),
    "possible_duplicates": ("id",),
}


def absorb(survivor: Document, merged: Document, events: Iterable[EventEnvelope] = ()) -> Document:
    """The survivor with the merged customer's history folded in (commutative parts add up,
    lists unite; the survivor's own scalars stay). Idempotent via `merged_from`.

    `events` are those just folded into `merged`. If the survivor absorbed it already (its
    tombstone's write failed after the survivor's, and the batch came again, maybe with
    more), the ones the survivor has not applied (per stream) are folded onto it, as they
    would have been redirected there: an order placed meanwhile for the merged id is kept."""
    if merged["_id"] in survivor["merged_from"]:
        return fold(survivor, (e for e in events if FOLDS.get(e.type) is not _merged))
    doc = copy.deepcopy(survivor)
    doc["merged_from"] = sorted({*doc["merged_from"], merged["_id"], *merged["merged_from"]})
    if merged["profile"] is not None:
        mine, theirs = _profile(doc), merged["profile"]
        for key, order in PROFILE_LISTS.items():
            # Sorted as their own folds sort them: a merge folded before or after an item
            # (topics interleave otherwise in a rebuild) must leave the same list.
            mine[key] = _sort({i["id"]: i for i in theirs[key] + mine[key]}.values(), *order)
        mine["tags"] = sorted({*mine["tags"], *theirs["tags"]})
    if doc["profile"] is not None:
        one = {doc["_id"], *doc["merged_from"]}  # the survivor and everyone merged into it
        found = doc["profile"]["possible_duplicates"]
        doc["profile"]["possible_duplicates"] = [d for d in found if d["id"] not in one]
    points = {p["id"]: p for p in merged["contact"]["points"] + doc["contact"]["points"]}
    doc["contact"]["points"] = _sort(list(points.values()), "kind", "id")
    for channel, purposes in merged["consent"].items():
        for purpose, statement in purposes.items():
            mine_c = doc["consent"].setdefault(channel, {})
            if purpose not in mine_c or mine_c[purpose]["at"] < statement["at"]:
                mine_c[purpose] = statement
    _absorb_sales(doc["sales"], merged["sales"])
    m, t = doc["marketing"], merged["marketing"]
    m["responses"] = _sort(
        list({r["id"]: r for r in m["responses"] + t["responses"]}.values()), "responded_at", "id"
    )
    m["campaigns"] = sorted({*m["campaigns"], *t["campaigns"]})
    m["conversions"] += t["conversions"]
    m["unsubscribes"] += t["unsubscribes"]
    s, u = doc["support"], merged["support"]
    for key in ("open_cases", "complaints", "returns"):
        s[key] += u[key]
    s["cases"] = _sort(
        list({c["id"]: c for c in s["cases"] + u["cases"]}.values()), "opened_at", "id"
    )
    i, j = doc["interactions"], merged["interactions"]
    for key in ("count", "inbound", "outbound", "answered", "response_seconds_total"):
        i[key] += j[key]
    for channel, n in j["by_channel"].items():
        i["by_channel"][channel] = i["by_channel"].get(channel, 0) + n
    _note_last(i, j["last_at"], j["last_channel"])
    for stream, version in merged["applied"].items():
        doc["applied"][stream] = max(version, doc["applied"].get(stream, 0))
    doc["events_applied"] += merged["events_applied"]
    doc["last_event_at"] = _latest(doc["last_event_at"], merged["last_event_at"])
    if doc["erased"]:
        scrub_personal_data(doc)  # a merge that reaches a survivor after its erasure
    doc["search"] = search_fields(doc)
    return doc


def _absorb_sales(mine: Document, theirs: Document) -> None:
    mine["orders_count"] += theirs["orders_count"]
    for currency, amount in theirs["revenue_by_currency"].items():
        mine["revenue_by_currency"][currency] = str(
            Decimal(mine["revenue_by_currency"].get(currency, "0")) + Decimal(amount)
        )
    mine["first_purchase_at"] = _earliest(mine["first_purchase_at"], theirs["first_purchase_at"])
    mine["last_purchase_at"] = _latest(mine["last_purchase_at"], theirs["last_purchase_at"])
    mine["orders"] = _sort(
        list({o["id"]: o for o in mine["orders"] + theirs["orders"]}.values()), "placed_at", "id"
    )
    mine["products"] = sorted({*mine["products"], *theirs["products"]})
    mine["payment_methods"] = sorted({*mine["payment_methods"], *theirs["payment_methods"]})


def tombstone(merged: Document) -> Document:
    """What stays under a merged id: where it went."""
    # Only the merge's own position stays in `applied`: a redelivered CustomerMerged (routed
    # here, never redirected) is skipped, and every other event is redirected to the survivor,
    # whose `applied` took all of the merged one's. Which other events the merged document
    # saw before it moved depends on how the topics interleaved (a rebuild may fold a later
    # order for the merged id before the merge, live folds it on the survivor): keeping them
    # would make a rebuilt tombstone differ from the live one.
    position = merged.get("merge_position")
    applied = {position[0]: position[1]} if position else merged["applied"]
    return {
        "_id": merged["_id"],
        "customer_id": merged["_id"],
        "schema_version": SCHEMA_VERSION,
        "merged_into": merged["merged_into"],
        "tombstone": True,
        "applied": applied,
    }


def is_pending_merge(doc: Document) -> bool:
    return doc.get("merged_into") is not None and not doc.get("tombstone")


def may_contact(consent: Document, channel: str) -> dict[str, bool]:
    """Marketing needs an opt-in; service contact is allowed unless opted out."""
    statements = consent.get(channel, {})
    return {
        "marketing": statements.get("marketing", {}).get("status") == "opt_in",
        "service": statements.get("service", {}).get("status") != "opt_out",
    }


def as_of(customer_id: str, envelopes: Iterable[EventEnvelope]) -> Document | None:
    """The document as the given events make it, with the same folds and merges as the live
    projector: what an auditor gets for "as of". None if nothing was known."""
    by_owner: dict[str, list[EventEnvelope]] = {}
    for envelope in sorted(envelopes, key=lambda e: (e.stream_id, e.stream_version)):
        if envelope.customer_id is not None:
            by_owner.setdefault(envelope.customer_id, []).append(envelope)
    docs = {cid: fold(empty(cid), events) for cid, events in by_owner.items()}
    while pending := sorted(cid for cid, doc in docs.items() if is_pending_merge(doc)):
        for cid in pending:
            target = docs[cid]["merged_into"]
            survivor = docs.get(target) or fold(empty(target), [])
            docs[target] = absorb(survivor, docs[cid])
            docs[cid] = tombstone(docs[cid])
    found = docs.get(customer_id)
    for _ in range(len(docs)):
        if found is None or not found.get("tombstone"):
            return found
        found = docs.get(found["merged_into"])
    return None


def public_view(document: Document) -> Document:
    """What readers see: the document without the projector's bookkeeping, plus the figures
    derived from it."""
    view = {k: v for k, v in document.items() if k not in {"_id", "_rev", "applied", "search"}}
    if "profile" in document:  # not a tombstone
        view["registration"] = registration(document)
    part = view.get("interactions")
    if part is not None:
        answered = part["answered"]
        view["interactions"] = {
            **part,
            "average_response_seconds": (
                round(part["response_seconds_total"] / answered) if answered else None
            ),
        }
    consent = view.get("consent")
    if consent is not None:
        view["may_contact"] = {
            # An erased customer may be contacted on no channel for no purpose.
            ch: {"marketing": False, "service": False}
            if document.get("erased")
            else may_contact(consent, ch)
            for ch in CONSENT_CHANNELS
        }
    profile = view.get("profile")
    if profile is not None and profile.get("possible_duplicates"):
        # Documents folded before reasons were codes hold the matching value: show the code.
        profile = {
            **profile,
            "possible_duplicates": [
                {**d, "reason": duplicate_reason(d["reason"]).value}
                for d in profile["possible_duplicates"]
            ],
        }
        view["profile"] = profile
    return view
