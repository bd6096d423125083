"""A rebuild equals live over the e2e and security histories: every read model the platform's
projector built while the tests drove the public APIs, rebuilt from the log as an operator
would (`crm projections rebuild`), compared document by document.

Those histories interleave differently on every run (processes, relays, partitions), so this
check finds order bugs in the folds that fixed histories miss. It runs after every other test
of the session (`RUNS_LAST`, ordered by tests/conftest.py); run alone or with `-k`, it checks
whatever history the session made, possibly none.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS, partitions_of
from crm_kernel.settings import ServiceSettings
from crm_projections.adapters.databases import POINTER, ActiveDatabase
from crm_projections.adapters.read_models import COLLECTIONS
from crm_projections.entrypoints.admin import rebuild_into

from tests.processes import Running
from tests.support import differences, group_caught_up, mongo, wait_for

RUNS_LAST = True  # read by tests/conftest.py: after every test that writes to the platform
QUIET_S = 3.0  # longer than a relay sweep (1 s): a stable end means nothing is on its way


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    partitions = await partitions_of(bootstrap, list(EVENT_TOPICS))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def quiet_and_caught_up(platform: Running, group: str) -> dict[TopicPartition, int]:
    """The end of every event topic once nothing more arrives (the relays have published what
    the commands stored) and the platform's projector has committed, so written, all of it."""

    async def probe() -> dict[TopicPartition, int] | None:
        before = await end_offsets(platform.kafka_bootstrap)
        if not await group_caught_up(platform.kafka_bootstrap, group):
            return None
        await asyncio.sleep(QUIET_S)
        after = await end_offsets(platform.kafka_bootstrap)
        caught_up = await group_caught_up(platform.kafka_bootstrap, group)
        return after if after == before and caught_up else None

    return await wait_for(probe, 120, "the platform's projector caught up with a quiet log")


async def test_every_read_model_rebuilt_from_the_log_equals_the_live_one(
    platform: Running,
) -> None:
    env = platform.env["projections"]
    settings = ServiceSettings(
        kafka_bootstrap=platform.kafka_bootstrap,
        mongo_url=platform.mongo_url,
        database=env["CRM_DATABASE"],
        vault_database=platform.vault_database,  # the keys the live projector unsealed with
    )  # no auth settings: a rebuild serves nobody
    client = mongo(platform)
    target = f"e2e_rebuild_{uuid.uuid4().hex[:8]}"
    try:
        live_name = await ActiveDatabase(client, settings.database_for("projections")).name()
        live, rebuilt = client[live_name], client[target]
        for _ in range(3):
            ends = await quiet_and_caught_up(platform, env["CRM_CONSUMER_GROUP"])
            progress = await rebuild_into(settings, target, switch=False, show=False)
            if await end_offsets(platform.kafka_bootstrap) == ends:
                break  # the rebuild read exactly what live had folded
            await client.drop_database(target)  # a late publish: live and rebuild saw unlike logs
        else:
            raise AssertionError("the event topics kept growing: no quiet moment to compare")
        assert progress.done == sum(ends.values()), "the rebuild replayed less than the log"

        # Every collection either side holds is a read model `differences` compares, so a new
        # read model cannot escape the check; the base database also holds the readers'
        # pointer to the live one, which a rebuild has no reason to write.
        held = {
            *await live.list_collection_names(),
            *await rebuilt.list_collection_names(),
        } - {POINTER}
        assert held <= set(COLLECTIONS), f"not compared: {sorted(held - set(COLLECTIONS))}"
        said = await differences(live, rebuilt)
        if said:
            pytest.fail(_report(live_name, target, said), pytrace=False)
        counts = {name: await live[name].count_documents({}) for name in COLLECTIONS}
        print(f"rebuild equals live over {progress.done} events: {counts}")
    finally:
        await client.drop_database(target)
        await client.close()


def _report(live: str, rebuilt: str, said: list[str]) -> str:
    lines = "\n".join(f"  {line}" for line in said)  # one line per differing collection
    return f"live {live} differs from its rebuild {rebuilt}:\n{lines}"
