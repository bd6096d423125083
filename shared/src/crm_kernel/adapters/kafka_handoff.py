"""Ingest topics are a hand-off, not an audit log.

Senders (a call centre, an e-mail platform, a web form) publish raw JSON, personal data in
clear. Once a message is handled, its facts live on in the event store, sealed per customer,
and erasure can reach them there; the raw copy on Kafka it could never reach. So:
- consumed records are deleted: `purge_consumed` moves each partition's start to the offset
  the consumer group has committed (Kafka's DeleteRecords), and runs beside the consumer;
- a refused message's copy on the rejected topic keeps only fields known to hold no personal
  data, and only where their values are valid (`keep_only`), with the reason; the sender's
  key is hashed and its headers are dropped. The sender has the original.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Collection
from typing import Annotated, Any

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import TopicPartition
from pydantic import BaseModel, TypeAdapter, ValidationError

from crm_kernel.adapters.kafka_security import client_options

log = structlog.get_logger(__name__)
WITHHELD = "[withheld]"


def keep_only(
    model: type[BaseModel], fields: Collection[str], hashed: Collection[str] = ()
) -> Callable[[bytes | None], bytes]:
    """A redaction for rejected copies. Of a JSON object it keeps each of `fields` whose value
    is valid for that field of `model` (a message is rejected because fields may be wrong: an
    e-mail where the customer id belongs is withheld), and the SHA-256 of each of `hashed`
    (the sender can match it to its own id); it names what it withheld. Anything else (not
    JSON, not an object) is withheld whole."""
    checks = {name: _check(model, name) for name in fields}

    def redact(value: bytes | None) -> bytes:
        try:
            body = json.loads(value or b"")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return json.dumps({"withheld": f"the whole body ({len(value or b'')} bytes)"}).encode()
        kept = {k: v for k, v in body.items() if k in checks and checks[k](v)}
        kept |= {
            f"{k}_sha256": hashlib.sha256(str(v).encode()).hexdigest()
            for k, v in body.items()
            if k in hashed
        }
        withheld = sorted(k for k in body if k not in kept)
        return json.dumps({**kept, **({"withheld": withheld} if withheld else {})}).encode()

    return redact


def _check(model: type[BaseModel], name: str) -> Callable[[object], bool]:
    field = model.model_fields[name]
    kind: Any = (
        Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    )
    adapter: TypeAdapter[object] = TypeAdapter(kind)

    def valid(value: object) -> bool:
        try:
            adapter.validate_python(value)
            return True
        except ValidationError:
            return False

    return valid


async def purge_consumed(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, topic: str, group: str
) -> int:
    """Delete the records of `topic` that `group` has committed past; returns how many."""
    [described] = await admin.describe_topics([topic])
    partitions = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", ())]
    if not partitions:
        return 0
    committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    starts = await consumer.beginning_offsets(partitions)
    due = {
        tp: RecordsToDelete(before_offset=at.offset)
        for tp, at in committed.items()
        if at is not None and at.offset > starts.get(tp, 0)
    }
    if due:
        await admin.delete_records(due, timeout_ms=10_000)
    return sum(d.before_offset - starts.get(tp, 0) for tp, d in due.items())


async def keep_purging(bootstrap: str, topic: str, group: str, interval_s: float) -> None:
    """`purge_consumed` every `interval_s` until cancelled, on clients kept open between
    rounds; a failure is logged, and the next round starts on fresh clients."""
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options()
        )
        try:
            await admin.start()
            await consumer.start()
            while True:
                purged = await purge_consumed(admin, consumer, topic, group)
                if purged:
                    log.info("handed-off records deleted", topic=topic, records=purged)
                await asyncio.sleep(interval_s)
        except Exception as error:
            log.warning("could not delete handed-off records", topic=topic, error=str(error))
        finally:
            await consumer.stop()
            await admin.close()
        await asyncio.sleep(interval_s)
