"""The contacts context end to end: HTTP and the ingest topic in, the 360 view out."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
from crm_kernel.auth import FEED_SCOPE, issue_token
from crm_kernel.domain.events import ERASED

from tests.e2e.test_walking_skeleton import post, register, token, view_when
from tests.integration.test_relay_and_projector import messages_for
from tests.support import SECRET, mongo, running_projections, settings_for, wait_for

CONTACTS = "contacts:write"


def put(platform, path: str, body: dict | None = None) -> httpx.Response:
    return httpx.put(f"{platform.urls['contacts']}{path}", json=body, headers=token(CONTACTS))


def erase(platform, customer: str, expect: int = 200) -> httpx.Response:
    erased = post(
        platform,
        "contacts",
        f"/customers/{customer}/erasure",
        {"requested_by": "the data subject, letter DPO-1234", "reason": "GDPR art. 17"},
        CONTACTS,
    )
    assert erased.status_code == expect, erased.text
    return erased


def test_contact_points_profile_and_lifecycle_show_in_the_360_view(platform) -> None:
    customer = register(platform, phone=None)
    base = f"/customers/{customer}"
    added = post(
        platform,
        "contacts",
        f"{base}/contact-points",
        {"kind": "website", "value": "Lucia-Shop.example/", "point_id": "web"},
        CONTACTS,
    )
    assert added.status_code == 201, added.text
    assert (
        post(platform, "contacts", f"{base}/contact-points/web/verify", {}, CONTACTS).status_code
        == 200
    )
    assert (
        post(
            platform,
            "contacts",
            f"{base}/personal-dates",
            {"kind": "birthday", "date": "--03-14"},
            CONTACTS,
        ).status_code
        == 201
    )
    assert (
        post(
            platform,
            "contacts",
            f"{base}/interests",
            {"kind": "membership", "value": "Rotary Club"},
            CONTACTS,
        ).status_code
        == 201
    )
    assert put(platform, f"{base}/tags/vip").status_code == 200
    assert put(platform, f"{base}/owner", {"owner": "marta"}).status_code == 200
    assert (
        put(
            platform, f"{base}/acquisition", {"channel": "referral", "detail": "by Jordi"}
        ).status_code
        == 200
    )
    assert put(platform, f"{base}/lifecycle", {"lifecycle": "active"}).status_code == 200
    refused = put(platform, f"{base}/lifecycle", {"lifecycle": "prospect"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "lifecycle",
    ]

    view = view_when(
        platform, customer, lambda v: v["profile"] and v["profile"]["lifecycle"] == "active"
    )
    web = next(p for p in view["contact"]["points"] if p["id"] == "web")
    assert (web["value"], web["verified"], web["primary"]) == (
        "https://lucia-shop.example",
        True,
        True,
    )
    profile = view["profile"]
    assert profile["owner"] == "marta" and profile["tags"] == ["vip"]
    assert profile["acquisition"] == {"channel": "referral", "detail": "by Jordi"}
    assert profile["personal_dates"][0]["date"] == "--03-14"
    assert profile["interests"][0]["value"] == "Rotary Club"


def test_a_likely_duplicate_is_reported_on_registration(platform) -> None:
    email = f"dup-{uuid.uuid4().hex[:6]}@example.com"
    first = register(platform, email=email, phone=None)
    response = post(
        platform,
        "contacts",
        "/customers",
        {"name": "Someone Else", "email": email.upper()},
        CONTACTS,
    )
    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [
        {"customer_id": first, "reason": "same_email"}  # a code: never the e-mail itself
    ]
    second = response.json()["customer_id"]
    view = view_when(
        platform, second, lambda v: v["profile"] and v["profile"]["possible_duplicates"]
    )
    assert view["profile"]["possible_duplicates"][0]["id"] == first


def test_similar_names_within_one_organisation_are_reported(platform) -> None:
    org = post(
        platform,
        "contacts",
        "/customers",
        {"name": "Talleres Ruiz", "kind": "organisation", "customer_type": "business"},
        CONTACTS,
    ).json()["customer_id"]
    a = register(platform, name="José María Pérez", email=None, phone=None)
    b = register(platform, name="Jose Maria Perez", email=None, phone=None)
    assert (
        post(
            platform,
            "contacts",
            f"/customers/{a}/organisations",
            {"organisation_id": org, "role": "buyer"},
            CONTACTS,
        ).json()["possible_duplicates"]
        == []
    )
    linked = post(
        platform,
        "contacts",
        f"/customers/{b}/organisations",
        {"organisation_id": org, "role": "accounts"},
        CONTACTS,
    )
    assert linked.status_code == 201
    assert [d["customer_id"] for d in linked.json()["possible_duplicates"]] == [a]
    self_link = post(
        platform,
        "contacts",
        f"/customers/{org}/organisations",
        {"organisation_id": a, "role": "x"},
        CONTACTS,
    )
    assert self_link.status_code == 422  # an organisation is not linked to a person


def test_consent_governs_outbound_interactions_and_shows_in_the_view(platform) -> None:
    customer = register(platform)
    base = f"/customers/{customer}"
    sms = {
        "customer_id": customer,
        "channel": "sms",
        "direction": "outbound",
        "purpose": "marketing",
        "subject": "Spring sale",
    }
    refused = post(platform, "contacts", "/interactions", sms, CONTACTS)
    assert refused.status_code == 422 and "does not allow marketing contact by sms" in refused.text
    assert (
        post(
            platform,
            "contacts",
            f"{base}/consents",
            {"channel": "sms", "purpose": "marketing", "status": "opt_in", "source": "web-form"},
            CONTACTS,
        ).status_code
        == 200
    )
    assert post(platform, "contacts", "/interactions", sms, CONTACTS).status_code == 201
    assert (
        post(
            platform,
            "contacts",
            f"{base}/consents",
            {"channel": "sms", "purpose": "marketing", "status": "opt_out", "source": "reply STOP"},
            CONTACTS,
        ).status_code
        == 200
    )
    assert post(platform, "contacts", "/interactions", sms, CONTACTS).status_code == 422
    view = view_when(
        platform,
        customer,
        lambda v: v["consent"].get("sms", {}).get("marketing", {}).get("status") == "opt_out",
    )
    assert view["may_contact"]["sms"] == {"marketing": False, "service": True}
    assert view["may_contact"]["email"] == {"marketing": False, "service": True}
    assert view["interactions"]["by_channel"] == {"sms": 1}


def test_interactions_and_answers_measure_responsiveness(platform) -> None:
    customer = register(platform)
    at = datetime(2026, 5, 4, 10, tzinfo=UTC)
    logged = post(
        platform,
        "contacts",
        "/interactions",
        {
            "customer_id": customer,
            "channel": "email",
            "direction": "outbound",
            "subject": "Quote",
            "occurred_at": at.isoformat(),
        },
        CONTACTS,
    )
    assert logged.status_code == 201
    iid = logged.json()["interaction_id"]
    answered = post(
        platform,
        "contacts",
        f"/interactions/{iid}/answer",
        {"answered_at": (at + timedelta(hours=2)).isoformat()},
        CONTACTS,
    )
    assert answered.status_code == 200, answered.text
    post(
        platform,
        "contacts",
        "/interactions",
        {
            "customer_id": customer,
            "channel": "phone_call",
            "direction": "inbound",
            "duration_s": 300,
            "occurred_at": (at + timedelta(days=1)).isoformat(),
        },
        CONTACTS,
    )
    view = view_when(
        platform,
        customer,
        lambda v: v["interactions"]["count"] == 2 and v["interactions"]["answered"] == 1,
    )
    part = view["interactions"]
    assert part["average_response_seconds"] == 7200
    assert (part["inbound"], part["outbound"], part["last_channel"]) == (1, 1, "phone_call")


async def test_the_ingest_topic_validates_deduplicates_and_rejects(platform) -> None:
    customer = register(platform)
    external = uuid.uuid4().hex
    good = {
        "source": "callcentre",
        "external_id": external,
        "customer_id": customer,
        "channel": "phone_call",
        "direction": "inbound",
        "summary": "asked for an invoice",
    }
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        for body in (
            good,
            good,
            {**good, "external_id": "x-" + external, "channel": "pigeon"},
            {**good, "external_id": "y-" + external, "customer_id": str(uuid.uuid4())},
        ):
            await producer.send_and_wait(
                "crm.contacts.interactions.ingest", json.dumps(body).encode(), key=external.encode()
            )
        await producer.send_and_wait(
            "crm.contacts.interactions.ingest", b"not json", key=external.encode()
        )
    finally:
        await producer.stop()
    # A rejected copy carries the sender's key hashed (it may be personal, ADR 18).
    hashed_key = hashlib.sha256(external.encode()).hexdigest().encode()
    rejected = await messages_for(
        platform.kafka_bootstrap, "crm.contacts.interactions.rejected", hashed_key, 3
    )
    reasons = sorted(dict(m.headers)["dlt_reason"].decode() for m in rejected)
    assert len(reasons) == 3
    assert any("channel" in r for r in reasons)
    assert any("unknown customer" in r for r in reasons)
    assert any("invalid interaction" in r and "json" in r.lower() for r in reasons)
    view = await asyncio.to_thread(
        view_when, platform, customer, lambda v: v["interactions"]["count"] >= 1
    )
    await asyncio.sleep(1)  # the duplicate has been consumed by now; it must not count
    view = await asyncio.to_thread(view_when, platform, customer, lambda v: True)
    assert view["interactions"]["count"] == 1


def test_a_merged_customer_redirects_to_the_survivor_everywhere(platform) -> None:
    merged, survivor = register(platform, phone=None), register(platform, phone=None)
    order = {
        "customer_id": merged,
        "currency": "EUR",
        "lines": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}],
    }
    assert post(platform, "sales", "/orders", order, "sales:write").status_code == 201
    view_when(platform, merged, lambda v: v["sales"]["orders_count"] == 1)
    assert (
        post(
            platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": merged}, CONTACTS
        ).status_code
        == 422
    )
    response = post(
        platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": survivor}, CONTACTS
    )
    assert response.status_code == 200, response.text
    # An order for the old id that arrives after the merge still lands on the survivor.
    assert post(platform, "sales", "/orders", order, "sales:write").status_code == 201
    view = view_when(platform, survivor, lambda v: v["sales"]["orders_count"] == 2)
    assert view["merged_from"] == [merged]
    assert view["sales"]["revenue_by_currency"] == {"EUR": "20.00"}
    old = view_when(platform, merged, lambda v: v.get("redirected_from") == merged)
    assert old["customer_id"] == survivor
    gone = put(platform, f"/customers/{merged}/tags/vip")
    assert gone.status_code == 410 and survivor in gone.text


async def test_erasure_leaves_no_personal_data_even_after_a_rebuild(platform, infra) -> None:
    customer = register(
        platform, name="Erika Mustermann", email="erika@example.de", phone="+49 30 901820"
    )
    base = f"/customers/{customer}"
    post(platform, "contacts", f"{base}/family-notes", {"note": "married to Max"}, CONTACTS)
    await asyncio.to_thread(
        view_when, platform, customer, lambda v: v["profile"] and v["profile"]["family_notes"]
    )
    erase(platform, customer)
    view = await asyncio.to_thread(view_when, platform, customer, lambda v: v["erased"])
    text = json.dumps(view)
    for secret in ("Erika", "erika@example.de", "+49309", "Max"):
        assert secret not in text
    assert view["profile"]["name"] == ERASED
    assert (
        post(platform, "contacts", f"{base}/family-notes", {"note": "x"}, CONTACTS).status_code
        == 410
    )
    case = {"customer_id": customer, "kind": "complaint", "subject": "S", "description": "Erika"}
    refused = post(platform, "support", "/cases", case, "support:write")
    assert refused.status_code == 410, refused.text  # no new key, no new personal data
    assert "was erased" in refused.json()["detail"][0]["msg"]
    export = await asyncio.to_thread(
        httpx.get, f"{platform.urls['contacts']}{base}/export", headers=token("contacts:read")
    )
    assert export.status_code == 200 and export.json()["erased"] is True
    assert "Erika" not in export.text and "erika@example.de" not in export.text

    settings = settings_for(infra, uuid.uuid4().hex[:8]).model_copy(
        update={"vault_database": platform.vault_database}
    )
    async with running_projections(settings) as service:
        rebuilt = await wait_for(
            lambda: service.models.customers.get(customer), 60, "the rebuilt view"
        )
        rebuilt = await wait_for(lambda: _erased(service, customer), 60, "the rebuilt erasure")
    for secret in ("Erika", "erika@example.de", "+49309", "Max"):
        assert secret not in json.dumps(rebuilt)


async def _erased(service, customer):
    doc = await service.models.customers.get(customer)
    return doc if doc and doc["erased"] else None


def test_the_export_holds_everything_contacts_knows(platform) -> None:
    customer = register(platform, name="Paula Export", email="paula@example.com", phone=None)
    post(
        platform,
        "contacts",
        "/interactions",
        {"customer_id": customer, "channel": "chat", "direction": "inbound"},
        CONTACTS,
    )
    export = httpx.get(
        f"{platform.urls['contacts']}/customers/{customer}/export", headers=token("contacts:read")
    )
    assert export.status_code == 200
    types = [e["type"] for e in export.json()["events"]]
    assert (
        "crm.contacts.CustomerRegistered.v1" in types
        and "crm.contacts.InteractionLogged.v1" in types
    )
    assert export.json()["events"][0]["data"]["name"] == "Paula Export"
    assert (
        httpx.get(
            f"{platform.urls['contacts']}/customers/{uuid.uuid4()}/export",
            headers=token("contacts:read"),
        ).status_code
        == 404
    )


def test_scheduled_activities_appear_in_the_owner_calendar_feed(platform) -> None:
    customer = register(platform)
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    body = {
        "customer_id": customer,
        "owner": owner,
        "kind": "meeting",
        "title": "Quarterly review",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "location": "Madrid office",
    }
    scheduled = post(platform, "contacts", "/activities", body, CONTACTS)
    assert scheduled.status_code == 201
    assert (
        post(
            platform, "contacts", "/activities", {**body, "ends_at": start.isoformat()}, CONTACTS
        ).status_code
        == 422
    )
    feed_url = f"{platform.urls['projections']}/owners/{owner}/calendar.ics"
    assert httpx.get(feed_url).status_code == 401
    # A calendar app's feed token, in the URL (a general token is refused there).
    raw = issue_token(SECRET, "calendar", [FEED_SCOPE], timedelta(days=1), owner=owner)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while datetime.now(UTC) < deadline:
        feed = httpx.get(feed_url, params={"access_token": raw})
        if "Quarterly review" in feed.text:
            break
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in feed.text and "Quarterly review" in feed.text
    assert "DTSTART:20260601T090000Z" in feed.text and "LOCATION:Madrid office" in feed.text
    # Title and place are free texts, personal data: gone from the feed with the customer.
    erase(platform, customer)
    feed = httpx.get(feed_url, params={"access_token": raw})
    assert "BEGIN:VEVENT" in feed.text and "DTSTART:20260601T090000Z" in feed.text
    assert "Quarterly review" not in feed.text and "Madrid office" not in feed.text


def timeline_of(platform, customer: str) -> list[dict]:
    response = httpx.get(
        f"{platform.urls['projections']}/customers/{customer}/timeline",
        headers=token("projections:read"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_erasing_a_survivor_erases_every_customer_merged_into_it(platform, infra) -> None:
    tag = uuid.uuid4().hex[:6]
    email = f"adela-{tag}@example.com"
    survivor = register(platform, name="Adela Survivor", email=email, phone=None)
    # Registered with the survivor's e-mail: reported as a duplicate, by a code.
    response = post(
        platform,
        "contacts",
        "/customers",
        {"name": "Bruno Absorbed", "email": email, "phone": "+34 699 111 222"},
        CONTACTS,
    )
    assert response.status_code == 201, response.text
    merged = response.json()["customer_id"]
    assert response.json()["possible_duplicates"] == [
        {"customer_id": survivor, "reason": "same_email"}
    ]
    post(platform, "contacts", f"/customers/{merged}/family-notes", {"note": "Brunilda"}, CONTACTS)
    client = mongo(infra)
    events = client[platform.databases["contacts"]]["events"]
    stored = [d async for d in events.find({"stream_id": f"customer-{merged}"})]
    duplicate = [
        e["data"]
        for d in stored
        for e in d["events"]
        if e["type"] == "crm.contacts.PossibleDuplicateFound.v1"
    ]
    assert duplicate == [
        {"customer_id": merged, "other_customer_id": survivor, "reason": "same_email"}
    ]
    assert email not in json.dumps(stored, default=str)

    merge = post(
        platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": survivor}, CONTACTS
    )
    assert merge.status_code == 200, merge.text
    await asyncio.to_thread(view_when, platform, survivor, lambda v: v["merged_from"] == [merged])
    assert "Bruno" in json.dumps(await asyncio.to_thread(timeline_of, platform, survivor))

    erase(platform, survivor)
    secrets = ("Adela", "Bruno", "Brunilda", email, "+34699111222", "699111222")
    view = await asyncio.to_thread(view_when, platform, survivor, lambda v: v["erased"])
    for secret in secrets:
        assert secret not in json.dumps(view)
    assert all(not any(p.values()) for p in view["may_contact"].values()), view["may_contact"]
    entries = await asyncio.to_thread(timeline_of, platform, survivor)
    assert {e["customer_id"] for e in entries} == {survivor, merged}
    for secret in secrets:
        assert secret not in json.dumps(entries), secret

    # The merged id was erased with its survivor: asking again says so, and nothing is readable.
    erase(platform, merged, expect=410)
    export = await asyncio.to_thread(
        httpx.get,
        f"{platform.urls['contacts']}/customers/{merged}/export",
        headers=token("contacts:read"),
    )
    assert export.status_code == 200 and export.json()["erased"] is True
    for secret in secrets:
        assert secret not in export.text
    vault = client[platform.vault_database]["customer_keys"]
    assert {
        d["_id"]: "key" in d async for d in vault.find({"_id": {"$in": [survivor, merged]}})
    } == {survivor: False, merged: False}  # key tombstones, no key material
    await client.close()

    settings = settings_for(infra, uuid.uuid4().hex[:8]).model_copy(
        update={"vault_database": platform.vault_database}
    )
    async with running_projections(settings) as service:
        rebuilt = await wait_for(
            lambda: _rebuilt_with(service, survivor, merged), 60, "the rebuilt survivor"
        )
    for secret in secrets:
        assert secret not in json.dumps(rebuilt, default=str)


async def _rebuilt_with(service, survivor: str, merged: str):
    doc = await service.models.customers.get(survivor)
    return doc if doc and doc["erased"] and doc["merged_from"] == [merged] else None


async def test_erasing_a_merged_id_erases_it_through_its_survivor(platform) -> None:
    survivor = register(platform, name="Carla Keeps", phone=None, email=None)
    merged = register(platform, name="Dario Folded", phone=None, email=None)
    assert (
        post(
            platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": survivor}, CONTACTS
        ).status_code
        == 200
    )
    erased = post(
        platform,
        "contacts",
        f"/customers/{merged}/erasure",
        {"requested_by": "the data subject, ticket DPO-79", "reason": "GDPR art. 17"},
        CONTACTS,
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["stream_id"] == f"customer-{survivor}"
    view = await asyncio.to_thread(
        view_when, platform, survivor, lambda v: v["erased"] and v["merged_from"] == [merged]
    )
    assert "Carla" not in json.dumps(view) and "Dario" not in json.dumps(view)
    assert put(platform, f"/customers/{survivor}/tags/vip").status_code == 410
