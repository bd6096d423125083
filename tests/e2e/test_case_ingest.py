"""Cases from the call centre's ingest topic on the whole platform over the real broker (issue
14; ADR 18, 47): a case sent twice is opened once, on the day the customer raised it; the same
sender ids for another customer, and an invalid case, land on the rejected topic with their
reasons and without their free text."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

from crm_support.entrypoints.case_ingest import case_id_for

from tests.e2e.test_order_ingest import send
from tests.e2e.test_walking_skeleton import register, view_when
from tests.integration.test_relay_and_projector import messages_for

INGEST, REJECTED = "crm.support.cases.ingest", "crm.support.cases.rejected"


def test_a_call_centre_case_sent_twice_is_opened_once_and_bad_ones_are_rejected(platform) -> None:
    customer = register(platform, name="Oriol Puig", email=f"o.{uuid.uuid4().hex[:8]}@puig.example")
    external = f"call-{uuid.uuid4().hex[:10]}"
    case = {
        "source": "callcentre",
        "external_id": external,
        "customer_id": customer,
        "kind": "complaint",
        "priority": "urgent",
        "channel": "phone",
        "subject": "Lamp arrived broken",
        "description": "The glass was shattered on arrival",
        "product_sku": "LAMP-40",
        "occurred_at": "2026-10-03T09:15:00Z",
        "agent_desk": "7",  # unknown to us: ignored, not refused
    }
    someone_else = {**case, "customer_id": str(uuid.uuid4())}
    invalid = {**case, "external_id": f"x-{external}", "kind": "rant"}
    asyncio.run(
        send(platform.kafka_bootstrap, external, case, case, someone_else, invalid, topic=INGEST)
    )
    view = view_when(platform, customer, lambda v: v["support"]["open_cases"] >= 1)
    [opened] = view["support"]["cases"]
    assert opened["id"] == case_id_for("callcentre", external)
    assert opened["opened_at"].startswith("2026-10-03T09:15:00")
    assert (opened["kind"], opened["channel"], opened["product_sku"]) == (
        "complaint", "phone", "LAMP-40",
    )  # fmt: skip

    async def rejected() -> list[tuple[str, bytes]]:
        key = hashlib.sha256(external.encode()).hexdigest().encode()
        found = await messages_for(platform.kafka_bootstrap, REJECTED, key, 2)
        return sorted((dict(m.headers)["dlt_reason"].decode(), m.value) for m in found)

    copies = asyncio.run(rejected())
    reasons = [reason for reason, _ in copies]
    assert len(reasons) == 2, reasons
    assert any("opened already for another customer or kind" in r for r in reasons)
    assert any("invalid case" in r and "kind" in r for r in reasons)
    assert all(b"shattered" not in body and b"broken" not in body for _, body in copies)
