"""Adapters of the kernel's ports (crm_kernel.ports), side by side: MongoDB (`mongo_*`), Kafka
(`kafka_*`), and in-memory fakes for unit tests."""

from crm_kernel.adapters.mongo import mongo_client

__all__ = ["mongo_client"]
