"""An event stored under an old contract version replays as the current one (ADR 45): a
CaseOpened v1 in the real event store reads back as v2, its channel from the list, its sealed
free text as it was stored."""

from __future__ import annotations

from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.domain.envelope import Metadata, wrap
from crm_support_contracts.events import CaseChannel, CaseKind, CaseOpened, Priority

from tests.support import mongo


async def test_a_v1_case_in_the_store_replays_as_v2(infra, unique) -> None:
    client = mongo(infra)
    db = client[f"t_{unique}"]
    store = MongoEventStore(db)
    await store.ensure_indexes()
    opened = CaseOpened(
        case_id="k1", customer_id="c1", kind=CaseKind.RETURN, priority=Priority.HIGH,
        channel=CaseChannel.PHONE, subject="pii:v1:AAAA", description="pii:v1:BBBB",
    )  # fmt: skip
    events = wrap([opened], source="crm.support", stream_id="case-k1", expected_version=0,
                  metadata=Metadata(actor="agent"))  # fmt: skip
    await store.append("case-k1", 0, events)
    # As a v1 writer stored it: the old type name, the channel as free text, no new fields.
    await db["events"].update_one(
        {"stream_id": "case-k1"},
        {"$set": {"events.0.type": "crm.support.CaseOpened.v1",
                  "events.0.data.channel": "Phone_Call"}},
    )  # fmt: skip
    raw = await db["events"].find_one({"stream_id": "case-k1"})
    assert raw is not None and raw["events"][0]["type"] == "crm.support.CaseOpened.v1"
    fresh = MongoEventStore(db)  # no cached commits: read from the store
    [read] = await fresh.read_stream("case-k1")
    assert read.type == "crm.support.CaseOpened.v2"
    assert read.event() == opened
    await client.drop_database(f"t_{unique}")
    await client.close()
