"""Adapters of the kernel's ports (crm_kernel.ports), side by side: MongoDB (`mongo_*`) and Kafka
(`kafka_*`). The in-memory fakes for unit tests live in tests/fakes.py."""

from crm_kernel.adapters.mongo import mongo_client

__all__ = ["mongo_client"]
