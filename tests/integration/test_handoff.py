"""Ingest topics are a hand-off: records a consumer group has committed past are deleted
(they hold the senders' personal data in clear); rejected copies keep no personal field."""

from __future__ import annotations

import hashlib
import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from crm_kernel.adapters.kafka_handoff import keep_only, purge_consumed
from crm_kernel.adapters.kafka_topics import ensure_topics


async def test_records_a_group_committed_past_are_deleted(infra, unique) -> None:
    topic, group = f"t.{unique}.ingest", f"t-{unique}"
    await ensure_topics(infra.kafka_bootstrap, [topic], 1)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    for n in range(3):
        await producer.send_and_wait(topic, json.dumps({"summary": f"secret {n}"}).encode())
    await producer.stop()
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    tp = TopicPartition(topic, 0)
    handled = 0
    while handled < 2:
        handled += len(
            (await reader.getmany(tp, timeout_ms=1000, max_records=2 - handled)).get(tp, [])
        )
    await reader.commit({tp: 2})  # two handled, the third not yet
    await reader.stop()

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        assert await purge_consumed(admin, consumer, topic, group) == 2
        assert (await consumer.beginning_offsets([tp]))[tp] == 2
        assert await purge_consumed(admin, consumer, topic, group) == 0  # nothing new
    finally:
        await consumer.stop()
        await admin.close()


def test_a_rejected_copy_keeps_only_valid_fields_without_personal_data() -> None:
    from crm_contacts.entrypoints.ingest import NOT_PERSONAL, IngestedInteraction

    redact = keep_only(IngestedInteraction, NOT_PERSONAL, hashed=("external_id",))
    body = {
        "source": "callcentre",
        "external_id": "ana@example.com",
        "customer_id": "ana@example.com",  # why it was rejected: kept nowhere in clear
        "channel": "phone_call",
        "summary": "Zoë called",
    }
    copy = json.loads(redact(json.dumps(body).encode()))
    assert copy["source"] == "callcentre" and copy["channel"] == "phone_call"
    assert copy["external_id_sha256"] == hashlib.sha256(b"ana@example.com").hexdigest()
    assert copy["withheld"] == ["customer_id", "external_id", "summary"]
    assert "ana@" not in json.dumps(copy) and "Zo" not in json.dumps(copy)
    assert b"Zo" not in redact(b"{not json, Zo\xc3\xab called")
    assert b"Zo" not in redact(b'["Zo\xc3\xab"]')
