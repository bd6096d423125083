"""A projector that comes back to a backlog of updates to customers it already holds catches
up, and ends equal to a clean rebuild (issue 9: one bulk write per batch of 500 replaces froze
the local store for good)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_contacts_contracts import events as c
from crm_kernel.domain.envelope import Metadata, wrap
from crm_local.synthetic import registered, stream_of
from crm_projections.entrypoints.admin import rebuild_into

from tests.integration.test_rebuild import order
from tests.support import (
    differences,
    group_caught_up,
    mongo,
    publisher,
    running_projections,
    settings_for,
    wait_for,
)

CUSTOMERS = 500
UPDATES_PER_CUSTOMER = 4  # 2,000 updates of documents the store already holds
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def updates(customer_id: str, n: int) -> list:
    """A tag and a rename on the customer's own stream, an order and an interaction."""
    own = wrap(
        [
            c.TagAdded(customer_id=customer_id, tag="backlog"),
            c.CustomerRenamed(customer_id=customer_id, name=f"Renamed {n}"),
        ],
        source="crm.contacts",
        stream_id=f"customer-{customer_id}",
        expected_version=2,
        metadata=Metadata(actor="test"),
        now=T0 + timedelta(hours=1, seconds=n),
    )
    bought = stream_of(
        [order(f"b-{customer_id}", customer_id, "B", "5.00")], f"order-b-{customer_id}", "shop"
    )
    called = c.InteractionLogged(
        interaction_id=f"b-{customer_id}",
        customer_id=customer_id,
        channel=c.InteractionChannel.PHONE_CALL,
        direction=c.Direction.INBOUND,
        occurred_at=T0 + timedelta(hours=2, seconds=n),
    )
    return own + bought + stream_of([called], f"interaction-b-{customer_id}", "callcentre")


async def test_a_backlog_of_updates_to_existing_customers_is_caught_up(infra, unique):
    settings = settings_for(infra, unique)
    customers = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    async with publisher(infra.kafka_bootstrap) as publish:
        await publish([e for n, cid in enumerate(customers) for e in registered(cid, n, "t", T0)])
        async with running_projections(settings):
            await wait_for(
                lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
                120,
                "registrations projected",
            )
        # Projector stopped: the updates pile up, so its next batches replace hundreds of
        # documents each.
        backlog = [e for n, cid in enumerate(customers) for e in updates(cid, n)]
        assert len(backlog) >= CUSTOMERS * UPDATES_PER_CUSTOMER
        await publish(backlog)
    async with running_projections(settings) as service:
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            180,
            "backlog caught up",
        )
        last = await service.models.customers.get(customers[-1])
    assert last is not None and last["sales"]["orders_count"] == 1
    assert "backlog" in last["profile"]["tags"]

    target = f"t_{unique}_clean"
    await rebuild_into(settings, target, switch=False, show=False)
    client = mongo(infra)
    said = await differences(client[settings.database_for("projections")], client[target])
    await client.close()
    assert said == []
