"""Topic layout: one event topic per context, kept forever; dead-letter topics beside them."""

from __future__ import annotations

import contextlib

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from crm_kernel.adapters.kafka_security import client_options
from crm_kernel.contexts import CONTEXTS
from crm_kernel.domain.envelope import topic_for

EVENT_TOPICS = tuple(topic_for(c) for c in CONTEXTS)


def dead_letter_topic(consumer: str) -> str:
    return f"crm.{consumer}.dlt"


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    """Create missing topics; event topics keep history forever (they are the audit log)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="crm-topics", **client_options()
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=topic,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=_configs(topic),
            )
            for topic in topics
            if topic not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


# An ingest hand-off deletes what it handled (adapters.kafka_handoff, ADR 18), but DeleteRecords
# only moves the log start: the bytes stay on disk until their segment is rolled and deleted.
# Small, short segments bound that to minutes; the rejected copies hold no personal data, and
# a week is long enough for a sender to read why.
HANDOFF_SEGMENTS = {
    "segment.ms": "600000",
    "segment.bytes": "16777216",
    "file.delete.delay.ms": "1000",
}
REJECTED_RETENTION_MS = str(7 * 24 * 3600 * 1000)


def _configs(topic: str) -> dict[str, str]:
    if topic.endswith(".events"):
        return {"retention.ms": "-1"}  # the audit log
    if topic.endswith(".ingest"):
        return dict(HANDOFF_SEGMENTS)
    if topic.endswith(".rejected"):
        return {"retention.ms": REJECTED_RETENTION_MS}
    return {}


async def partitions_of(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics, in topic then partition order."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="crm-topics", **client_options()
    )
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    )


async def records_behind(
    bootstrap: str, group: str, partitions: frozenset[TopicPartition] | set[TopicPartition]
) -> int:
    """How many records of these partitions lie past the group's committed offsets (from the
    log start where it committed none), asked with clients of its own."""
    if not partitions:
        return 0
    wanted = sorted(partitions)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="crm-lag", **client_options()
    )
    offsets = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="crm-lag",
        enable_auto_commit=False,
        **client_options(),
    )
    await admin.start()
    try:
        await offsets.start()
        try:
            committed = await admin.list_consumer_group_offsets(group, partitions=wanted)
            ends = await offsets.end_offsets(wanted)
            starts = await offsets.beginning_offsets(wanted)
        finally:
            await offsets.stop()
    finally:
        await admin.close()
    behind = 0
    for tp in wanted:
        done = committed[tp].offset if tp in committed and committed[tp].offset >= 0 else -1
        behind += max(0, ends[tp] - max(done, starts[tp]))
    return behind
