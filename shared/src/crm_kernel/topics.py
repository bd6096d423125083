"""Topic layout: one event topic per context, kept forever; dead-letter topics beside them."""

from __future__ import annotations

import contextlib

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from crm_kernel.domain.envelope import topic_for

CONTEXTS = ("contacts", "sales", "campaigns", "support")
EVENT_TOPICS = tuple(topic_for(c) for c in CONTEXTS)


def dead_letter_topic(consumer: str) -> str:
    return f"crm.{consumer}.dlt"


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    """Create missing topics; event topics keep history forever (they are the audit log)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="crm-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=topic,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"retention.ms": "-1"} if topic.endswith(".events") else {},
            )
            for topic in topics
            if topic not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def partitions_of(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics, in topic then partition order."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="crm-topics")
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    )
