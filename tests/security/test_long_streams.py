"""Issue 10, long streams: a command replayed its whole stream (335 ms after 5,238 tags, and
nothing bounded it). Now a command reads at most a snapshot interval of events from the store,
the running contacts service keeps a sealed snapshot beside a long stream, and a customer's
record has limits, refused with a 422 naming the field and the limit. Counted, not timed."""

from __future__ import annotations

import json
import uuid

import httpx
from crm_contacts.domain import customer as c
from crm_contacts_contracts.events import TagAdded, TagRemoved
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.adapters.mongo_snapshots import MongoSnapshotStore
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.privacy import PREFIX
from crm_kernel.settings import ServiceSettings
from pymongo import MongoClient

from tests.e2e.test_walking_skeleton import register, token
from tests.fakes import InMemoryPublisher
from tests.processes import Running
from tests.snapshot_support import CountingStore, snapshotting_customers
from tests.support import mongo

META = Metadata(actor="security")
INTERVAL = ServiceSettings.model_fields["snapshot_interval"].default
LONG = 1_000


async def test_a_command_on_a_long_stream_reads_at_most_a_snapshot_interval(infra, unique):
    client = mongo(infra)
    db = client[f"t_{unique}"]
    store = CountingStore(MongoEventStore(db))
    await store.ensure_indexes()
    keys = MongoKeyStore(client[f"t_vault_{unique}"])
    commands = snapshotting_customers(
        store, keys, InMemoryPublisher(), MongoSnapshotStore(db), INTERVAL
    )
    cid = str(uuid.uuid4())
    stream = c.stream_of(cid)
    try:
        await commands.handle(
            stream,
            c.RegisterCustomer(
                customer_id=cid, kind="person", customer_type="consumer", name="Ana García"
            ),
            META,
        )
        # A stream that grew long before snapshots existed: one event per commit.
        for version in range(1, LONG):
            kind = TagAdded if version % 2 else TagRemoved
            event = kind(customer_id=cid, tag="old")
            await store.append(
                stream,
                version,
                wrap(
                    [event],
                    source="crm.contacts",
                    stream_id=stream,
                    expected_version=version,
                    metadata=META,
                ),
            )
        await commands.handle(stream, c.AddTag(customer_id=cid, tag="a0"), META)  # snapshots it
        reads = []
        for n in range(1, 2 * INTERVAL + 1):
            before = store.events_read
            await commands.handle(stream, c.AddTag(customer_id=cid, tag=f"b{n}"), META)
            await commands.handle(stream, c.RemoveTag(customer_id=cid, tag=f"b{n}"), META)
            reads.append(store.events_read - before)
        # Two commands, each reading the snapshot's commit and fewer than INTERVAL events.
        assert max(reads) <= 2 * (1 + INTERVAL), reads
        assert (await commands.load(stream))[1] == LONG + 1 + 4 * INTERVAL
    finally:
        await client.drop_database(f"t_{unique}")
        await client.drop_database(f"t_vault_{unique}")
        await client.close()


def put(platform: Running, path: str, body: dict | None = None) -> httpx.Response:
    method = "POST" if body is not None else "PUT"
    return httpx.request(
        method,
        f"{platform.urls['contacts']}/customers{path}",
        json=body,
        headers=token("contacts:write"),
        timeout=15,
    )


def refusal(response: httpx.Response) -> tuple[list, str]:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    [error] = response.json()["detail"]
    return error["loc"], error["msg"]


def test_the_service_refuses_the_101st_tag_and_keeps_a_sealed_snapshot(platform: Running):
    customer = register(platform)  # 5 events: the registration, an e-mail and a phone
    for n in range(c.MAX_TAGS):
        assert put(platform, f"/{customer}/tags/t{n}").status_code == 200
    loc, msg = refusal(put(platform, f"/{customer}/tags/one-more"))
    assert loc[-1] == "tag" and "at most 100 tags" in msg

    with MongoClient(platform.mongo_url) as client:
        kept = client[platform.databases["contacts"]]["snapshots"].find_one(
            {"_id": c.stream_of(customer)}
        )
    assert kept is not None, "no snapshot beside a stream of 105 events"
    assert 105 - INTERVAL < kept["version"] <= 105
    assert kept["state"].startswith(PREFIX)
    assert "Ana" not in json.dumps(kept, default=str)
    assert "example.com" not in json.dumps(kept, default=str)


def test_the_service_refuses_the_11th_e_mail_address(platform: Running):
    customer = register(platform)  # one e-mail address already
    for n in range(9):
        body = {"kind": "email", "value": f"ana.{n}@example.com"}
        assert put(platform, f"/{customer}/contact-points", body).status_code == 201
    loc, msg = refusal(
        put(platform, f"/{customer}/contact-points", {"kind": "email", "value": "x@example.com"})
    )
    assert loc[-1] == "kind" and "at most 10 e-mail addresses" in msg
