"""Orders from a web shop's ingest topic on the whole platform over the real broker (issue 13;
ADR 18, 36): an order sent twice is placed once, on the day it happened; the same shop ids
with other lines, and an invalid order, land on the rejected topic with their reasons."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

from aiokafka import AIOKafkaProducer
from crm_sales.entrypoints.order_ingest import order_id_for

from tests.e2e.test_walking_skeleton import register, view_when
from tests.integration.test_relay_and_projector import messages_for
from tests.support import group_caught_up, wait_for

INGEST, REJECTED = "crm.sales.orders.ingest", "crm.sales.orders.rejected"
GROUP = "crm-sales-orders-ingest"


async def send(bootstrap: str, key: str, *bodies: dict, topic: str = INGEST) -> None:
    """Publish the bodies, as JSON, to an ingest topic (the shops' by default)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for body in bodies:
            await producer.send_and_wait(topic, json.dumps(body).encode(), key=key.encode())
    finally:
        await producer.stop()


def test_a_shops_order_sent_twice_is_placed_once_and_bad_ones_are_rejected(platform) -> None:
    customer = register(platform, name="Nuria Sanz", email=f"n.{uuid.uuid4().hex[:8]}@sanz.example")
    external = f"shop-{uuid.uuid4().hex[:10]}"
    order = {
        "source": "webshop",
        "external_id": external,
        "customer_id": customer,
        "currency": "EUR",
        "payment_method": "PayPal",
        "lines": [{"sku": "LAMP-1", "quantity": 2, "unit_price": "19.95"}],
        "occurred_at": "2026-10-03T17:30:00Z",
        "shop_session": "abc",  # unknown to us: ignored, not refused
    }
    other_lines = {**order, "lines": [{"sku": "LAMP-1", "quantity": 3, "unit_price": "19.95"}]}
    invalid = {
        **order,
        "external_id": f"x-{external}",
        "lines": [{"sku": "LAMP-1", "quantity": 0, "unit_price": "1"}],
    }
    asyncio.run(send(platform.kafka_bootstrap, external, order, order, other_lines, invalid))
    view = view_when(platform, customer, lambda v: v["sales"]["orders_count"] >= 1)
    [placed] = view["sales"]["orders"]
    assert placed["id"] == order_id_for("webshop", external)
    assert placed["placed_at"].startswith("2026-10-03T17:30:00")
    assert (placed["total"], placed["payment_method"]) == ("39.90", "paypal")

    async def rejected() -> list[str]:
        # Each refused copy is keyed by the hash of its record's key (the shop's, here).
        key = hashlib.sha256(external.encode()).hexdigest().encode()
        found = await messages_for(platform.kafka_bootstrap, REJECTED, key, 2)
        return sorted(dict(m.headers)["dlt_reason"].decode() for m in found)

    reasons = asyncio.run(rejected())
    assert len(reasons) == 2, reasons
    assert any("placed already with other lines" in r for r in reasons)
    assert any("invalid order" in r and "quantity" in r for r in reasons)
    asyncio.run(
        wait_for(lambda: group_caught_up(platform.kafka_bootstrap, GROUP, (INGEST,)), 20, "taken")
    )
    again = view_when(platform, customer, lambda v: True)
    assert again["sales"]["orders_count"] == 1
