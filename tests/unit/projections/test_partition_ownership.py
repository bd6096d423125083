"""Which customers an instance projects: Kafka's partitioner, and the assignment it holds."""

from __future__ import annotations

import uuid

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from crm_projections.adapters.partition_ownership import PartitionOwnership, partition_for

TOPICS = ("crm.contacts.events", "crm.sales.events")


def test_the_partition_is_the_one_kafkas_own_partitioner_picks() -> None:
    # Kafka's Java test vector: murmur2("21") == -973932308, made positive then taken modulo.
    assert partition_for("21", 1 << 31) == -973932308 & 0x7FFFFFFF
    producer_side = DefaultPartitioner()
    for n in range(200):
        key = str(uuid.UUID(int=n * 7919))
        for size in (1, 3, 12):
            assert partition_for(key, size) == producer_side(
                key.encode(), list(range(size)), list(range(size))
            )


async def test_an_instance_projects_a_customer_once_it_holds_that_partition_of_every_topic() -> (
    None
):
    ownership = PartitionOwnership()
    ownership.know_topics([TopicPartition(t, p) for t in TOPICS for p in range(3)])
    customer = "c-42"
    mine = partition_for(customer, 3)
    assert not ownership.projects(customer)
    await ownership.on_partitions_assigned({TopicPartition(TOPICS[0], mine)})
    assert not ownership.projects(customer)  # the sales partition is elsewhere
    await ownership.on_partitions_assigned({TopicPartition(TOPICS[1], mine)})
    assert ownership.projects(customer)
    others = [c for c in (f"c-{n}" for n in range(50)) if partition_for(c, 3) != mine]
    assert others and not any(ownership.projects(c) for c in others)
    await ownership.on_partitions_revoked({TopicPartition(TOPICS[1], mine)})
    assert not ownership.projects(customer)


def test_before_the_topics_are_known_no_customer_counts_as_projected_here() -> None:
    assert not PartitionOwnership().projects("c-1")


async def test_every_rebalance_tells_whoever_remembers_its_customers() -> None:
    changes: list[bool] = []
    ownership = PartitionOwnership(on_change=lambda: changes.append(True))
    await ownership.on_partitions_assigned({TopicPartition("crm.sales.events", 0)})
    await ownership.on_partitions_revoked({TopicPartition("crm.sales.events", 0)})
    await ownership.on_partitions_revoked(set())  # a standby's rebalance: still a change
    assert changes == [True, True, True]
