"""Leads from the ingest topic and their possible duplicates, on the whole platform over the
real broker (issue 12; ADR 18, 28): a lead sent twice is captured once; a refused message lands
on the rejected topic with its reason and no personal field; the handled records are deleted
from the ingest topic; a lead with a customer's e-mail, or an open lead's phone, is reported as
a possible duplicate (reason codes, never the values)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import uuid

from aiokafka import AIOKafkaProducer
from crm_sales.domain.lead import lead_id_for, prospect_id_of

from tests.e2e.test_leads import SALES, ok, timeline_when
from tests.e2e.test_walking_skeleton import post, register
from tests.integration.test_relay_and_projector import messages_for
from tests.support import group_caught_up, wait_for

INGEST = "crm.sales.leads.ingest"
REJECTED = "crm.sales.leads.rejected"
INGEST_GROUP = "crm-sales-leads-ingest"
POINTS_GROUP = "crm-sales-customer-points"


def random_mobile() -> str:
    """A Spanish mobile number no other test uses (most likely)."""
    return (
        f"+34 6{random.randint(10, 99)} {random.randint(0, 999):03d} {random.randint(0, 999):03d}"
    )


async def send(bootstrap: str, key: str, *bodies: dict | bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for body in bodies:
            value = body if isinstance(body, bytes) else json.dumps(body).encode()
            await producer.send_and_wait(INGEST, value, key=key.encode())
    finally:
        await producer.stop()


async def test_a_lead_sent_twice_is_captured_once_and_a_bad_one_is_rejected(platform) -> None:
    external = uuid.uuid4().hex
    phone = random_mobile()
    secret = f"Rosalía Ferrández-{external[:6]}"
    good = {
        "source": "webform",
        "external_id": external,
        "person_name": secret,
        "email": f"Rosalia.{external[:6]}@Example.ORG",
        "phone": phone,
        "channel": "web_form",
        "estimated_value": "900.00",
        "currency": "EUR",
        "occurred_at": "2026-11-30T18:00:00Z",
        "utm_source": "newsletter",  # unknown to us: ignored, not refused
    }
    await send(
        platform.kafka_bootstrap,
        external,
        good,
        good,  # a redelivery
        {**good, "external_id": f"x-{external}", "channel": "fax"},
        {**good, "external_id": f"y-{external}", "email": "not an e-mail"},
        b"not json",
    )
    lead_id = lead_id_for("webform", external)
    [captured] = await asyncio.to_thread(timeline_when, platform, lead_id, 1)
    assert captured["type"] == "crm.sales.LeadCaptured.v1"
    assert captured["occurred_at"].startswith("2026-11-30T18:00:00")
    data = captured["data"]
    assert (data["person_name"], data["email"]) == (secret, good["email"].lower())
    assert data["phone"] == phone.replace(" ", "")  # E.164, as contacts stores phones

    hashed_key = hashlib.sha256(external.encode()).hexdigest().encode()
    rejected = await messages_for(platform.kafka_bootstrap, REJECTED, hashed_key, 3)
    reasons = sorted(dict(m.headers)["dlt_reason"].decode() for m in rejected)
    assert len(reasons) == 3, reasons
    assert any("invalid lead" in r and "channel" in r for r in reasons)
    assert any("not a valid e-mail address" in r for r in reasons)
    assert any("invalid lead" in r and "json" in r.lower() for r in reasons)
    for message in rejected:  # personal fields withheld (ADR 18)
        assert secret not in message.value.decode() and "Rosalia" not in message.value.decode()
    copies = [json.loads(m.value) for m in rejected]
    withheld = next(c for c in copies if c.get("channel") is None and "source" in c)
    assert {"person_name", "email", "phone"} <= set(withheld["withheld"])

    await wait_for(
        lambda: group_caught_up(platform.kafka_bootstrap, INGEST_GROUP, (INGEST,)), 20, "ingested"
    )
    await asyncio.sleep(1)  # the redelivery was consumed: it must have recorded nothing
    items = await asyncio.to_thread(timeline_when, platform, lead_id, 1)
    assert [i["type"] for i in items] == ["crm.sales.LeadCaptured.v1"]


def test_a_lead_like_a_customer_or_an_open_lead_is_reported(platform) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"Marisa.{tag}@Example.COM"
    customer = register(platform, name=f"Marisa {tag}", email=email, phone=None)
    asyncio.run(
        wait_for(
            lambda: group_caught_up(
                platform.kafka_bootstrap, POINTS_GROUP, ("crm.contacts.events",)
            ),
            20,
            "sales learnt the customer's e-mail",
        )
    )
    phone = random_mobile()
    first = ok(
        post(
            platform,
            "sales",
            "/leads",
            {"person_name": "M. Ruiz", "email": email.upper(), "phone": phone, "channel": "email"},
            SALES,
        ),
        201,
    )
    assert first["possible_duplicates"] == [
        {"other": "customer", "other_id": customer, "reason": "same_email"}
    ]
    second = ok(
        post(
            platform,
            "sales",
            "/leads",
            {"company_name": "Ruiz SL", "phone": phone.replace(" ", ""), "channel": "phone"},
            SALES,
        ),
        201,
    )
    assert second["possible_duplicates"] == [
        {"other": "lead", "other_id": first["lead_id"], "reason": "same_phone"}
    ]
    # Recorded on the lead's stream, as contacts records PossibleDuplicateFound: codes only.
    items = timeline_when(platform, second["lead_id"], 2)
    found = items[1]
    assert found["type"] == "crm.sales.LeadPossibleDuplicateFound.v1"
    assert found["customer_id"] == prospect_id_of(second["lead_id"])
    assert (found["data"]["other_id"], found["data"]["reason"]) == (first["lead_id"], "same_phone")
    assert phone.replace(" ", "") not in json.dumps(found)

    # A disqualified lead is no longer open: a third lead with its phone is not reported.
    body = {"reason": "duplicate"}
    ok(post(platform, "sales", f"/leads/{first['lead_id']}/disqualification", body, SALES))
    ok(post(platform, "sales", f"/leads/{second['lead_id']}/disqualification", body, SALES))
    third = ok(
        post(
            platform,
            "sales",
            "/leads",
            {"company_name": "R", "phone": phone, "channel": "other"},
            SALES,
        ),
        201,
    )
    assert third["possible_duplicates"] == []
